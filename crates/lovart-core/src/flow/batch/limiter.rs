//! The client-side rate limiter: a sliding-window log per [`Tier`] (chat and
//! query; the limits are the wire contract's [`Tier::limits`]), `Retry-After`
//! pauses, seeding from a journal's past send times, and the pacing helpers
//! [`min_duration_for`], [`poll_interval`] and
//! [`RateLimiter::poll_interval_now`].
//!
//! Each tier keeps one log of send times, capped at its largest window limit,
//! so memory is bounded by the limits, not by the number of rows. A send is
//! allowed when, for every window, fewer than `limit` sends lie within `span`
//! of now. Waiters queue FIFO on a `tokio::sync::Mutex`; only the head sleeps,
//! outside the log's lock. Time is `tokio::time::Instant`, so tests run on
//! paused virtual time.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use lovart_wire::paths::Tier;
use tokio::time::Instant;

/// At most `limit` acquisitions within any rolling `span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub span: Duration,
    pub limit: usize,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// Share of the query budget, in percent, that status polls may use.
pub const POLL_SHARE_PERCENT: u32 = 80;

/// The API's documented windows of `tier` ([`Tier::limits`]): per rolling
/// minute, then per rolling hour.
pub fn windows(tier: Tier) -> [Window; 2] {
    let (per_minute, per_hour) = tier.limits();
    [
        Window {
            span: MINUTE,
            limit: per_minute as usize,
        },
        Window {
            span: HOUR,
            limit: per_hour as usize,
        },
    ]
}

/// `tier`'s windows with every span multiplied by `scale` (the hidden
/// `LOVART_RATE_SCALE`, so tests run in seconds), widened by a margin of 2 %
/// plus 100 ms: a send is counted here when it leaves, by the server when it
/// arrives, and a later send that travels faster must still fall outside the
/// server's window.
pub fn client_windows(tier: Tier, scale: f64) -> [Window; 2] {
    windows(tier).map(|window| {
        let span = window.span.mul_f64(scale);
        Window {
            span: span + span / 50 + Duration::from_millis(100),
            limit: window.limit,
        }
    })
}

/// Send times in logical time: a `Duration` since the limiter's origin, shifted
/// by the longest span so seeded past sends never go below zero.
#[derive(Debug)]
struct Log {
    windows: Vec<Window>,
    sends: VecDeque<Duration>,
    paused_until: Duration,
    cap: usize,
    longest: Duration,
}

impl Log {
    fn new(windows: &[Window]) -> Self {
        assert!(!windows.is_empty(), "a tier needs at least one window");
        assert!(
            windows.iter().all(|w| w.limit > 0),
            "window limits must be > 0"
        );
        let cap = windows.iter().map(|w| w.limit).max().unwrap_or(1);
        let longest = windows.iter().map(|w| w.span).max().unwrap_or_default();
        Self {
            windows: windows.to_vec(),
            sends: VecDeque::with_capacity(cap.min(1024)),
            paused_until: Duration::ZERO,
            cap,
            longest,
        }
    }

    fn prune(&mut self, now: Duration) {
        let horizon = now.saturating_sub(self.longest);
        while self.sends.front().is_some_and(|&t| t <= horizon) {
            self.sends.pop_front();
        }
    }

    /// When the next send may go, or `None` if it may go at `now`.
    fn free_at(&mut self, now: Duration) -> Option<Duration> {
        self.prune(now);
        let mut at = self.paused_until;
        let len = self.sends.len();
        for window in &self.windows {
            if len >= window.limit {
                at = at.max(self.sends[len - window.limit] + window.span);
            }
        }
        (at > now).then_some(at)
    }

    fn record(&mut self, at: Duration) {
        self.sends.push_back(at);
        while self.sends.len() > self.cap {
            self.sends.pop_front();
        }
    }

    fn count_within(&self, now: Duration, span: Duration) -> usize {
        let since = now.saturating_sub(span);
        self.sends.iter().rev().take_while(|&&t| t > since).count()
    }
}

/// A send recorded by [`RateLimiter::acquire`], at its logical time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "hand it to `completed` when the answer is in"]
pub struct Sent(Duration);

struct TierState {
    log: Mutex<Log>,
    queue: tokio::sync::Mutex<()>,
    waiting: AtomicUsize,
}

/// Shared by every task of a batch (wrap it in an `Arc`).
pub struct RateLimiter {
    origin: Instant,
    shift: Duration,
    chat: TierState,
    query: TierState,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

/// Decrements a tier's waiter count however `acquire` ends (even cancelled).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl RateLimiter {
    /// A limiter with the API's documented limits.
    pub fn new() -> Self {
        Self::with_windows(&windows(Tier::Chat), &windows(Tier::Query))
    }

    /// The limiter a batch uses: the documented limits, spans scaled by
    /// `scale` and widened by [`client_windows`]' margin.
    pub fn for_client(scale: f64) -> Self {
        Self::with_windows(
            &client_windows(Tier::Chat, scale),
            &client_windows(Tier::Query, scale),
        )
    }

    /// A limiter with other limits (e.g. an account with a different plan).
    /// Panics on an empty window list or a zero limit.
    pub fn with_windows(chat: &[Window], query: &[Window]) -> Self {
        let state = |windows: &[Window]| TierState {
            log: Mutex::new(Log::new(windows)),
            queue: tokio::sync::Mutex::new(()),
            waiting: AtomicUsize::new(0),
        };
        let shift = chat
            .iter()
            .chain(query)
            .map(|w| w.span)
            .max()
            .unwrap_or_default();
        Self {
            origin: Instant::now(),
            shift,
            chat: state(chat),
            query: state(query),
        }
    }

    fn tier(&self, tier: Tier) -> &TierState {
        match tier {
            Tier::Chat => &self.chat,
            Tier::Query => &self.query,
        }
    }

    fn log(&self, tier: Tier) -> std::sync::MutexGuard<'_, Log> {
        self.tier(tier)
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Duration {
        Instant::now().duration_since(self.origin) + self.shift
    }

    fn instant(&self, logical: Duration) -> Instant {
        self.origin + logical.saturating_sub(self.shift)
    }

    /// Waits until both windows of `tier` have room (and any pause is over),
    /// then records the send. Waiters are served in arrival order. Dropping the
    /// future while it waits records nothing. Hand the returned [`Sent`] to
    /// [`completed`](Self::completed) when the answer is in.
    pub async fn acquire(&self, tier: Tier) -> Sent {
        let state = self.tier(tier);
        state.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&state.waiting);
        let _turn = state.queue.lock().await;
        loop {
            let now = self.now();
            let free_at = {
                let mut log = self.log(tier);
                match log.free_at(now) {
                    None => {
                        log.record(now);
                        return Sent(now);
                    }
                    Some(at) => at,
                }
            };
            tokio::time::sleep_until(self.instant(free_at)).await;
        }
    }

    /// Moves a send's record from when it left to now, when its answer is in:
    /// the server counted it somewhere in between, and a later send that
    /// travels faster must not land inside the server's window.
    pub fn completed(&self, tier: Tier, sent: Sent) {
        let now = self.now();
        let mut log = self.log(tier);
        if let Ok(at) = log.sends.binary_search(&sent.0) {
            log.sends.remove(at);
            let to = log.sends.partition_point(|&t| t <= now);
            log.sends.insert(to, now);
        }
    }

    /// Holds every send of `tier` for `wait` from now (a 429's `Retry-After`).
    /// A shorter pause never cuts a longer one.
    pub fn pause(&self, tier: Tier, wait: Duration) {
        let until = self.now() + wait;
        let mut log = self.log(tier);
        log.paused_until = log.paused_until.max(until);
    }

    /// Adds past sends (from a journal) so a resumed batch stays within the
    /// limits. Times older than the longest window are ignored; times in the
    /// future (clock skew) count as now.
    pub fn seed(&self, tier: Tier, past: &[SystemTime]) {
        let wall = SystemTime::now();
        let now = self.now();
        let mut log = self.log(tier);
        let longest = log.longest;
        let mut all: Vec<Duration> = log.sends.iter().copied().collect();
        all.extend(past.iter().filter_map(|&t| {
            let age = wall.duration_since(t).unwrap_or_default();
            (age < longest).then(|| now.saturating_sub(age))
        }));
        all.sort_unstable();
        let skip = all.len().saturating_sub(log.cap);
        log.sends = all.into_iter().skip(skip).collect();
    }

    /// When the next send of `tier` may go, or `None` if it may go now. Tasks
    /// already queued in [`acquire`](Self::acquire) go first.
    #[cfg(test)]
    pub fn next_free(&self, tier: Tier) -> Option<Instant> {
        let now = self.now();
        let at = self.log(tier).free_at(now)?;
        Some(self.instant(at))
    }

    /// How many tasks are inside [`acquire`](Self::acquire) for `tier`.
    pub fn waiting(&self, tier: Tier) -> usize {
        self.tier(tier).waiting.load(Ordering::Relaxed)
    }

    /// How often each of `in_flight` threads may poll now: every `base` while
    /// the query tier's short window has room for one more poll of each (at
    /// [`POLL_SHARE_PERCENT`]); else at the per-minute pace
    /// ([`poll_interval`]); and at the sustained pace
    /// ([`sustained_poll_interval`]) once half of the longest window is used,
    /// so a long batch does not spend the hour's budget in its first minutes.
    pub fn poll_interval_now(&self, in_flight: usize, base: Duration) -> Duration {
        let now = self.now();
        let log = self.log(Tier::Query);
        let longest = log.windows.iter().copied().max_by_key(|w| w.span);
        let used_half = longest.is_some_and(|w| log.count_within(now, w.span) * 2 >= w.limit);
        if used_half {
            return sustained_poll_interval_with(&log.windows, in_flight, base);
        }
        // As soon as enough calls age out of the short window to leave room
        // for one more round of polls, but never slower than the steady pace.
        let steady = poll_interval_with(&log.windows, in_flight, base);
        let short = log.windows[0];
        let share = short.limit * POLL_SHARE_PERCENT as usize / 100;
        let Some(room) = share.checked_sub(in_flight) else {
            return steady;
        };
        let within = log.count_within(now, short.span);
        if within <= room {
            return base;
        }
        // The oldest call that must leave the window first.
        let must_leave = log.sends[log.sends.len() - room - 1];
        let room_at = (must_leave + short.span).saturating_sub(now);
        room_at.clamp(base, steady.max(base))
    }

    /// Sends recorded within each window of `tier`, as `(window, count)`.
    #[cfg(test)]
    pub fn usage(&self, tier: Tier) -> Vec<(Window, usize)> {
        let now = self.now();
        let log = self.log(tier);
        log.windows
            .iter()
            .map(|&w| (w, log.count_within(now, w.span)))
            .collect()
    }
}

/// The least time `n` acquisitions of `tier` can take from an empty limiter:
/// the moment of the last one, the first being at zero.
/// E.g. 120 chat sends: 60 at once, 60 more at 60 s → 60 s.
#[cfg(test)]
pub fn min_duration_for(tier: Tier, n: usize) -> Duration {
    min_duration_with(&windows(tier), n)
}

/// [`min_duration_for`] with any windows.
#[cfg(test)]
pub fn min_duration_with(windows: &[Window], n: usize) -> Duration {
    let mut log = Log::new(windows);
    let mut last = Duration::ZERO;
    for _ in 0..n {
        let len = log.sends.len();
        for w in &log.windows {
            if len >= w.limit {
                last = last.max(log.sends[len - w.limit] + w.span);
            }
        }
        log.record(last);
    }
    last
}

/// How often each of `in_flight` threads may poll its status so that together
/// they use at most [`POLL_SHARE_PERCENT`] of the query tier's per-minute budget
/// (240 of 300/min → one poll every `in_flight × 250 ms`), never below `base`.
#[cfg(test)]
pub fn poll_interval(in_flight: usize, base: Duration) -> Duration {
    poll_interval_with(&windows(Tier::Query), in_flight, base)
}

/// [`poll_interval`] against any query windows (their first is the short one).
pub fn poll_interval_with(query: &[Window], in_flight: usize, base: Duration) -> Duration {
    spread(in_flight, base, query[0])
}

/// Like [`poll_interval`], but against the tightest long-run rate of the query
/// tier: 3000/h is only 50/min, so polling for more than ~12 minutes at the
/// per-minute pace would exhaust the hourly budget (→ `in_flight × 1.5 s`).
#[cfg(test)]
pub fn sustained_poll_interval(in_flight: usize, base: Duration) -> Duration {
    sustained_poll_interval_with(&windows(Tier::Query), in_flight, base)
}

/// [`sustained_poll_interval`] against any query windows.
pub fn sustained_poll_interval_with(
    query: &[Window],
    in_flight: usize,
    base: Duration,
) -> Duration {
    let rate = |w: &Window| (w.limit as u128, w.span.as_nanos());
    let tightest = query
        .iter()
        .copied()
        .min_by(|a, b| {
            let ((la, sa), (lb, sb)) = (rate(a), rate(b));
            (la * sb).cmp(&(lb * sa))
        })
        .unwrap_or(query[0]);
    spread(in_flight, base, tightest)
}

/// `in_flight` polls spread over `window` at [`POLL_SHARE_PERCENT`] of its limit.
fn spread(in_flight: usize, base: Duration, window: Window) -> Duration {
    let in_flight = u32::try_from(in_flight).unwrap_or(u32::MAX).min(1_000_000);
    let limit = u32::try_from(window.limit).unwrap_or(u32::MAX);
    let spread = window.span * in_flight * 100 / (limit.saturating_mul(POLL_SHARE_PERCENT));
    spread.max(base)
}

#[cfg(test)]
mod tests;
