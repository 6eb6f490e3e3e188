//! The account's rate limits as the API enforces them, and its
//! Idempotency-Key memory for `POST /chat`.
//!
//! Two tiers per access key ([`Tier::of`]): chat (`POST /chat`,
//! `/chat/confirm`) and query (every other signed API call), each with a
//! rolling minute and a rolling hour ([`Tier::limits`]). A request past either
//! window answers 429 with `Retry-After: 60` and is not counted. Windows can
//! be scaled ([`RateLimits::time_scale`]) so tests do not wait a real minute.
//!
//! A `POST /chat` whose Idempotency-Key was already answered with a thread
//! gets that same thread again, and no second job starts.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lovart_wire::paths::{self, PATH_PREFIX, Tier};

use super::reply::Failure;

/// Seconds a client is told to wait after a 429, as the API does.
pub const RETRY_AFTER_SECONDS: u64 = 60;

/// How the sandbox limits requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Whether the limits are enforced at all.
    pub enabled: bool,
    /// Multiplies every window's span: 0.01 makes a "minute" 0.6 s.
    pub time_scale: f64,
    /// Chat requests per minute and per hour.
    pub chat: (u32, u32),
    /// Query requests per minute and per hour.
    pub query: (u32, u32),
}

impl Default for RateLimits {
    /// The documented limits, in real time.
    fn default() -> Self {
        Self {
            enabled: true,
            time_scale: 1.0,
            chat: Tier::Chat.limits(),
            query: Tier::Query.limits(),
        }
    }
}

impl RateLimits {
    fn windows(&self, tier: Tier) -> [(Duration, usize); 2] {
        let (per_minute, per_hour) = match tier {
            Tier::Chat => self.chat,
            Tier::Query => self.query,
        };
        let scaled = |seconds: f64| Duration::from_secs_f64(seconds * self.time_scale);
        [
            (scaled(60.0), per_minute as usize),
            (scaled(3600.0), per_hour as usize),
        ]
    }
}

/// Admitted request times per (access key, tier), and answered keys.
#[derive(Default)]
pub struct Limiter {
    windows: Mutex<HashMap<(String, Tier), VecDeque<Instant>>>,
    keys: Mutex<HashMap<(String, String), String>>,
}

impl Limiter {
    /// Counts one request of `tier` by `access_key`; `Err` when a window is full.
    pub fn admit(&self, limits: &RateLimits, access_key: &str, tier: Tier) -> Result<(), String> {
        let now = Instant::now();
        let windows = limits.windows(tier);
        let longest = windows
            .iter()
            .map(|(span, _)| *span)
            .max()
            .unwrap_or_default();
        let mut all = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let log = all.entry((access_key.to_string(), tier)).or_default();
        while log
            .front()
            .is_some_and(|&at| now.duration_since(at) >= longest)
        {
            log.pop_front();
        }
        for (span, limit) in windows {
            let within = log
                .iter()
                .rev()
                .take_while(|&&at| now.duration_since(at) < span)
                .count();
            if within >= limit {
                let tier_name = match tier {
                    Tier::Chat => "chat",
                    Tier::Query => "query",
                };
                let window = if span == windows[0].0 {
                    "a minute"
                } else {
                    "an hour"
                };
                return Err(format!(
                    "more than {limit} {tier_name} requests in {window}; retry after {RETRY_AFTER_SECONDS} s"
                ));
            }
        }
        log.push_back(now);
        Ok(())
    }

    /// The answered Idempotency-Keys, locked while a send is decided.
    pub fn keys(&self) -> MutexGuard<'_, HashMap<(String, String), String>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the rate-limit middleware works with: the limits and their windows.
#[derive(Clone)]
pub struct RateGuard {
    pub limits: RateLimits,
    pub limiter: Arc<Limiter>,
}

/// Middleware (after the signature check): 429 past a tier's window.
pub async fn enforce(State(guard): State<RateGuard>, request: Request, next: Next) -> Response {
    let limits = guard.limits;
    let path = request.uri().path();
    let counted = limits.enabled
        && path.starts_with(PATH_PREFIX)
        && path != paths::full(paths::TOOLS_CATALOG);
    if counted {
        let tier = Tier::of(request.method().as_str(), &path[PATH_PREFIX.len()..]);
        let access_key = request
            .headers()
            .get(paths::header::ACCESS_KEY)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if let Err(details) = guard.limiter.admit(&limits, access_key, tier) {
            return Failure::new(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded")
                .code(lovart_wire::envelope::codes::RATE_LIMITED)
                .details(details)
                .retry_after(RETRY_AFTER_SECONDS)
                .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_windows_hold_per_key_and_tier() {
        let limiter = Limiter::default();
        let limits = RateLimits {
            chat: (3, 5),
            time_scale: 0.001,
            ..RateLimits::default()
        };
        for _ in 0..3 {
            assert!(limiter.admit(&limits, "ak", Tier::Chat).is_ok());
        }
        let refused = limiter.admit(&limits, "ak", Tier::Chat).unwrap_err();
        assert!(refused.contains("3 chat requests in a minute"), "{refused}");
        assert!(limiter.admit(&limits, "other", Tier::Chat).is_ok());
        assert!(limiter.admit(&limits, "ak", Tier::Query).is_ok());
        // The scaled minute (60 ms) passes; the hour (3.6 s) still holds 5.
        std::thread::sleep(Duration::from_millis(70));
        assert!(limiter.admit(&limits, "ak", Tier::Chat).is_ok());
        assert!(limiter.admit(&limits, "ak", Tier::Chat).is_ok());
        let refused = limiter.admit(&limits, "ak", Tier::Chat).unwrap_err();
        assert!(refused.contains("5 chat requests in an hour"), "{refused}");
    }

    #[test]
    fn the_documented_limits_are_the_default() {
        let limits = RateLimits::default();
        assert!(limits.enabled);
        assert_eq!(limits.chat, (60, 600));
        assert_eq!(limits.query, (300, 3000));
        let limiter = Limiter::default();
        for _ in 0..60 {
            assert!(limiter.admit(&limits, "ak", Tier::Chat).is_ok());
        }
        assert!(limiter.admit(&limits, "ak", Tier::Chat).is_err());
    }
}
