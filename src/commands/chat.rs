//! `chat`: send a prompt, wait until the thread settles, print the result.
//!
//! The flow is the reference's (project from the flag, the state or a new one;
//! validation with one retry; send; poll; result; auto-name; state; download),
//! with two differences a user can only notice when something goes wrong: the
//! thread is saved as soon as the send succeeds, and bad input is refused
//! before anything billable is sent.

use anyhow::Result;
use lovart_wire::reply::fields;
use serde_json::{Map, Value, json};

use crate::api::ToolConfig;
use crate::cli::ChatArgs;
use crate::ctx::{Ctx, print_line};
use crate::flow::interrupt::until_interrupted;
use crate::flow::outcome::{download_if_asked, mark_generation_outcome, result_text_lines};
use crate::flow::poll::{Settled, poll_until_settled};
use crate::flow::project;
use crate::flow::send::{
    Message, parse_prefer_models, send_and_record, warn_about_unknown_tools, warn_state_not_saved,
};
use crate::python::{dumps_pretty, prefix_stripped, py_str};

pub async fn run(args: ChatArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    let timeout = ctx.timeout()?;
    let tools = ToolConfig {
        prefer_tool_categories: parse_prefer_models(args.prefer_models.as_deref())?,
        include_tools: args.include_tools.clone().unwrap_or_default(),
        exclude_tools: args.exclude_tools.clone().unwrap_or_default(),
    };
    warn_about_unknown_tools(&tools);
    if args.download {
        crate::download::ensure_output_dir(&args.output_dir)?;
    }
    let project_id = project::validated_or_new(&client, ctx, args.project_id.as_deref()).await?;
    let message = Message {
        prompt: args.prompt.clone(),
        thread_id: args.thread_id.clone(),
        attachments: args.attachments.clone().unwrap_or_default(),
        mode: args.mode,
        tools,
    };
    let thread_id = send_and_record(&client, ctx, &project_id, message).await?;
    let project_name = prefix_stripped(&args.prompt, 30);
    let topic = prefix_stripped(&args.prompt, 50);

    let spinner = crate::progress::Spinner::start(ctx.progress, "generating");
    let outcome = until_interrupted(&thread_id, async {
        let settled = poll_until_settled(&client, &thread_id, timeout, ctx.waits, &spinner).await?;
        let result = match settled {
            Settled::PendingConfirmation(pending) => json!({
                "thread_id": thread_id,
                "project_id": project_id,
                "final_status": "pending_confirmation",
                "pending_confirmation": pending,
                "items": [],
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
            settled => {
                let mut result = client.result(&thread_id).await?;
                result.insert("final_status".into(), json!(settled.as_str()));
                result.insert(fields::PROJECT_ID.into(), json!(project_id));
                if settled == Settled::Done {
                    mark_generation_outcome(&mut result);
                }
                if let Some(name) =
                    project::name_if_untitled(&client, &project_id, &args.prompt).await
                {
                    result.insert(fields::PROJECT_NAME.into(), json!(name));
                }
                result
            }
        };
        if let Err(why) = record_final_state(ctx, &result, &project_id, &project_name, &topic) {
            warn_state_not_saved(&thread_id, &why);
        }
        spinner.finish();
        download_if_asked(result, args.download, &args.output_dir, ctx).await
    })
    .await;
    spinner.finish();
    let result = outcome?;

    if args.json {
        print_line(&dumps_pretty(&Value::Object(result), false));
    } else {
        let field = |key: &str| result.get(key).map(py_str);
        print_line(&format!(
            "Status: {}",
            field("final_status").unwrap_or_default()
        ));
        print_line(&format!(
            "Thread: {}",
            field(fields::THREAD_ID).unwrap_or_default()
        ));
        print_line(&format!(
            "Project: {}",
            field(fields::PROJECT_ID).unwrap_or_else(|| "N/A".to_string())
        ));
        for line in result_text_lines(&result) {
            print_line(&line);
        }
    }
    Ok(())
}

/// The reference's state update after a chat: the project (named by the
/// result's `project_name`, else the prompt) becomes active, and the result's
/// thread is upserted into it.
fn record_final_state(
    ctx: &Ctx,
    result: &Map<String, Value>,
    project_id: &str,
    prompt_name: &str,
    topic: &str,
) -> Result<()> {
    let name = result
        .get(fields::PROJECT_NAME)
        .map_or_else(|| prompt_name.to_string(), py_str);
    let thread = lovart_wire::reply::ResultView(result).thread_id();
    ctx.state.update(|state| {
        if !project_id.is_empty() {
            state.add_project(project_id, &name);
        }
        if let Some(thread) = thread {
            state.upsert_thread(thread, topic, None);
        }
    })
}
