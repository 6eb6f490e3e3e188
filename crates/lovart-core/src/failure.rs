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

/// [`MissingKeys`]' message for an MCP client, whose user sets the keys in
/// the server's configuration, not on a command line.
const MISSING_KEYS_FOR_MCP: &str = "LOVART_ACCESS_KEY and LOVART_SECRET_KEY must be set in the \
MCP server's environment (the client's configuration of this server)";

/// A confirm refused because nothing waits for a yes: where to look instead.
fn nothing_pending_advice(thread_id: Option<&str>, wording: Wording) -> String {
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
fn advice(error: &ErrorObject, wording: Wording) -> Option<String> {
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
        Some(resume) if error.kind != Kind::ThreadBusy => format!("{advice}; {resume}"),
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
        Some(resume) if error.kind != Kind::ThreadBusy => format!("{advice}; {resume}"),
        _ => advice,
    })
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
mod tests {
    use std::time::Duration;

    use super::*;

    fn api(status: Option<u16>, code: Option<Value>) -> anyhow::Error {
        let mut error = ApiError::new(ApiErrorKind::Http, "boom");
        error.status = status;
        error.code = code;
        error.retry_after = Some(Duration::from_secs(60));
        error.into()
    }

    #[test]
    fn the_servers_code_decides_before_the_status() {
        assert_eq!(
            ErrorObject::of(&api(Some(400), Some(json!(2011)))).kind,
            Kind::ThreadBusy
        );
        assert_eq!(
            ErrorObject::of(&api(Some(200), Some(json!(2012)))).kind,
            Kind::InsufficientCredits
        );
        assert_eq!(
            ErrorObject::of(&api(Some(402), None)).kind,
            Kind::InsufficientCredits
        );
        assert_eq!(ErrorObject::of(&api(Some(401), None)).kind, Kind::Auth);
        assert_eq!(ErrorObject::of(&api(Some(503), None)).kind, Kind::Server);
    }

    #[test]
    fn the_json_object_has_every_key_and_the_thread() {
        let error = in_thread("t1", api(Some(429), Some(json!(1429))));
        let object = ErrorObject::of(&error);
        let value = object.to_json();
        assert_eq!(value["error"]["kind"], "rate_limited");
        assert_eq!(value["error"]["retryable"], true);
        assert_eq!(value["error"]["retry_after_s"], 60);
        assert_eq!(value["error"]["thread_id"], "t1");
        assert_eq!(value["error"]["code"], 1429);
        assert_eq!(value["error"]["message"], "boom");
        assert!(
            value["error"]["hint"]
                .as_str()
                .unwrap()
                .contains("lovart wait --thread-id t1")
        );
        let keys: Vec<&String> = value["error"].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "kind",
                "message",
                "http_status",
                "code",
                "retry_after_s",
                "retryable",
                "thread_id",
                "hint"
            ]
        );
    }

    #[test]
    fn local_errors_are_local_unless_typed() {
        let plain = anyhow::anyhow!("cannot write /x");
        assert_eq!(ErrorObject::of(&plain).kind, Kind::Local);
        let bad: anyhow::Error = InvalidInput("bad".into()).into();
        assert_eq!(ErrorObject::of(&bad).kind, Kind::InvalidInput);
        assert!(!Kind::InvalidInput.retryable());
    }

    /// Every advice the engine words itself, in both wordings: the CLI's
    /// names commands (unchanged), MCP's names tools and no command or flag.
    #[test]
    fn mcp_advice_names_tools_where_the_clis_names_commands() {
        let errors = [
            in_thread("t1", api(Some(503), None)),
            in_thread("t1", api(Some(409), None)),
            api(Some(402), None),
            api(Some(401), None),
            in_thread(
                "t1",
                ApiError::new(ApiErrorKind::NotApplicable, "nothing").into(),
            ),
            in_thread(
                "t1",
                ApiError::new(ApiErrorKind::Connection, "timed out").into(),
            ),
            Hinted {
                hints: Vec::new(),
                mcp_hints: None,
                kind: Some(Kind::OutcomeUnknown),
                cause: api(None, None),
            }
            .into(),
            MissingKeys.into(),
        ];
        for error in &errors {
            let cli = ErrorObject::of(error);
            let mcp = ErrorObject::worded(error, Wording::Mcp);
            assert_eq!(cli.kind, mcp.kind);
            let cli_text = format!("{} {}", cli.message, cli.hint.clone().unwrap_or_default());
            let mcp_text = format!("{} {}", mcp.message, mcp.hint.clone().unwrap_or_default());
            assert!(!mcp_text.contains("lovart "), "{mcp_text}");
            assert!(!mcp_text.contains("--"), "{mcp_text}");
            if cli_text.contains("lovart ") || cli_text.contains("--") {
                assert_ne!(cli_text, mcp_text);
            }
        }
        let resume = ErrorObject::of(&errors[0]).hint.unwrap();
        assert!(
            resume.contains("resume with `lovart wait --thread-id t1 --json`"),
            "{resume}"
        );
        let resume = ErrorObject::worded(&errors[0], Wording::Mcp).hint.unwrap();
        assert!(
            resume.contains("call the `wait` tool with thread_id \"t1\""),
            "{resume}"
        );
    }

    #[test]
    fn busy_hint_names_the_real_thread() {
        let error = in_thread("abc123", api(Some(409), None));
        let hint = ErrorObject::of(&error).hint.unwrap();
        assert!(hint.contains("lovart wait --thread-id abc123"), "{hint}");
        assert!(!hint.contains('…'));
    }
}
