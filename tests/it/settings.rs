//! The settings every command resolves before it works: one check of the
//! base URL for every network command, and the hidden test knobs refused
//! when out of range.

use crate::support::{World, assert_no_panic, assert_one_error_line, run};

const BARE: &str = "127.0.0.1:8731";
const NO_SCHEME: &str =
    "Error: invalid base URL '127.0.0.1:8731': it has no scheme (http:// or https://)\n";

#[test]
fn a_base_url_without_scheme_gets_one_message_from_every_network_command() {
    let world = World::with_server(BARE.to_string());
    let file = world.home.path().join("a.png");
    std::fs::write(&file, b"png").unwrap();
    let file = file.display().to_string();
    let commands: &[&[&str]] = &[
        &["chat", "--prompt", "a cat"],
        &["send", "--prompt", "a cat"],
        &["watch", "--prompt", "a cat"],
        &["confirm", "--thread-id", "t1"],
        &["result", "--thread-id", "t1"],
        &["status", "--thread-id", "t1"],
        &["wait", "--thread-id", "t1"],
        &["create-project"],
        &["upload", "--file", &file],
        &[
            "upload-artifact",
            "--project-id",
            "p",
            "--url",
            "https://x/a.png",
        ],
        &["set-mode", "--fast"],
        &["query-mode"],
    ];
    for args in commands {
        let out = run(world.lovart().args(*args));
        assert_one_error_line(&out);
        assert_eq!(out.stderr, NO_SCHEME, "lovart {args:?}");
    }
    let json = run(world.lovart().args(["chat", "--prompt", "a cat", "--json"]));
    let error = &json.json()["error"];
    assert_eq!(error["kind"], "invalid_input");
    assert_eq!(error["retryable"], false);
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("http://127.0.0.1:8731"),
        "{error}"
    );
    // The model list falls back to the built-in copy and says why, in the same words.
    let models = run(world.lovart().arg("models"));
    assert_eq!(models.code, 0, "{}", models.stderr);
    assert!(
        models
            .stderr
            .contains("invalid base URL '127.0.0.1:8731': it has no scheme"),
        "{}",
        models.stderr
    );
    // A local command does not use the base URL, as in the reference.
    assert_eq!(run(world.lovart().arg("projects")).code, 0);
}

#[test]
fn test_knobs_out_of_range_are_refused_by_name() {
    let world = World::offline();
    for (knob, value) in [
        ("LOVART_WAIT_SCALE", "0"),
        ("LOVART_WAIT_SCALE", "-1"),
        ("LOVART_TIMEOUT_SCALE", "NaN"),
        ("LOVART_RATE_SCALE", "0"),
        ("LOVART_DOWNLOAD_STALL_SECS", "0"),
        ("LOVART_MAX_DOWNLOAD_BYTES", "-5"),
        ("LOVART_HISTORY_MAX_BYTES", "100"),
        ("LOVART_HISTORY_MAX_BYTES", "16M"),
        ("LOVART_MCP_INLINE_IMAGE_BYTES", "-1"),
        ("LOVART_MCP_INLINE_IMAGE_BYTES", "lots"),
    ] {
        let out = run(world.lovart().env(knob, value).arg("config"));
        assert_one_error_line(&out);
        assert!(
            out.stderr.starts_with(&format!("Error: {knob} must be ")),
            "{knob}={value}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!("got '{value}'")),
            "{}",
            out.stderr
        );
        // The caller's input: a program reads the kind that says so.
        let json = run(world.lovart().env(knob, value).args(["threads", "--json"]));
        assert_eq!(
            json.json()["error"]["kind"],
            "invalid_input",
            "{knob}={value}"
        );
    }
    let fine = run(world.lovart().env("LOVART_RATE_SCALE", "0.5").arg("config"));
    assert_eq!(fine.code, 0, "{}", fine.stderr);
    assert_no_panic(&fine);
}

#[test]
fn a_refused_knob_is_an_invalid_input_naming_it() {
    let world = World::offline();
    let out = run(world
        .lovart()
        .env("LOVART_HISTORY_MAX_BYTES", "100")
        .args(["config", "--json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let error = &out.json()["error"];
    assert_eq!(error["kind"], "invalid_input", "{error}");
    assert_eq!(
        error["message"],
        "LOVART_HISTORY_MAX_BYTES must be a whole number of at least 1024, got '100'"
    );
    // The smallest values each takes are fine.
    let fine = run(world
        .lovart()
        .env("LOVART_HISTORY_MAX_BYTES", "1024")
        .env("LOVART_MCP_INLINE_IMAGE_BYTES", "0")
        .arg("config"));
    assert_eq!(fine.code, 0, "{}", fine.stderr);
}

/// A token that cannot be one was once dropped without a word, and the
/// server then started without any token; now it is refused by name, and
/// never echoed. Other commands do not read it.
#[cfg(unix)]
#[test]
fn a_bad_mcp_token_is_refused_by_name_without_echoing_it() {
    use std::os::unix::ffi::OsStrExt;
    let world = World::offline();
    let not_unicode = std::ffi::OsStr::from_bytes(b"abcdefgh\xffijklmnopqrstu");
    for token in [
        not_unicode,
        std::ffi::OsStr::new("secret-words with-space-inside"),
    ] {
        let out = run(world.lovart().env("LOVART_MCP_TOKEN", token).args([
            "mcp",
            "--http",
            "127.0.0.1:0",
        ]));
        assert_one_error_line(&out);
        assert!(
            out.stderr
                .starts_with("Error: LOVART_MCP_TOKEN must be one token of at least 16 characters"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("secret"), "{}", out.stderr);
    }
    let unrelated = run(world
        .lovart()
        .env("LOVART_MCP_TOKEN", not_unicode)
        .arg("config"));
    assert_eq!(unrelated.code, 0, "{}", unrelated.stderr);
}
