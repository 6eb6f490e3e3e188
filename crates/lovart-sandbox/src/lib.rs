//! `lovart sandbox`: a local Lovart Agent OpenAPI server.
//!
//! Serves every endpoint the client uses, checks signatures, keeps projects and
//! threads in memory, plays scenarios chosen by words in the prompt, and serves
//! the artifacts it generates. The integration tests run this same server, in
//! process, through [`SandboxHandle`].
//!
//! Layout: [`world`] is the state; [`scenario`] reads prompts and says how a
//! generation unfolds, [`thread`] plays it; [`api`] and [`files`] are the
//! handlers; [`auth`] checks signatures; [`journal`] records requests and
//! answers injected faults; [`media`] and [`png`] make real files; [`catalog`]
//! is the model list.
//!
//! # Scenarios
//!
//! See [`SCENARIO_HELP`], which `lovart sandbox --help` prints; [`scenario`]
//! holds the keywords.

mod api;
mod auth;
mod files;
mod handle;
mod journal;
mod limits;
mod media;
mod multipart;
mod png;
mod reply;
mod scenario;
mod thread;
mod world;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub use handle::SandboxHandle;
pub use journal::{Fault, RecordedRequest};
pub use limits::RateLimits;

use world::World;

/// `lovart sandbox --help` text after the options: keys, scenarios, timings.
pub const SCENARIO_HELP: &str = "\
Point a shell at it:
  export LOVART_BASE_URL=http://127.0.0.1:8731
  export LOVART_ACCESS_KEY=ak_sandbox LOVART_SECRET_KEY=sk_sandbox
Keys: LOVART_ACCESS_KEY / LOVART_SECRET_KEY of the sandbox's own environment
when both are set, else ak_sandbox / sk_sandbox. Signatures, and timestamps
within 300 s, are checked as the real API does.

Scenarios, by words in the prompt (case-insensitive, whole words):
  (anything else)          one PNG image
  variations, 4 images     four PNGs, one more in the result at each step
  video                    asks to confirm 40 credits (generate_video_kling_v3);
                           `lovart confirm` then makes an MP4 (no question
                           after `lovart set-mode --unlimited`)
  music, bgm, song, audio  a WAV
  3d, model                a GLB (glTF binary)
  refuse                   an assistant text only, no artifact
  abort                    ends with status abort
  forever                  stays running (another send to it: 409 Thread is busy)
  expensive, 402           the send answers 402 Insufficient credits
  flaky                    first status and first result answer 503 once
  noext                    artifact URLs without a file extension
  brokenlink               one more artifact whose URL answers 404
  bigfile                  the first artifact is a 64 MiB PNG, streamed
  slowfile                 artifact files trickle out (16 KiB every 100 ms)
The last five combine with the others.

Rate limits, per access key, as the API's: chat (POST /chat, /chat/confirm)
60 a minute and 600 an hour; query (every other call) 300 a minute and 3000
an hour; past either window, 429 with Retry-After: 60 (not counted). A second
send into a thread still running answers 409. POST /chat honours
Idempotency-Key: the same key gets the same thread again, no second job.

Timing: a step is 1.5 s; with --fast, each status poll of the thread is one
step. An image is done at step 2; variations show one more image per step and
are done at step 4; a video asks to confirm at step 2 and is done at step 2
after the confirmation.";

/// Who may call the sandbox, and how fast it generates.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub access_key: String,
    pub secret_key: String,
    /// One step per `GET /chat/status` instead of one per 1.5 s.
    pub fast: bool,
    /// Print `METHOD PATH STATUS` on stderr for every request.
    pub log_requests: bool,
    /// The per-key rate limits (the documented tiers unless changed).
    pub limits: RateLimits,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            access_key: "ak_sandbox".to_string(),
            secret_key: "sk_sandbox".to_string(),
            fast: false,
            log_requests: false,
            limits: RateLimits::default(),
        }
    }
}

/// How long requests still in flight (a slow download) may finish after the
/// shutdown signal before the server stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Runs the sandbox on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    options: SandboxOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let world = Arc::new(World::new(options)?);
    run(listener, world, shutdown).await
}

async fn run(
    listener: tokio::net::TcpListener,
    world: Arc<World>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let signal = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        // A dropped sender also means stop.
        let _ = stopped.wait_for(|&stop| stop).await;
    };
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    let server =
        axum::serve(listener, router(world)).with_graceful_shutdown(signal(stopped.clone()));
    tokio::select! {
        result = server.into_future() => result.context("the sandbox server failed"),
        () = async {
            signal(stopped).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}

fn router(world: Arc<World>) -> Router {
    use lovart_wire::paths::{self, full};
    Router::new()
        .route(&full(paths::PROJECT_SAVE), post(api::project_save))
        .route(&full(paths::PROJECT_VALIDATE), get(api::project_validate))
        .route(&full(paths::MODE_SET), post(api::mode_set))
        .route(&full(paths::MODE_QUERY), post(api::mode_query))
        .route(&full(paths::CHAT), post(api::chat))
        .route(&full(paths::CHAT_CONFIRM), post(api::chat_confirm))
        .route(&full(paths::CHAT_STATUS), get(api::chat_status))
        .route(&full(paths::CHAT_RESULT), get(api::chat_result))
        .route(&full(paths::ARTIFACT_UPLOAD), post(api::artifact_upload))
        .route(&full(paths::FILE_UPLOAD), post(files::upload))
        .route(&full(paths::TOOLS_CATALOG), get(api::tools_catalog))
        .route("/files/{*path}", get(files::serve))
        .fallback(reply::no_such_route)
        .layer(from_fn_with_state(world.clone(), limits::enforce))
        .layer(from_fn_with_state(world.clone(), auth::verify))
        .layer(from_fn_with_state(world.clone(), journal::record))
        .with_state(world)
}
