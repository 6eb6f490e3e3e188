//! `chat`: send a prompt, wait until the thread settles, print the result.
//!
//! The flow is the reference's (project from the flag, the state or a new one;
//! validation with one retry; send; poll; result; auto-name; state; download),
//! with two differences a user can only notice when something goes wrong: the
//! thread is saved as soon as the send succeeds, and bad input is refused
//! before anything billable is sent.

use anyhow::Result;
use lovart_wire::reply::fields;

use crate::cli::ChatArgs;
use crate::terminal::{ProjectLine, print_generation};
use lovart_core::api::ToolConfig;
use lovart_core::flow::generate::{self, Request};
use lovart_core::flow::send::parse_prefer_models;
use lovart_core::flow::settle::{PendingShape, Wait, wait_for_output};
use lovart_core::python::py_str;
use lovart_core::settings::Settings;

pub async fn run(args: ChatArgs, ctx: &Settings) -> Result<()> {
    let client = ctx.api()?;
    let timeout = ctx.timeout()?;
    let request = Request {
        prompt: args.prompt.clone(),
        project_id: args.project_id.clone(),
        thread_id: args.thread_id.clone(),
        attachments: args.attachments.clone().unwrap_or_default(),
        mode: args.mode.map(Into::into),
        tools: ToolConfig {
            prefer_tool_categories: parse_prefer_models(args.prefer_models.as_deref())?,
            include_tools: args.include_tools.clone().unwrap_or_default(),
            exclude_tools: args.exclude_tools.clone().unwrap_or_default(),
        },
        output_dir: args.download.then(|| args.output_dir.clone()),
    };
    let started = generate::start(&client, ctx, request).await?;
    let files = args.files.options(started.origin.clone());
    let wait = Wait {
        thread_id: &started.thread_id,
        project_id: Some(&started.project_id),
        timeout,
        max_credits: args.max_credits,
        shape: PendingShape::Summary,
        json: args.json,
        download: args.download,
        output_dir: &args.output_dir,
        files: &files,
    };
    let result = wait_for_output(&client, ctx, wait, async |result, pending| {
        // A pending step returns at once: no name check, no rename.
        started.finish(&client, ctx, result, pending).await;
        Ok(())
    })
    .await?;

    let field = |key: &str| result.get(key).map(py_str);
    print_generation(
        &result,
        args.json,
        &field(fields::THREAD_ID).unwrap_or_default(),
        ProjectLine::Of(field(fields::PROJECT_ID).as_deref()),
    );
    lovart_core::flow::hints::after_generation(&ctx.events, &started.thread_id, &result);
    Ok(())
}
