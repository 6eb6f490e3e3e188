//! What the server offers beyond the tools' behaviour: output schemas that
//! every real result validates against, input schemas without null unions,
//! argument errors as `invalid_input`, icons, the artifacts as `lovart://`
//! resources, the embedded skill, and a failed download said in the text.

use base64::Engine as _;
use rmcp::model::{GetSkillRequestParams, ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

use super::{Recorder, call, connect, connect_modern, structured, succeeded, summary};
use crate::support::World;

fn validate(tool: &rmcp::model::Tool, result: &rmcp::model::CallToolResult) {
    let schema = Value::Object((*tool.output_schema.clone().expect("an output schema")).clone());
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|error| panic!("{}: invalid schema: {error}", tool.name));
    let instance = result
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("{}: no structuredContent", tool.name));
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{}: {instance} does not fit its schema: {errors:?}",
        tool.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tools_real_output_validates_against_its_output_schema() {
    let world = World::sandbox();
    let out = world.out_dir();
    let client = connect(&world, Recorder::default()).await;
    let tools = client.list_all_tools().await.unwrap();
    let file = world.home.path().join("photo.png");
    std::fs::write(&file, b"\x89PNG\r\n\x1a\n0123456789").unwrap();
    let done = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "output_dir": out}),
    )
    .await;
    let thread = succeeded(&done)["thread_id"].as_str().unwrap().to_string();
    let pending = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false}),
    )
    .await;
    let video = succeeded(&pending)["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    let calls = [
        (
            "generate",
            json!({"prompt": "forever", "wait_seconds": 1, "download": false}),
        ),
        ("generate", json!({"prompt": "refuse", "download": false})),
        ("generate", json!({"prompt": "abort", "download": false})),
        (
            "generate",
            json!({"prompt": "a cat brokenlink", "output_dir": out}),
        ),
        ("generate", json!({})),
        ("wait", json!({"thread_id": thread, "output_dir": out})),
        ("confirm", json!({"thread_id": video, "download": false})),
        (
            "result",
            json!({"thread_id": thread, "download": true, "output_dir": out}),
        ),
        ("status", json!({"thread_id": thread})),
        ("status", json!({"thread_id": 5})),
        ("upload", json!({"path": file})),
        ("upload", json!({"path": "/no/such/file.png"})),
        ("models", json!({})),
        ("models", json!({"category": "no such category"})),
        ("threads", json!({"all": true})),
        ("projects", json!({})),
        ("query_mode", json!({})),
        ("set_mode", json!({"mode": "fast"})),
    ];
    let mut checked = vec![("generate", done), ("generate", pending)];
    for (tool, arguments) in calls {
        checked.push((tool, call(&client, tool, arguments).await));
    }
    let mut errors = 0;
    for (name, result) in &checked {
        let tool = tools.iter().find(|tool| tool.name == *name).unwrap();
        validate(tool, result);
        errors += usize::from(result.is_error == Some(true));
    }
    assert!(errors >= 4, "error results are checked too");
    for tool in &tools {
        assert!(
            checked.iter().any(|(name, _)| *name == tool.name),
            "{} has no checked output",
            tool.name
        );
        assert!(
            tool.icons.as_ref().is_some_and(|icons| !icons.is_empty()),
            "{}",
            tool.name
        );
        let input = serde_json::to_string(&tool.input_schema).unwrap();
        assert!(!input.contains("\"null\""), "{}: {input}", tool.name);
    }
    let server = client.peer_info().unwrap().server_info.clone().unwrap();
    assert!(server.icons.is_some_and(|icons| !icons.is_empty()));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_that_miss_their_schema_are_invalid_input_errors() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    for arguments in [
        json!({}),
        json!({"prompt": 5}),
        json!({"prompt": "a cat", "wait_seconds": "soon"}),
    ] {
        let result = call(&client, "generate", arguments.clone()).await;
        assert_eq!(result.is_error, Some(true), "{arguments}");
        let error = &structured(&result)["error"];
        assert_eq!(error["kind"], "invalid_input", "{arguments}");
        assert_eq!(error["retryable"], false);
    }
    let result = call(&client, "generate", json!({})).await;
    assert!(summary(&result).contains("prompt"), "{}", summary(&result));
    assert_eq!(world.count("POST", "/chat"), 0);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloaded_files_are_resources_that_a_remote_client_can_read() {
    let world = World::sandbox();
    let out = world.out_dir();
    let client = connect_modern(&world, Recorder::default()).await;
    let result = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "output_dir": out}),
    )
    .await;
    let path = succeeded(&result)["downloaded"][0]["local_path"]
        .as_str()
        .unwrap()
        .to_string();
    let link = result
        .content
        .iter()
        .find_map(|block| block.as_resource_link())
        .expect("a resource link");
    assert!(link.uri.starts_with("lovart://thread/"), "{}", link.uri);
    assert_eq!(link.mime_type.as_deref(), Some("image/png"));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(link.size, Some(bytes.len() as u64));

    let listed = client.list_all_resources().await.unwrap();
    assert!(listed.iter().any(|resource| resource.uri == link.uri));
    let read = client
        .read_resource(ReadResourceRequestParams::new(link.uri.clone()))
        .await
        .unwrap();
    let ResourceContents::BlobResourceContents {
        blob, mime_type, ..
    } = &read.contents[0]
    else {
        panic!("not a blob: {read:?}")
    };
    assert_eq!(mime_type.as_deref(), Some("image/png"));
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .unwrap();
    assert_eq!(decoded, bytes);
    // A URI names a registered file, never a path.
    let by_path = format!("lovart://thread/x/{}", path.replace('/', "%2F"));
    assert!(
        client
            .read_resource(ReadResourceRequestParams::new(by_path))
            .await
            .is_err()
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_skill_is_served_over_the_skills_extension() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let skills = client.list_all_skills().await.unwrap();
    assert_eq!(skills.len(), 1);
    assert_eq!(skills[0].name(), "lovart-skill");
    let uri = skills[0].uri.clone();
    let got = client
        .get_skill(GetSkillRequestParams::new(uri.clone()))
        .await
        .unwrap();
    assert_eq!(got.skill, skills[0]);
    let read = client
        .read_resource(ReadResourceRequestParams::new(uri.clone()))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
        panic!("not text")
    };
    let shipped = include_str!("../../../skills/lovart-skill/SKILL.md");
    assert_eq!(text, shipped);
    let rmcp::model::SkillResources::Files(files) = &got.skill.resources else {
        panic!("no manifest")
    };
    files[0].verify(shipped.as_bytes()).unwrap();
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_download_is_said_in_the_text() {
    let world = World::sandbox();
    let out = world.out_dir();
    let client = connect(&world, Recorder::default()).await;
    let result = call(
        &client,
        "generate",
        json!({"prompt": "a cat brokenlink", "output_dir": out}),
    )
    .await;
    let output = succeeded(&result);
    assert!(
        output["downloaded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["local_path"].is_null())
    );
    let text = summary(&result);
    assert!(text.contains("Download failed:"), "{text}");
    assert!(text.contains("call `result`"), "{text}");
    client.cancel().await.unwrap();
}
