//! Local commands (no keys, no server): `config`, `projects`, `project-*`,
//! `threads`, `thread-remove`, with the reference's exact stdout and state file.

use crate::support::{World, mask_times, run};

#[test]
fn empty_state_reads_like_the_reference() {
    let world = World::offline();
    let config = run(world.lovart().arg("config"));
    assert_eq!(config.code, 0);
    let state_path = world.state_path();
    assert_eq!(
        config.stdout,
        format!(
            "active project: (not set)\nprojects: 0\nthreads: 0\nstate file: {}\n",
            state_path.display()
        )
    );
    assert_eq!(
        run(world.lovart().args(["config", "--json"])).stdout,
        "{}\n"
    );
    assert_eq!(
        run(world.lovart().arg("projects")).stdout,
        "No projects. Use: project-add --project-id PID --name NAME\n"
    );
    assert_eq!(
        run(world.lovart().args(["projects", "--json"])).stdout,
        "{\n  \"active\": null,\n  \"projects\": {}\n}\n"
    );
    assert_eq!(
        run(world.lovart().arg("threads")).stdout,
        "No saved threads.\n"
    );
    assert_eq!(
        run(world.lovart().args(["threads", "--json"])).stdout,
        "[]\n"
    );
    assert!(
        world.state_text().is_none(),
        "reading must not create the state file"
    );
}

#[test]
fn project_lifecycle_matches_the_reference() {
    let world = World::offline();
    let added = run(world.lovart().args([
        "project-add",
        "--project-id",
        "abcdef0123456789",
        "--name",
        "海报 Posters",
    ]));
    assert_eq!(
        added.stdout,
        "Added and switched to project: abcdef0123456789 (海报 Posters)\n"
    );
    let second = run(world.lovart().args(["project-add", "--proj", "zzz999"]));
    assert_eq!(second.stdout, "Added and switched to project: zzz999\n");
    assert_eq!(
        run(world.lovart().arg("projects")).stdout,
        "   abcdef012345... 海报 Posters           (0 threads)\n * zzz999... zzz999               (0 threads)\n"
    );
    let switched = run(world
        .lovart()
        .args(["project-switch", "--project-id", "abc"]));
    assert_eq!(
        switched.stdout,
        "Switched to: abcdef0123456789 (海报 Posters)\n"
    );
    let missing = run(world.lovart().args(["project-switch", "--project-id", "q"]));
    assert_eq!((missing.code, missing.stdout.as_str()), (1, ""));
    assert_eq!(missing.stderr, "Error: project 'q' not found\n");
    let renamed =
        run(world
            .lovart()
            .args(["project-rename", "--project-id", "nope", "--name", "X"]));
    assert_eq!(renamed.stdout, "Renamed: nope → X\n");
    assert_eq!(
        run(world
            .lovart()
            .args(["project-remove", "--project-id", "zzz999"]))
        .stdout,
        "Removed project: zzz999\n"
    );
    assert_eq!(
        run(world.lovart().args(["thread-remove", "--thread-id", "t1"])).stdout,
        "Removed thread: t1\n"
    );
    assert_eq!(
        mask_times(&world.state_text().unwrap()),
        "{\n  \"projects\": {\n    \"abcdef0123456789\": {\n      \"name\": \"海报 Posters\",\n      \"created_at\": \"<time>\"\n    }\n  },\n  \"active_project\": \"abcdef0123456789\",\n  \"threads\": []\n}"
    );
    run(world
        .lovart()
        .args(["project-remove", "--project-id", "abcdef0123456789"]));
    let config = run(world.lovart().arg("config"));
    assert!(
        config
            .stdout
            .starts_with("active project: None\nprojects: 0\nthreads: 0\n"),
        "{}",
        config.stdout
    );
    assert_eq!(
        world.state_text().unwrap(),
        "{\n  \"projects\": {},\n  \"active_project\": null,\n  \"threads\": []\n}"
    );
}

#[test]
fn rename_of_unknown_project_writes_no_state_file() {
    let world = World::offline();
    run(world
        .lovart()
        .args(["project-rename", "--project-id", "p", "--name", "n"]));
    run(world.lovart().args(["project-switch", "--project-id", "p"]));
    assert!(world.state_text().is_none());
}

const THREADS_STATE: &str = r#"{
  "projects": {
    "p1aaaaaaaaaa": {"name": "One", "created_at": "2026-01-01T00:00:00+0000"},
    "p2bbbbbbbbbb": {"name": "Two", "created_at": "2026-01-01T00:00:00+0000"}
  },
  "active_project": "p1aaaaaaaaaa",
  "threads": [
    {"id": "t1-0123456789", "project_id": "p1aaaaaaaaaa", "topic": "a cat", "updated_at": "2026-01-02T00:00:00+0000"},
    {"id": "t2-0123456789", "project_id": "p2bbbbbbbbbb", "topic": "a dog", "updated_at": "2026-01-03T00:00:00+0000"},
    {"id": "t3-0123456789", "project_id": "p1aaaaaaaaaa", "updated_at": "2026-01-04T00:00:00+0000"}
  ],
  "custom": {"kept": true}
}"#;

#[test]
fn threads_lists_the_active_project_then_all() {
    let world = World::offline();
    world.write_state(THREADS_STATE);
    assert_eq!(
        run(world.lovart().arg("threads")).stdout,
        "  1. [t1-01234...] [p1aaaaaa] a cat  (2026-01-02T00:00:00+0000)\n  2. [t3-01234...] [p1aaaaaa] (no topic)  (2026-01-04T00:00:00+0000)\n"
    );
    let other = run(world
        .lovart()
        .args(["threads", "--project-id", "p2bbbbbbbbbb"]));
    assert_eq!(
        other.stdout,
        "  1. [t2-01234...] [p2bbbbbb] a dog  (2026-01-03T00:00:00+0000)\n"
    );
    let all = run(world.lovart().args(["threads", "--all", "--json"]));
    assert_eq!(all.json().as_array().map(Vec::len), Some(3));
    assert_eq!(
        run(world.lovart().arg("projects")).stdout,
        " * p1aaaaaaaaaa... One                  (2 threads)\n   p2bbbbbbbbbb... Two                  (1 threads)\n"
    );
}

#[test]
fn removing_a_project_drops_its_threads_and_keeps_unknown_keys() {
    let world = World::offline();
    world.write_state(THREADS_STATE);
    run(world
        .lovart()
        .args(["project-remove", "--project-id", "p1aaaaaaaaaa"]));
    let state = world.state();
    assert_eq!(state["active_project"], "p2bbbbbbbbbb");
    assert_eq!(state["threads"].as_array().unwrap().len(), 1);
    assert_eq!(state["custom"]["kept"], true);
}

#[test]
fn legacy_flat_state_is_migrated_and_saved() {
    let world = World::offline();
    world.write_state(r#"{"project_id": "legacy123456"}"#);
    let config = run(world.lovart().arg("config"));
    assert!(
        config
            .stdout
            .starts_with("active project: legacy123456 (default)\nprojects: 1\n")
    );
    assert_eq!(
        mask_times(&world.state_text().unwrap()),
        "{\n  \"active_project\": \"legacy123456\",\n  \"projects\": {\n    \"legacy123456\": {\n      \"name\": \"default\",\n      \"created_at\": \"<time>\"\n    }\n  }\n}"
    );
}

#[test]
fn corrupt_state_is_moved_aside_not_wiped() {
    let world = World::offline();
    world.write_state("{\"projects\": {oops");
    let added = run(world
        .lovart()
        .args(["project-add", "--project-id", "fresh"]));
    assert_eq!(added.code, 0);
    assert!(added.stderr.contains("not valid JSON"), "{}", added.stderr);
    let folder = world.state_path().parent().unwrap().to_path_buf();
    let aside: Vec<_> = crate::support::file_names(&folder)
        .into_iter()
        .filter(|name| name.starts_with("state.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read_to_string(folder.join(&aside[0])).unwrap(),
        "{\"projects\": {oops"
    );
    assert_eq!(world.state()["active_project"], "fresh");
}

#[test]
fn state_path_that_is_a_directory_is_an_error() {
    let world = World::offline();
    std::fs::create_dir_all(world.state_path()).unwrap();
    let config = run(world.lovart().arg("config"));
    assert_eq!(config.code, 1);
    assert!(config.stderr.starts_with("Error: "), "{}", config.stderr);
    assert!(config.stderr.contains("state.json"), "{}", config.stderr);
}

#[test]
fn usage_errors_exit_2_and_no_command_prints_help_and_exits_1() {
    let world = World::offline();
    let none = run(&mut world.lovart());
    assert_eq!(none.code, 1);
    assert!(none.stdout.contains("Usage: lovart"), "{}", none.stdout);
    for args in [
        // After the command, a global option is accepted only in full spelling.
        vec!["config", "--time", "5"],
        vec!["chat"],
        vec!["chat", "--pr", "x"],
        vec!["download", "--urls"],
        vec!["chat", "--prompt", "x", "--mode", "slow"],
        vec!["--timeout", "abc", "config"],
        vec![
            "upload-artifact",
            "--project-id",
            "p",
            "--url",
            "u",
            "--type",
            "audio",
        ],
    ] {
        let outcome = run(world.lovart().args(&args));
        assert_eq!(outcome.code, 2, "{args:?}: {}", outcome.stderr);
        assert!(outcome.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(run(world.lovart().arg("--help")).code, 0);
    assert_eq!(run(world.lovart().args(["chat", "-h"])).code, 0);
}

#[test]
fn network_commands_without_keys_fail_with_the_reference_message() {
    let world = World::offline();
    for args in [
        vec!["chat", "--prompt", "x"],
        vec!["status", "--thread-id", "t"],
        vec!["download", "--urls", "http://127.0.0.1:9/a.png"],
        vec!["set-mode"],
        vec!["create-project"],
    ] {
        let outcome = run(world.lovart().args(&args));
        assert_eq!(outcome.code, 1, "{args:?}");
        assert_eq!(
            outcome.stderr,
            "Error: LOVART_ACCESS_KEY and LOVART_SECRET_KEY must be set (via env vars or --ak/--sk)\n"
        );
    }
}

/// A build without the `sandbox` feature (the default source build) says how
/// to get `lovart sandbox` instead of "unrecognized subcommand".
#[cfg(not(feature = "sandbox"))]
#[test]
fn sandbox_in_a_build_without_it_is_refused_clearly() {
    for args in [&["sandbox"][..], &["sandbox", "--fast", "--port", "1"]] {
        crate::support::assert_not_built(args, "sandbox", "sandbox");
    }
}

/// A build without the `mcp` feature (the default source build) says how to
/// get `lovart mcp`.
#[cfg(not(feature = "mcp"))]
#[test]
fn mcp_in_a_build_without_it_is_refused_clearly() {
    crate::support::assert_not_built(&["mcp", "--http", "127.0.0.1:0"], "mcp", "mcp");
}
