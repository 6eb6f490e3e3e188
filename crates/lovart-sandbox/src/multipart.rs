//! A streaming `multipart/form-data` reader.
//!
//! Fed the body piece by piece, it hands out events (a part's headers, its
//! data, its end) while holding at most one piece plus a delimiter's length,
//! so an upload of any size passes through in constant memory.

/// What the reader found next.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    Part(PartHeaders),
    Data(Vec<u8>),
    PartEnd,
    End,
}

/// The part's `Content-Disposition` parameters and `Content-Type`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PartHeaders {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Preamble,
    AfterDelimiter,
    Headers,
    Data,
    Epilogue,
}

/// Longest header block accepted.
const MAX_HEADERS: usize = 16 * 1024;

pub struct MultipartReader {
    /// `\r\n--boundary`: every delimiter, the first one included since the
    /// buffer starts with a made-up CRLF.
    delimiter: Vec<u8>,
    buffer: Vec<u8>,
    stage: Stage,
}

impl MultipartReader {
    pub fn new(boundary: &str) -> Self {
        Self {
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            buffer: b"\r\n".to_vec(),
            stage: Stage::Preamble,
        }
    }

    /// The boundary of a `multipart/form-data; boundary=…` Content-Type.
    pub fn boundary(content_type: &str) -> Option<String> {
        let (kind, parameters) = content_type.split_once(';')?;
        if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
            return None;
        }
        parameters.split(';').find_map(|parameter| {
            let (key, value) = parameter.split_once('=')?;
            let value = value.trim().trim_matches('"');
            (key.trim().eq_ignore_ascii_case("boundary") && !value.is_empty())
                .then(|| value.to_string())
        })
    }

    pub fn feed(&mut self, piece: &[u8]) {
        if self.stage == Stage::Epilogue {
            return;
        }
        self.buffer.extend_from_slice(piece);
    }

    /// The next event; `None` when more input is needed (or after [`Event::End`]).
    /// `eof` says no more input will come.
    pub fn next_event(&mut self, eof: bool) -> Result<Option<Event>, String> {
        loop {
            match self.stage {
                Stage::Preamble => match find(&self.buffer, &self.delimiter) {
                    Some(at) => {
                        self.buffer.drain(..at + self.delimiter.len());
                        self.stage = Stage::AfterDelimiter;
                    }
                    None if eof => return Err("no multipart boundary found".into()),
                    None => {
                        let keep = self.delimiter.len() - 1;
                        let drop = self.buffer.len().saturating_sub(keep);
                        self.buffer.drain(..drop);
                        return Ok(None);
                    }
                },
                Stage::AfterDelimiter => {
                    let padding = self
                        .buffer
                        .iter()
                        .take_while(|b| matches!(b, b' ' | b'\t'))
                        .count();
                    let rest = &self.buffer[padding..];
                    if rest.starts_with(b"--") {
                        self.stage = Stage::Epilogue;
                        self.buffer = Vec::new();
                        return Ok(Some(Event::End));
                    }
                    if rest.starts_with(b"\r\n") {
                        self.buffer.drain(..padding + 2);
                        self.stage = Stage::Headers;
                        continue;
                    }
                    if rest.len() >= 2 || eof {
                        return Err("malformed multipart delimiter".into());
                    }
                    return Ok(None);
                }
                Stage::Headers => {
                    let end = if self.buffer.starts_with(b"\r\n") {
                        Some((0, 2))
                    } else {
                        find(&self.buffer, b"\r\n\r\n").map(|at| (at, at + 4))
                    };
                    let Some((text_end, consumed)) = end else {
                        if self.buffer.len() > MAX_HEADERS {
                            return Err("multipart part headers too long".into());
                        }
                        if eof {
                            return Err("multipart body ends inside part headers".into());
                        }
                        return Ok(None);
                    };
                    let headers = parse_headers(&String::from_utf8_lossy(&self.buffer[..text_end]));
                    self.buffer.drain(..consumed);
                    self.stage = Stage::Data;
                    return Ok(Some(Event::Part(headers)));
                }
                Stage::Data => {
                    return match find(&self.buffer, &self.delimiter) {
                        Some(0) => {
                            self.buffer.drain(..self.delimiter.len());
                            self.stage = Stage::AfterDelimiter;
                            Ok(Some(Event::PartEnd))
                        }
                        Some(at) => Ok(Some(Event::Data(self.take_front(at)))),
                        None => {
                            let safe = self.buffer.len().saturating_sub(self.delimiter.len() - 1);
                            if safe > 0 {
                                Ok(Some(Event::Data(self.take_front(safe))))
                            } else if eof {
                                Err("multipart body ends inside a part".into())
                            } else {
                                Ok(None)
                            }
                        }
                    };
                }
                Stage::Epilogue => return Ok(None),
            }
        }
    }

    /// The first `len` bytes of the buffer, leaving the rest (copying the rest,
    /// which is short, rather than the data).
    fn take_front(&mut self, len: usize) -> Vec<u8> {
        let rest = self.buffer.split_off(len);
        std::mem::replace(&mut self.buffer, rest)
    }
}

/// Where `needle` starts in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(offset) = haystack[from..].iter().position(|&byte| byte == first) {
        let at = from + offset;
        if haystack.len() - at < needle.len() {
            return None;
        }
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn parse_headers(text: &str) -> PartHeaders {
    let mut headers = PartHeaders::default();
    for line in text.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-type") {
            headers.content_type = Some(value.trim().to_string());
        } else if name.eq_ignore_ascii_case("content-disposition") {
            headers.name = disposition_parameter(value, "name");
            headers.filename = disposition_parameter(value, "filename");
        }
    }
    headers
}

/// A parameter of `form-data; name="file"; filename="a b.png"`, quoted or not.
/// The filename is taken raw, as browsers and the reference send it.
fn disposition_parameter(value: &str, wanted: &str) -> Option<String> {
    let mut rest = value;
    while let Some(semicolon) = rest.find(';') {
        rest = rest[semicolon + 1..].trim_start();
        let (key, tail) = rest.split_once('=')?;
        let (parameter, after) = match tail.strip_prefix('"') {
            Some(quoted) => {
                let close = quoted.find('"').unwrap_or(quoted.len());
                (&quoted[..close], &quoted[(close + 1).min(quoted.len())..])
            }
            None => {
                let end = tail.find(';').unwrap_or(tail.len());
                (tail[..end].trim(), &tail[end..])
            }
        };
        if key.trim().eq_ignore_ascii_case(wanted) {
            return Some(parameter.to_string());
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(body: &[u8], piece: usize) -> Vec<Event> {
        let mut reader = MultipartReader::new("XyZ");
        let mut events = Vec::new();
        let mut data = Vec::new();
        let mut pieces = body.chunks(piece);
        loop {
            let next = pieces.next();
            if let Some(piece) = next {
                reader.feed(piece);
            }
            while let Some(event) = reader.next_event(next.is_none()).unwrap() {
                match event {
                    Event::Data(bytes) => data.extend(bytes),
                    other => {
                        if !data.is_empty() {
                            events.push(Event::Data(std::mem::take(&mut data)));
                        }
                        events.push(other);
                    }
                }
            }
            if next.is_none() {
                return events;
            }
        }
    }

    #[test]
    fn reads_the_reference_framing_in_any_piece_size() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"caf\xc3\xa9 1.png\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\r\n--Xy\r\n--XyZ--\r\n";
        for piece in [1, 2, 3, 7, 64, 4096] {
            let events = read_all(body, piece);
            assert_eq!(events.len(), 4, "piece size {piece}: {events:?}");
            let Event::Part(headers) = &events[0] else {
                panic!()
            };
            assert_eq!(headers.name.as_deref(), Some("file"));
            assert_eq!(headers.filename.as_deref(), Some("café 1.png"));
            assert_eq!(events[1], Event::Data(b"\r\n--Xy".to_vec()));
            assert_eq!(events[2], Event::PartEnd);
            assert_eq!(events[3], Event::End);
        }
    }

    #[test]
    fn boundary_comes_from_the_content_type() {
        assert_eq!(
            MultipartReader::boundary("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            MultipartReader::boundary("multipart/form-data; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(MultipartReader::boundary("application/json"), None);
    }

    #[test]
    fn an_empty_part_and_a_truncated_body() {
        let events = read_all(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\r\n--XyZ--",
            5,
        );
        assert_eq!(events.len(), 3);
        let mut reader = MultipartReader::new("XyZ");
        reader.feed(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc");
        assert!(matches!(reader.next_event(false), Ok(Some(Event::Part(_)))));
        assert!(reader.next_event(true).is_err());
    }
}
