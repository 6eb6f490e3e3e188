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
        let progress = false;
        Ok(Self { client, progress })
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
        writer.shutdown().await?; // flushes, and waits for the file's last write
        drop(writer);
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

    type Log = Arc<Mutex<Vec<String>>>;

    /// A tiny HTTP/1.1 server answering by path; returns its base URL and the
    /// log of request heads.
    async fn serve() -> (String, Log) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log: Log = Arc::default();
        let requests = log.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
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
                    answer(&mut socket, &path).await;
                });
            }
        });
        (base, requests)
    }

    /// Canned answers: a 404, a body shorter than its Content-Length (then a
    /// close, or a hang), an empty body, a redirect, slow bodies, else 11 bytes.
    async fn answer(socket: &mut tokio::net::TcpStream, path: &str) {
        let (status, extra, body) = match path {
            "/missing.png" => ("404 Not Found", "", "no!"),
            "/truncated.png" | "/hang.png" => ("200 OK", "Content-Length: 1000\r\n", "0123456789"),
            "/empty.png" => ("200 OK", "", ""),
            "/redirect" => ("302 Found", "Location: /data.png\r\n", ""),
            slow if slow.starts_with("/slow/") => ("200 OK", "", slow),
            _ => ("200 OK", "", "image bytes"),
        };
        if path.starts_with("/slow/") {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let length = match extra.contains("Content-Length") {
            true => String::new(),
            false => format!("Content-Length: {}\r\n", body.len()),
        };
        let reply = format!("HTTP/1.1 {status}\r\n{extra}{length}Connection: close\r\n\r\n{body}");
        let _ = socket.write_all(reply.as_bytes()).await;
        if path == "/hang.png" {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        let _ = socket.shutdown().await;
    }

    fn image(url: &str) -> ArtifactRef {
        let (kind, url) = (json!("image"), url.to_string());
        ArtifactRef { kind, url }
    }

    fn artifacts(urls: &[String]) -> Vec<ArtifactRef> {
        urls.iter().map(|url| image(url)).collect()
    }

    async fn fetch_all(urls: &[String], out: &str, prefix: &str) -> Vec<Value> {
        let downloader = Downloader::new(false).unwrap().with_progress(true);
        downloader
            .download_all(&artifacts(urls), out, prefix)
            .await
            .unwrap()
    }

    /// Compact JSON text, so key order is compared too.
    fn text(value: &Value) -> String {
        serde_json::to_string(value).unwrap()
    }

    fn dir_entries(dir: &Path) -> Vec<String> {
        let entries = std::fs::read_dir(dir).unwrap();
        entries
            .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
            .collect()
    }

    #[test]
    fn extension_rules_follow_python_splitext() {
        let (image, video) = (json!("image"), json!("video"));
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
            ("https://a/b/clip", &video, ".mp4"),
            ("https://a/b/clip.webm", &video, ".webm"),
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
        let cases = [
            (
                "https://cdn.lovart.ai/a/abc.png?x=1",
                "lovart",
                "lovart_ab0ac1d04e0c.png",
            ),
            ("https://a.example/图片.webp", "p", "p_01a47d086c72.webp"),
            ("http://127.0.0.1:8080", "x", "x_f0313c92b483.1:8080"),
        ];
        for (url, prefix, name) in cases {
            assert_eq!(file_name(url, &image, prefix), name);
        }
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
        let mut expected = artifacts(&["https://a/1.png".into(), "https://a/2.png".into()]);
        expected[1].kind = json!("unknown");
        expected.push(ArtifactRef {
            kind: json!("video"),
            ..image("https://a/3")
        });
        assert_eq!(collect_artifacts(&result), expected);
        assert!(collect_artifacts(&json!({"items": {}})).is_empty());
        assert!(collect_artifacts(&json!([])).is_empty());
    }

    #[test]
    fn output_dir_checks() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("a/b");
        ensure_output_dir(nested.to_str().unwrap()).unwrap();
        assert!(nested.is_dir());
        assert!(dir_entries(&nested).is_empty(), "the probe is removed");
        let file = root.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let error = ensure_output_dir(file.to_str().unwrap()).unwrap_err();
        let file = file.display();
        assert_eq!(
            error.to_string(),
            format!("cannot create output folder '{file}': File exists")
        );
        assert!(ensure_output_dir("").is_err());
    }

    #[tokio::test]
    async fn concurrent_and_in_order() {
        let (base, _) = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let urls: Vec<String> = (0..8).map(|i| format!("{base}/slow/{i}.png")).collect();
        let started = Instant::now();
        let items = fetch_all(&urls, out, "lovart").await;
        let elapsed = started.elapsed();
        eprintln!("8 downloads of 300 ms each took {elapsed:?}");
        assert!(elapsed < Duration::from_millis(1600), "took {elapsed:?}");
        assert_eq!(items.len(), urls.len());
        for (item, url) in items.iter().zip(&urls) {
            let path = py_join(out, &file_name(url, &json!("image"), "lovart"));
            let expected = json!({"type": "image", "url": url, "local_path": path, "new": true});
            assert_eq!(text(item), text(&expected));
            let body = std::fs::read_to_string(path).unwrap();
            assert_eq!(body, url.trim_start_matches(&base));
        }
        assert_eq!(dir_entries(dir.path()).len(), 8, "no temporary files left");
    }

    #[tokio::test]
    async fn skips_kept_files_refetches_empty_ones_and_follows_redirects() {
        let (base, log) = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let out = &format!("{}/", dir.path().display());
        let urls = ["kept.png", "empty.png", "redirect"].map(|path| format!("{base}/{path}"));
        let [kept, empty, moved] = urls
            .clone()
            .map(|url| format!("{out}{}", file_name(&url, &json!("image"), "l")));
        std::fs::write(&kept, "old").unwrap();
        std::fs::write(&empty, "").unwrap();
        let input = [&urls[0], "", &urls[1], &urls[0], &urls[2]].map(String::from);
        let items = fetch_all(&input, out, "l").await;
        let expected = json!([
            {"type": "image", "url": urls[0], "local_path": kept, "new": false},
            {"type": "image", "url": urls[1], "local_path": empty, "new": true},
            {"type": "image", "url": urls[2], "local_path": moved, "new": true},
        ]);
        assert_eq!(text(&Value::Array(items)), text(&expected));
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "old");
        assert_eq!(std::fs::read(&moved).unwrap(), b"image bytes");
        let mut requests = log.lock().unwrap().clone();
        requests.sort();
        let lines: Vec<&str> = requests
            .iter()
            .filter_map(|head| head.lines().next())
            .collect();
        assert_eq!(
            lines,
            [
                "GET /data.png HTTP/1.1",
                "GET /empty.png HTTP/1.1",
                "GET /redirect HTTP/1.1"
            ]
        );
        let wanted = [
            "user-agent: mozilla/5.0",
            "referer: https://www.lovart.ai/",
            "accept-encoding: identity",
        ];
        for (head, header) in requests
            .iter()
            .flat_map(|head| wanted.map(|header| (head.to_ascii_lowercase(), header)))
        {
            assert!(
                head.contains(&format!("\r\n{header}\r\n")),
                "{header} in {head}"
            );
        }
    }

    #[tokio::test]
    async fn failures_leave_nothing_behind() {
        let (base, _) = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let urls = [
            format!("{base}/missing.png"),
            format!("{base}/truncated.png"),
            "ftp://example.com/a.png".to_string(),
            "not a url".to_string(),
            "http://127.0.0.1:1/refused.png".to_string(),
        ];
        let items = fetch_all(&urls, out, "lovart").await;
        assert_eq!(items.len(), urls.len());
        for (item, url) in items.iter().zip(&urls) {
            let expected = json!({
                "type": "image", "url": url, "local_path": null, "error": "download failed", "new": false
            });
            assert_eq!(text(item), text(&expected));
        }
        assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
    }

    #[tokio::test]
    async fn cancelled_transfer_leaves_no_file() {
        let (base, log) = serve().await;
        let dir = tempfile::tempdir().unwrap();
        let stale = format!("{PARTIAL_PREFIX}stale");
        std::fs::write(dir.path().join(&stale), "x").unwrap();
        let urls = [format!("{base}/hang.png")];
        let run = fetch_all(&urls, dir.path().to_str().unwrap(), "l");
        let outcome = tokio::time::timeout(Duration::from_millis(500), run).await;
        assert!(outcome.is_err(), "the transfer hangs until cancelled");
        assert_eq!(log.lock().unwrap().len(), 1);
        assert_eq!(dir_entries(dir.path()), vec![stale]);
    }
}
