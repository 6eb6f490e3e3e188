//! `notifications/progress` while a tool call waits: sent only when the
//! client gave a progress token with the call (the spec forbids others), best
//! effort (a failed notification never fails the call). Each status poll is
//! one step ("status: running", which also keeps clients that reset their
//! timeout on progress waiting); each artifact that lands is one more; a
//! download's bytes are more ([`super::call_events`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};
use tokio::sync::mpsc;

use lovart_core::api::ApiClient;
use lovart_core::download::collect_artifacts;
use lovart_core::events::{Event, EventSink, Events};
use lovart_core::failure::Wording;

/// The progress channel of one tool call (its copies share the step count).
#[derive(Clone)]
pub struct Progress {
    peer: Peer<RoleServer>,
    token: Option<ProgressToken>,
    step: Arc<AtomicU32>,
}

impl Progress {
    pub fn of(request: &RequestContext<RoleServer>) -> Self {
        Self {
            peer: request.peer.clone(),
            token: request.meta.get_progress_token(),
            step: Arc::new(AtomicU32::new(0)),
        }
    }

    /// Whether the client asked for progress.
    pub fn wanted(&self) -> bool {
        self.token.is_some()
    }

    /// One more step, with a message.
    pub async fn report(&self, message: impl Into<String>) {
        let Some(token) = &self.token else { return };
        let step = self.step.fetch_add(1, Ordering::Relaxed) + 1;
        let notification =
            ProgressNotificationParam::new(token.clone(), f64::from(step)).with_message(message);
        if let Err(error) = self.peer.notify_progress(notification).await {
            eprintln!("lovart mcp: progress notification failed: {error}");
        }
    }

    /// Turns a thread's status polls into progress, and looks for artifacts
    /// that landed after each poll. Runs until the observer is dropped.
    pub async fn relay(&self, client: &ApiClient, thread_id: &str, mut polls: Polls) {
        let mut seen = HashSet::new();
        while let Some(mut status) = polls.0.recv().await {
            // Behind by more than one poll: only the latest counts.
            while let Ok(newer) = polls.0.try_recv() {
                status = newer;
            }
            self.report(format!("status: {status}")).await;
            let Ok(result) = client.result(thread_id).await else {
                continue;
            };
            for artifact in collect_artifacts(&result) {
                if seen.insert(artifact.url.clone()) {
                    let kind = artifact.kind.as_str().unwrap_or("artifact");
                    self.report(format!("{kind} ready: {}", artifact.url)).await;
                }
            }
        }
    }
}

/// The receiving end of a [`StatusSender`].
pub struct Polls(mpsc::UnboundedReceiver<String>);

/// The events of a tool call: passes each status word to [`Progress::relay`],
/// and every event (the status too) to the call's own sink.
pub struct StatusSender(mpsc::UnboundedSender<String>, EventSink);

/// A connected observer and receiver; events other than a status go to `rest`.
pub fn status_channel(rest: EventSink) -> (StatusSender, Polls) {
    let (sender, receiver) = mpsc::unbounded_channel();
    (StatusSender(sender, rest), Polls(receiver))
}

impl Events for StatusSender {
    fn emit(&self, event: Event<'_>) {
        if let Event::Status(status) = event {
            let _ = self.0.send(status.to_string());
        }
        self.1.emit(event);
    }
}

/// The server's own events: warnings and notes on stderr, the server's log
/// (stdout carries JSON-RPC only); nothing drawn, no advice for a terminal.
pub struct Log;

impl Events for Log {
    fn emit(&self, event: Event<'_>) {
        match event {
            Event::Warning(text) | Event::Line(text) => eprintln!("lovart mcp: {text}"),
            Event::UnknownTool { name, suggestions } => eprintln!(
                "lovart mcp: {}",
                lovart_core::catalog::unknown_tool_warning(name, suggestions, Wording::Mcp)
            ),
            Event::Notice(text) => eprintln!("lovart mcp: warning: {text}"),
            Event::Uploaded { file, url } => eprintln!("lovart mcp: uploaded {file} -> {url}"),
            Event::AutoConfirmed { cost, limit } => eprintln!(
                "lovart mcp: confirming: the step costs about {cost} credits (max_credits {limit})"
            ),
            _ => {}
        }
    }
}
