//! Waiting for a thread and shaping what `chat`, `confirm` and `wait` print.
//!
//! [`settle`] polls until the thread is done, aborted, pending a confirmation
//! or past the deadline; with `--max-credits N` it confirms a pending step by
//! itself when the step's estimated cost is known and at most N (never
//! otherwise), then goes on waiting. [`settled_output`] turns the outcome into
//! the reference's output object. [`wait_for_output`] is the whole wait of
//! `chat`, `confirm` and `wait`: spinner, signals, settle, shape, download.

use std::time::Duration;

use crate::timing::Deadline;
use anyhow::Result;
use lovart_wire::reply::fields;
use serde_json::{Map, Value, json};

use crate::api::{ApiClient, ApiError};
use crate::download::FileOptions;
use crate::events::Event;
use crate::failure::{Hinted, Kind, in_thread};
use crate::flow::generation::Generation;
use crate::flow::interrupt::{Resumable, until_interrupted};
use crate::flow::outcome::{download_if_asked, mark_generation_outcome};
use crate::flow::poll::{Direct, Settled, poll_until_settled};
use crate::flow::send::outcome_unknown;
use crate::settings::Settings;

/// Keys under which a pending confirmation may state its cost in credits.
const COST_KEYS: &[&str] = &[
    "estimated_cost",
    "estimated_credits",
    "cost",
    "credits",
    "credit_cost",
];

/// The estimated cost of a pending step, when it states one as a number.
pub fn estimated_cost(pending: &Value) -> Option<f64> {
    COST_KEYS
        .iter()
        .filter_map(|key| pending.get(*key))
        .find_map(|value| match value {
            Value::Number(number) => number.as_f64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        })
        .filter(|cost| cost.is_finite() && *cost >= 0.0)
}

/// Polls `thread_id` until it settles or `deadline` passes, confirming a
/// pending step by itself only when `max_credits` allows its known cost.
pub async fn settle(
    client: &ApiClient,
    ctx: &Settings,
    thread_id: &str,
    deadline: Deadline,
    max_credits: Option<f64>,
) -> Result<Settled> {
    // No retry starts after the deadline: the wait ends at most one attempt after it.
    let bounded = client.until(deadline.instant());
    let source = Direct {
        client: &bounded,
        waits: ctx.waits,
    };
    loop {
        let (settled, _) = poll_until_settled(
            &source,
            thread_id,
            deadline,
            Some(ctx.waits.done_recheck()),
            &ctx.events,
        )
        .await?;
        let Settled::PendingConfirmation(pending) = &settled else {
            return Ok(settled);
        };
        let (Some(limit), Some(cost)) = (max_credits, estimated_cost(pending)) else {
            return Ok(settled);
        };
        if cost > limit || deadline.passed() {
            if cost > limit {
                ctx.events.emit(Event::NotConfirmed { cost, limit });
            }
            return Ok(settled);
        }
        ctx.events.emit(Event::AutoConfirmed { cost, limit });
        confirm_step(client, thread_id).await?;
    }
}

/// `POST /chat/confirm` for a pending step of `thread_id`. An error names the
/// thread; one whose answer was lost (a timeout, a reset, a gateway's
/// 502/504: [`outcome_unknown`]) is kind `outcome_unknown`, not retryable:
/// the step may be approved already, and confirming again would be refused
/// as "nothing to confirm".
pub async fn confirm_step(client: &ApiClient, thread_id: &str) -> Result<Value> {
    client
        .confirm(thread_id)
        .await
        .map_err(|error| confirm_failed(thread_id, error))
}

/// The error of a confirm of `thread_id` that failed ([`confirm_step`]'s):
/// named by its thread; `outcome_unknown` when its answer was lost.
pub fn confirm_failed(thread_id: &str, error: ApiError) -> anyhow::Error {
    {
        let error = if outcome_unknown(&error) {
            Hinted {
                hints: vec![format!(
                    "the confirm got no answer, so the step may be approved already: `lovart wait --thread-id {thread_id}` follows the thread (confirming again is refused when nothing waits)"
                )],
                mcp_hints: Some(vec![format!(
                    "the confirm got no answer, so the step may be approved already: the `wait` tool with thread_id \"{thread_id}\" follows the thread (confirming again is refused when nothing waits)"
                )]),
                kind: Some(Kind::OutcomeUnknown),
                cause: error.into(),
            }
            .into()
        } else {
            error.into()
        };
        in_thread(thread_id, error)
    }
}

/// How a pending confirmation is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingShape {
    /// `chat` and `wait`: `{"thread_id", "project_id", "final_status",
    /// "pending_confirmation", "items": []}`, without fetching the result.
    Summary,
    /// `confirm`: the thread's result with its own `pending_confirmation`.
    Result,
}

/// The output object of a settled thread: the result, then `final_status`,
/// `project_id` and, when done, `generation_succeeded` (and the text-only
/// warning); a pending confirmation in `shape`.
pub async fn settled_output(
    client: &ApiClient,
    thread_id: &str,
    project_id: Option<&str>,
    settled: Settled,
    shape: PendingShape,
) -> Result<Map<String, Value>> {
    if let (Settled::PendingConfirmation(pending), PendingShape::Summary) = (&settled, shape) {
        let mut summary = Map::new();
        summary.insert(fields::THREAD_ID.into(), json!(thread_id));
        summary.insert(fields::PROJECT_ID.into(), json!(project_id));
        summary.insert("final_status".into(), json!(settled.as_str()));
        summary.insert(fields::PENDING_CONFIRMATION.into(), pending.clone());
        summary.insert(fields::ITEMS.into(), json!([]));
        return Ok(summary);
    }
    let mut result = client.result(thread_id).await?;
    result.insert("final_status".into(), json!(settled.as_str()));
    result.insert(fields::PROJECT_ID.into(), json!(project_id));
    if settled == Settled::Done {
        mark_generation_outcome(&mut result);
    }
    Ok(result)
}

/// One command's wait for a thread.
#[derive(Debug, Clone, Copy)]
pub struct Wait<'a> {
    /// The thread to wait for.
    pub thread_id: &'a str,
    /// Its project, when known: copied into the output as `project_id`.
    pub project_id: Option<&'a str>,
    /// How long to wait in all: polls, confirmations, the result and the
    /// downloads (no retry starts after it; see [`crate::settings::Settings::timeout`]).
    pub timeout: Duration,
    /// Confirm a pending step by itself when its estimated cost is known and
    /// at most this many credits ([`settle`]); `None`: never.
    pub max_credits: Option<f64>,
    /// How a pending confirmation is shown.
    pub shape: PendingShape,
    /// `--json`, passed on in [`crate::events::Event::Interrupted`] when a
    /// signal stops the wait (the CLI then prints the interruption object).
    pub json: bool,
    /// `--download` into `output_dir`.
    pub download: bool,
    /// The folder of `download` (it must exist: see
    /// [`crate::download::ensure_output_dir`]).
    pub output_dir: &'a str,
    /// `--name`, `--sidecar` and what the records say of the thread.
    pub files: &'a FileOptions,
}

/// Waits for the thread (reported as the activity "generating"; stopped
/// cleanly by a signal), shapes the output, lets `finish` add to it (told
/// whether the thread waits for a confirmation), downloads when asked, and
/// reports the final status ([`Event::Settled`]). An error carries the thread id.
pub async fn wait_for_output(
    client: &ApiClient,
    ctx: &Settings,
    wait: Wait<'_>,
    finish: impl AsyncFnOnce(&mut Map<String, Value>, bool) -> Result<()>,
) -> Result<Generation> {
    // One deadline for the whole wait. No retry starts after it: the command
    // ends at most one attempt per remaining call (the result) after it.
    let deadline = Deadline::after(wait.timeout);
    let client = &client.until(deadline.instant());
    let events = &ctx.events;
    events.emit(Event::Activity(Some("generating")));
    let resumable = Resumable {
        thread_id: wait.thread_id,
        project_id: wait.project_id,
        json: wait.json,
    };
    let outcome = until_interrupted(resumable, events, async {
        let settled = settle(client, ctx, wait.thread_id, deadline, wait.max_credits).await?;
        let pending = matches!(settled, Settled::PendingConfirmation(_));
        let shaped = settled.clone();
        let mut result =
            settled_output(client, wait.thread_id, wait.project_id, shaped, wait.shape).await?;
        finish(&mut result, pending).await?;
        events.emit(Event::Activity(None));
        let result =
            download_if_asked(result, wait.download, wait.output_dir, wait.files, ctx).await?;
        Ok((settled, result))
    })
    .await;
    events.emit(Event::Activity(None));
    let (settled, result) = outcome.map_err(|error| in_thread(wait.thread_id, error))?;
    let generation = Generation::new(wait.thread_id, wait.project_id, Some(settled), result);
    events.emit(Event::Settled(&generation.final_status()));
    Ok(generation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_read_from_the_known_keys() {
        assert_eq!(estimated_cost(&json!({"estimated_cost": 40})), Some(40.0));
        assert_eq!(estimated_cost(&json!({"credits": "12.5"})), Some(12.5));
        assert_eq!(estimated_cost(&json!({"message": "costs 40"})), None);
        assert_eq!(estimated_cost(&json!({"cost": -1})), None);
        assert_eq!(estimated_cost(&json!("x")), None);
    }
}
