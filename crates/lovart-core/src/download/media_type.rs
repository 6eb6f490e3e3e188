//! What a downloaded file is: its media type and file extension, from the
//! answer's `Content-Type` or, when that says nothing useful, from the file's
//! first bytes (its "magic number").
//!
//! Downloads name a file by its URL's extension when it has one (the
//! reference's rule, kept byte for byte). A URL without one is where this
//! module decides, for every artifact type but the two whose names the
//! reference fixes before downloading (`.png` for an image, `.mp4` for a
//! video; see [`crate::download`]). The MCP server asks the same question of a
//! file on disk ([`of_file`]), so its links carry the file's true MIME type
//! even when the name keeps the reference's extension.
//!
//! The table is deliberately small: the formats a generation service hands
//! out (pictures, clips, sounds, 3D models) and a few containers. A type
//! outside it gets no answer, and the caller falls back.

use std::io::Read;
use std::path::Path;

/// A media type this module can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType {
    /// The canonical MIME type, e.g. `audio/wav`.
    pub mime: &'static str,
    /// The file extension, with its dot, e.g. `.wav`.
    pub extension: &'static str,
}

/// How many leading bytes [`from_magic`] looks at (a WebM's doc type sits
/// within its first few dozen bytes).
pub const SNIFF_LEN: usize = 512;

const fn media(mime: &'static str, extension: &'static str) -> MediaType {
    MediaType { mime, extension }
}

/// A PNG picture: `image/png`, `.png`.
pub const PNG: MediaType = media("image/png", ".png");
/// A JPEG picture: `image/jpeg`, `.jpg`.
pub const JPEG: MediaType = media("image/jpeg", ".jpg");
/// A GIF picture: `image/gif`, `.gif`.
pub const GIF: MediaType = media("image/gif", ".gif");
/// A WebP picture: `image/webp`, `.webp`.
pub const WEBP: MediaType = media("image/webp", ".webp");
/// An AVIF picture: `image/avif`, `.avif`.
pub const AVIF: MediaType = media("image/avif", ".avif");
/// A HEIC picture: `image/heic`, `.heic`.
pub const HEIC: MediaType = media("image/heic", ".heic");
/// A TIFF picture: `image/tiff`, `.tiff`.
pub const TIFF: MediaType = media("image/tiff", ".tiff");
/// A BMP picture: `image/bmp`, `.bmp`.
pub const BMP: MediaType = media("image/bmp", ".bmp");
/// An SVG drawing: `image/svg+xml`, `.svg`.
pub const SVG: MediaType = media("image/svg+xml", ".svg");
/// An MP4 video: `video/mp4`, `.mp4`.
pub const MP4: MediaType = media("video/mp4", ".mp4");
/// A QuickTime video: `video/quicktime`, `.mov`.
pub const MOV: MediaType = media("video/quicktime", ".mov");
/// A WebM video: `video/webm`, `.webm`.
pub const WEBM: MediaType = media("video/webm", ".webm");
/// A Matroska video: `video/x-matroska`, `.mkv`.
pub const MKV: MediaType = media("video/x-matroska", ".mkv");
/// An AVI video: `video/x-msvideo`, `.avi`.
pub const AVI: MediaType = media("video/x-msvideo", ".avi");
/// A WAV sound: `audio/wav`, `.wav`.
pub const WAV: MediaType = media("audio/wav", ".wav");
/// An MP3 sound: `audio/mpeg`, `.mp3`.
pub const MP3: MediaType = media("audio/mpeg", ".mp3");
/// An Ogg sound: `audio/ogg`, `.ogg`.
pub const OGG: MediaType = media("audio/ogg", ".ogg");
/// A FLAC sound: `audio/flac`, `.flac`.
pub const FLAC: MediaType = media("audio/flac", ".flac");
/// An MPEG-4 sound: `audio/mp4`, `.m4a`.
pub const M4A: MediaType = media("audio/mp4", ".m4a");
/// An AAC sound: `audio/aac`, `.aac`.
pub const AAC: MediaType = media("audio/aac", ".aac");
/// A WebM sound (audio only): `audio/webm`, `.webm`.
pub const AUDIO_WEBM: MediaType = media("audio/webm", ".webm");
/// A glTF binary 3D model: `model/gltf-binary`, `.glb`.
pub const GLB: MediaType = media("model/gltf-binary", ".glb");
/// A glTF JSON 3D model: `model/gltf+json`, `.gltf`.
pub const GLTF: MediaType = media("model/gltf+json", ".gltf");
/// A Wavefront OBJ 3D model: `model/obj`, `.obj`.
pub const OBJ: MediaType = media("model/obj", ".obj");
/// An STL 3D model: `model/stl`, `.stl`.
pub const STL: MediaType = media("model/stl", ".stl");
/// A USDZ 3D model: `model/vnd.usdz+zip`, `.usdz`.
pub const USDZ: MediaType = media("model/vnd.usdz+zip", ".usdz");
/// A PDF document: `application/pdf`, `.pdf`.
pub const PDF: MediaType = media("application/pdf", ".pdf");
/// A ZIP archive: `application/zip`, `.zip`.
pub const ZIP: MediaType = media("application/zip", ".zip");
/// JSON text: `application/json`, `.json`.
pub const JSON: MediaType = media("application/json", ".json");
/// Plain text: `text/plain`, `.txt`.
pub const TEXT: MediaType = media("text/plain", ".txt");

/// Every type, each with the other MIME spellings servers use for it.
const TABLE: &[(MediaType, &[&str])] = &[
    (PNG, &["image/x-png", "image/apng"]),
    (JPEG, &["image/jpg", "image/pjpeg"]),
    (GIF, &[]),
    (WEBP, &[]),
    (AVIF, &[]),
    (HEIC, &["image/heif"]),
    (TIFF, &[]),
    (BMP, &["image/x-bmp", "image/x-ms-bmp"]),
    (SVG, &[]),
    (MP4, &["video/x-m4v"]),
    (MOV, &[]),
    (WEBM, &[]),
    (MKV, &[]),
    (AVI, &["video/avi"]),
    (
        WAV,
        &[
            "audio/x-wav",
            "audio/wave",
            "audio/vnd.wave",
            "audio/x-pn-wav",
        ],
    ),
    (
        MP3,
        &["audio/mp3", "audio/x-mp3", "audio/mpeg3", "audio/x-mpeg"],
    ),
    (OGG, &["audio/vorbis", "audio/opus", "application/ogg"]),
    (FLAC, &["audio/x-flac"]),
    (M4A, &["audio/x-m4a", "audio/m4a"]),
    (AAC, &["audio/x-aac", "audio/aacp"]),
    (AUDIO_WEBM, &[]),
    (GLB, &[]),
    (GLTF, &[]),
    (OBJ, &[]),
    (STL, &["model/x.stl-binary", "application/sla"]),
    (USDZ, &[]),
    (PDF, &[]),
    (ZIP, &["application/x-zip-compressed"]),
    (JSON, &[]),
    (TEXT, &[]),
];

/// Every extension [`from_content_type`] or [`from_magic`] can give, each
/// once: where a file named from its content may already be.
pub fn known_extensions() -> impl Iterator<Item = &'static str> {
    TABLE
        .iter()
        .map(|(media, _)| media.extension)
        .enumerate()
        .filter(|&(at, extension)| {
            !TABLE[..at]
                .iter()
                .any(|(earlier, _)| earlier.extension == extension)
        })
        .map(|(_, extension)| extension)
}

/// The type a `Content-Type` header names, parameters and case ignored;
/// `None` for a type outside the table and for the generic
/// `application/octet-stream` (it says only "bytes").
pub fn from_content_type(header: &str) -> Option<MediaType> {
    let essence = header.split(';').next()?.trim().to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(media, aliases)| media.mime == essence || aliases.contains(&essence.as_str()))
        .map(|(media, _)| *media)
}

/// The type a file's first bytes show, for the formats with a reliable
/// signature.
pub fn from_magic(head: &[u8]) -> Option<MediaType> {
    let at = |offset: usize, signature: &[u8]| {
        head.get(offset..offset + signature.len()) == Some(signature)
    };
    let found = if at(0, b"\x89PNG\r\n\x1a\n") {
        PNG
    } else if at(0, b"\xFF\xD8\xFF") {
        JPEG
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        GIF
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        WEBP
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        WAV
    } else if at(0, b"RIFF") && at(8, b"AVI ") {
        AVI
    } else if at(4, b"ftyp") {
        iso_media(head.get(8..12)?)
    } else if at(0, b"\x1A\x45\xDF\xA3") {
        // EBML: WebM is Matroska with the doc type "webm".
        if head.windows(4).any(|window| window == b"webm") {
            WEBM
        } else {
            MKV
        }
    } else if at(0, b"OggS") {
        OGG
    } else if at(0, b"fLaC") {
        FLAC
    } else if at(0, b"glTF") {
        GLB
    } else if at(0, b"%PDF-") {
        PDF
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        TIFF
    } else if at(0, b"ID3") {
        MP3
    } else if at(0, b"PK\x03\x04") {
        ZIP
    } else {
        return mpeg_audio_frame(head);
    };
    Some(found)
}

/// An ISO base media file (`ftyp` box) by its major brand.
fn iso_media(brand: &[u8]) -> MediaType {
    match brand {
        b"avif" | b"avis" => AVIF,
        b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" => HEIC,
        b"qt  " => MOV,
        b"M4A " | b"M4B " => M4A,
        _ => MP4,
    }
}

/// A bare MPEG audio frame header (an MP3 without an ID3 tag, or ADTS AAC).
fn mpeg_audio_frame(head: &[u8]) -> Option<MediaType> {
    let [0xFF, second, ..] = *head else {
        return None;
    };
    if second & 0xF6 == 0xF0 {
        return Some(AAC); // sync, layer 0: ADTS
    }
    // Sync (11 bits set), a valid version and a layer other than "reserved".
    let sync = second & 0xE0 == 0xE0;
    let version_ok = (second >> 3) & 0b11 != 0b01;
    let layer_ok = (second >> 1) & 0b11 != 0;
    (sync && version_ok && layer_ok).then_some(MP3)
}

/// What a download is: its `Content-Type` when that names a known type, else
/// its first bytes.
pub fn of_download(content_type: Option<&str>, head: &[u8]) -> Option<MediaType> {
    content_type
        .and_then(from_content_type)
        .or_else(|| from_magic(head))
}

/// The type of a file name's extension (any case).
pub fn from_extension(path: &Path) -> Option<MediaType> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    let extension = match extension.as_str() {
        "jpeg" | "jpe" => "jpg",
        "tif" => "tiff",
        "qt" => "mov",
        "m4v" => "mp4",
        "oga" | "opus" => "ogg",
        other => other,
    };
    TABLE
        .iter()
        .map(|(media, _)| *media)
        .find(|media| media.extension[1..] == *extension)
}

/// What a file on disk is: its first bytes, else its extension.
pub fn of_file(path: &Path) -> Option<MediaType> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(SNIFF_LEN as u64).read_to_end(&mut head);
    }
    from_magic(&head).or_else(|| from_extension(path))
}

#[cfg(test)]
mod tests;
