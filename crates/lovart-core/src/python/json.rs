//! Python-compatible text output.
//!
//! The reference prints everything with Python's `json.dumps` and f-strings, and
//! agents compare those bytes. This module owns that rendering: `json.dumps` in
//! its pretty (`indent=2`) and compact (`", "` / `": "`) forms, with or without
//! `ensure_ascii`, numbers re-printed the way Python re-prints what it parsed,
//! and `str()` of a JSON value for the text forms and error messages.

use std::fmt::Write as _;

use serde_json::{Number, Value};

/// `json.dumps(value, indent=2, ensure_ascii=ensure_ascii)`.
pub fn dumps_pretty(value: &Value, ensure_ascii: bool) -> String {
    let mut out = String::new();
    Dumper {
        out: &mut out,
        ensure_ascii,
        indent: Some(0),
    }
    .value(value);
    out
}

/// `json.dumps(value, ensure_ascii=ensure_ascii)`: one line, `", "` and `": "`.
pub fn dumps_compact(value: &Value, ensure_ascii: bool) -> String {
    let mut out = String::new();
    Dumper {
        out: &mut out,
        ensure_ascii,
        indent: None,
    }
    .value(value);
    out
}

/// Python's `str()` of the value `json.loads` would have produced:
/// a string as is, `None`, `True`, `1.0`, `[1, 'a']`, `{'k': None}`.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => {
            let mut out = String::new();
            write_repr(&mut out, other);
            out
        }
    }
}

/// The `json.dumps` encoder: `indent` is the current depth when pretty
/// (`indent=2`), `None` for the one-line form.
struct Dumper<'a> {
    out: &'a mut String,
    ensure_ascii: bool,
    indent: Option<usize>,
}

impl Dumper<'_> {
    fn value(&mut self, value: &Value) {
        match value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(true) => self.out.push_str("true"),
            Value::Bool(false) => self.out.push_str("false"),
            Value::Number(n) => write_number(self.out, n, "Infinity", "-Infinity"),
            Value::String(s) => write_json_str(self.out, s, self.ensure_ascii),
            Value::Array(items) if items.is_empty() => self.out.push_str("[]"),
            Value::Object(map) if map.is_empty() => self.out.push_str("{}"),
            Value::Array(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.separator(i == 0);
                    self.value(item);
                }
                self.close(']');
            }
            Value::Object(map) => {
                self.out.push('{');
                for (i, (key, item)) in map.iter().enumerate() {
                    self.separator(i == 0);
                    write_json_str(self.out, key, self.ensure_ascii);
                    self.out.push_str(": ");
                    self.value(item);
                }
                self.close('}');
            }
        }
    }

    /// Before an item of a non-empty container: the item separator (not before
    /// the first) and, when pretty, a newline indented one level deeper.
    fn separator(&mut self, first: bool) {
        match self.indent {
            Some(depth) => {
                if first {
                    self.indent = Some(depth + 1);
                } else {
                    self.out.push(',');
                }
                self.newline();
            }
            None if first => {}
            None => self.out.push_str(", "),
        }
    }

    /// After the last item: back one level and the closing bracket.
    fn close(&mut self, bracket: char) {
        if let Some(depth) = self.indent {
            self.indent = Some(depth - 1);
            self.newline();
        }
        self.out.push(bracket);
    }

    fn newline(&mut self) {
        let depth = self.indent.unwrap_or(0);
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', 2 * depth));
    }
}

/// A JSON string literal as `json.dumps` writes it.
fn write_json_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            // Without ensure_ascii only C0 controls are escaped (DEL stays raw);
            // with it, everything outside `' '..='~'` is.
            c if c < ' ' || (ensure_ascii && c > '~') => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `repr()` of a value (for the items of `str()` of a list or dict).
fn write_repr(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => write_number(out, n, "inf", "-inf"),
        Value::String(s) => write_repr_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr_str(out, key);
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python 3's `repr(str)`: single quotes unless the text has `'` and no `"`;
/// non-printable characters as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
fn write_repr_str(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c < ' ' || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_ascii() || is_printable(c) => out.push(c),
            c => {
                let code = u32::from(c);
                let _ = match code {
                    0..=0xff => write!(out, "\\x{code:02x}"),
                    0x100..=0xffff => write!(out, "\\u{code:04x}"),
                    _ => write!(out, "\\U{code:08x}"),
                };
            }
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable()` for one non-ASCII character: false for the
/// categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs. Rust's `escape_debug` uses the
/// same definition (its Unicode version may be newer than Python's) but also
/// escapes grapheme extenders at the start of a string, so look at the
/// character after a leading `a`.
fn is_printable(c: char) -> bool {
    let mut buf = [0u8; 5];
    buf[0] = b'a';
    let len = 1 + c.encode_utf8(&mut buf[1..]).len();
    let s = std::str::from_utf8(&buf[..len]).unwrap_or("a");
    s.escape_debug().nth(1) != Some('\\')
}

/// A number as Python re-prints what `json.loads` parsed: an integer literal
/// exactly (`-0` is `0`), anything else as `repr(float)`, with `inf` / `-inf`
/// spelled as the caller needs on overflow.
fn write_number(out: &mut String, n: &Number, inf: &str, neg_inf: &str) {
    let text = n.as_str();
    if !text.contains(['.', 'e', 'E']) {
        out.push_str(if text == "-0" { "0" } else { text });
        return;
    }
    match text.parse::<f64>() {
        Ok(x) if x == f64::INFINITY => out.push_str(inf),
        Ok(x) if x == f64::NEG_INFINITY => out.push_str(neg_inf),
        Ok(x) => write_float_repr(out, x),
        // serde_json only hands over valid literals.
        Err(_) => out.push_str(text),
    }
}

/// Python's `repr(float)` of a finite value.
fn write_float_repr(out: &mut String, x: f64) {
    // `{:e}` gives the shortest round-trip digits (`1.2345e-7`, `0e0`) but
    // breaks exact ties upwards; Python takes the nearest string of that
    // length, ties to even, which `{:.*e}` gives when it still round-trips.
    let shortest = format!("{:e}", x.abs());
    let len = shortest.find('e').unwrap_or(1) - usize::from(shortest.contains('.'));
    let nearest = format!("{:.*e}", len - 1, x.abs());
    let sci = if nearest.parse() == Ok(x.abs()) {
        nearest
    } else {
        shortest
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let n = digits.len() as i32;
    // Python's decpt: the value is 0.d1d2... * 10**decpt.
    let decpt = exp + 1;
    if x.is_sign_negative() {
        out.push('-');
    }
    if !(-4 < decpt && decpt <= 16) {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.unsigned_abs());
    } else if decpt <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-decpt) as usize));
        out.push_str(&digits);
    } else if decpt >= n {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (decpt - n) as usize));
        out.push_str(".0");
    } else {
        out.push_str(&digits[..decpt as usize]);
        out.push('.');
        out.push_str(&digits[decpt as usize..]);
    }
}

#[cfg(test)]
mod tests {
    //! Expected strings are Python 3.11's output for the same JSON text.

    use super::*;

    fn v(json: &str) -> Value {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn pretty_nested_and_empties() {
        let value =
            v(r#"{"a":[],"b":{},"c":[{},[]],"d":{"e":[1,{"f":null}],"g":true,"h":false},"i":"x"}"#);
        let expected = r#"{
  "a": [],
  "b": {},
  "c": [
    {},
    []
  ],
  "d": {
    "e": [
      1,
      {
        "f": null
      }
    ],
    "g": true,
    "h": false
  },
  "i": "x"
}"#;
        assert_eq!(dumps_pretty(&value, false), expected);
        assert_eq!(dumps_pretty(&v("[]"), false), "[]");
        assert_eq!(dumps_pretty(&v("{}"), false), "{}");
        assert_eq!(dumps_pretty(&v(r#""top""#), false), r#""top""#);
    }

    #[test]
    fn pretty_unicode() {
        let value = v(r#"{"名字":"中文","emoji":"😀"}"#);
        assert_eq!(
            dumps_pretty(&value, false),
            "{\n  \"名字\": \"中文\",\n  \"emoji\": \"😀\"\n}"
        );
        assert_eq!(
            dumps_pretty(&value, true),
            "{\n  \"\\u540d\\u5b57\": \"\\u4e2d\\u6587\",\n  \"emoji\": \"\\ud83d\\ude00\"\n}"
        );
    }

    #[test]
    fn compact_unicode() {
        let value = v(r#"{"名字":"中文","emoji":"😀","e":"é"}"#);
        assert_eq!(
            dumps_compact(&value, false),
            r#"{"名字": "中文", "emoji": "😀", "e": "é"}"#
        );
        assert_eq!(
            dumps_compact(&value, true),
            r#"{"\u540d\u5b57": "\u4e2d\u6587", "emoji": "\ud83d\ude00", "e": "\u00e9"}"#
        );
    }

    #[test]
    fn compact_control_characters() {
        let value = v(r#""\u0000\u0001\b\f\n\r\t\u001f\u007f\u0080 /""#);
        assert_eq!(
            dumps_compact(&value, false),
            "\"\\u0000\\u0001\\b\\f\\n\\r\\t\\u001f\u{7f}\u{80} /\""
        );
        assert_eq!(
            dumps_compact(&value, true),
            r#""\u0000\u0001\b\f\n\r\t\u001f\u007f\u0080 /""#
        );
    }

    #[test]
    fn compact_quotes_and_backslashes() {
        let value = v(r#"{"q\"k":"say \"hi\" \\ back\\slash \u0027"}"#);
        assert_eq!(
            dumps_compact(&value, false),
            r#"{"q\"k": "say \"hi\" \\ back\\slash '"}"#
        );
    }

    #[test]
    fn compact_floats() {
        let value = v("[1.0,1e16,1e15,1e-5,1e-4,0.1,1e22,123456789.123,5e-324,\
             1.7976931348623157e308,1e400,-1e400,1E5,1.0e5,2.5E-7,-1.5e300,0.0,\
             1125783572832246.25]");
        assert_eq!(
            dumps_compact(&value, false),
            "[1.0, 1e+16, 1000000000000000.0, 1e-05, 0.0001, 0.1, 1e+22, 123456789.123, \
             5e-324, 1.7976931348623157e+308, Infinity, -Infinity, 100000.0, 100000.0, \
             2.5e-07, -1.5e+300, 0.0, 1125783572832246.2]"
        );
    }

    #[test]
    fn compact_integers_and_zeros() {
        let value = v("[123456789012345678901234567890,-98765432109876543210,0,-0,-0.0,42]");
        assert_eq!(
            dumps_compact(&value, false),
            "[123456789012345678901234567890, -98765432109876543210, 0, 0, -0.0, 42]"
        );
    }

    #[test]
    fn compact_empties() {
        let value = v(r#"[[],{},[[]],{"a":{}}]"#);
        assert_eq!(dumps_compact(&value, false), r#"[[], {}, [[]], {"a": {}}]"#);
    }

    #[test]
    fn duplicate_keys_keep_first_position_last_value() {
        let value = v(r#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(dumps_compact(&value, false), r#"{"a": 3, "b": 2}"#);
        assert_eq!(dumps_pretty(&value, false), "{\n  \"a\": 3,\n  \"b\": 2\n}");
    }

    #[test]
    fn json_macro_values() {
        let value = serde_json::json!({"mode": "fast", "n": 1.5, "big": 1e16, "i": -3});
        assert_eq!(
            dumps_compact(&value, false),
            r#"{"mode": "fast", "n": 1.5, "big": 1e+16, "i": -3}"#
        );
    }

    #[test]
    fn py_str_nested() {
        let value = v(
            r#"{"k":[true,false,null],"n":1.0,"i":-0,"big":123456789012345678901234567890,"s":"it's","d":"say \"hi\"","b":"both ' and \"","f":[1e16,1e-5,1e400,-1e400,0.1]}"#,
        );
        assert_eq!(
            py_str(&value),
            r#"{'k': [True, False, None], 'n': 1.0, 'i': 0, 'big': 123456789012345678901234567890, 's': "it's", 'd': 'say "hi"', 'b': 'both \' and "', 'f': [1e+16, 1e-05, inf, -inf, 0.1]}"#
        );
        assert_eq!(
            py_str(&v(r#"{"名":{"x":[[], {}]}}"#)),
            "{'名': {'x': [[], {}]}}"
        );
        assert_eq!(py_str(&v("[]")), "[]");
        assert_eq!(py_str(&v("{}")), "{}");
    }

    #[test]
    fn py_str_scalars() {
        assert_eq!(py_str(&v("null")), "None");
        assert_eq!(py_str(&v("true")), "True");
        assert_eq!(py_str(&v("false")), "False");
        assert_eq!(py_str(&v("1e400")), "inf");
        assert_eq!(py_str(&v("-0.0")), "-0.0");
        assert_eq!(py_str(&v("1E5")), "100000.0");
        assert_eq!(py_str(&v("-0")), "0");
        assert_eq!(
            py_str(&v(r#""plain 'text' \"q\" 中""#)),
            r#"plain 'text' "q" 中"#
        );
    }

    #[test]
    fn py_str_repr_escapes() {
        let value = v(
            r#"["a\\b\n\r\t\u0000\u001f\u007f\u0080\u00a0é中\u200b\ufeff\u2028😀\udb40\udc01e\u0301\ue000"]"#,
        );
        assert_eq!(
            py_str(&value),
            "['a\\\\b\\n\\r\\t\\x00\\x1f\\x7f\\x80\\xa0é中\\u200b\\ufeff\\u2028😀\\U000e0001e\u{301}\\ue000']"
        );
    }
}
