//! `project-rename`: rename a project locally, and on the server when keys are
//! set. With `--json`: `{"project_id", "name"}`.

use anyhow::Result;
use serde_json::json;

use crate::cli::ProjectRenameArgs;
use crate::terminal::print_line;
use lovart_core::flow::project::rename_on_server;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub async fn run(args: ProjectRenameArgs, ctx: &Settings) -> Result<()> {
    ctx.state
        .update(|state| state.rename_project(&args.project_id, &args.name))?;
    rename_on_server(ctx, &args.project_id, &args.name).await;
    if args.json {
        print_line(&dumps_pretty(
            &json!({"project_id": args.project_id, "name": args.name}),
            false,
        ));
        return Ok(());
    }
    print_line(&format!("Renamed: {} → {}", args.project_id, args.name));
    Ok(())
}
