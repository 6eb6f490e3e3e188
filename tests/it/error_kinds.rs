//! Error kinds that say what a program can do (issue 21, items 6 and 7): the
//! caller's own bad input is `invalid_input` (never retryable), a refused
//! confirm names its thread, and the reference's `Error:` lines stay word
//! for word, what lovart knows beyond them going to `hint`.

use serde_json::Value;

use crate::support::{Run, World, run};

fn error_of(out: &Run) -> Value {
    assert_eq!(out.code, 1, "{}", out.stderr);
    out.json()["error"].clone()
}

#[test]
fn the_callers_bad_input_is_invalid_input() {
    let world = World::sandbox();
    world.write_state(
        r#"{"projects": {}, "active_project": null, "threads": [{"id": "e4c2aaaa", "project_id": "p", "topic": "a", "updated_at": "x"}, {"id": "e4c2bbbb", "project_id": "p", "topic": "b", "updated_at": "x"}]}"#,
    );
    let cases: [&[&str]; 8] = [
        &[
            "chat",
            "--prompt",
            "a cat",
            "--prefer-models",
            "{not json",
            "--json",
        ],
        &[
            "chat",
            "--prompt",
            "a cat",
            "--prefer-models",
            "[1]",
            "--json",
        ],
        &["--timeout", "-1", "chat", "--prompt", "a cat", "--json"],
        &["watch", "--json"],
        &["set-mode", "--json"],
        &["status", "--thread-id", "e4c2", "--json"],
        &["watch", "--prompt", "a cat", "--interval", "0", "--json"],
        &["models", "--category", "NO_SUCH_CATEGORY", "--json"],
    ];
    for args in cases {
        let error = error_of(&run(world.lovart().args(args)));
        assert_eq!(error["kind"], "invalid_input", "{args:?}: {error}");
        assert_eq!(error["retryable"], false, "{args:?}");
    }
    assert_eq!(world.count("POST", "/chat"), 0, "nothing was sent");
}

#[test]
fn confirm_with_nothing_pending_is_not_a_busy_thread_and_names_it() {
    let world = World::sandbox();
    let (thread, _) = world.send("a cat");
    let waited = run(world
        .lovart()
        .args(["wait", "--thread-id", &thread, "--json"]));
    assert_eq!(waited.json()["final_status"], "done");
    let out = run(world
        .lovart()
        .args(["confirm", "--thread-id", &thread, "--json"]));
    let error = error_of(&out);
    assert_eq!(error["kind"], "invalid_input", "{error}");
    assert_eq!(error["retryable"], false);
    assert_eq!(error["thread_id"], thread.as_str());
    assert!(
        error["hint"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("lovart result --thread-id {thread}")),
        "{error}"
    );
    // The server's own message stays the Error: line.
    assert!(
        out.stderr.starts_with("Error: Nothing to confirm"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_ambiguous_project_prefix_keeps_the_references_error_line() {
    let world = World::offline();
    for id in ["known_a", "known_b"] {
        let added = run(world.lovart().args(["project-add", "--project-id", id]));
        assert_eq!(added.code, 0, "{}", added.stderr);
    }
    let ambiguous = run(world
        .lovart()
        .args(["project-switch", "--project-id", "known_"]));
    assert_eq!(ambiguous.code, 1);
    assert_eq!(ambiguous.stderr, "Error: project 'known_' not found\n");
    assert_eq!(ambiguous.stdout, "");
    let as_json = run(world
        .lovart()
        .args(["project-switch", "--project-id", "known_", "--json"]));
    let error = error_of(&as_json);
    assert_eq!(error["message"], "project 'known_' not found");
    assert_eq!(error["kind"], "not_found");
    let hint = error["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains("matches 2 saved projects: known_a, known_b"),
        "{hint}"
    );
}
