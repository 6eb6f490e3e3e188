//! Artifact downloads.
//!
//! File names, skip rules and the JSON items are the reference's; the transfer
//! is not: each file streams to a temporary file in the output folder and is
//! renamed into place only when complete, and a result's artifacts download
//! concurrently while the reported order stays the result's order.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use tokio::io::AsyncWriteExt;

/// One artifact URL of a result, with its `type` as the server gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactRef {
    /// `type` of the artifact (`"unknown"` when missing), kept as JSON.
    pub kind: Value,
    pub url: String,
}

/// How many artifacts transfer at once.
const CONCURRENCY: usize = 4;
/// The reference's `urlopen(..., timeout=60)`, as a socket-style timeout.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Temporary files (and the writability probe) start with this; no final name does.
const PARTIAL_PREFIX: &str = ".lovart-partial-";

/// Every artifact URL of a result's items, first occurrence only, empty URLs skipped.
pub fn collect_artifacts(result: &Value) -> Vec<ArtifactRef> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let Some(items) = result.get("items").and_then(Value::as_array) else {
        return out;
    };
    for item in items {
        let Some(artifacts) = item.get("artifacts").and_then(Value::as_array) else {
            continue;
        };
        for artifact in artifacts {
            let Some(url) = artifact.get("content").and_then(Value::as_str) else {
                continue;
            };
            if url.is_empty() || !seen.insert(url.to_string()) {
                continue;
            }
            let kind = artifact
                .get("type")
                .cloned()
                .unwrap_or_else(|| json!("unknown"));
            out.push(ArtifactRef {
                kind,
                url: url.to_string(),
            });
        }
    }
    out
}

/// An OS error's text without Rust's ` (os error N)` suffix.
fn os_error_text(error: &std::io::Error) -> String {
    let text = error.to_string();
    match error.raw_os_error() {
        Some(code) => text
            .trim_end_matches(&format!(" (os error {code})"))
            .to_string(),
        None => text,
    }
}

/// Creates the output folder (and checks it can be written) before anything is billed.
pub fn ensure_output_dir(output_dir: &str) -> Result<()> {
    if output_dir.is_empty() {
        bail!("cannot create output folder '': No such file or directory");
    }
    std::fs::create_dir_all(output_dir).map_err(|error| {
        anyhow!(
            "cannot create output folder '{output_dir}': {}",
            os_error_text(&error)
        )
    })?;
    let probe = Path::new(output_dir).join(format!(
        "{PARTIAL_PREFIX}probe-{}",
        uuid::Uuid::new_v4().simple()
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(file) => {
            drop(file);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(error) => bail!(
            "output folder '{output_dir}' is not writable: {}",
            os_error_text(&error)
        ),
    }
}

/// Python's `os.path.splitext(path)[1]`: the last `.` of the last `/`-component,
/// unless everything before it in that component is dots.
fn py_splitext_ext(path: &str) -> &str {
    let name_start = path.rfind('/').map_or(0, |slash| slash + 1);
    let name = &path[name_start..];
    match name.rfind('.') {
        Some(dot) if name[..dot].bytes().any(|byte| byte != b'.') => &name[dot..],
        _ => "",
    }
}

/// The reference's extension: `splitext(url.split("?")[0])`, else by kind.
fn extension_for(url: &str, kind: &Value) -> String {
    let before_query = url.split('?').next().unwrap_or("");
    match py_splitext_ext(before_query) {
        "" if kind.as_str() == Some("video") => ".mp4".to_string(),
        "" => ".png".to_string(),
        ext => ext.to_string(),
    }
}

/// `<prefix>_<sha1(url)[:12]><ext>`.
fn file_name(url: &str, kind: &Value, prefix: &str) -> String {
    let digest = hex::encode(Sha1::digest(url.as_bytes()));
    format!("{prefix}_{}{}", &digest[..12], extension_for(url, kind))
}

/// Python's `os.path.join(dir, name)` for two parts.
fn py_join(dir: &str, name: &str) -> String {
    if name.starts_with('/') || dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Downloads artifacts into one folder.
pub struct Downloader {
    client: reqwest::Client,
    progress: bool,
}

impl Downloader {
    pub fn new(insecure_tls: bool) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(TIMEOUT)
            .read_timeout(TIMEOUT)
            .danger_accept_invalid_certs(insecure_tls)
            // urllib keeps our Referer across redirects; reqwest would replace it.
            .referer(false)
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self {
            client,
            progress: false,
        })
    }

    /// Asks for progress display while downloading (a hook; not drawn yet).
    pub fn with_progress(mut self, progress: bool) -> Self {
        self.progress = progress;
        self
    }

    /// Whether progress display was asked for.
    pub fn progress(&self) -> bool {
        self.progress
    }

    /// Downloads every artifact not already on disk; returns the reference's items
    /// (`{"type", "url", "local_path", "new"}` or the failure item) in input order.
    /// Fails only when the output folder cannot be created.
    pub async fn download_all(
        &self,
        artifacts: &[ArtifactRef],
        output_dir: &str,
        prefix: &str,
    ) -> Result<Vec<Value>> {
        ensure_output_dir(output_dir)?;
        let mut seen = HashSet::new();
        let unique = artifacts
            .iter()
            .filter(|artifact| !artifact.url.is_empty() && seen.insert(artifact.url.as_str()));
        let items = futures_util::stream::iter(unique)
            .map(|artifact| self.download_one(artifact, output_dir, prefix))
            .buffered(CONCURRENCY)
            .collect()
            .await;
        Ok(items)
    }

    /// One artifact's item: skipped, fetched, or failed.
    async fn download_one(&self, artifact: &ArtifactRef, output_dir: &str, prefix: &str) -> Value {
        let ArtifactRef { kind, url } = artifact;
        let local_path = py_join(output_dir, &file_name(url, kind, prefix));
        let existing = tokio::fs::metadata(&local_path).await;
        if existing.is_ok_and(|meta| meta.len() > 0) {
            return json!({"type": kind, "url": url, "local_path": local_path, "new": false});
        }
        match self.fetch(url, Path::new(&local_path)).await {
            Ok(()) => json!({"type": kind, "url": url, "local_path": local_path, "new": true}),
            Err(_) => json!({
                "type": kind, "url": url, "local_path": null, "error": "download failed", "new": false
            }),
        }
    }

    /// Streams `url` into a temporary file next to `final_path`, then renames it
    /// into place. On any error the temporary file is removed (also when the
    /// future is dropped mid-transfer).
    async fn fetch(&self, url: &str, final_path: &Path) -> Result<()> {
        let parsed = reqwest::Url::parse(url)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!("unsupported scheme {}", parsed.scheme());
        }
        let mut response = self
            .client
            .get(parsed)
            .header("User-Agent", "Mozilla/5.0")
            .header("Referer", "https://www.lovart.ai/")
            .header("Accept-Encoding", "identity")
            .send()
            .await?
            .error_for_status()?;
        let expected = response.content_length();

        let dir = match final_path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(PARTIAL_PREFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Like Python's open(..., "wb"): 0666 less the umask.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let (file, temp_path) = builder.tempfile_in(dir)?.into_parts();
        let mut writer =
            tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file));
        let mut received: u64 = 0;
        while let Some(chunk) = response.chunk().await? {
            received += chunk.len() as u64;
            writer.write_all(&chunk).await?;
        }
        writer.flush().await?;
        let mut file = writer.into_inner();
        file.shutdown().await?;
        drop(file);
        if let Some(expected) = expected
            && expected != received
        {
            bail!("received {received} bytes of {expected}");
        }
        temp_path.persist(final_path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// A tiny HTTP/1.1 server; records each request head, answers by path.
    struct Server {
        base: String,
        requests: Arc<Mutex<Vec<String>>>,
    }

    async fn serve() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let path = head.split(' ').nth(1).unwrap_or("").to_string();
                    log.lock().unwrap().push(head);
                    respond(&mut socket, &path).await;
                });
            }
        });
        Server { base, requests }
    }

    async fn respond(socket: &mut tokio::net::TcpStream, path: &str) {
        let ok = |body: &str| {
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        };
        let reply = if path.starts_with("/slow/") {
            tokio::time::sleep(Duration::from_millis(300)).await;
            ok(path)
        } else if path == "/missing.png" {
            "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno!".into()
        } else if path == "/truncated.png" {
            "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n0123456789".into()
        } else if path == "/hang.png" {
            let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
            let _ = socket.write_all(head.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        } else if path == "/empty.png" {
            ok("")
        } else if path == "/redirect" {
            "HTTP/1.1 302 Found\r\nLocation: /data.png\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .into()
        } else {
            ok("image bytes")
        };
        let _ = socket.write_all(reply.as_bytes()).await;
        let _ = socket.shutdown().await;
    }

    fn artifact(url: &str) -> ArtifactRef {
        ArtifactRef {
            kind: json!("image"),
            url: url.to_string(),
        }
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
            .filter(|name| name.starts_with(PARTIAL_PREFIX))
            .collect()
    }

    #[test]
    fn extension_rules_follow_python_splitext() {
        let image = json!("image");
        let cases = [
            ("https://a/b/c.PNG?x=1", &image, ".PNG"),
            ("https://a/b/c.png#frag?x", &image, ".png#frag"),
            ("https://a/b/c.jpg?v=1.2/3.4", &image, ".jpg"),
            ("http://127.0.0.1:8080", &image, ".1:8080"),
            ("http://127.0.0.1:8080/", &image, ".png"),
            ("https://a/.png", &image, ".png"),
            ("https://a/..png", &image, ".png"),
            ("https://a/b/...x", &image, ".png"),
            ("https://a/x.tar.gz", &image, ".gz"),
            ("https://a/b.c/d", &image, ".png"),
            ("https://a/b/c.", &image, "."),
            ("https://a/b/clip", &json!("video"), ".mp4"),
            ("https://a/b/clip.webm", &json!("video"), ".webm"),
            ("https://a/b/song", &json!("audio"), ".png"),
            ("https://a/b/thing", &json!(["video"]), ".png"),
        ];
        for (url, kind, ext) in cases {
            assert_eq!(extension_for(url, kind), ext, "{url}");
        }
    }

    #[test]
    fn names_use_python_sha1_prefix() {
        // hashlib.sha1(url.encode()).hexdigest()[:12]
        let image = json!("image");
        let name = file_name(
            "https://cdn.lovart.ai/artifacts/abc.png?x=1",
            &image,
            "lovart",
        );
        assert_eq!(name, "lovart_6ea038e69aaf.png");
        assert_eq!(
            file_name("https://a.example/图片.webp", &image, "p"),
            "p_01a47d086c72.webp"
        );
        assert_eq!(
            file_name("http://127.0.0.1:8080", &image, "x"),
            "x_f0313c92b483.1:8080"
        );
        assert_eq!(py_join("out", "n"), "out/n");
        assert_eq!(py_join("out/", "n"), "out/n");
        assert_eq!(py_join("", "n"), "n");
        assert_eq!(py_join("out", "/abs"), "/abs");
    }

    #[test]
    fn collect_dedupes_and_skips_bad_entries() {
        let result = json!({"items": [
            {"artifacts": [
                {"type": "image", "content": "https://a/1.png"},
                {"content": "https://a/2.png"},
                {"type": "video", "content": "https://a/1.png"},
                {"type": "image", "content": ""},
                {"type": "image", "content": 42},
                {"type": "image"},
            ]},
            {"artifacts": "nope"},
            "not an object",
            {"artifacts": [{"type": "video", "content": "https://a/3"}]},
        ]});
        let collected = collect_artifacts(&result);
        assert_eq!(
            collected,
            vec![
                ArtifactRef {
                    kind: json!("image"),
                    url: "https://a/1.png".into()
                },
                ArtifactRef {
                    kind: json!("unknown"),
                    url: "https://a/2.png".into()
                },
                ArtifactRef {
                    kind: json!("video"),
                    url: "https://a/3".into()
                },
            ]
        );
        assert!(collect_artifacts(&json!({"items": {}})).is_empty());
        assert!(collect_artifacts(&json!([])).is_empty());
    }

    #[test]
    fn output_dir_checks() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("a/b");
        ensure_output_dir(nested.to_str().unwrap()).unwrap();
        assert!(nested.is_dir());
        assert!(leftovers(&nested).is_empty());
        let file = root.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let error = ensure_output_dir(file.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            format!(
                "cannot create output folder '{}': File exists",
                file.display()
            )
        );
        assert!(ensure_output_dir("").is_err());
    }

    #[tokio::test]
    async fn concurrent_and_in_order() {
        let server = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let urls: Vec<String> = (0..8)
            .map(|i| format!("{}/slow/{i}.png", server.base))
            .collect();
        let artifacts: Vec<ArtifactRef> = urls.iter().map(|url| artifact(url)).collect();
        let started = Instant::now();
        let items = Downloader::new(false)
            .unwrap()
            .download_all(&artifacts, out, "lovart")
            .await
            .unwrap();
        let elapsed = started.elapsed();
        eprintln!("8 downloads of 300 ms each took {elapsed:?}");
        assert!(elapsed < Duration::from_millis(1600), "took {elapsed:?}");
        let got: Vec<&str> = items
            .iter()
            .map(|item| item["url"].as_str().unwrap())
            .collect();
        assert_eq!(got, urls.iter().map(String::as_str).collect::<Vec<_>>());
        for (item, url) in items.iter().zip(&urls) {
            assert_eq!(item["new"], json!(true));
            let path = item["local_path"].as_str().unwrap();
            assert_eq!(
                path,
                py_join(out, &file_name(url, &json!("image"), "lovart"))
            );
            assert_eq!(
                std::fs::read_to_string(path).unwrap(),
                url.trim_start_matches(&server.base)
            );
        }
        assert!(leftovers(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn success_item_headers_and_redirect() {
        let server = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let out = format!("{}/", dir.path().display());
        let url = format!("{}/redirect", server.base);
        let items = Downloader::new(false)
            .unwrap()
            .download_all(&[artifact(&url)], &out, "pre")
            .await
            .unwrap();
        let path = format!("{out}{}", file_name(&url, &json!("image"), "pre"));
        assert_eq!(
            serde_json::to_string(&items[0]).unwrap(),
            serde_json::to_string(
                &json!({"type": "image", "url": url, "local_path": path, "new": true})
            )
            .unwrap()
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"image bytes");
        let requests = server.requests.lock().unwrap().clone();
        assert_eq!(requests.len(), 2);
        for head in &requests {
            let lower = head.to_ascii_lowercase();
            assert!(lower.contains("user-agent: mozilla/5.0\r\n"), "{head}");
            assert!(
                lower.contains("referer: https://www.lovart.ai/\r\n"),
                "{head}"
            );
            assert!(lower.contains("accept-encoding: identity\r\n"), "{head}");
        }
    }

    #[tokio::test]
    async fn existing_file_is_skipped_and_empty_one_refetched() {
        let server = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let kept = format!("{}/kept.png", server.base);
        let empty = format!("{}/empty.png", server.base);
        let kept_path = py_join(out, &file_name(&kept, &json!("image"), "lovart"));
        std::fs::write(&kept_path, "old").unwrap();
        let downloader = Downloader::new(false).unwrap();
        let items = downloader
            .download_all(&[artifact(&kept)], out, "lovart")
            .await
            .unwrap();
        assert_eq!(
            items,
            vec![json!({"type": "image", "url": kept, "local_path": kept_path, "new": false})]
        );
        assert!(
            server.requests.lock().unwrap().is_empty(),
            "no request for a kept file"
        );
        assert_eq!(std::fs::read_to_string(&kept_path).unwrap(), "old");

        // A 0-byte file is fetched again; a 0-byte body is still new.
        let empty_path = py_join(out, &file_name(&empty, &json!("image"), "lovart"));
        std::fs::write(&empty_path, "").unwrap();
        let items = downloader
            .download_all(&[artifact(&empty)], out, "lovart")
            .await
            .unwrap();
        assert_eq!(items[0]["new"], json!(true));
        assert_eq!(server.requests.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn failures_leave_nothing_behind() {
        let server = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let urls = [
            format!("{}/missing.png", server.base),
            format!("{}/truncated.png", server.base),
            "ftp://example.com/a.png".to_string(),
            "not a url".to_string(),
            "http://127.0.0.1:1/refused.png".to_string(),
        ];
        let artifacts: Vec<ArtifactRef> = urls.iter().map(|url| artifact(url)).collect();
        let items = Downloader::new(false)
            .unwrap()
            .download_all(&artifacts, out, "lovart")
            .await
            .unwrap();
        assert_eq!(items.len(), urls.len());
        for (item, url) in items.iter().zip(&urls) {
            assert_eq!(
                serde_json::to_string(item).unwrap(),
                serde_json::to_string(&json!({
                    "type": "image", "url": url, "local_path": null, "error": "download failed", "new": false
                }))
                .unwrap()
            );
        }
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(names.is_empty(), "left files: {names:?}");
    }

    #[tokio::test]
    async fn cancelled_transfer_leaves_no_file() {
        let server = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let url = format!("{}/hang.png", server.base);
        let downloader = Downloader::new(false).unwrap();
        let stale = dir.path().join(format!("{PARTIAL_PREFIX}stale"));
        std::fs::write(&stale, "x").unwrap();
        let artifacts = [artifact(&url)];
        let run = downloader.download_all(&artifacts, out, "lovart");
        assert!(
            tokio::time::timeout(Duration::from_millis(500), run)
                .await
                .is_err()
        );
        assert_eq!(server.requests.lock().unwrap().len(), 1);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(names, vec![stale]);
    }

    #[tokio::test]
    async fn duplicates_are_fetched_once() {
        let server = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("{}/one.png", server.base);
        let items = Downloader::new(false)
            .unwrap()
            .with_progress(true)
            .download_all(
                &[artifact(&url), artifact(""), artifact(&url)],
                dir.path().to_str().unwrap(),
                "l",
            )
            .await
            .unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(server.requests.lock().unwrap().len(), 1);
    }
}
