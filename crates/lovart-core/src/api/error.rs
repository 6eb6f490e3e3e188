//! What went wrong with an API call.
//!
//! `message` is exactly the text the reference prints after `Error: `; the
//! other fields let a command add a `hint:` line without parsing that text.

use std::fmt;
use std::time::Duration;

/// Which way an API call failed; decides retries, hints and the error kind a
/// program reads ([`crate::failure::Kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// The server answered with an HTTP error status.
    Http,
    /// HTTP 2xx, but the envelope's `code` is not 0.
    Envelope,
    /// No answer: refused, reset, timed out, TLS failure.
    Connection,
    /// An answer that is not the JSON the call needs.
    Malformed,
    /// The call does not apply to the thread as it stands (a confirm with no
    /// step waiting for one): asking again will not help.
    NotApplicable,
}

/// A failed API call, as [`crate::api::ApiClient`]'s methods return it.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Which way it failed.
    pub kind: ApiErrorKind,
    /// The whole message (also what `Display` writes): the server's own
    /// `message` for an HTTP error, or e.g. `Connection failed after 3
    /// attempts: timed out`.
    pub message: String,
    /// HTTP status of the failed answer, when there was one.
    pub status: Option<u16>,
    /// `Retry-After` of the failed answer.
    pub retry_after: Option<Duration>,
    /// The server's own `code` from the error body or envelope, when it sent one.
    pub code: Option<serde_json::Value>,
    /// The request provably never reached the server (the connection itself
    /// failed): a POST that failed so started nothing.
    pub unsent: bool,
}

impl ApiError {
    /// An error of `kind` with `message` and no other facts.
    pub(crate) fn new(kind: ApiErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            retry_after: None,
            code: None,
            unsent: false,
        }
    }

    /// An answer that is not the JSON the call needs ([`ApiErrorKind::Malformed`]).
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::new(ApiErrorKind::Malformed, message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}
