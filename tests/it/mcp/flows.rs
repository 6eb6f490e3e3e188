//! The generation tools: an image on disk and in an image block, a video
//! that waits for the user's yes, `max_credits` and elicitation, and a short
//! budget that returns "running" for `wait` to pick up.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Recorder, call, connect, sorted_keys, succeeded, summary};
use crate::support::{World, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_downloads_the_image_and_shows_it_as_chat_would_print_it() {
    let world = World::sandbox();
    let out = world.out_dir();
    let reference = world.home.path().join("ref.png");
    std::fs::write(&reference, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let recorder = Recorder::default();
    let client = connect(&world, recorder.clone()).await;
    let result = call(
        &client,
        "generate",
        json!({"prompt": "a red fox", "output_dir": out, "attachments": [reference]}),
    )
    .await;
    let output = succeeded(&result);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["generation_succeeded"], true);
    let thread = output["thread_id"].as_str().unwrap().to_string();
    let project = output["project_id"].as_str().unwrap().to_string();

    // The file is on disk, as an image block and as a resource link.
    let downloaded = output["downloaded"].as_array().unwrap();
    assert_eq!(downloaded.len(), 1);
    let path = downloaded[0]["local_path"].as_str().unwrap();
    assert!(std::fs::read(path).unwrap().starts_with(b"\x89PNG"));
    let image = result
        .content
        .iter()
        .find_map(|block| block.as_image())
        .expect("an image block");
    assert_eq!(image.mime_type, "image/png");
    assert!(image.data.starts_with("iVBORw0KGgo"), "base64 of a PNG");
    let link = result
        .content
        .iter()
        .find_map(|block| block.as_resource_link())
        .expect("a resource link");
    let name = std::path::Path::new(path)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(link.uri, format!("lovart://thread/{thread}/{name}"));
    assert_eq!(link.mime_type.as_deref(), Some("image/png"));
    assert!(summary(&result).starts_with(&format!("Done (thread {thread}")));

    // The local attachment was uploaded and its URL sent.
    assert_eq!(world.count("POST", "/file/upload"), 1);
    let sent: Value = serde_json::from_slice(&world.requests_to("POST", "/chat")[0].body).unwrap();
    assert!(
        sent["attachments"][0].as_str().unwrap().starts_with("http"),
        "{sent}"
    );

    // Progress while waiting: status polls, then the artifact as it landed
    // (notifications may trail the response by a moment).
    let artifact_url = downloaded[0]["url"].as_str().unwrap();
    let landed = format!("image ready: {artifact_url}");
    for _ in 0..200 {
        if recorder.messages().contains(&landed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let messages = recorder.messages();
    assert!(
        messages.iter().any(|message| message == "status: running"),
        "{messages:?}"
    );
    assert!(messages.contains(&landed), "{messages:?}");

    // The state records it as chat would, and chat --json prints the same keys.
    assert_eq!(world.state()["active_project"], project.as_str());
    assert!(world.thread_ids().contains(&thread));
    let fresh = World::sandbox();
    let chat = run(fresh
        .lovart()
        .args(["chat", "--prompt", "a red fox", "--json", "--download"])
        .args(["--output-dir", &fresh.out_dir()]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    assert_eq!(
        sorted_keys(output),
        sorted_keys(chat.json().as_object().unwrap())
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_waits_for_confirmation_then_confirm_finishes_it() {
    let world = World::sandbox();
    let out = world.out_dir();
    let client = connect(&world, Recorder::default()).await;
    let result = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "output_dir": out}),
    )
    .await;
    let output = succeeded(&result);
    assert_eq!(output["final_status"], "pending_confirmation");
    assert_eq!(output["pending_confirmation"]["estimated_cost"], 40);
    assert_eq!(output["items"], json!([]));
    let thread = output["thread_id"].as_str().unwrap().to_string();
    let text = summary(&result);
    assert!(
        text.contains("about 40 credits") && text.contains("call `confirm`"),
        "{text}"
    );
    assert_eq!(
        world.count("POST", "/chat/confirm"),
        0,
        "nothing confirmed without the user"
    );

    let confirmed = call(
        &client,
        "confirm",
        json!({"thread_id": thread, "output_dir": out}),
    )
    .await;
    let output = succeeded(&confirmed);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["generation_succeeded"], true);
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
    let path = output["downloaded"][0]["local_path"].as_str().unwrap();
    assert!(std::fs::metadata(path).unwrap().len() > 0);
    let link = confirmed
        .content
        .iter()
        .find_map(|block| block.as_resource_link())
        .unwrap();
    assert_eq!(link.mime_type.as_deref(), Some("video/mp4"));
    assert!(
        confirmed
            .content
            .iter()
            .all(|block| block.as_image().is_none())
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_credits_or_the_users_yes_confirm_and_a_no_does_not() {
    let world = World::sandbox();
    let declining = Recorder {
        approve: Some(false),
        ..Default::default()
    };
    let client = connect(&world, declining.clone()).await;
    let asked = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false}),
    )
    .await;
    assert_eq!(succeeded(&asked)["final_status"], "pending_confirmation");
    assert_eq!(declining.questions.lock().unwrap().len(), 1);
    assert!(declining.questions.lock().unwrap()[0].contains("about 40 credits"));
    let too_cheap = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false, "max_credits": 10}),
    )
    .await;
    assert_eq!(
        succeeded(&too_cheap)["final_status"],
        "pending_confirmation"
    );
    assert_eq!(world.count("POST", "/chat/confirm"), 0);
    let budget = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false, "max_credits": 50}),
    )
    .await;
    assert_eq!(succeeded(&budget)["final_status"], "done");
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
    client.cancel().await.unwrap();

    let approving = Recorder {
        approve: Some(true),
        ..Default::default()
    };
    let client = connect(&world, approving.clone()).await;
    let approved = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false}),
    )
    .await;
    let output = succeeded(&approved);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["approved_by_user"], true);
    assert_eq!(world.count("POST", "/chat/confirm"), 2);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_budget_returns_running_and_wait_picks_it_up() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let started = Instant::now();
    let result = call(
        &client,
        "generate",
        json!({"prompt": "forever", "wait_seconds": 1, "download": false}),
    )
    .await;
    // The budget is real seconds, not scaled by LOVART_WAIT_SCALE.
    assert!(started.elapsed() >= Duration::from_secs(1));
    let output = succeeded(&result);
    assert_eq!(output["final_status"], "running");
    let thread = output["thread_id"].as_str().unwrap().to_string();
    assert!(summary(&result).contains(&format!("Call `wait` with thread_id \"{thread}\"")));
    let again = call(
        &client,
        "wait",
        json!({"thread_id": thread, "wait_seconds": 1, "download": false}),
    )
    .await;
    assert_eq!(succeeded(&again)["final_status"], "running");

    // A thread sent elsewhere (the CLI) is waited for and downloaded.
    let (thread, project) = world.send("a lighthouse");
    let out = world.out_dir();
    let waited = call(
        &client,
        "wait",
        json!({"thread_id": thread, "output_dir": out}),
    )
    .await;
    let output = succeeded(&waited);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["project_id"], project.as_str());
    assert!(
        waited
            .content
            .iter()
            .any(|block| block.as_image().is_some())
    );
    let cli = run(world.lovart().args([
        "wait",
        "--thread-id",
        &thread,
        "--json",
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(
        sorted_keys(output),
        sorted_keys(cli.json().as_object().unwrap())
    );
    client.cancel().await.unwrap();
}
