//! `watch`'s use case: follow a thread with the one poll
//! ([`poll_until_settled`]), and download each artifact as soon as a round
//! sees it.
//!
//! Each status poll is a round: the status, then the result, then the files
//! not yet on disk, each reported once as an `artifact` line. A round that
//! fails is an `error` line and the watch goes on; a pending confirmation
//! ends it at once (its line says what waits). The lines are the watch's
//! NDJSON protocol ([`Event::WatchLine`], data for stdout); `started` and
//! `finished` are the front end's, around [`follow`].

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use lovart_wire::reply::{ResultView, fields};
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use crate::api::{ApiClient, ApiError};
use crate::download::{Downloader, FileOptions, collect_artifacts};
use crate::events::{Event, EventSink};
use crate::flow::interrupt::{Signal, stop_signal};
use crate::flow::poll::{ThreadSource, poll_until_settled};
use crate::python::{dumps_compact, is_truthy};
use crate::timing::Deadline;

/// What to follow, and where its files go.
pub struct Follow<'a> {
    /// The thread (a full id).
    pub thread_id: &'a str,
    /// How long to follow it in all (`--timeout`).
    pub timeout: Duration,
    /// The rest between two rounds (`--interval`, scaled).
    pub interval: Duration,
    /// The folder the files go to (it must exist).
    pub output_dir: &'a str,
    /// `--name`, `--sidecar`, and what the records say of the thread.
    pub files: FileOptions,
}

/// How a watch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// `final_status`: `done`, `abort`, `pending_confirmation`, `timeout`,
    /// or `interrupted` when a stop signal ended the watch.
    pub final_status: &'static str,
    /// Artifacts reported (on disk) during the watch.
    pub artifact_count: usize,
    /// The signal that stopped the watch (Ctrl-C, SIGTERM, SIGHUP); the
    /// thread goes on on the server.
    pub stopped_by: Option<Signal>,
}

/// Follows `follow.thread_id` until it is done, aborted, waits for a
/// confirmation, or `follow.timeout` passes, or a stop signal comes; its
/// lines and status words go to `events`.
pub async fn follow(
    client: &ApiClient,
    downloader: &Downloader,
    events: &EventSink,
    follow: Follow<'_>,
) -> Followed {
    let rounds = Rounds {
        client,
        downloader,
        events,
        follow: &follow,
        seen: Mutex::new(HashSet::new()),
        last_result: Mutex::new(None),
        pending: Notify::new(),
        pending_seen: AtomicBool::new(false),
    };
    // Done is final at once: the round that read it has fetched the files.
    let deadline = Deadline::after(follow.timeout);
    let polling = poll_until_settled(&rounds, follow.thread_id, deadline, None, events);
    let (settled, stopped_by) = tokio::select! {
        // The rounds never fail (a failed round is an `error` line).
        settled = polling => (settled.ok().map(|(settled, _)| settled), None),
        () = rounds.pending.notified() => (None, None),
        signal = stop_signal() => (None, Some(signal)),
    };
    // A round that saw a pending step has said so: that ends the watch,
    // whatever the poll made of the same round (an abort, say).
    let final_status = match (stopped_by, settled) {
        (Some(_), _) => "interrupted",
        _ if rounds.pending_seen.load(Ordering::Relaxed) => "pending_confirmation",
        (None, Some(settled)) => settled.as_str(),
        (None, None) => "timeout",
    };
    let artifact_count = rounds.seen.lock().map_or(0, |seen| seen.len());
    Followed {
        final_status,
        artifact_count,
        stopped_by,
    }
}

/// The rounds of one watch, as the poll's source: each status read is a round.
struct Rounds<'a> {
    client: &'a ApiClient,
    downloader: &'a Downloader,
    events: &'a EventSink,
    follow: &'a Follow<'a>,
    /// URLs already reported.
    seen: Mutex<HashSet<String>>,
    /// The result the last round read, for the poll's look at it.
    last_result: Mutex<Option<Map<String, Value>>>,
    /// Told when a round found a step waiting for confirmation.
    pending: Notify,
    /// Whether a round found one.
    pending_seen: AtomicBool,
}

impl ThreadSource for Rounds<'_> {
    /// The status word of a round (a missing or odd status counts as
    /// running; a failed round is an `error` line and counts as running).
    async fn status_word(&self, thread_id: &str) -> Result<String, ApiError> {
        match self.round(thread_id).await {
            Ok(word) => Ok(word),
            Err(error) => {
                self.line(&json!({"event": "error", "message": format!("{error:#}")}));
                Ok("running".to_string())
            }
        }
    }

    /// The result the round just read (the poll looks at it after a
    /// "done"), else a fresh one.
    async fn result(&self, thread_id: &str) -> Result<Map<String, Value>, ApiError> {
        let read = self
            .last_result
            .lock()
            .ok()
            .and_then(|mut last| last.take());
        match read {
            Some(result) => Ok(result),
            None => self.client.result(thread_id).await,
        }
    }

    fn poll_interval(&self) -> Duration {
        self.follow.interval
    }
}

impl Rounds<'_> {
    fn line(&self, event: &Value) {
        self.events
            .emit(Event::WatchLine(&dumps_compact(event, false)));
    }

    /// Status, result, new files, lines; the status word.
    async fn round(&self, thread_id: &str) -> Result<String> {
        let answer = self.client.status(thread_id).await?;
        // A missing (or non-string) status counts as running.
        let word = match answer.get(fields::STATUS).and_then(Value::as_str) {
            Some(word) => word.to_string(),
            None => "running".to_string(),
        };
        let result = self.client.result(thread_id).await?;
        let follow = self.follow;
        let downloads = self
            .downloader
            .download_all(
                &collect_artifacts(&result),
                follow.output_dir,
                "lovart",
                &follow.files,
            )
            .await?;
        for download in downloads {
            let Some(url) = download.get("url").and_then(Value::as_str) else {
                continue;
            };
            // Failed downloads are not reported and are tried again next round;
            // files already on disk (from an earlier run) are reported once.
            let on_disk = download.get("local_path").is_some_and(is_truthy);
            let new = on_disk
                && self
                    .seen
                    .lock()
                    .is_ok_and(|mut seen| seen.insert(url.to_string()));
            if new {
                self.line(&json!({
                    "event": "artifact",
                    "type": download.get("type").cloned().unwrap_or(Value::Null),
                    "url": url,
                    "local_path": download.get("local_path").cloned().unwrap_or(Value::Null),
                }));
            }
        }
        if let Some(pending) = ResultView(&result).pending_confirmation() {
            self.line(&json!({
                "event": "pending_confirmation",
                "thread_id": thread_id,
                "pending_confirmation": pending,
            }));
            self.pending_seen.store(true, Ordering::Relaxed);
            self.pending.notify_one();
        }
        if let Ok(mut last) = self.last_result.lock() {
            *last = Some(result);
        }
        Ok(word)
    }
}
