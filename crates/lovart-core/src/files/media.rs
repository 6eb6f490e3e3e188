//! What a downloaded file really is, for `{ext}` and a record's `mime_type`:
//! the answer's `Content-Type` when it is specific, else the file's first
//! bytes, else the URL's extension. A small table: the formats a generation
//! service hands out.

/// `(MIME type, extension without dot)` of the formats known here.
const TABLE: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("image/svg+xml", "svg"),
    ("video/mp4", "mp4"),
    ("video/quicktime", "mov"),
    ("video/webm", "webm"),
    ("audio/wav", "wav"),
    ("audio/x-wav", "wav"),
    ("audio/wave", "wav"),
    ("audio/mpeg", "mp3"),
    ("audio/ogg", "ogg"),
    ("audio/flac", "flac"),
    ("audio/mp4", "m4a"),
    ("model/gltf-binary", "glb"),
    ("model/gltf+json", "gltf"),
    ("application/pdf", "pdf"),
    ("application/zip", "zip"),
];

/// How many leading bytes [`from_magic`] needs.
pub const SNIFF_LEN: usize = 16;

/// A known type's `(MIME, ext)` from its magic bytes.
pub fn from_magic(head: &[u8]) -> Option<(&'static str, &'static str)> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    Some(if starts(b"\x89PNG\r\n\x1a\n") {
        ("image/png", "png")
    } else if starts(b"\xff\xd8\xff") {
        ("image/jpeg", "jpg")
    } else if starts(b"GIF8") {
        ("image/gif", "gif")
    } else if starts(b"RIFF") && at(8, b"WEBP") {
        ("image/webp", "webp")
    } else if starts(b"RIFF") && at(8, b"WAVE") {
        ("audio/wav", "wav")
    } else if at(4, b"ftypqt") {
        ("video/quicktime", "mov")
    } else if at(4, b"ftypM4A") {
        ("audio/mp4", "m4a")
    } else if at(4, b"ftyp") {
        ("video/mp4", "mp4")
    } else if starts(b"\x1a\x45\xdf\xa3") {
        ("video/webm", "webm")
    } else if starts(b"glTF") {
        ("model/gltf-binary", "glb")
    } else if starts(b"ID3") || starts(b"\xff\xfb") || starts(b"\xff\xf3") {
        ("audio/mpeg", "mp3")
    } else if starts(b"OggS") {
        ("audio/ogg", "ogg")
    } else if starts(b"fLaC") {
        ("audio/flac", "flac")
    } else if starts(b"%PDF") {
        ("application/pdf", "pdf")
    } else {
        return None;
    })
}

/// A known type from a `Content-Type` header value (parameters ignored).
pub fn from_content_type(value: &str) -> Option<(&'static str, &'static str)> {
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(mime, _)| *mime == essence)
        .map(|(mime, ext)| (*mime, *ext))
}

/// The MIME type of an extension (without dot), when known.
pub fn mime_of_extension(ext: &str) -> Option<&'static str> {
    let ext = ext.to_ascii_lowercase();
    let ext = if ext == "jpeg" {
        "jpg".to_string()
    } else {
        ext
    };
    TABLE
        .iter()
        .find(|(_, known)| *known == ext)
        .map(|(mime, _)| *mime)
}

/// What a download is: the header when it names a known type, else the
/// bytes, else `None` (the caller keeps the URL's extension).
pub fn of_download(
    content_type: Option<&str>,
    head: &[u8],
) -> Option<(&'static str, &'static str)> {
    content_type
        .and_then(from_content_type)
        .or_else(|| from_magic(head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_name_the_type_when_the_header_does_not() {
        let wav = b"RIFF\x24\0\0\0WAVEfmt ";
        assert_eq!(
            of_download(Some("application/octet-stream"), wav),
            Some(("audio/wav", "wav"))
        );
        assert_eq!(
            of_download(None, b"glTF\x02\0\0\0"),
            Some(("model/gltf-binary", "glb"))
        );
        assert_eq!(
            of_download(Some("image/png; q=1"), b""),
            Some(("image/png", "png"))
        );
        assert_eq!(of_download(None, b"hello"), None);
        assert_eq!(mime_of_extension("JPEG"), Some("image/jpeg"));
    }
}
