//! Tool results: `structuredContent` holds what the CLI prints with `--json`
//! for the same flow; `content` holds a short text for the assistant, an
//! image block per downloaded picture (scaled down, all of a result's within
//! one budget of the settings, `LOVART_MCP_INLINE_IMAGE_BYTES`,
//! [`super::images`]) and a
//! `resource_link` per downloaded file, to its `lovart://` resource
//! ([`super::resources`]). A download that failed is said in the text. A
//! failure is a tool result with `isError: true` and the CLI's JSON error
//! object, never a protocol error.

use std::path::PathBuf;

use base64::Engine as _;
use rmcp::model::{CallToolResult, ContentBlock, Resource};
use serde_json::{Map, Value};

use lovart_core::failure::{ErrorObject, Wording};
use lovart_core::flow::outcome::result_text_lines;
use lovart_core::flow::settle::estimated_cost;
use lovart_core::python::{dumps_compact, is_truthy, py_str};

use super::images;

/// At most this many image blocks in one result (each file still gets a link).
const MAX_IMAGE_BLOCKS: usize = 8;

/// A failed call: `isError: true`, the CLI's `{"error": {...}}` object as
/// `structuredContent` and, as text, the same object.
pub fn error(error: &anyhow::Error) -> CallToolResult {
    CallToolResult::structured_error(ErrorObject::worded(error, Wording::Mcp).to_json())
}

/// The stderr line of a failed call of `tool` (None for a success): its
/// error kind and, over stdio, its message. Over HTTP (`remote`) the message
/// is left out: it may echo the client's arguments, which the log never
/// holds (the access log's line names the request). `tool` is one of ours:
/// an unknown tool is a protocol error, not a result.
pub fn error_line(tool: &str, result: &CallToolResult, remote: bool) -> Option<String> {
    if result.is_error != Some(true) {
        return None;
    }
    let error = result.structured_content.as_ref()?.get("error")?;
    let kind = error.get("kind").and_then(Value::as_str).unwrap_or("error");
    Some(if remote {
        format!("lovart mcp: {tool}: {kind}")
    } else {
        let message = error.get("message").and_then(Value::as_str).unwrap_or("");
        format!("lovart mcp: {tool}: {kind}: {message}")
    })
}

/// A plain answer: the object as `structuredContent` and as compact JSON text.
/// An answer that is not an object is wrapped as `{key: answer}`.
pub fn data(answer: Value, key: &str) -> CallToolResult {
    let object = match answer {
        Value::Object(object) => object,
        other => Map::from_iter([(key.to_string(), other)]),
    };
    let text = dumps_compact(&Value::Object(object.clone()), false);
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(Value::Object(object));
    result
}

/// The result of `generate`, `wait`, `confirm` or `result`: the settled
/// output, a summary saying what to do next, pictures and links to the
/// downloaded files (`files`: each file's path and resource, in order;
/// `inline_budget`: the base64 bytes all image blocks may take).
pub async fn generation(
    output: Map<String, Value>,
    files: Vec<(PathBuf, Resource)>,
    inline_budget: usize,
) -> CallToolResult {
    let mut content = vec![ContentBlock::text(summary(&output))];
    content.extend(file_blocks(files, inline_budget).await);
    let mut result = CallToolResult::success(content);
    result.structured_content = Some(Value::Object(output));
    result
}

fn text_of(output: &Map<String, Value>, key: &str) -> String {
    match output.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(value) => py_str(value),
    }
}

/// What the assistant reads first: where the job stands and the next call.
pub fn summary(output: &Map<String, Value>) -> String {
    let thread_id = text_of(output, "thread_id");
    let project_id = text_of(output, "project_id");
    let mut lines = Vec::new();
    match text_of(output, "final_status").as_str() {
        "running" => lines.push(format!(
            "Still running (thread {thread_id}). Call `wait` with thread_id \"{thread_id}\" to keep \
             waiting; nothing is lost."
        )),
        "pending_confirmation" => {
            let pending = output.get("pending_confirmation").unwrap_or(&Value::Null);
            let message = match pending.get("message") {
                Some(message) if is_truthy(message) => py_str(message),
                _ => dumps_compact(pending, false),
            };
            let cost = estimated_cost(pending)
                .map_or_else(|| "unknown".to_string(), |cost| format!("about {cost}"));
            lines.push(format!(
                "Waiting for confirmation (thread {thread_id}): a high-cost step needs the user's \
                 approval. {message} Estimated cost: {cost} credits. Ask the user; only if they \
                 agree, call `confirm` with thread_id \"{thread_id}\"."
            ));
        }
        "abort" => lines.push(format!("The generation was aborted (thread {thread_id}).")),
        "done" => lines.push(format!("Done (thread {thread_id}, project {project_id}).")),
        // `result`: no final_status, the thread's own status.
        _ => lines.push(format!(
            "Thread {thread_id}: status {}.",
            text_of(output, "status")
        )),
    }
    for key in ["warning", "agent_message"] {
        let text = text_of(output, key);
        if !text.is_empty() {
            lines.push(text);
        }
    }
    if let Some(Value::Array(warnings)) = output.get("warnings") {
        lines.extend(warnings.iter().map(|w| format!("Warning: {}", py_str(w))));
    }
    lines.extend(
        result_text_lines(output)
            .into_iter()
            .map(|line| line.trim_start_matches('\n').to_string()),
    );
    lines.extend(failed_downloads(output));
    lines.join("\n")
}

/// A line per artifact whose download failed, and what to do.
fn failed_downloads(output: &Map<String, Value>) -> Vec<String> {
    let Some(Value::Array(items)) = output.get("downloaded") else {
        return Vec::new();
    };
    let failed: Vec<String> = items
        .iter()
        .filter(|item| item.get("error").is_some_and(is_truthy))
        .map(|item| {
            format!(
                "Download failed: {} ({}).",
                text_of_value(item.get("url")),
                text_of_value(item.get("error"))
            )
        })
        .collect();
    if failed.is_empty() {
        return failed;
    }
    let thread_id = text_of(output, "thread_id");
    let mut lines = failed;
    lines.push(format!(
        "The files are still on Lovart's server: call `result` with thread_id \"{thread_id}\" and \
         download true to try again."
    ));
    lines
}

fn text_of_value(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(value) => py_str(value),
    }
}

/// Downloaded files: an image block per picture (the first
/// [`MAX_IMAGE_BLOCKS`], all of them within `budget` base64 bytes) and a
/// resource link per file, in the result's order.
async fn file_blocks(files: Vec<(PathBuf, Resource)>, budget: usize) -> Vec<ContentBlock> {
    let pictures: Vec<usize> = files
        .iter()
        .enumerate()
        .filter(|(_, (path, resource))| {
            let mime_type = resource.mime_type.as_deref().unwrap_or("");
            // A file without an extension may still be a picture: the preview reads its bytes.
            mime_type.starts_with("image/") || path.extension().is_none()
        })
        .map(|(at, _)| at)
        .take(MAX_IMAGE_BLOCKS)
        .collect();
    let paths: Vec<PathBuf> = pictures.iter().map(|&at| files[at].0.clone()).collect();
    let previews = tokio::task::spawn_blocking(move || images::previews_within(&paths, budget))
        .await
        .unwrap_or_default();
    let mut preview_of: Vec<Option<images::Preview>> = files.iter().map(|_| None).collect();
    for (at, preview) in pictures.into_iter().zip(previews) {
        preview_of[at] = preview;
    }
    let mut blocks = Vec::new();
    for ((_, resource), preview) in files.into_iter().zip(preview_of) {
        if let Some(preview) = preview {
            let data = base64::engine::general_purpose::STANDARD.encode(&preview.bytes);
            blocks.push(ContentBlock::image(data, preview.mime_type));
        }
        blocks.push(ContentBlock::resource_link(resource));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use lovart_core::settings::DEFAULT_INLINE_IMAGE_BYTES;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn running_says_to_call_wait() {
        let text = summary(&object(
            json!({"thread_id": "t1", "final_status": "running"}),
        ));
        assert!(text.contains("Call `wait` with thread_id \"t1\""), "{text}");
    }

    #[test]
    fn pending_states_message_and_cost() {
        let text = summary(&object(json!({
            "thread_id": "t1", "final_status": "pending_confirmation",
            "pending_confirmation": {"message": "Make a 5 s video?", "estimated_cost": 40}
        })));
        assert!(text.contains("Make a 5 s video?"), "{text}");
        assert!(text.contains("about 40 credits"), "{text}");
        assert!(
            text.contains("call `confirm` with thread_id \"t1\""),
            "{text}"
        );
    }

    #[test]
    fn errors_carry_the_cli_object() {
        let result = error(&anyhow::anyhow!("boom"));
        assert_eq!(result.is_error, Some(true));
        let object = result.structured_content.unwrap();
        assert_eq!(object["error"]["kind"], "local");
        assert_eq!(object["error"]["message"], "boom");
    }

    /// Four detailed 2048 px pictures: the JSON-RPC line of their blocks stays
    /// under the 1 MiB several clients accept, and every file is there (an
    /// image block within the budget, and a link each).
    #[tokio::test]
    async fn four_detailed_big_pictures_fit_in_one_message() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for seed in 1..=4u32 {
            let path = dir.path().join(format!("lovart_{seed}.png"));
            std::fs::write(&path, images::detailed_png(2048, seed)).unwrap();
            let uri = format!("lovart://thread/t1/lovart_{seed}.png");
            let resource =
                Resource::new(uri, format!("lovart_{seed}.png")).with_mime_type("image/png");
            files.push((path, resource));
        }
        let content = file_blocks(files, DEFAULT_INLINE_IMAGE_BYTES).await;
        let line = serde_json::to_string(&json!({
            "jsonrpc": "2.0", "id": 1, "result": {"content": content}
        }))
        .unwrap();
        assert!(line.len() < 1024 * 1024, "{} bytes", line.len());
        let images: Vec<_> = content.iter().filter_map(|b| b.as_image()).collect();
        let links = content
            .iter()
            .filter(|b| b.as_resource_link().is_some())
            .count();
        assert_eq!(links, 4);
        assert_eq!(images.len(), 4, "every picture fits once scaled down");
        let inline: usize = images.iter().map(|image| image.data.len()).sum();
        assert!(inline <= DEFAULT_INLINE_IMAGE_BYTES, "{inline}");
    }
}
