//! `projects`, `project-add`, `project-switch`, `project-rename`, `project-remove`:
//! the local project list, with a best-effort rename on the server when keys are set.

use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use crate::cli::{JsonArgs, ProjectAddArgs, ProjectIdArgs, ProjectRenameArgs};
use crate::ctx::{Ctx, print_line};
use crate::output::{dumps_pretty, py_str};

/// The best-effort server rename uses the reference client's default timeout.
const RENAME_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn list(args: JsonArgs, ctx: &Ctx) -> Result<()> {
    let state = ctx.state.load()?;
    let projects = match state.data().get("projects") {
        Some(Value::Object(projects)) => projects.clone(),
        _ => Map::new(),
    };
    let active = state
        .data()
        .get("active_project")
        .cloned()
        .unwrap_or(Value::Null);
    if args.json {
        print_line(&dumps_pretty(
            &json!({"active": active, "projects": projects}),
            false,
        ));
        return Ok(());
    }
    if projects.is_empty() {
        print_line("No projects. Use: project-add --project-id PID --name NAME");
        return Ok(());
    }
    for (id, info) in &projects {
        let marker = if active.as_str() == Some(id.as_str()) {
            " *"
        } else {
            "  "
        };
        let name = info.get("name").map(py_str).unwrap_or_default();
        let threads = state.threads(Some(id)).len();
        let short_id: String = id.chars().take(12).collect();
        print_line(&format!(
            "{marker} {short_id}... {name:<20} ({threads} threads)"
        ));
    }
    Ok(())
}

pub async fn add(args: ProjectAddArgs, ctx: &Ctx) -> Result<()> {
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

pub async fn switch(args: ProjectIdArgs, ctx: &Ctx) -> Result<()> {
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

pub async fn rename(args: ProjectRenameArgs, ctx: &Ctx) -> Result<()> {
    ctx.state
        .update(|state| state.rename_project(&args.project_id, &args.name))?;
    rename_on_server(ctx, &args.project_id, &args.name).await;
    print_line(&format!("Renamed: {} → {}", args.project_id, args.name));
    Ok(())
}

pub async fn remove(args: ProjectIdArgs, ctx: &Ctx) -> Result<()> {
    ctx.state
        .update(|state| state.remove_project(&args.project_id))?;
    print_line(&format!("Removed project: {}", args.project_id));
    Ok(())
}

/// Renames the project on the server when keys are set; any failure is ignored,
/// as in the reference (the local rename is what the user asked for).
async fn rename_on_server(ctx: &Ctx, project_id: &str, name: &str) {
    if !ctx.has_keys() {
        return;
    }
    if let Ok(client) = ctx.api_with_timeout(RENAME_TIMEOUT) {
        let _ = client.rename_project(project_id, name).await;
    }
}
