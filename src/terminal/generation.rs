//! How `chat`, `wait` and `confirm` print a settled generation: the output
//! object with `--json`, else the reference's `Status:`, `Thread:` (and for
//! `chat` and `wait`, `Project:`) lines and the result's texts.

use lovart_wire::reply::fields;
use serde_json::Value;

use lovart_core::session::Generation;

use lovart_core::flow::outcome::result_text_lines;
use lovart_core::python::{dumps_pretty, py_str};

use super::print_line;

/// Where the `Thread:` and `Project:` lines of the text output come from.
pub enum ProjectLine {
    /// The generation's own thread, and no `Project:` line (`confirm`).
    Omitted,
    /// The generation's own thread and project (`Project: N/A` when none: `wait`).
    Known,
    /// The output object's `thread_id` and `project_id` fields (`chat`).
    FromOutput,
}

/// Prints `generation`'s output: as JSON, or as the reference's lines naming
/// the thread and the project.
pub fn print_generation(generation: &Generation, json: bool, project: ProjectLine) {
    let output = &generation.output;
    if json {
        print_line(&dumps_pretty(&Value::Object(output.clone()), false));
        return;
    }
    let field = |key: &str| output.get(key).map(py_str);
    let (thread_id, project_id) = match project {
        ProjectLine::FromOutput => (
            field(fields::THREAD_ID).unwrap_or_default(),
            Some(field(fields::PROJECT_ID)),
        ),
        ProjectLine::Known => (
            generation.thread_id.clone(),
            Some(generation.project_id.clone()),
        ),
        ProjectLine::Omitted => (generation.thread_id.clone(), None),
    };
    print_line(&format!("Status: {}", generation.final_status()));
    print_line(&format!("Thread: {thread_id}"));
    if let Some(project_id) = project_id {
        print_line(&format!(
            "Project: {}",
            project_id.as_deref().unwrap_or("N/A")
        ));
    }
    for line in result_text_lines(output) {
        print_line(&line);
    }
}
