//! CONTRACT §6, what lovart does better than the reference: concurrent runs,
//! bad input, malformed answers, interrupts, rate limits and secrets; and the
//! plain failures around them (missing keys, a flaky server).

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{World, assert_one_error_line, run};
use lovart_sandbox::Fault;
use serde_json::json;

#[test]
fn thirty_two_concurrent_sends_keep_every_thread() {
    let world = World::sandbox();
    assert_eq!(run(world.lovart().arg("create-project")).code, 0);
    let children: Vec<_> = (0..32)
        .map(|n| {
            world
                .lovart_process()
                .args(["send", "--prompt", &format!("cat number {n}")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn lovart")
        })
        .collect();
    let mut sent = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        sent.push(answer["thread_id"].as_str().unwrap().to_string());
    }
    let mut kept = world.thread_ids();
    sent.sort();
    kept.sort();
    assert_eq!(kept, sent, "32 of 32 threads kept");
    assert_eq!(world.state()["projects"].as_object().unwrap().len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(world.state_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_corrupt_state_file_is_moved_aside_not_wiped() {
    let world = World::sandbox();
    world.write_state("{not json");
    let (thread, _) = world.send("a cat");
    assert_eq!(world.thread_ids(), [thread]);
    let kept: Vec<String> = crate::support::file_names(&world.home.path().join(".lovart"))
        .into_iter()
        .filter(|name| name.starts_with("state.json.corrupt-"))
        .collect();
    assert_eq!(kept.len(), 1);
    let moved = world.home.path().join(".lovart").join(&kept[0]);
    assert_eq!(std::fs::read_to_string(moved).unwrap(), "{not json");
}

#[test]
fn invalid_prefer_models_is_refused_before_any_request() {
    let world = World::sandbox();
    for bad in [
        "not json",
        "[1]",
        r#"{"IMAGE":"generate_image_flux"}"#,
        r#"{"IMAGE":[1]}"#,
    ] {
        let chat = run(world
            .lovart()
            .args(["chat", "--prompt", "a cat", "--prefer-models", bad]));
        assert_one_error_line(&chat);
        assert!(
            chat.stderr.starts_with("Error: invalid --prefer-models"),
            "{bad}: {}",
            chat.stderr
        );
    }
    assert!(world.server().requests().is_empty());
}

#[test]
fn non_positive_timeouts_and_intervals_are_refused() {
    let world = World::sandbox();
    let commands: [&[&str]; 4] = [
        &["chat", "--prompt", "a cat"],
        &["send", "--prompt", "a cat"],
        &["status", "--thread-id", "t"],
        &["watch", "--prompt", "a cat"],
    ];
    for timeout in ["--timeout=0", "--timeout=-5"] {
        for command in commands {
            let refused = run(world.lovart().arg(timeout).args(command));
            assert_one_error_line(&refused);
            assert!(refused.stderr.contains("--timeout"), "{}", refused.stderr);
        }
    }
    for interval in ["0", "-1"] {
        let out = world.out_dir();
        let watch = run(world.lovart().args([
            "watch",
            "--prompt",
            "a cat",
            "--output-dir",
            &out,
            &format!("--interval={interval}"),
        ]));
        assert_one_error_line(&watch);
        assert!(watch.stderr.contains("--interval"), "{}", watch.stderr);
    }
    assert!(world.server().requests().is_empty());
}

#[test]
fn malformed_answers_are_one_error_line_never_a_panic() {
    let world = World::sandbox();
    let result = |body: &str| {
        world.server().inject(
            Fault::new("GET", "/chat/result", 200)
                .header("content-type", "application/json")
                .body(body.to_string()),
        );
        run(world.lovart().args(["result", "--thread-id", "t"]))
    };
    let cases = [
        (
            "<html>oops</html>",
            "Error: the answer to GET /v1/openapi/chat/result is not JSON: <html>oops</html>\n",
        ),
        (
            r#"{"code":0,"data":null}"#,
            "Error: the answer to GET /v1/openapi/chat/result is not a JSON object: null\n",
        ),
        (r#"{"code":3,"message":null}"#, "Error: None\n"),
        (
            "",
            "Error: the answer to GET /v1/openapi/chat/result is not JSON: an empty body\n",
        ),
    ];
    for (body, expected) in cases {
        let answer = result(body);
        assert_one_error_line(&answer);
        assert_eq!(answer.stderr, expected, "{body}");
    }

    // The project/save case comes first: once a send succeeds (the status
    // case), the state has an active project and chat no longer creates one.
    for (method, path, body) in [
        (
            "POST",
            "/project/save",
            json!({"code": 0, "data": {"project_id": 5}}),
        ),
        ("POST", "/chat", json!({"code": 0, "data": {}})),
        ("POST", "/chat", json!([1, 2])),
        ("GET", "/chat/status", json!({"code": 0, "data": null})),
    ] {
        world
            .server()
            .inject(Fault::new(method, path, 200).json(&body));
        let chat = run(world.lovart().args(["chat", "--prompt", "a cat", "--json"]));
        assert_one_error_line(&chat);
        // With --json, stdout carries the error object only. A send answered
        // with something unreadable may have started a generation.
        let expected = if path == "/chat" {
            "outcome_unknown"
        } else {
            "server"
        };
        assert_eq!(
            chat.json()["error"]["kind"],
            expected,
            "{method} {path} {body}"
        );
    }
}

#[test]
fn an_output_folder_that_cannot_be_created_stops_before_the_send() {
    let world = World::sandbox();
    let (thread, _) = world.send("a cat");
    world.server().clear_requests();
    let blocker = world.home.path().join("blocker");
    std::fs::write(&blocker, b"a file in the way").unwrap();
    let out = blocker.join("sub").display().to_string();
    let expected = format!("Error: cannot create output folder '{out}': Not a directory\n");
    let commands: [&[&str]; 4] = [
        &[
            "chat",
            "--prompt",
            "a dog",
            "--download",
            "--output-dir",
            &out,
        ],
        &["watch", "--prompt", "a dog", "--output-dir", &out],
        &[
            "confirm",
            "--thread-id",
            &thread,
            "--download",
            "--output-dir",
            &out,
        ],
        &[
            "result",
            "--thread-id",
            &thread,
            "--download",
            "--output-dir",
            &out,
        ],
    ];
    for command in commands {
        let refused = run(world.lovart().args(command));
        assert_one_error_line(&refused);
        assert_eq!(refused.stderr, expected, "{command:?}");
    }
    assert!(world.server().requests().is_empty(), "nothing was sent");
}

#[test]
fn keys_never_reach_output_or_disk() {
    let world = World::sandbox();
    let out = world.out_dir();
    let mut runs = vec![
        run(world.lovart().args([
            "chat",
            "--prompt",
            "a cat",
            "--json",
            "--download",
            "--output-dir",
            &out,
        ])),
        run(world.lovart().arg("doctor")),
        run(world.lovart().args(["doctor", "--json"])),
    ];
    for run in &runs {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let wrong = "sk_wrong_but_secret_42";
    runs.push(run(world
        .lovart()
        .env("LOVART_SECRET_KEY", wrong)
        .args(["chat", "--prompt", "a dog"])));
    runs.push(run(world.lovart().args([
        "--sk",
        wrong,
        "chat",
        "--prompt",
        "a dog",
        "--project-id",
        "p",
    ])));
    runs.push(run(world
        .lovart()
        .env("LOVART_SECRET_KEY", wrong)
        .arg("doctor")));
    let active = world.state()["active_project"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        runs[3].stderr,
        format!("Error: Project '{active}' does not exist\n")
    );
    assert_eq!(runs[4].stderr, "Error: Project 'p' does not exist\n");
    for run in &runs {
        for secret in ["sk_sandbox", wrong] {
            assert!(
                !run.stdout.contains(secret),
                "{secret} in stdout:\n{}",
                run.stdout
            );
            assert!(
                !run.stderr.contains(secret),
                "{secret} in stderr:\n{}",
                run.stderr
            );
        }
    }
    // Every file under the state folder (the pending-sends records too).
    let mut folders = vec![world.home.path().join(".lovart")];
    while let Some(folder) = folders.pop() {
        for name in crate::support::file_names(&folder) {
            let path = folder.join(&name);
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert!(
                !text.contains("sk_sandbox") && !text.contains(wrong),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn retry_after_sets_the_wait_before_a_retried_get() {
    let world = World::sandbox();
    let (thread, _) = world.send("a cat");
    // The wait between the refused poll and its retry, as the sandbox saw them.
    let retried_after = |retry_after: &str| {
        world
            .server()
            .inject(Fault::new("GET", "/chat/status", 429).header("retry-after", retry_after));
        let status = run(world.lovart().env("LOVART_WAIT_SCALE", "1").args([
            "status",
            "--thread-id",
            &thread,
        ]));
        assert_eq!(status.code, 0, "{}", status.stderr);
        let polls = world.requests_to("GET", "/chat/status");
        let [.., refused, retried] = polls.as_slice() else {
            panic!("two polls: {polls:?}")
        };
        assert_eq!((refused.status, retried.status), (429, 200));
        retried.at.duration_since(refused.at)
    };
    // Without the header the first retry waits 2 s.
    let waited = retried_after("0");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    let waited = retried_after("1");
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert_eq!(world.count("GET", "/chat/status"), 4);
}

#[test]
fn retry_after_is_capped_at_a_minute() {
    let world = World::sandbox();
    world
        .server()
        .inject(Fault::new("GET", "/chat/status", 429).header("retry-after", "3600"));
    // A hundredth of the waits: a capped minute is 0.6 s, an hour would be 36 s.
    let status =
        run(world
            .lovart()
            .env("LOVART_WAIT_SCALE", "0.01")
            .args(["status", "--thread-id", "t"]));
    assert_eq!(status.stderr, "Error: thread not found\n");
    let polls = world.requests_to("GET", "/chat/status");
    let [refused, retried, ..] = polls.as_slice() else {
        panic!("two polls: {polls:?}")
    };
    let waited = retried.at.duration_since(refused.at);
    assert!(waited >= Duration::from_millis(600), "{waited:?}");
    assert!(waited < Duration::from_secs(30), "{waited:?}");
}

#[test]
fn the_thread_is_recorded_even_when_the_wait_fails() {
    let world = World::sandbox();
    world.server().inject(
        Fault::new("GET", "/chat/status", 500)
            .times(100)
            .json(&json!({"message": "status is down"})),
    );
    let chat = run(world.lovart().args(["chat", "--prompt", "a lost cat"]));
    assert_eq!(chat.stderr, "Error: status is down\n");
    assert_eq!(chat.code, 1);
    let state = world.state();
    assert_eq!(state["threads"].as_array().unwrap().len(), 1);
    assert_eq!(state["threads"][0]["topic"], "a lost cat");
    assert_eq!(state["threads"][0]["project_id"], state["active_project"]);
    assert_eq!(world.count("GET", "/chat/status"), 1);
}

/// Starts `args`, waits until its thread is saved and polled, sends SIGINT and
/// returns the output (killing it if it does not end within 10 s).
#[cfg(unix)]
fn interrupt_while_polling(world: &World, args: &[&str]) -> (std::process::Output, String) {
    let mut child = world
        .lovart_process()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lovart");
    let deadline = Instant::now() + Duration::from_secs(10);
    let thread = loop {
        let saved = world.state_text().map(|_| world.thread_ids());
        if let Some([thread]) = saved.as_deref()
            && world.count("GET", "/chat/status") > 0
        {
            break thread.clone();
        }
        assert!(Instant::now() < deadline, "the thread was never polled");
        std::thread::sleep(Duration::from_millis(10));
    };
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (child.wait_with_output().unwrap(), thread)
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_chat_exits_130_and_says_how_to_resume() {
    let world = World::sandbox();
    let (output, thread) = interrupt_while_polling(&world, &["chat", "--prompt", "forever cat"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("lovart result --thread-id {thread}")),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    let run = crate::support::Run {
        code: 130,
        stdout: String::new(),
        stderr: stderr.into_owned(),
    };
    crate::support::assert_no_panic(&run);
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_watch_ends_the_stream_and_exits_130() {
    let world = World::sandbox();
    let out = world.out_dir();
    let (output, thread) = interrupt_while_polling(
        &world,
        &["watch", "--prompt", "forever cat", "--output-dir", &out],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("watch --thread-id {thread}")),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap();
    let finished: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(finished["event"], "finished");
}

#[test]
fn a_killed_download_leaves_no_file_under_the_final_name() {
    let world = World::sandbox();
    let (thread, _) = world.send("a cat bigfile slowfile");
    let url = format!("{}/files/{thread}/1.png", world.url());
    let out = world.out_dir();
    let mut child = world
        .lovart_process()
        .args(["download", "--urls", &url, "--output-dir", &out])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lovart");
    let deadline = Instant::now() + Duration::from_secs(10);
    while world.count("GET", &format!("/files/{thread}/1.png")) == 0 {
        assert!(Instant::now() < deadline, "the download never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(250));
    child.kill().unwrap();
    child.wait().unwrap();
    let names = crate::support::file_names(&world.home.path().join("out"));
    assert!(
        !names.contains(&crate::support::artifact_name("lovart", &url, ".png")),
        "a partial file took the final name: {names:?}"
    );
    assert!(
        names
            .iter()
            .all(|name| name.starts_with(".lovart-partial-")),
        "{names:?}"
    );
}

#[test]
fn missing_keys_stop_network_commands() {
    let world = World::offline();
    let status = run(world.lovart().args(["status", "--thread-id", "t"]));
    assert_one_error_line(&status);
    assert_eq!(
        status.stderr,
        "Error: LOVART_ACCESS_KEY and LOVART_SECRET_KEY must be set (via env vars or --ak/--sk)\n"
    );
}

#[test]
fn flaky_server_answers_are_retried_and_the_chat_succeeds() {
    let world = World::sandbox();
    let chat = run(world
        .lovart()
        .args(["chat", "--prompt", "a flaky cat", "--json"]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    assert_eq!(chat.json()["generation_succeeded"], true);
    let statuses: Vec<u16> = world
        .requests_to("GET", "/chat/status")
        .iter()
        .map(|request| request.status)
        .collect();
    assert_eq!(statuses[0], 503, "{statuses:?}");
}
