//! `lovart mcp` driven by rmcp's client over the child's stdio, against the
//! in-process sandbox: the handshake and tool list, a generated image on disk
//! and in an image block, a video that needs confirming, a short budget that
//! returns "running" then `wait`, upload, errors that leave the session
//! alive, calls in parallel, elicitation, and stdout carrying JSON-RPC only.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationCapability, FormElicitationCapability,
    Implementation, ProgressNotificationParam,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Map, Value, json};

use crate::support::{World, run};

const TOOLS: [&str; 11] = [
    "confirm",
    "generate",
    "models",
    "projects",
    "query_mode",
    "result",
    "set_mode",
    "status",
    "threads",
    "upload",
    "wait",
];

/// A client that records progress and, when `approve` is set, declares
/// elicitation and answers every question with it.
#[derive(Clone, Default)]
struct Recorder {
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    questions: Arc<Mutex<Vec<String>>>,
    approve: Option<bool>,
}

impl ClientHandler for Recorder {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.questions.lock().unwrap().push(message);
        }
        Ok(match self.approve {
            Some(true) => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"confirm": true}))
            }
            _ => ElicitResult::new(ElicitationAction::Decline),
        })
    }

    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        if self.approve.is_some() {
            capabilities.elicitation =
                Some(ElicitationCapability::new().with_form(FormElicitationCapability::default()));
        }
        ClientConfig::new(capabilities, Implementation::new("lovart-tests", "0"))
    }
}

impl Recorder {
    fn messages(&self) -> Vec<String> {
        self.progress
            .lock()
            .unwrap()
            .iter()
            .filter_map(|progress| progress.message.clone())
            .collect()
    }
}

type Client = RunningService<RoleClient, Recorder>;

/// `lovart mcp` in this world, initialized.
async fn connect(world: &World, recorder: Recorder) -> Client {
    let mut command = world.lovart_process();
    command.arg("mcp").current_dir(world.home.path());
    let transport = TokioChildProcess::new(tokio::process::Command::from(command)).expect("spawn");
    recorder.serve(transport).await.expect("initialize")
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let arguments = arguments.as_object().expect("an object").clone();
    client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
        .await
        .unwrap_or_else(|error| panic!("{tool}: protocol error {error}"))
}

fn structured(result: &CallToolResult) -> &Map<String, Value> {
    result
        .structured_content
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no structured content: {result:?}"))
}

fn succeeded(result: &CallToolResult) -> &Map<String, Value> {
    assert_eq!(result.is_error, Some(false), "{result:?}");
    structured(result)
}

fn summary(result: &CallToolResult) -> String {
    result.content[0]
        .as_text()
        .expect("a text block first")
        .text
        .clone()
}

fn sorted_keys(object: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = object.keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_lists_the_tools_with_schemas() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let info = client.peer_info().expect("initialize result");
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
async fn generate_downloads_the_image_and_shows_it_as_chat_would_print_it() {
    let world = World::sandbox();
    let out = world.out_dir();
    let reference = world.home.path().join("ref.png");
    std::fs::write(&reference, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let recorder = Recorder::default();
    let client = connect(&world, recorder.clone()).await;
    let result = call(
        &client,
        "generate",
        json!({"prompt": "a red fox", "output_dir": out, "attachments": [reference]}),
    )
    .await;
    let output = succeeded(&result);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["generation_succeeded"], true);
    let thread = output["thread_id"].as_str().unwrap().to_string();
    let project = output["project_id"].as_str().unwrap().to_string();

    // The file is on disk, as an image block and as a resource link.
    let downloaded = output["downloaded"].as_array().unwrap();
    assert_eq!(downloaded.len(), 1);
    let path = downloaded[0]["local_path"].as_str().unwrap();
    assert!(std::fs::read(path).unwrap().starts_with(b"\x89PNG"));
    let image = result
        .content
        .iter()
        .find_map(|block| block.as_image())
        .expect("an image block");
    assert_eq!(image.mime_type, "image/png");
    assert!(image.data.starts_with("iVBORw0KGgo"), "base64 of a PNG");
    let link = result
        .content
        .iter()
        .find_map(|block| block.as_resource_link())
        .expect("a resource link");
    assert_eq!(link.uri, format!("file://{path}"));
    assert_eq!(link.mime_type.as_deref(), Some("image/png"));
    assert!(summary(&result).starts_with(&format!("Done (thread {thread}")));

    // The local attachment was uploaded and its URL sent.
    assert_eq!(world.count("POST", "/file/upload"), 1);
    let sent: Value = serde_json::from_slice(&world.requests_to("POST", "/chat")[0].body).unwrap();
    assert!(
        sent["attachments"][0].as_str().unwrap().starts_with("http"),
        "{sent}"
    );

    // Progress while waiting: status polls.
    assert!(
        recorder
            .messages()
            .iter()
            .any(|message| message == "status: running")
    );

    // The state records it as chat would, and chat --json prints the same keys.
    assert_eq!(world.state()["active_project"], project.as_str());
    assert!(world.thread_ids().contains(&thread));
    let fresh = World::sandbox();
    let chat = run(fresh
        .lovart()
        .args(["chat", "--prompt", "a red fox", "--json", "--download"])
        .args(["--output-dir", &fresh.out_dir()]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    assert_eq!(
        sorted_keys(output),
        sorted_keys(chat.json().as_object().unwrap())
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_waits_for_confirmation_then_confirm_finishes_it() {
    let world = World::sandbox();
    let out = world.out_dir();
    let client = connect(&world, Recorder::default()).await;
    let result = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "output_dir": out}),
    )
    .await;
    let output = succeeded(&result);
    assert_eq!(output["final_status"], "pending_confirmation");
    assert_eq!(output["pending_confirmation"]["estimated_cost"], 40);
    assert_eq!(output["items"], json!([]));
    let thread = output["thread_id"].as_str().unwrap().to_string();
    let text = summary(&result);
    assert!(
        text.contains("about 40 credits") && text.contains("call `confirm`"),
        "{text}"
    );
    assert_eq!(
        world.count("POST", "/chat/confirm"),
        0,
        "nothing confirmed without the user"
    );

    let confirmed = call(
        &client,
        "confirm",
        json!({"thread_id": thread, "output_dir": out}),
    )
    .await;
    let output = succeeded(&confirmed);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["generation_succeeded"], true);
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
    let path = output["downloaded"][0]["local_path"].as_str().unwrap();
    assert!(std::fs::metadata(path).unwrap().len() > 0);
    let link = confirmed
        .content
        .iter()
        .find_map(|block| block.as_resource_link())
        .unwrap();
    assert_eq!(link.mime_type.as_deref(), Some("video/mp4"));
    assert!(
        confirmed
            .content
            .iter()
            .all(|block| block.as_image().is_none())
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_credits_or_the_users_yes_confirm_and_a_no_does_not() {
    let world = World::sandbox();
    let declining = Recorder {
        approve: Some(false),
        ..Default::default()
    };
    let client = connect(&world, declining.clone()).await;
    let asked = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false}),
    )
    .await;
    assert_eq!(succeeded(&asked)["final_status"], "pending_confirmation");
    assert_eq!(declining.questions.lock().unwrap().len(), 1);
    assert!(declining.questions.lock().unwrap()[0].contains("about 40 credits"));
    let too_cheap = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false, "max_credits": 10}),
    )
    .await;
    assert_eq!(
        succeeded(&too_cheap)["final_status"],
        "pending_confirmation"
    );
    assert_eq!(world.count("POST", "/chat/confirm"), 0);
    let budget = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false, "max_credits": 50}),
    )
    .await;
    assert_eq!(succeeded(&budget)["final_status"], "done");
    assert_eq!(world.count("POST", "/chat/confirm"), 1);
    client.cancel().await.unwrap();

    let approving = Recorder {
        approve: Some(true),
        ..Default::default()
    };
    let client = connect(&world, approving.clone()).await;
    let approved = call(
        &client,
        "generate",
        json!({"prompt": "ocean video", "download": false}),
    )
    .await;
    let output = succeeded(&approved);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["approved_by_user"], true);
    assert_eq!(world.count("POST", "/chat/confirm"), 2);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_budget_returns_running_and_wait_picks_it_up() {
    let world = World::sandbox();
    let client = connect(&world, Recorder::default()).await;
    let started = Instant::now();
    let result = call(
        &client,
        "generate",
        json!({"prompt": "forever", "wait_seconds": 1}),
    )
    .await;
    // The budget is real seconds, not scaled by LOVART_WAIT_SCALE.
    assert!(started.elapsed() >= Duration::from_secs(1));
    let output = succeeded(&result);
    assert_eq!(output["final_status"], "running");
    let thread = output["thread_id"].as_str().unwrap().to_string();
    assert!(summary(&result).contains(&format!("Call `wait` with thread_id \"{thread}\"")));
    let again = call(
        &client,
        "wait",
        json!({"thread_id": thread, "wait_seconds": 1}),
    )
    .await;
    assert_eq!(succeeded(&again)["final_status"], "running");

    // A thread sent elsewhere (the CLI) is waited for and downloaded.
    let (thread, project) = world.send("a lighthouse");
    let out = world.out_dir();
    let waited = call(
        &client,
        "wait",
        json!({"thread_id": thread, "output_dir": out}),
    )
    .await;
    let output = succeeded(&waited);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["project_id"], project.as_str());
    assert!(
        waited
            .content
            .iter()
            .any(|block| block.as_image().is_some())
    );
    let cli = run(world.lovart().args([
        "wait",
        "--thread-id",
        &thread,
        "--json",
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(
        sorted_keys(output),
        sorted_keys(cli.json().as_object().unwrap())
    );
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
        json!({"prompt": "an expensive poster"}),
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
                json!({"prompt": "forever", "wait_seconds": 120}),
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
