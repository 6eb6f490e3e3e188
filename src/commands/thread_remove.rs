//! `thread-remove`: forget a saved thread.
//!
//! A unique prefix of a saved thread's id names that thread (`lovart threads`
//! shows 8 characters). An unknown id still rewrites the file and exits 0, as
//! in the reference; a person at a terminal is warned that nothing was removed.
//! With `--json`: `{"thread_id", "removed"}` (`removed`: whether it was known).

use anyhow::Result;
use serde_json::json;

use crate::cli::ThreadArgs;
use crate::terminal::print_line;
use lovart_core::events::Event;
use lovart_core::flow::threads::resolve_thread_id;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub fn run(args: ThreadArgs, ctx: &Settings) -> Result<()> {
    let thread_id = resolve_thread_id(ctx, &args.thread_id)?;
    let known = ctx.state.update(|state| {
        let known = state.thread_ids().contains(&thread_id);
        state.remove_thread(&thread_id);
        known
    })?;
    if args.json {
        print_line(&dumps_pretty(
            &json!({"thread_id": thread_id, "removed": known}),
            false,
        ));
    } else {
        print_line(&format!("Removed thread: {thread_id}"));
    }
    if !known {
        ctx.events.emit(Event::Notice(&format!(
            "no saved thread has the id '{thread_id}'; nothing was removed (`lovart threads --all` lists them)"
        )));
    }
    Ok(())
}
