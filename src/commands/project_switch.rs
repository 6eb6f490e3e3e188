//! `project-switch`: activate a project by full id or unique prefix; a prefix
//! of several projects is refused with the candidates listed.

use anyhow::{Result, bail};

use crate::cli::ProjectIdArgs;
use lovart_core::flow::threads::ambiguous;
use lovart_core::settings::{Settings, print_line};

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
        Err(candidates) if candidates.len() > 1 && !given.is_empty() => {
            let candidates: Vec<&String> = candidates.iter().collect();
            bail!(
                "project '{given}' not found: {}",
                ambiguous("project", given, &candidates)
            );
        }
        Err(_) => bail!("project '{given}' not found"),
    };
    let suffix = if name.is_empty() {
        String::new()
    } else {
        format!(" ({name})")
    };
    print_line(&format!("Switched to: {full_id}{suffix}"));
    Ok(())
}
