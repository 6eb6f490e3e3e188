//! Sending a prompt: the one place the `POST /chat` request is built, the
//! checks made before anything billable goes out, the Idempotency-Key kept
//! for a send whose answer is lost ([`crate::state::pending_sends`]), and the
//! state record made the moment the send succeeded.

use anyhow::{Context, Result};
use lovart_wire::reply::fields;
use serde_json::{Map, Value};

use crate::api::{ApiClient, ApiError, ApiErrorKind, SendRequest, ToolConfig};
use crate::events::{Event, EventSink};
use crate::failure::{Hinted, InvalidInput, Kind, api_kind};
use crate::python::{is_truthy, prefix_stripped, py_str};
use crate::settings::Settings;
use crate::state::pending_sends::{self, PendingSend};

/// The reasoning mode of a message (`"thinking"` or `"fast"`), locked to a
/// thread by its first message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningMode {
    /// `"thinking"`.
    Thinking,
    /// `"fast"`.
    Fast,
}

impl ReasoningMode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Thinking => "thinking",
            Self::Fast => "fast",
        }
    }
}

/// What a command sends, before the project is known.
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// What to make, in the user's words.
    pub prompt: String,
    /// The thread to continue (a full id: resolve a typed prefix with
    /// [`crate::flow::threads`] first); `None`: a new thread.
    pub thread_id: Option<String>,
    /// URLs sent as they are (upload local files first: [`upload_local_files`]).
    pub attachments: Vec<String>,
    /// The reasoning mode; `None`: the server's default.
    pub mode: Option<ReasoningMode>,
    /// Which tools to prefer, use or avoid.
    pub tools: ToolConfig,
}

impl Message {
    /// The request body's fields, in the reference's order and rules.
    pub fn into_request(self, project_id: &str) -> SendRequest {
        SendRequest {
            prompt: self.prompt,
            project_id: project_id.to_string(),
            attachments: self.attachments,
            thread_id: self.thread_id,
            mode: self.mode.map(|mode| mode.as_str().to_string()),
            tool_config: self.tools,
        }
    }
}

/// Sends `message` into `project_id` and records the thread at once (so an
/// interrupted or failed wait still leaves it on record); returns its id.
/// Once the send succeeded it is billed: a state that cannot be saved is then
/// a warning on stderr, never an error that would lose the thread id.
pub async fn send_and_record(
    client: &ApiClient,
    ctx: &Settings,
    project_id: &str,
    message: Message,
) -> Result<String> {
    let prompt = message.prompt.clone();
    let into_thread = message.thread_id.clone().filter(|id| !id.is_empty());
    let request = message.into_request(project_id);
    let pending = remember_send(client, ctx, &request, None).await;
    let thread_id = match client
        .send_with_key(&request, &pending.idempotency_key)
        .await
    {
        Ok(thread_id) => {
            pending.answered();
            thread_id
        }
        // No answer: the key stays on record for the same request sent again.
        Err(error) if outcome_unknown(&error) => return Err(unknown_outcome(error)),
        // A busy thread's generation is under way: name it, so the error says
        // which thread to wait for.
        Err(error) if into_thread.is_some() && api_kind(&error) == Kind::ThreadBusy => {
            pending.answered();
            let thread = into_thread.unwrap_or_default();
            return Err(crate::failure::in_thread(&thread, error.into()));
        }
        Err(error) => {
            pending.answered();
            return Err(error.into());
        }
    };
    ctx.events.emit(Event::Sent {
        thread_id: &thread_id,
        project_id,
    });
    if !project_id.is_empty()
        && let Err(why) = record_sent_thread(ctx, project_id, &thread_id, &prompt)
    {
        warn_state_not_saved(&ctx.events, &thread_id, &why);
    }
    Ok(thread_id)
}

/// The Idempotency-Key of a send, on record before it goes out: the key of
/// the same request's unanswered send of the last minutes, else a new one. A
/// record that cannot be written is a warning: the send still goes. The file
/// work runs off the async runtime (a batch's rows share one thread).
pub async fn remember_send(
    client: &ApiClient,
    ctx: &Settings,
    request: &SendRequest,
    known_key: Option<String>,
) -> PendingSend {
    let body = crate::python::dumps_compact(&request.body(), true);
    let chat_url = client.url(lovart_wire::paths::CHAT);
    let folder = ctx.state.folder().to_path_buf();
    let known = known_key.clone();
    let begun = tokio::task::spawn_blocking(move || {
        pending_sends::begin(&folder, &chat_url, &body, known.as_deref())
            .map_err(|why| why.to_string())
    })
    .await
    .unwrap_or_else(|why| Err(why.to_string()));
    match begun {
        Ok(pending) => {
            if let Some(age) = pending.reused_after {
                ctx.events.hint(&format!(
                    "the same request went out {} s ago and got no answer: it goes again under the same Idempotency-Key, so it is started and billed once",
                    age.as_secs()
                ));
            }
            pending
        }
        Err(why) => {
            ctx.events.warning(&format!(
                "cannot note the send in {} ({why}); if its answer is lost, sending it again may bill it twice",
                ctx.state.folder().display()
            ));
            PendingSend::unrecorded(known_key.as_deref())
        }
    }
}

/// Whether a failed `POST /chat` may have started a generation: it got no
/// answer it could read (a timeout, a reset, a cut or unreadable answer), or a
/// gateway's 502/504 that stands for a server it did not hear back from. A
/// connection that was never made, and every other answer, is an outcome.
pub fn outcome_unknown(error: &ApiError) -> bool {
    match error.kind {
        ApiErrorKind::Connection => !error.unsent,
        ApiErrorKind::Malformed => true,
        ApiErrorKind::Http => matches!(error.status, Some(502 | 504)),
        ApiErrorKind::Envelope | ApiErrorKind::NotApplicable => false,
    }
}

/// A send of unknown outcome, as the error a program reads: the reference's
/// message, the kind `outcome_unknown`.
pub fn unknown_outcome(error: ApiError) -> anyhow::Error {
    Hinted {
        hints: Vec::new(),
        mcp_hints: None,
        kind: Some(Kind::OutcomeUnknown),
        cause: error.into(),
    }
    .into()
}

/// `--attachments` as sent: a word that names an existing local file (rather
/// than a URL) is uploaded first and its URL sent instead (reported as
/// [`Event::Uploaded`]); everything else goes as given.
pub async fn upload_local_files(
    client: &ApiClient,
    events: &EventSink,
    attachments: Vec<String>,
) -> Result<Vec<String>> {
    let mut sent = Vec::with_capacity(attachments.len());
    for attachment in attachments {
        let path = std::path::Path::new(&attachment);
        if attachment.contains("://") || !path.is_file() {
            sent.push(attachment);
            continue;
        }
        let url = client
            .upload_file(path)
            .await
            .with_context(|| format!("cannot upload the attachment {attachment}"))?;
        events.emit(Event::Uploaded {
            file: &attachment,
            url: &url,
        });
        sent.push(url);
    }
    Ok(sent)
}

/// The warning for a sent thread the state could not record.
pub fn warn_state_not_saved(events: &EventSink, thread_id: &str, why: &anyhow::Error) {
    events.warning(&format!(
        "thread {thread_id} was sent but the state was not saved: {why:#}"
    ));
}

/// Saves a just-sent thread: its project (named after the prompt) becomes
/// active and the thread goes first in the history, in one locked update.
pub fn record_sent_thread(
    ctx: &Settings,
    project_id: &str,
    thread_id: &str,
    prompt: &str,
) -> Result<()> {
    let name = prefix_stripped(prompt, 30);
    let topic = prefix_stripped(prompt, 50);
    ctx.state.update(|state| {
        state.add_project(project_id, &name);
        state.upsert_thread(thread_id, &topic, Some(project_id));
    })
}

/// The reference's state update after a chat (and an MCP `generate`): the project (named by the
/// result's `project_name`, else the prompt) becomes active, and the result's
/// thread is upserted into it.
pub fn record_final_state(
    ctx: &Settings,
    result: &Map<String, Value>,
    project_id: &str,
    prompt_name: &str,
    topic: &str,
) -> Result<()> {
    let name = result
        .get(fields::PROJECT_NAME)
        .map_or_else(|| prompt_name.to_string(), py_str);
    let thread = lovart_wire::reply::ResultView(result).thread_id();
    ctx.state.update(|state| {
        if !project_id.is_empty() {
            state.add_project(project_id, &name);
        }
        if let Some(thread) = thread {
            state.upsert_thread(thread, topic, None);
        }
    })
}

/// Warns (as [`Event::UnknownTool`]s, from the built-in catalog: no request) about
/// tool names that are not known; they are still sent, since the catalog
/// changes often.
pub fn warn_about_unknown_tools(events: &EventSink, tools: &ToolConfig) {
    let mut names: Vec<&str> = Vec::new();
    for list in [&tools.include_tools, &tools.exclude_tools] {
        names.extend(list.iter().map(String::as_str));
    }
    if let Some(Value::Object(categories)) = &tools.prefer_tool_categories {
        for tools in categories.values().filter_map(Value::as_array) {
            names.extend(tools.iter().filter_map(Value::as_str));
        }
    }
    for (name, suggestions) in crate::catalog::unknown_tools(&names) {
        events.emit(Event::UnknownTool {
            name: &name,
            suggestions: &suggestions,
        });
    }
}

/// `--prefer-models`: a JSON object of category → list of tool names. Falsy
/// JSON (`{}`, `null`, `""`) means absent, as in the reference.
pub fn parse_prefer_models(text: Option<&str>) -> Result<Option<Value>> {
    let Some(text) = text.filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let value: Value = crate::python::loads(text).map_err(|error| {
        InvalidInput(format!(
            "invalid --prefer-models: not JSON: {text}: {error}"
        ))
    })?;
    prefer_models_value(value, "--prefer-models")
}

/// Preferred models as sent (`prefer_tool_categories`), from a value already
/// parsed: falsy means absent; anything else must be an object of category →
/// list of tool names, in the order given. `name` is what the caller's user
/// calls the field (`--prefer-models`, `prefer_models`), for the error.
pub fn prefer_models_value(value: Value, name: &str) -> Result<Option<Value>> {
    let invalid = |why: String| InvalidInput(format!("invalid {name}: {why}"));
    if !is_truthy(&value) {
        return Ok(None);
    }
    let Value::Object(categories) = &value else {
        return Err(invalid(
            "expected an object of category -> list of tool names, e.g. '{\"IMAGE\":[\"generate_image_midjourney\"]}'".to_string(),
        )
        .into());
    };
    for (category, tools) in categories {
        let is_list_of_names = tools
            .as_array()
            .is_some_and(|tools| tools.iter().all(Value::is_string));
        if !is_list_of_names {
            return Err(invalid(format!(
                "the value of \"{category}\" must be a list of tool names"
            ))
            .into());
        }
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prefer_models_accepts_objects_of_lists() {
        let value =
            parse_prefer_models(Some(r#"{"IMAGE":["generate_image_midjourney"]}"#)).unwrap();
        assert_eq!(value, Some(json!({"IMAGE": ["generate_image_midjourney"]})));
    }

    #[test]
    fn falsy_prefer_models_means_absent() {
        for text in ["{}", "null", "[]", "0", "\"\""] {
            assert_eq!(parse_prefer_models(Some(text)).unwrap(), None, "{text}");
        }
        assert_eq!(parse_prefer_models(None).unwrap(), None);
    }

    #[test]
    fn bad_prefer_models_are_clear_errors() {
        let not_json = parse_prefer_models(Some("{IMAGE:")).unwrap_err();
        assert!(format!("{not_json:#}").starts_with("invalid --prefer-models: not JSON"));
        let not_object = parse_prefer_models(Some("[1]")).unwrap_err();
        assert!(not_object.to_string().contains("expected an object"));
        let not_list = parse_prefer_models(Some(r#"{"IMAGE":"x"}"#)).unwrap_err();
        assert!(not_list.to_string().contains("\"IMAGE\" must be a list"));
    }
}
