//! How `chat`, `wait` and `confirm` print a settled generation: the output
//! object with `--json`, else the reference's `Status:`, `Thread:` (and for
//! `chat` and `wait`, `Project:`) lines and the result's texts.

use serde_json::{Map, Value};

use lovart_core::flow::outcome::result_text_lines;
use lovart_core::python::{dumps_pretty, py_str};

use super::print_line;

/// The `Project:` line of the text output.
pub enum ProjectLine<'a> {
    /// No such line (`confirm`).
    Omitted,
    /// `Project: <id>`, or `Project: N/A` when there is none (`chat`, `wait`).
    Of(Option<&'a str>),
}

/// Prints `result`: as JSON, or as lines naming `thread_id` and the project.
pub fn print_generation(
    result: &Map<String, Value>,
    json: bool,
    thread_id: &str,
    project: ProjectLine<'_>,
) {
    if json {
        print_line(&dumps_pretty(&Value::Object(result.clone()), false));
        return;
    }
    let status = result.get("final_status").map(py_str).unwrap_or_default();
    print_line(&format!("Status: {status}"));
    print_line(&format!("Thread: {thread_id}"));
    if let ProjectLine::Of(project) = project {
        print_line(&format!("Project: {}", project.unwrap_or("N/A")));
    }
    for line in result_text_lines(result) {
        print_line(&line);
    }
}
