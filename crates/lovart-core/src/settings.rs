//! What every use case runs with: the resolved settings.
//!
//! A front end fills [`Flags`] (the command line's global options, or an MCP
//! server's own start-up values) and calls [`Settings::resolve`] with the
//! [`Environment`] read once at start-up. The order is flags, then
//! environment, then defaults, as the reference reads them. Values are checked
//! here, once: a test knob out of range fails the resolution; a base URL that
//! cannot work fails every network call with the same message
//! ([`Settings::api`]); `--timeout` is checked where a command needs it (a
//! local command ignores it, as the reference does).

pub mod environment;

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Result;

use crate::api::{ApiClient, ClientSettings};
use crate::download::{DownloadLimits, Downloader};
use crate::events::EventSink;
use crate::failure::{ExitCodes, Hinted, Kind, MissingKeys};
use crate::files::history::History;
use crate::progress::Progress;
use crate::state::StateStore;
use crate::timing::Waits;
pub use environment::Environment;
use environment::{
    DOWNLOAD_STALL_SECS, HISTORY_MAX_BYTES, MAX_DOWNLOAD_BYTES, MCP_INLINE_IMAGE_BYTES,
    MIN_HISTORY_BYTES, RATE_SCALE, TIMEOUT_SCALE, WAIT_SCALE,
};

/// The API base URL when neither `--base-url` nor `LOVART_BASE_URL` is given.
pub const DEFAULT_BASE_URL: &str = "https://lgw.lovart.ai";

/// The download history's bound when `LOVART_HISTORY_MAX_BYTES` is unset (16 MiB).
pub const DEFAULT_HISTORY_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The image blocks' budget of one MCP result when
/// `LOVART_MCP_INLINE_IMAGE_BYTES` is unset: 640 KiB of base64 keeps a result
/// with its texts and links well under the 1 MiB several clients accept.
pub const DEFAULT_INLINE_IMAGE_BYTES: usize = 640 * 1024;

/// The reference's per-request timeout in seconds (`--timeout`).
pub const DEFAULT_TIMEOUT_SECS: i64 = 180;

/// The global options a front end was given; `None` falls back to the environment.
#[derive(Debug, Clone)]
pub struct Flags {
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--ak`.
    pub access_key: Option<String>,
    /// `--sk`.
    pub secret_key: Option<String>,
    /// `--timeout`, in seconds, as given.
    pub timeout: i64,
    /// `--quiet`: no progress on stderr.
    pub quiet: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Self {
            base_url: None,
            access_key: None,
            secret_key: None,
            timeout: DEFAULT_TIMEOUT_SECS,
            quiet: false,
        }
    }
}

/// The resolved settings of one run.
pub struct Settings {
    /// The API base URL, as given (checked by [`Settings::api`]).
    pub base_url: String,
    /// The access key (empty when none).
    pub access_key: String,
    /// The secret key (empty when none).
    pub secret_key: String,
    /// `--timeout` as given (validated only where it is used).
    pub timeout: i64,
    /// The fixed waits, scaled by `LOVART_WAIT_SCALE`.
    pub waits: Waits,
    /// The state file.
    pub state: StateStore,
    /// `LOVART_INSECURE_SSL=1`: no certificate checks anywhere.
    pub insecure_tls: bool,
    /// What may be drawn on stderr: nothing unless it is a terminal and `--quiet` was not given.
    pub progress: Progress,
    /// `LOVART_RATE_SCALE`: batch's rate windows and `Retry-After`s multiplied.
    pub rate_scale: f64,
    /// Stall and size limits of artifact downloads.
    pub download_limits: DownloadLimits,
    /// Which exit codes the process uses.
    pub exit_codes: ExitCodes,
    /// `LOVART_HISTORY_MAX_BYTES`: the download history's bound, in bytes.
    pub history_max_bytes: u64,
    /// `LOVART_MCP_INLINE_IMAGE_BYTES`: the base64 bytes of image blocks one
    /// MCP result may carry (0: none).
    pub inline_image_bytes: usize,
    /// The environment the settings came from (so `doctor` can say where a value came from).
    pub environment: Environment,
    /// Where the engine's events go ([`crate::events`]); silent until a front
    /// end sets its own with [`Settings::with_events`].
    pub events: EventSink,
}

impl Settings {
    /// Flags over environment over defaults; fails on a test knob out of range.
    pub fn resolve(flags: Flags, environment: Environment) -> Result<Self> {
        let env = |name: &str| environment.text(name).map(str::to_string);
        let waits = Waits::new(
            environment.scale(WAIT_SCALE)?,
            environment.scale(TIMEOUT_SCALE)?,
        );
        let download_limits =
            DownloadLimits {
                stall: Duration::from_secs(environment.positive_integer(
                    DOWNLOAD_STALL_SECS,
                    DownloadLimits::DEFAULT.stall.as_secs(),
                )?),
                max_bytes: environment
                    .positive_integer(MAX_DOWNLOAD_BYTES, DownloadLimits::DEFAULT.max_bytes)?,
            };
        let progress = if flags.quiet || !std::io::stderr().is_terminal() {
            Progress::Off
        } else if environment.colour() {
            Progress::Colour
        } else {
            Progress::Plain
        };
        Ok(Self {
            base_url: flags
                .base_url
                .or_else(|| env("LOVART_BASE_URL"))
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            access_key: flags
                .access_key
                .or_else(|| env("LOVART_ACCESS_KEY"))
                .unwrap_or_default(),
            secret_key: flags
                .secret_key
                .or_else(|| env("LOVART_SECRET_KEY"))
                .unwrap_or_default(),
            timeout: flags.timeout,
            waits,
            state: StateStore::new(StateStore::default_path(environment.lovart_home())?),
            insecure_tls: environment.text("LOVART_INSECURE_SSL") == Some("1"),
            progress,
            rate_scale: environment.scale(RATE_SCALE)?,
            download_limits,
            exit_codes: ExitCodes::from_environment(&environment),
            history_max_bytes: environment.integer_at_least(
                HISTORY_MAX_BYTES,
                MIN_HISTORY_BYTES,
                DEFAULT_HISTORY_MAX_BYTES,
            )?,
            inline_image_bytes: usize::try_from(environment.integer_at_least(
                MCP_INLINE_IMAGE_BYTES,
                0,
                DEFAULT_INLINE_IMAGE_BYTES as u64,
            )?)
            .unwrap_or(usize::MAX),
            environment,
            events: EventSink::silent(),
        })
    }

    /// These settings reporting to `events`, the state store's warnings included.
    pub fn with_events(mut self, events: EventSink) -> Self {
        self.state.set_events(events.clone());
        self.events = events;
        self
    }

    /// An owned copy for a long-lived server (`lovart mcp`): the same keys,
    /// base URL, timeout, waits and state file, and never a progress display.
    pub fn for_server(&self) -> Self {
        Self {
            base_url: self.base_url.clone(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            timeout: self.timeout,
            waits: self.waits,
            state: StateStore::new(self.state.path().to_path_buf()),
            insecure_tls: self.insecure_tls,
            progress: Progress::Off,
            rate_scale: self.rate_scale,
            download_limits: self.download_limits,
            exit_codes: self.exit_codes,
            history_max_bytes: self.history_max_bytes,
            inline_image_bytes: self.inline_image_bytes,
            environment: self.environment.clone(),
            events: EventSink::silent(),
        }
        .with_events(self.events.clone())
    }

    /// Both keys are set.
    pub fn has_keys(&self) -> bool {
        !self.access_key.is_empty() && !self.secret_key.is_empty()
    }

    /// `--timeout` as a duration; zero or negative is refused.
    pub fn timeout(&self) -> Result<Duration> {
        if self.timeout <= 0 {
            return Err(crate::failure::InvalidInput(format!(
                "--timeout must be a positive number of seconds, got {}",
                self.timeout
            ))
            .into());
        }
        Ok(Duration::from_secs(self.timeout as u64))
    }

    /// The API client of a network command: keys are required.
    pub fn api(&self) -> Result<ApiClient> {
        if !self.has_keys() {
            return Err(MissingKeys.into());
        }
        self.api_with_timeout(self.timeout()?)
    }

    /// A client with another per-request timeout (the best-effort renames use 120 s).
    pub fn api_with_timeout(&self, timeout: Duration) -> Result<ApiClient> {
        self.checked_base_url()?;
        ApiClient::new(ClientSettings {
            base_url: self.base_url.clone(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            timeout: self.waits.request_timeout(timeout),
            insecure_tls: self.insecure_tls,
            waits: self.waits,
        })
    }

    /// The base URL, or the one error every network command gives for a
    /// base URL that cannot work (no scheme, not http(s), no host).
    pub fn checked_base_url(&self) -> Result<&str> {
        match base_url_problem(&self.base_url) {
            None => Ok(self.base_url.trim()),
            Some(problem) => Err(Hinted {
                hints: vec![problem.advice],
                mcp_hints: Some(vec![format!(
                    "the MCP server's base URL cannot work: set LOVART_BASE_URL in its environment, in the client's server configuration (the default is {DEFAULT_BASE_URL})"
                )]),
                kind: Some(Kind::InvalidInput),
                cause: anyhow::anyhow!("invalid base URL '{}': {}", self.base_url, problem.what),
            }
            .into()),
        }
    }

    /// An artifact downloader with these settings' TLS, limits and progress,
    /// recording every file it writes in the history beside the state file.
    pub fn downloader(&self) -> Result<Downloader> {
        Ok(Downloader::new(self.insecure_tls, self.download_limits)?
            .with_events(self.events.clone())
            .with_history(self.history()))
    }

    /// The download history beside the state file, within its bound.
    pub fn history(&self) -> History {
        History::beside_state(self.state.path(), self.history_max_bytes)
    }
}

/// What is wrong with a base URL, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrlProblem {
    /// The fault, after `invalid base URL '<url>': `.
    pub what: String,
    /// What to do about it (a `hint:` line).
    pub advice: String,
}

/// What is wrong with a base URL before any request: no scheme, not http(s), no host.
pub fn base_url_problem(base_url: &str) -> Option<BaseUrlProblem> {
    let given = base_url.trim();
    let trimmed = given.trim_end_matches('/');
    let lower = given.to_ascii_lowercase();
    let web_scheme = lower.starts_with("http://") || lower.starts_with("https://");
    let problem = |what: String, advice: String| Some(BaseUrlProblem { what, advice });
    let advice_scheme = || {
        format!(
            "write the scheme too: --base-url http://{trimmed} (or https://{trimmed}), or the same in LOVART_BASE_URL"
        )
    };
    let no_host = || {
        problem(
            "it has no host".to_string(),
            "write the server's host: --base-url https://lgw.lovart.ai, or the same in LOVART_BASE_URL"
                .to_string(),
        )
    };
    match reqwest::Url::parse(trimmed) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => None,
        Ok(url) if matches!(url.scheme(), "http" | "https") => no_host(),
        // `http://` alone: a web scheme with nothing after it.
        Err(_) if web_scheme => no_host(),
        // `localhost:8731` parses with the scheme `localhost`.
        Ok(_) | Err(_) if !given.contains("://") => problem(
            "it has no scheme (http:// or https://)".to_string(),
            advice_scheme(),
        ),
        Ok(url) => problem(
            format!("the scheme '{}' is not http or https", url.scheme()),
            "only http:// and https:// base URLs work".to_string(),
        ),
        Err(why) => problem(
            format!("it is not a URL ({why})"),
            "the default is https://lgw.lovart.ai".to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(pairs: &[(&str, &str)]) -> Result<Settings> {
        let mut pairs = pairs.to_vec();
        pairs.push(("LOVART_HOME", "/nonexistent-lovart-home"));
        Settings::resolve(Flags::default(), Environment::from_pairs(pairs))
    }

    #[test]
    fn flags_win_over_the_environment_which_wins_over_defaults() {
        let settings = resolve(&[]).unwrap();
        assert_eq!(settings.base_url, DEFAULT_BASE_URL);
        assert_eq!(settings.timeout, DEFAULT_TIMEOUT_SECS);
        let settings = resolve(&[
            ("LOVART_BASE_URL", "http://env"),
            ("LOVART_ACCESS_KEY", "a"),
        ])
        .unwrap();
        assert_eq!(settings.base_url, "http://env");
        assert_eq!(settings.access_key, "a");
        let flags = Flags {
            base_url: Some("http://flag".into()),
            ..Flags::default()
        };
        let env = Environment::from_pairs([("LOVART_BASE_URL", "http://env")]);
        assert_eq!(
            Settings::resolve(flags, env).unwrap().base_url,
            "http://flag"
        );
    }

    #[test]
    fn a_knob_out_of_range_fails_the_resolution() {
        let error = resolve(&[("LOVART_WAIT_SCALE", "0")]).err().unwrap();
        assert!(error.to_string().contains("LOVART_WAIT_SCALE"), "{error}");
        assert!(resolve(&[("LOVART_RATE_SCALE", "-1")]).is_err());
        assert!(resolve(&[("LOVART_DOWNLOAD_STALL_SECS", "0")]).is_err());
    }

    #[test]
    fn a_base_url_without_scheme_is_one_clear_error() {
        let settings = resolve(&[("LOVART_BASE_URL", "127.0.0.1:8731")]).unwrap();
        let error = settings.checked_base_url().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid base URL '127.0.0.1:8731': it has no scheme (http:// or https://)"
        );
        for good in ["http://127.0.0.1:8731", "https://lgw.lovart.ai/"] {
            assert_eq!(base_url_problem(good), None, "{good}");
        }
        for bad in ["localhost:8731", "ftp://x", "http://", "lgw.lovart.ai"] {
            assert!(base_url_problem(bad).is_some(), "{bad}");
        }
        for hostless in ["http://", "https://", "HTTP://"] {
            let problem = base_url_problem(hostless).unwrap();
            assert_eq!(problem.what, "it has no host", "{hostless}");
        }
    }
}
