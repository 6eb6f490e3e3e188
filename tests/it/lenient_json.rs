//! One bad character loses nothing (issue 21, item 2): a lone UTF-16
//! surrogate escape (`"\ud83c"`, half an emoji) is read as U+FFFD wherever
//! JSON comes in (API answers, the state file, batch files, MCP input), as
//! Python's `json.loads` reads it, instead of refusing the whole document.

use serde_json::Value;

use crate::hostile::{Hostile, Reply};
use crate::support::{World, file_names, run};

/// The result's assistant text as the server sends it, and as it is read.
const SENT_TEXT: &str = r"half \ud83c moon";
const READ_TEXT: &str = "half \u{FFFD} moon";

/// A server whose thread `t1` is done with one image and an assistant text
/// holding a lone surrogate escape.
fn server_with_a_broken_emoji() -> Hostile {
    Hostile::start(|seen| {
        let host = seen.header("host").unwrap_or_default().to_string();
        match seen.path.as_str() {
            "/v1/openapi/project/save" => {
                Reply::json(200, r#"{"code":0,"data":{"project_id":"p1"}}"#)
            }
            "/v1/openapi/project/validate" => Reply::json(
                200,
                r#"{"code":0,"data":{"valid":true,"project_name":"moon"}}"#,
            ),
            "/v1/openapi/chat" => Reply::json(200, r#"{"code":0,"data":{"thread_id":"t1"}}"#),
            "/v1/openapi/chat/status" => Reply::json(200, r#"{"code":0,"data":{"status":"done"}}"#),
            "/v1/openapi/chat/result" => Reply::json(
                200,
                &format!(
                    r#"{{"code":0,"data":{{"thread_id":"t1","status":"done","items":[{{"type":"assistant","text":"{SENT_TEXT}"}},{{"type":"generator","name":"artifacts","artifacts":[{{"type":"image","content":"http://{host}/files/moon.png"}}]}}]}}}}"#
                ),
            ),
            "/files/moon.png" => Reply::Full {
                status: 200,
                headers: vec![("Content-Type".into(), "image/png".into())],
                body: b"\x89PNG\r\n\x1a\nmoon".to_vec(),
            },
            _ => Reply::json(404, r#"{"message":"no such path"}"#),
        }
    })
}

#[test]
fn wait_reads_a_result_with_a_lone_surrogate_and_downloads_it() {
    let server = server_with_a_broken_emoji();
    let world = World::with_server(server.base_url);
    let out_dir = world.out_dir();
    let waited = run(world.lovart().args([
        "wait",
        "--thread-id",
        "t1",
        "--json",
        "--download",
        "--output-dir",
        &out_dir,
    ]));
    assert_eq!(waited.code, 0, "{}", waited.stderr);
    let result = waited.json();
    assert_eq!(result["final_status"], "done");
    assert_eq!(result["items"][0]["text"], READ_TEXT);
    let local = result["downloaded"][0]["local_path"]
        .as_str()
        .expect("downloaded");
    assert_eq!(std::fs::read(local).unwrap(), b"\x89PNG\r\n\x1a\nmoon");
}

#[test]
fn chat_prints_the_text_with_the_replacement_character_and_downloads() {
    let server = server_with_a_broken_emoji();
    let world = World::with_server(server.base_url);
    let out_dir = world.out_dir();
    let chat = run(world.lovart().args([
        "chat",
        "--prompt",
        "the moon",
        "--download",
        "--output-dir",
        &out_dir,
    ]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    assert!(
        chat.stdout
            .contains(&format!("\n[assistant] {READ_TEXT}\n")),
        "{}",
        chat.stdout
    );
    assert!(chat.stdout.contains("  -> "), "{}", chat.stdout);
    assert_eq!(file_names(std::path::Path::new(&out_dir)).len(), 1);
}

#[test]
fn a_state_file_with_a_lone_surrogate_is_read_not_moved_aside() {
    let world = World::offline();
    world.write_state(
        r#"{"projects": {"p1": {"name": "moon \ud83c", "created_at": "2026-11-24T09:15:02+0000"}}, "active_project": "p1", "threads": []}"#,
    );
    let projects = run(world.lovart().args(["projects", "--json"]));
    assert_eq!(projects.code, 0, "{}", projects.stderr);
    assert_eq!(projects.json()["projects"]["p1"]["name"], "moon \u{FFFD}");
    let folder = world.state_path().parent().unwrap().to_path_buf();
    assert!(
        !file_names(&folder)
            .iter()
            .any(|name| name.contains("corrupt")),
        "{:?}",
        file_names(&folder)
    );
}

#[test]
fn a_batch_row_with_a_lone_surrogate_is_sent() {
    let world = World::sandbox();
    let rows = world.home.path().join("rows.jsonl");
    std::fs::write(&rows, "{\"prompt\": \"a cat \\ud83c\"}\n").unwrap();
    let batch = run(world.lovart().args(["batch", &rows.display().to_string()]));
    assert_eq!(batch.code, 0, "{}", batch.stderr);
    let row: Value = serde_json::from_str(batch.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(row["prompt"], "a cat \u{FFFD}");
    assert_eq!(row["final_status"], "done");
}

/// `lovart mcp` driven over raw stdio: a request whose JSON holds a lone
/// surrogate escape gets its answer (rmcp alone drops it unanswered).
#[cfg(feature = "mcp")]
#[test]
fn an_mcp_call_with_a_lone_surrogate_gets_an_answer() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::time::Duration;

    let world = World::offline();
    let mut child = world
        .lovart_process()
        .arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lovart mcp");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut send = |line: &str| {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    };
    let answer_to = |id: u64| -> Value {
        loop {
            let line = received
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no answer to request {id}"));
            let message: Value = serde_json::from_str(&line).expect("JSON-RPC on stdout");
            if message["id"] == id {
                return message;
            }
        }
    };
    send(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#,
    );
    answer_to(1);
    send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    send(
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"threads","arguments":{"project_id":"moon \ud83c"}}}"#,
    );
    let answer = answer_to(2);
    assert!(answer.get("result").is_some(), "{answer}");
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_error_answer_with_a_lone_surrogate_keeps_its_message() {
    let server = Hostile::start(|_| {
        Reply::json(
            400,
            &format!(r#"{{"code":1001,"message":"bad prompt: {SENT_TEXT}"}}"#),
        )
    });
    let world = World::with_server(server.base_url);
    let out = run(world
        .lovart()
        .args(["status", "--thread-id", "t1", "--json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let error = &out.json()["error"];
    assert_eq!(error["http_status"], 400, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains(READ_TEXT),
        "the server's own message, read leniently: {error}"
    );
}

#[test]
fn a_batch_journal_with_a_lone_surrogate_is_resumed_from() {
    let world = World::sandbox();
    let rows = world.home.path().join("rows.jsonl");
    std::fs::write(&rows, "{\"prompt\": \"a cat \\ud83c\"}\n").unwrap();
    let rows = rows.display().to_string();
    let first = run(world.lovart().args(["batch", &rows]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    // The journal as another writer (or Python) may leave it: the escape, not the character.
    let journal = format!("{rows}.journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains('\u{FFFD}'), "{text}");
    std::fs::write(&journal, text.replace('\u{FFFD}', r"\ud83c")).unwrap();

    let again = run(world.lovart().args(["batch", &rows]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        world.count("POST", "/chat"),
        1,
        "the row came from the journal"
    );
    let row: Value = serde_json::from_str(again.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(row["prompt"], "a cat \u{FFFD}");
    assert_eq!(row["final_status"], "done");
}
