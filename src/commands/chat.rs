//! `chat`: send a prompt, wait until the thread settles, print the result.
//!
//! The flow is the reference's (project from the flag, the state or a new one;
//! validation with one retry; send; poll; result; auto-name; state; download),
//! with two differences a user can only notice when something goes wrong: the
//! thread is saved as soon as the send succeeds, and bad input is refused
//! before anything billable is sent.

use anyhow::Result;

use crate::cli::ChatArgs;
use crate::terminal::{ProjectLine, print_generation};
use lovart_core::api::ToolConfig;
use lovart_core::flow::generate::Request;
use lovart_core::flow::send::parse_prefer_models;
use lovart_core::session::Session;
use lovart_core::settings::Settings;

pub async fn run(args: ChatArgs, ctx: &Settings) -> Result<()> {
    let session = Session::new(ctx)?;
    let plan = args.wait_plan(ctx.timeout()?);
    let request = Request {
        prompt: args.prompt,
        project_id: args.project_id,
        thread_id: args.thread_id,
        attachments: args.attachments.unwrap_or_default(),
        mode: args.mode.map(Into::into),
        tools: ToolConfig {
            prefer_tool_categories: parse_prefer_models(args.prefer_models.as_deref())?,
            include_tools: args.include_tools.unwrap_or_default(),
            exclude_tools: args.exclude_tools.unwrap_or_default(),
        },
        output_dir: None,
    };
    let generation = session.generate(request, plan).await?;
    print_generation(&generation, args.json, ProjectLine::FromOutput);
    lovart_core::flow::hints::after_generation(
        &ctx.events,
        &generation.thread_id,
        &generation.output,
    );
    Ok(())
}
