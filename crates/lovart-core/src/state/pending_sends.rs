//! Sends whose answer may be lost: the Idempotency-Key of every billable
//! `POST /chat` is written down *before* it goes out, so the same request
//! sent again soon after goes out under the same key and the server starts
//! (and bills) it once.
//!
//! One small file per request in `<state folder>/pending-sends/` (not in
//! `state.json`, whose shape is the reference's), named by a SHA-256 of what
//! makes the request: the base URL and the exact body (prompt, project,
//! thread, attachments, mode, tools). It holds `{"idempotency_key",
//! "sent_at"}` (Unix seconds of the last attempt). While a send is in flight
//! its file is locked: an identical send running at the same moment is a
//! second request, not a retry, and takes a fresh key. When an answer arrives
//! (a thread id, or a refusal) the file is removed; when none does (a
//! timeout, a reset, a gateway's 502/504, a killed process) it stays, and the
//! same request within [`REUSE_WINDOW`] reuses its key. Older files are
//! ignored, and swept by the next send.

use std::fs::{self, File};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::platform;

/// How long an unanswered send's key is reused for the same request.
pub const REUSE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The folder of the records, beside the state file.
const FOLDER: &str = "pending-sends";

/// The key of one send, and its record while the send is in flight.
#[derive(Debug)]
pub struct PendingSend {
    /// The `Idempotency-Key` header to send: 32 lowercase hex digits (a UUID
    /// v4 without dashes), or the caller's own key.
    pub idempotency_key: String,
    /// How long ago the same request went out unanswered, when its key is reused.
    pub reused_after: Option<Duration>,
    /// The locked record; `None` when it could not be written (the send
    /// still goes, unprotected) or when an identical send is in flight.
    record: Option<(File, PathBuf)>,
}

impl PendingSend {
    /// A key not written anywhere (no state folder to write it to, or the
    /// same request in flight elsewhere): `known_key`, else a new one.
    pub fn unrecorded(known_key: Option<&str>) -> Self {
        Self {
            idempotency_key: known_key.map_or_else(new_key, str::to_string),
            reused_after: None,
            record: None,
        }
    }

    /// The send was answered: its outcome is known, so its key is forgotten.
    pub fn answered(mut self) {
        if let Some((file, path)) = self.record.take() {
            // Emptied first: a process that opened the file just before the
            // removal reads no key from it.
            let _ = file.set_len(0);
            let _ = fs::remove_file(&path);
        }
    }
}

/// Unix seconds now.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn new_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The record's file name for a request: hex SHA-256 of the base URL and body.
fn record_name(base_url: &str, body: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(base_url.as_bytes());
    digest.update([0]);
    digest.update(body.as_bytes());
    hex::encode(digest.finalize())
}

/// The key for sending `body` (compact JSON) to `base_url`: `known_key` when
/// the caller has one on record already (a batch row's journaled key), else
/// the key of the same request's unanswered send within [`REUSE_WINDOW`],
/// else a new one; written to its record (in `state_folder`) before this
/// returns. Errors are `Err` with the reason; the caller sends anyway, with
/// [`PendingSend::unrecorded`].
pub fn begin(
    state_folder: &Path,
    base_url: &str,
    body: &str,
    known_key: Option<&str>,
) -> std::io::Result<PendingSend> {
    let folder = state_folder.join(FOLDER);
    platform::create_private_dir(&folder)?;
    sweep(&folder);
    let path = folder.join(record_name(base_url, body));
    let mut file = platform::open_lock_file(&path)?;
    if fs4::FileExt::try_lock(&file).is_err() {
        // The same request is in flight in another run: this one is a
        // second request of its own.
        return Ok(PendingSend::unrecorded(known_key));
    }
    let now = now_secs();
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    let earlier = crate::python::loads(&text).ok().and_then(|record| {
        let key = record.get("idempotency_key")?.as_str()?.to_string();
        let sent_at = record.get("sent_at")?.as_u64()?;
        let age = Duration::from_secs(now.saturating_sub(sent_at));
        let valid_key = key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit());
        (valid_key && age < REUSE_WINDOW).then_some((key, age))
    });
    let (idempotency_key, reused_after) = match (known_key, earlier) {
        (Some(known), earlier) => {
            let age = earlier.filter(|(key, _)| key == known).map(|(_, age)| age);
            (known.to_string(), age)
        }
        (None, Some((key, age))) => (key, Some(age)),
        (None, None) => (new_key(), None),
    };
    let record: Value = json!({"idempotency_key": idempotency_key, "sent_at": now});
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(record.to_string().as_bytes())?;
    file.sync_all()?;
    Ok(PendingSend {
        idempotency_key,
        reused_after,
        record: Some((file, path)),
    })
}

/// Removes records older than the window that no send holds.
fn sweep(folder: &Path) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .ok()
            .and_then(|meta| meta.modified().ok())
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age > REUSE_WINDOW);
        if !old {
            continue;
        }
        if let Ok(file) = File::open(entry.path())
            && fs4::FileExt::try_lock(&file).is_ok()
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"prompt": "a cat", "project_id": "p1"}"#;

    #[test]
    fn an_unanswered_send_lends_its_key_to_the_same_request() {
        let folder = tempfile::tempdir().unwrap();
        let first = begin(folder.path(), "http://x", BODY, None).unwrap();
        let key = first.idempotency_key.clone();
        assert_eq!(first.reused_after, None);
        drop(first);
        let again = begin(folder.path(), "http://x", BODY, None).unwrap();
        assert_eq!(again.idempotency_key, key);
        assert!(again.reused_after.is_some());
        let other = begin(folder.path(), "http://x", r#"{"prompt": "a dog"}"#, None).unwrap();
        assert_ne!(other.idempotency_key, key);
        let elsewhere = begin(folder.path(), "http://y", BODY, None).unwrap();
        assert_ne!(elsewhere.idempotency_key, key);
    }

    #[test]
    fn an_answered_send_is_forgotten() {
        let folder = tempfile::tempdir().unwrap();
        let first = begin(folder.path(), "http://x", BODY, None).unwrap();
        let key = first.idempotency_key.clone();
        first.answered();
        let next = begin(folder.path(), "http://x", BODY, None).unwrap();
        assert_ne!(next.idempotency_key, key);
        assert_eq!(next.reused_after, None);
    }

    #[test]
    fn a_send_in_flight_is_not_a_retry() {
        let folder = tempfile::tempdir().unwrap();
        let in_flight = begin(folder.path(), "http://x", BODY, None).unwrap();
        let concurrent = begin(folder.path(), "http://x", BODY, None).unwrap();
        assert_ne!(concurrent.idempotency_key, in_flight.idempotency_key);
        assert_eq!(concurrent.reused_after, None);
    }

    #[test]
    fn a_known_key_is_the_one_on_record() {
        let folder = tempfile::tempdir().unwrap();
        let earlier = begin(folder.path(), "http://x", BODY, None).unwrap();
        drop(earlier);
        let journaled = "0123456789abcdef0123456789abcdef";
        let row = begin(folder.path(), "http://x", BODY, Some(journaled)).unwrap();
        assert_eq!(row.idempotency_key, journaled);
        drop(row);
        let again = begin(folder.path(), "http://x", BODY, None).unwrap();
        assert_eq!(again.idempotency_key, journaled);
    }

    #[test]
    fn an_old_record_is_not_reused() {
        let folder = tempfile::tempdir().unwrap();
        let first = begin(folder.path(), "http://x", BODY, None).unwrap();
        let key = first.idempotency_key.clone();
        drop(first);
        let path = folder
            .path()
            .join(FOLDER)
            .join(record_name("http://x", BODY));
        let stale = now_secs() - REUSE_WINDOW.as_secs() - 1;
        fs::write(
            &path,
            format!(r#"{{"idempotency_key":"{key}","sent_at":{stale}}}"#),
        )
        .unwrap();
        let next = begin(folder.path(), "http://x", BODY, None).unwrap();
        assert_ne!(next.idempotency_key, key);
    }
}
