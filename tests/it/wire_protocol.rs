//! What goes over the wire: signing headers, User-Agent, Idempotency-Key,
//! request bodies, query encoding, retries and the error messages the
//! reference derives from HTTP answers.

use crate::support::{World, assert_one_error_line, run};
use lovart_sandbox::{Fault, RecordedRequest};
use lovart_wire::sign::signature;
use serde_json::{Value, json};

const USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) LovartAgentSkill/1.0";

fn is_hex32(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Asserts the five signature headers of `request` and that they verify.
fn assert_signed(request: &RecordedRequest) {
    let header = |name: &str| {
        request
            .header(name)
            .unwrap_or_else(|| panic!("{} {} has no {name}", request.method, request.path))
    };
    assert_eq!(header("x-access-key"), "ak_sandbox");
    assert_eq!(header("x-signed-method"), request.method);
    assert_eq!(
        header("x-signed-path"),
        request.path,
        "signed path has no query"
    );
    let timestamp = header("x-timestamp");
    let seconds: i64 = timestamp.parse().expect("Unix seconds");
    assert!((seconds - chrono::Utc::now().timestamp()).abs() < 60);
    assert_eq!(
        header("x-signature"),
        signature("sk_sandbox", &request.method, &request.path, timestamp)
    );
}

#[test]
fn every_api_request_is_signed_with_the_reference_headers() {
    let world = World::sandbox();
    run(world.lovart().arg("create-project"));
    let chat = run(world.lovart().args(["chat", "--prompt", "a cat", "--json"]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let requests = world.server().requests();
    let methods: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(methods.contains(&"GET /v1/openapi/project/validate".to_string()));
    assert!(requests.iter().any(|r| !r.query.is_empty()));
    let mut idempotency_keys = Vec::new();
    for request in &requests {
        assert!(request.path.starts_with("/v1/openapi/"), "{methods:?}");
        assert_signed(request);
        assert_eq!(request.header("user-agent"), Some(USER_AGENT));
        assert_eq!(request.header("content-type"), Some("application/json"));
        match request.method.as_str() {
            "POST" => {
                let key = request.header("idempotency-key").expect("Idempotency-Key");
                assert!(is_hex32(key), "{key}");
                idempotency_keys.push(key.to_string());
            }
            _ => assert_eq!(request.header("idempotency-key"), None),
        }
    }
    // create, chat and the rename: one key per logical call.
    assert_eq!(idempotency_keys.len(), 3, "{methods:?}");
    idempotency_keys.sort();
    idempotency_keys.dedup();
    assert_eq!(idempotency_keys.len(), 3);
}

#[test]
fn create_project_sends_the_reference_body() {
    let world = World::sandbox();
    run(world.lovart().arg("create-project"));
    let body = world.requests_to("POST", "/project/save")[0]
        .json()
        .unwrap();
    assert_eq!(
        body,
        json!({"project_id": "", "canvas": "", "project_cover_list": [], "pic_count": 0, "project_type": 3})
    );
}

#[test]
fn chat_body_has_optional_keys_only_when_given() {
    let world = World::sandbox();
    run(world.lovart().arg("create-project"));
    let project = world.state()["active_project"]
        .as_str()
        .unwrap()
        .to_string();
    let minimal =
        run(world
            .lovart()
            .args(["chat", "--prompt", "a cat", "--attachments", "--json"]));
    assert_eq!(minimal.code, 0, "{}", minimal.stderr);
    let full = run(world.lovart().args([
        "chat",
        "--prompt",
        "a dog",
        "--attachments",
        "https://a.example/1.png",
        "https://a.example/2.png",
        "--include-tools",
        "generate_image_midjourney",
        "--exclude-tools",
        "generate_image_flux",
        "--prefer-models",
        r#"{"IMAGE":["generate_image_midjourney"]}"#,
        "--mode",
        "thinking",
    ]));
    assert_eq!(full.code, 0, "{}", full.stderr);
    let bodies: Vec<Value> = world
        .requests_to("POST", "/chat")
        .iter()
        .map(|request| request.json().expect("JSON body"))
        .collect();
    assert_eq!(bodies[0], json!({"prompt": "a cat", "project_id": project}));
    assert_eq!(
        bodies[1],
        json!({
            "prompt": "a dog",
            "project_id": project,
            "attachments": ["https://a.example/1.png", "https://a.example/2.png"],
            "mode": "thinking",
            "tool_config": {
                "prefer_tool_categories": {"IMAGE": ["generate_image_midjourney"]},
                "include_tools": ["generate_image_midjourney"],
                "exclude_tools": ["generate_image_flux"]
            }
        })
    );
}

#[test]
fn falsy_prefer_models_is_sent_as_absent() {
    let world = World::sandbox();
    for falsy in ["{}", "null", ""] {
        let sent =
            run(world
                .lovart()
                .args(["chat", "--prompt", "a cat", "--prefer-models", falsy]));
        assert_eq!(sent.code, 0, "{falsy}: {}", sent.stderr);
    }
    for request in world.requests_to("POST", "/chat") {
        assert!(request.json().unwrap().get("tool_config").is_none());
    }
}

#[test]
fn query_values_are_form_encoded_and_404_gets_retried() {
    let world = World::sandbox();
    let status = run(world.lovart().args(["status", "--thread-id", "a b/c&d"]));
    assert_eq!(status.stderr, "Error: thread not found\n");
    let requests = world.requests_to("GET", "/chat/status");
    assert_eq!(requests.len(), 3, "a GET answered 404 is tried 3 times");
    for request in &requests {
        assert_eq!(request.query, "thread_id=a+b%2Fc%26d");
        assert_signed(request);
    }
}

/// Runs `create-project` (one POST, never retried) against `fault`.
fn create_project_against(fault: Fault) -> crate::support::Run {
    let world = World::sandbox();
    world.server().inject(fault);
    let created = run(world.lovart().arg("create-project"));
    assert_eq!(world.count("POST", "/project/save"), 1);
    assert!(world.state_text().is_none());
    created
}

#[test]
fn http_error_bodies_become_the_reference_messages() {
    let post = |status| Fault::new("POST", "/project/save", status);
    let cases = [
        (
            post(400).json(&json!({"code": 400, "message": "m", "details": "d"})),
            "Error: m: d\n",
        ),
        (
            post(403).json(&json!({"error": "e", "details": ""})),
            "Error: e\n",
        ),
        (
            post(500)
                .header("content-type", "text/html")
                .body("<html>down</html>"),
            "Error: HTTP 500: <html>down</html>\n",
        ),
        (
            post(409).json(&json!({})),
            "Error: HTTP Error 409: Conflict\n",
        ),
        (
            post(200).json(&json!({"code": 7, "message": "bad"})),
            "Error: bad\n",
        ),
        (
            post(200).json(&json!({"code": 7})),
            "Error: Unknown error\n",
        ),
    ];
    for (fault, expected) in cases {
        let created = create_project_against(fault);
        assert_one_error_line(&created);
        assert_eq!(created.stderr, expected);
        assert_eq!(created.stdout, "");
    }
}

#[test]
fn a_get_answered_503_is_retried_and_succeeds() {
    let world = World::sandbox();
    let (thread, _) = world.send("a cat");
    for (failures, attempts) in [(1, 2), (2, 3)] {
        world.server().clear_requests();
        world
            .server()
            .inject(Fault::new("GET", "/chat/status", 503).times(failures));
        let status = run(world.lovart().args(["status", "--thread-id", &thread]));
        assert_eq!(status.code, 0, "{}", status.stderr);
        assert_eq!(status.json()["thread_id"], thread.as_str());
        let requests = world.requests_to("GET", "/chat/status");
        assert_eq!(requests.len(), attempts);
        requests.iter().for_each(assert_signed);
    }
}

#[test]
fn base_url_loses_its_trailing_slashes() {
    let world = World::sandbox();
    let created = run(world
        .lovart()
        .env("LOVART_BASE_URL", format!("{}//", world.url()))
        .arg("create-project"));
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert_eq!(world.count("POST", "/project/save"), 1);
}

#[test]
fn global_key_options_override_the_environment() {
    let world = World::sandbox();
    let created = run(world.lovart().env("LOVART_SECRET_KEY", "wrong").args([
        "--sk",
        "sk_sandbox",
        "create-project",
    ]));
    assert_eq!(created.code, 0, "{}", created.stderr);
    let refused = run(world.lovart().args(["--sk", "wrong", "create-project"]));
    assert_eq!(refused.stderr, "Error: invalid signature\n");
}

#[test]
fn set_mode_and_query_mode_print_the_reference_shapes() {
    let world = World::sandbox();
    let neither = run(world.lovart().arg("set-mode"));
    assert_eq!(neither.stderr, "Error: specify --fast or --unlimited\n");
    assert_eq!(neither.code, 1);
    assert!(world.server().requests().is_empty());

    let unlimited = run(world.lovart().args(["set-mode", "--unlimited"]));
    assert_eq!(
        unlimited.stdout,
        "{\"mode\": \"unlimited\", \"detail\": {\"unlimited\": true}}\n"
    );
    let body = world.requests_to("POST", "/mode/set")[0].json().unwrap();
    assert_eq!(body, json!({"unlimited": true}));

    let query = run(world.lovart().arg("query-mode"));
    assert!(
        query
            .stdout
            .starts_with("{\n  \"mode\": \"unlimited\",\n  \"detail\": {\n    \"unlimited\": true,\n    \"models\": [\n      \""),
        "{}",
        query.stdout
    );
    assert_eq!(
        world.requests_to("POST", "/mode/query")[0].json(),
        Some(json!({}))
    );

    // Unlimited: a video needs no confirmation.
    let video = run(world
        .lovart()
        .args(["chat", "--prompt", "a video", "--json"]));
    assert_eq!(video.json()["final_status"], "done");
    assert_eq!(video.json()["generation_succeeded"], true);

    let both = run(world.lovart().args(["set-mode", "--fast", "--unlimited"]));
    assert_eq!(
        both.stdout,
        "{\"mode\": \"fast\", \"detail\": {\"unlimited\": false}}\n"
    );
}

/// `METHOD /path` of every request after `/v1/openapi`.
fn calls(world: &World) -> Vec<String> {
    world
        .server()
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path.trim_start_matches("/v1/openapi")))
        .collect()
}

#[test]
fn chat_makes_the_reference_calls_in_order() {
    let world = World::sandbox();
    let chat = run(world.lovart().args(["chat", "--prompt", "a cat"]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    assert_eq!(
        calls(&world),
        [
            "POST /project/save",    // create
            "POST /chat",            // send
            "GET /chat/status",      // running
            "GET /chat/status",      // done
            "GET /chat/status",      // done again, 5 s later
            "GET /chat/result",      // pending confirmation?
            "GET /chat/result",      // the result
            "GET /project/validate", // the project's name
            "POST /project/save",    // rename
        ]
    );
    let rename = world.requests_to("POST", "/project/save")[1]
        .json()
        .unwrap();
    let project = world.state()["active_project"].clone();
    assert_eq!(
        rename,
        json!({"action": "rename", "project_id": project, "project_name": "a cat"})
    );
}

#[test]
fn a_long_poll_asks_for_a_confirmation_every_third_poll_from_the_seventh() {
    let world = World::sandbox();
    let chat =
        run(world
            .lovart()
            .args(["--timeout", "1", "chat", "--prompt", "forever", "--json"]));
    assert_eq!(chat.json()["final_status"], "timeout");
    let polls = world.count("GET", "/chat/status");
    assert!(polls >= 9, "{polls}");
    // Polls 9, 12, 15, … read the result; at the deadline one more look
    // for a pending confirmation; then the final result.
    assert_eq!(world.count("GET", "/chat/result"), polls / 3 - 2 + 2);
}

#[test]
fn api_calls_and_downloads_honour_http_proxy() {
    let world = World::sandbox();
    // The sandbox answers absolute-form requests as a proxy would see them;
    // lovart.invalid never resolves, so only the proxy can reach it.
    let out = world.out_dir();
    let chat = run(world
        .lovart()
        .env("LOVART_BASE_URL", "http://lovart.invalid")
        .env("http_proxy", world.url())
        .args([
            "chat",
            "--prompt",
            "a cat",
            "--json",
            "--download",
            "--output-dir",
            &out,
        ]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let downloaded = &chat.json()["downloaded"][0];
    assert!(
        downloaded["url"]
            .as_str()
            .unwrap()
            .starts_with("http://lovart.invalid/files/"),
        "{downloaded}"
    );
    assert_eq!(downloaded["new"], true);
    let request = &world.requests_to("POST", "/chat")[0];
    assert_eq!(request.header("host"), Some("lovart.invalid"));
}

#[test]
fn compact_outputs_escape_non_ascii_except_set_mode() {
    let world = World::sandbox();
    let answer = |method, path, data: Value| {
        world
            .server()
            .inject(Fault::new(method, path, 200).json(&json!({"code": 0, "data": data})));
    };
    answer("POST", "/project/save", json!({"project_id": "项目"}));
    answer("POST", "/chat", json!({"thread_id": "线程"}));
    let sent = run(world.lovart().args(["send", "--prompt", "a cat"]));
    assert_eq!(
        sent.stdout,
        "{\"thread_id\": \"\\u7ebf\\u7a0b\", \"project_id\": \"\\u9879\\u76ee\"}\n"
    );
    assert!(
        world
            .state_text()
            .unwrap()
            .contains("\"active_project\": \"项目\"")
    );
    answer(
        "POST",
        "/mode/set",
        json!({"unlimited": true, "note": "无限"}),
    );
    let set = run(world.lovart().args(["set-mode", "--unlimited"]));
    assert_eq!(
        set.stdout,
        "{\"mode\": \"unlimited\", \"detail\": {\"unlimited\": true, \"note\": \"无限\"}}\n"
    );
}
