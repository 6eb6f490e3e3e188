//! The tasks extension: a 2026-07-28 client that declares it gets a task
//! (id = thread id) from `generate`, polls it with `tasks/get` (status message = Lovart's
//! status), answers a high-cost step through `tasks/update`, cancels it
//! (the thread is kept), and finds it again after `lovart mcp` restarts.

use std::time::Duration;

use rmcp::model::{
    CallToolResponse, CancelTaskParams, GetTaskParams, GetTaskResult, TaskPayload, TaskStatus,
    UpdateTaskParams,
};
use serde_json::{Value, json};

use super::{Client, Recorder, call, connect, connect_modern, params, succeeded};
use crate::support::World;

fn tasks_client() -> Recorder {
    Recorder {
        tasks: true,
        ..Default::default()
    }
}

/// Starts `tool` and returns its task id.
async fn start(client: &Client, tool: &str, arguments: Value) -> String {
    let response = client
        .call_tool_once(params(tool, arguments))
        .await
        .unwrap();
    let CallToolResponse::Task(created) = response else {
        panic!("not a task: {response:?}")
    };
    assert_eq!(created.task.status, TaskStatus::Working);
    assert_eq!(
        created.task.ttl_ms,
        Some(7_200_000),
        "a task lives 2 h: it covers long videos"
    );
    created.task.task_id
}

async fn get(client: &Client, id: &str) -> GetTaskResult {
    client.get_task(GetTaskParams::new(id)).await.unwrap()
}

/// Polls until the task reaches `status` (or fails the test after 60 s).
async fn until(client: &Client, id: &str, status: TaskStatus) -> GetTaskResult {
    for _ in 0..600 {
        let task = get(client, id).await;
        if task.task.status() == status {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "task {id} never became {status:?}: {:?}",
        get(client, id).await
    )
}

fn completed(task: &GetTaskResult) -> Value {
    let TaskPayload::Completed { result } = &task.task.payload else {
        panic!("not completed: {task:?}")
    };
    Value::Object(result.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_created_polled_and_completes_with_the_files() {
    let world = World::sandbox();
    let out = world.out_dir();
    let client = connect_modern(&world, tasks_client()).await;
    let id = start(
        &client,
        "generate",
        json!({"prompt": "a cat", "output_dir": out}),
    )
    .await;
    assert_eq!(
        world.thread_ids(),
        std::slice::from_ref(&id),
        "the task id is the thread id"
    );
    let done = until(&client, &id, TaskStatus::Completed).await;
    assert!(
        done.task
            .task
            .status_message
            .as_deref()
            .unwrap()
            .starts_with("Lovart status:"),
        "{done:?}"
    );
    let result = completed(&done);
    assert_eq!(result["structuredContent"]["final_status"], "done");
    let path = result["structuredContent"]["downloaded"][0]["local_path"]
        .as_str()
        .unwrap();
    assert!(std::fs::metadata(path).unwrap().len() > 0);
    // A client without the extension sees today's behaviour.
    let plain = connect_modern(&world, Recorder::default()).await;
    let answer = call(
        &plain,
        "generate",
        json!({"prompt": "a dog", "download": false}),
    )
    .await;
    assert_eq!(succeeded(&answer)["final_status"], "done");
    plain.cancel().await.unwrap();
    // So does a 2025-11-25 session that lists the extension (the MCP
    // Inspector 2.12's default): it cannot read the extension's task handle.
    let legacy = connect(&world, tasks_client()).await;
    let response = legacy
        .call_tool_once(params(
            "generate",
            json!({"prompt": "a fox", "download": false}),
        ))
        .await
        .unwrap();
    let CallToolResponse::Complete(answer) = response else {
        panic!("a 2025-11-25 session got a task: {response:?}")
    };
    assert_eq!(succeeded(&answer)["final_status"], "done");
    legacy.cancel().await.unwrap();
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_high_cost_step_makes_the_task_ask_and_its_answer_goes_on() {
    let world = World::sandbox();
    let client = connect_modern(&world, tasks_client()).await;
    let id = start(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false}),
    )
    .await;
    let asking = until(&client, &id, TaskStatus::InputRequired).await;
    let TaskPayload::InputRequired { input_requests } = &asking.task.payload else {
        unreachable!()
    };
    let question = serde_json::to_value(&input_requests["confirm"]).unwrap();
    assert!(
        question["params"]["message"]
            .as_str()
            .unwrap()
            .contains("about 40 credits")
    );
    assert_eq!(world.count("POST", "/chat/confirm"), 0);
    let yes = json!({"action": "accept", "content": {"confirm": true}});
    client
        .update_task(UpdateTaskParams::new(
            &id,
            [("confirm".to_string(), yes)].into_iter().collect(),
        ))
        .await
        .unwrap();
    let done = until(&client, &id, TaskStatus::Completed).await;
    let result = completed(&done);
    assert_eq!(result["structuredContent"]["final_status"], "done");
    assert_eq!(result["structuredContent"]["approved_by_user"], true);
    assert_eq!(result["_meta"]["io.lovart/cost"]["estimated_credits"], 40.0);
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_task_stops_waiting_and_keeps_the_thread() {
    let world = World::sandbox();
    let client = connect_modern(&world, tasks_client()).await;
    let id = start(
        &client,
        "generate",
        json!({"prompt": "forever", "download": false}),
    )
    .await;
    let working = get(&client, &id).await;
    assert_eq!(working.task.status(), TaskStatus::Working);
    client
        .cancel_task(CancelTaskParams::new(&id))
        .await
        .unwrap();
    let cancelled = get(&client, &id).await;
    assert_eq!(cancelled.task.status(), TaskStatus::Cancelled);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let polls = world.count("GET", "/chat/status");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        world.count("GET", "/chat/status"),
        polls,
        "no poll after cancel"
    );
    assert_eq!(world.thread_ids(), std::slice::from_ref(&id));
    // `wait` as a task picks the thread up again.
    let again = start(&client, "wait", json!({"thread_id": id, "download": false})).await;
    assert_eq!(again, id);
    assert_eq!(get(&client, &id).await.task.status(), TaskStatus::Working);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_found_again_after_the_server_restarts() {
    let world = World::sandbox();
    let out = world.out_dir();
    let client = connect_modern(&world, tasks_client()).await;
    let id = start(
        &client,
        "generate",
        json!({"prompt": "a cat", "output_dir": out}),
    )
    .await;
    client.cancel().await.unwrap();

    let client = connect_modern(&world, tasks_client()).await;
    let done = until(&client, &id, TaskStatus::Completed).await;
    let result = completed(&done);
    assert_eq!(result["structuredContent"]["final_status"], "done");
    assert_eq!(result["structuredContent"]["thread_id"], id.as_str());
    let unknown = client.get_task(GetTaskParams::new("no-such-thread")).await;
    assert!(unknown.is_err());
    client.cancel().await.unwrap();
}
