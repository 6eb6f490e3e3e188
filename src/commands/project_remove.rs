//! `project-remove`: forget a project and its threads.

use anyhow::Result;

use crate::cli::ProjectIdArgs;
use crate::ctx::{Ctx, print_line};

pub fn run(args: ProjectIdArgs, ctx: &Ctx) -> Result<()> {
    ctx.state
        .update(|state| state.remove_project(&args.project_id))?;
    print_line(&format!("Removed project: {}", args.project_id));
    Ok(())
}
