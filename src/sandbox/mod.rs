//! `lovart sandbox`: a local Lovart Agent OpenAPI server.
//!
//! Serves every endpoint the client uses, checks signatures, keeps projects and
//! threads in memory, plays scenarios chosen by words in the prompt, and serves
//! the artifacts it generates. The integration tests run this same server.

/// `lovart sandbox --help` text after the options: keys, scenarios, timings.
pub const SCENARIO_HELP: &str = "Scenarios are chosen by words in the prompt (see README).";
