//! The streamed multipart body of `POST /file/upload`.
//!
//! Byte for byte the reference's framing (one part, `name="file"`, the raw
//! UTF-8 basename, `application/octet-stream`), with an exact Content-Length
//! computed up front, but read from disk as it is sent instead of held in memory.

use std::path::Path;

use anyhow::Result;

/// A ready-to-send multipart body.
pub struct MultipartFile {
    pub boundary: String,
    pub content_length: u64,
    pub body: reqwest::Body,
}

/// Opens `path` and prepares its multipart body. Errors name the path when it
/// is missing, a directory, or unreadable.
pub async fn multipart_file_body(path: &Path) -> Result<MultipartFile> {
    let _ = path;
    todo!()
}
