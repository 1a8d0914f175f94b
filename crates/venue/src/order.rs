//! A simulated order's state, and the execution reports that describe it.
//!
//! An order's quantities always satisfy `cum_qty ≤ quantity`, and while it
//! works `leaves_qty = quantity − cum_qty`; once done (filled, canceled,
//! expired) leaves is zero. `cum_cost` is the exact sum of
//! `price × quantity` over its fills; AvgPx is `cum_cost / cum_qty`,
//! truncated to nine fractional digits.

use model::{
    ClOrdId, ExecId, ExecType, ExecutionReport, InstrumentId, Money, OrdStatus, OrderId, OrderKind,
    Price, Quantity, Side, TimeInForce, Timestamp, VenueSymbol,
};

/// One order the simulated venue accepted.
#[derive(Clone, Debug)]
pub(crate) struct SimOrder {
    /// OrderID (37): assigned at acceptance, stable across replaces.
    pub(crate) order_id: OrderId,
    /// The order's current ClOrdID (the last accepted request's).
    pub(crate) cl_ord_id: ClOrdId,
    pub(crate) instrument: InstrumentId,
    pub(crate) symbol: VenueSymbol,
    pub(crate) side: Side,
    pub(crate) kind: OrderKind,
    pub(crate) quantity: Quantity,
    pub(crate) time_in_force: TimeInForce,
    pub(crate) cum_qty: Quantity,
    pub(crate) cum_cost: Money,
    pub(crate) status: OrdStatus,
    /// A stop whose trigger was reached; it now behaves as a market
    /// (stop) or limit (stop-limit) order.
    pub(crate) triggered: bool,
    /// True once the order rests at its limit on the book.
    pub(crate) resting: bool,
    /// Visible size ahead of it at its price, while resting.
    pub(crate) queue_ahead: Quantity,
    /// Creation order, for time priority.
    pub(crate) seq: u64,
}

impl SimOrder {
    /// True until filled, canceled, expired or rejected.
    pub(crate) const fn is_working(&self) -> bool {
        !self.status.is_terminal()
    }

    /// A stop not yet triggered.
    pub(crate) const fn awaits_trigger(&self) -> bool {
        self.kind.stop_price().is_some() && !self.triggered
    }

    /// Quantity still open: zero once done.
    pub(crate) fn leaves(&self) -> Quantity {
        if self.is_working() {
            self.quantity.saturating_sub(self.cum_qty)
        } else {
            Quantity::ZERO
        }
    }

    /// The limit it trades within once active (none: market or stop).
    pub(crate) const fn limit(&self) -> Option<Price> {
        self.kind.limit_price()
    }

    /// The working status its fills give it.
    pub(crate) fn working_status(&self) -> OrdStatus {
        if self.cum_qty.is_zero() {
            OrdStatus::New
        } else {
            OrdStatus::PartiallyFilled
        }
    }

    /// Applies a fill of at most the leaves quantity; returns the size
    /// actually applied.
    pub(crate) fn apply_fill(&mut self, price: Price, quantity: Quantity) -> Quantity {
        let quantity = quantity.min(self.leaves());
        if quantity.is_zero() {
            return quantity;
        }
        self.cum_qty = self.cum_qty.checked_add(quantity).unwrap_or(self.quantity);
        self.cum_cost = self
            .cum_cost
            .checked_add(price.notional(quantity))
            .unwrap_or(self.cum_cost);
        self.status = if self.cum_qty >= self.quantity {
            OrdStatus::Filled
        } else {
            OrdStatus::PartiallyFilled
        };
        quantity
    }

    /// AvgPx (6): exact cost over filled size, truncated.
    pub(crate) fn avg_px(&self) -> Option<Price> {
        self.cum_cost.per_unit(self.cum_qty)
    }

    /// A report of `exec_type` describing the order as it is now, with no
    /// fill (LastQty 0); callers set the fill, request and text fields.
    pub(crate) fn report(
        &self,
        exec_id: ExecId,
        exec_type: ExecType,
        at: Timestamp,
    ) -> ExecutionReport {
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
            price: self.limit(),
            last_qty: Quantity::ZERO,
            last_px: None,
            cum_qty: self.cum_qty,
            leaves_qty: self.leaves(),
            avg_px: self.avg_px(),
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
