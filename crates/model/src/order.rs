//! Orders as strategies ask for them and as the OMS sends them: sides,
//! order types, time in force, the [`OrderIntent`] contract and the venue
//! commands the OMS emits.

use std::fmt;

use crate::fixed::{Price, Quantity};
use crate::ids::{ClOrdId, InstrumentId, OrderId, RequestId, RunId, StrategyId, VenueSymbol};
use crate::time::Timestamp;

/// Buy or sell.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Side {
    /// Side (54) = 1.
    Buy,
    /// Side (54) = 2.
    Sell,
}

impl Side {
    /// The other side.
    pub const fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        })
    }
}

/// The order type and the prices it needs: a market order has none, a
/// limit order a limit price, a stop order a trigger, a stop-limit both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OrderKind {
    /// OrdType (40) = 1.
    Market,
    /// OrdType (40) = 2, Price (44).
    Limit {
        /// Worst price to trade at.
        price: Price,
    },
    /// OrdType (40) = 3, StopPx (99).
    Stop {
        /// Trigger price; becomes a market order when reached.
        stop: Price,
    },
    /// OrdType (40) = 4, StopPx (99) and Price (44).
    StopLimit {
        /// Trigger price.
        stop: Price,
        /// Limit price once triggered.
        price: Price,
    },
}

impl OrderKind {
    /// The limit price, if the type has one.
    pub const fn limit_price(self) -> Option<Price> {
        match self {
            Self::Limit { price } | Self::StopLimit { price, .. } => Some(price),
            Self::Market | Self::Stop { .. } => None,
        }
    }

    /// The stop (trigger) price, if the type has one.
    pub const fn stop_price(self) -> Option<Price> {
        match self {
            Self::Stop { stop } | Self::StopLimit { stop, .. } => Some(stop),
            Self::Market | Self::Limit { .. } => None,
        }
    }

    /// The price the order is expected to trade at for risk purposes: the
    /// limit price, else the stop price, else none (market).
    pub const fn reference_price(self) -> Option<Price> {
        match self {
            Self::Limit { price } | Self::StopLimit { price, .. } => Some(price),
            Self::Stop { stop } => Some(stop),
            Self::Market => None,
        }
    }

    /// Short name: MARKET, LIMIT, STOP, STOP_LIMIT.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Market => "MARKET",
            Self::Limit { .. } => "LIMIT",
            Self::Stop { .. } => "STOP",
            Self::StopLimit { .. } => "STOP_LIMIT",
        }
    }
}

/// How long an order works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TimeInForce {
    /// TimeInForce (59) = 0: until the end of the trading day.
    Day,
    /// 59 = 1: until canceled.
    GoodTillCancel,
    /// 59 = 3: fill what is possible now, cancel the rest.
    ImmediateOrCancel,
    /// 59 = 4: fill completely now or not at all.
    FillOrKill,
    /// 59 = 6 with ExpireTime (126).
    GoodTillDate(Timestamp),
}

impl TimeInForce {
    /// Short name: DAY, GTC, IOC, FOK, GTD.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Day => "DAY",
            Self::GoodTillCancel => "GTC",
            Self::ImmediateOrCancel => "IOC",
            Self::FillOrKill => "FOK",
            Self::GoodTillDate(_) => "GTD",
        }
    }
}

/// The idempotency key of an [`OrderIntent`]: a 128-bit FNV-1a hash of
/// strategy, instrument, side, order type and prices, size and the intent
/// epoch. The same decision, re-emitted (after a restart, or twice in one
/// tick), has the same id, and the OMS creates at most one order for it.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct IntentId(u128);

impl IntentId {
    /// The id with this value (from a journal, or a test).
    pub const fn from_u128(value: u128) -> Self {
        Self(value)
    }

    /// The hash value.
    pub const fn as_u128(self) -> u128 {
        self.0
    }

    /// The id of an order EMP did not create (found at the venue during
    /// reconciliation), derived from the venue's OrderID so that every
    /// restart derives the same id.
    pub fn for_external_order(order_id: &OrderId) -> Self {
        let mut hash = Fnv128::new();
        hash.write(b"external-order\0");
        hash.write(order_id.as_bytes());
        Self(hash.finish())
    }
}

impl fmt::Display for IntentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for IntentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IntentId({self})")
    }
}

/// FNV-1a, 128 bits: deterministic on every machine and every run, unlike
/// std's randomly keyed hasher.
struct Fnv128(u128);

impl Fnv128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

    const fn new() -> Self {
        Self(Self::OFFSET)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u128::from(byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    const fn finish(&self) -> u128 {
        self.0
    }
}

/// What a strategy asks for: one order, before the risk gate has seen it.
///
/// Build it with [`OrderIntent::new`], which derives the [`IntentId`]. The
/// terms read through `Deref` (`intent.size`) and cannot be changed
/// afterwards, so the id always matches them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "IntentSpec", into = "IntentSpec")]
pub struct OrderIntent {
    intent_id: IntentId,
    spec: IntentSpec,
}

impl std::ops::Deref for OrderIntent {
    type Target = IntentSpec;

    fn deref(&self) -> &IntentSpec {
        &self.spec
    }
}

/// The fields of an [`OrderIntent`], for [`OrderIntent::new`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IntentSpec {
    /// The run that produced the intent.
    pub run_id: RunId,
    /// The strategy that owns the order.
    pub strategy: StrategyId,
    /// What to trade.
    pub instrument: InstrumentId,
    /// Buy or sell.
    pub side: Side,
    /// Order type and prices.
    pub kind: OrderKind,
    /// How much.
    pub size: Quantity,
    /// How long it works.
    pub time_in_force: TimeInForce,
    /// The strategy's decision counter.
    pub epoch: u64,
    /// When the strategy decided.
    pub created: Timestamp,
    /// Why, in words.
    pub reason: String,
}

// A journal stores an intent's terms only; reading it back derives the id
// again, so a stored intent can never carry an id that does not match.
impl From<IntentSpec> for OrderIntent {
    fn from(spec: IntentSpec) -> Self {
        Self::new(spec)
    }
}

impl From<OrderIntent> for IntentSpec {
    fn from(intent: OrderIntent) -> Self {
        intent.spec
    }
}

impl OrderIntent {
    /// The intent with its id derived from the order terms and epoch.
    pub fn new(spec: IntentSpec) -> Self {
        Self {
            intent_id: Self::derive_id(&spec),
            spec,
        }
    }

    /// The idempotency key.
    pub const fn intent_id(&self) -> IntentId {
        self.intent_id
    }

    fn derive_id(spec: &IntentSpec) -> IntentId {
        let mut hash = Fnv128::new();
        // Each variable-length field ends in a 0 byte, which no id holds,
        // so ("ab","c") and ("a","bc") hash differently.
        hash.write(spec.strategy.as_bytes());
        hash.write(&[0]);
        hash.write(spec.instrument.as_bytes());
        hash.write(&[0]);
        hash.write(&[match spec.side {
            Side::Buy => b'1',
            Side::Sell => b'2',
        }]);
        hash.write(spec.kind.name().as_bytes());
        hash.write(&[0]);
        for price in [spec.kind.limit_price(), spec.kind.stop_price()] {
            match price {
                Some(px) => {
                    hash.write(&[1]);
                    hash.write(&px.raw().to_le_bytes());
                }
                None => hash.write(&[0]),
            }
        }
        hash.write(&spec.size.raw().to_le_bytes());
        hash.write(&spec.epoch.to_le_bytes());
        IntentId(hash.finish())
    }
}

/// What the OMS asks a venue to do; the gateway encodes it (NewOrderSingle,
/// OrderCancelRequest, …). Every variant comes out of the risk gate or the
/// reconciliation logic, never straight from a strategy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VenueCommand {
    /// NewOrderSingle (D).
    New(NewOrder),
    /// OrderCancelRequest (F).
    Cancel(CancelOrder),
    /// OrderCancelReplaceRequest (G).
    Replace(ReplaceOrder),
    /// OrderStatusRequest (H).
    Status(StatusRequest),
    /// OrderMassStatusRequest (AF), all orders (MassStatusReqType 7).
    MassStatus {
        /// MassStatusReqID (584).
        request_id: RequestId,
    },
    /// RequestForPositions (AN).
    Positions {
        /// PosReqID (710).
        request_id: RequestId,
    },
}

/// A new order, ready for the wire.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewOrder {
    /// ClOrdID (11).
    pub cl_ord_id: ClOrdId,
    /// EMP's instrument.
    pub instrument: InstrumentId,
    /// Symbol (55) at the venue.
    pub symbol: VenueSymbol,
    /// Side (54).
    pub side: Side,
    /// OrdType (40), Price (44), StopPx (99).
    pub kind: OrderKind,
    /// OrderQty (38).
    pub quantity: Quantity,
    /// TimeInForce (59), ExpireTime (126).
    pub time_in_force: TimeInForce,
    /// TransactTime (60).
    pub transact_time: Timestamp,
}

/// A cancel request for a working order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CancelOrder {
    /// ClOrdID (11) of this request.
    pub cl_ord_id: ClOrdId,
    /// OrigClOrdID (41): the order's current ClOrdID.
    pub orig_cl_ord_id: ClOrdId,
    /// OrderID (37), when the venue has assigned one.
    pub order_id: Option<OrderId>,
    /// EMP's instrument.
    pub instrument: InstrumentId,
    /// Symbol (55).
    pub symbol: VenueSymbol,
    /// Side (54).
    pub side: Side,
    /// OrderQty (38): the order's current quantity.
    pub quantity: Quantity,
    /// TransactTime (60).
    pub transact_time: Timestamp,
}

/// A cancel/replace request: new quantity and/or prices for a working order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReplaceOrder {
    /// ClOrdID (11) of the replacement.
    pub cl_ord_id: ClOrdId,
    /// OrigClOrdID (41): the order's current ClOrdID.
    pub orig_cl_ord_id: ClOrdId,
    /// OrderID (37), when known.
    pub order_id: Option<OrderId>,
    /// EMP's instrument.
    pub instrument: InstrumentId,
    /// Symbol (55).
    pub symbol: VenueSymbol,
    /// Side (54).
    pub side: Side,
    /// OrdType (40) and the new prices.
    pub kind: OrderKind,
    /// OrderQty (38): the new total quantity, fills included.
    pub quantity: Quantity,
    /// TimeInForce (59), ExpireTime (126).
    pub time_in_force: TimeInForce,
    /// TransactTime (60).
    pub transact_time: Timestamp,
}

/// A status query for one order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusRequest {
    /// ClOrdID (11): the order's current ClOrdID.
    pub cl_ord_id: ClOrdId,
    /// OrderID (37), when known.
    pub order_id: Option<OrderId>,
    /// EMP's instrument.
    pub instrument: InstrumentId,
    /// Symbol (55).
    pub symbol: VenueSymbol,
    /// Side (54).
    pub side: Side,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> IntentSpec {
        IntentSpec {
            run_id: RunId::new("run-1").unwrap(),
            strategy: StrategyId::new("mm").unwrap(),
            instrument: InstrumentId::new("EURUSD").unwrap(),
            side: Side::Buy,
            kind: OrderKind::Limit {
                price: "1.1".parse().unwrap(),
            },
            size: "1000".parse().unwrap(),
            time_in_force: TimeInForce::GoodTillCancel,
            epoch: 7,
            created: Timestamp::from_unix_nanos(1),
            reason: "test".into(),
        }
    }

    #[test]
    fn intent_id_depends_on_terms_and_epoch_only() {
        let base = OrderIntent::new(spec()).intent_id();
        // Same terms, different time, run and reason: same decision.
        let mut again = spec();
        again.created = Timestamp::from_unix_nanos(99);
        again.run_id = RunId::new("run-2").unwrap();
        again.reason = "restarted".into();
        assert_eq!(OrderIntent::new(again).intent_id(), base);

        let variants: [fn(&mut IntentSpec); 6] = [
            |s| s.epoch = 8,
            |s| s.side = Side::Sell,
            |s| s.size = "1001".parse().unwrap(),
            |s| {
                s.kind = OrderKind::Limit {
                    price: "1.2".parse().unwrap(),
                }
            },
            |s| {
                s.kind = OrderKind::Stop {
                    stop: "1.1".parse().unwrap(),
                }
            },
            |s| s.instrument = InstrumentId::new("EURUSD2").unwrap(),
        ];
        for change in variants {
            let mut other = spec();
            change(&mut other);
            assert_ne!(OrderIntent::new(other).intent_id(), base);
        }
    }

    #[test]
    fn intent_id_is_stable_across_builds() {
        // A restart (or another build) must derive the same id: the value
        // below was computed independently (FNV-1a 128 in Python) from the
        // documented byte layout.
        let id = OrderIntent::new(spec()).intent_id();
        assert_eq!(id.to_string(), "8735bb215a092fcd17a6385bc2da22ba");
        assert_ne!(
            IntentId::for_external_order(&OrderId::new("1").unwrap()),
            IntentId::for_external_order(&OrderId::new("2").unwrap())
        );
    }
}
