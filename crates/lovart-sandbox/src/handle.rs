//! [`SandboxHandle`]: the sandbox on its own thread and runtime, for tests.
//!
//! `start` binds 127.0.0.1 on a free port before returning, so the URL is
//! usable at once; dropping the handle stops the server and waits for its
//! thread. The handle also reaches into the server: the request journal,
//! injected faults and the clock.

use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::journal::{Fault, RecordedRequest};
use super::world::World;
use super::{Limits, SandboxOptions, run};

pub struct SandboxHandle {
    world: Arc<World>,
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// Starts a sandbox on 127.0.0.1 and a free port. Panics if it cannot,
    /// which only a broken machine causes.
    pub fn start(options: SandboxOptions) -> Self {
        Self::start_with_limits(options, Limits::default())
    }

    /// [`SandboxHandle::start`] with other connection limits (short ones, in tests).
    pub(crate) fn start_with_limits(options: SandboxOptions, limits: Limits) -> Self {
        let world = Arc::new(World::new(options).expect("sandbox state"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("bound address");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let (stop, stopped) = oneshot::channel::<()>();
        let server_world = world.clone();
        let thread = std::thread::Builder::new()
            .name(format!("lovart-sandbox-{}", address.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("sandbox runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    let shutdown = async move {
                        let _ = stopped.await;
                    };
                    if let Err(why) = run(listener, server_world, limits, shutdown).await {
                        eprintln!("sandbox: {why:#}");
                    }
                });
                runtime.shutdown_timeout(std::time::Duration::from_millis(100));
            })
            .expect("sandbox thread");
        Self {
            world,
            base_url: format!("http://{address}"),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn options(&self) -> &SandboxOptions {
        &self.world.options
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.world.journal.requests()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        self.world.journal.clear();
    }

    /// Makes the next `fault.times` requests to its method and path answer
    /// `fault`'s status, headers and body instead of the server. Faults are
    /// tried in the order they were injected.
    pub fn inject(&self, fault: Fault) {
        self.world.journal.inject(fault);
    }

    /// Moves the server's clock (for signature timestamps) by `seconds`.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.world.set_clock_offset(seconds);
    }

    /// Sets the account's mode as `POST /mode/set` would.
    pub fn set_unlimited(&self, unlimited: bool) {
        self.world.state().unlimited = unlimited;
    }

    /// How many threads the server has started.
    pub fn thread_count(&self) -> usize {
        self.world.state().threads.len()
    }

    /// The server-side name of a project, `None` if it does not exist.
    pub fn project_name(&self, project_id: &str) -> Option<String> {
        self.world
            .state()
            .projects
            .get(project_id)
            .map(|project| project.name.clone())
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
