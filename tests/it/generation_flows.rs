//! The generation flows against the in-process sandbox: `chat`, `send`,
//! `confirm`, `result` and `status` (`watch`: watch_events.rs), with the reference's exact
//! stdout, state file and exit codes.

use crate::support::{World, artifact_name, file_names, mask_times, run, text};
use lovart_sandbox::Fault;
use serde_json::{Value, json};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const VIDEO_QUESTION: &str =
    "Generating this video with Kling 3.0 costs about 40 credits. Confirm to start.";

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn chat_json_download_renames_the_new_project_and_saves_the_image() {
    let world = World::sandbox();
    let out = world.out_dir();
    let prompt = "  A lighthouse at dawn, watercolor, soft pastel palette, wide  ";
    let chat = run(world.lovart().args([
        "chat",
        "--prompt",
        prompt,
        "--json",
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let result = chat.json();
    let (thread, project) = (text(&result, "thread_id"), text(&result, "project_id"));
    let url = format!("{}/files/{thread}/1.png", world.url());
    let name = artifact_name("lovart", &url, ".png");
    let path = format!("{out}/{name}");
    let expected = format!(
        r#"{{
  "thread_id": "{thread}",
  "status": "done",
  "items": [
    {{
      "type": "assistant",
      "text": "Here is your image of \"A lighthouse at dawn, watercolor, soft pastel palette, wide\"."
    }},
    {{
      "type": "generator",
      "name": "artifacts",
      "artifacts": [
        {{
          "type": "image",
          "content": "{url}"
        }}
      ]
    }}
  ],
  "final_status": "done",
  "project_id": "{project}",
  "generation_succeeded": true,
  "project_name": "A lighthouse at dawn, waterc",
  "downloaded": [
    {{
      "type": "image",
      "url": "{url}",
      "local_path": "{path}",
      "new": true
    }}
  ]
}}
"#
    );
    assert_eq!(chat.stdout, expected);
    assert_eq!(file_names(world.home.path().join("out").as_path()), [name]);
    assert!(std::fs::read(&path).unwrap().starts_with(PNG_MAGIC));
    assert_eq!(
        world.server().project_name(&project).as_deref(),
        Some("A lighthouse at dawn, waterc")
    );
    assert_eq!(
        mask_times(&world.state_text().unwrap()),
        format!(
            "{{\n  \"projects\": {{\n    \"{project}\": {{\n      \"name\": \"A lighthouse at dawn, waterc\",\n      \"created_at\": \"<time>\"\n    }}\n  }},\n  \"active_project\": \"{project}\",\n  \"threads\": [\n    {{\n      \"id\": \"{thread}\",\n      \"project_id\": \"{project}\",\n      \"topic\": \"A lighthouse at dawn, watercolor, soft pastel pa\",\n      \"updated_at\": \"<time>\"\n    }}\n  ]\n}}"
        )
    );
}

#[test]
fn chat_text_form_lists_status_thread_project_items_and_paths() {
    let world = World::sandbox();
    let out = world.out_dir();
    let chat = run(world.lovart().args([
        "chat",
        "--prompt",
        "a cat",
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let thread = world.thread_ids()[0].clone();
    let project = text(&world.state(), "active_project");
    let url = format!("{}/files/{thread}/1.png", world.url());
    let path = format!("{out}/{}", artifact_name("lovart", &url, ".png"));
    assert_eq!(
        chat.stdout,
        format!(
            "Status: done\nThread: {thread}\nProject: {project}\n\n[assistant] Here is your image of \"a cat\".\n  [image] {url}\n  -> {path}\n"
        )
    );
    assert_eq!(chat.stderr, "");
}

#[test]
fn chat_reports_pending_confirmation_without_downloading() {
    let world = World::sandbox();
    let out = world.out_dir();
    let chat = run(world.lovart().args([
        "chat",
        "--prompt",
        "ocean video",
        "--json",
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let thread = world.thread_ids()[0].clone();
    let project = text(&world.state(), "active_project");
    assert_eq!(
        chat.stdout,
        format!(
            "{{\n  \"thread_id\": \"{thread}\",\n  \"project_id\": \"{project}\",\n  \"final_status\": \"pending_confirmation\",\n  \"pending_confirmation\": {{\n    \"tool_name\": \"generate_video_kling_v3\",\n    \"estimated_cost\": 40,\n    \"message\": \"{VIDEO_QUESTION}\"\n  }},\n  \"items\": [],\n  \"downloaded\": []\n}}\n"
        )
    );
    assert!(file_names(world.home.path().join("out").as_path()).is_empty());
    // Pending returns at once: no name check, no rename; the state names the prompt.
    assert_eq!(world.count("GET", "/project/validate"), 0);
    assert_eq!(world.server().project_name(&project).as_deref(), Some(""));
    assert_eq!(world.state()["projects"][&project]["name"], "ocean video");

    let confirm = run(world.lovart().args([
        "confirm",
        "--thread-id",
        &thread,
        "--json",
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(confirm.code, 0, "{}", confirm.stderr);
    let result = confirm.json();
    // The reference's keys, then (as chat prints them) project_id and generation_succeeded.
    assert_eq!(
        keys(&result),
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
    assert_eq!(result["final_status"], "done");
    assert_eq!(result["project_id"], project.as_str());
    assert_eq!(result["generation_succeeded"], true);
    let url = format!("{}/files/{thread}/1.mp4", world.url());
    let name = artifact_name("lovart", &url, ".mp4");
    assert_eq!(
        result["downloaded"],
        json!([{"type": "video", "url": url, "local_path": format!("{out}/{name}"), "new": true}])
    );
    let video = std::fs::read(format!("{out}/{name}")).unwrap();
    assert_eq!(&video[4..8], b"ftyp");
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
}

#[test]
fn confirm_text_form_has_no_project_line() {
    let world = World::sandbox();
    let chat = run(world.lovart().args(["chat", "--prompt", "ocean video"]));
    let thread = world.thread_ids()[0].clone();
    let project = text(&world.state(), "active_project");
    assert_eq!(
        chat.stdout,
        format!("Status: pending_confirmation\nThread: {thread}\nProject: {project}\n")
    );
    let confirm = run(world.lovart().args(["confirm", "--thread-id", &thread]));
    assert_eq!(confirm.code, 0, "{}", confirm.stderr);
    assert_eq!(
        confirm.stdout,
        format!(
            "Status: done\nThread: {thread}\n\n[assistant] {VIDEO_QUESTION}\n\n[assistant] Your video of \"ocean video\" is ready.\n  [video] {}/files/{thread}/1.mp4\n",
            world.url()
        )
    );
}

#[test]
fn abort_and_timeout_are_final_statuses_with_exit_zero() {
    let world = World::sandbox();
    let abort = run(world
        .lovart()
        .args(["chat", "--prompt", "abort it", "--json"]));
    assert_eq!(abort.code, 0, "{}", abort.stderr);
    let result = abort.json();
    assert_eq!(result["final_status"], "abort");
    assert_eq!(
        keys(&result),
        [
            "thread_id",
            "status",
            "items",
            "final_status",
            "project_id",
            "project_name"
        ]
    );

    world.server().clear_requests();
    let timeout = run(world.lovart().args([
        "--timeout",
        "1",
        "chat",
        "--prompt",
        "forever busy",
        "--json",
    ]));
    assert_eq!(timeout.code, 0, "{}", timeout.stderr);
    assert_eq!(timeout.json()["final_status"], "timeout");
    assert_eq!(timeout.json()["status"], "running");
    // Polling stopped at the 1 s deadline (the sandbox's clock, not start-up's).
    let polls = world.requests_to("GET", "/chat/status");
    let polled_for = polls[polls.len() - 1].at.duration_since(polls[0].at);
    assert!(
        polled_for < std::time::Duration::from_secs(2),
        "{polled_for:?}"
    );
}

#[test]
fn text_only_refusal_is_flagged_with_the_reference_warning() {
    let world = World::sandbox();
    let chat = run(world
        .lovart()
        .args(["chat", "--prompt", "refuse", "--json"]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let result = chat.json();
    assert_eq!(
        keys(&result),
        [
            "thread_id",
            "status",
            "items",
            "final_status",
            "project_id",
            "generation_succeeded",
            "warning",
            "agent_message",
            "project_name"
        ]
    );
    assert_eq!(result["generation_succeeded"], false);
    assert_eq!(
        result["warning"],
        "Thread ended without producing any artifact. The agent responded with text only — the upstream model may have refused the prompt (content moderation), timed out, or the LLM chose not to call a generation tool."
    );
    assert_eq!(
        result["agent_message"],
        "Sorry, I can't help with that request. Try describing the picture you want instead."
    );
}

#[test]
fn insufficient_credits_is_an_error_with_the_server_details() {
    let world = World::sandbox();
    let chat = run(world
        .lovart()
        .args(["chat", "--prompt", "an expensive cat"]));
    assert_eq!(
        (chat.code, chat.stdout.as_str(), chat.stderr.as_str()),
        (
            1,
            "",
            "Error: Insufficient credits: this request needs 40 credits; the account has 3\n"
        )
    );
    assert_eq!(world.count("POST", "/chat"), 1);
}

#[test]
fn send_and_create_project_print_compact_json() {
    let world = World::sandbox();
    let created = run(world.lovart().arg("create-project"));
    assert_eq!(created.code, 0, "{}", created.stderr);
    let project = text(&created.json(), "project_id");
    assert_eq!(
        created.stdout,
        format!("{{\"project_id\": \"{project}\"}}\n")
    );
    assert_eq!(world.state()["active_project"], project.as_str());
    assert_eq!(world.state()["projects"][&project]["name"], &project[..8]);

    let sent = run(world.lovart().args(["send", "--prompt", "a red fox"]));
    let thread = world.thread_ids()[0].clone();
    assert_eq!(
        sent.stdout,
        format!("{{\"thread_id\": \"{thread}\", \"project_id\": \"{project}\"}}\n")
    );
    assert_eq!(world.state()["projects"][&project]["name"], "a red fox");
    assert_eq!(world.state()["threads"][0]["topic"], "a red fox");
    assert_eq!(world.state()["threads"][0]["project_id"], project.as_str());
}

#[test]
fn status_is_pretty_with_non_ascii_escaped_and_result_is_pretty_as_is() {
    let world = World::sandbox();
    let (thread, _) = world.send("画一只猫");
    let status = run(world.lovart().args(["status", "--thread-id", &thread]));
    assert_eq!(
        status.stdout,
        format!("{{\n  \"thread_id\": \"{thread}\",\n  \"status\": \"running\"\n}}\n")
    );
    world
        .server()
        .inject(Fault::new("GET", "/chat/status", 200).json(
            &json!({"code": 0, "data": {"thread_id": "t", "status": "running", "note": "猫 🐱"}}),
        ));
    let escaped = run(world.lovart().args(["status", "--thread-id", &thread]));
    assert_eq!(
        escaped.stdout,
        "{\n  \"thread_id\": \"t\",\n  \"status\": \"running\",\n  \"note\": \"\\u732b \\ud83d\\udc31\"\n}\n"
    );

    run(world.lovart().args(["status", "--thread-id", &thread]));
    let result = run(world.lovart().args(["result", "--thread-id", &thread]));
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(
        result.stdout.starts_with(&format!(
            "{{\n  \"thread_id\": \"{thread}\",\n  \"status\": \"done\",\n  \"items\": [\n    {{\n      \"type\": \"assistant\",\n      \"text\": \"Here is your image of \\\"画一只猫\\\".\"\n"
        )),
        "{}",
        result.stdout
    );
    assert_eq!(keys(&result.json()), ["thread_id", "status", "items"]);
}

#[test]
fn confirm_without_a_pending_question_is_an_error() {
    let world = World::sandbox();
    run(world.lovart().args(["chat", "--prompt", "a cat"]));
    let thread = world.thread_ids()[0].clone();
    let confirm = run(world.lovart().args(["confirm", "--thread-id", &thread]));
    assert_eq!(confirm.code, 1);
    assert_eq!(
        confirm.stderr,
        "Error: Nothing to confirm: the thread has no pending confirmation\n"
    );
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
    assert_eq!(
        world.count("GET", "/chat/status"),
        3,
        "no poll after the failure"
    );
}
