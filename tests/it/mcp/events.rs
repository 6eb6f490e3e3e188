//! What the engine says during a call reaches the MCP client: warnings that
//! concern the result (an unknown tool name, a state not saved) in its
//! `warnings` and as `notifications/message` at the level the client set
//! (warnings when it set none), and a download's bytes as progress while it
//! runs, a few times a second at most.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{Client, Recorder, call, connect, structured, succeeded, summary};
use crate::support::World;

/// The log messages received so far, after giving the last ones `grace` to arrive.
async fn logs_after(recorder: &Recorder, grace: Duration) -> Vec<(String, String)> {
    tokio::time::sleep(grace).await;
    recorder.logs.lock().unwrap().clone()
}

/// The log messages once one fits `wanted` (notifications may trail the
/// result by a moment), or after 5 s.
async fn logs_once(
    recorder: &Recorder,
    wanted: impl Fn(&(String, String)) -> bool,
) -> Vec<(String, String)> {
    for _ in 0..500 {
        if recorder.logs.lock().unwrap().iter().any(&wanted) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    recorder.logs.lock().unwrap().clone()
}

#[allow(deprecated, reason = "MCP logging (SEP-2577) is what the server sends")]
use rmcp::model::LoggingLevel;

#[allow(deprecated, reason = "MCP logging (SEP-2577) is what the server sends")]
async fn set_level(client: &Client, level: LoggingLevel) {
    client
        .peer()
        .set_level(rmcp::model::SetLevelRequestParams::new(level))
        .await
        .expect("logging/setLevel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_tool_name_is_a_warning_in_the_result_and_the_log() {
    let world = World::sandbox();
    let recorder = Recorder::default();
    let client = connect(&world, recorder.clone()).await;
    let result = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "download": false, "include_tools": ["no_such_tool"]}),
    )
    .await;
    let output = succeeded(&result);
    let warnings = output["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.starts_with("unknown tool 'no_such_tool'"),
        "{warning}"
    );
    assert!(warning.contains("the `models` tool"), "{warning}");
    assert!(!warning.contains("lovart models"), "{warning}");
    assert!(summary(&result).contains(warning), "{}", summary(&result));
    let expected = ("warning".to_string(), warning.to_string());
    let logs = logs_once(&recorder, |log| *log == expected).await;
    assert!(logs.contains(&expected), "{logs:?}");
    // A clean call has no `warnings`.
    let clean = call(
        &client,
        "generate",
        json!({"prompt": "a dog", "download": false}),
    )
    .await;
    assert!(!succeeded(&clean).contains_key("warnings"));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(deprecated, reason = "MCP logging (SEP-2577) is what the server sends")]
async fn a_state_not_saved_is_a_warning_and_the_level_the_client_sets_is_kept() {
    let world = World::sandbox();
    let recorder = Recorder::default();
    let client = connect(&world, recorder.clone()).await;
    // Errors only: the warning stays in the result, no log message comes.
    set_level(&client, LoggingLevel::Error).await;
    std::fs::create_dir_all(world.home.path().join(".lovart/state.json.lock")).unwrap();
    let result = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "download": false}),
    )
    .await;
    let output = succeeded(&result);
    let thread_id = output["thread_id"].as_str().unwrap();
    let warnings = output["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().starts_with(&format!(
                "thread {thread_id} was sent but the state was not saved"
            ))),
        "{warnings:?}"
    );
    assert!(
        logs_after(&recorder, Duration::from_millis(300))
            .await
            .is_empty()
    );
    // Debug: each status poll is told too.
    set_level(&client, LoggingLevel::Debug).await;
    call(
        &client,
        "generate",
        json!({"prompt": "a dog", "download": false}),
    )
    .await;
    let not_saved =
        |(level, text): &(String, String)| level == "warning" && text.contains("was not saved");
    let logs = logs_once(&recorder, not_saved).await;
    assert!(
        logs.iter()
            .any(|(level, text)| level == "debug" && text.starts_with("status: ")),
        "{logs:?}"
    );
    assert!(
        logs.iter()
            .any(|(level, text)| level == "warning" && text.contains("was not saved")),
        "{logs:?}"
    );
    client.cancel().await.unwrap();
}

/// A done thread whose artifact arrives one byte a millisecond (4 s for
/// the file): within `wait_seconds: 3` the client sees the bytes grow, at
/// most a few reports a second.
#[test]
fn a_download_reports_its_bytes_as_progress_while_it_runs() {
    let server = super::deadline::stand_in("done", |seen| match seen.path.as_str() {
        "/v1/openapi/chat/result" => {
            let host = seen.header("host").unwrap_or("127.0.0.1");
            crate::hostile::Reply::json(
                200,
                &format!(
                    r#"{{"code":0,"data":{{"status":"done","items":[{{"type":"assistant","artifacts":[{{"type":"image","content":"http://{host}/files/slow.png"}}]}}]}}}}"#
                ),
            )
        }
        "/files/slow.png" => crate::hostile::Reply::Drip {
            body: vec![0x89; 4096],
            every: Duration::from_millis(1),
        },
        _ => crate::hostile::Reply::json(404, r#"{"code":404,"message":"no such path"}"#),
    });
    let world = World::with_server(server.base_url.clone());
    let runtime = super::client_runtime();
    let (messages, elapsed) = runtime.block_on(async {
        let recorder = Recorder::default();
        let client = connect(&world, recorder.clone()).await;
        let out = world.home.path().join("out");
        let arguments = json!({"prompt": "a cat", "wait_seconds": 3, "output_dir": out});
        // (rmcp's client gives every call a progress token.)
        let started = Instant::now();
        let result = call(&client, "generate", arguments).await;
        let elapsed = started.elapsed();
        assert_eq!(structured(&result)["final_status"], "done");
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.cancel().await.unwrap();
        (recorder.messages(), elapsed)
    });
    // The file's name (lovart_<hash>.png), then its bytes of 4.0 KiB.
    let bytes: Vec<&String> = messages
        .iter()
        .filter(|message| {
            message.starts_with("downloading lovart_") && message.ends_with(" of 4.0 KiB")
        })
        .collect();
    assert!(
        messages
            .iter()
            .any(|message| message.starts_with("downloading lovart_")
                && message.ends_with(".png (4.0 KiB)")),
        "{messages:?}"
    );
    assert!(bytes.len() >= 3, "{messages:?}");
    // "downloading lovart_….png: 1.2 KiB of 4.0 KiB": the bytes grow.
    let received: Vec<f64> = bytes
        .iter()
        .map(|message| {
            let said = message.split(": ").nth(1).unwrap();
            let mut words = said.split(' ');
            let number: f64 = words.next().unwrap().parse().unwrap();
            match words.next().unwrap() {
                "B" => number,
                "KiB" => number * 1024.0,
                unit => panic!("{unit} in {message}"),
            }
        })
        .collect();
    assert!(
        received.windows(2).all(|pair| pair[0] <= pair[1])
            && received[0] < received[received.len() - 1],
        "the bytes grow: {bytes:?}"
    );
    // At most four a second over the call (and one more for a partial second).
    let most = 4 * (elapsed.as_secs() as usize + 1);
    assert!(
        bytes.len() <= most,
        "{} reports in {elapsed:?}",
        bytes.len()
    );
    assert_eq!(server.count("GET", "/files/slow.png"), 1);
}
