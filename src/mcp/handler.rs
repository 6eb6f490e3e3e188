//! The MCP methods of `lovart mcp` beyond the tools themselves: what the
//! server declares (tools, resources, the skills and tasks extensions,
//! icons), `tools/call` with arguments that fail their schema answered as
//! `invalid_input`, the artifacts and the skill as resources, the skill
//! through `skills/*`, and `tasks/*`.

use rmcp::handler::server::tool::ToolCallContext;
#[allow(
    deprecated,
    reason = "MCP logging (SEP-2577) is what clients show today"
)]
use rmcp::model::SetLevelRequestParams;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, GetSkillRequestParams,
    GetSkillResult, GetTaskParams, GetTaskResult, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, ListSkillsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig, UpdateTaskParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool_handler};

use super::resources::{Artifacts, SCHEME};
use super::{LovartServer, generation, results, schemas, skills, tasks};

const INSTRUCTIONS: &str = "Lovart generates images, video, audio and 3D with a design agent. \
Call `generate` with a prompt; it returns within wait_seconds. final_status \"running\" means call \
`wait` with the thread_id; \"pending_confirmation\" means a high-cost step needs the user's \
approval: tell them the cost, ask, and call `confirm` only if they agree (never on your own). \
Reuse a thread_id to refine a result. Downloaded files appear as images and as links to \
lovart:// resources (readable with resources/read). 2026-07-28 clients with the tasks extension get a task \
whose id is the thread id. The skill `lovart-skill` explains the rest. Errors come as results \
with isError and error.kind/retryable.";

#[tool_handler(router = self.tool_router)]
impl ServerHandler for LovartServer {
    fn get_info(&self) -> ServerConfig {
        #[allow(
            deprecated,
            reason = "MCP logging (SEP-2577) is what clients show today"
        )]
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_tools()
            .enable_resources()
            .enable_skills()
            .enable_tasks()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(
                Implementation::new("lovart", env!("CARGO_PKG_VERSION"))
                    .with_title("Lovart")
                    .with_icons(schemas::icons()),
            )
            .with_instructions(INSTRUCTIONS.to_string())
    }

    /// `logging/setLevel`: kept for the later calls of a stdio client
    /// ([`super::Serving::one_client`]); accepted and not kept over HTTP.
    #[allow(
        deprecated,
        reason = "MCP logging (SEP-2577) is what clients show today"
    )]
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if self.shared.serving.one_client {
            self.shared.log_level.set(request.level);
        }
        Ok(())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let arguments = request.arguments.clone();
        let call = ToolCallContext::new(self, request, context);
        let mut response = self.tool_router.call(call).await?;
        let schema = self.tool_router.get(&name).map(|tool| &*tool.input_schema);
        if let CallToolResponse::Complete(result) = &response
            && let Some(invalid) =
                schemas::invalid_arguments(&name, result, schema, arguments.as_ref())
        {
            response = invalid.into();
        }
        if let CallToolResponse::Complete(result) = &response
            && let Some(line) = results::error_line(&name, result, self.files().is_remote())
        {
            eprintln!("{line}");
        }
        Ok(response)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut resources = vec![skills::resource()];
        resources.extend(self.shared.artifacts.list());
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            Artifacts::template(),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri == skills::SKILL_URI {
            return Ok(skills::read().into());
        }
        if request.uri.starts_with(SCHEME) {
            return Ok(self.shared.artifacts.read(&request.uri).await?.into());
        }
        Err(ErrorData::resource_not_found(
            format!("no resource {}", request.uri),
            None,
        ))
    }

    async fn list_skills(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListSkillsResult, ErrorData> {
        Ok(ListSkillsResult::with_all_items(vec![skills::skill()]))
    }

    async fn get_skill(
        &self,
        request: GetSkillRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetSkillResult, ErrorData> {
        if request.uri == skills::SKILL_URI {
            Ok(GetSkillResult::new(skills::skill()))
        } else {
            Err(ErrorData::invalid_params(
                format!("no skill at {}", request.uri),
                None,
            ))
        }
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let id = request.task_id;
        if let Some(task) = self.shared.tasks.get(&id) {
            return Ok(GetTaskResult::new(task));
        }
        // A task of an earlier `lovart mcp`: its thread is in the state file.
        if !self.is_saved_thread(&id) {
            return Err(tasks::unknown(&id));
        }
        generation::resume_task(self, &context, &id);
        self.shared
            .tasks
            .get(&id)
            .map(GetTaskResult::new)
            .ok_or_else(|| tasks::unknown(&id))
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.shared
            .tasks
            .update(&request.task_id, request.input_responses)
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let id = request.task_id;
        if self.shared.tasks.get(&id).is_none() && self.is_saved_thread(&id) {
            // Nothing waits on it in this process: nothing to stop.
            return Ok(());
        }
        self.shared.tasks.cancel(&id)
    }
}

impl LovartServer {
    fn is_saved_thread(&self, id: &str) -> bool {
        self.shared
            .ctx
            .state
            .load()
            .is_ok_and(|state| state.thread_ids().iter().any(|known| known == id))
    }
}
