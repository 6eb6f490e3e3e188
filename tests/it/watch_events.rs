//! `watch`: the NDJSON stream of a generation, event by event, with the
//! reference's separators and order.

use crate::support::{World, artifact_name, run};
use lovart_sandbox::Fault;
use serde_json::{Value, json};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const VIDEO_QUESTION: &str =
    "Generating this video with Kling 3.0 costs about 40 credits. Confirm to start.";

fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
        .to_string()
}

fn event_names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

/// Every line of a watch: compact JSON with the reference's separators.
fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn watch_streams_each_variation_then_finished() {
    let world = World::sandbox();
    let out = world.out_dir();
    let watch = run(world.lovart().args([
        "watch",
        "--prompt",
        "variations of a lamp",
        "--output-dir",
        &out,
    ]));
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    let thread = world.thread_ids()[0].clone();
    let project = text(&world.state(), "active_project");
    let mut expected = vec![format!(
        "{{\"event\": \"started\", \"thread_id\": \"{thread}\", \"project_id\": \"{project}\"}}"
    )];
    for n in 1..=4 {
        let url = format!("{}/files/{thread}/{n}.png", world.url());
        let path = format!("{out}/{}", artifact_name("lovart", &url, ".png"));
        expected.push(format!(
            "{{\"event\": \"artifact\", \"type\": \"image\", \"url\": \"{url}\", \"local_path\": \"{path}\"}}"
        ));
        assert!(std::fs::read(&path).unwrap().starts_with(PNG_MAGIC));
    }
    expected.push(format!(
        "{{\"event\": \"finished\", \"thread_id\": \"{thread}\", \"final_status\": \"done\", \"artifact_count\": 4}}"
    ));
    assert_eq!(watch.stdout.lines().collect::<Vec<_>>(), expected);
    assert_eq!(events(&watch.stdout).len(), 6);
}

#[test]
fn watch_stops_at_a_pending_confirmation() {
    let world = World::sandbox();
    let out = world.out_dir();
    let watch =
        run(world
            .lovart()
            .args(["watch", "--prompt", "a video of rain", "--output-dir", &out]));
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    let thread = world.thread_ids()[0].clone();
    let lines: Vec<&str> = watch.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", watch.stdout);
    assert_eq!(
        lines[1],
        format!(
            "{{\"event\": \"pending_confirmation\", \"thread_id\": \"{thread}\", \"pending_confirmation\": {{\"tool_name\": \"generate_video_kling_v3\", \"estimated_cost\": 40, \"message\": \"{VIDEO_QUESTION}\"}}}}"
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "{{\"event\": \"finished\", \"thread_id\": \"{thread}\", \"final_status\": \"pending_confirmation\", \"artifact_count\": 0}}"
        )
    );
}

#[test]
fn watch_attaches_to_a_thread_without_touching_state() {
    let world = World::sandbox();
    let (thread, _) = world.send("a teapot");
    std::fs::remove_file(world.state_path()).unwrap();
    let out = world.out_dir();
    let watch = run(world.lovart().args([
        "watch",
        "--thread-id",
        &thread,
        "--json",
        "--output-dir",
        &out,
    ]));
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    let events = events(&watch.stdout);
    assert_eq!(
        watch.stdout.lines().next().unwrap(),
        format!("{{\"event\": \"started\", \"thread_id\": \"{thread}\", \"project_id\": null}}")
    );
    assert_eq!(events.last().unwrap()["final_status"], "done");
    assert_eq!(events.last().unwrap()["artifact_count"], 1);
    assert_eq!(world.count("POST", "/chat"), 1, "nothing is sent");
    assert!(world.state_text().is_none(), "state is not touched");
}

#[test]
fn watch_with_a_prompt_and_a_thread_sends_the_prompt_into_that_thread() {
    let world = World::sandbox();
    let (thread, _) = world.send("a teapot");
    let settled = run(world
        .lovart()
        .args(["wait", "--thread-id", &thread, "--json"]));
    assert_eq!(settled.json()["final_status"], "done", "{}", settled.stderr);
    let out = world.out_dir();
    let watch = run(world.lovart().args([
        "watch",
        "--thread-id",
        &thread,
        "--prompt",
        "make it blue",
        "--output-dir",
        &out,
    ]));
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    let sends = world.requests_to("POST", "/chat");
    assert_eq!(sends.len(), 2);
    let body = sends[1].json().unwrap();
    assert_eq!(body["prompt"], "make it blue");
    assert_eq!(body["thread_id"], thread.as_str());
    assert_eq!(events(&watch.stdout)[0]["thread_id"], thread.as_str());
}

#[test]
fn watch_without_thread_or_prompt_is_an_error() {
    let world = World::sandbox();
    let watch = run(world.lovart().arg("watch"));
    assert_eq!((watch.code, watch.stdout.as_str()), (1, ""));
    assert_eq!(
        watch.stderr,
        "Error: watch requires either --thread-id or --prompt\n"
    );
    assert!(world.server().requests().is_empty());
}

#[test]
fn watch_reports_an_api_error_and_goes_on() {
    let world = World::sandbox();
    world.server().inject(
        Fault::new("GET", "/chat/status", 503)
            .times(3)
            .json(&json!({"code": 503, "message": "busy", "details": "try later"})),
    );
    let out = world.out_dir();
    let watch = run(world
        .lovart()
        .args(["watch", "--prompt", "a kite", "--output-dir", &out]));
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    let lines: Vec<&str> = watch.stdout.lines().collect();
    assert_eq!(
        lines[1],
        "{\"event\": \"error\", \"message\": \"busy: try later\"}"
    );
    let events = events(&watch.stdout);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["started", "error", "artifact", "finished"]);
    assert_eq!(events[3]["final_status"], "done");
    assert!(!watch.stderr.contains("Error:"), "{}", watch.stderr);
}

#[test]
fn watch_stops_at_done_without_the_recheck() {
    let world = World::sandbox();
    let out = world.out_dir();
    let watch = run(world
        .lovart()
        .args(["watch", "--prompt", "a kite", "--output-dir", &out]));
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    assert_eq!(
        event_names(&events(&watch.stdout)),
        ["started", "artifact", "finished"]
    );
    // Round 1: running; round 2: done, and no 5 s second look.
    assert_eq!(world.count("GET", "/chat/status"), 2);
    assert_eq!(world.count("GET", "/chat/result"), 2);
}

#[test]
fn watch_reports_files_already_on_disk_once() {
    let world = World::sandbox();
    let out = world.out_dir();
    run(world.lovart().args([
        "chat",
        "--prompt",
        "a kite",
        "--download",
        "--output-dir",
        &out,
    ]));
    let thread = world.thread_ids()[0].clone();
    let url = format!("{}/files/{thread}/1.png", world.url());
    world.server().clear_requests();
    let watch = run(world
        .lovart()
        .args(["watch", "--thread-id", &thread, "--output-dir", &out]));
    let lines: Vec<&str> = watch.stdout.lines().collect();
    assert_eq!(
        lines[1],
        format!(
            "{{\"event\": \"artifact\", \"type\": \"image\", \"url\": \"{url}\", \"local_path\": \"{out}/{}\"}}",
            artifact_name("lovart", &url, ".png")
        )
    );
    assert_eq!(lines.len(), 3, "{}", watch.stdout);
    assert!(lines[2].ends_with("\"final_status\": \"done\", \"artifact_count\": 1}"));
    assert_eq!(world.count("GET", &format!("/files/{thread}/1.png")), 0);
}

#[test]
fn watch_never_reports_a_failed_download() {
    let world = World::sandbox();
    let out = world.out_dir();
    let watch = run(world.lovart().args([
        "watch",
        "--prompt",
        "a kite brokenlink",
        "--output-dir",
        &out,
    ]));
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    let events = events(&watch.stdout);
    assert_eq!(event_names(&events), ["started", "artifact", "finished"]);
    let thread = text(&events[0], "thread_id");
    assert_eq!(
        events[1]["url"],
        format!("{}/files/{thread}/1.png", world.url())
    );
    assert_eq!(events[2]["artifact_count"], 1);
    assert!(world.count("GET", &format!("/files/{thread}/2.png")) >= 1);
}

#[test]
fn watch_counts_a_missing_status_as_running() {
    let world = World::sandbox();
    world.server().inject(
        Fault::new("GET", "/chat/status", 200)
            .json(&json!({"code": 0, "data": {"thread_id": "x"}})),
    );
    let out = world.out_dir();
    let watch = run(world
        .lovart()
        .args(["watch", "--prompt", "a kite", "--output-dir", &out]));
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    let events = events(&watch.stdout);
    assert_eq!(event_names(&events), ["started", "artifact", "finished"]);
    assert_eq!(events[2]["final_status"], "done");
    assert_eq!(world.count("GET", "/chat/status"), 3);
}

#[test]
fn watch_ends_with_abort_or_timeout() {
    let world = World::sandbox();
    let out = world.out_dir();
    let abort = run(world
        .lovart()
        .args(["watch", "--prompt", "abort", "--output-dir", &out]));
    let aborted = events(&abort.stdout);
    assert_eq!(event_names(&aborted), ["started", "finished"]);
    assert_eq!(aborted[1]["final_status"], "abort");
    assert_eq!(aborted[1]["artifact_count"], 0);

    let timeout = run(world.lovart().args([
        "--timeout",
        "1",
        "watch",
        "--prompt",
        "forever",
        "--output-dir",
        &out,
    ]));
    assert_eq!(timeout.code, 0, "{}", timeout.stderr);
    let timed_out = events(&timeout.stdout);
    assert_eq!(timed_out.last().unwrap()["final_status"], "timeout");
}

#[test]
fn watch_sends_attachments_and_mode_but_no_tool_config() {
    let world = World::sandbox();
    let out = world.out_dir();
    run(world.lovart().args([
        "watch",
        "--prompt",
        "a kite",
        "--attachments",
        "https://a.example/k.png",
        "--mode",
        "fast",
        "--output-dir",
        &out,
    ]));
    let project = text(&world.state(), "active_project");
    assert_eq!(
        world.requests_to("POST", "/chat")[0].json().unwrap(),
        json!({"prompt": "a kite", "project_id": project, "attachments": ["https://a.example/k.png"], "mode": "fast"})
    );
    assert_eq!(world.state()["projects"][&project]["name"], "a kite");
}
