//! Waiting for a thread to settle, the reference's way.
//!
//! A status every 3 s until the `--timeout` deadline; after the first "done",
//! 5 s and a second look (a video sub-agent may not have started yet); from
//! the 7th poll on, every 3rd poll also asks the result for a pending
//! confirmation.

use std::time::Duration;

use lovart_wire::reply::ResultView;
use serde_json::Value;
use tokio::time::Instant;

use crate::api::{ApiClient, ApiError};
use crate::timing::Waits;

/// How a wait for a thread ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    Done,
    Abort,
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

/// Observes the poll; the terminal spinner implements it.
pub trait PollObserver {
    fn status(&self, status: &str);
}

impl PollObserver for () {
    fn status(&self, _status: &str) {}
}

/// Polls `thread_id` until done, abort, a pending confirmation, or `timeout`.
pub async fn poll_until_settled(
    client: &ApiClient,
    thread_id: &str,
    timeout: Duration,
    waits: Waits,
    observer: &dyn PollObserver,
) -> Result<Settled, ApiError> {
    let deadline = Instant::now() + timeout;
    let mut polls: u32 = 0;
    while Instant::now() < deadline {
        let status = client.status_word(thread_id).await?;
        polls += 1;
        observer.status(&status);
        match status.as_str() {
            "abort" => return Ok(Settled::Abort),
            "done" => {
                tokio::time::sleep(waits.done_recheck()).await;
                let second = client.status_word(thread_id).await?;
                if second == "done" || second == "abort" {
                    if let Some(pending) = pending_confirmation(client, thread_id).await {
                        return Ok(Settled::PendingConfirmation(pending));
                    }
                    return Ok(if second == "done" {
                        Settled::Done
                    } else {
                        Settled::Abort
                    });
                }
            }
            _ => {}
        }
        if polls >= 7
            && status == "running"
            && polls.is_multiple_of(3)
            && let Some(pending) = pending_confirmation(client, thread_id).await
        {
            return Ok(Settled::PendingConfirmation(pending));
        }
        tokio::time::sleep(waits.poll_interval()).await;
    }
    Ok(Settled::Timeout)
}

/// The result's `pending_confirmation` when there is one; errors count as none.
async fn pending_confirmation(client: &ApiClient, thread_id: &str) -> Option<Value> {
    let result = client.result(thread_id).await.ok()?;
    ResultView(&result).pending_confirmation().cloned()
}
