//! The connection loop: HTTP/1.1 connections up to a cap, each with a
//! header-read timeout (which also ends a keep-alive connection left idle),
//! told to close gracefully when the server drains: the request in flight
//! on it finishes, no new one is read.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_service::Service;

use super::gate::PeerAddr;
use crate::mcp::shutdown::Draining;

/// Connections served at once; more wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 1024;
/// How long a client may take to send a request's headers, and keep an idle
/// connection open.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts connections until the drain starts; returns the cap's semaphore,
/// whose permits all come back once every connection has closed.
pub async fn accept(listener: TcpListener, app: Router, draining: Draining) -> Arc<Semaphore> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("never closed"),
            () = draining.until_started() => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = draining.until_started() => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                tokio::spawn(serve(stream, peer, app.clone(), draining.clone(), permit));
            }
            // Out of file descriptors and the like: pause rather than spin.
            Err(error) => {
                eprintln!("lovart mcp: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    slots
}

/// Serves one connection until the client leaves, a timeout, or the drain.
async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    draining: Draining,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(PeerAddr(peer));
        app.clone().call(request.map(Body::new))
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        () = draining.until_started() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}
