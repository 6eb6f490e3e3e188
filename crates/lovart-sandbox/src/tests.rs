//! The sandbox driven over HTTP, as a client sees it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Fault, SandboxHandle, SandboxOptions};
use lovart_wire::sign::{signed_headers, timestamp_now};

struct Client {
    http: reqwest::Client,
    base: String,
    access_key: String,
    secret_key: String,
}

/// A fast sandbox and a client signing with its keys.
fn start() -> (SandboxHandle, Client) {
    let sandbox = SandboxHandle::start(SandboxOptions {
        fast: true,
        ..SandboxOptions::default()
    });
    let client = Client {
        http: reqwest::Client::new(),
        base: sandbox.base_url(),
        access_key: "ak_sandbox".into(),
        secret_key: "sk_sandbox".into(),
    };
    (sandbox, client)
}

impl Client {
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let path = format!("/v1/openapi{path}");
        let url = format!("{}{path}{query}", self.base);
        let mut request = self.http.request(method.clone(), url);
        for (name, value) in signed_headers(
            &self.access_key,
            &self.secret_key,
            method.as_str(),
            &path,
            &timestamp_now(),
        ) {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `data` of a call that must succeed.
    async fn ok(&self, method: Method, path: &str, query: &str, body: Option<Value>) -> Value {
        let (status, _, answer) = self.send(method, path, query, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        assert_eq!(answer["code"], 0, "{path}: {answer}");
        answer["data"].clone()
    }

    async fn project(&self) -> String {
        let body = json!({"project_id": "", "canvas": "", "project_cover_list": [], "pic_count": 0, "project_type": 3});
        let data = self.ok(Method::POST, "/project/save", "", Some(body)).await;
        data["project_id"].as_str().unwrap().to_string()
    }

    async fn chat(&self, project_id: &str, prompt: &str) -> (StatusCode, Value) {
        let (status, _, answer) = self
            .send(
                Method::POST,
                "/chat",
                "",
                Some(json!({"prompt": prompt, "project_id": project_id})),
            )
            .await;
        (status, answer)
    }

    async fn thread(&self, project_id: &str, prompt: &str) -> String {
        let (status, answer) = self.chat(project_id, prompt).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["data"]["thread_id"].as_str().unwrap().to_string()
    }

    async fn status(&self, thread_id: &str) -> String {
        let data = self
            .ok(
                Method::GET,
                "/chat/status",
                &format!("?thread_id={thread_id}"),
                None,
            )
            .await;
        data["status"].as_str().unwrap().to_string()
    }

    async fn result(&self, thread_id: &str) -> Value {
        self.ok(
            Method::GET,
            "/chat/result",
            &format!("?thread_id={thread_id}"),
            None,
        )
        .await
    }

    async fn fetch(&self, url: &str) -> (StatusCode, Option<u64>, Vec<u8>) {
        let response = self.http.get(url).send().await.unwrap();
        let length = response.content_length();
        (
            response.status(),
            length,
            response.bytes().await.unwrap().to_vec(),
        )
    }
}

fn artifacts(result: &Value) -> Vec<(String, String)> {
    result["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["artifacts"].as_array())
        .flatten()
        .map(|artifact| {
            (
                artifact["type"].as_str().unwrap().into(),
                artifact["content"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[tokio::test]
async fn signatures_keys_and_clock_are_checked() {
    let (sandbox, client) = start();
    let (status, _, answer) = client
        .send(Method::POST, "/mode/query", "", Some(json!({})))
        .await;
    assert_eq!((status, &answer["code"]), (StatusCode::OK, &json!(0)));

    let wrong = Client {
        secret_key: "sk_wrong".into(),
        ..client
    };
    let (status, _, answer) = wrong
        .send(Method::POST, "/mode/query", "", Some(json!({})))
        .await;
    assert_eq!(
        (status, &answer["code"]),
        (StatusCode::UNAUTHORIZED, &json!(401))
    );
    let stranger = Client {
        access_key: "ak_other".into(),
        secret_key: "sk_sandbox".into(),
        ..wrong
    };
    let (status, _, _) = stranger
        .send(Method::POST, "/mode/query", "", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let client = Client {
        access_key: "ak_sandbox".into(),
        ..stranger
    };
    sandbox.set_clock_offset(-301);
    let (status, _, answer) = client
        .send(Method::POST, "/mode/query", "", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        answer["details"].as_str().unwrap().contains("clock"),
        "{answer}"
    );
    sandbox.set_clock_offset(0);

    let unsigned = client
        .http
        .get(format!(
            "{}/v1/openapi/chat/status?thread_id=x",
            client.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let catalog = client
        .http
        .get(format!("{}/v1/openapi/tools/catalog", client.base))
        .send()
        .await
        .unwrap();
    let catalog: Value = serde_json::from_str(&catalog.text().await.unwrap()).unwrap();
    assert_eq!(catalog["data"]["tools"].as_array().unwrap().len(), 40);
}

#[tokio::test]
async fn projects_are_created_renamed_and_validated() {
    let (sandbox, client) = start();
    let project_id = client.project().await;
    assert_eq!(project_id.len(), 32);
    let query = format!("?project_id={project_id}");
    let data = client
        .ok(Method::GET, "/project/validate", &query, None)
        .await;
    assert_eq!(data, json!({"valid": true, "project_name": ""}));
    let rename = json!({"action": "rename", "project_id": project_id, "project_name": "Cats"});
    let data = client
        .ok(Method::POST, "/project/save", "", Some(rename))
        .await;
    assert_eq!(
        data,
        json!({"project_id": project_id, "project_name": "Cats"})
    );
    assert_eq!(sandbox.project_name(&project_id).as_deref(), Some("Cats"));
    let data = client
        .ok(Method::GET, "/project/validate", "?project_id=nope", None)
        .await;
    assert_eq!(data, json!({"valid": false, "project_name": ""}));
    let rename = json!({"action": "rename", "project_id": "nope", "project_name": "x"});
    let (status, _, answer) = client
        .send(Method::POST, "/project/save", "", Some(rename))
        .await;
    assert_eq!(
        (status, answer),
        (
            StatusCode::NOT_FOUND,
            json!({"code": 404, "message": "project not found"})
        )
    );
    let (status, _) = client.chat("nope", "a cat").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

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
        json!({"code": 402, "message": "Insufficient credits", "details": "this request needs 40 credits; the account has 3"})
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
async fn the_sixty_first_chat_of_a_minute_gets_429() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    for _ in 0..60 {
        client.thread(&project_id, "refuse").await;
    }
    let (status, headers, answer) = client
        .send(
            Method::POST,
            "/chat",
            "",
            Some(json!({"prompt": "a cat", "project_id": project_id})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "60");
    assert_eq!(answer["code"], 429);
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
async fn uploads_stream_to_disk_and_are_served_back() {
    let (sandbox, client) = start();
    let content: Vec<u8> = (0..3 * 1024 * 1024 + 17)
        .map(|n: u32| (n % 251) as u8)
        .collect();
    let boundary = "0123456789abcdef0123456789abcdef";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"caf\u{e9}.png\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let total = body.len() as u64;
    let path = "/v1/openapi/file/upload";
    let mut request = client
        .http
        .post(format!("{}{path}", client.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("user-agent", "LovartAgentSkill/1.0")
        .body(body);
    for (name, value) in signed_headers("ak_sandbox", "sk_sandbox", "POST", path, &timestamp_now())
    {
        request = request.header(name, value);
    }
    let answer: Value =
        serde_json::from_str(&request.send().await.unwrap().text().await.unwrap()).unwrap();
    assert_eq!(answer["code"], 0, "{answer}");
    let url = answer["data"]["url"].as_str().unwrap();
    assert!(url.ends_with("/caf%C3%A9.png"), "{url}");
    let (status, length, bytes) = client.fetch(url).await;
    assert_eq!(
        (status, length),
        (StatusCode::OK, Some(content.len() as u64))
    );
    assert!(bytes == content);

    let recorded = sandbox
        .requests()
        .into_iter()
        .find(|request| request.path == path)
        .unwrap();
    assert_eq!(recorded.body_len, total);
    assert_eq!(recorded.body.len(), 64 * 1024);
    assert_eq!(recorded.header("user-agent"), Some("LovartAgentSkill/1.0"));
}

#[tokio::test]
async fn injected_faults_answer_first_then_the_server_resumes() {
    let (sandbox, client) = start();
    sandbox.inject(
        Fault::new("POST", "/mode/query", 429)
            .header("retry-after", "1")
            .json(&json!({"code": 429, "message": "slow down"}))
            .times(2),
    );
    sandbox.inject(Fault::new("POST", "/v1/openapi/mode/set", 200).body("<html>oops</html>"));
    for _ in 0..2 {
        let (status, headers, answer) = client
            .send(Method::POST, "/mode/query", "", Some(json!({})))
            .await;
        assert_eq!(
            (status, &headers["retry-after"], &answer["message"]),
            (
                StatusCode::TOO_MANY_REQUESTS,
                &"1".parse().unwrap(),
                &json!("slow down")
            )
        );
    }
    let (status, _, _) = client
        .send(Method::POST, "/mode/query", "", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, answer) = client
        .send(
            Method::POST,
            "/mode/set",
            "",
            Some(json!({"unlimited": true})),
        )
        .await;
    assert_eq!(
        (status, answer),
        (StatusCode::OK, json!("<html>oops</html>"))
    );
    let data = client
        .ok(Method::POST, "/mode/query", "", Some(json!({})))
        .await;
    assert_eq!(
        data["unlimited"], false,
        "a faulted request changes nothing"
    );

    let recorded = sandbox.requests();
    let statuses: Vec<u16> = recorded.iter().map(|request| request.status).collect();
    assert_eq!(statuses, [429, 429, 200, 200, 200]);
    assert_eq!(recorded[0].json(), Some(json!({})));
    assert!(recorded[0].header("x-signature").is_some());
}

#[tokio::test]
async fn artifacts_can_be_added_to_a_project() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    let body = json!({"project_id": project_id, "artifact_type": "image", "artifact_content": "https://example.com/a.png"});
    let data = client
        .ok(Method::POST, "/artifact/upload", "", Some(body))
        .await;
    assert_eq!(data["artifact_id"].as_str().unwrap().len(), 32);
    assert_eq!(data["artifact_content"], "https://example.com/a.png");
}

#[tokio::test]
async fn a_big_file_streams_with_its_length() {
    let (_sandbox, client) = start();
    let project_id = client.project().await;
    let thread_id = client.thread(&project_id, "bigfile").await;
    client.status(&thread_id).await;
    client.status(&thread_id).await;
    let found = artifacts(&client.result(&thread_id).await);
    let started = std::time::Instant::now();
    let (status, length, bytes) = client.fetch(&found[0].1).await;
    eprintln!("64 MiB artifact fetched in {:?}", started.elapsed());
    assert_eq!(status, StatusCode::OK);
    assert_eq!(length, Some(bytes.len() as u64));
    assert!(bytes.len() > 64 * 1024 * 1024);
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

#[tokio::test]
async fn serve_stops_when_told() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/v1/openapi/tools/catalog",
        listener.local_addr().unwrap()
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(super::serve(listener, SandboxOptions::default(), async {
        let _ = stopped.await;
    }));
    let answer = reqwest::get(&url).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    stop.send(()).unwrap();
    let finished = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    assert!(matches!(finished, Ok(Ok(Ok(())))));
}

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
        limits: super::RateLimits {
            query: (3, 100),
            ..super::RateLimits::default()
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
