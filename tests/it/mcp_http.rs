//! `lovart mcp --http` as a remote client sees it: rmcp's streamable-HTTP
//! client (and raw requests where a client would be refused) against the
//! real binary serving on 127.0.0.1, with the in-process sandbox behind it.
//! This file is the harness; the tests are in `mcp_http/`.

mod calls;
mod refusals;
mod shutdown;
mod tasks;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::service::{ClientLifecycleMode, ClientServiceExt};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

use crate::mcp::{Client, Recorder};
use crate::support::World;

/// A token long enough for the server (16 characters at least).
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// A running `lovart mcp --http 127.0.0.1:0` and what it wrote on stderr.
pub struct HttpServer {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The server's output folder (`--output-dir`).
    pub out: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl HttpServer {
    /// Starts the server in `world` with `args` after `--http 127.0.0.1:0
    /// --output-dir <HOME>/served` and the environment `env`.
    pub fn start(world: &World, args: &[&str], env: &[(&str, &str)]) -> Self {
        let out = world.home.path().join("served");
        let mut command = world.lovart_process();
        command
            .args(["mcp", "--http", "127.0.0.1:0", "--output-dir"])
            .arg(&out)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn lovart mcp --http");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (address, announced) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        let collected = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving MCP at ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or_default();
                    let _ = address.send(url.trim_end_matches("/mcp").to_string());
                }
                let mut text = collected.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        let base = announced
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server did not start: {}", stderr.lock().unwrap()));
        Self {
            child,
            base,
            out,
            stderr,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// What the server wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (a little) until stderr holds `text`; returns whether it does.
    pub async fn stderr_shows(&self, text: &str) -> bool {
        for _ in 0..200 {
            if self.stderr().contains(text) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        false
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the process to end (at most a minute).
    pub async fn exit_status(&mut self) -> ExitStatus {
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not exit: {}", self.stderr());
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// rmcp's streamable-HTTP client on `server`, initialized, with `token`.
pub async fn connect(server: &HttpServer, token: Option<&str>) -> Client {
    let mut config = StreamableHttpClientTransportConfig::with_uri(server.endpoint());
    if let Some(token) = token {
        config = config.auth_header(token);
    }
    let transport = StreamableHttpClientTransport::from_config(config);
    Recorder::default()
        .serve(transport)
        .await
        .unwrap_or_else(|error| panic!("initialize: {error}; server: {}", server.stderr()))
}

/// rmcp's streamable-HTTP client on `server` as `recorder`: a 2025-11-25
/// client (`initialize` once) or, `modern`, a 2026-07-28 one
/// (`server/discover`, its capabilities in every request's `_meta`).
pub async fn connect_as(server: &HttpServer, recorder: Recorder, modern: bool) -> Client {
    let config = StreamableHttpClientTransportConfig::with_uri(server.endpoint());
    let transport = StreamableHttpClientTransport::from_config(config);
    let connected = if modern {
        let lifecycle = ClientLifecycleMode::Discover {
            preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
        };
        recorder.serve_with_lifecycle(transport, lifecycle).await
    } else {
        recorder.serve(transport).await
    };
    connected.unwrap_or_else(|error| panic!("connect: {error}; server: {}", server.stderr()))
}

/// A raw JSON-RPC POST to `/mcp`, as a client of any make would send it.
pub fn post(server: &HttpServer, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(server.endpoint())
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .body(body)
}

/// A `tools/call` body for `generate` with `prompt` (no download).
pub fn generate_body(prompt: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "generate", "arguments": {"prompt": prompt, "download": false}}
    })
    .to_string()
}

/// A world whose sandbox has no rate limits (many clients at once, or the
/// realistic pace polled every few milliseconds); `fast`: one step per poll,
/// else one per 1.5 s (an image is done after two).
pub fn world(fast: bool) -> World {
    let server = lovart_sandbox::SandboxHandle::start(lovart_sandbox::SandboxOptions {
        fast,
        limits: lovart_sandbox::RateLimits {
            enabled: false,
            ..Default::default()
        },
        ..Default::default()
    });
    World {
        home: tempfile::tempdir().expect("temp HOME"),
        base_url: Some(server.base_url()),
        server: Some(server),
    }
}
