//! Downloads named by a template (`--name`), and what every download records.
//!
//! A templated file is fetched into the output folder's temporary file first,
//! so that `{ext}` is the real type ([`crate::files::media`]: Content-Type,
//! then magic bytes, else the URL's extension); then it takes the first free
//! name of `name`, `name-2`, `name-3`, … (created with no-clobber, so two runs
//! at once never overwrite each other). A URL already downloaded into the
//! output folder (the history or a sidecar says which file holds it) is not
//! fetched again: its file is reported with `"new": false`, as the
//! reference's names are.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::Value;

use super::{ArtifactRef, Downloader, extension_for};
use crate::events::EventSink;
use crate::files::history::History;
use crate::files::media;
use crate::files::naming::{NameFields, NameTemplate, RenderedName};
use crate::files::record::{FileRecord, Origin, sidecar_url, write_sidecar};

/// The most `-n` suffixes tried before giving up on a name.
const MAX_SUFFIX: u32 = 10_000;

/// How a result's files are named and described. The default is the
/// reference's: `<prefix>_<hash><ext>`, no sidecar.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    /// `--name`: a template instead of the reference's names.
    pub name: Option<NameTemplate>,
    /// `--sidecar`: `<file>.json` beside each file written.
    pub sidecar: bool,
    /// What the caller knows of the thread, for names and records.
    pub origin: Origin,
}

/// What a finished transfer was.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub size: u64,
    pub sha256: String,
    pub content_type: Option<String>,
    /// The first bytes, for the magic-number test.
    pub head: Vec<u8>,
}

impl Fetched {
    /// `(MIME type, extension)` when the answer or the bytes name a known type.
    fn media(&self) -> Option<(&'static str, &'static str)> {
        media::of_download(self.content_type.as_deref(), &self.head)
    }
}

/// Where an artifact ended up.
pub enum Placed {
    /// Already on disk (not fetched again).
    Kept(String),
    /// Written now.
    Written(String, Fetched),
}

/// What every artifact of one `download_all` shares: options, folder, one
/// clock reading, and (for templates) the history read once.
pub struct Batch<'a> {
    pub files: &'a FileOptions,
    pub output_dir: &'a str,
    pub prefix: &'a str,
    date: String,
    time: String,
    downloaded_at: String,
    /// History records, read only when a template needs them.
    known: Vec<Value>,
    /// The output folder as an absolute path.
    absolute_dir: PathBuf,
    /// Where a missing sidecar is reported.
    events: &'a EventSink,
    /// The files are named in their artifacts' order.
    pub turns: Turns,
}

/// The order in which a download's files take their names: each waits until
/// every artifact before it is placed (or failed), so a collision's `-2`
/// goes with the same artifact on every run, whichever transfer ends first.
/// Only the naming waits; the transfers run at once.
#[derive(Default)]
pub struct Turns {
    /// The indices (from 1) whose file is placed or failed.
    finished: std::sync::Mutex<std::collections::BTreeSet<usize>>,
    changed: tokio::sync::Notify,
}

impl Turns {
    /// Marks `index` finished when the guard goes (on every path).
    pub fn finished_on_drop(&self, index: usize) -> Finished<'_> {
        Finished(self, index)
    }

    /// Until every index below `index` is finished.
    async fn below(&self, index: usize) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let finished = self.finished.lock().map(|set| set.range(..index).count());
            if finished.map_or(true, |count| count + 1 >= index) {
                return;
            }
            changed.await;
        }
    }
}

/// Marks its index finished when dropped ([`Turns::finished_on_drop`]).
pub struct Finished<'a>(&'a Turns, usize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        if let Ok(mut finished) = self.0.finished.lock() {
            finished.insert(self.1);
        }
        self.0.changed.notify_waiters();
    }
}

impl<'a> Batch<'a> {
    pub fn new(
        files: &'a FileOptions,
        output_dir: &'a str,
        prefix: &'a str,
        history: Option<&History>,
        events: &'a EventSink,
    ) -> Self {
        let now = chrono::Local::now();
        let known = match (&files.name, history) {
            (Some(_), Some(history)) => history.read().unwrap_or_default(),
            _ => Vec::new(),
        };
        Self {
            files,
            output_dir,
            prefix,
            date: now.format("%Y-%m-%d").to_string(),
            time: now.format("%H%M%S").to_string(),
            downloaded_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            known,
            absolute_dir: absolute(Path::new(output_dir)),
            events,
            turns: Turns::default(),
        }
    }

    /// The record of a file just written; writes its sidecar when asked.
    pub fn record(
        &self,
        artifact: &ArtifactRef,
        local_path: &str,
        fetched: &Fetched,
    ) -> FileRecord {
        let path = Path::new(local_path);
        let mime_type = fetched
            .media()
            .map(|(mime, _)| mime.to_string())
            .or_else(|| {
                let ext = path.extension()?.to_str()?;
                media::mime_of_extension(ext).map(str::to_string)
            });
        let record = FileRecord {
            local_path: absolute(path).to_string_lossy().into_owned(),
            url: artifact.url.clone(),
            kind: crate::files::record::recorded_kind(&artifact.kind, mime_type.as_deref()),
            mime_type,
            size: fetched.size,
            sha256: fetched.sha256.clone(),
            origin: self.files.origin.clone(),
            facts: artifact.facts.clone(),
            downloaded_at: self.downloaded_at.clone(),
        };
        if self.files.sidecar
            && let Err(why) = write_sidecar(&record, path)
        {
            self.events
                .warning(&format!("no sidecar for {local_path}: {why:#}"));
        }
        record
    }

    fn render(
        &self,
        template: &NameTemplate,
        artifact: &ArtifactRef,
        index: usize,
        ext: &str,
    ) -> RenderedName {
        let origin = &self.files.origin;
        template.render(&NameFields {
            thread_id: origin.thread_id.as_deref(),
            project_id: origin.project_id.as_deref(),
            prompt: origin.prompt.as_deref(),
            index,
            kind: artifact.kind.as_str().unwrap_or("file"),
            ext,
            date: &self.date,
            time: &self.time,
        })
    }

    /// A file in the output folder that already holds `url`: the history's
    /// newest record of it there, else a sidecar at one of the name's choices.
    fn already_here(&self, url: &str, name: &RenderedName) -> Option<String> {
        let recorded = self.known.iter().rev().find_map(|record| {
            if record.get("url").and_then(Value::as_str) != Some(url) {
                return None;
            }
            let path = Path::new(record.get("local_path")?.as_str()?);
            let relative = path.strip_prefix(&self.absolute_dir).ok()?;
            let relative = relative.to_str()?.replace('\\', "/");
            let local_path = crate::python::join(self.output_dir, &relative);
            non_empty(Path::new(&local_path)).then_some(local_path)
        });
        recorded.or_else(|| {
            (1..=MAX_SUFFIX)
                .map(|n| crate::python::join(self.output_dir, &name.candidate(n)))
                .take_while(|path| non_empty(Path::new(path)))
                .find(|path| self.holds(path, url))
        })
    }

    /// Whether the file at `path` was downloaded from `url` (its sidecar or the history says so).
    fn holds(&self, path: &str, url: &str) -> bool {
        sidecar_url(Path::new(path)).as_deref() == Some(url)
            || History::url_at(&self.known, &absolute(Path::new(path)).to_string_lossy()).as_deref()
                == Some(url)
    }
}

impl Downloader {
    /// Fetches one artifact and gives it the first free name of the template.
    pub(super) async fn download_named(
        &self,
        artifact: &ArtifactRef,
        index: usize,
        template: &NameTemplate,
        batch: &Batch<'_>,
    ) -> Result<Placed> {
        // A type the reference names by itself, else the content decides (below).
        let extension = extension_for(&artifact.url, &artifact.kind)
            .unwrap_or_else(|| super::UNKNOWN_EXTENSION.to_string());
        let guess = extension.trim_start_matches('.');
        let guessed = batch.render(template, artifact, index, guess);
        if let Some(local_path) = batch.already_here(&artifact.url, &guessed) {
            return Ok(Placed::Kept(local_path));
        }
        let dir = Path::new(match batch.output_dir {
            "" => ".",
            dir => dir,
        });
        let label = guessed.candidate(1);
        let permit = self.transfers.acquire().await;
        let (mut temp, fetched) = self.fetch_to_temp(&artifact.url, dir, &label).await?;
        drop(permit);
        batch.turns.below(index).await;
        let name = match fetched.media() {
            Some((_, real)) if real != guess => batch.render(template, artifact, index, real),
            _ => guessed,
        };
        for n in 1..=MAX_SUFFIX {
            let local_path = crate::python::join(batch.output_dir, &name.candidate(n));
            let target = Path::new(&local_path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            if non_empty(target) {
                if batch.holds(&local_path, &artifact.url) {
                    return Ok(Placed::Kept(local_path));
                }
                continue;
            }
            if target.exists() {
                // An empty file of that name: the reference refetches those too.
                temp.persist(target)?;
                return Ok(Placed::Written(local_path, fetched));
            }
            match temp.persist_noclobber(target) {
                Ok(()) => return Ok(Placed::Written(local_path, fetched)),
                Err(error) if error.error.kind() == std::io::ErrorKind::AlreadyExists => {
                    temp = error.path;
                }
                Err(error) => return Err(error.error.into()),
            }
        }
        bail!(
            "every name from {} to -{MAX_SUFFIX} is taken",
            name.candidate(1)
        )
    }
}

fn non_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() > 0)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
