//! `send`: send a prompt and return at once with the thread id.

use anyhow::Result;
use serde_json::json;

use crate::cli::SendArgs;
use crate::terminal::print_line;
use lovart_core::flow::generate::Request;
use lovart_core::python::dumps_compact;
use lovart_core::session::Session;
use lovart_core::settings::Settings;

pub async fn run(args: SendArgs, ctx: &Settings) -> Result<()> {
    let request = Request {
        prompt: args.prompt,
        project_id: args.project_id,
        thread_id: args.thread_id,
        attachments: args.attachments.unwrap_or_default(),
        mode: args.mode.map(Into::into),
        ..Request::default()
    };
    let sent = Session::new(ctx)?.send(request).await?;
    print_line(&dumps_compact(
        &json!({"thread_id": sent.thread_id, "project_id": sent.project_id}),
        true,
    ));
    Ok(())
}
