//! The typed values the use cases return: a [`Generation`] (a thread waited
//! for, or read), the [`Downloaded`] files in it, and the [`WaitPlan`] a
//! front end hands in (re-exported by [`crate::session`]).
//!
//! A generation keeps the reference's output object ([`Generation::output`]:
//! what `--json` prints, byte for byte, and what the MCP tools return) and
//! the typed fields a program reads instead of digging in it.

use std::time::Duration;

use lovart_wire::reply::fields;
use serde_json::{Map, Value, json};

use crate::download::FileOptions;
use crate::flow::poll::Settled;
use crate::python::py_str;

/// What a wait (`chat`, `wait`, `confirm`) is asked to do after the send.
#[derive(Debug, Clone, Default)]
pub struct WaitPlan {
    /// How long to wait in all: polls, confirmations, the result call and the
    /// downloads (`--timeout`; no retry starts after it).
    pub timeout: Duration,
    /// Confirm a pending step by itself when its estimated cost is known and
    /// at most this many credits; `None`: never.
    pub max_credits: Option<f64>,
    /// The folder to download every artifact into (`--download
    /// --output-dir`), created before anything is sent; `None`: no download.
    pub download: Option<String>,
    /// `--name` and `--sidecar`; the session fills in what it knows of the
    /// thread (prompt, thread, project) for names and records.
    pub files: FileOptions,
    /// `--json`: passed on in [`crate::events::Event::Interrupted`] when a
    /// signal stops the wait.
    pub json: bool,
}

/// A thread waited for until it settled (or read as it is, by `result`).
#[derive(Debug, Clone)]
pub struct Generation {
    /// The thread.
    pub thread_id: String,
    /// Its project: the one it was sent to, else the state file's record of
    /// the thread; `None` when neither knows it.
    pub project_id: Option<String>,
    /// How the wait ended; `None` when the thread was read without waiting.
    pub status: Option<Settled>,
    /// The output object: the thread's result (or, for a pending step after
    /// `chat`/`wait`, its summary) with `final_status`, `project_id`,
    /// `generation_succeeded` and `downloaded` as the reference adds them.
    pub output: Map<String, Value>,
    /// The files downloaded (or refused) for its artifacts, in the order of
    /// `output["downloaded"]`; empty without a download.
    pub downloads: Vec<Downloaded>,
}

impl Generation {
    /// A generation around `output`, its downloads read from `downloaded`.
    pub fn new(
        thread_id: &str,
        project_id: Option<&str>,
        status: Option<Settled>,
        output: Map<String, Value>,
    ) -> Self {
        let downloads = match output.get("downloaded") {
            Some(Value::Array(items)) => items.iter().filter_map(Downloaded::from_value).collect(),
            _ => Vec::new(),
        };
        Self {
            thread_id: thread_id.to_string(),
            project_id: project_id.map(str::to_string),
            status,
            output,
            downloads,
        }
    }

    /// `final_status` as the output says it ("done", "abort", "timeout",
    /// "pending_confirmation"; MCP's "running"), empty for a plain read.
    pub fn final_status(&self) -> String {
        self.output
            .get("final_status")
            .map(py_str)
            .unwrap_or_default()
    }

    /// The pending step's question (cost, message), when the thread waits for a yes.
    pub fn pending_confirmation(&self) -> Option<&Value> {
        match &self.status {
            Some(Settled::PendingConfirmation(pending)) => Some(pending),
            _ => self
                .output
                .get(fields::PENDING_CONFIRMATION)
                .filter(|value| !value.is_null()),
        }
    }

    /// The local paths of the files written or kept, in order.
    pub fn local_paths(&self) -> impl Iterator<Item = &str> {
        self.downloads
            .iter()
            .filter_map(|file| file.local_path.as_deref())
    }
}

/// One artifact's file, as an item of `downloaded`.
#[derive(Debug, Clone, PartialEq)]
pub struct Downloaded {
    /// The artifact's `type` as the result gave it ("image", "video", …;
    /// `lovart download` says "image" for every URL, as the reference does).
    pub kind: Value,
    /// The artifact's URL.
    pub url: String,
    /// Where the file is; `None` when it could not be downloaded.
    pub local_path: Option<String>,
    /// Why there is no file ("download failed", or MCP's "not downloaded by
    /// the deadline …").
    pub error: Option<String>,
    /// Whether this run wrote the file (false: it was already there).
    pub new: bool,
}

impl Downloaded {
    /// The typed view of one `downloaded` item; `None` when it is not an
    /// object with a URL.
    pub fn from_value(item: &Value) -> Option<Self> {
        let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_string);
        Some(Self {
            kind: item.get(fields::TYPE).cloned().unwrap_or(Value::Null),
            url: text("url")?,
            local_path: text("local_path"),
            error: text("error"),
            new: item.get("new").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    /// The item as `downloaded` lists it: `type`, `url`, `local_path`, then
    /// `error` (only when set) and `new`.
    pub fn to_value(&self) -> Value {
        let mut item = Map::new();
        item.insert(fields::TYPE.into(), self.kind.clone());
        item.insert("url".into(), json!(self.url));
        item.insert("local_path".into(), json!(self.local_path));
        if let Some(error) = &self.error {
            item.insert("error".into(), json!(error));
        }
        item.insert("new".into(), json!(self.new));
        Value::Object(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloaded_items_read_and_write_back_byte_for_byte() {
        for item in [
            json!({"type": "image", "url": "https://x/a.png", "local_path": "/o/a.png", "new": true}),
            json!({"type": "video", "url": "https://x/b", "local_path": "/o/b.mp4", "new": false}),
            json!({"type": 3, "url": "https://x/c", "local_path": null, "error": "download failed", "new": false}),
        ] {
            let typed = Downloaded::from_value(&item).unwrap();
            assert_eq!(
                serde_json::to_string(&typed.to_value()).unwrap(),
                serde_json::to_string(&item).unwrap()
            );
        }
        assert_eq!(Downloaded::from_value(&json!({"type": "image"})), None);
    }

    #[test]
    fn a_generation_reads_its_downloads_and_pending_step() {
        let output = json!({
            "thread_id": "t1", "final_status": "done",
            "downloaded": [
                {"type": "image", "url": "https://x/a", "local_path": "/o/a.png", "new": true},
                {"type": "image", "url": "https://x/b", "local_path": null, "error": "download failed", "new": false}
            ]
        });
        let generation = Generation::new(
            "t1",
            Some("p1"),
            Some(Settled::Done),
            output.as_object().cloned().unwrap(),
        );
        assert_eq!(generation.final_status(), "done");
        assert_eq!(generation.local_paths().collect::<Vec<_>>(), ["/o/a.png"]);
        assert_eq!(
            generation.downloads[1].error.as_deref(),
            Some("download failed")
        );
        assert_eq!(generation.pending_confirmation(), None);

        let pending = json!({"estimated_cost": 40});
        let waiting = Generation::new(
            "t1",
            None,
            Some(Settled::PendingConfirmation(pending.clone())),
            Map::new(),
        );
        assert_eq!(waiting.pending_confirmation(), Some(&pending));
        assert!(waiting.downloads.is_empty());
    }
}
