//! `watch`: send a prompt (or attach to a thread) and stream NDJSON events as
//! artifacts land on disk.
//!
//! Events, one JSON object per line, flushed at once: `started`; `artifact`
//! once per URL; `pending_confirmation`; `error` (the loop goes on);
//! `finished` last, with `final_status` and `artifact_count`. Each round reads
//! the status, then the result, then downloads what is new; "done" stops at
//! once. On Ctrl-C the last line is a `finished` event with `final_status`
//! "interrupted". At a terminal, a spinner on stderr shows the thread's status.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::Result;
use serde_json::{Value, json};
use tokio::time::Instant;

use lovart_wire::reply::{ResultView, ThreadStatus, fields};

use crate::cli::WatchArgs;
use crate::terminal::print_line;
use crate::terminal::spinner::Spinner;
use lovart_core::api::ApiClient;
use lovart_core::download::{Downloader, FileOptions, collect_artifacts};
use lovart_core::events::Event;
use lovart_core::failure::InvalidInput;
use lovart_core::files::record::Origin;
use lovart_core::flow::interrupt::{Interrupted, stop_signal};
use lovart_core::flow::project;
use lovart_core::flow::send::{Message, send_and_record, upload_local_files};
use lovart_core::python::{dumps_compact, is_truthy};
use lovart_core::settings::Settings;

pub async fn run(args: WatchArgs, ctx: &Settings) -> Result<()> {
    let client = ctx.api()?;
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
            let project_id =
                project::given_or_new(&client, ctx, args.project_id.as_deref()).await?;
            let attachments = args.attachments.clone().unwrap_or_default();
            let message = Message {
                prompt: prompt.clone(),
                thread_id: thread_flag,
                attachments: upload_local_files(&client, &ctx.events, attachments).await?,
                mode: args.mode.map(Into::into),
                ..Default::default()
            };
            let thread_id = send_and_record(&client, ctx, &project_id, message).await?;
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
    let spinner = Spinner::start(ctx.progress, "watching");
    let mut stream = ArtifactStream {
        spinner: &spinner,
        client: &client,
        downloader: ctx.downloader()?,
        thread_id: &thread_id,
        output_dir: &args.output_dir,
        files: args.files.options(origin),
        seen: HashSet::new(),
    };
    let interval = ctx.waits.seconds(args.interval as f64);
    let (final_status, stopped_by) = tokio::select! {
        status = stream.follow(timeout, interval) => (status, None),
        signal = stop_signal() => ("interrupted", Some(signal)),
    };
    spinner.finish();
    emit(&json!({
        "event": "finished",
        "thread_id": thread_id,
        "final_status": final_status,
        "artifact_count": stream.seen.len(),
    }));
    if let Some(signal) = stopped_by {
        crate::terminal::print_resume_hint(&thread_id);
        return Err(Interrupted(signal).into());
    }
    ctx.events.emit(Event::Settled(final_status));
    Ok(())
}

fn emit(event: &Value) {
    print_line(&dumps_compact(event, false));
}

/// The polling loop of one watched thread.
struct ArtifactStream<'a> {
    client: &'a ApiClient,
    /// The thread's status at a terminal (stderr); NDJSON lines are written
    /// with it off the screen.
    spinner: &'a Spinner,
    downloader: Downloader,
    thread_id: &'a str,
    output_dir: &'a str,
    /// `--name`, `--sidecar`, and what the records say of the thread.
    files: FileOptions,
    /// URLs already reported.
    seen: HashSet<String>,
}

impl ArtifactStream<'_> {
    fn emit(&self, event: &Value) {
        self.spinner.suspend(|| emit(event));
    }

    /// Rounds until the thread settles or `timeout` passes; returns `final_status`.
    async fn follow(&mut self, timeout: Duration, interval: Duration) -> &'static str {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.round().await {
                Ok(Some(final_status)) => return final_status,
                Ok(None) => {}
                Err(error) => {
                    self.emit(&json!({"event": "error", "message": format!("{error:#}")}));
                }
            }
            tokio::time::sleep(interval).await;
        }
        "timeout"
    }

    /// One round: status, result, downloads, events. `Some` when the thread settled.
    async fn round(&mut self) -> Result<Option<&'static str>> {
        let status_answer = self.client.status(self.thread_id).await?;
        // A missing (or non-string) status counts as running.
        let status = status_answer
            .get(fields::STATUS)
            .and_then(Value::as_str)
            .map_or(ThreadStatus::Running, ThreadStatus::parse);
        if let Some(word) = status_answer.get(fields::STATUS).and_then(Value::as_str) {
            self.spinner
                .set_message(&format!("watching · status {word}"));
        }
        let result = self.client.result(self.thread_id).await?;
        let downloads = self
            .downloader
            .download_all(
                &collect_artifacts(&result),
                self.output_dir,
                "lovart",
                &self.files,
            )
            .await?;
        for download in downloads {
            let Some(url) = download.get("url").and_then(Value::as_str) else {
                continue;
            };
            // Failed downloads are not reported and are tried again next round;
            // files already on disk (from an earlier run) are reported once.
            let on_disk = download.get("local_path").is_some_and(is_truthy);
            if self.seen.contains(url) || !on_disk {
                continue;
            }
            self.seen.insert(url.to_string());
            self.emit(&json!({
                "event": "artifact",
                "type": download.get("type").cloned().unwrap_or(Value::Null),
                "url": url,
                "local_path": download.get("local_path").cloned().unwrap_or(Value::Null),
            }));
        }
        if let Some(pending) = ResultView(&result).pending_confirmation() {
            self.emit(&json!({
                "event": "pending_confirmation",
                "thread_id": self.thread_id,
                "pending_confirmation": pending,
            }));
            return Ok(Some("pending_confirmation"));
        }
        Ok(match status {
            ThreadStatus::Abort => Some("abort"),
            ThreadStatus::Done => Some("done"),
            _ => None,
        })
    }
}
