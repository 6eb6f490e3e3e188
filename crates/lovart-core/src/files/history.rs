//! The download history: one JSON line per downloaded file (the shape of
//! [`super::record`]), in `history.jsonl` beside the state file (in
//! `$LOVART_HOME`, else `~/.lovart`). It is never part of `state.json`, which
//! stays the reference's.
//!
//! Writers (any number of `lovart` processes at once: CLI, batch, MCP) take an
//! exclusive lock on `history.jsonl.lock` and append whole lines in one write,
//! so no line is ever torn or lost. The file is bounded: an append that would
//! take it past the limit (`LOVART_HISTORY_MAX_BYTES`, 16 MiB by default) first
//! keeps only the newest lines that fit in half of it, written to a temporary
//! file and renamed over the old one, so a reader sees the old file or the new
//! one. Readers take no lock; a line that does not parse is skipped.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::Value;

/// The default bound of the history file.
const DEFAULT_MAX_BYTES: u64 = 16 * 1024 * 1024;
/// The file's name in the state folder.
pub(crate) const HISTORY_FILE: &str = "history.jsonl";

/// The history file of one state folder.
#[derive(Debug, Clone)]
pub struct History {
    path: PathBuf,
    max_bytes: u64,
}

impl History {
    /// The history beside `state_file` (`…/state.json` → `…/history.jsonl`),
    /// bounded by `LOVART_HISTORY_MAX_BYTES` when set.
    pub fn beside_state(state_file: &Path) -> Self {
        let folder = state_file.parent().unwrap_or(Path::new("."));
        let max_bytes = std::env::var("LOVART_HISTORY_MAX_BYTES")
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .filter(|&bytes| bytes >= 1024)
            .unwrap_or(DEFAULT_MAX_BYTES);
        Self::at(folder.join(HISTORY_FILE), max_bytes)
    }

    /// The history file at `path`, trimmed when an append would take it past
    /// `max_bytes` (see the module's text).
    pub fn at(path: PathBuf, max_bytes: u64) -> Self {
        Self { path, max_bytes }
    }

    /// The file's path (it may not exist yet).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line per record, under the lock, trimming old lines first
    /// when the file would pass its bound.
    pub(crate) fn append(&self, records: &[Value]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut lines = String::new();
        for record in records {
            lines.push_str(&serde_json::to_string(record)?);
            lines.push('\n');
        }
        let folder = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(folder)
            .with_context(|| format!("cannot create the folder {}", folder.display()))?;
        let lock_path = with_suffix(&self.path, ".lock");
        let lock = open_private(&lock_path, false)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        fs4::FileExt::lock(&lock)
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        let size = fs::metadata(&self.path).map_or(0, |meta| meta.len());
        if size + lines.len() as u64 > self.max_bytes {
            self.trim(self.max_bytes / 2)?;
        }
        let mut file = open_private(&self.path, true)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        file.write_all(lines.as_bytes())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        drop(file);
        let _ = fs4::FileExt::unlock(&lock);
        Ok(())
    }

    /// Keeps the newest whole lines that fit in `keep` bytes (under the lock).
    fn trim(&self, keep: u64) -> Result<()> {
        let tail = read_tail(&self.path, keep)?;
        let start = if tail.len() as u64 >= keep {
            // The first line may be cut: start after its end.
            tail.iter()
                .position(|&b| b == b'\n')
                .map_or(tail.len(), |i| i + 1)
        } else {
            0
        };
        let folder = self.path.parent().unwrap_or(Path::new("."));
        let temp = tempfile::Builder::new()
            .prefix(".history.tmp-")
            .tempfile_in(folder)?;
        fs::write(temp.path(), &tail[start..])?;
        temp.persist(&self.path)
            .with_context(|| format!("cannot replace {}", self.path.display()))?;
        Ok(())
    }

    /// Every readable record, oldest first (at most the bound's worth of the
    /// newest bytes is read). A missing file is an empty history.
    pub fn read(&self) -> Result<Vec<Value>> {
        let bytes = match read_tail(&self.path, self.max_bytes.max(DEFAULT_MAX_BYTES) * 2) {
            Ok(bytes) => bytes,
            Err(error)
                if error
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) =>
            {
                return Ok(Vec::new());
            }
            Err(error) => return Err(error),
        };
        Ok(bytes
            .split(|&b| b == b'\n')
            .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
            .filter(Value::is_object)
            .collect())
    }

    /// The URL last recorded for `local_path`, if any.
    pub(crate) fn url_at(records: &[Value], local_path: &str) -> Option<String> {
        records
            .iter()
            .rev()
            .find(|record| record.get("local_path").and_then(Value::as_str) == Some(local_path))
            .and_then(|record| record.get("url")?.as_str().map(str::to_string))
    }
}

/// Which records `history` and `gallery` show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryFilter {
    /// A project id, exactly.
    pub project_id: Option<String>,
    /// A thread id or a prefix of one.
    pub thread_id: Option<String>,
    /// Only files downloaded at or after this time.
    pub since: Option<DateTime<FixedOffset>>,
    /// An artifact type (any case).
    pub kind: Option<String>,
}

impl HistoryFilter {
    /// Whether a history record passes every filter that is set (a record
    /// without a readable `downloaded_at` fails a `since`).
    pub fn matches(&self, record: &Value) -> bool {
        let text = |key: &str| record.get(key).and_then(Value::as_str).unwrap_or("");
        self.project_id
            .as_deref()
            .is_none_or(|project| text("project_id").starts_with(project) && !project.is_empty())
            && self
                .thread_id
                .as_deref()
                .is_none_or(|thread| text("thread_id").starts_with(thread) && !thread.is_empty())
            && self
                .kind
                .as_deref()
                .is_none_or(|kind| text("type").eq_ignore_ascii_case(kind))
            && self
                .since
                .is_none_or(|since| downloaded_at(record).is_some_and(|at| at >= since))
    }

    /// The filter in words, for the gallery's header (empty when none).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(project) = &self.project_id {
            parts.push(format!("project {project}"));
        }
        if let Some(thread) = &self.thread_id {
            parts.push(format!("thread {thread}"));
        }
        if let Some(kind) = &self.kind {
            parts.push(format!("type {kind}"));
        }
        if let Some(since) = &self.since {
            parts.push(format!("since {}", since.to_rfc3339()));
        }
        parts.join(", ")
    }
}

/// A record's `downloaded_at`, parsed.
pub fn downloaded_at(record: &Value) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(record.get("downloaded_at")?.as_str()?).ok()
}

/// The records that pass `filter`, newest first (by time, then by file order).
pub(crate) fn newest_first(records: Vec<Value>, filter: &HistoryFilter) -> Vec<Value> {
    let mut kept: Vec<Value> = records
        .into_iter()
        .rev()
        .filter(|record| filter.matches(record))
        .collect();
    // Stable: records of one moment keep the newest-appended-first order.
    kept.sort_by_cached_key(|record| std::cmp::Reverse(downloaded_at(record)));
    kept
}

/// `--since`: `30m`, `2h`, `7d`, `2w` ago, a date (`2026-11-29`, local
/// midnight), a local `2026-11-29 14:00`, or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<DateTime<FixedOffset>, String> {
    let text = text.trim();
    let now = Local::now().fixed_offset();
    if let Some(unit) = text.chars().last().filter(char::is_ascii_alphabetic)
        && let Ok(count) = text[..text.len() - 1].parse::<i64>()
    {
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => {
                return Err(format!(
                    "unknown unit '{unit}' in '{text}' (use s, m, h, d or w)"
                ));
            }
        };
        let ago = count
            .checked_mul(seconds)
            .and_then(chrono::TimeDelta::try_seconds)
            .filter(|_| count >= 0)
            .ok_or_else(|| format!("'{text}' is out of range"))?;
        return now
            .checked_sub_signed(ago)
            .ok_or_else(|| format!("'{text}' is out of range"));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at);
    }
    let local = |naive: NaiveDateTime| {
        naive
            .and_local_timezone(Local)
            .earliest()
            .map(|at| at.fixed_offset())
            .ok_or_else(|| format!("'{text}' is not a local time"))
    };
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return local(naive);
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return local(date.and_time(NaiveTime::MIN));
    }
    Err(format!(
        "cannot read '{text}' as a time: use 30m, 2h, 7d, 2026-11-29 or 2026-11-29T14:00:00+01:00"
    ))
}

/// The last `limit` bytes of a file (all of it when smaller).
fn read_tail(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let mut file = fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        file.seek(SeekFrom::Start(size - limit))?;
    }
    let mut bytes = Vec::with_capacity(size.min(limit) as usize);
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

/// Opens (creating) a file only its owner may read: for appending, or as a lock.
fn open_private(path: &Path, append: bool) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.read(true).write(true).truncate(false);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn appends_read_back_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::beside_state(&dir.path().join("state.json"));
        history.append(&[json!({"n": 1}), json!({"n": 2})]).unwrap();
        history.append(&[json!({"n": 3})]).unwrap();
        let read = history.read().unwrap();
        assert_eq!(read, [json!({"n": 1}), json!({"n": 2}), json!({"n": 3})]);
        assert_eq!(history.path(), dir.path().join("history.jsonl"));
    }

    #[test]
    fn a_missing_file_is_empty_and_torn_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::at(dir.path().join("h.jsonl"), 4096);
        assert!(history.read().unwrap().is_empty());
        fs::write(
            history.path(),
            "{\"n\": 1}\nnot json\n{\"n\": 2}\n{\"n\": 3",
        )
        .unwrap();
        assert_eq!(history.read().unwrap(), [json!({"n": 1}), json!({"n": 2})]);
    }

    #[test]
    fn the_file_stays_within_its_bound_keeping_the_newest_lines() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::at(dir.path().join("h.jsonl"), 4096);
        for n in 0..500 {
            history
                .append(&[json!({"n": n, "pad": "x".repeat(20)})])
                .unwrap();
        }
        let size = fs::metadata(history.path()).unwrap().len();
        assert!(size <= 4096, "{size} bytes");
        let read = history.read().unwrap();
        assert_eq!(read.last().unwrap()["n"], json!(499));
        // Whole lines only, consecutive up to the newest.
        let first = read[0]["n"].as_u64().unwrap();
        let numbers: Vec<u64> = read.iter().map(|r| r["n"].as_u64().unwrap()).collect();
        assert_eq!(numbers, (first..500).collect::<Vec<_>>());
    }

    #[test]
    fn threads_appending_at_once_lose_no_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        let workers: Vec<_> = (0..8)
            .map(|worker| {
                let history = History::at(path.clone(), 1 << 20);
                std::thread::spawn(move || {
                    for n in 0..25 {
                        history.append(&[json!({"w": worker, "n": n})]).unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        assert_eq!(History::at(path, 1 << 20).read().unwrap().len(), 200);
    }

    #[test]
    fn filters_pick_project_thread_prefix_type_and_time() {
        let records = vec![
            json!({"project_id": "p1", "thread_id": "abc123", "type": "image", "downloaded_at": "2026-11-29T10:00:00+00:00"}),
            json!({"project_id": "p2", "thread_id": "def456", "type": "video", "downloaded_at": "2026-11-29T12:00:00+00:00"}),
            json!({"project_id": "p1", "thread_id": "abc123", "type": "audio", "downloaded_at": "2026-11-29T11:00:00+02:00"}),
        ];
        let all = newest_first(records.clone(), &HistoryFilter::default());
        let types: Vec<&str> = all.iter().map(|r| r["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["video", "image", "audio"]);
        let filter = HistoryFilter {
            thread_id: Some("abc".into()),
            kind: Some("IMAGE".into()),
            ..Default::default()
        };
        assert_eq!(newest_first(records.clone(), &filter).len(), 1);
        let since = HistoryFilter {
            since: Some(DateTime::parse_from_rfc3339("2026-11-29T10:30:00+00:00").unwrap()),
            ..Default::default()
        };
        assert_eq!(newest_first(records.clone(), &since).len(), 1);
        let project = HistoryFilter {
            project_id: Some("p1".into()),
            ..Default::default()
        };
        assert_eq!(newest_first(records, &project).len(), 2);
    }

    #[test]
    fn since_reads_durations_dates_and_times() {
        let now = Local::now().fixed_offset();
        let two_hours = parse_since("2h").unwrap();
        assert!((now - two_hours).num_minutes() >= 119);
        assert_eq!(
            parse_since("2026-11-29T14:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-29T14:00:00+01:00"
        );
        assert!(parse_since("2026-11-29").is_ok());
        assert!(parse_since("2026-11-29 14:00").is_ok());
        assert!(parse_since("3x").unwrap_err().contains("unit"));
        assert!(parse_since("yesterday").is_err());
    }

    #[test]
    fn the_last_url_recorded_at_a_path_wins() {
        let records = [
            json!({"local_path": "/a", "url": "u1"}),
            json!({"local_path": "/a", "url": "u2"}),
        ];
        assert_eq!(History::url_at(&records, "/a").as_deref(), Some("u2"));
        assert_eq!(History::url_at(&records, "/b"), None);
    }
}
