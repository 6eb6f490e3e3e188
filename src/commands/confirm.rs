//! `confirm`: approve a pending high-cost operation, wait, print the result.
//!
//! The output is the reference's (the result and `final_status`), plus, as
//! `chat` prints them, `project_id` (from the saved thread, null when it is
//! not saved here) and, when done, `generation_succeeded`.

use anyhow::Result;

use crate::cli::ConfirmArgs;
use crate::terminal::{ProjectLine, print_generation};
use lovart_core::flow::settle::{PendingShape, Wait, wait_for_output};
use lovart_core::settings::Settings;

pub async fn run(args: ConfirmArgs, ctx: &Settings) -> Result<()> {
    let client = ctx.api()?;
    let thread_id = lovart_core::flow::threads::resolve_thread_id(ctx, &args.thread_id)?;
    let args = ConfirmArgs { thread_id, ..args };
    let timeout = ctx.timeout()?;
    if args.download {
        lovart_core::download::ensure_output_dir(&args.output_dir)?;
    }
    let thread_id = args.thread_id.as_str();
    let project_id = ctx.state.load()?.project_of_thread(thread_id);
    // A refused confirm concerns a known thread: the error object names it.
    client
        .confirm(thread_id)
        .await
        .map_err(|error| lovart_core::failure::in_thread(thread_id, error.into()))?;
    let files = args
        .files
        .options(lovart_core::flow::threads::origin_of(ctx, thread_id));
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
    print_generation(&result, args.json, thread_id, ProjectLine::Omitted);
    lovart_core::flow::hints::after_generation(&ctx.events, &args.thread_id, &result);
    Ok(())
}
