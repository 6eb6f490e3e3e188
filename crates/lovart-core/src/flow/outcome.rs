//! A settled thread's output, shaped the way the reference shapes it:
//! `generation_succeeded` and the text-only warning, the project auto-name
//! rule, the plain-text lines of `chat`/`confirm`, and `--download`.

use anyhow::Result;
use lovart_wire::reply::{ArtifactView, ResultView, fields};
use serde_json::{Map, Value, json};

use crate::download::{FileOptions, collect_artifacts};
use crate::python::{is_py_whitespace, is_truthy, py_str};
use crate::settings::Settings;

/// The reference's sentence for a thread that ended with text only.
pub const TEXT_ONLY_WARNING: &str = "Thread ended without producing any artifact. The agent responded with text only — the upstream model may have refused the prompt (content moderation), timed out, or the LLM chose not to call a generation tool.";

/// Adds `generation_succeeded`, and for a text-only thread `warning` and
/// `agent_message`, to a finished result.
pub fn mark_generation_outcome(result: &mut Map<String, Value>) {
    let view = ResultView(result);
    if view.has_artifacts() {
        result.insert("generation_succeeded".into(), json!(true));
        return;
    }
    let texts: Vec<String> = view
        .texts()
        .map(|(_, text)| py_str(text).trim_matches(is_py_whitespace).to_string())
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
    for item in ResultView(result).items() {
        if let Some(text) = item.get(fields::TEXT).filter(|text| is_truthy(text)) {
            let kind = item.get(fields::TYPE).map(py_str).unwrap_or_default();
            lines.push(format!("\n[{kind}] {}", py_str(text)));
        }
        if let Some(Value::Array(artifacts)) = item.get(fields::ARTIFACTS) {
            for artifact in artifacts.iter().map(ArtifactView) {
                let kind = artifact.kind().map(py_str).unwrap_or_default();
                let content = artifact.content().map(py_str).unwrap_or_default();
                lines.push(format!("  [{kind}] {content}"));
            }
        }
    }
    let downloaded = match result.get("downloaded") {
        Some(Value::Array(downloaded)) => downloaded.as_slice(),
        _ => &[],
    };
    for download in downloaded {
        if let Some(path) = download.get("local_path").filter(|path| is_truthy(path)) {
            lines.push(format!("  -> {}", py_str(path)));
        }
    }
    lines
}

/// Adds `downloaded` (every artifact of the result, into `output_dir`) when asked.
pub async fn download_if_asked(
    mut result: Map<String, Value>,
    download: bool,
    output_dir: &str,
    files: &FileOptions,
    ctx: &Settings,
) -> Result<Map<String, Value>> {
    if download {
        let downloaded = download_artifacts(&result, output_dir, files, ctx).await?;
        crate::flow::hints::after_downloads(&ctx.events, &downloaded);
        result.insert("downloaded".into(), Value::Array(downloaded));
    }
    Ok(result)
}

/// Downloads every artifact of a result into `output_dir` with the default
/// prefix (or `files`' template); the thread id comes from the result when the
/// caller did not know it.
pub async fn download_artifacts(
    result: &Map<String, Value>,
    output_dir: &str,
    files: &FileOptions,
    ctx: &Settings,
) -> Result<Vec<Value>> {
    let mut files = files.clone();
    if files.origin.thread_id.is_none() {
        files.origin.thread_id = ResultView(result).thread_id().map(str::to_string);
    }
    ctx.downloader()?
        .download_all(&collect_artifacts(result), output_dir, "lovart", &files)
        .await
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
