//! The fixed waits of the generation flows.
//!
//! The defaults are the reference's (poll every 3 s, re-check 5 s after "done",
//! 2 s before validating a project again, 2 s then 4 s between GET retries).
//! The hidden `LOVART_WAIT_SCALE` environment variable multiplies every one of
//! them, so the test suite can run the real flows in milliseconds. The per-request
//! timeout has its own hidden multiplier, `LOVART_TIMEOUT_SCALE`, so a test can
//! wait out a timeout in a tenth of a second while the suite's usual 0.001 wait
//! scale leaves every other request its full `--timeout`.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// One instant that bounds a whole piece of work (an MCP call's
/// `wait_seconds`): what runs under it asks how much time is [`left`](Self::left),
/// and [`bound`](Self::bound) drops whatever has not finished when it passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Instant);

impl Deadline {
    /// `duration` from now.
    pub fn after(duration: Duration) -> Self {
        Self(Instant::now() + duration)
    }

    /// The instant itself.
    pub fn instant(self) -> Instant {
        self.0
    }

    /// Time left before it passes (zero once passed).
    pub fn left(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// Whether it has passed.
    pub fn passed(self) -> bool {
        Instant::now() >= self.0
    }

    /// The same deadline, `grace` later.
    pub fn extended(self, grace: Duration) -> Self {
        Self(self.0 + grace)
    }

    /// Runs `work` until it finishes or the deadline passes; `None` when the
    /// deadline passed first (the work is dropped: its requests and waits stop).
    pub async fn bound<F: Future>(self, work: F) -> Option<F::Output> {
        tokio::time::timeout_at(self.0, work).await.ok()
    }
}

/// Multiplier for every fixed wait; 1 unless `LOVART_WAIT_SCALE` says otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    scale: f64,
    timeout_scale: f64,
}

impl Default for Waits {
    fn default() -> Self {
        Self {
            scale: 1.0,
            timeout_scale: 1.0,
        }
    }
}

impl Waits {
    /// Waits multiplied by `scale`, request timeouts by `timeout_scale`
    /// (both checked by the settings: finite and greater than zero).
    pub fn new(scale: f64, timeout_scale: f64) -> Self {
        Self {
            scale,
            timeout_scale,
        }
    }

    /// A per-request (connect, read) timeout, scaled by `LOVART_TIMEOUT_SCALE`.
    pub fn request_timeout(&self, timeout: Duration) -> Duration {
        timeout.mul_f64(self.timeout_scale)
    }

    /// `seconds` of the reference, scaled.
    pub fn seconds(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds * self.scale)
    }

    /// Between two status polls.
    pub fn poll_interval(&self) -> Duration {
        self.seconds(3.0)
    }

    /// After the first "done", before checking again.
    pub fn done_recheck(&self) -> Duration {
        self.seconds(5.0)
    }

    /// Before validating a project a second time.
    pub fn validate_retry(&self) -> Duration {
        self.seconds(2.0)
    }

    /// Before retry number `attempt` (1-based) of a GET: 2 s, 4 s, …
    pub fn get_retry(&self, attempt: u32) -> Duration {
        self.seconds(2.0 * f64::from(attempt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_deadline_drops_the_work_that_outlives_it() {
        let deadline = Deadline::after(Duration::from_secs(5));
        assert_eq!(deadline.left(), Duration::from_secs(5));
        let quick = deadline.bound(async { 1 }).await;
        assert_eq!(quick, Some(1));
        let endless = deadline.bound(std::future::pending::<()>()).await;
        assert_eq!(endless, None);
        assert!(deadline.passed());
        assert_eq!(deadline.left(), Duration::ZERO);
    }

    #[test]
    fn default_waits_are_the_reference_ones() {
        let waits = Waits::default();
        assert_eq!(waits.poll_interval(), Duration::from_secs(3));
        assert_eq!(waits.done_recheck(), Duration::from_secs(5));
        assert_eq!(waits.validate_retry(), Duration::from_secs(2));
        assert_eq!(waits.get_retry(1), Duration::from_secs(2));
        assert_eq!(waits.get_retry(2), Duration::from_secs(4));
        let minute = Duration::from_secs(60);
        assert_eq!(waits.request_timeout(minute), minute);
    }
}
