//! The EMP runtime's metric set: every `emp_*` series, registered up
//! front, with named handles for the code that updates them.
//!
//! Make one [`RuntimeMetrics`] on the registry the [`MetricsServer`]
//! serves, at startup, and hand clones of its parts to the threads that
//! update them. Per-session and per-instrument handles come from
//! [`RuntimeMetrics::fix_session`] and [`PortfolioMetrics::position`],
//! also at setup. Every update after that is a relaxed atomic operation.
//!
//! | metric | type | labels | updated by |
//! |---|---|---|---|
//! | `emp_build_info` | gauge = 1 | `version` | [`RuntimeMetrics::new`] |
//! | `emp_process_start_time_seconds` | gauge | | [`RuntimeMetrics::new`] |
//! | `emp_uptime_seconds` | gauge | | computed at render |
//! | `emp_fix_session_state` | gauge 0–3 | `session` | [`FixSessionMetrics::set_state`] |
//! | `emp_fix_next_sender_seqnum`, `emp_fix_next_target_seqnum` | gauge | `session` | [`FixSessionMetrics::set_seqnums`] |
//! | `emp_fix_messages_total` | counter | `session`, `direction` (`in`/`out`) | [`FixSessionMetrics::messages_received`], [`messages_sent`](FixSessionMetrics::messages_sent) |
//! | `emp_fix_reconnects_total` | counter | `session` | [`FixSessionMetrics::reconnects`] |
//! | `emp_fix_resend_requests_total` | counter | `session`, `direction` | [`FixSessionMetrics::resend_requests_received`], [`resend_requests_sent`](FixSessionMetrics::resend_requests_sent) |
//! | `emp_fix_session_rejects_total` | counter | `session`, `direction` | [`FixSessionMetrics::session_rejects_received`], [`session_rejects_sent`](FixSessionMetrics::session_rejects_sent) |
//! | `emp_orders_total` | counter | `event` ([`OrderEvent`]) | [`OrderMetrics::record`], [`OrderMetrics::denied`] |
//! | `emp_order_denied_total` | counter | `reason` ([`DenyCode`] text) | [`OrderMetrics::denied`], [`OrderMetrics::denied_code`] |
//! | `emp_orders_open` | gauge | | [`OrderMetrics::open`] |
//! | `emp_fills_total` | counter | | [`OrderMetrics::fills`] |
//! | `emp_order_ack_latency_seconds` | histogram | | [`OrderMetrics::ack_latency`] |
//! | `emp_tick_to_order_seconds` | histogram | | [`OrderMetrics::tick_to_order`] |
//! | `emp_trading_state` | gauge 0–2 | | [`RiskMetrics::set_trading_state`] |
//! | `emp_kill_switch` | gauge 0/1 | | [`RiskMetrics::set_kill_switch`] |
//! | `emp_reconciliation_runs_total`, `emp_reconciliation_discrepancies_total` | counter | | [`RiskMetrics`] fields |
//! | `emp_readiness_state` | gauge 0–3 | | [`ReadinessMetrics::set`] |
//! | `emp_md_events_total` | counter | `kind` ([`MdEventKind`]) | [`MarketDataMetrics::record`] |
//! | `emp_md_resyncs_total` | counter | | [`MarketDataMetrics::resyncs`] |
//! | `emp_md_last_event_timestamp_seconds` | gauge | | [`MarketDataMetrics::record`] |
//! | `emp_position_quantity` | gauge | `instrument` | [`PortfolioMetrics::position`] |
//! | `emp_pnl_realized`, `emp_pnl_unrealized` | gauge | | [`PortfolioMetrics`] fields |
//! | `emp_journal_records_total` | counter | | [`JournalMetrics::records`] |
//! | `emp_journal_commit_seconds` | histogram | | [`JournalMetrics::commit_latency`] |
//!
//! [`MetricsServer`]: super::MetricsServer

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use model::{MarketEvent, Timestamp};
use oms::risk::{DenyCode, TradingState};
use strategy::ReadinessState;

use super::instrument::{Counter, DecimalGauge, Gauge, Histogram};
use super::registry::{Family, MetricsError, Registry};

/// Fractional digits of the position and PnL gauges: the model's
/// [`Quantity`](model::Quantity) scale. PnL ([`Money`](model::Money), 18
/// digits) is truncated to 9, and its range is ±9.22 × 10⁹ in the account
/// currency.
pub const VALUE_SCALE: u8 = 9;

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
    pub const fn code(self) -> i64 {
        match self {
            Self::Disconnected => 0,
            Self::AwaitingLogon => 1,
            Self::LoggedOn => 2,
            Self::AwaitingLogout => 3,
        }
    }
}

/// One FIX session's handles (label `session`). Get them once per session
/// from [`RuntimeMetrics::fix_session`].
#[derive(Clone, Debug)]
pub struct FixSessionMetrics {
    state: Gauge,
    next_sender_seqnum: Gauge,
    next_target_seqnum: Gauge,
    /// Every message received (`emp_fix_messages_total{direction="in"}`),
    /// session and application level, including duplicates.
    pub messages_received: Counter,
    /// Every message sent (`emp_fix_messages_total{direction="out"}`),
    /// including resent ones.
    pub messages_sent: Counter,
    /// Connections made after the first (`emp_fix_reconnects_total`).
    pub reconnects: Counter,
    /// ResendRequests (35=2) the counterparty sent us
    /// (`emp_fix_resend_requests_total{direction="in"}`).
    pub resend_requests_received: Counter,
    /// ResendRequests we sent on a gap in its sequence
    /// (`emp_fix_resend_requests_total{direction="out"}`).
    pub resend_requests_sent: Counter,
    /// Session-level Rejects (35=3) the counterparty sent us
    /// (`emp_fix_session_rejects_total{direction="in"}`).
    pub session_rejects_received: Counter,
    /// Session-level Rejects we sent for its invalid messages
    /// (`emp_fix_session_rejects_total{direction="out"}`).
    pub session_rejects_sent: Counter,
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
        self.next_sender_seqnum.set_u64(next_sender);
        self.next_target_seqnum.set_u64(next_target);
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

/// Order flow handles.
#[derive(Clone, Debug)]
pub struct OrderMetrics {
    events: Arc<[Counter]>,
    denied: Arc<[(DenyCode, Counter)]>,
    denied_family: Family<Counter>,
    /// Orders working at the venue (`emp_orders_open`): set it from the
    /// OMS's count, or `inc`/`dec` on open and close.
    pub open: Gauge,
    /// Fills (`emp_fills_total`), partial or complete, one per execution.
    pub fills: Counter,
    /// From sending an order request to the venue's first answer to it
    /// (`emp_order_ack_latency_seconds`): `observe_nanos(ack - sent)`.
    pub ack_latency: Histogram,
    /// From receiving the market event that triggered an order to sending
    /// the order (`emp_tick_to_order_seconds`).
    pub tick_to_order: Histogram,
}

impl OrderMetrics {
    /// Counts an event in `emp_orders_total{event}`.
    #[inline]
    pub fn record(&self, event: OrderEvent) {
        if let Some(counter) = self.events.get(event.index()) {
            counter.inc();
        }
    }

    /// Counts a denial: `emp_orders_total{event="denied"}` and
    /// `emp_order_denied_total{reason=code}`. Do not also
    /// [`record`](Self::record) [`OrderEvent::Denied`].
    ///
    /// Every code the OMS knows is registered at zero up front, so this
    /// never locks: it finds the code's counter among a few dozen and
    /// makes two relaxed adds.
    #[inline]
    pub fn denied(&self, code: DenyCode) {
        self.record(OrderEvent::Denied);
        match self.denied.iter().find(|(known, _)| *known == code) {
            Some((_, counter)) => counter.inc(),
            None => self.count_denied_code(code.as_str()),
        }
    }

    /// [`denied`](Self::denied) for a code given as text (from a journal,
    /// or a code newer than this build). A code not known up front is
    /// registered on its first use, which takes a lock; if the family is
    /// full ([`MAX_SERIES_PER_FAMILY`](super::MAX_SERIES_PER_FAMILY)) only
    /// the `event="denied"` count moves.
    pub fn denied_code(&self, code: &str) {
        self.record(OrderEvent::Denied);
        match self.denied.iter().find(|(known, _)| known.as_str() == code) {
            Some((_, counter)) => counter.inc(),
            None => self.count_denied_code(code),
        }
    }

    fn count_denied_code(&self, code: &str) {
        if let Ok(counter) = self.denied_family.with(&[code]) {
            counter.inc();
        }
    }
}

/// `emp_trading_state`'s values: 0 ACTIVE, 1 REDUCING, 2 HALTED.
pub const fn trading_state_code(state: TradingState) -> i64 {
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
        self.kill_switch.set(i64::from(engaged));
    }
}

/// `emp_readiness_state`'s values: 0 STARTING, 1 WARMING, 2 RUNNING,
/// 3 DEGRADED.
pub const fn readiness_code(state: ReadinessState) -> i64 {
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
    last_event: DecimalGauge,
    /// Book resyncs: a source dropped its book and a new snapshot is needed
    /// (`emp_md_resyncs_total`).
    pub resyncs: Counter,
}

impl MarketDataMetrics {
    /// Counts an event (`emp_md_events_total{kind}`) and sets
    /// `emp_md_last_event_timestamp_seconds` to `received`, the time EMP
    /// received it. Staleness in PromQL:
    /// `time() - emp_md_last_event_timestamp_seconds`.
    #[inline]
    pub fn record(&self, kind: MdEventKind, received: Timestamp) {
        if let Some(counter) = self.events.get(kind.index()) {
            counter.inc();
        }
        self.last_event.set_timestamp(received);
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
                self.resyncs.inc();
                return;
            }
        };
        self.record(kind, event.header().receive_time);
    }
}

/// Portfolio handles. Values are exact decimals at [`VALUE_SCALE`].
#[derive(Clone, Debug)]
pub struct PortfolioMetrics {
    positions: Family<DecimalGauge>,
    /// Realized PnL in the account currency (`emp_pnl_realized`):
    /// `set_money(pnl)`.
    pub pnl_realized: DecimalGauge,
    /// Unrealized PnL in the account currency at the last marks
    /// (`emp_pnl_unrealized`).
    pub pnl_unrealized: DecimalGauge,
}

impl PortfolioMetrics {
    /// The net position gauge of `instrument`
    /// (`emp_position_quantity{instrument}`): `set_net_quantity(net)`.
    /// Call at setup, once per configured instrument (it takes a lock);
    /// instruments are few and configured, so this is not a
    /// high-cardinality label.
    ///
    /// # Errors
    /// [`MetricsError::TooManySeries`] past
    /// [`MAX_SERIES_PER_FAMILY`](super::MAX_SERIES_PER_FAMILY) instruments.
    pub fn position(&self, instrument: &str) -> Result<DecimalGauge, MetricsError> {
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
    reconnects: Family<Counter>,
    resend_requests: Family<Counter>,
    session_rejects: Family<Counter>,
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

impl RuntimeMetrics {
    /// Registers every `emp_*` metric on `registry` (or finds them, if
    /// another `RuntimeMetrics` registered them already), sets
    /// `emp_build_info` and the process start time.
    ///
    /// # Errors
    /// A name on `registry` is already taken by a different definition.
    pub fn new(registry: &Registry) -> Result<Self, MetricsError> {
        let r = registry;
        r.info(
            "emp_build_info",
            "EMP build: always 1, the version in a label.",
            &[("version", env!("CARGO_PKG_VERSION"))],
        )?;
        let started = Instant::now();
        let start_nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        r.decimal_gauge(
            "emp_process_start_time_seconds",
            "Start time of the process since the Unix epoch in seconds.",
            3,
        )?
        .set_scaled(i128::try_from(start_nanos).unwrap_or(0), 9);
        r.computed_gauge(
            "emp_uptime_seconds",
            "Seconds since the runtime's metrics were set up, at process start.",
            3,
            move || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        )?;

        let session = &["session"];
        let session_direction = &["session", "direction"];
        let events = r.counter_family(
            "emp_orders_total",
            "Order lifecycle events by kind.",
            &["event"],
        )?;
        let denied_family = r.counter_family(
            "emp_order_denied_total",
            "Orders and modifications the risk gate refused, by deny code.",
            &["reason"],
        )?;
        let denied = DenyCode::ALL
            .iter()
            .map(|&code| Ok((code, denied_family.with(&[code.as_str()])?)))
            .collect::<Result<Vec<_>, MetricsError>>()?;
        let md_events = r.counter_family(
            "emp_md_events_total",
            "Normalized market data events received, by kind.",
            &["kind"],
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
                "FIX messages by session and direction (in received, out sent).",
                session_direction,
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
            session_rejects: r.counter_family(
                "emp_fix_session_rejects_total",
                "Session-level Rejects (35=3): in from the counterparty, out sent by EMP.",
                session_direction,
            )?,
            orders: OrderMetrics {
                events: OrderEvent::ALL
                    .iter()
                    .map(|event| events.with(&[event.as_str()]))
                    .collect::<Result<_, _>>()?,
                denied: denied.into(),
                denied_family,
                open: r.gauge("emp_orders_open", "Orders working at the venue.")?,
                fills: r.counter("emp_fills_total", "Executions that filled quantity.")?,
                ack_latency: r.histogram(
                    "emp_order_ack_latency_seconds",
                    "From sending an order request to the venue's first answer to it.",
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
                last_event: r.decimal_gauge(
                    "emp_md_last_event_timestamp_seconds",
                    "Receive time of the last market data event, seconds since the Unix epoch.",
                    9,
                )?,
                resyncs: r.counter(
                    "emp_md_resyncs_total",
                    "Book resyncs: a source dropped its book and a snapshot is needed.",
                )?,
            },
            portfolio: PortfolioMetrics {
                positions: r.decimal_gauge_family(
                    "emp_position_quantity",
                    "Net position by instrument (negative is short).",
                    VALUE_SCALE,
                    &["instrument"],
                )?,
                pnl_realized: r.decimal_gauge(
                    "emp_pnl_realized",
                    "Realized PnL in the account currency.",
                    VALUE_SCALE,
                )?,
                pnl_unrealized: r.decimal_gauge(
                    "emp_pnl_unrealized",
                    "Unrealized PnL in the account currency at the last marks.",
                    VALUE_SCALE,
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
    /// state 0 (disconnected) and zero counts. Call once per session at
    /// setup: it takes locks.
    ///
    /// # Errors
    /// [`MetricsError::TooManySeries`] past
    /// [`MAX_SERIES_PER_FAMILY`](super::MAX_SERIES_PER_FAMILY) sessions.
    pub fn fix_session(&self, session: &str) -> Result<FixSessionMetrics, MetricsError> {
        Ok(FixSessionMetrics {
            state: self.session_state.with(&[session])?,
            next_sender_seqnum: self.next_sender_seqnum.with(&[session])?,
            next_target_seqnum: self.next_target_seqnum.with(&[session])?,
            messages_received: self.messages.with(&[session, "in"])?,
            messages_sent: self.messages.with(&[session, "out"])?,
            reconnects: self.reconnects.with(&[session])?,
            resend_requests_received: self.resend_requests.with(&[session, "in"])?,
            resend_requests_sent: self.resend_requests.with(&[session, "out"])?,
            session_rejects_received: self.session_rejects.with(&[session, "in"])?,
            session_rejects_sent: self.session_rejects.with(&[session, "out"])?,
        })
    }
}
