//! `project-remove`: forget a project and its threads.
//!
//! An unknown id still rewrites the file and exits 0, as in the reference; a
//! person at a terminal is warned that nothing was known by that id. With
//! `--json`: `{"project_id", "removed"}` (`removed`: whether it was known).

use anyhow::Result;
use serde_json::json;

use crate::cli::ProjectIdArgs;
use crate::terminal::print_line;
use lovart_core::events::Event;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub fn run(args: ProjectIdArgs, ctx: &Settings) -> Result<()> {
    let known = ctx.state.update(|state| {
        let known = state.has_project(&args.project_id);
        state.remove_project(&args.project_id);
        known
    })?;
    if args.json {
        print_line(&dumps_pretty(
            &json!({"project_id": args.project_id, "removed": known}),
            false,
        ));
    } else {
        print_line(&format!("Removed project: {}", args.project_id));
    }
    if !known {
        ctx.events.emit(Event::Notice(&format!(
            "no saved project has the id '{}'; nothing was removed (`lovart projects` lists them)",
            args.project_id
        )));
    }
    Ok(())
}
