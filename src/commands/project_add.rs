//! `project-add`: add (or rename) a project and activate it; renamed on the
//! server too when keys are set. With `--json`: `{"project_id", "name",
//! "active"}`, the name as saved.

use anyhow::Result;
use serde_json::json;

use crate::cli::ProjectAddArgs;
use crate::terminal::print_line;
use lovart_core::flow::project::rename_on_server;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub async fn run(args: ProjectAddArgs, ctx: &Settings) -> Result<()> {
    let saved_name = ctx.state.update(|state| {
        state.add_project(&args.project_id, &args.name);
        state.project_name(&args.project_id)
    })?;
    if !args.name.is_empty() {
        rename_on_server(ctx, &args.project_id, &args.name).await;
    }
    if args.json {
        print_line(&dumps_pretty(
            &json!({"project_id": args.project_id, "name": saved_name, "active": true}),
            false,
        ));
        return Ok(());
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
