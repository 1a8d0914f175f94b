//! A demo run with the control plane on a loopback port, for the control
//! plane's tests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use emp::control::client;
use emp::control::{ControlOptions, ControlReply};
use emp::demo::DemoOptions;
use emp::status::RunSummary;
use tokio::sync::watch;

/// The token the tests' runs accept.
pub(crate) const TOKEN: &str = "test-token-0123456789abcdef";

/// The bound on every wait for the run to reach a state.
pub(crate) const WAIT: Duration = Duration::from_secs(60);

/// A demo running on its own thread.
pub(crate) struct Run {
    pub(crate) addr: SocketAddr,
    dir: Option<tempfile::TempDir>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<anyhow::Result<RunSummary>>>,
}

impl Run {
    /// Starts the demo (simulated venue in-process, metrics off) with the
    /// control plane on a port the OS picks.
    pub(crate) fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (bound_tx, mut bound_rx) = watch::channel(None);
        let options = DemoOptions {
            duration: Duration::from_secs(300),
            strategy: None,
            run_dir: Some(dir.path().join("run")),
            metrics_addr: None,
            echo: false,
            durability: journal::Durability::OsOnly,
            ctrl_c: false,
            execution: emp::trader::Execution::Venue,
            control: Some(ControlOptions {
                addr: "127.0.0.1:0".parse().unwrap(),
                token: TOKEN.to_owned(),
                bound: Some(bound_tx),
            }),
            log_format: emp::logging::LogFormat::Json,
        };
        let (stop, stop_rx) = watch::channel(false);
        let thread = std::thread::spawn(move || emp::demo::run(&options, stop_rx));
        let started = Instant::now();
        let addr = loop {
            if let Some(addr) = *bound_rx.borrow_and_update() {
                break addr;
            }
            assert!(
                !thread.is_finished(),
                "the demo ended before serving the control plane"
            );
            assert!(started.elapsed() < WAIT, "no control plane after {WAIT:?}");
            std::thread::sleep(Duration::from_millis(20));
        };
        Self {
            addr,
            dir: Some(dir),
            stop,
            thread: Some(thread),
        }
    }

    /// The run folder.
    #[allow(dead_code, reason = "the page test does not read it")]
    pub(crate) fn dir(&self) -> PathBuf {
        self.dir.as_ref().map(|dir| dir.path().join("run")).unwrap()
    }

    /// `GET /api/v1/status`.
    pub(crate) fn status(&self) -> ControlReply {
        client::call(self.addr, TOKEN, "GET", "/api/v1/status", None).unwrap()
    }

    /// Polls the status until `done` holds (bounded by [`WAIT`]).
    pub(crate) fn wait_for(
        &self,
        what: &str,
        done: impl Fn(&ControlReply) -> bool,
    ) -> ControlReply {
        let started = Instant::now();
        loop {
            let reply = self.status();
            if done(&reply) {
                return reply;
            }
            assert!(
                started.elapsed() < WAIT,
                "not {what} after {WAIT:?}: {:#?}",
                reply.snapshot
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the run cleanly and returns its summary, its run folder
    /// and the temporary folder holding it (removed when dropped).
    pub(crate) fn stop(mut self) -> (RunSummary, PathBuf, tempfile::TempDir) {
        let _ = self.stop.send(true);
        let summary = self.thread.take().unwrap().join().unwrap().unwrap();
        let dir = self.dir.take().unwrap();
        (summary, dir.path().join("run"), dir)
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
