//! Threads step by step: images, variations, videos, refusals, odd artifacts.

use super::*;

#[tokio::test]
async fn an_image_is_done_on_the_second_status_and_served_as_png() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    let thread_id = client.thread(&project_id, "a cyberpunk cat").await;
    assert_eq!(client.result(&thread_id).await["items"], json!([]));
    assert_eq!(client.status(&thread_id).await, "running");
    assert_eq!(client.status(&thread_id).await, "done");
    assert_eq!(client.status(&thread_id).await, "done");
    let result = client.result(&thread_id).await;
    assert_eq!(result["status"], "done");
    assert!(result.get("pending_confirmation").is_none());
    assert_eq!(result["items"][0]["type"], "assistant");
    assert_eq!(result["items"][1]["name"], "artifacts");
    let found = artifacts(&result);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "image");
    assert_eq!(
        found[0].1,
        format!("{}/files/{thread_id}/1.png", client.base)
    );
    let (status, length, bytes) = client.fetch(&found[0].1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(length, Some(bytes.len() as u64));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[tokio::test]
async fn variations_appear_one_per_step() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    let thread_id = client
        .thread(&project_id, "generate 4 variations of a cat")
        .await;
    for shown in 1..=4 {
        let status = client.status(&thread_id).await;
        assert_eq!(status, if shown == 4 { "done" } else { "running" });
        assert_eq!(artifacts(&client.result(&thread_id).await).len(), shown);
    }
}

#[tokio::test]
async fn a_video_waits_for_confirmation_unless_unlimited() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    let thread_id = client.thread(&project_id, "ocean waves video").await;
    let confirm = json!({"thread_id": thread_id});
    let (status, _, _) = client
        .send(Method::POST, "/chat/confirm", "", Some(confirm.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(client.status(&thread_id).await, "running");
    assert_eq!(client.status(&thread_id).await, "done");
    let result = client.result(&thread_id).await;
    assert_eq!(
        result["pending_confirmation"]["tool_name"],
        "generate_video_kling_v3"
    );
    assert_eq!(result["pending_confirmation"]["estimated_cost"], 40);
    assert!(artifacts(&result).is_empty());
    let data = client
        .ok(Method::POST, "/chat/confirm", "", Some(confirm))
        .await;
    assert_eq!(data, json!({"thread_id": thread_id, "confirmed": true}));
    assert_eq!(client.status(&thread_id).await, "running");
    assert_eq!(client.status(&thread_id).await, "done");
    let result = client.result(&thread_id).await;
    assert!(result.get("pending_confirmation").is_none());
    let found = artifacts(&result);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "video");
    assert!(found[0].1.ends_with(".mp4"));
    let (_, _, bytes) = client.fetch(&found[0].1).await;
    assert_eq!(&bytes[4..8], b"ftyp");

    let data = client
        .ok(
            Method::POST,
            "/mode/set",
            "",
            Some(json!({"unlimited": true})),
        )
        .await;
    assert_eq!(data, json!({"unlimited": true}));
    let data = client
        .ok(Method::POST, "/mode/query", "", Some(json!({})))
        .await;
    assert_eq!(data["unlimited"], true);
    let thread_id = client.thread(&project_id, "another video").await;
    client.status(&thread_id).await;
    assert_eq!(client.status(&thread_id).await, "done");
    let result = client.result(&thread_id).await;
    assert!(result.get("pending_confirmation").is_none());
    assert_eq!(artifacts(&result)[0].0, "video");
}

#[tokio::test]
async fn a_running_thread_is_busy_and_a_finished_one_continues() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    let thread_id = client.thread(&project_id, "a cat").await;
    let again = json!({"prompt": "make it blue", "project_id": project_id, "thread_id": thread_id});
    let (status, _, answer) = client
        .send(Method::POST, "/chat", "", Some(again.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["message"], "Thread is busy");
    client.status(&thread_id).await;
    client.status(&thread_id).await;
    let data = client.ok(Method::POST, "/chat", "", Some(again)).await;
    assert_eq!(data["thread_id"], thread_id.as_str());
    assert_eq!(client.status(&thread_id).await, "running");
    assert_eq!(client.status(&thread_id).await, "done");
    let found = artifacts(&client.result(&thread_id).await);
    assert_eq!(found.len(), 2);
    assert!(found[1].1.ends_with("/2.png"));
}

#[tokio::test]
async fn refusal_abort_forever_and_insufficient_credits() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    let refused = client.thread(&project_id, "please REFUSE this").await;
    client.status(&refused).await;
    assert_eq!(client.status(&refused).await, "done");
    let result = client.result(&refused).await;
    assert_eq!(result["items"].as_array().unwrap().len(), 1);
    assert_eq!(result["items"][0]["type"], "assistant");

    let aborted = client.thread(&project_id, "abort").await;
    client.status(&aborted).await;
    assert_eq!(client.status(&aborted).await, "abort");

    let endless = client.thread(&project_id, "forever").await;
    for _ in 0..10 {
        assert_eq!(client.status(&endless).await, "running");
    }

    let (status, answer) = client.chat(&project_id, "something expensive").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        answer,
        json!({"code": 2012, "message": "Insufficient credits", "details": "this request needs 40 credits; the account has 3"})
    );
}

#[tokio::test]
async fn flaky_threads_fail_once_per_endpoint() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    let thread_id = client.thread(&project_id, "a flaky cat").await;
    let query = format!("?thread_id={thread_id}");
    let (status, _, _) = client.send(Method::GET, "/chat/status", &query, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(client.status(&thread_id).await, "running");
    let (status, _, _) = client.send(Method::GET, "/chat/result", &query, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(client.status(&thread_id).await, "done");
    assert_eq!(artifacts(&client.result(&thread_id).await).len(), 1);
}

#[tokio::test]
async fn odd_artifacts_noext_brokenlink_audio_3d() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    for (prompt, kinds, magic) in [
        (
            "noext brokenlink cat",
            vec!["image", "image"],
            &b"\x89PNG"[..],
        ),
        ("lofi bgm", vec!["audio"], b"RIFF"),
        ("a 3d chair", vec!["3d"], b"glTF"),
    ] {
        let thread_id = client.thread(&project_id, prompt).await;
        client.status(&thread_id).await;
        client.status(&thread_id).await;
        let found = artifacts(&client.result(&thread_id).await);
        assert_eq!(
            found
                .iter()
                .map(|(kind, _)| kind.as_str())
                .collect::<Vec<_>>(),
            kinds
        );
        let (status, _, bytes) = client.fetch(&found[0].1).await;
        assert_eq!(status, StatusCode::OK);
        assert!(bytes.starts_with(magic), "{prompt}");
        if prompt.contains("noext") {
            assert!(found[0].1.ends_with(&format!("{thread_id}/1")));
            let (status, _, _) = client.fetch(&found[1].1).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
    }
}

#[tokio::test]
async fn realistic_mode_runs_on_the_clock_not_on_polls() {
    let sandbox = SandboxHandle::start(SandboxOptions::default());
    let client = Client {
        http: reqwest::Client::new(),
        base: sandbox.base_url(),
        access_key: "ak_sandbox".into(),
        secret_key: "sk_sandbox".into(),
    };
    let project_id = client.project().await;
    let thread_id = client.thread(&project_id, "a cat").await;
    for _ in 0..5 {
        assert_eq!(client.status(&thread_id).await, "running");
    }
}
