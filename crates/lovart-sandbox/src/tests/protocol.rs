//! Signing, projects, rate limits, injected faults and shutdown.

use super::*;

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
    assert_eq!(answer["code"], 1429, "the API's own code for a rate limit");
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
async fn serve_stops_when_told() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/v1/openapi/tools/catalog",
        listener.local_addr().unwrap()
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve(listener, SandboxOptions::default(), async {
        let _ = stopped.await;
    }));
    let answer = reqwest::get(&url).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    stop.send(()).unwrap();
    let finished = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    assert!(matches!(finished, Ok(Ok(Ok(())))));
}
