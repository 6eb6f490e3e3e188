//! `wait`: attach to a thread already sent, wait until it settles (or
//! `--timeout`), and print what `chat` would have printed for it.
//!
//! This is how a script chains `send` → `wait`, and how an agent whose
//! harness cut a long `chat` off picks the job up again. Nothing is sent and
//! the state file is not changed.

use anyhow::Result;

use crate::cli::WaitArgs;
use crate::terminal::{ProjectLine, print_generation};
use lovart_core::session::Session;
use lovart_core::settings::Settings;

pub async fn run(args: WaitArgs, ctx: &Settings) -> Result<()> {
    let session = Session::new(ctx)?;
    let plan = args.wait_plan(ctx.timeout()?);
    let generation = session.wait(&args.thread_id, plan).await?;
    print_generation(&generation, args.json, ProjectLine::Known);
    lovart_core::flow::hints::after_generation(
        &ctx.events,
        &generation.thread_id,
        &generation.output,
    );
    Ok(())
}
