//! `lovart`: a fast, dependable client for Lovart's Agent OpenAPI, and a drop-in
//! replacement for the reference `agent_skill.py`.
//!
//! `app` turns a command line into an exit code; `cli` is the command line;
//! `commands` holds one module per command; `api` is the one HTTP client;
//! `state`, `download` and `output` own the state file, artifact files and
//! Python-compatible text. `sandbox` is a local server speaking the same API.

pub mod api;
pub mod app;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod ctx;
pub mod download;
pub mod generation;
pub mod output;
pub mod progress;
pub mod sandbox;
pub mod state;
pub mod text;
pub mod timing;
