//! One order as the OMS tracks it, across its ClOrdID chain.

use model::{
    CancelOrder, ClOrdId, ExecId, InstrumentId, IntentId, Money, OrderId, OrderKind, Quantity,
    ReplaceOrder, Side, StatusRequest, StrategyId, TimeInForce, Timestamp, VenueSymbol,
};

use crate::status::{InvalidTransition, OrderStatus, StatusEvent, transition};

/// One fill applied to an order, kept so that a bust or correction
/// (ExecType H/G) can take it back exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fill {
    /// ExecID of the report that carried it.
    pub exec_id: ExecId,
    /// Quantity filled.
    pub quantity: Quantity,
    /// Exact value of the fill: quantity × price.
    pub cost: Money,
    /// Fees charged for it.
    pub fee: Money,
    /// When the venue executed it.
    pub at: Timestamp,
}

/// A request in flight: a cancel or replace EMP sent and the venue has not
/// answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PendingRequest {
    /// OrderCancelRequest with this ClOrdID.
    Cancel {
        /// The request's ClOrdID.
        cl_ord_id: ClOrdId,
    },
    /// OrderCancelReplaceRequest with this ClOrdID and these new terms.
    Replace {
        /// The request's ClOrdID.
        cl_ord_id: ClOrdId,
        /// New total quantity.
        quantity: Quantity,
        /// New order type and prices.
        kind: OrderKind,
        /// New time in force.
        time_in_force: TimeInForce,
    },
}

impl PendingRequest {
    /// The request's ClOrdID.
    pub const fn cl_ord_id(&self) -> &ClOrdId {
        match self {
            Self::Cancel { cl_ord_id } | Self::Replace { cl_ord_id, .. } => cl_ord_id,
        }
    }
}

/// An order: created by an intent that passed the risk gate (or adopted
/// from the venue during reconciliation), identified by its [`IntentId`]
/// for its whole life, whatever ClOrdIDs replaces give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// The intent that created it (or one derived from the venue's
    /// OrderID for an adopted order).
    pub intent_id: IntentId,
    /// Owner.
    pub strategy: StrategyId,
    /// What it trades.
    pub instrument: InstrumentId,
    /// Symbol (55) at the venue.
    pub symbol: VenueSymbol,
    /// Buy or sell.
    pub side: Side,
    /// Current order type and prices.
    pub kind: OrderKind,
    /// Current total quantity.
    pub quantity: Quantity,
    /// Current time in force.
    pub time_in_force: TimeInForce,
    /// Current status.
    pub status: OrderStatus,
    /// The status to go back to when a pending cancel or replace is
    /// rejected.
    pub previous_status: OrderStatus,
    /// The ClOrdID the order works under now.
    pub cl_ord_id: ClOrdId,
    /// Earlier ClOrdIDs, oldest first: the OrigClOrdID chain.
    pub replaced_cl_ord_ids: Vec<ClOrdId>,
    /// The venue's OrderID, once known.
    pub order_id: Option<OrderId>,
    /// The cancel or replace in flight, if any.
    pub pending: Option<PendingRequest>,
    /// Filled quantity, never above `quantity`.
    pub filled: Quantity,
    /// Quantity the venue reported beyond `quantity` (an overfill). It is
    /// in the position, because the venue says it traded.
    pub overfill: Quantity,
    /// Exact total value of the fills.
    pub filled_cost: Money,
    /// Total fees.
    pub fees: Money,
    /// Every fill applied, in order.
    pub fills: Vec<Fill>,
    /// When EMP created it.
    pub created: Timestamp,
    /// When anything last happened to it.
    pub updated: Timestamp,
    /// When the last request (new, cancel, replace) went out and is not
    /// yet answered; `None` when nothing is in flight.
    pub in_flight_since: Option<Timestamp>,
    /// Status queries sent since the last answer.
    pub status_queries: u32,
    /// The last text the venue sent with a reject or cancel.
    pub last_text: Option<String>,
}

impl Order {
    /// Quantity still open: quantity − filled, zero once terminal.
    pub fn leaves(&self) -> Quantity {
        if self.status.is_terminal() {
            Quantity::ZERO
        } else {
            self.quantity.saturating_sub(self.filled)
        }
    }

    /// Everything the venue says traded: filled plus overfill (= Σ fills).
    pub fn traded(&self) -> Quantity {
        // Σ fills was summed without overflow when each fill was applied.
        self.filled
            .checked_add(self.overfill)
            .unwrap_or(self.filled)
    }

    /// Splits `traded` into filled (at most the quantity) and overfill.
    pub(crate) fn set_traded(&mut self, traded: Quantity) {
        self.filled = traded.min(self.quantity);
        self.overfill = traded.saturating_sub(self.quantity);
    }

    /// True when an ExecID was already applied to this order.
    pub fn has_exec(&self, exec_id: &ExecId) -> bool {
        self.fills.iter().any(|fill| &fill.exec_id == exec_id)
    }

    /// The status of any ClOrdID in the chain: the current one's is the
    /// order's status; superseded ones are `Replaced`.
    pub fn status_of(&self, cl_ord_id: &ClOrdId) -> Option<OrderStatus> {
        if &self.cl_ord_id == cl_ord_id {
            Some(self.status)
        } else if self.replaced_cl_ord_ids.contains(cl_ord_id) {
            Some(OrderStatus::Replaced)
        } else {
            None
        }
    }

    /// An OrderStatusRequest for this order under its current ClOrdID.
    pub fn status_request(&self) -> StatusRequest {
        StatusRequest {
            cl_ord_id: self.cl_ord_id,
            order_id: self.order_id,
            instrument: self.instrument,
            symbol: self.symbol,
            side: self.side,
        }
    }

    /// An OrderCancelRequest with ClOrdID `cl_ord_id` for this order.
    pub fn cancel_request(&self, cl_ord_id: ClOrdId, now: Timestamp) -> CancelOrder {
        CancelOrder {
            cl_ord_id,
            orig_cl_ord_id: self.cl_ord_id,
            order_id: self.order_id,
            instrument: self.instrument,
            symbol: self.symbol,
            side: self.side,
            quantity: self.quantity,
            transact_time: now,
        }
    }

    /// An OrderCancelReplaceRequest with ClOrdID `cl_ord_id` and new terms.
    pub fn replace_request(
        &self,
        cl_ord_id: ClOrdId,
        quantity: Quantity,
        kind: OrderKind,
        now: Timestamp,
    ) -> ReplaceOrder {
        ReplaceOrder {
            cl_ord_id,
            orig_cl_ord_id: self.cl_ord_id,
            order_id: self.order_id,
            instrument: self.instrument,
            symbol: self.symbol,
            side: self.side,
            kind,
            quantity,
            time_in_force: self.time_in_force,
            transact_time: now,
        }
    }

    /// Applies a status event through the transition table, keeping the
    /// status to restore when a request is refused.
    pub(crate) fn apply_status(&mut self, event: StatusEvent) -> Result<(), InvalidTransition> {
        let next = transition(self.status, self.previous_status, event)?;
        match event {
            // A cancel on top of a pending replace restores to the status
            // before the replace, which previous_status already holds.
            StatusEvent::CancelRequested | StatusEvent::ReplaceRequested
                if self.status != OrderStatus::PendingReplace =>
            {
                self.previous_status = self.status;
            }
            StatusEvent::PartialFill
                if matches!(
                    self.status,
                    OrderStatus::PendingCancel | OrderStatus::PendingReplace
                ) =>
            {
                self.previous_status = OrderStatus::PartiallyFilled;
            }
            _ => {}
        }
        self.status = next;
        Ok(())
    }
}
