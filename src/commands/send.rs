//! `send`: send a prompt and return at once with the thread id.

use anyhow::Result;
use serde_json::json;

use crate::cli::SendArgs;
use crate::terminal::print_line;
use lovart_core::flow::project;
use lovart_core::flow::send::{Message, send_and_record, upload_local_files};
use lovart_core::python::dumps_compact;
use lovart_core::settings::Settings;

pub async fn run(args: SendArgs, ctx: &Settings) -> Result<()> {
    let client = ctx.api()?;
    let project_id = project::given_or_new(&client, ctx, args.project_id.as_deref()).await?;
    let message = Message {
        prompt: args.prompt.clone(),
        thread_id: lovart_core::flow::threads::resolve_optional(ctx, args.thread_id.as_deref())?,
        attachments: upload_local_files(
            &client,
            &ctx.events,
            args.attachments.clone().unwrap_or_default(),
        )
        .await?,
        mode: args.mode.map(Into::into),
        ..Default::default()
    };
    let thread_id = send_and_record(&client, ctx, &project_id, message).await?;
    print_line(&dumps_compact(
        &json!({"thread_id": thread_id, "project_id": project_id}),
        true,
    ));
    Ok(())
}
