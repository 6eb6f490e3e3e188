//! `status`: a thread's status, as the server gives it.

use anyhow::Result;

use crate::cli::ThreadArgs;
use crate::ctx::{Ctx, print_line};
use crate::python::dumps_pretty;

pub async fn run(args: ThreadArgs, ctx: &Ctx) -> Result<()> {
    let answer = ctx.api()?.status(&args.thread_id).await?;
    print_line(&dumps_pretty(&answer, true));
    Ok(())
}
