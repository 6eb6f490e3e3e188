//! Stopping a server that has calls in flight, and the signals that ask for it.
//!
//! The two transports stop differently, because their clients differ.
//!
//! When the HTTP server is told to stop (SIGTERM, Ctrl-C), a generation call
//! that is waiting on its thread stops waiting and answers at once with
//! `final_status: "running"` and the thread id, exactly as when its
//! `wait_seconds` run out: the thread was recorded in the state file when it
//! was sent, so the client (or any other) resumes it with `wait` after the
//! restart, and nothing billed is lost or sent again. Calls that do not wait
//! simply finish. The stdio server never drains: its [`Draining`] never
//! starts.
//!
//! The stdio server has one client, and that client is leaving when it closes
//! stdin or sends SIGTERM (the official SDKs close stdin, wait 2 s, then send
//! SIGTERM): nobody is left to read an answer. So a [`Stopping`] cuts every
//! call in flight at once: polls, a question put to the user and a download
//! stop, and a partial download's temporary file goes with it. A thread sent
//! before the stop is already in the state file (the send records it as soon
//! as its answer is read), so `wait` resumes it after the restart. The HTTP
//! server's [`Stopping`] never starts.

use tokio::sync::watch;

/// The tools' view of a shutdown: whether it has started, and a future that
/// completes when it does.
#[derive(Clone, Debug)]
pub struct Draining(watch::Receiver<bool>);

/// The server's end: starts the drain once.
#[derive(Debug)]
pub struct DrainSwitch(watch::Sender<bool>);

impl Draining {
    /// A switch and the view it controls.
    pub fn new() -> (DrainSwitch, Self) {
        let (sender, receiver) = watch::channel(false);
        (DrainSwitch(sender), Self(receiver))
    }

    /// A view whose drain never starts (the stdio server).
    pub fn never() -> Self {
        // With its switch gone, `until_started` waits forever.
        Self::new().1
    }

    pub fn started(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once the drain has started.
    pub async fn until_started(&self) {
        let mut receiver = self.0.clone();
        if receiver.wait_for(|&started| started).await.is_err() {
            // The switch is gone without a drain: never complete.
            std::future::pending::<()>().await;
        }
    }
}

impl DrainSwitch {
    pub fn start(&self) {
        self.0.send_replace(true);
    }
}

/// The tools' view of a stop of the stdio server: whether it was asked for,
/// and a future that completes when it is. Calls in flight end at once.
#[derive(Clone, Debug)]
pub struct Stopping(Draining);

impl Stopping {
    /// A switch and the view it controls.
    pub fn new() -> (DrainSwitch, Self) {
        let (switch, view) = Draining::new();
        (switch, Self(view))
    }

    /// A view whose stop never comes (the HTTP server drains instead).
    #[cfg(feature = "http")]
    pub fn never() -> Self {
        Self(Draining::never())
    }

    /// Completes once the stop was asked for.
    pub async fn until_requested(&self) {
        self.0.until_started().await;
    }
}

/// Completes at SIGTERM or Ctrl-C (SIGINT).
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waiters_wake_when_the_drain_starts() {
        let (switch, draining) = Draining::new();
        assert!(!draining.started());
        let waiter = tokio::spawn({
            let draining = draining.clone();
            async move { draining.until_started().await }
        });
        switch.start();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
        assert!(draining.started());
    }

    #[tokio::test(start_paused = true)]
    async fn the_stdio_server_never_drains() {
        let draining = Draining::never();
        let waited =
            tokio::time::timeout(Duration::from_secs(3600), draining.until_started()).await;
        assert!(waited.is_err());
        assert!(!draining.started());
    }

    #[tokio::test]
    async fn calls_wake_when_the_stop_is_requested() {
        let (switch, stopping) = Stopping::new();
        let waiter = tokio::spawn({
            let stopping = stopping.clone();
            async move { stopping.until_requested().await }
        });
        switch.start();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
    }
}
