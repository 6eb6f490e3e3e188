//! `sandbox`: runs the local Lovart server until Ctrl-C.

use anyhow::Result;

use crate::cli::SandboxArgs;
use crate::ctx::Ctx;

pub async fn run(args: SandboxArgs, ctx: &Ctx) -> Result<()> {
    let _ = (args, ctx);
    anyhow::bail!("not implemented yet")
}
