//! Per-client caps, so that one client cannot take the account's rate limit
//! (or the server) from the others: at most `concurrency` requests in flight
//! and a token bucket of `per_minute` requests (full at the start, refilled
//! at `per_minute` a minute). A request over either cap is refused with 429
//! before anything is read or spent. Clients are named by their token (see
//! [`super::auth`]), or by their address when the server has no tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Beyond this many clients, idle ones are forgotten (their bucket is full
/// again by then anyway).
const MAX_REMEMBERED_CLIENTS: usize = 1024;

/// The caps of every client.
pub struct ClientLimits {
    concurrency: usize,
    /// 0: no rate cap.
    per_minute: u32,
    clients: Mutex<HashMap<Arc<str>, Client>>,
}

struct Client {
    in_flight: Arc<Semaphore>,
    tokens: f64,
    refilled: Instant,
}

/// Why a request was refused.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// `concurrency` requests of this client are in flight.
    Busy,
    /// The bucket is empty; a token comes back after this long.
    TooFast(Duration),
}

impl ClientLimits {
    pub fn new(concurrency: usize, per_minute: u32) -> Self {
        Self {
            concurrency: concurrency.max(1),
            per_minute,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Admits one request of `client`: the permit is its place among the
    /// client's requests in flight, held until its response is over.
    pub fn admit(&self, client: &Arc<str>) -> Result<OwnedSemaphorePermit, Refusal> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if clients.len() >= MAX_REMEMBERED_CLIENTS && !clients.contains_key(client) {
            let concurrency = self.concurrency;
            clients.retain(|_, known| known.in_flight.available_permits() < concurrency);
        }
        let now = Instant::now();
        let capacity = f64::from(self.per_minute);
        let known = clients.entry(client.clone()).or_insert_with(|| Client {
            in_flight: Arc::new(Semaphore::new(self.concurrency)),
            tokens: capacity,
            refilled: now,
        });
        let permit = known
            .in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Busy)?;
        if self.per_minute > 0 {
            let per_second = capacity / 60.0;
            let elapsed = now.saturating_duration_since(known.refilled).as_secs_f64();
            known.tokens = (known.tokens + elapsed * per_second).min(capacity);
            known.refilled = now;
            if known.tokens < 1.0 {
                let wait = (1.0 - known.tokens) / per_second;
                return Err(Refusal::TooFast(Duration::from_secs_f64(wait)));
            }
            known.tokens -= 1.0;
        }
        Ok(permit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Arc<str> {
        Arc::from(text)
    }

    #[tokio::test]
    async fn a_busy_client_does_not_block_another() {
        let limits = ClientLimits::new(2, 0);
        let (alice, bob) = (name("alice"), name("bob"));
        let first = limits.admit(&alice).unwrap();
        let _second = limits.admit(&alice).unwrap();
        assert_eq!(limits.admit(&alice).unwrap_err(), Refusal::Busy);
        assert!(limits.admit(&bob).is_ok());
        drop(first);
        assert!(limits.admit(&alice).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_cap_refills_over_the_minute() {
        let limits = ClientLimits::new(100, 60);
        let alice = name("alice");
        for _ in 0..60 {
            drop(limits.admit(&alice).unwrap());
        }
        let Err(Refusal::TooFast(wait)) = limits.admit(&alice) else {
            panic!("the 61st request in a second passed");
        };
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(limits.admit(&name("bob")).is_ok(), "bob has his own bucket");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(limits.admit(&alice).is_ok());
        assert!(limits.admit(&alice).is_ok());
        assert!(limits.admit(&alice).is_err());
    }
}
