//! Files people can find again: `--name` templates, `--sidecar`, the
//! download history, `lovart history` and `lovart gallery`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{World, artifact_name, run, text};

mod library;

/// A 300-character prompt in three scripts that asks the sandbox for four images.
fn long_unicode_prompt() -> String {
    let mut prompt = String::from("variations of ");
    let filler = "猫が月の上で踊る夜 — ñandú bailando, кошка танцует 🐈 ";
    while prompt.chars().count() < 300 {
        prompt.push_str(filler);
    }
    prompt.chars().take(300).collect()
}

fn history_path(world: &World) -> PathBuf {
    world.home.path().join(".lovart/history.jsonl")
}

/// Every line of the history file, each parsed (panics on a torn line).
fn history_lines(world: &World) -> Vec<Value> {
    let text = std::fs::read_to_string(history_path(world)).unwrap_or_default();
    text.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("torn line {line:?}: {e}"))
        })
        .collect()
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn chat(world: &World, prompt: &str, extra: &[&str]) -> Value {
    let out = world.out_dir();
    let mut args = vec![
        "chat",
        "--prompt",
        prompt,
        "--json",
        "--download",
        "--output-dir",
        &out,
    ];
    args.extend_from_slice(extra);
    let chat = run(world.lovart().args(&args));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    chat.json()
}

fn local_paths(output: &Value) -> Vec<String> {
    output["downloaded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| text(item, "local_path"))
        .collect()
}

#[test]
fn a_template_places_files_sidecars_and_history_where_it_says() {
    let world = World::sandbox();
    let prompt = long_unicode_prompt();
    let template = "{project}/{date}/{prompt}/{thread8}-{index}.{ext}";
    let output = chat(&world, &prompt, &["--name", template, "--sidecar"]);
    let thread = text(&output, "thread_id");
    let project = text(&output, "project_id");
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string(); // TZ=UTC in tests
    let paths = local_paths(&output);
    assert_eq!(paths.len(), 4, "{output}");
    let history = history_lines(&world);
    assert_eq!(history.len(), 4);
    for (index, path) in paths.iter().enumerate() {
        let relative = Path::new(path)
            .strip_prefix(world.out_dir())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let parts: Vec<&str> = relative.split('/').collect();
        assert_eq!(parts.len(), 4, "{relative}");
        assert_eq!(parts[0], project);
        assert_eq!(parts[1], date);
        assert!(
            parts[2].starts_with("variations-of-猫が月の上で踊る夜-ñandú"),
            "{}",
            parts[2]
        );
        assert_eq!(parts[3], format!("{}-{}.png", &thread[..8], index + 1));
        for part in &parts {
            assert!(part.len() <= 255);
        }
        let file = Path::new(path);
        assert!(file.is_file());
        let sidecar: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{path}.json")).unwrap())
                .unwrap();
        let sha = sha256_hex(file);
        assert_eq!(sidecar["version"], 1);
        assert_eq!(text(&sidecar, "sha256"), sha);
        assert_eq!(sidecar["size"], std::fs::metadata(file).unwrap().len());
        assert_eq!(text(&sidecar, "prompt"), prompt);
        assert_eq!(text(&sidecar, "thread_id"), thread);
        assert_eq!(text(&sidecar, "project_id"), project);
        assert_eq!(text(&sidecar, "mime_type"), "image/png");
        assert_eq!(text(&sidecar, "type"), "image");
        assert_eq!(text(&sidecar, "lovart_version"), env!("CARGO_PKG_VERSION"));
        assert_eq!(sidecar["url"], output["downloaded"][index]["url"]);
        // The history line is the sidecar's record.
        let line = history
            .iter()
            .find(|line| line["local_path"] == sidecar["local_path"])
            .unwrap_or_else(|| panic!("no history line for {path}"));
        assert_eq!(line, &sidecar);
        assert_eq!(
            std::fs::canonicalize(text(line, "local_path")).unwrap(),
            std::fs::canonicalize(file).unwrap()
        );
    }

    // The same URLs again: the files are there, nothing is fetched or recorded twice.
    let again = run(world.lovart().args([
        "result",
        "--thread-id",
        &thread,
        "--download",
        "--output-dir",
        &world.out_dir(),
        "--name",
        template,
    ]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    let again = again.json();
    assert_eq!(local_paths(&again), paths);
    assert!(
        again["downloaded"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["new"] == false)
    );
    assert_eq!(history_lines(&world).len(), 4);
}

#[test]
fn a_taken_name_gets_a_number_and_the_real_extension() {
    let world = World::sandbox();
    let first = chat(&world, "a cat", &["--name", "{type}"]);
    let second = chat(&world, "a dog", &["--name", "{type}"]);
    let out = world.out_dir();
    assert_eq!(local_paths(&first), [format!("{out}/image.png")]);
    assert_eq!(local_paths(&second), [format!("{out}/image-2.png")]);
    // A URL without an extension: {ext} is what arrived (a WAV), not .png.
    let song = chat(
        &world,
        "a calm song noext",
        &["--name", "songs/{index}.{ext}", "--sidecar"],
    );
    let path = &local_paths(&song)[0];
    assert_eq!(path, &format!("{out}/songs/1.wav"));
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{path}.json")).unwrap()).unwrap();
    assert_eq!(text(&sidecar, "mime_type"), "audio/wav");
}

#[test]
fn without_a_template_names_stay_the_reference_and_history_still_records() {
    let world = World::sandbox();
    let output = chat(&world, "a cat", &[]);
    let url = text(&output["downloaded"][0], "url");
    assert_eq!(
        local_paths(&output),
        [format!(
            "{}/{}",
            world.out_dir(),
            artifact_name("lovart", &url, ".png")
        )]
    );
    assert!(!Path::new(&format!("{}.json", local_paths(&output)[0])).exists());
    let history = history_lines(&world);
    assert_eq!(history.len(), 1);
    assert_eq!(text(&history[0], "url"), url);
    assert_eq!(text(&history[0], "prompt"), "a cat");
    // The state file stays the reference's: nothing of the history in it.
    assert!(!world.state_text().unwrap().contains("sha256"));
}

#[test]
fn templates_that_leave_the_output_folder_are_usage_errors() {
    let world = World::sandbox();
    for bad in ["../x", "/etc/x", "{nope}", "a/../../b"] {
        let refused =
            run(world
                .lovart()
                .args(["chat", "--prompt", "a cat", "--download", "--name", bad]));
        assert_eq!(refused.code, 2, "{bad}: {}", refused.stderr);
        assert!(refused.stderr.contains("--name"), "{}", refused.stderr);
    }
    assert_eq!(world.count("POST", "/chat"), 0);
}

#[test]
fn two_concurrent_chat_downloads_leave_two_intact_history_lines() {
    let world = World::sandbox();
    let out = world.out_dir();
    let children: Vec<_> = ["a cat", "a dog"]
        .iter()
        .map(|prompt| {
            world
                .lovart_process()
                .args([
                    "chat",
                    "--prompt",
                    prompt,
                    "--download",
                    "--output-dir",
                    &out,
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let history = history_lines(&world);
    assert_eq!(history.len(), 2);
    let mut prompts: Vec<String> = history.iter().map(|line| text(line, "prompt")).collect();
    prompts.sort();
    assert_eq!(prompts, ["a cat", "a dog"]);
    for line in &history {
        assert_eq!(
            text(line, "sha256"),
            sha256_hex(Path::new(&text(line, "local_path")))
        );
    }
}

#[test]
fn watch_with_a_timed_template_downloads_each_artifact_once() {
    let world = World::sandbox();
    let watch = run(world.lovart().args([
        "watch",
        "--prompt",
        "variations",
        "--interval",
        "1",
        "--output-dir",
        &world.out_dir(),
        "--name",
        "{time}/{index}",
    ]));
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    let events: Vec<Value> = watch
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let paths = |events: &[Value]| -> Vec<String> {
        let mut paths: Vec<String> = events
            .iter()
            .filter(|event| event["event"] == "artifact")
            .map(|event| text(event, "local_path"))
            .collect();
        paths.sort();
        paths
    };
    let first = paths(&events);
    assert_eq!(first.len(), 4);
    assert_eq!(history_lines(&world).len(), 4);
    // A second later {time} renders differently; the URLs are found where they are.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let thread = text(&events[0], "thread_id");
    let again = run(world.lovart().args([
        "watch",
        "--thread-id",
        &thread,
        "--interval",
        "1",
        "--output-dir",
        &world.out_dir(),
        "--name",
        "{time}/{index}",
    ]));
    let events: Vec<Value> = again
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(paths(&events), first);
    assert_eq!(history_lines(&world).len(), 4);
}

#[test]
fn help_lists_the_placeholders_with_an_example() {
    let help = run(World::offline().lovart().args(["chat", "--help"]));
    for placeholder in [
        "{thread}",
        "{thread8}",
        "{index}",
        "{type}",
        "{prompt}",
        "{project}",
        "{date}",
        "{time}",
        "{ext}",
    ] {
        assert!(
            help.stdout.contains(placeholder),
            "{placeholder} missing:\n{}",
            help.stdout
        );
    }
    assert!(help.stdout.contains("--sidecar"));
}

#[cfg(feature = "mcp")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_tools_take_name_and_sidecar_and_record_history() {
    use crate::mcp::{Recorder, call, connect, structured, succeeded};
    let world = World::sandbox();
    let out = world.out_dir();
    let client = connect(&world, Recorder::default()).await;
    let generated = call(
        &client,
        "generate",
        serde_json::json!({"prompt": "a red fox", "output_dir": out, "name": "fox/{thread8}-{index}", "sidecar": true}),
    )
    .await;
    let output = succeeded(&generated);
    let thread = output["thread_id"].as_str().unwrap();
    let path = output["downloaded"][0]["local_path"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(path, format!("{out}/fox/{}-1.png", &thread[..8]));
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{path}.json")).unwrap()).unwrap();
    assert_eq!(text(&sidecar, "prompt"), "a red fox");
    assert_eq!(text(&sidecar, "sha256"), sha256_hex(Path::new(&path)));
    assert_eq!(history_lines(&world).len(), 1);

    let refused = call(
        &client,
        "result",
        serde_json::json!({"thread_id": thread, "download": true, "name": "../up"}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true));
    assert_eq!(
        structured(&refused)["error"]["kind"],
        "invalid_input",
        "{refused:?}"
    );
    client.cancel().await.unwrap();
}

#[test]
fn batch_rows_are_named_by_the_template_and_recorded() {
    let world = World::sandbox();
    let rows = world.home.path().join("rows.txt");
    std::fs::write(&rows, "a cat\na dog\n").unwrap();
    let done = run(world
        .lovart()
        .env("LOVART_RATE_SCALE", "0.01")
        .args([
            "batch",
            rows.to_str().unwrap(),
            "--download",
            "--output-dir",
            &world.out_dir(),
        ])
        .args(["--name", "{prompt}/{index}", "--sidecar"]));
    assert_eq!(done.code, 0, "{}", done.stderr);
    let out = world.out_dir();
    for prompt in ["a-cat", "a-dog"] {
        let path = format!("{out}/{prompt}/1.png");
        assert!(Path::new(&path).is_file(), "{path}");
        assert!(Path::new(&format!("{path}.json")).is_file());
    }
    let mut prompts: Vec<String> = history_lines(&world)
        .iter()
        .map(|line| text(line, "prompt"))
        .collect();
    prompts.sort();
    assert_eq!(prompts, ["a cat", "a dog"]);
}

#[test]
fn wait_and_download_take_a_template_too() {
    let world = World::sandbox();
    let out = world.out_dir();
    let (thread, _) = world.send("a quiet harbour at dawn");
    let waited = run(world.lovart().args([
        "wait",
        "--thread-id",
        &thread,
        "--json",
        "--download",
        "--output-dir",
        &out,
        "--name",
        "{prompt}-{thread8}",
    ]));
    assert_eq!(waited.code, 0, "{}", waited.stderr);
    // The prompt of a thread sent earlier is its saved topic.
    assert_eq!(
        local_paths(&waited.json()),
        [format!(
            "{out}/a-quiet-harbour-at-dawn-{}.png",
            &thread[..8]
        )]
    );
    let url = format!("{}/files/{thread}/1.png", world.url());
    let fetched = run(world.lovart().args([
        "download",
        "--urls",
        &url,
        "--output-dir",
        &out,
        "--name",
        "urls/{index}.{ext}",
    ]));
    assert_eq!(fetched.code, 0, "{}", fetched.stderr);
    // Already downloaded into this folder: found where it is, not fetched again.
    let fetched = fetched.json();
    assert_eq!(local_paths(&fetched), local_paths(&waited.json()));
    assert_eq!(fetched["downloaded"][0]["new"], false);
    let other = format!("{out}2");
    let fetched = run(world.lovart().args([
        "download",
        "--urls",
        &url,
        "--output-dir",
        &other,
        "--name",
        "urls/{index}.{ext}",
    ]));
    assert_eq!(
        local_paths(&fetched.json()),
        [format!("{other}/urls/1.png")]
    );
    assert_eq!(history_lines(&world).len(), 2);
}
