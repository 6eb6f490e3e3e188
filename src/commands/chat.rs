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

use crate::api::ToolConfig;
use crate::cli::ChatArgs;
use crate::ctx::{Ctx, print_line};
use crate::failure::{in_thread, note_final_status};
use crate::flow::interrupt::{Resumable, until_interrupted};
use crate::flow::outcome::{download_if_asked, result_text_lines};
use crate::flow::poll::Settled;
use crate::flow::project;
use crate::flow::send::{
    Message, parse_prefer_models, record_final_state, send_and_record, upload_local_files,
    warn_about_unknown_tools,
};
use crate::flow::settle::{PendingShape, settle, settled_output};
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
        attachments: upload_local_files(&client, args.attachments.clone().unwrap_or_default())
            .await?,
        mode: args.mode,
        tools,
    };
    let thread_id = send_and_record(&client, ctx, &project_id, message).await?;
    let project_name = prefix_stripped(&args.prompt, 30);
    let topic = prefix_stripped(&args.prompt, 50);

    let spinner = crate::progress::Spinner::start(ctx.progress, "generating");
    let resumable = Resumable {
        thread_id: &thread_id,
        project_id: Some(&project_id),
        json: args.json,
    };
    let outcome = until_interrupted(resumable, async {
        let settled = settle(
            &client,
            ctx,
            &thread_id,
            timeout,
            args.max_credits,
            &spinner,
        )
        .await?;
        let pending = matches!(settled, Settled::PendingConfirmation(_));
        let mut result = settled_output(
            &client,
            &thread_id,
            Some(&project_id),
            settled,
            PendingShape::Summary,
        )
        .await?;
        // A pending step returns at once: no name check, no rename.
        if !pending
            && let Some(name) = project::name_if_untitled(&client, &project_id, &args.prompt).await
        {
            result.insert(fields::PROJECT_NAME.into(), json!(name));
        }
        record_final_state(ctx, &result, &project_id, &project_name, &topic)?;
        spinner.finish();
        download_if_asked(result, args.download, &args.output_dir, ctx).await
    })
    .await;
    spinner.finish();
    let result = outcome.map_err(|error| in_thread(&thread_id, error))?;
    note_final_status(&py_str(result.get("final_status").unwrap_or(&Value::Null)));

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
