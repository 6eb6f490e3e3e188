//! The advice of an error the engine words itself (`hint` in the error
//! object), in each front end's words ([`Wording`]): the CLI's names `lovart`
//! commands and flags, MCP's names tools and arguments. The CLI's sentences
//! are the ones it always printed.

use super::{ErrorObject, Kind, Wording};

/// [`super::MissingKeys`]' message for an MCP client, whose user sets the keys in
/// the server's configuration, not on a command line.
pub(super) const MISSING_KEYS_FOR_MCP: &str = "LOVART_ACCESS_KEY and LOVART_SECRET_KEY must be set in the \
MCP server's environment (the client's configuration of this server)";

/// A confirm refused because nothing waits for a yes: where to look instead.
pub(super) fn nothing_pending_advice(thread_id: Option<&str>, wording: Wording) -> String {
    let thread = thread_id.unwrap_or("<id>");
    match wording {
        Wording::Cli => format!(
            "thread {thread} has no step waiting for confirmation: `lovart result --thread-id {thread}` shows where it stands"
        ),
        Wording::Mcp => format!(
            "thread {thread} has no step waiting for confirmation: the `result` tool with thread_id \"{thread}\" shows where it stands"
        ),
    }
}

/// What the user can do about a failure whose cause is known.
pub(super) fn advice(error: &ErrorObject, wording: Wording) -> Option<String> {
    match wording {
        Wording::Cli => cli_advice(error),
        Wording::Mcp => mcp_advice(error),
    }
}

/// Whether the server refused the request's time.
fn clock_refused(error: &ErrorObject) -> bool {
    let lower = error.message.to_lowercase();
    lower.contains("timestamp") && (lower.contains("expired") || lower.contains("skew"))
}

/// [`advice`] for an MCP client: the same counsel, naming tools and arguments.
fn mcp_advice(error: &ErrorObject) -> Option<String> {
    if clock_refused(error) {
        return Some(
            "the server rejected the request time: check that the clock of the machine running the MCP server is right"
                .to_string(),
        );
    }
    let resume = error.thread_id.as_deref().map(|thread| {
        format!("the generation goes on: call the `wait` tool with thread_id \"{thread}\"")
    });
    let advice = match error.kind {
        // No such thread: nothing goes on, and waiting again cannot help.
        Kind::NotFound if error.thread_id.is_some() => {
            "no thread of that id: the `threads` tool lists the saved ones".to_string()
        }
        Kind::Auth => "check LOVART_ACCESS_KEY and LOVART_SECRET_KEY in the MCP server's environment (Lovart: avatar menu -> AK/SK Management)".to_string(),
        Kind::InsufficientCredits => "the account does not have enough credits for this: top up, or (if the user agrees) switch to the queue with the `set_mode` tool, mode \"unlimited\"".to_string(),
        Kind::ThreadBusy => match &error.thread_id {
            Some(thread) => format!("thread {thread} is still busy: wait for it (the `wait` tool with thread_id \"{thread}\") or start a new thread (`generate` without thread_id)"),
            None => "the thread is still busy: wait for it (the `wait` tool with its thread_id) or start a new thread (`generate` without thread_id)".to_string(),
        },
        Kind::RateLimited => match error.retry_after_s {
            Some(wait) => format!("rate limited: retry after {wait} s"),
            None => "rate limited: wait a minute before retrying".to_string(),
        },
        Kind::Network | Kind::Timeout => "check the network, LOVART_BASE_URL and any proxy settings (https_proxy, no_proxy) of the MCP server".to_string(),
        Kind::OutcomeUnknown => format!(
            "the send got no answer, so it may have started a generation: look before sending again (the `threads` tool lists the saved threads, the `status` tool checks one); the same request sent again within {} minutes reuses its Idempotency-Key, so it is started and billed once",
            crate::state::pending_sends::REUSE_WINDOW.as_secs() / 60
        ),
        _ => return resume,
    };
    Some(match resume {
        Some(resume) if !matches!(error.kind, Kind::ThreadBusy | Kind::NotFound) => {
            format!("{advice}; {resume}")
        }
        _ => advice,
    })
}

/// [`advice`] at the command line.
fn cli_advice(error: &ErrorObject) -> Option<String> {
    if clock_refused(error) {
        return Some(
            "the server rejected the request time: check that this machine's clock is right (lovart doctor shows the offset)"
                .to_string(),
        );
    }
    let resume = error.thread_id.as_deref().map(|thread| {
        format!("the generation goes on: resume with `lovart wait --thread-id {thread} --json`")
    });
    let advice = match error.kind {
        // No such thread: nothing goes on, and waiting again cannot help.
        Kind::NotFound if error.thread_id.is_some() => {
            "no thread of that id: `lovart threads` lists the saved ones".to_string()
        }
        Kind::Auth => "check LOVART_ACCESS_KEY and LOVART_SECRET_KEY (Lovart: avatar menu -> AK/SK Management)".to_string(),
        Kind::InsufficientCredits => "the account does not have enough credits for this: top up, or switch to the queue with `lovart set-mode --unlimited`".to_string(),
        Kind::ThreadBusy => match &error.thread_id {
            Some(thread) => format!("thread {thread} is still busy: wait for it (`lovart wait --thread-id {thread}`) or start a new thread"),
            None => "the thread is still busy: wait for it (`lovart wait --thread-id <id>`) or start a new thread".to_string(),
        },
        Kind::RateLimited => match error.retry_after_s {
            Some(wait) => format!("rate limited: retry after {wait} s"),
            None => "rate limited: wait a minute before retrying".to_string(),
        },
        Kind::Network | Kind::Timeout => "check the network, LOVART_BASE_URL and any proxy settings (https_proxy, no_proxy)".to_string(),
        Kind::OutcomeUnknown => format!(
            "the send got no answer, so it may have started a generation: look before sending again (`lovart threads` lists the saved threads, `lovart status --thread-id <id>` checks one); the same request sent again within {} minutes reuses its Idempotency-Key, so it is started and billed once",
            crate::state::pending_sends::REUSE_WINDOW.as_secs() / 60
        ),
        _ => return resume,
    };
    Some(match resume {
        Some(resume) if !matches!(error.kind, Kind::ThreadBusy | Kind::NotFound) => {
            format!("{advice}; {resume}")
        }
        _ => advice,
    })
}
