//! `lovart-core`: the engine of the `lovart` client, shared by its command
//! line, its MCP server and `batch`.
//!
//! It owns the work and none of the front ends' business: no command-line
//! parsing, no process exit. A front end resolves [`settings::Settings`] from
//! its flags and the environment, then calls the flows.
//!
//! Layers: `settings` (flags > environment > defaults, each variable read once
//! in [`settings::environment`]); `session` the use cases a front end
//! calls and the typed values they return; `api` is the one HTTP client (signing,
//! envelope, retries), speaking the contract of the `lovart-wire` crate;
//! `flow` holds the use cases (send, poll, settle, confirm, batch) and their
//! advice; `state` owns the state file, `download` artifact files, `catalog`
//! the model list; `failure` classifies errors for programs; `events` is
//! what the engine has to say while it works (it never prints); `progress`
//! what a front end may draw; `python` is the one home of the reference's
//! Python semantics; `timing` the reference's fixed waits.
//!
//! # From another program
//!
//! `examples/generate_image.rs` in the repository is a whole program:
//! [`Settings::resolve`](settings::Settings::resolve) (a
//! [`Flags`](settings::Flags) and
//! [`Environment::read`](settings::Environment::read)), a
//! [`session::Session`] on them (the settings and the signed client), and
//! its use cases: [`Session::generate`](session::Session::generate) is
//! `lovart chat`, with `send`, `wait`, `confirm`, `result`, `upload` and
//! [`session::download`] beside it. They return typed values
//! ([`session::Generation`]: thread, project, how the wait ended, the output
//! object the command line prints, the downloaded files); results are the
//! API's JSON as `serde_json` maps inside them (typed views in
//! `lovart_wire::reply`). Errors are `anyhow::Error`s, which
//! [`failure::ErrorObject::of`] classifies (kind, HTTP status, thread id, hint).
//! The engine never prints: what it has to say while it works (each status a
//! poll reads, warnings, transfers, an interrupted wait) goes to the
//! [`events::Events`] given with
//! [`Settings::with_events`](settings::Settings::with_events), silent by default.

#![warn(missing_docs)]

pub mod api;
pub mod catalog;
pub mod download;
pub mod events;
pub mod failure;
pub mod files;
pub mod flow;
pub mod progress;
pub mod python;
pub mod session;
pub mod settings;
pub mod skill;
pub mod state;
pub mod timing;
