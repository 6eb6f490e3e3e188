//! Generate one image from a Rust program with `lovart-core`, the engine of
//! the `lovart` command line, and print the path of the file it downloaded.
//!
//! The program talks to the built-in sandbox server, started in this process
//! (`lovart-sandbox`), so it needs no account and no network:
//!
//! ```text
//! cargo run --example generate_image
//! ```
//!
//! The steps are the ones `lovart chat --download` takes: resolve the settings,
//! make the API client, start the generation (project, send, record), wait
//! for the thread to settle and download its artifacts, then close it (name
//! the project, record the final state). The engine prints nothing itself: what
//! it has to say while it works arrives as events, written here to stderr.
//! Against the real API, leave out the
//! sandbox and the keys in `Flags`: `Settings::resolve` then takes the base URL
//! and the keys from `LOVART_BASE_URL`, `LOVART_ACCESS_KEY` and
//! `LOVART_SECRET_KEY`, exactly as the command line does.

use anyhow::{Context, Result, bail};
use lovart_core::download::FileOptions;
use lovart_core::events::{Event, EventSink, Events};
use lovart_core::flow::generate::{self, Request};
use lovart_core::flow::settle::{PendingShape, Wait, wait_for_output};
use lovart_core::settings::{Environment, Flags, Settings};
use lovart_core::state::StateStore;
use lovart_sandbox::{SandboxHandle, SandboxOptions};
use serde_json::Value;

/// Says on stderr what the engine reports: each status a poll reads, and
/// warnings (a state file that could not be saved, a failed download, …).
struct Stderr;

impl Events for Stderr {
    fn emit(&self, event: Event<'_>) {
        match event {
            Event::Status(status) => eprintln!("status: {status}"),
            Event::Warning(text) | Event::Line(text) => eprintln!("{text}"),
            _ => {}
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    // A local Lovart API on 127.0.0.1 and a free port, alive until dropped.
    // `fast`: a generation moves one step per status poll.
    let sandbox = SandboxHandle::start(SandboxOptions {
        fast: true,
        ..SandboxOptions::default()
    });

    // Everything this run writes (the state file, the image) goes into a new
    // temporary folder, kept when the program ends so the image can be seen.
    let folder = tempfile::Builder::new()
        .prefix("lovart-example-")
        .tempdir()
        .context("cannot create a temporary folder")?
        .keep();

    // Flags win over the environment, which wins over the defaults. The state
    // file (projects and threads sent) is this run's own, not ~/.lovart's.
    let flags = Flags {
        base_url: Some(sandbox.base_url()),
        access_key: Some("ak_sandbox".to_string()),
        secret_key: Some("sk_sandbox".to_string()),
        ..Flags::default()
    };
    let mut settings = Settings::resolve(flags, Environment::read())?;
    settings.state = StateStore::new(folder.join("state.json"));
    // Events are dropped unless a sink is given (after the state store: the
    // sink is handed to it too).
    let settings = settings.with_events(EventSink::new(Stderr));

    // The signed API client; fails at once without keys or with a bad base URL.
    let client = settings.api()?;

    // Checks what can be checked before anything is billed (the output
    // folder is created here), takes the state file's active project or makes
    // one, sends one `POST /chat` and records the thread: from here on the
    // generation is billed and its thread id is on record, whatever happens next.
    let output_dir = folder.join("images").display().to_string();
    let request = Request {
        prompt: "a lighthouse at dawn, in watercolour".to_string(),
        output_dir: Some(output_dir.clone()),
        ..Request::default()
    };
    let started = generate::start(&client, &settings, request).await?;

    // Wait (a status every 3 s, within `--timeout`: 180 s by default), shape
    // the result, close the generation, then download every artifact.
    let files = FileOptions {
        origin: started.origin.clone(),
        ..FileOptions::default()
    };
    let wait = Wait {
        thread_id: &started.thread_id,
        project_id: Some(&started.project_id),
        timeout: settings.timeout()?,
        max_credits: None,
        shape: PendingShape::Summary,
        json: false,
        download: true,
        output_dir: &output_dir,
        files: &files,
    };
    let result = wait_for_output(&client, &settings, wait, async |result, pending| {
        started.finish(&client, &settings, result, pending).await;
        Ok(())
    })
    .await?;
    let thread_id = &started.thread_id;

    // `result` is the object `lovart chat --json --download` prints.
    let status = result.get("final_status").and_then(Value::as_str);
    if status != Some("done") {
        bail!("thread {thread_id} ended as {status:?}, not done");
    }
    let downloaded = result.get("downloaded").and_then(Value::as_array);
    let paths: Vec<&str> = downloaded
        .into_iter()
        .flatten()
        .filter_map(|item| item.get("local_path")?.as_str())
        .collect();
    if paths.is_empty() {
        bail!("thread {thread_id} finished without a downloaded file");
    }
    for path in paths {
        println!("{path}");
    }
    Ok(())
}
