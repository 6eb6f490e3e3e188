//! What every command runs with: the global options, the state store, the
//! waits, and where output goes.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{Result, bail};

use crate::api::{ApiClient, ClientSettings};
use crate::cli::Cli;
use crate::state::StateStore;
use crate::timing::Waits;

pub const DEFAULT_BASE_URL: &str = "https://lgw.lovart.ai";

/// The reference's message when a network command has no keys.
pub const MISSING_KEYS: &str =
    "LOVART_ACCESS_KEY and LOVART_SECRET_KEY must be set (via env vars or --ak/--sk)";

pub struct Ctx {
    pub base_url: String,
    pub access_key: String,
    pub secret_key: String,
    /// `--timeout` as given (validated only where it is used).
    pub timeout: i64,
    pub waits: Waits,
    pub state: StateStore,
    pub insecure_tls: bool,
    /// Progress may be drawn: stderr is a terminal and `--quiet` was not given.
    pub progress: bool,
}

impl Ctx {
    /// Global options, with the environment as fallback, as the reference reads them.
    pub fn from_cli(cli: &Cli) -> Result<Self> {
        let env = |name: &str| std::env::var(name).ok();
        Ok(Self {
            base_url: cli
                .base_url
                .clone()
                .or_else(|| env("LOVART_BASE_URL"))
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            access_key: cli
                .ak
                .clone()
                .or_else(|| env("LOVART_ACCESS_KEY"))
                .unwrap_or_default(),
            secret_key: cli
                .sk
                .clone()
                .or_else(|| env("LOVART_SECRET_KEY"))
                .unwrap_or_default(),
            timeout: cli.timeout,
            waits: Waits::from_env(),
            state: StateStore::new(StateStore::default_path()?),
            insecure_tls: env("LOVART_INSECURE_SSL").as_deref() == Some("1"),
            progress: !cli.quiet && std::io::stderr().is_terminal(),
        })
    }

    /// An owned copy for a long-lived server (`lovart mcp`): the same keys,
    /// base URL, timeout, waits and state file, and never a progress display.
    #[cfg(feature = "mcp")]
    pub fn for_server(&self) -> Self {
        Self {
            base_url: self.base_url.clone(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            timeout: self.timeout,
            waits: self.waits,
            state: StateStore::new(self.state.path().to_path_buf()),
            insecure_tls: self.insecure_tls,
            progress: false,
        }
    }

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
            bail!(MISSING_KEYS);
        }
        self.api_with_timeout(self.timeout()?)
    }

    /// A client with another per-request timeout (the best-effort renames use 120 s).
    pub fn api_with_timeout(&self, timeout: Duration) -> Result<ApiClient> {
        ApiClient::new(ClientSettings {
            base_url: self.base_url.clone(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            timeout: self.waits.request_timeout(timeout),
            insecure_tls: self.insecure_tls,
            waits: self.waits,
        })
    }
}

/// Writes one line of data to stdout and flushes it (NDJSON consumers read
/// line by line). A closed pipe is not an error worth a message.
pub fn print_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

/// A line of advice on stderr, after an `Error:` or a warning; only for a
/// person at a terminal, so piped runs keep the reference's stderr.
pub fn hint(text: &str) {
    if std::io::stderr().is_terminal() {
        eprintln!("hint: {text}");
    }
}
