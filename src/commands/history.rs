//! `history`: the files lovart downloaded, newest first, from the history
//! file in the state folder; a file no longer on disk is marked.

use anyhow::Result;
use serde_json::{Value, json};

use crate::cli::HistoryArgs;
use crate::terminal::print_line;
use lovart_core::files::history::HistoryFilter;
use lovart_core::python::dumps_pretty;
use lovart_core::settings::Settings;

pub fn run(args: HistoryArgs, ctx: &Settings) -> Result<()> {
    let filter = args.filter.filter();
    let listed = lovart_core::flow::library::listed(ctx, &filter)?;
    if args.json {
        let records: Vec<Value> = listed
            .into_iter()
            .map(|(mut record, exists)| {
                if let Some(map) = record.as_object_mut() {
                    map.insert("exists".into(), json!(exists));
                }
                record
            })
            .collect();
        print_line(&dumps_pretty(&Value::Array(records), false));
        return Ok(());
    }
    if listed.is_empty() {
        let filtered = filter != HistoryFilter::default();
        print_line(if filtered {
            "No downloads match these filters."
        } else {
            "No downloads recorded."
        });
        return Ok(());
    }
    for (record, exists) in &listed {
        print_line(&line(record, *exists));
    }
    Ok(())
}

/// `<time>  <type>  <path>[  (missing)]  thread <id8>  <prompt…>`
fn line(record: &Value, exists: bool) -> String {
    let text = |key: &str| record.get(key).and_then(Value::as_str).unwrap_or("");
    let mut line = format!(
        "{}  {}  {}",
        text("downloaded_at"),
        text("type"),
        text("local_path")
    );
    if !exists {
        line.push_str("  (missing)");
    }
    let thread = text("thread_id");
    if !thread.is_empty() {
        let short: String = thread.chars().take(8).collect();
        line.push_str(&format!("  thread {short}"));
    }
    let prompt = text("prompt");
    if !prompt.is_empty() {
        let mut short: String = prompt
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(60)
            .collect();
        if prompt.chars().count() > 60 {
            short.push('…');
        }
        line.push_str(&format!("  {short}"));
    }
    line
}
