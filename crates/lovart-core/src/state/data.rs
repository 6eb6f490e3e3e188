//! The state's data and its edits, as the reference makes them: projects
//! (added, renamed, switched, removed) and the thread history (newest first,
//! updated in place, 50 kept). The file itself is [`super::StateStore`]'s.

use serde_json::{Map, Value};

use super::{MAX_THREADS, State, now};

impl State {
    /// The whole map, as `config --json` prints it.
    pub fn data(&self) -> &Map<String, Value> {
        &self.data
    }

    /// The legacy `{"project_id": id, ...}` form turned into a project named "default".
    pub(super) fn migrated(mut data: Map<String, Value>) -> Self {
        let old = data.shift_remove("project_id").unwrap_or(Value::Null);
        data.insert("active_project".into(), old.clone());
        let mut project = Map::new();
        project.insert("name".into(), "default".into());
        project.insert("created_at".into(), now().into());
        let mut projects = Map::new();
        // Python would use any hashable value as the key; JSON keys are strings.
        let key = match &old {
            Value::String(id) => id.clone(),
            other => crate::python::dumps_compact(other, false),
        };
        projects.insert(key, Value::Object(project));
        data.insert("projects".into(), Value::Object(projects));
        Self { data, dirty: true }
    }

    /// `data.setdefault("projects", {})`; a non-object value is replaced in place.
    fn projects_mut(&mut self) -> &mut Map<String, Value> {
        let slot = self
            .data
            .entry("projects")
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        slot.as_object_mut().expect("just made an object")
    }

    fn projects(&self) -> Option<&Map<String, Value>> {
        self.data.get("projects").and_then(Value::as_object)
    }

    /// The thread list (empty when missing or not a list).
    fn thread_list(&self) -> Vec<Value> {
        match self.data.get("threads") {
            Some(Value::Array(threads)) => threads.clone(),
            _ => Vec::new(),
        }
    }

    /// Sets `name` on a project entry, in place (a non-object entry becomes one).
    fn set_name(entry: &mut Value, name: &str) {
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        if let Value::Object(project) = entry {
            project.insert("name".into(), name.into());
        }
    }

    /// `active_project` when it is a string.
    pub fn active_project(&self) -> Option<String> {
        self.data
            .get("active_project")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The `name` of a known project as Python's `str()` prints it; empty when
    /// the project or its name is missing.
    pub fn project_name(&self, project_id: &str) -> String {
        self.data
            .get("projects")
            .and_then(|projects| projects.get(project_id))
            .and_then(|project| project.get("name"))
            .map(crate::python::py_str)
            .unwrap_or_default()
    }

    /// Adds the project (named `name`, or the id's first 8 characters) or renames a known
    /// one when `name` is not empty, and makes it active.
    pub fn add_project(&mut self, project_id: &str, name: &str) {
        let projects = self.projects_mut();
        match projects.get_mut(project_id) {
            None => {
                let name = if name.is_empty() {
                    project_id.chars().take(8).collect()
                } else {
                    name.to_owned()
                };
                let mut project = Map::new();
                project.insert("name".into(), name.into());
                project.insert("created_at".into(), now().into());
                projects.insert(project_id.to_owned(), Value::Object(project));
            }
            Some(entry) if !name.is_empty() => Self::set_name(entry, name),
            Some(_) => {}
        }
        self.data.insert("active_project".into(), project_id.into());
        self.dirty = true;
    }

    /// Ids of known projects that start with `prefix`, in file order.
    pub fn project_ids_starting_with(&self, prefix: &str) -> Vec<String> {
        self.projects()
            .map(|projects| {
                projects
                    .keys()
                    .filter(|id| id.starts_with(prefix))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether a project with exactly this id is known.
    pub fn has_project(&self, project_id: &str) -> bool {
        self.projects()
            .is_some_and(|projects| projects.contains_key(project_id))
    }

    /// Ids of saved threads (newest first), each once.
    pub fn thread_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for thread in self.thread_list() {
            if let Some(id) = thread.get("id").and_then(Value::as_str)
                && !ids.iter().any(|known| known == id)
            {
                ids.push(id.to_owned());
            }
        }
        ids
    }

    /// Switches to a known id, or to the one id starting with `id_or_prefix`. Returns the full id.
    pub fn switch_project(&mut self, id_or_prefix: &str) -> Option<String> {
        let projects = self.projects()?;
        let full = if projects.contains_key(id_or_prefix) {
            id_or_prefix.to_owned()
        } else {
            let mut matches = projects.keys().filter(|id| id.starts_with(id_or_prefix));
            match (matches.next(), matches.next()) {
                (Some(only), None) => only.clone(),
                _ => return None,
            }
        };
        self.data
            .insert("active_project".into(), full.clone().into());
        self.dirty = true;
        Some(full)
    }

    /// Renames a known project; an unknown one leaves the state unchanged (and unsaved).
    pub fn rename_project(&mut self, project_id: &str, name: &str) {
        let entry = self
            .data
            .get_mut("projects")
            .and_then(Value::as_object_mut)
            .and_then(|p| p.get_mut(project_id));
        if let Some(entry) = entry {
            Self::set_name(entry, name);
            self.dirty = true;
        }
    }

    /// Removes the project and its threads; the first remaining project (or null) becomes active.
    pub fn remove_project(&mut self, project_id: &str) {
        let projects = self.data.get_mut("projects").and_then(Value::as_object_mut);
        let first = projects.and_then(|projects| {
            projects.shift_remove(project_id);
            projects.keys().next().cloned()
        });
        if self.data.get("active_project").and_then(Value::as_str) == Some(project_id) {
            self.data.insert(
                "active_project".into(),
                first.map_or(Value::Null, Value::String),
            );
        }
        let threads: Vec<Value> = self
            .thread_list()
            .into_iter()
            .filter(|t| t.get("project_id").and_then(Value::as_str) != Some(project_id))
            .collect();
        self.data.insert("threads".into(), Value::Array(threads));
        self.dirty = true;
    }

    /// The project a saved thread was recorded under, if any.
    pub fn project_of_thread(&self, thread_id: &str) -> Option<String> {
        self.thread_list()
            .iter()
            .find(|t| t.get("id").and_then(Value::as_str) == Some(thread_id))
            .and_then(|t| t.get("project_id"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// Threads of one project, or all of them.
    pub fn threads(&self, project_id: Option<&str>) -> Vec<Value> {
        let threads = self.thread_list();
        match project_id {
            // `if project_id:` in the reference: an empty id means all threads.
            Some(pid) if !pid.is_empty() => threads
                .into_iter()
                .filter(|t| t.get("project_id").and_then(Value::as_str) == Some(pid))
                .collect(),
            _ => threads,
        }
    }

    /// Inserts the thread first, or updates it in place; keeps 50. `project_id`
    /// None means the active project, as in the reference.
    pub fn upsert_thread(&mut self, thread_id: &str, topic: &str, project_id: Option<&str>) {
        let pid = match project_id {
            Some(pid) if !pid.is_empty() => Value::from(pid),
            _ => self
                .data
                .get("active_project")
                .cloned()
                .unwrap_or(Value::Null),
        };
        let mut threads = self.thread_list();
        let existing = threads
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .find(|t| t.get("id").and_then(Value::as_str) == Some(thread_id));
        if let Some(thread) = existing {
            thread.insert("topic".into(), topic.into());
            thread.insert("project_id".into(), pid);
            thread.insert("updated_at".into(), now().into());
        } else {
            let mut thread = Map::new();
            thread.insert("id".into(), thread_id.into());
            thread.insert("project_id".into(), pid);
            thread.insert("topic".into(), topic.into());
            thread.insert("updated_at".into(), now().into());
            threads.insert(0, Value::Object(thread));
        }
        threads.truncate(MAX_THREADS);
        self.data.insert("threads".into(), Value::Array(threads));
        self.dirty = true;
    }

    /// Removes the thread `thread_id` from the list, if it is there.
    pub fn remove_thread(&mut self, thread_id: &str) {
        let threads: Vec<Value> = self
            .thread_list()
            .into_iter()
            .filter(|t| t.get("id").and_then(Value::as_str) != Some(thread_id))
            .collect();
        self.data.insert("threads".into(), Value::Array(threads));
        self.dirty = true;
    }
}
