//! `send`.

use anyhow::Result;

use crate::cli::SendArgs;
use crate::ctx::Ctx;

pub async fn run(args: SendArgs, ctx: &Ctx) -> Result<()> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
