//! `project-rename`: rename a project locally, and on the server when keys are set.

use anyhow::Result;

use crate::cli::ProjectRenameArgs;
use crate::ctx::{Ctx, print_line};
use crate::flow::project::rename_on_server;

pub async fn run(args: ProjectRenameArgs, ctx: &Ctx) -> Result<()> {
    ctx.state
        .update(|state| state.rename_project(&args.project_id, &args.name))?;
    rename_on_server(ctx, &args.project_id, &args.name).await;
    print_line(&format!("Renamed: {} → {}", args.project_id, args.name));
    Ok(())
}
