//! What an agent or a script acts on when things do not simply succeed: the
//! JSON error object of `--json` failures, the opt-in detailed exit codes,
//! `wait`, signals, `--max-credits`, and one project for parallel first runs.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use lovart_sandbox::Fault;
use serde_json::{Value, json};

use crate::support::{Run, World, run};

/// The `error` object of a `--json` failure, after checking the shape every
/// failure shares: exit 1, one `Error:` line, every documented key.
fn error_object(out: &Run) -> Value {
    assert_eq!(
        out.code, 1,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(out.stderr.starts_with("Error: "), "{}", out.stderr);
    let error = out.json()["error"].clone();
    for key in [
        "kind",
        "message",
        "http_status",
        "code",
        "retry_after_s",
        "retryable",
        "thread_id",
        "hint",
    ] {
        assert!(error.get(key).is_some(), "{key} missing in {error}");
    }
    assert_eq!(
        out.stderr.lines().next().unwrap(),
        format!("Error: {}", error["message"].as_str().unwrap())
    );
    error
}

#[test]
fn insufficient_credits_is_a_402_error_object_and_exit_4_when_detailed() {
    let world = World::sandbox();
    let out = run(world
        .lovart()
        .args(["chat", "--prompt", "expensive", "--json"]));
    let error = error_object(&out);
    assert_eq!(error["kind"], "insufficient_credits");
    assert_eq!(error["http_status"], 402);
    assert_eq!(error["code"], 2012, "the server's own code is kept");
    assert_eq!(error["retryable"], false);
    assert_eq!(error["thread_id"], Value::Null);
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("set-mode --unlimited")
    );

    let detailed = run(world.lovart().env("LOVART_EXIT_CODES", "detailed").args([
        "send",
        "--prompt",
        "expensive",
    ]));
    assert_eq!(detailed.code, 4);
    assert_eq!(detailed.stdout, "", "no --json, no object");
}

#[test]
fn a_busy_thread_names_itself_in_the_error_and_its_hint() {
    let world = World::sandbox();
    let (thread, _) = world.send("forever");
    let out = run(world.lovart().args([
        "send",
        "--thread-id",
        &thread,
        "--prompt",
        "and another",
        "--json",
    ]));
    let error = error_object(&out);
    assert_eq!(error["kind"], "thread_busy");
    assert_eq!(error["http_status"], 409);
    assert_eq!(error["code"], 2011);
    assert_eq!(error["retryable"], true);
    assert_eq!(error["thread_id"], thread.as_str());
    let hint = error["hint"].as_str().unwrap();
    assert!(
        hint.contains(&format!("lovart wait --thread-id {thread}")),
        "{hint}"
    );
    let detailed = run(world.lovart().env("LOVART_EXIT_CODES", "detailed").args([
        "send",
        "--thread-id",
        &thread,
        "--prompt",
        "again",
    ]));
    assert_eq!(detailed.code, 6);
}

#[test]
fn rate_limits_keep_retry_after_and_the_servers_code() {
    let world = World::sandbox();
    world.server().inject(
        Fault::new("POST", "/chat", 429)
            .header("Retry-After", "7")
            .json(&json!({"code": 1429, "message": "Rate limit exceeded"})),
    );
    let out = run(world.lovart().args(["send", "--prompt", "a cat", "--json"]));
    let error = error_object(&out);
    assert_eq!(error["kind"], "rate_limited");
    assert_eq!(error["code"], 1429);
    assert_eq!(error["retry_after_s"], 7);
    assert_eq!(error["retryable"], true);
    assert_eq!(error["message"], "Rate limit exceeded");
    assert_eq!(world.count("POST", "/chat"), 1, "a POST is never retried");
}

#[test]
fn wrong_keys_are_an_auth_error() {
    let world = World::sandbox();
    let out = run(world.lovart().env("LOVART_SECRET_KEY", "sk_wrong").args([
        "status",
        "--thread-id",
        "t1",
        "--json",
    ]));
    let error = error_object(&out);
    assert_eq!(error["kind"], "auth");
    assert_eq!(error["http_status"], 401);
    assert_eq!(error["retryable"], false);
    let missing = run(world
        .lovart()
        .env_remove("LOVART_ACCESS_KEY")
        .args(["query-mode", "--json"]));
    assert_eq!(error_object(&missing)["kind"], "auth");
}

#[test]
fn an_unknown_thread_is_not_found() {
    let world = World::sandbox();
    let out = run(world
        .lovart()
        .args(["result", "--thread-id", "nope", "--json"]));
    let error = error_object(&out);
    assert_eq!(error["kind"], "not_found");
    assert_eq!(error["http_status"], 404);
    let detailed = run(world.lovart().env("LOVART_EXIT_CODES", "detailed").args([
        "status",
        "--thread-id",
        "nope",
    ]));
    assert_eq!(detailed.code, 7);
}

#[test]
fn a_dead_server_is_a_retryable_network_error() {
    let world = World::with_server("http://127.0.0.1:9".to_string());
    let out = run(world
        .lovart()
        .args(["status", "--thread-id", "t1", "--json"]));
    let error = error_object(&out);
    assert_eq!(error["kind"], "network");
    assert_eq!(error["retryable"], true);
    assert_eq!(error["http_status"], Value::Null);
}

#[test]
fn a_server_that_never_answers_is_a_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accept and hold every connection without a byte of answer.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8) {
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let world = World::with_server(url);
    let out = run(world
        .lovart()
        .args(["--timeout", "1", "status", "--thread-id", "t1", "--json"]));
    let error = error_object(&out);
    assert_eq!(error["kind"], "timeout", "{error}");
    assert_eq!(error["retryable"], true);
}

#[test]
fn an_error_after_the_send_carries_the_thread_and_keeps_it_in_state() {
    let world = World::sandbox();
    world
        .server()
        .inject(Fault::new("GET", "/chat/status", 500).json(&json!({"message": "oops"})));
    let out = run(world.lovart().args(["chat", "--prompt", "a cat", "--json"]));
    let error = error_object(&out);
    assert_eq!(error["kind"], "server");
    let thread = error["thread_id"]
        .as_str()
        .expect("the sent thread")
        .to_string();
    assert_eq!(world.thread_ids(), std::slice::from_ref(&thread));
    assert!(error["hint"].as_str().unwrap().contains(&thread));
}

#[test]
fn wait_prints_what_chat_prints_for_a_sent_thread() {
    let world = World::sandbox();
    let (thread, project) = world.send("a cat");
    let out = world.out_dir();
    let waited = run(world.lovart().args([
        "wait",
        "--thread-id",
        &thread,
        "--json",
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(waited.code, 0, "{}", waited.stderr);
    let result = waited.json();
    let keys: Vec<&String> = result.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "thread_id",
            "status",
            "items",
            "final_status",
            "project_id",
            "generation_succeeded",
            "downloaded"
        ]
    );
    assert_eq!(result["project_id"], project.as_str());
    assert_eq!(result["final_status"], "done");
    assert_eq!(result["downloaded"][0]["new"], true);
    assert_eq!(world.count("POST", "/chat"), 1, "wait sends nothing");
}

#[test]
fn the_deadline_looks_once_more_for_a_pending_confirmation() {
    let world = World::sandbox();
    // A thread whose status says "running" while it waits for a yes (as the
    // real API may): only the result tells, and with polls 0.6 s apart the
    // wait never reaches the 7th poll that would look.
    let pending = json!({"code": 0, "data": {"status": "running", "items": [],
        "pending_confirmation": {"message": "costs about 40 credits", "estimated_cost": 40}}});
    world
        .server()
        .inject(Fault::new("GET", "/chat/result", 200).json(&pending));
    let out = run(world.lovart().env("LOVART_WAIT_SCALE", "0.2").args([
        "--timeout",
        "1",
        "chat",
        "--prompt",
        "forever",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let result = out.json();
    assert_eq!(result["final_status"], "pending_confirmation");
    assert_eq!(result["pending_confirmation"]["estimated_cost"], 40);
    assert!(world.count("GET", "/chat/status") < 7);

    world
        .server()
        .inject(Fault::new("GET", "/chat/result", 200).json(&pending));
    let detailed = run(world
        .lovart()
        .env("LOVART_WAIT_SCALE", "0.2")
        .env("LOVART_EXIT_CODES", "detailed")
        .args(["--timeout", "1", "chat", "--prompt", "forever again"]));
    assert_eq!(detailed.code, 20, "{}", detailed.stderr);
    let still_running = run(world
        .lovart()
        .env("LOVART_WAIT_SCALE", "0.2")
        .env("LOVART_EXIT_CODES", "detailed")
        .args(["--timeout", "1", "chat", "--prompt", "forever and ever"]));
    assert_eq!(still_running.code, 21, "{}", still_running.stderr);
}

#[test]
fn max_credits_confirms_only_what_it_covers() {
    let world = World::sandbox();
    let within = run(world.lovart().args([
        "chat",
        "--prompt",
        "video of a lake",
        "--max-credits",
        "50",
        "--json",
    ]));
    assert_eq!(within.code, 0, "{}", within.stderr);
    assert_eq!(within.json()["final_status"], "done");
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
    assert!(
        within
            .stderr
            .contains("confirming: the step costs about 40")
    );

    let beyond = run(world.lovart().args([
        "chat",
        "--prompt",
        "video of a river",
        "--max-credits",
        "10",
        "--json",
    ]));
    assert_eq!(beyond.json()["final_status"], "pending_confirmation");
    assert_eq!(
        world.count("POST", "/chat/confirm"),
        1,
        "nothing more confirmed"
    );
    let unasked = run(world
        .lovart()
        .args(["chat", "--prompt", "video of a sea", "--json"]));
    assert_eq!(unasked.json()["final_status"], "pending_confirmation");
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
}

#[test]
fn parallel_first_runs_share_one_new_project() {
    let world = World::sandbox();
    let children: Vec<_> = (0..3)
        .map(|n| {
            world
                .lovart_process()
                .args(["send", "--prompt", &format!("cat number {n}")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut projects = Vec::new();
    for child in children {
        let mut child = child;
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        assert!(child.wait().unwrap().success());
        let answer: Value = serde_json::from_str(&stdout).unwrap();
        projects.push(answer["project_id"].as_str().unwrap().to_string());
    }
    assert_eq!(
        world.count("POST", "/project/save"),
        1,
        "one project created"
    );
    assert!(projects.iter().all(|project| *project == projects[0]));
    assert_eq!(world.thread_ids().len(), 3);
}

#[test]
fn global_options_work_after_the_command_in_full_spelling() {
    let world = World::sandbox();
    let out = run(world.lovart().args([
        "chat",
        "--prompt",
        "a cat",
        "--timeout",
        "30",
        "--quiet",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["final_status"], "done");
    // A prefix after the command still means the command's own option.
    let prefix = run(world.lovart().args(["status", "--t", "nope", "--json"]));
    assert_eq!(error_object(&prefix)["kind"], "not_found");
}

#[test]
fn a_local_attachment_is_uploaded_and_its_url_sent() {
    let world = World::sandbox();
    let photo = world.home.path().join("photo.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let out = run(world.lovart().args([
        "send",
        "--prompt",
        "watercolor style",
        "--attachments",
        photo.to_str().unwrap(),
        "https://example.com/a.png",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(world.count("POST", "/file/upload"), 1);
    let body = world.requests_to("POST", "/chat")[0].json().unwrap();
    let attachments = body["attachments"].as_array().unwrap();
    assert!(attachments[0].as_str().unwrap().starts_with(&world.url()));
    assert_eq!(attachments[1], "https://example.com/a.png");
    assert!(out.stderr.contains("uploaded "), "{}", out.stderr);
}

#[test]
fn every_command_accepts_json() {
    let world = World::sandbox();
    let (thread, project) = world.send("a cat");
    for args in [
        vec!["status", "--thread-id", &thread, "--json"],
        vec!["create-project", "--json"],
        vec!["query-mode", "--json"],
        vec!["set-mode", "--fast", "--json"],
        vec!["project-switch", "--project-id", &project, "--json"],
        vec!["thread-remove", "--thread-id", &thread, "--json"],
        vec!["send", "--prompt", "a dog", "--json"],
        vec!["completions", "bash", "--json"],
    ] {
        let out = run(world.lovart().args(&args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_project_check_keeps_the_references_message_and_names_the_real_cause() {
    let world = World::sandbox();
    let unknown = run(world.lovart().args([
        "chat",
        "--project-id",
        "doesnotexist",
        "--prompt",
        "x",
        "--json",
    ]));
    let error = error_object(&unknown);
    assert_eq!(error["message"], "Project 'doesnotexist' does not exist");
    assert_eq!(error["kind"], "not_found");
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("does not know the project")
    );

    let refused = run(world.lovart().env("LOVART_SECRET_KEY", "sk_wrong").args([
        "chat",
        "--project-id",
        "p1",
        "--prompt",
        "x",
        "--json",
    ]));
    let error = error_object(&refused);
    assert_eq!(error["message"], "Project 'p1' does not exist");
    assert_eq!(error["kind"], "auth");
    assert!(
        error["hint"].as_str().unwrap().contains("refused the keys"),
        "{error}"
    );
    assert_eq!(world.count("POST", "/chat"), 0, "nothing was sent");
}
