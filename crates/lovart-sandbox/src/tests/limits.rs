//! Limits the sandbox keeps for its own safety and as the real API does:
//! bounded request records, connection timeouts and cap, the two rate-limit
//! tiers per key, and idempotent sends.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Client, start};
use crate::{SandboxHandle, SandboxOptions};
use lovart_wire::sign::{signed_headers, timestamp_now};

/// An unsigned request with a large header and body is recorded as its
/// status and signature headers only.
#[tokio::test]
async fn unsigned_requests_are_not_recorded_whole() {
    let (sandbox, client) = start();
    let url = format!("{}/v1/openapi/chat", client.base);
    let response = client
        .http
        .post(&url)
        .header("x-access-key", "ak_sandbox")
        .header("x-padding", "p".repeat(32 * 1024))
        .body(vec![b'x'; 8 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let recorded = sandbox.requests();
    let last = recorded.last().unwrap();
    assert_eq!(last.status, 401);
    assert!(last.body.is_empty());
    assert_eq!(last.body_len, 8 * 1024);
    assert_eq!(last.header("x-access-key"), Some("ak_sandbox"));
    assert_eq!(last.header("x-padding"), None);
}

mod connection_limits {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use crate::{Limits, SandboxHandle, SandboxOptions};

    fn short_limits(max_connections: usize, header_read: Duration) -> SandboxHandle {
        SandboxHandle::start_with_limits(
            SandboxOptions::default(),
            Limits {
                header_read,
                idle: header_read + Duration::from_millis(200),
                max_connections,
            },
        )
    }

    async fn connect(sandbox: &SandboxHandle) -> TcpStream {
        let address = sandbox.base_url().trim_start_matches("http://").to_string();
        TcpStream::connect(address).await.unwrap()
    }

    /// Whether the server has closed `stream` (read gives 0 or an error),
    /// reading for at most `limit`.
    async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
        let mut buf = [0u8; 4096];
        let reading = async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        };
        tokio::time::timeout(limit, reading).await.is_ok()
    }

    /// One request on a keep-alive connection; returns once its answer began.
    async fn one_request(stream: &mut TcpStream) {
        stream
            .write_all(b"GET /v1/openapi/tools/catalog HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 16];
        let read = stream.read(&mut buf).await.unwrap();
        assert!(buf[..read].starts_with(b"HTTP/1.1 200"));
    }

    #[tokio::test]
    async fn a_dripping_request_head_is_cut_off() {
        let sandbox = short_limits(8, Duration::from_millis(300));
        let mut stream = connect(&sandbox).await;
        stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        // A header byte every 50 ms for at most 10 s: the server must hang up first.
        let mut cut = false;
        for _ in 0..200 {
            if stream.write_all(b"x").await.is_err() {
                cut = true;
                break;
            }
            if closed_within(&mut stream, Duration::from_millis(50)).await {
                cut = true;
                break;
            }
        }
        assert!(cut, "the server kept a dripping head for 10 s");
    }

    #[tokio::test]
    async fn an_idle_connection_and_a_stalled_body_are_closed() {
        let sandbox = short_limits(8, Duration::from_millis(300));
        let mut idle = connect(&sandbox).await;
        one_request(&mut idle).await;
        assert!(closed_within(&mut idle, Duration::from_secs(10)).await);

        let mut stalled = connect(&sandbox).await;
        stalled
            .write_all(
                b"POST /v1/openapi/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123",
            )
            .await
            .unwrap();
        assert!(closed_within(&mut stalled, Duration::from_secs(10)).await);
    }

    #[tokio::test]
    async fn connections_past_the_cap_are_closed_at_once() {
        let sandbox = short_limits(2, Duration::from_secs(5));
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut stream = connect(&sandbox).await;
            one_request(&mut stream).await;
            held.push(stream);
        }
        let mut extra = connect(&sandbox).await;
        // Closed long before the 5 s the held ones may idle.
        assert!(closed_within(&mut extra, Duration::from_secs(2)).await);
        drop(held);
        // Places free up again: a later connection is served (bounded retries).
        let mut served = false;
        for _ in 0..50 {
            let mut stream = connect(&sandbox).await;
            let _ = stream
                .write_all(b"GET /v1/openapi/tools/catalog HTTP/1.1\r\nHost: x\r\n\r\n")
                .await;
            let mut buf = [0u8; 16];
            if let Ok(Ok(read)) =
                tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await
                && buf[..read].starts_with(b"HTTP/1.1 200")
            {
                served = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(served);
    }
}

#[tokio::test]
async fn a_repeated_idempotency_key_gets_the_same_thread_and_no_second_job() {
    let (sandbox, client) = start();
    let project = client.project().await;
    let send = |key: &'static str| {
        let (client, project) = (&client, project.clone());
        async move {
            let path = "/v1/openapi/chat";
            let mut request = client
                .http
                .post(format!("{}{path}", client.base))
                .header("content-type", "application/json")
                .header("Idempotency-Key", key)
                .body(json!({"prompt": "a cat", "project_id": project}).to_string());
            for (name, value) in signed_headers(
                &client.access_key,
                &client.secret_key,
                "POST",
                path,
                &timestamp_now(),
            ) {
                request = request.header(name, value);
            }
            let text = request.send().await.unwrap().text().await.unwrap();
            let answer: Value = serde_json::from_str(&text).unwrap();
            answer["data"]["thread_id"].as_str().unwrap().to_string()
        }
    };
    let first = send("k1").await;
    assert_eq!(send("k1").await, first);
    assert_ne!(send("k2").await, first);
    assert_eq!(sandbox.thread_count(), 2, "one job per key");
}

#[tokio::test]
async fn the_query_tier_is_enforced_with_retry_after() {
    let sandbox = SandboxHandle::start(SandboxOptions {
        fast: true,
        limits: crate::RateLimits {
            query: (3, 100),
            ..crate::RateLimits::default()
        },
        ..SandboxOptions::default()
    });
    let client = Client {
        http: reqwest::Client::new(),
        base: sandbox.base_url(),
        access_key: "ak_sandbox".into(),
        secret_key: "sk_sandbox".into(),
    };
    for _ in 0..3 {
        client.project().await;
    }
    let (status, headers, answer) = client
        .send(Method::POST, "/mode/query", "", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert_eq!(headers["retry-after"], "60");
    assert!(
        answer["details"]
            .as_str()
            .unwrap()
            .contains("3 query requests in a minute")
    );
}
