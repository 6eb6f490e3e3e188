//! The local state file, `~/.lovart/state.json`.
//!
//! Same schema, key order and formatting as the reference, so both programs
//! read each other's files. Unlike the reference, every read-modify-write runs
//! under an exclusive lock and replaces the file atomically, and a corrupt file
//! is moved aside instead of being wiped.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Map, Value};

/// Where the state lives and how it is read and written.
pub struct StateStore {
    path: PathBuf,
}

/// The parsed state: an open JSON map, so unknown keys survive a rewrite.
#[derive(Debug, Clone, Default)]
pub struct State {
    data: Map<String, Value>,
    dirty: bool,
}

impl StateStore {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// `$HOME/.lovart/state.json`.
    pub fn default_path() -> Result<PathBuf> {
        todo!()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the state (a missing or empty file is an empty state). The legacy
    /// flat form is migrated and saved at once; a file that is not JSON is moved
    /// aside with a warning on stderr.
    pub fn load(&self) -> Result<State> {
        todo!()
    }

    /// Locks, loads, applies `change`, and saves atomically when it changed anything.
    pub fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> Result<R> {
        let _ = change;
        todo!()
    }
}

impl State {
    /// The whole map, as `config --json` prints it.
    pub fn data(&self) -> &Map<String, Value> {
        &self.data
    }

    /// `active_project` when it is a string.
    pub fn active_project(&self) -> Option<String> {
        todo!()
    }

    /// Adds the project (named `name`, or the id's first 8 characters) or renames a known
    /// one when `name` is not empty, and makes it active.
    pub fn add_project(&mut self, project_id: &str, name: &str) {
        let _ = (project_id, name);
        todo!()
    }

    /// Switches to a known id, or to the one id starting with `id_or_prefix`. Returns the full id.
    pub fn switch_project(&mut self, id_or_prefix: &str) -> Option<String> {
        let _ = id_or_prefix;
        todo!()
    }

    /// Renames a known project; an unknown one leaves the state unchanged (and unsaved).
    pub fn rename_project(&mut self, project_id: &str, name: &str) {
        let _ = (project_id, name);
        todo!()
    }

    /// Removes the project and its threads; the first remaining project (or null) becomes active.
    pub fn remove_project(&mut self, project_id: &str) {
        let _ = project_id;
        todo!()
    }

    /// Threads of one project, or all of them.
    pub fn threads(&self, project_id: Option<&str>) -> Vec<Value> {
        let _ = project_id;
        todo!()
    }

    /// Inserts the thread first, or updates it in place; keeps 50. `project_id`
    /// None means the active project, as in the reference.
    pub fn upsert_thread(&mut self, thread_id: &str, topic: &str, project_id: Option<&str>) {
        let _ = (thread_id, topic, project_id);
        todo!()
    }

    pub fn remove_thread(&mut self, thread_id: &str) {
        let _ = thread_id;
        todo!()
    }
}
