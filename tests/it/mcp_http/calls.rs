//! Calls over HTTP: the same tools, pictures inline and CDN links instead of
//! the server's paths, downloads kept in the server's folder, a running
//! generation waited to the end, twenty clients at once.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::{HttpServer, TOKEN, connect, world};
use crate::mcp::{TOOLS, call, structured, succeeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_tools_answer_with_pictures_and_cdn_links_and_files_stay_in_the_servers_folder() {
    let world = world(true);
    let server = HttpServer::start(&world, &[], &[]);
    let client = connect(&server, None).await;
    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<String> = tools.iter().map(|tool| tool.name.to_string()).collect();
    names.sort();
    // `upload` reads a server file: not offered to a client on another machine.
    let remote: Vec<&str> = TOOLS.into_iter().filter(|name| *name != "upload").collect();
    assert_eq!(names, remote);
    // Nor are local paths or the server's folders.
    let texts = serde_json::to_string(&tools).unwrap();
    for local in ["local file paths", "/tmp/lovart", "local path"] {
        assert!(!texts.contains(local), "{local} offered over HTTP");
    }
    assert!(texts.contains("this server cannot read your files"));

    // A folder outside the server's: the download lands inside it all the same.
    let outside = world.home.path().join("outside");
    let result = call(
        &client,
        "generate",
        json!({"prompt": "a secret lighthouse", "output_dir": outside}),
    )
    .await;
    let output = succeeded(&result);
    assert_eq!(output["final_status"], "done");
    let downloaded = output["downloaded"].as_array().unwrap();
    assert_eq!(downloaded.len(), 1);
    let path = std::path::PathBuf::from(downloaded[0]["local_path"].as_str().unwrap());
    let inside = server
        .out
        .join(outside.strip_prefix("/").unwrap_or(&outside));
    assert_eq!(path.parent().unwrap(), inside);
    assert!(path.is_file());
    assert!(
        !outside.exists(),
        "nothing is written where the client asked"
    );

    let url = downloaded[0]["url"].as_str().unwrap();
    let mut images = 0;
    let mut links = Vec::new();
    for block in &result.content {
        if block.as_image().is_some() {
            images += 1;
        }
        if let Some(link) = block.as_resource_link() {
            links.push(link.uri.clone());
        }
    }
    assert_eq!(images, 1, "the picture comes inline");
    // The file as a lovart:// resource and the CDN URL; no file:// link.
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(links[0].starts_with("lovart://thread/"), "{links:?}");
    assert_eq!(links[1], url);

    // One access-log line per request: tool and status, never the arguments.
    assert!(
        server
            .stderr_shows("POST /mcp tools/call generate 200 ")
            .await,
        "{}",
        server.stderr()
    );
    assert!(!server.stderr().contains("secret"));

    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let health: serde_json::Value = serde_json::from_str(&health.text().await.unwrap()).unwrap();
    assert_eq!(health["status"], "ok");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_call_logs_its_tool_and_kind_but_never_its_arguments_and_a_link_cannot_lead_out()
{
    let world = world(true);
    let server = HttpServer::start(&world, &[], &[]);
    let client = connect(&server, None).await;
    // A link already in the served folder does not lead a download out.
    let elsewhere = world.home.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::create_dir_all(&server.out).unwrap();
    std::os::unix::fs::symlink(&elsewhere, server.out.join("link")).unwrap();
    let calls = [
        (
            "generate",
            json!({"prompt": "p", "output_dir": "link/secret-d"}),
        ),
        (
            "generate",
            json!({"prompt": "p", "attachments": ["/srv/secret-a.png"]}),
        ),
        (
            "generate",
            json!({"prompt": "p", "name": "../../secret-b/{index}.{ext}"}),
        ),
        (
            "wait",
            json!({"thread_id": "secret-c", "name": "link/secret-c/{index}.{ext}"}),
        ),
    ];
    for (tool, arguments) in calls {
        let result = call(&client, tool, arguments).await;
        assert_eq!(
            structured(&result)["error"]["kind"],
            "invalid_input",
            "{result:?}"
        );
    }
    assert!(
        server.stderr_shows("tools/call wait 200 ").await,
        "{}",
        server.stderr()
    );
    let log = server.stderr();
    assert!(!log.contains("secret"), "arguments in the log: {log}");
    let access: Vec<&str> = log.lines().filter(|l| l.contains(" tools/call ")).collect();
    assert_eq!(access.len(), 4, "one access line per call: {log}");
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.ends_with(": invalid_input"))
        .collect();
    assert_eq!(
        errors,
        [
            "lovart mcp: generate: invalid_input",
            "lovart mcp: generate: invalid_input",
            "lovart mcp: generate: invalid_input",
            "lovart mcp: wait: invalid_input"
        ],
        "{log}"
    );
    assert_eq!(world.count("POST", "/chat"), 0);
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_generation_is_polled_with_wait_to_the_end() {
    let world = world(false);
    let server = HttpServer::start(&world, &[], &[]);
    let client = connect(&server, None).await;
    let started = call(
        &client,
        "generate",
        json!({"prompt": "a lighthouse", "wait_seconds": 1, "download": false}),
    )
    .await;
    let output = succeeded(&started);
    assert_eq!(output["final_status"], "running");
    let thread = output["thread_id"].as_str().unwrap().to_string();
    let mut polls = 0;
    let finished = loop {
        polls += 1;
        assert!(polls <= 20, "never finished");
        let waited = call(
            &client,
            "wait",
            json!({"thread_id": thread, "wait_seconds": 2}),
        )
        .await;
        if succeeded(&waited)["final_status"] != "running" {
            break waited;
        }
    };
    let output = succeeded(&finished);
    assert_eq!(output["final_status"], "done");
    assert_eq!(output["thread_id"], thread.as_str());
    // A wait that settled at its deadline hands the files back to fetch.
    if server.out.read_dir().unwrap().next().is_none() {
        let downloaded = output["downloaded"].as_array().expect("downloaded");
        assert!(
            downloaded.iter().all(|item| item["local_path"].is_null()),
            "{output:?}"
        );
        let fetched = call(
            &client,
            "result",
            json!({"thread_id": thread, "download": true}),
        )
        .await;
        succeeded(&fetched);
    }
    assert!(server.out.read_dir().unwrap().next().is_some());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_clients_at_once_each_get_their_own_thread() {
    let world = world(true);
    let tokens: Vec<String> = (1..=20).map(|n| format!("c{n} {TOKEN}-{n}")).collect();
    let file = world.home.path().join("tokens");
    std::fs::write(&file, tokens.join("\n")).unwrap();
    let server = HttpServer::start(&world, &["--token-file", file.to_str().unwrap()], &[]);
    let calls = (1..=20).map(|n| {
        let server = &server;
        async move {
            let client = connect(server, Some(&format!("{TOKEN}-{n}"))).await;
            let prompt = format!("poster number {n}");
            let result = call(
                &client,
                "generate",
                json!({"prompt": prompt, "download": false}),
            )
            .await;
            let thread = succeeded(&result)["thread_id"]
                .as_str()
                .unwrap()
                .to_string();
            client.cancel().await.unwrap();
            (prompt, thread)
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    let topics: HashMap<String, String> = world.state()["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|thread| {
            (
                thread["id"].as_str().unwrap().to_string(),
                thread["topic"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut threads = HashSet::new();
    for (prompt, thread) in &answers {
        assert_eq!(topics.get(thread), Some(prompt), "a mixed-up answer");
        threads.insert(thread.clone());
    }
    assert_eq!(threads.len(), 20);
    assert_eq!(world.count("POST", "/chat"), 20);
    for n in [1, 20] {
        assert!(
            server
                .stderr_shows(&format!(
                    "lovart mcp: c{n} POST /mcp tools/call generate 200"
                ))
                .await,
            "{}",
            server.stderr()
        );
    }
}
