//! `emp bench fix`: NewOrderSingle → ExecutionReport between our
//! initiator (in this process) and our acceptor (`emp acceptor --app fill`,
//! a second process) over loopback TCP, for each kind of message store.
//!
//! Two measurements per store: round trip with one order in flight
//! (percentiles of every order after a warm-up), and pipelined throughput
//! with a window of orders in flight (orders answered per second).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use gateway::fix::settings::{self, Connection};
use gateway::transport::initiator::{self, InitiatorOptions};
use tokio::sync::{Notify, watch};

use crate::hosts;
use crate::order_flow::{FlowPlan, FlowProgress, OrderFlow};

/// The message store both sides use in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum BenchStore {
    /// Append-only file, each commit one write to the OS (survives a
    /// process kill, as QuickFIX's file store).
    FileOs,
    /// Append-only file, each commit written and fdatasync'ed.
    FileFsync,
    /// redb database, each commit fsynced.
    Redb,
    /// Memory only.
    Memory,
}

impl BenchStore {
    fn settings(self) -> &'static str {
        match self {
            Self::FileOs => "StoreType = \"file\"\nStoreDurability = \"os\"\n",
            Self::FileFsync => "StoreType = \"file\"\nStoreDurability = \"fsync\"\n",
            Self::Redb => "StoreType = \"redb\"\n",
            Self::Memory => "",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::FileOs => "file, OS only",
            Self::FileFsync => "file, fsync",
            Self::Redb => "redb, fsync",
            Self::Memory => "memory",
        }
    }
}

/// What to measure.
#[derive(Clone, Debug)]
pub(crate) struct BenchPlan {
    /// Stores to measure, each in its own pair of runs.
    pub(crate) stores: Vec<BenchStore>,
    /// Orders in the round-trip run (one in flight).
    pub(crate) orders: u64,
    /// Orders of the round-trip run left out of the percentiles.
    pub(crate) warmup: u64,
    /// Orders in the throughput run.
    pub(crate) throughput_orders: u64,
    /// Orders in flight in the throughput run.
    pub(crate) window: usize,
    /// Validate every message against the FIX 4.4 dictionary on both
    /// sides, as sessions do by default.
    pub(crate) validate: bool,
}

/// One measurement's results.
struct Measured {
    orders: u64,
    elapsed: Duration,
    round_trips: Vec<u64>,
}

/// Runs every measurement of `plan` and prints a Markdown table.
pub(crate) fn run(plan: &BenchPlan) -> anyhow::Result<String> {
    let mut table = String::from(
        "| store | round trip p50 | p90 | p99 | p99.9 | max | throughput (orders/s) |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for &store in &plan.stores {
        eprintln!(
            "emp bench: {} — round trip, {} orders, one in flight",
            store.name(),
            plan.orders
        );
        let latency = measure(store, plan, plan.orders, 1, true)?;
        let mut round_trips: Vec<u64> = latency
            .round_trips
            .iter()
            .skip(usize::try_from(plan.warmup).unwrap_or(usize::MAX))
            .copied()
            .collect();
        if round_trips.is_empty() {
            bail!(
                "no round trips left after the warm-up of {}: give more --orders",
                plan.warmup
            );
        }
        round_trips.sort_unstable();
        eprintln!(
            "emp bench: {} — throughput, {} orders, {} in flight",
            store.name(),
            plan.throughput_orders,
            plan.window
        );
        let throughput = measure(store, plan, plan.throughput_orders, plan.window, false)?;
        let per_second = throughput.orders as f64 / throughput.elapsed.as_secs_f64();
        let micros = |quantile: f64| {
            let index = ((round_trips.len() - 1) as f64 * quantile).round() as usize;
            format!("{:.1} µs", round_trips[index] as f64 / 1000.0)
        };
        let row = format!(
            "| {} | {} | {} | {} | {} | {} | {:.0} |",
            store.name(),
            micros(0.5),
            micros(0.9),
            micros(0.99),
            micros(0.999),
            micros(1.0),
            per_second
        );
        eprintln!("emp bench: {row}");
        let _ = writeln!(table, "{row}");
    }
    Ok(table)
}

/// One run: a venue process and a trader here, `orders` orders with
/// `window` in flight.
fn measure(
    store: BenchStore,
    plan: &BenchPlan,
    orders: u64,
    window: usize,
    record: bool,
) -> anyhow::Result<Measured> {
    let dir = std::env::temp_dir().join(format!("emp-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let (venue_config, trader_config) = write_settings(&dir, port, store, plan.validate)?;
    let mut venue = Venue::start(&venue_config, &dir)?;

    let trader = settings::load(&trader_config)?
        .into_iter()
        .next()
        .context("generated trader settings hold no session")?;
    let Connection::Initiator { host, port, .. } = trader.connection.clone() else {
        bail!("generated trader settings are not an initiator");
    };
    let (stop_tx, stop) = watch::channel(false);
    let progress = Arc::new(FlowProgress::default());
    let completed = Arc::new(Notify::new());
    let mut flow = OrderFlow::new(
        FlowPlan { orders, window },
        Arc::clone(&progress),
        Arc::clone(&completed),
    );
    if record {
        flow = flow.recording_round_trips();
    }
    let session_host = hosts::build(&trader, Box::new(flow), &stop)?;
    let options = InitiatorOptions {
        host,
        port,
        reconnect_interval: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
        tls: None,
    };
    // One thread, as the hot path runs in production: no hand-over
    // between threads on the way from socket to session and back.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    runtime.block_on(async {
        let task = tokio::spawn(initiator::run(session_host, options, stop));
        let mut last_report = Instant::now();
        while !progress.complete.load(Ordering::Acquire) {
            if started.elapsed() > Duration::from_secs(600) {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), completed.notified()).await;
            if last_report.elapsed() >= Duration::from_secs(2) {
                last_report = Instant::now();
                eprintln!(
                    "emp bench:   {} of {orders} answered",
                    progress.answered.load(Ordering::Relaxed)
                );
            }
        }
        let _ = stop_tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    });
    venue.stop();
    let answered = progress.answered.load(Ordering::Relaxed);
    if answered < orders {
        bail!(
            "only {answered} of {orders} orders answered within 600 s; venue output in {}",
            dir.display()
        );
    }
    let round_trips = progress
        .round_trips
        .lock()
        .map(|mut recorded| std::mem::take(&mut *recorded))
        .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Measured {
        orders,
        elapsed: Duration::from_nanos(progress.elapsed_nanos.load(Ordering::Relaxed)),
        round_trips,
    })
}

fn write_settings(
    dir: &Path,
    port: u16,
    store: BenchStore,
    validate: bool,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let store_lines = match store {
        BenchStore::Memory => String::new(),
        _ => format!(
            "FileStorePath = \"{}\"\n{}",
            dir.join("store").display(),
            store.settings()
        ),
    };
    // No message logs: they are written off the session's thread, and the
    // benchmark measures the session path.
    let common = format!(
        "BeginString = \"FIX.4.4\"\nNonStopSession = true\nHeartBtInt = 30\nUseDataDictionary = {validate}\n{store_lines}"
    );
    let venue = dir.join("venue.toml");
    std::fs::write(
        &venue,
        format!(
            "[DEFAULT]\nConnectionType = \"acceptor\"\nSocketAcceptPort = {port}\n{common}\n\
             [[SESSION]]\nSenderCompID = \"VENUE\"\nTargetCompID = \"TRADER\"\n"
        ),
    )?;
    let trader = dir.join("trader.toml");
    std::fs::write(
        &trader,
        format!(
            "[DEFAULT]\nConnectionType = \"initiator\"\nSocketConnectHost = \"127.0.0.1\"\n\
             SocketConnectPort = {port}\nReconnectInterval = 1\n{common}\n\
             [[SESSION]]\nSenderCompID = \"TRADER\"\nTargetCompID = \"VENUE\"\n"
        ),
    )?;
    Ok((venue, trader))
}

/// The venue: `emp acceptor --app fill` in its own process.
struct Venue {
    child: Child,
}

impl Venue {
    fn start(config: &Path, dir: &Path) -> anyhow::Result<Self> {
        let output_path = dir.join("venue.out");
        let output = std::fs::File::create(&output_path)?;
        let child = Command::new(std::env::current_exe()?)
            .args(["acceptor", "--app", "fill", "--config"])
            .arg(config)
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .spawn()
            .context("starting the venue process")?;
        let mut venue = Self { child };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&output_path).unwrap_or_default();
            if text.contains("listening on port") {
                return Ok(venue);
            }
            if Instant::now() > deadline || venue.child.try_wait()?.is_some() {
                venue.stop();
                bail!("the venue did not start:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Venue {
    fn drop(&mut self) {
        self.stop();
    }
}
