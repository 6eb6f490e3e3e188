//! `lovart batch FILE`: send many prompts as fast as the account's rate
//! limits allow, resumable after `kill -9`, never billed twice.
//!
//! - `rows`: the input file (plain text or JSONL) → validated rows,
//!   or every error as `line N: message`, before anything is sent.
//! - `limiter`: the two-tier (chat/query, [`lovart_wire::paths::Tier`])
//!   sliding-window rate limiter and the poll pacing.
//! - `journal`: the append-only, locked JSONL journal, its replay into
//!   per-row states, journal paths and the input digest.
//! - `row`: one row's life: send with its journaled key, wait with paced
//!   polls, shape its output line.
//! - `runner`: the whole batch ([`run`]): rows in flight (at most
//!   `--concurrency`), lines printed as rows settle, the summary and the
//!   progress display.
//!
//! Resume protocol: `journal.sending(id, line, key)` (fsync) → `POST /chat`
//! with `key` → `journal.sent(id, thread, project)` (fsync) → poll →
//! `journal.settled(id, output)`. On replay, `Uncertain` rows are re-sent
//! with the same key, `Sent` rows are only polled, `Settled` rows re-printed.

pub(crate) mod journal;
pub(crate) mod limiter;
mod row;
pub(crate) mod rows;
mod runner;

pub use runner::{BatchOptions, Batched, default_concurrency, run};
