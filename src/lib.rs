//! `lovart`: a fast, dependable client for Lovart's Agent OpenAPI, and a drop-in
//! replacement for the reference `agent_skill.py`.
//!
//! Layers, from the command line down: `app` turns a command line into an
//! exit code; `cli` is the command line (clap types only); `commands` holds one
//! module per command, each composing the shared steps of `flow`; `api` is the
//! one HTTP client (signing, envelope, retries), speaking the contract of the
//! `lovart-wire` crate; `state` owns the state file, `download` artifact files,
//! `progress` what is drawn at a terminal; `python` is the one home of the
//! reference's Python semantics. The sandbox server is the `lovart-sandbox`
//! crate, behind the default `sandbox` feature; `mcp` is the MCP server of
//! `lovart mcp` (rmcp), behind the default `mcp` feature; `skill` is the Agent
//! Skills file the binary carries and installs.
//!
//! Only `cli` (for parsing tests), [`main`] and [`complete_if_asked`] (the
//! shell's completion requests) are public.

mod api;
mod app;
mod catalog;
pub mod cli;
mod commands;
mod completion;
mod ctx;
mod download;
mod failure;
mod files;
mod flow;
#[cfg(feature = "mcp")]
mod mcp;
mod progress;
mod python;
mod skill;
mod state;
mod timing;

pub use app::main;
pub use completion::complete_if_asked;
