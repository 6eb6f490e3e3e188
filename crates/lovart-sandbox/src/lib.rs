//! `lovart sandbox`: a local Lovart Agent OpenAPI server.
//!
//! Serves every endpoint the client uses, checks signatures, keeps projects,
//! threads and files in a data folder across restarts (or only in memory, for
//! tests and `--ephemeral`), plays scenarios chosen by words in the prompt, and serves
//! the artifacts it generates. The integration tests run this same server, in
//! process, through [`SandboxHandle`].
//!
//! Layout: [`records`] is what it remembers, [`world`] the running server's state, [`store`] its data folder; [`scenario`] reads prompts and says how a
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
mod connection;
mod files;
mod handle;
mod journal;
mod limits;
mod media;
mod multipart;
mod png;
mod records;
mod reply;
mod scenario;
mod store;
mod thread;
mod world;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

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

Timing: a step is 1.5 s of the clock. With --fast, a step is one status poll
of the thread instead, so a client that polls quickly (a test, a script) is
never held up by the clock; `lovart chat` still polls every 3 s and re-checks
a finished thread after 5 s, so one image takes it about 8 s either way. An
image is done at step 2; variations show one more image per step and are done
at step 4; a video asks to confirm at step 2 and is done at step 2 after the
confirmation.

Data: projects, threads, files and the mode are kept in --data-dir (created
if missing) and are there again after a restart, so ids a client recorded stay
valid; --ephemeral keeps everything in memory and forgets it at exit. Point
LOVART_HOME at a folder of its own (the export line does) so that the
sandbox's projects never mix with a real account's in ~/.lovart.";

/// Who may call the sandbox, and how fast it generates.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub access_key: String,
    pub secret_key: String,
    /// One step per `GET /chat/status` instead of one per 1.5 s.
    pub fast: bool,
    /// Print `METHOD PATH STATUS` on stderr for every request.
    pub log_requests: bool,
    /// Where the world is kept across restarts; `None`: in memory only.
    pub data_dir: Option<std::path::PathBuf>,
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
            data_dir: None,
            limits: RateLimits::default(),
        }
    }
}

/// How long requests still in flight (a slow download) may finish after the
/// shutdown signal before the server stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// A request's head must arrive within this; it is also how long an idle
    /// keep-alive connection waits for the next request.
    header_read: Duration,
    /// A connection that moves no byte either way for this long is closed (a
    /// client that stopped sending the body it announced).
    idle: Duration,
    /// Connections served at once; one more is closed as soon as it is accepted.
    max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

/// Runs the sandbox on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    options: SandboxOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let world = Arc::new(World::new(options)?);
    run(listener, world, Limits::default(), shutdown).await
}

/// The accept loop: each connection is HTTP/1.1 with the timeouts above, under
/// the connection cap. On shutdown, idle connections close, requests in
/// flight get [`SHUTDOWN_GRACE`] to finish.
async fn run(
    listener: tokio::net::TcpListener,
    world: Arc<World>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let app = router(world);
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut stopping = stopped.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // A dropped sender also means stop.
            _ = stopping.wait_for(|&stop| stop) => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors, or a connection reset before it was
            // accepted: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection::serve(
            stream,
            app.clone(),
            limits,
            stopped.clone(),
            permit,
        ));
    }
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, permits.acquire_many(all)).await;
    Ok(())
}

fn router(world: Arc<World>) -> Router {
    use lovart_wire::paths::{self, full};
    let router = Router::new()
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
        .with_state(world.clone());
    // Each middleware gets its own part of the world, never the world itself.
    let router = match world.saver() {
        Some(saver) => router.layer(from_fn_with_state(saver, store::persist)),
        None => router,
    };
    router
        .layer(from_fn_with_state(world.rate_guard(), limits::enforce))
        .layer(from_fn_with_state(world.clone(), auth::verify))
        .layer(from_fn_with_state(world.journal.clone(), journal::record))
}
