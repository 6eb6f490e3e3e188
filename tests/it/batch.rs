//! `lovart batch`: input errors before any send, one line per row, the
//! journal's resume after `kill -9` without a second bill, 429 and 409
//! handling, the sandbox's two tiers, exit codes.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use lovart_sandbox::{Fault, RateLimits, SandboxHandle, SandboxOptions};
use serde_json::Value;

use crate::support::{World, run};

/// Writes `text` as `<HOME>/rows.txt`; returns its path.
fn rows_file(world: &World, name: &str, text: &str) -> String {
    let path = world.home.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// `batch` with the limiter's windows scaled like the test sandbox's.
fn batch(world: &World, args: &[&str]) -> assert_cmd::Command {
    let mut command = world.lovart();
    command
        .env("LOVART_RATE_SCALE", "0.01")
        .arg("batch")
        .args(args);
    command
}

/// The Idempotency-Keys of the `POST /chat`s of each prompt.
fn keys_by_prompt(world: &World) -> HashMap<String, Vec<String>> {
    let mut keys: HashMap<String, Vec<String>> = HashMap::new();
    for request in world.requests_to("POST", "/chat") {
        let prompt = request.json().unwrap()["prompt"]
            .as_str()
            .unwrap()
            .to_string();
        let key = request
            .header("idempotency-key")
            .expect("a key")
            .to_string();
        keys.entry(prompt).or_default().push(key);
    }
    keys
}

#[test]
fn bad_lines_are_reported_with_their_numbers_before_anything_is_sent() {
    let world = World::sandbox();
    let file = rows_file(
        &world,
        "rows.jsonl",
        "{\"prompt\": \"a cat\"}\n{\"prompt\": 3}\n\n{\"id\": \"x\"}\nnot json\n",
    );
    let out = run(&mut batch(&world, &[&file]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("line 2: \"prompt\" must be a string"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("line 4: missing \"prompt\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("line 5: expected a JSON object"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Error: 3 bad lines in"),
        "{}",
        out.stderr
    );
    assert!(world.server().requests().is_empty(), "nothing sent at all");

    let detailed = run(batch(&world, &[&file]).env("LOVART_EXIT_CODES", "detailed"));
    assert_eq!(detailed.code, 8, "invalid input");
}

#[test]
fn every_row_is_sent_once_and_printed_with_every_key() {
    let world = World::sandbox();
    let file = rows_file(
        &world,
        "rows.txt",
        "a cat\n# skipped\n\nrefuse this\n4 variations of a dog\n",
    );
    let out = run(&mut batch(
        &world,
        &[&file, "--download", "--output-dir", &world.out_dir()],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = lines(&out.stdout);
    assert_eq!(rows.len(), 3);
    let by_line: HashMap<u64, &Value> = rows
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r))
        .collect();
    for key in [
        "id",
        "line",
        "prompt",
        "thread_id",
        "project_id",
        "final_status",
        "generation_succeeded",
        "artifacts",
        "downloaded",
        "error",
    ] {
        assert!(
            rows.iter().all(|row| row.get(key).is_some()),
            "{key}: {rows:?}"
        );
    }
    assert_eq!(by_line[&1]["id"], "1");
    assert_eq!(by_line[&1]["generation_succeeded"], true);
    assert_eq!(by_line[&4]["generation_succeeded"], false);
    assert_eq!(by_line[&5]["artifacts"].as_array().unwrap().len(), 4);
    assert_eq!(by_line[&5]["downloaded"].as_array().unwrap().len(), 4);
    let path = by_line[&1]["downloaded"][0]["local_path"].as_str().unwrap();
    assert!(std::path::Path::new(path).is_file(), "{path}");
    assert!(
        rows.iter()
            .all(|row| row["error"].is_null() && row["final_status"] == "done")
    );

    let keys = keys_by_prompt(&world);
    assert_eq!(keys.len(), 3);
    assert!(keys.values().all(|keys| keys.len() == 1), "{keys:?}");
    assert!(
        out.stderr.contains("3 of 3 rows done (0 errors,"),
        "{}",
        out.stderr
    );
    assert!(std::path::Path::new(&format!("{file}.journal.jsonl")).is_file());

    // Run again: everything comes from the journal, nothing is sent.
    let again = run(&mut batch(&world, &[&file]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(world.count("POST", "/chat"), 3);
    let mut first: Vec<&str> = out.stdout.lines().collect();
    let mut second: Vec<&str> = again.stdout.lines().collect();
    first.sort_unstable();
    second.sort_unstable();
    assert_eq!(
        first, second,
        "settled rows are printed again, byte for byte"
    );
}

#[test]
fn stdin_rows_and_their_journal_under_the_state_folder() {
    let world = World::sandbox();
    let out = run(batch(&world, &["-"])
        .write_stdin("{\"id\": \"a\", \"prompt\": \"a cat\", \"mode\": \"fast\"}\n"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(lines(&out.stdout)[0]["id"], "a");
    let sent = world.requests_to("POST", "/chat")[0].json().unwrap();
    assert_eq!(sent["mode"], "fast");
    let journals = std::fs::read_dir(world.home.path().join(".lovart/batches"))
        .unwrap()
        .count();
    assert_eq!(journals, 1);
}

#[test]
fn a_batch_killed_mid_way_resumes_without_sending_a_row_twice() {
    let world = World::sandbox();
    let prompts: Vec<String> = (1..=6).map(|i| format!("picture number {i}")).collect();
    let file = rows_file(&world, "rows.txt", &(prompts.join("\n") + "\n"));
    // Slow polls (0.3 s) so that the kill lands while rows are in flight.
    let mut first = world.lovart_process();
    first
        .env("LOVART_WAIT_SCALE", "0.1")
        .env("LOVART_RATE_SCALE", "0.01")
        .args(["batch", &file, "--concurrency", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = first.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut settled = String::new();
    stdout.read_line(&mut settled).unwrap();
    assert!(settled.contains("\"final_status\": \"done\""), "{settled}");

    // While it runs, a second batch on the same journal is refused.
    let second = run(&mut batch(&world, &[&file]));
    assert_eq!(second.code, 1);
    assert!(
        second.stderr.contains("in use by another lovart batch"),
        "{}",
        second.stderr
    );

    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let sent_before = world.count("POST", "/chat");
    assert!((1..=6).contains(&sent_before), "{sent_before}");

    let resumed = run(&mut batch(&world, &[&file]));
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    let rows = lines(&resumed.stdout);
    assert_eq!(rows.len(), 6);
    assert!(
        resumed
            .stdout
            .lines()
            .any(|line| line.trim() == settled.trim()),
        "re-printed as it was"
    );
    let threads: HashSet<&str> = rows
        .iter()
        .map(|r| r["thread_id"].as_str().unwrap())
        .collect();
    assert_eq!(threads.len(), 6);
    // Every prompt went out under one key only: never billed twice.
    let keys = keys_by_prompt(&world);
    assert_eq!(keys.len(), 6);
    for (prompt, keys) in &keys {
        assert!(keys.iter().all(|key| key == &keys[0]), "{prompt}: {keys:?}");
    }
    assert!(
        resumed.stderr.contains("resuming from"),
        "{}",
        resumed.stderr
    );
}

#[test]
fn an_unanswered_send_is_sent_again_only_with_the_same_key() {
    let world = World::sandbox();
    world
        .server()
        .inject(Fault::new("POST", "/v1/openapi/chat", 502).times(4));
    let file = rows_file(&world, "rows.txt", "a cat\n");
    let out = run(&mut batch(&world, &[&file]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let row = &lines(&out.stdout)[0];
    // A gateway's 502 to a send may hide a started generation.
    assert_eq!(row["error"]["kind"], "outcome_unknown");
    assert!(row["thread_id"].is_null());

    let again = run(&mut batch(&world, &[&file]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    let keys = &keys_by_prompt(&world)["a cat"];
    assert_eq!(keys.len(), 5);
    assert!(keys.iter().all(|key| key == &keys[0]), "{keys:?}");
}

#[test]
fn a_429_pauses_the_tier_and_a_409_retries_that_row_only() {
    let world = World::sandbox();
    world.server().inject(
        Fault::new("POST", "/v1/openapi/chat", 429)
            .header("Retry-After", "1")
            .body(r#"{"code":1429,"message":"Rate limit exceeded"}"#),
    );
    world.server().inject(
        Fault::new("POST", "/v1/openapi/chat", 409)
            .times(2)
            .body(r#"{"code":2011,"message":"Thread is busy"}"#),
    );
    let file = rows_file(&world, "rows.txt", "a cat\n");
    let out = run(&mut batch(&world, &[&file]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(lines(&out.stdout)[0]["final_status"], "done");
    assert_eq!(world.count("POST", "/chat"), 4);
    assert!(
        out.stderr
            .contains("1 rate-limited answers (429), 2 busy-thread retries"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_refused_row_fails_alone_and_sets_the_exit_code() {
    let world = World::sandbox();
    let file = rows_file(&world, "rows.txt", "a cat\nan expensive cat\n");
    let out = run(&mut batch(&world, &[&file]));
    assert_eq!(out.code, 1);
    let rows = lines(&out.stdout);
    let failed = rows.iter().find(|r| r["line"] == 2).unwrap();
    assert_eq!(failed["error"]["kind"], "insufficient_credits");
    assert_eq!(failed["error"]["http_status"], 402);
    assert!(
        rows.iter()
            .any(|r| r["line"] == 1 && r["final_status"] == "done")
    );
    assert!(
        out.stderr.contains("Error: 1 of 2 rows is not done"),
        "{}",
        out.stderr
    );

    // Refused with an answer: the next run sends it afresh, with a new key.
    let again = run(batch(&world, &[&file]).env("LOVART_EXIT_CODES", "detailed"));
    assert_eq!(again.code, 4, "insufficient credits: {}", again.stderr);
    let keys = &keys_by_prompt(&world)["an expensive cat"];
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
}

#[test]
fn a_batch_stays_within_both_tiers_of_a_sandbox_enforcing_them() {
    // The documented limits, every window 100 times shorter on both sides.
    let server = SandboxHandle::start(SandboxOptions {
        fast: true,
        limits: RateLimits {
            time_scale: 0.01,
            ..RateLimits::default()
        },
        ..SandboxOptions::default()
    });
    let mut world = World::with_server(server.base_url());
    world.server = Some(server);
    let prompts: Vec<String> = (1..=75).map(|i| format!("cat {i}")).collect();
    let file = rows_file(&world, "rows.txt", &(prompts.join("\n") + "\n"));
    let out = run(&mut batch(&world, &[&file, "--concurrency", "75"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(lines(&out.stdout).len(), 75);
    let requests = world.server().requests();
    let refused: Vec<_> = requests.iter().filter(|r| r.status == 429).collect();
    assert!(
        refused.is_empty(),
        "{} answers 429: {:?}",
        refused.len(),
        refused
            .iter()
            .map(|r| (&r.method, &r.path))
            .collect::<Vec<_>>()
    );
    let queries = requests
        .iter()
        .filter(|r| !(r.method == "POST" && r.path.ends_with("/chat")))
        .count();
    assert!(
        queries > 300,
        "the query tier's minute was exceeded overall: {queries}"
    );
    assert_eq!(world.count("POST", "/chat"), 75);
}

/// With no flags the rate limiter alone paces the sends: rows that never
/// settle do not hold the others back (the old default of 16 rows at once
/// stopped at 16 sends until a row ended), and 100 sends need a second chat
/// window, so the limiter did pace them.
#[test]
fn without_flags_only_the_rate_limits_pace_the_sends() {
    let world = World::sandbox();
    let prompts: Vec<String> = (1..=100).map(|i| format!("forever {i}")).collect();
    let file = rows_file(&world, "rows.txt", &(prompts.join("\n") + "\n"));
    let mut command = world.lovart_process();
    command
        .env("LOVART_RATE_SCALE", "0.01")
        .args(["--timeout", "600", "batch", &file])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    // Not a speed bound: how long to wait before calling the sends stuck.
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while world.count("POST", "/chat") < 100 && std::time::Instant::now() < give_up {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sent = world.count("POST", "/chat");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(sent, 100, "sends before any row settled");
    let refused = world
        .server()
        .requests()
        .iter()
        .filter(|request| request.status == 429)
        .count();
    assert_eq!(refused, 0);
}
