//! `models`.

use anyhow::Result;

use crate::cli::ModelsArgs;
use crate::ctx::Ctx;

pub async fn run(args: ModelsArgs, ctx: &Ctx) -> Result<()> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
