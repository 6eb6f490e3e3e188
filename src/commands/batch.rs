//! `batch`: send every prompt of a file (or stdin), wait for each thread,
//! print one JSON line per row as it settles; resumable from its journal.
//! The work is [`lovart_core::flow::batch`]'s.

use anyhow::Result;

use crate::cli::BatchArgs;
use lovart_core::flow::batch::{BatchOptions, default_concurrency};
use lovart_core::settings::Settings;

pub async fn run(args: BatchArgs, ctx: &Settings) -> Result<()> {
    let settings = BatchOptions {
        concurrency: args
            .concurrency
            .map_or_else(default_concurrency, usize::from),
        download: args.download,
        output_dir: args.output_dir,
        name: args.files.name,
        sidecar: args.files.sidecar,
        journal: args.journal.map(Into::into),
        project_id: args.project_id,
        mode: args.mode.map(Into::into),
        max_credits: args.max_credits,
        timeout: ctx.timeout()?,
    };
    // Stopped, a batch resumes from its journal: every send is on record.
    let running = lovart_core::flow::batch::run(&args.file, settings, ctx);
    lovart_core::flow::interrupt::or_stopped(running)
        .await?
        .verdict(ctx.exit_codes, &ctx.events)
}
