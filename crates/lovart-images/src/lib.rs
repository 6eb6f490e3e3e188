//! `lovart-images`: pictures for the MCP server's image blocks, small enough
//! for a model's context, and all of one result's together small enough for
//! the clients' message limits.
//!
//! A crate of its own so that a build can optimise it apart from the rest
//! (`[profile.release.package.lovart-images]`); the workspace's release
//! profile leaves it at `opt-level = 0`, with everything else, to keep a first
//! build short.
//!
//! A PNG, JPEG or WebP file of at most [`MAX_SIDE`] px on its long side and
//! [`PASS_THROUGH_BYTES`] bytes goes as it is; a bigger PNG or JPEG is decoded,
//! scaled down to fit [`MAX_SIDE`] (an area average: each output pixel is the
//! mean of the source pixels it covers) and encoded again (PNG when it has an
//! alpha channel, else JPEG). A bigger WebP, or anything that cannot be
//! decoded, gets no block (its file still gets a resource link).
//!
//! Decoding is limited to PNG and JPEG (the `png` and `zune-jpeg` crates, with
//! `jpeg-encoder`) on purpose: the general `image` crate and its colour
//! management took a large share of a first build, for formats Lovart does not
//! send. Decoded pictures are bounded by [`MAX_DECODED_BYTES`].
//!
//! One result's blocks share a budget of base64 bytes, which the caller
//! passes in ([`previews_within`]; `lovart mcp` takes it from its settings,
//! `LOVART_MCP_INLINE_IMAGE_BYTES`; several clients refuse a message over
//! 1 MiB). When the pictures exceed it,
//! the budget is shared out smallest first (a picture under its share keeps
//! its preview and leaves the rest to the others), a bigger one is scaled
//! further down ([`SMALLER_SIDES`]) until it fits its share, and one that fits
//! at no size gets no block: the caller still links every file.

use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Longest side of a picture in an image block.
pub const MAX_SIDE: u32 = 1024;
/// Files up to this size (and [`MAX_SIDE`]) are sent unchanged.
const PASS_THROUGH_BYTES: usize = 512 * 1024;
/// Files larger than this are not read at all.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Pictures whose pixels take more memory than this are not decoded.
const MAX_DECODED_BYTES: usize = 512 * 1024 * 1024;
/// Quality of re-encoded JPEGs.
const JPEG_QUALITY: u8 = 85;
/// The long sides tried, in turn, for a picture over its share of the budget.
const SMALLER_SIDES: [u32; 6] = [768, 512, 384, 256, 192, 128];

/// Size of `bytes` once base64-encoded, as it travels in an image block.
pub fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

/// A picture ready for an image block.
#[derive(Debug)]
pub struct Preview {
    pub bytes: Vec<u8>,
    pub mime_type: &'static str,
}

/// Previews of `paths` (pictures or not) whose base64 sizes add up to at
/// most `budget`, in the same order; None where a file is no picture or
/// fits at no size. CPU-bound: call it from a blocking task.
pub fn previews_within(paths: &[PathBuf], budget: usize) -> Vec<Option<Preview>> {
    let mut candidates: Vec<Option<Candidate>> =
        paths.iter().map(|path| candidate_of_file(path)).collect();
    let size = |candidate: &Candidate| base64_len(candidate.preview.bytes.len());
    let total: usize = candidates.iter().flatten().map(size).sum();
    if total > budget {
        let mut order: Vec<usize> = (0..candidates.len())
            .filter(|&at| candidates[at].is_some())
            .collect();
        order.sort_by_key(|&at| candidates[at].as_ref().map_or(0, size));
        let mut left = budget;
        let mut sharing = order.len();
        for at in order {
            let share = left / sharing;
            sharing -= 1;
            let Some(candidate) = candidates[at].as_mut() else {
                continue;
            };
            if size(candidate) > share {
                match candidate.shrink(share) {
                    Some(preview) => candidate.preview = preview,
                    None => {
                        candidates[at] = None;
                        continue;
                    }
                }
            }
            left -= size(candidate);
        }
    }
    candidates
        .into_iter()
        .map(|candidate| candidate.map(|candidate| candidate.preview))
        .collect()
}

/// A picture's preview, with what a smaller one can be made from.
struct Candidate {
    preview: Preview,
    /// The picture decoded, at most [`MAX_SIDE`]; None when the preview is
    /// the file itself (decoded only if it must shrink).
    picture: Option<Picture>,
}

impl Candidate {
    /// The preview at the largest of [`SMALLER_SIDES`] (below the current
    /// size) whose base64 fits `share`, if any.
    fn shrink(&self, share: usize) -> Option<Preview> {
        let decoded;
        let picture = match &self.picture {
            Some(picture) => picture,
            None => {
                decoded = decode(&self.preview.bytes)?;
                &decoded
            }
        };
        let long_side = picture.width.max(picture.height);
        SMALLER_SIDES
            .iter()
            .filter(|&&side| side < long_side)
            .map(|&side| encode(&picture.scaled_within(side)))
            .find_map(|preview| preview.filter(|preview| base64_len(preview.bytes.len()) <= share))
    }
}

fn candidate_of_file(path: &Path) -> Option<Candidate> {
    let size = std::fs::metadata(path).ok()?.len();
    if size > MAX_FILE_BYTES {
        return None;
    }
    candidate(std::fs::read(path).ok()?)
}

/// The preview of an encoded picture.
#[cfg(test)]
pub fn preview(bytes: Vec<u8>) -> Option<Preview> {
    Some(candidate(bytes)?.preview)
}

fn candidate(bytes: Vec<u8>) -> Option<Candidate> {
    let format = Format::of(&bytes)?;
    let (width, height) = format.dimensions(&bytes)?;
    if width.max(height) <= MAX_SIDE && bytes.len() <= PASS_THROUGH_BYTES {
        let mime_type = format.mime_type();
        return Some(Candidate {
            preview: Preview { bytes, mime_type },
            picture: None,
        });
    }
    let picture = decode(&bytes)?;
    drop(bytes);
    let picture = picture.fit_within(MAX_SIDE);
    Some(Candidate {
        preview: encode(&picture)?,
        picture: Some(picture),
    })
}

/// The pixels of a PNG or JPEG (a WebP is not decoded).
fn decode(bytes: &[u8]) -> Option<Picture> {
    match Format::of(bytes)? {
        Format::Png => decode_png(bytes),
        Format::Jpeg => decode_jpeg(bytes),
        Format::WebP => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Png,
    Jpeg,
    WebP,
}

impl Format {
    fn of(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::WebP)
        } else {
            None
        }
    }

    fn mime_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::WebP => "image/webp",
        }
    }

    /// Width and height from the headers, without decoding the pixels.
    fn dimensions(self, bytes: &[u8]) -> Option<(u32, u32)> {
        match self {
            Self::Png => {
                let reader = png::Decoder::new(Cursor::new(bytes)).read_info().ok()?;
                let info = reader.info();
                Some((info.width, info.height))
            }
            Self::Jpeg => {
                let mut decoder = jpeg_decoder(bytes);
                decoder.decode_headers().ok()?;
                let (width, height) = decoder.dimensions()?;
                Some((u32::try_from(width).ok()?, u32::try_from(height).ok()?))
            }
            Self::WebP => webp_dimensions(bytes),
        }
    }
}

/// The canvas size of a WebP file (`VP8 `, `VP8L` or `VP8X` first chunk).
fn webp_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let chunk = bytes.get(12..16)?;
    let data = bytes.get(20..)?;
    let le24 = |at: usize| -> Option<u32> {
        let b = data.get(at..at + 3)?;
        Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
    };
    match chunk {
        b"VP8X" => Some((le24(4)? + 1, le24(7)? + 1)),
        b"VP8L" => {
            let b = data.get(1..5)?;
            let bits = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8 " => {
            let b = data.get(6..10)?;
            Some((
                u32::from(u16::from_le_bytes([b[0], b[1]]) & 0x3fff),
                u32::from(u16::from_le_bytes([b[2], b[3]]) & 0x3fff),
            ))
        }
        _ => None,
    }
}

/// 8-bit pixels, 1 to 4 channels (grey, grey+alpha, RGB, RGBA).
#[derive(Debug, Clone)]
struct Picture {
    width: u32,
    height: u32,
    channels: usize,
    pixels: Vec<u8>,
}

impl Picture {
    fn has_alpha(&self) -> bool {
        self.channels == 2 || self.channels == 4
    }

    /// A scaled-down copy whose long side is at most `side`.
    fn scaled_within(&self, side: u32) -> Self {
        self.clone().fit_within(side)
    }

    /// Scaled down, keeping the aspect ratio, so that the long side is at most `side`.
    fn fit_within(self, side: u32) -> Self {
        let long = self.width.max(self.height);
        if long <= side {
            return self;
        }
        let scale = |length: u32| -> u32 {
            let scaled =
                (u64::from(length) * u64::from(side) + u64::from(long) / 2) / u64::from(long);
            u32::try_from(scaled).unwrap_or(side).max(1)
        };
        let (width, height) = (scale(self.width), scale(self.height));
        let channels = self.channels;
        let (source_width, source_height) = (self.width as usize, self.height as usize);
        let mut pixels = Vec::with_capacity(width as usize * height as usize * channels);
        let mut sums = vec![0u64; channels];
        for y in 0..height as usize {
            let y0 = y * source_height / height as usize;
            let y1 = ((y + 1) * source_height / height as usize).max(y0 + 1);
            for x in 0..width as usize {
                let x0 = x * source_width / width as usize;
                let x1 = ((x + 1) * source_width / width as usize).max(x0 + 1);
                sums.iter_mut().for_each(|sum| *sum = 0);
                for row in y0..y1 {
                    let start = (row * source_width + x0) * channels;
                    let end = (row * source_width + x1) * channels;
                    for pixel in self.pixels[start..end].chunks_exact(channels) {
                        for (sum, &value) in sums.iter_mut().zip(pixel) {
                            *sum += u64::from(value);
                        }
                    }
                }
                let count = ((y1 - y0) * (x1 - x0)) as u64;
                pixels.extend(sums.iter().map(|sum| ((sum + count / 2) / count) as u8));
            }
        }
        Self {
            width,
            height,
            channels,
            pixels,
        }
    }
}

fn decode_png(bytes: &[u8]) -> Option<Picture> {
    let limits = png::Limits {
        bytes: MAX_DECODED_BYTES,
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    // Palettes and low bit depths to 8-bit grey/RGB(A), 16-bit to 8-bit.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let mut pixels = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut pixels).ok()?;
    pixels.truncate(frame.buffer_size());
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return None,
    };
    if frame.bit_depth != png::BitDepth::Eight
        || pixels.len() != frame.width as usize * frame.height as usize * channels
    {
        return None;
    }
    Some(Picture {
        width: frame.width,
        height: frame.height,
        channels,
        pixels,
    })
}

fn jpeg_decoder(bytes: &[u8]) -> zune_jpeg::JpegDecoder<zune_core::bytestream::ZCursor<&[u8]>> {
    let options = zune_core::options::DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX)
        .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::RGB);
    zune_jpeg::JpegDecoder::new_with_options(zune_core::bytestream::ZCursor::new(bytes), options)
}

fn decode_jpeg(bytes: &[u8]) -> Option<Picture> {
    let mut decoder = jpeg_decoder(bytes);
    decoder.decode_headers().ok()?;
    let (width, height) = decoder.dimensions()?;
    if width.checked_mul(height)?.checked_mul(3)? > MAX_DECODED_BYTES {
        return None;
    }
    let pixels = decoder.decode().ok()?;
    if pixels.len() != width * height * 3 {
        return None;
    }
    Some(Picture {
        width: u32::try_from(width).ok()?,
        height: u32::try_from(height).ok()?,
        channels: 3,
        pixels,
    })
}

/// PNG when the picture has an alpha channel, else JPEG.
fn encode(picture: &Picture) -> Option<Preview> {
    let mut out = Vec::new();
    if picture.has_alpha() {
        let mut encoder = png::Encoder::new(&mut out, picture.width, picture.height);
        encoder.set_color(if picture.channels == 2 {
            png::ColorType::GrayscaleAlpha
        } else {
            png::ColorType::Rgba
        });
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().ok()?;
        writer.write_image_data(&picture.pixels).ok()?;
        writer.finish().ok()?;
        return Some(Preview {
            bytes: out,
            mime_type: "image/png",
        });
    }
    let color = if picture.channels == 1 {
        jpeg_encoder::ColorType::Luma
    } else {
        jpeg_encoder::ColorType::Rgb
    };
    let width = u16::try_from(picture.width).ok()?;
    let height = u16::try_from(picture.height).ok()?;
    jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY)
        .encode(&picture.pixels, width, height, color)
        .ok()?;
    Some(Preview {
        bytes: out,
        mime_type: "image/jpeg",
    })
}

/// A PNG of a `side` px square "detailed" picture: mid-grey with fine grain
/// (xorshift noise of 16 levels, a 256 px tile repeated), which a JPEG at
/// quality 85 keeps at about 2 bits a pixel, as it does a detailed photograph.
/// Stored uncompressed, so that making it is quick in a debug build. For
/// tests (here and in the MCP server's).
pub fn detailed_png(side: u32, seed: u32) -> Vec<u8> {
    const TILE: usize = 256;
    let mut state = seed | 1;
    let mut tile = Vec::with_capacity(TILE * TILE * 3 + 4);
    while tile.len() < TILE * TILE * 3 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        tile.extend((state & 0x0F0F_0F0F).to_le_bytes().map(|level| 120 + level));
    }
    let width = side as usize;
    let mut pixels = Vec::with_capacity(width * width * 3);
    for y in 0..width {
        let row = &tile[(y % TILE) * TILE * 3..][..TILE * 3];
        for x in (0..width).step_by(TILE) {
            pixels.extend_from_slice(&row[..(width - x).min(TILE) * 3]);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::NoCompression);
    let mut writer = encoder.write_header().expect("a PNG header");
    writer.write_image_data(&pixels).expect("PNG data");
    writer.finish().expect("a whole PNG");
    out
}

#[cfg(test)]
mod tests;
