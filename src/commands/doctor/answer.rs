//! How doctor reads an answer in one line: whether a server's answer is the
//! API's (a JSON 2xx) or an HTTP error or a web page, an error text condensed
//! to one line (never a whole HTML page), and counts in the right number.

/// `1 project`, `2 projects`, `0 projects`.
pub(super) fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Why an answer of the API's public catalog path is not the API's: an HTTP
/// error, a web page, or something that is not JSON. `None` for a JSON 2xx.
pub(super) fn answer_problem(status: u16, content_type: &str, body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let html = content_type.contains("html") || looks_like_html(&text);
    let json = lovart_core::python::loads_bytes(body).is_ok();
    let what = if html {
        match html_title(&text) {
            Some(title) => format!("an HTML page (\"{title}\")"),
            None => "an HTML page".to_string(),
        }
    } else if json {
        String::new()
    } else {
        format!("\"{}\"", condensed(&text, 80))
    };
    match ((200..300).contains(&status), html || !json) {
        (true, false) => None,
        (true, true) => Some(format!("HTTP {status} with {what}: not the Lovart API")),
        (false, _) if what.is_empty() => Some(format!("HTTP {status}")),
        (false, _) => Some(format!("HTTP {status} with {what}")),
    }
}

pub(super) fn looks_like_html(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.contains("<body")
}

/// The `<title>` of a page, condensed.
pub(super) fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let title = condensed(&text[open_end..close], 60);
    (!title.is_empty()).then_some(title)
}

/// One line of at most `limit` characters; an embedded HTML page becomes
/// "an HTML page" (error messages carry the whole body of an HTTP error).
pub(super) fn condensed(text: &str, limit: usize) -> String {
    let lower = text.to_ascii_lowercase();
    let text = match ["<!doctype", "<html"]
        .iter()
        .filter_map(|tag| lower.find(tag))
        .min()
    {
        Some(0) => "an HTML page".to_string(),
        Some(at) => format!("{}an HTML page", &text[..at]),
        None => text.to_string(),
    };
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_json_success_is_the_api() {
        assert_eq!(
            answer_problem(200, "application/json", br#"{"code":0}"#),
            None
        );
        let page = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>...</body></html>";
        assert_eq!(
            answer_problem(404, "text/html", page).unwrap(),
            "HTTP 404 with an HTML page (\"404 Not Found\")"
        );
        assert_eq!(
            answer_problem(
                200,
                "text/html; charset=utf-8",
                b"<html><body>hi</body></html>"
            )
            .unwrap(),
            "HTTP 200 with an HTML page: not the Lovart API"
        );
        assert_eq!(
            answer_problem(404, "application/json", br#"{"code":404}"#).unwrap(),
            "HTTP 404"
        );
        assert_eq!(
            answer_problem(502, "text/plain", b"Bad gateway\n\nupstream").unwrap(),
            "HTTP 502 with \"Bad gateway upstream\""
        );
    }

    #[test]
    fn error_texts_are_condensed_to_one_line() {
        assert_eq!(
            condensed("HTTP 404: <!DOCTYPE html>\n<html>lots</html>", 80),
            "HTTP 404: an HTML page"
        );
        assert_eq!(
            condensed(&"x".repeat(200), 10),
            format!("{}…", "x".repeat(10))
        );
    }

    #[test]
    fn counts_read_in_the_right_number() {
        assert_eq!(plural(1, "project"), "1 project");
        assert_eq!(plural(0, "thread"), "0 threads");
        assert_eq!(plural(2, "thread"), "2 threads");
    }
}
