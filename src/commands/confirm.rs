//! `confirm`: approve a pending high-cost operation, wait, print the result.
//!
//! The output is the reference's (the result and `final_status`), plus, as
//! `chat` prints them, `project_id` (from the saved thread, null when it is
//! not saved here) and, when done, `generation_succeeded`.

use anyhow::Result;

use crate::cli::ConfirmArgs;
use crate::terminal::{ProjectLine, print_generation};
use lovart_core::session::Session;
use lovart_core::settings::Settings;

pub async fn run(args: ConfirmArgs, ctx: &Settings) -> Result<()> {
    let session = Session::new(ctx)?;
    let plan = args.wait_plan(ctx.timeout()?);
    let generation = session.confirm(&args.thread_id, plan).await?;
    print_generation(&generation, args.json, ProjectLine::Omitted);
    lovart_core::flow::hints::after_generation(
        &ctx.events,
        &generation.thread_id,
        &generation.output,
    );
    Ok(())
}
