//! Asking the user to approve a high-cost step, in each protocol generation.
//!
//! - 2025-11-25 (a session opened with `initialize`): the server sends
//!   `elicitation/create` during the call ([`super::jobs`]), as before.
//! - 2026-07-28 (stateless; a server may not send requests): the call ends
//!   with an `input_required` result holding the question as an elicitation
//!   input request and a sealed `requestState`; the client asks its user and
//!   retries the same call with the answer ([`Confirmations::ask`],
//!   [`Confirmations::resume`]). The state is sealed with rmcp's
//!   [`RequestStateCodec`] (HMAC-SHA256, a random key per server process,
//!   bound to the tool's name): it carries the thread, the pending output,
//!   its expiry ([`ANSWER_WINDOW`]) and an id, so a retry never sends the
//!   prompt again, and a forged, expired or already answered state (each is
//!   single-use: a replayed "yes" never confirms twice) is refused as
//!   invalid input.
//! - A client that can be asked neither way gets `pending_confirmation`.
//!
//! `max_credits` is applied before any of this, by the wait itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Result;
use rmcp::RoleServer;
use rmcp::model::{
    InputRequest, InputRequests, InputRequiredResult, InputResponses, RequestStateCodec,
    SealOptions,
};
use rmcp::service::RequestContext;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use lovart_core::failure::InvalidInput;
use lovart_core::flow::settle::estimated_cost;

/// How long a user has to answer a 2026-07-28 question.
pub const ANSWER_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The key of the question in `inputRequests` / `inputResponses`.
pub const INPUT_KEY: &str = "confirm";
/// The largest pending output sealed into a state (a pending summary is tiny).
const MAX_SEALED_BYTES: usize = 64 * 1024;

/// The question put to the user about a pending step.
pub fn question(pending: &Value) -> String {
    let message = pending
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("A high-cost generation step is waiting.");
    let cost = estimated_cost(pending).map_or_else(
        || "an unknown number of".to_string(),
        |cost| format!("about {cost}"),
    );
    format!("Lovart: {message}\nThis step costs {cost} credits. Confirm it?")
}

/// The elicitation that asks [`question`] with a yes/no `confirm` field.
pub fn elicitation(pending: &Value) -> InputRequest {
    let request = json!({
        "method": "elicitation/create",
        "params": {
            "mode": "form",
            "message": question(pending),
            "requestedSchema": {
                "type": "object",
                "properties": {"confirm": {
                    "type": "boolean",
                    "title": "Confirm",
                    "description": "Approve the step and spend the credits it states."
                }},
                "required": ["confirm"]
            }
        }
    });
    serde_json::from_value(request).expect("a valid elicitation request")
}

/// Whether an elicitation answer approves the step: `accept` with `confirm: true`.
pub fn approves(answer: &Value) -> bool {
    answer.get("action").and_then(Value::as_str) == Some("accept")
        && answer
            .get("content")
            .and_then(|content| content.get("confirm"))
            .and_then(Value::as_bool)
            == Some(true)
}

/// What a sealed state holds.
#[derive(Serialize, Deserialize)]
struct Sealed {
    /// Unique per question: a state is answered once.
    id: String,
    /// Unix milliseconds after which the state is refused.
    expires_ms: i64,
    thread_id: String,
    /// The output the call would have returned: given back on a "no".
    pending_output: Map<String, Value>,
}

/// A retried call, opened.
pub struct Resumed {
    pub thread_id: String,
    pub pending_output: Map<String, Value>,
    /// The user approved the step.
    pub approved: bool,
}

/// The 2026-07-28 confirmation round trip of one server process.
pub struct Confirmations {
    codec: RequestStateCodec,
    /// The ids of the states already answered, with their expiry (an
    /// expired state is refused anyway, so it is forgotten then).
    answered: Mutex<HashMap<String, i64>>,
}

impl Default for Confirmations {
    fn default() -> Self {
        // A key per process: two random UUIDs give 244 random bits.
        let mut key = uuid::Uuid::new_v4().as_bytes().to_vec();
        key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self {
            codec: RequestStateCodec::try_new(key).expect("a 32-byte key"),
            answered: Mutex::default(),
        }
    }
}

impl Confirmations {
    /// Whether this request's client speaks 2026-07-28 and can ask its user
    /// (it declared form elicitation in the request).
    pub fn can_ask_inline(request: &RequestContext<RoleServer>) -> bool {
        super::generation::speaks_2026(request)
            && request
                .client_capabilities()
                .and_then(|capabilities| capabilities.elicitation)
                .is_some_and(|elicitation| elicitation.form.is_some() || elicitation.url.is_none())
    }

    /// The `input_required` result that asks about the pending step of
    /// `output` (a pending_confirmation output of `tool`), or None when the
    /// output is not pending or too big to seal.
    pub fn ask(&self, tool: &str, output: &Map<String, Value>) -> Option<InputRequiredResult> {
        self.ask_at(tool, output, now_ms())
    }

    /// [`Self::ask`] at `now` (Unix milliseconds).
    fn ask_at(
        &self,
        tool: &str,
        output: &Map<String, Value>,
        now: i64,
    ) -> Option<InputRequiredResult> {
        if output.get("final_status").and_then(Value::as_str) != Some("pending_confirmation") {
            return None;
        }
        let thread_id = output.get("thread_id")?.as_str()?.to_string();
        let pending = output.get("pending_confirmation")?.clone();
        let window = i64::try_from(ANSWER_WINDOW.as_millis()).unwrap_or(i64::MAX);
        let sealed = Sealed {
            id: uuid::Uuid::new_v4().simple().to_string(),
            expires_ms: now.saturating_add(window),
            thread_id,
            pending_output: output.clone(),
        };
        if serde_json::to_vec(&sealed).ok()?.len() > MAX_SEALED_BYTES {
            return None;
        }
        let options = SealOptions::new().associated_data(tool.as_bytes());
        let state = self.codec.seal_json_with(&sealed, &options).ok()?;
        let requests = InputRequests::from([(INPUT_KEY.to_string(), elicitation(&pending))]);
        Some(InputRequiredResult::new(Some(requests), Some(state)))
    }

    /// Opens the state of a retried `tool` call and reads the user's answer
    /// (no answer counts as "no"). A state opens once.
    pub fn resume(
        &self,
        tool: &str,
        state: &str,
        responses: Option<&InputResponses>,
    ) -> Result<Resumed> {
        self.resume_at(tool, state, responses, now_ms())
    }

    /// [`Self::resume`] at `now` (Unix milliseconds).
    fn resume_at(
        &self,
        tool: &str,
        state: &str,
        responses: Option<&InputResponses>,
        now: i64,
    ) -> Result<Resumed> {
        let sealed: Sealed = self
            .codec
            .open_json_with(state, tool.as_bytes())
            .map_err(|_| {
                InvalidInput(
                    "the requestState of this retry is not one this server issued; \
                 call the tool again without it"
                        .to_string(),
                )
            })?;
        let thread = &sealed.thread_id;
        if now > sealed.expires_ms {
            return Err(InvalidInput(format!(
                "the requestState of this retry expired (a question waits {} minutes); call \
                 `wait` with thread_id \"{thread}\" to be asked again",
                ANSWER_WINDOW.as_secs() / 60
            ))
            .into());
        }
        {
            let mut answered = self.answered.lock().expect("answered states lock");
            answered.retain(|_, expires| *expires >= now);
            if answered
                .insert(sealed.id.clone(), sealed.expires_ms)
                .is_some()
            {
                return Err(InvalidInput(format!(
                    "this question was already answered (a requestState is used once); call \
                     `wait` with thread_id \"{thread}\" to follow the thread"
                ))
                .into());
            }
        }
        let approved = responses
            .and_then(|responses| responses.get(INPUT_KEY))
            .is_some_and(approves);
        Ok(Resumed {
            thread_id: sealed.thread_id,
            pending_output: sealed.pending_output,
            approved,
        })
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Map<String, Value> {
        json!({"thread_id": "t1", "project_id": "p", "final_status": "pending_confirmation",
               "pending_confirmation": {"message": "Make a video?", "estimated_cost": 40},
               "items": []})
        .as_object()
        .cloned()
        .unwrap()
    }

    #[test]
    fn a_sealed_question_opens_with_the_answer() {
        let confirmations = Confirmations::default();
        let asked = confirmations.ask("generate", &pending()).unwrap();
        let request = serde_json::to_value(&asked.input_requests.unwrap()[INPUT_KEY]).unwrap();
        assert_eq!(request["method"], "elicitation/create");
        assert!(
            request["params"]["message"]
                .as_str()
                .unwrap()
                .contains("about 40 credits")
        );
        let state = asked.request_state.unwrap();
        let yes = InputResponses::from([(
            INPUT_KEY.to_string(),
            json!({"action": "accept", "content": {"confirm": true}}),
        )]);
        let resumed = confirmations
            .resume("generate", &state, Some(&yes))
            .unwrap();
        assert!(resumed.approved);
        assert_eq!(resumed.thread_id, "t1");
        assert_eq!(resumed.pending_output, pending());
        let fresh = || {
            let asked = confirmations.ask("generate", &pending()).unwrap();
            asked.request_state.unwrap()
        };
        let no = InputResponses::from([(INPUT_KEY.to_string(), json!({"action": "decline"}))]);
        assert!(
            !confirmations
                .resume("generate", &fresh(), Some(&no))
                .unwrap()
                .approved
        );
        assert!(
            !confirmations
                .resume("generate", &fresh(), None)
                .unwrap()
                .approved
        );
    }

    #[test]
    fn a_state_opens_once_and_not_after_its_window() {
        let confirmations = Confirmations::default();
        let yes = InputResponses::from([(
            INPUT_KEY.to_string(),
            json!({"action": "accept", "content": {"confirm": true}}),
        )]);
        let asked_at = 1_000_000_000_000;
        let state = || {
            let asked = confirmations.ask_at("generate", &pending(), asked_at);
            asked.unwrap().request_state.unwrap()
        };
        let minutes = |n: i64| asked_at + n * 60 * 1000;
        // Answered within the window: once.
        let once = state();
        let resumed = confirmations.resume_at("generate", &once, Some(&yes), minutes(14));
        assert!(resumed.unwrap().approved);
        let replayed = confirmations
            .resume_at("generate", &once, Some(&yes), minutes(14))
            .err()
            .unwrap();
        assert!(replayed.is::<InvalidInput>());
        assert!(
            replayed.to_string().contains("already answered"),
            "{replayed}"
        );
        // After the window: refused, naming the thread to wait on.
        let late = confirmations
            .resume_at("generate", &state(), Some(&yes), minutes(16))
            .err()
            .unwrap();
        assert!(late.is::<InvalidInput>());
        assert!(late.to_string().contains("expired"), "{late}");
        assert!(late.to_string().contains("\"t1\""), "{late}");
        // Just inside it: accepted.
        assert!(
            confirmations
                .resume_at("generate", &state(), None, minutes(15))
                .is_ok()
        );
    }

    #[test]
    fn forged_or_foreign_states_are_refused() {
        let confirmations = Confirmations::default();
        let state = confirmations
            .ask("generate", &pending())
            .unwrap()
            .request_state
            .unwrap();
        assert!(confirmations.resume("wait", &state, None).is_err());
        assert!(
            Confirmations::default()
                .resume("generate", &state, None)
                .is_err()
        );
        let mut forged = state;
        forged.push('x');
        let error = confirmations
            .resume("generate", &forged, None)
            .err()
            .unwrap();
        assert!(error.is::<InvalidInput>());
    }

    #[test]
    fn only_pending_outputs_are_asked_about() {
        let mut done = pending();
        done.insert("final_status".into(), json!("done"));
        assert!(Confirmations::default().ask("generate", &done).is_none());
    }
}
