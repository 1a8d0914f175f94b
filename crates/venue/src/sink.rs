//! The simulated execution sink: paper trading and backtests behind the
//! same [`ExecutionSink`] interface as a live FIX session.
//!
//! # Time
//!
//! Sans-IO: the only clock is the `now` the driver passes in, and a `now`
//! earlier than one already seen is taken as the latest seen. Every
//! command reaches the venue after a latency drawn at [`send`]; commands
//! arrive in the order they were sent (a FIX session is one ordered
//! stream), so a command never arrives before the one sent ahead of it.
//! Whenever the sink is called with a `now`, it first processes, in time
//! order, every arrival and GTD expiry due at or before `now` (an expiry
//! before a command due at the same instant), against the market as it
//! was then; only then does it apply the market event it was called with.
//! Reports carry the time they happened as TransactTime and can be polled
//! from that time on.
//!
//! # Rules
//!
//! At arrival a **new order** is checked (duplicate ClOrdID → OrdRejReason
//! 6; unknown instrument or a symbol that is not the instrument's → 1;
//! zero size, below the minimum, above the maximum or off the lot → 13;
//! a price off the tick or not positive where the instrument forbids it,
//! or a GTD expire time not after arrival → 99). It then fails with the
//! probability of the [`FailureModel`] at the
//! current spread (Rejected, OrdRejReason 99, text naming the simulated
//! failure and `p`). Otherwise it is acknowledged (ExecType New) and:
//!
//! - a stop not yet triggered waits (see [`StopTrigger`]; one already
//!   reached at arrival triggers at once); a triggered stop is a market
//!   order, a triggered stop-limit a limit order;
//! - a market or limit order takes the opposite levels within its limit,
//!   one fill per level at that level's price (taker fee). FOK first
//!   checks the size within its limit covers the order, else cancels it
//!   unfilled. Whatever is left of a market, IOC or FOK order is canceled
//!   (a market order never rests); a limit order rests at its limit with
//!   a queue ahead equal to the visible size at that price (0 at a new
//!   level).
//!
//! Liquidity the simulation takes is removed from its copy of the book
//! until the next book. A resting order fills (maker fee, at its limit):
//! - on a **trade print** whose aggressor is not on its own side: a print
//!   at its price reduces the queue ahead by the print's size and the
//!   excess fills it; a print through its price fills it up to the print's
//!   size. One print's size is shared, in price-time priority, among the
//!   resting orders it fills;
//! - on a **book** whose opposite side crosses its limit: it fills up to
//!   the size of the crossing levels, which the fill then takes out.
//!
//! Each new book also caps every resting order's queue ahead at the
//! visible size at its price (size that left the level was ahead of it).
//!
//! A **cancel** of a working order cancels it (ExecType Canceled,
//! OrigClOrdID the order's ClOrdID); of a done order it is refused with an
//! OrderCancelReject, CxlRejReason 0 (too late); of an unknown order with
//! CxlRejReason 1. A **replace** of a working order takes the new
//! ClOrdID, quantity, prices and time in force (ExecType Replaced), keeps
//! the OrderID, loses the queue position and is matched again as if new;
//! it is refused (OrderCancelReject, response to replace) for a done order
//! (0), an unknown one (1), a duplicate ClOrdID (6), or (99) a change of
//! side or instrument, a market order, IOC/FOK, a new quantity not above
//! the filled quantity, or terms a new order could not have.
//!
//! A **status** request is answered with an ExecutionReport, ExecType
//! OrderStatus, describing the order now; for an order the sink does not
//! know, OrdStatus Rejected with OrdRejReason 5 (unknown order), the
//! answer the OMS resolves in-flight orders with (cTrader sends a
//! BusinessMessageReject instead; FIX's answer is used here). A **mass
//! status** request gets one OrderStatus report per working order, in
//! creation order, each with MassStatusReqID and TotNumReports, the last
//! with LastRptRequested; with no working order, one report with
//! OrdStatus Rejected, TotNumReports 0, LastRptRequested, symbol `[N/A]`
//! and a text saying so. A **positions** request gets one PositionReport
//! per open position from the sink's own fills (netting), with the
//! average entry price as SettlPrice, or one report without a symbol and
//! TotalNumPosReports 0 when flat everywhere.
//!
//! GTD orders expire at their ExpireTime (ExecType Expired). DAY orders
//! work like GTC: the sink has no trading calendar.
//!
//! [`send`]: ExecutionSink::send

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use model::{
    CancelOrder, CancelReject, CancelRejectResponseTo, ClOrdId, ExecId, ExecType, ExecutionReport,
    ExecutionSink, Instrument, InstrumentId, InstrumentMap, InstrumentTable, Money, NewOrder,
    OrdStatus, OrderId, OrderKind, PositionReport, Price, Quantity, ReplaceOrder, RequestId, Side,
    StatusRequest, TimeInForce, Timestamp, Trade, VenueCommand, VenueEvent,
};
use sensory::book::OrderBook;

use crate::config::{ConfigError, SimulatedSinkConfig, StopTrigger};
use crate::error::MarketDataError;
use crate::failure::FailureModel;
use crate::market::MarketState;
use crate::matching::{available, print_against_resting, stop_triggered, take, within_limit};
use crate::order::SimOrder;
use crate::position::Positions;
use crate::rng::SimRng;
use crate::trade::{Liquidity, SimulatedTrade};

/// OrdRejReason (103) = 1: unknown symbol.
const REJECT_UNKNOWN_SYMBOL: u32 = 1;
/// OrdRejReason (103) = 5: unknown order.
const REJECT_UNKNOWN_ORDER: u32 = 5;
/// OrdRejReason (103) = 6: duplicate order (ClOrdID).
const REJECT_DUPLICATE: u32 = 6;
/// OrdRejReason (103) = 13: incorrect quantity.
const REJECT_QUANTITY: u32 = 13;
/// OrdRejReason (103) / CxlRejReason (102) = 99: other.
const REJECT_OTHER: u32 = 99;
/// CxlRejReason (102) = 0: too late to cancel.
const CXL_TOO_LATE: u32 = 0;
/// CxlRejReason (102) = 1: unknown order.
const CXL_UNKNOWN_ORDER: u32 = 1;
/// CxlRejReason (102) = 6: duplicate ClOrdID.
const CXL_DUPLICATE: u32 = 6;

/// A command on its way to the venue.
#[derive(Clone, Debug)]
struct Pending {
    arrival: Timestamp,
    command: VenueCommand,
}

/// A simulated venue behind the [`ExecutionSink`] interface; see the
/// [module docs](self) for the rules.
#[derive(Debug)]
pub struct SimulatedSink {
    config: SimulatedSinkConfig,
    instruments: InstrumentTable,
    rng: SimRng,
    /// The latest `now` seen.
    clock: Timestamp,
    pending: VecDeque<Pending>,
    /// GTD expiries of working orders: (time, order index).
    expiries: BTreeSet<(Timestamp, usize)>,
    /// Every accepted order, in creation order.
    orders: Vec<SimOrder>,
    /// Every ClOrdID an accepted order has had.
    by_cl_ord_id: BTreeMap<ClOrdId, usize>,
    by_order_id: BTreeMap<OrderId, usize>,
    /// Every ClOrdID seen on a new, cancel or replace (duplicate check).
    used_cl_ord_ids: BTreeSet<ClOrdId>,
    /// Working orders per instrument, ascending (an order's index is
    /// past every earlier one's, so adding one is a push). A vector, not a
    /// set: it is walked on every book update.
    working: InstrumentMap<Vec<usize>>,
    markets: InstrumentMap<MarketState>,
    /// Scratch for the resting orders of one book or trade update, kept
    /// so an update does not allocate.
    resting: Vec<usize>,
    positions: Positions,
    trades: Vec<SimulatedTrade>,
    events: VecDeque<VenueEvent>,
    exec_count: u64,
}

impl SimulatedSink {
    /// A sink for `instruments`, after checking `config`.
    pub fn new(
        config: SimulatedSinkConfig,
        instruments: InstrumentTable,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            rng: SimRng::seed_from_u64(config.seed),
            config,
            instruments,
            clock: Timestamp::UNIX_EPOCH,
            pending: VecDeque::new(),
            expiries: BTreeSet::new(),
            orders: Vec::new(),
            by_cl_ord_id: BTreeMap::new(),
            by_order_id: BTreeMap::new(),
            used_cl_ord_ids: BTreeSet::new(),
            working: InstrumentMap::new(),
            markets: InstrumentMap::new(),
            resting: Vec::new(),
            positions: Positions::default(),
            trades: Vec::new(),
            events: VecDeque::new(),
            exec_count: 0,
        })
    }

    /// The configuration.
    pub const fn config(&self) -> &SimulatedSinkConfig {
        &self.config
    }

    /// Every simulated fill so far, in order.
    pub fn trades(&self) -> &[SimulatedTrade] {
        &self.trades
    }

    /// Orders accepted and still working.
    pub fn working_orders(&self) -> usize {
        self.working.values().map(Vec::len).sum()
    }

    /// The book of `instrument` changed: `book` is the sensory engine's
    /// current book after the event. Commands due before `now` are
    /// processed first, against the previous book; then the top levels
    /// are copied, stops (book trigger) are checked and resting orders
    /// the book crosses are filled.
    pub fn on_book(
        &mut self,
        now: Timestamp,
        instrument: &InstrumentId,
        book: &OrderBook,
    ) -> Result<(), MarketDataError> {
        if self.instruments.get(instrument).is_none() {
            return Err(MarketDataError::UnknownInstrument(*instrument));
        }
        let now = self.observe(now);
        self.advance(now);
        let (depth, assumed) = (self.config.book_depth, self.config.assumed_level_size);
        self.markets
            .get_or_default(*instrument)
            .update(book, depth, assumed);

        // A kept buffer: this runs on every book update.
        let mut resting = std::mem::take(&mut self.resting);
        self.resting_by_priority(instrument, &mut resting);
        if let Some(market) = self.markets.get(instrument) {
            for &idx in &resting {
                let order = &mut self.orders[idx];
                if let Some(limit) = order.limit() {
                    // Size that left a level was ahead of us: the queue
                    // ahead is never more than what the level shows.
                    let visible = market.visible_at(order.side, limit);
                    order.queue_ahead = order.queue_ahead.min(visible);
                }
            }
            // Only an order the best opposite price reaches can fill; what
            // stops and earlier fills take below only drains the book, so
            // an order it does not reach now stays unreached.
            resting.retain(|&idx| {
                let order = &self.orders[idx];
                order.limit().is_some_and(|limit| {
                    market
                        .best_opposite(order.side)
                        .is_some_and(|best| within_limit(order.side, Some(limit), best))
                })
            });
        }
        if self.config.stop_trigger == StopTrigger::Book {
            self.trigger_stops(now, instrument, MarketState::best_opposite);
        }
        for &idx in &resting {
            let order = &self.orders[idx];
            let (side, leaves) = (order.side, order.leaves());
            let Some(limit) = order.limit().filter(|_| order.is_working()) else {
                continue;
            };
            let Some(market) = self.markets.get_mut(instrument) else {
                continue;
            };
            let crossing = take(market.opposite_mut(side), side, Some(limit), leaves)
                .iter()
                .fold(Quantity::ZERO, |sum, fill| {
                    sum.checked_add(fill.quantity).unwrap_or(sum)
                });
            if !crossing.is_zero() {
                self.fill(now, idx, limit, crossing, Liquidity::Maker);
            }
        }
        self.resting = resting;
        Ok(())
    }

    /// A trade print. Commands due before `now` are processed first; then
    /// stops (trade trigger) are checked and resting orders at or through
    /// the print's price are filled as the [module docs](self) describe.
    pub fn on_trade(&mut self, now: Timestamp, trade: &Trade) -> Result<(), MarketDataError> {
        let instrument = trade.header.instrument;
        if self.instruments.get(&instrument).is_none() {
            return Err(MarketDataError::UnknownInstrument(instrument));
        }
        let now = self.observe(now);
        self.advance(now);
        self.markets
            .get_or_default(instrument)
            .on_trade(trade.price);
        // Orders resting before the print; a stop it triggers does not
        // also fill from it.
        let mut resting = std::mem::take(&mut self.resting);
        self.resting_by_priority(&instrument, &mut resting);
        if self.config.stop_trigger == StopTrigger::Trades {
            self.trigger_stops(now, &instrument, |market, _| market.last_trade());
        }
        let mut remaining = trade.size;
        for &idx in &resting {
            if remaining.is_zero() {
                break;
            }
            let order = &self.orders[idx];
            let Some(limit) = order.limit().filter(|_| order.is_working()) else {
                continue;
            };
            if trade.aggressor == Some(order.side) {
                // The print took the other side of the book.
                continue;
            }
            let (queue_ahead, fillable) = print_against_resting(
                order.side,
                limit,
                order.queue_ahead,
                trade.price,
                trade.size,
            );
            let quantity = fillable.min(remaining).min(order.leaves());
            self.orders[idx].queue_ahead = queue_ahead;
            if !quantity.is_zero() {
                self.fill(now, idx, limit, quantity, Liquidity::Maker);
                remaining = remaining.saturating_sub(quantity);
            }
        }
        self.resting = resting;
        Ok(())
    }

    /// Takes `now` as the clock unless it is earlier than one seen.
    fn observe(&mut self, now: Timestamp) -> Timestamp {
        self.clock = self.clock.max(now);
        self.clock
    }

    /// Processes every arrival and expiry due at or before `now`, in time
    /// order (an expiry before an arrival at the same instant).
    fn advance(&mut self, now: Timestamp) {
        loop {
            let arrival = self.pending.front().map(|pending| pending.arrival);
            let expiry = self.expiries.first().copied();
            if let Some((at, idx)) = expiry
                && at <= now
                && arrival.is_none_or(|arrival| at <= arrival)
            {
                self.expiries.pop_first();
                self.expire(at, idx);
                continue;
            }
            match self.pending.front() {
                Some(pending) if pending.arrival <= now => {
                    if let Some(pending) = self.pending.pop_front() {
                        self.arrive(pending.arrival, pending.command);
                    }
                }
                _ => break,
            }
        }
    }

    fn arrive(&mut self, at: Timestamp, command: VenueCommand) {
        match command {
            VenueCommand::New(order) => self.on_new(at, &order),
            VenueCommand::Cancel(cancel) => self.on_cancel(at, &cancel),
            VenueCommand::Replace(replace) => self.on_replace(at, &replace),
            VenueCommand::Status(request) => self.on_status(at, &request),
            VenueCommand::MassStatus { request_id } => self.on_mass_status(at, request_id),
            VenueCommand::Positions { request_id } => self.on_positions(request_id),
        }
    }

    fn next_exec_id(&mut self) -> ExecId {
        self.exec_count += 1;
        ExecId::new(&format!("SIMX-{}", self.exec_count))
            .unwrap_or_else(|_| unreachable!("a short ASCII id is a valid ExecID"))
    }

    fn emit(&mut self, event: VenueEvent) {
        self.events.push_back(event);
    }

    fn on_new(&mut self, at: Timestamp, new: &NewOrder) {
        if !self.used_cl_ord_ids.insert(new.cl_ord_id) {
            let text = format!("duplicate ClOrdID {}", new.cl_ord_id);
            return self.reject_new(at, new, REJECT_DUPLICATE, text);
        }
        let Some(instrument) = self.instruments.get(&new.instrument).cloned() else {
            let text = format!("unknown instrument {}", new.instrument);
            return self.reject_new(at, new, REJECT_UNKNOWN_SYMBOL, text);
        };
        if instrument.venue_symbol != new.symbol {
            let text = format!(
                "symbol {} is not instrument {}'s venue symbol {}",
                new.symbol, instrument.id, instrument.venue_symbol
            );
            return self.reject_new(at, new, REJECT_UNKNOWN_SYMBOL, text);
        }
        if let Err((reason, text)) = check_terms(&instrument, new.kind, new.quantity) {
            return self.reject_new(at, new, reason, text);
        }
        if let Err(text) = check_expiry(new.time_in_force, at) {
            return self.reject_new(at, new, REJECT_OTHER, text);
        }
        let spread = self
            .markets
            .get(&new.instrument)
            .and_then(MarketState::spread);
        let ticks = FailureModel::spread_ticks(spread, instrument.tick_size);
        let p = self.config.failure.probability(ticks);
        if self.rng.chance(p) {
            let spread_text = ticks.map_or_else(
                || "spread unknown".to_owned(),
                |ticks| format!("spread {ticks:.1} ticks"),
            );
            let text = format!("simulated venue failure (p={p:.4}, {spread_text})");
            return self.reject_new(at, new, REJECT_OTHER, text);
        }

        let idx = self.orders.len();
        let seq = u64::try_from(idx).unwrap_or(u64::MAX);
        let order_id = OrderId::new(&format!("SIM-{}", seq + 1))
            .unwrap_or_else(|_| unreachable!("a short ASCII id is a valid OrderID"));
        self.orders.push(SimOrder {
            order_id,
            cl_ord_id: new.cl_ord_id,
            instrument: new.instrument,
            symbol: new.symbol,
            side: new.side,
            kind: new.kind,
            quantity: new.quantity,
            time_in_force: new.time_in_force,
            cum_qty: Quantity::ZERO,
            cum_cost: Money::ZERO,
            status: OrdStatus::New,
            triggered: false,
            resting: false,
            queue_ahead: Quantity::ZERO,
            seq,
        });
        self.by_cl_ord_id.insert(new.cl_ord_id, idx);
        self.by_order_id.insert(order_id, idx);
        self.working.get_or_default(new.instrument).push(idx);
        if let TimeInForce::GoodTillDate(expire) = new.time_in_force {
            self.expiries.insert((expire, idx));
        }
        let exec_id = self.next_exec_id();
        let ack = self.orders[idx].report(exec_id, ExecType::New, at);
        self.emit(VenueEvent::Execution(ack));
        self.activate(at, idx);
    }

    fn reject_new(&mut self, at: Timestamp, new: &NewOrder, reason: u32, text: String) {
        let exec_id = self.next_exec_id();
        self.emit(VenueEvent::Execution(ExecutionReport {
            exec_id,
            exec_type: ExecType::Rejected,
            ord_status: OrdStatus::Rejected,
            cl_ord_id: Some(new.cl_ord_id),
            orig_cl_ord_id: None,
            order_id: None,
            symbol: new.symbol,
            side: new.side,
            order_qty: Some(new.quantity),
            price: new.kind.limit_price(),
            last_qty: Quantity::ZERO,
            last_px: None,
            cum_qty: Quantity::ZERO,
            leaves_qty: Quantity::ZERO,
            avg_px: None,
            commission: None,
            exec_ref_id: None,
            reject_reason: Some(reason),
            text: Some(text),
            transact_time: Some(at),
            mass_status_request_id: None,
            total_reports: None,
            last_report: false,
        }));
    }

    /// A newly accepted or replaced order: trigger a stop whose trigger is
    /// already reached, then match an active order.
    fn activate(&mut self, at: Timestamp, idx: usize) {
        let order = &self.orders[idx];
        if order.awaits_trigger() {
            let market = self.markets.get(&order.instrument);
            let reference = match self.config.stop_trigger {
                StopTrigger::Trades => market.and_then(MarketState::last_trade),
                StopTrigger::Book => market.and_then(|market| market.best_opposite(order.side)),
            };
            let reached = match (order.kind.stop_price(), reference) {
                (Some(stop), Some(reference)) => stop_triggered(order.side, stop, reference),
                _ => false,
            };
            if !reached {
                return;
            }
            self.orders[idx].triggered = true;
        }
        self.execute(at, idx);
    }

    /// Matches an active order against the book: the marketable part
    /// takes liquidity, the rest rests or is canceled.
    fn execute(&mut self, at: Timestamp, idx: usize) {
        let order = &self.orders[idx];
        let (side, limit, leaves) = (order.side, order.limit(), order.leaves());
        let tif = order.time_in_force;
        let market = self.markets.get_or_default(order.instrument);
        if tif == TimeInForce::FillOrKill {
            let within = available(market.opposite(side), side, limit);
            if within < leaves {
                let text = format!("FOK: {within} available within the limit, {leaves} needed");
                return self.cancel_rest(at, idx, text);
            }
        }
        let fills = take(market.opposite_mut(side), side, limit, leaves);
        for fill in fills {
            self.fill(at, idx, fill.price, fill.quantity, Liquidity::Taker);
        }
        let order = &self.orders[idx];
        if !order.is_working() {
            return;
        }
        let unfilled = order.leaves();
        match limit {
            None => {
                let text = format!("market order: no more liquidity, {unfilled} unfilled");
                self.cancel_rest(at, idx, text);
            }
            Some(_)
                if matches!(
                    tif,
                    TimeInForce::ImmediateOrCancel | TimeInForce::FillOrKill
                ) =>
            {
                let text = format!("{}: {unfilled} unfilled canceled", tif.name());
                self.cancel_rest(at, idx, text);
            }
            Some(limit) => {
                let ahead = self
                    .markets
                    .get(&order.instrument)
                    .map_or(Quantity::ZERO, |market| market.visible_at(side, limit));
                let order = &mut self.orders[idx];
                order.resting = true;
                order.queue_ahead = ahead;
            }
        }
    }

    /// Applies and reports one fill.
    fn fill(
        &mut self,
        at: Timestamp,
        idx: usize,
        price: Price,
        quantity: Quantity,
        liquidity: Liquidity,
    ) {
        let applied = self.orders[idx].apply_fill(price, quantity);
        if applied.is_zero() {
            return;
        }
        let rate = match liquidity {
            Liquidity::Maker => self.config.maker_fee,
            Liquidity::Taker => self.config.taker_fee,
        };
        // Rates are at most 100% of notional (checked at construction),
        // so the fee is within Money's range.
        let fee = rate.fee(price.notional(applied)).unwrap_or(Money::ZERO);
        let exec_id = self.next_exec_id();
        let order = &self.orders[idx];
        let mut report = order.report(exec_id, ExecType::Trade, at);
        report.last_qty = applied;
        report.last_px = Some(price);
        report.commission = Some(fee);
        self.trades.push(SimulatedTrade {
            at,
            cl_ord_id: order.cl_ord_id,
            order_id: order.order_id,
            exec_id,
            instrument: order.instrument,
            side: order.side,
            price,
            quantity: applied,
            fee,
            liquidity,
        });
        self.positions
            .apply(order.instrument, order.symbol, order.side, price, applied);
        if !order.is_working() {
            self.retire(idx);
        }
        self.emit(VenueEvent::Execution(report));
    }

    /// Cancels what is left of an order the venue itself ends (IOC, FOK,
    /// market remainder).
    fn cancel_rest(&mut self, at: Timestamp, idx: usize, text: String) {
        self.orders[idx].status = OrdStatus::Canceled;
        self.retire(idx);
        let exec_id = self.next_exec_id();
        let mut report = self.orders[idx].report(exec_id, ExecType::Canceled, at);
        report.text = Some(text);
        self.emit(VenueEvent::Execution(report));
    }

    /// Takes a done order out of the working set.
    fn retire(&mut self, idx: usize) {
        let order = &mut self.orders[idx];
        order.resting = false;
        if let TimeInForce::GoodTillDate(expire) = order.time_in_force {
            self.expiries.remove(&(expire, idx));
        }
        if let Some(working) = self.working.get_mut(&order.instrument)
            && let Ok(at) = working.binary_search(&idx)
        {
            working.remove(at);
        }
    }

    fn expire(&mut self, at: Timestamp, idx: usize) {
        let Some(order) = self.orders.get(idx) else {
            return;
        };
        // Entries leave with their order; the check is a safeguard.
        if !order.is_working() || order.time_in_force != TimeInForce::GoodTillDate(at) {
            return;
        }
        self.orders[idx].status = OrdStatus::Expired;
        self.retire(idx);
        let exec_id = self.next_exec_id();
        let mut report = self.orders[idx].report(exec_id, ExecType::Expired, at);
        report.text = Some(format!("GTD order expired at {at}"));
        self.emit(VenueEvent::Execution(report));
    }

    /// Working resting orders of `instrument`, best price first, then
    /// oldest first, into `resting` (cleared first).
    fn resting_by_priority(&self, instrument: &InstrumentId, resting: &mut Vec<usize>) {
        resting.clear();
        resting.extend(
            self.working
                .get(instrument)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&idx| self.orders[idx].resting),
        );
        // Unique keys (the sequence breaks ties), so unstable is exact.
        resting.sort_unstable_by_key(|&idx| {
            let order = &self.orders[idx];
            let price = i128::from(order.limit().map_or(0, Price::raw));
            let priority = match order.side {
                Side::Buy => -price,
                Side::Sell => price,
            };
            (order.side, priority, order.seq)
        });
    }

    /// Triggers (and executes) every waiting stop of `instrument` whose
    /// reference price, as `reference` reads it, is at or through its
    /// stop, oldest first.
    fn trigger_stops(
        &mut self,
        at: Timestamp,
        instrument: &InstrumentId,
        reference: impl Fn(&MarketState, Side) -> Option<Price>,
    ) {
        let waiting = || {
            self.working
                .get(instrument)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&idx| self.orders[idx].awaits_trigger())
        };
        // Checked first: this runs on every book update or print, and
        // stops are rare.
        if waiting().next().is_none() {
            return;
        }
        let waiting: Vec<usize> = waiting().collect();
        for idx in waiting {
            let order = &self.orders[idx];
            let Some(stop) = order.kind.stop_price() else {
                continue;
            };
            let price = self
                .markets
                .get(instrument)
                .and_then(|market| reference(market, order.side));
            if price.is_some_and(|price| stop_triggered(order.side, stop, price)) {
                self.orders[idx].triggered = true;
                self.execute(at, idx);
            }
        }
    }

    /// The order a request names: by OrderID when given and known, else
    /// by any ClOrdID the order has had.
    fn find(&self, order_id: Option<OrderId>, cl_ord_id: &ClOrdId) -> Option<usize> {
        order_id
            .and_then(|id| self.by_order_id.get(&id))
            .or_else(|| self.by_cl_ord_id.get(cl_ord_id))
            .copied()
    }

    fn cancel_reject(&mut self, reject: CancelReject) {
        self.emit(VenueEvent::CancelReject(reject));
    }

    /// Refuses a cancel or replace request.
    fn refuse(
        &mut self,
        response_to: CancelRejectResponseTo,
        request: (ClOrdId, ClOrdId, Option<OrderId>),
        found: Option<usize>,
        reason: u32,
        text: String,
    ) {
        let (cl_ord_id, orig_cl_ord_id, order_id) = request;
        let (order_id, ord_status) = match found.and_then(|idx| self.orders.get(idx)) {
            Some(order) => (Some(order.order_id), Some(order.status)),
            None => (order_id, Some(OrdStatus::Rejected)),
        };
        self.cancel_reject(CancelReject {
            cl_ord_id,
            orig_cl_ord_id: Some(orig_cl_ord_id),
            order_id,
            ord_status,
            response_to,
            reason: Some(reason),
            text: Some(text),
        });
    }

    fn on_cancel(&mut self, at: Timestamp, cancel: &CancelOrder) {
        let request = (cancel.cl_ord_id, cancel.orig_cl_ord_id, cancel.order_id);
        let response = CancelRejectResponseTo::Cancel;
        let found = self.find(cancel.order_id, &cancel.orig_cl_ord_id);
        if !self.used_cl_ord_ids.insert(cancel.cl_ord_id) {
            let text = format!("duplicate ClOrdID {}", cancel.cl_ord_id);
            return self.refuse(response, request, found, CXL_DUPLICATE, text);
        }
        let Some(idx) = found else {
            let text = format!("unknown order {}", cancel.orig_cl_ord_id);
            return self.refuse(response, request, None, CXL_UNKNOWN_ORDER, text);
        };
        let order = &self.orders[idx];
        if !order.is_working() {
            let text = format!("too late to cancel: order is {:?}", order.status);
            return self.refuse(response, request, found, CXL_TOO_LATE, text);
        }
        let previous = order.cl_ord_id;
        let order = &mut self.orders[idx];
        order.cl_ord_id = cancel.cl_ord_id;
        order.status = OrdStatus::Canceled;
        self.by_cl_ord_id.insert(cancel.cl_ord_id, idx);
        self.retire(idx);
        let exec_id = self.next_exec_id();
        let mut report = self.orders[idx].report(exec_id, ExecType::Canceled, at);
        report.orig_cl_ord_id = Some(previous);
        self.emit(VenueEvent::Execution(report));
    }

    fn on_replace(&mut self, at: Timestamp, replace: &ReplaceOrder) {
        let request = (replace.cl_ord_id, replace.orig_cl_ord_id, replace.order_id);
        let response = CancelRejectResponseTo::Replace;
        let found = self.find(replace.order_id, &replace.orig_cl_ord_id);
        if !self.used_cl_ord_ids.insert(replace.cl_ord_id) {
            let text = format!("duplicate ClOrdID {}", replace.cl_ord_id);
            return self.refuse(response, request, found, CXL_DUPLICATE, text);
        }
        let Some(idx) = found else {
            let text = format!("unknown order {}", replace.orig_cl_ord_id);
            return self.refuse(response, request, None, CXL_UNKNOWN_ORDER, text);
        };
        let order = &self.orders[idx];
        if !order.is_working() {
            let text = format!("too late to replace: order is {:?}", order.status);
            return self.refuse(response, request, found, CXL_TOO_LATE, text);
        }
        if let Err(text) = self.check_replace(at, order, replace) {
            return self.refuse(response, request, found, REJECT_OTHER, text);
        }
        let previous = order.cl_ord_id;
        if let TimeInForce::GoodTillDate(expire) = order.time_in_force {
            self.expiries.remove(&(expire, idx));
        }
        let order = &mut self.orders[idx];
        order.cl_ord_id = replace.cl_ord_id;
        order.kind = replace.kind;
        order.quantity = replace.quantity;
        order.time_in_force = replace.time_in_force;
        order.status = order.working_status();
        // The replaced order joins the back of the queue.
        order.resting = false;
        order.queue_ahead = Quantity::ZERO;
        self.by_cl_ord_id.insert(replace.cl_ord_id, idx);
        if let TimeInForce::GoodTillDate(expire) = replace.time_in_force {
            self.expiries.insert((expire, idx));
        }
        let exec_id = self.next_exec_id();
        let mut report = self.orders[idx].report(exec_id, ExecType::Replaced, at);
        report.orig_cl_ord_id = Some(previous);
        self.emit(VenueEvent::Execution(report));
        self.activate(at, idx);
    }

    /// Why a replace of a working order cannot be applied.
    fn check_replace(
        &self,
        at: Timestamp,
        order: &SimOrder,
        replace: &ReplaceOrder,
    ) -> Result<(), String> {
        if replace.side != order.side {
            return Err(format!(
                "a replace cannot change the side ({} to {})",
                order.side, replace.side
            ));
        }
        if replace.instrument != order.instrument {
            return Err(format!(
                "a replace cannot change the instrument ({} to {})",
                order.instrument, replace.instrument
            ));
        }
        if replace.kind == OrderKind::Market {
            return Err("a working order cannot be replaced by a market order".to_owned());
        }
        if matches!(
            replace.time_in_force,
            TimeInForce::ImmediateOrCancel | TimeInForce::FillOrKill
        ) {
            return Err(format!(
                "a working order cannot be replaced with time in force {}",
                replace.time_in_force.name()
            ));
        }
        let Some(instrument) = self.instruments.get(&order.instrument) else {
            return Err(format!("unknown instrument {}", order.instrument));
        };
        check_terms(instrument, replace.kind, replace.quantity).map_err(|(_, text)| text)?;
        if replace.quantity <= order.cum_qty {
            return Err(format!(
                "new quantity {} is not above the filled quantity {}",
                replace.quantity, order.cum_qty
            ));
        }
        check_expiry(replace.time_in_force, at)
    }

    fn on_status(&mut self, at: Timestamp, request: &StatusRequest) {
        let exec_id = self.next_exec_id();
        let report = match self.find(request.order_id, &request.cl_ord_id) {
            Some(idx) => self.orders[idx].report(exec_id, ExecType::OrderStatus, at),
            None => ExecutionReport {
                exec_id,
                exec_type: ExecType::OrderStatus,
                ord_status: OrdStatus::Rejected,
                cl_ord_id: Some(request.cl_ord_id),
                orig_cl_ord_id: None,
                order_id: request.order_id,
                symbol: request.symbol,
                side: request.side,
                order_qty: None,
                price: None,
                last_qty: Quantity::ZERO,
                last_px: None,
                cum_qty: Quantity::ZERO,
                leaves_qty: Quantity::ZERO,
                avg_px: None,
                commission: None,
                exec_ref_id: None,
                reject_reason: Some(REJECT_UNKNOWN_ORDER),
                text: Some(format!("unknown order {}", request.cl_ord_id)),
                transact_time: Some(at),
                mass_status_request_id: None,
                total_reports: None,
                last_report: false,
            },
        };
        self.emit(VenueEvent::Execution(report));
    }

    fn on_mass_status(&mut self, at: Timestamp, request_id: RequestId) {
        let working: Vec<usize> = (0..self.orders.len())
            .filter(|&idx| self.orders[idx].is_working())
            .collect();
        let total = u32::try_from(working.len()).unwrap_or(u32::MAX);
        if working.is_empty() {
            let exec_id = self.next_exec_id();
            self.emit(VenueEvent::Execution(crate::report::no_working_orders(
                exec_id, at, request_id,
            )));
            return;
        }
        let last = working.len() - 1;
        for (n, idx) in working.into_iter().enumerate() {
            let exec_id = self.next_exec_id();
            let mut report = self.orders[idx].report(exec_id, ExecType::OrderStatus, at);
            report.mass_status_request_id = Some(request_id);
            report.total_reports = Some(total);
            report.last_report = n == last;
            self.emit(VenueEvent::Execution(report));
        }
    }

    fn on_positions(&mut self, request_id: RequestId) {
        let reports: Vec<PositionReport> = {
            let open: Vec<_> = self.positions.open().collect();
            let total = u32::try_from(open.len()).unwrap_or(u32::MAX);
            open.into_iter()
                .map(|position| {
                    let size = position.net.abs();
                    let long = position.net.raw() > 0;
                    PositionReport {
                        request_id: Some(request_id),
                        symbol: Some(position.symbol),
                        long: if long { size } else { Quantity::ZERO },
                        short: if long { Quantity::ZERO } else { size },
                        settlement_price: position.average_price(),
                        total_reports: Some(total),
                    }
                })
                .collect()
        };
        if reports.is_empty() {
            self.emit(VenueEvent::Position(PositionReport {
                request_id: Some(request_id),
                symbol: None,
                long: Quantity::ZERO,
                short: Quantity::ZERO,
                settlement_price: None,
                total_reports: Some(0),
            }));
        }
        for report in reports {
            self.emit(VenueEvent::Position(report));
        }
    }
}

/// Why an order's size or prices cannot trade on `instrument`: the
/// OrdRejReason and a text.
fn check_terms(
    instrument: &Instrument,
    kind: OrderKind,
    quantity: Quantity,
) -> Result<(), (u32, String)> {
    let id = instrument.id;
    if quantity.is_zero() {
        return Err((REJECT_QUANTITY, "order quantity must be above zero".into()));
    }
    if quantity < instrument.min_quantity {
        return Err((
            REJECT_QUANTITY,
            format!(
                "quantity {quantity} is below {id}'s minimum {}",
                instrument.min_quantity
            ),
        ));
    }
    if let Some(max) = instrument.max_quantity
        && quantity > max
    {
        return Err((
            REJECT_QUANTITY,
            format!("quantity {quantity} is above {id}'s maximum {max}"),
        ));
    }
    if !quantity.is_multiple_of(instrument.lot_size) {
        return Err((
            REJECT_QUANTITY,
            format!(
                "quantity {quantity} is not a multiple of {id}'s lot {}",
                instrument.lot_size
            ),
        ));
    }
    for price in [kind.limit_price(), kind.stop_price()]
        .into_iter()
        .flatten()
    {
        if !price.is_multiple_of(instrument.tick_size) {
            return Err((
                REJECT_OTHER,
                format!(
                    "price {price} is not a multiple of {id}'s tick {}",
                    instrument.tick_size
                ),
            ));
        }
        if !price.is_positive() && !instrument.allows_non_positive_prices {
            return Err((
                REJECT_OTHER,
                format!("price {price} must be above zero for {id}"),
            ));
        }
    }
    Ok(())
}

/// Refuses a GTD expire time at or before `at`.
fn check_expiry(time_in_force: TimeInForce, at: Timestamp) -> Result<(), String> {
    match time_in_force {
        TimeInForce::GoodTillDate(expire) if expire <= at => Err(format!(
            "ExpireTime {expire} is not after the order's arrival at {at}"
        )),
        _ => Ok(()),
    }
}

impl ExecutionSink for SimulatedSink {
    fn send(&mut self, now: Timestamp, command: VenueCommand) {
        let now = self.observe(now);
        self.advance(now);
        let latency = self.config.latency.sample(&mut self.rng);
        let sampled = now
            .checked_add_nanos(latency)
            .unwrap_or(Timestamp::from_unix_nanos(u64::MAX));
        // In order: never before the command sent ahead of it.
        let arrival = self
            .pending
            .back()
            .map_or(sampled, |last| sampled.max(last.arrival));
        self.pending.push_back(Pending { arrival, command });
    }

    fn poll_event(&mut self, now: Timestamp) -> Option<VenueEvent> {
        let now = self.observe(now);
        self.advance(now);
        self.events.pop_front()
    }

    fn next_wakeup(&self) -> Option<Timestamp> {
        if !self.events.is_empty() {
            return Some(self.clock);
        }
        let arrival = self.pending.front().map(|pending| pending.arrival);
        let expiry = self.expiries.first().map(|&(at, _)| at);
        match (arrival, expiry) {
            (Some(a), Some(e)) => Some(a.min(e)),
            (a, e) => a.or(e),
        }
    }
}
