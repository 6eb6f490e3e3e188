//! The sandbox as a server that remembers (issue 13): its world in a data
//! folder survives a restart, `lovart sandbox` prints a LOVART_HOME of its own,
//! and the README's quick start runs twice in a row without touching the real
//! account's `~/.lovart`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use lovart_sandbox::{SandboxHandle, SandboxOptions};

use crate::support::{World, run};

fn fast_sandbox_in(folder: &Path) -> SandboxHandle {
    SandboxHandle::start(SandboxOptions {
        fast: true,
        data_dir: Some(folder.to_path_buf()),
        ..Default::default()
    })
}

#[test]
fn a_restarted_sandbox_still_knows_the_projects_threads_and_files_clients_recorded() {
    let data = tempfile::tempdir().unwrap();
    let first = fast_sandbox_in(data.path());
    let mut world = World::with_server(first.base_url());
    let chat = run(world.lovart().args(["chat", "--prompt", "a cat", "--json"]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let result = chat.json();
    let project = result["project_id"].as_str().unwrap().to_string();
    let thread = result["thread_id"].as_str().unwrap().to_string();
    let url = result["items"][1]["artifacts"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    drop(first);

    let second = fast_sandbox_in(data.path());
    world.base_url = Some(second.base_url());
    assert_eq!(second.project_name(&project).as_deref(), Some("a cat"));
    // The active project is still valid: the second chat goes into it.
    let again = run(world.lovart().args(["chat", "--prompt", "a dog", "--json"]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.json()["project_id"], project.as_str());
    let old = run(world.lovart().args(["result", "--thread-id", &thread]));
    assert_eq!(old.code, 0, "{}", old.stderr);
    assert_eq!(old.json()["status"], "done");
    // The artifact's file is served again (at the new port).
    let path = &url[url.find("/files/").unwrap()..];
    let out = world.out_dir();
    let fetched = run(world.lovart().args([
        "download",
        "--urls",
        &format!("{}{path}", second.base_url()),
        "--output-dir",
        &out,
    ]));
    assert_eq!(
        fetched.json()["downloaded"][0]["new"],
        true,
        "{}",
        fetched.stdout
    );
}

#[test]
fn a_sandbox_with_a_data_folder_saves_its_world_and_tests_default_to_ephemeral() {
    // SandboxOptions::default() is ephemeral: what the tests use.
    assert!(SandboxOptions::default().data_dir.is_none());
    let data = tempfile::tempdir().unwrap();
    let sandbox = fast_sandbox_in(data.path());
    let world = World::with_server(sandbox.base_url());
    world.send("a cat");
    assert!(data.path().join("sandbox.json").is_file());
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `lovart sandbox` as a process; returns it and its stderr lines up to the
/// "Ctrl-C stops" line.
fn spawn_sandbox(world: &World, port: u16, data_dir: &Path) -> (Child, Vec<String>) {
    let mut child = world
        .lovart_process()
        .args([
            "sandbox",
            "--fast",
            "--port",
            &port.to_string(),
            "--data-dir",
        ])
        .arg(data_dir)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn lovart sandbox");
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let done = line.contains("Ctrl-C stops");
        lines.push(line.trim_end().to_string());
        if done {
            break;
        }
    }
    // Keep draining its request log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    (child, lines)
}

fn terminate(mut child: Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("sandbox exit");
    assert!(
        status.success(),
        "the sandbox stops cleanly on SIGTERM: {status}"
    );
}

#[test]
fn the_quick_start_runs_twice_and_keeps_the_real_state_untouched() {
    let world = World::offline();
    let data = world.home.path().join("sandbox-data");
    let out = world.out_dir();
    for round in 1..=2 {
        let port = free_port();
        let (child, lines) = spawn_sandbox(&world, port, &data);
        let export = lines
            .iter()
            .find(|line| line.trim_start().starts_with("export LOVART_BASE_URL="))
            .unwrap_or_else(|| panic!("no export line in {lines:?}"))
            .clone();
        let home = export
            .split_whitespace()
            .find_map(|word| word.strip_prefix("LOVART_HOME="))
            .expect("LOVART_HOME among the exports")
            .to_string();
        assert_eq!(Path::new(&home), data.join("home"));
        let chat = run(world
            .lovart()
            .env("LOVART_BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("LOVART_ACCESS_KEY", "ak_sandbox")
            .env("LOVART_SECRET_KEY", "sk_sandbox")
            .env("LOVART_HOME", &home)
            .args([
                "chat",
                "--prompt",
                "a cyberpunk cat",
                "--json",
                "--download",
            ])
            .args(["--output-dir", &out]));
        terminate(child);
        assert_eq!(chat.code, 0, "round {round}: {}", chat.stderr);
        assert_eq!(chat.json()["downloaded"][0]["new"], true);
        assert!(Path::new(&home).join("state.json").is_file());
    }
    assert!(
        world.state_text().is_none(),
        "the sandbox's projects stay out of ~/.lovart"
    );
}
