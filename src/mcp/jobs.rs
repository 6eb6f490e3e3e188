//! The generation tools: `generate` (as `chat`), `wait` and `confirm`, each
//! within a wall-clock budget (`wait_seconds`, not scaled by
//! `LOVART_WAIT_SCALE`). When the budget runs out while the thread still
//! runs, `final_status` is "running" rather than the CLI's "timeout": the
//! assistant calls `wait`. A pending high-cost step is returned as
//! "pending_confirmation", unless the client can ask its user (elicitation)
//! and the user approves; nothing is confirmed without the user or
//! `max_credits`.
//!
//! `wait_seconds` is one [`Deadline`] for everything after the send: polls,
//! the result call, downloads and the question put to the user all end with
//! it, and the call answers by the deadline plus [`GRACE`] whatever the
//! server or the client does (a result call that never answers, a user who
//! never answers). Work cut off there is dropped (its requests stop, a
//! partial download's temporary file goes) and the call returns
//! `final_status: "running"` with the thread id: `wait` picks it up. Files
//! still downloading at the deadline of a settled thread are handed back
//! instead: the result, with each file's URL in `downloaded` and no local
//! path ([`UNFINISHED_DOWNLOAD`]). The send itself is never cut off: its
//! answer carries the billed thread's id.

use std::time::Duration;

use anyhow::Result;
use lovart_wire::reply::fields;
use rmcp::service::{ElicitationError, ElicitationMode};
use rmcp::{Peer, RoleServer};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use lovart_core::api::{ApiClient, ToolConfig};
use lovart_core::catalog;
use lovart_core::download::{FileOptions, collect_artifacts};
use lovart_core::events::EventSink;
use lovart_core::failure::{InvalidInput, in_thread};
use lovart_core::flow::generate::Request;
use lovart_core::flow::outcome::download_if_asked;
use lovart_core::flow::poll::Settled;
use lovart_core::flow::send::ReasoningMode;
use lovart_core::flow::send::prefer_models_value;
use lovart_core::flow::settle::{PendingShape, settle, settled_output};
use lovart_core::session::Session;
use lovart_core::settings::Settings;
use lovart_core::timing::Deadline;

use super::params::{
    ConfirmParams, DEFAULT_OUTPUT_DIR, GenerateParams, Reasoning, WaitParams, file_options,
};
use super::progress::{Progress, status_channel};
use super::shutdown::{Draining, Stopping};
use lovart_core::files::record::Origin;

/// `wait_seconds` when not given: well under the 60 s many clients allow a call.
pub const DEFAULT_WAIT_SECONDS: f64 = 45.0;
/// The shortest budget: one status poll.
const MIN_WAIT_SECONDS: f64 = 1.0;
/// The longest budget (a day).
const MAX_WAIT_SECONDS: f64 = 86_400.0;
/// The longest the user may take to answer an approval question (the
/// call's budget may cut it shorter).
const ELICITATION_TIMEOUT: Duration = Duration::from_secs(300);

/// How long after its deadline a call may take to shape its answer.
pub const GRACE: Duration = Duration::from_millis(500);

/// What a generation tool call works with.
pub struct Job<'a> {
    pub ctx: &'a Settings,
    pub client: ApiClient,
    pub peer: Peer<RoleServer>,
    pub progress: Progress,
    /// The server's shutdown: waits stop and answer "running".
    pub draining: Draining,
    /// The stdio server's stop: the call answers "running" with its thread at once.
    pub stopping: Stopping,
    /// Whether a pending step may be put to the user with `elicitation/create`
    /// (not inside a task, whose questions go through `tasks/update`).
    pub elicit: bool,
    /// The estimated cost of a step the user approved during the call, when stated.
    pub approved_cost: std::sync::Mutex<Option<f64>>,
}

/// The end of a call's wall-clock budget.
#[derive(Debug, Clone, Copy)]
struct Budget {
    deadline: Deadline,
}

impl Budget {
    fn new(wait_seconds: Option<f64>) -> Result<Self> {
        let seconds = wait_seconds.unwrap_or(DEFAULT_WAIT_SECONDS);
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(InvalidInput(format!(
                "wait_seconds must be a number of seconds >= 0, got {seconds}"
            ))
            .into());
        }
        let seconds = seconds.clamp(MIN_WAIT_SECONDS, MAX_WAIT_SECONDS);
        Ok(Self {
            deadline: Deadline::after(Duration::from_secs_f64(seconds)),
        })
    }

    fn left(self) -> Duration {
        self.deadline.left()
    }

    /// Runs the work after a send until the deadline plus [`GRACE`], or
    /// until the stdio server stops; cut off there, the answer says
    /// "running" with the thread (call `wait`), and the work is dropped (a
    /// partial download's file goes with it).
    async fn bound(
        self,
        stopping: &Stopping,
        thread_id: &str,
        project_id: Option<&str>,
        work: impl Future<Output = Result<Map<String, Value>>>,
    ) -> Result<Map<String, Value>> {
        let outcome = tokio::select! {
            outcome = self.deadline.extended(GRACE).bound(work) => outcome,
            () = stopping.until_requested() => None,
        };
        match outcome {
            Some(outcome) => outcome.map_err(|error| in_thread(thread_id, error)),
            None => Ok(still_running(thread_id, project_id)),
        }
    }
}

/// The answer of a call whose budget ran out before its work finished.
pub fn still_running(thread_id: &str, project_id: Option<&str>) -> Map<String, Value> {
    let mut output = Map::new();
    output.insert(fields::THREAD_ID.into(), json!(thread_id));
    output.insert(fields::PROJECT_ID.into(), json!(project_id));
    output.insert("final_status".into(), json!("running"));
    output.insert(fields::ITEMS.into(), json!([]));
    output
}

/// The user's answer to "confirm this high-cost step?".
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Approval {
    /// Approve the step and spend the credits it states.
    pub confirm: bool,
}
rmcp::elicit_safe!(Approval);

impl From<Reasoning> for ReasoningMode {
    fn from(mode: Reasoning) -> Self {
        match mode {
            Reasoning::Thinking => Self::Thinking,
            Reasoning::Fast => Self::Fast,
        }
    }
}

/// `generate`: `chat`'s flow; the output is what `chat --json` prints.
pub async fn generate(job: &Job<'_>, params: GenerateParams) -> Result<Map<String, Value>> {
    let budget = Budget::new(params.wait_seconds)?;
    let (ctx, client) = (job.ctx, &job.client);
    let prefer_models = params.prefer_models.map(Value::Object);
    let output_dir = params
        .output_dir
        .unwrap_or_else(|| DEFAULT_OUTPUT_DIR.to_string());
    let mut files = file_options(params.name.as_deref(), params.sidecar, Origin::default())?;
    let request = Request {
        prompt: params.prompt,
        project_id: params.project_id,
        thread_id: params.thread_id,
        attachments: params.attachments,
        mode: params.mode.map(Into::into),
        tools: ToolConfig {
            prefer_tool_categories: match prefer_models {
                Some(value) => prefer_models_value(value, "prefer_models")?
                    .map(|value| {
                        catalog::known_categories_only(&value, "prefer_models").map(|()| value)
                    })
                    .transpose()?,
                None => None,
            },
            include_tools: params.include_tools,
            exclude_tools: params.exclude_tools,
        },
        output_dir: params.download.then(|| output_dir.clone()),
    };
    let started = Session::with_client(ctx, client.clone())
        .start(request)
        .await?;
    let (thread_id, project_id) = (&started.thread_id, &started.project_id);
    files.origin = started.origin.clone();
    job.progress
        .report(format!("sent: thread {thread_id}"))
        .await;
    let after_send = async {
        let (settled, approved) = settle_asking(job, thread_id, budget, params.max_credits).await?;
        let pending = matches!(settled, Settled::PendingConfirmation(_));
        let timed_out = settled == Settled::Timeout;
        let mut result = settled_output(
            client,
            thread_id,
            Some(project_id),
            settled,
            PendingShape::Summary,
        )
        .await?;
        // As `chat`: a state that cannot be saved must not lose the billed thread.
        started.finish(client, ctx, &mut result, pending).await;
        let result =
            download_within(job, budget, result, params.download, &output_dir, &files).await?;
        Ok(finished(result, timed_out, approved))
    };
    budget
        .bound(&job.stopping, thread_id, Some(project_id), after_send)
        .await
}

/// `wait`: the output is what `wait --json` prints.
pub async fn wait(job: &Job<'_>, params: WaitParams) -> Result<Map<String, Value>> {
    let on = Waiting {
        thread_id: &params.thread_id,
        budget: Budget::new(params.wait_seconds)?,
        max_credits: params.max_credits,
        download: params.download,
        output_dir: params.output_dir,
        name: params.name,
        sidecar: params.sidecar,
        shape: PendingShape::Summary,
    };
    wait_on(job, on, false).await
}

/// `confirm`: the output is what `confirm --json` prints.
pub async fn confirm(job: &Job<'_>, params: ConfirmParams) -> Result<Map<String, Value>> {
    let on = Waiting {
        thread_id: &params.thread_id,
        budget: Budget::new(params.wait_seconds)?,
        max_credits: params.max_credits,
        download: params.download,
        output_dir: params.output_dir,
        name: params.name,
        sidecar: params.sidecar,
        shape: PendingShape::Result,
    };
    wait_on(job, on, true).await
}

/// A wait on a thread already sent, as `wait` and `confirm` make it.
struct Waiting<'a> {
    thread_id: &'a str,
    budget: Budget,
    max_credits: Option<f64>,
    download: bool,
    output_dir: Option<String>,
    name: Option<String>,
    sidecar: bool,
    shape: PendingShape,
}

/// Confirms first when asked, then waits within the budget, shapes the
/// output as the CLI's `--json` does and downloads when asked.
async fn wait_on(
    job: &Job<'_>,
    on: Waiting<'_>,
    confirm_first: bool,
) -> Result<Map<String, Value>> {
    let output_dir = on
        .output_dir
        .unwrap_or_else(|| DEFAULT_OUTPUT_DIR.to_string());
    // The name template is checked before anything is confirmed.
    let mut files = file_options(on.name.as_deref(), on.sidecar, Origin::default())?;
    // As the CLI's wait and confirm: the folder, a thread prefix, the project, the confirm.
    let attached = Session::with_client(job.ctx, job.client.clone())
        .attach(
            on.thread_id,
            on.download.then_some(output_dir.as_str()),
            confirm_first,
        )
        .await?;
    if confirm_first {
        job.progress.report("confirmed").await;
    }
    files.origin = attached.origin;
    let (thread_id, project_id) = (attached.thread_id.as_str(), attached.project_id);
    let outcome = async {
        let (settled, approved) = settle_asking(job, thread_id, on.budget, on.max_credits).await?;
        let timed_out = settled == Settled::Timeout;
        let result = settled_output(
            &job.client,
            thread_id,
            project_id.as_deref(),
            settled,
            on.shape,
        )
        .await?;
        let result =
            download_within(job, on.budget, result, on.download, &output_dir, &files).await?;
        Ok(finished(result, timed_out, approved))
    };
    on.budget
        .bound(&job.stopping, thread_id, project_id.as_deref(), outcome)
        .await
}

/// The `error` of a file not downloaded by the call's deadline.
pub const UNFINISHED_DOWNLOAD: &str = "not downloaded by the deadline (wait_seconds): fetch it with the `result` tool (download: true)";

/// Downloads when asked, within the budget. Files still on their way at the
/// deadline are handed back, not lost: the result (every artifact's URL in
/// its items) comes back in time with one `downloaded` item per artifact,
/// `local_path: null` and [`UNFINISHED_DOWNLOAD`]; the transfers stop and
/// their partial files go (a `download` call fetches the files, keeping
/// those already whole on disk).
async fn download_within(
    job: &Job<'_>,
    budget: Budget,
    result: Map<String, Value>,
    download: bool,
    output_dir: &str,
    files: &FileOptions,
) -> Result<Map<String, Value>> {
    if !download {
        return Ok(result);
    }
    let handed_back = result.clone();
    let downloading = download_if_asked(result, true, output_dir, files, job.ctx);
    // Half the grace: the rest is for shaping the answer.
    match budget.deadline.extended(GRACE / 2).bound(downloading).await {
        Some(outcome) => outcome,
        None => {
            let mut result = handed_back;
            let unfinished: Vec<Value> = collect_artifacts(&result)
                .into_iter()
                .map(|artifact| {
                    json!({"type": artifact.kind, "url": artifact.url, "local_path": null,
                           "error": UNFINISHED_DOWNLOAD, "new": false})
                })
                .collect();
            result.insert("downloaded".into(), Value::Array(unfinished));
            Ok(result)
        }
    }
}

/// The CLI's output, with "running" for a thread still at work when the
/// budget ran out, and `approved_by_user` when the user approved a step here.
fn finished(mut result: Map<String, Value>, timed_out: bool, approved: bool) -> Map<String, Value> {
    if timed_out {
        result.insert("final_status".into(), json!("running"));
    }
    if approved {
        result.insert("approved_by_user".into(), json!(true));
    }
    result
}

/// Waits for the thread within the budget (with progress when asked); a
/// pending step is put to the user once when the client can ask them.
/// Returns how it settled and whether the user approved a step.
async fn settle_asking(
    job: &Job<'_>,
    thread_id: &str,
    budget: Budget,
    max_credits: Option<f64>,
) -> Result<(Settled, bool)> {
    let mut approved = false;
    loop {
        let settled = tokio::select! {
            settled = settle_reporting(job, thread_id, budget.deadline, max_credits) => settled?,
            // As a budget that ran out: the thread is recorded, `wait` resumes it.
            () = job.draining.until_started() => Settled::Timeout,
        };
        let Settled::PendingConfirmation(pending) = &settled else {
            return Ok((settled, approved));
        };
        if approved || !ask_user(job, pending, budget.left()).await {
            return Ok((settled, approved));
        }
        *job.approved_cost.lock().expect("approved cost lock") =
            lovart_core::flow::settle::estimated_cost(pending);
        lovart_core::flow::settle::confirm_step(&job.client, thread_id).await?;
        job.progress.report("confirmed by the user").await;
        approved = true;
    }
}

/// [`settle`], with a progress step per status poll when the client wants them.
async fn settle_reporting(
    job: &Job<'_>,
    thread_id: &str,
    deadline: Deadline,
    max_credits: Option<f64>,
) -> Result<Settled> {
    let client = &job.client;
    if !job.progress.wanted() {
        return settle(client, job.ctx, thread_id, deadline, max_credits).await;
    }
    let (observer, polls) = status_channel(job.ctx.events.clone());
    let settling = async move {
        // The observer goes with this future (inside the settings), which ends the relay.
        let ctx = job.ctx.for_server().with_events(EventSink::new(observer));
        settle(client, &ctx, thread_id, deadline, max_credits).await
    };
    let relay = job.progress.relay(client, thread_id, polls);
    let (settled, ()) = tokio::join!(settling, relay);
    settled
}

/// Asks the user through elicitation whether to confirm `pending`, within
/// the call's budget; false when the client cannot ask, or the user
/// declines, cancels or does not answer in time.
async fn ask_user(job: &Job<'_>, pending: &Value, left: Duration) -> bool {
    if !job.elicit
        || !job
            .peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
    {
        return false;
    }
    let question = super::confirmation::question(pending);
    let timeout = left
        .min(ELICITATION_TIMEOUT)
        .max(Duration::from_millis(100));
    match job
        .peer
        .elicit_with_timeout::<Approval>(question, Some(timeout))
        .await
    {
        Ok(Some(approval)) => approval.confirm,
        Ok(None) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => false,
        Err(error) => {
            eprintln!("lovart mcp: could not ask the user to confirm: {error}");
            false
        }
    }
}
