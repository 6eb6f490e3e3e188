//! Tests of artifact downloads against a tiny local HTTP server.
use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::AsyncReadExt;

type Log = Arc<Mutex<Vec<String>>>;

/// `/slow/` requests being answered now, and the most at once (only the
/// concurrency test asks for `/slow/`).
static SLOW_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static SLOW_PEAK: AtomicUsize = AtomicUsize::new(0);

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

/// The start of a WAV file.
const WAV_HEAD: &str = "RIFF\x24\0\0\0WAVEfmt ";

/// Canned answers: a 404, a body shorter than its Content-Length (then a
/// close, or a hang), an empty body, a redirect, files without an extension
/// (typed, untyped, unknown), slow bodies, else 11 bytes.
async fn answer(socket: &mut tokio::net::TcpStream, path: &str) {
    if hostile_answer(socket, path).await {
        return;
    }
    let (status, extra, body) = match path.split('?').next().unwrap_or_default() {
        "/missing.png" => ("404 Not Found", "", "no!"),
        "/truncated.png" | "/hang.png" => ("200 OK", "Content-Length: 1000\r\n", "0123456789"),
        "/empty.png" => ("200 OK", "", ""),
        "/redirect" => ("302 Found", "Location: /data.png\r\n", ""),
        "/noext/wav-typed" => ("200 OK", "Content-Type: audio/wav\r\n", WAV_HEAD),
        "/noext/wav-untyped" => (
            "200 OK",
            "Content-Type: application/octet-stream\r\n",
            WAV_HEAD,
        ),
        "/noext/glb" => ("200 OK", "", "glTF\x02\0\0\0"),
        "/noext/mystery" => ("200 OK", "Content-Type: text/x-unknown\r\n", "????"),
        "/wav.png" => ("200 OK", "Content-Type: audio/wav\r\n", WAV_HEAD),
        slow if slow.starts_with("/slow/") || slow.starts_with("/late/") => ("200 OK", "", slow),
        _ => ("200 OK", "", "image bytes"),
    };
    if path.starts_with("/slow/") {
        let now = SLOW_IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
        SLOW_PEAK.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        SLOW_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
    // `/late/<ms>/…`: answered after that many milliseconds.
    if let Some(ms) = path
        .strip_prefix("/late/")
        .and_then(|rest| rest.split('/').next())
    {
        tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
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

/// Misbehaving answers: a body that drips (a byte every 50 ms, for at most
/// 10 s), one that never ends (stopped by the client or after 64 MiB), and
/// one longer than its Content-Length. Returns whether `path` was one.
async fn hostile_answer(socket: &mut tokio::net::TcpStream, path: &str) -> bool {
    match path {
        "/drip.png" => {
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n")
                .await;
            for _ in 0..200 {
                if socket.write_all(b"x").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        "/endless.png" => {
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                .await;
            let block = vec![b'z'; 64 * 1024];
            for _ in 0..1024 {
                if socket.write_all(&block).await.is_err() {
                    break;
                }
            }
        }
        "/longer.png" => {
            let reply =
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n0123456789";
            let _ = socket.write_all(reply.as_bytes()).await;
        }
        _ => return false,
    }
    let _ = socket.shutdown().await;
    true
}

fn image(url: &str) -> ArtifactRef {
    let (kind, url) = (json!("image"), url.to_string());
    ArtifactRef::new(kind, url)
}

fn artifacts(urls: &[String]) -> Vec<ArtifactRef> {
    urls.iter().map(|url| image(url)).collect()
}

async fn fetch_all(urls: &[String], out: &str, prefix: &str) -> Vec<Value> {
    fetch_all_reporting(urls, out, prefix).await.0
}

/// [`fetch_all`], and the events the downloader reported.
async fn fetch_all_reporting(
    urls: &[String],
    out: &str,
    prefix: &str,
) -> (Vec<Value>, Vec<String>) {
    let recorded = std::sync::Arc::new(crate::events::Recorded::default());
    let downloader = Downloader::new(false, DownloadLimits::DEFAULT)
        .unwrap()
        .with_events(EventSink::shared(recorded.clone()));
    let items = downloader
        .download_all(&artifacts(urls), out, prefix, &FileOptions::default())
        .await
        .unwrap();
    (items, recorded.lines())
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

/// The name a download of `url` gets when it is known before downloading.
fn file_name(url: &str, kind: &Value, prefix: &str) -> String {
    match naming(url, kind, prefix) {
        Naming::Fixed(name) => name,
        other @ Naming::FromContent { .. } => panic!("{url}: named from its content: {other:?}"),
    }
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
        ("https://a/b/song.mp3", &json!("audio"), ".mp3"),
        ("https://a/b/song.png", &json!("audio"), ".png"),
    ];
    for (url, kind, ext) in cases {
        assert_eq!(extension_for(url, kind).as_deref(), Some(ext), "{url}");
    }
}

/// Where the reference wrote `.png` whatever the bytes (audio, 3D, any other
/// type, without an extension in the URL), the download decides.
#[test]
fn other_types_without_an_extension_are_named_from_their_content() {
    for kind in [
        json!("audio"),
        json!("3d"),
        json!("unknown"),
        json!(["video"]),
    ] {
        assert_eq!(extension_for("https://a/b/song", &kind), None, "{kind}");
        let stem = "l_468696994bef".to_string();
        assert_eq!(
            naming("https://a/b/song", &kind, "l"),
            Naming::FromContent { stem }
        );
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
    assert_eq!(collect_artifacts(result.as_object().unwrap()), expected);
    assert!(collect_artifacts(json!({"items": {}}).as_object().unwrap()).is_empty());
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

/// Every file of a result transfers at once (the server sees them all
/// overlap), the items keep the result's order, and past [`CONCURRENCY`]
/// files (in one result or across results sharing the downloader) the rest wait.
#[tokio::test]
async fn all_of_a_results_files_transfer_at_once_up_to_the_bound_in_order() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let urls: Vec<String> = (0..8).map(|i| format!("{base}/slow/{i}.png")).collect();
    let (items, events) = fetch_all_reporting(&urls, out, "lovart").await;
    assert_eq!(SLOW_PEAK.swap(0, Ordering::SeqCst), 8, "all 8 at once");
    // Each transfer is reported: started, then ended (the terminal's bars).
    let count = |what: &str| events.iter().filter(|line| line.starts_with(what)).count();
    assert_eq!(count("TransferStarted"), 8, "{events:?}");
    assert_eq!(count("TransferEnded"), 8, "{events:?}");
    assert_eq!(items.len(), urls.len());
    for (item, url) in items.iter().zip(&urls) {
        let path = crate::python::join(out, &file_name(url, &json!("image"), "lovart"));
        let expected = json!({"type": "image", "url": url, "local_path": path, "new": true});
        assert_eq!(text(item), text(&expected));
        let body = std::fs::read_to_string(path).unwrap();
        assert_eq!(body, url.trim_start_matches(&base));
    }
    assert_eq!(dir_entries(dir.path()).len(), 8, "no temporary files left");

    // Two results of 12 files each through one downloader: 16 at most.
    let downloader = Downloader::new(false, DownloadLimits::DEFAULT).unwrap();
    let batch = |first: usize| -> Vec<ArtifactRef> {
        let urls: Vec<String> = (first..first + 12)
            .map(|i| format!("{base}/slow/{i}.png"))
            .collect();
        artifacts(&urls)
    };
    let (one, two) = (batch(100), batch(200));
    let options = FileOptions::default();
    let (one, two) = tokio::join!(
        downloader.download_all(&one, out, "l", &options),
        downloader.download_all(&two, out, "l", &options)
    );
    assert_eq!(one.unwrap().len() + two.unwrap().len(), 24);
    assert_eq!(SLOW_PEAK.load(Ordering::SeqCst), CONCURRENCY);
}

/// Files without an extension in their URL, of a type the reference does not
/// name by itself: named from `Content-Type`, else their first bytes, else
/// `.bin`; found again by the next run under that name (no second request),
/// and found under the reference's `.png` when an older run left one there.
#[tokio::test]
async fn files_without_an_extension_are_named_from_what_arrives() {
    let (base, log) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let audio = |path: &str| ArtifactRef::new(json!("audio"), format!("{base}{path}"));
    let given = vec![
        audio("/noext/wav-typed"),
        audio("/noext/wav-untyped"),
        ArtifactRef::new(json!("3d"), format!("{base}/noext/glb")),
        audio("/noext/mystery"),
        // The reference's names are kept: an image stays .png, and a URL's
        // own extension wins over the content.
        ArtifactRef::new(json!("image"), format!("{base}/noext/wav-typed?image")),
        audio("/wav.png"),
    ];
    let stem = |artifact: &ArtifactRef| match naming(&artifact.url, &artifact.kind, "l") {
        Naming::FromContent { stem } => stem,
        Naming::Fixed(name) => name.rsplit_once('.').unwrap().0.to_string(),
    };
    let want: Vec<String> = given
        .iter()
        .zip([".wav", ".wav", ".glb", ".bin", ".png", ".png"])
        .map(|(artifact, ext)| crate::python::join(out, &format!("{}{ext}", stem(artifact))))
        .collect();
    let downloader = Downloader::new(false, DownloadLimits::DEFAULT).unwrap();
    let first = downloader
        .download_all(&given, out, "l", &FileOptions::default())
        .await
        .unwrap();
    let paths: Vec<&str> = first
        .iter()
        .map(|item| item["local_path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, want);
    assert!(first.iter().all(|item| item["new"] == json!(true)));
    assert_eq!(std::fs::read(&want[0]).unwrap(), WAV_HEAD.as_bytes());

    let requests = log.lock().unwrap().len();
    let again = downloader
        .download_all(&given, out, "l", &FileOptions::default())
        .await
        .unwrap();
    let kept: Vec<Value> = first
        .iter()
        .cloned()
        .map(|mut item| {
            item["new"] = json!(false);
            item
        })
        .collect();
    assert_eq!(text(&json!(again)), text(&json!(kept)));
    assert_eq!(log.lock().unwrap().len(), requests, "nothing fetched again");

    // The reference named this WAV `.png`: a later run finds that file.
    let older = audio("/noext/elsewhere");
    let png = crate::python::join(out, &format!("{}.png", stem(&older)));
    std::fs::write(&png, WAV_HEAD).unwrap();
    let kept = downloader
        .download_all(&[older], out, "l", &FileOptions::default())
        .await
        .unwrap();
    assert_eq!(kept[0]["local_path"], json!(png));
    assert_eq!(kept[0]["new"], json!(false));
    assert_eq!(log.lock().unwrap().len(), requests);
    assert!(
        !dir_entries(dir.path())
            .iter()
            .any(|name| name.starts_with(PARTIAL_PREFIX)),
        "no temporary files left"
    );
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
    // Cancelled (dropped) once under way: its partial file is there.
    let under_way = async {
        while dir_entries(dir.path()).len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        _ = run => panic!("the transfer hangs until cancelled"),
        () = under_way => {}
    }
    assert_eq!(log.lock().unwrap().len(), 1);
    assert_eq!(dir_entries(dir.path()), vec![stale]);
}

/// A drip (200 bytes at 20 B/s) is a stall: under 1 KiB in the stall period.
#[tokio::test]
async fn dripping_body_fails_as_a_stall_and_leaves_nothing() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let downloader = Downloader::new(
        false,
        DownloadLimits {
            stall: Duration::from_millis(400),
            max_bytes: 1 << 30,
        },
    )
    .unwrap();
    let started = Instant::now();
    let error = downloader
        .fetch(&format!("{base}/drip.png"), out(&dir), &fixed("a.png"))
        .await
        .unwrap_err();
    assert!(error.to_string().starts_with("stalled"), "{error}");
    // Structural, not a timing bound: well before the 10 s the drip would take.
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn endless_body_stops_at_the_byte_limit_and_leaves_nothing() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let downloader = Downloader::new(
        false,
        DownloadLimits {
            stall: TIMEOUT,
            max_bytes: 1024 * 1024,
        },
    )
    .unwrap();
    let error = downloader
        .fetch(&format!("{base}/endless.png"), out(&dir), &fixed("a.png"))
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "more than the limit of 1048576 bytes");
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
    // A declared length over the limit fails before any byte is written.
    let small = Downloader::new(
        false,
        DownloadLimits {
            stall: TIMEOUT,
            max_bytes: 4,
        },
    )
    .unwrap();
    let error = small
        .fetch(&format!("{base}/data.png"), out(&dir), &fixed("b.png"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "its Content-Length 11 is above the limit of 4 bytes"
    );
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

/// Bytes past the Content-Length never reach the file.
#[tokio::test]
async fn a_body_longer_than_its_length_is_never_written_past_it() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a.png");
    let outcome = Downloader::new(false, DownloadLimits::DEFAULT)
        .unwrap()
        .fetch(&format!("{base}/longer.png"), out(&dir), &fixed("a.png"))
        .await;
    match outcome {
        Ok(_) => assert_eq!(std::fs::read(&target).unwrap(), b"01234"),
        Err(_) => assert_eq!(dir_entries(dir.path()), Vec::<String>::new()),
    }
}

#[tokio::test]
async fn stale_partials_are_swept_fresh_ones_kept() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join(format!("{PARTIAL_PREFIX}old"));
    let fresh = dir.path().join(format!("{PARTIAL_PREFIX}new"));
    let other = dir.path().join("notes.txt");
    for path in [&stale, &fresh, &other] {
        std::fs::write(path, "x").unwrap();
    }
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    for path in [&stale, &other] {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(two_hours_ago).unwrap();
    }
    let urls = [format!("{base}/data.png")];
    let items = fetch_all(&urls, dir.path().to_str().unwrap(), "l").await;
    assert_eq!(items[0]["new"], json!(true));
    let mut names = dir_entries(dir.path());
    names.sort();
    let kept = artifact_file_name(&urls[0]);
    let mut want = vec![
        format!("{PARTIAL_PREFIX}new"),
        kept,
        "notes.txt".to_string(),
    ];
    want.sort();
    assert_eq!(names, want);
}

fn fixed(name: &str) -> Naming {
    Naming::Fixed(name.to_string())
}

fn out(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().unwrap()
}

fn artifact_file_name(url: &str) -> String {
    file_name(url, &json!("image"), "l")
}

/// With a template that gives every file the same name, the suffixes follow
/// the artifacts' order, not the order in which the transfers ended (the
/// first file here arrives last).
#[tokio::test]
async fn named_collisions_are_numbered_in_the_artifacts_order() {
    let (base, _) = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let urls: Vec<String> = [400, 200, 0]
        .iter()
        .map(|ms| format!("{base}/late/{ms}/a.png"))
        .collect();
    let options = FileOptions {
        name: Some(crate::files::naming::NameTemplate::parse("same").unwrap()),
        ..FileOptions::default()
    };
    let items = Downloader::new(false, DownloadLimits::DEFAULT)
        .unwrap()
        .download_all(&artifacts(&urls), out, "lovart", &options)
        .await
        .unwrap();
    let names: Vec<String> = items
        .iter()
        .map(|item| {
            let path = item["local_path"].as_str().unwrap();
            Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["same.png", "same-2.png", "same-3.png"]);
    for (item, url) in items.iter().zip(&urls) {
        let body = std::fs::read_to_string(item["local_path"].as_str().unwrap()).unwrap();
        assert_eq!(
            body,
            url.trim_start_matches(&base),
            "each name holds its own file"
        );
    }
}
