//! A send whose answer is lost (issue 21, item 1): the sandbox behind a
//! stand-in that holds `POST /chat` answers past the client's timeout. The
//! error says the outcome is unknown, and the same request sent again soon
//! after goes out under the same Idempotency-Key, so the server starts one
//! thread; an answered send forgets its key.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::hostile::{Hostile, Reply, forward};
use crate::support::{Run, World, run};

const CHAT: &str = "/v1/openapi/chat";

/// A stand-in in front of `sandbox` that answers the next `late` sends only
/// after 1.5 s (the sandbox has started their threads by then); the counter
/// it returns says how many are still to be held.
fn late_sends(sandbox: &World, late: usize) -> (Hostile, Arc<AtomicUsize>) {
    let upstream = sandbox.url();
    let late = Arc::new(AtomicUsize::new(late));
    let remaining = late.clone();
    let stand_in = Hostile::start(move |seen| {
        let reply = forward(&upstream, seen);
        let is_send = seen.method == "POST" && seen.path == CHAT;
        let hold = is_send
            && late
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if hold {
            Reply::Late {
                after: Duration::from_millis(1500),
                reply: Box::new(reply),
            }
        } else {
            reply
        }
    });
    (stand_in, remaining)
}

/// `lovart` of `world` whose requests time out after 0.4 s.
fn lovart_with_short_timeout(world: &World, args: &[&str]) -> Run {
    let mut command = world.lovart();
    command
        .env("LOVART_TIMEOUT_SCALE", "0.1")
        .args(["--timeout", "4"])
        .args(args);
    run(&mut command)
}

fn idempotency_keys(sandbox: &World) -> Vec<String> {
    sandbox
        .requests_to("POST", "/chat")
        .iter()
        .map(|request| {
            request
                .headers
                .iter()
                .find(|(name, _)| name == "idempotency-key")
                .map(|(_, key)| key.clone())
                .expect("an Idempotency-Key")
        })
        .collect()
}

#[test]
fn a_lost_answer_is_an_unknown_outcome_and_the_same_send_again_starts_one_thread() {
    let sandbox = World::sandbox();
    let (stand_in, _) = late_sends(&sandbox, 1);
    let world = World::with_server(stand_in.base_url);
    let chat = ["chat", "--prompt", "a cat", "--json"];

    let lost = lovart_with_short_timeout(&world, &chat);
    assert_eq!(lost.code, 1, "{}", lost.stderr);
    assert_eq!(
        lost.stderr,
        "Error: Connection failed after 1 attempts: timed out\n"
    );
    let error = &lost.json()["error"];
    assert_eq!(error["kind"], "outcome_unknown", "{error}");
    assert_eq!(error["retryable"], false);
    assert_eq!(error["thread_id"], Value::Null);
    let hint = error["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains("lovart threads") && hint.contains("15 minutes"),
        "{hint}"
    );
    // The stand-in let the send through: the sandbox started its thread.
    assert_eq!(sandbox.server().thread_count(), 1);

    let again = lovart_with_short_timeout(&world, &chat);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.json()["final_status"], "done");
    let keys = idempotency_keys(&sandbox);
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[0], keys[1],
        "the second run re-sent the first one's key"
    );
    assert_eq!(sandbox.server().thread_count(), 1, "billed once");

    // That send was answered, so its key is forgotten: a third run is a new request.
    let third = lovart_with_short_timeout(&world, &chat);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_ne!(idempotency_keys(&sandbox)[2], keys[0]);
    assert_eq!(sandbox.server().thread_count(), 2);
}

#[test]
fn send_and_watch_reuse_the_key_of_a_lost_send_of_the_same_request() {
    let sandbox = World::sandbox();
    let (stand_in, _) = late_sends(&sandbox, 1);
    let world = World::with_server(stand_in.base_url);

    let lost = lovart_with_short_timeout(&world, &["send", "--prompt", "a cat", "--json"]);
    assert_eq!(lost.json()["error"]["kind"], "outcome_unknown");
    // Another prompt is another request: a key of its own.
    let other = lovart_with_short_timeout(&world, &["send", "--prompt", "a dog"]);
    assert_eq!(other.code, 0, "{}", other.stderr);
    let watch = lovart_with_short_timeout(
        &world,
        &[
            "watch",
            "--prompt",
            "a cat",
            "--output-dir",
            &world.out_dir(),
        ],
    );
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    let keys = idempotency_keys(&sandbox);
    assert_eq!(keys.len(), 3);
    assert_ne!(keys[1], keys[0]);
    assert_eq!(keys[2], keys[0]);
    assert_eq!(sandbox.server().thread_count(), 2);
}

#[test]
fn a_batch_row_reuses_the_key_of_a_lost_send_and_reports_the_unknown_outcome() {
    let sandbox = World::sandbox();
    // Every try of the batch's own retries is late too.
    let (stand_in, late) = late_sends(&sandbox, usize::MAX);
    let world = World::with_server(stand_in.base_url);
    let rows = world.home.path().join("rows.txt");
    std::fs::write(&rows, "a cat\n").unwrap();
    let rows = rows.display().to_string();

    let lost = lovart_with_short_timeout(&world, &["batch", &rows]);
    assert_eq!(lost.code, 1, "{}", lost.stderr);
    let row: Value = serde_json::from_str(lost.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(row["error"]["kind"], "outcome_unknown", "{row}");
    let batch_key = idempotency_keys(&sandbox)[0].clone();
    assert!(
        idempotency_keys(&sandbox)
            .iter()
            .all(|key| *key == batch_key)
    );

    // The same request from `send`, with the batch's project, reuses the key.
    late.store(0, Ordering::SeqCst);
    let project = row["project_id"].as_str().unwrap().to_string();
    let sent = lovart_with_short_timeout(
        &world,
        &["send", "--prompt", "a cat", "--project-id", &project],
    );
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    assert_eq!(idempotency_keys(&sandbox).last().unwrap(), &batch_key);
    assert_eq!(sandbox.server().thread_count(), 1);
}

#[test]
fn a_send_that_never_connected_is_a_network_error_not_an_unknown_outcome() {
    let world = World::with_server("http://127.0.0.1:9".to_string());
    let failed =
        run(world
            .lovart()
            .args(["send", "--prompt", "a cat", "--project-id", "p1", "--json"]));
    assert_eq!(failed.json()["error"]["kind"], "network");
}

#[cfg(feature = "mcp")]
#[test]
fn mcp_generate_reuses_the_key_of_a_lost_send_of_the_same_request() {
    use crate::mcp::{Recorder, call, connect, succeeded};

    let sandbox = World::sandbox();
    let (stand_in, _) = late_sends(&sandbox, 1);
    let world = World::with_server(stand_in.base_url);
    let lost = lovart_with_short_timeout(&world, &["send", "--prompt", "a cat", "--json"]);
    assert_eq!(lost.json()["error"]["kind"], "outcome_unknown");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let output = runtime.block_on(async {
        let client = connect(&world, Recorder::default()).await;
        let result = call(
            &client,
            "generate",
            serde_json::json!({"prompt": "a cat", "output_dir": world.out_dir()}),
        )
        .await;
        let output = succeeded(&result).clone();
        let _ = client.cancel().await;
        output
    });
    assert_eq!(output["final_status"], "done");
    let keys = idempotency_keys(&sandbox);
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
    assert_eq!(sandbox.server().thread_count(), 1, "billed once");
}

#[test]
fn a_confirm_whose_answer_is_lost_is_an_unknown_outcome_naming_the_thread() {
    let sandbox = World::sandbox();
    let sent = run(sandbox
        .lovart()
        .args(["chat", "--prompt", "video of a lake", "--json"]));
    assert_eq!(
        sent.json()["final_status"],
        "pending_confirmation",
        "{}",
        sent.stderr
    );
    let thread = sent.json()["thread_id"].as_str().unwrap().to_string();
    // The stand-in lets the confirm through, then answers only after the client gave up.
    let upstream = sandbox.url();
    let stand_in = Hostile::start(move |seen| {
        let reply = forward(&upstream, seen);
        if seen.method == "POST" && seen.path.ends_with("/chat/confirm") {
            Reply::Late {
                after: Duration::from_millis(1500),
                reply: Box::new(reply),
            }
        } else {
            reply
        }
    });
    let world = World::with_server(stand_in.base_url);
    let lost = lovart_with_short_timeout(&world, &["confirm", "--thread-id", &thread, "--json"]);
    assert_eq!(lost.code, 1, "{}", lost.stderr);
    let error = &lost.json()["error"];
    assert_eq!(error["kind"], "outcome_unknown", "{error}");
    assert_eq!(error["retryable"], false);
    assert_eq!(error["thread_id"], thread.as_str());
    let hint = error["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains(&format!("lovart wait --thread-id {thread}")),
        "{hint}"
    );
    assert_eq!(sandbox.requests_to("POST", "/chat/confirm").len(), 1);
}

#[test]
fn a_batch_rows_confirm_whose_answer_is_lost_is_an_unknown_outcome() {
    let sandbox = World::sandbox();
    let upstream = sandbox.url();
    // A gateway that lost the confirm's answer: 502, after letting it through.
    let stand_in = Hostile::start(move |seen| {
        let reply = forward(&upstream, seen);
        if seen.method == "POST" && seen.path.ends_with("/chat/confirm") {
            Reply::json(502, r#"{"message":"bad gateway"}"#)
        } else {
            reply
        }
    });
    let world = World::with_server(stand_in.base_url);
    let rows = world.home.path().join("rows.jsonl");
    std::fs::write(&rows, "{\"prompt\": \"video of a lake\"}\n").unwrap();
    let mut command = world.lovart();
    command.env("LOVART_RATE_SCALE", "0.01").args([
        "batch",
        rows.to_str().unwrap(),
        "--max-credits",
        "1000",
    ]);
    let batch = run(&mut command);
    let row: Value = serde_json::from_str(batch.stdout.lines().next().unwrap()).unwrap();
    let error = &row["error"];
    assert_eq!(error["kind"], "outcome_unknown", "{row}");
    assert_eq!(error["retryable"], false);
    assert!(error["thread_id"].is_string(), "{row}");
}
