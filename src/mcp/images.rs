//! Pictures for image blocks: small enough for a model's context, and all of
//! one result's together small enough for the clients' message limits.
//!
//! A PNG, JPEG or WebP file of at most [`MAX_SIDE`] px on its long side and
//! [`PASS_THROUGH_BYTES`] bytes goes as it is; anything bigger is decoded,
//! scaled down to fit [`MAX_SIDE`] and encoded again (PNG when it has
//! transparency, else JPEG). What cannot be decoded gets no block (its file
//! still gets a resource link).
//!
//! One result's blocks share a budget of base64 bytes ([`inline_budget`]:
//! `LOVART_MCP_INLINE_IMAGE_BYTES`, [`DEFAULT_INLINE_BUDGET`] by default;
//! several clients refuse a message over 1 MiB). When the pictures exceed it,
//! the budget is shared out smallest first (a picture under its share keeps
//! its preview and leaves the rest to the others), a bigger one is scaled
//! further down ([`SMALLER_SIDES`]) until it fits its share, and one that fits
//! at no size gets no block: the caller still links every file.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, ImageReader};

/// Longest side of a picture in an image block.
pub const MAX_SIDE: u32 = 1024;
/// Files up to this size (and [`MAX_SIDE`]) are sent unchanged.
const PASS_THROUGH_BYTES: usize = 512 * 1024;
/// Files larger than this are not read at all (a 64-megapixel RGBA PNG is 256 MiB).
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Quality of re-encoded JPEGs.
const JPEG_QUALITY: u8 = 85;
/// The long sides tried, in turn, for a picture over its share of the budget.
const SMALLER_SIDES: [u32; 6] = [768, 512, 384, 256, 192, 128];
/// Base64 bytes of image data one result may carry: with the rest of the
/// result (texts, links, the structured output: a few KiB) well under 1 MiB.
pub const DEFAULT_INLINE_BUDGET: usize = 640 * 1024;

/// The inline image budget: `LOVART_MCP_INLINE_IMAGE_BYTES` (a whole number
/// of bytes; 0 sends no image blocks), else [`DEFAULT_INLINE_BUDGET`].
pub fn inline_budget() -> usize {
    std::env::var("LOVART_MCP_INLINE_IMAGE_BYTES")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_INLINE_BUDGET)
}

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
    picture: Option<DynamicImage>,
}

impl Candidate {
    /// The preview at the largest of [`SMALLER_SIDES`] (below the current
    /// size) whose base64 fits `share`, if any.
    fn shrink(&self, share: usize) -> Option<Preview> {
        let decoded;
        let picture = match &self.picture {
            Some(picture) => picture,
            None => {
                decoded = image::load_from_memory(&self.preview.bytes).ok()?;
                &decoded
            }
        };
        let long_side = picture.width().max(picture.height());
        SMALLER_SIDES
            .iter()
            .filter(|&&side| side < long_side)
            .map(|&side| encode(&picture.thumbnail(side, side)))
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
    let format = image::guess_format(&bytes).ok()?;
    let mime_type = mime_of(format)?;
    let reader = ImageReader::with_format(Cursor::new(&bytes), format);
    let (width, height) = reader.into_dimensions().ok()?;
    if width.max(height) <= MAX_SIDE && bytes.len() <= PASS_THROUGH_BYTES {
        let preview = Preview { bytes, mime_type };
        return Some(Candidate {
            preview,
            picture: None,
        });
    }
    // The non-generic entry point: its decoder is compiled (and optimised)
    // in `image` itself. Its default limits refuse only pictures over 512 MiB
    // decoded; those get a link without a block.
    let picture = image::load_from_memory_with_format(&bytes, format).ok()?;
    drop(bytes);
    let picture = if width.max(height) > MAX_SIDE {
        // `thumbnail` keeps the aspect ratio and is fast for big reductions.
        picture.thumbnail(MAX_SIDE, MAX_SIDE)
    } else {
        picture
    };
    Some(Candidate {
        preview: encode(&picture)?,
        picture: Some(picture),
    })
}

fn mime_of(format: ImageFormat) -> Option<&'static str> {
    match format {
        ImageFormat::Png => Some("image/png"),
        ImageFormat::Jpeg => Some("image/jpeg"),
        ImageFormat::WebP => Some("image/webp"),
        _ => None,
    }
}

/// PNG when the picture has an alpha channel, else JPEG.
fn encode(picture: &DynamicImage) -> Option<Preview> {
    let mut out = Cursor::new(Vec::new());
    let mime_type = if picture.color().has_alpha() {
        picture.write_to(&mut out, ImageFormat::Png).ok()?;
        "image/png"
    } else {
        let rgb = picture.to_rgb8();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
        rgb.write_with_encoder(encoder).ok()?;
        "image/jpeg"
    };
    Some(Preview {
        bytes: out.into_inner(),
        mime_type,
    })
}

/// A `side` px square RGB picture, "detailed": mid-grey with fine grain
/// (xorshift noise of 16 levels, a 256 px tile repeated), which a JPEG at
/// quality 85 keeps at about 2 bits a pixel, as it does a detailed photograph.
#[cfg(test)]
pub fn detailed_picture(side: u32, seed: u32) -> Vec<u8> {
    const TILE: usize = 256;
    let mut state = seed | 1;
    let mut tile = Vec::with_capacity(TILE * TILE * 3 + 4);
    while tile.len() < TILE * TILE * 3 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        tile.extend((state & 0x0F0F_0F0F).to_le_bytes().map(|level| 120 + level));
    }
    let side = side as usize;
    let mut pixels = Vec::with_capacity(side * side * 3);
    for y in 0..side {
        let row = &tile[(y % TILE) * TILE * 3..][..TILE * 3];
        for x in (0..side).step_by(TILE) {
            pixels.extend_from_slice(&row[..(side - x).min(TILE) * 3]);
        }
    }
    pixels
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GenericImageView, ImageBuffer, Rgb, Rgba};

    fn dimensions(preview: &Preview) -> (u32, u32) {
        image::load_from_memory(&preview.bytes)
            .unwrap()
            .dimensions()
    }

    fn png(picture: &DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn small_pictures_pass_unchanged() {
        let picture = DynamicImage::ImageRgb8(ImageBuffer::from_pixel(64, 32, Rgb([1, 2, 3])));
        let bytes = png(&picture);
        let preview = preview(bytes.clone()).unwrap();
        assert_eq!(preview.bytes, bytes);
        assert_eq!(preview.mime_type, "image/png");
        assert_eq!(dimensions(&preview), (64, 32));
    }

    #[test]
    fn big_pictures_are_scaled_to_the_long_side() {
        let picture = DynamicImage::ImageRgb8(ImageBuffer::from_fn(1600, 400, |x, _| {
            Rgb([(x % 256) as u8, 0, 9])
        }));
        let preview = preview(png(&picture)).unwrap();
        assert_eq!(preview.mime_type, "image/jpeg");
        assert_eq!(dimensions(&preview), (MAX_SIDE, 256));
    }

    #[test]
    fn transparency_stays_png() {
        let picture =
            DynamicImage::ImageRgba8(ImageBuffer::from_pixel(1100, 1100, Rgba([1, 2, 3, 100])));
        let preview = preview(png(&picture)).unwrap();
        assert_eq!(preview.mime_type, "image/png");
        assert_eq!(dimensions(&preview), (MAX_SIDE, MAX_SIDE));
    }

    /// Files of noisy pictures (nothing for an encoder to save), `side` px
    /// square, written by `image` itself (quick even in a debug build).
    fn noise_files(dir: &Path, sides: &[u32]) -> Vec<PathBuf> {
        sides
            .iter()
            .enumerate()
            .map(|(at, &side)| {
                let path = dir.join(format!("{at}.png"));
                if side == 0 {
                    let plain = ImageBuffer::from_pixel(32, 32, Rgb([9u8, 9, 9]));
                    std::fs::write(&path, png(&DynamicImage::ImageRgb8(plain))).unwrap();
                } else {
                    let pixels = detailed_picture(side, at as u32 + 1);
                    image::save_buffer_with_format(
                        &path,
                        &pixels,
                        side,
                        side,
                        image::ColorType::Rgb8,
                        ImageFormat::Png,
                    )
                    .unwrap();
                }
                path
            })
            .collect()
    }

    fn total(previews: &[Option<Preview>]) -> usize {
        previews
            .iter()
            .flatten()
            .map(|p| base64_len(p.bytes.len()))
            .sum()
    }

    #[test]
    fn the_budget_is_shared_smallest_first_and_big_pictures_shrink() {
        let dir = tempfile::tempdir().unwrap();
        let paths = noise_files(dir.path(), &[600, 0, 600]);
        let alone: Vec<usize> = previews_within(&paths, usize::MAX)
            .iter()
            .map(|p| base64_len(p.as_ref().unwrap().bytes.len()))
            .collect();
        let budget = alone[1] + alone[0] / 2;
        let previews = previews_within(&paths, budget);
        assert!(total(&previews) <= budget);
        // The small one is kept as it was; the big ones shrink but stay.
        assert_eq!(
            base64_len(previews[1].as_ref().unwrap().bytes.len()),
            alone[1]
        );
        for at in [0, 2] {
            let (width, _) = dimensions(previews[at].as_ref().unwrap());
            assert!(width < 600, "{width}");
        }
        // No budget: no blocks at all.
        assert!(previews_within(&paths, 0).iter().all(Option::is_none));
        // Within the budget: the previews at their usual size.
        let roomy = previews_within(&paths, alone.iter().sum());
        assert_eq!(total(&roomy), alone.iter().sum::<usize>());
    }

    #[test]
    fn non_pictures_get_no_preview() {
        assert!(preview(b"RIFF....WAVEfmt ".to_vec()).is_none());
        assert!(preview(Vec::new()).is_none());
    }
}
