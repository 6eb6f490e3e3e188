//! `doctor`.

use anyhow::Result;

use crate::cli::JsonArgs;
use crate::ctx::Ctx;

pub async fn run(args: JsonArgs, ctx: &Ctx) -> Result<()> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
