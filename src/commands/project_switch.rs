//! `project-switch`: activate a project by full id or unique prefix.

use anyhow::{Result, bail};

use crate::cli::ProjectIdArgs;
use crate::ctx::{Ctx, print_line};

pub fn run(args: ProjectIdArgs, ctx: &Ctx) -> Result<()> {
    let switched = ctx.state.update(|state| {
        let full_id = state.switch_project(&args.project_id)?;
        let name = state.project_name(&full_id);
        Some((full_id, name))
    })?;
    let Some((full_id, name)) = switched else {
        bail!("project '{}' not found", args.project_id);
    };
    let suffix = if name.is_empty() {
        String::new()
    } else {
        format!(" ({name})")
    };
    print_line(&format!("Switched to: {full_id}{suffix}"));
    Ok(())
}
