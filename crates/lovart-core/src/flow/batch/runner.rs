//! A whole batch: the input checked, the journal opened (locked) and
//! replayed, the limiter seeded from it, at most `--concurrency` rows worked
//! at once, one line printed per row as it settles, the summary on stderr and
//! the progress display at a terminal.
//!
//! Rows are taken from the parsed input lazily, so memory holds the rows
//! (a few hundred bytes each) and the rows in flight, not every row's result.

use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use futures_util::StreamExt;
use lovart_wire::paths::Tier;
use serde_json::Value;
use tokio::time::Instant;

use super::journal::{HashingReader, Journal, RowState, default_journal_path, stdin_journal_path};
use super::limiter::RateLimiter;
use super::row::{Outcome, Shared, Stats, process};
use super::rows::{Row, parse_rows};
use crate::events::{Event, EventSink};
use crate::failure::{ExitCodes, InvalidInput};
use crate::files::naming::NameTemplate;
use crate::flow::send::ReasoningMode;
use crate::python::dumps_compact;
use crate::settings::Settings;

/// What `lovart batch` was asked, beyond the rows.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Rows worked on at once (at least 1); see [`default_concurrency`].
    pub concurrency: usize,
    /// Download each settled row's artifacts into `output_dir`.
    pub download: bool,
    /// The folder downloads go to (created when missing) unless a row names its own.
    pub output_dir: String,
    /// `--name`: a template for the files' names.
    pub name: Option<NameTemplate>,
    /// `--sidecar`: `<file>.json` beside each file.
    pub sidecar: bool,
    /// The journal file; `None`: `FILE.journal.jsonl` beside the input, or
    /// `batches/<digest>.jsonl` in the state folder for stdin (`-`).
    pub journal: Option<PathBuf>,
    /// The project every row goes into; `None`: the saved active project,
    /// else a new one.
    pub project_id: Option<String>,
    /// The reasoning mode of rows that do not name one.
    pub mode: Option<ReasoningMode>,
    /// Confirm a row's pending step by itself when its estimated cost is
    /// known and at most this many credits (never otherwise).
    pub max_credits: Option<f64>,
    /// How long one row may wait for its thread.
    pub timeout: Duration,
}

/// Rows worked on at once when `--concurrency` is not given: as many as the
/// chat tier lets the batch send in its longest window (600 an hour), so the
/// rate limiter alone paces the sends and the poll pacing alone the queries.
/// A row waiting for its turn costs a small future; a row past this many
/// could not be sent within the hour anyway.
pub fn default_concurrency() -> usize {
    let (per_minute, per_hour) = Tier::Chat.limits();
    per_minute.max(per_hour) as usize
}

/// How often the query calls made are journaled (for a resumed batch).
const QUERY_JOURNAL_EVERY: Duration = Duration::from_secs(1);

/// The input's rows and digest, or every bad line on stderr and an error.
fn read_rows(file: &str, events: &EventSink) -> Result<(Vec<Row>, String)> {
    let reader: Box<dyn Read> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(file)
                .with_context(|| format!("cannot read the batch file {file}"))?,
        )
    };
    let mut hashing = HashingReader::new(reader);
    let parsed = parse_rows(BufReader::new(&mut hashing));
    let digest = hashing.finish();
    let name = if file == "-" { "stdin" } else { file };
    match parsed {
        Ok(parsed) => Ok((parsed.rows, digest)),
        Err(errors) => {
            for error in &errors {
                events.emit(Event::Line(&format!("{name}: {error}")));
            }
            let lines = errors
                .iter()
                .map(|e| e.line)
                .collect::<std::collections::BTreeSet<_>>();
            Err(InvalidInput(format!(
                "{} bad line{} in {name} (first: {}); nothing was sent",
                lines.len(),
                if lines.len() == 1 { "" } else { "s" },
                errors[0]
            ))
            .into())
        }
    }
}

/// What a batch came to: its rows, and the first row that was not done.
#[derive(Debug)]
pub struct Batched {
    /// Rows in the input.
    pub total: usize,
    /// Rows whose thread is done.
    pub done: usize,
    /// Rows that failed with an error (sending, waiting, downloading).
    pub errors: usize,
    /// Rows settled by an earlier run, read from the journal (printed again).
    pub from_journal: usize,
    /// The journal (resume by running the same input again).
    pub journal: PathBuf,
    /// The first row's error, when a row failed.
    pub first_error: Option<anyhow::Error>,
    /// `final_status` of the first row that ended neither done nor with an error.
    pub first_unfinished: Option<String>,
}

impl Batched {
    /// Ok when every row is done; else an error naming how many are not
    /// (with the first row's error as its cause), or, with detailed exit
    /// codes and no row error, the first unfinished row's status as the
    /// final status ([`Event::Settled`]).
    pub fn verdict(self, exit_codes: ExitCodes, events: &EventSink) -> Result<()> {
        let total = self.total;
        if self.done == total {
            return Ok(());
        }
        let message = match total - self.done {
            1 => format!("1 of {total} rows is not done"),
            left => format!("{left} of {total} rows are not done"),
        };
        if let Some(error) = self.first_error {
            return Err(error.context(format!("{message}; the first error")));
        }
        if exit_codes == ExitCodes::Detailed {
            events.emit(Event::Settled(
                self.first_unfinished.as_deref().unwrap_or_default(),
            ));
            return Ok(());
        }
        Err(anyhow!(message))
    }
}

/// Runs the batch in `file` (a path, or `-` for stdin): one output line per
/// row as it settles ([`Event::BatchRow`]) and the summary line; returns
/// what the rows came to ([`Batched::verdict`] turns it into the command's
/// outcome).
///
/// Errors before anything is sent: a bad input (every bad line on stderr,
/// then one error), no keys, an unusable output folder, a journal that is
/// locked by another batch, corrupt, or written for another input. A row's
/// own failure is its output line, not an error of the run.
pub async fn run(file: &str, settings: BatchOptions, ctx: &Settings) -> Result<Batched> {
    let started = Instant::now();
    let (rows, digest) = read_rows(file, &ctx.events)?;
    let client = ctx.api()?;
    if settings.download {
        crate::download::ensure_output_dir(&settings.output_dir)?;
    }
    let journal_path = match &settings.journal {
        Some(path) => path.clone(),
        None if file == "-" => {
            let state_path = ctx.state.path().to_path_buf();
            let dir = state_path.parent().map(PathBuf::from).unwrap_or_default();
            stdin_journal_path(&dir, &digest)
        }
        None => default_journal_path(std::path::Path::new(file)),
    };
    let (journal, mut replay) = Journal::open(&journal_path, &digest).map_err(|e| anyhow!(e))?;
    let scale = ctx.rate_scale;
    let limiter = RateLimiter::for_client(scale);
    limiter.seed(Tier::Chat, &replay.chat_sends);
    limiter.seed(Tier::Query, &replay.query_calls);
    replay.chat_sends = Vec::new();
    replay.query_calls = Vec::new();

    let settled_before = replay
        .rows
        .values()
        .filter(|state| matches!(state, RowState::Settled(_)))
        .count();
    let project_id = if settled_before == rows.len() {
        String::new()
    } else {
        let _ = limiter.acquire(Tier::Query).await;
        crate::flow::project::given_or_new(&client, ctx, settings.project_id.as_deref()).await?
    };
    let shared = Shared {
        ctx,
        client,
        limiter,
        journal,
        project_id,
        settings: &settings,
        rate_scale: scale,
        stats: Stats::default(),
        unanswered: std::sync::Mutex::default(),
        downloader: match settings.download {
            true => Some(
                crate::download::Downloader::new(ctx.insecure_tls, ctx.download_limits)?
                    .with_warnings(ctx.events.clone())
                    .with_history(ctx.history()),
            ),
            false => None,
        },
    };
    let total = rows.len();
    if settled_before > 0 {
        ctx.events.emit(Event::Line(&format!(
            "batch: resuming from {}: {settled_before} of {total} rows already settled (printed again)",
            journal_path.display()
        )));
    }

    let display = Display {
        events: &ctx.events,
    };
    let begun = AtomicUsize::new(0);
    let mut states = std::mem::take(&mut replay.rows);
    let shared_ref = &shared;
    let begun_ref = &begun;
    let mut outcomes = futures_util::stream::iter(rows.iter().map(|row| {
        let state = states.remove(&*row.id);
        async move {
            if let Some(RowState::Settled(text)) = state {
                return Ok(Reprint(text));
            }
            begun_ref.fetch_add(1, Ordering::Relaxed);
            process(shared_ref, row, state).await.map(Fresh)
        }
    }))
    .buffer_unordered(settings.concurrency.max(1));

    let mut tally = Tally::default();
    let mut ticker = tokio::time::interval(QUERY_JOURNAL_EVERY.min(Duration::from_millis(250)));
    let mut last_journaled = Instant::now();
    loop {
        tokio::select! {
            next = outcomes.next() => {
                let Some(next) = next else { break };
                let line = match next? {
                    Reprint(text) => tally.reprinted(&text),
                    Fresh(outcome) => tally.fresh(outcome),
                };
                ctx.events.emit(Event::BatchRow(&line));
            }
            _ = ticker.tick() => {
                if last_journaled.elapsed() >= QUERY_JOURNAL_EVERY {
                    last_journaled = Instant::now();
                    journal_queries(&shared)?;
                }
                let running = begun.load(Ordering::Relaxed) - tally.fresh_count;
                display.update(&tally, running, total, &shared);
            }
        }
    }
    drop(outcomes);
    journal_queries(&shared)?;
    ctx.events.emit(Event::BatchEnded);
    summary(&tally, total, &shared, started.elapsed());
    Ok(Batched {
        total,
        done: tally.done,
        errors: tally.errors,
        from_journal: tally.reprinted,
        journal: shared.journal.path().to_path_buf(),
        first_error: tally.first_error,
        first_unfinished: tally.first_unfinished,
    })
}

fn journal_queries(shared: &Shared<'_>) -> Result<()> {
    let n = shared.stats.unjournaled_queries.swap(0, Ordering::Relaxed);
    if n > 0 {
        shared
            .journal
            .queries(n)
            .with_context(|| "cannot write the batch journal")?;
    }
    Ok(())
}

use RowResult::{Fresh, Reprint};

/// A row's line: re-printed from the journal, or just worked.
enum RowResult {
    Reprint(Box<str>),
    Fresh(Outcome),
}

/// What the rows came to.
#[derive(Default)]
struct Tally {
    done: usize,
    fresh_count: usize,
    reprinted: usize,
    /// `final_status` of the first row not done without an error.
    first_unfinished: Option<String>,
    errors: usize,
    first_error: Option<anyhow::Error>,
}

impl Tally {
    fn reprinted(&mut self, text: &str) -> String {
        self.reprinted += 1;
        let value: Value = crate::python::loads(text).unwrap_or(Value::Null);
        let status = value
            .get("final_status")
            .and_then(Value::as_str)
            .unwrap_or("");
        if status == "done" {
            self.done += 1;
        } else if self.first_unfinished.is_none() {
            self.first_unfinished = Some(status.to_string());
        }
        dumps_compact(&value, false)
    }

    fn fresh(&mut self, outcome: Outcome) -> String {
        self.fresh_count += 1;
        if outcome.done {
            self.done += 1;
        } else if let Some(error) = outcome.error {
            self.errors += 1;
            self.first_error.get_or_insert(error);
        } else if self.first_unfinished.is_none() {
            let status = outcome.output.get("final_status").and_then(Value::as_str);
            self.first_unfinished = Some(status.unwrap_or_default().to_string());
        }
        dumps_compact(&Value::Object(outcome.output), false)
    }
}

fn summary(tally: &Tally, total: usize, shared: &Shared<'_>, elapsed: Duration) {
    let stats = &shared.stats;
    shared.ctx.events.emit(Event::Line(&format!(
        "batch: {} of {total} rows done ({}, {}, {} from the journal) in {:.1} s; \
         {} sends, {} rate-limited answers (429), {} busy-thread retries; journal {}",
        tally.done,
        match tally.errors {
            1 => "1 error".to_string(),
            n => format!("{n} errors"),
        },
        match total - tally.done - tally.errors {
            1 => "1 other outcome".to_string(),
            n => format!("{n} other outcomes"),
        },
        tally.reprinted,
        elapsed.as_secs_f64(),
        stats.sends.load(Ordering::Relaxed),
        stats.rate_limited.load(Ordering::Relaxed),
        stats.busy_retries.load(Ordering::Relaxed),
        shared.journal.path().display(),
    )));
}

/// Reports where the batch stands, for a front end's progress display.
struct Display<'a> {
    events: &'a EventSink,
}

impl Display<'_> {
    fn update(&self, tally: &Tally, running: usize, total: usize, shared: &Shared<'_>) {
        let limiter = &shared.limiter;
        self.events.emit(Event::BatchProgress {
            settled: tally.fresh_count + tally.reprinted,
            running,
            total,
            waiting_sends: limiter.waiting(Tier::Chat),
            waiting_queries: limiter.waiting(Tier::Query),
        });
    }
}
