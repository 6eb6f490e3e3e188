//! The checks every request passes before it reaches MCP, cheapest first,
//! so that a refused request costs nothing and spends nothing:
//!
//! 1. draining (shutdown under way): 503, try again after the restart (only
//!    a request read as the drain starts: the connection loop then takes no
//!    new connection and reads no further request);
//! 2. `Origin` not allowed: 403 (DNS-rebinding defence);
//! 3. no or wrong bearer token, when the server has tokens: 401;
//! 4. a declared body over the cap: 413;
//! 5. the client's concurrency or rate cap: 429 with `Retry-After`;
//! 6. the body read within the cap and a deadline (413 / 408);
//! 7. a POST body that is not JSON: 400 with JSON-RPC's parse error (-32700).
//!
//! Every request, refused or not, gets one access-log line ([`super::log`]),
//! written when its response body is over; the client's place under its
//! concurrency cap is held as long.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::IgnoredAny;
use serde_json::json;

use super::auth::{Origins, Tokens};
use super::limits::{ClientLimits, Refusal};
use super::log::AccessEntry;
use crate::mcp::shutdown::Draining;

/// The largest request body (a tool call's arguments are a few KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long a client may take to send a body.
const BODY_DEADLINE: Duration = Duration::from_secs(30);

/// The address a connection came from (set by the connection loop).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// What the checks need.
pub struct Gate {
    pub tokens: Option<Tokens>,
    pub origins: Origins,
    pub limits: ClientLimits,
    pub draining: Draining,
    /// Requests under way (for `/healthz`).
    pub in_flight: Arc<AtomicUsize>,
}

/// The middleware: runs the checks, then the request, and logs it.
pub async fn guard(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<PeerAddr>()
        .map_or_else(|| "-".to_string(), |peer| peer.0.ip().to_string());
    let path = request.uri().path().to_string();
    let mut entry = AccessEntry::start(
        request.method().as_str(),
        &path,
        peer.clone(),
        gate.in_flight.clone(),
    );
    let response = if path == "/healthz" {
        next.run(request).await
    } else {
        match admit(&gate, request, &mut entry, &peer).await {
            Ok((request, permit)) => {
                let response = next.run(request).await;
                let status = response.status();
                entry.set_status(status.as_u16());
                return hold_until_sent(response, (entry, permit));
            }
            Err(refused) => refused,
        }
    };
    entry.set_status(response.status().as_u16());
    hold_until_sent(response, entry)
}

/// Runs the checks; the request (its body read) and the client's permit, or
/// the refusal.
async fn admit(
    gate: &Gate,
    request: Request,
    entry: &mut AccessEntry,
    peer: &str,
) -> Result<(Request, tokio::sync::OwnedSemaphorePermit), Response> {
    if gate.draining.started() {
        let mut refused = refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down; retry after its restart",
        );
        refused
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return Err(refused);
    }
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN)
        && !gate.origins.allow(origin.as_bytes())
    {
        return Err(refusal(StatusCode::FORBIDDEN, "this Origin is not allowed"));
    }
    let client: Arc<str> = match &gate.tokens {
        Some(tokens) => {
            let authorization = headers
                .get(header::AUTHORIZATION)
                .map(HeaderValue::as_bytes);
            let Some(client) = tokens.client_of(authorization) else {
                let mut refused = refusal(
                    StatusCode::UNAUTHORIZED,
                    "a valid `Authorization: Bearer <token>` header is required",
                );
                refused.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"lovart\""),
                );
                return Err(refused);
            };
            client
        }
        None => Arc::from(peer),
    };
    entry.set_client(&client);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let permit = gate.limits.admit(&client).map_err(|refused| {
        let (message, retry_after) = match refused {
            Refusal::Busy => ("too many requests of this client at once", 1),
            Refusal::TooFast(wait) => (
                "too many requests of this client this minute",
                wait.as_secs().saturating_add(1),
            ),
        };
        let mut response = refusal(StatusCode::TOO_MANY_REQUESTS, message);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        response
    })?;
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(BODY_DEADLINE, Limited::new(body, MAX_BODY_BYTES).collect());
    let bytes = match read.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.is::<LengthLimitError>() => return Err(too_large()),
        Ok(Err(_)) => {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                "the body could not be read",
            ));
        }
        Err(_) => {
            return Err(refusal(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time",
            ));
        }
    };
    entry.set_call(&bytes);
    if parts.method == Method::POST && serde_json::from_slice::<IgnoredAny>(&bytes).is_err() {
        return Err(parse_error());
    }
    Ok((Request::from_parts(parts, Body::from(bytes)), permit))
}

/// A body that is not JSON: 400 with JSON-RPC's parse error (no id can be read).
fn parse_error() -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": -32700, "message": "Parse error: the request body is not JSON"},
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn too_large() -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the request body is over {MAX_BODY_BYTES} bytes"),
    )
}

fn refusal(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

/// `response` with `held` kept alive until its body has been sent (or dropped).
fn hold_until_sent<T: Send + Sync + 'static>(response: Response, held: T) -> Response {
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _held = &held;
            frame
        }))
    })
}
