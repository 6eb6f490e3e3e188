//! `lovart mcp`: a Model Context Protocol server over stdio, on rmcp (the
//! official Rust SDK).
//!
//! Every tool composes the same [`lovart_core::flow`] steps as the CLI command of
//! the same name and answers with what that command prints with `--json`
//! ([`results`]); the generation tools ([`jobs`]) wait within a budget and
//! report progress ([`progress`]); arguments are [`params`]; pictures are
//! scaled for image blocks by [`images`]; stdin is read leniently ([`input`])
//! and stdout written ([`output`]) on threads of their own. Calls run
//! concurrently (rmcp spawns each request); the state file is shared with the
//! CLI under its lock.
//! stdout carries JSON-RPC only: logs go to stderr and nothing draws progress.
//!
//! Protocols 2025-11-25 (sessions) and 2026-07-28 (stateless) are both
//! served: [`generation`] picks how a generation answers (a result, an
//! `input_required` confirmation from [`confirmation`], or a task of
//! [`tasks`]); [`handler`] serves the protocol methods beyond tools: the
//! artifacts as [`resources`], the skill ([`skills`]) and the tasks.
//! [`schemas`] holds the tools' input and output schemas and icons; [`arguments`]
//! says which argument does not fit them.
//! [`http`] serves the same tools over HTTP; a transport says where files may
//! go and when waits stop ([`Serving`]); [`shutdown`] says how each stops.

mod arguments;
mod call_events;
mod confirmation;
mod generation;
mod handler;
pub mod http;
use lovart_images as images;
mod input;
mod jobs;
mod output;
mod params;
mod progress;
pub use progress::Log;
pub mod resources;
mod results;
mod schemas;
mod shutdown;
mod skills;
mod tasks;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use lovart_wire::reply::is_unlimited;
use rmcp::handler::server::tool::{InputResponses, RequestState};
use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{CallToolResponse, CallToolResult};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServiceExt, tool, tool_router};
use serde_json::{Map, Value, json};

use lovart_core::api::ApiClient;
use lovart_core::catalog::{self, Tool};
use lovart_core::files::record::Origin;
use lovart_core::session::Session;
use lovart_core::settings::Settings;

use call_events::LogLevel;
use confirmation::Confirmations;
use generation::Call;
use http::files::FilePolicy;
use params::{
    BillingMode, ConfirmParams, DEFAULT_OUTPUT_DIR, GenerateParams, ModelsParams, ResultParams,
    SetModeParams, ThreadParams, ThreadsParams, UploadParams, WaitParams,
};
use resources::Artifacts;
use shutdown::{Draining, Stopping};
use tasks::Tasks;

/// Serves on stdin/stdout until the client closes stdin or the process gets
/// SIGTERM or Ctrl-C; then every call in flight stops at once (see
/// [`shutdown`]) and the server returns within [`STOP_GRACE`].
pub async fn serve_stdio(ctx: Settings) -> Result<()> {
    let (stop, stopping) = Stopping::new();
    let server = LovartServer::new(
        ctx,
        Serving {
            files: FilePolicy::Local,
            draining: Draining::never(),
            stopping,
            one_client: true,
        },
    );
    server.warn_if_unusable();
    // Listening for the signals from the start: one during the handshake
    // ends the process as cleanly as one later.
    let stop_signal = shutdown::stop_signal();
    tokio::pin!(stop_signal);
    let input = input::lenient(std::io::BufReader::new(std::io::stdin()));
    let mut stdin_closed = input.closed;
    let output = output::on_thread(std::io::stdout());
    let service = tokio::select! {
        service = server.serve((input.stream, output.stream)) => {
            service.map_err(|error| anyhow!("MCP initialization failed: {error}"))?
        }
        () = &mut stop_signal => return Ok(()),
    };
    let service_stop = service.cancellation_token();
    let waiting = service.waiting();
    tokio::pin!(waiting);
    let ended = tokio::select! {
        ended = &mut waiting => Some(ended),
        _ = &mut stdin_closed => None,
        () = &mut stop_signal => None,
    };
    if ended.is_none() {
        // The calls in flight end now and answer; rmcp writes what it can
        // and closes.
        stop.start();
        service_stop.cancel();
    }
    // Nobody waits past the grace for rmcp or for a client that stopped
    // reading: what is not out by then is dropped with the process.
    let wound_down = tokio::time::timeout(STOP_GRACE, async {
        let ended = match ended {
            Some(ended) => ended,
            None => (&mut waiting).await,
        };
        let _ = output.flushed.await;
        ended
    })
    .await;
    if let Ok(Err(error)) = wound_down {
        return Err(anyhow!("the MCP session ended abnormally: {error}"));
    }
    Ok(())
}

/// How long the stdio server may take to wind down once asked to stop.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// What a transport decides for the tools.
pub struct Serving {
    /// Where downloads may go and which local files may be read.
    pub files: FilePolicy,
    /// When waiting calls stop and answer "running" (server shutdown).
    pub draining: Draining,
    /// When every call in flight is cut off (the stdio client left).
    pub stopping: Stopping,
    /// One client for the server's life (stdio): the level it sets with
    /// `logging/setLevel` holds for its later calls. Over stateless HTTP each
    /// request stands alone: calls log warnings and worse.
    pub one_client: bool,
}

/// What every call shares.
struct Shared {
    ctx: Settings,
    /// One connection pool for every call; None when the keys or URL are unusable.
    client: Option<ApiClient>,
    /// The downloaded files, served as resources.
    artifacts: Artifacts,
    /// The sealing key of 2026-07-28 confirmations.
    confirmations: Confirmations,
    /// The tasks of task-capable clients.
    tasks: Tasks,
    /// What the transport decides (file policy, draining).
    serving: Serving,
    /// The lowest level of log messages the (stdio) client wants.
    log_level: LogLevel,
}

impl Shared {
    /// The API client, or the CLI's error for missing keys / a bad URL.
    fn api(&self) -> Result<ApiClient> {
        match &self.client {
            Some(client) => Ok(client.clone()),
            None => self.ctx.api(),
        }
    }
}

#[derive(Clone)]
pub struct LovartServer {
    shared: Arc<Shared>,
    tool_router: ToolRouter<Self>,
}

impl LovartServer {
    fn new(ctx: Settings, serving: Serving) -> Self {
        let client = ctx.api().ok();
        let tool_router = if serving.files.is_remote() {
            http::files::remote_tools(Self::tool_router())
        } else {
            Self::tool_router()
        };
        Self {
            shared: Arc::new(Shared {
                ctx,
                client,
                artifacts: Artifacts::default(),
                confirmations: Confirmations::default(),
                tasks: Tasks::default(),
                serving,
                log_level: LogLevel::new(),
            }),
            tool_router,
        }
    }

    /// Says on stderr when no Lovart call can work (keys or URL), without
    /// refusing to start: each call then says why.
    fn warn_if_unusable(&self) {
        if let Err(error) = self.shared.api() {
            eprintln!(
                "lovart mcp: warning: {error:#}; every Lovart call will fail until it is fixed"
            );
        }
    }

    fn files(&self) -> &FilePolicy {
        &self.shared.serving.files
    }

    /// A call's download folder as the transport allows it ([`FilePolicy`]):
    /// over HTTP inside the served folder, refused when it (or `name`'s
    /// sub-folders) leads out of it through a symbolic link.
    fn output_dir(&self, asked: Option<String>, name: Option<&str>) -> Result<Option<String>> {
        let dir = self.files().output_dir(asked);
        self.files().check_inside(dir.as_deref(), name)?;
        Ok(dir)
    }
}

/// Runs a tool body until it ends, the client cancels the call or the
/// server stops; any error becomes an `isError` result. A body cut off is
/// dropped at once, and with it its requests and a partial download's file.
async fn answer(
    request: &RequestContext<RoleServer>,
    stopping: &Stopping,
    body: impl Future<Output = Result<CallToolResult>>,
) -> CallToolResult {
    let outcome = tokio::select! {
        outcome = body => outcome,
        () = request.ct.cancelled() => Err(anyhow!("the call was cancelled by the client")),
        () = stopping.until_requested() => Err(anyhow!(STOPPED)),
    };
    outcome.unwrap_or_else(|error| results::error(&error))
}

/// The answer of a call cut off by the server's stop.
const STOPPED: &str = "the call was cut off: the MCP server is stopping";

#[tool_router(router = tool_router)]
impl LovartServer {
    /// Generate images, video, audio or 3D with Lovart's design agent from a prompt
    /// (optionally with reference images). Waits up to wait_seconds (default 45), then
    /// returns final_status:
    /// "done": the files are downloaded (shown as images and file links, listed in
    /// `downloaded`); generation_succeeded false means the agent replied with text only
    /// (see agent_message);
    /// "running": not finished yet: call `wait` with the thread_id (again until done);
    /// "pending_confirmation": a high-cost step (e.g. a video) waits for approval: tell
    /// the user its message and cost and ask them; call `confirm` only if they agree.
    /// Never confirm on your own;
    /// "abort": the job failed.
    /// To change a result, call generate again with its thread_id.
    #[tool(
        annotations(title = "Generate with Lovart", open_world_hint = true),
        input_schema = schemas::input::<GenerateParams>(),
        output_schema = schemas::generation(),
        icons = schemas::icons()
    )]
    async fn generate(
        &self,
        Parameters(mut params): Parameters<GenerateParams>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        request: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let local = params.attachments.iter().map(String::as_str);
        let checked = self
            .files()
            .check_local_files(local)
            .and_then(|()| self.output_dir(params.output_dir.take(), params.name.as_deref()));
        match checked {
            Ok(dir) => params.output_dir = dir,
            Err(error) => return results::error(&error).into(),
        }
        let call = Call::Generate(params);
        generation::answer(self, &request, call, state, responses).await
    }

    /// Keep waiting for a generation (after final_status "running"). Returns the same
    /// as `generate`: "done" with the files, "running" (call wait again),
    /// "pending_confirmation" (ask the user, then `confirm`), or "abort".
    #[tool(
        annotations(title = "Wait for a Lovart generation", open_world_hint = true),
        input_schema = schemas::input::<WaitParams>(),
        output_schema = schemas::generation(),
        icons = schemas::icons()
    )]
    async fn wait(
        &self,
        Parameters(mut params): Parameters<WaitParams>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        request: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        match self.output_dir(params.output_dir.take(), params.name.as_deref()) {
            Ok(dir) => params.output_dir = dir,
            Err(error) => return results::error(&error).into(),
        }
        let call = Call::Wait(params);
        generation::answer(self, &request, call, state, responses).await
    }

    /// Approve a pending high-cost step (final_status "pending_confirmation") and wait for
    /// the result. ONLY call this after the user agreed to the stated cost: it spends
    /// their credits. Returns the same as `generate`.
    #[tool(
        annotations(title = "Confirm a high-cost step", open_world_hint = true),
        input_schema = schemas::input::<ConfirmParams>(),
        output_schema = schemas::generation(),
        icons = schemas::icons()
    )]
    async fn confirm(
        &self,
        Parameters(mut params): Parameters<ConfirmParams>,
        RequestState(state): RequestState,
        InputResponses(responses): InputResponses,
        request: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        match self.output_dir(params.output_dir.take(), params.name.as_deref()) {
            Ok(dir) => params.output_dir = dir,
            Err(error) => return results::error(&error).into(),
        }
        let call = Call::Confirm(params);
        generation::answer(self, &request, call, state, responses).await
    }

    /// A thread's current result (items, artifacts, pending_confirmation), without
    /// waiting; with download, its files too.
    #[tool(
        annotations(read_only_hint = true, open_world_hint = true),
        input_schema = schemas::input::<ResultParams>(),
        output_schema = schemas::generation(),
        icons = schemas::icons()
    )]
    async fn result(
        &self,
        Parameters(params): Parameters<ResultParams>,
        request: RequestContext<RoleServer>,
    ) -> CallToolResult {
        answer(&request, &self.shared.serving.stopping, async {
            let events = self.shared.call_events(&request);
            let ctx = &events.settings(&self.shared.ctx);
            let client = self.shared.api()?;
            let output_dir = self
                .output_dir(params.output_dir, params.name.as_deref())?
                .unwrap_or_else(|| DEFAULT_OUTPUT_DIR.to_string());
            let files =
                params::file_options(params.name.as_deref(), params.sidecar, Origin::default())?;
            let download = params.download.then_some(output_dir.as_str());
            let result = Session::with_client(ctx, client)
                .result(&params.thread_id, download, &files)
                .await?
                .output;
            let result = events.add_warnings(result);
            Ok(generation::finish(&self.shared, result, None).await)
        })
        .await
    }

    /// A thread's status as the server gives it: "running", "done" or "abort".
    #[tool(
        annotations(read_only_hint = true, open_world_hint = true),
        input_schema = schemas::input::<ThreadParams>(),
        output_schema = schemas::status(),
        icons = schemas::icons()
    )]
    async fn status(
        &self,
        Parameters(params): Parameters<ThreadParams>,
        request: RequestContext<RoleServer>,
    ) -> CallToolResult {
        answer(&request, &self.shared.serving.stopping, async {
            let thread_id =
                lovart_core::flow::threads::resolve_thread_id(&self.shared.ctx, &params.thread_id)?;
            let answer = self.shared.api()?.status(&thread_id).await?;
            Ok(results::data(answer, "status"))
        })
        .await
    }

    /// Upload a local file to Lovart; returns its URL (usable in generate's attachments,
    /// though generate also takes local paths directly).
    #[tool(
        annotations(open_world_hint = true),
        input_schema = schemas::input::<UploadParams>(),
        output_schema = schemas::upload(),
        icons = schemas::icons()
    )]
    async fn upload(
        &self,
        Parameters(params): Parameters<UploadParams>,
        request: RequestContext<RoleServer>,
    ) -> CallToolResult {
        answer(&request, &self.shared.serving.stopping, async {
            self.files().check_local_files([params.path.as_str()])?;
            let url = self
                .shared
                .api()?
                .upload_file(Path::new(&params.path))
                .await?;
            Ok(results::data(json!({"url": url}), "url"))
        })
        .await
    }

    /// The generation models (tool names) by category, for generate's prefer_models,
    /// include_tools and exclude_tools. `source` says whether the list is live or the
    /// built-in copy.
    #[tool(
        annotations(read_only_hint = true, open_world_hint = true),
        input_schema = schemas::input::<ModelsParams>(),
        output_schema = schemas::models(),
        icons = schemas::icons()
    )]
    async fn models(
        &self,
        Parameters(params): Parameters<ModelsParams>,
        request: RequestContext<RoleServer>,
    ) -> CallToolResult {
        answer(&request, &self.shared.serving.stopping, async {
            let (source, tools) = load_catalog(&self.shared.ctx).await;
            let tools = match params.category.as_deref() {
                Some(wanted) => catalog::only_category(tools, wanted)?,
                None => tools,
            };
            let mut out = Map::new();
            out.insert("source".into(), source.into());
            out.insert(
                "tools".into(),
                Value::Array(tools.iter().map(Tool::to_json).collect()),
            );
            Ok(results::data(Value::Object(out), "tools"))
        })
        .await
    }

    /// Saved threads (most recent first) of the active project, another project, or all.
    #[tool(
        annotations(read_only_hint = true),
        input_schema = schemas::input::<ThreadsParams>(),
        output_schema = schemas::threads(),
        icons = schemas::icons()
    )]
    async fn threads(
        &self,
        Parameters(params): Parameters<ThreadsParams>,
        request: RequestContext<RoleServer>,
    ) -> CallToolResult {
        answer(&request, &self.shared.serving.stopping, async {
            let state = self.shared.ctx.state.load()?;
            let threads = if params.all {
                state.threads(None)
            } else {
                let project = params
                    .project_id
                    .filter(|id| !id.is_empty())
                    .or_else(|| state.active_project());
                state.threads(project.as_deref())
            };
            Ok(results::data(json!({"threads": threads}), "threads"))
        })
        .await
    }

    /// Known projects and the active one (where generate works by default).
    #[tool(
        annotations(read_only_hint = true),
        output_schema = schemas::projects(),
        icons = schemas::icons()
    )]
    async fn projects(&self, request: RequestContext<RoleServer>) -> CallToolResult {
        answer(&request, &self.shared.serving.stopping, async {
            let state = self.shared.ctx.state.load()?;
            let projects = state
                .data()
                .get("projects")
                .filter(|projects| projects.is_object())
                .cloned()
                .unwrap_or_else(|| json!({}));
            let active = state
                .data()
                .get("active_project")
                .cloned()
                .unwrap_or(Value::Null);
            Ok(results::data(
                json!({"active": active, "projects": projects}),
                "projects",
            ))
        })
        .await
    }

    /// The account's generation mode: "fast" (credits) or "unlimited" (queued).
    #[tool(
        annotations(read_only_hint = true, open_world_hint = true),
        output_schema = schemas::mode(),
        icons = schemas::icons()
    )]
    async fn query_mode(&self, request: RequestContext<RoleServer>) -> CallToolResult {
        answer(&request, &self.shared.serving.stopping, async {
            let detail = self.shared.api()?.query_mode().await?;
            let mode = if is_unlimited(&detail) {
                "unlimited"
            } else {
                "fast"
            };
            Ok(results::data(
                json!({"mode": mode, "detail": detail}),
                "mode",
            ))
        })
        .await
    }

    /// Switch the account's generation mode: "fast" (paid with credits) or "unlimited"
    /// (queued, no credits). Ask the user before switching.
    #[tool(
        annotations(open_world_hint = true),
        input_schema = schemas::input::<SetModeParams>(),
        output_schema = schemas::mode(),
        icons = schemas::icons()
    )]
    async fn set_mode(
        &self,
        Parameters(params): Parameters<SetModeParams>,
        request: RequestContext<RoleServer>,
    ) -> CallToolResult {
        answer(&request, &self.shared.serving.stopping, async {
            let (mode, unlimited) = match params.mode {
                BillingMode::Fast => ("fast", false),
                BillingMode::Unlimited => ("unlimited", true),
            };
            let detail = self.shared.api()?.set_mode(unlimited).await?;
            Ok(results::data(
                json!({"mode": mode, "detail": detail}),
                "mode",
            ))
        })
        .await
    }
}

/// The live catalog, or the built-in copy when it cannot be had (as `models`).
async fn load_catalog(ctx: &Settings) -> (&'static str, Vec<Tool>) {
    match catalog::live_or_builtin(ctx).await {
        (tools, None) => ("live", tools),
        (tools, Some(why)) => {
            eprintln!(
                "lovart mcp: could not fetch the live catalog ({why:#}); using the built-in copy"
            );
            ("builtin", tools)
        }
    }
}
