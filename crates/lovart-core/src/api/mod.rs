//! The one client of Lovart's Agent OpenAPI.
//!
//! `client` sends signed requests (the HMAC is the wire contract's) and opens
//! the `{code, message, data}` envelope with the reference's retry rules and
//! error messages; `calls` gives each endpoint a typed method; `upload` the
//! streamed multipart body; `error` the error type commands inspect for hints.

mod answer;
mod calls;
mod client;
mod error;
mod upload;

pub use answer::describe_request_error;
pub use answer::read_answer;
pub(crate) use answer::{http_error, unwrap_envelope};
pub use calls::{SendRequest, ToolConfig};
pub use client::{ApiClient, ClientSettings, build_http_client};
pub use error::{ApiError, ApiErrorKind};
