//! Copies the engine's state into the metrics once per status interval:
//! session states, sequence numbers and message counts, open orders,
//! readiness, trading state, positions, PnL and journal records. Per-event
//! counters (market data, order events, denials) are counted by the
//! engine itself as they happen.

use std::collections::BTreeMap;

use gateway::fix::link::Channel;
use gateway::fix::session::SessionStats;
use gateway::fix::store::MessageStore;
use model::InstrumentId;

use crate::engine::Engine;
use crate::metrics::RuntimeMetrics;
use crate::metrics::{DecimalGauge, FixSessionMetrics, FixSessionState, MetricsError};

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
    positions: BTreeMap<InstrumentId, DecimalGauge>,
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

    /// Copies the engine's current state.
    pub fn publish<S: MessageStore>(&mut self, engine: &Engine<S>) {
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
            let delta = |now: u64, then: u64| now.saturating_sub(then);
            handles
                .metrics
                .messages_received
                .add(delta(stats.messages_received, before.messages_received));
            handles
                .metrics
                .messages_sent
                .add(delta(stats.messages_sent, before.messages_sent));
            handles.metrics.resend_requests_received.add(delta(
                stats.resend_requests_received,
                before.resend_requests_received,
            ));
            handles.metrics.resend_requests_sent.add(delta(
                stats.resend_requests_sent,
                before.resend_requests_sent,
            ));
            handles
                .metrics
                .session_rejects_sent
                .add(delta(stats.rejects_sent, before.rejects_sent));
            // Every logon after the first is a reconnect.
            let reconnects = |logons: u64| logons.saturating_sub(1);
            handles
                .metrics
                .reconnects
                .add(reconnects(stats.logons).saturating_sub(reconnects(handles.logons)));
            handles.logons = stats.logons;
            handles.published = stats;
        }
        let pipeline = engine.pipeline();
        let oms = pipeline.oms();
        let state = oms.state();
        let open = state.working_orders().count();
        self.metrics
            .orders
            .open
            .set(i64::try_from(open).unwrap_or(i64::MAX));
        self.metrics.readiness.set(engine.readiness());
        self.metrics.risk.set_trading_state(state.trading_state());
        self.metrics.risk.set_kill_switch(state.kill_switch());
        for (instrument, gauge) in &self.positions {
            gauge.set_net_quantity(state.positions().instrument_net(instrument));
        }
        self.metrics
            .portfolio
            .pnl_realized
            .set_money(state.realized_net());
        if let Ok(unrealized) = state
            .positions()
            .unrealized_total(|instrument| oms.mark(instrument))
        {
            self.metrics.portfolio.pnl_unrealized.set_money(unrealized);
        }
        let records = engine.journal_records();
        self.metrics
            .journal
            .records
            .add(records.saturating_sub(self.journal_records));
        self.journal_records = records;
    }
}
