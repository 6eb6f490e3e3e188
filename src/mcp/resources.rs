//! Downloaded artifacts as MCP resources, so a client that cannot read this
//! machine's disk (a remote client over HTTP) still gets the bytes.
//!
//! Every file a generation tool downloads is registered under
//! `lovart://thread/<thread id>/<file name>`; `resources/list` lists them
//! grouped by thread (newest thread first), `resources/read` returns the
//! bytes as a base64 blob with the MIME type read from the file's first bytes
//! (the extension of an artifact URL may be missing or wrong), and the
//! results' `resource_link`s point at these URIs. Only registered files can
//! be read: a URI never names a path. A read is refused above
//! [`MAX_READ_BYTES`] (the file stays on disk, at its `local_path`), and the
//! registry keeps the newest [`MAX_ENTRIES`] files.
//!
//! The registry lives in memory: after a restart of `lovart mcp` a thread's
//! files are registered again by the next `result`/`wait` that downloads them.

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde_json::{Map, Value};

use lovart_core::download::media_type;
use lovart_core::python::{is_truthy, py_str};

/// The URI scheme of artifacts.
pub const SCHEME: &str = "lovart://";
/// The largest file a read returns (its base64 travels in one JSON-RPC message).
pub const MAX_READ_BYTES: u64 = 16 * 1024 * 1024;
/// How many files the registry keeps.
const MAX_ENTRIES: usize = 1000;

/// One downloaded file.
#[derive(Debug, Clone)]
struct Artifact {
    uri: String,
    thread_id: String,
    path: PathBuf,
    name: String,
}

/// The registered artifacts, oldest first.
#[derive(Default)]
pub struct Artifacts {
    entries: Mutex<VecDeque<Artifact>>,
}

impl Artifacts {
    /// Registers every downloaded file of a generation output and returns
    /// their paths and resources, in the output's order.
    pub fn register_output(&self, output: &Map<String, Value>) -> Vec<(PathBuf, Resource)> {
        let thread_id = match output.get("thread_id") {
            Some(id) if is_truthy(id) => py_str(id),
            _ => return Vec::new(),
        };
        let Some(Value::Array(items)) = output.get("downloaded") else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| item.get("local_path").filter(|path| is_truthy(path)))
            .filter_map(|path| {
                let path = std::path::absolute(py_str(path)).ok()?;
                let resource = self.register(&thread_id, &path)?;
                Some((path, resource))
            })
            .collect()
    }

    /// Registers one file of a thread; None when it is not a readable file.
    pub fn register(&self, thread_id: &str, path: &Path) -> Option<Resource> {
        let path = std::path::absolute(path).ok()?;
        let name = path.file_name()?.to_string_lossy().into_owned();
        let uri = format!(
            "{SCHEME}thread/{}/{}",
            encode_segment(thread_id),
            encode_segment(&name)
        );
        let artifact = Artifact {
            uri,
            thread_id: thread_id.to_string(),
            path,
            name,
        };
        let resource = describe(&artifact)?;
        let mut entries = self.entries.lock().expect("artifact registry lock");
        entries.retain(|known| known.uri != artifact.uri);
        entries.push_back(artifact);
        while entries.len() > MAX_ENTRIES {
            entries.pop_front();
        }
        Some(resource)
    }

    /// Every registered file, grouped by thread (newest thread first).
    pub fn list(&self) -> Vec<Resource> {
        let entries = self.entries.lock().expect("artifact registry lock").clone();
        let mut threads: Vec<&str> = Vec::new();
        for artifact in entries.iter().rev() {
            if !threads.contains(&artifact.thread_id.as_str()) {
                threads.push(&artifact.thread_id);
            }
        }
        threads
            .iter()
            .flat_map(|thread| entries.iter().filter(move |a| a.thread_id == *thread))
            .filter_map(describe)
            .collect()
    }

    /// The template clients can fill in for a thread's files.
    pub fn template() -> ResourceTemplate {
        ResourceTemplate::new(format!("{SCHEME}thread/{{thread_id}}/{{file}}"), "artifact")
            .with_description("A file downloaded from a Lovart thread (see resources/list).")
    }

    /// `resources/read` of an artifact URI.
    pub async fn read(&self, uri: &str) -> Result<ReadResourceResult, ErrorData> {
        let artifact = self
            .entries
            .lock()
            .expect("artifact registry lock")
            .iter()
            .find(|artifact| artifact.uri == uri)
            .cloned()
            .ok_or_else(|| ErrorData::resource_not_found(format!("no artifact {uri}"), None))?;
        let path = artifact.path.clone();
        let read = tokio::task::spawn_blocking(move || read_bounded(&path))
            .await
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
        // Never the server's path: a remote client has no business with it
        // (a local one has the file's `local_path` in the tool's result).
        let bytes = read.map_err(|why| {
            ErrorData::invalid_params(
                format!(
                    "{uri} cannot be read: {why}; the file stays where the tool result's \
                     local_path says"
                ),
                None,
            )
        })?;
        let mime_type = mime_of_bytes(&bytes, &artifact.path);
        let blob = base64::engine::general_purpose::STANDARD.encode(&bytes);
        Ok(ReadResourceResult::new(vec![
            ResourceContents::blob(blob, uri.to_string()).with_mime_type(mime_type),
        ]))
    }
}

/// The resource of a registered file, with its size and sniffed MIME type.
fn describe(artifact: &Artifact) -> Option<Resource> {
    let meta = std::fs::metadata(&artifact.path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(&artifact.path)
        .ok()?
        .take(16)
        .read_to_end(&mut head)
        .ok()?;
    let mime_type = mime_of_bytes(&head, &artifact.path);
    Some(
        Resource::new(&artifact.uri, &artifact.name)
            .with_title(format!("{} (thread {})", artifact.name, artifact.thread_id))
            .with_mime_type(mime_type)
            .with_size(meta.len()),
    )
}

/// The whole file, refused when larger than [`MAX_READ_BYTES`].
fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|error| error.to_string())?;
    let size = file.metadata().map_err(|error| error.to_string())?.len();
    if size > MAX_READ_BYTES {
        return Err(format!(
            "it is {size} bytes, more than the {MAX_READ_BYTES} a read returns"
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // The file may grow meanwhile: never read past the bound.
    file.take(MAX_READ_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| error.to_string())?;
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(format!(
            "it is more than the {MAX_READ_BYTES} bytes a read returns"
        ));
    }
    Ok(bytes)
}

/// The MIME type of a file from its first bytes, else from its extension:
/// the downloader's one table ([`media_type`]), `application/octet-stream`
/// when neither names a known type.
pub fn mime_of_bytes(head: &[u8], path: &Path) -> &'static str {
    media_type::from_magic(head)
        .or_else(|| media_type::from_extension(path))
        .map_or("application/octet-stream", |media| media.mime)
}

/// A URI path segment: unreserved characters as they are, the rest percent-encoded.
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_magic_bytes_mime_types_follow_extensions() {
        assert_eq!(mime_of_bytes(b"", Path::new("/a/b.PNG")), "image/png");
        assert_eq!(mime_of_bytes(b"", Path::new("/a/b.mp4")), "video/mp4");
        assert_eq!(
            mime_of_bytes(b"", Path::new("/a/b.bin")),
            "application/octet-stream"
        );
    }

    #[test]
    fn the_first_bytes_decide_the_type() {
        let png = Path::new("a.bin");
        assert_eq!(mime_of_bytes(b"\x89PNG\r\n\x1a\n....", png), "image/png");
        assert_eq!(mime_of_bytes(b"RIFF\0\0\0\0WAVEfmt ", png), "audio/wav");
        assert_eq!(mime_of_bytes(b"\0\0\0\x18ftypisom", png), "video/mp4");
        assert_eq!(mime_of_bytes(b"glTF\x02\0\0\0", png), "model/gltf-binary");
        assert_eq!(mime_of_bytes(b"hello", Path::new("a.png")), "image/png");
        assert_eq!(mime_of_bytes(b"hello", png), "application/octet-stream");
    }

    #[test]
    fn only_registered_files_are_listed_and_uris_are_encoded() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lovart_abc.png");
        std::fs::write(&file, b"\x89PNG\r\n\x1a\nrest").unwrap();
        let artifacts = Artifacts::default();
        let resource = artifacts.register("t 1/x", &file).unwrap();
        assert_eq!(resource.uri, "lovart://thread/t%201%2Fx/lovart_abc.png");
        assert_eq!(resource.mime_type.as_deref(), Some("image/png"));
        assert_eq!(resource.size, Some(12));
        assert!(
            artifacts
                .register("t", &dir.path().join("missing"))
                .is_none()
        );
        assert_eq!(artifacts.list().len(), 1);
    }

    #[tokio::test]
    async fn reads_are_bounded_and_never_name_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big.png");
        let artifacts = Artifacts::default();
        std::fs::write(&file, b"small").unwrap();
        let uri = artifacts.register("t", &file).unwrap().uri;
        assert!(artifacts.read(&uri).await.is_ok());
        std::fs::File::create(&file)
            .unwrap()
            .set_len(MAX_READ_BYTES + 1)
            .unwrap();
        let error = artifacts.read(&uri).await.unwrap_err();
        assert!(error.message.contains("more than"), "{}", error.message);
        let folder = dir.path().to_string_lossy();
        assert!(!error.message.contains(&*folder), "{}", error.message);
        let by_path = format!("lovart://thread/t/{}", file.display());
        assert!(artifacts.read(&by_path).await.is_err());
    }
}
