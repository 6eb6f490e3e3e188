//! The local state file, `~/.lovart/state.json`.
//!
//! Same schema, key order and formatting as the reference, so both programs
//! read each other's files. Unlike the reference, every read-modify-write runs
//! under an exclusive lock and replaces the file atomically, and a corrupt file
//! is moved aside instead of being wiped.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use serde_json::{Map, Value};

use crate::events::EventSink;

/// How many threads the file keeps, newest first.
const MAX_THREADS: usize = 50;

/// Where the state lives and how it is read and written.
pub struct StateStore {
    path: PathBuf,
    /// Where a state moved aside is reported.
    events: EventSink,
}

/// The state file's exclusive lock, held until dropped.
pub struct StateLock<'a> {
    store: &'a StateStore,
    file: fs::File,
}

impl StateLock<'_> {
    /// Loads, applies `change`, and saves atomically when it changed anything.
    pub fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> Result<R> {
        let store = self.store;
        let mut state = match store.read()? {
            Read::Ok(data) => State { data, dirty: false },
            Read::Legacy(data) => State::migrated(data),
            Read::Corrupt => {
                store.move_aside()?;
                State::default()
            }
        };
        let result = change(&mut state);
        if state.dirty {
            store.save(&state.data)?;
        }
        Ok(result)
    }
}

impl Drop for StateLock<'_> {
    fn drop(&mut self) {
        // Closing the file would release the lock too.
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

/// The parsed state: an open JSON map, so unknown keys survive a rewrite.
#[derive(Debug, Clone, Default)]
pub struct State {
    data: Map<String, Value>,
    dirty: bool,
}

/// What reading the file found.
enum Read {
    Ok(Map<String, Value>),
    /// The legacy flat form, still to be migrated.
    Legacy(Map<String, Value>),
    Corrupt,
}

/// `time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime())`.
fn now() -> String {
    chrono::Local::now()
        .format("%Y-%m-%dT%H:%M:%S%z")
        .to_string()
}

/// `path` with `suffix` appended to its file name.
fn sidecar(path: &Path, suffix: &str) -> Result<PathBuf> {
    let mut name = path
        .file_name()
        .ok_or_else(|| anyhow!("state path {} has no file name", path.display()))?
        .to_os_string();
    name.push(suffix);
    Ok(path.with_file_name(name))
}

/// `.<file name>.tmp-`: the start of the state's temporary files.
fn temp_prefix(target: &Path) -> String {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.tmp-")
}

/// The folder holding `path` (`.` for a bare file name).
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// The file a (chain of) symlink(s) points at, so a save replaces the target
/// and keeps the link.
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current)
                    .with_context(|| format!("cannot read the link {}", current.display()))?;
                current = folder(&current).join(target);
            }
            _ => return Ok(current),
        }
    }
    Err(anyhow!(
        "too many levels of symbolic links at {}",
        path.display()
    ))
}

impl StateStore {
    /// The state file at `path` (read and written only when used).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            events: EventSink::silent(),
        }
    }

    /// Reports to `events` (a corrupt state moved aside is a warning).
    pub fn set_events(&mut self, events: EventSink) {
        self.events = events;
    }

    /// `$LOVART_HOME/state.json` when `LOVART_HOME` is set (a sandbox keeps
    /// its projects apart from a real account's that way), else
    /// `$HOME/.lovart/state.json` as in the reference.
    pub fn default_path(lovart_home: Option<&std::ffi::OsString>) -> Result<PathBuf> {
        if let Some(folder) = lovart_home.filter(|folder| !folder.is_empty()) {
            return Ok(PathBuf::from(folder).join("state.json"));
        }
        let home = platform::home_dir().ok_or_else(|| anyhow!("cannot find the home directory"))?;
        Ok(home.join(".lovart").join("state.json"))
    }

    /// Reads the state without writing anything: no migration saved, no
    /// corrupt file moved aside (`doctor` and id look-ups only look).
    /// `Ok(None)` when the file is not valid JSON.
    pub fn peek(&self) -> Result<Option<State>> {
        Ok(match self.read()? {
            Read::Ok(data) => Some(State { data, dirty: false }),
            Read::Legacy(data) => Some(State::migrated(data)),
            Read::Corrupt => None,
        })
    }

    /// The state file's path (it may not exist yet).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder of the state file, where its companions live.
    pub fn folder(&self) -> &Path {
        folder(&self.path)
    }

    /// Reads the state (a missing or empty file is an empty state). The legacy
    /// flat form is migrated and saved at once; a file that is not JSON is moved
    /// aside with a warning on stderr.
    pub fn load(&self) -> Result<State> {
        match self.read()? {
            Read::Ok(data) => Ok(State { data, dirty: false }),
            // Migrating and moving aside both write, so they take the lock.
            Read::Legacy(_) | Read::Corrupt => {
                let data = self.update(|state| state.data.clone())?;
                Ok(State { data, dirty: false })
            }
        }
    }

    /// Locks, loads, applies `change`, and saves atomically when it changed anything.
    pub fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> Result<R> {
        self.lock()?.update(change)
    }

    /// Takes the exclusive lock until the returned guard is dropped: for a
    /// decision that needs the network in between (creating the first project),
    /// so that a parallel run waits and then sees its outcome.
    pub fn lock(&self) -> Result<StateLock<'_>> {
        let dir = folder(&self.path);
        platform::create_private_dir(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        let lock_path = sidecar(&self.path, ".lock")?;
        let file = platform::open_lock_file(&lock_path)
            .with_context(|| format!("cannot open the lock file {}", lock_path.display()))?;
        fs4::FileExt::lock(&file)
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        self.sweep_temp_files();
        Ok(StateLock { store: self, file })
    }

    /// Reads and parses the file, without side effects.
    fn read(&self) -> Result<Read> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Read::Ok(Map::new())),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", self.path.display()));
            }
        };
        if bytes
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            return Ok(Read::Ok(Map::new()));
        }
        Ok(match crate::python::loads_bytes(&bytes) {
            Ok(Value::Object(data))
                if data.contains_key("project_id") && !data.contains_key("projects") =>
            {
                Read::Legacy(data)
            }
            Ok(Value::Object(data)) => Read::Ok(data),
            _ => Read::Corrupt,
        })
    }

    /// Renames a corrupt file to `<name>.corrupt-<timestamp>` and says so on stderr.
    fn move_aside(&self) -> Result<()> {
        let target = resolve_links(&self.path)?;
        let stamp = chrono::Local::now().format("%Y%m%dT%H%M%S").to_string();
        let mut aside = sidecar(&target, &format!(".corrupt-{stamp}"))?;
        let mut n = 1;
        while fs::symlink_metadata(&aside).is_ok() {
            n += 1;
            aside = sidecar(&target, &format!(".corrupt-{stamp}-{n}"))?;
        }
        fs::rename(&target, &aside)
            .with_context(|| format!("cannot move {} aside", target.display()))?;
        self.events.warning(&format!(
            "{} is not valid JSON; moved it to {} and started from an empty state",
            self.path.display(),
            aside.display()
        ));
        Ok(())
    }

    /// Removes temporary files a killed write left next to the state file.
    /// Runs under the lock, so no live write owns one: ours (`.<name>.tmp-*`)
    /// go at any age, older builds' `.tmpXXXXXX` once an hour old.
    fn sweep_temp_files(&self) {
        let Ok(target) = resolve_links(&self.path) else {
            return;
        };
        let ours = temp_prefix(&target);
        let Ok(entries) = fs::read_dir(folder(&target)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let legacy = name.len() == 10
                && name.starts_with(".tmp")
                && name[4..].bytes().all(|b| b.is_ascii_alphanumeric());
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let hour_old = meta
                .modified()
                .ok()
                .and_then(|time| time.elapsed().ok())
                .is_some_and(|age| age.as_secs() >= 3600);
            if meta.is_file() && (name.starts_with(&ours) || (legacy && hour_old)) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Writes `data` as the reference does (indent 2, no ASCII escaping, no
    /// final newline) to a temporary file next to the target, then renames it over.
    fn save(&self, data: &Map<String, Value>) -> Result<()> {
        let text = crate::python::dumps_pretty(&Value::Object(data.clone()), false);
        let target = resolve_links(&self.path)?;
        let dir = folder(&target);
        let context = || format!("cannot write {}", target.display());
        let mut temp = tempfile::Builder::new()
            .prefix(&temp_prefix(&target))
            .tempfile_in(dir)
            .with_context(context)?;
        temp.write_all(text.as_bytes()).with_context(context)?;
        temp.as_file().sync_all().with_context(context)?;
        platform::make_private(temp.as_file()).with_context(context)?;
        temp.persist(&target)
            .map_err(|e| e.error)
            .with_context(context)?;
        // Make the rename durable; not every filesystem lets a folder be synced.
        if let Ok(handle) = fs::File::open(dir) {
            let _ = handle.sync_all();
        }
        Ok(())
    }
}

mod data;
pub mod pending_sends;
mod platform;
#[cfg(test)]
mod tests;
