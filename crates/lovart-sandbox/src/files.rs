//! `POST /file/upload` and the files the sandbox serves under `/files/`.
//!
//! An upload streams through [`MultipartReader`] into the temporary folder, so
//! its size does not matter; its URL serves it back. Artifact files are made
//! on request (see [`super::media`]) and sent with an exact Content-Length.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::api::base_url;
use super::media::{FileSpec, content_type_for};
use super::multipart::{Event, MultipartReader};
use super::records::{StoredFile, new_id};
use super::reply::{Failure, ok};
use super::world::World;

/// The uploaded part being written.
struct Saving {
    file: tokio::fs::File,
    path: PathBuf,
    filename: String,
    len: u64,
}

/// POST /file/upload: one part `name="file"` → `{"url"}` where it is served.
pub async fn upload(
    State(world): State<Arc<World>>,
    request: Request,
) -> Result<Response, Failure> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let boundary = MultipartReader::boundary(content_type).ok_or_else(|| {
        Failure::bad_request("expected a multipart/form-data body with a boundary")
    })?;
    let base_url = base_url(request.headers());
    let mut reader = MultipartReader::new(&boundary);
    let mut body = request.into_body().into_data_stream();
    let mut saving: Option<Saving> = None;
    let mut saved: Option<Saving> = None;
    let mut eof = false;
    loop {
        while let Some(event) = reader.next_event(eof).map_err(bad_upload)? {
            match event {
                Event::Part(part) => {
                    // The first part named "file" is the upload; others are skipped.
                    if part.name.as_deref() == Some("file") && saved.is_none() {
                        let id = new_id();
                        let path = world.upload_dir().join(&id);
                        let file = tokio::fs::File::create(&path)
                            .await
                            .map_err(storage_failure)?;
                        let filename = part
                            .filename
                            .filter(|name| !name.is_empty())
                            .unwrap_or_else(|| "file".into());
                        saving = Some(Saving {
                            file,
                            path,
                            filename,
                            len: 0,
                        });
                    }
                }
                Event::Data(bytes) => {
                    if let Some(target) = saving.as_mut() {
                        target
                            .file
                            .write_all(&bytes)
                            .await
                            .map_err(storage_failure)?;
                        target.len += bytes.len() as u64;
                    }
                }
                Event::PartEnd => {
                    if let Some(mut done) = saving.take() {
                        done.file.flush().await.map_err(storage_failure)?;
                        saved = Some(done);
                    }
                }
                Event::End => {}
            }
        }
        if eof {
            break;
        }
        match body.next().await {
            Some(Ok(piece)) => reader.feed(&piece),
            Some(Err(why)) => {
                return Err(Failure::bad_request("upload interrupted").details(why.to_string()));
            }
            None => eof = true,
        }
    }
    let saved = saved.ok_or_else(|| Failure::bad_request("no file part in the upload"))?;
    let id = saved
        .path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default()
        .to_string();
    let path = format!("/files/uploads/{id}/{}", saved.filename);
    let url = format!(
        "{base_url}/files/uploads/{id}/{}",
        percent_encode(&saved.filename)
    );
    let content_type = content_type_for(&saved.filename).to_string();
    let spec = FileSpec::Upload {
        path: saved.path,
        len: saved.len,
        content_type,
    };
    world
        .state()
        .files
        .insert(path, StoredFile { spec, slow: false });
    Ok(ok(json!({"url": url})))
}

fn bad_upload(why: String) -> Failure {
    Failure::bad_request("malformed multipart body").details(why)
}

fn storage_failure(why: std::io::Error) -> Failure {
    Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "cannot store the upload")
        .details(why.to_string())
}

/// GET /files/…: an artifact or an upload, streamed with its length.
pub async fn serve(State(world): State<Arc<World>>, request: Request) -> Response {
    let path = percent_decode(request.uri().path());
    let spec = world
        .state()
        .files
        .get(&path)
        .map(|file| (file.spec.clone(), file.slow));
    let Some((spec, slow)) = spec else {
        return (StatusCode::NOT_FOUND, "404 Not Found\n").into_response();
    };
    match spec.open(slow).await {
        Ok(file) => Response::builder()
            .header(header::CONTENT_TYPE, file.content_type)
            .header(header::CONTENT_LENGTH, file.len)
            .body(Body::from_stream(file.stream))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Err(why) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read file: {why}\n"),
        )
            .into_response(),
    }
}

/// A file name as one URL path segment: unreserved bytes as is, the rest `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok());
        match (
            bytes[index],
            hex.and_then(|pair| u8::from_str_radix(pair, 16).ok()),
        ) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip_through_urls() {
        for name in ["photo.jpg", "café au lait.png", "a%20b?#.txt", "日本.png"] {
            let encoded = percent_encode(name);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
            );
            assert_eq!(percent_decode(&encoded), name);
        }
    }
}
