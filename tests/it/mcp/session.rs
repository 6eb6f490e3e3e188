//! The session: handshake and tool list, the other tools, errors that leave
//! the session alive, calls in parallel, and stdout carrying JSON-RPC only.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Recorder, TOOLS, call, connect, structured, succeeded, summary};
use crate::support::{World, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_lists_the_tools_with_schemas() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let info = client.peer_info().expect("initialize result");
    // The newest protocol version with an initialize handshake that rmcp knows.
    assert_eq!(
        info.protocol_version,
        rmcp::model::ProtocolVersion::LATEST_WITH_INITIALIZE
    );
    assert_eq!(info.server_info.as_ref().unwrap().name, "lovart");
    assert!(info.capabilities.tools.is_some());
    assert!(info.instructions.as_deref().unwrap().contains("`confirm`"));

    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<String> = tools.iter().map(|tool| tool.name.to_string()).collect();
    names.sort();
    assert_eq!(names, TOOLS);
    for tool in &tools {
        assert!(
            tool.description
                .as_deref()
                .is_some_and(|text| text.len() > 20),
            "{}",
            tool.name
        );
        for (name, property) in tool.input_schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
        {
            assert!(
                property.get("description").is_some(),
                "{}.{name}",
                tool.name
            );
        }
    }
    let generate = tools.iter().find(|tool| tool.name == "generate").unwrap();
    assert_eq!(generate.input_schema["required"], json!(["prompt"]));
    let properties = generate.input_schema["properties"].as_object().unwrap();
    for option in [
        "thread_id",
        "project_id",
        "attachments",
        "mode",
        "prefer_models",
        "include_tools",
        "exclude_tools",
        "output_dir",
        "download",
        "wait_seconds",
        "max_credits",
    ] {
        assert!(properties.contains_key(option), "generate has no {option}");
    }
    assert_eq!(properties["download"]["default"], true);
    let description = generate.description.as_deref().unwrap();
    assert!(description.contains("pending_confirmation") && description.contains("`confirm`"));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_and_the_local_tools_answer_as_the_cli() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let file = world.home.path().join("photo.png");
    std::fs::write(&file, b"\x89PNG\r\n\x1a\n0123456789").unwrap();
    let uploaded = call(&client, "upload", json!({"path": file})).await;
    let url = succeeded(&uploaded)["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http"), "{url}");
    assert_eq!(world.count("POST", "/file/upload"), 1);

    let generated = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "download": false}),
    )
    .await;
    let thread = succeeded(&generated)["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    let status = call(&client, "status", json!({"thread_id": thread})).await;
    assert_eq!(succeeded(&status)["status"], "done");
    let result = call(&client, "result", json!({"thread_id": thread})).await;
    assert!(succeeded(&result)["items"].is_array());
    let threads = call(&client, "threads", json!({})).await;
    assert_eq!(succeeded(&threads)["threads"][0]["id"], thread.as_str());
    let projects = call(&client, "projects", json!({})).await;
    let cli = run(world.lovart().args(["projects", "--json"])).json();
    assert_eq!(&Value::Object(succeeded(&projects).clone()), &cli);
    let models = call(&client, "models", json!({"category": "video"})).await;
    let tools = succeeded(&models)["tools"].as_array().unwrap();
    assert!(!tools.is_empty() && tools.iter().all(|tool| tool["category"] == "VIDEO"));
    let mode = call(&client, "set_mode", json!({"mode": "unlimited"})).await;
    assert_eq!(succeeded(&mode)["mode"], "unlimited");
    let mode = call(&client, "query_mode", json!({})).await;
    assert_eq!(succeeded(&mode)["mode"], "unlimited");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_tool_results_and_the_session_goes_on() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let refused = call(
        &client,
        "generate",
        json!({"prompt": "an expensive poster", "download": false}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true));
    let error = &structured(&refused)["error"];
    assert_eq!(error["kind"], "insufficient_credits");
    assert_eq!(error["retryable"], false);
    let text: Value = serde_json::from_str(&summary(&refused)).unwrap();
    assert_eq!(&text["error"], error);

    let missing = call(&client, "status", json!({"thread_id": "no-such-thread"})).await;
    assert_eq!(missing.is_error, Some(true));
    assert_eq!(structured(&missing)["error"]["kind"], "not_found");
    let bad = call(
        &client,
        "generate",
        json!({"prompt": "x", "wait_seconds": -1}),
    )
    .await;
    assert_eq!(structured(&bad)["error"]["kind"], "invalid_input");
    let unknown = call(&client, "generate", json!({"prompt": "x", "colour": "red"})).await;
    assert_eq!(unknown.is_error, Some(true));
    let no_file = call(&client, "upload", json!({"path": "/no/such/file.png"})).await;
    assert_eq!(no_file.is_error, Some(true));

    let fine = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "download": false}),
    )
    .await;
    assert_eq!(succeeded(&fine)["final_status"], "done");
    client.cancel().await.unwrap();

    // Without keys the server still starts; each call says why it cannot work.
    let keyless = World::offline();
    let client = connect(&keyless, Recorder::default()).await;
    let result = call(&client, "generate", json!({"prompt": "a cat"})).await;
    assert_eq!(structured(&result)["error"]["kind"], "auth");
    let projects = call(&client, "projects", json!({})).await;
    assert_eq!(succeeded(&projects)["projects"], json!({}));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_generations_in_parallel_share_one_new_project() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let generate = |prompt: &'static str| {
        let client = &client;
        async move {
            call(
                client,
                "generate",
                json!({"prompt": prompt, "download": false}),
            )
            .await
        }
    };
    let (a, b, c, d) = tokio::join!(
        generate("a red cat"),
        generate("a blue dog"),
        generate("a green owl"),
        generate("a pink fox")
    );
    let mut threads = HashSet::new();
    let mut projects = HashSet::new();
    for result in [&a, &b, &c, &d] {
        let output = succeeded(result);
        assert_eq!(output["final_status"], "done");
        threads.insert(output["thread_id"].as_str().unwrap().to_string());
        projects.insert(output["project_id"].as_str().unwrap().to_string());
    }
    assert_eq!(threads.len(), 4);
    assert_eq!(projects.len(), 1, "one first project, however many calls");
    let created = world
        .requests_to("POST", "/project/save")
        .iter()
        .filter(|request| {
            serde_json::from_slice::<Value>(&request.body).unwrap()["project_id"] == ""
        })
        .count();
    assert_eq!(created, 1);
    let saved: HashSet<String> = world.thread_ids().into_iter().collect();
    assert!(threads.is_subset(&saved), "{threads:?} in {saved:?}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_call_does_not_hold_up_the_others() {
    let world = World::sandbox();
    let recorder = Recorder::default();
    let client = Arc::new(connect(&world, recorder.clone()).await);
    let long = {
        let client = Arc::clone(&client);
        tokio::spawn(async move {
            call(
                &client,
                "generate",
                json!({"prompt": "forever", "wait_seconds": 120, "download": false}),
            )
            .await
        })
    };
    while !recorder
        .messages()
        .iter()
        .any(|message| message.starts_with("status:"))
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for prompt in ["a cat", "a dog"] {
        let result = call(
            &client,
            "generate",
            json!({"prompt": prompt, "download": false}),
        )
        .await;
        assert_eq!(succeeded(&result)["final_status"], "done");
    }
    let status = call(&client, "threads", json!({"all": true})).await;
    assert_eq!(succeeded(&status)["threads"].as_array().unwrap().len(), 3);
    assert!(!long.is_finished(), "the long call is still waiting");
    long.abort();
}

/// Raw JSON-RPC over the child's pipes: every stdout line is a JSON-RPC
/// message, logs (here the auto-confirmation line) go to stderr.
#[test]
fn stdout_carries_only_json_rpc() {
    let world = World::sandbox();
    let mut child = world
        .lovart_process()
        .arg("mcp")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut send = |message: Value| writeln!(&mut stdin, "{message}").unwrap();
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"}}}),
    );
    let initialized: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(initialized["result"]["protocolVersion"], "2025-06-18");
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "generate",
        "arguments": {"prompt": "ocean video", "max_credits": 100, "download": false}}}),
    );
    let answer: Value = loop {
        let line = lines.next().expect("an answer").unwrap();
        let message: Value = serde_json::from_str(&line).expect("JSON-RPC on stdout");
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        if message["id"] == 2 {
            break message;
        }
    };
    assert_eq!(
        answer["result"]["structuredContent"]["final_status"],
        "done"
    );
    drop(stdin);
    for line in lines {
        let line = line.unwrap();
        let message: Value = serde_json::from_str(&line).expect("JSON-RPC on stdout");
        assert_eq!(message["jsonrpc"], "2.0");
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("confirming: the step costs about 40 credits"),
        "{stderr}"
    );
}

/// `generate` takes `chat`'s road (one use case): a thread-id prefix is
/// resolved as the CLI does (by the other thread tools too), preferred
/// models go out in the client's order,
/// and a bad one is refused in the tool's own words before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_resolves_thread_prefixes_and_speaks_its_own_words() {
    let world = World::sandbox();
    let (thread, _) = world.send("a first cat");
    let waited = run(world.lovart().args(["wait", "--thread-id", &thread]));
    assert_eq!(waited.code, 0, "{}", waited.stderr);
    let client = connect(&world, Recorder::default()).await;

    let refused = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "prefer_models": {"IMAGE": [1]}, "download": false}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true), "{refused:?}");
    let message = structured(&refused)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.starts_with("invalid prefer_models: "), "{message}");
    assert!(!message.contains("--"), "CLI wording in {message}");
    assert_eq!(world.count("POST", "/chat"), 1, "nothing more was sent");

    let generated = call(
        &client,
        "generate",
        json!({
            "prompt": "another cat",
            "thread_id": &thread[..8],
            "prefer_models": {"VIDEO": ["generate_video_kling"], "IMAGE": ["generate_image_midjourney"]},
            "download": false,
        }),
    )
    .await;
    assert_eq!(succeeded(&generated)["thread_id"], thread.as_str());
    let sent = world.requests_to("POST", "/chat");
    let body: Value = serde_json::from_slice(&sent.last().unwrap().body).unwrap();
    assert_eq!(
        body["thread_id"],
        thread.as_str(),
        "the prefix was resolved: {body}"
    );
    let categories: Vec<&String> = body["tool_config"]["prefer_tool_categories"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        categories,
        ["VIDEO", "IMAGE"],
        "in the client's order: {body}"
    );
    // The other thread tools take the prefix too: only whole ids reach the server.
    let before = [
        world.requests_to("GET", "/chat/status").len(),
        world.requests_to("GET", "/chat/result").len(),
    ];
    for (tool, arguments) in [
        ("status", json!({"thread_id": &thread[..8]})),
        ("result", json!({"thread_id": &thread[..8]})),
        (
            "wait",
            json!({"thread_id": &thread[..8], "wait_seconds": 1, "download": false}),
        ),
    ] {
        let answered = call(&client, tool, arguments).await;
        assert_eq!(answered.is_error, Some(false), "{tool}: {answered:?}");
    }
    for (path, before) in ["/chat/status", "/chat/result"].into_iter().zip(before) {
        let asked = world.requests_to("GET", path);
        assert!(asked.len() > before, "{path} was not asked");
        for request in &asked[before..] {
            assert!(request.query.contains(&thread), "{path}?{}", request.query);
        }
    }
    client.cancel().await.unwrap();
}

/// A build without the `http` feature (the default source build) says how
/// to get `--http` instead of failing obscurely.
#[cfg(not(feature = "http"))]
#[test]
fn http_in_a_build_without_it_is_refused_clearly() {
    crate::support::assert_not_built(&["mcp", "--http", "127.0.0.1:0"], "mcp --http", "http");
}
