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
//! open a session (the settings and the signed API client), and call its
//! `generate` use case (project, send, record, wait, name the project, record
//! the final state, download), which returns a typed `Generation`. The engine prints nothing itself: what
//! it has to say while it works arrives as events, written here to stderr.
//! Against the real API, leave out the
//! sandbox and the keys in `Flags`: `Settings::resolve` then takes the base URL
//! and the keys from `LOVART_BASE_URL`, `LOVART_ACCESS_KEY` and
//! `LOVART_SECRET_KEY`, exactly as the command line does.

use anyhow::{Context, Result, bail};
use lovart_core::events::{Event, EventSink, Events};
use lovart_core::flow::generate::Request;
use lovart_core::flow::poll::Settled;
use lovart_core::session::{Session, WaitPlan};
use lovart_core::settings::{Environment, Flags, Settings};
use lovart_core::state::StateStore;
use lovart_sandbox::{SandboxHandle, SandboxOptions};

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

    // A session: these settings and their signed API client; fails at once
    // without keys or with a bad base URL.
    let session = Session::new(&settings)?;

    // `lovart chat --download`: checks what can be checked before anything is
    // billed (the output folder is created here), takes the state file's
    // active project or makes one, sends one `POST /chat` and records the
    // thread (from here on the generation is billed and its thread id is on
    // record, whatever happens next); then waits (a status every 3 s, within
    // `timeout`), names the project, records the final state and downloads
    // every artifact.
    let request = Request {
        prompt: "a lighthouse at dawn, in watercolour".to_string(),
        ..Request::default()
    };
    let plan = WaitPlan {
        timeout: settings.timeout()?,
        download: Some(folder.join("images").display().to_string()),
        ..WaitPlan::default()
    };
    let generation = session.generate(request, plan).await?;
    let thread_id = &generation.thread_id;

    // `generation.output` is the object `lovart chat --json --download` prints;
    // the typed fields say the same without digging in it.
    if generation.status != Some(Settled::Done) {
        bail!(
            "thread {thread_id} ended as {}, not done",
            generation.final_status()
        );
    }
    let paths: Vec<&str> = generation.local_paths().collect();
    if paths.is_empty() {
        bail!("thread {thread_id} finished without a downloaded file");
    }
    for path in paths {
        println!("{path}");
    }
    Ok(())
}
