//! Completion candidates computed at completion time: the project and thread
//! ids saved in the state file, for `--project-id` and `--thread-id`.
//!
//! clap_complete's dynamic engine calls these when the shell asks
//! (`source <(lovart completions bash --dynamic)` registers it; the shell then
//! runs `LOVART_COMPLETE=bash lovart -- <words>`). They only read the file,
//! never write it, and an unreadable file gives no candidates.

use clap_complete::engine::CompletionCandidate;
use serde_json::Value;

use lovart_core::state::{State, StateStore};

/// The environment variable that turns a run of `lovart` into a completion request.
pub const COMPLETE_VAR: &str = "LOVART_COMPLETE";

fn saved_state() -> Option<State> {
    StateStore::new(
        StateStore::default_path(lovart_core::settings::Environment::read().lovart_home()).ok()?,
    )
    .peek()
    .ok()
    .flatten()
}

/// Saved project ids, each with its name as help.
pub fn project_ids() -> Vec<CompletionCandidate> {
    let Some(state) = saved_state() else {
        return Vec::new();
    };
    state
        .project_ids_starting_with("")
        .into_iter()
        .map(|id| {
            let name = state.project_name(&id);
            CompletionCandidate::new(id).help((!name.is_empty()).then(|| name.into()))
        })
        .collect()
}

/// Saved thread ids, newest first, each with its topic as help.
pub fn thread_ids() -> Vec<CompletionCandidate> {
    let Some(state) = saved_state() else {
        return Vec::new();
    };
    state
        .threads(None)
        .iter()
        .filter_map(|thread| {
            let id = thread.get("id")?.as_str()?.to_owned();
            let topic = thread.get("topic").and_then(Value::as_str).unwrap_or("");
            Some(
                CompletionCandidate::new(id)
                    .help((!topic.is_empty()).then(|| topic.to_owned().into())),
            )
        })
        .collect()
}

/// Answers a shell's completion request and exits, when the environment
/// makes this run one; otherwise returns at once.
pub fn complete_if_asked() {
    use clap::CommandFactory;
    clap_complete::CompleteEnv::with_factory(super::Cli::command)
        .var(COMPLETE_VAR)
        .complete();
}

/// The script that registers dynamic completion for `shell`.
pub fn dynamic_registration(shell: clap_complete::Shell) -> anyhow::Result<String> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells
        .completer(&name)
        .ok_or_else(|| anyhow::anyhow!("no dynamic completion for {name}"))?;
    let mut script = Vec::new();
    completer.write_registration(COMPLETE_VAR, "lovart", "lovart", "lovart", &mut script)?;
    Ok(String::from_utf8(script)?)
}
