//! The live engine: a venue over FIX ([`VenueLink`]) wired to the trading
//! [`Pipeline`] and the run's journal, on one thread, sans-IO.
//!
//! The driver (TCP for `emp demo` and `emp run`, in-memory pairs in tests)
//! passes bytes and `now`; the engine
//!
//! 1. feeds the link, and for each of its events journals the input first
//!    (`md.*`, `order.venue`, `system.session`), then applies it: market
//!    data to the pipeline, reports to the OMS, TRADE logon/logout as the
//!    pipeline's session up/down (reconciliation before any strategy
//!    trades; the gate holds everything meanwhile);
//! 2. journals every decision (readiness, suppressions, actions, OMS
//!    events), commits the journal, and only then hands the OMS's
//!    commands to the TRADE session (persist before send); a book that
//!    fails a check is resubscribed;
//! 3. keeps counters for the status line and the metrics, and, when
//!    metrics are served, times each order request from its send to the
//!    venue's first answer and each new order to its first fill
//!    ([`RequestTimes`]), and each journal commit.
//!
//! A journal failure stops every command from going out (they stay queued
//! in the OMS, never sent unrecorded) and is reported through
//! [`Engine::failure`]; the driver ends the run.
//!
//! **MODE=test** ([`Engine::use_simulated_execution`]) swaps the execution
//! sink and nothing else: commands go to a [`SimulatedSink`] fed with the
//! live books, and its reports come back as the venue's would (journaled
//! as `order.venue`); market data still comes from the QUOTE session and
//! every other part runs as in live.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use gateway::fix::link::{Channel, LinkEvent, VenueLink};
use gateway::fix::store::MessageStore;
use gateway::ws::FeedNotice;
use gateway::ws::client::FeedMessage;
use journal::JournalError;
use model::{ClOrdId, ExecType, InstrumentId, IntentId, MarketEvent, Timestamp, VenueEvent};
use oms::OmsEvent;
use sensory::ResyncReason;
use strategy::{ExecutionStatus, ReadinessState};

use model::ExecutionSink;
use venue::SimulatedSink;

use crate::logging::{Correlation, LogRecord, LogTarget};
use crate::metrics::{OrderEvent, RuntimeMetrics};
use crate::pipeline::{Pipeline, PipelineOutput};
use crate::record::{FeedStatusInput, Recorder, RunHeader};

/// Counters for the status line and the metrics; plain numbers, read by
/// the driver between inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Market events applied, by kind.
    pub snapshots: u64,
    /// Book deltas applied.
    pub deltas: u64,
    /// Top-of-book quotes applied.
    pub quotes: u64,
    /// Trade prints applied.
    pub trades: u64,
    /// Market events the sensory layer refused.
    pub market_refused: u64,
    /// Resubscriptions after a failed book check.
    pub resyncs: u64,
    /// NewOrderSingles sent.
    pub orders_sent: u64,
    /// Cancels sent.
    pub cancels_sent: u64,
    /// Replaces sent.
    pub replaces_sent: u64,
    /// Other commands sent (status, mass status, positions).
    pub queries_sent: u64,
    /// Commands the session refused (not logged on, dialect).
    pub send_failures: u64,
    /// Execution reports received.
    pub reports: u64,
    /// Fills (ExecType Trade) received.
    pub fills: u64,
    /// Orders the venue rejected.
    pub rejects: u64,
    /// Intents the risk gate denied.
    pub denials: u64,
    /// Actions the host held back.
    pub suppressed: u64,
    /// Inbound messages that could not be used.
    pub problems: u64,
    /// TRADE logons (the first one and reconnects).
    pub trade_logons: u64,
    /// QUOTE logons.
    pub quote_logons: u64,
    /// Reconciliations started.
    pub reconciliations: u64,
    /// Journal commits.
    pub commits: u64,
}

/// The most order requests [`RequestTimes`] follows at once; requests sent
/// beyond it (thousands unanswered: the venue is gone) are not timed.
pub const MAX_TIMED_REQUESTS: usize = 4_096;

/// When each order request went out, until the venue answers it (and,
/// for a new order, until its first fill): the source of
/// `emp_orders_inflight`, `emp_order_ack_latency_seconds` and
/// `emp_order_fill_latency_seconds`. Keyed by ClOrdID; bounded by
/// [`MAX_TIMED_REQUESTS`]. Times are the engine's `now` (wall clock).
#[derive(Debug, Default)]
pub struct RequestTimes {
    requests: HashMap<ClOrdId, SentRequest>,
    /// Requests not answered yet.
    unanswered: usize,
}

#[derive(Clone, Copy, Debug)]
struct SentRequest {
    at: Timestamp,
    answered: bool,
    new_order: bool,
}

/// What a venue answer meant for the request it names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Answered {
    /// The first answer to the request: its latency.
    pub ack: Option<Duration>,
    /// The first fill of a new order: its latency from the send.
    pub fill: Option<Duration>,
}

impl RequestTimes {
    /// A request with `cl_ord_id` went out at `at`.
    pub fn sent(&mut self, cl_ord_id: ClOrdId, at: Timestamp, new_order: bool) {
        if self.requests.len() >= MAX_TIMED_REQUESTS {
            return;
        }
        let request = SentRequest {
            at,
            answered: false,
            new_order,
        };
        // A ClOrdID sent again replaces its earlier request.
        match self.requests.insert(cl_ord_id, request) {
            Some(replaced) if !replaced.answered => {}
            _ => self.unanswered += 1,
        }
    }

    /// The venue answered `cl_ord_id` at `now`: `fill` when the answer is
    /// an execution, `done` when it leaves nothing more to time (the order
    /// is in a terminal state, or the answer is a cancel reject).
    pub fn answered(
        &mut self,
        cl_ord_id: &ClOrdId,
        now: Timestamp,
        fill: bool,
        done: bool,
    ) -> Answered {
        let Some(request) = self.requests.get_mut(cl_ord_id) else {
            return Answered::default();
        };
        let elapsed = Duration::from_nanos(now.saturating_nanos_since(request.at));
        let mut answer = Answered::default();
        if !request.answered {
            request.answered = true;
            self.unanswered = self.unanswered.saturating_sub(1);
            answer.ack = Some(elapsed);
        }
        if fill && request.new_order {
            answer.fill = Some(elapsed);
        }
        if fill || done || !request.new_order {
            self.requests.remove(cl_ord_id);
        }
        answer
    }

    /// Requests sent and not answered yet.
    pub const fn unanswered(&self) -> usize {
        self.unanswered
    }
}

/// What one input led to, for the driver's latency measurement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputOutcome {
    /// Market events applied.
    pub market_events: u32,
    /// Order actions sent: NewOrderSingle, cancel, replace.
    pub order_actions: u32,
}

/// The records for the run's log, until the driver takes them.
#[derive(Debug, Default)]
struct LogQueue(VecDeque<LogRecord>);

impl LogQueue {
    fn push_back(&mut self, record: impl Into<LogRecord>) {
        self.0.push_back(record.into());
    }
}

/// The engine. See the [module docs](self).
#[derive(Debug)]
pub struct Engine<S: MessageStore> {
    link: VenueLink<S>,
    pipeline: Pipeline,
    recorder: Recorder,
    stats: EngineStats,
    log: LogQueue,
    closes: VecDeque<Channel>,
    failure: Option<String>,
    /// When the pipeline's timers are due, as of the last input.
    pipeline_deadline: Option<Timestamp>,
    /// The oldest journal record not committed yet: inputs with no
    /// decision are committed within [`COMMIT_INTERVAL_NANOS`].
    uncommitted_since: Option<Timestamp>,
    /// Commands taken from the OMS, sent after the journal commit.
    commands: Vec<model::VenueCommand>,
    /// OMS events were journaled since the last commit.
    decided: bool,
    /// Per-event metrics (pre-registered handles), when served.
    metrics: Option<RuntimeMetrics>,
    /// Order requests being timed, when metrics are served.
    request_times: RequestTimes,
    /// Execution status as last logged.
    execution: ExecutionStatus,
    /// MODE=test: the simulated sink that takes the commands instead of
    /// the TRADE session.
    simulated: Option<Box<SimulatedSink>>,
    /// Sessions an operator logged out: the driver leaves them down.
    held_down: Vec<Channel>,
    /// Sessions an operator logged on again: the driver connects them now.
    connects: VecDeque<Channel>,
}

/// The header of `event`, to restamp.
const fn receive_header(event: &mut MarketEvent) -> &mut model::MarketHeader {
    match event {
        MarketEvent::Snapshot(snapshot) => &mut snapshot.header,
        MarketEvent::Delta(delta) => &mut delta.header,
        MarketEvent::Quote(quote) => &mut quote.header,
        MarketEvent::Trade(trade) => &mut trade.header,
        MarketEvent::Reset { header, .. } => header,
    }
}

/// Longest time a journaled input waits for its commit when no decision
/// forces one sooner (a decision is committed before its commands go out).
pub const COMMIT_INTERVAL_NANOS: u64 = 100_000_000;

/// The journal failed; the run cannot go on safely.
#[derive(Debug, thiserror::Error)]
#[error("journal: {0}")]
pub struct EngineError(#[from] JournalError);

impl<S: MessageStore> Engine<S> {
    /// An engine for a run: writes `header` and records that the order
    /// session is down (nothing trades until it is up and reconciled).
    pub fn new(
        link: VenueLink<S>,
        mut pipeline: Pipeline,
        mut recorder: Recorder,
        header: &RunHeader,
        now: Timestamp,
    ) -> Result<Self, EngineError> {
        recorder.run_started(header)?;
        recorder.session(now, false)?;
        pipeline.on_session(now, false);
        let mut engine = Self {
            link,
            pipeline,
            recorder,
            stats: EngineStats::default(),
            log: LogQueue::default(),
            closes: VecDeque::new(),
            failure: None,
            pipeline_deadline: None,
            uncommitted_since: None,
            commands: Vec::new(),
            decided: false,
            metrics: None,
            request_times: RequestTimes::default(),
            execution: ExecutionStatus::SessionDown,
            simulated: None,
            held_down: Vec::new(),
            connects: VecDeque::new(),
        };
        engine.flush(now);
        Ok(engine)
    }

    /// MODE=test: from now on every command goes to `sink` instead of the
    /// TRADE session, and its reports come back as venue events. The
    /// sink's account starts empty, so the OMS reconciles with it at once
    /// (journaled as the order session coming up); the TRADE session is
    /// not needed.
    pub fn use_simulated_execution(&mut self, now: Timestamp, sink: SimulatedSink) {
        self.simulated = Some(Box::new(sink));
        self.log
            .push_back("MODE=test: orders go to the simulated execution sink".to_owned());
        if self.journal(now, |recorder| recorder.session(now, true)) {
            self.pipeline.on_session(now, true);
        }
        self.process(now);
    }

    /// True when commands can reach execution: the TRADE session logged
    /// on, or the simulated sink in MODE=test.
    pub fn execution_connected(&self) -> bool {
        self.simulated.is_some() || self.link.is_logged_on(Channel::Trade)
    }

    /// True in MODE=test.
    pub const fn is_simulated(&self) -> bool {
        self.simulated.is_some()
    }

    /// Counts every market event, order event and denial in `metrics`
    /// from now on.
    pub fn set_metrics(&mut self, metrics: RuntimeMetrics) {
        self.metrics = Some(metrics);
    }

    fn count(&self, event: OrderEvent) {
        if let Some(metrics) = &self.metrics {
            metrics.orders.record(event);
        }
    }

    /// The link (sessions, subscriptions).
    pub const fn link(&self) -> &VenueLink<S> {
        &self.link
    }

    /// The pipeline (OMS, strategies, features).
    pub const fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The pipeline, for operator commands; call [`Self::flush`] after.
    pub const fn pipeline_mut(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }

    /// The counters.
    pub const fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// Records appended to the journal so far (this run and earlier ones
    /// in the same journal).
    pub const fn journal_records(&self) -> u64 {
        self.recorder.writer().next_offset()
    }

    /// The journal failure that stopped commands, if any.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// The next record for the run's log (formatted and written by the
    /// log thread, [`crate::logging`]).
    pub fn poll_log(&mut self) -> Option<LogRecord> {
        self.log.0.pop_front()
    }

    /// The next channel whose connection must be closed.
    pub fn poll_close(&mut self) -> Option<Channel> {
        self.closes.pop_front()
    }

    /// True when an operator logged the channel's session out
    /// ([`ControlAction::Session`](crate::control::ControlAction::Session)):
    /// the driver must not connect it until it is logged on again.
    pub fn is_held_down(&self, channel: Channel) -> bool {
        self.held_down.contains(&channel)
    }

    /// The next channel an operator logged on again: connect it now
    /// rather than after the reconnect interval.
    pub fn poll_connect(&mut self) -> Option<Channel> {
        self.connects.pop_front()
    }

    /// The channel's connection is up.
    pub fn connected(&mut self, channel: Channel, now: Timestamp) {
        self.link.connected(channel, now);
        self.process(now);
    }

    /// The channel's connection is gone.
    pub fn disconnected(&mut self, channel: Channel, now: Timestamp) {
        self.link.disconnected(channel, now);
        self.process(now);
    }

    /// Bytes read from the channel's connection.
    pub fn handle_input(&mut self, channel: Channel, now: Timestamp, bytes: &[u8]) -> InputOutcome {
        self.link.handle_input(channel, now, bytes);
        self.process(now)
    }

    /// A websocket feed's message ([`crate::feeds`]) that arrived at
    /// `now`: its market events as market data (journaled `md.*`, like the
    /// QUOTE session's), its status changes for `instruments` (the
    /// connection's) as feed inputs (journaled `system.feed`: the gate
    /// degrades for those instruments until the feed is Live and their
    /// books rebuilt), the rest (venue errors, lost connections, rejected
    /// frames) as `system.link` text. Then decisions are journaled and
    /// orders sent, as after FIX input.
    ///
    /// The events' receive time becomes `now`, the time the trading
    /// thread took them (the frame reached the feed thread up to the
    /// queue's wait earlier): what the journal records is what the
    /// pipeline decided at, so a replay decides at the same times.
    pub fn on_feed_message(
        &mut self,
        now: Timestamp,
        feed: &str,
        instruments: &[InstrumentId],
        mut message: FeedMessage,
    ) -> InputOutcome {
        let mut outcome = InputOutcome::default();
        for event in &mut message.output.events {
            outcome.market_events += 1;
            receive_header(event).receive_time = now;
            self.on_market(now, event);
            self.record_decisions(now);
        }
        for notice in &message.output.notices {
            match notice {
                FeedNotice::Status(status) => {
                    let input = FeedStatusInput {
                        feed: feed.to_owned(),
                        instruments: instruments.to_vec(),
                        status: *status,
                    };
                    if self.journal(now, |recorder| recorder.feed(now, &input)) {
                        self.pipeline.on_feed_status(now, instruments, *status);
                    }
                    // A websocket feed's gap or resubscription is a resync of
                    // its books, counted as the FIX books' are.
                    if let Some(metrics) = &self.metrics {
                        match status {
                            model::FeedStatus::Gap { .. } => {
                                metrics.market_data.sequence_gaps.increment(1);
                            }
                            model::FeedStatus::Resynchronising => {
                                metrics.market_data.resyncs.increment(1);
                            }
                            _ => {}
                        }
                    }
                    self.log.push_back(format!("feed {feed}: {status:?}"));
                    self.record_decisions(now);
                }
                FeedNotice::Pong | FeedNotice::Heartbeat { .. } => {}
                FeedNotice::ResnapshotNeeded(_) | FeedNotice::Subscriptions(_) => {
                    self.log.push_back(format!("feed {feed}: {notice:?}"));
                }
                other => {
                    let text = format!("feed {feed}: {other:?}");
                    self.journal(now, |recorder| recorder.link(now, &text));
                    self.log.push_back(text);
                }
            }
        }
        if let Some(error) = &message.error {
            self.stats.problems += 1;
            let text = format!("feed {feed}: rejected frame: {error}");
            self.journal(now, |recorder| recorder.link(now, &text));
            self.log.push_back(text);
        }
        self.note_execution(now);
        outcome.order_actions = self.flush(now);
        self.note_execution(now);
        self.pipeline_deadline = self.pipeline.next_deadline(now);
        outcome
    }

    /// Bytes to write on the channel's connection.
    pub fn poll_transmit(&mut self, channel: Channel, out: &mut Vec<u8>) -> bool {
        self.link.poll_transmit(channel, out)
    }

    /// When [`Self::handle_timeout`] must run next.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let commit = self
            .uncommitted_since
            .and_then(|since| since.checked_add_nanos(COMMIT_INTERVAL_NANOS));
        let sink = self.simulated.as_ref().and_then(|sink| sink.next_wakeup());
        [
            self.link.poll_timeout(),
            self.pipeline_deadline,
            commit,
            sink,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the session and pipeline timers due at `now`, and commits
    /// journaled inputs that waited long enough.
    pub fn handle_timeout(&mut self, now: Timestamp) -> InputOutcome {
        self.link.handle_timeout(now);
        self.poll_simulated(now);
        if self
            .pipeline_deadline
            .is_some_and(|deadline| deadline <= now)
        {
            self.pipeline_deadline = None;
            if self.journal(now, |recorder| recorder.timer(now)) {
                self.pipeline.on_timer(now);
                self.record_decisions(now);
            }
        }
        let outcome = self.process(now);
        if self
            .uncommitted_since
            .and_then(|since| since.checked_add_nanos(COMMIT_INTERVAL_NANOS))
            .is_some_and(|due| due <= now)
        {
            self.commit(now);
        }
        outcome
    }

    /// Commits the journal now; a failure stops commands.
    fn commit(&mut self, now: Timestamp) -> bool {
        if self.failure.is_some() {
            return false;
        }
        let started = self.metrics.as_ref().map(|_| Instant::now());
        match self.recorder.commit(now) {
            Ok(_) => {
                if let (Some(metrics), Some(started)) = (&self.metrics, started) {
                    metrics.journal.commit_latency.record(started.elapsed());
                }
                self.stats.commits += 1;
                self.uncommitted_since = None;
                true
            }
            Err(error) => {
                self.journal(now, |_| Err(error));
                false
            }
        }
    }

    /// Begins a clean stop: strategies off, every working order canceled
    /// (journaled as `system.stop`). Log out once [`Self::open_orders`]
    /// is zero, or after a grace period.
    pub fn begin_stop(&mut self, now: Timestamp) {
        if self.journal(now, |recorder| recorder.stop(now)) {
            let cancels = self.pipeline.stop_trading(now);
            self.log.push_back(format!(
                "stopping: strategies off, {cancels} working orders to cancel"
            ));
            self.record_decisions(now);
        }
        self.flush(now);
    }

    /// Applies an operator action (the control plane's): journaled as an
    /// input (`system.control`) first, then applied to the pipeline, and
    /// its orders (cancels) sent. Returns the outcome for the operator.
    ///
    /// # Errors
    /// The action was refused ([`ControlAction::apply`]), or the journal
    /// has failed (then nothing is applied).
    ///
    /// [`ControlAction::apply`]: crate::control::ControlAction::apply
    pub fn control(
        &mut self,
        now: Timestamp,
        action: &crate::control::ControlAction,
    ) -> Result<String, String> {
        if !self.journal(now, |recorder| recorder.control(now, action)) {
            return Err(self
                .failure
                .clone()
                .unwrap_or_else(|| "the journal failed".to_owned()));
        }
        if let crate::control::ControlAction::Session { name, op, .. } = action {
            let outcome = self.session_control(now, name, *op);
            self.process(now);
            return outcome;
        }
        let outcome = action.apply(&mut self.pipeline, now);
        self.record_decisions(now);
        self.flush(now);
        outcome
    }

    /// An operator's FIX session command; see [`crate::control`] for the
    /// semantics.
    fn session_control(
        &mut self,
        now: Timestamp,
        name: &str,
        op: crate::control::SessionOp,
    ) -> Result<String, String> {
        use crate::control::SessionOp;
        let channel = crate::control::session_channel(self.link.channels(), name)?;
        if channel == Channel::Trade && self.simulated.is_some() {
            return Err(format!(
                "TRADE is simulated (MODE=test): orders go to the simulated execution sink, \
                 there is no FIX session to {}",
                op.name()
            ));
        }
        let held = self.is_held_down(channel);
        let session = self.link.session(channel);
        let (logged_on, connected) = (session.is_logged_on(), session.is_connected());
        match op {
            SessionOp::Logout => {
                if held {
                    return Err(format!(
                        "{channel} is already logged out by an operator; \
                         `session logon {channel}` resumes it"
                    ));
                }
                self.held_down.push(channel);
                self.link.session_mut(channel).logout(now, None);
                Ok(if logged_on {
                    format!(
                        "{channel} Logout (35=5) sent; the session stays down \
                         (no reconnect) until `session logon {channel}`"
                    )
                } else if connected {
                    format!(
                        "{channel} was logging on: connection closed; it stays down \
                         until `session logon {channel}`"
                    )
                } else {
                    format!(
                        "{channel} was not connected; it stays down (no reconnect) \
                         until `session logon {channel}`"
                    )
                })
            }
            SessionOp::Logon => {
                if held {
                    self.held_down.retain(|held| *held != channel);
                    self.connects.push_back(channel);
                    let reset = if self.link.session(channel).reset_pending() {
                        " with ResetSeqNumFlag (141=Y), sequence numbers from 1"
                    } else {
                        ""
                    };
                    let after = if channel == Channel::Trade {
                        "; the OMS reconciles with the venue before any strategy trades"
                    } else {
                        "; market data is subscribed again after the logon"
                    };
                    Ok(format!("{channel} connecting to log on{reset}{after}"))
                } else if logged_on {
                    Err(format!("{channel} is already logged on"))
                } else {
                    Err(format!(
                        "{channel} was not logged out by an operator: it is already \
                         {} by itself; nothing to do",
                        if connected {
                            "logging on"
                        } else {
                            "reconnecting"
                        }
                    ))
                }
            }
            SessionOp::Reset => {
                if !held {
                    return Err(format!(
                        "{channel} is {}: a sequence reset needs it down. Log it out, reset, \
                         log it on: `session logout {channel}`, `session reset {channel}`, \
                         `session logon {channel}`",
                        if logged_on {
                            "logged on"
                        } else {
                            "reconnecting by itself"
                        }
                    ));
                }
                match self.link.session_mut(channel).reset_for_next_logon(now) {
                    Ok(true) => Ok(format!(
                        "{channel} sequence numbers reset to 1 (sender and target); \
                         the next Logon carries ResetSeqNumFlag (141=Y)"
                    )),
                    Ok(false) => Err(format!(
                        "{channel} is still connected (the Logout is under way, waiting for \
                         the venue's answer); try again when it is LOGGED_OUT"
                    )),
                    Err(error) => Err(format!(
                        "{channel}'s message store could not be reset: {error}; \
                         the sequence numbers are unchanged"
                    )),
                }
            }
        }
    }

    /// Orders still working (resting, or a request in flight).
    pub fn open_orders(&self) -> usize {
        self.pipeline.oms().state().working_orders().count()
    }

    /// Logs every session out (a clean stop).
    pub fn logout(&mut self, now: Timestamp) {
        self.link.logout(now);
        self.process(now);
    }

    /// Commits the journal and every session store (at the end of a run).
    pub fn close(&mut self, now: Timestamp) -> Result<(), EngineError> {
        self.recorder.commit(now)?;
        if let Err(error) = self.link.flush_stores() {
            self.log
                .push_back(format!("FIX message store commit failed at close: {error}"));
        }
        Ok(())
    }

    /// Writes with the recorder; a failure stops commands for the rest of
    /// the run. Returns whether it was written.
    fn journal(
        &mut self,
        now: Timestamp,
        write: impl FnOnce(&mut Recorder) -> Result<u64, JournalError>,
    ) -> bool {
        if self.failure.is_some() {
            return false;
        }
        match write(&mut self.recorder) {
            Ok(_) => {
                self.uncommitted_since.get_or_insert(now);
                true
            }
            Err(error) => {
                let text = format!(
                    "journal write failed: {error}; no order goes out unrecorded, so trading stops"
                );
                self.log.push_back(LogRecord::error(text.clone()));
                self.failure = Some(text);
                false
            }
        }
    }

    /// Counts a command that went out; 1 for an order action (new,
    /// cancel, replace), 0 for a query.
    fn count_sent(&mut self, now: Timestamp, command: &model::VenueCommand) -> u32 {
        let (cl_ord_id, new_order) = match command {
            model::VenueCommand::New(order) => {
                self.stats.orders_sent += 1;
                self.count(OrderEvent::Submitted);
                (order.cl_ord_id, true)
            }
            model::VenueCommand::Cancel(cancel) => {
                self.stats.cancels_sent += 1;
                (cancel.cl_ord_id, false)
            }
            model::VenueCommand::Replace(replace) => {
                self.stats.replaces_sent += 1;
                (replace.cl_ord_id, false)
            }
            _ => {
                self.stats.queries_sent += 1;
                return 0;
            }
        };
        if let Some(metrics) = &self.metrics {
            self.request_times.sent(cl_ord_id, now, new_order);
            metrics
                .orders
                .inflight
                .set(self.request_times.unanswered() as f64);
        }
        1
    }

    /// Times the venue's answer to the request `cl_ord_id` names.
    fn time_answer(&mut self, cl_ord_id: Option<&ClOrdId>, now: Timestamp, fill: bool, done: bool) {
        let (Some(metrics), Some(cl_ord_id)) = (&self.metrics, cl_ord_id) else {
            return;
        };
        let answer = self.request_times.answered(cl_ord_id, now, fill, done);
        if let Some(ack) = answer.ack {
            metrics.orders.ack_latency.record(ack);
            metrics
                .orders
                .inflight
                .set(self.request_times.unanswered() as f64);
        }
        if let Some(fill) = answer.fill {
            metrics.orders.fill_latency.record(fill);
        }
    }

    /// MODE=test: the simulated sink's reports due by `now`, as venue
    /// events.
    fn poll_simulated(&mut self, now: Timestamp) {
        loop {
            let Some(event) = self
                .simulated
                .as_mut()
                .and_then(|sink| sink.poll_event(now))
            else {
                return;
            };
            self.on_venue(now, event);
            self.record_decisions(now);
            self.note_execution(now);
        }
    }

    /// Drains the link's events into the pipeline, then journals and sends.
    fn process(&mut self, now: Timestamp) -> InputOutcome {
        let mut outcome = InputOutcome::default();
        while let Some(event) = self.link.poll_event(now) {
            self.on_link_event(now, event, &mut outcome);
            self.record_decisions(now);
            self.note_execution(now);
        }
        outcome.order_actions = self.flush(now);
        self.note_execution(now);
        self.pipeline_deadline = self.pipeline.next_deadline(now);
        outcome
    }

    fn on_link_event(&mut self, now: Timestamp, event: LinkEvent, outcome: &mut InputOutcome) {
        match event {
            LinkEvent::Market(event) => {
                outcome.market_events += 1;
                self.on_market(now, &event);
            }
            LinkEvent::Venue(event) => self.on_venue(now, event),
            LinkEvent::Up(channel) => {
                let text = format!("{channel} session logged on");
                self.journal(now, |recorder| recorder.link(now, &text));
                self.log
                    .push_back(session_line(LogRecord::info(text), channel));
                match channel {
                    Channel::Trade if self.simulated.is_some() => {}
                    Channel::Trade => {
                        self.stats.trade_logons += 1;
                        self.stats.reconciliations += 1;
                        if let Some(metrics) = &self.metrics {
                            metrics.risk.reconciliation_runs.increment(1);
                        }
                        if self.journal(now, |recorder| recorder.session(now, true)) {
                            self.pipeline.on_session(now, true);
                        }
                    }
                    Channel::Quote => self.stats.quote_logons += 1,
                }
                if self.link.channels() == [Channel::Trade] {
                    self.stats.quote_logons += 1;
                }
            }
            LinkEvent::Down(channel, reason) => {
                let text = format!("{channel} session down: {reason}");
                self.journal(now, |recorder| recorder.link(now, &text));
                self.log
                    .push_back(session_line(LogRecord::warn(text), channel));
                if channel == Channel::Trade
                    && self.simulated.is_none()
                    && self.journal(now, |recorder| recorder.session(now, false))
                {
                    self.pipeline.on_session(now, false);
                }
            }
            LinkEvent::Close(channel, reason) => {
                self.log.push_back(session_line(
                    LogRecord::info(format!("{channel} connection closing: {reason}")),
                    channel,
                ));
                self.closes.push_back(channel);
            }
            LinkEvent::MarketDataRejected { instrument, reject } => {
                let text = format!(
                    "market data request {} for {} refused: {} ({:?})",
                    reject.request_id,
                    instrument.map_or_else(|| "an unknown request".to_owned(), |i| i.to_string()),
                    reject.text.as_deref().unwrap_or("no text"),
                    reject.reason
                );
                self.stats.problems += 1;
                self.journal(now, |recorder| recorder.link(now, &text));
                self.log.push_back(text);
            }
            LinkEvent::Subscribed {
                instrument,
                request_id,
            } => {
                self.log.push_back(format!(
                    "subscribed to {instrument} market data (MDReqID {request_id})"
                ));
            }
            LinkEvent::Problem(channel, text) => {
                self.stats.problems += 1;
                let text = format!("{channel} session: {text}");
                self.journal(now, |recorder| recorder.link(now, &text));
                self.log
                    .push_back(session_line(LogRecord::warn(text), channel));
            }
            LinkEvent::Notice(channel, text) => {
                self.log.push_back(session_line(
                    LogRecord::info(format!("{channel}: {text}")),
                    channel,
                ));
            }
        }
    }

    fn on_market(&mut self, now: Timestamp, event: &MarketEvent) {
        if !self.journal(now, |recorder| recorder.market(event)) {
            return;
        }
        if let Some(metrics) = &self.metrics {
            metrics.market_data.record_event(event);
        }
        match event {
            MarketEvent::Snapshot(_) => self.stats.snapshots += 1,
            MarketEvent::Delta(_) => self.stats.deltas += 1,
            MarketEvent::Quote(_) => self.stats.quotes += 1,
            MarketEvent::Trade(_) => self.stats.trades += 1,
            MarketEvent::Reset { .. } => {}
        }
        if let Err(error) = self.pipeline.on_market(now, event) {
            self.stats.market_refused += 1;
            self.log
                .push_back(LogRecord::warn(format!("market event refused: {error}")));
        }
        if let Some(sink) = self.simulated.as_mut() {
            // The sink knows the pipeline's instruments: neither call can
            // refuse an event the pipeline took.
            match event {
                MarketEvent::Trade(trade) => {
                    let _ = sink.on_trade(now, trade);
                }
                other => {
                    let instrument = other.instrument();
                    if let Some(book) = self.pipeline.sensory().book(instrument) {
                        let _ = sink.on_book(now, instrument, book);
                    }
                }
            }
        }
    }

    fn on_venue(&mut self, now: Timestamp, event: VenueEvent) {
        if !self.journal(now, |recorder| recorder.venue(now, &event)) {
            return;
        }
        match &event {
            VenueEvent::Execution(report) => self.time_answer(
                report.cl_ord_id.as_ref(),
                now,
                report.exec_type == ExecType::Trade,
                report.ord_status.is_terminal(),
            ),
            VenueEvent::CancelReject(reject) => {
                self.time_answer(Some(&reject.cl_ord_id), now, false, true);
            }
            _ => {}
        }
        if let VenueEvent::Execution(report) = &event {
            self.log.push_back(LogRecord::correlated(
                LogTarget::Fix,
                "execution report",
                Correlation {
                    cl_ord_id: report.cl_ord_id,
                    order_id: report.order_id,
                    exec_id: Some(report.exec_id),
                    exec_type: Some(report.exec_type),
                    ord_status: Some(report.ord_status),
                    session: (self.simulated.is_none()).then_some(Channel::Trade),
                    msg_type: Some("8"),
                    ..Correlation::default()
                },
            ));
            self.stats.reports += 1;
            let counted = match report.exec_type {
                ExecType::Trade => {
                    self.stats.fills += 1;
                    if let Some(metrics) = &self.metrics {
                        metrics.orders.fills.increment(1);
                    }
                    Some(if report.ord_status == model::OrdStatus::Filled {
                        OrderEvent::Filled
                    } else {
                        OrderEvent::PartiallyFilled
                    })
                }
                ExecType::Rejected => {
                    self.stats.rejects += 1;
                    Some(OrderEvent::Rejected)
                }
                ExecType::New => Some(OrderEvent::Accepted),
                ExecType::Canceled => Some(OrderEvent::Canceled),
                ExecType::Replaced => Some(OrderEvent::Replaced),
                ExecType::Expired => Some(OrderEvent::Expired),
                _ => None,
            };
            if let Some(event) = counted {
                self.count(event);
            }
        }
        let fill = match &event {
            VenueEvent::Execution(report) if report.exec_type == ExecType::Trade => Some((
                report.cl_ord_id,
                report.exec_id,
                report.last_qty,
                // LastPx, or AvgPx from venues that send no LastPx.
                report.last_px.or(report.avg_px),
            )),
            _ => None,
        };
        if let Err(error) = self.pipeline.on_venue_event(now, event) {
            self.log
                .push_back(LogRecord::warn(format!("venue event not applied: {error}")));
        }
        if let Some((cl_ord_id, exec_id, qty, price)) = fill {
            let intent_id = cl_ord_id.and_then(|id| {
                self.pipeline
                    .oms()
                    .state()
                    .order_by_cl_ord_id(&id)
                    .map(|order| order.intent_id)
            });
            self.log.push_back(LogRecord::correlated(
                LogTarget::Order,
                "fill",
                Correlation {
                    intent_id,
                    cl_ord_id,
                    exec_id: Some(exec_id),
                    qty: Some(qty),
                    price,
                    ..Correlation::default()
                },
            ));
        }
    }

    /// Journals the pipeline's outputs and OMS events, commits, then sends
    /// the commands; returns the order actions sent (new, cancel,
    /// replace; not status queries).
    pub fn flush(&mut self, now: Timestamp) -> u32 {
        self.record_decisions(now);
        if self.failure.is_some() {
            return 0;
        }
        while let Some(command) = self.pipeline.poll_command() {
            self.commands.push(command);
        }
        // Persist before send: the OMS events behind these commands (and
        // every input before them) are durable before anything goes out.
        let decided = std::mem::take(&mut self.decided);
        if (decided || !self.commands.is_empty()) && !self.commit(now) {
            return 0;
        }
        let mut orders = 0;
        let commands = std::mem::take(&mut self.commands);
        let trade_up = self.link.is_logged_on(Channel::Trade);
        for command in &commands {
            let sent = if let Some(sink) = self.simulated.as_mut() {
                sink.send(now, command.clone());
                true
            } else if !trade_up {
                // Stored by a session that resets at logon, it would never
                // go out: say so, and let reconciliation settle the order.
                self.stats.send_failures += 1;
                self.log.push_back(format!(
                    "command not sent, the TRADE session is not logged on: {command:?}"
                ));
                false
            } else {
                match self.link.send(now, command) {
                    Ok(seq) => {
                        self.log.push_back(LogRecord::correlated(
                            LogTarget::Fix,
                            "order sent",
                            Correlation {
                                cl_ord_id: command_cl_ord_id(command),
                                msg_seq_num: Some(seq),
                                session: Some(Channel::Trade),
                                msg_type: Some(command_msg_type(command)),
                                ..Correlation::default()
                            },
                        ));
                        true
                    }
                    Err(error) => {
                        // The OMS keeps the order in flight; reconciliation
                        // after the next logon settles it.
                        self.stats.send_failures += 1;
                        self.log
                            .push_back(LogRecord::warn(format!("command not sent: {error}")));
                        false
                    }
                }
            };
            if sent {
                orders += self.count_sent(now, command);
            }
        }
        self.commands = commands;
        self.commands.clear();
        orders
    }

    /// Logs (and journals as text) every change of execution status:
    /// reconciliation started, done, the session lost.
    fn note_execution(&mut self, now: Timestamp) {
        let status = self.pipeline.execution();
        if status == self.execution {
            return;
        }
        let before = std::mem::replace(&mut self.execution, status);
        let text = match (before, status) {
            (ExecutionStatus::Reconciling, ExecutionStatus::Available) => {
                let state = self.pipeline.oms().state();
                let working = state
                    .working_orders()
                    .count();
                let positions = state
                    .positions()
                    .instruments()
                    .filter(|(_, totals)| !totals.net().is_zero())
                    .map(|(instrument, totals)| format!("{instrument} {}", totals.net()))
                    .collect::<Vec<_>>();
                format!(
                    "reconciled with the venue: {working} working orders, positions: {}",
                    if positions.is_empty() {
                        "flat".to_owned()
                    } else {
                        positions.join(", ")
                    }
                )
            }
            (ExecutionStatus::Reconciling, ExecutionStatus::Halted) => {
                "reconciled with the venue, and trading is HALTED (the journal's OMS alerts say why: a position mismatch, a risk rule or the kill switch); nothing trades until an operator resumes".to_owned()
            }
            (_, status) => format!("execution {}", status.name()),
        };
        self.journal(now, |recorder| recorder.link(now, &text));
        self.log.push_back(text);
    }

    /// Journals the decisions the last input led to, in the order a replay
    /// makes them: the pipeline's outputs, then the OMS's events. Runs
    /// after every input so each input's decisions follow it.
    fn record_decisions(&mut self, now: Timestamp) {
        while let Some(output) = self.pipeline.poll_output() {
            if !self.journal(now, |recorder| recorder.output(now, &output)) {
                return;
            }
            self.on_output(now, &output);
        }
        while let Some(event) = self.pipeline.poll_oms_event() {
            match &event {
                OmsEvent::IntentDenied { denial, .. } => {
                    self.stats.denials += 1;
                    if let Some(metrics) = &self.metrics {
                        metrics.orders.denied(denial.code);
                    }
                }
                // The intent → ClOrdID links of the structured log.
                OmsEvent::OrderSubmitted {
                    intent, cl_ord_id, ..
                } => self.log_order("intent submitted", intent.intent_id(), *cl_ord_id),
                OmsEvent::ReplaceSent {
                    intent_id,
                    cl_ord_id,
                    ..
                } => self.log_order("replace submitted", *intent_id, *cl_ord_id),
                OmsEvent::CancelSent {
                    intent_id,
                    cl_ord_id,
                    ..
                } => self.log_order("cancel submitted", *intent_id, *cl_ord_id),
                _ => {}
            }
            if !self.journal(now, |recorder| recorder.oms(now, &event)) {
                return;
            }
            self.decided = true;
        }
    }

    fn log_order(&mut self, message: &'static str, intent_id: IntentId, cl_ord_id: ClOrdId) {
        self.log.push_back(LogRecord::correlated(
            LogTarget::Order,
            message,
            Correlation {
                intent_id: Some(intent_id),
                cl_ord_id: Some(cl_ord_id),
                ..Correlation::default()
            },
        ));
    }

    fn on_output(&mut self, now: Timestamp, output: &PipelineOutput) {
        match output {
            PipelineOutput::Readiness(event) => {
                let text = format!("readiness {} -> {}: {}", event.from, event.to, event.reason);
                self.log.push_back(text);
            }
            PipelineOutput::Suppressed(_) => self.stats.suppressed += 1,
            PipelineOutput::Action { .. } => {}
            PipelineOutput::Resync(request) => {
                self.stats.resyncs += 1;
                if let Some(metrics) = &self.metrics {
                    metrics.market_data.resyncs.increment(1);
                    if matches!(request.reason, ResyncReason::SequenceGap { .. }) {
                        metrics.market_data.sequence_gaps.increment(1);
                    }
                }
                let text = format!(
                    "{} book failed a check ({:?}); resubscribing",
                    request.instrument, request.reason
                );
                self.log.push_back(text);
                if let Err(error) = self.link.resubscribe(now, request.instrument) {
                    self.log.push_back(format!(
                        "resubscribe of {} failed: {error}",
                        request.instrument
                    ));
                }
            }
        }
    }

    /// The readiness gate's state.
    pub fn readiness(&self) -> ReadinessState {
        self.pipeline.host().gate().state()
    }
}

/// `record` about the `channel` session.
const fn session_line(mut record: LogRecord, channel: Channel) -> LogRecord {
    record.fields.session = Some(channel);
    record
}

/// The ClOrdID (11) a command carries, if any.
const fn command_cl_ord_id(command: &model::VenueCommand) -> Option<ClOrdId> {
    match command {
        model::VenueCommand::New(order) => Some(order.cl_ord_id),
        model::VenueCommand::Cancel(cancel) => Some(cancel.cl_ord_id),
        model::VenueCommand::Replace(replace) => Some(replace.cl_ord_id),
        _ => None,
    }
}

/// The MsgType (35) a command goes out as.
const fn command_msg_type(command: &model::VenueCommand) -> &'static str {
    match command {
        model::VenueCommand::New(_) => "D",
        model::VenueCommand::Cancel(_) => "F",
        model::VenueCommand::Replace(_) => "G",
        model::VenueCommand::Status(_) => "H",
        model::VenueCommand::MassStatus { .. } => "AF",
        _ => "AN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(micros: u64) -> Timestamp {
        Timestamp::from_unix_nanos(1_790_000_000_000_000_000 + micros * 1_000)
    }

    fn id(text: &str) -> ClOrdId {
        ClOrdId::new(text).unwrap()
    }

    fn acked(micros: u64) -> Answered {
        Answered {
            ack: Some(Duration::from_micros(micros)),
            fill: None,
        }
    }

    #[test]
    fn requests_are_timed_to_their_first_answer_and_new_orders_to_their_first_fill() {
        let mut times = RequestTimes::default();
        times.sent(id("N1"), at(0), true);
        times.sent(id("C1"), at(10), false);
        times.sent(id("N2"), at(20), true);
        assert_eq!(times.unanswered(), 3);

        // Accepted after 40 µs: the ack only.
        assert_eq!(times.answered(&id("N1"), at(40), false, false), acked(40));
        assert_eq!(times.unanswered(), 2);
        // The first fill, 300 µs after the send; later fills are not timed.
        assert_eq!(
            times.answered(&id("N1"), at(300), true, false),
            Answered {
                ack: None,
                fill: Some(Duration::from_micros(300)),
            }
        );
        assert_eq!(
            times.answered(&id("N1"), at(500), true, true),
            Answered::default()
        );
        // A cancel is answered once (a report or a cancel reject).
        assert_eq!(times.answered(&id("C1"), at(60), false, true), acked(50));
        assert_eq!(
            times.answered(&id("C1"), at(70), false, true),
            Answered::default()
        );
        // A new order filled by its first answer: ack and fill at once.
        assert_eq!(
            times.answered(&id("N2"), at(120), true, true),
            Answered {
                ack: Some(Duration::from_micros(100)),
                fill: Some(Duration::from_micros(100)),
            }
        );
        assert_eq!(times.unanswered(), 0);
        assert!(times.requests.is_empty(), "{times:?}");
        // An answer to a request never sent (the venue's own orders).
        assert_eq!(
            times.answered(&id("X"), at(1), true, true),
            Answered::default()
        );
    }

    #[test]
    fn a_rejected_order_is_forgotten_and_a_resent_id_counted_once() {
        let mut times = RequestTimes::default();
        times.sent(id("N1"), at(0), true);
        times.sent(id("N1"), at(5), true);
        assert_eq!(times.unanswered(), 1);
        assert_eq!(times.answered(&id("N1"), at(25), false, true), acked(20));
        assert!(times.requests.is_empty());
    }

    #[test]
    fn at_most_max_timed_requests_are_followed() {
        let mut times = RequestTimes::default();
        for n in 0..MAX_TIMED_REQUESTS + 10 {
            times.sent(id(&format!("N{n}")), at(0), true);
        }
        assert_eq!(times.unanswered(), MAX_TIMED_REQUESTS);
        let beyond = format!("N{}", MAX_TIMED_REQUESTS + 5);
        assert_eq!(
            times.answered(&id(&beyond), at(9), false, false),
            Answered::default()
        );
    }
}
