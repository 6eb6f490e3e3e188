//! Integration tests: the real `lovart` binary against the in-process sandbox
//! (or a small misbehaving server), in one test binary sharing [`support`].

mod agent_experience;
mod agent_outcomes;
mod batch;
mod cli_parsing;
mod downloads_and_uploads;
mod error_kinds;
mod files;
mod generation_flows;
mod hostile;
mod hostile_network;
mod json_everywhere;
mod lenient_json;
mod library_example;
mod local_commands;
mod lost_answers;
#[cfg(feature = "mcp")]
mod mcp;
#[cfg(all(feature = "http", unix))]
mod mcp_http;
mod projects_and_threads;
mod retries;
mod robustness;
#[cfg(feature = "sandbox")]
mod sandbox_persistence;
mod settings;
#[cfg(unix)]
mod signals;
mod skill;
mod support;
mod terminal_experience;
mod watch_events;
mod wire_protocol;
