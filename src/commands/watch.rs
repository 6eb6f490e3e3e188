//! `watch`: send a prompt (or attach to a thread) and stream NDJSON events as
//! artifacts land on disk.
//!
//! Events, one JSON object per line, flushed at once: `started`; `artifact`
//! once per URL; `pending_confirmation`; `error` (the loop goes on);
//! `finished` last, with `final_status` and `artifact_count`. The following
//! is the engine's ([`lovart_core::flow::watch`]: the one poll, each status
//! read a round of result and new downloads); this command sends, prints
//! `started` and `finished`, and renders the rest. On Ctrl-C the last line is a `finished` event with `final_status`
//! "interrupted". At a terminal, a spinner on stderr shows the thread's status.

use std::sync::Arc;

use anyhow::Result;
use serde_json::{Value, json};

use crate::cli::WatchArgs;
use crate::terminal::print_line;
use crate::terminal::spinner::Spinner;
use lovart_core::events::{Event, EventSink, Events};
use lovart_core::failure::InvalidInput;
use lovart_core::files::record::Origin;
use lovart_core::flow::generate::Request;
use lovart_core::flow::interrupt::Interrupted;
use lovart_core::flow::project;
use lovart_core::flow::watch::Follow;
use lovart_core::python::dumps_compact;
use lovart_core::session::{Sent, Session};
use lovart_core::settings::Settings;

pub async fn run(args: WatchArgs, ctx: &Settings) -> Result<()> {
    let session = Session::new(ctx)?;
    let timeout = ctx.timeout()?;
    let thread_flag = args.thread_id.clone().filter(|id| !id.is_empty());
    let thread_flag = lovart_core::flow::threads::resolve_optional(ctx, thread_flag.as_deref())?;
    let prompt = args.prompt.clone().filter(|prompt| !prompt.is_empty());
    if thread_flag.is_none() && prompt.is_none() {
        return Err(InvalidInput("watch requires either --thread-id or --prompt".into()).into());
    }
    if args.interval <= 0 {
        return Err(InvalidInput(format!(
            "--interval must be a positive number of seconds, got {}",
            args.interval
        ))
        .into());
    }
    lovart_core::download::ensure_output_dir(&args.output_dir)?;

    let (thread_id, project_id, origin) = match (thread_flag, prompt) {
        (Some(thread_id), None) => (
            thread_id.clone(),
            project::given_or_active(ctx, args.project_id.as_deref())?,
            lovart_core::flow::threads::origin_of(ctx, &thread_id),
        ),
        // A prompt is sent (into the given thread, when there is one), then watched.
        (thread_flag, Some(prompt)) => {
            let request = Request {
                prompt: prompt.clone(),
                project_id: args.project_id.clone(),
                thread_id: thread_flag,
                attachments: args.attachments.clone().unwrap_or_default(),
                mode: args.mode.map(Into::into),
                ..Request::default()
            };
            let Sent {
                thread_id,
                project_id,
            } = session.send(request).await?;
            let origin = Origin {
                prompt: Some(prompt),
                thread_id: Some(thread_id.clone()),
                project_id: Some(project_id.clone()),
            };
            (thread_id, Some(project_id), origin)
        }
        (None, None) => unreachable!("checked above"),
    };

    emit(&json!({"event": "started", "thread_id": thread_id, "project_id": project_id}));
    let spinner = Arc::new(Spinner::start(ctx.progress, "watching"));
    let events = EventSink::new(WatchOutput {
        spinner: spinner.clone(),
        others: ctx.events.clone(),
    });
    let follow = Follow {
        thread_id: &thread_id,
        timeout,
        interval: ctx.waits.seconds(args.interval as f64),
        output_dir: &args.output_dir,
        files: args.files.options(origin),
    };
    let downloader = ctx.downloader()?;
    let followed =
        lovart_core::flow::watch::follow(session.client(), &downloader, &events, follow).await;
    spinner.finish();
    emit(&json!({
        "event": "finished",
        "thread_id": thread_id,
        "final_status": followed.final_status,
        "artifact_count": followed.artifact_count,
    }));
    if let Some(signal) = followed.stopped_by {
        crate::terminal::print_resume_hint(&thread_id);
        return Err(Interrupted(signal).into());
    }
    ctx.events.emit(Event::Settled(followed.final_status));
    Ok(())
}

fn emit(event: &Value) {
    print_line(&dumps_compact(event, false));
}

/// Watch's output: its NDJSON lines on stdout (with the spinner off the
/// screen), each status on the spinner, everything else as the CLI says it.
struct WatchOutput {
    spinner: Arc<Spinner>,
    others: EventSink,
}

impl Events for WatchOutput {
    fn emit(&self, event: Event<'_>) {
        match event {
            Event::WatchLine(line) => self.spinner.suspend(|| print_line(line)),
            Event::Status(word) => self
                .spinner
                .set_message(&format!("watching · status {word}")),
            other => self.others.emit(other),
        }
    }
}
