//! `confirm`: approve a pending high-cost operation, wait, print the result.

use anyhow::Result;
use serde_json::{Value, json};

use crate::cli::ConfirmArgs;
use crate::ctx::{Ctx, print_line};
use crate::flow::interrupt::until_interrupted;
use crate::flow::outcome::{download_if_asked, result_text_lines};
use crate::flow::poll::poll_until_settled;
use crate::python::{dumps_pretty, py_str};

pub async fn run(args: ConfirmArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    let thread_id = crate::flow::threads::resolve_thread_id(ctx, &args.thread_id)?;
    let args = ConfirmArgs { thread_id, ..args };
    let timeout = ctx.timeout()?;
    if args.download {
        crate::download::ensure_output_dir(&args.output_dir)?;
    }
    client.confirm(&args.thread_id).await?;
    let spinner = crate::progress::Spinner::start(ctx.progress, "generating");
    let outcome = until_interrupted(&args.thread_id, async {
        let settled =
            poll_until_settled(&client, &args.thread_id, timeout, ctx.waits, &spinner).await?;
        let mut result = client.result(&args.thread_id).await?;
        result.insert("final_status".into(), json!(settled.as_str()));
        spinner.finish();
        download_if_asked(result, args.download, &args.output_dir, ctx).await
    })
    .await;
    spinner.finish();
    let result = outcome?;
    let status = result.get("final_status").map(py_str).unwrap_or_default();
    if args.json {
        print_line(&dumps_pretty(&Value::Object(result.clone()), false));
    } else {
        print_line(&format!("Status: {status}"));
        print_line(&format!("Thread: {}", args.thread_id));
        for line in result_text_lines(&result) {
            print_line(&line);
        }
    }
    crate::flow::hints::after_generation(&args.thread_id, &result);
    Ok(())
}
