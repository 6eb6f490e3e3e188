//! The gallery page: one self-contained HTML file over history records.
//!
//! Pure: records in, text out. The page loads nothing from the network (its
//! Content-Security-Policy allows only local files and inline style: no
//! scripts, fonts or remote images at all); images are thumbnails of the local
//! files, video and audio play in place, 3D models and anything else are
//! links; every entry shows its prompt, thread, time and the command that
//! continues its thread. Entries are grouped by thread, the thread with the
//! newest file first, newest first inside. Every piece of text is escaped.
//! One column on a phone, a grid on anything wider.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

/// One history record as the gallery shows it.
#[derive(Debug, Clone)]
pub struct GalleryEntry {
    /// The history line ([`super::record`]'s shape), as read.
    pub record: Value,
    /// Whether the file is still at its `local_path`.
    pub exists: bool,
}

const STYLE: &str = "\
*{box-sizing:border-box}
body{margin:0;padding:12px;font:15px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;background:#f6f6f4;color:#1d1d1b}
h1{font-size:1.3em;margin:4px 0 2px}
.meta{color:#66645e;font-size:.85em;margin:0 0 12px}
section{background:#fff;border:1px solid #e2e0da;border-radius:10px;padding:12px;margin:0 0 16px}
h2{font-size:1em;margin:0 0 4px;overflow-wrap:anywhere}
code{font:.85em/1.3 ui-monospace,Menlo,Consolas,monospace;background:#f0efeb;border-radius:4px;padding:2px 4px;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0 10px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
figure{margin:0;border:1px solid #ecebe6;border-radius:8px;overflow:hidden;background:#fafaf8}
figure img,figure video{display:block;width:100%;height:220px;object-fit:cover;background:#e8e7e2}
figure audio{display:block;width:100%;margin:12px 0}
.file{display:flex;align-items:center;justify-content:center;height:120px;font-size:1.1em;background:#e8e7e2;text-decoration:none;color:#1d1d1b;overflow-wrap:anywhere;padding:8px;text-align:center}
.missing{background:#fbe9e7;color:#8a2a1a}
figcaption{padding:8px;font-size:.85em}
figcaption p{margin:0 0 4px;overflow-wrap:anywhere}
.when{color:#66645e}
@media (max-width:480px){body{padding:6px}.grid{grid-template-columns:1fr}figure img,figure video{height:auto;max-height:70vh;object-fit:contain}}
";

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A shell word: as is when plainly safe, else in single quotes.
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':'))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The command that continues a thread.
pub(crate) fn continue_command(thread_id: &str) -> String {
    format!(
        "lovart chat --thread-id {} --prompt '…'",
        shell_quote(thread_id)
    )
}

/// Percent-encodes a path for a URL (unreserved characters and `/` kept).
fn encode_path(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The link from a page in `page_dir` to `file`: relative when both are
/// absolute paths, else a `file://` URL.
pub(crate) fn file_link(page_dir: &Path, file: &Path) -> String {
    match relative_path(page_dir, file) {
        Some(relative) => encode_path(&relative.to_string_lossy().replace('\\', "/")),
        None => {
            let text = file.to_string_lossy().replace('\\', "/");
            let text = if text.starts_with('/') {
                text
            } else {
                format!("/{text}")
            };
            format!("file://{}", encode_path(&text))
        }
    }
}

fn relative_path(from_dir: &Path, to: &Path) -> Option<PathBuf> {
    if !from_dir.is_absolute() || !to.is_absolute() {
        return None;
    }
    let from: Vec<Component> = from_dir.components().collect();
    let target: Vec<Component> = to.components().collect();
    // Different roots (Windows drives) cannot be joined by a relative path.
    if from.first() != target.first() {
        return None;
    }
    let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for part in &target[common..] {
        path.push(part.as_os_str());
    }
    Some(path)
}

fn text_field<'a>(record: &'a Value, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or("")
}

/// What a file is shown as: by the artifact's type, else its MIME type.
fn media_kind(record: &Value) -> &'static str {
    let kind = text_field(record, "type").to_ascii_lowercase();
    let mime = text_field(record, "mime_type").to_ascii_lowercase();
    for word in ["image", "video", "audio"] {
        if kind == word || mime.starts_with(&format!("{word}/")) {
            return match word {
                "image" => "image",
                "video" => "video",
                _ => "audio",
            };
        }
    }
    "file"
}

/// The whole page. `page_dir` is the folder the page is written to (links
/// are made relative to it); `generated_at` and `filter` go in its header.
pub fn render_gallery(
    entries: &[GalleryEntry],
    page_dir: &Path,
    generated_at: &str,
    filter: &str,
) -> String {
    // Threads in the order of their newest entry; entries newest first.
    let mut sorted: Vec<&GalleryEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| {
        text_field(&b.record, "downloaded_at").cmp(text_field(&a.record, "downloaded_at"))
    });
    let mut groups: Vec<(String, Vec<&GalleryEntry>)> = Vec::new();
    for entry in sorted {
        let thread = text_field(&entry.record, "thread_id").to_string();
        match groups.iter_mut().find(|(id, _)| *id == thread) {
            Some((_, list)) => list.push(entry),
            None => groups.push((thread, vec![entry])),
        }
    }

    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         img-src 'self' file: data:; media-src 'self' file:; style-src 'unsafe-inline'\">\n",
    );
    html.push_str("<title>lovart gallery</title>\n<style>\n");
    html.push_str(STYLE);
    html.push_str("</style>\n</head>\n<body>\n<h1>lovart gallery</h1>\n");
    let _ = writeln!(
        html,
        "<p class=\"meta\">{} files in {} threads · generated {}{}</p>",
        entries.len(),
        groups.len(),
        escape(generated_at),
        if filter.is_empty() {
            String::new()
        } else {
            format!(" · {}", escape(filter))
        }
    );
    if groups.is_empty() {
        html.push_str("<p>No downloads recorded yet. Files downloaded with <code>--download</code>, <code>watch</code>, <code>download</code>, <code>batch</code> or MCP appear here.</p>\n");
    }
    for (thread, list) in &groups {
        render_group(&mut html, thread, list, page_dir);
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn render_group(html: &mut String, thread: &str, list: &[&GalleryEntry], page_dir: &Path) {
    let first = &list[0].record;
    html.push_str("<section>\n");
    if thread.is_empty() {
        html.push_str("<h2>Files without a thread</h2>\n");
    } else {
        let _ = writeln!(html, "<h2>Thread <code>{}</code></h2>", escape(thread));
        let project = text_field(first, "project_id");
        if !project.is_empty() {
            let _ = writeln!(
                html,
                "<p class=\"meta\">project <code>{}</code></p>",
                escape(project)
            );
        }
        let _ = writeln!(
            html,
            "<p class=\"meta\">continue: <code>{}</code></p>",
            escape(&continue_command(thread))
        );
    }
    html.push_str("<div class=\"grid\">\n");
    for entry in list {
        render_entry(html, entry, page_dir);
    }
    html.push_str("</div>\n</section>\n");
}

fn render_entry(html: &mut String, entry: &GalleryEntry, page_dir: &Path) {
    let record = &entry.record;
    let path = text_field(record, "local_path");
    let name = Path::new(path).file_name().map_or_else(
        || path.to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let link = escape(&file_link(page_dir, Path::new(path)));
    let prompt = text_field(record, "prompt");
    html.push_str("<figure>\n");
    if !entry.exists {
        let _ = writeln!(
            html,
            "<div class=\"file missing\">missing: {}</div>",
            escape(&name)
        );
    } else {
        match media_kind(record) {
            "image" => {
                let _ = writeln!(
                    html,
                    "<a href=\"{link}\"><img src=\"{link}\" alt=\"{}\" loading=\"lazy\"></a>",
                    escape(if prompt.is_empty() { &name } else { prompt })
                );
            }
            "video" => {
                let _ = writeln!(
                    html,
                    "<video src=\"{link}\" controls preload=\"metadata\" playsinline></video>"
                );
            }
            "audio" => {
                let _ = writeln!(
                    html,
                    "<audio src=\"{link}\" controls preload=\"metadata\"></audio>"
                );
            }
            _ => {
                let _ = writeln!(
                    html,
                    "<a class=\"file\" href=\"{link}\">{} file: {}</a>",
                    escape(text_field(record, "type")),
                    escape(&name)
                );
            }
        }
    }
    html.push_str("<figcaption>\n");
    if !prompt.is_empty() {
        let _ = writeln!(html, "<p>{}</p>", escape(prompt));
    }
    let _ = writeln!(
        html,
        "<p class=\"when\">{} · {} · <a href=\"{link}\">{}</a></p>",
        escape(text_field(record, "downloaded_at")),
        escape(text_field(record, "type")),
        escape(&name)
    );
    let thread = text_field(record, "thread_id");
    if !thread.is_empty() {
        let _ = writeln!(
            html,
            "<p><code>{}</code></p>",
            escape(&continue_command(thread))
        );
    }
    html.push_str("</figcaption>\n</figure>\n");
}

#[cfg(test)]
mod tests;
