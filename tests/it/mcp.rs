//! `lovart mcp` driven by rmcp's client over the child's stdio, against the
//! in-process sandbox: the handshake and tool list, a generated image on disk
//! and in an image block, a video that needs confirming, a short budget that
//! returns "running" then `wait`, upload, errors that leave the session
//! alive, calls in parallel, elicitation, and stdout carrying JSON-RPC only.
//! This file is the client harness; the tests are in `mcp/`.

mod flows;
mod session;

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationCapability, FormElicitationCapability,
    Implementation, ProgressNotificationParam,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
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
/// elicitation and answers every question with it.
#[derive(Clone, Default)]
pub struct Recorder {
    pub progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    pub questions: Arc<Mutex<Vec<String>>>,
    pub approve: Option<bool>,
}

impl ClientHandler for Recorder {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.questions.lock().unwrap().push(message);
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
        if self.approve.is_some() {
            capabilities.elicitation =
                Some(ElicitationCapability::new().with_form(FormElicitationCapability::default()));
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
