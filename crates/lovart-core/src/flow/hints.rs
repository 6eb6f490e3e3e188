//! What to tell a person after a generation or a failed step: the advice
//! the CLI shows as `hint:` lines at a terminal.
//!
//! Each hint's text is computed by a pure function (unit-tested here) and
//! reported as [`Event::Hint`] or [`Event::Notice`], which the CLI shows only
//! when stderr is a terminal, so piped runs keep the reference's stderr byte
//! for byte. Front ends call one function per situation: [`after_generation`]
//! (pending confirmation, timeout, abort, a text-only answer),
//! [`after_downloads`], [`validation_hints`] (why `Project '<id>' does not
//! exist`; carried by the error, shown after the `Error:` line and put into
//! the JSON error object).

use lovart_wire::reply::ResultView;
use serde_json::{Map, Value};

use crate::api::{ApiError, ApiErrorKind};
use crate::events::{Event, EventSink};
use crate::failure::Wording;
use crate::python::{is_truthy, py_str};

/// Reports the hints for a settled generation's output (`chat`, `confirm`, `wait`).
pub fn after_generation(events: &EventSink, thread_id: &str, result: &Map<String, Value>) {
    for line in generation_hints(thread_id, result) {
        events.emit(Event::Hint(&line));
    }
}

/// The hints for a generation's output: what to do about a pending
/// confirmation, a timeout, an abort, or a prompt answered with text only.
pub fn generation_hints(thread_id: &str, result: &Map<String, Value>) -> Vec<String> {
    let status = result.get("final_status").map(py_str).unwrap_or_default();
    let mut hints = Vec::new();
    match status.as_str() {
        "pending_confirmation" => {
            let pending = ResultView(result).pending_confirmation();
            let field = |key: &str| {
                pending
                    .and_then(|pending| pending.get(key))
                    .filter(|value| is_truthy(value))
                    .map(py_str)
            };
            let mut what = String::from("this step waits for your confirmation");
            match (field("estimated_cost"), field("tool_name")) {
                (Some(cost), Some(tool)) => {
                    what.push_str(&format!(": about {cost} credits ({tool})"));
                }
                (Some(cost), None) => what.push_str(&format!(": about {cost} credits")),
                (None, Some(tool)) => what.push_str(&format!(" ({tool})")),
                (None, None) => {}
            }
            hints.push(what);
            if let Some(message) = field("message") {
                hints.push(format!("the agent says: {}", one_line(&message)));
            }
            hints.push(format!(
                "to go ahead: lovart confirm --thread-id {thread_id}"
            ));
        }
        "timeout" => hints.push(format!(
            "the generation goes on on the server; pick it up with: lovart result --thread-id {thread_id} --json --download (or follow it: lovart watch --thread-id {thread_id})"
        )),
        "abort" => hints.push(format!(
            "the server aborted the generation; send the prompt again, or continue the thread with --thread-id {thread_id}"
        )),
        _ => {}
    }
    if result.get("generation_succeeded") == Some(&Value::Bool(false)) {
        match result.get("agent_message").map(py_str) {
            Some(message) if !message.trim().is_empty() => hints.push(format!(
                "no artifact was made; the agent said: {}",
                one_line(&message)
            )),
            _ => hints.push(
                "no artifact was made and the agent said nothing: rephrase the prompt, or try another model (--prefer-models)"
                    .to_string(),
            ),
        }
    }
    hints
}

/// Reports a notice for each failed download of a `downloaded` list.
pub fn after_downloads(events: &EventSink, items: &[Value]) {
    for line in download_failures(items) {
        events.emit(Event::Notice(&line));
    }
}

/// One line per failed download item (`"error"` set): its URL and, where the
/// URL alone tells, the reason. (The transfer's own reason, an HTTP status or
/// a DNS failure, is known only inside the downloader.)
pub fn download_failures(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter(|item| item.get("error").is_some_and(is_truthy))
        .map(|item| {
            let url = item.get("url").map(py_str).unwrap_or_default();
            let reason = match reqwest::Url::parse(&url) {
                Err(why) => format!("not a URL ({why})"),
                Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => {
                    format!("unsupported scheme '{}'", parsed.scheme())
                }
                Ok(_) => "the transfer failed; try `lovart download --urls <url>` again, or open the URL in a browser".to_string(),
            };
            format!("could not download {url}: {reason}")
        })
        .collect()
}

/// Text on one line, at most 300 characters, for a hint.
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// Where the project that failed validation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectSource {
    /// `--project-id`.
    Flag,
    /// The state file's active project.
    Active,
}

/// The hints behind `Project '<id>' does not exist`: the real cause when the
/// validation call failed (keys, network, TLS, a server that is not the API),
/// else the ways out of an unknown project, in `wording`'s words.
pub fn validation_hints(
    base_url: &str,
    project_id: &str,
    source: ProjectSource,
    cause: Option<&ApiError>,
    wording: Wording,
) -> Vec<String> {
    let base_url = base_url.trim_end_matches('/');
    let Some(error) = cause else {
        let mut hints = vec![format!("{base_url} does not know the project {project_id}")];
        hints.push(match (source, wording) {
            (ProjectSource::Active, Wording::Mcp) => format!(
                "it is the active project of lovart's state (a sandbox's, or another account's?): pass another project_id to `generate` (the `projects` tool lists the saved ones), or forget {project_id} from the state on the server's machine so that the next generate creates a new one"
            ),
            (ProjectSource::Flag, Wording::Mcp) => {
                "check project_id (the `projects` tool lists the saved ones), or leave it out to use the active project or create a new one"
                    .to_string()
            }
            (ProjectSource::Active, Wording::Cli) => format!(
                "it is the active project of lovart's state (a sandbox's, or another account's?): pass --project-id, switch with `lovart project-switch`, or forget it with `lovart project-remove --project-id {project_id}` so that the next chat creates a new one"
            ),
            (ProjectSource::Flag, Wording::Cli) => {
                "check --project-id, or leave it out to use the active project or create a new one"
                    .to_string()
            }
        });
        return hints;
    };
    let why = &error.message;
    // `lovart doctor` runs beside the MCP server, not in its client.
    let doctor = match wording {
        Wording::Cli => "(lovart doctor checks)",
        Wording::Mcp => "(check LOVART_BASE_URL in the MCP server's configuration)",
    };
    let hint = match (error.kind, error.status) {
        (ApiErrorKind::Http, Some(401 | 403)) => format!(
            "the project could not be checked: {base_url} refused the keys ({why}); check LOVART_ACCESS_KEY and LOVART_SECRET_KEY"
        ),
        (ApiErrorKind::Connection, _) if looks_like_plain_http(base_url, why) => format!(
            "the project could not be checked: TLS failed ({why}); {base_url} looks like a plain-HTTP server: try http:// instead of https://"
        ),
        (ApiErrorKind::Connection, _) if looks_like_tls(why) => format!(
            "the project could not be checked: TLS failed ({why}); behind a TLS-inspecting proxy, point SSL_CERT_FILE at its CA certificate"
        ),
        // (A base URL that cannot work never gets here: the settings refuse it.)
        (ApiErrorKind::Connection, _) => format!(
            "the project could not be checked: no answer from {base_url} ({why}); check the network, LOVART_BASE_URL and any proxy settings"
        ),
        (ApiErrorKind::Http, Some(status)) => format!(
            "the project could not be checked: {base_url} answered HTTP {status} ({why}); is it the Lovart API? {doctor}"
        ),
        _ => format!(
            "the project could not be checked: the answer from {base_url} was not usable ({why}); is it the Lovart API? {doctor}"
        ),
    };
    vec![hint]
}

/// Whether a failure reads like a certificate or handshake problem.
pub fn looks_like_tls(why: &str) -> bool {
    let lower = why.to_lowercase();
    ["certificate", "tls", "handshake", "ssl"]
        .iter()
        .any(|word| lower.contains(word))
}

/// An https:// URL answered by a plain-HTTP server: rustls reads the HTTP
/// answer as a corrupt TLS record.
pub fn looks_like_plain_http(base_url: &str, why: &str) -> bool {
    let lower = why.to_lowercase();
    base_url.to_ascii_lowercase().starts_with("https:")
        && [
            "invalidcontenttype",
            "corrupt message",
            "wrong version number",
        ]
        .iter()
        .any(|sign| lower.contains(sign))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn pending_confirmation_names_cost_message_and_exact_command() {
        let result = object(json!({
            "final_status": "pending_confirmation",
            "pending_confirmation": {"tool_name": "generate_video_kling_v3", "estimated_cost": 40, "message": "Costs about 40 credits.\nConfirm to start."},
            "items": []
        }));
        assert_eq!(
            generation_hints("t123", &result),
            [
                "this step waits for your confirmation: about 40 credits (generate_video_kling_v3)",
                "the agent says: Costs about 40 credits. Confirm to start.",
                "to go ahead: lovart confirm --thread-id t123",
            ]
        );
    }

    #[test]
    fn timeout_gives_the_resume_command() {
        let result = object(json!({"final_status": "timeout"}));
        let hints = generation_hints("t9", &result);
        assert_eq!(hints.len(), 1);
        assert!(
            hints[0].contains("lovart result --thread-id t9 --json --download"),
            "{hints:?}"
        );
    }

    #[test]
    fn a_refusal_shows_the_agents_message() {
        let result = object(json!({
            "final_status": "done", "generation_succeeded": false,
            "agent_message": "Sorry, I can't help with that."
        }));
        assert_eq!(
            generation_hints("t", &result),
            ["no artifact was made; the agent said: Sorry, I can't help with that."]
        );
        let done = object(json!({"final_status": "done", "generation_succeeded": true}));
        assert!(generation_hints("t", &done).is_empty());
    }

    #[test]
    fn an_unknown_active_project_names_the_url_and_the_ways_out() {
        let hints = validation_hints(
            "http://127.0.0.1:8731/",
            "p1",
            ProjectSource::Active,
            None,
            Wording::Cli,
        );
        assert_eq!(
            hints[0],
            "http://127.0.0.1:8731 does not know the project p1"
        );
        assert!(hints[1].contains("--project-id"), "{hints:?}");
        assert!(
            hints[1].contains("lovart project-remove --project-id p1"),
            "{hints:?}"
        );
    }

    #[test]
    fn validation_causes_are_named() {
        let http = |status, message: &str| ApiError {
            status: Some(status),
            ..ApiError::new(ApiErrorKind::Http, message)
        };
        let connection = |message: &str| ApiError::new(ApiErrorKind::Connection, message);
        let hint = |url: &str, error: ApiError| {
            validation_hints(url, "p", ProjectSource::Active, Some(&error), Wording::Cli).join("\n")
        };
        assert!(hint("https://x", http(401, "Invalid signature")).contains("refused the keys"));
        assert!(
            hint(
                "https://127.0.0.1:1",
                connection("received corrupt message of type InvalidContentType")
            )
            .contains("try http://")
        );
        assert!(
            hint(
                "https://x",
                connection("invalid peer certificate: UnknownIssuer")
            )
            .contains("SSL_CERT_FILE")
        );
        assert!(
            hint(
                "http://127.0.0.1:1",
                connection("Connection failed after 3 attempts: Connection refused")
            )
            .contains("no answer from http://127.0.0.1:1")
        );
        assert!(hint("http://x/api", http(404, "not found")).contains("HTTP 404"));
    }

    #[test]
    fn failed_downloads_are_named_with_what_the_url_tells() {
        let items = [
            json!({"url": "not-a-url", "local_path": null, "error": "download failed", "new": false}),
            json!({"url": "http://x/a.png", "local_path": "/tmp/a.png", "new": true}),
            json!({"url": "http://x/b.png", "local_path": null, "error": "download failed", "new": false}),
        ];
        let lines = download_failures(&items);
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("could not download not-a-url: not a URL"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("could not download http://x/b.png: "),
            "{lines:?}"
        );
    }
}
