//! The running sandbox: its options, the data it remembers ([`super::records`])
//! behind one mutex, the rate windows and answered keys ([`super::limits`]),
//! the request journal, the clock and where uploads go.
//!
//! One mutex guards the data; handlers hold it only between awaits, never
//! across one. The middlewares get only their own part ([`World::journal`],
//! [`World::rate_guard`], [`World::saver`]), so `journal`, `limits` and
//! `store` know nothing of the world. Files are descriptions, not bytes (see
//! [`super::media`]), except uploads, which go to the data folder's
//! `uploads/` (see [`super::store`]) or, for an ephemeral sandbox, a temporary
//! folder removed with the server.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;

use super::SandboxOptions;
use super::journal::Journal;
use super::limits::{Limiter, RateGuard};
use super::records::State;
use super::store::{Saver, Store};

pub struct World {
    pub options: SandboxOptions,
    pub journal: Arc<Journal>,
    pub rate: Arc<Limiter>,
    state: Arc<Mutex<State>>,
    clock_offset: AtomicI64,
    uploads: Uploads,
    /// The data folder, when the world outlives the process.
    store: Option<Arc<Store>>,
}

/// Where uploaded files go.
enum Uploads {
    Temporary(tempfile::TempDir),
    Kept(PathBuf),
}

impl World {
    /// A world read from `options.data_dir` (created if missing), or an
    /// empty one that lives only in memory.
    pub fn new(options: SandboxOptions) -> anyhow::Result<Self> {
        let (store, state, uploads) = match &options.data_dir {
            Some(folder) => {
                let (store, state) = Store::open(folder)?;
                let uploads = Uploads::Kept(store.uploads());
                (Some(Arc::new(store)), state, uploads)
            }
            None => {
                let uploads = tempfile::Builder::new()
                    .prefix("lovart-sandbox-")
                    .tempdir()
                    .context("cannot create the sandbox's upload folder")?;
                (None, State::default(), Uploads::Temporary(uploads))
            }
        };
        let journal = Arc::new(Journal::new(options.log_requests));
        Ok(Self {
            options,
            journal,
            rate: Arc::default(),
            state: Arc::new(Mutex::new(state)),
            clock_offset: AtomicI64::new(0),
            uploads,
            store,
        })
    }

    /// What the save-after-request middleware needs, when there is a data folder.
    pub fn saver(&self) -> Option<Saver> {
        self.store.as_ref().map(|store| Saver {
            store: store.clone(),
            state: self.state.clone(),
        })
    }

    /// What the rate-limit middleware needs: the limits and their windows.
    pub fn rate_guard(&self) -> RateGuard {
        RateGuard {
            limits: self.options.limits,
            limiter: self.rate.clone(),
        }
    }

    /// The state, even if a handler panicked while holding it.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The server's Unix time in seconds, skewed by the test knob.
    pub fn unix_now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::Relaxed)
    }

    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }

    pub fn upload_dir(&self) -> &Path {
        match &self.uploads {
            Uploads::Temporary(folder) => folder.path(),
            Uploads::Kept(folder) => folder,
        }
    }
}
