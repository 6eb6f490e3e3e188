//! Typed, read-only views of the answers the flows read.
//!
//! Answers pass through to the user as the server sent them (key order,
//! unknown keys and all), so they stay `serde_json` values; these views only
//! name the fields and say how an absent or odd field reads. Optional fields
//! follow the reference's Python truthiness: `null`, `false`, `0`, `""`, `[]`
//! and `{}` count as absent ([`is_set`]).

use serde_json::{Map, Value};

/// Field names of answers and of the client's additions to them.
pub mod fields {
    /// A result's list of items (assistant texts, generator outputs).
    pub const ITEMS: &str = "items";
    /// An item's list of artifacts.
    pub const ARTIFACTS: &str = "artifacts";
    /// An artifact's content: its URL.
    pub const CONTENT: &str = "content";
    /// An item's or an artifact's type (`assistant`, `image`, `video`, …).
    pub const TYPE: &str = "type";
    /// An item's text.
    pub const TEXT: &str = "text";
    /// A result's step that waits for `POST /chat/confirm` (any JSON; unset: none).
    pub const PENDING_CONFIRMATION: &str = "pending_confirmation";
    /// A thread's status word (`GET /chat/status`).
    pub const STATUS: &str = "status";
    /// A thread's id (answer of `POST /chat`, and in results).
    pub const THREAD_ID: &str = "thread_id";
    /// A project's id.
    pub const PROJECT_ID: &str = "project_id";
    /// A project's name (`GET /project/validate`, and the client's output).
    pub const PROJECT_NAME: &str = "project_name";
    /// Whether a project exists and is the caller's (`GET /project/validate`).
    pub const VALID: &str = "valid";
    /// Whether unlimited (queue) mode is on (`/mode/query`, `/mode/set`).
    pub const UNLIMITED: &str = "unlimited";
    /// An uploaded file's URL (`POST /file/upload`).
    pub const URL: &str = "url";
    /// The catalog's list of tools (`GET /tools/catalog`).
    pub const TOOLS: &str = "tools";
}

/// Python truthiness of a JSON value: null, false, 0, "", [] and {} are false.
pub fn is_set(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// A thread's status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadStatus {
    /// `running`: the agent is still at work.
    Running,
    /// `done`: finished; the result is final.
    Done,
    /// `abort`: stopped by the server; the result holds what was made.
    Abort,
    /// A word this client does not know; waited on like `running`.
    Other(String),
}

impl ThreadStatus {
    /// Reads a status word, exactly (case-sensitive); any other word is [`ThreadStatus::Other`].
    pub fn parse(word: &str) -> Self {
        match word {
            "running" => Self::Running,
            "done" => Self::Done,
            "abort" => Self::Abort,
            other => Self::Other(other.to_string()),
        }
    }

    /// `done` or `abort`: the thread will not change any more.
    pub fn is_settled(&self) -> bool {
        matches!(self, Self::Done | Self::Abort)
    }
}

/// `GET /chat/result` (or a client's output built on it).
#[derive(Debug, Clone, Copy)]
pub struct ResultView<'a>(pub &'a Map<String, Value>);

impl<'a> ResultView<'a> {
    /// `items`, or nothing when missing or not a list.
    pub fn items(self) -> &'a [Value] {
        list(self.0.get(fields::ITEMS))
    }

    /// `pending_confirmation` when set.
    pub fn pending_confirmation(self) -> Option<&'a Value> {
        self.0
            .get(fields::PENDING_CONFIRMATION)
            .filter(|pending| is_set(pending))
    }

    /// Whether any item has a non-empty `artifacts`.
    pub fn has_artifacts(self) -> bool {
        self.items()
            .iter()
            .any(|item| item.get(fields::ARTIFACTS).is_some_and(is_set))
    }

    /// Every artifact of every item, in order (duplicates included).
    pub fn artifacts(self) -> impl Iterator<Item = ArtifactView<'a>> {
        self.items()
            .iter()
            .flat_map(|item| list(item.get(fields::ARTIFACTS)))
            .map(ArtifactView)
    }

    /// `(type, text)` of every item whose `text` is set.
    pub fn texts(self) -> impl Iterator<Item = (Option<&'a Value>, &'a Value)> {
        self.items().iter().filter_map(|item| {
            item.get(fields::TEXT)
                .filter(|text| is_set(text))
                .map(|text| (item.get(fields::TYPE), text))
        })
    }

    /// `thread_id` when it is a non-empty string.
    pub fn thread_id(self) -> Option<&'a str> {
        self.0
            .get(fields::THREAD_ID)
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
    }
}

/// One artifact: `{"type", "content": URL}`.
#[derive(Debug, Clone, Copy)]
pub struct ArtifactView<'a>(pub &'a Value);

impl<'a> ArtifactView<'a> {
    /// `type` as sent (any JSON), when present.
    pub fn kind(self) -> Option<&'a Value> {
        self.0.get(fields::TYPE)
    }

    /// `content` as sent (any JSON), when present.
    pub fn content(self) -> Option<&'a Value> {
        self.0.get(fields::CONTENT)
    }

    /// The URL: `content` when it is a non-empty string.
    pub fn url(self) -> Option<&'a str> {
        self.content()
            .and_then(Value::as_str)
            .filter(|url| !url.is_empty())
    }
}

/// `GET /project/validate`.
#[derive(Debug, Clone, Copy)]
pub struct ValidationView<'a>(pub &'a Value);

impl<'a> ValidationView<'a> {
    /// `valid` is set (Python truthiness): the project exists and is the caller's.
    pub fn valid(self) -> bool {
        self.0.get(fields::VALID).is_some_and(is_set)
    }

    /// `project_name` as sent (any JSON), when present.
    pub fn project_name(self) -> Option<&'a Value> {
        self.0.get(fields::PROJECT_NAME)
    }
}

/// `POST /mode/query` and `/mode/set`: whether unlimited (queue) mode is on.
pub fn is_unlimited(answer: &Value) -> bool {
    answer.get(fields::UNLIMITED).is_some_and(is_set)
}

fn list(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn result_view_reads_items_artifacts_and_texts() {
        let result = json!({"thread_id": "t1", "items": [
            {"type": "assistant", "text": "Here"},
            {"type": "assistant", "text": ""},
            {"type": "generator", "artifacts": [{"type": "image", "content": "http://x/a.png"}, {"type": "image", "content": ""}]}
        ]});
        let view = ResultView(result.as_object().unwrap());
        assert!(view.has_artifacts());
        assert_eq!(view.thread_id(), Some("t1"));
        let urls: Vec<_> = view.artifacts().filter_map(ArtifactView::url).collect();
        assert_eq!(urls, ["http://x/a.png"]);
        assert_eq!(view.texts().count(), 1);
        assert_eq!(view.pending_confirmation(), None);
    }

    #[test]
    fn odd_shapes_read_as_absent() {
        let result = json!({"items": {"not": "a list"}, "pending_confirmation": {}});
        let view = ResultView(result.as_object().unwrap());
        assert!(view.items().is_empty());
        assert!(!view.has_artifacts());
        assert_eq!(view.pending_confirmation(), None);
    }

    #[test]
    fn status_words() {
        assert!(ThreadStatus::parse("done").is_settled());
        assert!(!ThreadStatus::parse("queued").is_settled());
        assert_eq!(ThreadStatus::parse("running"), ThreadStatus::Running);
    }

    #[test]
    fn truthiness_follows_python() {
        for falsy in [
            json!(null),
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert!(!is_set(&falsy), "{falsy}");
        }
        for truthy in [
            json!(true),
            json!(1),
            json!(-0.5),
            json!("x"),
            json!([0]),
            json!({"a": null}),
        ] {
            assert!(is_set(&truthy), "{truthy}");
        }
    }
}
