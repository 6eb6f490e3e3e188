//! The one place the process environment is read.
//!
//! [`Environment::read`] takes a snapshot of every variable lovart looks at,
//! once, at start-up; everything below works from that snapshot, so no module
//! at any depth consults `std::env` on its own and a test can resolve settings
//! from a made-up environment ([`Environment::from_pairs`]).
//!
//! Two kinds of variables are read: the user's ([`USER_VARIABLES`]: keys, base
//! URL, state folder, TLS, exit codes, colour) and the hidden test knobs
//! ([`KNOBS`]), which speed up or shrink the real flows for the test suite and
//! the measurement scripts. A knob set to a value it cannot take (zero,
//! negative, not a number) is refused with an error naming it, never silently
//! replaced: `LOVART_WAIT_SCALE=0` once meant polling in a tight loop.
//! (What the HTTP stack reads itself, `http_proxy`, `SSL_CERT_FILE` and the
//! like, stays with it; so does the operating system's idea of the home folder.)

use std::collections::HashMap;
use std::ffi::OsString;

use anyhow::Result;

/// The user-facing variables, with what each one does.
pub const USER_VARIABLES: &[(&str, &str)] = &[
    ("LOVART_BASE_URL", "API base URL (--base-url overrides it)"),
    ("LOVART_ACCESS_KEY", "access key (--ak overrides it)"),
    ("LOVART_SECRET_KEY", "secret key (--sk overrides it)"),
    ("LOVART_HOME", "folder of state.json instead of ~/.lovart"),
    ("LOVART_INSECURE_SSL", "1: do not verify TLS certificates"),
    (
        "LOVART_EXIT_CODES",
        "detailed: one exit code per error kind",
    ),
    ("NO_COLOR", "set and not empty: progress without colour"),
    (
        MCP_TOKEN,
        "the bearer token `lovart mcp --http` requires (--token-file overrides it)",
    ),
];

/// `LOVART_MCP_TOKEN`: read only by `lovart mcp --http` ([`Environment::mcp_token`]).
pub const MCP_TOKEN: &str = "LOVART_MCP_TOKEN";
/// The shortest bearer token accepted: guessing one must be hopeless.
pub const MIN_TOKEN_CHARS: usize = 16;

/// What a test knob accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnobKind {
    /// A finite number greater than zero (a multiplier).
    PositiveScale,
    /// A whole number greater than zero.
    PositiveInteger,
    /// A whole number at least this large (0 included when it is 0).
    IntegerAtLeast(u64),
}

/// A hidden test knob: its variable, what it takes, and what it changes.
#[derive(Debug, Clone, Copy)]
pub struct Knob {
    /// The environment variable.
    pub name: &'static str,
    /// The values it accepts.
    pub kind: KnobKind,
    /// What it changes, for the error message and for readers of this list.
    pub effect: &'static str,
}

/// Every hidden test knob, in one list.
pub const KNOBS: &[Knob] = &[
    Knob {
        name: WAIT_SCALE,
        kind: KnobKind::PositiveScale,
        effect: "multiplies every fixed wait (polls, re-checks, retry pauses)",
    },
    Knob {
        name: TIMEOUT_SCALE,
        kind: KnobKind::PositiveScale,
        effect: "multiplies the per-request timeout",
    },
    Knob {
        name: RATE_SCALE,
        kind: KnobKind::PositiveScale,
        effect: "multiplies batch's rate-limit windows and every Retry-After",
    },
    Knob {
        name: DOWNLOAD_STALL_SECS,
        kind: KnobKind::PositiveInteger,
        effect: "seconds a download may stall before it fails (60)",
    },
    Knob {
        name: MAX_DOWNLOAD_BYTES,
        kind: KnobKind::PositiveInteger,
        effect: "largest artifact a download accepts, in bytes (8 GiB)",
    },
    Knob {
        name: HISTORY_MAX_BYTES,
        kind: KnobKind::IntegerAtLeast(MIN_HISTORY_BYTES),
        effect: "the download history's bound, in bytes (16 MiB; at least 1024)",
    },
    Knob {
        name: MCP_INLINE_IMAGE_BYTES,
        kind: KnobKind::IntegerAtLeast(0),
        effect: "base64 bytes of image blocks in one MCP result (640 KiB; 0: none)",
    },
];

/// `LOVART_WAIT_SCALE`.
pub const WAIT_SCALE: &str = "LOVART_WAIT_SCALE";
/// `LOVART_TIMEOUT_SCALE`.
pub const TIMEOUT_SCALE: &str = "LOVART_TIMEOUT_SCALE";
/// `LOVART_RATE_SCALE`.
pub const RATE_SCALE: &str = "LOVART_RATE_SCALE";
/// `LOVART_DOWNLOAD_STALL_SECS`.
pub const DOWNLOAD_STALL_SECS: &str = "LOVART_DOWNLOAD_STALL_SECS";
/// `LOVART_MAX_DOWNLOAD_BYTES`.
pub const MAX_DOWNLOAD_BYTES: &str = "LOVART_MAX_DOWNLOAD_BYTES";

/// `LOVART_HISTORY_MAX_BYTES`.
pub const HISTORY_MAX_BYTES: &str = "LOVART_HISTORY_MAX_BYTES";
/// The smallest history bound: a few lines must fit.
pub const MIN_HISTORY_BYTES: u64 = 1024;
/// `LOVART_MCP_INLINE_IMAGE_BYTES`.
pub const MCP_INLINE_IMAGE_BYTES: &str = "LOVART_MCP_INLINE_IMAGE_BYTES";

/// A snapshot of the variables lovart reads.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    values: HashMap<&'static str, OsString>,
}

impl Environment {
    /// Reads every variable of [`USER_VARIABLES`] and [`KNOBS`] from the process, once.
    pub fn read() -> Self {
        let names = USER_VARIABLES
            .iter()
            .map(|(name, _)| *name)
            .chain(KNOBS.iter().map(|knob| knob.name));
        Self {
            values: names
                .filter_map(|name| Some((name, std::env::var_os(name)?)))
                .collect(),
        }
    }

    /// A made-up environment (tests); names lovart does not read are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let known = |name: &str| {
            USER_VARIABLES
                .iter()
                .map(|(known, _)| *known)
                .chain(KNOBS.iter().map(|knob| knob.name))
                .find(|known| *known == name)
        };
        Self {
            values: pairs
                .into_iter()
                .filter_map(|(name, value)| Some((known(name)?, OsString::from(value))))
                .collect(),
        }
    }

    /// The variable as text (`None` when unset or not Unicode).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(|value| value.to_str())
    }

    /// The variable as the OS gave it (paths).
    pub fn os(&self, name: &str) -> Option<&OsString> {
        self.values.get(name)
    }

    /// `LOVART_HOME`, when set and not empty.
    pub fn lovart_home(&self) -> Option<&OsString> {
        self.os("LOVART_HOME").filter(|folder| !folder.is_empty())
    }

    /// Whether progress may use colour (`NO_COLOR` unset or empty).
    pub fn colour(&self) -> bool {
        self.os("NO_COLOR").is_none_or(|value| value.is_empty())
    }

    /// A scale knob: 1 when unset, else a finite number greater than zero.
    pub fn scale(&self, name: &str) -> Result<f64> {
        let Some(text) = self.knob_text(name)? else {
            return Ok(1.0);
        };
        match text.trim().parse::<f64>() {
            Ok(scale) if scale.is_finite() && scale > 0.0 => Ok(scale),
            _ => Err(invalid(format!(
                "{name} must be a number greater than 0, got '{text}'"
            ))),
        }
    }

    /// A whole-number knob: `default` when unset, else an integer greater than zero.
    pub fn positive_integer(&self, name: &str, default: u64) -> Result<u64> {
        let Some(text) = self.knob_text(name)? else {
            return Ok(default);
        };
        match text.trim().parse::<u64>() {
            Ok(value) if value > 0 => Ok(value),
            _ => Err(invalid(format!(
                "{name} must be a whole number greater than 0, got '{text}'"
            ))),
        }
    }

    /// A whole-number knob: `default` when unset, else an integer of at least `min`.
    pub fn integer_at_least(&self, name: &str, min: u64, default: u64) -> Result<u64> {
        let Some(text) = self.knob_text(name)? else {
            return Ok(default);
        };
        match text.trim().parse::<u64>() {
            Ok(value) if value >= min => Ok(value),
            _ => Err(invalid(format!(
                "{name} must be a whole number of at least {min}, got '{text}'"
            ))),
        }
    }

    /// `LOVART_MCP_TOKEN`: `None` when unset or empty; a value that cannot be
    /// a token (not Unicode, shorter than [`MIN_TOKEN_CHARS`], holding
    /// spaces) is refused without echoing it. Read only where it is used
    /// (`lovart mcp --http`), so a stray value breaks no other command.
    pub fn mcp_token(&self) -> Result<Option<&str>> {
        let Some(value) = self.values.get(MCP_TOKEN).filter(|value| !value.is_empty()) else {
            return Ok(None);
        };
        let problem = match value.to_str() {
            None => "it is not Unicode text".to_string(),
            Some(token) if token.trim().chars().any(char::is_whitespace) => {
                "it holds spaces (several tokens, or named ones, go in a --token-file)".to_string()
            }
            Some(token) if token.trim().chars().count() < MIN_TOKEN_CHARS => {
                format!("it has {} characters", token.trim().chars().count())
            }
            Some(token) => return Ok(Some(token.trim())),
        };
        Err(invalid(format!(
            "{MCP_TOKEN} must be one token of at least {MIN_TOKEN_CHARS} characters: {problem}"
        )))
    }

    /// A knob's text, `None` when unset; not Unicode is refused.
    fn knob_text(&self, name: &str) -> Result<Option<&str>> {
        debug_assert!(KNOBS.iter().any(|knob| knob.name == name));
        match self.values.get(name) {
            None => Ok(None),
            Some(value) => match value.to_str() {
                Some(text) => Ok(Some(text)),
                None => Err(invalid(format!("{name} must be a number, got {value:?}"))),
            },
        }
    }
}

/// A knob's value the caller got wrong: kind `invalid_input`.
fn invalid(message: String) -> anyhow::Error {
    crate::failure::InvalidInput(message).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_knobs_take_their_defaults() {
        let env = Environment::from_pairs([]);
        assert_eq!(env.scale(WAIT_SCALE).unwrap(), 1.0);
        assert_eq!(env.positive_integer(DOWNLOAD_STALL_SECS, 60).unwrap(), 60);
    }

    #[test]
    fn out_of_range_knobs_are_refused_with_their_name() {
        for bad in ["0", "-1", "NaN", "inf", "", "fast"] {
            let env = Environment::from_pairs([(WAIT_SCALE, bad)]);
            let error = env.scale(WAIT_SCALE).unwrap_err().to_string();
            assert!(
                error.starts_with("LOVART_WAIT_SCALE must be"),
                "{bad}: {error}"
            );
        }
        for bad in ["0", "-3", "1.5"] {
            let env = Environment::from_pairs([(MAX_DOWNLOAD_BYTES, bad)]);
            assert!(
                env.positive_integer(MAX_DOWNLOAD_BYTES, 9).is_err(),
                "{bad}"
            );
        }
        let env = Environment::from_pairs([(WAIT_SCALE, " 0.001 ")]);
        assert_eq!(env.scale(WAIT_SCALE).unwrap(), 0.001);
    }

    #[test]
    fn every_knob_is_listed_once() {
        let mut names: Vec<_> = KNOBS.iter().map(|knob| knob.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KNOBS.len());
    }
}
