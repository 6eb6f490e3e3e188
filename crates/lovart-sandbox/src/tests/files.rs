//! Uploads, project artifacts and big files.

use super::*;

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
