//! Pictures for image blocks: small enough for a model's context.
//!
//! A PNG, JPEG or WebP file of at most [`MAX_SIDE`] px on its long side and
//! [`PASS_THROUGH_BYTES`] bytes goes as it is; anything bigger is decoded,
//! scaled down to fit [`MAX_SIDE`] and encoded again (PNG when it has
//! transparency, else JPEG). What cannot be decoded gets no block (its file
//! still gets a resource link).

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageFormat, ImageReader};

/// Longest side of a picture in an image block.
pub const MAX_SIDE: u32 = 1024;
/// Files up to this size (and [`MAX_SIDE`]) are sent unchanged.
const PASS_THROUGH_BYTES: usize = 512 * 1024;
/// Files larger than this are not read at all (a 64-megapixel RGBA PNG is 256 MiB).
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Quality of re-encoded JPEGs.
const JPEG_QUALITY: u8 = 85;

/// A picture ready for an image block.
#[derive(Debug)]
pub struct Preview {
    pub bytes: Vec<u8>,
    pub mime_type: &'static str,
}

/// The preview of an image file, or None when it is not a picture we can read.
/// CPU-bound: call it from a blocking task.
pub fn preview_of_file(path: &Path) -> Option<Preview> {
    let size = std::fs::metadata(path).ok()?.len();
    if size > MAX_FILE_BYTES {
        return None;
    }
    preview(std::fs::read(path).ok()?)
}

/// The preview of an encoded picture.
pub fn preview(bytes: Vec<u8>) -> Option<Preview> {
    let format = image::guess_format(&bytes).ok()?;
    let mime_type = mime_of(format)?;
    let reader = ImageReader::with_format(Cursor::new(&bytes), format);
    let (width, height) = reader.into_dimensions().ok()?;
    if width.max(height) <= MAX_SIDE && bytes.len() <= PASS_THROUGH_BYTES {
        return Some(Preview { bytes, mime_type });
    }
    let mut decoder = ImageReader::with_format(Cursor::new(&bytes), format);
    decoder.no_limits();
    let picture = decoder.decode().ok()?;
    drop(bytes);
    let picture = if width.max(height) > MAX_SIDE {
        // `thumbnail` keeps the aspect ratio and is fast for big reductions.
        picture.thumbnail(MAX_SIDE, MAX_SIDE)
    } else {
        picture
    };
    encode(&picture)
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

    #[test]
    fn non_pictures_get_no_preview() {
        assert!(preview(b"RIFF....WAVEfmt ".to_vec()).is_none());
        assert!(preview(Vec::new()).is_none());
    }
}
