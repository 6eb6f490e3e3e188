//! `project-add`: add (or rename) a project and activate it; renamed on the
//! server too when keys are set.

use anyhow::Result;

use crate::cli::ProjectAddArgs;
use lovart_core::flow::project::rename_on_server;
use lovart_core::settings::{Settings, print_line};

pub async fn run(args: ProjectAddArgs, ctx: &Settings) -> Result<()> {
    ctx.state
        .update(|state| state.add_project(&args.project_id, &args.name))?;
    if !args.name.is_empty() {
        rename_on_server(ctx, &args.project_id, &args.name).await;
    }
    let suffix = if args.name.is_empty() {
        String::new()
    } else {
        format!(" ({})", args.name)
    };
    print_line(&format!(
        "Added and switched to project: {}{suffix}",
        args.project_id
    ));
    Ok(())
}
