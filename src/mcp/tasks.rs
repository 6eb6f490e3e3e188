//! The tasks extension (`io.modelcontextprotocol/tasks`): the task store.
//!
//! A client that declares the extension may get a task instead of a result
//! from `generate`, `wait` and `confirm` ([`super::generation`] decides and
//! runs the work). A task's id is its Lovart thread id, so a task outlives
//! this process: the thread is in the state file, and `tasks/get` of a
//! thread this process does not know starts waiting on it again
//! ([`super::generation::resume_task`]).
//!
//! A task is `working` while the thread runs (its status message is
//! Lovart's status), `input_required` while a high-cost step waits for the
//! user (the question is an elicitation answered by `tasks/update`),
//! `completed` with the tool result (an error result included), or
//! `cancelled` after `tasks/cancel`, which stops the waiting at once; the
//! thread itself goes on and can be waited for again. Tasks live
//! [`TASK_TTL`] (the longest videos take tens of minutes); a task still
//! working then is marked failed (its thread is kept), and a finished one is
//! forgotten one TTL after it finished. At most [`MAX_TASKS`] are kept.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::ErrorData;
use rmcp::model::{
    CallToolResult, DetailedTask, InputRequest, InputRequests, JsonObject, Task, TaskPayload,
    TaskStatus,
};
use serde_json::Value;
use tokio::sync::oneshot;

/// How long a task lives.
pub const TASK_TTL: Duration = Duration::from_secs(2 * 60 * 60);
/// How often a client should poll `tasks/get`.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// The most tasks kept (finished ones are dropped first).
const MAX_TASKS: usize = 256;

/// Where a task stands.
enum Stage {
    Working,
    /// Waiting for the answer to `requests`.
    Asking {
        requests: InputRequests,
        answer: oneshot::Sender<Value>,
    },
    Finished(TaskPayload),
}

struct Entry {
    task: Task,
    stage: Stage,
    created: Instant,
    finished: Option<Instant>,
    work: Option<tokio::task::JoinHandle<()>>,
}

impl Entry {
    fn touch(&mut self) {
        self.task.last_updated_at = now();
    }

    fn detailed(&self) -> DetailedTask {
        let payload = match &self.stage {
            Stage::Working => TaskPayload::Working,
            Stage::Asking { requests, .. } => TaskPayload::InputRequired {
                input_requests: requests.clone(),
            },
            Stage::Finished(payload) => payload.clone(),
        };
        DetailedTask::new(self.task.clone(), payload)
    }

    fn finish(&mut self, payload: TaskPayload) {
        if let Some(work) = self.work.take() {
            work.abort();
        }
        self.task.status = payload.status();
        self.stage = Stage::Finished(payload);
        self.finished = Some(Instant::now());
        self.touch();
    }
}

/// The tasks of this process.
#[derive(Clone, Default)]
pub struct Tasks {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

/// What a task's work uses to report: its status message and questions.
#[derive(Clone)]
pub struct TaskLink {
    id: String,
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl TaskLink {
    /// Sets the status message (`tasks/get` shows it).
    pub fn status(&self, message: impl Into<String>) {
        let mut entries = self.entries.lock().expect("task store lock");
        if let Some(entry) = entries.get_mut(&self.id) {
            entry.task.status_message = Some(message.into());
            entry.touch();
        }
    }

    /// Puts `request` to the client (`input_required`) and waits for its
    /// answer from `tasks/update`; None when the task was cancelled.
    pub async fn ask(&self, key: &str, request: InputRequest) -> Option<Value> {
        let (answer, answered) = oneshot::channel();
        {
            let mut entries = self.entries.lock().expect("task store lock");
            let entry = entries.get_mut(&self.id)?;
            entry.stage = Stage::Asking {
                requests: InputRequests::from([(key.to_string(), request)]),
                answer,
            };
            entry.task.status = TaskStatus::InputRequired;
            entry.touch();
        }
        let value = answered.await.ok();
        let mut entries = self.entries.lock().expect("task store lock");
        if let Some(entry) = entries.get_mut(&self.id)
            && matches!(entry.stage, Stage::Asking { .. })
        {
            entry.stage = Stage::Working;
            entry.task.status = TaskStatus::Working;
            entry.touch();
        }
        value
    }
}

impl Tasks {
    /// Whether a task with this id is still at work.
    pub fn is_working(&self, id: &str) -> bool {
        let entries = self.entries.lock().expect("task store lock");
        entries
            .get(id)
            .is_some_and(|entry| !matches!(entry.stage, Stage::Finished(_)))
    }

    /// Starts `work` as the task `id` (replacing an earlier task of that id)
    /// and returns its first state for a `CreateTaskResult`.
    pub fn start<F, W>(&self, id: &str, status: &str, work: W) -> Task
    where
        W: FnOnce(TaskLink) -> F,
        F: Future<Output = CallToolResult> + Send + 'static,
    {
        let stamp = now();
        let task = Task::new(id, TaskStatus::Working, stamp.clone(), stamp)
            .with_status_message(status)
            .with_ttl_ms(millis(TASK_TTL))
            .with_poll_interval_ms(millis(POLL_INTERVAL));
        let link = TaskLink {
            id: id.to_string(),
            entries: self.entries.clone(),
        };
        let future = work(link);
        let mut entries = self.entries.lock().expect("task store lock");
        sweep(&mut entries);
        if let Some(mut old) = entries.remove(id) {
            old.finish(TaskPayload::Cancelled);
        }
        let store = self.entries.clone();
        let finished_id = id.to_string();
        let work = tokio::spawn(async move {
            let result = future.await;
            let mut entries = store.lock().expect("task store lock");
            if let Some(entry) = entries.get_mut(&finished_id)
                && !matches!(entry.stage, Stage::Finished(_))
            {
                entry.work = None;
                entry.finish(TaskPayload::Completed {
                    result: to_object(&result),
                });
            }
        });
        entries.insert(
            id.to_string(),
            Entry {
                task: task.clone(),
                stage: Stage::Working,
                created: Instant::now(),
                finished: None,
                work: Some(work),
            },
        );
        task
    }

    /// `tasks/get`; None for an id this process does not know.
    pub fn get(&self, id: &str) -> Option<DetailedTask> {
        let mut entries = self.entries.lock().expect("task store lock");
        sweep(&mut entries);
        entries.get(id).map(Entry::detailed)
    }

    /// `tasks/update`: the answers to the outstanding question.
    pub fn update(
        &self,
        id: &str,
        responses: impl IntoIterator<Item = (String, Value)>,
    ) -> Result<(), ErrorData> {
        let mut entries = self.entries.lock().expect("task store lock");
        let entry = entries.get_mut(id).ok_or_else(|| unknown(id))?;
        for (key, value) in responses {
            let Stage::Asking { requests, .. } = &entry.stage else {
                break;
            };
            if !requests.contains_key(&key) {
                continue;
            }
            if let Stage::Asking { answer, .. } =
                std::mem::replace(&mut entry.stage, Stage::Working)
            {
                let _ = answer.send(value);
            }
            entry.task.status = TaskStatus::Working;
            entry.touch();
        }
        Ok(())
    }

    /// `tasks/cancel`: stops the waiting now; the thread goes on. A task
    /// already finished (completed, failed, cancelled) is an invalid-params
    /// error, as the tasks spec asks.
    pub fn cancel(&self, id: &str) -> Result<(), ErrorData> {
        let mut entries = self.entries.lock().expect("task store lock");
        let entry = entries.get_mut(id).ok_or_else(|| unknown(id))?;
        if matches!(entry.stage, Stage::Finished(_)) {
            let status = serde_json::to_value(entry.task.status).unwrap_or_default();
            return Err(ErrorData::invalid_params(
                format!(
                    "task {id} is already {}: there is nothing to cancel",
                    status.as_str().unwrap_or("finished")
                ),
                None,
            ));
        }
        entry.finish(TaskPayload::Cancelled);
        entry.task.status_message = Some(format!(
            "cancelled: lovart stopped waiting; the thread goes on (call `wait` with thread_id \"{id}\")"
        ));
        Ok(())
    }
}

/// The error for a task id that is neither known nor a saved thread.
pub fn unknown(id: &str) -> ErrorData {
    ErrorData::invalid_params(format!("no task {id}"), None)
}

/// Expires tasks past their TTL and keeps at most [`MAX_TASKS`].
fn sweep(entries: &mut HashMap<String, Entry>) {
    let now = Instant::now();
    for (id, entry) in entries.iter_mut() {
        if entry.finished.is_none() && now.duration_since(entry.created) > TASK_TTL {
            let mut error = JsonObject::new();
            error.insert("code".into(), Value::from(-32603));
            error.insert(
                "message".into(),
                Value::from(format!(
                    "the task expired; the thread goes on: call `wait` with thread_id \"{id}\""
                )),
            );
            entry.finish(TaskPayload::Failed { error });
        }
    }
    entries.retain(|_, entry| {
        entry
            .finished
            .is_none_or(|finished| now.duration_since(finished) <= TASK_TTL)
    });
    while entries.len() > MAX_TASKS {
        let oldest = entries
            .iter()
            .min_by_key(|(_, entry)| (entry.finished.is_none(), entry.created))
            .map(|(id, _)| id.clone());
        match oldest {
            Some(id) => {
                if let Some(mut entry) = entries.remove(&id) {
                    entry.finish(TaskPayload::Cancelled);
                }
            }
            None => break,
        }
    }
}

fn to_object(result: &CallToolResult) -> JsonObject {
    match serde_json::to_value(result) {
        Ok(Value::Object(object)) => object,
        _ => JsonObject::new(),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::ContentBlock;
    use serde_json::json;

    fn done() -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::text("done")])
    }

    #[tokio::test]
    async fn a_task_works_then_completes_with_its_result() {
        let tasks = Tasks::default();
        let (go, wait) = oneshot::channel::<()>();
        let task = tasks.start("t1", "running", |link| async move {
            link.status("status: running");
            let _ = wait.await;
            done()
        });
        assert_eq!(task.task_id, "t1");
        assert_eq!(task.ttl_ms, Some(7_200_000), "2 h");
        tokio::task::yield_now().await;
        let seen = tasks.get("t1").unwrap();
        assert_eq!(seen.status(), TaskStatus::Working);
        go.send(()).unwrap();
        for _ in 0..100 {
            if tasks.get("t1").unwrap().status() == TaskStatus::Completed {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let TaskPayload::Completed { result } = tasks.get("t1").unwrap().payload else {
            panic!("not completed")
        };
        assert_eq!(result["content"][0]["text"], "done");
        let finished = tasks.cancel("t1").unwrap_err();
        assert!(
            finished.message.contains("already completed"),
            "{finished:?}"
        );
        assert_eq!(tasks.get("t1").unwrap().status(), TaskStatus::Completed);
    }

    #[tokio::test]
    async fn a_question_is_input_required_until_answered_and_cancel_stops_the_work() {
        let tasks = Tasks::default();
        let request = super::super::confirmation::elicitation(&json!({"estimated_cost": 40}));
        tasks.start("t2", "running", |link| async move {
            let answer = link.ask("confirm", request).await;
            link.status(format!("answered {answer:?}"));
            std::future::pending::<()>().await;
            done()
        });
        for _ in 0..100 {
            if tasks.get("t2").unwrap().status() == TaskStatus::InputRequired {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(tasks.get("t2").unwrap().status(), TaskStatus::InputRequired);
        tasks
            .update(
                "t2",
                [("confirm".to_string(), json!({"action": "decline"}))],
            )
            .unwrap();
        assert_eq!(tasks.get("t2").unwrap().status(), TaskStatus::Working);
        tasks.cancel("t2").unwrap();
        assert_eq!(tasks.get("t2").unwrap().status(), TaskStatus::Cancelled);
        let again = tasks.cancel("t2").unwrap_err();
        assert_eq!(again.code, rmcp::model::ErrorCode::INVALID_PARAMS);
        assert!(again.message.contains("already cancelled"), "{again:?}");
        assert!(tasks.cancel("nope").is_err());
        assert!(!tasks.is_working("t2"));
    }
}
