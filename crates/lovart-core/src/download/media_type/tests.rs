//! Signatures and header spellings of the formats a generation hands out.
use super::*;

#[test]
fn magic_numbers_name_each_format() {
    let riff = |kind: &[u8]| [b"RIFF\x24\x08\0\0".as_slice(), kind, b"fmt "].concat();
    let ftyp = |brand: &[u8]| [b"\0\0\0\x20ftyp".as_slice(), brand, b"\0\0\x02\0"].concat();
    let cases: Vec<(Vec<u8>, MediaType)> = vec![
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), PNG),
        (b"\xFF\xD8\xFF\xE0\0\x10JFIF".to_vec(), JPEG),
        (b"GIF89a\x01\0".to_vec(), GIF),
        (b"GIF87a\x01\0".to_vec(), GIF),
        (riff(b"WEBP"), WEBP),
        (riff(b"WAVE"), WAV),
        (riff(b"AVI "), AVI),
        (ftyp(b"isom"), MP4),
        (ftyp(b"mp42"), MP4),
        (ftyp(b"qt  "), MOV),
        (ftyp(b"M4A "), M4A),
        (ftyp(b"avif"), AVIF),
        (ftyp(b"heic"), HEIC),
        (
            b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x84webm".to_vec(),
            WEBM,
        ),
        (b"\x1A\x45\xDF\xA3\x9F\x42\x82\x88matroska".to_vec(), MKV),
        (b"OggS\0\x02".to_vec(), OGG),
        (b"fLaC\0\0\0\x22".to_vec(), FLAC),
        (b"ID3\x04\0\0".to_vec(), MP3),
        (b"\xFF\xFB\x90\x64".to_vec(), MP3),
        (b"\xFF\xF1\x50\x80".to_vec(), AAC),
        (b"glTF\x02\0\0\0".to_vec(), GLB),
        (b"%PDF-1.7".to_vec(), PDF),
        (b"II*\0\x08\0".to_vec(), TIFF),
        (b"PK\x03\x04\x14\0".to_vec(), ZIP),
    ];
    for (head, want) in cases {
        assert_eq!(from_magic(&head), Some(want), "{head:?}");
    }
}

#[test]
fn unknown_or_short_heads_have_no_type() {
    for head in [
        b"".as_slice(),
        b"\x89PN",
        b"RIFF\0\0\0\0",
        b"hello, world",
        b"\xFF\xD8",
        b"\xFF\x00\x00",
        b"\0\0\0\x20ftyp",
    ] {
        assert_eq!(from_magic(head), None, "{head:?}");
    }
}

#[test]
fn content_types_are_read_by_their_essence() {
    let cases = [
        ("audio/wav", Some(WAV)),
        ("audio/x-wav", Some(WAV)),
        ("Audio/Wave; charset=binary", Some(WAV)),
        ("model/gltf-binary", Some(GLB)),
        ("image/jpeg", Some(JPEG)),
        ("image/jpg", Some(JPEG)),
        ("video/quicktime", Some(MOV)),
        ("audio/mpeg", Some(MP3)),
        ("audio/webm", Some(AUDIO_WEBM)),
        ("application/octet-stream", None),
        ("binary/octet-stream", None),
        ("", None),
        ("nonsense", None),
    ];
    for (header, want) in cases {
        assert_eq!(from_content_type(header), want, "{header}");
    }
}

#[test]
fn a_download_trusts_a_named_type_then_its_bytes() {
    let wav = b"RIFF\0\0\0\0WAVEfmt ";
    assert_eq!(of_download(Some("audio/mpeg"), wav), Some(MP3));
    assert_eq!(
        of_download(Some("application/octet-stream"), wav),
        Some(WAV)
    );
    assert_eq!(of_download(None, wav), Some(WAV));
    assert_eq!(of_download(None, b"???"), None);
}

#[test]
fn extensions_map_back_to_types() {
    assert_eq!(from_extension(Path::new("/a/b.PNG")), Some(PNG));
    assert_eq!(from_extension(Path::new("/a/b.jpeg")), Some(JPEG));
    assert_eq!(from_extension(Path::new("/a/b.glb")), Some(GLB));
    assert_eq!(from_extension(Path::new("/a/b.webm")), Some(WEBM));
    assert_eq!(from_extension(Path::new("/a/b.bin")), None);
    assert_eq!(from_extension(Path::new("/a/b")), None);
}

#[test]
fn a_file_is_known_by_its_bytes_before_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let wav_named_png = dir.path().join("x.png");
    std::fs::write(&wav_named_png, b"RIFF\0\0\0\0WAVEfmt ").unwrap();
    assert_eq!(of_file(&wav_named_png), Some(WAV));
    let text_named_mp4 = dir.path().join("y.mp4");
    std::fs::write(&text_named_mp4, b"not a clip").unwrap();
    assert_eq!(of_file(&text_named_mp4), Some(MP4));
    assert_eq!(of_file(&dir.path().join("missing.bin")), None);
}

#[test]
fn known_extensions_are_listed_once() {
    let all: Vec<&str> = known_extensions().collect();
    let mut unique = all.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(all.len(), unique.len());
    for extension in [".png", ".wav", ".glb", ".mp3", ".webm"] {
        assert!(all.contains(&extension), "{extension}");
    }
}
