//! `send`: send a prompt and return at once with the thread id.

use anyhow::Result;
use serde_json::json;

use crate::api::{ApiClient, SendRequest};
use crate::cli::SendArgs;
use crate::ctx::{Ctx, print_line};
use crate::output::dumps_compact;
use crate::text::py_prefix_stripped;

pub async fn run(args: SendArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    let project_id = project_or_new(&client, ctx, args.project_id.as_deref()).await?;
    let request = SendRequest {
        prompt: args.prompt.clone(),
        project_id: project_id.clone(),
        attachments: args.attachments.clone().unwrap_or_default(),
        thread_id: args.thread_id.clone(),
        mode: args.mode.map(|mode| mode.as_str().to_string()),
        ..Default::default()
    };
    let thread_id = client.send(&request).await?;
    record_sent_thread(ctx, &project_id, &thread_id, &args.prompt)?;
    print_line(&dumps_compact(
        &json!({"thread_id": thread_id, "project_id": project_id}),
        true,
    ));
    Ok(())
}

/// The project to send into: the flag, else the active one, else a new one
/// (not validated, as in the reference).
pub(crate) async fn project_or_new(
    client: &ApiClient,
    ctx: &Ctx,
    flag: Option<&str>,
) -> Result<String> {
    let remembered = match flag.filter(|id| !id.is_empty()) {
        Some(project_id) => Some(project_id.to_string()),
        None => ctx.state.load()?.active_project(),
    };
    match remembered {
        Some(project_id) => Ok(project_id),
        None => Ok(client.create_project().await?),
    }
}

/// Saves a just-sent thread: its project (named after the prompt) becomes
/// active and the thread goes first in the history, in one locked update.
pub(crate) fn record_sent_thread(
    ctx: &Ctx,
    project_id: &str,
    thread_id: &str,
    prompt: &str,
) -> Result<()> {
    let name = py_prefix_stripped(prompt, 30);
    let topic = py_prefix_stripped(prompt, 50);
    ctx.state.update(|state| {
        state.add_project(project_id, &name);
        state.upsert_thread(thread_id, &topic, Some(project_id));
    })
}
