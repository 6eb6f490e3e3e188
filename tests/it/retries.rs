//! Retries, timeouts and failed connections: which requests are tried again,
//! the waits between tries (from the sandbox's arrival times, not the wall
//! clock of a run) and the urllib-style messages when all tries fail.

use crate::support::{World, run};
use lovart_sandbox::Fault;
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn a_post_answered_429_is_not_retried() {
    let world = World::sandbox();
    run(world.lovart().arg("create-project"));
    world.server().inject(
        Fault::new("POST", "/chat", 429)
            .header("retry-after", "60")
            .json(&json!({"code": 429, "message": "Rate limit exceeded", "details": "slow down"})),
    );
    let sent = run(world.lovart().args(["send", "--prompt", "a cat"]));
    assert_eq!(sent.stderr, "Error: Rate limit exceeded: slow down\n");
    assert_eq!(sent.code, 1);
    assert_eq!(world.count("POST", "/chat"), 1);
}

#[test]
fn a_get_answered_500_is_not_retried() {
    let world = World::sandbox();
    world
        .server()
        .inject(Fault::new("GET", "/chat/status", 500).json(&json!({"message": "boom"})));
    let status = run(world.lovart().args(["status", "--thread-id", "t"]));
    assert_eq!(status.stderr, "Error: boom\n");
    assert_eq!(world.count("GET", "/chat/status"), 1);
}

#[test]
fn three_refused_connections_are_reported_like_urllib() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let world = World::with_server(format!("http://127.0.0.1:{port}"));
    let status = run(world.lovart().args(["status", "--thread-id", "t"]));
    assert_eq!(status.code, 1);
    assert_eq!(
        status.stderr,
        "Error: Connection failed after 3 attempts: <urlopen error [Errno 111] Connection refused>\n"
    );
}

#[test]
fn a_refused_post_is_tried_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let world = World::with_server(format!("http://127.0.0.1:{port}"));
    let created = run(world.lovart().arg("create-project"));
    assert_eq!(
        created.stderr,
        "Error: Connection failed after 1 attempts: <urlopen error [Errno 111] Connection refused>\n"
    );
}

#[test]
fn a_silent_server_times_out_after_timeout_seconds_per_attempt() {
    // Accepts connections and never answers; notes when each one arrived.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let world = World::with_server(format!("http://{}", silent.local_addr().unwrap()));
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let noted = arrivals.clone();
    std::thread::spawn(move || {
        for stream in silent.incoming() {
            noted.lock().unwrap().push((Instant::now(), stream));
        }
    });
    // `--timeout 1` a tenth as long: each attempt waits 0.1 s for an answer.
    let status = run(world.lovart().env("LOVART_TIMEOUT_SCALE", "0.1").args([
        "--timeout",
        "1",
        "status",
        "--thread-id",
        "t",
    ]));
    assert_eq!(
        status.stderr,
        "Error: Connection failed after 3 attempts: timed out\n"
    );
    let arrivals: Vec<Instant> = arrivals.lock().unwrap().iter().map(|(at, _)| *at).collect();
    assert_eq!(arrivals.len(), 3, "one connection per attempt");
    for pair in arrivals.windows(2) {
        let waited = pair[1].duration_since(pair[0]);
        // 0.1 s give or take how soon the accepting thread ran: far from
        // the next attempt starting at once.
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
    }
}

#[test]
fn get_retries_wait_two_then_four_seconds() {
    let world = World::sandbox();
    let (thread, _) = world.send("a cat");
    world
        .server()
        .inject(Fault::new("GET", "/chat/status", 503).times(2));
    // A tenth of the reference's waits: 0.2 s, then 0.4 s.
    let status = run(world.lovart().env("LOVART_WAIT_SCALE", "0.1").args([
        "status",
        "--thread-id",
        &thread,
    ]));
    assert_eq!(status.code, 0, "{}", status.stderr);
    let polls = world.requests_to("GET", "/chat/status");
    let statuses: Vec<u16> = polls.iter().map(|poll| poll.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
    let first = polls[1].at.duration_since(polls[0].at);
    let second = polls[2].at.duration_since(polls[1].at);
    assert!(first >= Duration::from_millis(200), "{first:?}");
    assert!(second >= Duration::from_millis(400), "{second:?}");
}
