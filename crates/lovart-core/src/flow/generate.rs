//! The generate use case, shared by `chat` and MCP `generate`: one road from a
//! prompt to a sent, recorded thread, and one way to close it after the wait.
//!
//! [`start`] checks what can be checked before anything is billed (tool
//! names, the output folder), finds or makes the project, resolves a thread-id
//! prefix, uploads local attachments, sends, and records the thread at once
//! (so its id survives whatever fails next). The wait in between is the front
//! end's: the CLI's `--timeout`, signals and spinner; MCP's `wait_seconds`,
//! elicitation and progress. [`Started::finish`] then names an untitled
//! project after the prompt and records the final state, as the reference's
//! chat does.

use anyhow::Result;
use lovart_wire::reply::fields;
use serde_json::{Map, Value, json};

use crate::api::{ApiClient, ToolConfig};
use crate::files::record::Origin;
use crate::flow::send::{
    Message, ReasoningMode, record_final_state, send_and_record, upload_local_files,
    warn_about_unknown_tools, warn_state_not_saved,
};
use crate::flow::{project, threads};
use crate::python::prefix_stripped;
use crate::settings::Settings;

/// What a generation is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The prompt, as the user wrote it.
    pub prompt: String,
    /// The project to use; else the active one, else a new one.
    pub project_id: Option<String>,
    /// A thread to continue: its id or a unique prefix of a saved one.
    pub thread_id: Option<String>,
    /// URLs, or local paths (uploaded first).
    pub attachments: Vec<String>,
    /// The reasoning mode, when given.
    pub mode: Option<ReasoningMode>,
    /// Preferred, included and excluded tools.
    pub tools: ToolConfig,
    /// The folder files will be downloaded to, when they will be: created
    /// (or refused) before anything is sent.
    pub output_dir: Option<String>,
}

/// A generation whose send succeeded: the thread is billed and on record.
#[derive(Debug, Clone)]
pub struct Started {
    /// The thread the send started (or continued).
    pub thread_id: String,
    /// The project it went into.
    pub project_id: String,
    /// Prompt, thread and project, for the files' names and records.
    pub origin: Origin,
    prompt: String,
}

/// Sends `request`: tool-name warnings, the output folder, the project
/// (validated, or made), the thread prefix, uploads, `POST /chat`, and the
/// thread on record. Errors before the send leave nothing billed; once the
/// send succeeded this returns, whatever the state file says (a state that
/// cannot be saved is a warning).
pub async fn start(client: &ApiClient, ctx: &Settings, request: Request) -> Result<Started> {
    warn_about_unknown_tools(&ctx.events, &request.tools);
    if let Some(output_dir) = &request.output_dir {
        crate::download::ensure_output_dir(output_dir)?;
    }
    let project_id = project::validated_or_new(client, ctx, request.project_id.as_deref()).await?;
    let message = Message {
        prompt: request.prompt.clone(),
        thread_id: threads::resolve_optional(ctx, request.thread_id.as_deref())?,
        attachments: upload_local_files(client, &ctx.events, request.attachments).await?,
        mode: request.mode,
        tools: request.tools,
    };
    let thread_id = send_and_record(client, ctx, &project_id, message).await?;
    Ok(Started {
        origin: Origin {
            prompt: Some(request.prompt.clone()),
            thread_id: Some(thread_id.clone()),
            project_id: Some(project_id.clone()),
        },
        thread_id,
        project_id,
        prompt: request.prompt,
    })
}

impl Started {
    /// After the wait, on the settled output `result`: unless a step waits
    /// for a confirmation (`pending`), an untitled project is named after the
    /// prompt (and `project_name` added); then the final state is recorded
    /// (a failure is a warning: the thread id is already in `result`).
    pub async fn finish(
        &self,
        client: &ApiClient,
        ctx: &Settings,
        result: &mut Map<String, Value>,
        pending: bool,
    ) {
        if !pending
            && let Some(name) =
                project::name_if_untitled(client, &self.project_id, &self.prompt).await
        {
            result.insert(fields::PROJECT_NAME.into(), json!(name));
        }
        let project_name = prefix_stripped(&self.prompt, 30);
        let topic = prefix_stripped(&self.prompt, 50);
        if let Err(why) = record_final_state(ctx, result, &self.project_id, &project_name, &topic) {
            warn_state_not_saved(&ctx.events, &self.thread_id, &why);
        }
    }
}
