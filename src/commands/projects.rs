//! `projects`: the known projects, the active one marked.

use anyhow::Result;
use serde_json::{Map, Value, json};

use crate::cli::JsonArgs;
use crate::terminal::print_line;
use lovart_core::python::{dumps_pretty, py_str};
use lovart_core::settings::Settings;

pub fn run(args: JsonArgs, ctx: &Settings) -> Result<()> {
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
