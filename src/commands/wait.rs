//! `wait`: attach to a thread already sent, wait until it settles (or
//! `--timeout`), and print what `chat` would have printed for it.
//!
//! This is how a script chains `send` → `wait`, and how an agent whose
//! harness cut a long `chat` off picks the job up again. Nothing is sent and
//! the state file is not changed.

use anyhow::Result;
use serde_json::Value;

use crate::cli::WaitArgs;
use crate::ctx::{Ctx, print_line};
use crate::failure::{in_thread, note_final_status};
use crate::flow::interrupt::{Resumable, until_interrupted};
use crate::flow::outcome::{download_if_asked, result_text_lines};
use crate::flow::settle::{PendingShape, settle, settled_output};
use crate::python::{dumps_pretty, py_str};

pub async fn run(args: WaitArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    let timeout = ctx.timeout()?;
    if args.download {
        crate::download::ensure_output_dir(&args.output_dir)?;
    }
    let thread_id = crate::flow::threads::resolve_thread_id(ctx, &args.thread_id)?;
    let thread_id = thread_id.as_str();
    let project_id = ctx.state.load()?.project_of_thread(thread_id);
    let spinner = crate::progress::Spinner::start(ctx.progress, "waiting");
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
            PendingShape::Summary,
        )
        .await?;
        spinner.finish();
        download_if_asked(result, args.download, &args.output_dir, ctx).await
    })
    .await;
    spinner.finish();
    let result = outcome.map_err(|error| in_thread(thread_id, error))?;
    let field = |key: &str| result.get(key).map(py_str);
    note_final_status(&field("final_status").unwrap_or_default());
    if args.json {
        print_line(&dumps_pretty(&Value::Object(result), false));
    } else {
        print_line(&format!(
            "Status: {}",
            field("final_status").unwrap_or_default()
        ));
        print_line(&format!("Thread: {thread_id}"));
        print_line(&format!(
            "Project: {}",
            project_id.as_deref().unwrap_or("N/A")
        ));
        for line in result_text_lines(&result) {
            print_line(&line);
        }
    }
    Ok(())
}
