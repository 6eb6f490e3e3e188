//! Tasks over HTTP. The server is stateless, so a client's capabilities are
//! known only when a request carries them: a 2026-07-28 client (its
//! capabilities in every request's `_meta`) that declares the tasks extension
//! gets a task from `generate`, polls it with `tasks/get` on later requests
//! and finds the result with the files; a 2025-11-25 client (which declared
//! them once, in `initialize`) gets today's plain result: the extension's
//! task handle is a 2026-07-28 result.

use std::time::Duration;

use rmcp::model::{CallToolResponse, GetTaskParams, TaskPayload, TaskStatus};
use serde_json::{Value, json};

use super::{HttpServer, connect_as, world};
use crate::mcp::{Recorder, params};

fn tasks_client() -> Recorder {
    Recorder {
        tasks: true,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_created_polled_over_http_and_completes_with_the_files() {
    // The realistic pace: the image is done two steps (3 s) after the send.
    let world = world(false);
    let server = HttpServer::start(&world, &[], &[]);
    let client = connect_as(&server, tasks_client(), true).await;
    let response = client
        .call_tool_once(params(
            "generate",
            json!({"prompt": "a lighthouse", "output_dir": "/lighthouse"}),
        ))
        .await
        .unwrap();
    let created = match response {
        CallToolResponse::Task(created) => created,
        // Not the whole response: it holds the picture.
        CallToolResponse::Complete(result) => {
            panic!("not a task but a result: {:?}", result.structured_content)
        }
        _ => panic!("not a task but input_required"),
    };
    assert_eq!(created.task.status, TaskStatus::Working);
    let id = created.task.task_id;
    assert_eq!(
        world.thread_ids(),
        std::slice::from_ref(&id),
        "the task id is the thread id"
    );

    let mut statuses = Vec::new();
    let done = loop {
        assert!(statuses.len() < 600, "never completed: {statuses:?}");
        let task = client.get_task(GetTaskParams::new(&id)).await.unwrap();
        statuses.push(task.task.status());
        if task.task.status() == TaskStatus::Completed {
            break task;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let TaskPayload::Completed { result } = &done.task.payload else {
        unreachable!()
    };
    let result = Value::Object(result.clone());
    let output = &result["structuredContent"];
    assert_eq!(output["final_status"], "done", "{result}");
    assert_eq!(output["thread_id"], id.as_str());
    // The file is in the server's folder, whatever folder the client named.
    let path = std::path::PathBuf::from(output["downloaded"][0]["local_path"].as_str().unwrap());
    assert_eq!(path.parent().unwrap(), server.out.join("lighthouse"));
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    // And the client, on another machine, gets it as a picture and links.
    let content = result["content"].as_array().unwrap();
    let kinds: Vec<&str> = content.iter().filter_map(|b| b["type"].as_str()).collect();
    assert!(kinds.contains(&"image"), "{kinds:?}");
    let links: Vec<&str> = content
        .iter()
        .filter(|b| b["type"] == "resource_link")
        .filter_map(|b| b["uri"].as_str())
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(links[0].starts_with("lovart://thread/"), "{links:?}");
    assert_eq!(links[1], output["downloaded"][0]["url"].as_str().unwrap());
    assert_eq!(world.count("POST", "/chat"), 1);
    assert!(
        server.stderr_shows("POST /mcp tasks/get ").await,
        "{}",
        server.stderr()
    );
    client.cancel().await.unwrap();

    // A 2025-11-25 client that declared the extension in `initialize`: no task.
    let legacy = connect_as(&server, tasks_client(), false).await;
    let response = legacy
        .call_tool_once(params(
            "generate",
            json!({"prompt": "a harbour", "download": false}),
        ))
        .await
        .unwrap();
    let CallToolResponse::Complete(plain) = response else {
        panic!("a 2025-11-25 client got a task over HTTP: {response:?}")
    };
    let plain = serde_json::to_value(&plain).unwrap();
    assert_eq!(
        plain["structuredContent"]["final_status"], "done",
        "{plain}"
    );
    legacy.cancel().await.unwrap();
}
