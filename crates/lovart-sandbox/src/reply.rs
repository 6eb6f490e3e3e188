//! The shapes of the API's answers: the `{code, message, data}` envelope and
//! HTTP errors with a `{code, message, details?}` JSON body.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A successful answer: `{"code": 0, "message": "ok", "data": data}`.
pub fn ok(data: Value) -> Response {
    axum::Json(lovart_wire::envelope::success(data)).into_response()
}

/// An HTTP error answer.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
    details: Option<String>,
    retry_after: Option<u64>,
    /// The body's `code`: the HTTP status unless the API has its own.
    code: Option<i64>,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            details: None,
            retry_after: None,
            code: None,
        }
    }

    /// The API's own `code` in the body (e.g. 2011 thread busy), as the real
    /// gateway sends it, while the HTTP status stays.
    pub fn code(mut self, code: i64) -> Self {
        self.code = Some(code);
        self
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = lovart_wire::envelope::error_body(
            self.code.unwrap_or(i64::from(self.status.as_u16())),
            &self.message,
            self.details.as_deref(),
        );
        let mut headers = HeaderMap::new();
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        (self.status, headers, axum::Json(body)).into_response()
    }
}

/// The answer to a path the API does not have.
pub async fn no_such_route() -> Failure {
    Failure::not_found("not found")
}
