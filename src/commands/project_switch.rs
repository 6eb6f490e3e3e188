//! `project-switch`: activate a project by full id or unique prefix. An
//! unknown id fails with the reference's `Error:` line; a prefix of several
//! projects fails the same way, the candidates on a `hint:` line. With
//! `--json`: `{"project_id", "name", "active"}`.

use anyhow::Result;
use serde_json::json;

use crate::cli::ProjectIdArgs;
use crate::terminal::print_line;
use lovart_core::failure::{Hinted, NotFound};
use lovart_core::flow::threads::ambiguous;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub fn run(args: ProjectIdArgs, ctx: &Settings) -> Result<()> {
    let given = &args.project_id;
    let switched = ctx
        .state
        .update(|state| match state.switch_project(given) {
            Some(full_id) => {
                let name = state.project_name(&full_id);
                Ok((full_id, name))
            }
            None => Err(state.project_ids_starting_with(given)),
        })?;
    let (full_id, name) = match switched {
        Ok(found) => found,
        Err(candidates) => {
            // The reference's line, word for word; what lovart knows beyond
            // it (the prefix's candidates) is advice.
            let not_found = NotFound(format!("project '{given}' not found"));
            let hints = if candidates.len() > 1 && !given.is_empty() {
                let candidates: Vec<&String> = candidates.iter().collect();
                vec![ambiguous("project", given, &candidates)]
            } else {
                vec!["`lovart projects` lists the saved projects".to_string()]
            };
            return Err(Hinted {
                hints,
                mcp_hints: None,
                kind: None,
                cause: not_found.into(),
            }
            .into());
        }
    };
    if args.json {
        print_line(&dumps_pretty(
            &json!({"project_id": full_id, "name": name, "active": true}),
            false,
        ));
        return Ok(());
    }
    let suffix = if name.is_empty() {
        String::new()
    } else {
        format!(" ({name})")
    };
    print_line(&format!("Switched to: {full_id}{suffix}"));
    Ok(())
}
