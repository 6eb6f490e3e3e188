//! Python-compatible text output.
//!
//! The reference prints everything with Python's `json.dumps` and f-strings, and
//! agents compare those bytes. This module owns that rendering: `json.dumps` in
//! its pretty (`indent=2`) and compact (`", "` / `": "`) forms, with or without
//! `ensure_ascii`, numbers re-printed the way Python re-prints what it parsed,
//! and `str()` of a JSON value for the text forms and error messages.

use serde_json::Value;

/// `json.dumps(value, indent=2, ensure_ascii=ensure_ascii)`.
pub fn dumps_pretty(value: &Value, ensure_ascii: bool) -> String {
    let _ = (value, ensure_ascii);
    todo!()
}

/// `json.dumps(value, ensure_ascii=ensure_ascii)`: one line, `", "` and `": "`.
pub fn dumps_compact(value: &Value, ensure_ascii: bool) -> String {
    let _ = (value, ensure_ascii);
    todo!()
}

/// Python's `str()` of the value `json.loads` would have produced:
/// a string as is, `None`, `True`, `1.0`, `[1, 'a']`, `{'k': None}`.
pub fn py_str(value: &Value) -> String {
    let _ = value;
    todo!()
}
