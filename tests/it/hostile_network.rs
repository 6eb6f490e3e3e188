//! A broken or hostile network (issue 12): bounded answers, hard deadlines,
//! redirects that never carry the signature away, nothing billed lost.
//! Memory and time figures are measured by `scripts/measure_hostile.py`;
//! these tests check the behaviour structurally.

use std::time::Duration;

use serde_json::json;

use crate::hostile::{Hostile, Reply, Seen};
use crate::support::{World, assert_one_error_line, file_names, run};

const STATUS: &str = "/v1/openapi/chat/status";
const CHAT: &str = "/v1/openapi/chat";
const SAVE: &str = "/v1/openapi/project/save";

/// A well-behaved answer to the calls before the poll; `status` for the rest.
fn api(status: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |seen| match seen.path.as_str() {
        SAVE => Reply::json(200, r#"{"code":0,"data":{"project_id":"p1"}}"#),
        CHAT => Reply::json(200, r#"{"code":0,"data":{"thread_id":"t1"}}"#),
        _ => status(seen),
    })
}

#[test]
fn an_endless_answer_is_refused_past_the_cap_and_not_retried() {
    let server = api(|_| Reply::Endless);
    let world = World::with_server(server.base_url.clone());
    let failed = run(world.lovart().args(["status", "--thread-id", "t1"]));
    assert_one_error_line(&failed);
    assert_eq!(
        failed.stderr.trim(),
        "Error: the answer to GET /v1/openapi/chat/status is larger than 4 MiB"
    );
    assert_eq!(server.count("GET", STATUS), 1);
}

#[test]
fn a_declared_huge_answer_is_refused_before_reading() {
    let server = api(|_| Reply::Short {
        declared: 10_000_000_000,
        body: b"{}".to_vec(),
    });
    let world = World::with_server(server.base_url.clone());
    let failed = run(world.lovart().args(["status", "--thread-id", "t1"]));
    assert_one_error_line(&failed);
    assert!(
        failed.stderr.contains("is larger than 4 MiB"),
        "{}",
        failed.stderr
    );
    assert_eq!(server.count("GET", STATUS), 1);
}

/// A valid answer dripped over 15 s: each read is quick, so only a limit on
/// the attempt as a whole stops it (a per-read timeout would let it succeed).
fn slow_status() -> Reply {
    let body = format!(
        r#"{{"code":0,"data":{{"status":"done","pad":"{}"}}}}"#,
        "x".repeat(260)
    );
    Reply::Drip {
        body: body.into_bytes(),
        every: Duration::from_millis(50),
    }
}

#[test]
fn timeout_bounds_each_attempt_as_a_whole() {
    let server = api(|_| slow_status());
    let world = World::with_server(server.base_url.clone());
    let failed = run(world
        .lovart()
        .args(["--timeout", "1", "status", "--thread-id", "t1"]));
    assert_one_error_line(&failed);
    assert_eq!(
        failed.stderr.trim(),
        "Error: Connection failed after 3 attempts: timed out"
    );
    assert_eq!(server.count("GET", STATUS), 3);
}

#[test]
fn a_waiting_command_starts_no_attempt_after_its_deadline() {
    let server = api(|_| slow_status());
    let world = World::with_server(server.base_url.clone());
    let failed = run(world
        .lovart()
        .args(["--timeout", "1", "chat", "--prompt", "a cat"]));
    assert_one_error_line(&failed);
    assert_eq!(
        failed.stderr.trim(),
        "Error: Connection failed after 1 attempts: timed out"
    );
    // The one status attempt began before the 1 s deadline and ended it; no retry.
    assert_eq!(server.count("GET", STATUS), 1);
    assert_eq!(
        world.thread_ids(),
        vec!["t1"],
        "the sent thread is on record"
    );
}

#[test]
fn a_get_redirect_to_another_origin_is_not_followed() {
    let elsewhere = Hostile::start(|_| Reply::json(200, r#"{"code":0,"data":{"status":"done"}}"#));
    let target = format!("{}/steal", elsewhere.base_url);
    let server = api(move |_| Reply::redirect(302, &target));
    let world = World::with_server(server.base_url.clone());
    let failed = run(world.lovart().args(["status", "--thread-id", "t1"]));
    assert_one_error_line(&failed);
    assert!(
        failed
            .stderr
            .contains("is a redirect (302) to http://127.0.0.1:")
            && failed.stderr.contains("not followed (another origin)"),
        "{}",
        failed.stderr
    );
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
    assert_eq!(server.count("GET", STATUS), 1, "a redirect is not retried");
}

#[test]
fn a_get_redirect_within_the_origin_is_followed_signed() {
    let server = Hostile::start(|seen| match seen.path.as_str() {
        STATUS => Reply::redirect(302, "/v1/openapi/chat/status-moved?thread_id=t1"),
        _ => Reply::json(200, r#"{"code":0,"data":{"status":"done"}}"#),
    });
    let world = World::with_server(server.base_url.clone());
    let ok = run(world.lovart().args(["status", "--thread-id", "t1"]));
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let moved: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|seen| seen.path == "/v1/openapi/chat/status-moved")
        .collect();
    assert_eq!(moved.len(), 1);
    assert!(moved[0].header("x-signature").is_some());
    assert!(moved[0].header("referer").is_none());
}

#[test]
fn a_post_is_never_redirected_and_nothing_is_recorded() {
    let elsewhere =
        Hostile::start(|_| Reply::json(200, r#"{"code":0,"data":{"thread_id":"evil"}}"#));
    let target = format!("{}/v1/openapi/chat", elsewhere.base_url);
    let server = Hostile::start(move |seen| match seen.path.as_str() {
        SAVE => Reply::json(200, r#"{"code":0,"data":{"project_id":"p1"}}"#),
        _ => Reply::redirect(307, &target),
    });
    let world = World::with_server(server.base_url.clone());
    let failed = run(world.lovart().args(["send", "--prompt", "a cat"]));
    assert_one_error_line(&failed);
    assert!(
        failed
            .stderr
            .contains("not followed (a POST is never redirected)"),
        "{}",
        failed.stderr
    );
    assert!(elsewhere.seen().is_empty());
    let posted: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|seen| seen.path == CHAT)
        .collect();
    assert_eq!(posted.len(), 1);
    assert!(posted[0].body.starts_with(br#"{"prompt": "a cat""#));
    let recorded = world
        .state_text()
        .map(|_| world.thread_ids())
        .unwrap_or_default();
    assert!(recorded.is_empty(), "{recorded:?}");
}

/// `download` against one misbehaving URL, with the stall and size limits given.
fn download_one(url: &str, env: &[(&str, &str)]) -> (crate::support::Run, World) {
    let world = World::with_server(url.to_string());
    let out = world.out_dir();
    let mut command = world.lovart();
    command.args(["download", "--urls", url, "--output-dir", &out]);
    for (name, value) in env {
        command.env(name, value);
    }
    (run(&mut command), world)
}

fn assert_failed_item(done: &crate::support::Run, url: &str, world: &World) {
    assert_eq!(done.code, 0, "{}", done.stderr);
    let answer = done.json();
    assert_eq!(
        answer["downloaded"],
        json!([{"type": "image", "url": url, "local_path": null, "error": "download failed", "new": false}])
    );
    assert!(
        done.stderr.contains("failed"),
        "the reason on stderr: {}",
        done.stderr
    );
    let left = file_names(std::path::Path::new(&world.out_dir()));
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn an_endless_download_stops_at_its_byte_limit() {
    let server = Hostile::start(|_| Reply::Endless);
    let url = format!("{}/a.png", server.base_url);
    let (done, world) = download_one(&url, &[("LOVART_MAX_DOWNLOAD_BYTES", "1048576")]);
    assert_failed_item(&done, &url, &world);
    assert!(
        done.stderr.contains("more than the limit of 1048576 bytes"),
        "{}",
        done.stderr
    );
}

#[test]
fn a_dripping_download_fails_as_a_stall() {
    let server = Hostile::start(|_| Reply::Drip {
        body: vec![b'x'; 400],
        every: Duration::from_millis(50),
    });
    let url = format!("{}/a.png", server.base_url);
    let (done, world) = download_one(&url, &[("LOVART_DOWNLOAD_STALL_SECS", "1")]);
    assert_failed_item(&done, &url, &world);
    assert!(done.stderr.contains("stalled"), "{}", done.stderr);
}

#[test]
fn a_download_shorter_than_its_length_fails() {
    let server = Hostile::start(|_| Reply::Short {
        declared: 1000,
        body: b"0123456789".to_vec(),
    });
    let url = format!("{}/a.png", server.base_url);
    let (done, world) = download_one(&url, &[]);
    assert_failed_item(&done, &url, &world);
}

#[test]
fn a_download_follows_a_cross_origin_redirect_unsigned() {
    let cdn = Hostile::start(|_| Reply::Full {
        status: 200,
        headers: vec![],
        body: b"image bytes".to_vec(),
    });
    let target = format!("{}/real.png", cdn.base_url);
    let server = Hostile::start(move |_| Reply::redirect(302, &target));
    let url = format!("{}/a.png", server.base_url);
    let (done, _world) = download_one(&url, &[]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(done.json()["downloaded"][0]["new"], json!(true));
    let fetched = cdn.seen();
    assert_eq!(fetched.len(), 1);
    for name in ["x-signature", "x-access-key", "x-timestamp"] {
        assert!(fetched[0].header(name).is_none(), "{name} sent to the CDN");
    }
}

/// The state cannot be saved (its lock file is a directory): a billed send
/// still prints its thread id, and says on stderr that the state was not saved.
#[test]
fn a_billed_send_is_never_lost_to_the_state() {
    let world = World::sandbox();
    let lock = world.home.path().join(".lovart/state.json.lock");
    std::fs::create_dir_all(&lock).unwrap();

    let sent = run(world.lovart().args(["send", "--prompt", "a cat"]));
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    let thread_id = sent.json()["thread_id"].as_str().unwrap().to_string();
    assert!(
        sent.stderr
            .contains(&format!("warning: thread {thread_id} was sent"))
    );
    assert_eq!(world.count("POST", "/chat"), 1);

    let chat = run(world.lovart().args(["chat", "--prompt", "a dog", "--json"]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let result = chat.json();
    assert_eq!(result["final_status"], json!("done"));
    let thread_id = result["thread_id"].as_str().unwrap();
    assert!(
        chat.stderr
            .contains(&format!("warning: thread {thread_id} was sent"))
    );
}

#[test]
fn uploads_refuse_what_is_not_a_regular_file() {
    let world = World::sandbox();
    let fifo = world.home.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for path in ["/dev/zero".to_string(), fifo.display().to_string()] {
        let failed = run(world.lovart().args(["upload", "--file", &path]));
        assert_one_error_line(&failed);
        assert_eq!(
            failed.stderr.trim(),
            format!("Error: cannot upload '{path}': not a regular file")
        );
    }
    assert_eq!(world.count("POST", "/file/upload"), 0);
}

#[test]
fn stale_state_temp_files_are_swept_under_the_lock() {
    let world = World::sandbox();
    let dir = world.home.path().join(".lovart");
    std::fs::create_dir_all(&dir).unwrap();
    let ours = dir.join(".state.json.tmp-AbC123");
    let legacy_old = dir.join(".tmpQwErTy");
    let legacy_new = dir.join(".tmpZxCvBn");
    for path in [&ours, &legacy_old, &legacy_new] {
        std::fs::write(path, "{").unwrap();
    }
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&legacy_old)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    world.send("a cat");
    let left = file_names(&dir);
    assert!(
        !left.contains(&".state.json.tmp-AbC123".to_string()),
        "{left:?}"
    );
    assert!(!left.contains(&".tmpQwErTy".to_string()), "{left:?}");
    assert!(left.contains(&".tmpZxCvBn".to_string()), "{left:?}");
    assert!(left.contains(&"state.json".to_string()));
}
