//! `lovart-core`: the engine of the `lovart` client, shared by its command
//! line, its MCP server and `batch`.
//!
//! It owns the work and none of the front ends' business: no command-line
//! parsing, no process exit. A front end resolves [`settings::Settings`] from
//! its flags and the environment, then calls the flows.
//!
//! Layers: `settings` (flags > environment > defaults, each variable read once
//! in [`settings::environment`]); `api` is the one HTTP client (signing,
//! envelope, retries), speaking the contract of the `lovart-wire` crate;
//! `flow` holds the use cases (send, poll, settle, confirm, batch) and their
//! advice; `state` owns the state file, `download` artifact files, `catalog`
//! the model list; `failure` classifies errors for programs; `progress` is
//! what is drawn at a terminal; `python` is the one home of the reference's
//! Python semantics; `timing` the reference's fixed waits.

#![warn(missing_docs)]

pub mod api;
pub mod catalog;
pub mod download;
pub mod failure;
pub mod files;
pub mod flow;
pub mod progress;
pub mod python;
pub mod settings;
pub mod skill;
pub mod state;
pub mod timing;
