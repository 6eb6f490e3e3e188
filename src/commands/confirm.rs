//! `confirm`: approve a pending high-cost operation, wait, print the result.
//!
//! The output is the reference's (the result and `final_status`), plus, as
//! `chat` prints them, `project_id` (from the saved thread, null when it is
//! not saved here) and, when done, `generation_succeeded`.

use anyhow::Result;
use serde_json::Value;

use crate::cli::ConfirmArgs;
use crate::ctx::{Ctx, print_line};
use crate::failure::{in_thread, note_final_status};
use crate::flow::interrupt::{Resumable, until_interrupted};
use crate::flow::outcome::{download_if_asked, result_text_lines};
use crate::flow::settle::{PendingShape, settle, settled_output};
use crate::python::{dumps_pretty, py_str};

pub async fn run(args: ConfirmArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    let thread_id = crate::flow::threads::resolve_thread_id(ctx, &args.thread_id)?;
    let args = ConfirmArgs { thread_id, ..args };
    let timeout = ctx.timeout()?;
    if args.download {
        crate::download::ensure_output_dir(&args.output_dir)?;
    }
    let thread_id = args.thread_id.as_str();
    let project_id = ctx.state.load()?.project_of_thread(thread_id);
    client.confirm(thread_id).await?;
    let spinner = crate::progress::Spinner::start(ctx.progress, "generating");
    let resumable = Resumable {
        thread_id,
        project_id: project_id.as_deref(),
        json: args.json,
    };
    let outcome = until_interrupted(resumable, async {
        let settled = settle(&client, ctx, thread_id, timeout, args.max_credits, &spinner).await?;
        let result = settled_output(
            &client,
            thread_id,
            project_id.as_deref(),
            settled,
            PendingShape::Result,
        )
        .await?;
        spinner.finish();
        download_if_asked(result, args.download, &args.output_dir, ctx).await
    })
    .await;
    spinner.finish();
    let result = outcome.map_err(|error| in_thread(thread_id, error))?;
    let status = result.get("final_status").map(py_str).unwrap_or_default();
    note_final_status(&status);
    if args.json {
        print_line(&dumps_pretty(&Value::Object(result.clone()), false));
    } else {
        print_line(&format!("Status: {status}"));
        print_line(&format!("Thread: {thread_id}"));
        for line in result_text_lines(&result) {
            print_line(&line);
        }
    }
    crate::flow::hints::after_generation(&args.thread_id, &result);
    Ok(())
}
