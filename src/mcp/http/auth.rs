//! Who may call the HTTP server: bearer tokens and browser origins.
//!
//! Tokens come from `--token-file` (one per line, `TOKEN` or `NAME TOKEN`;
//! blank lines and `#` comments skipped) or from `LOVART_MCP_TOKEN` (one
//! token). Each token names a client: the access log and the per-client caps
//! ([`super::limits`]) use the name, never the token. A presented token is
//! hashed and compared with every known token's hash in constant time, so
//! neither its bytes nor its length leak through timing.
//!
//! The `Origin` check is the specification's DNS-rebinding defence: a
//! request that carries an `Origin` (a browser's) must come from a loopback
//! page or from an origin the operator allowed with `--allow-origin`;
//! requests without one (every non-browser client) pass.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use reqwest::Url;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The environment variable with a token, when there is no token file
/// (read and checked with the others: `Environment::mcp_token`).
pub use lovart_core::settings::environment::MCP_TOKEN as TOKEN_ENV;
pub use lovart_core::settings::environment::MIN_TOKEN_CHARS;

/// The clients that may call, by token.
pub struct Tokens {
    clients: Vec<(Arc<str>, [u8; 32])>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.clients.iter().map(|(name, _)| &**name).collect();
        formatter
            .debug_struct("Tokens")
            .field("clients", &names)
            .finish()
    }
}

impl Tokens {
    /// The tokens of `--token-file`, else of `LOVART_MCP_TOKEN`; None when neither is set.
    pub fn load(file: Option<&Path>, env: Option<String>) -> Result<Option<Self>> {
        if let Some(file) = file {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the token file {}", file.display()))?;
            if let Some(warning) = exposure(file) {
                eprintln!("lovart mcp: warning: {warning}");
            }
            return Self::parse(&text)
                .with_context(|| format!("token file {}", file.display()))
                .map(Some);
        }
        match env.filter(|token| !token.is_empty()) {
            Some(token) => Self::parse(&token).context(TOKEN_ENV).map(Some),
            None => Ok(None),
        }
    }

    fn parse(text: &str) -> Result<Self> {
        let mut clients: Vec<(Arc<str>, [u8; 32])> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (name, token) = match fields[..] {
                [token] => (format!("client{}", clients.len() + 1), token),
                [name, token] => (name.to_string(), token),
                _ => bail!("line {}: expected `TOKEN` or `NAME TOKEN`", number + 1),
            };
            if token.chars().count() < MIN_TOKEN_CHARS {
                bail!(
                    "line {}: a token needs at least {MIN_TOKEN_CHARS} characters",
                    number + 1
                );
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
            {
                bail!(
                    "line {}: a client name may hold letters, digits and . _ - @ only",
                    number + 1
                );
            }
            let digest = digest(token);
            if clients
                .iter()
                .any(|(known, hash)| **known == *name || *hash == digest)
            {
                bail!("line {}: a repeated client name or token", number + 1);
            }
            clients.push((name.into(), digest));
        }
        if clients.is_empty() {
            bail!("no token in it");
        }
        Ok(Self { clients })
    }

    /// The client named by an `Authorization: Bearer …` header value, if its
    /// token is known.
    pub fn client_of(&self, authorization: Option<&[u8]>) -> Option<Arc<str>> {
        let presented = bearer(authorization?)?;
        let presented = digest(presented);
        let mut found = None;
        // Every hash is compared, matched or not: the time does not depend on which.
        for (name, known) in &self.clients {
            if bool::from(known.ct_eq(&presented)) {
                found = Some(name.clone());
            }
        }
        found
    }
}

/// Why a token file is exposed: other users may read it (its mode lets the
/// group or others in); None when only its owner can.
#[cfg(unix)]
fn exposure(file: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "the token file {} can be read by other users (mode {mode:o}); \
             make it private: chmod 600 {}",
            file.display(),
            file.display()
        )
    })
}

#[cfg(not(unix))]
fn exposure(_file: &Path) -> Option<String> {
    None
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The token of a `Bearer` credential (the scheme is case-insensitive).
fn bearer(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The browser origins allowed besides loopback pages.
#[derive(Debug, Default)]
pub struct Origins {
    allowed: Vec<(String, String, u16)>,
}

impl Origins {
    /// From `--allow-origin` values such as `https://app.example.com`.
    pub fn new(allowed: &[String]) -> Result<Self> {
        let allowed = allowed
            .iter()
            .map(|origin| {
                parse_origin(origin).with_context(|| {
                    format!("--allow-origin {origin}: expected scheme://host[:port]")
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self { allowed })
    }

    /// Whether a request with this `Origin` header value may go on.
    pub fn allow(&self, origin: &[u8]) -> bool {
        let Some(origin) = std::str::from_utf8(origin).ok().and_then(parse_origin_opt) else {
            return false;
        };
        let (scheme, host, _) = &origin;
        let loopback_page = matches!(scheme.as_str(), "http" | "https")
            && matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
        loopback_page || self.allowed.contains(&origin)
    }
}

fn parse_origin(origin: &str) -> Result<(String, String, u16)> {
    parse_origin_opt(origin).context("not an origin")
}

/// (scheme, host, port) of an origin; None for `null` or anything with a path.
fn parse_origin_opt(origin: &str) -> Option<(String, String, u16)> {
    let url = Url::parse(origin).ok()?;
    if !matches!(url.path(), "" | "/") || url.query().is_some() || !url.username().is_empty() {
        return None;
    }
    // IPv6 hosts come bracketed, as in the header: "[::1]".
    Some((
        url.scheme().to_string(),
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "alice-0123456789abcdef";
    const BOB: &str = "bob-0123456789abcdef";

    #[test]
    fn tokens_name_their_clients() {
        let tokens = Tokens::parse(&format!("# team\nalice {ALICE}\n\n{BOB}\n")).unwrap();
        let name = |header: &str| tokens.client_of(Some(header.as_bytes()));
        assert_eq!(name(&format!("Bearer {ALICE}")).as_deref(), Some("alice"));
        assert_eq!(name(&format!("bearer  {BOB} ")).as_deref(), Some("client2"));
        assert_eq!(name(&format!("Bearer {ALICE}x")), None);
        assert_eq!(name(&format!("Basic {ALICE}")), None);
        assert_eq!(name("Bearer "), None);
        assert_eq!(tokens.client_of(None), None);
        assert!(!format!("{tokens:?}").contains(ALICE));
    }

    #[test]
    fn weak_or_repeated_tokens_are_refused() {
        for text in [
            "",
            "# only a comment",
            "short",
            "a b c",
            &format!("{ALICE}\n{ALICE}"),
        ] {
            assert!(Tokens::parse(text).is_err(), "{text:?}");
        }
        let error = Tokens::parse("x\ny\nzz").unwrap_err().to_string();
        assert!(error.contains("line 1"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_others_can_read_is_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, format!("alice {ALICE}\n")).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warning = exposure(&file).unwrap();
        assert!(
            warning.contains("mode 644") && warning.contains("chmod 600"),
            "{warning}"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(exposure(&file).is_some());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(exposure(&file), None);
        assert!(Tokens::load(Some(&file), None).unwrap().is_some());
    }

    #[test]
    fn the_environment_token_is_used_without_a_file() {
        let tokens = Tokens::load(None, Some(ALICE.into())).unwrap().unwrap();
        let header = format!("Bearer {ALICE}");
        assert!(tokens.client_of(Some(header.as_bytes())).is_some());
        assert!(Tokens::load(None, Some(String::new())).unwrap().is_none());
        assert!(Tokens::load(None, None).unwrap().is_none());
    }

    #[test]
    fn origins_from_loopback_pages_and_the_allowed_list_pass() {
        let origins = Origins::new(&["https://app.example.com".into()]).unwrap();
        for allowed in [
            "http://localhost:3000",
            "http://127.0.0.1:6274",
            "http://[::1]:80",
            "https://app.example.com",
            "https://app.example.com:443",
        ] {
            assert!(origins.allow(allowed.as_bytes()), "{allowed}");
        }
        for refused in [
            "https://evil.example",
            "http://app.example.com",
            "https://app.example.com:8443",
            "null",
            "",
            "http://localhost.evil.example",
        ] {
            assert!(!origins.allow(refused.as_bytes()), "{refused}");
        }
        assert!(Origins::new(&["app.example.com/x".into()]).is_err());
    }
}
