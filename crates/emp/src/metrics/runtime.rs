//! The EMP runtime's metric set: every `emp_*` series, registered up
//! front, with named handles for the code that updates them.
//!
//! Make one [`RuntimeMetrics`] on the registry the [`MetricsServer`]
//! serves, at startup, and hand clones of its parts to the threads that
//! update them. Per-session and per-instrument handles come from
//! [`RuntimeMetrics::fix_session`] and [`PortfolioMetrics::position`],
//! also at setup. Every update after that goes through a `metrics` handle
//! registered then: an atomic add or store (a histogram record appends
//! the sample to a lock-free list), never a lookup by name.
//!
//! | metric | type | labels | updated by |
//! |---|---|---|---|
//! | `emp_build_info` | gauge = 1 | `version` | [`RuntimeMetrics::new`] |
//! | `emp_process_start_time_seconds` | gauge | | [`RuntimeMetrics::new`] |
//! | `emp_uptime_seconds` | gauge | | computed at render |
//! | `emp_fix_session_state` | gauge 0–3 | `session` | [`FixSessionMetrics::set_state`] |
//! | `emp_fix_next_sender_seqnum`, `emp_fix_next_target_seqnum` | gauge | `session` | [`FixSessionMetrics::set_seqnums`] |
//! | `emp_fix_messages_total` | counter | `session`, `direction` (`in`/`out`), `msg_type` ([`COUNTED_MSG_TYPES`] or `other`) | [`FixSessionMetrics::count_messages`] |
//! | `emp_fix_messages_resent_total` | counter | `session` | [`FixSessionMetrics::messages_resent`] |
//! | `emp_fix_reconnects_total` | counter | `session` | [`FixSessionMetrics::reconnects`] |
//! | `emp_fix_resend_requests_total` | counter | `session`, `direction` | [`FixSessionMetrics::resend_requests_received`], [`resend_requests_sent`](FixSessionMetrics::resend_requests_sent) |
//! | `emp_fix_gap_fills_total` | counter | `session`, `direction` | [`FixSessionMetrics::gap_fills_received`], [`gap_fills_sent`](FixSessionMetrics::gap_fills_sent) |
//! | `emp_fix_session_rejects_total` | counter | `session`, `direction` | [`FixSessionMetrics::session_rejects_received`], [`session_rejects_sent`](FixSessionMetrics::session_rejects_sent) |
//! | `emp_fix_test_requests_total` | counter | `session` | [`FixSessionMetrics::test_requests_sent`] |
//! | `emp_fix_heartbeat_timeouts_total` | counter | `session` | [`FixSessionMetrics::heartbeat_timeouts`] |
//! | `emp_orders_total` | counter | `event` ([`OrderEvent`]) | [`OrderMetrics::record`], [`OrderMetrics::denied`] |
//! | `emp_order_denied_total` | counter | `reason` ([`DenyCode`] text, or `other`) | [`OrderMetrics::denied`], [`OrderMetrics::denied_code`] |
//! | `emp_orders_open` | gauge | | [`OrderMetrics::open`] |
//! | `emp_orders_inflight` | gauge | | [`OrderMetrics::inflight`] |
//! | `emp_fills_total` | counter | | [`OrderMetrics::fills`] |
//! | `emp_order_ack_latency_seconds` | histogram | | [`OrderMetrics::ack_latency`] |
//! | `emp_order_fill_latency_seconds` | histogram | | [`OrderMetrics::fill_latency`] |
//! | `emp_tick_to_order_seconds` | histogram | | [`OrderMetrics::tick_to_order`] |
//! | `emp_trading_state` | gauge 0–2 | | [`RiskMetrics::set_trading_state`] |
//! | `emp_kill_switch` | gauge 0/1 | | [`RiskMetrics::set_kill_switch`] |
//! | `emp_risk_rate_limit_tokens` | gauge | `kind` (`submit`/`modify`) | [`RiskMetrics::set_throttle_tokens`] |
//! | `emp_reconciliation_runs_total`, `emp_reconciliation_discrepancies_total` | counter | | [`RiskMetrics`] fields |
//! | `emp_readiness_state` | gauge 0–3 | | [`ReadinessMetrics::set`] |
//! | `emp_md_events_total` | counter | `kind` ([`MdEventKind`]) | [`MarketDataMetrics::record`] |
//! | `emp_md_resyncs_total` | counter | | [`MarketDataMetrics::resyncs`] |
//! | `emp_md_sequence_gaps_total` | counter | | [`MarketDataMetrics::sequence_gaps`] |
//! | `emp_md_last_event_timestamp_seconds` | gauge | | [`MarketDataMetrics::record`], computed at render |
//! | `emp_md_staleness_seconds` | gauge | | computed at render |
//! | `emp_position_quantity` | gauge | `instrument` | [`PortfolioMetrics::position`] |
//! | `emp_pnl_realized`, `emp_pnl_unrealized` | gauge | | [`PortfolioMetrics`] fields |
//! | `emp_journal_records_total` | counter | | [`JournalMetrics::records`] |
//! | `emp_journal_commit_seconds` | histogram | | [`JournalMetrics::commit_latency`] |
//!
//! Gauges hold `f64`: positions and PnL are exact decimals in the model
//! and become `f64` only here, at export ([`decimal_to_f64`]). The
//! registry also renders `process_cpu_seconds_total` and
//! `process_resident_memory_bytes`, read from `/proc` at scrape time.
//!
//! [`MetricsServer`]: super::MetricsServer

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ::metrics::{Counter, Gauge, Histogram};
use gateway::fix::session::{COUNTED_MSG_TYPES, MsgTypeCounts};
use model::{MarketEvent, Money, NetQuantity, Timestamp};
use oms::risk::{DenyCode, TradingState};
use strategy::ReadinessState;

use super::registry::{Family, MetricsError, Registry};

/// `raw × 10⁻scale` (a fixed-point raw value: a `Quantity`, `Price` or
/// `Money`) as the nearest `f64`, for export. Whole and fractional parts
/// are converted apart, so values up to 2⁵³ keep every integer digit.
pub fn decimal_to_f64(raw: i128, scale: u8) -> f64 {
    let Some(unit) = 10i128.checked_pow(u32::from(scale)) else {
        return 0.0;
    };
    (raw / unit) as f64 + (raw % unit) as f64 / unit as f64
}

/// A net quantity (a position) as an `f64`, for export.
pub fn net_quantity_f64(quantity: NetQuantity) -> f64 {
    decimal_to_f64(i128::from(quantity.raw()), model::fixed::FIXED_SCALE)
}

/// A money amount (PnL) as an `f64`, for export.
pub fn money_f64(money: Money) -> f64 {
    decimal_to_f64(money.raw(), model::fixed::MONEY_SCALE)
}

/// Seconds since the Unix epoch of `nanos` nanoseconds.
fn unix_seconds(nanos: u64) -> f64 {
    decimal_to_f64(i128::from(nanos), 9)
}

/// Now, in nanoseconds since the Unix epoch.
fn wall_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
}

/// A FIX session's state as `emp_fix_session_state` exports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FixSessionState {
    /// 0: no connection.
    Disconnected,
    /// 1: connecting, or connected and waiting for the Logon exchange.
    AwaitingLogon,
    /// 2: logged on; application messages flow.
    LoggedOn,
    /// 3: Logout sent or received, waiting for the other side's.
    AwaitingLogout,
}

impl FixSessionState {
    /// The exported value.
    pub const fn code(self) -> u8 {
        match self {
            Self::Disconnected => 0,
            Self::AwaitingLogon => 1,
            Self::LoggedOn => 2,
            Self::AwaitingLogout => 3,
        }
    }
}

/// Which way a message went, as the `direction` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `in`: received from the counterparty.
    In,
    /// `out`: sent by EMP.
    Out,
}

/// One FIX session's handles (label `session`). Get them once per session
/// from [`RuntimeMetrics::fix_session`].
#[derive(Clone, Debug)]
pub struct FixSessionMetrics {
    state: Gauge,
    next_sender_seqnum: Gauge,
    next_target_seqnum: Gauge,
    /// `emp_fix_messages_total{direction="in"}`, one per MsgType label in
    /// [`MsgTypeCounts::iter`] order.
    received: Arc<[Counter]>,
    /// The same for `direction="out"`.
    sent: Arc<[Counter]>,
    /// Messages resent with PossDupFlag on a ResendRequest
    /// (`emp_fix_messages_resent_total`).
    pub messages_resent: Counter,
    /// Connections made after the first (`emp_fix_reconnects_total`).
    pub reconnects: Counter,
    /// ResendRequests (35=2) the counterparty sent us
    /// (`emp_fix_resend_requests_total{direction="in"}`).
    pub resend_requests_received: Counter,
    /// ResendRequests we sent on a gap in its sequence
    /// (`emp_fix_resend_requests_total{direction="out"}`).
    pub resend_requests_sent: Counter,
    /// Gap fills (35=4 with 123=Y) the counterparty sent us
    /// (`emp_fix_gap_fills_total{direction="in"}`).
    pub gap_fills_received: Counter,
    /// Gap fills we sent in answer to a ResendRequest
    /// (`emp_fix_gap_fills_total{direction="out"}`).
    pub gap_fills_sent: Counter,
    /// Session-level Rejects (35=3) the counterparty sent us
    /// (`emp_fix_session_rejects_total{direction="in"}`).
    pub session_rejects_received: Counter,
    /// Session-level Rejects we sent for its invalid messages
    /// (`emp_fix_session_rejects_total{direction="out"}`).
    pub session_rejects_sent: Counter,
    /// TestRequests we sent after a heartbeat interval of silence
    /// (`emp_fix_test_requests_total`).
    pub test_requests_sent: Counter,
    /// Disconnects because the counterparty stayed silent despite a
    /// TestRequest (`emp_fix_heartbeat_timeouts_total`).
    pub heartbeat_timeouts: Counter,
}

impl FixSessionMetrics {
    /// Sets `emp_fix_session_state`.
    #[inline]
    pub fn set_state(&self, state: FixSessionState) {
        self.state.set(state.code());
    }

    /// Sets `emp_fix_next_sender_seqnum` and `emp_fix_next_target_seqnum`
    /// (the next MsgSeqNum we send, and the next we expect).
    #[inline]
    pub fn set_seqnums(&self, next_sender: u64, next_target: u64) {
        self.next_sender_seqnum.set(next_sender as f64);
        self.next_target_seqnum.set(next_target as f64);
    }

    /// Adds to `emp_fix_messages_total{direction}` by MsgType what `now`
    /// counts beyond `then` (two readings of the session's
    /// [`SessionStats`](gateway::fix::session::SessionStats) counts).
    pub fn count_messages(&self, direction: Direction, now: &MsgTypeCounts, then: &MsgTypeCounts) {
        let counters = match direction {
            Direction::In => &self.received,
            Direction::Out => &self.sent,
        };
        for ((counter, (_, now)), (_, then)) in counters.iter().zip(now.iter()).zip(then.iter()) {
            counter.increment(now.saturating_sub(then));
        }
    }
}

/// An order lifecycle event as `emp_orders_total{event}` counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// The OMS passed an order to the venue.
    Submitted,
    /// The venue acknowledged it (ExecutionReport 150=0).
    Accepted,
    /// The venue rejected it (150=8).
    Rejected,
    /// The risk gate refused it; use [`OrderMetrics::denied`], which also
    /// counts the reason.
    Denied,
    /// Canceled (150=4).
    Canceled,
    /// Replaced (150=5).
    Replaced,
    /// Completely filled.
    Filled,
    /// Partially filled.
    PartiallyFilled,
    /// Expired (150=C).
    Expired,
}

impl OrderEvent {
    /// Every event, in label order of declaration.
    pub const ALL: [Self; 9] = [
        Self::Submitted,
        Self::Accepted,
        Self::Rejected,
        Self::Denied,
        Self::Canceled,
        Self::Replaced,
        Self::Filled,
        Self::PartiallyFilled,
        Self::Expired,
    ];

    /// The `event` label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Denied => "denied",
            Self::Canceled => "canceled",
            Self::Replaced => "replaced",
            Self::Filled => "filled",
            Self::PartiallyFilled => "partially_filled",
            Self::Expired => "expired",
        }
    }

    const fn index(self) -> usize {
        match self {
            Self::Submitted => 0,
            Self::Accepted => 1,
            Self::Rejected => 2,
            Self::Denied => 3,
            Self::Canceled => 4,
            Self::Replaced => 5,
            Self::Filled => 6,
            Self::PartiallyFilled => 7,
            Self::Expired => 8,
        }
    }
}

/// The `reason` of a denial whose code this build does not know.
pub const OTHER_DENY_REASON: &str = "other";

/// Order flow handles.
#[derive(Clone, Debug)]
pub struct OrderMetrics {
    events: Arc<[Counter]>,
    denied: Arc<[(DenyCode, Counter)]>,
    denied_other: Counter,
    /// Orders working at the venue (`emp_orders_open`): set it from the
    /// OMS's count.
    pub open: Gauge,
    /// Order requests (new, cancel, replace) sent and not yet answered by
    /// the venue (`emp_orders_inflight`).
    pub inflight: Gauge,
    /// Fills (`emp_fills_total`), partial or complete, one per execution.
    pub fills: Counter,
    /// From sending an order request to the venue's first answer to it
    /// (`emp_order_ack_latency_seconds`).
    pub ack_latency: Histogram,
    /// From sending a new order to its first fill
    /// (`emp_order_fill_latency_seconds`).
    pub fill_latency: Histogram,
    /// From receiving the market event that triggered an order to sending
    /// the order (`emp_tick_to_order_seconds`).
    pub tick_to_order: Histogram,
}

impl OrderMetrics {
    /// Counts an event in `emp_orders_total{event}`.
    #[inline]
    pub fn record(&self, event: OrderEvent) {
        if let Some(counter) = self.events.get(event.index()) {
            counter.increment(1);
        }
    }

    /// Counts a denial: `emp_orders_total{event="denied"}` and
    /// `emp_order_denied_total{reason=code}`. Do not also
    /// [`record`](Self::record) [`OrderEvent::Denied`].
    ///
    /// Every code the OMS knows is registered at zero up front, so this
    /// finds the code's counter among a few dozen and makes two adds.
    #[inline]
    pub fn denied(&self, code: DenyCode) {
        self.record(OrderEvent::Denied);
        match self.denied.iter().find(|(known, _)| *known == code) {
            Some((_, counter)) => counter.increment(1),
            None => self.denied_other.increment(1),
        }
    }

    /// [`denied`](Self::denied) for a code given as text (from a journal,
    /// or a code newer than this build). A code this build does not know
    /// is counted as [`OTHER_DENY_REASON`]: the label keeps its fixed set
    /// of values whatever the text.
    pub fn denied_code(&self, code: &str) {
        self.record(OrderEvent::Denied);
        match self.denied.iter().find(|(known, _)| known.as_str() == code) {
            Some((_, counter)) => counter.increment(1),
            None => self.denied_other.increment(1),
        }
    }
}

/// `emp_trading_state`'s values: 0 ACTIVE, 1 REDUCING, 2 HALTED.
pub const fn trading_state_code(state: TradingState) -> u8 {
    match state {
        TradingState::Active => 0,
        TradingState::Reducing => 1,
        TradingState::Halted => 2,
    }
}

/// Risk gate and reconciliation handles.
#[derive(Clone, Debug)]
pub struct RiskMetrics {
    trading_state: Gauge,
    kill_switch: Gauge,
    submit_tokens: Gauge,
    modify_tokens: Gauge,
    /// Reconciliations with the venue run (`emp_reconciliation_runs_total`).
    pub reconciliation_runs: Counter,
    /// Differences reconciliations found between the OMS and the venue
    /// (`emp_reconciliation_discrepancies_total`).
    pub reconciliation_discrepancies: Counter,
}

impl RiskMetrics {
    /// Sets `emp_trading_state`: 0 ACTIVE, 1 REDUCING, 2 HALTED.
    #[inline]
    pub fn set_trading_state(&self, state: TradingState) {
        self.trading_state.set(trading_state_code(state));
    }

    /// Sets `emp_kill_switch`: 1 engaged, 0 released.
    #[inline]
    pub fn set_kill_switch(&self, engaged: bool) {
        self.kill_switch.set(u8::from(engaged));
    }

    /// Sets `emp_risk_rate_limit_tokens{kind}`: the orders (`submit`) and
    /// modifications (`modify`) the risk gate's throttles would still let
    /// through now. A throttle that is not configured never refuses; its
    /// gauge is set to -1.
    pub fn set_throttle_tokens(&self, submit: Option<u32>, modify: Option<u32>) {
        let tokens = |tokens: Option<u32>| tokens.map_or(-1.0, f64::from);
        self.submit_tokens.set(tokens(submit));
        self.modify_tokens.set(tokens(modify));
    }
}

/// `emp_readiness_state`'s values: 0 STARTING, 1 WARMING, 2 RUNNING,
/// 3 DEGRADED.
pub const fn readiness_code(state: ReadinessState) -> u8 {
    match state {
        ReadinessState::Starting => 0,
        ReadinessState::Warming => 1,
        ReadinessState::Running => 2,
        ReadinessState::Degraded => 3,
    }
}

/// The strategies' readiness gate (`emp_readiness_state`).
#[derive(Clone, Debug)]
pub struct ReadinessMetrics {
    state: Gauge,
}

impl ReadinessMetrics {
    /// Sets `emp_readiness_state`: 0 STARTING, 1 WARMING, 2 RUNNING,
    /// 3 DEGRADED.
    #[inline]
    pub fn set(&self, state: ReadinessState) {
        self.state.set(readiness_code(state));
    }
}

/// A market data event as `emp_md_events_total{kind}` counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MdEventKind {
    /// A full book.
    Snapshot,
    /// Book changes.
    Delta,
    /// Top of book.
    Quote,
    /// A trade print.
    Trade,
}

impl MdEventKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [Self::Snapshot, Self::Delta, Self::Quote, Self::Trade];

    /// The `kind` label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::Delta => "delta",
            Self::Quote => "quote",
            Self::Trade => "trade",
        }
    }

    const fn index(self) -> usize {
        match self {
            Self::Snapshot => 0,
            Self::Delta => 1,
            Self::Quote => 2,
            Self::Trade => 3,
        }
    }
}

/// Market data handles.
#[derive(Clone, Debug)]
pub struct MarketDataMetrics {
    events: Arc<[Counter]>,
    /// Receive time of the last event in nanoseconds since the Unix epoch
    /// (0: none yet); `emp_md_last_event_timestamp_seconds` and
    /// `emp_md_staleness_seconds` are computed from it at render.
    last_event_nanos: Arc<AtomicU64>,
    /// Book resyncs: a source dropped its book, or a book failed a check,
    /// and a new snapshot is needed (`emp_md_resyncs_total`).
    pub resyncs: Counter,
    /// Book deltas whose sequence number skipped ahead
    /// (`emp_md_sequence_gaps_total`); each also causes a resync.
    pub sequence_gaps: Counter,
}

impl MarketDataMetrics {
    /// Counts an event (`emp_md_events_total{kind}`) and notes `received`,
    /// the time EMP received it: `emp_md_last_event_timestamp_seconds`,
    /// and `emp_md_staleness_seconds` (now − `received`) at the next
    /// scrape.
    #[inline]
    pub fn record(&self, kind: MdEventKind, received: Timestamp) {
        if let Some(counter) = self.events.get(kind.index()) {
            counter.increment(1);
        }
        self.last_event_nanos
            .store(received.unix_nanos(), Ordering::Relaxed);
    }

    /// [`record`](Self::record) for a normalized market event, by its
    /// variant and its header's receive time; a book reset counts as a
    /// resync instead.
    #[inline]
    pub fn record_event(&self, event: &MarketEvent) {
        let kind = match event {
            MarketEvent::Snapshot(_) => MdEventKind::Snapshot,
            MarketEvent::Delta(_) => MdEventKind::Delta,
            MarketEvent::Quote(_) => MdEventKind::Quote,
            MarketEvent::Trade(_) => MdEventKind::Trade,
            MarketEvent::Reset { .. } => {
                self.resyncs.increment(1);
                return;
            }
        };
        self.record(kind, event.header().receive_time);
    }
}

/// Portfolio handles. Values are exported as `f64`
/// ([`net_quantity_f64`], [`money_f64`]).
#[derive(Clone, Debug)]
pub struct PortfolioMetrics {
    positions: Family<Gauge>,
    /// Realized PnL in the account currency (`emp_pnl_realized`).
    pub pnl_realized: Gauge,
    /// Unrealized PnL in the account currency at the last marks
    /// (`emp_pnl_unrealized`).
    pub pnl_unrealized: Gauge,
}

impl PortfolioMetrics {
    /// The net position gauge of `instrument`
    /// (`emp_position_quantity{instrument}`). Call at setup, once per
    /// configured instrument (it takes a lock); instruments are few and
    /// configured, so this is not a high-cardinality label.
    ///
    /// # Errors
    /// [`MetricsError::TooManySeries`] past
    /// [`MAX_SERIES_PER_FAMILY`](super::MAX_SERIES_PER_FAMILY) instruments.
    pub fn position(&self, instrument: &str) -> Result<Gauge, MetricsError> {
        self.positions.with(&[instrument])
    }
}

/// Journal handles.
#[derive(Clone, Debug)]
pub struct JournalMetrics {
    /// Records appended (`emp_journal_records_total`).
    pub records: Counter,
    /// Duration of a batch commit, write and fdatasync
    /// (`emp_journal_commit_seconds`).
    pub commit_latency: Histogram,
}

/// Handles on every `emp_*` metric (the table in the [module
/// docs](self)). Cloning is cheap; clones update the same series.
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    registry: Registry,
    session_state: Family<Gauge>,
    next_sender_seqnum: Family<Gauge>,
    next_target_seqnum: Family<Gauge>,
    messages: Family<Counter>,
    messages_resent: Family<Counter>,
    reconnects: Family<Counter>,
    resend_requests: Family<Counter>,
    gap_fills: Family<Counter>,
    session_rejects: Family<Counter>,
    test_requests: Family<Counter>,
    heartbeat_timeouts: Family<Counter>,
    /// Order flow.
    pub orders: OrderMetrics,
    /// Risk gate and reconciliation.
    pub risk: RiskMetrics,
    /// The strategies' readiness gate.
    pub readiness: ReadinessMetrics,
    /// Market data.
    pub market_data: MarketDataMetrics,
    /// Positions and PnL.
    pub portfolio: PortfolioMetrics,
    /// The journal.
    pub journal: JournalMetrics,
}

/// Registers what every emp process reports about itself: `emp_build_info`,
/// `emp_process_start_time_seconds` and `emp_uptime_seconds` (the registry
/// adds the process's CPU time and memory at each scrape). Processes that
/// do not trade (`emp venue`, `emp capture`) serve only these.
///
/// # Errors
/// A name on `registry` is already taken by a different definition.
pub fn register_process_info(registry: &Registry) -> Result<(), MetricsError> {
    registry.info(
        "emp_build_info",
        "EMP build: always 1, the version in a label.",
        &[("version", env!("CARGO_PKG_VERSION"))],
    )?;
    let started = Instant::now();
    let start_nanos = wall_nanos();
    registry
        .gauge(
            "emp_process_start_time_seconds",
            "Start time of the process since the Unix epoch in seconds.",
        )?
        .set(unix_seconds(start_nanos));
    registry.computed_gauge(
        "emp_uptime_seconds",
        "Seconds since the runtime's metrics were set up, at process start.",
        move || started.elapsed().as_secs_f64(),
    )?;
    Ok(())
}

impl RuntimeMetrics {
    /// Registers every `emp_*` metric on `registry` (or finds them, if
    /// another `RuntimeMetrics` registered them already), sets
    /// `emp_build_info` and the process start time.
    ///
    /// # Errors
    /// A name on `registry` is already taken by a different definition.
    pub fn new(registry: &Registry) -> Result<Self, MetricsError> {
        let r = registry;
        register_process_info(r)?;
        let start_nanos = wall_nanos();

        let session = &["session"];
        let session_direction = &["session", "direction"];
        let events = r.counter_family(
            "emp_orders_total",
            "Order lifecycle events by kind.",
            &["event"],
        )?;
        let denied_family = r.counter_family(
            "emp_order_denied_total",
            "Orders and modifications the risk gate refused, by deny code (other: a code this build does not know).",
            &["reason"],
        )?;
        let denied = DenyCode::ALL
            .iter()
            .map(|&code| Ok((code, denied_family.with(&[code.as_str()])?)))
            .collect::<Result<Vec<_>, MetricsError>>()?;
        let throttle = r.gauge_family(
            "emp_risk_rate_limit_tokens",
            "Orders (submit) and modifications (modify) the risk gate's throttles would let through now; -1: no throttle.",
            &["kind"],
        )?;
        let md_events = r.counter_family(
            "emp_md_events_total",
            "Normalized market data events received, by kind.",
            &["kind"],
        )?;
        let last_event_nanos = Arc::new(AtomicU64::new(0));
        let last = Arc::clone(&last_event_nanos);
        r.computed_gauge(
            "emp_md_last_event_timestamp_seconds",
            "Receive time of the last market data event, seconds since the Unix epoch (0: none yet).",
            move || unix_seconds(last.load(Ordering::Relaxed)),
        )?;
        let last = Arc::clone(&last_event_nanos);
        r.computed_gauge(
            "emp_md_staleness_seconds",
            "Seconds since the last market data event was received (since start, before the first).",
            move || {
                let since = match last.load(Ordering::Relaxed) {
                    0 => start_nanos,
                    at => at,
                };
                unix_seconds(wall_nanos().saturating_sub(since))
            },
        )?;
        Ok(Self {
            registry: r.clone(),
            session_state: r.gauge_family(
                "emp_fix_session_state",
                "FIX session state: 0 disconnected, 1 connecting or awaiting logon, \
                 2 logged on, 3 awaiting logout.",
                session,
            )?,
            next_sender_seqnum: r.gauge_family(
                "emp_fix_next_sender_seqnum",
                "Next MsgSeqNum this side will send.",
                session,
            )?,
            next_target_seqnum: r.gauge_family(
                "emp_fix_next_target_seqnum",
                "Next MsgSeqNum this side expects to receive.",
                session,
            )?,
            messages: r.counter_family(
                "emp_fix_messages_total",
                "FIX messages by session, direction (in received, out sent) and MsgType (other: a type not counted on its own).",
                &["session", "direction", "msg_type"],
            )?,
            messages_resent: r.counter_family(
                "emp_fix_messages_resent_total",
                "FIX messages resent with PossDupFlag in answer to ResendRequests.",
                session,
            )?,
            reconnects: r.counter_family(
                "emp_fix_reconnects_total",
                "FIX connections made after a session's first.",
                session,
            )?,
            resend_requests: r.counter_family(
                "emp_fix_resend_requests_total",
                "ResendRequests (35=2): in from the counterparty, out sent on a gap.",
                session_direction,
            )?,
            gap_fills: r.counter_family(
                "emp_fix_gap_fills_total",
                "SequenceReset-GapFills (35=4, 123=Y): in from the counterparty, out sent in resends.",
                session_direction,
            )?,
            session_rejects: r.counter_family(
                "emp_fix_session_rejects_total",
                "Session-level Rejects (35=3): in from the counterparty, out sent by EMP.",
                session_direction,
            )?,
            test_requests: r.counter_family(
                "emp_fix_test_requests_total",
                "TestRequests (35=1) sent after a heartbeat interval without input.",
                session,
            )?,
            heartbeat_timeouts: r.counter_family(
                "emp_fix_heartbeat_timeouts_total",
                "Disconnects because nothing arrived for 2.4 heartbeat intervals despite a TestRequest.",
                session,
            )?,
            orders: OrderMetrics {
                events: OrderEvent::ALL
                    .iter()
                    .map(|event| events.with(&[event.as_str()]))
                    .collect::<Result<_, _>>()?,
                denied: denied.into(),
                denied_other: denied_family.with(&[OTHER_DENY_REASON])?,
                open: r.gauge("emp_orders_open", "Orders working at the venue.")?,
                inflight: r.gauge(
                    "emp_orders_inflight",
                    "Order requests (new, cancel, replace) sent and not yet answered by the venue.",
                )?,
                fills: r.counter("emp_fills_total", "Executions that filled quantity.")?,
                ack_latency: r.histogram(
                    "emp_order_ack_latency_seconds",
                    "From sending an order request to the venue's first answer to it.",
                )?,
                fill_latency: r.histogram(
                    "emp_order_fill_latency_seconds",
                    "From sending a new order to its first fill.",
                )?,
                tick_to_order: r.histogram(
                    "emp_tick_to_order_seconds",
                    "From receiving a market event to sending the order it triggered.",
                )?,
            },
            risk: RiskMetrics {
                trading_state: r.gauge(
                    "emp_trading_state",
                    "Risk trading state: 0 ACTIVE, 1 REDUCING, 2 HALTED.",
                )?,
                kill_switch: r.gauge("emp_kill_switch", "Kill switch: 1 engaged, 0 released.")?,
                submit_tokens: throttle.with(&["submit"])?,
                modify_tokens: throttle.with(&["modify"])?,
                reconciliation_runs: r.counter(
                    "emp_reconciliation_runs_total",
                    "Reconciliations with the venue run.",
                )?,
                reconciliation_discrepancies: r.counter(
                    "emp_reconciliation_discrepancies_total",
                    "Differences between the OMS and the venue that reconciliations found.",
                )?,
            },
            readiness: ReadinessMetrics {
                state: r.gauge(
                    "emp_readiness_state",
                    "Strategy readiness gate: 0 STARTING, 1 WARMING, 2 RUNNING, 3 DEGRADED.",
                )?,
            },
            market_data: MarketDataMetrics {
                events: MdEventKind::ALL
                    .iter()
                    .map(|kind| md_events.with(&[kind.as_str()]))
                    .collect::<Result<_, _>>()?,
                last_event_nanos,
                resyncs: r.counter(
                    "emp_md_resyncs_total",
                    "Book resyncs: a source dropped its book, or a book failed a check, and a snapshot is needed.",
                )?,
                sequence_gaps: r.counter(
                    "emp_md_sequence_gaps_total",
                    "Book deltas whose sequence number skipped ahead (each causes a resync).",
                )?,
            },
            portfolio: PortfolioMetrics {
                positions: r.gauge_family(
                    "emp_position_quantity",
                    "Net position by instrument (negative is short).",
                    &["instrument"],
                )?,
                pnl_realized: r.gauge("emp_pnl_realized", "Realized PnL in the account currency.")?,
                pnl_unrealized: r.gauge(
                    "emp_pnl_unrealized",
                    "Unrealized PnL in the account currency at the last marks.",
                )?,
            },
            journal: JournalMetrics {
                records: r.counter(
                    "emp_journal_records_total",
                    "Records appended to the journal.",
                )?,
                commit_latency: r.histogram(
                    "emp_journal_commit_seconds",
                    "Duration of a journal batch commit (write and fdatasync).",
                )?,
            },
        })
    }

    /// The registry the metrics are on (for a [`MetricsServer`]).
    ///
    /// [`MetricsServer`]: super::MetricsServer
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The handles of the FIX session called `session` (a short name such
    /// as `QUOTE` or `TRADE`, or the session id text), registered at
    /// state 0 (disconnected) and zero counts, one message counter per
    /// direction and MsgType label. Call once per session at setup: it
    /// takes locks.
    ///
    /// # Errors
    /// [`MetricsError::TooManySeries`] past
    /// [`MAX_SERIES_PER_FAMILY`](super::MAX_SERIES_PER_FAMILY) series.
    pub fn fix_session(&self, session: &str) -> Result<FixSessionMetrics, MetricsError> {
        let by_type = |direction: &str| {
            COUNTED_MSG_TYPES
                .iter()
                .copied()
                .chain([MsgTypeCounts::OTHER])
                .map(|msg_type| self.messages.with(&[session, direction, msg_type]))
                .collect::<Result<Arc<[Counter]>, _>>()
        };
        Ok(FixSessionMetrics {
            state: self.session_state.with(&[session])?,
            next_sender_seqnum: self.next_sender_seqnum.with(&[session])?,
            next_target_seqnum: self.next_target_seqnum.with(&[session])?,
            received: by_type("in")?,
            sent: by_type("out")?,
            messages_resent: self.messages_resent.with(&[session])?,
            reconnects: self.reconnects.with(&[session])?,
            resend_requests_received: self.resend_requests.with(&[session, "in"])?,
            resend_requests_sent: self.resend_requests.with(&[session, "out"])?,
            gap_fills_received: self.gap_fills.with(&[session, "in"])?,
            gap_fills_sent: self.gap_fills.with(&[session, "out"])?,
            session_rejects_received: self.session_rejects.with(&[session, "in"])?,
            session_rejects_sent: self.session_rejects.with(&[session, "out"])?,
            test_requests_sent: self.test_requests.with(&[session])?,
            heartbeat_timeouts: self.heartbeat_timeouts.with(&[session])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_become_the_nearest_f64() {
        assert_eq!(decimal_to_f64(-1_500_000_000, 9), -1.5);
        assert_eq!(decimal_to_f64(1, 9), 0.000_000_001);
        assert_eq!(decimal_to_f64(42, 0), 42.0);
        assert_eq!(decimal_to_f64(5, 40), 0.0);
        // Money has 18 digits; the nearest f64 keeps about 16.
        let pnl = money_f64("-1234.567890123456789".parse().unwrap());
        assert!((pnl + 1_234.567_890_123_456).abs() < 1e-12, "{pnl}");
        assert_eq!(net_quantity_f64("-10000.5".parse().unwrap()), -10_000.5);
        // Seconds since the epoch keep their microseconds.
        assert_eq!(
            unix_seconds(1_790_000_000_123_456_000),
            1_790_000_000.123_456
        );
    }

    #[test]
    fn unknown_deny_codes_fold_into_other() {
        let registry = Registry::new();
        let metrics = RuntimeMetrics::new(&registry).unwrap();
        metrics.orders.denied(DenyCode::TradingHalted);
        metrics.orders.denied_code("TRADING_HALTED");
        metrics.orders.denied_code("A_CODE_FROM_THE_FUTURE");
        metrics.orders.denied_code("ORDER-42");
        let text = registry.render();
        assert!(text.contains("emp_order_denied_total{reason=\"TRADING_HALTED\"} 2\n"));
        assert!(text.contains("emp_order_denied_total{reason=\"other\"} 2\n"));
        assert!(text.contains("emp_orders_total{event=\"denied\"} 4\n"));
        assert!(!text.contains("FUTURE"));
        assert!(!text.contains("ORDER-42"));
        let reasons = text
            .lines()
            .filter(|line| line.starts_with("emp_order_denied_total{"))
            .count();
        assert_eq!(reasons, DenyCode::ALL.len() + 1);
    }

    #[test]
    fn messages_are_counted_by_known_msg_type_and_other() {
        let registry = Registry::new();
        let metrics = RuntimeMetrics::new(&registry).unwrap();
        let trade = metrics.fix_session("TRADE").unwrap();
        let mut then = MsgTypeCounts::default();
        for msg_type in [&b"D"[..], b"D", b"0", b"ZZ"] {
            then.count(msg_type);
        }
        trade.count_messages(Direction::Out, &then, &MsgTypeCounts::default());
        let mut now = then;
        now.count(b"D");
        now.count(b"q");
        trade.count_messages(Direction::Out, &now, &then);
        trade.count_messages(Direction::In, &now, &now);
        let text = registry.render();
        let line = |direction: &str, msg_type: &str, value: u64| {
            format!(
                "emp_fix_messages_total{{session=\"TRADE\",direction=\"{direction}\",msg_type=\"{msg_type}\"}} {value}\n"
            )
        };
        assert!(text.contains(&line("out", "D", 3)), "{text}");
        assert!(text.contains(&line("out", "0", 1)));
        assert!(text.contains(&line("out", "other", 2)));
        assert!(text.contains(&line("in", "D", 0)));
        assert!(!text.contains("msg_type=\"ZZ\""));
        let series = text
            .lines()
            .filter(|line| line.starts_with("emp_fix_messages_total{"))
            .count();
        assert_eq!(series, 2 * (COUNTED_MSG_TYPES.len() + 1));
    }
}
