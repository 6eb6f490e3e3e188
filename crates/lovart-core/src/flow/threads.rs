//! Thread ids a person can type: `lovart threads` shows the first 8
//! characters, so every `--thread-id` also takes a unique prefix of a saved
//! thread.
//!
//! A full id (one the state file knows, or one that is no saved thread's
//! prefix) is passed on untouched, exactly as the reference would send it; only
//! a strict prefix of exactly one saved thread becomes that thread's id. A
//! prefix of several is refused with the candidates listed. The state file is
//! only read, never written, and an unreadable one changes nothing.

use anyhow::Result;

use crate::failure::InvalidInput;

use serde_json::Value;

use crate::files::record::Origin;
use crate::settings::Settings;
use crate::state::State;

/// The thread id to use for `given`: itself, or the one saved thread it is a
/// prefix of. Errors only when it is a prefix of several saved threads.
pub fn resolve_thread_id(ctx: &Settings, given: &str) -> Result<String> {
    let Ok(Some(state)) = ctx.state.peek() else {
        return Ok(given.to_string());
    };
    resolve_in(&state, given)
}

/// What the state file knows of a thread, for file names and records: its
/// project and its topic (the prompt's first 50 characters) when saved here.
pub fn origin_of(ctx: &Settings, thread_id: &str) -> Origin {
    match ctx.state.peek() {
        Ok(Some(state)) => origin_in(&state, thread_id),
        _ => origin_in(&State::default(), thread_id),
    }
}

/// [`origin_of`] in a state already read.
pub(crate) fn origin_in(state: &State, thread_id: &str) -> Origin {
    let saved = state
        .threads(None)
        .into_iter()
        .find(|thread| thread.get("id").and_then(Value::as_str) == Some(thread_id));
    let text = |key: &str| {
        saved
            .as_ref()
            .and_then(|thread| thread.get(key)?.as_str())
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    };
    Origin {
        prompt: text("topic"),
        thread_id: Some(thread_id.to_string()),
        project_id: text("project_id"),
    }
}

/// [`resolve_thread_id`] for an optional flag (chat and send continue a thread).
pub fn resolve_optional(ctx: &Settings, given: Option<&str>) -> Result<Option<String>> {
    given.map(|given| resolve_thread_id(ctx, given)).transpose()
}

/// [`resolve_thread_id`] in a state already read.
pub(crate) fn resolve_in(state: &State, given: &str) -> Result<String> {
    if given.is_empty() {
        return Ok(given.to_string());
    }
    let ids = state.thread_ids();
    if ids.iter().any(|id| id == given) {
        return Ok(given.to_string());
    }
    let matches: Vec<&String> = ids.iter().filter(|id| id.starts_with(given)).collect();
    match matches.as_slice() {
        [] => Ok(given.to_string()),
        [only] => Ok((*only).clone()),
        several => Err(InvalidInput(ambiguous("thread", given, several)).into()),
    }
}

/// `the prefix '<given>' matches N saved <kind>s: a, b, …; give more characters`
/// (at most 10 listed).
pub fn ambiguous(kind: &str, given: &str, candidates: &[&String]) -> String {
    const SHOWN: usize = 10;
    let mut list: Vec<&str> = candidates
        .iter()
        .take(SHOWN)
        .map(|id| id.as_str())
        .collect();
    if candidates.len() > SHOWN {
        list.push("…");
    }
    format!(
        "the prefix '{given}' matches {} saved {kind}s: {}; give more characters",
        candidates.len(),
        list.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(ids: &[&str]) -> State {
        let mut state = State::default();
        for id in ids.iter().rev() {
            state.upsert_thread(id, "topic", Some("p"));
        }
        state
    }

    #[test]
    fn a_unique_prefix_becomes_the_full_id() {
        let state = state_with(&["e4c2b5d2aaaa", "f00dbeef0000"]);
        assert_eq!(resolve_in(&state, "e4c2b5d2").unwrap(), "e4c2b5d2aaaa");
    }

    #[test]
    fn full_and_unknown_ids_pass_untouched() {
        let state = state_with(&["e4c2b5d2aaaa", "e4c2b5d2aaaab"]);
        assert_eq!(resolve_in(&state, "e4c2b5d2aaaa").unwrap(), "e4c2b5d2aaaa");
        assert_eq!(resolve_in(&state, "not-saved").unwrap(), "not-saved");
        assert_eq!(resolve_in(&state, "").unwrap(), "");
    }

    #[test]
    fn an_ambiguous_prefix_lists_the_candidates() {
        let state = state_with(&["e4c2aaaa", "e4c2bbbb", "ffff0000"]);
        let error = resolve_in(&state, "e4c2").unwrap_err().to_string();
        assert_eq!(
            error,
            "the prefix 'e4c2' matches 2 saved threads: e4c2aaaa, e4c2bbbb; give more characters"
        );
    }
}
