//! `chat`.

use anyhow::Result;

use crate::cli::ChatArgs;
use crate::ctx::Ctx;

pub async fn run(args: ChatArgs, ctx: &Ctx) -> Result<()> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
