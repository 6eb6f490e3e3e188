//! `status`: a thread's status, as the server gives it.

use anyhow::Result;

use crate::cli::ThreadArgs;
use crate::ctx::{Ctx, print_line};
use crate::python::dumps_pretty;

pub async fn run(args: ThreadArgs, ctx: &Ctx) -> Result<()> {
    let client = ctx.api()?;
    let thread_id = crate::flow::threads::resolve_thread_id(ctx, &args.thread_id)?;
    let answer = client.status(&thread_id).await?;
    print_line(&dumps_pretty(&answer, true));
    Ok(())
}
