//! The trading pipeline every mode runs, on one thread:
//! market event → sensory features → strategy host (behind its readiness
//! gate) → risk gate and OMS → venue commands; venue events go back into
//! the OMS. Live, paper, replay and backtest differ only in where events
//! come from, which clock says `now`, and which execution sink takes the
//! commands.
//!
//! Sans-IO like its parts: the driver passes `now`, feeds market and venue
//! events, calls [`Pipeline::on_timer`] at [`Pipeline::next_deadline`]
//! (so a silent feed is noticed), and drains outputs, OMS events (to
//! journal them) and venue commands (after journaling: persist before
//! send).

use std::collections::VecDeque;

use model::{
    ClOrdId, FeedStatus, InstrumentId, InstrumentMap, InstrumentTable, MarketEvent, RunId,
    Timestamp, VenueCommand, VenueEvent,
};
use oms::risk::Denial;
use oms::{Oms, OmsConfig, OmsEvent, VenueEventError, VenueEventOutcome};
use sensory::{Calendar, FeatureParams, ResyncRequest, Sensory, SensoryConfig, SensoryError};
use strategy::{
    Action, Emitted, ExecutionStatus, HostError, Inventory, MarketView, ParamsFile, ReadinessEvent,
    StrategyHost, Suppression, WorkingOrder,
};

/// Everything a pipeline is built from.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// The run, stamped on every intent.
    pub run_id: RunId,
    /// Tradable instruments (ticks, lots, venue symbols).
    pub instruments: InstrumentTable,
    /// Feature settings for every instrument.
    pub features: FeatureParams,
    /// Scheduled events for the WHY features.
    pub calendar: Calendar,
    /// The strategies and their readiness gate.
    pub params: ParamsFile,
    /// Risk limits and OMS behaviour.
    pub oms: OmsConfig,
}

/// Why a pipeline cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The sensory configuration is inconsistent.
    #[error("sensory configuration: {0}")]
    Sensory(#[from] sensory::ConfigError),
    /// The strategy host refused its params.
    #[error("strategy params: {0}")]
    Strategy(Box<HostError>),
}

/// What the pipeline did that the driver records or acts on.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PipelineOutput {
    /// The readiness gate changed state.
    Readiness(ReadinessEvent),
    /// A strategy action was held back (gate, rate limit, kill switch,
    /// duplicate).
    Suppressed(Suppression),
    /// A strategy action went to the OMS; `Ok` carries the ClOrdID of the
    /// message the OMS queued, `Err` the risk gate's denial.
    Action {
        /// The action and why the strategy took it.
        emitted: Emitted,
        /// What the OMS made of it.
        outcome: Result<ClOrdId, Denial>,
    },
    /// A book failed an integrity check: resubscribe its instrument.
    Resync(ResyncRequest),
}

/// Stores `value` under `key`, overwriting in place when the key is
/// there (no node shuffling, no old value moved out and dropped).
fn upsert<V: Copy>(map: &mut InstrumentMap<V>, key: InstrumentId, value: &V) {
    match map.get_mut(&key) {
        // One copy in place (a feature vector is a few hundred bytes).
        Some(kept) => *kept = *value,
        None => {
            map.insert(key, *value);
        }
    }
}

/// The pipeline. See the module docs.
#[derive(Debug)]
pub struct Pipeline {
    sensory: Sensory,
    host: StrategyHost,
    oms: Oms,
    market: MarketView,
    outputs: VecDeque<PipelineOutput>,
    // What the strategies read of the OMS, refilled before each decision
    // into buffers kept here, so a decision allocates nothing.
    inventory: InstrumentMap<Inventory>,
    working: Vec<WorkingOrder>,
    /// The OMS revision the two buffers above were filled at: most events
    /// change no order or position, and refilling cost as much as a
    /// strategy's decision.
    refilled_at: Option<u64>,
}

impl Pipeline {
    /// A pipeline with a fresh OMS started at `now`.
    pub fn new(config: PipelineConfig, now: Timestamp) -> Result<Self, PipelineError> {
        let oms = Oms::new(config.oms.clone(), now);
        Self::with_oms(config, oms)
    }

    /// A pipeline around an OMS recovered from its journal.
    pub fn with_oms(config: PipelineConfig, oms: Oms) -> Result<Self, PipelineError> {
        let mut sensory_config =
            SensoryConfig::from_instruments(&config.instruments, &config.features);
        sensory_config.pairs = config.params.cross_venue_pairs();
        sensory_config.calendar = config.calendar;
        let mut host = StrategyHost::new(config.run_id, config.params, config.instruments)
            .map_err(|error| PipelineError::Strategy(Box::new(error)))?;
        // Above every epoch an earlier run (in the recovered OMS) used.
        host.set_epoch_base(
            oms.state()
                .max_epoch()
                .map_or(0, |max| max.saturating_add(1)),
        );
        Ok(Self {
            sensory: Sensory::new(sensory_config)?,
            host,
            oms,
            market: MarketView::default(),
            outputs: VecDeque::new(),
            inventory: InstrumentMap::new(),
            working: Vec::new(),
            refilled_at: None,
        })
    }

    /// Applies one market event: features, marks, then a decision round.
    /// An event for an instrument not configured is refused and changes
    /// nothing.
    pub fn on_market(&mut self, now: Timestamp, event: &MarketEvent) -> Result<(), SensoryError> {
        let features = self.sensory.on_event(event)?;
        let instrument = features.instrument;
        if let MarketEvent::Snapshot(_) = event {
            self.market.on_snapshot(&instrument);
        }
        if let Some(mid) = features.what.mid {
            self.oms.on_market_price(instrument, mid);
        }
        upsert(&mut self.market.instruments, instrument, features);
        for cross in self.sensory.cross_venue() {
            upsert(&mut self.market.cross, cross.prediction, cross);
        }
        while let Some(request) = self.sensory.poll_resync() {
            self.outputs.push_back(PipelineOutput::Resync(request));
        }
        self.decide(now);
        Ok(())
    }

    /// A market-data feed reported `status` for the `instruments` it
    /// carries (a websocket connection's gap, resync, silence, disconnect,
    /// or Live again), then a decision round: the gate degrades for its
    /// instruments and the host holds back orders in the others until the
    /// feed is Live and each voided book has a fresh snapshot.
    pub fn on_feed_status(
        &mut self,
        now: Timestamp,
        instruments: &[InstrumentId],
        status: FeedStatus,
    ) {
        for instrument in instruments {
            self.market.on_feed_status(*instrument, status);
        }
        self.decide(now);
    }

    /// Applies a venue event to the OMS. The report that completes a
    /// reconciliation makes execution available again (and runs a
    /// decision round, so the gate says so at once).
    pub fn on_venue_event(
        &mut self,
        now: Timestamp,
        event: VenueEvent,
    ) -> Result<VenueEventOutcome, VenueEventError> {
        let outcome = self.oms.on_venue_event(now, event);
        self.end_reconciliation_if_done(now);
        outcome
    }

    /// The venue's order session went up or down (a live or paper run
    /// against a FIX venue; backtests never call this, their simulated
    /// sink is always there). Up starts the OMS's reconciliation (its
    /// status and position requests come out of [`Self::poll_command`]);
    /// execution is available once it completes. Down holds every
    /// strategy action until the session is back and reconciled.
    pub fn on_session(&mut self, now: Timestamp, up: bool) {
        if up {
            self.market.execution = ExecutionStatus::Reconciling;
            self.oms.on_connected(now);
            self.end_reconciliation_if_done(now);
        } else {
            self.market.execution = ExecutionStatus::SessionDown;
        }
        self.decide(now);
    }

    fn end_reconciliation_if_done(&mut self, now: Timestamp) {
        if self.market.execution == ExecutionStatus::Reconciling && !self.oms.is_reconciling() {
            // Available, or Halted when reconciliation found a mismatch:
            // the next decision round says which.
            self.market.execution = ExecutionStatus::Available;
            self.decide(now);
        }
    }

    /// The run is stopping: every strategy is switched off (no new
    /// actions) and every working order is canceled. Returns the cancels
    /// queued. A driver journals the stop as an input, so a replay stops
    /// at the same point.
    pub fn stop_trading(&mut self, now: Timestamp) -> usize {
        let strategies: Vec<model::StrategyId> = self
            .host
            .strategies()
            .map(|strategy| strategy.name)
            .collect();
        for strategy in &strategies {
            self.host.kill(strategy, "the run is stopping");
        }
        self.oms.cancel_all(now, None, None)
    }

    /// Whether orders can reach the venue, as the gate sees it.
    pub const fn execution(&self) -> ExecutionStatus {
        self.market.execution
    }

    /// Timers: OMS in-flight queries and a decision round, so a feed that
    /// went silent degrades the gate even with no event arriving.
    pub fn on_timer(&mut self, now: Timestamp) {
        self.oms.handle_timeout(now);
        self.end_reconciliation_if_done(now);
        self.decide(now);
    }

    /// When [`Self::on_timer`] must run next (after `now`), if anything
    /// is pending.
    pub fn next_deadline(&self, now: Timestamp) -> Option<Timestamp> {
        let gate = self.host.gate().next_deadline(now, &self.market);
        match (gate, self.oms.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn decide(&mut self, now: Timestamp) {
        let state = self.oms.state();
        let halted =
            state.trading_state() == oms::risk::TradingState::Halted || state.kill_switch();
        self.market.execution = match (self.market.execution, halted) {
            (ExecutionStatus::Available, true) => ExecutionStatus::Halted,
            (ExecutionStatus::Halted, false) => ExecutionStatus::Available,
            (status, _) => status,
        };
        self.refill_positions_and_working();
        let step = self
            .host
            .step(now, &self.market, &self.inventory, &self.working);
        // Both are usually empty: extending by nothing still reserves.
        if !step.readiness.is_empty() {
            self.outputs
                .extend(step.readiness.into_iter().map(PipelineOutput::Readiness));
        }
        if !step.suppressed.is_empty() {
            self.outputs
                .extend(step.suppressed.into_iter().map(PipelineOutput::Suppressed));
        }
        for emitted in step.actions {
            let outcome = match &emitted.action {
                Action::Submit(intent) => self.oms.submit(now, intent.clone()),
                Action::Cancel { intent_id } => self.oms.cancel(now, *intent_id),
                Action::Replace {
                    intent_id,
                    quantity,
                    kind,
                } => self.oms.replace(now, *intent_id, *quantity, *kind),
            };
            self.outputs
                .push_back(PipelineOutput::Action { emitted, outcome });
        }
    }

    /// Account-wide inventory per instrument and every working order, as
    /// the strategies read them (orders pending new included). An
    /// instrument seen before keeps an all-zero entry, which strategies
    /// read as they read a missing one (`Inputs::inventory_of`).
    fn refill_positions_and_working(&mut self) {
        let revision = self.oms.revision();
        if self.refilled_at == Some(revision) {
            return;
        }
        self.refilled_at = Some(revision);
        let state = self.oms.state();
        let inventory = &mut self.inventory;
        inventory
            .values_mut()
            .for_each(|entry| *entry = Inventory::default());
        for (instrument, totals) in state.positions().instruments() {
            let entry = inventory.get_or_default(*instrument);
            entry.position = totals.net();
            entry.average_cost = totals.cost_basis().per_unit(totals.net().abs());
        }
        let working = &mut self.working;
        working.clear();
        for order in state.working_orders() {
            let entry = inventory.get_or_default(order.instrument);
            let leaves = order.leaves();
            match order.side {
                model::Side::Buy => {
                    entry.pending_buys = entry
                        .pending_buys
                        .checked_add(leaves)
                        .unwrap_or(entry.pending_buys);
                }
                model::Side::Sell => {
                    entry.pending_sells = entry
                        .pending_sells
                        .checked_add(leaves)
                        .unwrap_or(entry.pending_sells);
                }
            }
            working.push(WorkingOrder {
                strategy: order.strategy,
                intent_id: order.intent_id,
                instrument: order.instrument,
                side: order.side,
                kind: order.kind,
                quantity: order.quantity,
                in_flight: order.status == oms::OrderStatus::PendingNew || order.pending.is_some(),
            });
        }
        // Grouped by strategy (stable: each strategy's orders keep their
        // order), so the host hands each strategy a slice, not a copy.
        working.sort_by_key(|order| order.strategy);
    }

    /// The next output, oldest first.
    pub fn poll_output(&mut self) -> Option<PipelineOutput> {
        self.outputs.pop_front()
    }

    /// The next OMS event (journal it before sending commands).
    pub fn poll_oms_event(&mut self) -> Option<OmsEvent> {
        self.oms.poll_event()
    }

    /// The next venue command, once the OMS events before it are durable.
    pub fn poll_command(&mut self) -> Option<VenueCommand> {
        self.oms.poll_command()
    }

    /// The OMS (positions, orders, trading state).
    pub const fn oms(&self) -> &Oms {
        &self.oms
    }

    /// The OMS, for operator commands (kill switch, trading state).
    pub const fn oms_mut(&mut self) -> &mut Oms {
        &mut self.oms
    }

    /// The strategy host (gate state, kill switches, stats).
    pub const fn host(&self) -> &StrategyHost {
        &self.host
    }

    /// The strategy host, for operator commands.
    pub const fn host_mut(&mut self) -> &mut StrategyHost {
        &mut self.host
    }

    /// The features and books.
    pub const fn sensory(&self) -> &Sensory {
        &self.sensory
    }

    /// Switches strategies off for the whole run (their kill switch, with
    /// a reason saying so), as backtests and their replays do.
    pub fn switch_off(&mut self, strategies: &[model::StrategyId]) {
        for strategy in strategies {
            self.host.kill(strategy, "switched off for this run");
        }
    }

    /// The latest market view strategies decide on.
    pub const fn market(&self) -> &MarketView {
        &self.market
    }
}
