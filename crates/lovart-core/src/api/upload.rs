//! The streamed multipart body of `POST /file/upload`.
//!
//! Byte for byte the reference's framing (one part, `name="file"`, the raw
//! UTF-8 basename, `application/octet-stream`), with an exact Content-Length
//! computed up front, but read from disk as it is sent instead of held in memory.
//! Only a regular file is sent: a device (`/dev/zero`), a FIFO or a directory
//! is refused before anything is opened or read.

use std::io;
use std::path::Path;

use anyhow::{Result, bail};
use futures_util::{StreamExt, stream};
use tokio::io::AsyncReadExt;

/// A ready-to-send multipart body.
pub struct MultipartFile {
    pub boundary: String,
    pub content_length: u64,
    pub body: reqwest::Body,
}

/// How much of the file is read (and sent) at a time.
const CHUNK: usize = 64 * 1024;

/// Python's `os.path.basename`: the bytes after the last `/` (empty for a
/// path ending in `/`).
fn basename(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    match bytes.iter().rposition(|&byte| byte == b'/') {
        Some(slash) => &bytes[slash + 1..],
        None => bytes,
    }
}

/// The part header before the file's bytes.
fn head(boundary: &str, filename: &[u8]) -> Vec<u8> {
    let mut head =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"")
            .into_bytes();
    head.extend_from_slice(filename);
    head.extend_from_slice(b"\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    head
}

/// The closing boundary after the file's bytes.
fn tail(boundary: &str) -> Vec<u8> {
    format!("\r\n--{boundary}--\r\n").into_bytes()
}

/// Exactly `size` bytes of `file`, in chunks; an error if the file ends sooner
/// (the Content-Length is already promised), and nothing past `size`.
fn file_chunks(
    file: tokio::fs::File,
    size: u64,
) -> impl futures_util::Stream<Item = io::Result<Vec<u8>>> + Send + 'static {
    stream::try_unfold((file, size), |(mut file, left)| async move {
        if left == 0 {
            return Ok(None);
        }
        let want = usize::try_from(left).map_or(CHUNK, |left| left.min(CHUNK));
        let mut chunk = vec![0u8; want];
        let read = file.read(&mut chunk).await?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file got shorter while it was being uploaded",
            ));
        }
        chunk.truncate(read);
        Ok(Some((chunk, (file, left - read as u64))))
    })
}

/// Opens `path` and prepares its multipart body. Errors name the path when it
/// is missing, a directory, or unreadable.
pub async fn multipart_file_body(path: &Path) -> Result<MultipartFile> {
    let shown = path.display();
    let cannot_read = |error: io::Error| {
        anyhow::anyhow!(
            "cannot read '{shown}': {}",
            crate::python::os_error_text(&error)
        )
    };
    // Looked at before opening: opening a FIFO would wait for a writer.
    let metadata = tokio::fs::metadata(path).await.map_err(cannot_read)?;
    if metadata.is_dir() {
        bail!("cannot upload '{shown}': it is a directory");
    }
    if !metadata.is_file() {
        bail!("cannot upload '{shown}': not a regular file");
    }
    let file = tokio::fs::File::open(path).await.map_err(cannot_read)?;
    let metadata = file.metadata().await.map_err(cannot_read)?;
    if !metadata.is_file() {
        bail!("cannot upload '{shown}': not a regular file");
    }
    let boundary = uuid::Uuid::new_v4().simple().to_string();
    let head = head(&boundary, basename(path));
    let tail = tail(&boundary);
    let frame = (head.len() + tail.len()) as u64;

    let size = metadata.len();
    let chunks = stream::once(async { Ok(head) })
        .chain(file_chunks(file, size))
        .chain(stream::once(async { Ok(tail) }));
    Ok(MultipartFile {
        boundary,
        content_length: frame + size,
        body: reqwest::Body::wrap_stream(chunks),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn expected(boundary: &str, name: &str, data: &[u8]) -> Vec<u8> {
        let mut bytes = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        bytes.extend_from_slice(data);
        bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        bytes
    }

    #[test]
    fn basename_follows_python() {
        assert_eq!(basename(Path::new("/a/b/图片.png")), "图片.png".as_bytes());
        assert_eq!(basename(Path::new("plain.txt")), b"plain.txt");
        assert_eq!(basename(Path::new("dir/")), b"");
    }

    #[tokio::test]
    async fn streamed_chunks_are_the_reference_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("海报 \"v2\".png");
        // Larger than a chunk, so the file is read in several pieces.
        let data: Vec<u8> = (0..CHUNK * 2 + 123).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();

        let boundary = "0123456789abcdef0123456789abcdef";
        let file = tokio::fs::File::open(&path).await.unwrap();
        let size = file.metadata().await.unwrap().len();
        let mut collected = head(boundary, basename(&path));
        let mut chunks = std::pin::pin!(file_chunks(file, size));
        let mut pieces = 0;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.unwrap();
            assert!(chunk.len() <= CHUNK);
            collected.extend_from_slice(&chunk);
            pieces += 1;
        }
        collected.extend_from_slice(&tail(boundary));
        assert_eq!(pieces, 3);
        assert_eq!(collected, expected(boundary, "海报 \"v2\".png", &data));

        let multipart = multipart_file_body(&path).await.unwrap();
        assert_eq!(multipart.boundary.len(), 32);
        assert!(
            multipart
                .boundary
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(multipart.content_length, collected.len() as u64);
    }

    #[tokio::test]
    async fn shrinking_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.bin");
        std::fs::write(&path, b"12345").unwrap();
        let file = tokio::fs::File::open(&path).await.unwrap();
        let results: Vec<_> = file_chunks(file, 10).collect().await;
        assert_eq!(results[0].as_ref().unwrap(), b"12345");
        assert_eq!(
            results[1].as_ref().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }

    /// The body as a server receives it: exactly the reference's bytes, with the
    /// announced Content-Length.
    #[tokio::test]
    async fn body_on_the_wire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("图片.png");
        std::fs::write(&path, b"\x89PNG\r\n\x1a\n fake").unwrap();
        let multipart = multipart_file_body(&path).await.unwrap();
        let want = expected(&multipart.boundary, "图片.png", b"\x89PNG\r\n\x1a\n fake");
        assert_eq!(multipart.content_length, want.len() as u64);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/upload", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            let mut buf = [0u8; 4096];
            let body_start = loop {
                let read = socket.read(&mut buf).await.unwrap();
                assert!(read > 0, "connection closed early");
                received.extend_from_slice(&buf[..read]);
                if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                    break end + 4;
                }
            };
            let head = String::from_utf8_lossy(&received[..body_start]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .expect("a Content-Length header")
                .parse()
                .unwrap();
            while received.len() < body_start + length {
                let read = socket.read(&mut buf).await.unwrap();
                assert!(read > 0, "body cut short");
                received.extend_from_slice(&buf[..read]);
            }
            let reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
            socket.write_all(reply.as_bytes()).await.unwrap();
            (head, received[body_start..].to_vec())
        });
        let response = reqwest::Client::new()
            .post(&url)
            .header("Content-Length", multipart.content_length)
            .body(multipart.body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let (head, body) = server.await.unwrap();
        assert!(!head.contains("transfer-encoding"), "{head}");
        assert_eq!(body, want);
    }

    #[tokio::test]
    async fn errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.png");
        let error = multipart_file_body(&missing)
            .await
            .err()
            .unwrap()
            .to_string();
        let shown = missing.display();
        assert_eq!(
            error,
            format!("cannot read '{shown}': No such file or directory")
        );
        let error = multipart_file_body(dir.path())
            .await
            .err()
            .unwrap()
            .to_string();
        let shown = dir.path().display();
        assert_eq!(error, format!("cannot upload '{shown}': it is a directory"));
        for device in ["/dev/zero", "/dev/null"] {
            let error = multipart_file_body(Path::new(device))
                .await
                .err()
                .unwrap()
                .to_string();
            assert_eq!(
                error,
                format!("cannot upload '{device}': not a regular file")
            );
        }
    }

    /// A FIFO is refused up front: opening it would wait for a writer forever.
    #[cfg(unix)]
    #[tokio::test]
    async fn fifo_is_refused_without_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let error = multipart_file_body(&fifo).await.err().unwrap().to_string();
        let shown = fifo.display();
        assert_eq!(
            error,
            format!("cannot upload '{shown}': not a regular file")
        );
    }
}
