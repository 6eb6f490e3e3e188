//! `status`: a thread's status, as the server gives it.

use anyhow::Result;

use crate::cli::ThreadArgs;
use crate::terminal::print_line;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub async fn run(args: ThreadArgs, ctx: &Settings) -> Result<()> {
    let client = ctx.api()?;
    let thread_id = lovart_core::flow::threads::resolve_thread_id(ctx, &args.thread_id)?;
    let answer = client.status(&thread_id).await?;
    print_line(&dumps_pretty(&answer, true));
    Ok(())
}
