//! The OMS's state, and the one function that changes it: [`OmsState::apply`].

use std::collections::{BTreeMap, BTreeSet};

use model::{
    ClOrdId, InstrumentId, IntentId, Money, OrderId, Quantity, Side, StrategyId, TimeInForce,
};

use crate::clordid::ClOrdIdGenerator;
use crate::events::{OmsEvent, OrderUpdate};
use crate::fast_hash::FastMap;
use crate::order::{Fill, Order, PendingRequest};
use crate::position::{PositionError, Positions};
use crate::risk::TradingState;
use crate::status::{InvalidTransition, OrderStatus, StatusEvent, transition};

/// Unfilled quantity of working orders, by side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkingQuantity {
    /// Σ leaves of working buy orders.
    pub buys: Quantity,
    /// Σ leaves of working sell orders.
    pub sells: Quantity,
}

/// Why an event cannot be applied. The state is unchanged when this is
/// returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The event names an order the state does not have.
    #[error("event for unknown order {0}")]
    UnknownOrder(IntentId),
    /// An order with this intent id exists already.
    #[error("order {0} exists already")]
    DuplicateOrder(IntentId),
    /// The status change is not in the transition table.
    #[error("order {intent_id}: {source}")]
    Transition {
        /// The order.
        intent_id: IntentId,
        /// The refused transition.
        source: InvalidTransition,
    },
    /// A replace confirmation with no replace in flight.
    #[error("order {0}: replace confirmed but no replace request is in flight")]
    NoPendingReplace(IntentId),
    /// A bust or correction for a fill the order does not have.
    #[error("order {intent_id}: no fill with ExecID {exec_id}")]
    UnknownFill {
        /// The order.
        intent_id: IntentId,
        /// The ExecID named.
        exec_id: String,
    },
    /// Position arithmetic overflowed.
    #[error("order {intent_id}: position update failed: {source}")]
    Position {
        /// The order.
        intent_id: IntentId,
        /// The failure.
        source: PositionError,
    },
    /// A reconciliation position adjustment could not be applied.
    #[error("reconciliation position adjustment failed: {0}")]
    PositionAdjustment(PositionError),
    /// Quantity arithmetic overflowed.
    #[error("order {0}: quantity overflow")]
    Overflow(IntentId),
}

/// Everything the OMS knows, rebuilt exactly by applying its events in
/// order. Market prices and rate-limit windows are not state: they come
/// back with fresh data after a restart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OmsState {
    // Boxed: B-tree inserts shift values within a node, and an Order is
    // several hundred bytes.
    orders: BTreeMap<IntentId, Box<Order>>,
    by_cl_ord_id: FastMap<ClOrdId, IntentId>,
    by_order_id: FastMap<OrderId, IntentId>,
    // Orders with a request in flight: the timer scans these, not the
    // whole day's orders.
    in_flight: BTreeSet<IntentId>,
    working: BTreeMap<(InstrumentId, StrategyId), WorkingQuantity>,
    positions: Positions,
    trading_state: TradingState,
    kill_switch: bool,
    ids: ClOrdIdGenerator,
    day: u64,
    day_start_net: Money,
    peak_net: Money,
    /// The highest intent epoch of any order.
    max_epoch: Option<u64>,
    /// Orders still working: decisions read these on every event, so they
    /// must not scan the whole day's orders.
    live: BTreeSet<IntentId>,
}

impl OmsState {
    /// The highest intent epoch of any order so far (across runs, once
    /// rebuilt from the journal): a new run numbers its epochs above it.
    pub const fn max_epoch(&self) -> Option<u64> {
        self.max_epoch
    }

    /// Sizes the id indexes for `orders` orders, each with a cancel or
    /// replace ClOrdID besides its own, so they do not rehash while
    /// trading.
    pub fn reserve(&mut self, orders: usize) {
        self.by_cl_ord_id.reserve(orders.saturating_mul(2));
        self.by_order_id.reserve(orders);
    }

    /// The orders still working (pending, resting, or with a request in
    /// flight), by intent id: a walk over these only, whatever the
    /// number of finished orders.
    pub fn working_orders(&self) -> impl Iterator<Item = &Order> {
        self.live
            .iter()
            .filter_map(|intent_id| self.orders.get(intent_id).map(|order| &**order))
    }

    /// Every order, by intent id.
    pub fn orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.values().map(|order| &**order)
    }

    /// The order created by this intent.
    pub fn order(&self, intent_id: &IntentId) -> Option<&Order> {
        self.orders.get(intent_id).map(|order| &**order)
    }

    /// The order a ClOrdID (any in its chain, or a cancel or replace
    /// request's) belongs to.
    pub fn order_by_cl_ord_id(&self, cl_ord_id: &ClOrdId) -> Option<&Order> {
        self.by_cl_ord_id
            .get(cl_ord_id)
            .and_then(|id| self.order(id))
    }

    /// The order with this venue OrderID.
    pub fn order_by_order_id(&self, order_id: &OrderId) -> Option<&Order> {
        self.by_order_id.get(order_id).and_then(|id| self.order(id))
    }

    /// Orders with a request (new, cancel, replace) the venue has not
    /// answered.
    pub fn in_flight_orders(&self) -> impl Iterator<Item = &Order> {
        self.in_flight.iter().filter_map(|id| self.order(id))
    }

    /// Positions and PnL.
    pub fn positions(&self) -> &Positions {
        &self.positions
    }

    /// Unfilled quantity of working orders of one strategy on one
    /// instrument.
    pub fn working(&self, instrument: &InstrumentId, strategy: &StrategyId) -> WorkingQuantity {
        self.working
            .get(&(*instrument, *strategy))
            .copied()
            .unwrap_or_default()
    }

    /// Unfilled quantity of working orders on one instrument, all
    /// strategies.
    pub fn working_on(&self, instrument: &InstrumentId) -> WorkingQuantity {
        let mut total = WorkingQuantity::default();
        for ((id, _), qty) in &self.working {
            if id == instrument {
                total.buys = total.buys.checked_add(qty.buys).unwrap_or(total.buys);
                total.sells = total.sells.checked_add(qty.sells).unwrap_or(total.sells);
            }
        }
        total
    }

    /// Working quantities of every (instrument, strategy).
    pub fn working_all(
        &self,
    ) -> impl Iterator<Item = (&(InstrumentId, StrategyId), &WorkingQuantity)> {
        self.working.iter()
    }

    /// ACTIVE, REDUCING or HALTED.
    pub const fn trading_state(&self) -> TradingState {
        self.trading_state
    }

    /// True while the kill switch is engaged.
    pub const fn kill_switch(&self) -> bool {
        self.kill_switch
    }

    /// The current trading day (see [`OmsEvent::DayStarted`]).
    pub const fn day(&self) -> u64 {
        self.day
    }

    /// Total fees paid.
    pub const fn fees(&self) -> Money {
        self.positions.fees_total()
    }

    /// Realized PnL net of fees.
    pub fn realized_net(&self) -> Money {
        self.positions
            .realized_total()
            .checked_sub(self.positions.fees_total())
            .unwrap_or(Money::ZERO)
    }

    /// Realized PnL net of fees at the start of the day.
    pub const fn day_start_net(&self) -> Money {
        self.day_start_net
    }

    /// Highest realized PnL net of fees so far.
    pub const fn peak_net(&self) -> Money {
        self.peak_net
    }

    pub(crate) fn ids_mut(&mut self) -> &mut ClOrdIdGenerator {
        &mut self.ids
    }

    pub(crate) fn intent_of(&self, cl_ord_id: &ClOrdId) -> Option<IntentId> {
        self.by_cl_ord_id.get(cl_ord_id).copied()
    }

    pub(crate) fn intent_of_order_id(&self, order_id: &OrderId) -> Option<IntentId> {
        self.by_order_id.get(order_id).copied()
    }

    /// Applies one event. On error nothing changed.
    pub fn apply(&mut self, event: &OmsEvent) -> Result<(), ApplyError> {
        match event {
            OmsEvent::Started { at } => {
                self.ids = ClOrdIdGenerator::starting_at(*at);
                Ok(())
            }
            OmsEvent::OrderSubmitted {
                at,
                intent,
                symbol,
                cl_ord_id,
            } => {
                let intent_id = intent.intent_id();
                if self.orders.contains_key(&intent_id) {
                    return Err(ApplyError::DuplicateOrder(intent_id));
                }
                self.max_epoch = Some(
                    self.max_epoch
                        .map_or(intent.epoch, |max| max.max(intent.epoch)),
                );
                let order = Order {
                    intent_id,
                    strategy: intent.strategy,
                    instrument: intent.instrument,
                    symbol: *symbol,
                    side: intent.side,
                    kind: intent.kind,
                    quantity: intent.size,
                    time_in_force: intent.time_in_force,
                    status: OrderStatus::PendingNew,
                    previous_status: OrderStatus::PendingNew,
                    cl_ord_id: *cl_ord_id,
                    replaced_cl_ord_ids: Vec::new(),
                    order_id: None,
                    pending: None,
                    filled: Quantity::ZERO,
                    overfill: Quantity::ZERO,
                    filled_cost: Money::ZERO,
                    fees: Money::ZERO,
                    fills: Vec::new(),
                    created: *at,
                    updated: *at,
                    in_flight_since: Some(*at),
                    status_queries: 0,
                    last_text: None,
                };
                self.ids.observe(cl_ord_id);
                self.by_cl_ord_id.insert(*cl_ord_id, intent_id);
                self.insert_order(order);
                Ok(())
            }
            OmsEvent::IntentDenied { .. } | OmsEvent::Alert { .. } => Ok(()),
            OmsEvent::CancelSent {
                at,
                intent_id,
                cl_ord_id,
            } => self.update_order(*intent_id, |order| {
                order.apply_status(StatusEvent::CancelRequested)?;
                order.pending = Some(PendingRequest::Cancel {
                    cl_ord_id: *cl_ord_id,
                });
                order.in_flight_since = Some(*at);
                order.status_queries = 0;
                order.updated = *at;
                Ok(Some(*cl_ord_id))
            }),
            OmsEvent::ReplaceSent {
                at,
                intent_id,
                cl_ord_id,
                quantity,
                kind,
                time_in_force,
            } => self.update_order(*intent_id, |order| {
                order.apply_status(StatusEvent::ReplaceRequested)?;
                order.pending = Some(PendingRequest::Replace {
                    cl_ord_id: *cl_ord_id,
                    quantity: *quantity,
                    kind: *kind,
                    time_in_force: *time_in_force,
                });
                order.in_flight_since = Some(*at);
                order.status_queries = 0;
                order.updated = *at;
                Ok(Some(*cl_ord_id))
            }),
            OmsEvent::StatusQueried { at, intent_id } => self.update_order(*intent_id, |order| {
                order.status_queries = order.status_queries.saturating_add(1);
                order.updated = *at;
                Ok(None)
            }),
            OmsEvent::OrderUpdated {
                at,
                intent_id,
                update,
            } => self.apply_update(*at, *intent_id, update),
            OmsEvent::ExternalOrderAdopted {
                at,
                intent_id,
                order_id,
                cl_ord_id,
                instrument,
                symbol,
                side,
                kind,
                quantity,
            } => {
                if self.orders.contains_key(intent_id) {
                    return Err(ApplyError::DuplicateOrder(*intent_id));
                }
                let order = Order {
                    intent_id: *intent_id,
                    strategy: external_strategy(),
                    instrument: *instrument,
                    symbol: *symbol,
                    side: *side,
                    kind: *kind,
                    quantity: *quantity,
                    time_in_force: TimeInForce::GoodTillCancel,
                    status: OrderStatus::New,
                    previous_status: OrderStatus::New,
                    cl_ord_id: *cl_ord_id,
                    replaced_cl_ord_ids: Vec::new(),
                    order_id: Some(*order_id),
                    pending: None,
                    filled: Quantity::ZERO,
                    overfill: Quantity::ZERO,
                    filled_cost: Money::ZERO,
                    fees: Money::ZERO,
                    fills: Vec::new(),
                    created: *at,
                    updated: *at,
                    in_flight_since: None,
                    status_queries: 0,
                    last_text: None,
                };
                self.by_cl_ord_id.entry(*cl_ord_id).or_insert(*intent_id);
                self.by_order_id.insert(*order_id, *intent_id);
                self.insert_order(order);
                Ok(())
            }
            OmsEvent::PositionAdjusted {
                instrument,
                strategy,
                side,
                quantity,
                cost,
                ..
            } => self
                .positions
                .apply_fill(*instrument, *strategy, *side, *quantity, *cost, Money::ZERO)
                .map_err(ApplyError::PositionAdjustment),
            OmsEvent::TradingStateChanged { state, .. } => {
                self.trading_state = *state;
                Ok(())
            }
            OmsEvent::KillSwitchEngaged { .. } => {
                self.kill_switch = true;
                self.trading_state = TradingState::Halted;
                Ok(())
            }
            OmsEvent::KillSwitchReleased { .. } => {
                self.kill_switch = false;
                Ok(())
            }
            OmsEvent::DayStarted { day, .. } => {
                self.day = *day;
                self.day_start_net = self.realized_net();
                Ok(())
            }
        }
    }

    fn insert_order(&mut self, order: Order) {
        let contribution = working_contribution(&order);
        let key = (order.instrument, order.strategy);
        if order.in_flight_since.is_some() {
            self.in_flight.insert(order.intent_id);
        }
        if order.status.is_working() {
            self.live.insert(order.intent_id);
        }
        self.orders.insert(order.intent_id, Box::new(order));
        self.adjust_working(key, contribution, true);
    }

    fn adjust_working(
        &mut self,
        key: (InstrumentId, StrategyId),
        qty: (Side, Quantity),
        add: bool,
    ) {
        let (side, qty) = qty;
        if qty.is_zero() {
            return;
        }
        let entry = self.working.entry(key).or_default();
        let slot = match side {
            Side::Buy => &mut entry.buys,
            Side::Sell => &mut entry.sells,
        };
        *slot = if add {
            slot.checked_add(qty).unwrap_or(*slot)
        } else {
            slot.saturating_sub(qty)
        };
        if entry.buys.is_zero() && entry.sells.is_zero() {
            self.working.remove(&key);
        }
    }

    /// Runs `change` on the order, then indexes a new ClOrdID it returns
    /// and moves the working quantity. `change` must fail before it
    /// mutates anything (every closure here starts with the transition,
    /// which changes nothing when refused), so an error leaves the order
    /// as it was without the cost of a copy.
    fn update_order(
        &mut self,
        intent_id: IntentId,
        change: impl FnOnce(&mut Order) -> Result<Option<ClOrdId>, InvalidTransition>,
    ) -> Result<(), ApplyError> {
        let order = self
            .orders
            .get_mut(&intent_id)
            .ok_or(ApplyError::UnknownOrder(intent_id))?;
        let before = working_contribution(order);
        let known_order_id = order.order_id;
        let new_id =
            change(order).map_err(|source| ApplyError::Transition { intent_id, source })?;
        let after = working_contribution(order);
        let key = (order.instrument, order.strategy);
        let order_id = order.order_id;
        if order.in_flight_since.is_some() {
            self.in_flight.insert(intent_id);
        } else {
            self.in_flight.remove(&intent_id);
        }
        if order.status.is_working() {
            self.live.insert(intent_id);
        } else {
            self.live.remove(&intent_id);
        }
        if let Some(id) = new_id {
            self.ids.observe(&id);
            self.by_cl_ord_id.insert(id, intent_id);
        }
        if let Some(order_id) = order_id.filter(|_| order_id != known_order_id) {
            self.by_order_id.insert(order_id, intent_id);
        }
        if before != after {
            self.adjust_working(key, before, false);
            self.adjust_working(key, after, true);
        }
        Ok(())
    }

    fn apply_update(
        &mut self,
        at: model::Timestamp,
        intent_id: IntentId,
        update: &OrderUpdate,
    ) -> Result<(), ApplyError> {
        let order = self
            .orders
            .get(&intent_id)
            .ok_or(ApplyError::UnknownOrder(intent_id))?;
        // Fills touch the position: check everything that can fail before
        // changing anything.
        match update {
            OrderUpdate::Filled {
                exec_id,
                quantity,
                cost,
                fee,
                transact_time,
            } => {
                let total = order
                    .traded()
                    .checked_add(*quantity)
                    .ok_or(ApplyError::Overflow(intent_id))?;
                let event = if total >= order.quantity {
                    StatusEvent::FullFill
                } else {
                    StatusEvent::PartialFill
                };
                transition(order.status, order.previous_status, event)
                    .map_err(|source| ApplyError::Transition { intent_id, source })?;
                // All or nothing: on error the book is unchanged.
                self.positions
                    .apply_fill(
                        order.instrument,
                        order.strategy,
                        order.side,
                        *quantity,
                        *cost,
                        *fee,
                    )
                    .map_err(|source| ApplyError::Position { intent_id, source })?;
                let fill = Fill {
                    exec_id: *exec_id,
                    quantity: *quantity,
                    cost: *cost,
                    fee: *fee,
                    at: *transact_time,
                };
                self.update_order(intent_id, |order| {
                    order.apply_status(event)?;
                    order.set_traded(total);
                    order.filled_cost = order
                        .filled_cost
                        .checked_add(fill.cost)
                        .unwrap_or(order.filled_cost);
                    order.fees = order.fees.checked_add(fill.fee).unwrap_or(order.fees);
                    order.fills.push(fill);
                    if order.pending.is_none() {
                        order.in_flight_since = None;
                    }
                    order.status_queries = 0;
                    order.updated = at;
                    Ok(None)
                })?;
                let net = self.realized_net();
                self.peak_net = self.peak_net.max(net);
                Ok(())
            }
            OrderUpdate::FillBusted { exec_id } => self.reverse_fill(at, intent_id, exec_id, None),
            OrderUpdate::FillCorrected {
                exec_id,
                quantity,
                cost,
            } => self.reverse_fill(at, intent_id, exec_id, Some((*quantity, *cost))),
            OrderUpdate::Accepted { order_id } => self.update_order(intent_id, |order| {
                order.apply_status(StatusEvent::Accepted)?;
                if order_id.is_some() {
                    order.order_id = *order_id;
                }
                if order.pending.is_none() {
                    order.in_flight_since = None;
                }
                order.status_queries = 0;
                order.updated = at;
                Ok(None)
            }),
            OrderUpdate::Canceled { text, .. } => {
                self.finish_request(at, intent_id, StatusEvent::Canceled, text)
            }
            OrderUpdate::CancelRejected { text } => {
                self.finish_request(at, intent_id, StatusEvent::CancelRejected, text)
            }
            OrderUpdate::ReplaceRejected { text } => {
                self.finish_request(at, intent_id, StatusEvent::ReplaceRejected, text)
            }
            OrderUpdate::Rejected { text } => {
                self.finish_request(at, intent_id, StatusEvent::Rejected, text)
            }
            OrderUpdate::Expired => self.finish_request(at, intent_id, StatusEvent::Expired, &None),
            OrderUpdate::DoneForDay => {
                self.finish_request(at, intent_id, StatusEvent::DoneForDay, &None)
            }
            OrderUpdate::Replaced => {
                let Some(PendingRequest::Replace {
                    cl_ord_id,
                    quantity,
                    kind,
                    time_in_force,
                }) = order.pending.clone()
                else {
                    return Err(ApplyError::NoPendingReplace(intent_id));
                };
                self.update_order(intent_id, |order| {
                    order.apply_status(StatusEvent::Replaced)?;
                    order.replaced_cl_ord_ids.push(order.cl_ord_id);
                    order.cl_ord_id = cl_ord_id;
                    order.quantity = quantity;
                    order.kind = kind;
                    order.time_in_force = time_in_force;
                    settle_quantity(order);
                    order.pending = None;
                    order.in_flight_since = None;
                    order.status_queries = 0;
                    order.updated = at;
                    Ok(None)
                })
            }
            OrderUpdate::Restated { quantity, kind } => self.update_order(intent_id, |order| {
                order.quantity = *quantity;
                order.kind = *kind;
                settle_quantity(order);
                order.updated = at;
                Ok(None)
            }),
        }
    }

    fn finish_request(
        &mut self,
        at: model::Timestamp,
        intent_id: IntentId,
        event: StatusEvent,
        text: &Option<String>,
    ) -> Result<(), ApplyError> {
        self.update_order(intent_id, |order| {
            order.apply_status(event)?;
            order.pending = None;
            order.in_flight_since = None;
            order.status_queries = 0;
            if text.is_some() {
                order.last_text.clone_from(text);
            }
            order.updated = at;
            Ok(None)
        })
    }

    fn reverse_fill(
        &mut self,
        at: model::Timestamp,
        intent_id: IntentId,
        exec_id: &model::ExecId,
        corrected: Option<(Quantity, Money)>,
    ) -> Result<(), ApplyError> {
        let order = self
            .orders
            .get(&intent_id)
            .ok_or(ApplyError::UnknownOrder(intent_id))?;
        let index = order
            .fills
            .iter()
            .position(|fill| &fill.exec_id == exec_id)
            .ok_or_else(|| ApplyError::UnknownFill {
                intent_id,
                exec_id: exec_id.to_string(),
            })?;
        let old = order.fills[index].clone();
        let mut positions = self.positions.clone();
        // Take the fill back with an opposite fill at the same value, then
        // apply the corrected one.
        positions
            .apply_fill(
                order.instrument,
                order.strategy,
                order.side.opposite(),
                old.quantity,
                old.cost,
                Money::ZERO,
            )
            .map_err(|source| ApplyError::Position { intent_id, source })?;
        if let Some((quantity, cost)) = corrected {
            positions
                .apply_fill(
                    order.instrument,
                    order.strategy,
                    order.side,
                    quantity,
                    cost,
                    Money::ZERO,
                )
                .map_err(|source| ApplyError::Position { intent_id, source })?;
        }
        self.positions = positions;
        self.update_order(intent_id, |order| {
            let traded = order.traded();
            let fill = &mut order.fills[index];
            let total = traded.saturating_sub(fill.quantity);
            let (quantity, cost) = corrected.unwrap_or((Quantity::ZERO, Money::ZERO));
            order.filled_cost = order
                .filled_cost
                .checked_sub(fill.cost)
                .and_then(|c| c.checked_add(cost))
                .unwrap_or(order.filled_cost);
            if corrected.is_some() {
                fill.quantity = quantity;
                fill.cost = cost;
            } else {
                order.fills.remove(index);
            }
            order.set_traded(total.checked_add(quantity).unwrap_or(total));
            if order.status == OrderStatus::Filled && order.filled < order.quantity {
                order.status = if order.filled.is_zero() {
                    OrderStatus::New
                } else {
                    OrderStatus::PartiallyFilled
                };
            }
            order.updated = at;
            Ok(None)
        })
    }
}

/// After quantity changes (replace, restatement): fills at or above the new
/// quantity complete the order, and any excess becomes overfill.
fn settle_quantity(order: &mut Order) {
    order.set_traded(order.traded());
    if order.filled >= order.quantity && order.status.is_working() {
        order.status = OrderStatus::Filled;
    } else if order.status == OrderStatus::New && !order.filled.is_zero() {
        order.status = OrderStatus::PartiallyFilled;
    }
}

/// The side and open quantity an order adds to the working totals.
fn working_contribution(order: &Order) -> (Side, Quantity) {
    if order.status.is_working() {
        (order.side, order.leaves())
    } else {
        (order.side, Quantity::ZERO)
    }
}

/// The strategy that owns orders and positions EMP did not create.
pub fn external_strategy() -> StrategyId {
    StrategyId::new("EXTERNAL").unwrap_or_else(|_| unreachable!("literal is a valid id"))
}
