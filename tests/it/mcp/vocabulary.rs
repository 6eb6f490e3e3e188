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
