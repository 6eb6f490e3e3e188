//! `chat`: send a prompt, wait until the thread settles, print the result.
//!
//! The flow is the reference's (project from the flag, the state or a new one;
//! validation with one retry; send; poll; result; auto-name; state; download),
//! with two differences a user can only notice when something goes wrong: the
//! thread is saved as soon as the send succeeds, and bad input is refused
//! before anything billable is sent.

use anyhow::Result;
use lovart_wire::reply::fields;
use serde_json::{Value, json};

use crate::cli::ChatArgs;
use crate::terminal::print_line;
use lovart_core::api::ToolConfig;
use lovart_core::files::record::Origin;
use lovart_core::flow::outcome::result_text_lines;
use lovart_core::flow::project;
use lovart_core::flow::send::{
    Message, parse_prefer_models, record_final_state, send_and_record, upload_local_files,
    warn_about_unknown_tools, warn_state_not_saved,
};
use lovart_core::flow::settle::{PendingShape, Wait, wait_for_output};
use lovart_core::python::{dumps_pretty, prefix_stripped, py_str};
use lovart_core::settings::Settings;

pub async fn run(args: ChatArgs, ctx: &Settings) -> Result<()> {
    let client = ctx.api()?;
    let timeout = ctx.timeout()?;
    let tools = ToolConfig {
        prefer_tool_categories: parse_prefer_models(args.prefer_models.as_deref())?,
        include_tools: args.include_tools.clone().unwrap_or_default(),
        exclude_tools: args.exclude_tools.clone().unwrap_or_default(),
    };
    warn_about_unknown_tools(&ctx.events, &tools);
    if args.download {
        lovart_core::download::ensure_output_dir(&args.output_dir)?;
    }
    let project_id = project::validated_or_new(&client, ctx, args.project_id.as_deref()).await?;
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
        tools,
    };
    let thread_id = send_and_record(&client, ctx, &project_id, message).await?;
    let files = args.files.options(Origin {
        prompt: Some(args.prompt.clone()),
        thread_id: Some(thread_id.clone()),
        project_id: Some(project_id.clone()),
    });
    let project_name = prefix_stripped(&args.prompt, 30);
    let topic = prefix_stripped(&args.prompt, 50);

    let wait = Wait {
        thread_id: &thread_id,
        project_id: Some(&project_id),
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
        if !pending
            && let Some(name) = project::name_if_untitled(&client, &project_id, &args.prompt).await
        {
            result.insert(fields::PROJECT_NAME.into(), json!(name));
        }
        if let Err(why) = record_final_state(ctx, result, &project_id, &project_name, &topic) {
            warn_state_not_saved(&ctx.events, &thread_id, &why);
        }
        Ok(())
    })
    .await?;

    if args.json {
        print_line(&dumps_pretty(&Value::Object(result.clone()), false));
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
    lovart_core::flow::hints::after_generation(&ctx.events, &thread_id, &result);
    Ok(())
}
