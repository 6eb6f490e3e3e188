//! Files in and out: `download`, the `--download` of `chat`, `confirm` and
//! `result`, `upload` (the multipart bytes on the wire) and `upload-artifact`.

use crate::support::{World, artifact_name, assert_one_error_line, file_names, run};
use lovart_sandbox::Fault;
use lovart_wire::sign::signature;
use serde_json::{Value, json};

/// Chat `prompt` with `--json --download` into the world's out folder.
fn chat_download(world: &World, prompt: &str) -> Value {
    let chat = run(world.lovart().args([
        "chat",
        "--prompt",
        prompt,
        "--json",
        "--download",
        "--output-dir",
        &world.out_dir(),
    ]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    chat.json()
}

fn out_files(world: &World) -> Vec<String> {
    file_names(&world.home.path().join("out"))
}

#[test]
fn download_command_labels_urls_image_and_skips_files_on_disk() {
    let world = World::sandbox();
    let (thread, _) = world.send("a cat");
    let out = world.out_dir();
    let good = format!("{}/files/{thread}/1.png", world.url());
    let query = format!("{good}?v=2");
    let missing = format!("{}/files/{thread}/9.png", world.url());
    let path = |url: &str| format!("{out}/{}", artifact_name("shot", url, ".png"));
    let expected = |new: bool| {
        format!(
            "{{\n  \"downloaded\": [\n    {{\n      \"type\": \"image\",\n      \"url\": \"{good}\",\n      \"local_path\": \"{}\",\n      \"new\": {new}\n    }},\n    {{\n      \"type\": \"image\",\n      \"url\": \"{query}\",\n      \"local_path\": \"{}\",\n      \"new\": {new}\n    }},\n    {{\n      \"type\": \"image\",\n      \"url\": \"{missing}\",\n      \"local_path\": null,\n      \"error\": \"download failed\",\n      \"new\": false\n    }}\n  ],\n  \"output_dir\": \"{out}\"\n}}\n",
            path(&good),
            path(&query),
        )
    };
    let args = [
        "download",
        "--urls",
        &good,
        &query,
        &good,
        &missing,
        "--output-dir",
        &out,
        "--prefix",
        "shot",
    ];
    let first = run(world.lovart().args(args));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.stdout, expected(true));
    let again = run(world.lovart().args(args));
    assert_eq!(again.stdout, expected(false));
    let mut names = vec![
        artifact_name("shot", &good, ".png"),
        artifact_name("shot", &query, ".png"),
    ];
    names.sort();
    assert_eq!(out_files(&world), names);
    assert_eq!(
        std::fs::read(path(&good)).unwrap(),
        std::fs::read(path(&query)).unwrap()
    );

    let fetches = world.requests_to("GET", &format!("/files/{thread}/1.png"));
    assert_eq!(fetches.len(), 2, "files on disk are not fetched again");
    for fetch in &fetches {
        assert_eq!(fetch.header("user-agent"), Some("Mozilla/5.0"));
        assert_eq!(fetch.header("referer"), Some("https://www.lovart.ai/"));
        assert_eq!(fetch.header("accept-encoding"), Some("identity"));
        assert_eq!(fetch.header("x-signature"), None);
    }
}

#[test]
fn download_needs_keys_like_every_network_command() {
    let world = World::offline();
    let download = run(world
        .lovart()
        .args(["download", "--urls", "http://127.0.0.1:9/a.png"]));
    assert_one_error_line(&download);
    assert!(download.stderr.contains("LOVART_ACCESS_KEY"));
}

#[test]
fn chat_downloads_every_variation_in_order() {
    let world = World::sandbox();
    let result = chat_download(&world, "variations of a lamp");
    let thread = result["thread_id"].as_str().unwrap();
    let downloaded = result["downloaded"].as_array().unwrap();
    assert_eq!(downloaded.len(), 4);
    for (index, item) in downloaded.iter().enumerate() {
        let url = format!("{}/files/{thread}/{}.png", world.url(), index + 1);
        assert_eq!(item["url"], url.as_str());
        assert_eq!(item["new"], true);
        let path = item["local_path"].as_str().unwrap();
        assert!(path.ends_with(&artifact_name("lovart", &url, ".png")));
        assert!(std::fs::read(path).unwrap().starts_with(b"\x89PNG"));
    }
    assert_eq!(out_files(&world).len(), 4);
}

#[test]
fn audio_and_3d_artifacts_keep_their_extensions_and_bytes() {
    let world = World::sandbox();
    let audio = chat_download(&world, "lofi music for studying");
    let item = &audio["downloaded"][0];
    assert_eq!(item["type"], "audio");
    let path = item["local_path"].as_str().unwrap();
    assert!(path.ends_with(".wav"), "{path}");
    let wav = std::fs::read(path).unwrap();
    assert_eq!((&wav[..4], &wav[8..12]), (&b"RIFF"[..], &b"WAVE"[..]));

    let model = chat_download(&world, "a 3d chair");
    let item = &model["downloaded"][0];
    assert_eq!(item["type"], "3d");
    let path = item["local_path"].as_str().unwrap();
    assert!(path.ends_with(".glb"), "{path}");
    assert!(std::fs::read(path).unwrap().starts_with(b"glTF"));
}

/// A URL without an extension: an image is `.png` and a video `.mp4` (the
/// reference's names, chosen before downloading); every other type is named
/// from what arrives (the sandbox sends `audio/wav`, `model/gltf-binary`),
/// where the reference wrote `.png`. The next run finds the file again.
#[test]
fn urls_without_extension_are_named_png_mp4_or_from_their_content() {
    let world = World::sandbox();
    let cases = [
        ("a cat noext", ".png", &b"\x89PNG"[..]),
        ("a calm song noext", ".wav", &b"RIFF"[..]),
        ("a 3d chair noext", ".glb", &b"glTF"[..]),
    ];
    for (prompt, extension, magic) in cases {
        let result = chat_download(&world, prompt);
        let item = &result["downloaded"][0];
        let url = item["url"].as_str().unwrap();
        assert!(!url.rsplit('/').next().unwrap().contains('.'), "{url}");
        let path = item["local_path"].as_str().unwrap();
        assert!(
            path.ends_with(&artifact_name("lovart", url, extension)),
            "{prompt}: {path}"
        );
        assert!(std::fs::read(path).unwrap().starts_with(magic), "{path}");
        assert_eq!(item["new"], true);
        let thread = result["thread_id"].as_str().unwrap();
        let again = run(world.lovart().args([
            "result",
            "--thread-id",
            thread,
            "--download",
            "--output-dir",
            &world.out_dir(),
        ]));
        assert_eq!(again.code, 0, "{}", again.stderr);
        let item = &again.json()["downloaded"][0];
        assert_eq!(
            (item["local_path"].as_str(), &item["new"]),
            (Some(path), &json!(false))
        );
    }
    let pending = chat_download(&world, "a video noext");
    let thread = pending["thread_id"].as_str().unwrap();
    let out = world.out_dir();
    let confirm = run(world.lovart().args([
        "confirm",
        "--thread-id",
        thread,
        "--json",
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(confirm.code, 0, "{}", confirm.stderr);
    let item = &confirm.json()["downloaded"][0];
    let url = item["url"].as_str().unwrap();
    assert_eq!(item["type"], "video");
    assert_eq!(
        item["local_path"],
        format!("{out}/{}", artifact_name("lovart", url, ".mp4")).as_str()
    );
}

#[test]
fn a_broken_link_is_a_failure_item_and_the_chat_still_succeeds() {
    let world = World::sandbox();
    let out = world.out_dir();
    let chat = run(world.lovart().args([
        "chat",
        "--prompt",
        "a cat brokenlink",
        "--json",
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(chat.code, 0, "{}", chat.stderr);
    let thread = chat.json()["thread_id"].as_str().unwrap().to_string();
    let broken = format!("{}/files/{thread}/2.png", world.url());
    assert!(
        chat.stdout.contains(&format!(
            "    {{\n      \"type\": \"image\",\n      \"url\": \"{broken}\",\n      \"local_path\": null,\n      \"error\": \"download failed\",\n      \"new\": false\n    }}\n  ]\n}}\n"
        )),
        "{}",
        chat.stdout
    );
    assert_eq!(chat.json()["downloaded"][0]["new"], true);
    assert_eq!(out_files(&world).len(), 1, "no partial file is left");
}

#[test]
fn result_download_twice_reports_files_as_not_new() {
    let world = World::sandbox();
    run(world.lovart().args(["chat", "--prompt", "a cat"]));
    let thread = world.thread_ids()[0].clone();
    let out = world.out_dir();
    let args = [
        "result",
        "--thread-id",
        &thread,
        "--download",
        "--output-dir",
        &out,
    ];
    let first = run(world.lovart().args(args));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let first = first.json();
    assert_eq!(
        first.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["thread_id", "status", "items", "downloaded"]
    );
    assert_eq!(first["downloaded"][0]["new"], true);
    let second = run(world.lovart().args(args)).json();
    let mut expected = first["downloaded"][0].clone();
    expected["new"] = json!(false);
    assert_eq!(second["downloaded"], json!([expected]));
    assert_eq!(out_files(&world).len(), 1);
}

fn multipart(boundary: &str, filename: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    bytes
}

#[test]
fn upload_sends_the_reference_multipart_bytes() {
    let world = World::sandbox();
    let path = world.home.path().join("海报 v2.png");
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 256) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let upload = run(world
        .lovart()
        .args(["upload", "--file", path.to_str().unwrap()]));
    assert_eq!(upload.code, 0, "{}", upload.stderr);
    let url = upload.json()["url"].as_str().unwrap().to_string();
    assert_eq!(upload.stdout, format!("{{\"url\": \"{url}\"}}\n"));

    let requests = world.requests_to("POST", "/file/upload");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let content_type = request.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart content type");
    assert_eq!(boundary.len(), 32);
    let expected = multipart(boundary, "海报 v2.png", &data);
    assert_eq!(request.body, expected);
    assert_eq!(request.body_len, expected.len() as u64);
    assert_eq!(
        request.header("content-length"),
        Some(expected.len().to_string().as_str())
    );
    assert_eq!(request.header("transfer-encoding"), None);
    assert_eq!(request.header("user-agent"), Some("LovartAgentSkill/1.0"));
    assert_eq!(request.header("idempotency-key"), None);
    let timestamp = request.header("x-timestamp").unwrap();
    assert_eq!(
        request.header("x-signature").unwrap(),
        signature("sk_sandbox", "POST", "/v1/openapi/file/upload", timestamp)
    );

    let out = world.out_dir();
    let back = run(world
        .lovart()
        .args(["download", "--urls", &url, "--output-dir", &out]));
    assert_eq!(back.code, 0, "{}", back.stderr);
    let local = back.json()["downloaded"][0]["local_path"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(std::fs::read(local).unwrap(), data);
}

#[test]
fn upload_of_a_missing_file_or_a_folder_sends_nothing() {
    let world = World::sandbox();
    let missing = world.home.path().join("nope.png");
    let cases = [
        (
            missing.display().to_string(),
            format!(
                "Error: cannot read '{}': No such file or directory\n",
                missing.display()
            ),
        ),
        (
            world.home.path().display().to_string(),
            format!(
                "Error: cannot upload '{}': it is a directory\n",
                world.home.path().display()
            ),
        ),
    ];
    for (file, expected) in cases {
        let upload = run(world.lovart().args(["upload", "--file", &file]));
        assert_one_error_line(&upload);
        assert_eq!(upload.stderr, expected);
    }
    assert!(world.server().requests().is_empty());
}

#[test]
fn upload_failures_use_the_reference_messages_and_are_not_retried() {
    let world = World::sandbox();
    let path = world.home.path().join("a.bin");
    std::fs::write(&path, b"abc").unwrap();
    let file = path.to_str().unwrap();
    let post = |status| Fault::new("POST", "/file/upload", status);
    let cases = [
        (
            post(503).body("try later"),
            "Error: Upload failed (503): try later\n",
        ),
        (
            post(200).json(&json!({"code": 5, "message": "nope"})),
            "Error: Upload failed: nope\n",
        ),
        (
            post(200).json(&json!({"data": {"url": "http://x/a"}})),
            "Error: Upload failed: unknown error\n",
        ),
    ];
    for (fault, expected) in cases {
        world.server().clear_requests();
        world.server().inject(fault);
        let upload = run(world.lovart().args(["upload", "--file", file]));
        assert_eq!(upload.code, 1);
        assert_eq!(upload.stderr, expected);
        assert_eq!(world.count("POST", "/file/upload"), 1);
    }
}

#[test]
fn upload_artifact_prints_the_answer_pretty() {
    let world = World::sandbox();
    run(world.lovart().arg("create-project"));
    let project = world.state()["active_project"]
        .as_str()
        .unwrap()
        .to_string();
    let uploaded = run(world.lovart().args([
        "upload-artifact",
        "--project-id",
        &project,
        "--url",
        "https://cdn.example/海报.mp4",
        "--type",
        "video",
    ]));
    assert_eq!(uploaded.code, 0, "{}", uploaded.stderr);
    let answer = uploaded.json();
    let id = answer["artifact_id"].as_str().unwrap();
    assert_eq!(
        uploaded.stdout,
        format!(
            "{{\n  \"artifact_id\": \"{id}\",\n  \"artifact_type\": \"video\",\n  \"artifact_content\": \"https://cdn.example/海报.mp4\"\n}}\n"
        )
    );
    let body = world.requests_to("POST", "/artifact/upload")[0]
        .json()
        .unwrap();
    assert_eq!(
        body,
        json!({"project_id": project, "artifact_type": "video", "artifact_content": "https://cdn.example/海报.mp4"})
    );

    let default_type = run(world.lovart().args([
        "upload-artifact",
        "--project-id",
        &project,
        "--url",
        "https://x/y.png",
    ]));
    assert_eq!(default_type.json()["artifact_type"], "image");

    let unknown = run(world.lovart().args([
        "upload-artifact",
        "--project-id",
        "nope",
        "--url",
        "https://x/y.png",
    ]));
    assert_eq!(unknown.stderr, "Error: project not found\n");
    assert_eq!(
        world.count("POST", "/artifact/upload"),
        3,
        "a POST is never retried"
    );
}

#[test]
fn an_empty_file_is_new_each_time_and_fragments_stay_in_the_extension() {
    let world = World::sandbox();
    let empty = world.home.path().join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    let upload = run(world
        .lovart()
        .args(["upload", "--file", empty.to_str().unwrap()]));
    let url = upload.json()["url"].as_str().unwrap().to_string();
    let fragment = format!("{url}#frag");
    for _ in 0..2 {
        // A relative folder with a trailing slash, as os.path.join keeps it.
        let download = run(world.lovart().current_dir(world.home.path()).args([
            "download",
            "--urls",
            &url,
            &fragment,
            "--output-dir",
            "o/",
        ]));
        assert_eq!(download.code, 0, "{}", download.stderr);
        assert_eq!(
            download.json(),
            json!({
                "downloaded": [
                    {"type": "image", "url": url, "local_path": format!("o/{}", artifact_name("lovart", &url, ".bin")), "new": true},
                    {"type": "image", "url": fragment, "local_path": format!("o/{}", artifact_name("lovart", &fragment, ".bin#frag")), "new": true}
                ],
                "output_dir": "o/"
            })
        );
    }
    assert_eq!(file_names(&world.home.path().join("o")).len(), 2);
}

#[test]
fn result_download_follows_the_reference_artifact_rules() {
    let world = World::sandbox();
    let (thread, _) = world.send("variations of a cup");
    let url = |n: u32| format!("{}/files/{thread}/{n}.png", world.url());
    world.server().inject(Fault::new("GET", "/chat/result", 200).json(&json!({
        "code": 0,
        "data": {"thread_id": thread, "status": "done", "items": [
            {"type": "assistant", "text": "hi"},
            {"type": "generator", "artifacts": [{"content": url(1)}, {"type": "image", "content": ""}]},
            {"type": "generator", "artifacts": [{"type": "image", "content": url(1)}, {"type": "video", "content": url(2)}]}
        ]}
    })));
    let out = world.out_dir();
    let result = run(world.lovart().args([
        "result",
        "--thread-id",
        &thread,
        "--download",
        "--output-dir",
        &out,
    ]));
    assert_eq!(result.code, 0, "{}", result.stderr);
    let path = |n: u32| format!("{out}/{}", artifact_name("lovart", &url(n), ".png"));
    assert_eq!(
        result.json()["downloaded"],
        json!([
            {"type": "unknown", "url": url(1), "local_path": path(1), "new": true},
            {"type": "video", "url": url(2), "local_path": path(2), "new": true}
        ])
    );
}

#[test]
fn slow_artifacts_download_whole_and_in_input_order() {
    let world = World::sandbox();
    // slowfile: each ~190 KiB image trickles out in about 1.2 s.
    let (thread, _) = world.send("variations of a cup slowfile");
    let urls: Vec<String> = (1..=4)
        .map(|n| format!("{}/files/{thread}/{n}.png", world.url()))
        .collect();
    let out = world.out_dir();
    let started = std::time::Instant::now();
    let download = run(world
        .lovart()
        .arg("download")
        .arg("--urls")
        .args(&urls)
        .args(["--output-dir", &out]));
    let elapsed = started.elapsed();
    assert_eq!(download.code, 0, "{}", download.stderr);
    let order: Vec<Value> = download.json()["downloaded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["url"].clone())
        .collect();
    assert_eq!(order, urls.iter().map(|url| json!(url)).collect::<Vec<_>>());
    assert!(
        elapsed >= std::time::Duration::from_secs(1),
        "slowfile is slow: {elapsed:?}"
    );
}
