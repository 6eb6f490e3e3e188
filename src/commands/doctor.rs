//! `doctor`: checks, one line each, what a generation needs to work — keys,
//! the state file, the server, TLS, the clock, the catalog and the account.
//!
//! Nothing here costs credits: the only signed call is `POST /mode/query`.
//! Keys are never shown; at most the access key's first four characters, so a
//! user can tell which key is in use. Every request has a short timeout. The
//! command fails (exit 1) when a required check fails; a warning (`!`) does not
//! fail it, and a check that cannot run because an earlier one failed is
//! skipped (`-`) rather than failed twice.
//!
//! Doctor only looks: the state file is read, never migrated or moved aside.
//! The server check asks the public catalog path, so a server that answers
//! with an HTTP error or a web page (a wrong base URL) fails with one line of
//! reason instead of passing.

use std::time::{Duration, SystemTime};

use anyhow::{Result, bail};
use serde_json::{Map, Value};

use crate::cli::JsonArgs;
use crate::terminal::{hint, print_line};
use lovart_core::api::{ApiErrorKind, describe_request_error};
use lovart_core::catalog::{self, QUICK_TIMEOUT};
use lovart_core::flow::hints;
use lovart_core::settings::Settings;

mod answer;
use answer::{answer_problem, condensed, plural};
use lovart_core::python::dumps_pretty;
use lovart_core::python::is_truthy;
use lovart_wire::paths::USER_AGENT;

/// A clock further off than this gets a warning: requests are signed with the time.
const CLOCK_TOLERANCE: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Pass,
    Warn,
    Fail,
    /// Not run, because an earlier check failed or it does not apply.
    Skip,
}

impl Level {
    fn mark(self) -> &'static str {
        match self {
            Self::Pass => "✓",
            Self::Warn => "!",
            Self::Fail => "✗",
            Self::Skip => "-",
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Skip => "skip",
        }
    }
}

#[derive(Debug)]
struct Check {
    name: &'static str,
    level: Level,
    detail: String,
    /// Advice for a person at a terminal, shown after the checks.
    advice: Option<String>,
}

impl Check {
    fn new(name: &'static str, level: Level, detail: impl Into<String>) -> Self {
        Self {
            name,
            level,
            detail: detail.into(),
            advice: None,
        }
    }

    fn advise(mut self, advice: impl Into<String>) -> Self {
        self.advice = Some(advice.into());
        self
    }
}

/// What the plain request to the API's public catalog path found.
struct Probe {
    /// The HTTP status, and why the answer is not the API's (if it is not),
    /// when the server answered at all.
    answer: Result<(u16, Option<String>), String>,
    /// The server's time minus ours, from its `Date` header.
    clock_offset: Option<i64>,
}

pub async fn run(args: JsonArgs, ctx: &Settings) -> Result<()> {
    let mut checks = vec![check_keys(ctx), check_state(ctx)];
    let probe = probe_server(ctx).await;
    checks.push(check_network(ctx, &probe));
    checks.push(check_tls(ctx, &probe));
    checks.push(check_clock(&probe));
    if probe.answer.is_ok() {
        let (catalog, account) = tokio::join!(check_catalog(ctx), check_account(ctx));
        checks.push(catalog);
        checks.push(account);
    } else {
        let unreachable = "not checked: the server is unreachable";
        checks.push(Check::new("catalog", Level::Skip, unreachable));
        let account = if ctx.has_keys() {
            unreachable
        } else {
            "not checked: no keys"
        };
        checks.push(Check::new("account", Level::Skip, account));
    }

    let failed = checks
        .iter()
        .filter(|check| check.level == Level::Fail)
        .count();
    if args.json {
        print_line(&dumps_pretty(&report_json(&checks, failed == 0), false));
    } else {
        let lines: Vec<String> = checks
            .iter()
            .map(|check| format!("{} {}: {}", check.level.mark(), check.name, check.detail))
            .collect();
        print_line(&lines.join("\n"));
    }
    for advice in checks.iter().filter_map(|check| check.advice.as_deref()) {
        hint(advice);
    }
    match failed {
        0 => Ok(()),
        1 => bail!("1 check failed"),
        n => bail!("{n} checks failed"),
    }
}

fn report_json(checks: &[Check], ok: bool) -> Value {
    let list = checks
        .iter()
        .map(|check| {
            let mut entry = Map::new();
            entry.insert("name".into(), check.name.into());
            entry.insert("ok".into(), (check.level != Level::Fail).into());
            entry.insert("level".into(), check.level.as_str().into());
            entry.insert("detail".into(), check.detail.clone().into());
            Value::Object(entry)
        })
        .collect();
    let mut report = Map::new();
    report.insert("checks".into(), Value::Array(list));
    report.insert("ok".into(), ok.into());
    Value::Object(report)
}

/// Where a key came from: the environment variable, or the option that overrides it.
fn key_source(ctx: &Settings, env_name: &str, flag: &str, value: &str) -> String {
    if ctx.environment.text(env_name) == Some(value) {
        env_name.to_string()
    } else {
        flag.to_string()
    }
}

/// At most the first four characters of the access key, and only of a key
/// long enough that they do not give most of it away.
fn access_key_preview(access_key: &str) -> String {
    if access_key.chars().count() >= 8 {
        format!(" ({}…)", access_key.chars().take(4).collect::<String>())
    } else {
        String::new()
    }
}

fn check_keys(ctx: &Settings) -> Check {
    let has_access = !ctx.access_key.is_empty();
    let has_secret = !ctx.secret_key.is_empty();
    if has_access && has_secret {
        let access = key_source(ctx, "LOVART_ACCESS_KEY", "--ak", &ctx.access_key);
        let secret = key_source(ctx, "LOVART_SECRET_KEY", "--sk", &ctx.secret_key);
        let preview = access_key_preview(&ctx.access_key);
        return Check::new(
            "keys",
            Level::Pass,
            format!("access key{preview} from {access}, secret key from {secret}"),
        );
    }
    let detail = match (has_access, has_secret) {
        (false, false) => "LOVART_ACCESS_KEY and LOVART_SECRET_KEY are not set",
        (false, true) => "LOVART_SECRET_KEY is set but LOVART_ACCESS_KEY is not",
        _ => "LOVART_ACCESS_KEY is set but LOVART_SECRET_KEY is not",
    };
    Check::new("keys", Level::Fail, detail).advise(
        "export LOVART_ACCESS_KEY and LOVART_SECRET_KEY (Lovart: avatar menu -> AK/SK Management)",
    )
}

fn check_state(ctx: &Settings) -> Check {
    let path = ctx.state.path();
    if !path.exists() && path.symlink_metadata().is_err() {
        return Check::new(
            "state",
            Level::Pass,
            format!("{} does not exist yet (made on first use)", path.display()),
        );
    }
    match ctx.state.peek() {
        Ok(Some(state)) => {
            let data = state.data();
            let count = |key: &str| match data.get(key) {
                Some(Value::Object(map)) => map.len(),
                Some(Value::Array(list)) => list.len(),
                _ => 0,
            };
            let active = match state.active_project() {
                Some(id) => format!(", active project {id}"),
                None => ", no active project".to_string(),
            };
            Check::new(
                "state",
                Level::Pass,
                format!(
                    "{}: {}, {}{active}",
                    path.display(),
                    plural(count("projects"), "project"),
                    plural(count("threads"), "thread")
                ),
            )
        }
        Ok(None) => Check::new(
            "state",
            Level::Fail,
            format!(
                "{} is not valid JSON; the next command that writes it moves it aside (state.json.corrupt-<time>) and starts empty",
                path.display()
            ),
        )
        .advise("look at the file, fix or remove it; lovart never deletes it"),
        Err(error) => Check::new("state", Level::Fail, format!("{error:#}")),
    }
}

/// One unsigned GET of the catalog path: any HTTP answer means the server is
/// reachable; only a JSON 2xx means it is the API.
async fn probe_server(ctx: &Settings) -> Probe {
    let unreachable = |why: String| Probe {
        answer: Err(why),
        clock_offset: None,
    };
    if let Err(problem) = ctx.checked_base_url() {
        return unreachable(format!("{problem:#}"));
    }
    let http = match lovart_core::api::build_http_client(QUICK_TIMEOUT, ctx.insecure_tls) {
        Ok(http) => http,
        Err(error) => return unreachable(format!("{error:#}")),
    };
    let response = http
        .get(catalog::catalog_url(ctx.base_url.trim()))
        .header("Accept", "application/json")
        .header("User-Agent", USER_AGENT)
        .send()
        .await;
    let received = SystemTime::now();
    match response {
        Ok(response) => {
            let clock_offset = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|date| date.to_str().ok())
                .and_then(|date| httpdate::parse_http_date(date).ok())
                .map(|server| signed_seconds(server, received));
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let body = lovart_core::api::read_answer(response, "the network check")
                .await
                .unwrap_or_default();
            Probe {
                answer: Ok((status, answer_problem(status, &content_type, &body))),
                clock_offset,
            }
        }
        Err(error) => unreachable(describe_request_error(&error)),
    }
}

/// `later - earlier` in whole seconds, negative when `later` is earlier.
fn signed_seconds(later: SystemTime, earlier: SystemTime) -> i64 {
    match later.duration_since(earlier) {
        Ok(ahead) => ahead.as_secs() as i64,
        Err(behind) => -(behind.duration().as_secs() as i64),
    }
}

fn is_https(ctx: &Settings) -> bool {
    ctx.base_url
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("https:")
}

fn check_network(ctx: &Settings, probe: &Probe) -> Check {
    let base_url = ctx.base_url.trim().trim_end_matches('/');
    // Nothing was sent: the URL is the fault, not the network.
    if let Some(problem) = lovart_core::settings::base_url_problem(&ctx.base_url) {
        return Check::new(
            "network",
            Level::Fail,
            format!(
                "not tried: the base URL '{base_url}' is invalid: {}",
                problem.what
            ),
        )
        .advise(problem.advice);
    }
    match &probe.answer {
        Ok((status, None)) => Check::new(
            "network",
            Level::Pass,
            format!("{base_url} answered (HTTP {status})"),
        ),
        Ok((_, Some(problem))) => Check::new(
            "network",
            Level::Fail,
            format!("{base_url} answered, but not as the Lovart API: {problem}"),
        )
        .advise("LOVART_BASE_URL must be the API's root, e.g. https://lgw.lovart.ai (no path)"),
        Err(why) if hints::looks_like_plain_http(base_url, why) => Check::new(
            "network",
            Level::Fail,
            format!("{base_url} gave no HTTPS answer: {why}"),
        )
        .advise("the server seems to speak plain HTTP: try http:// instead of https://"),
        Err(why) => Check::new(
            "network",
            Level::Fail,
            format!("{base_url} gave no HTTP answer: {why}"),
        )
        .advise(
            "check the network, LOVART_BASE_URL and any proxy settings (https_proxy, no_proxy)",
        ),
    }
}

fn check_tls(ctx: &Settings, probe: &Probe) -> Check {
    if lovart_core::settings::base_url_problem(&ctx.base_url).is_some() {
        return Check::new("tls", Level::Skip, "not checked: the base URL is invalid");
    }
    if !is_https(ctx) {
        return Check::new("tls", Level::Skip, "not used: the base URL is plain http");
    }
    if ctx.insecure_tls {
        return Check::new(
            "tls",
            Level::Warn,
            "certificate verification is off (LOVART_INSECURE_SSL=1)",
        )
        .advise("unset LOVART_INSECURE_SSL unless a proxy you trust rewrites TLS");
    }
    match &probe.answer {
        Ok(_) => Check::new("tls", Level::Pass, "certificate verified"),
        Err(why) if hints::looks_like_tls(why) => Check::new("tls", Level::Fail, why.clone())
            .advise("behind a TLS-inspecting proxy, point SSL_CERT_FILE at its CA certificate"),
        Err(_) => Check::new("tls", Level::Skip, "not checked: the server is unreachable"),
    }
}

/// "3 min 12 s", "45 s".
fn human_duration(seconds: u64) -> String {
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

fn check_clock(probe: &Probe) -> Check {
    let Some(offset) = probe.clock_offset else {
        let why = if probe.answer.is_ok() {
            "not checked: the server sent no Date header"
        } else {
            "not checked: the server is unreachable"
        };
        return Check::new("clock", Level::Skip, why);
    };
    let distance = offset.unsigned_abs();
    if distance <= CLOCK_TOLERANCE.as_secs() {
        return Check::new(
            "clock",
            Level::Pass,
            format!("within {} of the server's", human_duration(distance.max(1))),
        );
    }
    let direction = if offset > 0 { "behind" } else { "ahead of" };
    Check::new(
        "clock",
        Level::Warn,
        format!(
            "{} {direction} the server's; signed requests may be rejected",
            human_duration(distance)
        ),
    )
    .advise("turn on automatic time sync (NTP) on this machine")
}

async fn check_catalog(ctx: &Settings) -> Check {
    let fetched = match lovart_core::api::build_http_client(QUICK_TIMEOUT, ctx.insecure_tls) {
        Ok(http) => catalog::fetch_live(&http, &ctx.base_url).await,
        Err(error) => Err(error),
    };
    match fetched {
        Ok(tools) => {
            let per_category: Vec<String> = catalog::categories(&tools)
                .iter()
                .map(|category| {
                    let count = tools.iter().filter(|t| &t.category == category).count();
                    format!("{category} {count}")
                })
                .collect();
            Check::new(
                "catalog",
                Level::Pass,
                format!("{} tools ({})", tools.len(), per_category.join(", ")),
            )
        }
        Err(why) => Check::new(
            "catalog",
            Level::Warn,
            format!(
                "could not fetch the live catalog ({}); `lovart models` uses its built-in copy of {} tools",
                condensed(&format!("{why:#}"), 160),
                catalog::builtin().len()
            ),
        ),
    }
}

async fn check_account(ctx: &Settings) -> Check {
    if !ctx.has_keys() {
        return Check::new("account", Level::Skip, "not checked: no keys");
    }
    let client = match ctx.api_with_timeout(QUICK_TIMEOUT) {
        Ok(client) => client,
        Err(error) => return Check::new("account", Level::Fail, format!("{error:#}")),
    };
    match client.query_mode().await {
        Ok(detail) => {
            let unlimited = detail.get("unlimited").is_some_and(is_truthy);
            let mode = if unlimited { "unlimited" } else { "fast" };
            Check::new(
                "account",
                Level::Pass,
                format!("the keys are accepted; generation mode: {mode}"),
            )
        }
        Err(error) => {
            let message = condensed(&error.message, 160);
            let detail = match error.status {
                Some(status) => format!("rejected (HTTP {status}): {message}"),
                None => message,
            };
            let check = Check::new("account", Level::Fail, detail);
            match (error.kind, error.status) {
                (ApiErrorKind::Http, Some(401 | 403)) => check.advise(
                    "check LOVART_ACCESS_KEY and LOVART_SECRET_KEY (Lovart: avatar menu -> AK/SK Management)",
                ),
                _ => check,
            }
        }
    }
}

#[cfg(test)]
mod tests;
