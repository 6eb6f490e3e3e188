//! The batch input file: parsing plain-text or JSONL prompts into compact
//! [`Row`]s, with every problem reported up front as `line N: message`.
//!
//! Format, decided once per file by its first non-blank, non-comment line:
//! - plain text: one prompt per line (trimmed);
//! - JSONL (that line starts with `{`): every row is a JSON object with
//!   `prompt` and optional `id`, `thread_id`, `attachments`, `mode`,
//!   `prefer_models`, `include_tools`, `exclude_tools`, `output_dir`.
//!
//! In both formats blank lines and lines starting with `#` are skipped, and
//! rows of the other format are errors. `null` for an optional key means absent.

use std::fmt;
use std::io::BufRead;
use std::path::PathBuf;

use serde_json::{Map, Value};

/// Keys a JSONL row may have.
pub const JSONL_KEYS: [&str; 9] = [
    "prompt",
    "id",
    "thread_id",
    "attachments",
    "mode",
    "prefer_models",
    "include_tools",
    "exclude_tools",
    "output_dir",
];

/// Which of the two input formats a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Plain,
    Jsonl,
}

/// A row's `mode`: the `--mode` of the other commands.
pub use crate::flow::send::ReasoningMode as Mode;

/// The rarely used per-row settings, boxed behind an `Option` in [`Row`] so a
/// plain prompt costs one pointer for all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowOptions {
    pub thread_id: Option<String>,
    pub attachments: Vec<String>,
    pub mode: Option<Mode>,
    /// Category → tool names, in the file's order.
    pub prefer_models: Vec<(String, Vec<String>)>,
    pub include_tools: Vec<String>,
    pub exclude_tools: Vec<String>,
    pub output_dir: Option<PathBuf>,
}

static NO_OPTIONS: RowOptions = RowOptions {
    thread_id: None,
    attachments: Vec::new(),
    mode: None,
    prefer_models: Vec::new(),
    include_tools: Vec::new(),
    exclude_tools: Vec::new(),
    output_dir: None,
};

impl RowOptions {
    /// `prefer_models` as the API's `prefer_tool_categories` object, or `None`.
    pub fn prefer_models_value(&self) -> Option<Value> {
        if self.prefer_models.is_empty() {
            return None;
        }
        let map: Map<String, Value> = self
            .prefer_models
            .iter()
            .map(|(category, tools)| (category.clone(), Value::from(tools.clone())))
            .collect();
        Some(Value::Object(map))
    }
}

/// One prompt to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number in the input.
    pub line: usize,
    /// Unique within the file; defaults to the line number.
    pub id: Box<str>,
    pub prompt: Box<str>,
    /// `None` when the row sets nothing but `prompt` and `id`.
    pub extra: Option<Box<RowOptions>>,
}

impl Row {
    /// The row's settings (all empty when it has none).
    pub fn options(&self) -> &RowOptions {
        self.extra.as_deref().unwrap_or(&NO_OPTIONS)
    }
}

/// A problem with the input, shown as `line N: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for RowError {}

/// A fully parsed, valid input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// `None` when the input had no rows at all.
    pub format: Option<Format>,
    pub rows: Vec<Row>,
}

/// Parses the whole input, one line at a time, and returns either every row
/// or every problem (sorted by line), so nothing is sent from a bad file.
pub fn parse_rows<R: BufRead>(mut reader: R) -> Result<Parsed, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut format: Option<(Format, usize)> = None;
    let mut buf = Vec::new();
    let mut line = 0usize;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => line += 1,
            Err(e) => {
                errors.push(error(line + 1, format!("cannot read the input: {e}")));
                break;
            }
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            errors.push(error(line, "not valid UTF-8".into()));
            continue;
        };
        let text = if line == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let looks_json = text.starts_with('{');
        let (fmt, first) = *format.get_or_insert((
            if looks_json {
                Format::Jsonl
            } else {
                Format::Plain
            },
            line,
        ));
        match (fmt, looks_json) {
            (Format::Plain, false) => rows.push(Row {
                line,
                id: line.to_string().into(),
                prompt: text.into(),
                extra: None,
            }),
            (Format::Jsonl, true) => match parse_object(line, text) {
                Ok(row) => rows.push(row),
                Err(mut row_errors) => errors.append(&mut row_errors),
            },
            (Format::Plain, true) => errors.push(error(
                line,
                format!(
                    "looks like a JSON object, but this file is plain text (line {first} is a plain prompt); write every row as JSON, or none"
                ),
            )),
            (Format::Jsonl, false) => errors.push(error(
                line,
                format!(
                    "expected a JSON object: this file is JSONL (line {first} is an object); write every row as JSON, or none"
                ),
            )),
        }
    }
    check_unique_ids(&rows, &mut errors);
    if errors.is_empty() {
        Ok(Parsed {
            format: format.map(|(fmt, _)| fmt),
            rows,
        })
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

fn error(line: usize, message: String) -> RowError {
    RowError { line, message }
}

/// One error per repeated id, on each later line that repeats it.
fn check_unique_ids(rows: &[Row], errors: &mut Vec<RowError>) {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        rows[a]
            .id
            .cmp(&rows[b].id)
            .then(rows[a].line.cmp(&rows[b].line))
    });
    let mut first: Option<&Row> = None;
    for &i in &order {
        let row = &rows[i];
        match first {
            Some(first) if first.id == row.id => errors.push(error(
                row.line,
                format!(
                    "duplicate id {:?} (first used on line {})",
                    &*row.id, first.line
                ),
            )),
            _ => first = Some(row),
        }
    }
}

/// One JSONL row; every problem with it, not just the first.
fn parse_object(line: usize, text: &str) -> Result<Row, Vec<RowError>> {
    let value: Value =
        crate::python::loads(text).map_err(|e| vec![error(line, format!("invalid JSON: {e}"))])?;
    let Value::Object(map) = value else {
        return Err(vec![error(line, "expected a JSON object".into())]);
    };
    let mut errors = Vec::new();
    let mut bad = |message: String| errors.push(error(line, message));
    let mut prompt = None;
    let mut id = None;
    let mut options = RowOptions::default();
    for (key, value) in map {
        if value.is_null() && key != "prompt" {
            continue;
        }
        let result = match key.as_str() {
            "prompt" => non_empty_string(&value).map(|s| prompt = Some(s)),
            "id" => id_string(&value).map(|s| id = Some(s)),
            "thread_id" => non_empty_string(&value).map(|s| options.thread_id = Some(s)),
            "attachments" => string_list(&value).map(|v| options.attachments = v),
            "mode" => mode(&value).map(|m| options.mode = Some(m)),
            "prefer_models" => prefer_models(&value).map(|v| options.prefer_models = v),
            "include_tools" => string_list(&value).map(|v| options.include_tools = v),
            "exclude_tools" => string_list(&value).map(|v| options.exclude_tools = v),
            "output_dir" => {
                non_empty_string(&value).map(|s| options.output_dir = Some(PathBuf::from(s)))
            }
            _ => Err(format!(
                "unknown key {key:?} (expected one of: {})",
                JSONL_KEYS.join(", ")
            )),
        };
        if let Err(message) = result {
            if JSONL_KEYS.contains(&key.as_str()) {
                bad(format!("\"{key}\" {message}"));
            } else {
                bad(message);
            }
        }
    }
    if prompt.is_none() && !errors.iter().any(|e| e.message.starts_with("\"prompt\"")) {
        errors.push(error(line, "missing \"prompt\"".into()));
    }
    match prompt {
        Some(prompt) if errors.is_empty() => Ok(Row {
            line,
            id: id.unwrap_or_else(|| line.to_string()).into(),
            prompt: prompt.into(),
            extra: (options != RowOptions::default()).then(|| Box::new(options)),
        }),
        _ => Err(errors),
    }
}

fn non_empty_string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        Value::String(_) => Err("must not be empty".into()),
        other => Err(format!("must be a string, not {}", kind(other))),
    }
}

fn id_string(value: &Value) -> Result<String, String> {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Value::String(_) => non_empty_string(value),
        other => Err(format!(
            "must be a string or an integer, not {}",
            kind(other)
        )),
    }
}

fn string_list(value: &Value) -> Result<Vec<String>, String> {
    let Value::Array(items) = value else {
        return Err(format!("must be an array of strings, not {}", kind(value)));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| non_empty_string(item).map_err(|m| format!("item {i} {m}")))
        .collect()
}

fn mode(value: &Value) -> Result<Mode, String> {
    match value.as_str() {
        Some("thinking") => Ok(Mode::Thinking),
        Some("fast") => Ok(Mode::Fast),
        _ => Err(format!(
            "must be \"thinking\" or \"fast\", not {}",
            short(value)
        )),
    }
}

fn prefer_models(value: &Value) -> Result<Vec<(String, Vec<String>)>, String> {
    let Value::Object(categories) = value else {
        return Err(format!(
            "must be an object of category -> list of tool names, e.g. {{\"IMAGE\":[\"generate_image_midjourney\"]}}, not {}",
            kind(value)
        ));
    };
    categories
        .iter()
        .map(|(category, tools)| match tools {
            Value::Array(_) => string_list(tools)
                .map(|tools| (category.clone(), tools))
                .map_err(|m| format!("{category:?}: {m}")),
            other => Err(format!(
                "{category:?} must be a list of tool names, not {}",
                kind(other)
            )),
        })
        .collect()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value for an error message, cut to a readable length.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests;
