//! The files behind artifact URLs: real PNG, WAV, GLB and MP4 content.
//!
//! Nothing is stored: a file is a small description ([`FileSpec`]) from which
//! its bytes are generated each time it is fetched, deterministically (image
//! colours and the tone's pitch derive from a hash of the prompt). Uploaded
//! files are the exception; they live in the sandbox's temporary folder.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use axum::body::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use sha2::{Digest, Sha256};

use super::png::{Channels, PngStream, RowFill};

/// A tiny H.264 clip (320×180, 1 s), made once with ffmpeg's test source.
const CLIP_MP4: &[u8] = include_bytes!("../assets/clip.mp4");

/// Side of the generated images.
const IMAGE_SIDE: u32 = 256;
/// Side of the `bigfile` image: 4096² RGBA ≈ 64 MiB.
const BIG_SIDE: u32 = 4096;
/// `slowfile`: pieces of this size, this far apart.
const SLOW_PIECE: usize = 16 * 1024;
const SLOW_PAUSE: Duration = Duration::from_millis(100);

/// What an artifact is, as the result's `type` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    Image,
    Video,
    Audio,
    Model3d,
}

impl ArtifactKind {
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Model3d => "3d",
        }
    }
}

/// How to produce a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSpec {
    /// A 256×256 gradient whose corner colours come from `seed`.
    Image { seed: [u8; 32] },
    /// A 4096×4096 RGBA PNG of about 64 MiB.
    BigImage,
    /// One second of a sine tone, 16-bit mono WAV.
    Audio { seed: [u8; 32] },
    /// A glTF 2.0 binary holding one triangle.
    Model3d,
    /// The built-in MP4 clip.
    Video,
    /// An uploaded file, kept on disk.
    Upload {
        path: PathBuf,
        len: u64,
        content_type: String,
    },
}

/// A file ready to send.
pub struct FileBody {
    pub content_type: String,
    pub len: u64,
    pub stream: BoxStream<'static, io::Result<Bytes>>,
}

/// A seed for the artifact number `index` of a prompt.
pub fn seed(prompt: &str, index: usize) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(prompt.as_bytes());
    hasher.update(index.to_le_bytes());
    hasher.finalize().into()
}

impl FileSpec {
    /// The file's bytes, streamed; `slow` spaces them out.
    pub async fn open(&self, slow: bool) -> io::Result<FileBody> {
        let (content_type, len, stream): (&str, u64, BoxStream<'static, io::Result<Bytes>>) =
            match self {
                Self::Image { seed } => {
                    let bytes = gradient_png(seed);
                    ("image/png", bytes.len() as u64, once(bytes))
                }
                Self::BigImage => {
                    let len = PngStream::encoded_len(BIG_SIDE, BIG_SIDE, Channels::Rgba);
                    let mut png = PngStream::new(BIG_SIDE, BIG_SIDE, Channels::Rgba, big_rows());
                    let pieces = stream::iter(std::iter::from_fn(move || png.next_piece()))
                        .map(|piece| Ok(Bytes::from(piece)));
                    ("image/png", len, pieces.boxed())
                }
                Self::Audio { seed } => {
                    let bytes = sine_wav(seed);
                    ("audio/wav", bytes.len() as u64, once(bytes))
                }
                Self::Model3d => {
                    let bytes = triangle_glb();
                    ("model/gltf-binary", bytes.len() as u64, once(bytes))
                }
                Self::Video => ("video/mp4", CLIP_MP4.len() as u64, once(CLIP_MP4.to_vec())),
                Self::Upload {
                    path,
                    len,
                    content_type,
                } => {
                    let file = tokio::fs::File::open(path).await?;
                    (content_type.as_str(), *len, read_chunks(file))
                }
            };
        Ok(FileBody {
            content_type: content_type.to_string(),
            len,
            stream: if slow { throttle(stream) } else { stream },
        })
    }
}

fn once(bytes: Vec<u8>) -> BoxStream<'static, io::Result<Bytes>> {
    stream::once(async move { Ok(Bytes::from(bytes)) }).boxed()
}

fn read_chunks(file: tokio::fs::File) -> BoxStream<'static, io::Result<Bytes>> {
    use tokio::io::AsyncReadExt;
    stream::try_unfold(file, |mut file| async move {
        let mut buffer = vec![0; 64 * 1024];
        let read = file.read(&mut buffer).await?;
        buffer.truncate(read);
        Ok((read > 0).then(|| (Bytes::from(buffer), file)))
    })
    .boxed()
}

/// Re-cuts a stream into [`SLOW_PIECE`]s sent [`SLOW_PAUSE`] apart.
fn throttle(
    source: BoxStream<'static, io::Result<Bytes>>,
) -> BoxStream<'static, io::Result<Bytes>> {
    stream::try_unfold(
        (source, Bytes::new(), true),
        |(mut source, mut rest, first)| async move {
            while rest.is_empty() {
                match source.next().await {
                    Some(piece) => rest = piece?,
                    None => return Ok(None),
                }
            }
            if !first {
                tokio::time::sleep(SLOW_PAUSE).await;
            }
            let piece = rest.split_to(rest.len().min(SLOW_PIECE));
            Ok(Some((piece, (source, rest, false))))
        },
    )
    .boxed()
}

/// A 256×256 bilinear gradient between four colours taken from `seed`.
fn gradient_png(seed: &[u8; 32]) -> Vec<u8> {
    let corner = |index: usize| [seed[index * 3], seed[index * 3 + 1], seed[index * 3 + 2]];
    let corners = [corner(0), corner(1), corner(2), corner(3)];
    let side = IMAGE_SIDE;
    let fill: RowFill = Box::new(move |y, row| {
        let v = y as f32 / (side - 1) as f32;
        for (x, pixel) in row.chunks_exact_mut(3).enumerate() {
            let u = x as f32 / (side - 1) as f32;
            for channel in 0..3 {
                let top = lerp(corners[0][channel], corners[1][channel], u);
                let bottom = lerp(corners[2][channel], corners[3][channel], u);
                pixel[channel] = (top + (bottom - top) * v).round() as u8;
            }
        }
    });
    PngStream::new(side, side, Channels::Rgb, fill).encode()
}

fn lerp(from: u8, to: u8, t: f32) -> f32 {
    f32::from(from) + (f32::from(to) - f32::from(from)) * t
}

/// Rows of the big image: red across, green down, opaque. Cheap to make.
fn big_rows() -> RowFill {
    let template: Vec<u8> = (0..BIG_SIDE)
        .flat_map(|x| [(x / 16) as u8, 0, 160, 255])
        .collect();
    Box::new(move |y, row| {
        row.copy_from_slice(&template);
        let green = (y / 16) as u8;
        for pixel in row.chunks_exact_mut(4) {
            pixel[1] = green;
        }
    })
}

/// One second of a tone between 220 and 660 Hz, 22 050 Hz 16-bit mono, with
/// short fades so it does not click.
fn sine_wav(seed: &[u8; 32]) -> Vec<u8> {
    const RATE: u32 = 22_050;
    let pitch = 220.0 + f32::from(u16::from_le_bytes([seed[0], seed[1]]) % 440);
    let samples = RATE as usize;
    let data_len = (samples * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let fade = samples / 20;
    for n in 0..samples {
        let envelope = (n.min(samples - 1 - n) as f32 / fade as f32).min(1.0);
        let phase = std::f32::consts::TAU * pitch * n as f32 / RATE as f32;
        let sample = (phase.sin() * envelope * 0.4 * f32::from(i16::MAX)) as i16;
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

/// A valid glTF 2.0 binary: one mesh, one triangle, positions only.
fn triangle_glb() -> Vec<u8> {
    let positions: [f32; 9] = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    let bin: Vec<u8> = positions
        .iter()
        .flat_map(|value| value.to_le_bytes())
        .collect();
    let gltf = serde_json::json!({
        "asset": {"version": "2.0", "generator": "lovart sandbox"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [{"byteLength": bin.len()}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": bin.len(), "target": 34962}],
        "accessors": [{
            "bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
            "min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0]
        }]
    });
    let mut json = serde_json::to_vec(&gltf).expect("a literal serializes");
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    let total = 12 + 8 + json.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

/// A Content-Type for an uploaded file, from its extension.
pub fn content_type_for(filename: &str) -> &'static str {
    let extension = filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match extension.as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("mp4") => "video/mp4",
        Some("mov") => "video/quicktime",
        Some("wav") => "audio/wav",
        Some("mp3") => "audio/mpeg",
        Some("glb") => "model/gltf-binary",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(spec: FileSpec, slow: bool) -> (FileBody, Vec<u8>) {
        let mut body = spec.open(slow).await.unwrap();
        let mut bytes = Vec::new();
        while let Some(piece) = body.stream.next().await {
            bytes.extend_from_slice(&piece.unwrap());
        }
        (body, bytes)
    }

    #[tokio::test]
    async fn generated_files_have_their_announced_length_and_magic() {
        let seed = seed("a cat", 1);
        let cases = [
            (FileSpec::Image { seed }, &b"\x89PNG"[..]),
            (FileSpec::Audio { seed }, b"RIFF"),
            (FileSpec::Model3d, b"glTF"),
            (FileSpec::Video, b"\0\0\0"),
        ];
        for (spec, magic) in cases {
            let (body, bytes) = collect(spec, false).await;
            assert_eq!(body.len, bytes.len() as u64);
            assert!(bytes.starts_with(magic));
        }
    }

    #[tokio::test]
    async fn big_image_streams_its_exact_length() {
        let (body, bytes) = collect(FileSpec::BigImage, false).await;
        assert_eq!(body.len, bytes.len() as u64);
        assert!(body.len > 64 * 1024 * 1024);
    }

    #[test]
    fn different_prompts_give_different_images() {
        assert_ne!(
            gradient_png(&seed("a cat", 1)),
            gradient_png(&seed("a dog", 1))
        );
    }
}
