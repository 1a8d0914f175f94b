//! Copies the engine's state into the metrics once per status interval:
//! session states, sequence numbers and message counts (by MsgType, gap
//! fills, rejects, test requests, heartbeat timeouts), open orders,
//! readiness, trading state, throttle tokens, positions, PnL and journal
//! records. Per-event
//! counters (market data, order events, denials) are counted by the
//! engine itself as they happen.

use std::collections::BTreeMap;

use gateway::fix::link::Channel;
use gateway::fix::session::SessionStats;
use gateway::fix::store::MessageStore;
use model::{InstrumentId, Timestamp};

use crate::engine::Engine;
use crate::metrics::{
    Direction, FixSessionMetrics, FixSessionState, Gauge, MetricsError, RuntimeMetrics, money_f64,
    net_quantity_f64,
};

/// One session's handles and the counts already published.
#[derive(Debug)]
struct SessionHandles {
    channel: Channel,
    metrics: FixSessionMetrics,
    published: SessionStats,
    logons: u64,
}

/// Publishes an engine's state into [`RuntimeMetrics`].
#[derive(Debug)]
pub struct MetricsPublisher {
    metrics: RuntimeMetrics,
    sessions: Vec<SessionHandles>,
    positions: BTreeMap<InstrumentId, Gauge>,
    journal_records: u64,
}

impl MetricsPublisher {
    /// Handles for every session and instrument of `engine`.
    pub fn new<S: MessageStore>(
        metrics: RuntimeMetrics,
        engine: &Engine<S>,
    ) -> Result<Self, MetricsError> {
        let sessions = engine
            .link()
            .channels()
            .iter()
            .map(|channel| {
                Ok(SessionHandles {
                    channel: *channel,
                    metrics: metrics.fix_session(channel.name())?,
                    published: SessionStats::default(),
                    logons: 0,
                })
            })
            .collect::<Result<_, MetricsError>>()?;
        let positions = engine
            .link()
            .config()
            .instruments
            .iter()
            .map(|instrument| {
                Ok((
                    instrument.id,
                    metrics.portfolio.position(instrument.id.as_str())?,
                ))
            })
            .collect::<Result<_, MetricsError>>()?;
        Ok(Self {
            metrics,
            sessions,
            positions,
            journal_records: 0,
        })
    }

    /// The metric set.
    pub const fn metrics(&self) -> &RuntimeMetrics {
        &self.metrics
    }

    /// Copies the engine's current state; `now` is the time the risk
    /// throttles are read at.
    pub fn publish<S: MessageStore>(&mut self, engine: &Engine<S>, now: Timestamp) {
        let link = engine.link();
        for handles in &mut self.sessions {
            let session = link.session(handles.channel);
            let state = if session.is_logged_on() {
                FixSessionState::LoggedOn
            } else if session.is_connected() {
                FixSessionState::AwaitingLogon
            } else {
                FixSessionState::Disconnected
            };
            handles.metrics.set_state(state);
            handles
                .metrics
                .set_seqnums(session.next_sender_seq(), session.next_target_seq());
            let stats = session.stats();
            let before = handles.published;
            let m = &handles.metrics;
            m.count_messages(
                Direction::In,
                &stats.received_by_type,
                &before.received_by_type,
            );
            m.count_messages(Direction::Out, &stats.sent_by_type, &before.sent_by_type);
            let counts = [
                (
                    &m.messages_resent,
                    stats.messages_resent,
                    before.messages_resent,
                ),
                (
                    &m.resend_requests_received,
                    stats.resend_requests_received,
                    before.resend_requests_received,
                ),
                (
                    &m.resend_requests_sent,
                    stats.resend_requests_sent,
                    before.resend_requests_sent,
                ),
                (
                    &m.gap_fills_received,
                    stats.gap_fills_received,
                    before.gap_fills_received,
                ),
                (
                    &m.gap_fills_sent,
                    stats.gap_fills_sent,
                    before.gap_fills_sent,
                ),
                (
                    &m.session_rejects_received,
                    stats.rejects_received,
                    before.rejects_received,
                ),
                (
                    &m.session_rejects_sent,
                    stats.rejects_sent,
                    before.rejects_sent,
                ),
                (
                    &m.test_requests_sent,
                    stats.test_requests_sent,
                    before.test_requests_sent,
                ),
                (
                    &m.heartbeat_timeouts,
                    stats.heartbeat_timeouts,
                    before.heartbeat_timeouts,
                ),
            ];
            for (counter, now, then) in counts {
                counter.increment(now.saturating_sub(then));
            }
            // Every logon after the first is a reconnect.
            let reconnects = |logons: u64| logons.saturating_sub(1);
            m.reconnects
                .increment(reconnects(stats.logons).saturating_sub(reconnects(handles.logons)));
            handles.logons = stats.logons;
            handles.published = stats;
        }
        let pipeline = engine.pipeline();
        let oms = pipeline.oms();
        let state = oms.state();
        let open = state.working_orders().count();
        self.metrics.orders.open.set(open as f64);
        self.metrics.readiness.set(engine.readiness());
        self.metrics.risk.set_trading_state(state.trading_state());
        self.metrics.risk.set_kill_switch(state.kill_switch());
        let (submit, modify) = oms.throttle_tokens(now);
        self.metrics.risk.set_throttle_tokens(submit, modify);
        for (instrument, gauge) in &self.positions {
            gauge.set(net_quantity_f64(
                state.positions().instrument_net(instrument),
            ));
        }
        self.metrics
            .portfolio
            .pnl_realized
            .set(money_f64(state.realized_net()));
        if let Ok(unrealized) = state
            .positions()
            .unrealized_total(|instrument| oms.mark(instrument))
        {
            self.metrics
                .portfolio
                .pnl_unrealized
                .set(money_f64(unrealized));
        }
        let records = engine.journal_records();
        self.metrics
            .journal
            .records
            .increment(records.saturating_sub(self.journal_records));
        self.journal_records = records;
    }
}
