//! What strategies propose and what the host emits.
//!
//! A strategy returns [`Proposal`]s: order terms and a reason, without the
//! run, strategy id or creation time. The host stamps those, derives the
//! [`OrderIntent`], and emits [`Action`]s that map 1:1 onto the OMS API:
//! `Oms::submit(now, intent)`, `Oms::cancel(now, intent_id)` and
//! `Oms::replace(now, intent_id, quantity, kind)`.

use model::{InstrumentId, IntentId, OrderIntent, OrderKind, Quantity, Side, TimeInForce};

/// A new order as a strategy decides it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRequest {
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
    /// The strategy's decision counter: the same decision in the same
    /// epoch has the same intent id.
    pub epoch: u64,
    /// Why, in words.
    pub reason: String,
}

/// One thing a strategy wants done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proposal {
    /// Place a new order.
    Submit(OrderRequest),
    /// Cancel a working order.
    Cancel {
        /// The order.
        intent_id: IntentId,
        /// Why, in words.
        reason: String,
    },
    /// Change a working order's quantity or prices.
    Replace {
        /// The order.
        intent_id: IntentId,
        /// The new total quantity.
        quantity: Quantity,
        /// The new order type and prices.
        kind: OrderKind,
        /// Why, in words.
        reason: String,
    },
}

impl Proposal {
    /// True for a cancel, which only ever reduces risk.
    pub const fn is_cancel(&self) -> bool {
        matches!(self, Self::Cancel { .. })
    }
}

/// What the host emits, one variant per OMS call.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[expect(
    clippy::large_enum_variant,
    reason = "most actions are submits; boxing would allocate for each"
)]
pub enum Action {
    /// `Oms::submit(now, intent)`.
    Submit(OrderIntent),
    /// `Oms::cancel(now, intent_id)`.
    Cancel {
        /// The order.
        intent_id: IntentId,
    },
    /// `Oms::replace(now, intent_id, quantity, kind)`.
    Replace {
        /// The order.
        intent_id: IntentId,
        /// The new total quantity.
        quantity: Quantity,
        /// The new order type and prices.
        kind: OrderKind,
    },
}

impl Action {
    /// The intent the action concerns.
    pub fn intent_id(&self) -> IntentId {
        match self {
            Self::Submit(intent) => intent.intent_id(),
            Self::Cancel { intent_id } | Self::Replace { intent_id, .. } => *intent_id,
        }
    }

    /// True for a cancel.
    pub const fn is_cancel(&self) -> bool {
        matches!(self, Self::Cancel { .. })
    }
}
