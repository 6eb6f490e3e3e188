//! Python string semantics the state file and outputs depend on: slicing by
//! code points (`prompt[:30]`) and `str.strip()`, whose whitespace set is
//! Rust's plus the four separators U+001C–U+001F; and OS errors worded as
//! Python words them.

/// Python's `str.isspace()` for one character.
pub fn is_py_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `text[:count]`: the first `count` code points.
pub fn first_chars(text: &str, count: usize) -> &str {
    match text.char_indices().nth(count) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Python's `text[:count].strip()`, how the reference names projects and topics.
pub fn prefix_stripped(text: &str, count: usize) -> String {
    first_chars(text, count)
        .trim_matches(is_py_whitespace)
        .to_string()
}

/// An OS error's text the way Python prints it: without Rust's
/// ` (os error N)` suffix (`No such file or directory`).
pub fn os_error_text(error: &std::io::Error) -> String {
    let text = error.to_string();
    match error.raw_os_error() {
        Some(code) => text
            .trim_end_matches(&format!(" (os error {code})"))
            .to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_counts_code_points_not_bytes() {
        assert_eq!(first_chars("画一只赛博朋克猫", 3), "画一只");
        assert_eq!(first_chars("ab", 30), "ab");
        assert_eq!(first_chars("🐱🐶🐭", 2), "🐱🐶");
    }

    #[test]
    fn strip_uses_python_whitespace() {
        // "\x1c a \u3000".strip() == "a" in Python; Rust's trim keeps \x1c.
        assert_eq!(prefix_stripped("\u{1c} a \u{3000}", 30), "a");
        assert_eq!(prefix_stripped("  ", 30), "");
        // Cut first, strip after: "a" + 29 spaces + "b" gives "a".
        let prompt = format!("a{}b", " ".repeat(29));
        assert_eq!(prefix_stripped(&prompt, 30), "a");
    }
}
