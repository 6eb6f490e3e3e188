//! One typed method per endpoint the client uses.
//!
//! Request bodies are the reference's, key for key; answers are checked only
//! for the fields the flows read, so a missing or mistyped field becomes an
//! `Error:` naming it instead of a crash further on.

use std::path::Path;

use lovart_wire::envelope::{code_is_zero, codes};
use lovart_wire::paths::{self, UPLOAD_USER_AGENT, full};
use lovart_wire::reply::fields;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::answer::{describe_transport_error, read_answer, unfollowed_redirect};
use super::client::ApiClient;
use super::error::{ApiError, ApiErrorKind};
use super::upload;
use crate::python::{dumps_compact, py_str};

/// `tool_config` of a chat message; each list is sent only when non-empty.
#[derive(Debug, Clone, Default)]
pub struct ToolConfig {
    /// `prefer_tool_categories`: a JSON object of category (`IMAGE`, `VIDEO`,
    /// …) to a list of tool names, tried first; `None`: not sent.
    pub prefer_tool_categories: Option<Value>,
    /// `include_tools`: tool names the agent may use (empty: not sent).
    pub include_tools: Vec<String>,
    /// `exclude_tools`: tool names the agent must not use (empty: not sent).
    pub exclude_tools: Vec<String>,
}

/// The body of one `POST /chat` ([`SendRequest::body`]).
#[derive(Debug, Clone, Default)]
pub struct SendRequest {
    /// What to make, in the user's words.
    pub prompt: String,
    /// The project the thread belongs to (always sent, even empty).
    pub project_id: String,
    /// URLs of images and files the prompt refers to (empty: not sent).
    pub attachments: Vec<String>,
    /// The thread to continue; `None` or empty starts a new one.
    pub thread_id: Option<String>,
    /// `"thinking"` or `"fast"` (see [`crate::flow::send::ReasoningMode`]); `None` or empty: not sent.
    pub mode: Option<String>,
    /// Which tools the agent should prefer, use or avoid.
    pub tool_config: ToolConfig,
}

impl SendRequest {
    /// The body, with optional keys only when non-empty, in the reference's order.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("prompt".into(), json!(self.prompt));
        body.insert("project_id".into(), json!(self.project_id));
        if !self.attachments.is_empty() {
            body.insert("attachments".into(), json!(self.attachments));
        }
        if let Some(thread_id) = self.thread_id.as_deref().filter(|id| !id.is_empty()) {
            body.insert("thread_id".into(), json!(thread_id));
        }
        if let Some(mode) = self.mode.as_deref().filter(|mode| !mode.is_empty()) {
            body.insert("mode".into(), json!(mode));
        }
        let mut tools = Map::new();
        if let Some(prefer) = &self.tool_config.prefer_tool_categories {
            tools.insert("prefer_tool_categories".into(), prefer.clone());
        }
        if !self.tool_config.include_tools.is_empty() {
            tools.insert(
                "include_tools".into(),
                json!(self.tool_config.include_tools),
            );
        }
        if !self.tool_config.exclude_tools.is_empty() {
            tools.insert(
                "exclude_tools".into(),
                json!(self.tool_config.exclude_tools),
            );
        }
        if !tools.is_empty() {
            body.insert("tool_config".into(), Value::Object(tools));
        }
        Value::Object(body)
    }
}

/// A string field of an answer, or an error naming the call and the field.
fn string_field(answer: &Value, field: &str, call: &str) -> Result<String, ApiError> {
    match answer.get(field) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => Err(ApiError::malformed(format!(
            "the answer to {call} has a {field} that is not a string: {}",
            dumps_compact(other, false)
        ))),
        None => Err(ApiError::malformed(format!(
            "the answer to {call} has no {field}"
        ))),
    }
}

/// The answer as an object, or an error naming the call.
pub fn expect_object(answer: Value, call: &str) -> Result<Map<String, Value>, ApiError> {
    match answer {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::malformed(format!(
            "the answer to {call} is not a JSON object: {}",
            dumps_compact(&other, false)
        ))),
    }
}

impl ApiClient {
    /// `POST /project/save` with an empty id: a new project; returns its id.
    pub async fn create_project(&self) -> Result<String, ApiError> {
        let body = json!({
            "project_id": "", "canvas": "", "project_cover_list": [], "pic_count": 0, "project_type": 3
        });
        let answer = self.post(paths::PROJECT_SAVE, &body).await?;
        string_field(&answer, fields::PROJECT_ID, "POST /v1/openapi/project/save")
    }

    /// `POST /project/save` with `action: rename`.
    pub async fn rename_project(&self, project_id: &str, name: &str) -> Result<Value, ApiError> {
        let body = json!({"action": "rename", "project_id": project_id, "project_name": name});
        self.post(paths::PROJECT_SAVE, &body).await
    }

    /// `GET /project/validate`: the whole answer (`valid`, `project_name`).
    pub async fn validate_project(&self, project_id: &str) -> Result<Value, ApiError> {
        self.get(paths::PROJECT_VALIDATE, &[("project_id", project_id)])
            .await
    }

    /// `POST /mode/set`: unlimited (queue) mode on or off; the whole answer.
    pub async fn set_mode(&self, unlimited: bool) -> Result<Value, ApiError> {
        self.post(paths::MODE_SET, &json!({"unlimited": unlimited}))
            .await
    }

    /// `POST /mode/query`: the whole answer (`unlimited`, see
    /// [`lovart_wire::reply::is_unlimited`]).
    pub async fn query_mode(&self) -> Result<Value, ApiError> {
        self.post(paths::MODE_QUERY, &json!({})).await
    }

    /// `POST /chat` with the caller's `Idempotency-Key`, written down before
    /// the send (by a batch's journal, or [`crate::state::pending_sends`]), so
    /// the same request sent again after a lost answer re-sends the same key
    /// and the server answers with the thread it already started. One
    /// attempt; returns the new (or reused) thread id.
    pub async fn send_with_key(
        &self,
        request: &SendRequest,
        idempotency_key: &str,
    ) -> Result<String, ApiError> {
        let answer = self
            .post_with_key(paths::CHAT, &request.body(), idempotency_key)
            .await?;
        string_field(&answer, fields::THREAD_ID, "POST /v1/openapi/chat")
    }

    /// `POST /chat/confirm`. A 409 without the busy code means the thread has
    /// no step waiting for a yes ([`ApiErrorKind::NotApplicable`]).
    pub async fn confirm(&self, thread_id: &str) -> Result<Value, ApiError> {
        self.post(paths::CHAT_CONFIRM, &json!({"thread_id": thread_id}))
            .await
            .map_err(|mut error| {
                let busy = error.code.as_ref().and_then(Value::as_i64) == Some(codes::THREAD_BUSY);
                if error.status == Some(409) && !busy {
                    error.kind = ApiErrorKind::NotApplicable;
                }
                error
            })
    }

    /// `GET /chat/status`: the whole answer, as `status` prints it.
    pub async fn status(&self, thread_id: &str) -> Result<Value, ApiError> {
        self.get(paths::CHAT_STATUS, &[("thread_id", thread_id)])
            .await
    }

    /// The `status` string of a thread (`running`, `done`, `abort`).
    pub async fn status_word(&self, thread_id: &str) -> Result<String, ApiError> {
        let answer = self.status(thread_id).await?;
        string_field(&answer, fields::STATUS, "GET /v1/openapi/chat/status")
    }

    /// `GET /chat/result`: must be an object (flows add keys to it).
    pub async fn result(&self, thread_id: &str) -> Result<Map<String, Value>, ApiError> {
        let answer = self
            .get(paths::CHAT_RESULT, &[("thread_id", thread_id)])
            .await?;
        expect_object(answer, "GET /v1/openapi/chat/result")
    }

    /// `POST /artifact/upload`: puts the file at `url` into the project's
    /// canvas as an artifact of `kind` (`"image"` or `"video"`); the whole answer.
    pub async fn upload_artifact(
        &self,
        project_id: &str,
        url: &str,
        kind: &str,
    ) -> Result<Value, ApiError> {
        let body =
            json!({"project_id": project_id, "artifact_type": kind, "artifact_content": url});
        self.post(paths::ARTIFACT_UPLOAD, &body).await
    }

    /// `POST /file/upload` of a local file, streamed; returns its URL. Never retried.
    pub async fn upload_file(&self, path: &Path) -> anyhow::Result<String> {
        let multipart = upload::multipart_file_body(path).await?;
        let signed_path = full(paths::FILE_UPLOAD);
        let url = self.url(paths::FILE_UPLOAD);
        let request = self
            .signed(Method::POST, &url, &signed_path)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={}", multipart.boundary),
            )
            .header("User-Agent", UPLOAD_USER_AGENT)
            .header("Content-Length", multipart.content_length)
            .body(multipart.body);
        let connection_failed = |reason: String| {
            ApiError::new(
                ApiErrorKind::Connection,
                format!("Connection failed after 1 attempts: {reason}"),
            )
        };
        // One attempt, bounded as a whole like every other (reqwest's own
        // timer already runs from the first byte sent to the answer's headers).
        let attempt = async {
            let response = request
                .send()
                .await
                .map_err(|error| connection_failed(describe_transport_error(&error)))?;
            if response.status().is_redirection() {
                let status = response.status();
                return Err(unfollowed_redirect(
                    status,
                    response.headers(),
                    &Method::POST,
                    &signed_path,
                ));
            }
            let status = response.status();
            let call = format!("POST {signed_path}");
            let bytes = read_answer(response, &call)
                .await
                .map_err(|reason| ApiError::new(ApiErrorKind::Connection, reason))?;
            Ok((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.settings.timeout, attempt)
            .await
            .unwrap_or_else(|_| Err(connection_failed("timed out".to_string())))?;
        let text = String::from_utf8_lossy(&bytes);
        if !status.is_success() {
            let mut error = ApiError::new(
                ApiErrorKind::Http,
                format!("Upload failed ({}): {text}", status.as_u16()),
            );
            error.status = Some(status.as_u16());
            return Err(error.into());
        }
        let answer: Value = crate::python::loads(&text).map_err(|_| {
            ApiError::malformed(format!(
                "the answer to POST {signed_path} is not JSON: {}",
                text.trim()
            ))
        })?;
        // Here, unlike every other call, a missing `code` is a failure.
        let code_ok = answer.get("code").is_some_and(code_is_zero);
        if !code_ok {
            let message = answer
                .get("message")
                .map_or_else(|| "unknown error".to_string(), py_str);
            return Err(
                ApiError::new(ApiErrorKind::Envelope, format!("Upload failed: {message}")).into(),
            );
        }
        let data = answer.get("data").cloned().unwrap_or(Value::Null);
        Ok(string_field(
            &data,
            fields::URL,
            "POST /v1/openapi/file/upload",
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_body_has_optional_keys_only_when_given() {
        let minimal = SendRequest {
            prompt: "a cat".into(),
            project_id: "p1".into(),
            ..Default::default()
        };
        assert_eq!(
            dumps_compact(&minimal.body(), true),
            r#"{"prompt": "a cat", "project_id": "p1"}"#
        );
        let full = SendRequest {
            prompt: "猫".into(),
            project_id: "p1".into(),
            attachments: vec!["https://a/b.png".into()],
            thread_id: Some("t1".into()),
            mode: Some("thinking".into()),
            tool_config: ToolConfig {
                prefer_tool_categories: Some(json!({"IMAGE": ["generate_image_midjourney"]})),
                include_tools: vec!["upscale_image".into()],
                exclude_tools: vec![],
            },
        };
        assert_eq!(
            dumps_compact(&full.body(), true),
            r#"{"prompt": "\u732b", "project_id": "p1", "attachments": ["https://a/b.png"], "thread_id": "t1", "mode": "thinking", "tool_config": {"prefer_tool_categories": {"IMAGE": ["generate_image_midjourney"]}, "include_tools": ["upscale_image"]}}"#
        );
    }
}
