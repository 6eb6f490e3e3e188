//! Stopping mid-generation: the thread goes on on the server, so a stop
//! prints how to pick it up again and exits 130.

use std::future::Future;

use anyhow::Result;

/// Ctrl-C arrived while a generation was under way; the command already told
/// the user how to pick it up again.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Runs `work`, or stops at Ctrl-C: then tells the user the generation goes on
/// and how to pick it up, and fails with [`Interrupted`] (exit 130).
pub async fn until_interrupted<T>(
    thread_id: &str,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        outcome = work => outcome,
        _ = tokio::signal::ctrl_c() => {
            print_resume_hint(thread_id);
            Err(Interrupted.into())
        }
    }
}

/// The lines printed on Ctrl-C: the thread keeps running on the server.
pub fn print_resume_hint(thread_id: &str) {
    eprintln!();
    eprintln!("Interrupted. The generation continues on the server (thread {thread_id}).");
    eprintln!(
        "Get the result later with:  lovart result --thread-id {thread_id} --json --download"
    );
    eprintln!("or follow it with:          lovart watch --thread-id {thread_id}");
}
