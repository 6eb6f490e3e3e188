//! `watch`.

use anyhow::Result;

use crate::cli::WatchArgs;
use crate::ctx::Ctx;

pub async fn run(args: WatchArgs, ctx: &Ctx) -> Result<()> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
