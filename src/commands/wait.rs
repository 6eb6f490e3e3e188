//! `wait`: attach to a thread already sent, wait until it settles (or
//! `--timeout`), and print what `chat` would have printed for it.
//!
//! This is how a script chains `send` → `wait`, and how an agent whose
//! harness cut a long `chat` off picks the job up again. Nothing is sent and
//! the state file is not changed.

use anyhow::Result;

use crate::cli::WaitArgs;
use crate::terminal::{ProjectLine, print_generation};
use lovart_core::flow::settle::{PendingShape, Wait, wait_for_output};
use lovart_core::settings::Settings;

pub async fn run(args: WaitArgs, ctx: &Settings) -> Result<()> {
    let client = ctx.api()?;
    let timeout = ctx.timeout()?;
    if args.download {
        lovart_core::download::ensure_output_dir(&args.output_dir)?;
    }
    let thread_id = lovart_core::flow::threads::resolve_thread_id(ctx, &args.thread_id)?;
    let thread_id = thread_id.as_str();
    let project_id = ctx.state.load()?.project_of_thread(thread_id);
    let files = args
        .files
        .options(lovart_core::flow::threads::origin_of(ctx, thread_id));
    let wait = Wait {
        thread_id,
        project_id: project_id.as_deref(),
        timeout,
        max_credits: args.max_credits,
        shape: PendingShape::Summary,
        json: args.json,
        download: args.download,
        output_dir: &args.output_dir,
        files: &files,
    };
    let result = wait_for_output(&client, ctx, wait, async |_, _| Ok(())).await?;
    print_generation(
        &result,
        args.json,
        thread_id,
        ProjectLine::Of(project_id.as_deref()),
    );
    lovart_core::flow::hints::after_generation(&ctx.events, thread_id, &result);
    Ok(())
}
