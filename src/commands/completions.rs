//! `completions`.

use anyhow::Result;

use crate::cli::CompletionsArgs;
use crate::ctx::Ctx;

pub async fn run(args: CompletionsArgs, ctx: &Ctx) -> Result<()> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
