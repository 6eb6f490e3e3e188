//! `wait_seconds` bounds the whole call, whatever the server does: a result
//! call that never answers. (A user who never answers the approval question:
//! `protocols.rs`.) The elapsed time is measured from the call, after the
//! server has started and answered the handshake.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::{Recorder, call, connect, succeeded};
use crate::hostile::{Hostile, Reply};
use crate::support::World;

/// The issue's bound: `wait_seconds: 5` answers within 6 s.
const ANSWERED_WITHIN: Duration = Duration::from_secs(6);

/// A stand-in API with one project and one thread `t1`: every call answers
/// at once with these, the status call with `status`; anything else
/// (the result call, files) is `rest`'s.
pub fn stand_in(
    status: &'static str,
    rest: impl Fn(&crate::hostile::Seen) -> Reply + Send + Sync + 'static,
) -> Hostile {
    Hostile::start(move |seen| match seen.path.as_str() {
        "/v1/openapi/project/save" => Reply::json(200, r#"{"code":0,"data":{"project_id":"p1"}}"#),
        "/v1/openapi/project/validate" => Reply::json(
            200,
            r#"{"code":0,"data":{"valid":true,"project_name":"x"}}"#,
        ),
        "/v1/openapi/chat" => Reply::json(200, r#"{"code":0,"data":{"thread_id":"t1"}}"#),
        "/v1/openapi/chat/status" => Reply::json(
            200,
            &format!(r#"{{"code":0,"data":{{"status":"{status}"}}}}"#),
        ),
        _ => rest(seen),
    })
}

/// A thread that runs, and a result call that drips one byte every 10 s
/// (it would take minutes to finish).
fn server_whose_result_never_answers() -> Hostile {
    stand_in("running", |seen| match seen.path.as_str() {
        "/v1/openapi/chat/result" => Reply::Drip {
            body: br#"{"code":0,"data":{"items":[]}}"#.to_vec(),
            every: Duration::from_secs(10),
        },
        _ => Reply::json(404, r#"{"code":404,"message":"no such path"}"#),
    })
}

/// `generate` with `arguments` through a new client on a runtime of its own
/// (the stand-in server runs its own, which cannot be started or dropped
/// inside the client's): the output and how long the call took, from the
/// call (after the server started and answered the handshake).
fn generate_timed(world: &World, arguments: Value) -> (Map<String, Value>, Duration) {
    let runtime = super::client_runtime();
    runtime.block_on(async {
        let client = connect(world, Recorder::default()).await;
        let started = Instant::now();
        let result = call(&client, "generate", arguments).await;
        let elapsed = started.elapsed();
        let output = succeeded(&result).clone();
        client.cancel().await.unwrap();
        (output, elapsed)
    })
}

#[test]
fn generate_answers_running_in_time_when_the_result_call_never_answers() {
    let server = server_whose_result_never_answers();
    let world = World::with_server(server.base_url.clone());
    let (output, elapsed) = generate_timed(
        &world,
        json!({"prompt": "a cat", "wait_seconds": 5, "download": false}),
    );
    assert_eq!(output["final_status"], "running", "{output:?}");
    assert_eq!(output["thread_id"], "t1");
    assert!(elapsed < ANSWERED_WITHIN, "answered after {elapsed:?}");
    // The thread is on record for `wait` and the CLI.
    assert!(world.thread_ids().contains(&"t1".to_string()));
    assert!(server.count("GET", "/v1/openapi/chat/result") >= 1);
}

/// A done thread whose one artifact downloads one byte every 10 s: the call
/// answers in time with the result, the file handed back (its URL, no local
/// path, the reason), and no partial file left behind.
#[test]
fn a_download_unfinished_at_the_deadline_is_handed_back() {
    let server = stand_in("done", |seen| match seen.path.as_str() {
        "/v1/openapi/chat/result" => {
            let host = seen.header("host").unwrap_or("127.0.0.1");
            Reply::json(
                200,
                &format!(
                    r#"{{"code":0,"data":{{"status":"done","items":[{{"type":"assistant","artifacts":[{{"type":"image","content":"http://{host}/files/slow.png"}}]}}]}}}}"#
                ),
            )
        }
        "/files/slow.png" => Reply::Drip {
            body: vec![0x89; 4096],
            every: Duration::from_secs(10),
        },
        _ => Reply::json(404, r#"{"code":404,"message":"no such path"}"#),
    });
    let world = World::with_server(server.base_url.clone());
    let out = world.home.path().join("out");
    let (output, elapsed) = generate_timed(
        &world,
        json!({"prompt": "a cat", "wait_seconds": 5, "output_dir": out}),
    );
    assert!(elapsed < ANSWERED_WITHIN, "answered after {elapsed:?}");
    assert_eq!(output["final_status"], "done", "{output:?}");
    let downloaded = output["downloaded"].as_array().expect("downloaded");
    assert_eq!(downloaded.len(), 1, "{output:?}");
    assert!(
        downloaded[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/files/slow.png")
    );
    assert_eq!(downloaded[0]["local_path"], json!(null));
    assert!(
        downloaded[0]["error"]
            .as_str()
            .unwrap()
            .contains("deadline"),
        "{output:?}"
    );
    assert!(
        server.count("GET", "/files/slow.png") >= 1,
        "the download began"
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|entries| entries.flatten().map(|entry| entry.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A short `wait` on a thread that is done says "done": the second look at
/// a "done" (5 s at the real pace) takes at most half the time left, instead
/// of running past `wait_seconds` and answering "running".
#[test]
fn a_short_wait_on_a_finished_thread_says_done() {
    let server = stand_in("done", |seen| match seen.path.as_str() {
        "/v1/openapi/chat/result" => Reply::json(
            200,
            r#"{"code":0,"data":{"thread_id":"t1","status":"done","items":[]}}"#,
        ),
        _ => Reply::json(404, r#"{"code":404,"message":"no such path"}"#),
    });
    let world = World::with_server(server.base_url);
    let runtime = super::client_runtime();
    let output = runtime.block_on(async {
        let mut command = world.lovart_process();
        // The real pace: the second look at a "done" is 5 s.
        command
            .env("LOVART_WAIT_SCALE", "1")
            .arg("mcp")
            .current_dir(world.home.path());
        let transport =
            rmcp::transport::TokioChildProcess::new(tokio::process::Command::from(command))
                .expect("spawn");
        let client = rmcp::ServiceExt::serve(Recorder::default(), transport)
            .await
            .expect("initialize");
        let result = call(
            &client,
            "wait",
            json!({"thread_id": "t1", "wait_seconds": 2}),
        )
        .await;
        let output = succeeded(&result).clone();
        client.cancel().await.unwrap();
        output
    });
    assert_eq!(output["final_status"], "done", "{output:?}");
}
