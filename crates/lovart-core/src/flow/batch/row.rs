//! One row of a batch: sent with its journaled Idempotency-Key, waited on
//! with polls paced by the shared query budget, shaped into its output line.
//!
//! Every API call goes through [`Shared::call`]: it takes the call's tier
//! from the limiter first, and a 429 that still arrives pauses that tier for
//! its `Retry-After` and tries again. A 409 (the row's thread is busy) waits
//! and retries this row only. A send that got no answer is retried with the
//! same key; a send the API answered with a refusal is journaled `rejected`.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use lovart_wire::paths::Tier;
use lovart_wire::reply::{ArtifactView, ResultView};
use serde_json::{Map, Value, json};

use super::journal::{Journal, RowState};
use super::limiter::RateLimiter;
use super::rows::Row;
use crate::api::{ApiClient, ApiError, ApiErrorKind, ToolConfig};
use crate::download::{Downloader, FileOptions, collect_artifacts};
use crate::events::EventSink;
use crate::failure::{ErrorObject, Kind, api_kind, in_thread};
use crate::files::record::Origin;
use crate::flow::outcome::mark_generation_outcome;
use crate::flow::poll::{Settled, ThreadSource, poll_until_settled};
use crate::flow::send::{
    Message, outcome_unknown, remember_send, unknown_outcome, upload_local_files,
};
use crate::flow::settle::estimated_cost;
use crate::settings::Settings;
use crate::state::pending_sends::PendingSend;
use crate::timing::Deadline;

/// Tries of a call that keeps answering 429 before the row gives up.
const MAX_RATE_LIMITED_TRIES: u32 = 8;
/// Tries of a send that got no answer (same key each time).
const MAX_UNANSWERED_SENDS: u32 = 3;
/// `Retry-After` assumed when a 429 names none (the API's own value).
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Counters the summary and the progress display read.
#[derive(Debug, Default)]
pub struct Stats {
    pub rate_limited: AtomicU64,
    pub busy_retries: AtomicU64,
    pub sends: AtomicU64,
    /// Query calls not yet journaled.
    pub unjournaled_queries: AtomicU64,
    /// Rows sent and being polled now.
    pub in_flight: AtomicUsize,
}

/// What every row shares.
pub struct Shared<'a> {
    pub ctx: &'a Settings,
    pub client: ApiClient,
    pub limiter: RateLimiter,
    pub journal: Journal,
    pub project_id: String,
    pub settings: &'a super::BatchOptions,
    /// `LOVART_RATE_SCALE`: multiplies the windows and every `Retry-After`.
    pub rate_scale: f64,
    /// The records of sends that got no answer, held (locked) until the batch
    /// ends: another row of the same request in this batch is a request of
    /// its own, while a later run (of anything) reuses their keys.
    pub unanswered: std::sync::Mutex<Vec<PendingSend>>,
    pub stats: Stats,
    /// One downloader for every row (with `--download`), so the transfers of
    /// all rows together stay within its bound.
    pub downloader: Option<Downloader>,
}

/// How a row ended.
pub struct Outcome {
    /// The printed line's object.
    pub output: Map<String, Value>,
    /// `final_status` is `done` and there was no error.
    pub done: bool,
    /// The row's error, for the batch's exit code.
    pub error: Option<anyhow::Error>,
}

/// A journal write failed: the batch stops, since its record is unknown.
#[derive(Debug)]
pub struct JournalFailed(pub String);

impl std::fmt::Display for JournalFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JournalFailed {}

fn journal_failed(error: std::io::Error) -> anyhow::Error {
    JournalFailed(format!("cannot write the batch journal: {error}")).into()
}

impl Shared<'_> {
    /// One API call of `tier` through the limiter; a 429 pauses the tier for
    /// its `Retry-After` and the call is made again.
    pub async fn call<T, F, Fut>(&self, tier: Tier, call: F) -> Result<T, ApiError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            let sent = self.limiter.acquire(tier).await;
            if tier == Tier::Query {
                self.stats
                    .unjournaled_queries
                    .fetch_add(1, Ordering::Relaxed);
            }
            let answer = call().await;
            self.limiter.completed(tier, sent);
            match answer {
                Err(error) if error.status == Some(429) && tries < MAX_RATE_LIMITED_TRIES => {
                    self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                    let wait = error.retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
                    self.limiter.pause(tier, wait.mul_f64(self.rate_scale));
                }
                other => return other,
            }
        }
    }
}

/// A row's polls go through the limiter, and rest as long as the threads in
/// flight need to stay within the query budget together.
impl ThreadSource for Shared<'_> {
    async fn status_word(&self, thread_id: &str) -> Result<String, ApiError> {
        self.call(Tier::Query, || self.client.status_word(thread_id))
            .await
    }

    async fn result(&self, thread_id: &str) -> Result<Map<String, Value>, ApiError> {
        self.call(Tier::Query, || self.client.result(thread_id))
            .await
    }

    /// The base interval, longer when many threads are in flight.
    fn poll_interval(&self) -> Duration {
        let in_flight = self.stats.in_flight.load(Ordering::Relaxed);
        self.limiter
            .poll_interval_now(in_flight, self.ctx.waits.poll_interval())
    }
}

/// Counts a row as in flight while it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Works one row from where the journal left it. `Err` only when the
/// journal cannot be written (the batch must stop).
pub async fn process(shared: &Shared<'_>, row: &Row, state: Option<RowState>) -> Result<Outcome> {
    let mut output = Map::new();
    output.insert("id".into(), json!(&*row.id));
    output.insert("line".into(), json!(row.line));
    output.insert("prompt".into(), json!(&*row.prompt));
    let sent = match state {
        Some(RowState::Sent {
            thread_id,
            project_id,
        }) => Ok((thread_id, project_id)),
        Some(RowState::Uncertain { idempotency_key }) => {
            send(shared, row, Some(idempotency_key)).await
        }
        Some(RowState::Settled(_)) | None => send(shared, row, None).await,
    };
    let (thread_id, project_id) = match sent {
        Ok(sent) => sent,
        Err(error) if error.is::<JournalFailed>() => return Err(error),
        Err(error) => {
            output.insert("thread_id".into(), Value::Null);
            output.insert("project_id".into(), json!(shared.project_id));
            return Ok(failed(output, None, error));
        }
    };
    output.insert("thread_id".into(), json!(thread_id));
    output.insert("project_id".into(), json!(project_id));
    let _in_flight = InFlight::enter(&shared.stats.in_flight);
    match settle(shared, &thread_id).await {
        Ok((settled, result)) => {
            let final_status = settled.as_str();
            output.insert("final_status".into(), json!(final_status));
            add_result(&mut output, &settled, result.as_ref());
            let origin = Origin {
                prompt: Some(row.prompt.to_string()),
                thread_id: Some(thread_id.clone()),
                project_id: Some(project_id.clone()),
            };
            match download(shared, row, result.as_ref(), origin).await {
                Ok(downloaded) => {
                    output.insert("downloaded".into(), downloaded);
                }
                Err(error) => return Ok(failed(output, Some(&thread_id), error)),
            }
            output.insert("error".into(), Value::Null);
            if settled != Settled::Timeout {
                shared
                    .journal
                    .settled(&row.id, &Value::Object(output.clone()))
                    .map_err(journal_failed)?;
            }
            Ok(Outcome {
                done: settled == Settled::Done,
                output,
                error: None,
            })
        }
        Err(error) => Ok(failed(output, Some(&thread_id), error)),
    }
}

/// The output of a row that failed: every key present, `error` set.
fn failed(
    mut output: Map<String, Value>,
    thread_id: Option<&str>,
    error: anyhow::Error,
) -> Outcome {
    let error = match thread_id {
        Some(thread_id) => in_thread(thread_id, error),
        None => error,
    };
    for key in [
        "final_status",
        "generation_succeeded",
        "artifacts",
        "downloaded",
    ] {
        output.entry(key).or_insert(Value::Null);
    }
    let object = ErrorObject::of(&error).to_json();
    output.insert(
        "error".into(),
        object.get("error").cloned().unwrap_or(Value::Null),
    );
    Outcome {
        output,
        done: false,
        error: Some(error),
    }
}

/// Sends the row (its key journaled first): with the key of its journaled
/// unanswered send, else the one on record for the same request
/// ([`remember_send`]), else a new one. Returns (thread, project).
async fn send(
    shared: &Shared<'_>,
    row: &Row,
    journaled_key: Option<String>,
) -> Result<(String, String)> {
    let options = row.options();
    let attachments = {
        let local = options
            .attachments
            .iter()
            .filter(|a| !a.contains("://") && std::path::Path::new(a).is_file())
            .count();
        for _ in 0..local {
            let _ = shared.limiter.acquire(Tier::Query).await;
        }
        upload_local_files(
            &shared.client,
            &shared.ctx.events,
            options.attachments.clone(),
        )
        .await?
    };
    let mode = options.mode.or(shared.settings.mode);
    let request = Message {
        prompt: row.prompt.to_string(),
        thread_id: options.thread_id.clone(),
        attachments,
        mode,
        tools: ToolConfig {
            prefer_tool_categories: options.prefer_models_value(),
            include_tools: options.include_tools.clone(),
            exclude_tools: options.exclude_tools.clone(),
        },
    }
    .into_request(&shared.project_id);
    let pending = remember_send(&shared.client, shared.ctx, &request, journaled_key).await;
    let key = pending.idempotency_key.clone();
    let key = key.as_str();
    let deadline = Deadline::after(shared.settings.timeout);
    let mut unanswered = 0;
    loop {
        shared
            .journal
            .sending(&row.id, row.line, key)
            .map_err(journal_failed)?;
        shared.stats.sends.fetch_add(1, Ordering::Relaxed);
        let answer = shared
            .call(Tier::Chat, || shared.client.send_with_key(&request, key))
            .await;
        let error = match answer {
            Ok(thread_id) => {
                pending.answered();
                shared
                    .journal
                    .sent(&row.id, &thread_id, &shared.project_id)
                    .map_err(journal_failed)?;
                return Ok((thread_id, shared.project_id.clone()));
            }
            Err(error) => error,
        };
        let busy = api_kind(&error) == Kind::ThreadBusy;
        let unanswered_send =
            error.kind == ApiErrorKind::Connection || matches!(error.status, Some(408 | 500..=599));
        if busy && !deadline.passed() {
            // The row's thread still works on an earlier message.
            shared.stats.busy_retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(shared.poll_interval()).await;
            continue;
        }
        if unanswered_send && unanswered < MAX_UNANSWERED_SENDS {
            unanswered += 1;
            tokio::time::sleep(shared.ctx.waits.get_retry(unanswered)).await;
            continue;
        }
        if outcome_unknown(&error) {
            if let Ok(mut held) = shared.unanswered.lock() {
                held.push(pending);
            }
            return Err(unknown_outcome(error));
        }
        pending.answered();
        if !unanswered_send && error.status != Some(429) {
            // Answered and refused: nothing was started, the next run sends afresh.
            shared.journal.rejected(&row.id).map_err(journal_failed)?;
        }
        return Err(error.into());
    }
}

/// Polls the thread until it settles (confirming a pending step when
/// `--max-credits` allows it), then fetches the result unless pending.
async fn settle(
    shared: &Shared<'_>,
    thread_id: &str,
) -> Result<(Settled, Option<Map<String, Value>>)> {
    let deadline = Deadline::after(shared.settings.timeout);
    loop {
        // A row's first status comes one (shared) interval after its send.
        tokio::time::sleep(shared.poll_interval()).await;
        let recheck = shared.ctx.waits.done_recheck();
        let (settled, looked) = poll_until_settled(
            shared,
            thread_id,
            deadline,
            Some(recheck),
            &EventSink::silent(),
        )
        .await?;
        if let Settled::PendingConfirmation(pending) = &settled {
            let allowed = shared
                .settings
                .max_credits
                .zip(estimated_cost(pending))
                .is_some_and(|(limit, cost)| cost <= limit);
            if allowed && !deadline.passed() {
                shared
                    .call(Tier::Chat, || shared.client.confirm(thread_id))
                    .await
                    .map_err(|error| crate::flow::settle::confirm_failed(thread_id, error))?;
                continue;
            }
            return Ok((settled, None));
        }
        let result = match looked {
            Some(result) => result,
            None => ThreadSource::result(shared, thread_id).await?,
        };
        return Ok((settled, Some(result)));
    }
}

/// `generation_succeeded`, `artifacts` (type and URL of each), the text-only
/// `warning`/`agent_message`, or `pending_confirmation`.
fn add_result(
    output: &mut Map<String, Value>,
    settled: &Settled,
    result: Option<&Map<String, Value>>,
) {
    let mut succeeded = Value::Null;
    let mut artifacts = Vec::new();
    let mut text_only = Vec::new();
    if let Some(result) = result {
        for item in ResultView(result).items() {
            if let Some(Value::Array(list)) = item.get(lovart_wire::reply::fields::ARTIFACTS) {
                for artifact in list.iter().map(ArtifactView) {
                    artifacts.push(json!({
                        "type": artifact.kind(),
                        "content": artifact.content(),
                    }));
                }
            }
        }
        if *settled == Settled::Done {
            let mut marked = result.clone();
            mark_generation_outcome(&mut marked);
            succeeded = marked
                .get("generation_succeeded")
                .cloned()
                .unwrap_or(Value::Null);
            for key in ["warning", "agent_message"] {
                if let Some(value) = marked.get(key) {
                    text_only.push((key, value.clone()));
                }
            }
        }
    }
    output.insert("generation_succeeded".into(), succeeded);
    output.insert("artifacts".into(), Value::Array(artifacts));
    for (key, value) in text_only {
        output.insert(key.into(), value);
    }
    if let Settled::PendingConfirmation(pending) = settled {
        output.insert("pending_confirmation".into(), pending.clone());
    }
}

/// The row's downloads when `--download` was given (`null` otherwise).
async fn download(
    shared: &Shared<'_>,
    row: &Row,
    result: Option<&Map<String, Value>>,
    origin: Origin,
) -> Result<Value> {
    let (true, Some(result)) = (shared.settings.download, result) else {
        return Ok(Value::Null);
    };
    let output_dir = match &row.options().output_dir {
        Some(dir) => dir.display().to_string(),
        None => shared.settings.output_dir.clone(),
    };
    crate::download::ensure_output_dir(&output_dir)?;
    let fallback;
    let downloader = match &shared.downloader {
        Some(downloader) => downloader,
        None => {
            fallback = Downloader::new(shared.ctx.insecure_tls, shared.ctx.download_limits)?
                .with_warnings(shared.ctx.events.clone())
                .with_history(shared.ctx.history());
            &fallback
        }
    };
    let files = FileOptions {
        name: shared.settings.name.clone(),
        sidecar: shared.settings.sidecar,
        origin,
    };
    let downloaded = downloader
        .download_all(&collect_artifacts(result), &output_dir, "lovart", &files)
        .await
        .with_context(|| format!("cannot download into {output_dir}"))?;
    Ok(Value::Array(downloaded))
}
