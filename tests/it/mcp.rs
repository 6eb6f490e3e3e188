//! `lovart mcp` driven by rmcp's client over the child's stdio, against the
//! in-process sandbox: the handshake and tool list, a generated image on disk
//! and in an image block, a video that needs confirming, a short budget that
//! returns "running" then `wait`, upload, errors that leave the session
//! alive, calls in parallel, elicitation, and stdout carrying JSON-RPC only;
//! both protocol generations (a 2025-11-25 session, a stateless 2026-07-28
//! client), tasks, schemas, resources and the skill.
//! This file is the client harness; the tests are in `mcp/`.

mod deadline;
mod events;
mod flows;
mod protocols;
mod serving;
mod session;
mod stopping;
mod tasks;
mod vocabulary;

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationCapability, FormElicitationCapability,
    Implementation, ProgressNotificationParam,
};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt, NotificationContext, RequestContext, RunningService,
};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Map, Value, json};

use crate::support::World;

pub const TOOLS: [&str; 11] = [
    "confirm",
    "generate",
    "models",
    "projects",
    "query_mode",
    "result",
    "set_mode",
    "status",
    "threads",
    "upload",
    "wait",
];

/// A client that records progress and, when `approve` is set, declares
/// elicitation and answers every question with it (`silent`: never answers).
/// `tasks` declares the tasks extension.
#[derive(Clone, Default)]
pub struct Recorder {
    pub progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    /// Each `notifications/message`: its level and its data as text.
    pub logs: Arc<Mutex<Vec<(String, String)>>>,
    pub questions: Arc<Mutex<Vec<String>>>,
    pub approve: Option<bool>,
    pub silent: bool,
    pub tasks: bool,
}

impl ClientHandler for Recorder {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }

    #[allow(deprecated, reason = "MCP logging (SEP-2577) is what the server sends")]
    async fn on_logging_message(
        &self,
        params: rmcp::model::LoggingMessageNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        let level = serde_json::to_value(params.level).unwrap();
        let text = params
            .data
            .as_str()
            .map_or_else(|| params.data.to_string(), str::to_string);
        self.logs
            .lock()
            .unwrap()
            .push((level.as_str().unwrap_or_default().to_string(), text));
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.questions.lock().unwrap().push(message);
        }
        if self.silent {
            std::future::pending::<()>().await;
        }
        Ok(match self.approve {
            Some(true) => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"confirm": true}))
            }
            _ => ElicitResult::new(ElicitationAction::Decline),
        })
    }

    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        if self.approve.is_some() || self.silent {
            capabilities.elicitation =
                Some(ElicitationCapability::new().with_form(FormElicitationCapability::default()));
        }
        if self.tasks {
            capabilities
                .extensions
                .get_or_insert_with(Default::default)
                .insert(rmcp::model::TASKS_EXTENSION_ID.to_string(), Map::new());
        }
        ClientConfig::new(capabilities, Implementation::new("lovart-tests", "0"))
    }
}

impl Recorder {
    pub fn messages(&self) -> Vec<String> {
        self.progress
            .lock()
            .unwrap()
            .iter()
            .filter_map(|progress| progress.message.clone())
            .collect()
    }
}

pub type Client = RunningService<RoleClient, Recorder>;

/// `lovart mcp` in this world, initialized.
pub async fn connect(world: &World, recorder: Recorder) -> Client {
    let mut command = world.lovart_process();
    command.arg("mcp").current_dir(world.home.path());
    let transport = TokioChildProcess::new(tokio::process::Command::from(command)).expect("spawn");
    recorder.serve(transport).await.expect("initialize")
}

/// A runtime for a client in a plain test: a stand-in server runs its own
/// runtime, which cannot be started or dropped inside the client's.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime")
}

/// `lovart mcp` in this world, used by a stateless 2026-07-28 client
/// (`server/discover`, capabilities in every request).
pub async fn connect_modern(world: &World, recorder: Recorder) -> Client {
    let mut command = world.lovart_process();
    command.arg("mcp").current_dir(world.home.path());
    let transport = TokioChildProcess::new(tokio::process::Command::from(command)).expect("spawn");
    let lifecycle = ClientLifecycleMode::Discover {
        preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
    };
    recorder
        .serve_with_lifecycle(transport, lifecycle)
        .await
        .expect("discover")
}

/// The parameters of a call of `tool`.
pub fn params(tool: &str, arguments: Value) -> CallToolRequestParams {
    let arguments = arguments.as_object().expect("an object").clone();
    CallToolRequestParams::new(tool.to_string()).with_arguments(arguments)
}

pub async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let arguments = arguments.as_object().expect("an object").clone();
    client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
        .await
        .unwrap_or_else(|error| panic!("{tool}: protocol error {error}"))
}

pub fn structured(result: &CallToolResult) -> &Map<String, Value> {
    result
        .structured_content
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no structured content: {result:?}"))
}

pub fn succeeded(result: &CallToolResult) -> &Map<String, Value> {
    assert_eq!(result.is_error, Some(false), "{result:?}");
    structured(result)
}

pub fn summary(result: &CallToolResult) -> String {
    result.content[0]
        .as_text()
        .expect("a text block first")
        .text
        .clone()
}

pub fn sorted_keys(object: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = object.keys().cloned().collect();
    keys.sort();
    keys
}
