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
//!   bound to the tool's name, valid for [`ANSWER_WINDOW`]): it carries the
//!   thread and the pending output, so a retry never sends the prompt again
//!   and a forged or stale state is refused as invalid input.
//! - A client that can be asked neither way gets `pending_confirmation`.
//!
//! `max_credits` is applied before any of this, by the wait itself.

use std::time::Duration;

use anyhow::Result;
use rmcp::RoleServer;
use rmcp::model::{
    InputRequest, InputRequests, InputRequiredResult, InputResponses, ProtocolVersion,
    RequestStateCodec, SealOptions,
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
}

impl Default for Confirmations {
    fn default() -> Self {
        // A key per process: two random UUIDs give 244 random bits.
        let mut key = uuid::Uuid::new_v4().as_bytes().to_vec();
        key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self {
            codec: RequestStateCodec::try_new(key).expect("a 32-byte key"),
        }
    }
}

impl Confirmations {
    /// Whether this request's client speaks 2026-07-28 and can ask its user
    /// (it declared form elicitation in the request).
    pub fn can_ask_inline(request: &RequestContext<RoleServer>) -> bool {
        let modern = request
            .protocol_version()
            .is_some_and(|version| version.as_str() >= ProtocolVersion::V_2026_07_28.as_str());
        modern
            && request
                .client_capabilities()
                .and_then(|capabilities| capabilities.elicitation)
                .is_some_and(|elicitation| elicitation.form.is_some() || elicitation.url.is_none())
    }

    /// The `input_required` result that asks about the pending step of
    /// `output` (a pending_confirmation output of `tool`), or None when the
    /// output is not pending or too big to seal.
    pub fn ask(&self, tool: &str, output: &Map<String, Value>) -> Option<InputRequiredResult> {
        if output.get("final_status").and_then(Value::as_str) != Some("pending_confirmation") {
            return None;
        }
        let thread_id = output.get("thread_id")?.as_str()?.to_string();
        let pending = output.get("pending_confirmation")?.clone();
        let sealed = Sealed {
            thread_id,
            pending_output: output.clone(),
        };
        if serde_json::to_vec(&sealed).ok()?.len() > MAX_SEALED_BYTES {
            return None;
        }
        let options = SealOptions::new()
            .associated_data(tool.as_bytes())
            .ttl(ANSWER_WINDOW);
        let state = self.codec.seal_json_with(&sealed, &options).ok()?;
        let requests = InputRequests::from([(INPUT_KEY.to_string(), elicitation(&pending))]);
        Some(InputRequiredResult::new(Some(requests), Some(state)))
    }

    /// Opens the state of a retried `tool` call and reads the user's answer
    /// (no answer counts as "no").
    pub fn resume(
        &self,
        tool: &str,
        state: &str,
        responses: Option<&InputResponses>,
    ) -> Result<Resumed> {
        let sealed: Sealed = self
            .codec
            .open_json_with(state, tool.as_bytes())
            .map_err(|_| {
                InvalidInput(
                    "the requestState of this retry is not one this server issued, or it expired; \
                 call the tool again without it"
                        .to_string(),
                )
            })?;
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
        let no = InputResponses::from([(INPUT_KEY.to_string(), json!({"action": "decline"}))]);
        assert!(
            !confirmations
                .resume("generate", &state, Some(&no))
                .unwrap()
                .approved
        );
        assert!(
            !confirmations
                .resume("generate", &state, None)
                .unwrap()
                .approved
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
