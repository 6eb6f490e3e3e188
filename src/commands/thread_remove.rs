//! `thread-remove`: forget a saved thread.

use anyhow::Result;

use crate::cli::ThreadArgs;
use crate::ctx::{Ctx, print_line};

pub fn run(args: ThreadArgs, ctx: &Ctx) -> Result<()> {
    ctx.state
        .update(|state| state.remove_thread(&args.thread_id))?;
    print_line(&format!("Removed thread: {}", args.thread_id));
    Ok(())
}
