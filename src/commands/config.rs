//! `config`: the local state at a glance.

use anyhow::Result;
use serde_json::Value;

use crate::cli::JsonArgs;
use crate::terminal::print_line;
use lovart_core::python::{dumps_pretty, py_str};
use lovart_core::settings::Settings;

pub fn run(args: JsonArgs, ctx: &Settings) -> Result<()> {
    let state = ctx.state.load()?;
    let data = state.data();
    if args.json {
        print_line(&dumps_pretty(&Value::Object(data.clone()), false));
        return Ok(());
    }
    let projects = data.get("projects");
    let (active, name) = match data.get("active_project") {
        None => ("(not set)".to_string(), String::new()),
        Some(active) => {
            let name = active
                .as_str()
                .map(|id| state.project_name(id))
                .unwrap_or_default();
            (py_str(active), name)
        }
    };
    let suffix = if name.is_empty() {
        String::new()
    } else {
        format!(" ({name})")
    };
    print_line(&format!("active project: {active}{suffix}"));
    print_line(&format!("projects: {}", collection_len(projects)));
    print_line(&format!("threads: {}", collection_len(data.get("threads"))));
    print_line(&format!("state file: {}", ctx.state.path().display()));
    Ok(())
}

/// Python's `len()` of a list or dict; anything else counts as empty.
fn collection_len(value: Option<&Value>) -> usize {
    match value {
        Some(Value::Array(items)) => items.len(),
        Some(Value::Object(map)) => map.len(),
        _ => 0,
    }
}
