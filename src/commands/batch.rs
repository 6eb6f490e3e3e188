//! `batch`: send every prompt of a file (or stdin), wait for each thread,
//! print one JSON line per row as it settles; resumable from its journal.
//! The work is [`lovart_core::flow::batch`]'s.

use anyhow::Result;

use crate::cli::BatchArgs;
use lovart_core::flow::batch::{BatchOptions, run as run_batch};
use lovart_core::settings::Settings;

pub async fn run(args: BatchArgs, ctx: &Settings) -> Result<()> {
    let settings = BatchOptions {
        concurrency: usize::from(args.concurrency),
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
    run_batch(&args.file, settings, ctx).await
}
