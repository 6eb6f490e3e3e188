//! The provenance of one downloaded file, in one versioned shape shared by the
//! sidecar (`<file>.json`, `--sidecar`) and the history file's lines.
//!
//! Version 1 (README, "Files: names, sidecars, history, gallery"):
//! `{"version": 1, "local_path", "url", "type", "mime_type", "size", "sha256",
//! "prompt", "thread_id", "project_id", "tool", "model", "cost",
//! "downloaded_at", "lovart_version"}`, keys always in that order; a field the
//! server did not name is `null`. A reader must ignore keys it does not know
//! (later versions only add keys); `version` changes when a key's meaning does.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

/// The shape's version, written as `"version"`.
pub(crate) const RECORD_VERSION: u64 = 1;

/// Where an artifact came from: what the caller knows about the thread.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    /// The prompt that made the artifact, when the caller sent it.
    pub prompt: Option<String>,
    /// The thread the artifact belongs to.
    pub thread_id: Option<String>,
    /// The thread's project.
    pub project_id: Option<String>,
}

/// What the result says about one artifact beyond its URL, when it says it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArtifactFacts {
    /// The tool that made it (`tool_name` or `tool`), as sent.
    pub tool: Option<Value>,
    /// The model (`model` or `model_name`), as sent.
    pub model: Option<Value>,
    /// What it cost in credits (`cost` or `credits`), as sent.
    pub cost: Option<Value>,
}

impl ArtifactFacts {
    /// `tool`/`tool_name`, `model`/`model_name`, `cost`/`credits` of the
    /// artifact, else of the item that holds it.
    pub(crate) fn from_result(artifact: &Value, item: &Value) -> Self {
        let pick = |keys: &[&str]| {
            [artifact, item].into_iter().find_map(|object| {
                keys.iter()
                    .find_map(|key| object.get(*key))
                    .filter(|value| lovart_wire::reply::is_set(value))
                    .cloned()
            })
        };
        Self {
            tool: pick(&["tool_name", "tool"]),
            model: pick(&["model", "model_name"]),
            cost: pick(&["cost", "credits"]),
        }
    }
}

/// One downloaded file's provenance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FileRecord {
    /// Absolute path of the file.
    pub local_path: String,
    /// The artifact URL it was downloaded from.
    pub url: String,
    /// The artifact's `type` as the server gave it.
    pub kind: Value,
    /// What the bytes are (`image/png`, …), when known.
    pub mime_type: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
    /// What the caller knew of the thread.
    pub origin: Origin,
    /// What the result said of the artifact.
    pub facts: ArtifactFacts,
    /// Local time, RFC 3339 with offset.
    pub downloaded_at: String,
}

/// The type a record gives a file: the artifact's own, except that the
/// `image` label `lovart download` puts on every URL (the reference's output)
/// yields to what the bytes are when they are audio, video or a 3D model, so
/// that `history --type` and the gallery treat the file as what it is.
pub(crate) fn recorded_kind(labelled: &Value, mime_type: Option<&str>) -> Value {
    if labelled.as_str() != Some("image") {
        return labelled.clone();
    }
    match mime_type.and_then(|mime| mime.split('/').next()) {
        Some("audio") => json!("audio"),
        Some("video") => json!("video"),
        Some("model") => json!("3d"),
        _ => labelled.clone(),
    }
}

impl FileRecord {
    /// The versioned JSON object (keys in the documented order).
    pub fn to_json(&self) -> Value {
        let text = |value: &Option<String>| value.as_ref().map_or(Value::Null, |v| json!(v));
        let known = |value: &Option<Value>| value.clone().unwrap_or(Value::Null);
        let mut map = Map::new();
        map.insert("version".into(), json!(RECORD_VERSION));
        map.insert("local_path".into(), json!(self.local_path));
        map.insert("url".into(), json!(self.url));
        map.insert("type".into(), self.kind.clone());
        map.insert("mime_type".into(), text(&self.mime_type));
        map.insert("size".into(), json!(self.size));
        map.insert("sha256".into(), json!(self.sha256));
        map.insert("prompt".into(), text(&self.origin.prompt));
        map.insert("thread_id".into(), text(&self.origin.thread_id));
        map.insert("project_id".into(), text(&self.origin.project_id));
        map.insert("tool".into(), known(&self.facts.tool));
        map.insert("model".into(), known(&self.facts.model));
        map.insert("cost".into(), known(&self.facts.cost));
        map.insert("downloaded_at".into(), json!(self.downloaded_at));
        map.insert("lovart_version".into(), json!(env!("CARGO_PKG_VERSION")));
        Value::Object(map)
    }
}

/// The sidecar's path: the file's own path plus `.json`.
pub(crate) fn sidecar_path(file: &Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".json");
    name.into()
}

/// Writes `<file>.json` beside the file, atomically (a temporary file in the
/// same folder, then a rename), pretty and with a final newline.
pub(crate) fn write_sidecar(record: &FileRecord, file: &Path) -> Result<()> {
    let path = sidecar_path(file);
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut text = serde_json::to_string_pretty(&record.to_json())?;
    text.push('\n');
    let temp = tempfile::Builder::new()
        .prefix(".lovart-partial-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::write(temp.path(), text)?;
    temp.persist(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The URL a sidecar beside `file` names, when it exists and reads.
pub(crate) fn sidecar_url(file: &Path) -> Option<String> {
    let text = std::fs::read(sidecar_path(file)).ok()?;
    if text.len() > 1 << 20 {
        return None;
    }
    let value: Value = serde_json::from_slice(&text).ok()?;
    value.get("url")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_labelled_image_is_recorded_as_what_its_bytes_are() {
        let image = json!("image");
        assert_eq!(recorded_kind(&image, Some("audio/wav")), json!("audio"));
        assert_eq!(
            recorded_kind(&image, Some("model/gltf-binary")),
            json!("3d")
        );
        assert_eq!(recorded_kind(&image, Some("video/mp4")), json!("video"));
        assert_eq!(recorded_kind(&image, Some("image/png")), image);
        assert_eq!(recorded_kind(&image, None), image);
        // The server's own type is kept whatever the bytes say.
        assert_eq!(
            recorded_kind(&json!("audio"), Some("video/mp4")),
            json!("audio")
        );
    }

    fn record() -> FileRecord {
        FileRecord {
            local_path: "/tmp/out/a.png".into(),
            url: "http://x/a.png".into(),
            kind: json!("image"),
            mime_type: Some("image/png".into()),
            size: 3,
            sha256: "ab".into(),
            origin: Origin {
                prompt: Some("a cat".into()),
                thread_id: Some("t1".into()),
                project_id: None,
            },
            facts: ArtifactFacts::default(),
            downloaded_at: "2026-11-29T09:15:02+00:00".into(),
        }
    }

    #[test]
    fn the_record_has_every_documented_key_in_order() {
        let value = record().to_json();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "version",
                "local_path",
                "url",
                "type",
                "mime_type",
                "size",
                "sha256",
                "prompt",
                "thread_id",
                "project_id",
                "tool",
                "model",
                "cost",
                "downloaded_at",
                "lovart_version"
            ]
        );
        assert_eq!(value["version"], json!(1));
        assert_eq!(value["project_id"], Value::Null);
    }

    #[test]
    fn facts_come_from_the_artifact_then_its_item() {
        let artifact = json!({"type": "video", "content": "u", "tool_name": "kling"});
        let item = json!({"type": "generator", "model": "v3", "tool_name": "other", "cost": 0});
        let facts = ArtifactFacts::from_result(&artifact, &item);
        assert_eq!(facts.tool, Some(json!("kling")));
        assert_eq!(facts.model, Some(json!("v3")));
        assert_eq!(facts.cost, None);
    }

    #[test]
    fn a_sidecar_sits_beside_its_file_and_names_its_url() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.png");
        std::fs::write(&file, b"png").unwrap();
        write_sidecar(&record(), &file).unwrap();
        assert_eq!(sidecar_url(&file).as_deref(), Some("http://x/a.png"));
        let text = std::fs::read_to_string(dir.path().join("a.png.json")).unwrap();
        assert!(text.ends_with("}\n"));
    }
}
