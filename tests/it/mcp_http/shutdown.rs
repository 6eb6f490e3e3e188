//! SIGTERM with a call in flight: the call answers "running" with its
//! thread, an idle keep-alive connection is closed and new connections are
//! refused, the server exits cleanly, and after a restart `wait` finishes
//! the thread: nothing billed is lost or sent again.

use std::time::Duration;

use rmcp::model::CallToolRequestParams;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{HttpServer, connect, world};
use crate::mcp::{call, succeeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_call_hands_back_a_thread_that_resumes_after_a_restart() {
    // Realistic pace: an image takes two 1.5 s steps.
    let world = world(false);
    let mut server = HttpServer::start(&world, &[], &[]);
    let client = connect(&server, None).await;
    let peer = client.peer().clone();
    let generating = tokio::spawn(async move {
        let arguments = json!({"prompt": "a lighthouse", "wait_seconds": 60});
        peer.call_tool(
            CallToolRequestParams::new("generate")
                .with_arguments(arguments.as_object().unwrap().clone()),
        )
        .await
        .expect("an answer, not a protocol error")
    });
    for _ in 0..500 {
        if world.count("POST", "/chat") == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(world.count("POST", "/chat"), 1, "{}", server.stderr());
    // A keep-alive connection, idle when the drain starts.
    let address = server.base.trim_start_matches("http://").to_string();
    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 1024];
    let read = idle.read(&mut buffer).await.unwrap();
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
    server.terminate();
    let answer = tokio::time::timeout(Duration::from_secs(20), generating)
        .await
        .expect("the call answered")
        .unwrap();
    let output = succeeded(&answer);
    assert_eq!(output["final_status"], "running");
    let closed = tokio::time::timeout(Duration::from_secs(10), idle.read(&mut buffer)).await;
    assert!(
        matches!(closed, Ok(Ok(0) | Err(_))),
        "the idle connection is closed: {closed:?}"
    );
    assert!(
        tokio::net::TcpStream::connect(&address).await.is_err(),
        "new connections are refused"
    );
    let thread = output["thread_id"].as_str().unwrap().to_string();
    assert_eq!(
        world.thread_ids(),
        vec![thread.clone()],
        "recorded in the state"
    );
    let status = server.exit_status().await;
    assert!(status.success(), "{status:?}: {}", server.stderr());
    assert!(server.stderr_shows("lovart mcp: draining").await);
    assert!(server.stderr_shows("lovart mcp: stopped").await);
    drop(client);

    let server = HttpServer::start(&world, &[], &[]);
    let client = connect(&server, None).await;
    let resumed = call(
        &client,
        "wait",
        json!({"thread_id": thread, "wait_seconds": 30}),
    )
    .await;
    let output = succeeded(&resumed);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["downloaded"].as_array().unwrap().len(), 1);
    assert_eq!(world.count("POST", "/chat"), 1, "never sent again");
    client.cancel().await.unwrap();
}
