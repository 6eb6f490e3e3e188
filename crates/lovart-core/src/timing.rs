//! The fixed waits of the generation flows.
//!
//! The defaults are the reference's (poll every 3 s, re-check 5 s after "done",
//! 2 s before validating a project again, 2 s then 4 s between GET retries).
//! The hidden `LOVART_WAIT_SCALE` environment variable multiplies every one of
//! them, so the test suite can run the real flows in milliseconds. The per-request
//! timeout has its own hidden multiplier, `LOVART_TIMEOUT_SCALE`, so a test can
//! wait out a timeout in a tenth of a second while the suite's usual 0.001 wait
//! scale leaves every other request its full `--timeout`.

use std::time::Duration;

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
