//! Tool results: `structuredContent` holds what the CLI prints with `--json`
//! for the same flow; `content` holds a short text for the assistant, an
//! image block per downloaded picture (scaled down, all of them within one
//! budget, [`super::images`]) and a `file://` resource link per downloaded
//! file, typed by its content. A failure is a tool result
//! with `isError: true` and the CLI's JSON error object, never a protocol error.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use rmcp::model::{CallToolResult, ContentBlock, Resource};
use serde_json::{Map, Value};

use crate::download::media_type;
use crate::failure::ErrorObject;
use crate::flow::outcome::result_text_lines;
use crate::flow::settle::estimated_cost;
use crate::python::{dumps_compact, is_truthy, py_str};

use super::images;

/// At most this many image blocks in one result (each file still gets a link).
const MAX_IMAGE_BLOCKS: usize = 8;

/// A failed call: `isError: true`, the CLI's `{"error": {...}}` object as
/// `structuredContent` and, as text, the same object.
pub fn error(error: &anyhow::Error) -> CallToolResult {
    let object = ErrorObject::of(error);
    eprintln!("lovart mcp: {}: {}", object.kind.as_str(), object.message);
    CallToolResult::structured_error(object.to_json())
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
/// output, a summary saying what to do next, pictures and file links.
pub async fn generation(output: Map<String, Value>) -> CallToolResult {
    let mut content = vec![ContentBlock::text(summary(&output))];
    content.extend(file_blocks(&output).await);
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
    lines.extend(
        result_text_lines(output)
            .into_iter()
            .map(|line| line.trim_start_matches('\n').to_string()),
    );
    lines.join("\n")
}

/// Downloaded files: an image block per picture (at most [`MAX_IMAGE_BLOCKS`],
/// all within the inline budget, [`images::inline_budget`]) and a resource
/// link per file with its true MIME type, in the result's order.
async fn file_blocks(output: &Map<String, Value>) -> Vec<ContentBlock> {
    let paths: Vec<PathBuf> = match output.get("downloaded") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.get("local_path").filter(|path| is_truthy(path)))
            .map(|path| absolute(Path::new(&py_str(path))))
            .collect(),
        _ => Vec::new(),
    };
    let budget = images::inline_budget();
    let files = tokio::task::spawn_blocking(move || files_with_previews(paths, budget))
        .await
        .unwrap_or_default();
    let mut blocks = Vec::new();
    for (path, mime_type, preview) in files {
        if let Some(preview) = preview {
            let data = base64::engine::general_purpose::STANDARD.encode(&preview.bytes);
            blocks.push(ContentBlock::image(data, preview.mime_type));
        }
        blocks.push(link(&path, mime_type));
    }
    blocks
}

/// Each file with its MIME type and, for the first [`MAX_IMAGE_BLOCKS`]
/// pictures, its preview within `budget`. CPU-bound (reads and scales).
fn files_with_previews(
    paths: Vec<PathBuf>,
    budget: usize,
) -> Vec<(PathBuf, &'static str, Option<images::Preview>)> {
    let mime_types: Vec<&'static str> = paths.iter().map(|path| mime_of(path)).collect();
    let pictures: Vec<usize> = (0..paths.len())
        .filter(|&at| mime_types[at].starts_with("image/"))
        .take(MAX_IMAGE_BLOCKS)
        .collect();
    let picture_paths: Vec<PathBuf> = pictures.iter().map(|&at| paths[at].clone()).collect();
    let mut previews: Vec<Option<images::Preview>> = paths.iter().map(|_| None).collect();
    for (at, preview) in pictures
        .into_iter()
        .zip(images::previews_within(&picture_paths, budget))
    {
        previews[at] = preview;
    }
    paths
        .into_iter()
        .zip(mime_types)
        .zip(previews)
        .map(|((path, mime_type), preview)| (path, mime_type, preview))
        .collect()
}

/// A `resource_link` to a local file (`file://`, percent-encoded).
fn link(path: &Path, mime_type: &str) -> ContentBlock {
    let uri = reqwest::Url::from_file_path(path)
        .map_or_else(|()| format!("file://{}", path.display()), String::from);
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut resource = Resource::new(uri, name).with_mime_type(mime_type);
    if let Ok(meta) = std::fs::metadata(path) {
        resource = resource.with_size(meta.len());
    }
    ContentBlock::resource_link(resource)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The MIME type of a downloaded file: what its bytes show, else its
/// extension ([`media_type::of_file`]); a WAV saved under the reference's
/// `.png` name is still `audio/wav`.
fn mime_of(path: &Path) -> &'static str {
    media_type::of_file(path).map_or("application/octet-stream", |media| media.mime)
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn mime_types_follow_content_then_extensions() {
        assert_eq!(mime_of(Path::new("/a/b.PNG")), "image/png");
        assert_eq!(mime_of(Path::new("/a/b.mp4")), "video/mp4");
        assert_eq!(mime_of(Path::new("/a/b.glb")), "model/gltf-binary");
        assert_eq!(mime_of(Path::new("/a/b.bin")), "application/octet-stream");
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("lovart_0123456789ab.png");
        std::fs::write(&wav, b"RIFF\x24\0\0\0WAVEfmt ").unwrap();
        assert_eq!(mime_of(&wav), "audio/wav");
    }

    /// Four detailed 2048 px pictures: the whole JSON-RPC line of the result
    /// stays under the 1 MiB several clients accept, and every file is there
    /// (an image block within the budget, and a link each).
    #[tokio::test]
    async fn four_detailed_big_pictures_fit_in_one_message() {
        let started = std::time::Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let mut downloaded = Vec::new();
        for seed in 1..=4u32 {
            let pixels = images::detailed_picture(2048, seed);
            let path = dir.path().join(format!("lovart_{seed}.png"));
            image::save_buffer_with_format(
                &path,
                &pixels,
                2048,
                2048,
                image::ColorType::Rgb8,
                image::ImageFormat::Png,
            )
            .unwrap();
            downloaded.push(json!({
                "type": "image", "url": format!("https://cdn/{seed}"),
                "local_path": path.to_str().unwrap(), "new": true
            }));
        }
        let output = object(json!({
            "thread_id": "t1", "final_status": "done", "project_id": "p1",
            "downloaded": downloaded,
        }));
        eprintln!("made in {:?}", started.elapsed());
        let result = generation(output).await;
        eprintln!("result in {:?}", started.elapsed());
        let line =
            serde_json::to_string(&json!({"jsonrpc": "2.0", "id": 1, "result": result})).unwrap();
        assert!(line.len() < 1024 * 1024, "{} bytes", line.len());
        let images: Vec<_> = result.content.iter().filter_map(|b| b.as_image()).collect();
        let links: Vec<_> = result
            .content
            .iter()
            .filter_map(|b| b.as_resource_link())
            .collect();
        assert_eq!(links.len(), 4);
        assert_eq!(images.len(), 4, "every picture fits once scaled down");
        let inline: usize = images.iter().map(|image| image.data.len()).sum();
        assert!(inline <= images::DEFAULT_INLINE_BUDGET, "{inline}");
    }
}
