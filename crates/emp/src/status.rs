//! What a run shows people: a compact status line every second while it
//! runs, and a summary at the end (`summary.md`, `summary.json`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gateway::fix::link::Channel;
use gateway::fix::store::MessageStore;
use model::{Money, Timestamp};

use crate::engine::{Engine, EngineStats};
use crate::live::DriverReport;

/// Session state as the status line shows it.
fn session_state<S: MessageStore>(engine: &Engine<S>, channel: Channel) -> &'static str {
    let link = engine.link();
    if link.is_logged_on(channel) {
        "up"
    } else if link.is_connected(channel) {
        "logon"
    } else {
        "down"
    }
}

/// Nanoseconds as a short latency.
pub fn latency(nanos: u64) -> String {
    if nanos >= 1_000_000 {
        format!("{:.1}ms", nanos as f64 / 1e6)
    } else {
        format!("{:.0}µs", nanos as f64 / 1e3)
    }
}

/// The `q`-quantile (0–1) of sorted samples, nearest rank.
fn quantile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted.get(rank - 1).copied()
}

/// The per-second status line.
#[derive(Debug)]
pub struct StatusLine {
    started: Timestamp,
    recent_tick_to_order: Vec<u64>,
}

impl StatusLine {
    /// A status line for a run started at `started`.
    pub const fn new(started: Timestamp) -> Self {
        Self {
            started,
            recent_tick_to_order: Vec::new(),
        }
    }

    /// A tick-to-order latency measured since the last line.
    pub fn tick_to_order(&mut self, nanos: u64) {
        if self.recent_tick_to_order.len() < 100_000 {
            self.recent_tick_to_order.push(nanos);
        }
    }

    /// The line for `now`: elapsed time, sessions, readiness, orders,
    /// fills, positions and PnL, and the last interval's tick-to-order
    /// median.
    pub fn line<S: MessageStore>(&mut self, engine: &Engine<S>, now: Timestamp) -> String {
        let stats = engine.stats();
        let oms = engine.pipeline().oms();
        let state = oms.state();
        let open = state.working_orders().count();
        let mut line = format!(
            "[{:>5.1}s] ",
            now.saturating_nanos_since(self.started) as f64 / 1e9
        );
        for channel in engine.link().channels() {
            let state = if *channel == Channel::Trade && engine.is_simulated() {
                "simulated"
            } else {
                session_state(engine, *channel)
            };
            let _ = write!(line, "{channel} {state} ");
        }
        let _ = write!(
            line,
            "| {} | orders: {} sent, {} open, {} canceled, {} replaced | fills {} | pos",
            engine.readiness(),
            stats.orders_sent,
            open,
            stats.cancels_sent,
            stats.replaces_sent,
            stats.fills
        );
        let mut flat = true;
        for (instrument, totals) in state.positions().instruments() {
            if !totals.net().is_zero() {
                flat = false;
                let _ = write!(line, " {instrument} {}", totals.net());
            }
        }
        if flat {
            line.push_str(" flat");
        }
        let unrealized = state
            .positions()
            .unrealized_total(|instrument| oms.mark(instrument))
            .map_or_else(|_| "?".to_owned(), |money| money.to_string());
        let _ = write!(
            line,
            " | PnL {} real {unrealized} unreal",
            state.realized_net()
        );
        self.recent_tick_to_order.sort_unstable();
        if let Some(median) = quantile(&self.recent_tick_to_order, 0.5) {
            let _ = write!(line, " | t2o p50 {}", latency(median));
        }
        self.recent_tick_to_order.clear();
        if let Some(failure) = engine.failure() {
            let _ = write!(line, " | STOPPED: {failure}");
        }
        line
    }
}

/// One instrument's position at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PositionLine {
    /// The instrument.
    pub instrument: String,
    /// Net quantity (positive long).
    pub net: String,
}

/// What a run did, written into its folder at the end.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunSummary {
    /// The run folder.
    pub run_dir: PathBuf,
    /// Seconds from start to stop.
    pub seconds: f64,
    /// TRADE logons.
    pub trade_logons: u64,
    /// QUOTE logons.
    pub quote_logons: u64,
    /// Whether every session logged out cleanly at the stop.
    pub clean_logout: bool,
    /// Market events applied.
    pub market_events: u64,
    /// NewOrderSingles sent.
    pub orders_sent: u64,
    /// Cancels sent.
    pub cancels_sent: u64,
    /// Replaces sent.
    pub replaces_sent: u64,
    /// Fills received.
    pub fills: u64,
    /// Orders the venue rejected.
    pub rejects: u64,
    /// Intents the risk gate denied.
    pub denials: u64,
    /// Orders still working at the stop.
    pub open_orders: usize,
    /// Positions at the stop (flat ones left out).
    pub positions: Vec<PositionLine>,
    /// Realized PnL net of fees.
    pub realized_pnl: String,
    /// Unrealized PnL at the last marks.
    pub unrealized_pnl: String,
    /// Tick-to-order latency samples.
    pub tick_to_order_samples: usize,
    /// Tick-to-order median, nanoseconds.
    pub tick_to_order_p50_nanos: Option<u64>,
    /// Tick-to-order 90th percentile, nanoseconds.
    pub tick_to_order_p90_nanos: Option<u64>,
    /// Tick-to-order 99th percentile, nanoseconds.
    pub tick_to_order_p99_nanos: Option<u64>,
    /// Tick-to-order maximum, nanoseconds.
    pub tick_to_order_max_nanos: Option<u64>,
    /// Inbound messages that could not be used.
    pub problems: u64,
    /// Why the run stopped early, if it did.
    pub failure: Option<String>,
}

impl RunSummary {
    /// The summary of `engine` after a run from `started` to `stopped`.
    pub fn new<S: MessageStore>(
        engine: &Engine<S>,
        report: &DriverReport,
        started: Timestamp,
        stopped: Timestamp,
        run_dir: &Path,
    ) -> Self {
        let stats: &EngineStats = engine.stats();
        let oms = engine.pipeline().oms();
        let state = oms.state();
        let mut samples = report.tick_to_order_nanos.clone();
        samples.sort_unstable();
        Self {
            run_dir: run_dir.to_path_buf(),
            seconds: stopped.saturating_nanos_since(started) as f64 / 1e9,
            trade_logons: stats.trade_logons,
            quote_logons: stats.quote_logons,
            clean_logout: report.clean_logout,
            market_events: stats.snapshots + stats.deltas + stats.quotes + stats.trades,
            orders_sent: stats.orders_sent,
            cancels_sent: stats.cancels_sent,
            replaces_sent: stats.replaces_sent,
            fills: stats.fills,
            rejects: stats.rejects,
            denials: stats.denials,
            open_orders: state.working_orders().count(),
            positions: state
                .positions()
                .instruments()
                .filter(|(_, totals)| !totals.net().is_zero())
                .map(|(instrument, totals)| PositionLine {
                    instrument: instrument.to_string(),
                    net: totals.net().to_string(),
                })
                .collect(),
            realized_pnl: state.realized_net().to_string(),
            unrealized_pnl: state
                .positions()
                .unrealized_total(|instrument| oms.mark(instrument))
                .map_or_else(
                    |error| format!("unknown ({error})"),
                    |money: Money| money.to_string(),
                ),
            tick_to_order_samples: samples.len(),
            tick_to_order_p50_nanos: quantile(&samples, 0.5),
            tick_to_order_p90_nanos: quantile(&samples, 0.9),
            tick_to_order_p99_nanos: quantile(&samples, 0.99),
            tick_to_order_max_nanos: samples.last().copied(),
            problems: stats.problems,
            failure: engine.failure().map(str::to_owned),
        }
    }

    /// The summary as Markdown.
    pub fn markdown(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "# Run summary\n");
        let _ = writeln!(text, "| | |\n|---|---|");
        let _ = writeln!(text, "| run folder | `{}` |", self.run_dir.display());
        let _ = writeln!(text, "| duration | {:.1} s |", self.seconds);
        let _ = writeln!(
            text,
            "| logons | TRADE {}, QUOTE {} |",
            self.trade_logons, self.quote_logons
        );
        let _ = writeln!(
            text,
            "| clean logout | {} |",
            if self.clean_logout { "yes" } else { "no" }
        );
        let _ = writeln!(text, "| market events | {} |", self.market_events);
        let _ = writeln!(
            text,
            "| orders | {} sent, {} canceled, {} replaced, {} open at stop |",
            self.orders_sent, self.cancels_sent, self.replaces_sent, self.open_orders
        );
        let _ = writeln!(
            text,
            "| fills / rejects / denials | {} / {} / {} |",
            self.fills, self.rejects, self.denials
        );
        let positions = if self.positions.is_empty() {
            "flat".to_owned()
        } else {
            self.positions
                .iter()
                .map(|line| format!("{} {}", line.instrument, line.net))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(text, "| positions | {positions} |");
        let _ = writeln!(
            text,
            "| PnL | {} realized (net of fees), {} unrealized |",
            self.realized_pnl, self.unrealized_pnl
        );
        match (self.tick_to_order_p50_nanos, self.tick_to_order_p99_nanos) {
            (Some(p50), Some(p99)) => {
                let _ = writeln!(
                    text,
                    "| tick to order | p50 {}, p99 {} ({} order actions) |",
                    latency(p50),
                    latency(p99),
                    self.tick_to_order_samples
                );
            }
            _ => {
                let _ = writeln!(text, "| tick to order | no order followed market data |");
            }
        }
        let _ = writeln!(text, "| problems | {} |", self.problems);
        if let Some(failure) = &self.failure {
            let _ = writeln!(text, "| stopped early | {failure} |");
        }
        text
    }

    /// Writes `summary.md` and `summary.json` into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        use anyhow::Context;
        std::fs::write(dir.join("summary.md"), self.markdown())
            .with_context(|| format!("writing {}", dir.join("summary.md").display()))?;
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(dir.join("summary.json"), json + "\n")
            .with_context(|| format!("writing {}", dir.join("summary.json").display()))?;
        Ok(())
    }
}
