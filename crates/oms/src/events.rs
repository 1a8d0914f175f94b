//! The OMS's own event stream: every state change, in order.
//!
//! The OMS changes its state only by applying one of these events
//! ([`crate::OmsState::apply`]), and emits each one it applies. Persisting
//! the stream and applying it again rebuilds the state exactly: this is how
//! EMP recovers after a restart.

use model::{
    ClOrdId, ExecId, InstrumentId, IntentId, Money, OrderId, OrderIntent, OrderKind, Quantity,
    Side, StrategyId, TimeInForce, Timestamp, VenueSymbol,
};

use crate::alert::AlertCode;
use crate::risk::{Denial, TradingState};

/// One state change.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OmsEvent {
    /// The OMS started (a new process, or a restart). New ClOrdIDs take a
    /// prefix from this moment, so they never repeat one from an earlier
    /// run, even if the earlier run's events were lost.
    Started {
        /// Start time.
        at: Timestamp,
    },
    /// An intent passed the risk gate and its NewOrderSingle is queued.
    OrderSubmitted {
        /// When.
        at: Timestamp,
        /// The intent.
        intent: Box<OrderIntent>,
        /// Symbol (55) at the venue.
        symbol: VenueSymbol,
        /// ClOrdID of the NewOrderSingle.
        cl_ord_id: ClOrdId,
    },
    /// An intent was denied; it never reached a venue. Audit only: no
    /// order exists, and a later identical intent is checked afresh.
    IntentDenied {
        /// When.
        at: Timestamp,
        /// The intent's id.
        intent_id: IntentId,
        /// Owner.
        strategy: StrategyId,
        /// What it would have traded.
        instrument: InstrumentId,
        /// Why.
        denial: Denial,
    },
    /// A cancel request is queued.
    CancelSent {
        /// When.
        at: Timestamp,
        /// The order.
        intent_id: IntentId,
        /// ClOrdID of the OrderCancelRequest.
        cl_ord_id: ClOrdId,
    },
    /// A replace request passed the risk gate and is queued.
    ReplaceSent {
        /// When.
        at: Timestamp,
        /// The order.
        intent_id: IntentId,
        /// ClOrdID of the OrderCancelReplaceRequest.
        cl_ord_id: ClOrdId,
        /// New total quantity.
        quantity: Quantity,
        /// New order type and prices.
        kind: OrderKind,
        /// New time in force.
        time_in_force: TimeInForce,
    },
    /// A status query (OrderStatusRequest) was queued for an order whose
    /// outcome is unknown.
    StatusQueried {
        /// When.
        at: Timestamp,
        /// The order.
        intent_id: IntentId,
    },
    /// The venue reported something about an order.
    OrderUpdated {
        /// When EMP applied it.
        at: Timestamp,
        /// The order.
        intent_id: IntentId,
        /// What changed.
        update: OrderUpdate,
    },
    /// Reconciliation found an order at the venue that EMP has no record
    /// of, and adopted it under the `EXTERNAL` strategy.
    ExternalOrderAdopted {
        /// When.
        at: Timestamp,
        /// Derived from the venue's OrderID.
        intent_id: IntentId,
        /// The venue's OrderID.
        order_id: OrderId,
        /// Its ClOrdID at the venue (or the OrderID when it has none).
        cl_ord_id: ClOrdId,
        /// What it trades.
        instrument: InstrumentId,
        /// Symbol (55).
        symbol: VenueSymbol,
        /// Buy or sell.
        side: Side,
        /// Order type and prices, as far as the report says.
        kind: OrderKind,
        /// Total quantity.
        quantity: Quantity,
    },
    /// Reconciliation moved a strategy's position to match the venue (see
    /// the resolution table in [`crate::reconcile`]).
    PositionAdjusted {
        /// When.
        at: Timestamp,
        /// Which instrument.
        instrument: InstrumentId,
        /// The ledger adjusted (`EXTERNAL`).
        strategy: StrategyId,
        /// Direction of the adjustment.
        side: Side,
        /// Size of the adjustment.
        quantity: Quantity,
        /// Its value at the price used.
        cost: Money,
    },
    /// The trading state changed (operator, kill switch, or a rule).
    TradingStateChanged {
        /// When.
        at: Timestamp,
        /// The new state.
        state: TradingState,
        /// Why.
        reason: String,
    },
    /// The kill switch was engaged: HALTED and every working order
    /// canceled (the cancels follow as `CancelSent`).
    KillSwitchEngaged {
        /// When.
        at: Timestamp,
        /// Why.
        reason: String,
    },
    /// The kill switch was released by the operator; trading stays
    /// HALTED until the state is set again.
    KillSwitchReleased {
        /// When.
        at: Timestamp,
    },
    /// A new trading day began: the daily-loss baseline is reset to the
    /// current realized PnL.
    DayStarted {
        /// When.
        at: Timestamp,
        /// Day number since the epoch (UTC days, or the configured roll).
        day: u64,
    },
    /// Something EMP cannot make consistent on its own, or a rule that
    /// resolved a discrepancy: for the operator and the audit trail.
    Alert {
        /// When.
        at: Timestamp,
        /// Stable code, e.g. `OVERFILL`, `RECON_ORDER_NOT_FOUND`.
        code: AlertCode,
        /// The values involved.
        detail: String,
    },
}

/// What the venue changed about an order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OrderUpdate {
    /// The venue acknowledged the order (or reported it working).
    Accepted {
        /// The venue's OrderID, when given.
        order_id: Option<OrderId>,
    },
    /// A fill.
    Filled {
        /// ExecID of the report (or a deterministic id for a fill
        /// inferred by reconciliation).
        exec_id: ExecId,
        /// Quantity.
        quantity: Quantity,
        /// Exact value (quantity × price, or derived from AvgPx).
        cost: Money,
        /// Fees.
        fee: Money,
        /// When the venue executed it.
        transact_time: Timestamp,
    },
    /// A fill was busted (ExecType H).
    FillBusted {
        /// The fill's ExecID.
        exec_id: ExecId,
    },
    /// A fill was corrected (ExecType G).
    FillCorrected {
        /// The fill's ExecID.
        exec_id: ExecId,
        /// Corrected quantity.
        quantity: Quantity,
        /// Corrected value.
        cost: Money,
    },
    /// Canceled; `requested` when it confirms EMP's cancel.
    Canceled {
        /// True when it answers EMP's request.
        requested: bool,
        /// The venue's text.
        text: Option<String>,
    },
    /// The venue refused EMP's cancel.
    CancelRejected {
        /// The venue's text.
        text: Option<String>,
    },
    /// The replace took effect: the order works under the request's
    /// ClOrdID with the new terms.
    Replaced,
    /// The venue refused EMP's replace.
    ReplaceRejected {
        /// The venue's text.
        text: Option<String>,
    },
    /// The venue rejected the order.
    Rejected {
        /// The venue's text.
        text: Option<String>,
    },
    /// Expired.
    Expired,
    /// Done for the day.
    DoneForDay,
    /// The venue changed quantity or price on its own (ExecType D).
    Restated {
        /// New total quantity.
        quantity: Quantity,
        /// New order type and prices.
        kind: OrderKind,
    },
}
