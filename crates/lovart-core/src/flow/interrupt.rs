//! Stopping mid-generation: the thread goes on on the server, so a stop
//! reports [`Event::Interrupted`] (the CLI prints how to pick the thread up
//! again and, with `--json`, `{"final_status": "interrupted", "thread_id",
//! "project_id", "resume"}` on stdout, so an agent keeps the thread it paid
//! for) and fails with [`Interrupted`], whose exit code is the shell's for the
//! signal (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
//!
//! A harness that cuts a tool call off sends SIGTERM; a closed terminal sends
//! SIGHUP. Both are handled like Ctrl-C.

use std::future::Future;

use anyhow::Result;

use crate::events::{Event, EventSink};
pub use crate::failure::{Interrupted, Signal};

/// The generation a stop leaves behind, and how to report it.
#[derive(Debug, Clone, Copy)]
pub struct Resumable<'a> {
    /// The thread still running on the server.
    pub thread_id: &'a str,
    /// Its project, when known.
    pub project_id: Option<&'a str>,
    /// `--json`: the front end should print the JSON object on stdout too
    /// (passed on in [`Event::Interrupted`]).
    pub json: bool,
}

/// Runs `work`, or stops at Ctrl-C, SIGTERM or SIGHUP: then tells the user the
/// generation goes on and how to pick it up, and fails with [`Interrupted`].
pub async fn until_interrupted<T>(
    thread: Resumable<'_>,
    events: &EventSink,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        outcome = work => outcome,
        signal = stop_signal() => {
            events.emit(Event::Interrupted {
                thread_id: thread.thread_id,
                project_id: thread.project_id,
                json: thread.json,
            });
            Err(Interrupted(signal).into())
        }
    }
}

/// Runs `work` that starts no generation (downloads, a batch whose journal
/// keeps every send), or stops at Ctrl-C, SIGTERM or SIGHUP: the work is
/// dropped — its transfers stop and their partial files go — and this
/// fails with [`Interrupted`].
pub async fn or_stopped<T>(work: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::select! {
        outcome = work => outcome,
        signal = stop_signal() => Err(Interrupted(signal).into()),
    }
}

/// Resolves when the process is asked to stop.
pub async fn stop_signal() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut terminate), Ok(mut hangup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return Signal::Interrupt;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => Signal::Interrupt,
            _ = terminate.recv() => Signal::Terminate,
            _ = hangup.recv() => Signal::Hangup,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}
