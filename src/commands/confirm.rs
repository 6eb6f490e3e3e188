//! `confirm`.

use anyhow::Result;

use crate::cli::ConfirmArgs;
use crate::ctx::Ctx;

pub async fn run(args: ConfirmArgs, ctx: &Ctx) -> Result<()> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
