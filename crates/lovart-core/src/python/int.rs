//! Python's `int()` of a command-line word, as argparse's `type=int` reads it.

/// An integer the way Python's `int()` reads one: surrounding whitespace, a
/// sign, and `_` between digits are accepted.
pub fn parse_int(text: &str) -> Result<i64, String> {
    let invalid = || format!("invalid int value: '{text}'");
    let trimmed = text.trim();
    let (sign, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let well_formed = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(invalid());
    }
    let value: i64 = digits.replace('_', "").parse().map_err(|_| invalid())?;
    Ok(sign * value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_forms_parse() {
        assert_eq!(parse_int(" 42 "), Ok(42));
        assert_eq!(parse_int("+7"), Ok(7));
        assert_eq!(parse_int("-3"), Ok(-3));
        assert_eq!(parse_int("1_000"), Ok(1000));
        assert!(parse_int("1__0").is_err());
        assert!(parse_int("_1").is_err());
        assert!(parse_int("1.5").is_err());
        assert!(parse_int("").is_err());
    }
}
