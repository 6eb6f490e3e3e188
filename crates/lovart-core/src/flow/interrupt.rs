//! Stopping mid-generation: the thread goes on on the server, so a stop
//! prints how to pick it up again and exits as the shell expects for the
//! signal (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
//!
//! A harness that cuts a tool call off sends SIGTERM; a closed terminal sends
//! SIGHUP. Both are handled like Ctrl-C: the resume hint on stderr and, with
//! `--json`, `{"final_status": "interrupted", "thread_id", "project_id",
//! "resume"}` on stdout, so an agent keeps the thread it paid for.

use std::future::Future;

use anyhow::Result;
use serde_json::json;

use crate::python::dumps_pretty;
use crate::settings::print_line;

/// The signal that stopped a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C (SIGINT; on Windows, Ctrl-C or Ctrl-Break).
    Interrupt,
    /// SIGTERM (Unix only).
    Terminate,
    /// SIGHUP: the terminal closed (Unix only).
    Hangup,
}

/// A signal arrived while a generation was under way; the command already told
/// the user how to pick it up again.
#[derive(Debug)]
pub struct Interrupted(pub Signal);

impl Interrupted {
    /// 128 + the signal's number, as a shell reports a process it killed.
    pub fn exit_code(&self) -> u8 {
        match self.0 {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
            Signal::Hangup => 129,
        }
    }
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// The generation a stop leaves behind, and how to report it.
#[derive(Debug, Clone, Copy)]
pub struct Resumable<'a> {
    /// The thread still running on the server.
    pub thread_id: &'a str,
    /// Its project, when known (`null` in the JSON object otherwise).
    pub project_id: Option<&'a str>,
    /// Print the JSON object on stdout (`--json`).
    pub json: bool,
}

/// Runs `work`, or stops at Ctrl-C, SIGTERM or SIGHUP: then tells the user the
/// generation goes on and how to pick it up, and fails with [`Interrupted`].
pub async fn until_interrupted<T>(
    thread: Resumable<'_>,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        outcome = work => outcome,
        signal = stop_signal() => {
            report_interruption(thread);
            Err(Interrupted(signal).into())
        }
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

/// The resume hint on stderr and, with `--json`, the interruption object on stdout.
pub fn report_interruption(thread: Resumable<'_>) {
    print_resume_hint(thread.thread_id);
    if thread.json {
        print_line(&dumps_pretty(
            &json!({
                "final_status": "interrupted",
                "thread_id": thread.thread_id,
                "project_id": thread.project_id,
                "resume": format!("lovart wait --thread-id {} --json --download", thread.thread_id),
            }),
            false,
        ));
    }
}

/// The lines printed on a stop: the thread keeps running on the server.
pub fn print_resume_hint(thread_id: &str) {
    eprintln!();
    eprintln!("Interrupted. The generation continues on the server (thread {thread_id}).");
    eprintln!("Wait for it again with:     lovart wait --thread-id {thread_id} --json --download");
    eprintln!(
        "Get the result now with:    lovart result --thread-id {thread_id} --json --download"
    );
    eprintln!("or follow it with:          lovart watch --thread-id {thread_id}");
}
