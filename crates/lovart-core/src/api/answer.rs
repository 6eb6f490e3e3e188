//! Reading an answer the way the reference reads it, within bounds: the body
//! under a size cap, HTTP errors worded as the reference words them, the
//! `{code, message, data}` envelope, `Retry-After`, redirects not followed,
//! and transport failures described as Python's urllib describes them.

use std::time::Duration;

use lovart_wire::envelope::{self, ErrorBody, Opened};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

use super::error::{ApiError, ApiErrorKind};
use crate::python::{is_truthy, py_str};

/// Longest wait a `Retry-After` header can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The largest API answer read; real answers are a few KiB.
pub(crate) const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

pub(super) fn is_retried_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 404 | 429 | 502 | 503)
}

/// Why an attempt got no usable answer.
pub(super) enum Failure {
    /// urllib's description of a transport failure (retried on a GET).
    Transport(String),
    /// The same, when no connection was made: the request never left.
    Unconnected(String),
    /// The answer is larger than [`MAX_ANSWER_BYTES`] (not retried).
    TooLarge,
}

/// Sends and reads the whole (small) answer; a failure is described the way
/// Python's urllib would describe it.
pub(super) async fn send_and_read(
    request: RequestBuilder,
) -> Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>), Failure> {
    let response = request.send().await.map_err(|error| {
        let reason = describe_transport_error(&error);
        if error.is_connect() {
            Failure::Unconnected(reason)
        } else {
            Failure::Transport(reason)
        }
    })?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = read_capped(response).await?;
    Ok((status, headers, bytes))
}

/// The body of `response`, read chunk by chunk and refused once past
/// [`MAX_ANSWER_BYTES`] (or at once when its Content-Length says so).
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, Failure> {
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
    {
        return Err(Failure::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| Failure::Transport(describe_transport_error(&error)))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(Failure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads an answer of a call that is not retried (an upload) under the same
/// cap; `Err` is the message to show.
pub async fn read_answer(response: reqwest::Response, call: &str) -> Result<Vec<u8>, String> {
    read_capped(response)
        .await
        .map_err(|failure| match failure {
            Failure::Transport(reason) | Failure::Unconnected(reason) => reason,
            Failure::TooLarge => format!(
                "the answer to {call} is larger than {} MiB",
                MAX_ANSWER_BYTES / (1024 * 1024)
            ),
        })
}

/// A 3xx the client did not follow: to another origin, or of a POST.
pub(crate) fn unfollowed_redirect(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    method: &Method,
    path: &str,
) -> ApiError {
    let target = headers
        .get(reqwest::header::LOCATION)
        .map(|location| String::from_utf8_lossy(location.as_bytes()).into_owned());
    let why = if *method == Method::GET {
        "another origin"
    } else {
        "a POST is never redirected"
    };
    let message = match target {
        Some(target) => format!(
            "the answer to {method} {path} is a redirect ({}) to {target}; not followed ({why})",
            status.as_u16()
        ),
        None => format!(
            "the answer to {method} {path} is a redirect ({}) without a Location",
            status.as_u16()
        ),
    };
    ApiError {
        kind: ApiErrorKind::Http,
        message,
        status: Some(status.as_u16()),
        retry_after: None,
        code: None,
        unsent: false,
    }
}

/// `<urlopen error [Errno 111] Connection refused>`, `timed out`, … as urllib says them.
pub(crate) fn describe_transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_string();
    }
    match find_io_error(error) {
        Some(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "<urlopen error [Errno 111] Connection refused>".to_string()
            }
            std::io::ErrorKind::TimedOut => "timed out".to_string(),
            _ => format!("<urlopen error {io}>"),
        },
        None => format!("<urlopen error {}>", describe_request_error(error)),
    }
}

/// A failed request in plain words: `timed out`, or the innermost cause
/// (`Connection refused (os error 111)`, `invalid peer certificate: …`).
pub fn describe_request_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_string();
    }
    let mut innermost = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        innermost = cause.to_string();
        source = cause.source();
    }
    innermost
}

fn find_io_error(error: &reqwest::Error) -> Option<&std::io::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = cause.source();
    }
    None
}

/// `Retry-After` in seconds or as an HTTP date, capped at a minute.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let when = httpdate::parse_http_date(text).ok()?;
            when.duration_since(std::time::SystemTime::now())
                .unwrap_or_default()
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The message of an HTTP error answer: the body's `message` (else `error`,
/// else urllib's `HTTP Error <status>: <reason>`), then `: details` when the
/// body has non-empty details; `HTTP <status>: <body>` when the body is not a
/// JSON object.
pub(crate) fn http_error(status: StatusCode, body: &[u8]) -> ApiError {
    let fields = crate::python::loads_bytes(body)
        .ok()
        .and_then(ErrorBody::from_value);
    let message = match &fields {
        Some(fields) => {
            let mut message = match fields.message.as_ref().or(fields.error.as_ref()) {
                Some(value) => py_str(value),
                None => format!(
                    "HTTP Error {}: {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                ),
            };
            if let Some(details) = fields.details.as_ref().filter(|details| is_truthy(details)) {
                message = format!("{message}: {}", py_str(details));
            }
            message
        }
        None => format!(
            "HTTP {}: {}",
            status.as_u16(),
            String::from_utf8_lossy(body)
        ),
    };
    ApiError {
        kind: ApiErrorKind::Http,
        message,
        status: Some(status.as_u16()),
        retry_after: None,
        code: fields.and_then(|fields| fields.code),
        unsent: false,
    }
}

pub(crate) fn unwrap_envelope(body: &[u8], method: &Method, path: &str) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        ApiError::malformed(format!("the answer to {method} {path} is not UTF-8 text"))
    })?;
    let answer: Value = crate::python::loads(text).map_err(|_| {
        let mut preview: String = text.trim().chars().take(80).collect();
        if preview.is_empty() {
            preview = "an empty body".to_string();
        }
        ApiError::malformed(format!(
            "the answer to {method} {path} is not JSON: {preview}"
        ))
    })?;
    match envelope::open(answer) {
        Opened::Data(data) => Ok(data),
        Opened::Failure { code, message } => {
            let mut error = ApiError::new(
                ApiErrorKind::Envelope,
                message.map_or_else(|| "Unknown error".to_string(), |message| py_str(&message)),
            );
            error.code = Some(code);
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_returns_data_or_whole_answer() {
        let data = unwrap_envelope(br#"{"code":0,"data":{"a":1}}"#, &Method::GET, "/p").unwrap();
        assert_eq!(data, json!({"a": 1}));
        let whole = unwrap_envelope(br#"{"valid":true}"#, &Method::GET, "/p").unwrap();
        assert_eq!(whole, json!({"valid": true}));
    }

    #[test]
    fn envelope_code_follows_python_comparison() {
        assert!(unwrap_envelope(br#"{"code":false,"data":1}"#, &Method::GET, "/p").is_ok());
        assert!(unwrap_envelope(br#"{"code":0.0,"data":1}"#, &Method::GET, "/p").is_ok());
        let error =
            unwrap_envelope(br#"{"code":"0","message":"no"}"#, &Method::GET, "/p").unwrap_err();
        assert_eq!(error.message, "no");
        let error = unwrap_envelope(br#"{"code":5}"#, &Method::GET, "/p").unwrap_err();
        assert_eq!(error.message, "Unknown error");
        let error =
            unwrap_envelope(br#"{"code":5,"message":null}"#, &Method::GET, "/p").unwrap_err();
        assert_eq!(error.message, "None");
    }

    #[test]
    fn non_json_success_is_a_clear_error() {
        let error = unwrap_envelope(
            b"<html>oops</html>",
            &Method::GET,
            "/v1/openapi/chat/status",
        )
        .unwrap_err();
        assert_eq!(
            error.message,
            "the answer to GET /v1/openapi/chat/status is not JSON: <html>oops</html>"
        );
    }

    #[test]
    fn http_error_messages_match_the_reference() {
        let status = StatusCode::PAYMENT_REQUIRED;
        let body = br#"{"message":"Insufficient credits","details":"need 40, have 3"}"#;
        assert_eq!(
            http_error(status, body).message,
            "Insufficient credits: need 40, have 3"
        );
        assert_eq!(
            http_error(status, br#"{"error":"nope","details":""}"#).message,
            "nope"
        );
        assert_eq!(
            http_error(StatusCode::CONFLICT, b"{}").message,
            "HTTP Error 409: Conflict"
        );
        assert_eq!(
            http_error(StatusCode::BAD_GATEWAY, b"<h1>bad</h1>").message,
            "HTTP 502: <h1>bad</h1>"
        );
        assert_eq!(
            http_error(StatusCode::BAD_REQUEST, b"[1]").message,
            "HTTP 400: [1]"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert("retry-after", "3600".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER));
        let past = httpdate::fmt_http_date(std::time::SystemTime::UNIX_EPOCH);
        headers.insert("retry-after", past.parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    }

    /// Answers a server could send; none may panic, each decodes or is an error.
    const CORPUS: &[&[u8]] = &[
        b"",
        b" ",
        b"null",
        b"[]",
        b"{}",
        b"0",
        b"\"text\"",
        b"<html><body>502</body></html>",
        br#"{"code":0}"#,
        br#"{"code":0,"data":null}"#,
        br#"{"code":null}"#,
        br#"{"code":[]}"#,
        br#"{"code":1e999,"message":{"nested":[1,2]}}"#,
        br#"{"code":0,"data":{"a":1.0e5,"b":-0}}"#,
        br#"{"code":0,"data":"\ud83d\ude00"}"#,
        br#"{"code":0,"data":"\ud800"}"#,
        br#"{"code":0,"data":{"x":NaN}}"#,
        br#"{"message":null,"details":[1]}"#,
        b"\xff\xfe\x00",
        br#"{"code":0,"data":{"a":1,"a":2}}"#,
        b"{\"code\":0,\"data\":[[[[[[[[[[[[]]]]]]]]]]]]}",
    ];

    /// The same JSON, numbers compared by value (`1.0e5` is `100000.0`).
    fn same_json(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((kx, vx), (ky, vy))| kx == ky && same_json(vx, vy))
            }
            _ => a == b,
        }
    }

    fn decode_everything(body: &[u8]) {
        if let Ok(value) = unwrap_envelope(body, &Method::GET, "/v1/openapi/chat/result") {
            // Both dumps read back as the decoded value, in order; only a
            // number too big for a float becomes Python's `Infinity`.
            for text in [
                crate::python::dumps_pretty(&value, true),
                crate::python::dumps_compact(&value, false),
            ] {
                match serde_json::from_str::<Value>(&text) {
                    Ok(again) => assert!(same_json(&again, &value), "{text}"),
                    Err(_) => assert!(text.contains("Infinity"), "{text}"),
                }
            }
            assert!(value.is_string() || !py_str(&value).is_empty());
        }
        for status in [400, 401, 402, 404, 409, 429, 500, 502, 503] {
            let error = http_error(StatusCode::from_u16(status).unwrap(), body);
            assert!(error.message.is_char_boundary(error.message.len()));
        }
    }

    #[test]
    fn corpus_of_odd_answers_decodes_without_panic() {
        for body in CORPUS {
            decode_everything(body);
        }
    }

    /// A deterministic fuzz pass: random bytes, and corpus entries with random
    /// bytes flipped, through every decoding path.
    #[test]
    fn random_answers_decode_without_panic() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..3000 {
            let mut body: Vec<u8> = if round % 2 == 0 {
                CORPUS[(next() as usize) % CORPUS.len()].to_vec()
            } else {
                (0..(next() % 64)).map(|_| next() as u8).collect()
            };
            if !body.is_empty() {
                for _ in 0..(next() % 4) {
                    let at = (next() as usize) % body.len();
                    let alphabet = b"{}[]\":,0e-.\\u";
                    body[at] = alphabet[(next() as usize) % alphabet.len()];
                }
            }
            decode_everything(&body);
        }
    }
}
