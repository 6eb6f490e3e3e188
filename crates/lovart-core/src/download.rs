//! Artifact downloads.
//!
//! File names, skip rules and the JSON items are the reference's; the transfer
//! is not: each file streams to a temporary file in the output folder and is
//! renamed into place only when complete, and all of a result's artifacts
//! download at once (up to [`CONCURRENCY`] transfers per [`Downloader`]) while
//! the reported order stays the result's order.
//!
//! Reference names: `<prefix>_<sha1(url)[:12]><ext>`, `ext` being the URL's
//! own extension (Python's `splitext`) when it has one. A URL without one
//! gets the reference's `.png` for an image and `.mp4` for a video: the
//! reference decides those before downloading, and the name is part of the
//! contract (scripts read `local_path`, and a non-empty file of that name is
//! not fetched again, by either program). Every other type (audio, 3D,
//! unknown) is named from what arrives ([`media_type`]: `Content-Type`, then
//! the file's first bytes; `.bin` when neither says), where the reference
//! wrote `.png` whatever the bytes: the name is chosen when the temporary file
//! is renamed, and a later run finds it under any extension it could have got.
//!
//! A transfer fails (and its temporary file goes) when it stalls (less than
//! 1 KiB in `LOVART_DOWNLOAD_STALL_SECS`, 60 by default),
//! when its body is shorter or longer than its Content-Length, or when it
//! passes `LOVART_MAX_DOWNLOAD_BYTES` (8 GiB by default). Redirects are
//! followed (CDNs use them); no signature header is ever sent here. Temporary
//! files left by a killed run are swept once they are an hour old.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures_util::StreamExt;
use lovart_wire::reply::{ArtifactView, ResultView};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use tokio::io::AsyncWriteExt;

use crate::files::history::History;
use crate::files::record::{ArtifactFacts, FileRecord};

mod named;

use crate::events::{Event, EventSink};
pub use named::FileOptions;

/// One artifact URL of a result, with its `type` as the server gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactRef {
    /// `type` of the artifact (`"unknown"` when missing), kept as JSON.
    pub kind: Value,
    /// The artifact's URL (in a result, its `content`).
    pub url: String,
    /// Tool, model and cost, when the result names them (for the records).
    pub facts: ArtifactFacts,
}

impl ArtifactRef {
    /// An artifact of `kind` at `url`, with no facts.
    pub fn new(kind: Value, url: String) -> Self {
        Self {
            kind,
            url,
            facts: ArtifactFacts::default(),
        }
    }
}

pub mod media_type;

/// How many artifacts one [`Downloader`] transfers at once: every file of a
/// result (they rarely number more), bounded so that a batch sharing one
/// downloader does not open a connection per file.
pub const CONCURRENCY: usize = 16;
/// The extension of a file named from its content when the content says nothing.
const UNKNOWN_EXTENSION: &str = ".bin";
/// The reference's `urlopen(..., timeout=60)`: the default stall period.
const TIMEOUT: Duration = Duration::from_secs(60);
/// A transfer must move at least this much in each stall period (or end).
const MIN_PROGRESS: u64 = 1024;
/// The default largest download: far above any generated artifact.
const MAX_DOWNLOAD_BYTES: u64 = 8 * 1024 * 1024 * 1024;
/// Temporary files (and the writability probe) start with this; no final name does.
const PARTIAL_PREFIX: &str = ".lovart-partial-";
/// A temporary file this old belongs to a run that was killed.
const STALE_PARTIAL_AGE: Duration = Duration::from_secs(3600);

/// Every artifact URL of a result's items, first occurrence only, empty URLs skipped.
pub fn collect_artifacts(result: &Map<String, Value>) -> Vec<ArtifactRef> {
    let mut seen = HashSet::new();
    ResultView(result)
        .items()
        .iter()
        .flat_map(|item| {
            let artifacts = match item.get(lovart_wire::reply::fields::ARTIFACTS) {
                Some(Value::Array(artifacts)) => artifacts.as_slice(),
                _ => &[],
            };
            artifacts.iter().map(move |artifact| (item, artifact))
        })
        .filter_map(|(item, raw)| {
            let artifact = ArtifactView(raw);
            let url = artifact.url()?;
            seen.insert(url.to_string()).then(|| ArtifactRef {
                kind: artifact.kind().cloned().unwrap_or_else(|| json!("unknown")),
                url: url.to_string(),
                facts: ArtifactFacts::from_result(raw, item),
            })
        })
        .collect()
}

/// Removes `.lovart-partial-*` files older than [`STALE_PARTIAL_AGE`] from
/// `dir` (left by killed runs); anything unreadable is left alone.
fn sweep_stale_partials(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let is_partial = entry
            .file_name()
            .as_encoded_bytes()
            .starts_with(PARTIAL_PREFIX.as_bytes());
        let stale = entry.metadata().is_ok_and(|meta| {
            meta.is_file()
                && meta
                    .modified()
                    .ok()
                    .and_then(|modified| modified.elapsed().ok())
                    .is_some_and(|age| age >= STALE_PARTIAL_AGE)
        });
        if is_partial && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// When a transfer gives up: stalled this long, or past this many bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadLimits {
    /// A transfer that moves less than 1 KiB in this long fails.
    pub stall: Duration,
    /// A transfer that passes this many bytes fails.
    pub max_bytes: u64,
}

impl DownloadLimits {
    /// 60 s without progress, 8 GiB.
    pub const DEFAULT: Self = Self {
        stall: TIMEOUT,
        max_bytes: MAX_DOWNLOAD_BYTES,
    };
}

/// Creates the output folder (and checks it can be written) before anything is billed.
pub fn ensure_output_dir(output_dir: &str) -> Result<()> {
    if output_dir.is_empty() {
        bail!("cannot create output folder '': No such file or directory");
    }
    std::fs::create_dir_all(output_dir).map_err(|error| {
        anyhow!(
            "cannot create output folder '{output_dir}': {}",
            crate::python::os_error_text(&error)
        )
    })?;
    let probe = Path::new(output_dir).join(format!(
        "{PARTIAL_PREFIX}probe-{}",
        uuid::Uuid::new_v4().simple()
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(file) => {
            drop(file);
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(error) => bail!(
            "output folder '{output_dir}' is not writable: {}",
            crate::python::os_error_text(&error)
        ),
    }
}

/// How an artifact's file is named by the reference's rule.
#[derive(Debug, Clone, PartialEq)]
enum Naming {
    /// The whole name is known before downloading.
    Fixed(String),
    /// `<stem><ext>`, `ext` from what the download turns out to be.
    FromContent { stem: String },
}

impl Naming {
    /// The names a finished download of this artifact may have, the
    /// reference's first.
    fn candidates(&self) -> Vec<String> {
        match self {
            Self::Fixed(name) => vec![name.clone()],
            Self::FromContent { stem } => media_type::known_extensions()
                .chain([UNKNOWN_EXTENSION])
                .map(|extension| format!("{stem}{extension}"))
                .collect(),
        }
    }

    /// The final name, once the answer's type and first bytes are known.
    fn finish(&self, content_type: Option<&str>, head: &[u8]) -> String {
        match self {
            Self::Fixed(name) => name.clone(),
            Self::FromContent { stem } => {
                let extension = media_type::of_download(content_type, head)
                    .map_or(UNKNOWN_EXTENSION, |media| media.extension);
                format!("{stem}{extension}")
            }
        }
    }

    /// What a progress bar calls the transfer.
    fn label(&self) -> &str {
        match self {
            Self::Fixed(name) => name,
            Self::FromContent { stem } => stem,
        }
    }
}

/// The reference's extension: `splitext(url.split("?")[0])`, else `.mp4` for
/// a video and `.png` for an image; `None` for any other type, whose
/// extension comes from the download.
fn extension_for(url: &str, kind: &Value) -> Option<String> {
    let before_query = url.split('?').next().unwrap_or("");
    match (crate::python::splitext_ext(before_query), kind.as_str()) {
        ("", Some("video")) => Some(".mp4".to_string()),
        ("", Some("image")) => Some(".png".to_string()),
        ("", _) => None,
        (ext, _) => Some(ext.to_string()),
    }
}

/// `<prefix>_<sha1(url)[:12]><ext>`.
fn naming(url: &str, kind: &Value, prefix: &str) -> Naming {
    let digest = hex::encode(Sha1::digest(url.as_bytes()));
    let stem = format!("{prefix}_{}", &digest[..12]);
    match extension_for(url, kind) {
        Some(extension) => Naming::Fixed(format!("{stem}{extension}")),
        None => Naming::FromContent { stem },
    }
}

/// One transfer as the events see it: started when made, ended when
/// dropped, whether the transfer finished or failed.
struct Transfer<'a> {
    id: u64,
    events: &'a EventSink,
}

impl<'a> Transfer<'a> {
    fn start(events: &'a EventSink, name: &str, total: Option<u64>) -> Self {
        let id = crate::events::next_transfer_id();
        events.emit(Event::TransferStarted { id, name, total });
        Self { id, events }
    }

    fn progress(&self, bytes: u64) {
        self.events
            .emit(Event::TransferProgress { id: self.id, bytes });
    }
}

impl Drop for Transfer<'_> {
    fn drop(&mut self) {
        self.events.emit(Event::TransferEnded { id: self.id });
    }
}

/// Downloads artifacts. One downloader may serve many results (a batch shares
/// one): its transfers are bounded together.
pub struct Downloader {
    client: reqwest::Client,
    /// Where warnings (and, with `transfers`, each transfer's start,
    /// progress and end) are reported.
    events: EventSink,
    /// Transfers are reported, not only warnings.
    report_transfers: bool,
    /// A transfer that moves less than 1 KiB in this long fails.
    stall: Duration,
    /// A transfer that passes this many bytes fails.
    max_bytes: u64,
    /// Where every file written is recorded, when set.
    history: Option<History>,
    /// Transfers under way, across every `download_all` of this downloader.
    transfers: Arc<tokio::sync::Semaphore>,
}

impl Downloader {
    /// A downloader with these limits (the settings' `LOVART_DOWNLOAD_STALL_SECS`
    /// and `LOVART_MAX_DOWNLOAD_BYTES`).
    pub fn new(insecure_tls: bool, limits: DownloadLimits) -> Result<Self> {
        let DownloadLimits { stall, max_bytes } = limits;
        let client = reqwest::Client::builder()
            .connect_timeout(stall)
            .read_timeout(stall)
            .danger_accept_invalid_certs(insecure_tls)
            // urllib keeps our Referer across redirects; reqwest would replace it.
            .referer(false)
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self {
            client,
            events: EventSink::silent(),
            report_transfers: false,
            stall,
            max_bytes,
            history: None,
            transfers: Arc::new(tokio::sync::Semaphore::new(CONCURRENCY)),
        })
    }

    /// Appends a line to `history` for every file written.
    pub fn with_history(mut self, history: History) -> Self {
        self.history = Some(history);
        self
    }

    /// Reports each transfer (start, bytes, end) and each warning to `events`.
    pub fn with_events(mut self, events: EventSink) -> Self {
        self.events = events;
        self.report_transfers = true;
        self
    }

    /// Reports only warnings (a failed download, a history not updated) to
    /// `events`: a batch draws its own progress.
    pub fn with_warnings(mut self, events: EventSink) -> Self {
        self.events = events;
        self.report_transfers = false;
        self
    }

    /// Downloads every artifact not already on disk; returns the reference's items
    /// (`{"type", "url", "local_path", "new"}` or the failure item) in input order.
    /// `files` may name the files by a template and ask for sidecars; every
    /// file written is recorded in the history. Fails only when the output
    /// folder cannot be created.
    pub async fn download_all(
        &self,
        artifacts: &[ArtifactRef],
        output_dir: &str,
        prefix: &str,
        files: &FileOptions,
    ) -> Result<Vec<Value>> {
        ensure_output_dir(output_dir)?;
        sweep_stale_partials(Path::new(output_dir));
        let mut seen = HashSet::new();
        // Owned items, so the stream's closures are not higher-ranked over a
        // borrow: rustc can then prove the future `Send` (the MCP server needs it).
        let unique: Vec<(usize, ArtifactRef)> = artifacts
            .iter()
            .filter(|artifact| !artifact.url.is_empty() && seen.insert(artifact.url.as_str()))
            .cloned()
            .enumerate()
            .map(|(index, artifact)| (index + 1, artifact))
            .collect();
        let batch = named::Batch::new(
            files,
            output_dir,
            prefix,
            self.history.as_ref(),
            &self.events,
        );
        let batch = &batch;
        let outcomes: Vec<(Value, Option<FileRecord>)> = futures_util::stream::iter(unique)
            .map(
                |(index, artifact)| async move { self.download_one(&artifact, index, batch).await },
            )
            .buffered(CONCURRENCY)
            .collect()
            .await;
        let records: Vec<Value> = outcomes
            .iter()
            .filter_map(|(_, record)| record.as_ref().map(FileRecord::to_json))
            .collect();
        if let Some(history) = &self.history
            && let Err(why) = history.append(&records)
        {
            self.events
                .warning(&format!("the download history was not updated: {why:#}"));
        }
        Ok(outcomes.into_iter().map(|(item, _)| item).collect())
    }

    /// One artifact's item (skipped, fetched, or failed), and the record of
    /// the file when one was written.
    async fn download_one(
        &self,
        artifact: &ArtifactRef,
        index: usize,
        batch: &named::Batch<'_>,
    ) -> (Value, Option<FileRecord>) {
        let ArtifactRef { kind, url, .. } = artifact;
        let placed = match &batch.files.name {
            // Only the transfers take a permit: a file kept on disk waits for none.
            None => self.download_as_reference(artifact, batch).await,
            Some(template) => {
                // Whatever happens to this one, the files after it may take their names.
                let _placed = batch.turns.finished_on_drop(index);
                self.download_named(artifact, index, template, batch).await
            }
        };
        match placed {
            Ok(named::Placed::Kept(local_path)) => (
                json!({"type": kind, "url": url, "local_path": local_path, "new": false}),
                None,
            ),
            Ok(named::Placed::Written(local_path, fetched)) => {
                let record = batch.record(artifact, &local_path, &fetched);
                (
                    json!({"type": kind, "url": url, "local_path": local_path, "new": true}),
                    Some(record),
                )
            }
            Err(why) => {
                self.events
                    .warning(&format!("download of {url} failed: {why:#}"));
                let item = json!({
                    "type": kind, "url": url, "local_path": null, "error": "download failed", "new": false
                });
                (item, None)
            }
        }
    }

    /// The reference's name, and its skip rule: a non-empty file of that name
    /// (or, for a name chosen from the content, of any name it could have
    /// got) is kept.
    async fn download_as_reference(
        &self,
        artifact: &ArtifactRef,
        batch: &named::Batch<'_>,
    ) -> Result<named::Placed> {
        let naming = naming(&artifact.url, &artifact.kind, batch.prefix);
        for name in naming.candidates() {
            let local_path = crate::python::join(batch.output_dir, &name);
            let existing = tokio::fs::metadata(&local_path).await;
            if existing.is_ok_and(|meta| meta.len() > 0) {
                return Ok(named::Placed::Kept(local_path));
            }
        }
        let _permit = self.transfers.acquire().await;
        let (local_path, fetched) = self.fetch(&artifact.url, batch.output_dir, &naming).await?;
        Ok(named::Placed::Written(local_path, fetched))
    }

    /// Streams `url` into a temporary file in `output_dir`, then renames it
    /// to its final name (chosen by `naming` from the answer's type and first
    /// bytes); returns that path. On any error the temporary file is removed
    /// (also when the future is dropped mid-transfer).
    async fn fetch(
        &self,
        url: &str,
        output_dir: &str,
        naming: &Naming,
    ) -> Result<(String, named::Fetched)> {
        let dir = match output_dir {
            "" => Path::new("."),
            dir => Path::new(dir),
        };
        let (temp_path, fetched) = self.fetch_to_temp(url, dir, naming.label()).await?;
        let name = naming.finish(fetched.content_type.as_deref(), &fetched.head);
        let local_path = crate::python::join(output_dir, &name);
        temp_path.persist(&local_path)?;
        Ok((local_path, fetched))
    }

    /// Streams `url` into a temporary file in `dir` (removed on any error,
    /// also when the future is dropped mid-transfer), with its size, SHA-256,
    /// Content-Type and first bytes.
    async fn fetch_to_temp(
        &self,
        url: &str,
        dir: &Path,
        label: &str,
    ) -> Result<(tempfile::TempPath, named::Fetched)> {
        let parsed = reqwest::Url::parse(url)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!("unsupported scheme {}", parsed.scheme());
        }
        let request = self
            .client
            .get(parsed)
            .header("User-Agent", "Mozilla/5.0")
            .header("Referer", "https://www.lovart.ai/")
            .header("Accept-Encoding", "identity")
            .send();
        let mut response = tokio::time::timeout(self.stall, request)
            .await
            .map_err(|_| anyhow!("no answer in {} s", self.stall.as_secs()))??
            .error_for_status()?;
        let expected = response.content_length();
        if let Some(expected) = expected
            && expected > self.max_bytes
        {
            bail!(
                "its Content-Length {expected} is above the limit of {} bytes",
                self.max_bytes
            );
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let mut builder = tempfile::Builder::new();
        builder.prefix(PARTIAL_PREFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Like Python's open(..., "wb"): 0666 less the umask.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let (file, temp_path) = builder.tempfile_in(dir)?.into_parts();
        let mut writer =
            tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file));
        let silent = EventSink::silent();
        let reported = if self.report_transfers {
            &self.events
        } else {
            &silent
        };
        let transfer = Transfer::start(reported, label, expected);
        let mut hasher = sha2::Sha256::new();
        let sniff_len = crate::files::media::SNIFF_LEN.max(media_type::SNIFF_LEN);
        let mut head = Vec::with_capacity(sniff_len);
        let mut received: u64 = 0;
        // Each stall period must bring MIN_PROGRESS bytes (or the end).
        let mut window_end = tokio::time::Instant::now() + self.stall;
        let mut window_start_bytes: u64 = 0;
        loop {
            let chunk = tokio::time::timeout_at(window_end, response.chunk())
                .await
                .map_err(|_| {
                    anyhow!(
                        "stalled: under {MIN_PROGRESS} bytes in {} s",
                        self.stall.as_secs()
                    )
                })??;
            let Some(chunk) = chunk else { break };
            received += chunk.len() as u64;
            if received > self.max_bytes {
                bail!("more than the limit of {} bytes", self.max_bytes);
            }
            if let Some(expected) = expected
                && received > expected
            {
                bail!("more than its Content-Length of {expected} bytes");
            }
            let wanted = sniff_len.saturating_sub(head.len());
            head.extend_from_slice(&chunk[..wanted.min(chunk.len())]);
            hasher.update(&chunk);
            writer.write_all(&chunk).await?;
            if received - window_start_bytes >= MIN_PROGRESS {
                window_start_bytes = received;
                window_end = tokio::time::Instant::now() + self.stall;
            }
            transfer.progress(received);
        }
        drop(transfer);
        writer.shutdown().await?; // flushes, and waits for the file's last write
        drop(writer);
        if let Some(expected) = expected
            && expected != received
        {
            bail!("received {received} bytes of {expected}");
        }
        let fetched = named::Fetched {
            size: received,
            sha256: hex::encode(hasher.finalize()),
            content_type,
            head,
        };
        Ok((temp_path, fetched))
    }
}

#[cfg(test)]
mod tests;
