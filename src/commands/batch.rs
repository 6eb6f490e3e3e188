//! `batch`: send every prompt of a file (or stdin), wait for each thread,
//! print one JSON line per row as it settles; resumable from its journal.
//! The work is [`crate::flow::batch`]'s.

use anyhow::Result;

use crate::cli::BatchArgs;
use crate::ctx::Ctx;
use crate::flow::batch::{Settings, default_concurrency, run as run_batch};

pub async fn run(args: BatchArgs, ctx: &Ctx) -> Result<()> {
    let settings = Settings {
        concurrency: args
            .concurrency
            .map_or_else(default_concurrency, usize::from),
        download: args.download,
        output_dir: args.output_dir,
        journal: args.journal.map(Into::into),
        project_id: args.project_id,
        mode: args.mode,
        max_credits: args.max_credits,
        timeout: ctx.timeout()?,
    };
    run_batch(&args.file, settings, ctx).await
}
