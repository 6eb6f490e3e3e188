//! `threads`: the saved thread history, of a project or of all.

use anyhow::Result;
use serde_json::Value;

use crate::cli::ThreadsArgs;
use crate::terminal::print_line;
use lovart_core::python::{dumps_pretty, py_str};
use lovart_core::settings::Settings;

pub fn run(args: ThreadsArgs, ctx: &Settings) -> Result<()> {
    let state = ctx.state.load()?;
    let threads = if args.all {
        state.threads(None)
    } else {
        let project = args
            .project_id
            .clone()
            .filter(|id| !id.is_empty())
            .or_else(|| state.active_project());
        state.threads(project.as_deref())
    };
    if args.json {
        print_line(&dumps_pretty(&Value::Array(threads), false));
        return Ok(());
    }
    if threads.is_empty() {
        print_line("No saved threads.");
        return Ok(());
    }
    for (index, thread) in threads.iter().enumerate() {
        let text_of = |key: &str| match thread.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(value) => py_str(value),
        };
        let id: String = text_of("id").chars().take(8).collect();
        let project: String = text_of("project_id").chars().take(8).collect();
        let topic = thread
            .get("topic")
            .map_or_else(|| "(no topic)".to_string(), py_str);
        let updated = text_of("updated_at");
        print_line(&format!(
            "  {}. [{id}...] [{project}] {topic}  ({updated})",
            index + 1
        ));
    }
    Ok(())
}
