//! Files people can find again: `--name` templates, `--sidecar`, the
//! download history, `lovart history` and `lovart gallery`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{World, artifact_name, run, text};

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
fn history_lists_newest_first_filters_and_marks_missing_files() {
    let world = World::sandbox();
    let cat = chat(&world, "a cat", &[]);
    let song = chat(&world, "a calm song", &[]);
    std::fs::remove_file(&local_paths(&cat)[0]).unwrap();
    let listed = run(world.lovart().args(["history", "--json"]));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed = listed.json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(text(&listed[0], "prompt"), "a calm song");
    assert_eq!(listed[0]["exists"], true);
    assert_eq!(listed[1]["exists"], false);

    let plain = run(world.lovart().args(["history"]));
    let lines: Vec<&str> = plain.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", plain.stdout);
    assert!(lines[1].contains("(missing)") && lines[1].contains("a cat"));
    assert!(!lines[0].contains("(missing)"));

    let thread = text(&song, "thread_id");
    for (flags, expected) in [
        (vec!["--type", "AUDIO"], 1),
        (vec!["--thread", &thread[..6]], 1),
        (vec!["--project", "nope"], 0),
        (vec!["--since", "1h"], 2),
        (vec!["--since", "2999-01-01"], 0),
    ] {
        let mut args = vec!["history", "--json"];
        args.extend(flags.iter().copied());
        let filtered = run(world.lovart().args(&args));
        assert_eq!(
            filtered.json().as_array().unwrap().len(),
            expected,
            "{flags:?}"
        );
    }
    let bad = run(world.lovart().args(["history", "--since", "soon"]));
    assert_eq!(bad.code, 2);
}

#[test]
fn the_gallery_is_one_local_page_grouped_by_thread() {
    let world = World::sandbox();
    let cat = chat(&world, "a <b>cat</b>", &[]);
    chat(&world, "a calm song", &[]);
    chat(&world, "a 3d model", &[]);
    let page_path = world.home.path().join("pages/gallery.html");
    let made =
        run(world
            .lovart()
            .args(["gallery", "--out", page_path.to_str().unwrap(), "--json"]));
    assert_eq!(made.code, 0, "{}", made.stderr);
    let made = made.json();
    assert_eq!(made["files"], 3);
    assert_eq!(made["threads"], 3);
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert!(page.contains("a &lt;b&gt;cat&lt;/b&gt;"));
    assert!(!page.contains("<b>cat"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "a network URL in the page"
    );
    let image = format!(
        "../out/{}",
        Path::new(&local_paths(&cat)[0])
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
    );
    assert!(page.contains(&format!("<img src=\"{image}\"")), "{page}");
    assert!(page.contains("<audio src=\"../out/"));
    assert!(page.contains("3d file: "));
    assert!(page.contains(&format!(
        "lovart chat --thread-id {}",
        text(&cat, "thread_id")
    )));
    // Newest thread first.
    assert!(page.find("3d file").unwrap() < page.find("&lt;b&gt;cat").unwrap());

    // Default place: the state folder.
    let default = run(world.lovart().args(["gallery", "--type", "image"]));
    assert_eq!(default.code, 0, "{}", default.stderr);
    let default_path = world.home.path().join(".lovart/gallery.html");
    assert_eq!(default.stdout.trim(), default_path.to_str().unwrap());
    assert!(
        std::fs::read_to_string(default_path)
            .unwrap()
            .contains("1 files in 1 threads")
    );
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
