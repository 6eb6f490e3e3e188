//! `confirm`: approve a pending high-cost operation, wait, print the result.
//!
//! The output is the reference's (the result and `final_status`), plus, as
//! `chat` prints them, `project_id` (from the saved thread, null when it is
//! not saved here) and, when done, `generation_succeeded`.

use anyhow::Result;
use serde_json::Value;

use crate::cli::ConfirmArgs;
use crate::ctx::{Ctx, print_line};
use crate::flow::outcome::result_text_lines;
use crate::flow::settle::{PendingShape, Wait, wait_for_output};
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
    let files = super::file_options(&args.files, crate::flow::threads::origin_of(ctx, thread_id));
    let wait = Wait {
        thread_id,
        project_id: project_id.as_deref(),
        timeout,
        max_credits: args.max_credits,
        shape: PendingShape::Result,
        json: args.json,
        download: args.download,
        output_dir: &args.output_dir,
        files: &files,
    };
    let result = wait_for_output(&client, ctx, wait, async |_, _| Ok(())).await?;
    let status = result.get("final_status").map(py_str).unwrap_or_default();
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
