//! The JSON endpoints of the Agent OpenAPI: projects, mode, chat, artifacts
//! and the public model catalog.
//!
//! Handlers parse the body themselves (1 MiB at most) so that a body that is
//! not a JSON object gets the API's 400 shape rather than axum's plain text.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::records::{Project, new_id};
use super::reply::{Failure, ok};
use super::scenario::Scenario;
use super::thread::Thread;
use super::world::World;
use lovart_wire::catalog;
use lovart_wire::envelope::codes;

type Reply = Result<Response, Failure>;
type Params = Query<HashMap<String, String>>;

const MAX_JSON_BODY: usize = 1024 * 1024;

/// The base of URLs handed out: the address the client used.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

async fn json_object(body: Body) -> Result<Map<String, Value>, Failure> {
    let bytes = axum::body::to_bytes(body, MAX_JSON_BODY)
        .await
        .map_err(|_| Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::bad_request("request body must be a JSON object")),
        Err(why) => Err(Failure::bad_request("invalid JSON body").details(why.to_string())),
    }
}

fn string<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, Failure> {
    body.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::bad_request(format!("{field} is required")))
}

fn optional_string<'a>(body: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    body.get(field)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

fn param<'a>(params: &'a Params, name: &str) -> Result<&'a str, Failure> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| Failure::bad_request(format!("{name} is required")))
}

fn project_not_found() -> Failure {
    Failure::not_found("project not found")
}

fn thread_not_found() -> Failure {
    Failure::not_found("thread not found")
}

fn access_key(headers: &HeaderMap) -> &str {
    headers
        .get(lovart_wire::paths::header::ACCESS_KEY)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// POST /project/save: create, update or (`action: rename`) rename a project.
pub async fn project_save(State(world): State<Arc<World>>, body: Body) -> Reply {
    let body = json_object(body).await?;
    let mut state = world.state();
    match body.get("action").and_then(Value::as_str) {
        Some("rename") => {
            let project_id = string(&body, "project_id")?;
            let name = string(&body, "project_name")?;
            let project = state
                .projects
                .get_mut(project_id)
                .ok_or_else(project_not_found)?;
            project.name = name.to_string();
            Ok(ok(json!({"project_id": project_id, "project_name": name})))
        }
        Some(other) => Err(Failure::bad_request(format!("unknown action '{other}'"))),
        None => {
            let name = body.get("project_name").and_then(Value::as_str);
            match optional_string(&body, "project_id") {
                None => {
                    let project_id = new_id();
                    let project = Project {
                        name: name.unwrap_or_default().to_string(),
                        ..Project::default()
                    };
                    state.projects.insert(project_id.clone(), project);
                    Ok(ok(json!({"project_id": project_id})))
                }
                Some(project_id) => {
                    let project = state
                        .projects
                        .get_mut(project_id)
                        .ok_or_else(project_not_found)?;
                    if let Some(name) = name {
                        project.name = name.to_string();
                    }
                    Ok(ok(json!({"project_id": project_id})))
                }
            }
        }
    }
}

/// GET /project/validate?project_id=
pub async fn project_validate(State(world): State<Arc<World>>, params: Params) -> Reply {
    let project_id = param(&params, "project_id")?;
    let state = world.state();
    let project = state.projects.get(project_id);
    Ok(ok(json!({
        "valid": project.is_some(),
        "project_name": project.map(|project| project.name.as_str()).unwrap_or_default(),
    })))
}

/// POST /mode/set {"unlimited": bool}
pub async fn mode_set(State(world): State<Arc<World>>, body: Body) -> Reply {
    let body = json_object(body).await?;
    let unlimited = body
        .get("unlimited")
        .and_then(Value::as_bool)
        .ok_or_else(|| Failure::bad_request("unlimited must be true or false"))?;
    world.state().unlimited = unlimited;
    Ok(ok(json!({"unlimited": unlimited})))
}

/// POST /mode/query {}
pub async fn mode_query(State(world): State<Arc<World>>, body: Body) -> Reply {
    json_object(body).await?;
    let unlimited = world.state().unlimited;
    Ok(ok(
        json!({"unlimited": unlimited, "models": catalog::tool_names()}),
    ))
}

/// POST /chat: starts a turn, on a new thread or a finished one.
///
/// `attachments`, `mode` and `tool_config` are accepted and do not change the
/// plot, which the prompt's words choose. A send to a thread still running is
/// 409; a send to a thread waiting for a confirmation drops that question.
/// A repeated Idempotency-Key gets the thread its first send got.
pub async fn chat(State(world): State<Arc<World>>, headers: HeaderMap, body: Body) -> Reply {
    let body = json_object(body).await?;
    let idempotency_key = headers
        .get(lovart_wire::paths::header::IDEMPOTENCY_KEY)
        .and_then(|value| value.to_str().ok())
        .filter(|key| !key.is_empty())
        .map(|key| (access_key(&headers).to_string(), key.to_string()));
    // Held until the answer is decided: one key, one thread.
    let mut answered = world.rate.keys();
    if let Some(thread_id) = idempotency_key.as_ref().and_then(|key| answered.get(key)) {
        return Ok(ok(json!({"thread_id": thread_id})));
    }
    let prompt = string(&body, "prompt")?;
    let project_id = string(&body, "project_id")?;
    let scenario = Scenario::from_prompt(prompt);
    let fast = world.options.fast;
    let mut state = world.state();
    if !state.projects.contains_key(project_id) {
        return Err(project_not_found());
    }
    if scenario.insufficient_credits {
        return Err(
            Failure::new(StatusCode::PAYMENT_REQUIRED, "Insufficient credits")
                .code(codes::INSUFFICIENT_CREDITS)
                .details("this request needs 40 credits; the account has 3"),
        );
    }
    let thread_id = match optional_string(&body, "thread_id") {
        Some(thread_id) => {
            let numbered = match state.threads.get(thread_id) {
                None => return Err(thread_not_found()),
                Some(thread) if thread.is_running(fast) => {
                    return Err(Failure::conflict("Thread is busy")
                        .code(codes::THREAD_BUSY)
                        .details("a generation is still running in this thread"));
                }
                Some(thread) => thread.artifact_count,
            };
            let (turn, numbered) = state.plan_turn(thread_id, numbered, prompt, scenario);
            let thread = state
                .threads
                .get_mut(thread_id)
                .ok_or_else(thread_not_found)?;
            thread.continue_with(turn, fast);
            thread.artifact_count = numbered;
            thread_id.to_string()
        }
        None => {
            let thread_id = new_id();
            let (turn, numbered) = state.plan_turn(&thread_id, 0, prompt, scenario);
            let thread = Thread::new(turn, numbered);
            state.threads.insert(thread_id.clone(), thread);
            thread_id
        }
    };
    if let Some(key) = idempotency_key {
        answered.insert(key, thread_id.clone());
    }
    Ok(ok(json!({"thread_id": thread_id})))
}

/// POST /chat/confirm {"thread_id"}: starts the pending high-cost step.
pub async fn chat_confirm(State(world): State<Arc<World>>, body: Body) -> Reply {
    let body = json_object(body).await?;
    let thread_id = string(&body, "thread_id")?;
    let mut state = world.state();
    let thread = state
        .threads
        .get_mut(thread_id)
        .ok_or_else(thread_not_found)?;
    if !thread.turn.confirm(world.options.fast) {
        return Err(Failure::conflict("Nothing to confirm")
            .details("the thread has no pending confirmation"));
    }
    Ok(ok(json!({"thread_id": thread_id, "confirmed": true})))
}

fn flaky_failure() -> Failure {
    Failure::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service temporarily unavailable",
    )
    .details("the upstream is busy; retry shortly")
}

/// GET /chat/status?thread_id= (in fast mode, each call is one step).
pub async fn chat_status(State(world): State<Arc<World>>, params: Params) -> Reply {
    let thread_id = param(&params, "thread_id")?;
    let mut state = world.state();
    let thread = state
        .threads
        .get_mut(thread_id)
        .ok_or_else(thread_not_found)?;
    if std::mem::take(&mut thread.turn.flaky_status) {
        return Err(flaky_failure());
    }
    let status = thread.turn.poll(world.options.fast);
    Ok(ok(
        json!({"thread_id": thread_id, "status": status.as_str()}),
    ))
}

/// GET /chat/result?thread_id=
pub async fn chat_result(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    params: Params,
) -> Reply {
    let thread_id = param(&params, "thread_id")?;
    let mut state = world.state();
    let thread = state
        .threads
        .get_mut(thread_id)
        .ok_or_else(thread_not_found)?;
    if std::mem::take(&mut thread.turn.flaky_result) {
        return Err(flaky_failure());
    }
    Ok(ok(thread.result(
        thread_id,
        &base_url(&headers),
        world.options.fast,
    )))
}

/// POST /artifact/upload {"project_id", "artifact_type", "artifact_content"}
pub async fn artifact_upload(State(world): State<Arc<World>>, body: Body) -> Reply {
    let body = json_object(body).await?;
    let project_id = string(&body, "project_id")?;
    let content = optional_string(&body, "artifact_content")
        .ok_or_else(|| Failure::bad_request("artifact_content is required"))?;
    let kind = optional_string(&body, "artifact_type").unwrap_or("image");
    let mut state = world.state();
    let project = state
        .projects
        .get_mut(project_id)
        .ok_or_else(project_not_found)?;
    let artifact_id = new_id();
    project
        .artifacts
        .push((artifact_id.clone(), kind.to_string(), content.to_string()));
    Ok(ok(
        json!({"artifact_id": artifact_id, "artifact_type": kind, "artifact_content": content}),
    ))
}

/// GET /tools/catalog (public).
pub async fn tools_catalog() -> Response {
    ok(catalog::builtin_catalog())
}
