//! Integration tests: the real `lovart` binary against the in-process sandbox
//! (or a small misbehaving server), in one test binary sharing [`support`].

mod agent_experience;
mod cli_parsing;
mod downloads_and_uploads;
mod generation_flows;
mod local_commands;
mod projects_and_threads;
mod retries;
mod robustness;
mod support;
mod watch_events;
mod wire_protocol;
