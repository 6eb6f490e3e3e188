//! What `chat`, `confirm` and `watch` share: waiting for a thread to settle,
//! shaping its result the way the reference does, and stopping on Ctrl-C.
//!
//! The poll is the reference's, step for step: a status every 3 s until the
//! `--timeout` deadline; after the first "done", 5 s and a second look (a
//! video sub-agent may not have started yet); from the 7th poll on, every 3rd
//! poll also asks the result for a pending confirmation.

use std::future::Future;
use std::time::Duration;

use anyhow::Result;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::api::{ApiClient, ApiError, is_truthy};
use crate::app::Interrupted;
use crate::output::py_str;
use crate::timing::Waits;

/// How a wait for a thread ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    Done,
    Abort,
    Timeout,
    /// A high-cost tool waits for the user's yes; the value is what to show them.
    PendingConfirmation(Value),
}

impl Settled {
    /// `final_status` as printed.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Abort => "abort",
            Self::Timeout => "timeout",
            Self::PendingConfirmation(_) => "pending_confirmation",
        }
    }
}

/// Observes the poll; the terminal spinner implements it.
pub trait PollObserver {
    fn status(&self, status: &str);
}

impl PollObserver for () {
    fn status(&self, _status: &str) {}
}

/// Polls `thread_id` until done, abort, a pending confirmation, or `timeout`.
pub async fn poll_until_settled(
    client: &ApiClient,
    thread_id: &str,
    timeout: Duration,
    waits: Waits,
    observer: &dyn PollObserver,
) -> Result<Settled, ApiError> {
    let deadline = Instant::now() + timeout;
    let mut polls: u32 = 0;
    while Instant::now() < deadline {
        let status = client.status_word(thread_id).await?;
        polls += 1;
        observer.status(&status);
        match status.as_str() {
            "abort" => return Ok(Settled::Abort),
            "done" => {
                tokio::time::sleep(waits.done_recheck()).await;
                let second = client.status_word(thread_id).await?;
                if second == "done" || second == "abort" {
                    if let Some(pending) = pending_confirmation(client, thread_id).await {
                        return Ok(Settled::PendingConfirmation(pending));
                    }
                    return Ok(if second == "done" {
                        Settled::Done
                    } else {
                        Settled::Abort
                    });
                }
            }
            _ => {}
        }
        if polls >= 7 && status == "running" && polls % 3 == 0 {
            if let Some(pending) = pending_confirmation(client, thread_id).await {
                return Ok(Settled::PendingConfirmation(pending));
            }
        }
        tokio::time::sleep(waits.poll_interval()).await;
    }
    Ok(Settled::Timeout)
}

/// The result's `pending_confirmation` when there is one; errors count as none.
async fn pending_confirmation(client: &ApiClient, thread_id: &str) -> Option<Value> {
    let result = client.result(thread_id).await.ok()?;
    result
        .get("pending_confirmation")
        .filter(|pending| is_truthy(pending))
        .cloned()
}

/// The reference's sentence for a thread that ended with text only.
pub const TEXT_ONLY_WARNING: &str = "Thread ended without producing any artifact. The agent responded with text only — the upstream model may have refused the prompt (content moderation), timed out, or the LLM chose not to call a generation tool.";

/// The list under `key`, or nothing when it is missing or not a list.
pub fn list_of<'a>(object: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    match object.get(key) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

fn items_of(value: &Value) -> &[Value] {
    match value.get("items") {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// Adds `generation_succeeded`, and for a text-only thread `warning` and
/// `agent_message`, to a finished result.
pub fn mark_generation_outcome(result: &mut Map<String, Value>) {
    let items = list_of(result, "items").to_vec();
    let has_artifact = items
        .iter()
        .any(|item| item.get("artifacts").is_some_and(is_truthy));
    if has_artifact {
        result.insert("generation_succeeded".into(), json!(true));
        return;
    }
    let texts: Vec<String> = items
        .iter()
        .filter_map(|item| item.get("text").filter(|text| is_truthy(text)))
        .map(|text| {
            py_str(text)
                .trim_matches(crate::text::is_py_whitespace)
                .to_string()
        })
        .collect();
    result.insert("generation_succeeded".into(), json!(false));
    result.insert("warning".into(), json!(TEXT_ONLY_WARNING));
    if !texts.is_empty() {
        result.insert("agent_message".into(), json!(texts.join("\n\n")));
    }
}

/// Whether the reference would rename a project called `name`: empty,
/// "untitled" in any case, or a short prefix of its own id.
pub fn project_needs_name(name: Option<&Value>, project_id: &str) -> bool {
    match name {
        None | Some(Value::Null) => true,
        Some(Value::String(name)) => {
            name.is_empty()
                || name.to_lowercase() == "untitled"
                || (name.chars().count() <= 12 && project_id.starts_with(name.as_str()))
        }
        Some(other) => !is_truthy(other),
    }
}

/// Text lines of a result: items' texts and artifacts, then downloaded paths.
pub fn result_text_lines(result: &Map<String, Value>) -> Vec<String> {
    let mut lines = Vec::new();
    for item in list_of(result, "items") {
        if let Some(text) = item.get("text").filter(|text| is_truthy(text)) {
            let kind = item.get("type").map(py_str).unwrap_or_default();
            lines.push(format!("\n[{kind}] {}", py_str(text)));
        }
        if let Some(Value::Array(artifacts)) = item.get("artifacts") {
            for artifact in artifacts {
                let kind = artifact.get("type").map(py_str).unwrap_or_default();
                let content = artifact.get("content").map(py_str).unwrap_or_default();
                lines.push(format!("  [{kind}] {content}"));
            }
        }
    }
    for download in list_of(result, "downloaded") {
        if let Some(path) = download.get("local_path").filter(|path| is_truthy(path)) {
            lines.push(format!("  -> {}", py_str(path)));
        }
    }
    lines
}

/// Counts the artifacts in a result (for progress and summaries).
pub fn artifact_total(result: &Value) -> usize {
    items_of(result)
        .iter()
        .filter_map(|item| item.get("artifacts").and_then(Value::as_array))
        .map(Vec::len)
        .sum()
}

/// Runs `work`, or stops at Ctrl-C: then tells the user the generation goes on
/// and how to pick it up, and fails with [`Interrupted`] (exit 130).
pub async fn until_interrupted<T>(
    thread_id: &str,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        outcome = work => outcome,
        _ = tokio::signal::ctrl_c() => {
            print_resume_hint(thread_id);
            Err(Interrupted.into())
        }
    }
}

/// The lines printed on Ctrl-C: the thread keeps running on the server.
pub fn print_resume_hint(thread_id: &str) {
    eprintln!();
    eprintln!("Interrupted. The generation continues on the server (thread {thread_id}).");
    eprintln!(
        "Get the result later with:  lovart result --thread-id {thread_id} --json --download"
    );
    eprintln!("or follow it with:          lovart watch --thread-id {thread_id}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn artifacts_mean_success() {
        let mut result = object(
            json!({"items": [{"type": "generator", "artifacts": [{"type": "image", "content": "u"}]}]}),
        );
        mark_generation_outcome(&mut result);
        assert_eq!(result["generation_succeeded"], json!(true));
        assert!(!result.contains_key("warning"));
    }

    #[test]
    fn text_only_gets_warning_and_joined_stripped_message() {
        let mut result = object(json!({"items": [
            {"type": "assistant", "text": "  I can't draw that. "},
            {"type": "assistant", "text": "   "},
            {"type": "generator", "artifacts": []},
            {"type": "assistant", "text": "Try again"}
        ]}));
        mark_generation_outcome(&mut result);
        assert_eq!(result["generation_succeeded"], json!(false));
        assert_eq!(result["warning"], json!(TEXT_ONLY_WARNING));
        assert_eq!(
            result["agent_message"],
            json!("I can't draw that.\n\n\n\nTry again")
        );
    }

    #[test]
    fn no_text_means_no_agent_message() {
        let mut result = object(json!({"items": []}));
        mark_generation_outcome(&mut result);
        assert!(!result.contains_key("agent_message"));
    }

    #[test]
    fn rename_rules_follow_the_reference() {
        let id = "0123456789abcdef";
        assert!(project_needs_name(None, id));
        assert!(project_needs_name(Some(&json!("")), id));
        assert!(project_needs_name(Some(&json!("Untitled")), id));
        assert!(project_needs_name(Some(&json!("01234567")), id));
        assert!(!project_needs_name(
            Some(&json!("0123456789abcd")),
            "0123456789abcdef0"
        ));
        assert!(!project_needs_name(Some(&json!("Posters")), id));
        assert!(project_needs_name(Some(&json!(null)), id));
    }

    #[test]
    fn text_lines_show_texts_artifacts_and_downloads() {
        let result = object(json!({
            "items": [
                {"type": "assistant", "text": "Here"},
                {"type": "generator", "artifacts": [{"type": "image", "content": "http://x/a.png"}]}
            ],
            "downloaded": [{"local_path": "/tmp/lovart/a.png"}, {"local_path": null}]
        }));
        assert_eq!(
            result_text_lines(&result),
            [
                "\n[assistant] Here",
                "  [image] http://x/a.png",
                "  -> /tmp/lovart/a.png"
            ]
        );
    }
}
