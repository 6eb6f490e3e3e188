//! What the engine has to say while it works, as typed events: an upload, a
//! poll's status, a confirmation made or refused, a file that landed, a state
//! that could not be saved. The engine never prints; each front end renders
//! the events its own way — the CLI as stderr lines, spinners and bars
//! (`src/terminal` in the `lovart` crate), the MCP server as progress
//! notifications and log lines — and a program using this crate can ignore
//! them ([`EventSink::silent`], the default) or collect them.
//!
//! A sink lives in [`crate::settings::Settings::events`] (set it with
//! [`crate::settings::Settings::with_events`], which also hands it to the
//! state store), so everything under one `Settings` reports to one place.

use std::fmt;
use std::sync::Arc;

/// One thing the engine has to say. Borrowed from the engine for the length
/// of [`Events::emit`]; a sink that keeps one copies what it needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event<'a> {
    /// Something failed that does not stop the work (a state not saved, a
    /// file not written, a sidecar missing). The CLI prints it as is: the text
    /// starts with `warning: ` where the reference's did.
    Warning(&'a str),
    /// A warning only a person needs (the CLI shows `warning: <text>` only at
    /// a terminal, so piped runs keep the reference's stderr).
    Notice(&'a str),
    /// Advice for a person (the CLI shows `hint: <text>` only at a terminal).
    Hint(&'a str),
    /// A line to show as it is: a batch's resume note and summary, an input
    /// line it refused.
    Line(&'a str),
    /// A tool name (preferred, included or excluded) that the built-in
    /// catalog does not know; the send goes on with it. Each front end words
    /// it ([`crate::catalog::unknown_tool_warning`]).
    UnknownTool {
        /// The name as given.
        name: &'a str,
        /// Up to three known names close to it, closest first.
        suggestions: &'a [String],
    },
    /// A local attachment was uploaded; `url` is what the send carries instead.
    Uploaded {
        /// The local path as given.
        file: &'a str,
        /// Where the upload put it.
        url: &'a str,
    },
    /// A `POST /chat` was answered: a generation is billed and its thread is
    /// on record (a front end that is cut off later still knows the thread).
    Sent {
        /// The thread the send started (or continued).
        thread_id: &'a str,
        /// The project it went into.
        project_id: &'a str,
    },
    /// Work that may take seconds began (`Some(label)`: `generating`,
    /// `creating a project`, `checking project <id>`) or ended (`None`).
    Activity(Option<&'a str>),
    /// A poll read the thread's status word (`running`, `done`, `abort`, …).
    Status(&'a str),
    /// A pending step was confirmed: its estimated cost is within the limit
    /// (`--max-credits`, MCP `max_credits`). Both in credits.
    AutoConfirmed {
        /// The step's estimated cost, credits.
        cost: f64,
        /// The limit it was held to, credits.
        limit: f64,
    },
    /// A pending step was left for the user: its estimated cost (credits) is
    /// above the limit (credits).
    NotConfirmed {
        /// The step's estimated cost, credits.
        cost: f64,
        /// The limit it was held to, credits.
        limit: f64,
    },
    /// A wait for a generation ended with this `final_status` (`done`,
    /// `abort`, `timeout`, `pending_confirmation`, `running`); the CLI's
    /// detailed exit code is taken from the last one.
    Settled(&'a str),
    /// A stop signal ended a wait; the thread goes on on the server. The
    /// front end tells the user how to pick it up (with `json`, as an object
    /// on stdout too).
    Interrupted {
        /// The thread that goes on.
        thread_id: &'a str,
        /// Its project, when known.
        project_id: Option<&'a str>,
        /// `--json` was given.
        json: bool,
    },
    /// A download began. `id` names it until [`Event::TransferEnded`];
    /// `total` is its length in bytes when the server said.
    TransferStarted {
        /// Unique among this process's transfers.
        id: u64,
        /// A short name for it (the file's name or the URL's last part).
        name: &'a str,
        /// Bytes expected, from Content-Length.
        total: Option<u64>,
    },
    /// Bytes received so far by a transfer.
    TransferProgress {
        /// As in [`Event::TransferStarted`].
        id: u64,
        /// Bytes received so far.
        bytes: u64,
    },
    /// A transfer finished or failed (its outcome is in the download's items).
    TransferEnded {
        /// As in [`Event::TransferStarted`].
        id: u64,
    },
    /// A batch row settled: its output line (compact JSON), which is data
    /// (the CLI prints it on stdout).
    BatchRow(&'a str),
    /// A line of `watch`'s NDJSON protocol (an `artifact` on disk, a
    /// `pending_confirmation`, an `error` the watch goes on after): data,
    /// which the CLI prints on stdout ([`crate::flow::watch`]).
    WatchLine(&'a str),
    /// Where a batch stands: rows settled (of `total`), running, and calls
    /// waiting for the rate limit.
    BatchProgress {
        /// Rows settled, this run's and the journal's.
        settled: usize,
        /// Rows being worked on.
        running: usize,
        /// Rows in the input.
        total: usize,
        /// Sends waiting for the chat tier's limit.
        waiting_sends: usize,
        /// Status and result calls waiting for the query tier's limit.
        waiting_queries: usize,
    },
    /// The batch ended (its progress display can go).
    BatchEnded,
}

/// Receives the engine's events. Called from any task or thread, often
/// while work is under way: implementations return quickly and never fail.
pub trait Events: Send + Sync {
    /// One event.
    fn emit(&self, event: Event<'_>);
}

/// A shared handle to an [`Events`] implementation, cheap to clone.
#[derive(Clone)]
pub struct EventSink(Arc<dyn Events>);

impl EventSink {
    /// A sink that drops every event: a library caller's default.
    pub fn silent() -> Self {
        Self(Arc::new(Silent))
    }

    /// A sink that hands every event to `events`.
    pub fn new(events: impl Events + 'static) -> Self {
        Self(Arc::new(events))
    }

    /// A sink around an implementation the caller keeps a handle to.
    pub fn shared(events: Arc<dyn Events>) -> Self {
        Self(events)
    }

    /// Hands `event` to the sink.
    pub fn emit(&self, event: Event<'_>) {
        self.0.emit(event);
    }

    /// [`Event::Warning`] with `warning: ` before `text`.
    pub fn warning(&self, text: &str) {
        self.emit(Event::Warning(&format!("warning: {text}")));
    }

    /// [`Event::Hint`].
    pub fn hint(&self, text: &str) {
        self.emit(Event::Hint(text));
    }
}

impl Default for EventSink {
    fn default() -> Self {
        Self::silent()
    }
}

impl fmt::Debug for EventSink {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("EventSink")
    }
}

/// Drops every event.
struct Silent;

impl Events for Silent {
    fn emit(&self, _event: Event<'_>) {}
}

/// A new transfer id, unique in this process.
pub fn next_transfer_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Collects events as text, for tests and for callers that want a log.
#[derive(Default)]
pub struct Recorded(std::sync::Mutex<Vec<String>>);

impl Recorded {
    /// Every event so far, each as its `Debug` text.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|lines| lines.clone()).unwrap_or_default()
    }
}

impl Events for Recorded {
    fn emit(&self, event: Event<'_>) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(format!("{event:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_sink_reaches_its_recorder_and_warnings_carry_the_prefix() {
        let recorded = Arc::new(Recorded::default());
        let sink = EventSink::shared(recorded.clone());
        let copy = sink.clone();
        copy.warning("state not saved");
        drop(copy);
        sink.emit(Event::Status("running"));
        EventSink::silent().emit(Event::Status("lost"));
        assert_eq!(
            recorded.lines(),
            [
                r#"Warning("warning: state not saved")"#,
                r#"Status("running")"#
            ]
        );
        assert_ne!(next_transfer_id(), next_transfer_id());
    }
}
