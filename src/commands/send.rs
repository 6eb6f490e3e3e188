//! `send`: send a prompt and return at once with the thread id.

use anyhow::Result;
use serde_json::json;

use crate::cli::SendArgs;
use crate::ctx::{Ctx, print_line};
use crate::flow::project;
use crate::flow::send::{Message, send_and_record, upload_local_files};
use crate::python::dumps_compact;

pub async fn run(args: SendArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    let project_id = project::given_or_new(&client, ctx, args.project_id.as_deref()).await?;
    let message = Message {
        prompt: args.prompt.clone(),
        thread_id: crate::flow::threads::resolve_optional(ctx, args.thread_id.as_deref())?,
        attachments: upload_local_files(&client, args.attachments.clone().unwrap_or_default())
            .await?,
        mode: args.mode,
        ..Default::default()
    };
    let thread_id = send_and_record(&client, ctx, &project_id, message).await?;
    print_line(&dumps_compact(
        &json!({"thread_id": thread_id, "project_id": project_id}),
        true,
    ));
    Ok(())
}
