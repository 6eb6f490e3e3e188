//! The batch journal: an append-only JSONL file that makes a batch resumable
//! after `kill -9` without billing a row twice, its replay into per-row
//! [`RowState`]s, where journals live, and the input's digest.
//!
//! Records, one JSON object per line:
//! - `{"event":"header","version":1,"file_digest":…}` (line 1);
//! - `{"event":"sending","id","line","idempotency_key","at"}`, fsync'd
//!   *before* `POST /chat`;
//! - `{"event":"sent","id","thread_id","project_id","at"}`, fsync'd after it;
//! - `{"event":"settled","id","output":{…}}` when the row is done;
//! - `{"event":"rejected","id","at"}` when the API refused the send with an
//!   answer (not accepted, so the next run sends afresh with a new key);
//! - `{"event":"queries","n","at"}`: `n` query-tier calls made since the last
//!   such record (not fsync'd), so a resumed batch knows the query budget used.
//!
//! The file is locked (exclusively, for as long as the [`Journal`] lives), so
//! two batches can never write one journal. `at` is Unix milliseconds. Later records of a row override earlier ones,
//! so a retried row simply gets a new `sending`. A last line without its
//! newline (torn by a kill mid-write) is dropped and cut off the file; any
//! other bad line is an error naming its line number.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The journal format this code writes and reads.
pub const JOURNAL_VERSION: u64 = 1;

/// Past calls older than this are not returned by a replay.
const SEND_HISTORY: Duration = Duration::from_secs(3600);

/// Query calls kept by a replay: more than the hourly limit never matters.
const MAX_SEEDED_CALLS: usize = 3000;

/// What the journal says about one row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowState {
    /// Done; its output object as recorded, as compact JSON text (a settled
    /// row costs its line, not a parsed tree).
    Settled(Box<str>),
    /// Accepted by the API: poll this thread, never send again.
    Sent {
        thread_id: String,
        project_id: String,
    },
    /// `sending` recorded but no `sent`: the request may or may not have
    /// reached the API, so re-send with this same key (the API dedups it).
    Uncertain { idempotency_key: String },
}

/// Everything a journal says, read once at open.
#[derive(Debug, Default)]
pub struct Replay {
    /// By row id; a row absent here is fresh.
    pub rows: HashMap<String, RowState>,
    /// `at` of `sending` records from the last hour, oldest first, to seed
    /// the limiter's chat tier.
    pub chat_sends: Vec<SystemTime>,
    /// Query-tier calls of the last hour (one entry per call), to seed the
    /// limiter's query tier.
    pub query_calls: Vec<SystemTime>,
    /// Valid records read, the header included.
    pub records: usize,
    /// Whether a torn last line was dropped.
    pub torn_tail: bool,
}

impl Replay {
    /// The state of row `id`, `None` when fresh.
    #[cfg(test)]
    pub fn state(&self, id: &str) -> Option<&RowState> {
        self.rows.get(id)
    }
}

/// Why a journal cannot be used.
#[derive(Debug)]
pub enum JournalError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    DigestMismatch {
        path: PathBuf,
        journal: String,
        input: String,
    },
    Version {
        path: PathBuf,
        found: u64,
    },
    /// Another process holds the journal.
    Locked {
        path: PathBuf,
    },
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "journal {}: {source}", path.display()),
            Self::Corrupt {
                path,
                line,
                message,
            } => write!(f, "journal {} line {line}: {message}", path.display()),
            Self::DigestMismatch {
                path,
                journal,
                input,
            } => write!(
                f,
                "journal {} was written for a different input (digest {}…, this input {}…): \
                 the file changed since that batch started; restore it, or delete the journal to start over",
                path.display(),
                short_digest(journal),
                short_digest(input),
            ),
            Self::Version { path, found } => write!(
                f,
                "journal {} has version {found}, this lovart reads version {JOURNAL_VERSION}",
                path.display()
            ),
            Self::Locked { path } => write!(
                f,
                "journal {} is in use by another lovart batch: wait for it to finish, or give this one its own --journal",
                path.display()
            ),
        }
    }
}

impl std::error::Error for JournalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn short_digest(digest: &str) -> &str {
    digest.get(..16).unwrap_or(digest)
}

/// The single writer of a journal; share it in an `Arc`. A failed write
/// leaves the journal's end unknown: stop the batch.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    writer: Mutex<BufWriter<File>>,
}

impl Journal {
    /// Opens (or creates, with its parent folders) the journal at `path` for
    /// the input whose [`digest`] is `file_digest`, and replays it.
    pub fn open(path: &Path, file_digest: &str) -> Result<(Self, Replay), JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io_err)?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Err(JournalError::Locked {
                    path: path.to_owned(),
                });
            }
            Err(fs4::TryLockError::Error(source)) => return Err(io_err(source)),
        }
        let (replay, good_len, has_header) = replay(path, &file, file_digest)?;
        if replay.torn_tail {
            file.set_len(good_len).map_err(io_err)?;
        }
        let journal = Self {
            path: path.to_owned(),
            writer: Mutex::new(BufWriter::new(file)),
        };
        if !has_header {
            let header =
                json!({"event": "header", "version": JOURNAL_VERSION, "file_digest": file_digest});
            journal.write(&header, true).map_err(io_err)?;
        }
        Ok((journal, replay))
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records, durably, that row `id` is about to be sent with `key`; send
    /// only after this returns `Ok`. Returns the recorded time.
    pub fn sending(&self, id: &str, line: usize, idempotency_key: &str) -> io::Result<SystemTime> {
        let at = now_millis();
        let record = json!({"event": "sending", "id": id, "line": line, "idempotency_key": idempotency_key, "at": at});
        self.write(&record, true)?;
        Ok(from_millis(at))
    }

    /// Records, durably, that the API accepted row `id`.
    pub fn sent(&self, id: &str, thread_id: &str, project_id: &str) -> io::Result<()> {
        let record = json!({"event": "sent", "id": id, "thread_id": thread_id, "project_id": project_id, "at": now_millis()});
        self.write(&record, true)
    }

    /// Records row `id`'s final output object.
    pub fn settled(&self, id: &str, output: &Value) -> io::Result<()> {
        self.write(
            &json!({"event": "settled", "id": id, "output": output}),
            false,
        )
    }

    /// Records, durably, that the API refused row `id`'s send with an answer:
    /// nothing was accepted, so a later run sends it afresh.
    pub fn rejected(&self, id: &str) -> io::Result<()> {
        self.write(
            &json!({"event": "rejected", "id": id, "at": now_millis()}),
            true,
        )
    }

    /// Records that `n` query-tier calls were made (for the next run's limiter).
    pub fn queries(&self, n: u64) -> io::Result<()> {
        self.write(
            &json!({"event": "queries", "n": n, "at": now_millis()}),
            false,
        )
    }

    /// One record as one full line, flushed, and fsync'd when `sync`.
    fn write(&self, record: &Value, sync: bool) -> io::Result<()> {
        let mut line = serde_json::to_string(record)?;
        line.push('\n');
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.write_all(line.as_bytes())?;
        writer.flush()?;
        if sync {
            writer.get_ref().sync_data()?;
        }
        Ok(())
    }
}

/// Reads the journal: its replay, the length of its valid part, and whether
/// it has a header already.
fn replay(path: &Path, file: &File, digest: &str) -> Result<(Replay, u64, bool), JournalError> {
    let mut reader = BufReader::new(file);
    let mut replay = Replay::default();
    let mut buf = Vec::new();
    let (mut good_len, mut line, mut has_header) = (0u64, 0usize, false);
    let oldest = SystemTime::now().checked_sub(SEND_HISTORY);
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| JournalError::Io {
                path: path.to_owned(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line += 1;
        if buf.last() != Some(&b'\n') {
            replay.torn_tail = true;
            break;
        }
        good_len += n as u64;
        let corrupt = |message: String| JournalError::Corrupt {
            path: path.to_owned(),
            line,
            message,
        };
        let record: Map<String, Value> = match crate::python::loads_bytes(&buf) {
            Ok(Value::Object(record)) => record,
            Ok(_) => return Err(corrupt("not a JSON object".into())),
            Err(e) => return Err(corrupt(format!("invalid JSON: {e}"))),
        };
        let event = field_str(&record, "event").map_err(&corrupt)?;
        if line == 1 {
            if event != "header" {
                return Err(corrupt(format!("expected the header, found {event:?}")));
            }
            check_header(path, &record, digest)
                .map_err(|e| e.unwrap_or_else(|| corrupt("malformed header".into())))?;
            has_header = true;
        } else {
            apply(&mut replay, &record, event, oldest).map_err(&corrupt)?;
        }
        replay.records += 1;
    }
    Ok((replay, good_len, has_header))
}

/// `Err(None)` for a malformed header, `Err(Some(_))` for a version or digest
/// that does not fit.
fn check_header(
    path: &Path,
    record: &Map<String, Value>,
    digest: &str,
) -> Result<(), Option<JournalError>> {
    let version = record.get("version").and_then(Value::as_u64).ok_or(None)?;
    if version != JOURNAL_VERSION {
        return Err(Some(JournalError::Version {
            path: path.to_owned(),
            found: version,
        }));
    }
    let found = record
        .get("file_digest")
        .and_then(Value::as_str)
        .ok_or(None)?;
    if found != digest {
        return Err(Some(JournalError::DigestMismatch {
            path: path.to_owned(),
            journal: found.to_owned(),
            input: digest.to_owned(),
        }));
    }
    Ok(())
}

fn apply(
    replay: &mut Replay,
    record: &Map<String, Value>,
    event: &str,
    oldest: Option<SystemTime>,
) -> Result<(), String> {
    if event == "header" {
        return Err("a second header".into());
    }
    if event == "queries" {
        let n = field_u64(record, "n")?;
        let at = from_millis(field_u64(record, "at")?);
        if oldest.is_none_or(|oldest| at >= oldest) {
            // More than a tier's largest window never matters.
            let n = usize::try_from(n)
                .unwrap_or(usize::MAX)
                .min(MAX_SEEDED_CALLS);
            replay.query_calls.extend(std::iter::repeat_n(at, n));
            if replay.query_calls.len() > 2 * MAX_SEEDED_CALLS {
                replay
                    .query_calls
                    .drain(..replay.query_calls.len() - MAX_SEEDED_CALLS);
            }
        }
        return Ok(());
    }
    let id = field_str(record, "id")?.to_owned();
    let state = match event {
        "sending" => {
            field_u64(record, "line")?;
            let at = from_millis(field_u64(record, "at")?);
            if oldest.is_none_or(|oldest| at >= oldest) {
                replay.chat_sends.push(at);
            }
            let idempotency_key = field_str(record, "idempotency_key")?.to_owned();
            RowState::Uncertain { idempotency_key }
        }
        "sent" => {
            field_u64(record, "at")?;
            RowState::Sent {
                thread_id: field_str(record, "thread_id")?.to_owned(),
                project_id: field_str(record, "project_id")?.to_owned(),
            }
        }
        "settled" => match record.get("output") {
            Some(output @ Value::Object(_)) => RowState::Settled(output.to_string().into()),
            _ => return Err("\"output\" must be an object".into()),
        },
        "rejected" => {
            field_u64(record, "at")?;
            replay.rows.remove(&id);
            return Ok(());
        }
        other => return Err(format!("unknown event {other:?}")),
    };
    replay.rows.insert(id, state);
    Ok(())
}

fn field_str<'a>(record: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    record
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing or non-string {key:?}"))
}

fn field_u64(record: &Map<String, Value>, key: &str) -> Result<u64, String> {
    record
        .get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("missing or non-integer {key:?}"))
}

fn now_millis() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

fn from_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// `<input>.journal.jsonl`, next to the input file.
pub fn default_journal_path(input: &Path) -> PathBuf {
    let mut name = input.file_name().unwrap_or(input.as_os_str()).to_owned();
    name.push(".journal.jsonl");
    input.with_file_name(name)
}

/// `<state_dir>/batches/<first 16 hex digits of digest>.jsonl`, for stdin.
pub fn stdin_journal_path(state_dir: &Path, digest: &str) -> PathBuf {
    state_dir
        .join("batches")
        .join(format!("{}.jsonl", short_digest(digest)))
}

/// The input's identity: SHA-256 of its bytes, in lowercase hex.
#[cfg(test)]
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A reader that hashes what passes through it, so the input can be parsed
/// and digested in one streaming pass (wrap it in a `BufReader`).
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The [`digest`] of everything read so far.
    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
