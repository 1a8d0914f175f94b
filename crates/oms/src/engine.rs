//! The OMS engine: commands and venue events in, venue commands and OMS
//! events out.
//!
//! Decisions (risk checks, matching a report to its order, reconciliation
//! rules) live here; state changes live in [`OmsState::apply`]. Every
//! decision ends in events, each applied to the state and queued for
//! [`Oms::poll_event`]. Venue commands are queued for
//! [`Oms::poll_command`] only after the events that justify them.
//!
//! # Driving it
//! 1. Feed inputs: [`Oms::submit`], [`Oms::cancel`], [`Oms::replace`],
//!    [`Oms::on_venue_event`], [`Oms::on_market_price`],
//!    [`Oms::on_connected`], [`Oms::handle_timeout`], …
//! 2. Drain [`Oms::poll_event`] into the journal and make it durable.
//! 3. Only then drain [`Oms::poll_command`] to the venue (persist before
//!    send: a crash between 2 and 3 leaves an order recorded but unsent,
//!    which reconciliation resolves; the reverse would lose it).
//! 4. Call [`Oms::handle_timeout`] at [`Oms::poll_timeout`].

use std::collections::VecDeque;

use model::{
    ClOrdId, ExecType, ExecutionReport, Instrument, InstrumentId, InstrumentMap, InstrumentTable,
    IntentId, Money, OrdStatus, OrderIntent, OrderKind, Price, Quantity, Timestamp, VenueCommand,
    VenueEvent,
};

use crate::alert::AlertCode;
use crate::events::{OmsEvent, OrderUpdate};
use crate::order::{Order, PendingRequest};
use crate::reconcile::Reconciliation;
use crate::risk::{
    self, Denial, DenyCode, ExistingOrder, ExposureView, OrderTerms, RateLimiter, RiskLimits,
    TradingState,
};
use crate::state::{ApplyError, OmsState};
use crate::status::OrderStatus;

const NANOS_PER_DAY: u64 = 86_400_000_000_000;
/// OrdRejReason (103) = 5: unknown order.
const UNKNOWN_ORDER: u32 = 5;

/// How the OMS behaves; fixed for its lifetime.
#[derive(Clone, Debug)]
pub struct OmsConfig {
    /// Risk limits.
    pub limits: RiskLimits,
    /// Tradable instruments.
    pub instruments: InstrumentTable,
    /// An order whose request is unanswered this long gets a status query.
    pub in_flight_timeout_nanos: u64,
    /// Status queries per unanswered request before the OMS raises an
    /// `UNRESOLVED` alert (the order stays in flight regardless).
    pub max_status_queries: u32,
    /// The trading day rolls at UTC midnight plus this offset (e.g. 17:00
    /// New York for FX is 22:00 UTC in winter: 79 200 s).
    pub day_roll_offset_nanos: u64,
    /// Reconciliation behaviour.
    pub reconcile: ReconcilePolicy,
    /// Orders the OMS sizes its indexes for at start. Growing an index
    /// past it rehashes every entry inside one `submit`, a latency spike
    /// of a hundred microseconds at 10 000 orders, so set it above a busy
    /// day's count.
    pub expected_orders: usize,
}

/// What the venue offers for reconciliation and what to do with
/// discrepancies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconcilePolicy {
    /// The venue answers OrderMassStatusRequest (FIX 4.4 AF). Otherwise
    /// each working order is queried with OrderStatusRequest (H).
    pub mass_status: bool,
    /// The venue answers RequestForPositions (AN).
    pub positions: bool,
    /// Cancel orders found at the venue that EMP has no record of (they
    /// are adopted under `EXTERNAL` either way).
    pub cancel_unknown_orders: bool,
    /// Halt trading when the venue's position differs from EMP's after the
    /// orders are reconciled.
    pub halt_on_position_mismatch: bool,
    /// Give up waiting for reconciliation answers after this long: trading
    /// is halted (nothing is assumed).
    pub timeout_nanos: u64,
}

impl Default for ReconcilePolicy {
    fn default() -> Self {
        Self {
            mass_status: true,
            positions: true,
            cancel_unknown_orders: false,
            halt_on_position_mismatch: true,
            timeout_nanos: 30_000_000_000,
        }
    }
}

impl OmsConfig {
    /// A configuration with these limits and instruments and the default
    /// timing: 5 s in-flight timeout, 5 status queries, UTC midnight roll.
    pub fn new(limits: RiskLimits, instruments: InstrumentTable) -> Self {
        Self {
            limits,
            instruments,
            in_flight_timeout_nanos: 5_000_000_000,
            max_status_queries: 5,
            day_roll_offset_nanos: 0,
            reconcile: ReconcilePolicy::default(),
            expected_orders: 65_536,
        }
    }
}

/// Why a venue event could not be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VenueEventError {
    /// The report contradicts the order's state (for example a fill on a
    /// rejected order). An `Alert` event records it; the state is
    /// unchanged.
    #[error(transparent)]
    Inconsistent(Box<ApplyError>),
}

/// What became of a venue event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VenueEventOutcome {
    /// The state changed.
    Applied,
    /// Its ExecID was applied before (a PossDup resend, a replay).
    Duplicate,
    /// Informational (PendingNew, Stopped, …) or for no order of ours that
    /// could be adopted; an `Alert` says which when it matters.
    Ignored,
}

/// The order-management system. See the module docs for how to drive it.
#[derive(Debug)]
pub struct Oms {
    config: OmsConfig,
    state: OmsState,
    marks: InstrumentMap<Price>,
    submit_rate: Option<RateLimiter>,
    modify_rate: Option<RateLimiter>,
    reconciliation: Option<Reconciliation>,
    unresolved_alerted: Vec<IntentId>,
    commands: VecDeque<VenueCommand>,
    events: VecDeque<OmsEvent>,
    /// Moves on every change of `state`; see [`Self::revision`].
    revision: u64,
}

impl Oms {
    /// A fresh OMS with no history, started at `now`.
    pub fn new(config: OmsConfig, now: Timestamp) -> Self {
        Self::recover(config, std::iter::empty(), now).unwrap_or_else(|_| unreachable!())
    }

    /// Rebuilds the OMS from its own event stream, then starts a new run
    /// at `now`. Fails on the first event that does not apply (a corrupt
    /// or foreign stream), naming its position.
    pub fn recover<'a>(
        config: OmsConfig,
        events: impl IntoIterator<Item = &'a OmsEvent>,
        now: Timestamp,
    ) -> Result<Self, RecoverError> {
        let mut state = OmsState::default();
        state.reserve(config.expected_orders);
        for (index, event) in events.into_iter().enumerate() {
            state.apply(event).map_err(|source| RecoverError {
                index,
                source: Box::new(source),
            })?;
        }
        let submit_rate = config.limits.submit_rate.map(RateLimiter::new);
        let modify_rate = config.limits.modify_rate.map(RateLimiter::new);
        let mut oms = Self {
            config,
            state,
            marks: InstrumentMap::new(),
            submit_rate,
            modify_rate,
            reconciliation: None,
            unresolved_alerted: Vec::new(),
            commands: VecDeque::new(),
            events: VecDeque::new(),
            revision: 0,
        };
        oms.record_infallible(OmsEvent::Started { at: now });
        oms.roll_day(now);
        Ok(oms)
    }

    /// The state (orders, positions, trading state).
    pub const fn state(&self) -> &OmsState {
        &self.state
    }

    /// A number that moves whenever [`Self::state`] changes: while it
    /// stays the same, so do the orders and positions, and whatever a
    /// caller derived from them (the strategies' inventory, say) still
    /// holds.
    pub const fn revision(&self) -> u64 {
        self.revision
    }

    /// The configuration.
    pub const fn config(&self) -> &OmsConfig {
        &self.config
    }

    /// The next event to persist.
    pub fn poll_event(&mut self) -> Option<OmsEvent> {
        self.events.pop_front()
    }

    /// The next command for the venue; drain events first.
    pub fn poll_command(&mut self) -> Option<VenueCommand> {
        self.commands.pop_front()
    }

    /// True while reconciliation is waiting for venue answers; new orders
    /// are denied meanwhile.
    pub const fn is_reconciling(&self) -> bool {
        self.reconciliation.is_some()
    }

    /// Acquisitions the submit and the modify throttle would still allow
    /// at `now` (for the risk throttle metrics); `None` for a throttle
    /// that is not configured.
    pub fn throttle_tokens(&self, now: Timestamp) -> (Option<u32>, Option<u32>) {
        let remaining =
            |limiter: &Option<RateLimiter>| limiter.as_ref().map(|limiter| limiter.remaining(now));
        (remaining(&self.submit_rate), remaining(&self.modify_rate))
    }

    /// The last market price of an instrument.
    pub fn mark(&self, instrument: &InstrumentId) -> Option<Price> {
        self.marks.get(instrument).copied()
    }

    /// A new last price for an instrument: used for price bands,
    /// exposure and unrealized PnL.
    pub fn on_market_price(&mut self, instrument: InstrumentId, price: Price) {
        *self.marks.get_or_default(instrument) = price;
    }

    // ----- commands -------------------------------------------------------

    /// Checks an intent against the risk gate and, if it passes, creates
    /// the order and queues its NewOrderSingle. Returns the ClOrdID.
    ///
    /// A denial is recorded as an `IntentDenied` event and nothing goes to
    /// the venue. An intent id that already has an order is denied with
    /// `DUPLICATE_INTENT`: one intent never creates two orders.
    pub fn submit(&mut self, now: Timestamp, intent: OrderIntent) -> Result<ClOrdId, Denial> {
        match self.check_intent(now, &intent) {
            Ok(symbol) => {
                let cl_ord_id = self.state.ids_mut().next_id();
                let command = VenueCommand::New(model::NewOrder {
                    cl_ord_id,
                    instrument: intent.instrument,
                    symbol,
                    side: intent.side,
                    kind: intent.kind,
                    quantity: intent.size,
                    time_in_force: intent.time_in_force,
                    transact_time: now,
                });
                self.record_infallible(OmsEvent::OrderSubmitted {
                    at: now,
                    intent: Box::new(intent),
                    symbol,
                    cl_ord_id,
                });
                self.commands.push_back(command);
                Ok(cl_ord_id)
            }
            Err(denial) => {
                self.record_infallible(OmsEvent::IntentDenied {
                    at: now,
                    intent_id: intent.intent_id(),
                    strategy: intent.strategy,
                    instrument: intent.instrument,
                    denial: denial.clone(),
                });
                Err(denial)
            }
        }
    }

    fn check_intent(
        &mut self,
        now: Timestamp,
        intent: &OrderIntent,
    ) -> Result<model::VenueSymbol, Denial> {
        if self.state.kill_switch() {
            return Err(deny(
                DenyCode::KillSwitchEngaged,
                "reason=kill switch engaged".into(),
            ));
        }
        if self.reconciliation.is_some() {
            return Err(deny(
                DenyCode::Reconciling,
                "reason=waiting for venue order status".into(),
            ));
        }
        if let Some(order) = self.state.order(&intent.intent_id()) {
            return Err(deny(
                DenyCode::DuplicateIntent,
                format!(
                    "intent_id={}, cl_ord_id={}",
                    intent.intent_id(),
                    order.cl_ord_id
                ),
            ));
        }
        let instrument = self.instrument(&intent.instrument)?;
        let terms = OrderTerms {
            instrument,
            side: intent.side,
            kind: intent.kind,
            quantity: intent.size,
            time_in_force: intent.time_in_force,
        };
        let exposure = self.exposure(&intent.instrument, &intent.strategy, None);
        risk::check_submit(
            &self.config.limits,
            self.state.trading_state(),
            &terms,
            &exposure,
            now,
        )?;
        let symbol = instrument.venue_symbol;
        if let Some(limiter) = &mut self.submit_rate
            && !limiter.try_acquire(now)
        {
            return Err(deny(
                DenyCode::SubmitRateExceeded,
                rate_detail(self.config.limits.submit_rate),
            ));
        }
        Ok(symbol)
    }

    fn instrument(&self, id: &InstrumentId) -> Result<&Instrument, Denial> {
        self.config
            .instruments
            .get(id)
            .ok_or_else(|| deny(DenyCode::InstrumentNotFound, format!("instrument={id}")))
    }

    /// Asks the venue to cancel an order. Cancels always pass the risk
    /// gate (whatever the trading state); they fail only for an order that
    /// is not working or already has a cancel in flight.
    pub fn cancel(&mut self, now: Timestamp, intent_id: IntentId) -> Result<ClOrdId, Denial> {
        let order = self
            .state
            .order(&intent_id)
            .ok_or_else(|| deny(DenyCode::OrderNotFound, format!("intent_id={intent_id}")))?;
        if !order.status.is_working()
            || matches!(order.pending, Some(PendingRequest::Cancel { .. }))
        {
            return Err(deny(
                DenyCode::OrderNotModifiable,
                format!("intent_id={intent_id}, status={}", order.status),
            ));
        }
        let cl_ord_id = self.state.ids_mut().next_id();
        let command = self
            .state
            .order(&intent_id)
            .map(|order| order.cancel_request(cl_ord_id, now));
        self.record(OmsEvent::CancelSent {
            at: now,
            intent_id,
            cl_ord_id,
        })
        .map_err(|error| deny(DenyCode::OrderNotModifiable, error.to_string()))?;
        self.commands.extend(command.map(VenueCommand::Cancel));
        Ok(cl_ord_id)
    }

    /// Asks the venue to change an order's quantity and/or prices. The new
    /// terms go through the risk gate; the order type cannot change
    /// between market and priced types.
    pub fn replace(
        &mut self,
        now: Timestamp,
        intent_id: IntentId,
        quantity: Quantity,
        kind: OrderKind,
    ) -> Result<ClOrdId, Denial> {
        let denial = match self.check_replace(now, intent_id, quantity, kind) {
            Ok(order) => {
                let cl_ord_id = self.state.ids_mut().next_id();
                let time_in_force = order.time_in_force;
                self.record(OmsEvent::ReplaceSent {
                    at: now,
                    intent_id,
                    cl_ord_id,
                    quantity,
                    kind,
                    time_in_force,
                })
                .map_err(|error| deny(DenyCode::OrderNotModifiable, error.to_string()))?;
                self.commands.push_back(VenueCommand::Replace(
                    order.replace_request(cl_ord_id, quantity, kind, now),
                ));
                return Ok(cl_ord_id);
            }
            Err(denial) => denial,
        };
        self.record_infallible(OmsEvent::Alert {
            at: now,
            code: AlertCode::ReplaceDenied,
            detail: format!("intent_id={intent_id}, {denial}"),
        });
        Err(denial)
    }

    fn check_replace(
        &mut self,
        now: Timestamp,
        intent_id: IntentId,
        quantity: Quantity,
        kind: OrderKind,
    ) -> Result<Order, Denial> {
        if self.state.kill_switch() {
            return Err(deny(
                DenyCode::KillSwitchEngaged,
                "reason=kill switch engaged".into(),
            ));
        }
        let order = self
            .state
            .order(&intent_id)
            .cloned()
            .ok_or_else(|| deny(DenyCode::OrderNotFound, format!("intent_id={intent_id}")))?;
        let modifiable = matches!(
            order.status,
            OrderStatus::New | OrderStatus::PartiallyFilled
        ) && order.pending.is_none()
            && std::mem::discriminant(&order.kind) == std::mem::discriminant(&kind);
        if !modifiable || quantity <= order.filled {
            return Err(deny(
                DenyCode::OrderNotModifiable,
                format!(
                    "intent_id={intent_id}, status={}, kind={}, new_kind={}, filled={}, new_quantity={quantity}",
                    order.status,
                    order.kind.name(),
                    kind.name(),
                    order.filled
                ),
            ));
        }
        let instrument = self.instrument(&order.instrument)?;
        let terms = OrderTerms {
            instrument,
            side: order.side,
            kind,
            quantity,
            time_in_force: order.time_in_force,
        };
        let existing = ExistingOrder {
            quantity: order.quantity,
            filled: order.filled,
            kind: order.kind,
        };
        let exposure = self.exposure(&order.instrument, &order.strategy, Some(&order));
        risk::check_modify(
            &self.config.limits,
            self.state.trading_state(),
            &existing,
            &terms,
            &exposure,
            now,
        )?;
        if let Some(limiter) = &mut self.modify_rate
            && !limiter.try_acquire(now)
        {
            return Err(deny(
                DenyCode::ModifyRateExceeded,
                rate_detail(self.config.limits.modify_rate),
            ));
        }
        Ok(order)
    }

    /// Cancels every working order (optionally only one instrument's or
    /// one strategy's). Returns how many cancels were queued.
    pub fn cancel_all(
        &mut self,
        now: Timestamp,
        instrument: Option<InstrumentId>,
        strategy: Option<model::StrategyId>,
    ) -> usize {
        let targets: Vec<IntentId> = self
            .state
            .working_orders()
            .filter(|order| !matches!(order.pending, Some(PendingRequest::Cancel { .. })))
            .filter(|order| instrument.is_none_or(|id| id == order.instrument))
            .filter(|order| strategy.is_none_or(|id| id == order.strategy))
            .map(|order| order.intent_id)
            .collect();
        targets
            .into_iter()
            .filter(|intent_id| self.cancel(now, *intent_id).is_ok())
            .count()
    }

    /// Sets the trading state (operator command).
    pub fn set_trading_state(&mut self, now: Timestamp, state: TradingState, reason: &str) {
        if state != self.state.trading_state() {
            self.record_infallible(OmsEvent::TradingStateChanged {
                at: now,
                state,
                reason: reason.to_owned(),
            });
        }
    }

    /// The kill switch: HALTED, and every working order canceled. New
    /// orders are denied until [`Oms::release_kill_switch`].
    pub fn engage_kill_switch(&mut self, now: Timestamp, reason: &str) -> usize {
        if !self.state.kill_switch() {
            self.record_infallible(OmsEvent::KillSwitchEngaged {
                at: now,
                reason: reason.to_owned(),
            });
        }
        self.cancel_all(now, None, None)
    }

    /// Releases the kill switch; trading stays HALTED until
    /// [`Oms::set_trading_state`].
    pub fn release_kill_switch(&mut self, now: Timestamp) {
        if self.state.kill_switch() {
            self.record_infallible(OmsEvent::KillSwitchReleased { at: now });
        }
    }

    // ----- venue side -----------------------------------------------------

    /// The venue session is up: start reconciliation (mass status or one
    /// status query per working order, and positions when offered).
    pub fn on_connected(&mut self, now: Timestamp) {
        let (recon, commands) = Reconciliation::start(now, &self.config.reconcile, &mut self.state);
        self.revision += 1;
        self.reconciliation = Some(recon);
        for command in commands {
            if let VenueCommand::Status(request) = &command
                && let Some(intent_id) = self.state.intent_of(&request.cl_ord_id)
            {
                self.record_infallible(OmsEvent::StatusQueried { at: now, intent_id });
            }
            self.commands.push_back(command);
        }
        self.finish_reconciliation_if_done(now);
    }

    /// One message from the venue.
    pub fn on_venue_event(
        &mut self,
        now: Timestamp,
        event: VenueEvent,
    ) -> Result<VenueEventOutcome, VenueEventError> {
        let outcome = match event {
            VenueEvent::Execution(report) => self.on_execution(now, &report),
            VenueEvent::CancelReject(reject) => self.on_cancel_reject(now, &reject),
            VenueEvent::BusinessReject(reject) => self.on_business_reject(now, &reject),
            VenueEvent::Position(report) => {
                if let Some(recon) = &mut self.reconciliation {
                    recon.on_position(report);
                } else {
                    self.record_infallible(OmsEvent::Alert {
                        at: now,
                        code: AlertCode::UnsolicitedPositionReport,
                        detail: format!("symbol={:?}", report.symbol.map(|s| s.to_string())),
                    });
                }
                Ok(VenueEventOutcome::Ignored)
            }
        };
        self.finish_reconciliation_if_done(now);
        outcome
    }

    fn on_execution(
        &mut self,
        now: Timestamp,
        report: &ExecutionReport,
    ) -> Result<VenueEventOutcome, VenueEventError> {
        let is_status = report.exec_type == ExecType::OrderStatus;
        let intent = self.find_order(report);
        if let Some(recon) = &mut self.reconciliation {
            recon.on_report(report, intent);
        }
        // A mass status reply with TotNumReports 0 is the FIX way of
        // saying "no working orders" (cTrader uses a business reject): it
        // is about no order at all.
        if intent.is_none() && is_status && report.total_reports == Some(0) {
            return Ok(VenueEventOutcome::Ignored);
        }
        let Some(intent_id) = intent else {
            return self.on_unknown_order(now, report);
        };
        let Some(order) = self.state.order(&intent_id).cloned() else {
            return Ok(VenueEventOutcome::Ignored);
        };
        if order.status_queries > 0
            && report.ord_status == OrdStatus::Rejected
            && report.reject_reason == Some(UNKNOWN_ORDER)
        {
            return self.resolve_not_found(now, &order, report.text.as_deref());
        }
        if !is_status && order_has_exec(&order, report) {
            return Ok(VenueEventOutcome::Duplicate);
        }
        let request_id = order
            .pending
            .as_ref()
            .map(PendingRequest::cl_ord_id)
            .copied();
        let is_request_answer = report.cl_ord_id.is_some() && report.cl_ord_id == request_id;
        let update = match report.exec_type {
            ExecType::Trade => Some(self.fill_update(now, &order, report)),
            ExecType::New => Some(OrderUpdate::Accepted {
                order_id: report.order_id,
            }),
            ExecType::Canceled => Some(OrderUpdate::Canceled {
                requested: is_request_answer,
                text: report.text.clone(),
            }),
            ExecType::Replaced if is_request_answer => Some(OrderUpdate::Replaced),
            ExecType::Replaced | ExecType::Restated => Some(OrderUpdate::Restated {
                quantity: report.order_qty.unwrap_or(order.quantity),
                kind: restated_kind(order.kind, report.price),
            }),
            ExecType::Rejected if is_request_answer => Some(match order.pending {
                Some(PendingRequest::Replace { .. }) => OrderUpdate::ReplaceRejected {
                    text: report.text.clone(),
                },
                _ => OrderUpdate::CancelRejected {
                    text: report.text.clone(),
                },
            }),
            ExecType::Rejected => Some(OrderUpdate::Rejected {
                text: report.text.clone(),
            }),
            ExecType::Expired => Some(OrderUpdate::Expired),
            ExecType::DoneForDay => Some(OrderUpdate::DoneForDay),
            ExecType::TradeCancel => report
                .exec_ref_id
                .map(|exec_id| OrderUpdate::FillBusted { exec_id }),
            ExecType::TradeCorrect => {
                report
                    .exec_ref_id
                    .map(|exec_id| OrderUpdate::FillCorrected {
                        exec_id,
                        quantity: report.last_qty,
                        cost: fill_cost(&order, report),
                    })
            }
            ExecType::OrderStatus => {
                return self.apply_status_report(now, &order, report);
            }
            ExecType::PendingNew
            | ExecType::PendingCancel
            | ExecType::PendingReplace
            | ExecType::Stopped
            | ExecType::Suspended
            // Informational: the venue's intermediate states change nothing.
            | ExecType::Calculated => None,
        };
        let Some(update) = update else {
            return Ok(VenueEventOutcome::Ignored);
        };
        self.record_update(now, intent_id, update)?;
        if order.status_queries > 0 && report.exec_type != ExecType::Trade {
            // The answer to a status query may carry fills we missed.
            if let Some(order) = self.state.order(&intent_id).cloned() {
                self.infer_missing_fills(now, &order, report)?;
            }
        }
        Ok(VenueEventOutcome::Applied)
    }

    /// The venue answered a status query with "unknown order": the
    /// `NOT_FOUND_*` rules of [`crate::reconcile`].
    fn resolve_not_found(
        &mut self,
        now: Timestamp,
        order: &Order,
        text: Option<&str>,
    ) -> Result<VenueEventOutcome, VenueEventError> {
        if let Some(recon) = &mut self.reconciliation {
            recon.on_not_found(order.intent_id);
        }
        if !order.status.is_working() {
            return Ok(VenueEventOutcome::Ignored);
        }
        let text = Some(format!(
            "ORDER_NOT_FOUND_AT_VENUE: {}",
            text.unwrap_or("unknown order")
        ));
        let (rule, update) = if order.status == OrderStatus::PendingNew {
            ("NOT_FOUND_PENDING_NEW", OrderUpdate::Rejected { text })
        } else {
            let requested = matches!(order.pending, Some(PendingRequest::Cancel { .. }));
            ("NOT_FOUND_OPEN", OrderUpdate::Canceled { requested, text })
        };
        self.record_infallible(OmsEvent::Alert {
            at: now,
            code: AlertCode::ReconOrderNotFound,
            detail: format!(
                "rule={rule}, intent_id={}, cl_ord_id={}, status={}, filled={}",
                order.intent_id, order.cl_ord_id, order.status, order.filled
            ),
        });
        self.record_update(now, order.intent_id, update)?;
        Ok(VenueEventOutcome::Applied)
    }

    fn fill_update(
        &mut self,
        now: Timestamp,
        order: &Order,
        report: &ExecutionReport,
    ) -> OrderUpdate {
        let cost = fill_cost(order, report);
        if report.last_px.is_none() && report.avg_px.is_none() {
            self.record_infallible(OmsEvent::Alert {
                at: now,
                code: AlertCode::FillPriceAssumed,
                detail: format!(
                    "exec_id={}, order={}: no LastPx or AvgPx; valued at the order's price",
                    report.exec_id, order.cl_ord_id
                ),
            });
        }
        OrderUpdate::Filled {
            exec_id: report.exec_id,
            quantity: report.last_qty,
            cost,
            fee: report.commission.unwrap_or(Money::ZERO),
            transact_time: report.transact_time.unwrap_or(now),
        }
    }

    fn record_update(
        &mut self,
        now: Timestamp,
        intent_id: IntentId,
        update: OrderUpdate,
    ) -> Result<(), VenueEventError> {
        let overfill_before = self.state.order(&intent_id).map(|order| order.overfill);
        let event = OmsEvent::OrderUpdated {
            at: now,
            intent_id,
            update,
        };
        if let Err(error) = self.record(event) {
            self.record_infallible(OmsEvent::Alert {
                at: now,
                code: AlertCode::InconsistentReport,
                detail: error.to_string(),
            });
            return Err(VenueEventError::Inconsistent(Box::new(error)));
        }
        if let (Some(overfill_before), Some(order)) =
            (overfill_before, self.state.order(&intent_id))
            && order.overfill > overfill_before
        {
            let detail = format!(
                "intent_id={intent_id}, cl_ord_id={}, quantity={}, overfill={}",
                order.cl_ord_id, order.quantity, order.overfill
            );
            self.record_infallible(OmsEvent::Alert {
                at: now,
                code: AlertCode::Overfill,
                detail,
            });
        }
        Ok(())
    }

    /// Brings an order in line with a status report: fills the OMS missed
    /// are inferred, then the status mirrors the venue's.
    fn apply_status_report(
        &mut self,
        now: Timestamp,
        order: &Order,
        report: &ExecutionReport,
    ) -> Result<VenueEventOutcome, VenueEventError> {
        let intent_id = order.intent_id;
        let booked = order.traded();
        let venue_working = matches!(
            report.ord_status,
            OrdStatus::New
                | OrdStatus::PartiallyFilled
                | OrdStatus::PendingNew
                | OrdStatus::PendingCancel
                | OrdStatus::PendingReplace
        );
        if report.cum_qty < booked || (!order.status.is_working() && venue_working) {
            let rule = if report.cum_qty < booked {
                "VENUE_CUM_BELOW"
            } else {
                "TERMINAL_BUT_WORKING"
            };
            self.record_infallible(OmsEvent::Alert {
                at: now,
                code: AlertCode::ReconConflict,
                detail: format!(
                    "rule={rule}, intent_id={intent_id}, cl_ord_id={}, emp_status={}, emp_filled={booked}, venue_status={:?}, venue_cum_qty={}",
                    order.cl_ord_id, order.status, report.ord_status, report.cum_qty
                ),
            });
            self.set_trading_state(
                now,
                TradingState::Halted,
                &format!("reconciliation conflict {rule} on {}", order.cl_ord_id),
            );
            return Ok(VenueEventOutcome::Ignored);
        }
        if order.order_id.is_none() && report.order_id.is_some()
            || order.status == OrderStatus::PendingNew
                && report.ord_status != OrdStatus::PendingNew
                && report.ord_status != OrdStatus::Rejected
        {
            self.record_update(
                now,
                intent_id,
                OrderUpdate::Accepted {
                    order_id: report.order_id,
                },
            )?;
        }
        let order = self
            .state
            .order(&intent_id)
            .cloned()
            .unwrap_or_else(|| order.clone());
        self.infer_missing_fills(now, &order, report)?;
        let order = self.state.order(&intent_id).cloned().unwrap_or(order);
        let update = match report.ord_status {
            OrdStatus::Canceled if order.status.is_working() => Some(OrderUpdate::Canceled {
                requested: matches!(order.pending, Some(PendingRequest::Cancel { .. })),
                text: report.text.clone(),
            }),
            OrdStatus::Expired if order.status.is_working() => Some(OrderUpdate::Expired),
            OrdStatus::Rejected if order.status.is_working() => Some(OrderUpdate::Rejected {
                text: report.text.clone(),
            }),
            OrdStatus::DoneForDay if order.status.is_working() => Some(OrderUpdate::DoneForDay),
            OrdStatus::Filled | OrdStatus::Canceled | OrdStatus::Expired | OrdStatus::Rejected
                if !order.status.is_working() && order.pending.is_some() =>
            {
                // Done at the venue and here: the request in flight came
                // too late and its answer was lost.
                Some(match order.pending {
                    Some(PendingRequest::Replace { .. }) => OrderUpdate::ReplaceRejected {
                        text: Some("status report: the order is done".into()),
                    },
                    _ => OrderUpdate::CancelRejected {
                        text: Some("status report: the order is done".into()),
                    },
                })
            }
            OrdStatus::New | OrdStatus::PartiallyFilled
                if order.pending.is_some() && report.cl_ord_id == Some(order.cl_ord_id) =>
            {
                // The venue still works the order under its old ClOrdID:
                // the cancel or replace in flight did not take effect.
                Some(match order.pending {
                    Some(PendingRequest::Replace { .. }) => OrderUpdate::ReplaceRejected {
                        text: Some("status report: replace not applied".into()),
                    },
                    _ => OrderUpdate::CancelRejected {
                        text: Some("status report: cancel not applied".into()),
                    },
                })
            }
            OrdStatus::New | OrdStatus::PartiallyFilled
                if order.pending.is_some()
                    && report.cl_ord_id.is_some()
                    && report.cl_ord_id
                        == order
                            .pending
                            .as_ref()
                            .map(PendingRequest::cl_ord_id)
                            .copied() =>
            {
                Some(OrderUpdate::Replaced)
            }
            _ => None,
        };
        if let Some(update) = update {
            self.record_update(now, intent_id, update)?;
        }
        Ok(VenueEventOutcome::Applied)
    }

    /// When a report's CumQty is above what the OMS has, the difference
    /// is a fill the OMS missed (lost while disconnected): it is applied
    /// with a deterministic ExecID (`RECON-<OrderID or ClOrdID>-<CumQty>`)
    /// so that a replay or a second report does not apply it twice, and
    /// valued from AvgPx × CumQty minus what is already booked.
    fn infer_missing_fills(
        &mut self,
        now: Timestamp,
        order: &Order,
        report: &ExecutionReport,
    ) -> Result<(), VenueEventError> {
        let booked = order.traded();
        let Some(missing) = report.cum_qty.checked_sub(booked).filter(|q| !q.is_zero()) else {
            return Ok(());
        };
        let cost = match report.avg_px {
            Some(avg) => avg
                .notional(report.cum_qty)
                .checked_sub(order.filled_cost)
                .unwrap_or(Money::ZERO),
            None => order
                .kind
                .reference_price()
                .or_else(|| self.mark(&order.instrument))
                .map_or(Money::ZERO, |px| px.notional(missing)),
        };
        let key = report
            .order_id
            .map_or_else(|| order.cl_ord_id.to_string(), |id| id.to_string());
        let exec_id = model::ExecId::new(&truncate(
            &format!("RECON-{key}-{}", report.cum_qty),
            model::ExecId::CAPACITY,
        ))
        .unwrap_or(report.exec_id);
        if order.has_exec(&exec_id) {
            return Ok(());
        }
        self.record_infallible(OmsEvent::Alert {
            at: now,
            code: AlertCode::ReconFillInferred,
            detail: format!(
                "intent_id={}, cl_ord_id={}, venue_cum_qty={}, booked={booked}, inferred={missing}",
                order.intent_id, order.cl_ord_id, report.cum_qty
            ),
        });
        self.record_update(
            now,
            order.intent_id,
            OrderUpdate::Filled {
                exec_id,
                quantity: missing,
                cost,
                fee: Money::ZERO,
                transact_time: report.transact_time.unwrap_or(now),
            },
        )
    }

    fn on_unknown_order(
        &mut self,
        now: Timestamp,
        report: &ExecutionReport,
    ) -> Result<VenueEventOutcome, VenueEventError> {
        // An order EMP has no record of: a manual order, or one from a run
        // whose events were lost. Adopt it, so its fills count.
        let (Some(order_id), Some(instrument)) = (
            report.order_id,
            self.config.instruments.by_symbol(&report.symbol),
        ) else {
            self.record_infallible(OmsEvent::Alert {
                at: now,
                code: AlertCode::UnknownOrderReport,
                detail: format!(
                    "exec_id={}, cl_ord_id={:?}, symbol={}: no OrderID or unknown symbol; not applied",
                    report.exec_id,
                    report.cl_ord_id.map(|id| id.to_string()),
                    report.symbol
                ),
            });
            return Ok(VenueEventOutcome::Ignored);
        };
        let instrument_id = instrument.id;
        let intent_id = IntentId::for_external_order(&order_id);
        let cl_ord_id = report.cl_ord_id.unwrap_or_else(|| {
            ClOrdId::from_ascii(order_id.as_bytes())
                .unwrap_or_else(|_| unreachable!("same capacity"))
        });
        let quantity = report
            .order_qty
            .or_else(|| report.cum_qty.checked_add(report.leaves_qty))
            .unwrap_or(report.cum_qty);
        let kind = report
            .price
            .map_or(OrderKind::Market, |price| OrderKind::Limit { price });
        self.record(OmsEvent::ExternalOrderAdopted {
            at: now,
            intent_id,
            order_id,
            cl_ord_id,
            instrument: instrument_id,
            symbol: report.symbol,
            side: report.side,
            kind,
            quantity,
        })
        .map_err(|error| VenueEventError::Inconsistent(Box::new(error)))?;
        self.record_infallible(OmsEvent::Alert {
            at: now,
            code: AlertCode::ExternalOrderAdopted,
            detail: format!(
                "order_id={order_id}, symbol={}, side={}, quantity={quantity}",
                report.symbol, report.side
            ),
        });
        let order = self.state.order(&intent_id).cloned();
        if let Some(order) = order {
            if report.exec_type == ExecType::Trade {
                let update = self.fill_update(now, &order, report);
                self.record_update(now, intent_id, update)?;
            } else {
                self.apply_status_report(now, &order, report)?;
            }
            if self.config.reconcile.cancel_unknown_orders {
                let _ = self.cancel(now, intent_id);
            }
        }
        Ok(VenueEventOutcome::Applied)
    }

    fn find_order(&self, report: &ExecutionReport) -> Option<IntentId> {
        report
            .cl_ord_id
            .and_then(|id| self.state.intent_of(&id))
            .or_else(|| {
                report
                    .orig_cl_ord_id
                    .and_then(|id| self.state.intent_of(&id))
            })
            .or_else(|| {
                report
                    .order_id
                    .and_then(|id| self.state.intent_of_order_id(&id))
            })
    }

    fn on_cancel_reject(
        &mut self,
        now: Timestamp,
        reject: &model::CancelReject,
    ) -> Result<VenueEventOutcome, VenueEventError> {
        let Some(intent_id) = self.state.intent_of(&reject.cl_ord_id) else {
            self.record_infallible(OmsEvent::Alert {
                at: now,
                code: AlertCode::UnknownCancelReject,
                detail: format!("cl_ord_id={}", reject.cl_ord_id),
            });
            return Ok(VenueEventOutcome::Ignored);
        };
        let Some(order) = self.state.order(&intent_id) else {
            return Ok(VenueEventOutcome::Ignored);
        };
        if order.pending.as_ref().map(PendingRequest::cl_ord_id) != Some(&reject.cl_ord_id) {
            // An answer to a request already resolved (a resend).
            return Ok(VenueEventOutcome::Duplicate);
        }
        let update = match reject.response_to {
            model::CancelRejectResponseTo::Cancel => OrderUpdate::CancelRejected {
                text: reject.text.clone(),
            },
            model::CancelRejectResponseTo::Replace => OrderUpdate::ReplaceRejected {
                text: reject.text.clone(),
            },
        };
        self.record_update(now, intent_id, update)?;
        Ok(VenueEventOutcome::Applied)
    }

    fn on_business_reject(
        &mut self,
        now: Timestamp,
        reject: &model::BusinessReject,
    ) -> Result<VenueEventOutcome, VenueEventError> {
        if let Some(recon) = &mut self.reconciliation
            && recon.on_business_reject(reject)
        {
            return Ok(VenueEventOutcome::Applied);
        }
        let intent_id = reject
            .ref_id
            .as_deref()
            .and_then(|id| ClOrdId::new(id).ok())
            .and_then(|id| self.state.intent_of(&id).map(|intent| (intent, id)));
        let Some((intent_id, ref_id)) = intent_id else {
            self.record_infallible(OmsEvent::Alert {
                at: now,
                code: AlertCode::BusinessReject,
                detail: format!(
                    "ref_msg_type={:?}, ref_id={:?}, reason={}, text={:?}",
                    reject.ref_msg_type, reject.ref_id, reject.reason, reject.text
                ),
            });
            return Ok(VenueEventOutcome::Ignored);
        };
        let Some(order) = self.state.order(&intent_id).cloned() else {
            return Ok(VenueEventOutcome::Ignored);
        };
        if order.status_queries > 0
            && reject.ref_msg_type.as_deref() == Some("H")
            && order.cl_ord_id == ref_id
        {
            return self.resolve_not_found(now, &order, reject.text.as_deref());
        }
        let update = match &order.pending {
            Some(PendingRequest::Cancel { cl_ord_id }) if *cl_ord_id == ref_id => {
                OrderUpdate::CancelRejected {
                    text: reject.text.clone(),
                }
            }
            Some(PendingRequest::Replace { cl_ord_id, .. }) if *cl_ord_id == ref_id => {
                OrderUpdate::ReplaceRejected {
                    text: reject.text.clone(),
                }
            }
            _ if order.status == OrderStatus::PendingNew && order.cl_ord_id == ref_id => {
                OrderUpdate::Rejected {
                    text: reject.text.clone(),
                }
            }
            _ => return Ok(VenueEventOutcome::Duplicate),
        };
        self.record_update(now, intent_id, update)?;
        Ok(VenueEventOutcome::Applied)
    }

    // ----- time -------------------------------------------------------------

    /// When [`Oms::handle_timeout`] next has work: an in-flight check, a
    /// reconciliation deadline or the day roll.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let in_flight = self
            .state
            .in_flight_orders()
            .filter_map(|order| self.query_deadline(order))
            .min();
        let recon = self.reconciliation.as_ref().map(Reconciliation::deadline);
        let day = Timestamp::from_unix_nanos(
            (self.state.day() + 1)
                .saturating_mul(NANOS_PER_DAY)
                .saturating_add(self.config.day_roll_offset_nanos),
        );
        [in_flight, recon, Some(day)].into_iter().flatten().min()
    }

    /// Timer work: status queries for requests unanswered past the
    /// in-flight timeout, the reconciliation deadline, the day roll.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.roll_day(now);
        if let Some(recon) = &self.reconciliation
            && now >= recon.deadline()
        {
            let detail = recon.describe_pending();
            self.reconciliation = None;
            self.record_infallible(OmsEvent::Alert {
                at: now,
                code: AlertCode::ReconTimeout,
                detail: detail.clone(),
            });
            self.set_trading_state(
                now,
                TradingState::Halted,
                &format!("reconciliation timed out: {detail}"),
            );
        }
        let due: Vec<Order> = self
            .state
            .in_flight_orders()
            .filter(|order| {
                self.query_deadline(order)
                    .is_some_and(|deadline| now >= deadline)
            })
            .cloned()
            .collect();
        for order in due {
            if order.status_queries >= self.config.max_status_queries {
                if !self.unresolved_alerted.contains(&order.intent_id) {
                    self.unresolved_alerted.push(order.intent_id);
                    self.record_infallible(OmsEvent::Alert {
                        at: now,
                        code: AlertCode::Unresolved,
                        detail: format!(
                            "intent_id={}, cl_ord_id={}, status={}: no answer after {} status queries; the order stays in flight",
                            order.intent_id, order.cl_ord_id, order.status, order.status_queries
                        ),
                    });
                }
                continue;
            }
            self.record_infallible(OmsEvent::StatusQueried {
                at: now,
                intent_id: order.intent_id,
            });
            self.commands
                .push_back(VenueCommand::Status(order.status_request()));
        }
    }

    /// When an in-flight order is next due a status query (or, after the
    /// last query, the UNRESOLVED alert): the timeout after the request,
    /// then once more per query already sent.
    fn query_deadline(&self, order: &Order) -> Option<Timestamp> {
        let since = order.in_flight_since?;
        if self.unresolved_alerted.contains(&order.intent_id) {
            return None;
        }
        let waits = u64::from(order.status_queries.min(self.config.max_status_queries)) + 1;
        since.checked_add_nanos(self.config.in_flight_timeout_nanos.saturating_mul(waits))
    }

    fn roll_day(&mut self, now: Timestamp) {
        let day = now
            .unix_nanos()
            .saturating_sub(self.config.day_roll_offset_nanos)
            / NANOS_PER_DAY;
        if day > self.state.day() {
            self.record_infallible(OmsEvent::DayStarted { at: now, day });
        }
    }

    fn finish_reconciliation_if_done(&mut self, now: Timestamp) {
        let Some(recon) = &mut self.reconciliation else {
            return;
        };
        let step = recon.next_step(&self.state);
        match step {
            crate::reconcile::Step::Waiting => {}
            crate::reconcile::Step::Query(orders) => {
                for intent_id in orders {
                    if let Some(order) = self.state.order(&intent_id).cloned() {
                        self.record_infallible(OmsEvent::StatusQueried { at: now, intent_id });
                        self.commands
                            .push_back(VenueCommand::Status(order.status_request()));
                    }
                }
            }
            crate::reconcile::Step::Resolve(plan) => {
                self.reconciliation = None;
                let marks = self.marks.clone();
                for event in plan.into_events(now, &self.state, &self.config, &marks) {
                    let _ = self.record(event);
                }
            }
        }
    }

    // ----- exposure ---------------------------------------------------------

    fn exposure(
        &self,
        instrument: &InstrumentId,
        strategy: &model::StrategyId,
        replacing: Option<&Order>,
    ) -> ExposureView {
        let mark = |id: &InstrumentId| self.marks.get(id).copied();
        let positions = self.state.positions();
        let mut working = self.state.working_on(instrument);
        if let Some(order) = replacing {
            let leaves = order.leaves();
            match order.side {
                model::Side::Buy => working.buys = working.buys.saturating_sub(leaves),
                model::Side::Sell => working.sells = working.sells.saturating_sub(leaves),
            }
        }
        // A sum that overflows, or an open position with no mark, counts
        // as the largest exposure: the caps then deny, which is the safe
        // answer when the exposure is unknown.
        let mut gross = positions
            .gross_exposure(mark)
            .unwrap_or(Money::from_raw(i128::MAX));
        let mut net = positions
            .net_exposure(mark)
            .unwrap_or(Money::from_raw(i128::MAX));
        for ((id, _), qty) in self.state.working_all() {
            if let Some(px) = mark(id) {
                let buys = px.notional(qty.buys);
                let sells = px.notional(qty.sells);
                gross = gross
                    .checked_add(buys.abs())
                    .and_then(|g| g.checked_add(sells.abs()))
                    .unwrap_or(gross);
                net = net
                    .checked_add(buys)
                    .and_then(|n| n.checked_sub(sells))
                    .unwrap_or(net);
            }
        }
        let unrealized = positions.unrealized_total(mark).unwrap_or(Money::ZERO);
        let equity = self
            .state
            .realized_net()
            .checked_add(unrealized)
            .unwrap_or(Money::ZERO);
        let mine = self.state.working(instrument, strategy);
        let (mine_buys, mine_sells) = match replacing {
            Some(order) if order.side == model::Side::Buy => {
                (mine.buys.saturating_sub(order.leaves()), mine.sells)
            }
            Some(order) => (mine.buys, mine.sells.saturating_sub(order.leaves())),
            None => (mine.buys, mine.sells),
        };
        ExposureView {
            strategy_open_buys: mine_buys,
            strategy_open_sells: mine_sells,
            instrument_position: positions.instrument_net(instrument),
            strategy_position: positions.strategy_net(instrument, strategy),
            instrument_open_buys: working.buys,
            instrument_open_sells: working.sells,
            last_price: mark(instrument),
            gross_exposure: gross,
            net_exposure: net,
            daily_pnl: equity
                .checked_sub(self.state.day_start_net())
                .unwrap_or(Money::ZERO),
            drawdown: self
                .state
                .peak_net()
                .checked_sub(equity)
                .unwrap_or(Money::ZERO)
                .max(Money::ZERO),
        }
    }

    // ----- recording --------------------------------------------------------

    fn record(&mut self, event: OmsEvent) -> Result<(), ApplyError> {
        self.state.apply(&event)?;
        self.revision += 1;
        self.events.push_back(event);
        Ok(())
    }

    /// Records an event whose application cannot fail (no order lookup).
    fn record_infallible(&mut self, event: OmsEvent) {
        if let Err(error) = self.state.apply(&event) {
            self.events.push_back(OmsEvent::Alert {
                at: Timestamp::UNIX_EPOCH,
                code: AlertCode::Internal,
                detail: error.to_string(),
            });
            return;
        }
        self.revision += 1;
        self.events.push_back(event);
    }
}

/// An event in a recovery stream that does not apply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "OMS event #{index} of the recovery stream does not apply: {source}; the journal is corrupt or belongs to another OMS"
)]
pub struct RecoverError {
    /// Position of the event in the stream, from 0.
    pub index: usize,
    /// Why.
    pub source: Box<ApplyError>,
}

fn deny(code: DenyCode, detail: String) -> Denial {
    Denial::new(code, detail)
}

fn rate_detail(limit: Option<risk::RateLimit>) -> String {
    limit.map_or_else(String::new, |limit| {
        format!("max={}, per_nanos={}", limit.max, limit.per_nanos)
    })
}

fn order_has_exec(order: &Order, report: &ExecutionReport) -> bool {
    report.exec_type == ExecType::Trade && order.has_exec(&report.exec_id)
}

/// The exact value of a fill: LastQty × LastPx, or, when the venue sends
/// no LastPx (cTrader), AvgPx × CumQty minus what is already booked.
fn fill_cost(order: &Order, report: &ExecutionReport) -> Money {
    if let Some(px) = report.last_px {
        return px.notional(report.last_qty);
    }
    if let Some(avg) = report.avg_px {
        return avg
            .notional(report.cum_qty)
            .checked_sub(order.filled_cost)
            .unwrap_or_else(|| avg.notional(report.last_qty));
    }
    order
        .kind
        .reference_price()
        .map_or(Money::ZERO, |px| px.notional(report.last_qty))
}

fn restated_kind(kind: OrderKind, price: Option<Price>) -> OrderKind {
    match (kind, price) {
        (OrderKind::Limit { .. }, Some(price)) => OrderKind::Limit { price },
        (OrderKind::StopLimit { stop, .. }, Some(price)) => OrderKind::StopLimit { stop, price },
        (kind, _) => kind,
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
