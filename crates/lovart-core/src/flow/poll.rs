//! Waiting for a thread to settle, the reference's way.
//!
//! A status every 3 s until the `--timeout` deadline; after the first "done",
//! 5 s and a second look (a video sub-agent may not have started yet); from
//! the 7th poll on, every 3rd poll also asks the result for a pending
//! confirmation — and, unlike the reference, once more when the deadline
//! passes, so a thread waiting for a yes is never reported as a timeout. No
//! retry starts after the deadline, so the wait ends at most one attempt
//! (`--timeout`) after it, whatever the network does.

use std::time::Duration;

use lovart_wire::reply::ResultView;
use serde_json::{Map, Value};

use crate::api::{ApiClient, ApiError};
use crate::events::{Event, EventSink};
use crate::timing::{Deadline, Waits};

/// How a wait for a thread ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// The thread said `done`, and again at a second look
    /// ([`Waits::done_recheck`] later).
    Done,
    /// The thread said `abort` (at once, or at the second look after a `done`).
    Abort,
    /// The wait's time ran out with the thread still running.
    Timeout,
    /// A high-cost tool waits for the user's yes; the value is what to show them.
    PendingConfirmation(Value),
}

impl Settled {
    /// `final_status` as printed.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Abort => "abort",
            Self::Timeout => "timeout",
            Self::PendingConfirmation(_) => "pending_confirmation",
        }
    }
}

/// Where a poll reads a thread from, and how long it rests between polls:
/// the API client itself for a command ([`Direct`]), or the client behind a
/// batch's rate limiter, whose polls share the account's query budget.
// Implemented by the engine's own two sources only, whose futures are polled
// where they are made: no `Send` bound is needed on them.
#[allow(async_fn_in_trait)]
pub trait ThreadSource {
    /// The thread's `status` word ([`ApiClient::status_word`]).
    async fn status_word(&self, thread_id: &str) -> Result<String, ApiError>;
    /// The thread's result object ([`ApiClient::result`]).
    async fn result(&self, thread_id: &str) -> Result<Map<String, Value>, ApiError>;
    /// Between two status polls.
    fn poll_interval(&self) -> Duration;
}

/// A command's polls: straight to the API, the reference's fixed waits.
pub struct Direct<'a> {
    /// The client the polls go through (with its deadline, if any).
    pub client: &'a ApiClient,
    /// Where the 3 s between polls comes from.
    pub waits: Waits,
}

impl ThreadSource for Direct<'_> {
    async fn status_word(&self, thread_id: &str) -> Result<String, ApiError> {
        self.client.status_word(thread_id).await
    }

    async fn result(&self, thread_id: &str) -> Result<Map<String, Value>, ApiError> {
        self.client.result(thread_id).await
    }

    fn poll_interval(&self) -> Duration {
        self.waits.poll_interval()
    }
}

/// Polls `thread_id` until done, abort, a pending confirmation, or
/// `deadline`; `recheck` is the rest before the second look at a "done"
/// (`None`: the first "done" is trusted, as `watch` does; never more than
/// half the time left, so a short wait on a finished thread still says
/// "done" in time); each status read
/// is reported to `events` ([`Event::Status`]). Also returns the
/// result read by the last look when the thread settled done or abort, for a
/// caller that does not need to read it again.
pub async fn poll_until_settled(
    source: &impl ThreadSource,
    thread_id: &str,
    deadline: Deadline,
    recheck: Option<Duration>,
    events: &EventSink,
) -> Result<(Settled, Option<Map<String, Value>>), ApiError> {
    let mut polls: u32 = 0;
    while !deadline.passed() {
        let status = source.status_word(thread_id).await?;
        polls += 1;
        events.emit(Event::Status(&status));
        match status.as_str() {
            "abort" => return Ok((Settled::Abort, None)),
            "done" => {
                let second = match recheck {
                    Some(rest) => {
                        tokio::time::sleep(rest.min(deadline.left() / 2)).await;
                        source.status_word(thread_id).await?
                    }
                    None => status.clone(),
                };
                if second == "done" || second == "abort" {
                    let result = source.result(thread_id).await.ok();
                    if let Some(pending) = result.as_ref().and_then(pending_confirmation) {
                        return Ok((Settled::PendingConfirmation(pending), None));
                    }
                    let settled = if second == "done" {
                        Settled::Done
                    } else {
                        Settled::Abort
                    };
                    return Ok((settled, result));
                }
            }
            _ => {}
        }
        if polls >= 7
            && status == "running"
            && polls.is_multiple_of(3)
            && let Some(pending) = last_look(source, thread_id).await
        {
            return Ok((Settled::PendingConfirmation(pending), None));
        }
        tokio::time::sleep(source.poll_interval()).await;
    }
    // One unambiguous outcome: a thread that waits for a confirmation is
    // reported as such, not as a timeout.
    if let Some(pending) = last_look(source, thread_id).await {
        return Ok((Settled::PendingConfirmation(pending), None));
    }
    Ok((Settled::Timeout, None))
}

/// The result's `pending_confirmation` when there is one; errors count as none.
async fn last_look(source: &impl ThreadSource, thread_id: &str) -> Option<Value> {
    let result = source.result(thread_id).await.ok()?;
    pending_confirmation(&result)
}

fn pending_confirmation(result: &Map<String, Value>) -> Option<Value> {
    ResultView(result).pending_confirmation().cloned()
}
