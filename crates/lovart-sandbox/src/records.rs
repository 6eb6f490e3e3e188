//! What the sandbox remembers, as plain data: projects, threads, files and the
//! account's mode ([`State`]), and how a prompt's turn is planned into it.
//!
//! The data knows nothing of the server around it: [`super::world`] holds it
//! behind a mutex, [`super::store`] writes it to the data folder, and the
//! handlers change it.

use std::collections::HashMap;

use super::media::{self, ArtifactKind, FileSpec};
use super::scenario::{Plot, Scenario};
use super::thread::{self, Artifact, Thread, Turn, TurnPlan};

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
