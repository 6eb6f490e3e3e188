//! What an MCP user is told in MCP's own words: an argument that does not
//! fit names itself and what it takes; a preferred-model category the
//! catalog does not have is refused as `models` refuses it; advice names
//! tools and arguments, never `lovart` commands and flags.

use serde_json::json;

use super::{Recorder, call, connect, structured};
use crate::support::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misfit_argument_is_named_with_what_it_takes() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    for (arguments, said) in [
        (
            json!({"prompt": "a cat", "prefer_models": "x"}),
            "`prefer_models` must be an object whose every value is an array of strings, got the string \"x\"",
        ),
        (
            json!({"prompt": "a cat", "mode": "bogus"}),
            "`mode` must be one of \"thinking\" or \"fast\", got the string \"bogus\"",
        ),
        (
            json!({"prompt": "a cat", "wait_seconds": "ten"}),
            "`wait_seconds` must be a number, got the string \"ten\"",
        ),
        (json!({"download": false}), "`prompt` is required: a string"),
    ] {
        let result = call(&client, "generate", arguments.clone()).await;
        assert_eq!(result.is_error, Some(true), "{arguments}");
        let error = &structured(&result)["error"];
        assert_eq!(error["kind"], "invalid_input", "{arguments}");
        assert_eq!(
            error["message"],
            format!("invalid arguments for `generate`: {said}"),
            "{arguments}"
        );
    }
    let result = call(&client, "set_mode", json!({"mode": "free"})).await;
    assert_eq!(
        structured(&result)["error"]["message"],
        "invalid arguments for `set_mode`: `mode` must be one of \"fast\" or \"unlimited\", got the string \"free\""
    );
    assert_eq!(world.count("POST", "/chat"), 0);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_preferred_category_is_refused_before_anything_is_sent() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let result = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "prefer_models": {"AUDIO": ["generate_image_midjourney"]}}),
    )
    .await;
    assert_eq!(result.is_error, Some(true));
    let error = &structured(&result)["error"];
    assert_eq!(error["kind"], "invalid_input");
    assert_eq!(
        error["message"],
        "invalid prefer_models: unknown category 'AUDIO': the known categories are IMAGE, VIDEO, 3D"
    );
    assert_eq!(world.count("POST", "/chat"), 0);
    // A known one goes through.
    let fine = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "download": false,
               "prefer_models": {"IMAGE": ["generate_image_midjourney"]}}),
    )
    .await;
    assert_eq!(fine.is_error, Some(false), "{fine:?}");
    client.cancel().await.unwrap();
}

/// An unknown project, in MCP's words: the argument and the `projects`
/// tool, never a flag or a command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_project_is_advised_in_tools_and_arguments() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let result = call(
        &client,
        "generate",
        json!({"prompt": "a cat", "project_id": "no-such-project"}),
    )
    .await;
    let error = &structured(&result)["error"];
    assert_eq!(error["kind"], "not_found", "{error}");
    let hint = error["hint"].as_str().expect("a hint");
    assert!(
        hint.contains("check project_id (the `projects` tool"),
        "{hint}"
    );
    assert!(!hint.contains("--"), "{hint}");
    assert!(!hint.contains("lovart "), "{hint}");
    client.cancel().await.unwrap();
}

/// A wait that fails after the send: MCP is told to call the `wait` tool
/// again.
#[test]
fn a_failed_wait_is_resumed_with_the_wait_tool() {
    let server = super::deadline::stand_in("running", |_| {
        crate::hostile::Reply::json(500, r#"{"code":500,"message":"boom"}"#)
    });
    let world = World::with_server(server.base_url.clone());
    let runtime = super::client_runtime();
    let error = runtime.block_on(async {
        let client = connect(&world, Recorder::default()).await;
        let result = call(
            &client,
            "wait",
            json!({"thread_id": "t1", "wait_seconds": 5, "download": false}),
        )
        .await;
        client.cancel().await.unwrap();
        structured(&result)["error"].clone()
    });
    assert_eq!(error["thread_id"], "t1", "{error}");
    let hint = error["hint"].as_str().expect("a hint");
    assert!(
        hint.contains("call the `wait` tool with thread_id \"t1\""),
        "{hint}"
    );
    assert!(!hint.contains("lovart "), "{hint}");
    // (The CLI's words for the same error: failure.rs's unit tests.)
    assert!(server.count("GET", "/v1/openapi/chat/status") >= 1);
}
