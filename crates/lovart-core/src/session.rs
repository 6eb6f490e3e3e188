//! A [`Session`], and the use cases a front end calls on it.
//!
//! A session is what every use case works with: the resolved [`Settings`]
//! (the state store, the fixed waits, the events sink) and the one signed
//! [`ApiClient`]. Its clock is tokio's, so a paused test runtime drives every
//! wait. The use cases — [`Session::send`], [`Session::generate`],
//! [`Session::wait`], [`Session::confirm`], [`Session::result`],
//! [`download`] and [`Session::upload`] — return typed values ([`Sent`],
//! [`Generation`], [`Downloaded`], a URL) that the front ends
//! render: the command line prints [`Generation::output`] (the reference's
//! object, byte for byte), the MCP server turns it into a tool result. None
//! of them prints or exits; what they have to say while they work goes to
//! the settings' events. A batch ([`crate::flow::batch::run`], which reads
//! its whole input before it needs keys) runs its rows on the same flows
//! behind its rate limiter and returns a typed
//! [`Batched`](crate::flow::batch::Batched).
//!
//! Each use case takes a thread id or a unique prefix of a saved one, as the
//! command line does, and checks what can be checked (the output folder, the
//! thread prefix) before anything is billed.
//!
//! **Signals:** `generate`, `wait` and `confirm` (and `watch`'s follow)
//! stop cleanly at Ctrl-C, SIGTERM or SIGHUP while they wait — the wait
//! ends with [`crate::failure::Interrupted`] after an
//! [`crate::events::Event::Interrupted`], the thread going on on the server.
//! To do that they install tokio's signal handlers, which replace the
//! default handling for the rest of the process: a program that calls them
//! and wants Ctrl-C to end it afterwards listens for the signal itself.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

pub use crate::flow::generation::{Downloaded, Generation, WaitPlan};

use crate::api::ApiClient;
use crate::download::{ArtifactRef, FileOptions, ensure_output_dir};
use crate::files::record::Origin;
use crate::flow::generate::{self, Request, Started};
use crate::flow::outcome::download_if_asked;
use crate::flow::send::{Message, send_and_record, upload_local_files};
use crate::flow::settle::{PendingShape, Wait, confirm_step, wait_for_output};
use crate::flow::{project, threads};
use crate::settings::Settings;

/// The settings and the signed client one run (a command, an MCP server)
/// works with.
pub struct Session<'s> {
    settings: &'s Settings,
    client: ApiClient,
}

/// A thread sent before, found ([`Session::attach`]).
#[derive(Debug, Clone)]
pub struct Attached {
    /// Its full id (a given prefix resolved).
    pub thread_id: String,
    /// Its project, from the state file; `None` when it is not saved here.
    pub project_id: Option<String>,
    /// Its prompt, id and project, for files' names and records.
    pub origin: Origin,
}

/// A message sent and on record: `send`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The thread the send started (or continued).
    pub thread_id: String,
    /// The project it went into.
    pub project_id: String,
}

impl<'s> Session<'s> {
    /// A session on `settings`, with their signed client. Fails without keys
    /// or with a bad base URL ([`Settings::api`]); nothing is sent yet.
    pub fn new(settings: &'s Settings) -> Result<Self> {
        Ok(Self::with_client(settings, settings.api()?))
    }

    /// A session on `settings` with a client made already (a server's, or
    /// one bounded by a deadline: [`ApiClient::until`]).
    pub fn with_client(settings: &'s Settings, client: ApiClient) -> Self {
        Self { settings, client }
    }

    /// The settings.
    pub fn settings(&self) -> &'s Settings {
        self.settings
    }

    /// The signed client.
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// `send`: the project (given, active or new; not validated, as the
    /// reference's send), the thread prefix, uploads, one `POST /chat`, and
    /// the thread on record. Returns at once; [`Session::wait`] follows it up.
    /// As the reference's `send`, it sends no tool preferences: the
    /// request's `tools` (and `output_dir`) are not used.
    pub async fn send(&self, request: Request) -> Result<Sent> {
        let (client, settings) = (&self.client, self.settings);
        let project_id =
            project::given_or_new(client, settings, request.project_id.as_deref()).await?;
        let message = Message {
            prompt: request.prompt,
            thread_id: threads::resolve_optional(settings, request.thread_id.as_deref())?,
            attachments: upload_local_files(client, &settings.events, request.attachments).await?,
            mode: request.mode,
            ..Message::default()
        };
        let thread_id = send_and_record(client, settings, &project_id, message).await?;
        Ok(Sent {
            thread_id,
            project_id,
        })
    }

    /// The first half of `generate`: checks, project (validated or new),
    /// uploads, the one billed send, and the thread on record
    /// ([`generate::start`]). A front end with its own wait (MCP's budget and
    /// questions) goes on from the [`Started`]; others call
    /// [`Session::generate`].
    pub async fn start(&self, request: Request) -> Result<Started> {
        generate::start(&self.client, self.settings, request).await
    }

    /// `chat`: [`Session::start`], then the wait of `plan` (a pending step is
    /// confirmed only within `max_credits`), the project named after the
    /// prompt when untitled, the final state recorded, and the downloads.
    /// The download folder is `plan.download` (it replaces the request's
    /// `output_dir`). An error after the send carries the thread id.
    pub async fn generate(&self, request: Request, plan: WaitPlan) -> Result<Generation> {
        let request = Request {
            output_dir: plan.download.clone(),
            ..request
        };
        let started = self.start(request).await?;
        let files = with_origin(&plan.files, started.origin.clone());
        let wait = wait_of(&plan, &started.thread_id, Some(&started.project_id), &files);
        let (client, settings) = (&self.client, self.settings);
        wait_for_output(client, settings, wait, async |output, pending| {
            // A pending step returns at once: no name check, no rename.
            started.finish(client, settings, output, pending).await;
            Ok(())
        })
        .await
    }

    /// `wait`: attaches to a thread already sent and waits as `plan` says.
    /// Nothing is sent and the state file is not changed.
    pub async fn wait(&self, thread: &str, plan: WaitPlan) -> Result<Generation> {
        let attached = self.attach(thread, plan.download.as_deref(), false).await?;
        self.wait_on(&attached, &plan, PendingShape::Summary).await
    }

    /// The first steps of `wait` and `confirm` (the MCP tools' too): the
    /// download folder checked (or made), the thread's prefix resolved, its
    /// project and origin read from the state file, and with `confirm`, the
    /// pending step approved ([`confirm_step`]: a lost answer is
    /// `outcome_unknown`).
    pub async fn attach(
        &self,
        thread: &str,
        download: Option<&str>,
        confirm: bool,
    ) -> Result<Attached> {
        if let Some(output_dir) = download {
            ensure_output_dir(output_dir)?;
        }
        // One read of the state file for the prefix, the project and the origin.
        let state = self.settings.state.load()?;
        let thread_id = threads::resolve_in(&state, thread)?;
        let project_id = state.project_of_thread(&thread_id);
        let origin = threads::origin_in(&state, &thread_id);
        if confirm {
            confirm_step(&self.client, &thread_id).await?;
        }
        Ok(Attached {
            thread_id,
            project_id,
            origin,
        })
    }

    /// `confirm`: approves the thread's pending high-cost step (a refusal
    /// names the thread), then waits as `plan` says; the output is the
    /// thread's result with its `final_status`.
    pub async fn confirm(&self, thread: &str, plan: WaitPlan) -> Result<Generation> {
        let attached = self.attach(thread, plan.download.as_deref(), true).await?;
        self.wait_on(&attached, &plan, PendingShape::Result).await
    }

    /// `result`: the thread's result as it is now (no wait), with its files
    /// downloaded into `download` when given.
    pub async fn result(
        &self,
        thread: &str,
        download: Option<&str>,
        files: &FileOptions,
    ) -> Result<Generation> {
        if let Some(output_dir) = download {
            ensure_output_dir(output_dir)?;
        }
        let thread_id = threads::resolve_thread_id(self.settings, thread)?;
        let output = self.client.result(&thread_id).await?;
        let origin = threads::origin_of(self.settings, &thread_id);
        let project_id = origin.project_id.clone();
        let files = with_origin(files, origin);
        let output_dir = download.unwrap_or_default();
        let output = download_if_asked(
            output,
            download.is_some(),
            output_dir,
            &files,
            self.settings,
        )
        .await?;
        Ok(Generation::new(
            &thread_id,
            project_id.as_deref(),
            None,
            output,
        ))
    }

    /// `upload`: a local file to Lovart's CDN, streamed; its URL.
    pub async fn upload(&self, path: &Path) -> Result<String> {
        self.client.upload_file(path).await
    }

    /// Waits on a thread sent before, of the project the state file says.
    async fn wait_on(
        &self,
        attached: &Attached,
        plan: &WaitPlan,
        shape: PendingShape,
    ) -> Result<Generation> {
        let files = with_origin(&plan.files, attached.origin.clone());
        let project_id = attached.project_id.as_deref();
        let mut wait = wait_of(plan, &attached.thread_id, project_id, &files);
        wait.shape = shape;
        wait_for_output(&self.client, self.settings, wait, async |_, _| Ok(())).await
    }
}

/// `files` for a thread whose prompt, id and project are `origin`.
fn with_origin(files: &FileOptions, origin: Origin) -> FileOptions {
    FileOptions {
        origin,
        ..files.clone()
    }
}

/// The engine's wait for `plan` on one thread (a summary for a pending step).
fn wait_of<'a>(
    plan: &'a WaitPlan,
    thread_id: &'a str,
    project_id: Option<&'a str>,
    files: &'a FileOptions,
) -> Wait<'a> {
    Wait {
        thread_id,
        project_id,
        timeout: plan.timeout,
        max_credits: plan.max_credits,
        shape: PendingShape::Summary,
        json: plan.json,
        download: plan.download.is_some(),
        output_dir: plan.download.as_deref().unwrap_or_default(),
        files,
    }
}

/// `download`: every URL into `output_dir`, named `<prefix>_…` as the
/// reference names them (or by `files`' template); a repeated URL is
/// fetched once. It needs no API client (only the keys, checked by the
/// caller as the reference does). A file that fails is an item with its `error`, not an
/// error of the whole call.
pub async fn download(
    settings: &Settings,
    urls: &[String],
    output_dir: &str,
    prefix: &str,
    files: &FileOptions,
) -> Result<Vec<Downloaded>> {
    // Every URL is labelled "image", as in the reference.
    let artifacts: Vec<ArtifactRef> = urls
        .iter()
        .map(|url| ArtifactRef::new(json!("image"), url.clone()))
        .collect();
    let items = settings
        .downloader()?
        .download_all(&artifacts, output_dir, prefix, files)
        .await?;
    Ok(items.iter().filter_map(Downloaded::from_value).collect())
}
