//! `--json` is never accepted and ignored (issue 21, item 5): every command
//! of the clap tree that has a `--json` option is run with it, and its stdout
//! is JSON (its answer, or the error object), or NDJSON for the streaming
//! commands.

use clap::CommandFactory;
use serde_json::Value;

use crate::support::{World, run};

/// A value for a required argument, by its id; a new required argument
/// must be given one here.
fn value_for(world: &World, command: &str, id: &str) -> String {
    match id {
        "prompt" => "a cat".into(),
        "project_id" => "p1".into(),
        "thread_id" => "t1".into(),
        "name" => "Posters".into(),
        "url" | "urls" => format!("{}/files/none.png", world.url()),
        "shell" => "bash".into(),
        "file" => {
            let path = world.home.path().join("upload.png");
            std::fs::write(&path, b"\x89PNG\r\n\x1a\n").unwrap();
            path.display().to_string()
        }
        other => panic!("`{command}` requires `{other}`: give it a value in value_for"),
    }
}

/// `text` as JSON: one document, or one per non-empty line (NDJSON).
fn parses_as_json(text: &str) -> bool {
    if serde_json::from_str::<Value>(text).is_ok() {
        return true;
    }
    let mut lines = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .peekable();
    lines.peek().is_some() && lines.all(|line| serde_json::from_str::<Value>(line).is_ok())
}

/// The MCP server's first request, for `mcp` (its stdout is JSON-RPC).
const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;

#[test]
fn every_command_that_takes_json_prints_json() {
    let world = World::sandbox();
    world.write_state(
        r#"{"projects": {"p1": {"name": "one", "created_at": "2026-11-24T09:15:02+0000"}}, "active_project": "p1", "threads": [{"id": "t1", "project_id": "p1", "topic": "a cat", "updated_at": "2026-11-24T09:15:02+0000"}]}"#,
    );
    let tree = lovart::cli::Cli::command();
    let mut checked = Vec::new();
    for command in tree.get_subcommands() {
        let name = command.get_name().to_string();
        if !command
            .get_arguments()
            .any(|arg| arg.get_long() == Some("json"))
        {
            continue;
        }
        let mut args: Vec<String> = vec!["--timeout".into(), "2".into(), name.clone()];
        let required = command.get_arguments().filter(|arg| arg.is_required_set());
        for arg in required {
            let value = value_for(&world, &name, arg.get_id().as_str());
            if let Some(long) = arg.get_long() {
                args.push(format!("--{long}"));
            }
            args.push(value);
        }
        args.push("--json".into());
        let mut lovart = world.lovart();
        lovart.args(&args).write_stdin(format!("{INITIALIZE}\n"));
        let out = run(&mut lovart);
        assert!(
            parses_as_json(&out.stdout),
            "`lovart {}` printed no JSON (exit {}):\n{}\nstderr:\n{}",
            args.join(" "),
            out.code,
            out.stdout,
            out.stderr
        );
        checked.push(name);
    }
    for expected in [
        "project-add",
        "project-switch",
        "project-rename",
        "project-remove",
        "thread-remove",
        "chat",
        "status",
        "completions",
    ] {
        assert!(checked.iter().any(|name| name == expected), "{checked:?}");
    }
}

#[test]
fn the_local_commands_answer_with_what_they_did() {
    let world = World::offline();
    let added = run(world.lovart().args([
        "project-add",
        "--project-id",
        "p1",
        "--name",
        "Brand kit",
        "--json",
    ]));
    assert_eq!(
        added.json(),
        serde_json::json!({"project_id": "p1", "name": "Brand kit", "active": true})
    );
    let renamed = run(world.lovart().args([
        "project-rename",
        "--project-id",
        "p1",
        "--name",
        "Posters",
        "--json",
    ]));
    assert_eq!(
        renamed.json(),
        serde_json::json!({"project_id": "p1", "name": "Posters"})
    );
    let switched = run(world
        .lovart()
        .args(["project-switch", "--project-id", "p", "--json"]));
    assert_eq!(
        switched.json(),
        serde_json::json!({"project_id": "p1", "name": "Posters", "active": true})
    );
    let removed = run(world
        .lovart()
        .args(["thread-remove", "--thread-id", "t9", "--json"]));
    assert_eq!(
        removed.json(),
        serde_json::json!({"thread_id": "t9", "removed": false})
    );
    let removed = run(world
        .lovart()
        .args(["project-remove", "--project-id", "p1", "--json"]));
    assert_eq!(
        removed.json(),
        serde_json::json!({"project_id": "p1", "removed": true})
    );
    // Without --json, the reference's line.
    let text = run(world.lovart().args(["project-add", "--project-id", "p2"]));
    assert_eq!(text.stdout, "Added and switched to project: p2\n");
}
