//! `lovart mcp --http ADDR`: the same server for clients that reach MCP by
//! URL (custom connectors, hosted agents, a team sharing one account).
//!
//! The transport is rmcp's Streamable HTTP server in its stateless mode:
//! every POST to `/mcp` is served on its own, so any number of clients and a
//! restart lose nothing (threads live in the state file, as with stdio).
//! Around it, on our own connection loop ([`connection`]), sit the checks
//! of [`gate`] (tokens and origins from [`auth`], per-client caps from
//! [`limits`], a body cap), the access log ([`log`]) and `GET /healthz`.
//! Files stay on the server ([`files`]); the client gets pictures inline,
//! CDN URLs and resources instead of paths ([`links`]).
//!
//! Off loopback the server refuses to start without a token. SIGTERM or
//! Ctrl-C drains it ([`crate::mcp::shutdown`]): the listener closes (new
//! connections are refused), idle keep-alive connections close, waiting
//! generation calls answer "running" with their thread, the rest finish, and
//! the process exits once every connection has closed (or after
//! [`DRAIN_GRACE`]). Only a request already being read when the drain
//! starts meets [`gate`]'s 503.
//!
//! The server is the `http` feature (default off: it brings axum and rmcp's
//! HTTP transport to a build); [`files`] and [`links`], which the tools use
//! whatever the transport, are always built.

#[cfg(feature = "http")]
mod auth;
#[cfg(feature = "http")]
mod connection;
pub mod files;
#[cfg(feature = "http")]
mod gate;
#[cfg(feature = "http")]
mod limits;
pub mod links;
#[cfg(feature = "http")]
mod log;
#[cfg(feature = "http")]
mod server;

#[cfg(feature = "http")]
pub use server::*;
