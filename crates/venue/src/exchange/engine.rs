//! The exchange: one [`Book`] per symbol, client orders with their
//! lifecycle, stops, GTD expiry and positions per owner (netting or
//! hedged).
//!
//! Sans-IO: every call takes the time `now` and returns the events it
//! caused; there is no clock, thread or OS randomness. A `now` earlier
//! than one already seen counts as the latest seen.
//!
//! # Rules
//!
//! A **new order** ([`Exchange::submit`]) is checked in this order and
//! rejected (ExecType Rejected, with a [`Reason`]) for: a ClOrdID the
//! owner already used; an unknown symbol; a zero quantity, one below the
//! symbol's minimum volume, above its maximum, or not a multiple of its
//! step; a price or stop price off the tick, or not above zero where the
//! symbol forbids it; a limit order below the minimum notional; a GTD
//! expire time not after `now`. Otherwise it is acknowledged (ExecType
//! New) and:
//!
//! - a **stop** waits, off the book, until a trade prints at or through
//!   its stop price (buy: at or above, sell: at or below; a stop already
//!   reached by the last trade triggers at once). A triggered stop is a
//!   market order, a triggered stop-limit a limit order;
//! - a **market** order takes liquidity at the resting prices and never
//!   rests: its remainder is canceled (market = IOC, possibly partly
//!   filled, as cTrader does);
//! - a **limit** order takes what its limit allows; an IOC remainder is
//!   canceled, a FOK order is canceled unfilled unless the whole quantity
//!   is available within its limit, and a GTC/GTD/DAY remainder rests.
//!   DAY works like GTC: the exchange has no trading calendar.
//!
//! **Self-trade** ([`SelfTradePolicy`]): by default an order that reaches
//! a resting order of its own owner stops there and its remainder is
//! canceled ([`Reason::SelfTrade`]); resting orders are never touched.
//! Background liquidity is exempt (it is a crowd of many traders).
//!
//! A **cancel** of a working order cancels it; of an unknown order, or one
//! that is done, it is refused with an OrderCancelReject. A **replace**
//! takes a new ClOrdID, quantity (the new total, fills included), prices
//! and time in force; it keeps the OrderID. A resting order keeps its
//! queue place only when the price is unchanged and the size shrinks (see
//! [`Book::resize`]); a new price that crosses the book makes it match as
//! an incoming order. A replace is refused for an unknown or done order,
//! a duplicate ClOrdID, a market or IOC/FOK replacement, a new quantity
//! not above the filled quantity, a triggered stop without a limit price,
//! or terms a new order could not have.
//!
//! **Status** answers with an OrderStatus report (OrdRejReason 5 for an
//! unknown order); **mass status** with one per working order of the
//! owner; **positions** with one PositionReport per open position of the
//! owner, built from its fills (or one "no positions" report): one per
//! symbol on a netting account, one per position id on a hedged one
//! ([`PositionMode::Hedged`], where each order opens its own position
//! unless it names an open one with PosMaintRptID 721).
//!
//! **GTD** orders expire at their ExpireTime, on the first call whose
//! `now` reaches it ([`Exchange::advance`], or any other call).
//!
//! **Market data**: each call's book changes on a symbol go out as one
//! [`BookDelta`] of entry adds and deletes; each fill is a [`Trade`] print
//! with the aggressor's side. Both carry a per-symbol sequence number.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use model::{
    BookChange, BookDelta, BookSnapshot, CancelOrder, CancelReject, CancelRejectResponseTo,
    ClOrdId, ExecId, ExecType, ExecutionReport, Instrument, InstrumentId, InstrumentTable,
    MarketEvent, MarketHeader, Money, NetQuantity, NewOrder, OrdStatus, OrderId, OrderKind,
    PositionReport, Price, Quantity, Quote, QuoteSide, ReplaceOrder, RequestId, Side, TimeInForce,
    Timestamp, Trade, TradeId, VenueSymbol,
};

use super::book::{Book, OrderKey, OwnerId};
use crate::position::{HedgedPositions, Positions};

/// What happens when an order meets a resting order of its own owner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SelfTradePolicy {
    /// They trade with each other.
    Allow,
    /// The incoming order stops matching there; its remainder is
    /// canceled and the resting order is left alone.
    #[default]
    CancelIncoming,
}

/// A new order as the FIX acceptor decodes a NewOrderSingle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRequest {
    /// ClOrdID (11).
    pub cl_ord_id: ClOrdId,
    /// Symbol (55).
    pub symbol: VenueSymbol,
    /// Side (54).
    pub side: Side,
    /// OrdType (40) with Price (44) and StopPx (99).
    pub kind: OrderKind,
    /// OrderQty (38).
    pub quantity: Quantity,
    /// TimeInForce (59) and ExpireTime (126).
    pub time_in_force: TimeInForce,
    /// PosMaintRptID (721): on a hedged account, the open position this
    /// order adds to or reduces; without it the order opens a position of
    /// its own. Ignored on netting accounts.
    pub position: Option<u64>,
}

impl From<&NewOrder> for OrderRequest {
    fn from(order: &NewOrder) -> Self {
        Self {
            cl_ord_id: order.cl_ord_id,
            symbol: order.symbol,
            side: order.side,
            kind: order.kind,
            quantity: order.quantity,
            time_in_force: order.time_in_force,
            position: None,
        }
    }
}

/// How an account's fills make positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PositionMode {
    /// One net position per symbol (the default).
    #[default]
    Netting,
    /// Positions by id (PosMaintRptID 721): every order opens its own
    /// unless it names an open one to add to or reduce.
    Hedged,
}

/// An OrderCancelRequest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CancelRequest {
    /// ClOrdID (11) of the request.
    pub cl_ord_id: ClOrdId,
    /// OrigClOrdID (41): a ClOrdID the order has had.
    pub orig_cl_ord_id: ClOrdId,
    /// OrderID (37), when given (it wins over OrigClOrdID).
    pub order_id: Option<OrderId>,
}

impl From<&CancelOrder> for CancelRequest {
    fn from(cancel: &CancelOrder) -> Self {
        Self {
            cl_ord_id: cancel.cl_ord_id,
            orig_cl_ord_id: cancel.orig_cl_ord_id,
            order_id: cancel.order_id,
        }
    }
}

/// An OrderCancelReplaceRequest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplaceRequest {
    /// ClOrdID (11) of the replacement.
    pub cl_ord_id: ClOrdId,
    /// OrigClOrdID (41).
    pub orig_cl_ord_id: ClOrdId,
    /// OrderID (37), when given.
    pub order_id: Option<OrderId>,
    /// The new type and prices.
    pub kind: OrderKind,
    /// The new total quantity, fills included.
    pub quantity: Quantity,
    /// The new time in force.
    pub time_in_force: TimeInForce,
}

impl From<&ReplaceOrder> for ReplaceRequest {
    fn from(replace: &ReplaceOrder) -> Self {
        Self {
            cl_ord_id: replace.cl_ord_id,
            orig_cl_ord_id: replace.orig_cl_ord_id,
            order_id: replace.order_id,
            kind: replace.kind,
            quantity: replace.quantity,
            time_in_force: replace.time_in_force,
        }
    }
}

/// Why the exchange rejected a request or ended an order itself.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The owner already used this ClOrdID.
    DuplicateClOrdId(ClOrdId),
    /// No symbol by this name.
    UnknownSymbol(VenueSymbol),
    /// A quantity of zero.
    ZeroQuantity,
    /// Below the symbol's minimum volume.
    BelowMinimumVolume {
        /// The quantity asked for.
        quantity: Quantity,
        /// The minimum.
        minimum: Quantity,
    },
    /// Above the symbol's maximum volume.
    AboveMaximumVolume {
        /// The quantity asked for.
        quantity: Quantity,
        /// The maximum.
        maximum: Quantity,
    },
    /// Not a multiple of the symbol's volume step.
    OffStep {
        /// The quantity asked for.
        quantity: Quantity,
        /// The step.
        step: Quantity,
    },
    /// A price not a multiple of the tick.
    OffTick {
        /// The price given.
        price: Price,
        /// The tick.
        tick: Price,
    },
    /// A price at or below zero on a symbol that forbids it.
    PriceNotPositive(Price),
    /// A limit order's notional below the symbol's minimum.
    BelowMinimumNotional {
        /// Price × quantity.
        notional: Money,
        /// The minimum.
        minimum: Money,
    },
    /// A GTD expire time not after the order's arrival.
    ExpireTimePassed(Timestamp),
    /// No such order for this owner.
    UnknownOrder(ClOrdId),
    /// The order is already done.
    OrderDone(OrdStatus),
    /// A hedged order named a position (721) the account has not open in
    /// this symbol.
    UnknownPosition(u64),
    /// A replace the rules do not allow; the text says which rule.
    ReplaceNotAllowed(&'static str),
    /// A replace whose new quantity is not above the filled quantity.
    QuantityNotAboveFilled {
        /// The new quantity.
        quantity: Quantity,
        /// Already filled.
        filled: Quantity,
    },
    /// The remainder of an IOC order.
    ImmediateOrCancel,
    /// A FOK order whose quantity was not available.
    FillOrKill {
        /// Available within the limit.
        available: Quantity,
        /// Needed.
        needed: Quantity,
    },
    /// The remainder of a market order: no more liquidity.
    NoLiquidity,
    /// Matching reached a resting order of the same owner.
    SelfTrade,
}

/// OrdRejReason (103) = 1: unknown symbol.
const REJECT_UNKNOWN_SYMBOL: u32 = 1;
/// OrdRejReason (103) = 5: unknown order.
const REJECT_UNKNOWN_ORDER: u32 = 5;
/// OrdRejReason (103) = 6: duplicate order.
const REJECT_DUPLICATE: u32 = 6;
/// OrdRejReason (103) = 13: incorrect quantity.
const REJECT_QUANTITY: u32 = 13;
/// OrdRejReason (103) / CxlRejReason (102) = 99: other.
const REJECT_OTHER: u32 = 99;
/// CxlRejReason (102) = 0: too late to cancel.
const CXL_TOO_LATE: u32 = 0;
/// CxlRejReason (102) = 1: unknown order.
const CXL_UNKNOWN_ORDER: u32 = 1;

impl Reason {
    /// The FIX code: OrdRejReason (103) on a rejected order, CxlRejReason
    /// (102) on a refused cancel or replace.
    pub const fn code(&self) -> u32 {
        match self {
            Self::DuplicateClOrdId(_) => REJECT_DUPLICATE,
            Self::UnknownSymbol(_) => REJECT_UNKNOWN_SYMBOL,
            Self::ZeroQuantity
            | Self::BelowMinimumVolume { .. }
            | Self::AboveMaximumVolume { .. }
            | Self::OffStep { .. }
            | Self::QuantityNotAboveFilled { .. } => REJECT_QUANTITY,
            Self::UnknownOrder(_) => REJECT_UNKNOWN_ORDER,
            _ => REJECT_OTHER,
        }
    }

    /// The CxlRejReason (102) when this refuses a cancel or replace.
    pub const fn cancel_reject_code(&self) -> u32 {
        match self {
            Self::UnknownOrder(_) => CXL_UNKNOWN_ORDER,
            Self::OrderDone(_) => CXL_TOO_LATE,
            Self::DuplicateClOrdId(_) => REJECT_DUPLICATE,
            _ => REJECT_OTHER,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateClOrdId(id) => write!(f, "duplicate ClOrdID {id}"),
            Self::UnknownSymbol(symbol) => write!(f, "unknown symbol {symbol}"),
            Self::ZeroQuantity => f.write_str("order quantity must be above zero"),
            Self::BelowMinimumVolume { quantity, minimum } => {
                write!(f, "volume {quantity} is below the minimum volume {minimum}")
            }
            Self::AboveMaximumVolume { quantity, maximum } => {
                write!(f, "volume {quantity} is above the maximum volume {maximum}")
            }
            Self::OffStep { quantity, step } => {
                write!(
                    f,
                    "volume {quantity} is not a multiple of the volume step {step}"
                )
            }
            Self::OffTick { price, tick } => {
                write!(f, "price {price} is not a multiple of the tick {tick}")
            }
            Self::PriceNotPositive(price) => write!(f, "price {price} must be above zero"),
            Self::BelowMinimumNotional { notional, minimum } => {
                write!(f, "notional {notional} is below the minimum {minimum}")
            }
            Self::ExpireTimePassed(at) => write!(f, "ExpireTime {at} is not in the future"),
            Self::UnknownOrder(id) => write!(f, "ORDER_NOT_FOUND: order {id} not found"),
            Self::OrderDone(status) => write!(f, "too late: the order is {status:?}"),
            Self::UnknownPosition(id) => {
                write!(
                    f,
                    "POSITION_NOT_FOUND: no open position {id} in this symbol"
                )
            }
            Self::ReplaceNotAllowed(rule) => f.write_str(rule),
            Self::QuantityNotAboveFilled { quantity, filled } => write!(
                f,
                "new quantity {quantity} is not above the filled quantity {filled}"
            ),
            Self::ImmediateOrCancel => f.write_str("IOC: the unfilled remainder is canceled"),
            Self::FillOrKill { available, needed } => write!(
                f,
                "FOK: {available} available within the limit, {needed} needed"
            ),
            Self::NoLiquidity => f.write_str("market order: no more liquidity, remainder canceled"),
            Self::SelfTrade => f.write_str("self-trade prevented: remainder canceled"),
        }
    }
}

/// What the exchange tells the outside world.
#[allow(
    clippy::large_enum_variant,
    reason = "events move by value once, to the session that sends them"
)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExchangeEvent {
    /// An ExecutionReport for `owner`.
    Execution {
        /// Whose order.
        owner: OwnerId,
        /// The report.
        report: ExecutionReport,
        /// Why, on a reject or on a cancel the exchange made itself.
        reason: Option<Reason>,
    },
    /// A refused cancel or replace, for `owner`.
    CancelReject {
        /// Who asked.
        owner: OwnerId,
        /// The reject.
        reject: CancelReject,
        /// Why.
        reason: Reason,
    },
    /// A PositionReport for `owner`.
    Position {
        /// Who asked.
        owner: OwnerId,
        /// The report.
        report: PositionReport,
        /// The position's id on a hedged account (PosMaintRptID 721).
        position_id: Option<u64>,
    },
    /// Public market data: a [`BookDelta`] of entry adds and deletes, or a
    /// [`Trade`] print.
    Market(MarketEvent),
}

/// The exchange's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExchangeConfig {
    /// Self-trade rule for client orders.
    pub self_trade: SelfTradePolicy,
}

/// A client order's state.
#[derive(Clone, Debug)]
struct Order {
    key: OrderKey,
    owner: OwnerId,
    order_id: OrderId,
    cl_ord_id: ClOrdId,
    instrument: InstrumentId,
    symbol: VenueSymbol,
    side: Side,
    kind: OrderKind,
    quantity: Quantity,
    time_in_force: TimeInForce,
    cum_qty: Quantity,
    cum_cost: Money,
    status: OrdStatus,
    /// A stop whose trigger was reached.
    triggered: bool,
    /// Its position on a hedged account.
    position: Option<u64>,
    /// When it was accepted.
    accepted: Timestamp,
}

impl Order {
    fn leaves(&self) -> Quantity {
        if self.status.is_terminal() {
            Quantity::ZERO
        } else {
            self.quantity.saturating_sub(self.cum_qty)
        }
    }

    fn is_working(&self) -> bool {
        !self.status.is_terminal()
    }

    fn awaits_trigger(&self) -> bool {
        self.kind.stop_price().is_some() && !self.triggered
    }

    /// The limit it matches with: none for a market or triggered stop.
    fn limit(&self) -> Option<Price> {
        self.kind.limit_price()
    }

    fn working_status(&self) -> OrdStatus {
        if self.cum_qty.is_zero() {
            OrdStatus::New
        } else {
            OrdStatus::PartiallyFilled
        }
    }

    fn report(&self, exec_id: ExecId, exec_type: ExecType, at: Timestamp) -> ExecutionReport {
        ExecutionReport {
            exec_id,
            exec_type,
            ord_status: self.status,
            cl_ord_id: Some(self.cl_ord_id),
            orig_cl_ord_id: None,
            order_id: Some(self.order_id),
            symbol: self.symbol,
            side: self.side,
            order_qty: Some(self.quantity),
            price: self.kind.limit_price(),
            last_qty: Quantity::ZERO,
            last_px: None,
            cum_qty: self.cum_qty,
            leaves_qty: self.leaves(),
            avg_px: self.cum_cost.per_unit(self.cum_qty),
            commission: None,
            exec_ref_id: None,
            reject_reason: None,
            text: None,
            transact_time: Some(at),
            mass_status_request_id: None,
            total_reports: None,
            last_report: false,
        }
    }
}

/// One symbol's market.
#[derive(Clone, Debug)]
struct Market {
    symbol: VenueSymbol,
    book: Book,
    sequence: u64,
    last_trade: Option<Price>,
    /// Stops waiting for their trigger, in acceptance order.
    stops: BTreeSet<OrderKey>,
}

/// Who is taking liquidity in one match.
#[derive(Clone, Copy, Debug)]
struct Taker {
    owner: OwnerId,
    /// The client order, or `None` for background liquidity.
    key: Option<OrderKey>,
    side: Side,
    limit: Option<Price>,
    quantity: Quantity,
}

/// The simulated venue's matching core; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Exchange {
    config: ExchangeConfig,
    instruments: InstrumentTable,
    markets: BTreeMap<InstrumentId, Market>,
    orders: BTreeMap<OrderKey, Order>,
    by_cl_ord_id: BTreeMap<(OwnerId, ClOrdId), OrderKey>,
    by_order_id: BTreeMap<OrderId, OrderKey>,
    used_cl_ord_ids: BTreeSet<(OwnerId, ClOrdId)>,
    expiries: BTreeSet<(Timestamp, OrderKey)>,
    positions: BTreeMap<OwnerId, Positions>,
    /// Hedged accounts' positions (an owner here is hedged).
    hedged: BTreeMap<OwnerId, HedgedPositions>,
    next_position_id: u64,
    clock: Timestamp,
    next_key: u64,
    exec_count: u64,
    trade_count: u64,
    /// Book changes of the operation under way, for the next delta.
    changes: Vec<BookChange>,
}

impl Exchange {
    /// An exchange trading `instruments`, each with an empty book.
    pub fn new(instruments: InstrumentTable, config: ExchangeConfig) -> Self {
        let mut markets = BTreeMap::new();
        for instrument in instruments.iter() {
            markets.insert(
                instrument.id,
                Market {
                    symbol: instrument.venue_symbol,
                    book: Book::new(),
                    sequence: 0,
                    last_trade: None,
                    stops: BTreeSet::new(),
                },
            );
        }
        Self {
            config,
            instruments,
            markets,
            orders: BTreeMap::new(),
            by_cl_ord_id: BTreeMap::new(),
            by_order_id: BTreeMap::new(),
            used_cl_ord_ids: BTreeSet::new(),
            expiries: BTreeSet::new(),
            positions: BTreeMap::new(),
            hedged: BTreeMap::new(),
            next_position_id: 0,
            clock: Timestamp::UNIX_EPOCH,
            next_key: 0,
            exec_count: 0,
            trade_count: 0,
            changes: Vec::new(),
        }
    }

    /// The instruments traded.
    pub const fn instruments(&self) -> &InstrumentTable {
        &self.instruments
    }

    /// The settings.
    pub const fn config(&self) -> ExchangeConfig {
        self.config
    }

    /// The latest `now` seen.
    pub const fn clock(&self) -> Timestamp {
        self.clock
    }

    /// The book of `instrument`.
    pub fn book(&self, instrument: &InstrumentId) -> Option<&Book> {
        self.markets.get(instrument).map(|market| &market.book)
    }

    /// The price of the last trade on `instrument`.
    pub fn last_trade(&self, instrument: &InstrumentId) -> Option<Price> {
        self.markets.get(instrument)?.last_trade
    }

    /// The full entry book of `instrument` (a depth subscription's first
    /// 35=W), best first, with the sequence number of the last event.
    pub fn snapshot(&self, now: Timestamp, instrument: &InstrumentId) -> Option<BookSnapshot> {
        let market = self.markets.get(instrument)?;
        let (bids, asks) = market.book.snapshot();
        Some(BookSnapshot {
            header: header(*instrument, market.sequence, now),
            bids,
            asks,
        })
    }

    /// Best bid and ask without sizes (cTrader's spot stream).
    pub fn spot(&self, now: Timestamp, instrument: &InstrumentId) -> Option<Quote> {
        let market = self.markets.get(instrument)?;
        let side = |price: Option<Price>| price.map(|price| QuoteSide { price, size: None });
        Some(Quote {
            header: header(*instrument, market.sequence, now),
            bid: side(market.book.best_bid()),
            ask: side(market.book.best_ask()),
        })
    }

    /// Makes `owner`'s account netting (the default) or hedged; set it
    /// before the account trades.
    pub fn set_position_mode(&mut self, owner: OwnerId, mode: PositionMode) {
        match mode {
            PositionMode::Netting => {
                self.hedged.remove(&owner);
            }
            PositionMode::Hedged => {
                self.hedged.entry(owner).or_default();
            }
        }
    }

    /// The position (PosMaintRptID 721) of `owner`'s order `order_id` on
    /// a hedged account.
    pub fn order_position(&self, owner: OwnerId, order_id: &OrderId) -> Option<u64> {
        let order = self.orders.get(self.by_order_id.get(order_id)?)?;
        (order.owner == owner).then_some(order.position).flatten()
    }

    /// `owner`'s net position in `instrument`: the sum of its fills.
    pub fn position(&self, owner: OwnerId, instrument: &InstrumentId) -> NetQuantity {
        if let Some(hedged) = self.hedged.get(&owner) {
            return hedged.net(instrument);
        }
        self.positions
            .get(&owner)
            .and_then(|positions| positions.get(instrument))
            .map_or(NetQuantity::ZERO, |position| position.net)
    }

    /// `owner`'s working orders as (ClOrdID, leaves quantity), in
    /// creation order: what a mass status would report.
    pub fn working_order_ids(&self, owner: OwnerId) -> Vec<(ClOrdId, Quantity)> {
        self.orders
            .values()
            .filter(|order| order.owner == owner && order.is_working())
            .map(|order| (order.cl_ord_id, order.leaves()))
            .collect()
    }

    /// Client orders still working (resting, or stops waiting).
    pub fn working_orders(&self, owner: OwnerId) -> usize {
        self.orders
            .values()
            .filter(|order| order.owner == owner && order.is_working())
            .count()
    }

    /// Takes `now` as the clock unless it is earlier than one seen.
    fn observe(&mut self, now: Timestamp) -> Timestamp {
        self.clock = self.clock.max(now);
        self.clock
    }

    /// Expires every GTD order whose time has come by `now`.
    pub fn advance(&mut self, now: Timestamp) -> Vec<ExchangeEvent> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        out
    }

    pub(crate) fn advance_into(
        &mut self,
        now: Timestamp,
        out: &mut Vec<ExchangeEvent>,
    ) -> Timestamp {
        let now = self.observe(now);
        while let Some(&(at, key)) = self.expiries.first() {
            if at > now {
                break;
            }
            self.expiries.pop_first();
            self.expire(at, key, out);
        }
        now
    }

    fn expire(&mut self, at: Timestamp, key: OrderKey, out: &mut Vec<ExchangeEvent>) {
        let Some(order) = self.orders.get(&key).filter(|order| order.is_working()) else {
            return;
        };
        let instrument = order.instrument;
        self.take_off_book(key, instrument);
        if let Some(order) = self.orders.get_mut(&key) {
            order.status = OrdStatus::Expired;
        }
        self.report(at, key, ExecType::Expired, None, out);
        self.flush(at, instrument, out);
    }

    /// Takes a working order out of its book or off the stop list.
    fn take_off_book(&mut self, key: OrderKey, instrument: InstrumentId) {
        if let Some(market) = self.markets.get_mut(&instrument) {
            market.stops.remove(&key);
            if market.book.get(key).is_some() {
                let _ = market.book.remove(key, &mut self.changes);
            }
        }
    }

    /// Sends the operation's book changes on `instrument` as one delta.
    fn flush(&mut self, at: Timestamp, instrument: InstrumentId, out: &mut Vec<ExchangeEvent>) {
        if self.changes.is_empty() {
            return;
        }
        let Some(market) = self.markets.get_mut(&instrument) else {
            self.changes.clear();
            return;
        };
        market.sequence += 1;
        out.push(ExchangeEvent::Market(MarketEvent::Delta(BookDelta {
            header: header(instrument, market.sequence, at),
            changes: std::mem::take(&mut self.changes),
        })));
    }

    fn next_exec_id(&mut self) -> ExecId {
        self.exec_count += 1;
        ExecId::new(&format!("E{}", self.exec_count))
            .unwrap_or_else(|_| unreachable!("a short ASCII id is a valid ExecID"))
    }

    fn new_key(&mut self) -> OrderKey {
        self.next_key += 1;
        OrderKey(self.next_key)
    }

    /// Emits a report of `key`'s current state.
    fn report(
        &mut self,
        at: Timestamp,
        key: OrderKey,
        exec_type: ExecType,
        reason: Option<Reason>,
        out: &mut Vec<ExchangeEvent>,
    ) -> Option<usize> {
        let exec_id = self.next_exec_id();
        let order = self.orders.get(&key)?;
        let mut report = order.report(exec_id, exec_type, at);
        report.text = reason.as_ref().map(ToString::to_string);
        out.push(ExchangeEvent::Execution {
            owner: order.owner,
            report,
            reason,
        });
        Some(out.len() - 1)
    }

    /// A new order from `owner`; see the [module docs](self) for the
    /// rules. Returns the owner's reports and the market data it caused.
    pub fn submit(
        &mut self,
        now: Timestamp,
        owner: OwnerId,
        request: &OrderRequest,
    ) -> Vec<ExchangeEvent> {
        let mut out = Vec::new();
        self.submit_into(now, owner, request, &mut out);
        out
    }

    fn submit_into(
        &mut self,
        now: Timestamp,
        owner: OwnerId,
        request: &OrderRequest,
        out: &mut Vec<ExchangeEvent>,
    ) {
        let at = self.advance_into(now, out);
        if !self.used_cl_ord_ids.insert((owner, request.cl_ord_id)) {
            return reject_new(
                self.next_exec_id(),
                at,
                owner,
                request,
                Reason::DuplicateClOrdId(request.cl_ord_id),
                out,
            );
        }
        let Some(instrument) = self.instruments.by_symbol(&request.symbol).cloned() else {
            return reject_new(
                self.next_exec_id(),
                at,
                owner,
                request,
                Reason::UnknownSymbol(request.symbol),
                out,
            );
        };
        if let Err(reason) = check_terms(&instrument, request.kind, request.quantity)
            .and_then(|()| check_expiry(request.time_in_force, at))
        {
            return reject_new(self.next_exec_id(), at, owner, request, reason, out);
        }
        let position = match (self.hedged.get(&owner), request.position) {
            (None, _) => None,
            (Some(hedged), Some(id)) => {
                if hedged.open_instrument(id) != Some(instrument.id) {
                    let reason = Reason::UnknownPosition(id);
                    return reject_new(self.next_exec_id(), at, owner, request, reason, out);
                }
                Some(id)
            }
            (Some(_), None) => {
                self.next_position_id += 1;
                Some(self.next_position_id)
            }
        };
        let key = self.new_key();
        let order_id = OrderId::new(&key.0.to_string())
            .unwrap_or_else(|_| unreachable!("digits are a valid OrderID"));
        let order = Order {
            key,
            owner,
            order_id,
            cl_ord_id: request.cl_ord_id,
            instrument: instrument.id,
            symbol: instrument.venue_symbol,
            side: request.side,
            kind: request.kind,
            quantity: request.quantity,
            time_in_force: request.time_in_force,
            cum_qty: Quantity::ZERO,
            cum_cost: Money::ZERO,
            status: OrdStatus::New,
            triggered: false,
            position,
            accepted: at,
        };
        self.orders.insert(key, order);
        self.by_cl_ord_id.insert((owner, request.cl_ord_id), key);
        self.by_order_id.insert(order_id, key);
        if let TimeInForce::GoodTillDate(expire) = request.time_in_force {
            self.expiries.insert((expire, key));
        }
        self.report(at, key, ExecType::New, None, out);
        self.activate(at, key, out);
        self.flush(at, instrument.id, out);
    }

    /// Triggers a stop already reached, parks one not reached, or
    /// executes an active order.
    fn activate(&mut self, at: Timestamp, key: OrderKey, out: &mut Vec<ExchangeEvent>) {
        let Some(order) = self.orders.get(&key) else {
            return;
        };
        let instrument = order.instrument;
        if order.awaits_trigger() {
            let last = self.last_trade(&instrument);
            let reached = match (order.kind.stop_price(), last) {
                (Some(stop), Some(last)) => stop_reached(order.side, stop, last),
                _ => false,
            };
            if !reached {
                if let Some(market) = self.markets.get_mut(&instrument) {
                    market.stops.insert(key);
                }
                return;
            }
            if let Some(order) = self.orders.get_mut(&key) {
                order.triggered = true;
            }
        }
        self.execute(at, key, out);
        self.trigger_stops(at, instrument, out);
    }

    /// Matches an active client order, then rests or cancels the rest.
    fn execute(&mut self, at: Timestamp, key: OrderKey, out: &mut Vec<ExchangeEvent>) {
        let Some(order) = self.orders.get(&key) else {
            return;
        };
        let (owner, side, instrument, tif) = (
            order.owner,
            order.side,
            order.instrument,
            order.time_in_force,
        );
        let (limit, leaves) = (order.limit(), order.leaves());
        let prevent = self.prevents_self_trade(owner);
        if tif == TimeInForce::FillOrKill {
            let available = self
                .markets
                .get(&instrument)
                .map_or(Quantity::ZERO, |market| {
                    market
                        .book
                        .available(side.opposite(), limit, prevent.then_some(owner))
                });
            if available < leaves {
                let reason = Reason::FillOrKill {
                    available,
                    needed: leaves,
                };
                return self.cancel_rest(at, key, reason, out);
            }
        }
        let taker = Taker {
            owner,
            key: Some(key),
            side,
            limit,
            quantity: leaves,
        };
        let (remaining, self_trade) = self.take(at, instrument, taker, out);
        if remaining.is_zero() {
            return;
        }
        let reason = if self_trade {
            Some(Reason::SelfTrade)
        } else if limit.is_none() {
            Some(Reason::NoLiquidity)
        } else if matches!(
            tif,
            TimeInForce::ImmediateOrCancel | TimeInForce::FillOrKill
        ) {
            Some(Reason::ImmediateOrCancel)
        } else {
            None
        };
        match (reason, limit) {
            (Some(reason), _) => self.cancel_rest(at, key, reason, out),
            (None, Some(price)) => {
                if let Some(market) = self.markets.get_mut(&instrument) {
                    // Matching stopped short of the limit, so it rests
                    // without crossing.
                    let _ =
                        market
                            .book
                            .insert(key, owner, side, price, remaining, &mut self.changes);
                }
            }
            (None, None) => self.cancel_rest(at, key, Reason::NoLiquidity, out),
        }
    }

    fn prevents_self_trade(&self, owner: OwnerId) -> bool {
        self.config.self_trade == SelfTradePolicy::CancelIncoming && owner != OwnerId::BACKGROUND
    }

    /// Matches `taker` against the book and settles every fill: reports
    /// for client orders on both sides, positions, trade prints. Returns
    /// what is left and whether a self-trade stopped it.
    fn take(
        &mut self,
        at: Timestamp,
        instrument: InstrumentId,
        taker: Taker,
        out: &mut Vec<ExchangeEvent>,
    ) -> (Quantity, bool) {
        let prevent = self.prevents_self_trade(taker.owner);
        let Some(market) = self.markets.get_mut(&instrument) else {
            return (taker.quantity, false);
        };
        let outcome = market.book.match_incoming(
            taker.owner,
            taker.side,
            taker.limit,
            taker.quantity,
            prevent,
            &mut self.changes,
        );
        let symbol = market.symbol;
        for fill in &outcome.fills {
            if let Some(market) = self.markets.get_mut(&instrument) {
                market.last_trade = Some(fill.price);
                market.sequence += 1;
                self.trade_count += 1;
                let trade_id = TradeId::new(&format!("T{}", self.trade_count))
                    .unwrap_or_else(|_| unreachable!("a short ASCII id is a valid TradeId"));
                out.push(ExchangeEvent::Market(MarketEvent::Trade(Trade {
                    header: header(instrument, market.sequence, at),
                    price: fill.price,
                    size: fill.quantity,
                    aggressor: Some(taker.side),
                    trade_id: Some(trade_id),
                })));
            }
            // Maker first: its fill happened at its resting price.
            self.settle(
                at,
                fill.maker_owner,
                Some(fill.maker),
                instrument,
                symbol,
                taker.side.opposite(),
                fill.price,
                fill.quantity,
                out,
            );
            self.settle(
                at,
                taker.owner,
                taker.key,
                instrument,
                symbol,
                taker.side,
                fill.price,
                fill.quantity,
                out,
            );
        }
        (outcome.remaining, outcome.self_trade)
    }

    /// One side of one fill: the order's state and report, the position.
    #[allow(clippy::too_many_arguments, reason = "one fill's facts, used once")]
    fn settle(
        &mut self,
        at: Timestamp,
        owner: OwnerId,
        key: Option<OrderKey>,
        instrument: InstrumentId,
        symbol: VenueSymbol,
        side: Side,
        price: Price,
        quantity: Quantity,
        out: &mut Vec<ExchangeEvent>,
    ) {
        if owner == OwnerId::BACKGROUND {
            return;
        }
        let position = key
            .and_then(|key| self.orders.get(&key))
            .and_then(|order| order.position);
        match (position, self.hedged.get_mut(&owner)) {
            (Some(id), Some(hedged)) => hedged.apply(id, instrument, symbol, side, price, quantity),
            _ => self
                .positions
                .entry(owner)
                .or_default()
                .apply(instrument, symbol, side, price, quantity),
        }
        let Some(order) = key.and_then(|key| self.orders.get_mut(&key)) else {
            return;
        };
        order.cum_qty = order.cum_qty.checked_add(quantity).unwrap_or(order.cum_qty);
        order.cum_cost = order
            .cum_cost
            .checked_add(price.notional(quantity))
            .unwrap_or(order.cum_cost);
        order.status = if order.cum_qty >= order.quantity {
            OrdStatus::Filled
        } else {
            OrdStatus::PartiallyFilled
        };
        let key = order.key;
        if let Some(index) = self.report(at, key, ExecType::Trade, None, out)
            && let Some(ExchangeEvent::Execution { report, .. }) = out.get_mut(index)
        {
            report.last_qty = quantity;
            report.last_px = Some(price);
        }
    }

    /// Cancels what is left of an order the exchange itself ends.
    fn cancel_rest(
        &mut self,
        at: Timestamp,
        key: OrderKey,
        reason: Reason,
        out: &mut Vec<ExchangeEvent>,
    ) {
        if let Some(order) = self.orders.get_mut(&key) {
            order.status = OrdStatus::Canceled;
        }
        self.report(at, key, ExecType::Canceled, Some(reason), out);
    }

    /// Triggers, in acceptance order, every stop the last trade reached;
    /// each triggered stop may trade and trigger more.
    fn trigger_stops(
        &mut self,
        at: Timestamp,
        instrument: InstrumentId,
        out: &mut Vec<ExchangeEvent>,
    ) {
        loop {
            let Some(market) = self.markets.get(&instrument) else {
                return;
            };
            let Some(last) = market.last_trade else {
                return;
            };
            let orders = &self.orders;
            let next = market.stops.iter().copied().find(|key| {
                orders.get(key).is_some_and(|order| {
                    order
                        .kind
                        .stop_price()
                        .is_some_and(|stop| stop_reached(order.side, stop, last))
                })
            });
            let Some(key) = next else {
                return;
            };
            if let Some(market) = self.markets.get_mut(&instrument) {
                market.stops.remove(&key);
            }
            if let Some(order) = self.orders.get_mut(&key) {
                order.triggered = true;
            }
            self.execute(at, key, out);
        }
    }

    /// The order `owner` names by OrderID (when given and its own) or by
    /// any ClOrdID it has had.
    fn find(
        &self,
        owner: OwnerId,
        order_id: Option<OrderId>,
        cl_ord_id: ClOrdId,
    ) -> Option<OrderKey> {
        order_id
            .and_then(|id| self.by_order_id.get(&id))
            .filter(|key| {
                self.orders
                    .get(key)
                    .is_some_and(|order| order.owner == owner)
            })
            .or_else(|| self.by_cl_ord_id.get(&(owner, cl_ord_id)))
            .copied()
    }

    /// The order a cancel or replace (`ids`: its ClOrdID, OrigClOrdID and
    /// OrderID) names, after refusing a reused ClOrdID or an unknown order
    /// with an OrderCancelReject.
    fn order_to_modify(
        &mut self,
        owner: OwnerId,
        response: CancelRejectResponseTo,
        ids: (ClOrdId, ClOrdId, Option<OrderId>),
        out: &mut Vec<ExchangeEvent>,
    ) -> Option<OrderKey> {
        let (cl_ord_id, orig_cl_ord_id, order_id) = ids;
        let found = self.find(owner, order_id, orig_cl_ord_id);
        if !self.used_cl_ord_ids.insert((owner, cl_ord_id)) {
            let reason = Reason::DuplicateClOrdId(cl_ord_id);
            self.refuse(owner, response, ids, found, reason, out);
            return None;
        }
        if found.is_none() {
            let reason = Reason::UnknownOrder(orig_cl_ord_id);
            self.refuse(owner, response, ids, None, reason, out);
        }
        found
    }

    fn refuse(
        &self,
        owner: OwnerId,
        response_to: CancelRejectResponseTo,
        request: (ClOrdId, ClOrdId, Option<OrderId>),
        found: Option<OrderKey>,
        reason: Reason,
        out: &mut Vec<ExchangeEvent>,
    ) {
        let (cl_ord_id, orig_cl_ord_id, order_id) = request;
        let (order_id, ord_status) = match found.and_then(|key| self.orders.get(&key)) {
            Some(order) => (Some(order.order_id), Some(order.status)),
            None => (order_id, Some(OrdStatus::Rejected)),
        };
        out.push(ExchangeEvent::CancelReject {
            owner,
            reject: CancelReject {
                cl_ord_id,
                orig_cl_ord_id: Some(orig_cl_ord_id),
                order_id,
                ord_status,
                response_to,
                reason: Some(reason.cancel_reject_code()),
                text: Some(reason.to_string()),
            },
            reason,
        });
    }

    /// Cancels a working order of `owner`.
    pub fn cancel(
        &mut self,
        now: Timestamp,
        owner: OwnerId,
        request: &CancelRequest,
    ) -> Vec<ExchangeEvent> {
        let mut out = Vec::new();
        let at = self.advance_into(now, &mut out);
        let ids = (request.cl_ord_id, request.orig_cl_ord_id, request.order_id);
        let response = CancelRejectResponseTo::Cancel;
        let Some(key) = self.order_to_modify(owner, response, ids, &mut out) else {
            return out;
        };
        let found = Some(key);
        let Some(order) = self.orders.get(&key) else {
            return out;
        };
        if !order.is_working() {
            let reason = Reason::OrderDone(order.status);
            self.refuse(owner, response, ids, found, reason, &mut out);
            return out;
        }
        let (previous, instrument) = (order.cl_ord_id, order.instrument);
        self.take_off_book(key, instrument);
        if let Some(order) = self.orders.get_mut(&key) {
            order.cl_ord_id = request.cl_ord_id;
            order.status = OrdStatus::Canceled;
        }
        self.by_cl_ord_id.insert((owner, request.cl_ord_id), key);
        if let Some(index) = self.report(at, key, ExecType::Canceled, None, &mut out)
            && let Some(ExchangeEvent::Execution { report, .. }) = out.get_mut(index)
        {
            report.orig_cl_ord_id = Some(previous);
        }
        self.flush(at, instrument, &mut out);
        out
    }

    /// Replaces a working order of `owner`.
    pub fn replace(
        &mut self,
        now: Timestamp,
        owner: OwnerId,
        request: &ReplaceRequest,
    ) -> Vec<ExchangeEvent> {
        let mut out = Vec::new();
        let at = self.advance_into(now, &mut out);
        let ids = (request.cl_ord_id, request.orig_cl_ord_id, request.order_id);
        let response = CancelRejectResponseTo::Replace;
        let Some(key) = self.order_to_modify(owner, response, ids, &mut out) else {
            return out;
        };
        let found = Some(key);
        let Some(order) = self.orders.get(&key) else {
            return out;
        };
        if let Err(reason) = self.check_replace(at, order, request) {
            self.refuse(owner, response, ids, found, reason, &mut out);
            return out;
        }
        let (previous, instrument, old_tif) =
            (order.cl_ord_id, order.instrument, order.time_in_force);
        if let TimeInForce::GoodTillDate(expire) = old_tif {
            self.expiries.remove(&(expire, key));
        }
        if let TimeInForce::GoodTillDate(expire) = request.time_in_force {
            self.expiries.insert((expire, key));
        }
        let Some(order) = self.orders.get_mut(&key) else {
            return out;
        };
        order.cl_ord_id = request.cl_ord_id;
        order.kind = request.kind;
        order.quantity = request.quantity;
        order.time_in_force = request.time_in_force;
        order.status = order.working_status();
        let (side, limit, leaves) = (order.side, order.limit(), order.leaves());
        let awaits_trigger = order.awaits_trigger();
        self.by_cl_ord_id.insert((owner, request.cl_ord_id), key);
        if let Some(index) = self.report(at, key, ExecType::Replaced, None, &mut out)
            && let Some(ExchangeEvent::Execution { report, .. }) = out.get_mut(index)
        {
            report.orig_cl_ord_id = Some(previous);
        }
        let book = self.markets.get(&instrument).map(|market| &market.book);
        let resting = book.is_some_and(|book| book.get(key).is_some());
        let crosses = match (limit, book.and_then(|book| book.best(side.opposite()))) {
            (Some(limit), Some(best)) => match side {
                Side::Buy => best.price <= limit,
                Side::Sell => best.price >= limit,
            },
            _ => false,
        };
        match limit {
            // A stop waiting for its trigger, with new terms (triggered at
            // once if the last trade already reached it).
            _ if awaits_trigger => {
                self.take_off_book(key, instrument);
                self.activate(at, key, &mut out);
            }
            // A resting order that still rests without crossing: resized
            // in place by the book's rule.
            Some(price) if resting && !crosses => {
                if let Some(market) = self.markets.get_mut(&instrument) {
                    let _ = market.book.resize(key, price, leaves, &mut self.changes);
                }
            }
            // Otherwise it matches again as an incoming order.
            _ => {
                self.take_off_book(key, instrument);
                self.execute(at, key, &mut out);
                self.trigger_stops(at, instrument, &mut out);
            }
        }
        self.flush(at, instrument, &mut out);
        out
    }

    /// Why a replace of `order` cannot be applied.
    fn check_replace(
        &self,
        at: Timestamp,
        order: &Order,
        request: &ReplaceRequest,
    ) -> Result<(), Reason> {
        if !order.is_working() {
            return Err(Reason::OrderDone(order.status));
        }
        if request.kind == OrderKind::Market {
            return Err(Reason::ReplaceNotAllowed(
                "a working order cannot be replaced by a market order",
            ));
        }
        if matches!(
            request.time_in_force,
            TimeInForce::ImmediateOrCancel | TimeInForce::FillOrKill
        ) {
            return Err(Reason::ReplaceNotAllowed(
                "a working order cannot be replaced with time in force IOC or FOK",
            ));
        }
        if order.triggered && request.kind.limit_price().is_none() {
            return Err(Reason::ReplaceNotAllowed(
                "a triggered stop-limit order needs a limit price",
            ));
        }
        let Some(instrument) = self.instruments.get(&order.instrument) else {
            return Err(Reason::UnknownSymbol(order.symbol));
        };
        check_terms(instrument, request.kind, request.quantity)?;
        if request.quantity <= order.cum_qty {
            return Err(Reason::QuantityNotAboveFilled {
                quantity: request.quantity,
                filled: order.cum_qty,
            });
        }
        check_expiry(request.time_in_force, at)
    }

    /// The state of one order of `owner` (OrderStatusRequest).
    pub fn status(
        &mut self,
        now: Timestamp,
        owner: OwnerId,
        cl_ord_id: ClOrdId,
        order_id: Option<OrderId>,
    ) -> Vec<ExchangeEvent> {
        let mut out = Vec::new();
        let at = self.advance_into(now, &mut out);
        match self.find(owner, order_id, cl_ord_id) {
            Some(key) => {
                self.report(at, key, ExecType::OrderStatus, None, &mut out);
            }
            None => {
                let exec_id = self.next_exec_id();
                let reason = Reason::UnknownOrder(cl_ord_id);
                let mut report = crate::report::empty_report(
                    exec_id,
                    at,
                    ExecType::OrderStatus,
                    OrdStatus::Rejected,
                );
                report.cl_ord_id = Some(cl_ord_id);
                report.order_id = order_id;
                report.reject_reason = Some(reason.code());
                report.text = Some(reason.to_string());
                out.push(ExchangeEvent::Execution {
                    owner,
                    report,
                    reason: Some(reason),
                });
            }
        }
        out
    }

    /// One OrderStatus report per working order of `owner`, in creation
    /// order; with none, one report saying so (TotNumReports 0).
    pub fn mass_status(
        &mut self,
        now: Timestamp,
        owner: OwnerId,
        request_id: RequestId,
    ) -> Vec<ExchangeEvent> {
        self.mass_status_since(now, owner, request_id, None)
    }

    /// [`Self::mass_status`] of the orders accepted at or after `since`
    /// (cTrader's IssueDate, 225), or all of them.
    pub fn mass_status_since(
        &mut self,
        now: Timestamp,
        owner: OwnerId,
        request_id: RequestId,
        since: Option<Timestamp>,
    ) -> Vec<ExchangeEvent> {
        let mut out = Vec::new();
        let at = self.advance_into(now, &mut out);
        let working: Vec<OrderKey> = self
            .orders
            .values()
            .filter(|order| order.owner == owner && order.is_working())
            .filter(|order| since.is_none_or(|since| order.accepted >= since))
            .map(|order| order.key)
            .collect();
        if working.is_empty() {
            let exec_id = self.next_exec_id();
            let report = crate::report::no_working_orders(exec_id, at, request_id);
            out.push(ExchangeEvent::Execution {
                owner,
                report,
                reason: None,
            });
            return out;
        }
        let total = u32::try_from(working.len()).unwrap_or(u32::MAX);
        let last = working.len() - 1;
        for (n, key) in working.into_iter().enumerate() {
            if let Some(index) = self.report(at, key, ExecType::OrderStatus, None, &mut out)
                && let Some(ExchangeEvent::Execution { report, .. }) = out.get_mut(index)
            {
                report.mass_status_request_id = Some(request_id);
                report.total_reports = Some(total);
                report.last_report = n == last;
            }
        }
        out
    }

    /// One PositionReport per open netting position of `owner`, or one
    /// report without a symbol and TotalNumPosReports 0 when it is flat.
    pub fn positions(
        &mut self,
        now: Timestamp,
        owner: OwnerId,
        request_id: RequestId,
    ) -> Vec<ExchangeEvent> {
        let mut out = Vec::new();
        self.advance_into(now, &mut out);
        // (position id on a hedged account, position), in id or symbol order.
        let open: Vec<(Option<u64>, _)> = match self.hedged.get(&owner) {
            Some(hedged) => hedged
                .open()
                .map(|(id, position)| (Some(id), *position))
                .collect(),
            None => self
                .positions
                .get(&owner)
                .map(|positions| positions.open().map(|position| (None, *position)).collect())
                .unwrap_or_default(),
        };
        let total = u32::try_from(open.len()).unwrap_or(u32::MAX);
        if open.is_empty() {
            out.push(ExchangeEvent::Position {
                owner,
                report: PositionReport {
                    request_id: Some(request_id),
                    symbol: None,
                    long: Quantity::ZERO,
                    short: Quantity::ZERO,
                    settlement_price: None,
                    total_reports: Some(0),
                },
                position_id: None,
            });
        }
        for (position_id, position) in open {
            let size = position.net.abs();
            let long = position.net.raw() > 0;
            out.push(ExchangeEvent::Position {
                owner,
                report: PositionReport {
                    request_id: Some(request_id),
                    symbol: Some(position.symbol),
                    long: if long { size } else { Quantity::ZERO },
                    short: if long { Quantity::ZERO } else { size },
                    settlement_price: position.average_price(),
                    total_reports: Some(total),
                },
                position_id,
            });
        }
        out
    }

    /// Background liquidity: a limit order resting at `price` (or taking
    /// what it crosses first, then resting the rest). Returns its key
    /// while it rests. Orders the instrument could not have are ignored.
    pub(crate) fn background_limit(
        &mut self,
        at: Timestamp,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        size: Quantity,
        out: &mut Vec<ExchangeEvent>,
    ) -> Option<OrderKey> {
        if size.is_zero() {
            return None;
        }
        let key = self.new_key();
        let taker = Taker {
            owner: OwnerId::BACKGROUND,
            key: None,
            side,
            limit: Some(price),
            quantity: size,
        };
        let (remaining, _) = self.take(at, instrument, taker, out);
        let rested = !remaining.is_zero()
            && self.markets.get_mut(&instrument).is_some_and(|market| {
                market
                    .book
                    .insert(
                        key,
                        OwnerId::BACKGROUND,
                        side,
                        price,
                        remaining,
                        &mut self.changes,
                    )
                    .is_ok()
            });
        self.trigger_stops(at, instrument, out);
        self.flush(at, instrument, out);
        rested.then_some(key)
    }

    /// Background liquidity: a market order; its remainder is dropped.
    pub(crate) fn background_market(
        &mut self,
        at: Timestamp,
        instrument: InstrumentId,
        side: Side,
        size: Quantity,
        out: &mut Vec<ExchangeEvent>,
    ) {
        let taker = Taker {
            owner: OwnerId::BACKGROUND,
            key: None,
            side,
            limit: None,
            quantity: size,
        };
        self.take(at, instrument, taker, out);
        self.trigger_stops(at, instrument, out);
        self.flush(at, instrument, out);
    }

    /// Background liquidity: takes a resting background order out.
    pub(crate) fn background_cancel(
        &mut self,
        at: Timestamp,
        instrument: InstrumentId,
        key: OrderKey,
        out: &mut Vec<ExchangeEvent>,
    ) {
        if let Some(market) = self.markets.get_mut(&instrument)
            && market
                .book
                .get(key)
                .is_some_and(|order| order.owner == OwnerId::BACKGROUND)
        {
            let _ = market.book.remove(key, &mut self.changes);
        }
        self.flush(at, instrument, out);
    }
}

fn header(instrument: InstrumentId, sequence: u64, at: Timestamp) -> MarketHeader {
    MarketHeader {
        instrument,
        sequence: Some(sequence),
        exchange_time: Some(at),
        receive_time: at,
    }
}

/// True when a trade at `last` reaches a `side` stop at `stop`.
fn stop_reached(side: Side, stop: Price, last: Price) -> bool {
    match side {
        Side::Buy => last >= stop,
        Side::Sell => last <= stop,
    }
}

fn reject_new(
    exec_id: ExecId,
    at: Timestamp,
    owner: OwnerId,
    request: &OrderRequest,
    reason: Reason,
    out: &mut Vec<ExchangeEvent>,
) {
    let mut report =
        crate::report::empty_report(exec_id, at, ExecType::Rejected, OrdStatus::Rejected);
    report.cl_ord_id = Some(request.cl_ord_id);
    report.symbol = request.symbol;
    report.side = request.side;
    report.order_qty = Some(request.quantity);
    report.price = request.kind.limit_price();
    report.reject_reason = Some(reason.code());
    report.text = Some(reason.to_string());
    out.push(ExchangeEvent::Execution {
        owner,
        report,
        reason: Some(reason),
    });
}

/// Why an order's size or prices cannot trade on `instrument`.
fn check_terms(instrument: &Instrument, kind: OrderKind, quantity: Quantity) -> Result<(), Reason> {
    if quantity.is_zero() {
        return Err(Reason::ZeroQuantity);
    }
    if quantity < instrument.min_quantity {
        return Err(Reason::BelowMinimumVolume {
            quantity,
            minimum: instrument.min_quantity,
        });
    }
    if let Some(maximum) = instrument.max_quantity
        && quantity > maximum
    {
        return Err(Reason::AboveMaximumVolume { quantity, maximum });
    }
    if !quantity.is_multiple_of(instrument.lot_size) {
        return Err(Reason::OffStep {
            quantity,
            step: instrument.lot_size,
        });
    }
    for price in [kind.limit_price(), kind.stop_price()]
        .into_iter()
        .flatten()
    {
        if !price.is_multiple_of(instrument.tick_size) {
            return Err(Reason::OffTick {
                price,
                tick: instrument.tick_size,
            });
        }
        if !price.is_positive() && !instrument.allows_non_positive_prices {
            return Err(Reason::PriceNotPositive(price));
        }
    }
    if let (Some(minimum), Some(price)) = (instrument.min_notional, kind.limit_price()) {
        let notional = price.notional(quantity);
        if notional < minimum {
            return Err(Reason::BelowMinimumNotional { notional, minimum });
        }
    }
    Ok(())
}

/// Refuses a GTD expire time at or before `at`.
fn check_expiry(time_in_force: TimeInForce, at: Timestamp) -> Result<(), Reason> {
    match time_in_force {
        TimeInForce::GoodTillDate(expire) if expire <= at => Err(Reason::ExpireTimePassed(expire)),
        _ => Ok(()),
    }
}
