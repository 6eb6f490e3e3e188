//! The command line's side of the engine's events ([`lovart_core::events`]):
//! today's stderr lines (warnings, `uploaded … -> …`, `confirming: …`), the
//! spinner while a generation runs, a bar per download and the batch's
//! progress line (only at a terminal), a batch's rows on stdout, the resume
//! hint after a stop, and the final status the detailed exit code comes from.
//! Also the two ways the CLI writes: [`print_line`] (data, stdout) and
//! [`hint`] (advice, stderr, only at a terminal).

mod bars;
mod generation;
pub mod spinner;

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use lovart_core::catalog::unknown_tool_warning;
use lovart_core::events::{Event, EventSink, Events};
use lovart_core::failure::Wording;
use lovart_core::progress::Progress;
use lovart_core::python::dumps_pretty;
use serde_json::json;

use bars::{BatchBar, Transfers};
pub use generation::{ProjectLine, print_generation};
use spinner::Spinner;

/// Renders events on the terminal; one per process.
pub struct Terminal {
    progress: Progress,
    /// The spinner of the activity under way, if any.
    spinner: Mutex<Option<Spinner>>,
    /// One bar per download under way.
    transfers: Transfers,
    /// The batch's progress line.
    batch: BatchBar,
    /// The `final_status` of the last settled wait.
    final_status: Mutex<Option<String>>,
}

impl Terminal {
    /// A renderer drawing what `progress` allows, and the sink that feeds it.
    pub fn new(progress: Progress) -> (Arc<Self>, EventSink) {
        let terminal = Arc::new(Self {
            progress,
            spinner: Mutex::new(None),
            transfers: Transfers::new(progress),
            batch: BatchBar::new(progress),
            final_status: Mutex::new(None),
        });
        let sink = EventSink::shared(terminal.clone());
        (terminal, sink)
    }

    /// The `final_status` of the last generation a command waited for.
    pub fn final_status(&self) -> Option<String> {
        lock(&self.final_status).clone()
    }

    /// One line on stderr, with the spinner and the batch's line off the
    /// screen meanwhile.
    fn say(&self, line: &str) {
        let spinner = lock(&self.spinner);
        let print = || self.batch.suspend(|| eprintln!("{line}"));
        match spinner.as_ref() {
            Some(spinner) => spinner.suspend(print),
            None => print(),
        }
    }
}

impl Events for Terminal {
    fn emit(&self, event: Event<'_>) {
        match event {
            Event::Warning(text) | Event::Line(text) => self.say(text),
            Event::Notice(text) => {
                if std::io::stderr().is_terminal() {
                    self.say(&format!("warning: {text}"));
                }
            }
            Event::Hint(text) => hint(text),
            Event::UnknownTool { name, suggestions } => {
                self.say(&unknown_tool_warning(name, suggestions, Wording::Cli));
            }
            Event::Uploaded { file, url } => self.say(&format!("uploaded {file} -> {url}")),
            Event::Activity(label) => {
                let mut spinner = lock(&self.spinner);
                if let Some(done) = spinner.take() {
                    done.finish();
                }
                *spinner = label.map(|label| Spinner::start(self.progress, label));
            }
            Event::Status(status) => {
                if let Some(spinner) = lock(&self.spinner).as_ref() {
                    spinner.status(status);
                }
            }
            Event::AutoConfirmed { cost, limit } => self.say(&format!(
                "confirming: the step costs about {cost} credits (--max-credits {limit})"
            )),
            Event::NotConfirmed { cost, limit } => self.say(&format!(
                "not confirmed: the step costs about {cost} credits, more than --max-credits {limit}"
            )),
            Event::Settled(status) => *lock(&self.final_status) = Some(status.to_string()),
            Event::Interrupted {
                thread_id,
                project_id,
                json,
            } => {
                if let Some(spinner) = lock(&self.spinner).take() {
                    spinner.finish();
                }
                print_resume_hint(thread_id);
                if json {
                    print_line(&dumps_pretty(
                        &json!({
                            "final_status": "interrupted",
                            "thread_id": thread_id,
                            "project_id": project_id,
                            "resume": format!("lovart wait --thread-id {thread_id} --json --download"),
                        }),
                        false,
                    ));
                }
            }
            Event::TransferStarted { id, name, total } => self.transfers.start(id, name, total),
            Event::TransferProgress { id, bytes } => self.transfers.progress(id, bytes),
            Event::TransferEnded { id } => self.transfers.end(id),
            Event::BatchRow(line) => self.batch.suspend(|| print_line(line)),
            Event::BatchProgress {
                settled,
                running,
                total,
                waiting_sends,
                waiting_queries,
            } => self.batch.update(
                settled,
                running,
                total,
                (waiting_sends, waiting_queries),
            ),
            Event::BatchEnded => self.batch.finish(),
            Event::WatchLine(line) => print_line(line),
            Event::Sent { .. } => {}
        }
    }
}

/// A lock that a panic elsewhere does not poison for the renderer.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes one line of data to stdout and flushes it (NDJSON consumers read
/// line by line). A closed pipe is not an error worth a message.
pub fn print_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// A line of advice on stderr, after an `Error:` or a warning; only for a
/// person at a terminal, so piped runs keep the reference's stderr.
pub fn hint(text: &str) {
    if std::io::stderr().is_terminal() {
        eprintln!("hint: {text}");
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
