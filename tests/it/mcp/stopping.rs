//! The stdio server stops its work when its client leaves: stdin closed,
//! SIGTERM (what the official SDKs do, in that order) or a cancelled call.
//! A `generate` whose artifact drips in for minutes is cut off mid-download:
//! the process exits within a second of the close or the signal (measured
//! from it, after start-up), its `.lovart-partial-*` file is gone, and the
//! thread is in the state file for `wait`. A send cut off before its
//! answer is a lost answer: its key stays on record, and the same call after
//! the restart goes out under it (billed once). A question put to the user
//! is withdrawn as fast.

use std::path::Path;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use serde_json::json;
use tokio::io::AsyncWrite;

use super::{Client, Recorder, client_runtime, params};
use crate::hostile::{Hostile, Reply};
use crate::support::World;

/// The issue's bound, from the close (or the signal) to the exit.
const EXITED_WITHIN: Duration = Duration::from_secs(1);
/// The temporary file of a download under way.
const PARTIAL_PREFIX: &str = ".lovart-partial-";

/// An API whose thread `t1` is done at once with one image, which drips in
/// one byte every 100 ms (ten minutes for its 6000 bytes).
fn server_with_a_slow_artifact() -> Hostile {
    server_holding_sends(false)
}

/// The same API; with `hold_first_send`, the first `POST /chat` is
/// answered only after a minute.
fn server_holding_sends(hold_first_send: bool) -> Hostile {
    let hold = Arc::new(AtomicBool::new(hold_first_send));
    Hostile::start(move |seen| {
        let host = seen.header("host").unwrap_or_default().to_string();
        match seen.path.as_str() {
            "/v1/openapi/project/save" => {
                Reply::json(200, r#"{"code":0,"data":{"project_id":"p1"}}"#)
            }
            "/v1/openapi/project/validate" => Reply::json(
                200,
                r#"{"code":0,"data":{"valid":true,"project_name":"cat"}}"#,
            ),
            "/v1/openapi/chat" if hold.swap(false, Ordering::SeqCst) => Reply::Late {
                after: Duration::from_secs(60),
                reply: Box::new(Reply::json(200, r#"{"code":0,"data":{"thread_id":"t1"}}"#)),
            },
            "/v1/openapi/chat" => Reply::json(200, r#"{"code":0,"data":{"thread_id":"t1"}}"#),
            "/v1/openapi/chat/status" => Reply::json(200, r#"{"code":0,"data":{"status":"done"}}"#),
            "/v1/openapi/chat/result" => Reply::json(
                200,
                &format!(
                    r#"{{"code":0,"data":{{"thread_id":"t1","status":"done","items":[{{"type":"generator","name":"artifacts","artifacts":[{{"type":"image","content":"http://{host}/files/slow.png"}}]}}]}}}}"#
                ),
            ),
            "/files/slow.png" => Reply::Drip {
                body: vec![b'x'; 6000],
                every: Duration::from_millis(100),
            },
            _ => Reply::json(404, r#"{"message":"no such path"}"#),
        }
    })
}

/// `lovart mcp` in this world with its stdio in the test's hands: an rmcp
/// client over it, and its stdin, to close.
struct Server {
    child: tokio::process::Child,
    client: Client,
    stdin: Stdin,
}

/// The child's stdin as the client writes it; [`Stdin::close`] closes it
/// under the client (whose own close may wait for its handlers first).
#[derive(Clone)]
struct Stdin(Arc<Mutex<Option<tokio::process::ChildStdin>>>);

impl Stdin {
    fn close(&self) {
        drop(self.0.lock().unwrap().take());
    }

    fn poll_with<T>(
        &self,
        action: impl FnOnce(Pin<&mut tokio::process::ChildStdin>) -> Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        match self.0.lock().unwrap().as_mut() {
            Some(stdin) => action(Pin::new(stdin)),
            None => Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into())),
        }
    }
}

impl AsyncWrite for Stdin {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.poll_with(|stdin| stdin.poll_write(context, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.poll_with(|stdin| stdin.poll_flush(context))
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.poll_with(|stdin| stdin.poll_shutdown(context))
    }
}

async fn start(world: &World) -> Server {
    start_with(world, Recorder::default()).await
}

/// [`start`] with this client.
async fn start_with(world: &World, recorder: Recorder) -> Server {
    let mut command = world.lovart_process();
    command
        .arg("mcp")
        .current_dir(world.home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = tokio::process::Command::from(command)
        .spawn()
        .expect("spawn lovart mcp");
    let stdin = Stdin(Arc::new(Mutex::new(child.stdin.take())));
    let stdout = child.stdout.take().expect("stdout");
    let client = recorder
        .serve((stdout, stdin.clone()))
        .await
        .expect("initialize");
    Server {
        child,
        client,
        stdin,
    }
}

/// The temporary files of downloads in `dir`.
fn partials(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with(PARTIAL_PREFIX))
                .collect()
        })
        .unwrap_or_default()
}

/// Starts a `generate` that waits up to ten minutes and returns once its
/// download has begun (its partial file exists); the handle gives the
/// call's answer, when one came.
async fn generate_until_the_download_began(
    client: &Client,
    out_dir: &Path,
) -> tokio::task::JoinHandle<Option<serde_json::Value>> {
    let call = client.peer().clone();
    let arguments = json!({
        "prompt": "a cat", "wait_seconds": 600, "output_dir": out_dir.to_string_lossy(),
    });
    let generating = tokio::spawn(async move {
        // Cut off by the stop: its answer may never come.
        let answer = call.call_tool(params("generate", arguments)).await.ok()?;
        answer.structured_content
    });
    for _ in 0..400 {
        if !partials(out_dir).is_empty() {
            return generating;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the download never began: {:?}", partials(out_dir));
}

/// How long `child` took to exit from `since`, and how; fails past 10 s.
async fn exit_of(child: &mut tokio::process::Child, since: Instant) -> (Duration, ExitStatus) {
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("lovart mcp still running 10 s after being told to stop")
        .expect("wait for lovart mcp");
    (since.elapsed(), status)
}

/// What every stop must leave: no partial file, the thread on record.
fn assert_cleanly_stopped(world: &World, out_dir: &Path, elapsed: Duration) {
    assert_eq!(partials(out_dir), Vec::<String>::new(), "left behind");
    assert!(
        world.thread_ids().contains(&"t1".to_string()),
        "the thread is resumable: {:?}",
        world.state_text()
    );
    assert!(elapsed < EXITED_WITHIN, "exited {elapsed:?} after the stop");
}

#[test]
fn closing_stdin_mid_download_exits_at_once_without_a_partial_file() {
    let server = server_with_a_slow_artifact();
    let world = World::with_server(server.base_url);
    let out_dir = world.home.path().join("out");
    client_runtime().block_on(async {
        let mut mcp = start(&world).await;
        let generating = generate_until_the_download_began(&mcp.client, &out_dir).await;
        let closed = Instant::now();
        mcp.stdin.close();
        let (elapsed, status) = exit_of(&mut mcp.child, closed).await;
        assert_cleanly_stopped(&world, &out_dir, elapsed);
        assert_eq!(status.code(), Some(0), "a closed stdin is a normal end");
        generating.abort();
    });
}

#[cfg(unix)]
#[test]
fn sigterm_mid_download_exits_at_once_without_a_partial_file() {
    let server = server_with_a_slow_artifact();
    let world = World::with_server(server.base_url);
    let out_dir = world.home.path().join("out");
    client_runtime().block_on(async {
        let mut mcp = start(&world).await;
        let generating = generate_until_the_download_began(&mcp.client, &out_dir).await;
        let pid = mcp.child.id().expect("a running child").to_string();
        let signalled = Instant::now();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(killed.success());
        let (elapsed, status) = exit_of(&mut mcp.child, signalled).await;
        assert_cleanly_stopped(&world, &out_dir, elapsed);
        assert_eq!(status.code(), Some(0), "a stop asked for is a normal end");
        // The call was answered before the exit: "running", with its thread.
        let answer = tokio::time::timeout(Duration::from_secs(5), generating)
            .await
            .expect("the call's task ends")
            .expect("the call's task")
            .expect("an answer before the exit");
        assert_eq!(answer["thread_id"], "t1", "{answer}");
        assert_eq!(answer["final_status"], "running", "{answer}");
        let _ = mcp.client.cancel().await;
    });
}

#[test]
fn a_call_cancelled_mid_download_leaves_no_partial_file() {
    let server = server_with_a_slow_artifact();
    let world = World::with_server(server.base_url);
    let out_dir = world.home.path().join("out");
    client_runtime().block_on(async {
        let mut mcp = start(&world).await;
        let arguments = json!({
            "prompt": "a cat", "wait_seconds": 600, "output_dir": out_dir.to_string_lossy(),
        });
        // Dropped once the download has begun: rmcp sends notifications/cancelled.
        let call = mcp.client.call_tool_once(params("generate", arguments));
        let began = async {
            while partials(&out_dir).is_empty() {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        };
        tokio::select! {
            answer = call => panic!("the call ended before its download began: {answer:?}"),
            () = began => {}
        }
        let mut left = partials(&out_dir);
        for _ in 0..200 {
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
            left = partials(&out_dir);
        }
        assert_eq!(
            left,
            Vec::<String>::new(),
            "left behind by the cancelled call"
        );
        assert!(world.thread_ids().contains(&"t1".to_string()));
        // The server serves on.
        let threads = super::call(&mcp.client, "threads", json!({"all": true})).await;
        let saved = super::succeeded(&threads)["threads"].as_array().cloned();
        assert_eq!(saved.map(|threads| threads.len()), Some(1));
        mcp.stdin.close();
        let (_, status) = exit_of(&mut mcp.child, Instant::now()).await;
        assert!(status.success());
    });
}

#[test]
fn a_send_cut_off_by_the_stop_goes_out_again_under_its_key() {
    let server = server_holding_sends(true);
    let world = World::with_server(server.base_url.clone());
    let arguments = json!({"prompt": "a cat", "wait_seconds": 5, "download": false});
    client_runtime().block_on(async {
        let mut mcp = start(&world).await;
        let call = mcp.client.peer().clone();
        let sending = tokio::spawn({
            let arguments = arguments.clone();
            async move {
                let _ = call.call_tool(params("generate", arguments)).await;
            }
        });
        for _ in 0..400 {
            if server.count("POST", "/v1/openapi/chat") == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(
            server.count("POST", "/v1/openapi/chat"),
            1,
            "the send went out"
        );
        let closed = Instant::now();
        mcp.stdin.close();
        let (elapsed, status) = exit_of(&mut mcp.child, closed).await;
        assert_eq!(status.code(), Some(0));
        assert!(
            elapsed < EXITED_WITHIN,
            "exited {elapsed:?} after the close"
        );
        sending.abort();

        // After the restart, the same call: the same key, one thread.
        let mut mcp = start(&world).await;
        let answer = super::call(&mcp.client, "generate", arguments).await;
        assert_eq!(super::succeeded(&answer)["thread_id"], "t1");
        mcp.stdin.close();
        let _ = exit_of(&mut mcp.child, Instant::now()).await;
    });
    let keys: Vec<String> = server
        .seen()
        .iter()
        .filter(|seen| seen.path == "/v1/openapi/chat")
        .map(|seen| {
            seen.header("idempotency-key")
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(!keys[0].is_empty());
    assert_eq!(keys[0], keys[1], "the lost send's key was reused");
}

#[test]
fn closing_stdin_while_the_user_is_asked_exits_at_once_and_confirms_nothing() {
    let world = World::sandbox();
    let silent = Recorder {
        silent: true,
        ..Default::default()
    };
    client_runtime().block_on(async {
        let mut mcp = start_with(&world, silent.clone()).await;
        let call = mcp.client.peer().clone();
        let asking = tokio::spawn(async move {
            let arguments =
                json!({"prompt": "ocean video", "download": false, "wait_seconds": 600});
            let _ = call.call_tool(params("generate", arguments)).await;
        });
        for _ in 0..400 {
            if !silent.questions.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(
            silent.questions.lock().unwrap().len(),
            1,
            "the user was asked"
        );
        let closed = Instant::now();
        mcp.stdin.close();
        let (elapsed, status) = exit_of(&mut mcp.child, closed).await;
        assert_eq!(status.code(), Some(0));
        assert!(
            elapsed < EXITED_WITHIN,
            "exited {elapsed:?} after the close"
        );
        asking.abort();
    });
    assert_eq!(world.count("POST", "/chat/confirm"), 0);
    assert_eq!(world.thread_ids().len(), 1, "the thread is resumable");
}

/// Raw pipes: the client asks for more than the pipes hold, reads none of it,
/// and closes stdin. The answers the server could not write do not hold it.
#[test]
fn closing_stdin_exits_at_once_when_the_client_stopped_reading() {
    use std::io::{BufRead, BufReader, Write};

    let world = World::offline();
    let mut child = world
        .lovart_process()
        .arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lovart mcp");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut send = |message: serde_json::Value| writeln!(stdin, "{message}").unwrap();
    send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"}}}),
    );
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("protocolVersion"), "{line}");
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    // About 30 KB each: megabytes in all, far more than the pipe holds.
    for id in 1..=100 {
        send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"}));
    }
    std::thread::sleep(Duration::from_millis(500));
    let closed = Instant::now();
    drop(stdin);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if closed.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("lovart mcp still running 10 s after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = closed.elapsed();
    assert_eq!(status.code(), Some(0));
    assert!(
        elapsed < EXITED_WITHIN,
        "exited {elapsed:?} after the close"
    );
}

/// A `wait` cut off by the stop answers "running" with the thread as the
/// state file knows it: a given prefix resolved, its project filled in.
#[test]
fn a_wait_cut_off_by_the_stop_names_its_resolved_thread_and_project() {
    let server = super::deadline::stand_in("running", |_| {
        Reply::json(404, r#"{"code":404,"message":"no such path"}"#)
    });
    let world = World::with_server(server.base_url);
    world.write_state(
        r#"{"projects": {"p1": {"name": "cats"}}, "active_project": "p1", "threads": [{"id": "t1", "project_id": "p1", "topic": "a cat", "updated_at": "x"}]}"#,
    );
    client_runtime().block_on(async {
        let mut mcp = start(&world).await;
        let call = mcp.client.peer().clone();
        let waiting = tokio::spawn(async move {
            let arguments = json!({"thread_id": "t", "wait_seconds": 600});
            let answer = call.call_tool(params("wait", arguments)).await.ok()?;
            answer.structured_content
        });
        // Let the wait begin polling.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let pid = mcp.child.id().expect("a running child").to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(killed.success());
        let _ = exit_of(&mut mcp.child, Instant::now()).await;
        let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the call's task ends")
            .expect("the call's task")
            .expect("an answer before the exit");
        assert_eq!(answer["thread_id"], "t1", "{answer}");
        assert_eq!(answer["project_id"], "p1", "{answer}");
        assert_eq!(answer["final_status"], "running", "{answer}");
    });
}
