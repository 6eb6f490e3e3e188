//! What a failed command tells a program: the error kinds, the JSON error
//! object, the `hint:` advice, and the exit codes.
//!
//! A person reads `Error: <message>` (and a `hint:` at a terminal); a program
//! run with `--json` also gets one object on stdout:
//! `{"error": {"kind", "message", "http_status", "code", "retry_after_s",
//! "retryable", "thread_id", "hint"}}`, null where unknown. `kind` is one of
//! [`Kind`]; `thread_id` is set whenever a generation had already started, so
//! nothing billed is lost. Exit codes stay the reference's (0/1/2/130) unless
//! `LOVART_EXIT_CODES=detailed` asks for one code per kind and per unfinished
//! generation ([`ExitCodes`]).
//!
//! Advice names what the reader can do, in the words of their front end
//! ([`Wording`]): the CLI's names `lovart` commands and flags ("resume with
//! `lovart wait --thread-id t1 --json`"), MCP's names tools and arguments
//! ("call the `wait` tool with thread_id \"t1\""). An error that carries its
//! own advice ([`Hinted`]) carries it in both when they differ.

use std::fmt;

use lovart_wire::envelope::codes;
use serde_json::{Value, json};

use crate::api::{ApiError, ApiErrorKind};

mod advice;
use advice::{MISSING_KEYS_FOR_MCP, advice, nothing_pending_advice};

/// The documented error kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Keys missing, wrong or refused (HTTP 401/403).
    Auth,
    /// Not enough credits (HTTP 402, code 2012).
    InsufficientCredits,
    /// Too many requests (HTTP 429, code 1429): retry after `retry_after_s`.
    RateLimited,
    /// The thread is still working on an earlier message (HTTP 409, code 2011).
    ThreadBusy,
    /// No such thread or project (HTTP 404, or a project that does not exist).
    NotFound,
    /// The request or an option was refused as invalid (HTTP 400/422, bad flags).
    InvalidInput,
    /// The server failed or answered something that is not the API (5xx, not JSON).
    Server,
    /// No answer: refused, reset, DNS, TLS.
    Network,
    /// No answer in time.
    Timeout,
    /// A billable send got no answer: it may or may not have started a
    /// generation. Not retryable as such: the same request sent again soon
    /// after reuses its Idempotency-Key (see [`crate::state::pending_sends`]),
    /// so it is billed once; check first with `lovart threads`.
    OutcomeUnknown,
    /// Stopped by a signal (Ctrl-C, SIGTERM, SIGHUP); the generation goes on.
    Interrupted,
    /// Something on this machine: state file, output folder, local file.
    Local,
}

impl Kind {
    /// The error object's `kind`: `auth`, `insufficient_credits`, …, `local`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::InsufficientCredits => "insufficient_credits",
            Self::RateLimited => "rate_limited",
            Self::ThreadBusy => "thread_busy",
            Self::NotFound => "not_found",
            Self::InvalidInput => "invalid_input",
            Self::Server => "server",
            Self::Network => "network",
            Self::Timeout => "timeout",
            Self::OutcomeUnknown => "outcome_unknown",
            Self::Interrupted => "interrupted",
            Self::Local => "local",
        }
    }

    /// Whether the same call may succeed later without any change.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::ThreadBusy | Self::Server | Self::Network | Self::Timeout
        )
    }

    /// The exit code of this kind under `LOVART_EXIT_CODES=detailed`.
    pub fn detailed_exit_code(self) -> u8 {
        match self {
            Self::Auth => 3,
            Self::InsufficientCredits => 4,
            Self::RateLimited => 5,
            Self::ThreadBusy => 6,
            Self::NotFound => 7,
            Self::InvalidInput => 8,
            Self::Server => 9,
            Self::Network => 10,
            Self::Timeout => 11,
            Self::OutcomeUnknown => 13,
            Self::Local => 12,
            Self::Interrupted => 130,
        }
    }
}

/// Bad input found before anything was sent: a flag, a file, a JSON value.
#[derive(Debug)]
pub struct InvalidInput(pub String);

impl fmt::Display for InvalidInput {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}

/// A network command run without both keys; prints as the reference's message.
#[derive(Debug)]
pub struct MissingKeys;

impl fmt::Display for MissingKeys {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(
            "LOVART_ACCESS_KEY and LOVART_SECRET_KEY must be set (via env vars or --ak/--sk)",
        )
    }
}

impl std::error::Error for MissingKeys {}

/// A project or thread the server does not know.
#[derive(Debug)]
pub struct NotFound(pub String);

impl fmt::Display for NotFound {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for NotFound {}

/// An error after a generation started: carries its thread so
/// the error object can say where the billed work is. Prints as its cause.
#[derive(Debug)]
pub struct InThread {
    /// The thread the billed work runs in.
    pub thread_id: String,
    /// What failed.
    pub cause: anyhow::Error,
}

impl fmt::Display for InThread {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:#}", self.cause)
    }
}

impl std::error::Error for InThread {}

/// Wraps an error of the work after a send with the thread it concerns.
pub fn in_thread(thread_id: &str, cause: anyhow::Error) -> anyhow::Error {
    if cause.is::<InThread>() || cause.is::<Interrupted>() {
        return cause;
    }
    InThread {
        thread_id: thread_id.to_string(),
        cause,
    }
    .into()
}

/// Whose words advice is in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Wording {
    /// The command line's: `lovart <command> --flag`.
    #[default]
    Cli,
    /// An MCP client's: tools and their arguments.
    Mcp,
}

/// An error with advice already known where it happened (and, when that
/// advice knows better, the kind: a project check that failed on the keys is
/// an `auth` error under the reference's "does not exist" message). Prints as
/// its cause.
#[derive(Debug)]
pub struct Hinted {
    /// Advice lines, each one a `hint:` line (joined by newlines in `hint`).
    pub hints: Vec<String>,
    /// The same advice in MCP's words ([`Wording::Mcp`]), when `hints` name
    /// `lovart` commands or flags; None: `hints` serve every front end.
    pub mcp_hints: Option<Vec<String>>,
    /// The kind, when it is not the one the cause would be classified as.
    pub kind: Option<Kind>,
    /// What failed.
    pub cause: anyhow::Error,
}

impl fmt::Display for Hinted {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:#}", self.cause)
    }
}

impl std::error::Error for Hinted {}

/// The JSON error object of a failure, and its advice.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorObject {
    /// `kind`: what went wrong, in the documented vocabulary.
    pub kind: Kind,
    /// `message`: the error's whole text, as printed after `Error: `.
    pub message: String,
    /// `http_status`: the status of the failed answer, when there was one.
    pub http_status: Option<u16>,
    /// `code`: the server's own code from the error body or envelope, as sent.
    pub code: Option<Value>,
    /// `retry_after_s`: the answer's `Retry-After`, in whole seconds (at least 1).
    pub retry_after_s: Option<u64>,
    /// `thread_id`: the thread a generation had already started in.
    pub thread_id: Option<String>,
    /// `hint`: what to do about it (one or more lines).
    pub hint: Option<String>,
}

impl ErrorObject {
    /// Classifies an error the way a program needs it, with the CLI's advice.
    pub fn of(error: &anyhow::Error) -> Self {
        Self::worded(error, Wording::Cli)
    }

    /// Classifies an error, with advice in `wording`'s words (an MCP client
    /// is told about tools, not commands; the CLI's bytes stay as they were).
    pub fn worded(error: &anyhow::Error, wording: Wording) -> Self {
        let (thread_id, cause) = match error.downcast_ref::<InThread>() {
            Some(in_thread) => (Some(in_thread.thread_id.clone()), &in_thread.cause),
            None => (None, error),
        };
        let (hinted, cause) = match cause.downcast_ref::<Hinted>() {
            Some(hinted) => (Some(hinted), &hinted.cause),
            None => (None, cause),
        };
        let mut object = Self {
            kind: Kind::Local,
            message: format!("{error:#}"),
            http_status: None,
            code: None,
            retry_after_s: None,
            thread_id,
            hint: None,
        };
        let mut nothing_pending = false;
        if let Some(api) = cause.downcast_ref::<ApiError>() {
            object.kind = api_kind(api);
            nothing_pending = api.kind == ApiErrorKind::NotApplicable;
            object.http_status = api.status;
            object.code.clone_from(&api.code);
            object.retry_after_s = api.retry_after.map(|wait| wait.as_secs().max(1));
        } else if cause.is::<InvalidInput>() {
            object.kind = Kind::InvalidInput;
        } else if cause.is::<NotFound>() {
            object.kind = Kind::NotFound;
        } else if cause.is::<Interrupted>() {
            object.kind = Kind::Interrupted;
        } else if cause.is::<MissingKeys>() {
            object.kind = Kind::Auth;
        }
        if let Some(kind) = hinted.and_then(|hinted| hinted.kind) {
            object.kind = kind;
        }
        if wording == Wording::Mcp && cause.is::<MissingKeys>() {
            object.message = MISSING_KEYS_FOR_MCP.to_string();
        }
        let own = hinted.map(|hinted| match (wording, &hinted.mcp_hints) {
            (Wording::Mcp, Some(mcp_hints)) => mcp_hints,
            _ => &hinted.hints,
        });
        object.hint = match own {
            Some(hints) if !hints.is_empty() => Some(hints.join("\n")),
            _ if nothing_pending => {
                Some(nothing_pending_advice(object.thread_id.as_deref(), wording))
            }
            _ => advice(&object, wording),
        };
        object
    }

    /// `{"error": {…}}`, every documented key present.
    pub fn to_json(&self) -> Value {
        json!({"error": {
            "kind": self.kind.as_str(),
            "message": self.message,
            "http_status": self.http_status,
            "code": self.code,
            "retry_after_s": self.retry_after_s,
            "retryable": self.kind.retryable(),
            "thread_id": self.thread_id,
            "hint": self.hint,
        }})
    }
}

/// The kind of an API error: the server's own code first, then the HTTP status.
pub fn api_kind(error: &ApiError) -> Kind {
    if error.kind == ApiErrorKind::NotApplicable {
        return Kind::InvalidInput;
    }
    match error.code.as_ref().and_then(Value::as_i64) {
        Some(codes::THREAD_BUSY) => return Kind::ThreadBusy,
        Some(codes::INSUFFICIENT_CREDITS) => return Kind::InsufficientCredits,
        Some(codes::RATE_LIMITED) => return Kind::RateLimited,
        _ => {}
    }
    match (error.kind, error.status) {
        (_, Some(401 | 403)) => Kind::Auth,
        (_, Some(402)) => Kind::InsufficientCredits,
        (_, Some(409)) => Kind::ThreadBusy,
        (_, Some(429)) => Kind::RateLimited,
        (_, Some(404)) => Kind::NotFound,
        (_, Some(400 | 405 | 413 | 422)) => Kind::InvalidInput,
        (_, Some(408 | 504)) => Kind::Timeout,
        (ApiErrorKind::Connection, _) if error.message.ends_with("timed out") => Kind::Timeout,
        (ApiErrorKind::Connection, _) => Kind::Network,
        _ => Kind::Server,
    }
}

/// How exit codes are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCodes {
    /// The reference's: 0 (every settled generation), 1, 2, 130.
    Reference,
    /// `LOVART_EXIT_CODES=detailed`: one code per kind and per unfinished generation.
    Detailed,
}

/// A generation that waits for the user's yes (`final_status: pending_confirmation`).
pub const EXIT_PENDING_CONFIRMATION: u8 = 20;
/// The wait ended at `--timeout` while the thread still runs (`final_status: timeout`).
pub const EXIT_STILL_RUNNING: u8 = 21;
/// The generation was aborted on the server (`final_status: abort`).
pub const EXIT_ABORTED: u8 = 22;

impl ExitCodes {
    /// `LOVART_EXIT_CODES=detailed` asks for one code per kind.
    pub fn from_environment(environment: &crate::settings::Environment) -> Self {
        match environment.text("LOVART_EXIT_CODES") {
            Some("detailed") => Self::Detailed,
            _ => Self::Reference,
        }
    }
}

/// The detailed exit code of a command that succeeded, from the
/// `final_status` of its last settled generation ([`crate::events::Event::Settled`];
/// `None` when it waited for none): 0 when done or none.
pub fn success_exit_code(mode: ExitCodes, final_status: Option<&str>) -> u8 {
    match (mode, final_status) {
        (ExitCodes::Reference, _) | (ExitCodes::Detailed, None) => 0,
        (ExitCodes::Detailed, Some(status)) => match status {
            "pending_confirmation" => EXIT_PENDING_CONFIRMATION,
            "timeout" | "running" => EXIT_STILL_RUNNING,
            "abort" => EXIT_ABORTED,
            _ => 0,
        },
    }
}

/// The signal that stopped a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C (SIGINT; on Windows, Ctrl-C or Ctrl-Break).
    Interrupt,
    /// SIGTERM (Unix only).
    Terminate,
    /// SIGHUP: the terminal closed (Unix only).
    Hangup,
}

/// A signal arrived while a generation was under way; the command already told
/// the user how to pick it up again.
#[derive(Debug)]
pub struct Interrupted(pub Signal);

impl Interrupted {
    /// 128 + the signal's number, as a shell reports a process it killed.
    pub fn exit_code(&self) -> u8 {
        match self.0 {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
            Signal::Hangup => 129,
        }
    }
}

impl fmt::Display for Interrupted {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

#[cfg(test)]
mod tests;
