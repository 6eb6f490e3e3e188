use std::io::Write as _;

use super::*;

const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn temp_journal() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt.journal.jsonl");
    (dir, path)
}

fn append(path: &Path, bytes: &str) {
    let mut file = OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes.as_bytes()).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn a_new_journal_gets_a_header_and_an_empty_replay() {
    let (_dir, path) = temp_journal();
    let (journal, replay) = Journal::open(&path, DIGEST).unwrap();
    assert_eq!(journal.path(), path);
    assert!(replay.rows.is_empty() && replay.chat_sends.is_empty());
    assert_eq!(replay.records, 0);
    assert!(!replay.torn_tail);
    assert_eq!(
        read(&path),
        format!("{{\"event\":\"header\",\"version\":1,\"file_digest\":\"{DIGEST}\"}}\n")
    );
    drop(journal);
    let (_, replay) = Journal::open(&path, DIGEST).unwrap();
    assert_eq!(replay.records, 1);
    assert_eq!(read(&path).lines().count(), 1, "no second header");
}

#[test]
fn round_trip_of_every_state() {
    let (_dir, path) = temp_journal();
    let (journal, _) = Journal::open(&path, DIGEST).unwrap();
    let before = SystemTime::now() - Duration::from_millis(1);
    // a: settled; b: sent; c: uncertain; d: retried after settling; e: fresh.
    let at = journal.sending("a", 1, "key-a").unwrap();
    assert!(at >= before && at <= SystemTime::now());
    journal.sent("a", "thread-a", "proj").unwrap();
    let output = json!({"id": "a", "status": "done", "files": ["out/a.png"]});
    journal.settled("a", &output).unwrap();
    journal.sending("b", 2, "key-b").unwrap();
    journal.sent("b", "thread-b", "proj").unwrap();
    journal.sending("c", 3, "key-c").unwrap();
    journal.sending("d", 4, "key-d1").unwrap();
    journal.sent("d", "thread-d", "proj").unwrap();
    journal.settled("d", &json!({"status": "failed"})).unwrap();
    journal.sending("d", 4, "key-d2").unwrap();
    drop(journal);

    let (_journal, replay) = Journal::open(&path, DIGEST).unwrap();
    assert_eq!(replay.records, 11);
    assert_eq!(
        replay.state("a"),
        Some(&RowState::Settled(output.to_string().into()))
    );
    assert_eq!(
        replay.state("b"),
        Some(&RowState::Sent {
            thread_id: "thread-b".into(),
            project_id: "proj".into()
        })
    );
    assert_eq!(
        replay.state("c"),
        Some(&RowState::Uncertain {
            idempotency_key: "key-c".into()
        })
    );
    assert_eq!(
        replay.state("d"),
        Some(&RowState::Uncertain {
            idempotency_key: "key-d2".into()
        })
    );
    assert_eq!(replay.state("e"), None);
    assert_eq!(replay.chat_sends.len(), 5);
    assert_eq!(replay.chat_sends[0], at);
    assert!(replay.chat_sends.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        replay
            .chat_sends
            .iter()
            .all(|&t| t >= before - Duration::from_millis(1))
    );
}

#[test]
fn records_are_one_line_each_in_the_documented_shape() {
    let (_dir, path) = temp_journal();
    let (journal, _) = Journal::open(&path, DIGEST).unwrap();
    journal.sending("r\n1", 7, "k").unwrap();
    journal.sent("r\n1", "t", "p").unwrap();
    journal
        .settled("r\n1", &json!({"b": 1, "a": "x\ny"}))
        .unwrap();
    let text = read(&path);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&lines[1]),
        ["event", "id", "line", "idempotency_key", "at"]
    );
    assert_eq!(
        keys(&lines[2]),
        ["event", "id", "thread_id", "project_id", "at"]
    );
    assert_eq!(keys(&lines[3]), ["event", "id", "output"]);
    assert!(lines[1]["at"].is_u64());
    assert_eq!(lines[1]["line"], 7);
    assert_eq!(keys(&lines[3]["output"]), ["b", "a"], "order kept");
}

#[test]
fn a_torn_last_line_is_ignored_and_cut_off() {
    let (_dir, path) = temp_journal();
    let (journal, _) = Journal::open(&path, DIGEST).unwrap();
    journal.sending("a", 1, "key-a").unwrap();
    drop(journal);
    let good = read(&path);
    append(&path, r#"{"event":"sent","id":"a","thread_id":"t"#);

    let (journal, replay) = Journal::open(&path, DIGEST).unwrap();
    assert!(replay.torn_tail);
    assert_eq!(
        replay.state("a"),
        Some(&RowState::Uncertain {
            idempotency_key: "key-a".into()
        }),
        "a torn `sent` leaves the row uncertain: re-send with the same key"
    );
    assert_eq!(read(&path), good, "the torn bytes are gone");
    journal.sent("a", "t", "p").unwrap();
    drop(journal);
    let (_, replay) = Journal::open(&path, DIGEST).unwrap();
    assert!(!replay.torn_tail);
    assert!(matches!(replay.state("a"), Some(RowState::Sent { .. })));
}

#[test]
fn a_torn_header_starts_the_journal_afresh() {
    let (_dir, path) = temp_journal();
    std::fs::write(&path, r#"{"event":"head"#).unwrap();
    let (_, replay) = Journal::open(&path, DIGEST).unwrap();
    assert!(replay.torn_tail);
    assert!(read(&path).starts_with(r#"{"event":"header","version":1"#));
    assert_eq!(read(&path).lines().count(), 1);
}

#[test]
fn a_corrupt_middle_line_is_an_error_with_its_line_number() {
    let (_dir, path) = temp_journal();
    let (journal, _) = Journal::open(&path, DIGEST).unwrap();
    journal.sending("a", 1, "key-a").unwrap();
    drop(journal);
    append(&path, "{not json\n");
    append(
        &path,
        "{\"event\":\"settled\",\"id\":\"a\",\"output\":{}}\n",
    );
    let err = Journal::open(&path, DIGEST).unwrap_err();
    assert!(
        matches!(err, JournalError::Corrupt { line: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("line 3: invalid JSON"), "{err}");
}

#[test]
fn semantically_bad_records_are_errors() {
    let cases = [
        ("[1]\n", "line 2: not a JSON object"),
        (
            "{\"id\":\"a\"}\n",
            "line 2: missing or non-string \"event\"",
        ),
        (
            "{\"event\":\"poked\",\"id\":\"a\"}\n",
            "line 2: unknown event \"poked\"",
        ),
        (
            "{\"event\":\"sending\",\"id\":\"a\",\"line\":1,\"at\":5}\n",
            "missing or non-string \"idempotency_key\"",
        ),
        (
            "{\"event\":\"sending\",\"id\":\"a\",\"line\":1,\"idempotency_key\":\"k\",\"at\":\"x\"}\n",
            "non-integer \"at\"",
        ),
        (
            "{\"event\":\"sent\",\"id\":\"a\",\"thread_id\":\"t\",\"at\":1}\n",
            "\"project_id\"",
        ),
        (
            "{\"event\":\"settled\",\"id\":\"a\",\"output\":3}\n",
            "\"output\" must be an object",
        ),
        (
            "{\"event\":\"settled\",\"output\":{}}\n",
            "missing or non-string \"id\"",
        ),
        (
            &format!("{{\"event\":\"header\",\"version\":1,\"file_digest\":\"{DIGEST}\"}}\n"),
            "a second header",
        ),
    ];
    for (line, expected) in cases {
        let (_dir, path) = temp_journal();
        drop(Journal::open(&path, DIGEST).unwrap());
        append(&path, line);
        let err = Journal::open(&path, DIGEST).unwrap_err().to_string();
        assert!(err.contains(expected), "{line}: {err}");
    }
}

#[test]
fn the_first_line_must_be_the_header() {
    let (_dir, path) = temp_journal();
    std::fs::write(&path, "{\"event\":\"sent\",\"id\":\"a\"}\n").unwrap();
    let err = Journal::open(&path, DIGEST).unwrap_err().to_string();
    assert!(
        err.ends_with("line 1: expected the header, found \"sent\""),
        "{err}"
    );
    std::fs::write(&path, "{\"event\":\"header\",\"version\":1}\n").unwrap();
    let err = Journal::open(&path, DIGEST).unwrap_err().to_string();
    assert!(err.ends_with("line 1: malformed header"), "{err}");
}

#[test]
fn a_journal_of_another_input_is_refused() {
    let (_dir, path) = temp_journal();
    drop(Journal::open(&path, DIGEST).unwrap());
    let other = digest(b"other input");
    let err = Journal::open(&path, &other).unwrap_err();
    assert!(matches!(err, JournalError::DigestMismatch { .. }));
    let text = err.to_string();
    assert!(text.contains("different input"), "{text}");
    assert!(text.contains("0123456789abcdef…"), "{text}");
    assert!(text.contains(&other[..16]), "{text}");
    assert!(text.contains("delete the journal"), "{text}");
}

#[test]
fn another_version_is_refused() {
    let (_dir, path) = temp_journal();
    std::fs::write(
        &path,
        format!("{{\"event\":\"header\",\"version\":2,\"file_digest\":\"{DIGEST}\"}}\n"),
    )
    .unwrap();
    let err = Journal::open(&path, DIGEST).unwrap_err();
    assert!(
        matches!(err, JournalError::Version { found: 2, .. }),
        "{err}"
    );
}

#[test]
fn old_sends_are_not_replayed_for_the_limiter() {
    let (_dir, path) = temp_journal();
    drop(Journal::open(&path, DIGEST).unwrap());
    let old = now_millis() - 2 * 3600 * 1000;
    let recent = now_millis() - 10_000;
    append(
        &path,
        &format!(
            "{{\"event\":\"sending\",\"id\":\"a\",\"line\":1,\"idempotency_key\":\"k1\",\"at\":{old}}}\n\
             {{\"event\":\"sending\",\"id\":\"b\",\"line\":2,\"idempotency_key\":\"k2\",\"at\":{recent}}}\n"
        ),
    );
    let (_, replay) = Journal::open(&path, DIGEST).unwrap();
    assert_eq!(replay.chat_sends, [from_millis(recent)]);
    assert_eq!(replay.rows.len(), 2);
}

#[test]
fn open_creates_parent_folders() {
    let dir = tempfile::tempdir().unwrap();
    let path = stdin_journal_path(&dir.path().join(".lovart"), DIGEST);
    drop(Journal::open(&path, DIGEST).unwrap());
    assert!(path.is_file());
}

#[test]
fn concurrent_writers_never_interleave_lines() {
    let (_dir, path) = temp_journal();
    let (journal, _) = Journal::open(&path, DIGEST).unwrap();
    let journal = std::sync::Arc::new(journal);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let journal = journal.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let id = format!("{t}-{i}");
                    journal
                        .settled(&id, &json!({"pad": "x".repeat(3000)}))
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    drop(journal);
    let (_, replay) = Journal::open(&path, DIGEST).unwrap();
    assert_eq!(replay.rows.len(), 400);
}

#[test]
fn journal_paths() {
    assert_eq!(
        default_journal_path(Path::new("dir/prompts.txt")),
        Path::new("dir/prompts.txt.journal.jsonl")
    );
    assert_eq!(
        default_journal_path(Path::new("prompts")),
        Path::new("prompts.journal.jsonl")
    );
    assert_eq!(
        stdin_journal_path(Path::new("/home/u/.lovart"), DIGEST),
        Path::new("/home/u/.lovart/batches/0123456789abcdef.jsonl")
    );
}

#[test]
fn digests() {
    assert_eq!(
        digest(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let mut reader = HashingReader::new(&b"line one\nline two\n"[..]);
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(reader.finish(), digest(b"line one\nline two\n"));

    let mut reader = BufReader::new(HashingReader::new(&b"a\n{b\n"[..]));
    let _ = crate::flow::batch::rows::parse_rows(&mut reader);
    assert_eq!(reader.into_inner().finish(), digest(b"a\n{b\n"));
}

#[test]
fn a_second_open_of_a_journal_in_use_is_refused() {
    let (_dir, path) = temp_journal();
    let (journal, _) = Journal::open(&path, DIGEST).unwrap();
    let second = Journal::open(&path, DIGEST).unwrap_err();
    assert!(matches!(second, JournalError::Locked { .. }), "{second}");
    assert!(
        second
            .to_string()
            .contains("in use by another lovart batch")
    );
    drop(journal);
    assert!(Journal::open(&path, DIGEST).is_ok(), "free once closed");
}

#[test]
fn a_rejected_row_is_fresh_and_queries_seed_the_query_tier() {
    let (_dir, path) = temp_journal();
    let (journal, _) = Journal::open(&path, DIGEST).unwrap();
    journal.sending("a", 1, "key-a").unwrap();
    journal.rejected("a").unwrap();
    journal.sending("b", 2, "key-b").unwrap();
    journal.queries(5).unwrap();
    journal.queries(2).unwrap();
    drop(journal);
    let (_journal, replay) = Journal::open(&path, DIGEST).unwrap();
    assert_eq!(replay.rows.get("a"), None, "sent afresh, with a new key");
    assert_eq!(
        replay.rows.get("b"),
        Some(&RowState::Uncertain {
            idempotency_key: "key-b".into()
        })
    );
    assert_eq!(replay.query_calls.len(), 7);
    assert_eq!(replay.chat_sends.len(), 2);
}
