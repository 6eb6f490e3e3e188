//! Previews: what passes unchanged, what is scaled and how, what gets no block.

use super::*;

fn png_bytes(
    width: u32,
    height: u32,
    channels: usize,
    pixel: impl Fn(u32, u32) -> Vec<u8>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(match channels {
        3 => png::ColorType::Rgb,
        4 => png::ColorType::Rgba,
        _ => unreachable!(),
    });
    encoder.set_depth(png::BitDepth::Eight);
    let mut data = Vec::new();
    for y in 0..height {
        for x in 0..width {
            data.extend(pixel(x, y));
        }
    }
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&data).unwrap();
    writer.finish().unwrap();
    out
}

fn dimensions(preview: &Preview) -> (u32, u32) {
    let format = Format::of(&preview.bytes).expect("a picture");
    format.dimensions(&preview.bytes).expect("readable headers")
}

#[test]
fn small_pictures_pass_unchanged() {
    let bytes = png_bytes(64, 32, 3, |_, _| vec![1, 2, 3]);
    let preview = preview(bytes.clone()).unwrap();
    assert_eq!(preview.bytes, bytes);
    assert_eq!(preview.mime_type, "image/png");
    assert_eq!(dimensions(&preview), (64, 32));
}

#[test]
fn big_pictures_are_scaled_to_the_long_side() {
    let bytes = png_bytes(1600, 400, 3, |x, _| vec![(x % 256) as u8, 0, 9]);
    let preview = preview(bytes).unwrap();
    assert_eq!(preview.mime_type, "image/jpeg");
    assert_eq!(dimensions(&preview), (MAX_SIDE, 256));
}

#[test]
fn big_jpegs_are_scaled_too() {
    let (width, height) = (1100u16, 550u16);
    let pixels = vec![200u8; usize::from(width) * usize::from(height) * 3];
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 90)
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let preview = preview(jpeg).unwrap();
    assert_eq!(preview.mime_type, "image/jpeg");
    assert_eq!(dimensions(&preview), (MAX_SIDE, 512));
}

#[test]
fn transparency_stays_png() {
    let bytes = png_bytes(1100, 100, 4, |_, _| vec![1, 2, 3, 100]);
    let preview = preview(bytes).unwrap();
    assert_eq!(preview.mime_type, "image/png");
    assert_eq!(dimensions(&preview), (MAX_SIDE, 93));
    let picture = decode_png(&preview.bytes).unwrap();
    assert!(
        picture
            .pixels
            .chunks(4)
            .all(|pixel| pixel == [1, 2, 3, 100])
    );
}

#[test]
fn scaling_averages_the_pixels_it_covers() {
    // Columns alternate black and white: halving the width gives mid-grey.
    let picture = Picture {
        width: 4,
        height: 2,
        channels: 1,
        pixels: vec![0, 255, 0, 255, 0, 255, 0, 255],
    }
    .fit_within(2);
    assert_eq!((picture.width, picture.height), (2, 1));
    assert_eq!(picture.pixels, vec![128, 128]);
}

#[test]
fn webp_passes_when_small_and_gets_no_block_when_big() {
    // An extended (VP8X) header: canvas width-1 and height-1 as 24-bit little endian.
    let webp = |width: u32, height: u32, padding: usize| {
        let mut bytes = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        bytes.extend(&(width - 1).to_le_bytes()[..3]);
        bytes.extend(&(height - 1).to_le_bytes()[..3]);
        bytes.resize(bytes.len() + padding, 0);
        bytes
    };
    let small = preview(webp(800, 600, 100)).unwrap();
    assert_eq!(small.mime_type, "image/webp");
    assert_eq!(dimensions(&small), (800, 600));
    assert!(preview(webp(3000, 600, 100)).is_none());
}

#[test]
fn non_pictures_get_no_preview() {
    assert!(preview(b"RIFF....WAVEfmt ".to_vec()).is_none());
    assert!(preview(Vec::new()).is_none());
    assert!(preview(b"\x89PNG\r\n\x1a\nnot really".to_vec()).is_none());
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
    let files = [
        detailed_png(600, 1),
        png_bytes(32, 32, 3, |_, _| vec![9, 9, 9]),
        detailed_png(600, 2),
    ];
    let paths: Vec<PathBuf> = files
        .iter()
        .enumerate()
        .map(|(at, bytes)| {
            let path = dir.path().join(format!("{at}.png"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
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
