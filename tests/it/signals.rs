//! A harness stopping lovart mid-wait: SIGTERM and SIGHUP are handled like
//! Ctrl-C — the thread is kept, the resume command is printed, and with
//! `--json` the interruption object is the last stdout line.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::World;

/// Starts `chat --prompt forever --json`, waits for its send, then sends `signal`.
fn interrupted_chat(signal: &str) -> (World, std::process::Output) {
    let world = World::sandbox();
    let child = world
        .lovart_process()
        .args(["chat", "--prompt", "forever", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..500 {
        if world.count("GET", "/chat/status") > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        world.count("GET", "/chat/status") > 0,
        "the chat never polled"
    );
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    (world, output)
}

#[test]
fn sigterm_mid_wait_keeps_the_thread_and_says_how_to_resume() {
    let (world, output) = interrupted_chat("-TERM");
    assert_eq!(output.status.code(), Some(143));
    let stdout: Value = serde_json::from_slice(&output.stdout).unwrap();
    let thread = world.thread_ids()[0].clone();
    assert_eq!(stdout["final_status"], "interrupted");
    assert_eq!(stdout["thread_id"], thread.as_str());
    assert_eq!(stdout["project_id"], world.state()["active_project"]);
    assert_eq!(
        stdout["resume"],
        format!("lovart wait --thread-id {thread} --json --download")
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("lovart wait --thread-id {thread}")),
        "{stderr}"
    );
}

#[test]
fn sighup_is_an_interruption_too() {
    let (_world, output) = interrupted_chat("-HUP");
    assert_eq!(output.status.code(), Some(129));
}

/// `download` stopped mid-transfer (SIGTERM, as a harness does) leaves no
/// partial file and exits as the signal says.
#[test]
fn sigterm_mid_download_leaves_no_partial_file() {
    let server = crate::hostile::Hostile::start(|_| crate::hostile::Reply::Drip {
        body: vec![b'x'; 4096],
        every: Duration::from_millis(50),
    });
    let world = World::with_server(server.base_url.clone());
    let out = world.home.path().join("out");
    let url = format!("{}/slow.png", server.base_url);
    let child = world
        .lovart_process()
        .args([
            "download",
            "--urls",
            &url,
            "--output-dir",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let partials = || -> Vec<String> {
        std::fs::read_dir(&out)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    for _ in 0..500 {
        if !partials().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!partials().is_empty(), "the download never began");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143));
    assert_eq!(partials(), Vec::<String>::new(), "left behind");
}
