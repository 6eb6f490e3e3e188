//! What the engine says during one tool call, told to the call's client:
//!
//! - as `notifications/message` (MCP logging) at or above the level the
//!   client set with `logging/setLevel` (warnings when it set none): a state
//!   not saved and an unknown tool name are warnings, a step confirmed or left
//!   for the user within `max_credits` a notice, an upload info, a poll's
//!   status debug;
//! - as `notifications/progress` (only with a progress token): a download
//!   that starts, then the bytes it has received, at most
//!   [`TRANSFER_REPORTS_PER_SECOND`] times a second, so a long download keeps
//!   progress flowing;
//! - in the result: the warnings that concern it (a tool name the catalog
//!   does not know, a state not saved) in `structuredContent.warnings`
//!   ([`CallEvents::add_warnings`]), since many clients show no log.
//!
//! Every event also goes to the server's own log on stderr ([`Log`]), as
//! before. Notifications leave in order through one relay task per call;
//! they are best effort (a failed one never fails the call). Logging is
//! deprecated by SEP-2577 in rmcp but is what clients show today.
#![allow(
    deprecated,
    reason = "MCP logging (SEP-2577) is still what clients show"
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use lovart_core::catalog::unknown_tool_warning;
use lovart_core::events::{Event, EventSink, Events};
use lovart_core::failure::Wording;
use lovart_core::settings::Settings;

use super::progress::{Log, Progress};

/// At most this many download progress notifications a second, per call.
pub const TRANSFER_REPORTS_PER_SECOND: u32 = 4;
/// The result key of the call's warnings.
pub const WARNINGS: &str = "warnings";

/// The lowest level a session's client wants, as `logging/setLevel` set it
/// (syslog order: 0 debug … 7 emergency); [`LogLevel::DEFAULT`] until then.
#[derive(Debug)]
pub struct LogLevel(AtomicU8);

impl LogLevel {
    /// Warnings and worse, until the client says otherwise.
    pub const DEFAULT: u8 = 3;

    pub fn new() -> Self {
        Self(AtomicU8::new(Self::DEFAULT))
    }

    /// `logging/setLevel`.
    pub fn set(&self, level: LoggingLevel) {
        self.0.store(rank(level), Ordering::Relaxed);
    }

    fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Default for LogLevel {
    fn default() -> Self {
        Self::new()
    }
}

fn rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

/// One thing for the relay to send.
enum Note {
    Log(LoggingLevel, String),
    Progress(String),
}

/// The events of one tool call (cheap to clone: one shared state).
#[derive(Clone)]
pub struct CallEvents(Arc<Inner>);

struct Inner {
    notes: mpsc::UnboundedSender<Note>,
    progress: Progress,
    threshold: u8,
    wants_progress: bool,
    warnings: Mutex<Vec<String>>,
    transfers: Mutex<Transfers>,
    /// The thread and project of the call's send, once it was answered.
    sent: Mutex<Option<(String, String)>>,
}

/// The downloads under way and when progress about them was last sent.
#[derive(Default)]
struct Transfers {
    running: HashMap<u64, (String, Option<u64>)>,
    last_report: Option<Instant>,
}

impl CallEvents {
    /// The events of a call of `request`, logged at `level` or above, with
    /// its progress going through `progress`. Starts the relay, which ends
    /// when the last copy of these events is dropped.
    pub fn start(
        request: &RequestContext<RoleServer>,
        level: &LogLevel,
        progress: Progress,
    ) -> Self {
        let (notes, receiver) = mpsc::unbounded_channel();
        tokio::spawn(relay(request.peer.clone(), progress.clone(), receiver));
        Self(Arc::new(Inner {
            notes,
            progress: progress.clone(),
            threshold: level.get(),
            wants_progress: progress.wanted(),
            warnings: Mutex::default(),
            transfers: Mutex::default(),
            sent: Mutex::default(),
        }))
    }

    /// The thread and project the call's send started, once it was answered.
    pub fn sent(&self) -> Option<(String, String)> {
        self.0.sent.lock().ok().and_then(|sent| sent.clone())
    }

    /// The call's progress channel (one step count for every report).
    pub fn progress_channel(&self) -> Progress {
        self.0.progress.clone()
    }

    /// The server's settings with these events as the sink.
    pub fn settings(&self, server: &Settings) -> Settings {
        server
            .for_server()
            .with_events(EventSink::new(self.clone()))
    }

    /// The warnings so far, in `output`'s `warnings` (none: no key).
    pub fn add_warnings(&self, mut output: Map<String, Value>) -> Map<String, Value> {
        let warnings = self
            .0
            .warnings
            .lock()
            .map(|w| w.clone())
            .unwrap_or_default();
        if !warnings.is_empty() {
            output.insert(WARNINGS.into(), json!(warnings));
        }
        output
    }

    fn log(&self, level: LoggingLevel, text: String) {
        if rank(level) >= self.0.threshold {
            let _ = self.0.notes.send(Note::Log(level, text));
        }
    }

    fn warn(&self, text: &str) {
        let text = text.strip_prefix("warning: ").unwrap_or(text).to_string();
        if let Ok(mut warnings) = self.0.warnings.lock() {
            warnings.push(text.clone());
        }
        self.log(LoggingLevel::Warning, text);
    }

    fn progress(&self, message: String) {
        if self.0.wants_progress {
            let _ = self.0.notes.send(Note::Progress(message));
        }
    }

    fn transfer(&self, event: &Event<'_>) {
        let Ok(mut transfers) = self.0.transfers.lock() else {
            return;
        };
        match *event {
            Event::TransferStarted { id, name, total } => {
                transfers.running.insert(id, (name.to_string(), total));
                let size = total
                    .map(|total| format!(" ({})", size_text(total)))
                    .unwrap_or_default();
                self.progress(format!("downloading {name}{size}"));
            }
            Event::TransferProgress { id, bytes } => {
                let now = Instant::now();
                let every = Duration::from_secs(1) / TRANSFER_REPORTS_PER_SECOND;
                if transfers
                    .last_report
                    .is_some_and(|last| now.duration_since(last) < every)
                {
                    return;
                }
                let Some((name, total)) = transfers.running.get(&id) else {
                    return;
                };
                let of = total
                    .map(|total| format!(" of {}", size_text(total)))
                    .unwrap_or_default();
                let message = format!("downloading {name}: {}{of}", size_text(bytes));
                transfers.last_report = Some(now);
                self.progress(message);
            }
            Event::TransferEnded { id } => {
                transfers.running.remove(&id);
            }
            _ => {}
        }
    }
}

impl Events for CallEvents {
    fn emit(&self, event: Event<'_>) {
        Log.emit(event);
        match event {
            Event::Warning(text) => self.warn(text),
            Event::UnknownTool { name, suggestions } => {
                self.warn(&unknown_tool_warning(name, suggestions, Wording::Mcp));
            }
            Event::Line(text) => self.log(LoggingLevel::Info, text.to_string()),
            Event::Uploaded { file, url } => {
                self.log(LoggingLevel::Info, format!("uploaded {file} -> {url}"));
            }
            Event::AutoConfirmed { cost, limit } => self.log(
                LoggingLevel::Notice,
                format!("confirmed: the step costs about {cost} credits (max_credits {limit})"),
            ),
            Event::NotConfirmed { cost, limit } => self.log(
                LoggingLevel::Notice,
                format!(
                    "not confirmed: the step costs about {cost} credits, more than max_credits {limit}"
                ),
            ),
            Event::Status(status) => self.log(LoggingLevel::Debug, format!("status: {status}")),
            Event::Sent {
                thread_id,
                project_id,
            } => {
                if let Ok(mut sent) = self.0.sent.lock() {
                    *sent = Some((thread_id.to_string(), project_id.to_string()));
                }
            }
            Event::TransferStarted { .. }
            | Event::TransferProgress { .. }
            | Event::TransferEnded { .. } => self.transfer(&event),
            // Notices and hints are the CLI's advice at a terminal: a
            // failed download is in the result's summary in MCP's words.
            _ => {}
        }
    }
}

/// Sends the call's notes in order until every sender is gone.
async fn relay(
    peer: Peer<RoleServer>,
    progress: Progress,
    mut notes: mpsc::UnboundedReceiver<Note>,
) {
    while let Some(note) = notes.recv().await {
        match note {
            Note::Log(level, text) => {
                let message =
                    LoggingMessageNotificationParam::new(level, json!(text)).with_logger("lovart");
                if let Err(error) = peer.notify_logging_message(message).await {
                    eprintln!("lovart mcp: log notification failed: {error}");
                }
            }
            Note::Progress(message) => progress.report(message).await,
        }
    }
}

/// Bytes in the unit that suits them: `512 B`, `3.5 KiB`, `64.0 MiB`.
fn size_text(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let size = bytes as f64;
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", size / KIB),
        _ => format!("{:.1} MiB", size / (KIB * KIB)),
    }
}
