//! Everything the sandbox remembers: projects, threads, files, the account's
//! mode, the rate windows and answered keys ([`super::limits`]), the request
//! journal and the clock.
//!
//! One mutex guards the state; handlers hold it only between awaits, never
//! across one. Files are descriptions, not bytes (see [`super::media`]),
//! except uploads, which go to the data folder's `uploads/` (see
//! [`super::store`]) or, for an ephemeral sandbox, a temporary folder removed
//! with the server.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};

use anyhow::Context;

use super::SandboxOptions;
use super::journal::Journal;
use super::media::{self, ArtifactKind, FileSpec};
use super::scenario::{Plot, Scenario};
use super::store::Store;
use super::thread::{self, Artifact, Thread, Turn, TurnPlan};

pub struct World {
    pub options: SandboxOptions,
    pub journal: Journal,
    pub rate: super::limits::Limiter,
    state: Mutex<State>,
    clock_offset: AtomicI64,
    uploads: Uploads,
    /// The data folder, when the world outlives the process.
    store: Option<Store>,
}

/// Where uploaded files go.
enum Uploads {
    Temporary(tempfile::TempDir),
    Kept(PathBuf),
}

#[derive(Default)]
pub struct State {
    pub projects: HashMap<String, Project>,
    pub threads: HashMap<String, Thread>,
    /// Files by their decoded path (`/files/…`).
    pub files: HashMap<String, StoredFile>,
    /// The account's billing mode: unlimited needs no confirmations.
    pub unlimited: bool,
}

#[derive(Debug, Default)]
pub struct Project {
    pub name: String,
    /// `(artifact_id, artifact_type, artifact_content)` of `/artifact/upload`.
    pub artifacts: Vec<(String, String, String)>,
}

pub struct StoredFile {
    pub spec: FileSpec,
    /// `slowfile`: sent in small pieces with pauses.
    pub slow: bool,
}

impl World {
    /// A world read from `options.data_dir` (created if missing), or an
    /// empty one that lives only in memory.
    pub fn new(options: SandboxOptions) -> anyhow::Result<Self> {
        let (store, state, uploads) = match &options.data_dir {
            Some(folder) => {
                let (store, state) = Store::open(folder)?;
                let uploads = Uploads::Kept(store.uploads());
                (Some(store), state, uploads)
            }
            None => {
                let uploads = tempfile::Builder::new()
                    .prefix("lovart-sandbox-")
                    .tempdir()
                    .context("cannot create the sandbox's upload folder")?;
                (None, State::default(), Uploads::Temporary(uploads))
            }
        };
        Ok(Self {
            options,
            journal: Journal::default(),
            rate: super::limits::Limiter::default(),
            state: Mutex::new(state),
            clock_offset: AtomicI64::new(0),
            uploads,
            store,
        })
    }

    /// The data folder's store, when there is one.
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// The state, even if a handler panicked while holding it.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The server's Unix time in seconds, skewed by the test knob.
    pub fn unix_now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::Relaxed)
    }

    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }

    pub fn upload_dir(&self) -> &Path {
        match &self.uploads {
            Uploads::Temporary(folder) => folder.path(),
            Uploads::Kept(folder) => folder,
        }
    }
}

/// A fresh id: 32 lowercase hex digits.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl State {
    /// Plans a turn of `prompt` on thread `thread_id`, numbering its artifacts
    /// after the `numbered` ones the thread already has, and registers their
    /// files. Returns the turn and the new artifact count.
    pub fn plan_turn(
        &mut self,
        thread_id: &str,
        numbered: usize,
        prompt: &str,
        scenario: Scenario,
    ) -> (Turn, usize) {
        let (kind, count) = match scenario.plot {
            Plot::Image => (ArtifactKind::Image, 1),
            Plot::Variations => (ArtifactKind::Image, 4),
            Plot::Video => (ArtifactKind::Video, 1),
            Plot::Audio => (ArtifactKind::Audio, 1),
            Plot::Model3d => (ArtifactKind::Model3d, 1),
            Plot::Refusal | Plot::Abort | Plot::Forever => (ArtifactKind::Image, 0),
        };
        let mut number = numbered;
        let mut artifacts = Vec::new();
        for index in 0..count {
            number += 1;
            let (kind, spec) = if scenario.big_file && index == 0 {
                (ArtifactKind::Image, FileSpec::BigImage)
            } else {
                let seed = media::seed(prompt, number);
                let spec = match kind {
                    ArtifactKind::Image => FileSpec::Image { seed },
                    ArtifactKind::Video => FileSpec::Video,
                    ArtifactKind::Audio => FileSpec::Audio { seed },
                    ArtifactKind::Model3d => FileSpec::Model3d,
                };
                (kind, spec)
            };
            let extension = match kind {
                _ if scenario.no_extension => "",
                ArtifactKind::Image => ".png",
                ArtifactKind::Video => ".mp4",
                ArtifactKind::Audio => ".wav",
                ArtifactKind::Model3d => ".glb",
            };
            let path = format!("/files/{thread_id}/{number}{extension}");
            self.files.insert(
                path.clone(),
                StoredFile {
                    spec,
                    slow: scenario.slow_file,
                },
            );
            artifacts.push(Artifact { kind, path });
        }
        if scenario.broken_link && count > 0 {
            // Listed in the result, never registered: the URL answers 404.
            number += 1;
            let path = format!("/files/{thread_id}/{number}.png");
            artifacts.push(Artifact {
                kind: ArtifactKind::Image,
                path,
            });
        }
        let subject = subject(prompt);
        let text = thread::assistant_text(scenario.plot, &subject, artifacts.len());
        let confirmation =
            (scenario.plot == Plot::Video && !self.unlimited).then(thread::confirmation_text);
        let plan = TurnPlan {
            scenario,
            text,
            artifacts,
            confirmation,
        };
        (Turn::new(plan), number)
    }
}

/// The prompt as the assistant quotes it: one line, at most 60 characters.
fn subject(prompt: &str) -> String {
    let words: Vec<&str> = prompt.split_whitespace().collect();
    let line = words.join(" ");
    match line.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_one_short_line() {
        assert_eq!(subject("  a\n cat  "), "a cat");
        assert_eq!(subject(&"x".repeat(70)).chars().count(), 61);
    }
}
