//! How `generate`, `wait` and `confirm` answer, by what the client speaks:
//!
//! - a retried call carrying a sealed `requestState` (2026-07-28) resumes the
//!   confirmation it asked about ([`super::confirmation`]): "yes" confirms
//!   and waits, anything else returns the pending output it was given;
//! - a 2026-07-28 client that declares the tasks extension gets a task
//!   ([`super::tasks`]) as soon as the billable step (send, confirm) is done:
//!   the waiting, the question about a high-cost step and the download go on
//!   in the task ([`takes_task`]; a 2025-11-25 session never does, whatever
//!   it declares);
//! - any other call runs as before ([`super::jobs`]); a pending step ends it
//!   with `input_required` when the client speaks 2026-07-28 and can ask its
//!   user, else with `pending_confirmation`.
//!
//! Every finished result registers its files as resources
//! ([`super::resources`]) and carries the step's cost in `_meta` when known.
//! A call the client cancels (or whose request is closed) stops at once, and
//! so does every call and task when the stdio server stops.

use std::sync::Arc;

use anyhow::Result;
use rmcp::RoleServer;
use rmcp::model::{
    CallToolResponse, CallToolResult, CreateTaskResult, InputResponses, MetaObject, ProtocolVersion,
};
use rmcp::service::RequestContext;
use serde_json::{Map, Value, json};

use lovart_core::flow::outcome::download_if_asked;
use lovart_core::flow::settle::estimated_cost;
use lovart_core::settings::Settings;

use super::call_events::CallEvents;
use super::confirmation::{self, Confirmations};
use super::http::files::FilePolicy;
use super::jobs::{self, Job};
use super::params::{ConfirmParams, DEFAULT_OUTPUT_DIR, GenerateParams, WaitParams};
use super::progress::Progress;
use super::results;
use super::tasks::TaskLink;
use super::{LovartServer, Shared};

/// The `_meta` key of a result's cost.
pub const COST_META: &str = "io.lovart/cost";
/// How long one round of a task's wait lasts (its status message is updated after each).
const TASK_ROUND_SECONDS: f64 = 15.0;

/// A generation tool call.
pub enum Call {
    Generate(GenerateParams),
    Wait(WaitParams),
    Confirm(ConfirmParams),
}

/// What happens after the billable step, whatever the tool.
#[derive(Clone)]
struct After {
    download: bool,
    output_dir: Option<String>,
    max_credits: Option<f64>,
    wait_seconds: Option<f64>,
    /// The file name template and sidecar choice of `name`/`sidecar`.
    name: Option<String>,
    sidecar: bool,
}

impl Call {
    /// The thread a `wait` or `confirm` names (as given: maybe a prefix).
    fn thread_given(&self) -> Option<&str> {
        match self {
            Self::Generate(_) => None,
            Self::Wait(params) => Some(&params.thread_id),
            Self::Confirm(params) => Some(&params.thread_id),
        }
    }

    fn tool(&self) -> &'static str {
        match self {
            Self::Generate(_) => "generate",
            Self::Wait(_) => "wait",
            Self::Confirm(_) => "confirm",
        }
    }

    fn after(&self) -> After {
        // The three tools' parameters share these fields by name.
        macro_rules! after_of {
            ($params:expr) => {
                After {
                    download: $params.download,
                    output_dir: $params.output_dir.clone(),
                    max_credits: $params.max_credits,
                    wait_seconds: $params.wait_seconds,
                    name: $params.name.clone(),
                    sidecar: $params.sidecar,
                }
            };
        }
        match self {
            Self::Generate(params) => after_of!(params),
            Self::Wait(params) => after_of!(params),
            Self::Confirm(params) => after_of!(params),
        }
    }
}

/// Answers a generation tool call.
pub async fn answer(
    server: &LovartServer,
    request: &RequestContext<RoleServer>,
    call: Call,
    state: Option<String>,
    responses: Option<InputResponses>,
) -> CallToolResponse {
    let shared = &server.shared;
    let events = shared.call_events(request);
    let given_thread = call.thread_given().map(str::to_string);
    let body = async {
        if let Some(state) = state {
            return resume(shared, request, &call, &state, responses.as_ref()).await;
        }
        if takes_task(request) {
            return start_task(server, request, call).await;
        }
        let ctx = events.settings(&shared.ctx);
        let job = shared.job(&ctx, request, &events, true)?;
        let tool = call.tool();
        let output = events.add_warnings(run(&job, call).await?);
        if Confirmations::can_ask_inline(request)
            && let Some(question) = shared.confirmations.ask(tool, &output)
        {
            return Ok(CallToolResponse::InputRequired(question));
        }
        let approved = job.approved_cost.lock().expect("approved cost lock").take();
        Ok(finish(shared, output, approved.map(Value::from))
            .await
            .into())
    };
    let cut_off = tokio::select! {
        outcome = body => return outcome.unwrap_or_else(|error| results::error(&error).into()),
        () = request.ct.cancelled() => "the call was cancelled by the client",
        () = shared.serving.stopping.until_requested() => super::STOPPED,
    };
    // Cut off (the stop cancels every call too): a thread already sent (or
    // waited on) is named, "running", so the client can pick it up with `wait`.
    // A `wait`'s or `confirm`'s thread as the CLI reads it: a prefix resolved,
    // the project from the state file.
    let attached = |given: String| {
        let ctx = &shared.ctx;
        let thread = lovart_core::flow::threads::resolve_thread_id(ctx, &given).unwrap_or(given);
        let project = lovart_core::flow::threads::origin_of(ctx, &thread).project_id;
        (thread, project)
    };
    let thread = events
        .sent()
        .map(|(thread, project)| (thread, Some(project)))
        .or_else(|| given_thread.map(attached));
    match thread {
        Some((thread, project)) => {
            let output = jobs::still_running(&thread, project.as_deref());
            finish(shared, output, None).await.into()
        }
        None => results::error(&anyhow::anyhow!(cut_off)).into(),
    }
}

/// Runs a call to its end within its budget (today's behaviour).
async fn run(job: &Job<'_>, call: Call) -> Result<Map<String, Value>> {
    match call {
        Call::Generate(params) => jobs::generate(job, params).await,
        Call::Wait(params) => jobs::wait(job, params).await,
        Call::Confirm(params) => jobs::confirm(job, params).await,
    }
}

/// A finished output as a tool result: files registered as resources and
/// linked, the cost in `_meta` (`approved`: the cost of a step the user
/// approved in this call; else a pending step's estimate).
pub async fn finish(
    shared: &Shared,
    output: Map<String, Value>,
    approved: Option<Value>,
) -> CallToolResult {
    let cost = match approved {
        Some(cost) => Some(json!({"estimated_credits": cost, "step": "approved"})),
        None => output
            .get("pending_confirmation")
            .and_then(estimated_cost)
            .map(|cost| json!({"estimated_credits": cost, "step": "pending"})),
    };
    let links = shared.artifacts.register_output(&output);
    let mut result = results::generation(output, links, shared.ctx.inline_image_bytes).await;
    if let FilePolicy::Confined { .. } = shared.serving.files {
        result = super::http::links::for_remote_client(result);
    }
    if let Some(cost) = cost {
        let mut meta = MetaObject::default();
        meta.0.insert(COST_META.into(), cost);
        result.meta = Some(meta);
    }
    result
}

/// The retry of a call that ended `input_required`.
async fn resume(
    shared: &Shared,
    request: &RequestContext<RoleServer>,
    call: &Call,
    state: &str,
    responses: Option<&InputResponses>,
) -> Result<CallToolResponse> {
    let resumed = shared.confirmations.resume(call.tool(), state, responses)?;
    let cost = resumed
        .pending_output
        .get("pending_confirmation")
        .and_then(estimated_cost);
    if !resumed.approved {
        return Ok(finish(shared, resumed.pending_output, None).await.into());
    }
    let after = call.after();
    let events = shared.call_events(request);
    let ctx = events.settings(&shared.ctx);
    let job = shared.job(&ctx, request, &events, true)?;
    let mut output = jobs::confirm(&job, confirm_params(&resumed.thread_id, &after)).await?;
    output = events.add_warnings(output);
    output.insert("approved_by_user".into(), json!(true));
    if let Some(question) = shared.confirmations.ask(call.tool(), &output) {
        // A further high-cost step: ask again.
        return Ok(CallToolResponse::InputRequired(question));
    }
    Ok(finish(shared, output, cost.map(Value::from)).await.into())
}

fn confirm_params(thread_id: &str, after: &After) -> ConfirmParams {
    ConfirmParams {
        thread_id: thread_id.to_string(),
        wait_seconds: after.wait_seconds,
        download: after.download,
        output_dir: after.output_dir.clone(),
        max_credits: after.max_credits,
        name: after.name.clone(),
        sidecar: after.sidecar,
    }
}

/// Whether this call may be answered with a task: only a 2026-07-28 request
/// that declares the tasks extension. The extension's task handle
/// (`resultType: "task"`) is a 2026-07-28 result; a 2025-11-25 session that
/// lists the extension (the MCP Inspector 2.12 does, by default) reads it as
/// a plain result with no content. The 2025-11-25 core tasks (a request's
/// `task` parameter, `tasks/result`) are not offered: rmcp 3.11 drops that
/// parameter and serves no `tasks/result`, and lovart declares no legacy
/// `tasks` capability, so no conforming 2025-11-25 client asks for one.
fn takes_task(request: &RequestContext<RoleServer>) -> bool {
    speaks_2026(request)
        && request
            .client_capabilities()
            .is_some_and(|capabilities| capabilities.supports_tasks())
}

/// Whether the request speaks protocol 2026-07-28 or later (its
/// capabilities come with each request; no server-to-client requests).
pub fn speaks_2026(request: &RequestContext<RoleServer>) -> bool {
    request
        .protocol_version()
        .is_some_and(|version| version.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

/// Does the billable step now, then answers with a task that does the rest.
async fn start_task(
    server: &LovartServer,
    request: &RequestContext<RoleServer>,
    call: Call,
) -> Result<CallToolResponse> {
    let shared = &server.shared;
    let after = call.after();
    // The first step waits one poll, without asking or downloading.
    let quick = Some(1.0);
    let events = shared.call_events(request);
    let ctx = events.settings(&shared.ctx);
    let job = shared.job(&ctx, request, &events, false)?;
    let (thread_id, first) = match call {
        Call::Generate(mut params) => {
            params.wait_seconds = quick;
            params.download = false;
            let output = events.add_warnings(jobs::generate(&job, params).await?);
            (text(&output, "thread_id"), Some(output))
        }
        Call::Confirm(mut params) => {
            params.wait_seconds = quick;
            params.download = false;
            let thread_id = params.thread_id.clone();
            (thread_id, Some(jobs::confirm(&job, params).await?))
        }
        Call::Wait(params) => {
            if server.shared.tasks.is_working(&params.thread_id) {
                let task = server.shared.tasks.get(&params.thread_id).map(|t| t.task);
                if let Some(task) = task {
                    return Ok(CreateTaskResult::new(task).into());
                }
            }
            (params.thread_id, None)
        }
    };
    let task = spawn_task(server, request, &thread_id, after, first);
    Ok(CreateTaskResult::new(task).into())
}

/// `tasks/get` of a thread this process does not know: waits on it again
/// (with the defaults: download into /tmp/lovart).
pub fn resume_task(
    server: &LovartServer,
    request: &RequestContext<RoleServer>,
    thread_id: &str,
) -> rmcp::model::Task {
    let after = After {
        download: true,
        output_dir: server.shared.serving.files.output_dir(None),
        max_credits: None,
        wait_seconds: None,
        name: None,
        sidecar: false,
    };
    spawn_task(server, request, thread_id, after, None)
}

fn spawn_task(
    server: &LovartServer,
    request: &RequestContext<RoleServer>,
    thread_id: &str,
    after: After,
    first: Option<Map<String, Value>>,
) -> rmcp::model::Task {
    let shared = server.shared.clone();
    // The work outlives the request: no progress token, no elicitation.
    let mut quiet = request.clone();
    quiet.meta = Default::default();
    let id = thread_id.to_string();
    let stopping = shared.serving.stopping.clone();
    server.shared.tasks.start(
        thread_id,
        "Lovart status: running",
        move |link| async move {
            let work = task_work(&shared, &quiet, &id, after, first, &link);
            let outcome = tokio::select! {
                outcome = work => outcome,
                () = stopping.until_requested() => Err(anyhow::anyhow!(super::STOPPED)),
            };
            outcome.unwrap_or_else(|error| {
                results::error(&lovart_core::failure::in_thread(&id, error))
            })
        },
    )
}

/// A task's work: wait in rounds (the status message follows Lovart's
/// status), ask about a high-cost step through the task, download at the end.
async fn task_work(
    shared: &Arc<Shared>,
    request: &RequestContext<RoleServer>,
    thread_id: &str,
    after: After,
    first: Option<Map<String, Value>>,
    link: &TaskLink,
) -> Result<CallToolResult> {
    // The task outlives its request: events go to the server's log only.
    let job = shared.job(&shared.ctx, request, &shared.call_events(request), false)?;
    let round = |confirm_first: bool| {
        let wait = WaitParams {
            thread_id: thread_id.to_string(),
            wait_seconds: Some(TASK_ROUND_SECONDS),
            download: false,
            output_dir: None,
            max_credits: after.max_credits,
            name: None,
            sidecar: false,
        };
        let job = &job;
        async move {
            if confirm_first {
                let params = ConfirmParams {
                    thread_id: wait.thread_id,
                    wait_seconds: wait.wait_seconds,
                    download: false,
                    output_dir: None,
                    max_credits: wait.max_credits,
                    name: None,
                    sidecar: false,
                };
                jobs::confirm(job, params).await
            } else {
                jobs::wait(job, wait).await
            }
        }
    };
    let mut output = match first {
        Some(output) => output,
        None => round(false).await?,
    };
    let mut approved = None;
    loop {
        match text(&output, "final_status").as_str() {
            // The server is stopping: the task ends "running"; the thread
            // resumes with `wait` or the task's id after the restart.
            "running" if shared.serving.draining.started() => break,
            "running" => {
                let status = Some(text(&output, "status"))
                    .filter(|status| !status.is_empty())
                    .unwrap_or_else(|| "running".to_string());
                link.status(format!("Lovart status: {status}"));
                output = round(false).await?;
            }
            "pending_confirmation" => {
                let pending = output
                    .get("pending_confirmation")
                    .cloned()
                    .unwrap_or(Value::Null);
                link.status("Lovart status: waiting for the user's approval of a high-cost step");
                let answer = link
                    .ask(confirmation::INPUT_KEY, confirmation::elicitation(&pending))
                    .await;
                if !answer.as_ref().is_some_and(confirmation::approves) {
                    break;
                }
                approved = estimated_cost(&pending).map(Value::from);
                output = round(true).await?;
                output.insert("approved_by_user".into(), json!(true));
            }
            status => {
                link.status(format!("Lovart status: {status}"));
                break;
            }
        }
    }
    if after.download && text(&output, "final_status") != "pending_confirmation" {
        let dir = after
            .output_dir
            .clone()
            .unwrap_or_else(|| DEFAULT_OUTPUT_DIR.to_string());
        lovart_core::download::ensure_output_dir(&dir)?;
        let files = super::params::file_options(
            after.name.as_deref(),
            after.sidecar,
            lovart_core::flow::threads::origin_of(job.ctx, thread_id),
        )?;
        output = download_if_asked(output, true, &dir, &files, job.ctx).await?;
    }
    Ok(finish(shared, output, approved).await)
}

fn text(output: &Map<String, Value>, key: &str) -> String {
    output
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl Shared {
    /// The events of a call of `request` ([`CallEvents`]), logged at the
    /// level its client asked for.
    pub fn call_events(&self, request: &RequestContext<RoleServer>) -> CallEvents {
        CallEvents::start(request, &self.log_level, Progress::of(request))
    }

    /// The job of a call, working with `ctx` (the server's settings with the
    /// call's `events`) and reporting progress through `events`' channel;
    /// `elicit`: a pending step may be put to the user with
    /// `elicitation/create` (2025-11-25 sessions).
    pub fn job<'a>(
        &'a self,
        ctx: &'a Settings,
        request: &RequestContext<RoleServer>,
        events: &CallEvents,
        elicit: bool,
    ) -> Result<Job<'a>> {
        Ok(Job {
            ctx,
            client: self.api()?,
            peer: request.peer.clone(),
            progress: events.progress_channel(),
            elicit,
            approved_cost: std::sync::Mutex::new(None),
            draining: self.serving.draining.clone(),
            stopping: self.serving.stopping.clone(),
        })
    }
}
