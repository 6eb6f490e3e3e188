//! Tests for the state file: locking, key order, migration, corrupt files.

use super::*;
use serde_json::json;
use std::sync::Arc;

fn new_store() -> (tempfile::TempDir, StateStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(dir.path().join(".lovart").join("state.json"));
    (dir, store)
}

fn write(store: &StateStore, text: &str) {
    fs::create_dir_all(store.path().parent().unwrap()).unwrap();
    fs::write(store.path(), text).unwrap();
}

fn on_disk(store: &StateStore) -> Value {
    serde_json::from_str(&fs::read_to_string(store.path()).unwrap()).unwrap()
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn concurrent_updates_keep_every_thread() {
    let (_dir, store) = new_store();
    let store = Arc::new(store);
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                store
                    .update(|s| s.upsert_thread(&format!("t{i}"), "topic", Some("p")))
                    .unwrap();
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    let threads = store.load().unwrap().threads(Some("p"));
    assert_eq!(threads.len(), 32);
    for i in 0..32 {
        assert!(threads.iter().any(|t| t["id"] == format!("t{i}").as_str()));
    }
}

#[test]
fn key_order_and_exact_text() {
    let (_dir, store) = new_store();
    store.update(|s| s.add_project("p1", "")).unwrap();
    store
        .update(|s| s.upsert_thread("t1", "hello", None))
        .unwrap();
    let data = on_disk(&store);
    assert_eq!(keys(&data), ["projects", "active_project", "threads"]);
    assert_eq!(
        keys(&data["threads"][0]),
        ["id", "project_id", "topic", "updated_at"]
    );
    assert_eq!(data["threads"][0]["project_id"], "p1");
    assert_eq!(keys(&data["projects"]["p1"]), ["name", "created_at"]);

    write(
        &store,
        r#"{"projects": {"p": {"name": "a"}}, "active_project": "p"}"#,
    );
    store.update(|s| s.rename_project("p", "设计")).unwrap();
    let text = fs::read_to_string(store.path()).unwrap();
    let want = "{\n  \"projects\": {\n    \"p\": {\n      \"name\": \"设计\"\n    }\n  },\n  \"active_project\": \"p\"\n}";
    assert_eq!(text, want);
}

#[test]
fn unknown_keys_survive() {
    let (_dir, store) = new_store();
    write(
        &store,
        r#"{"x": 1, "projects": {"p": {"extra": true, "name": "a"}}, "threads": [{"id": "t", "k": [2], "topic": "old"}], "y": null}"#,
    );
    store.update(|s| s.rename_project("p", "b")).unwrap();
    store
        .update(|s| s.upsert_thread("t", "new", Some("p")))
        .unwrap();
    let data = on_disk(&store);
    assert_eq!(keys(&data), ["x", "projects", "threads", "y"]);
    assert_eq!(data["projects"]["p"], json!({"extra": true, "name": "b"}));
    assert_eq!(
        keys(&data["threads"][0]),
        ["id", "k", "topic", "project_id", "updated_at"]
    );
    assert_eq!(data["threads"][0]["k"], json!([2]));
    assert_eq!(data["threads"][0]["topic"], "new");
}

#[test]
fn legacy_form_is_migrated_and_saved() {
    let (_dir, store) = new_store();
    write(&store, r#"{"threads": [], "project_id": "abc", "z": 1}"#);
    let state = store.load().unwrap();
    assert_eq!(state.active_project().as_deref(), Some("abc"));
    let data = on_disk(&store);
    assert_eq!(keys(&data), ["threads", "z", "active_project", "projects"]);
    assert_eq!(data["active_project"], "abc");
    assert_eq!(data["projects"]["abc"]["name"], "default");
    assert!(data["projects"]["abc"]["created_at"].is_string());
    assert_eq!(&Value::Object(state.data().clone()), &data);
}

#[test]
fn corrupt_file_is_moved_aside() {
    for bad in ["{not json", "[1, 2]"] {
        let (_dir, store) = new_store();
        write(&store, bad);
        store.update(|s| s.add_project("p", "n")).unwrap();
        let folder = store.path().parent().unwrap();
        let aside: Vec<_> = fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("state.json.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(fs::read_to_string(&aside[0]).unwrap(), bad);
        assert_eq!(keys(&on_disk(&store)), ["projects", "active_project"]);
    }
    let (_dir, store) = new_store();
    write(&store, " \n");
    assert!(store.load().unwrap().data().is_empty());
}

#[test]
fn unreadable_paths_are_errors() {
    let (dir, store) = new_store();
    fs::create_dir_all(store.path()).unwrap();
    let error = format!("{:#}", store.load().unwrap_err());
    assert!(error.contains("state.json"), "{error}");
    assert!(store.update(|s| s.add_project("p", "")).is_err());

    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    let store = StateStore::new(file.join("state.json"));
    assert!(format!("{:#}", store.load().unwrap_err()).contains("state.json"));
    assert!(store.update(|s| s.add_project("p", "")).is_err());
}

#[test]
fn unknown_ids_do_not_write() {
    let (_dir, store) = new_store();
    store.update(|s| s.rename_project("nope", "x")).unwrap();
    assert_eq!(store.update(|s| s.switch_project("nope")).unwrap(), None);
    assert!(!store.path().exists());
    assert!(store.load().unwrap().data().is_empty());
}

#[test]
fn switch_by_unique_prefix() {
    let (_dir, store) = new_store();
    store.update(|s| s.add_project("abc1", "")).unwrap();
    store.update(|s| s.add_project("abc2", "")).unwrap();
    store.update(|s| s.add_project("xyz", "")).unwrap();
    assert_eq!(store.update(|s| s.switch_project("abc")).unwrap(), None);
    assert_eq!(
        store
            .update(|s| s.switch_project("abc2"))
            .unwrap()
            .as_deref(),
        Some("abc2")
    );
    assert_eq!(
        store.update(|s| s.switch_project("x")).unwrap().as_deref(),
        Some("xyz")
    );
    assert_eq!(
        store.load().unwrap().active_project().as_deref(),
        Some("xyz")
    );
}

#[test]
fn remove_project_and_threads() {
    let (_dir, store) = new_store();
    store.update(|s| s.remove_project("x")).unwrap();
    assert_eq!(
        fs::read_to_string(store.path()).unwrap(),
        "{\n  \"threads\": []\n}"
    );

    let (_dir, store) = new_store();
    store.update(|s| s.add_project("a", "")).unwrap();
    store.update(|s| s.add_project("b", "")).unwrap();
    store.update(|s| s.upsert_thread("t1", "x", None)).unwrap();
    store
        .update(|s| s.upsert_thread("t2", "x", Some("a")))
        .unwrap();
    store.update(|s| s.remove_project("b")).unwrap();
    let state = store.load().unwrap();
    assert_eq!(state.active_project().as_deref(), Some("a"));
    assert_eq!(state.threads(None).len(), 1);
    store.update(|s| s.remove_project("a")).unwrap();
    assert_eq!(
        on_disk(&store),
        json!({"projects": {}, "active_project": null, "threads": []})
    );
    store.update(|s| s.remove_thread("none")).unwrap();
}

#[cfg(unix)]
#[test]
fn mode_and_symlink() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let (dir, store) = new_store();
    store.update(|s| s.add_project("p", "")).unwrap();
    let mode = fs::metadata(store.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let real = dir.path().join("elsewhere").join("real.json");
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    fs::write(&real, "{}").unwrap();
    fs::remove_file(store.path()).unwrap();
    symlink(&real, store.path()).unwrap();
    store.update(|s| s.add_project("q", "")).unwrap();
    assert!(
        fs::symlink_metadata(store.path())
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let data: Value = serde_json::from_str(&fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(data["active_project"], "q");
}

#[test]
fn threads_cap_order_and_names() {
    let mut state = State::default();
    for i in 0..60 {
        state.upsert_thread(&format!("t{i}"), "x", Some("p"));
    }
    let threads = state.threads(None);
    assert_eq!(threads.len(), 50);
    assert_eq!(threads[0]["id"], "t59");
    state.upsert_thread("t30", "changed", Some("q"));
    let threads = state.threads(None);
    assert_eq!(threads[29]["id"], "t30");
    assert_eq!(threads[29]["topic"], "changed");
    assert_eq!(state.threads(Some("q")).len(), 1);
    state.remove_thread("t30");
    assert_eq!(state.threads(None).len(), 49);

    state.add_project("设计项目一二三四五六", "");
    assert_eq!(
        state.data()["projects"]["设计项目一二三四五六"]["name"],
        "设计项目一二三四"
    );
    state.add_project("设计项目一二三四五六", "");
    assert_eq!(
        state.data()["projects"]["设计项目一二三四五六"]["name"],
        "设计项目一二三四"
    );
    state.add_project("设计项目一二三四五六", "new");
    assert_eq!(
        state.data()["projects"]["设计项目一二三四五六"]["name"],
        "new"
    );
}
