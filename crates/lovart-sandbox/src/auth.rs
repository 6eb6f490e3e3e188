//! Signature checks, as the gateway does them.
//!
//! Every `/v1/openapi/…` path but the public catalog needs `X-Access-Key`,
//! `X-Timestamp` and `X-Signature` = hex HMAC-SHA256(SK, `METHOD\nPATH\nTS`)
//! over the request's own method and path (query left out), the timestamp
//! within ±300 s of the server clock. `X-Signed-Method` / `X-Signed-Path`,
//! when sent, must name that same method and path. Failures answer 401.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::reply::Failure;
use super::world::World;
use lovart_wire::paths::header as wire_header;
use lovart_wire::sign::signature;

/// Largest accepted distance between the request's and the server's clocks.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// Paths answered without a signature.
fn is_public(path: &str) -> bool {
    use lovart_wire::paths::{PATH_PREFIX, TOOLS_CATALOG, full};
    !path
        .strip_prefix(PATH_PREFIX)
        .is_some_and(|rest| rest.starts_with('/'))
        || path == full(TOOLS_CATALOG)
}

/// Middleware: 401 unless the request is public or correctly signed.
pub async fn verify(State(world): State<Arc<World>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if is_public(path) {
        return next.run(request).await;
    }
    match check(&world, request.method().as_str(), path, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(failure) => failure.into_response(),
    }
}

fn check(world: &World, method: &str, path: &str, headers: &HeaderMap) -> Result<(), Failure> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (Some(access_key), Some(timestamp), Some(sent_signature)) = (
        header(wire_header::ACCESS_KEY),
        header(wire_header::TIMESTAMP),
        header(wire_header::SIGNATURE),
    ) else {
        return Err(Failure::unauthorized("missing signature headers")
            .details("X-Access-Key, X-Timestamp and X-Signature are required"));
    };
    if access_key != world.options.access_key {
        return Err(Failure::unauthorized("invalid access key"));
    }
    let Ok(seconds) = timestamp.trim().parse::<i64>() else {
        return Err(
            Failure::unauthorized("invalid timestamp").details("X-Timestamp must be Unix seconds")
        );
    };
    let skew = seconds.saturating_sub(world.unix_now());
    // `unsigned_abs`: a time near i64::MIN must not wrap back into range.
    if skew.unsigned_abs() > MAX_SKEW_SECONDS.unsigned_abs() {
        return Err(Failure::unauthorized("timestamp expired").details(format!(
            "the request's clock is {skew:+} s off the server's (limit ±{MAX_SKEW_SECONDS} s): \
             check the system clock for skew"
        )));
    }
    if header(wire_header::SIGNED_METHOD).is_some_and(|signed| signed != method)
        || header(wire_header::SIGNED_PATH).is_some_and(|signed| signed != path)
    {
        return Err(Failure::unauthorized("invalid signature")
            .details("X-Signed-Method / X-Signed-Path do not match the request"));
    }
    let expected = signature(&world.options.secret_key, method, path, timestamp);
    if !constant_time_eq(
        expected.as_bytes(),
        sent_signature.to_ascii_lowercase().as_bytes(),
    ) {
        return Err(Failure::unauthorized("invalid signature"));
    }
    Ok(())
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}
