//! The data folder: what makes the sandbox a server that remembers.
//!
//! With a data folder (`lovart sandbox` has one by default), the world's
//! projects, threads, files and mode are written to `<folder>/sandbox.json`
//! after every request that could change them, before the answer leaves, and
//! read back at start-up; uploads live in `<folder>/uploads/`. So a client
//! that recorded a project id, a thread id or an artifact URL finds it again
//! after a restart. Without one (tests, `--ephemeral`) nothing touches the disk
//! but a temporary upload folder, and a request costs nothing extra.
//!
//! The file is JSON written by hand (the crate has no serde derive): a
//! snapshot replaced atomically (temporary file, then rename). A file that
//! cannot be read back is moved aside with a warning, never deleted. The rate
//! window and the request journal are not kept: they describe this run only.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::media::FileSpec;
use super::records::{self, Project, StoredFile};
use super::thread::saved;

/// The snapshot's file name inside the data folder.
const SNAPSHOT: &str = "sandbox.json";
/// The snapshot's format; a newer one is moved aside rather than misread.
const VERSION: u64 = 1;

/// Where a sandbox with a data folder keeps its world.
pub struct Store {
    folder: PathBuf,
    /// One save at a time, so that the last snapshot written is the newest.
    saving: Mutex<()>,
}

impl Store {
    /// Opens (creating) the data folder and reads the saved world, if any.
    pub fn open(folder: &Path) -> Result<(Self, records::State)> {
        fs::create_dir_all(folder.join("uploads"))
            .with_context(|| format!("cannot create the data folder {}", folder.display()))?;
        let store = Self {
            folder: folder.to_path_buf(),
            saving: Mutex::new(()),
        };
        let path = store.snapshot_path();
        let state = match fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|value| restore(&value))
            {
                Some(state) => state,
                None => {
                    let aside = path.with_extension(format!(
                        "json.unreadable-{}",
                        chrono::Local::now().format("%Y%m%dT%H%M%S")
                    ));
                    fs::rename(&path, &aside)
                        .with_context(|| format!("cannot move {} aside", path.display()))?;
                    eprintln!(
                        "warning: {} could not be read; moved it to {} and started empty",
                        path.display(),
                        aside.display()
                    );
                    records::State::default()
                }
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => records::State::default(),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        Ok((store, state))
    }

    pub fn uploads(&self) -> PathBuf {
        self.folder.join("uploads")
    }

    fn snapshot_path(&self) -> PathBuf {
        self.folder.join(SNAPSHOT)
    }

    /// Writes the current state.
    pub fn save(&self, state: &Mutex<records::State>) -> Result<()> {
        let _one_at_a_time = self
            .saving
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let text = {
            let state = state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            serde_json::to_string(&snapshot(&state))?
        };
        let path = self.snapshot_path();
        let mut temp = tempfile::NamedTempFile::new_in(&self.folder)
            .with_context(|| format!("cannot write {}", path.display()))?;
        temp.write_all(text.as_bytes())?;
        temp.persist(&path)
            .map_err(|error| error.error)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}

/// What the save-after-request middleware works with: the data folder and the
/// state it saves.
#[derive(Clone)]
pub struct Saver {
    pub store: Arc<Store>,
    pub state: Arc<Mutex<records::State>>,
}

/// Middleware: after any request that may have changed the world (all but
/// file downloads and the catalog), save it before the answer goes out.
pub async fn persist(State(saver): State<Saver>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let read_only = path.starts_with("/files/")
        || path == lovart_wire::paths::full(lovart_wire::paths::TOOLS_CATALOG);
    let response = next.run(request).await;
    if !read_only && let Err(why) = saver.store.save(&saver.state) {
        eprintln!("warning: the sandbox could not save its world: {why:#}");
    }
    response
}

fn snapshot(state: &records::State) -> Value {
    let projects: Map<String, Value> = state
        .projects
        .iter()
        .map(|(id, project)| {
            let artifacts: Vec<Value> = project
                .artifacts
                .iter()
                .map(|(artifact_id, kind, content)| json!([artifact_id, kind, content]))
                .collect();
            (
                id.clone(),
                json!({"name": project.name, "artifacts": artifacts}),
            )
        })
        .collect();
    let threads: Map<String, Value> = state
        .threads
        .iter()
        .map(|(id, thread)| (id.clone(), saved::thread(thread)))
        .collect();
    let files: Map<String, Value> = state
        .files
        .iter()
        .map(|(path, file)| {
            let mut spec = file_spec(&file.spec);
            spec["slow"] = json!(file.slow);
            (path.clone(), spec)
        })
        .collect();
    json!({
        "version": VERSION,
        "unlimited": state.unlimited,
        "projects": projects,
        "threads": threads,
        "files": files,
    })
}

fn restore(value: &Value) -> Option<records::State> {
    if value.get("version")?.as_u64()? != VERSION {
        return None;
    }
    let mut state = records::State {
        unlimited: value.get("unlimited")?.as_bool()?,
        ..records::State::default()
    };
    for (id, project) in value.get("projects")?.as_object()? {
        let artifacts = project
            .get("artifacts")?
            .as_array()?
            .iter()
            .map(|triple| {
                let text = |index: usize| Some(triple.get(index)?.as_str()?.to_owned());
                Some((text(0)?, text(1)?, text(2)?))
            })
            .collect::<Option<Vec<_>>>()?;
        let name = project.get("name")?.as_str()?.to_owned();
        state
            .projects
            .insert(id.clone(), Project { name, artifacts });
    }
    let threads: Option<HashMap<_, _>> = value
        .get("threads")?
        .as_object()?
        .iter()
        .map(|(id, thread)| Some((id.clone(), saved::restore_thread(thread)?)))
        .collect();
    state.threads = threads?;
    for (path, file) in value.get("files")?.as_object()? {
        let slow = file.get("slow").and_then(Value::as_bool).unwrap_or(false);
        let spec = restore_file_spec(file)?;
        state.files.insert(path.clone(), StoredFile { spec, slow });
    }
    Some(state)
}

fn file_spec(spec: &FileSpec) -> Value {
    match spec {
        FileSpec::Image { seed } => json!({"kind": "image", "seed": hex(seed)}),
        FileSpec::BigImage => json!({"kind": "big_image"}),
        FileSpec::Audio { seed } => json!({"kind": "audio", "seed": hex(seed)}),
        FileSpec::Model3d => json!({"kind": "model3d"}),
        FileSpec::Video => json!({"kind": "video"}),
        FileSpec::Upload {
            path,
            len,
            content_type,
        } => json!({
            "kind": "upload",
            "path": path.to_string_lossy(),
            "len": len,
            "content_type": content_type,
        }),
    }
}

fn restore_file_spec(value: &Value) -> Option<FileSpec> {
    let seed = || unhex(value.get("seed")?.as_str()?);
    Some(match value.get("kind")?.as_str()? {
        "image" => FileSpec::Image { seed: seed()? },
        "big_image" => FileSpec::BigImage,
        "audio" => FileSpec::Audio { seed: seed()? },
        "model3d" => FileSpec::Model3d,
        "video" => FileSpec::Video,
        "upload" => FileSpec::Upload {
            path: PathBuf::from(value.get("path")?.as_str()?),
            len: value.get("len")?.as_u64()?,
            content_type: value.get("content_type")?.as_str()?.to_owned(),
        },
        _ => return None,
    })
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut seed = [0u8; 32];
    for (index, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn a_world_survives_a_round_trip_through_its_snapshot() {
        let mut state = records::State {
            unlimited: true,
            ..records::State::default()
        };
        state.projects.insert(
            "p1".into(),
            Project {
                name: "Posters".into(),
                artifacts: vec![("a1".into(), "image".into(), "http://x/a.png".into())],
            },
        );
        let (turn, count) = state.plan_turn(
            "t1",
            0,
            "4 images of a cat",
            Scenario::from_prompt("4 images"),
        );
        state
            .threads
            .insert("t1".into(), crate::thread::Thread::new(turn, count));
        let first = snapshot(&state);
        let restored = restore(&first).expect("restorable");
        assert_eq!(snapshot(&restored)["projects"], first["projects"]);
        assert_eq!(snapshot(&restored)["files"], first["files"]);
        assert_eq!(restored.files.len(), 4);
        assert!(restored.unlimited);
        let thread = &restored.threads["t1"];
        assert_eq!(
            thread.result("t1", "http://h", true),
            state.threads["t1"].result("t1", "http://h", true)
        );
    }

    #[test]
    fn seeds_round_trip_as_hex() {
        let seed = [0xa5u8; 32];
        assert_eq!(unhex(&hex(&seed)), Some(seed));
        assert_eq!(unhex("zz"), None);
    }
}
