//! Signed requests, the response envelope, retries.
//!
//! The rules are the reference's: a GET is tried 3 times (on HTTP 404, 429,
//! 502, 503 and connection errors, 2 s then 4 s apart, or what `Retry-After`
//! asks, up to 60 s), a POST exactly once since a retried `POST /chat` bills
//! twice; every attempt is signed anew. A non-zero `code` is an error even on
//! HTTP 200, and the value of a call is its `data`, or the whole answer.
//!
//! What a hostile network cannot do: make an attempt outlast `--timeout`
//! (connect, headers and body together), make an answer cost more than
//! [`MAX_ANSWER_BYTES`] of memory, or lead the signature headers to another
//! origin (a GET follows redirects within its origin only, a POST none).

use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use lovart_wire::paths::{PATH_PREFIX, USER_AGENT, header};
use lovart_wire::sign;

use super::answer::{
    Failure, MAX_ANSWER_BYTES, http_error, is_retried_status, retry_after, send_and_read,
    unfollowed_redirect, unwrap_envelope,
};
use super::error::{ApiError, ApiErrorKind};
use crate::python::{dumps_compact, urlencode};
use crate::timing::Waits;

/// How many same-origin redirects a GET follows (urllib's limit).
const MAX_REDIRECTS: usize = 10;

/// What a client needs to know ([`crate::settings::Settings::api`] fills it).
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// `scheme://host[:port]`, without `/v1/openapi` (a trailing `/` is dropped).
    pub base_url: String,
    /// The access key, sent as `X-Access-Key`.
    pub access_key: String,
    /// The secret key that signs each request (never sent).
    pub secret_key: String,
    /// Per-attempt limit: connect, headers and the whole body.
    pub timeout: Duration,
    /// No certificate checks (`LOVART_INSECURE_SSL=1`).
    pub insecure_tls: bool,
    /// The pauses between GET retries.
    pub waits: Waits,
}

/// The signed API client. Cheap to clone; one connection pool per method kind.
#[derive(Debug, Clone)]
pub struct ApiClient {
    /// For GETs: follows redirects within the origin only.
    pub(crate) http: reqwest::Client,
    /// For POSTs: follows no redirect (a 307 would re-post a billable body).
    pub(crate) http_post: reqwest::Client,
    pub(crate) settings: ClientSettings,
    /// No retry starts after this instant (a waiting command's deadline).
    deadline: Option<tokio::time::Instant>,
}

/// A reqwest client with the reference's network behaviour: proxies from the
/// environment, the system's roots (or none checked with `LOVART_INSECURE_SSL=1`),
/// and `timeout` as a socket-style timeout. It follows redirects within the
/// first URL's origin only, and never adds a `Referer`.
pub fn build_http_client(timeout: Duration, insecure_tls: bool) -> anyhow::Result<reqwest::Client> {
    build_client(timeout, insecure_tls, same_origin_redirects())
}

fn build_client(
    timeout: Duration,
    insecure_tls: bool,
    redirects: reqwest::redirect::Policy,
) -> anyhow::Result<reqwest::Client> {
    use anyhow::Context;
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .danger_accept_invalid_certs(insecure_tls)
        .redirect(redirects)
        .referer(false)
        .build()
        .context("cannot set up the HTTP client")
}

/// Follows a redirect only to the origin (scheme, host, port) of the first
/// request: signature headers and keys never reach another server.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

impl ApiClient {
    /// A client for `settings`. Fails when the base URL is not an http(s)
    /// URL, or the TLS set-up fails; nothing is sent yet.
    pub fn new(mut settings: ClientSettings) -> anyhow::Result<Self> {
        settings.base_url = settings.base_url.trim_end_matches('/').to_string();
        let probe = format!("{}{PATH_PREFIX}", settings.base_url);
        match reqwest::Url::parse(&probe) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            Ok(url) => anyhow::bail!(
                "invalid base URL '{}': scheme '{}' is not http or https",
                settings.base_url,
                url.scheme()
            ),
            Err(why) => anyhow::bail!("invalid base URL '{}': {why}", settings.base_url),
        }
        let http = build_http_client(settings.timeout, settings.insecure_tls)?;
        let http_post = build_client(
            settings.timeout,
            settings.insecure_tls,
            reqwest::redirect::Policy::none(),
        )?;
        Ok(Self {
            http,
            http_post,
            settings,
            deadline: None,
        })
    }

    /// The same client, but no retry of a call starts after `deadline`: a
    /// waiting command ends at most one attempt after its deadline.
    pub fn until(&self, deadline: tokio::time::Instant) -> Self {
        Self {
            deadline: Some(deadline),
            ..self.clone()
        }
    }

    /// Whether a retry after `wait` would start past the deadline.
    fn past_deadline_after(&self, wait: Duration) -> bool {
        self.deadline
            .is_some_and(|deadline| tokio::time::Instant::now() + wait >= deadline)
    }

    /// The wait before retrying a call whose attempt got no answer, `None`
    /// when that was the last attempt (or a retry would pass the deadline).
    fn retry_wait(&self, attempt: u32, last_attempt: &mut bool) -> Option<Duration> {
        let wait = self.settings.waits.get_retry(attempt);
        *last_attempt = *last_attempt || self.past_deadline_after(wait);
        (!*last_attempt).then_some(wait)
    }

    /// The full URL of an API path (given without the `/v1/openapi` prefix).
    pub fn url(&self, path: &str) -> String {
        format!("{}{PATH_PREFIX}{path}", self.settings.base_url)
    }

    /// A request with the five signature headers for `path` (without query).
    pub(crate) fn signed(&self, method: Method, url: &str, signed_path: &str) -> RequestBuilder {
        let timestamp = sign::timestamp_now();
        let headers = sign::signed_headers(
            &self.settings.access_key,
            &self.settings.secret_key,
            method.as_str(),
            signed_path,
            &timestamp,
        );
        let http = if method == Method::GET {
            &self.http
        } else {
            &self.http_post
        };
        let mut request = http.request(method, url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
    }

    /// A signed GET of an API `path` (without `/v1/openapi`) with `query`
    /// pairs: up to 3 attempts, the envelope opened, its `data` (or the whole
    /// answer) returned.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, ApiError> {
        self.call(Method::GET, path, query, None, None).await
    }

    /// A POST with a fresh Idempotency-Key.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.call(Method::POST, path, &[], Some(body), None).await
    }

    /// A POST with the caller's Idempotency-Key (a journaled batch row sent
    /// again after a crash must reuse its key, so the server bills it once).
    pub async fn post_with_key(
        &self,
        path: &str,
        body: &Value,
        key: &str,
    ) -> Result<Value, ApiError> {
        self.call(Method::POST, path, &[], Some(body), Some(key))
            .await
    }

    /// One logical call: attempts, envelope, `data`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<Value, ApiError> {
        let signed_path = format!("{PATH_PREFIX}{path}");
        let mut url = format!("{}{signed_path}", self.settings.base_url);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&urlencode(query));
        }
        let attempts: u32 = if method == Method::GET { 3 } else { 1 };
        let idempotency_key = (method == Method::POST)
            .then(|| key.map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_string));
        let payload = body.map(|body| dumps_compact(body, true));

        let mut attempt = 0;
        let answer = loop {
            attempt += 1;
            let mut last_attempt = attempt >= attempts;
            let mut request = self
                .signed(method.clone(), &url, &signed_path)
                .header("Content-Type", "application/json")
                .header("User-Agent", USER_AGENT);
            if let Some(key) = &idempotency_key {
                request = request.header(header::IDEMPOTENCY_KEY, key);
            }
            if let Some(payload) = &payload {
                request = request.body(payload.clone());
            }
            let read = tokio::time::timeout(self.settings.timeout, send_and_read(request))
                .await
                .unwrap_or_else(|_| Err(Failure::Transport("timed out".to_string())));
            match read {
                Ok((status, _, bytes)) if status.is_success() => break bytes,
                Ok((status, headers, _)) if status.is_redirection() => {
                    return Err(unfollowed_redirect(status, &headers, &method, &signed_path));
                }
                Ok((status, headers, bytes)) => {
                    let retry_after = retry_after(&headers);
                    let wait = retry_after.map_or_else(
                        || self.settings.waits.get_retry(attempt),
                        |asked| self.settings.waits.seconds(asked.as_secs_f64()),
                    );
                    if is_retried_status(status) && !last_attempt && !self.past_deadline_after(wait)
                    {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let mut error = http_error(status, &bytes);
                    error.retry_after = retry_after;
                    return Err(error);
                }
                Err(Failure::TooLarge) => {
                    return Err(ApiError::malformed(format!(
                        "the answer to {method} {signed_path} is larger than {} MiB",
                        MAX_ANSWER_BYTES / (1024 * 1024)
                    )));
                }
                Err(Failure::Transport(reason)) => {
                    if let Some(wait) = self.retry_wait(attempt, &mut last_attempt) {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(connection_failed(attempt, &reason, false));
                }
                Err(Failure::Unconnected(reason)) => {
                    if let Some(wait) = self.retry_wait(attempt, &mut last_attempt) {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(connection_failed(attempt, &reason, true));
                }
            }
        };
        unwrap_envelope(&answer, &method, &signed_path)
    }
}

/// urllib's final error after attempts without an answer; `unsent` when no
/// connection was made, so the request never reached the server.
fn connection_failed(attempts: u32, reason: &str, unsent: bool) -> ApiError {
    let mut error = ApiError::new(
        ApiErrorKind::Connection,
        format!("Connection failed after {attempts} attempts: {reason}"),
    );
    error.unsent = unsent;
    error
}
