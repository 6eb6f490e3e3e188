//! Reading JSON as leniently as Python's `json.loads`.
//!
//! Python reads a lone UTF-16 surrogate escape (`"\ud83c"`, half an emoji cut
//! off by a server that truncates text by UTF-16 units) into its string;
//! serde_json refuses the whole document. A billed result must not be lost
//! to one bad character, so every JSON that comes in (API answers, the state
//! file, batch files and journals, MCP messages) is read here: each escape of
//! a surrogate that is not half of a valid pair becomes `\ufffd` (U+FFFD, the
//! replacement character) before parsing, and everything else is untouched.

use std::borrow::Cow;

use serde_json::Value;

/// `json.loads(text)`, a lone surrogate escape read as U+FFFD.
pub fn loads(text: &str) -> serde_json::Result<Value> {
    loads_bytes(text.as_bytes())
}

/// [`loads`] of bytes (which must be UTF-8, as for `json.loads`).
pub fn loads_bytes(bytes: &[u8]) -> serde_json::Result<Value> {
    serde_json::from_slice(&repair_lone_surrogates(bytes))
}

/// `bytes` with every `\uXXXX` escape of a lone surrogate replaced by
/// `\ufffd`; borrowed when there is none. A backslash can only stand inside a
/// JSON string, and no byte of a multi-byte UTF-8 character is a backslash,
/// so a byte scan that steps over each escape as a whole is exact.
pub fn repair_lone_surrogates(bytes: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = first_lone_surrogate(bytes, 0) else {
        return Cow::Borrowed(bytes);
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut done = 0;
    let mut next = Some(first);
    while let Some(at) = next {
        out.extend_from_slice(&bytes[done..at]);
        out.extend_from_slice(b"\\ufffd");
        done = at + 6;
        next = first_lone_surrogate(bytes, done);
    }
    out.extend_from_slice(&bytes[done..]);
    Cow::Owned(out)
}

/// Where the first escape of a lone surrogate at or after `from` starts.
fn first_lone_surrogate(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'\\') {
        at += offset;
        match escaped_unit(bytes, at) {
            Some(0xD800..=0xDBFF) => {
                let paired =
                    escaped_unit(bytes, at + 6).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low));
                if !paired {
                    return Some(at);
                }
                at += 12;
            }
            Some(0xDC00..=0xDFFF) => return Some(at),
            Some(_) => at += 6,
            // `\"`, `\\`, `\n`, …: step over the escaped byte too.
            None => at += 2,
        }
        if at >= bytes.len() {
            return None;
        }
    }
    None
}

/// The code unit of a `\uXXXX` escape starting at `at`, if there is one.
fn escaped_unit(bytes: &[u8], at: usize) -> Option<u32> {
    let escape = bytes.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u32::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_lone_surrogate_escape_reads_as_the_replacement_character() {
        assert_eq!(
            loads(r#"{"t":"a\ud83cb"}"#).unwrap(),
            json!({"t": "a\u{FFFD}b"})
        );
        assert_eq!(loads(r#"["\udc00"]"#).unwrap(), json!(["\u{FFFD}"]));
        assert_eq!(
            loads(r#""\ud83c\ud83c""#).unwrap(),
            json!("\u{FFFD}\u{FFFD}")
        );
        assert_eq!(loads(r#""\uD83C""#).unwrap(), json!("\u{FFFD}"));
        assert_eq!(loads(r#""end\ud83c""#).unwrap(), json!("end\u{FFFD}"));
    }

    #[test]
    fn valid_text_is_read_unchanged() {
        assert_eq!(loads(r#""\ud83d\ude00""#).unwrap(), json!("😀"));
        assert_eq!(loads(r#""\\ud83c""#).unwrap(), json!("\\ud83c"));
        assert_eq!(loads(r#""\\\ud83c""#).unwrap(), json!("\\\u{FFFD}"));
        assert_eq!(loads(r#""\u00e9\n\"""#).unwrap(), json!("é\n\""));
        let text = br#"{"a":"\u732b","b":[1,2.5]}"#;
        assert!(matches!(repair_lone_surrogates(text), Cow::Borrowed(_)));
    }

    #[test]
    fn broken_json_is_still_an_error() {
        for text in ["", "{", r#""\u12"#, "\\", r#""\ud83c"#, "[1,]"] {
            assert!(loads(text).is_err(), "{text}");
        }
    }
}
