//! The error kinds, the JSON error object and its advice in both wordings.

use std::time::Duration;

use super::*;

fn api(status: Option<u16>, code: Option<Value>) -> anyhow::Error {
    let mut error = ApiError::new(ApiErrorKind::Http, "boom");
    error.status = status;
    error.code = code;
    error.retry_after = Some(Duration::from_secs(60));
    error.into()
}

#[test]
fn the_servers_code_decides_before_the_status() {
    assert_eq!(
        ErrorObject::of(&api(Some(400), Some(json!(2011)))).kind,
        Kind::ThreadBusy
    );
    assert_eq!(
        ErrorObject::of(&api(Some(200), Some(json!(2012)))).kind,
        Kind::InsufficientCredits
    );
    assert_eq!(
        ErrorObject::of(&api(Some(402), None)).kind,
        Kind::InsufficientCredits
    );
    assert_eq!(ErrorObject::of(&api(Some(401), None)).kind, Kind::Auth);
    assert_eq!(ErrorObject::of(&api(Some(503), None)).kind, Kind::Server);
}

#[test]
fn the_json_object_has_every_key_and_the_thread() {
    let error = in_thread("t1", api(Some(429), Some(json!(1429))));
    let object = ErrorObject::of(&error);
    let value = object.to_json();
    assert_eq!(value["error"]["kind"], "rate_limited");
    assert_eq!(value["error"]["retryable"], true);
    assert_eq!(value["error"]["retry_after_s"], 60);
    assert_eq!(value["error"]["thread_id"], "t1");
    assert_eq!(value["error"]["code"], 1429);
    assert_eq!(value["error"]["message"], "boom");
    assert!(
        value["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("lovart wait --thread-id t1")
    );
    let keys: Vec<&String> = value["error"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "kind",
            "message",
            "http_status",
            "code",
            "retry_after_s",
            "retryable",
            "thread_id",
            "hint"
        ]
    );
}

#[test]
fn local_errors_are_local_unless_typed() {
    let plain = anyhow::anyhow!("cannot write /x");
    assert_eq!(ErrorObject::of(&plain).kind, Kind::Local);
    let bad: anyhow::Error = InvalidInput("bad".into()).into();
    assert_eq!(ErrorObject::of(&bad).kind, Kind::InvalidInput);
    assert!(!Kind::InvalidInput.retryable());
}

/// Every advice the engine words itself, in both wordings: the CLI's
/// names commands (unchanged), MCP's names tools and no command or flag.
#[test]
fn mcp_advice_names_tools_where_the_clis_names_commands() {
    let errors = [
        in_thread("t1", api(Some(503), None)),
        in_thread("t1", api(Some(409), None)),
        api(Some(402), None),
        api(Some(401), None),
        in_thread(
            "t1",
            ApiError::new(ApiErrorKind::NotApplicable, "nothing").into(),
        ),
        in_thread(
            "t1",
            ApiError::new(ApiErrorKind::Connection, "timed out").into(),
        ),
        Hinted {
            hints: Vec::new(),
            mcp_hints: None,
            kind: Some(Kind::OutcomeUnknown),
            cause: api(None, None),
        }
        .into(),
        MissingKeys.into(),
    ];
    for error in &errors {
        let cli = ErrorObject::of(error);
        let mcp = ErrorObject::worded(error, Wording::Mcp);
        assert_eq!(cli.kind, mcp.kind);
        let cli_text = format!("{} {}", cli.message, cli.hint.clone().unwrap_or_default());
        let mcp_text = format!("{} {}", mcp.message, mcp.hint.clone().unwrap_or_default());
        assert!(!mcp_text.contains("lovart "), "{mcp_text}");
        assert!(!mcp_text.contains("--"), "{mcp_text}");
        if cli_text.contains("lovart ") || cli_text.contains("--") {
            assert_ne!(cli_text, mcp_text);
        }
    }
    let resume = ErrorObject::of(&errors[0]).hint.unwrap();
    assert!(
        resume.contains("resume with `lovart wait --thread-id t1 --json`"),
        "{resume}"
    );
    let resume = ErrorObject::worded(&errors[0], Wording::Mcp).hint.unwrap();
    assert!(
        resume.contains("call the `wait` tool with thread_id \"t1\""),
        "{resume}"
    );
}

#[test]
fn busy_hint_names_the_real_thread() {
    let error = in_thread("abc123", api(Some(409), None));
    let hint = ErrorObject::of(&error).hint.unwrap();
    assert!(hint.contains("lovart wait --thread-id abc123"), "{hint}");
    assert!(!hint.contains('…'));
}

#[test]
fn an_unknown_thread_is_not_told_to_wait_again() {
    let error = in_thread("zzzz", api(Some(404), None));
    for wording in [Wording::Cli, Wording::Mcp] {
        let object = ErrorObject::worded(&error, wording);
        assert_eq!(object.kind, Kind::NotFound);
        let hint = object.hint.unwrap_or_default();
        assert!(
            !hint.contains("goes on") && !hint.contains("wait"),
            "{hint}"
        );
        assert!(hint.contains("threads"), "{hint}");
    }
}
