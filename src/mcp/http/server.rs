//! The HTTP server itself: the listener, rmcp's stateless Streamable HTTP
//! service behind [`gate`]'s checks, `GET /healthz`, and the drain on SIGTERM
//! (see [`super`] for the whole).

use super::{auth, connection, files, gate, limits};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;

use super::super::shutdown::{Draining, Stopping, stop_signal};
use super::super::{LovartServer, Serving};
use files::FilePolicy;
use gate::Gate;
use lovart_core::settings::Settings;

pub use auth::{TOKEN_ENV, Tokens};

/// The address `--http` listens on when given none.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8733";
/// The longest a drain waits for calls in flight before the process exits.
pub const DRAIN_GRACE: Duration = Duration::from_secs(30);

/// How `lovart mcp --http` was asked to run.
#[derive(Debug)]
pub struct HttpOptions {
    pub addr: String,
    pub tokens: Option<Tokens>,
    /// `--allow-origin`: browser origins allowed besides loopback pages.
    pub allowed_origins: Vec<String>,
    /// The server's output folder: every download goes under it.
    pub output_dir: PathBuf,
    /// Requests of one client in flight at once.
    pub client_concurrency: usize,
    /// Requests of one client per minute (0: no cap).
    pub client_rate: u32,
}

/// Serves MCP over HTTP until SIGTERM or Ctrl-C, then drains.
pub async fn serve_http(ctx: Settings, options: HttpOptions) -> Result<()> {
    let addr = resolve(&options.addr).await?;
    if !addr.ip().is_loopback() && options.tokens.is_none() {
        bail!(
            "refusing to serve MCP on {addr} without a token: anyone who reaches it could spend \
             the account's credits\nhint: put a long random token in a file and pass \
             --token-file FILE (or set {TOKEN_ENV}); clients then send `Authorization: Bearer \
             <token>`"
        );
    }
    let origins = auth::Origins::new(&options.allowed_origins)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let addr = listener.local_addr().unwrap_or(addr);
    let (switch, draining) = Draining::new();
    let serving = Serving {
        files: FilePolicy::Confined {
            root: std::path::absolute(&options.output_dir).unwrap_or(options.output_dir),
        },
        draining: draining.clone(),
        stopping: Stopping::never(),
        one_client: false,
    };
    let server = LovartServer::new(ctx, serving);
    server.warn_if_unusable();
    let has_tokens = options.tokens.is_some();
    let mcp = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        mcp_config(has_tokens),
    );
    let gate = Arc::new(Gate {
        tokens: options.tokens,
        origins,
        limits: limits::ClientLimits::new(options.client_concurrency, options.client_rate),
        draining: draining.clone(),
        in_flight: Arc::new(AtomicUsize::new(0)),
    });
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route_service("/mcp", mcp)
        .with_state(gate.clone())
        .layer(axum::middleware::from_fn_with_state(
            gate.clone(),
            gate::guard,
        ));
    eprintln!(
        "lovart mcp: serving MCP at http://{addr}/mcp ({}); stop with Ctrl-C or SIGTERM",
        if has_tokens {
            "bearer token required"
        } else {
            "loopback only, no token"
        }
    );
    let accepting = tokio::spawn(connection::accept(listener, app, draining));
    stop_signal().await;
    eprintln!(
        "lovart mcp: draining: {} request(s) in flight; waiting calls answer \"running\"",
        gate.in_flight.load(Ordering::Relaxed)
    );
    switch.start();
    let slots = accepting.await.context("the connection loop failed")?;
    let all_closed = slots.acquire_many(connection::MAX_CONNECTIONS as u32);
    if tokio::time::timeout(DRAIN_GRACE, all_closed).await.is_err() {
        eprintln!(
            "lovart mcp: {} request(s) still running after {}s; exiting (their threads are in \
             the state file)",
            gate.in_flight.load(Ordering::Relaxed),
            DRAIN_GRACE.as_secs()
        );
    }
    eprintln!("lovart mcp: stopped");
    Ok(())
}

/// rmcp's transport: stateless (each POST stands alone), JSON answers unless
/// a call streams progress, the body cap ours. Without tokens (loopback) the
/// `Host` header must name loopback too: a DNS-rebinding page cannot.
fn mcp_config(has_tokens: bool) -> StreamableHttpServerConfig {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(gate::MAX_BODY_BYTES)
        // `gate` checks origins before the token; rmcp need not again.
        .disable_allowed_origins();
    if has_tokens {
        config.disable_allowed_hosts()
    } else {
        config
    }
}

/// `GET /healthz`: 200 while serving, 503 once draining.
async fn healthz(State(gate): State<Arc<Gate>>) -> impl IntoResponse {
    let draining = gate.draining.started();
    let status = if draining {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let body = json!({
        "status": if draining { "draining" } else { "ok" },
        // This request is one of them.
        "in_flight": gate.in_flight.load(Ordering::Relaxed).saturating_sub(1),
        "version": env!("CARGO_PKG_VERSION"),
    });
    (status, axum::Json(body))
}

/// `ADDR` as a socket address (`HOST:PORT`, a name resolved once).
async fn resolve(addr: &str) -> Result<SocketAddr> {
    let mut addresses = tokio::net::lookup_host(addr)
        .await
        .with_context(|| format!("--http {addr}: expected HOST:PORT, e.g. {DEFAULT_ADDR}"))?;
    addresses
        .next()
        .with_context(|| format!("--http {addr}: the name has no address"))
}
