//! The request journal and injected faults: what tests see of the wire.
//!
//! Every request is recorded with its status once the handler has answered:
//! method, path, query, headers, the first 64 KiB of the body and its total
//! length (counted as the handler streams it, so a 1 GiB upload costs 64 KiB).
//! A [`Fault`] answers the next requests to one method and path in place of the
//! server, before any check, so tests can stage 401s, 429s, 503s, HTML error
//! pages or bodies that are not JSON; a faulted request changes nothing (its
//! body is still read, so it is recorded like any other).
//!
//! The journal is bounded: it keeps the newest [`MAX_RECORDED`] requests
//! within [`MAX_RECORDED_BYTES`], each header value cut at [`MAX_HEADER_VALUE`]
//! bytes, and a request answered 401 (unsigned, or signed wrong) is kept only
//! as its method, path, status and signature headers, never its body.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::Value;

/// How much of each request body is kept.
pub const BODY_HEAD: usize = 64 * 1024;
/// How many requests the journal keeps (the oldest go first).
pub const MAX_RECORDED: usize = 10_000;
/// How many bytes of paths, headers and bodies the journal keeps at most.
pub const MAX_RECORDED_BYTES: usize = 64 * 1024 * 1024;
/// How much of one header value (or of a path or query) is kept.
pub const MAX_HEADER_VALUE: usize = 4 * 1024;
/// The headers kept of a request answered 401.
const KEPT_WHEN_UNAUTHORIZED: &[&str] = &[
    "x-access-key",
    "x-timestamp",
    "x-signature",
    "x-signed-method",
    "x-signed-path",
    "user-agent",
    "content-type",
    "content-length",
];

/// One request as the sandbox received and answered it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, `""` when there is none.
    pub query: String,
    /// Header names in lowercase, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The first [`BODY_HEAD`] bytes of the body.
    pub body: Vec<u8>,
    /// The body's full length (its Content-Length when the server did not read it all).
    pub body_len: u64,
    /// The status of the answer.
    pub status: u16,
    /// When the request arrived (tests measure waits between requests with it).
    pub at: std::time::Instant,
}

impl RecordedRequest {
    /// The first header of that name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body parsed as JSON, when it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Roughly what the record costs in memory.
    fn cost(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.len() + value.len() + 48)
            .sum();
        size_of::<Self>() + self.path.len() + self.query.len() + headers + self.body.len()
    }

    /// The record of a request answered 401: no body, only the signature
    /// headers.
    fn unauthorized(mut self) -> Self {
        self.headers
            .retain(|(name, _)| KEPT_WHEN_UNAUTHORIZED.contains(&name.as_str()));
        self.body = Vec::new();
        self
    }
}

/// `text` cut at [`MAX_HEADER_VALUE`] bytes (on a character boundary).
fn clipped(text: &str) -> String {
    let mut end = text.len().min(MAX_HEADER_VALUE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// A canned answer for the next `times` requests to `method` + `path`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: String,
    /// The full path (`/v1/openapi/chat/status`) or the part after `/v1/openapi`.
    pub path: String,
    pub times: usize,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Fault {
    /// Answers once with `status` and an empty body.
    pub fn new(method: &str, path: &str, status: u16) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            times: 1,
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Answers the next `times` matching requests.
    pub fn times(mut self, times: usize) -> Self {
        self.times = times;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// A raw body (set a Content-Type with [`Fault::header`] if it matters).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// A JSON body, with `Content-Type: application/json`.
    pub fn json(self, value: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method == method
            && (self.path == path || path.strip_prefix("/v1/openapi") == Some(self.path.as_str()))
    }

    fn response(&self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Body::from(self.body.clone())).into_response();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// The newest requests, and what they cost.
#[derive(Default)]
struct Recorded {
    requests: VecDeque<RecordedRequest>,
    bytes: usize,
}

#[derive(Default)]
pub struct Journal {
    recorded: Mutex<Recorded>,
    faults: Mutex<Vec<Fault>>,
    /// Print one line per request on stderr (`lovart sandbox --log`).
    log_requests: bool,
}

impl Journal {
    /// An empty journal; `log_requests` prints each request as it is answered.
    pub fn new(log_requests: bool) -> Self {
        Self {
            log_requests,
            ..Self::default()
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        let recorded = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        recorded.requests.iter().cloned().collect()
    }

    pub fn clear(&self) {
        *self.recorded.lock().unwrap_or_else(|p| p.into_inner()) = Recorded::default();
    }

    pub fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            self.faults
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(fault);
        }
    }

    /// The answer of the first fault matching, counting it down.
    fn take_fault(&self, method: &str, path: &str) -> Option<Response> {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let index = faults
            .iter()
            .position(|fault| fault.matches(method, path))?;
        let response = faults[index].response();
        faults[index].times -= 1;
        if faults[index].times == 0 {
            faults.remove(index);
        }
        Some(response)
    }

    /// Records `request`, dropping the oldest past the count or byte bound.
    fn push(&self, request: RecordedRequest) {
        let mut recorded = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        recorded.bytes += request.cost();
        recorded.requests.push_back(request);
        while recorded.requests.len() > MAX_RECORDED
            || (recorded.bytes > MAX_RECORDED_BYTES && recorded.requests.len() > 1)
        {
            match recorded.requests.pop_front() {
                Some(oldest) => recorded.bytes -= oldest.cost(),
                None => break,
            }
        }
    }
}

/// What the tee saw of a body while the handler read it.
#[derive(Default)]
struct BodyTap {
    head: Mutex<Vec<u8>>,
    len: AtomicU64,
    finished: AtomicBool,
}

/// Middleware: answer injected faults, record every request, log if asked.
pub async fn record(State(journal): State<Arc<Journal>>, request: Request, next: Next) -> Response {
    let at = std::time::Instant::now();
    let method = clipped(request.method().as_str());
    let path = clipped(request.uri().path());
    let query = clipped(request.uri().query().unwrap_or_default());
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                clipped(name.as_str()),
                clipped(&String::from_utf8_lossy(value.as_bytes())),
            )
        })
        .collect();
    let declared_len = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());

    let tap = Arc::new(BodyTap::default());
    let (parts, body) = request.into_parts();
    let body = tee(body, tap.clone());
    let response = match journal.take_fault(&method, &path) {
        Some(response) => {
            // Read the body all the same, so that it is recorded.
            body.for_each(|_| async {}).await;
            response
        }
        None => {
            next.run(Request::from_parts(parts, Body::from_stream(body)))
                .await
        }
    };

    let seen = tap.len.load(Ordering::Relaxed);
    let body_len = if tap.finished.load(Ordering::Relaxed) {
        seen
    } else {
        declared_len.unwrap_or(0).max(seen)
    };
    let status = response.status().as_u16();
    if journal.log_requests {
        eprintln!("{method} {path} {status}");
    }
    let mut recorded = RecordedRequest {
        method,
        path,
        query,
        headers,
        body: tap.head.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        body_len,
        status,
        at,
    };
    if status == StatusCode::UNAUTHORIZED.as_u16() {
        recorded = recorded.unauthorized();
    }
    journal.push(recorded);
    response
}

/// The body, unchanged, with its head and length noted in `tap`.
fn tee(
    body: Body,
    tap: Arc<BodyTap>,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Send + 'static {
    let end = tap.clone();
    body.into_data_stream()
        .inspect(move |piece| {
            if let Ok(bytes) = piece {
                tap.len.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                let mut head = tap.head.lock().unwrap_or_else(|p| p.into_inner());
                let room = BODY_HEAD.saturating_sub(head.len());
                head.extend_from_slice(&bytes[..room.min(bytes.len())]);
            }
        })
        .chain(futures_util::stream::poll_fn(move |_| {
            end.finished.store(true, Ordering::Relaxed);
            std::task::Poll::Ready(None)
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: usize, header: usize, status: u16) -> RecordedRequest {
        RecordedRequest {
            method: "GET".into(),
            path: "/v1/openapi/chat/status".into(),
            query: String::new(),
            headers: vec![
                ("x-access-key".into(), "ak".into()),
                ("x-big".into(), "h".repeat(header)),
            ],
            body: vec![b'b'; body],
            body_len: body as u64,
            status,
            at: std::time::Instant::now(),
        }
    }

    #[test]
    fn journal_keeps_only_the_newest_requests() {
        let journal = Journal::default();
        for _ in 0..MAX_RECORDED + 50 {
            journal.push(request(0, 0, 200));
        }
        assert_eq!(journal.requests().len(), MAX_RECORDED);
    }

    #[test]
    fn journal_stays_within_its_byte_bound() {
        let journal = Journal::default();
        // 64 KiB bodies: 2,000 of them would be 128 MiB.
        for _ in 0..2_000 {
            journal.push(request(BODY_HEAD, 0, 200));
        }
        let kept = journal.requests();
        let bytes: usize = kept.iter().map(RecordedRequest::cost).sum();
        assert!(bytes <= MAX_RECORDED_BYTES, "{bytes}");
        assert!(kept.len() > 500 && kept.len() < 2_000, "{}", kept.len());
        journal.clear();
        assert!(journal.requests().is_empty());
        assert_eq!(journal.recorded.lock().unwrap().bytes, 0);
    }

    #[test]
    fn unauthorized_requests_keep_no_body_and_only_signature_headers() {
        let kept = request(1000, 10, 401).unauthorized();
        assert!(kept.body.is_empty());
        assert_eq!(kept.body_len, 1000);
        assert_eq!(kept.headers, vec![("x-access-key".into(), "ak".into())]);
    }

    #[test]
    fn long_values_are_clipped_on_a_character_boundary() {
        assert_eq!(clipped("abc"), "abc");
        assert_eq!(
            clipped(&"x".repeat(MAX_HEADER_VALUE * 2)).len(),
            MAX_HEADER_VALUE
        );
        let wide = "é".repeat(MAX_HEADER_VALUE);
        let cut = clipped(&wide);
        assert!(cut.len() <= MAX_HEADER_VALUE && cut.len() >= MAX_HEADER_VALUE - 1);
    }
}
