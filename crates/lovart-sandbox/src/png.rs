//! A streaming PNG encoder: no compression, exact length known up front.
//!
//! Scanlines go out as stored (uncompressed) deflate blocks, one block per
//! IDAT chunk, so every piece can be produced, checksummed (CRC-32 per chunk,
//! Adler-32 over the zlib stream) and sent on its own. That is what lets the
//! sandbox serve a 64 MiB image without holding it, with a Content-Length.

/// Largest payload of a stored deflate block.
const MAX_STORED: usize = 65_535;

/// Colour type 2 (RGB, 8 bits) or 6 (RGBA, 8 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    Rgb,
    Rgba,
}

impl Channels {
    fn bytes(self) -> usize {
        match self {
            Self::Rgb => 3,
            Self::Rgba => 4,
        }
    }

    fn colour_type(self) -> u8 {
        match self {
            Self::Rgb => 2,
            Self::Rgba => 6,
        }
    }
}

/// Writes the pixels of row `y` into a buffer of `width × channels` bytes.
pub type RowFill = Box<dyn FnMut(u32, &mut [u8]) + Send>;

/// An image being encoded, piece by piece.
pub struct PngStream {
    width: u32,
    height: u32,
    channels: Channels,
    fill: RowFill,
    /// The current scanline: filter byte 0, then the pixels.
    row: Vec<u8>,
    next_row: u32,
    row_offset: usize,
    raw_left: u64,
    adler: Adler32,
    stage: Stage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    Blocks,
    Trailer,
    Finished,
}

impl PngStream {
    pub fn new(width: u32, height: u32, channels: Channels, fill: RowFill) -> Self {
        let stride = 1 + width as usize * channels.bytes();
        Self {
            width,
            height,
            channels,
            fill,
            row: vec![0; stride],
            next_row: 0,
            row_offset: stride,
            raw_left: stride as u64 * u64::from(height),
            adler: Adler32::new(),
            stage: Stage::Header,
        }
    }

    /// The exact size of the file in bytes.
    pub fn encoded_len(width: u32, height: u32, channels: Channels) -> u64 {
        let raw = (1 + u64::from(width) * channels.bytes() as u64) * u64::from(height);
        let blocks = raw.div_ceil(MAX_STORED as u64).max(1);
        // signature + IHDR + IDAT(zlib header) + blocks + IDAT(adler) + IEND
        8 + (12 + 13) + (12 + 2) + blocks * (12 + 5) + raw + (12 + 4) + 12
    }

    /// The next piece of the file, or `None` at the end.
    pub fn next_piece(&mut self) -> Option<Vec<u8>> {
        match self.stage {
            Stage::Header => {
                self.stage = Stage::Blocks;
                let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
                let mut ihdr = Vec::with_capacity(13);
                ihdr.extend_from_slice(&self.width.to_be_bytes());
                ihdr.extend_from_slice(&self.height.to_be_bytes());
                ihdr.extend_from_slice(&[8, self.channels.colour_type(), 0, 0, 0]);
                push_chunk(&mut out, b"IHDR", &ihdr);
                // zlib header: deflate, 32 KiB window, no dictionary, fastest.
                push_chunk(&mut out, b"IDAT", &[0x78, 0x01]);
                Some(out)
            }
            Stage::Blocks => {
                let len = self.raw_left.min(MAX_STORED as u64) as usize;
                self.raw_left -= len as u64;
                let last = self.raw_left == 0;
                if last {
                    self.stage = Stage::Trailer;
                }
                let mut data = Vec::with_capacity(5 + len);
                data.push(u8::from(last));
                data.extend_from_slice(&(len as u16).to_le_bytes());
                data.extend_from_slice(&(!(len as u16)).to_le_bytes());
                self.raw_into(&mut data, len);
                self.adler.update(&data[5..]);
                let mut out = Vec::with_capacity(12 + data.len());
                push_chunk(&mut out, b"IDAT", &data);
                Some(out)
            }
            Stage::Trailer => {
                self.stage = Stage::Finished;
                let mut out = Vec::with_capacity(16 + 12);
                push_chunk(&mut out, b"IDAT", &self.adler.finish().to_be_bytes());
                push_chunk(&mut out, b"IEND", &[]);
                Some(out)
            }
            Stage::Finished => None,
        }
    }

    /// The whole file at once (for small images).
    pub fn encode(mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(piece) = self.next_piece() {
            out.extend_from_slice(&piece);
        }
        out
    }

    /// Appends the next `len` bytes of filtered scanline data.
    fn raw_into(&mut self, out: &mut Vec<u8>, mut len: usize) {
        while len > 0 {
            if self.row_offset == self.row.len() {
                self.row[0] = 0;
                (self.fill)(self.next_row, &mut self.row[1..]);
                self.next_row += 1;
                self.row_offset = 0;
            }
            let take = len.min(self.row.len() - self.row_offset);
            out.extend_from_slice(&self.row[self.row_offset..self.row_offset + take]);
            self.row_offset += take;
            len -= take;
        }
    }
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// Adler-32 of the zlib stream.
struct Adler32 {
    a: u32,
    b: u32,
}

impl Adler32 {
    const MOD: u32 = 65_521;
    /// Most bytes summed before `b` could overflow 32 bits.
    const NMAX: usize = 5_552;

    fn new() -> Self {
        Self { a: 1, b: 0 }
    }

    fn update(&mut self, data: &[u8]) {
        for run in data.chunks(Self::NMAX) {
            for &byte in run {
                self.a += u32::from(byte);
                self.b += self.a;
            }
            self.a %= Self::MOD;
            self.b %= Self::MOD;
        }
    }

    fn finish(&self) -> u32 {
        (self.b << 16) | self.a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        let mut adler = Adler32::new();
        adler.update(b"Wikipedia");
        assert_eq!(adler.finish(), 0x11E6_0398);
    }

    #[test]
    fn encoded_length_is_exact_and_structure_is_png() {
        for (width, height, channels) in [
            (1, 1, Channels::Rgb),
            (256, 256, Channels::Rgb),
            (300, 250, Channels::Rgba),
        ] {
            let fill: RowFill = Box::new(|y, row| row.fill(y as u8));
            let bytes = PngStream::new(width, height, channels, fill).encode();
            assert_eq!(
                bytes.len() as u64,
                PngStream::encoded_len(width, height, channels)
            );
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
            assert!(bytes.ends_with(b"IEND\xae\x42\x60\x82"));
        }
    }
}
