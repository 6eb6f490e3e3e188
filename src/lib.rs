//! `lovart`: a fast, dependable client for Lovart's Agent OpenAPI, and a drop-in
//! replacement for the reference `agent_skill.py`.
//!
//! This crate is the front ends; the engine they call (settings, the API
//! client, the flows, the state file, downloads) is the `lovart-core` crate.
//! Layers, from the command line down: `app` turns a command line into an
//! exit code; `cli` is the command line (clap types only, and the shell's
//! completion candidates); `commands` holds one module per command, each
//! composing the engine's flows; `terminal` renders the engine's events and
//! writes the CLI's lines. The sandbox server
//! is the `lovart-sandbox` crate, behind the default `sandbox` feature; `mcp`
//! is the MCP server of `lovart mcp` (rmcp), behind the default `mcp` feature.
//!
//! Only `cli` (for parsing tests), [`main`] and [`complete_if_asked`] (the
//! shell's completion requests) are public.

mod app;
pub mod cli;
mod commands;
#[cfg(feature = "mcp")]
mod mcp;
mod terminal;

pub use app::main;
pub use cli::completion::complete_if_asked;
