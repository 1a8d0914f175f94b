//! Fixtures shared by the OMS tests: one instrument, intents, and execution
//! reports built the way a venue would send them.
#![allow(dead_code, reason = "each test file uses a different subset")]

use model::{
    ClOrdId, ExecId, ExecType, ExecutionReport, Instrument, InstrumentId, InstrumentTable,
    IntentSpec, OrdStatus, OrderId, OrderIntent, OrderKind, Price, Quantity, RunId, Side,
    StrategyId, TimeInForce, Timestamp, VenueCommand, VenueEvent, VenueSymbol,
};
use oms::risk::RiskLimits;
use oms::{Oms, OmsConfig, OmsEvent};

pub(crate) const T0: u64 = 1_790_000_000_000_000_000;

pub(crate) fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_nanos(T0 + ms * 1_000_000)
}

pub(crate) fn px(text: &str) -> Price {
    text.parse().unwrap()
}

pub(crate) fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

pub(crate) fn eurusd() -> Instrument {
    Instrument {
        id: InstrumentId::new("EURUSD").unwrap(),
        venue_symbol: VenueSymbol::new("1").unwrap(),
        tick_size: px("0.00001"),
        lot_size: qty("1"),
        min_quantity: qty("1"),
        max_quantity: None,
        min_notional: None,
        price_digits: 5,
        allows_non_positive_prices: false,
    }
}

pub(crate) fn instruments() -> InstrumentTable {
    let mut table = InstrumentTable::new();
    table.insert(eurusd()).unwrap();
    table
}

pub(crate) fn config() -> OmsConfig {
    OmsConfig::new(RiskLimits::default(), instruments())
}

pub(crate) fn instrument() -> InstrumentId {
    InstrumentId::new("EURUSD").unwrap()
}

pub(crate) fn strategy(name: &str) -> StrategyId {
    StrategyId::new(name).unwrap()
}

pub(crate) fn intent(side: Side, size: &str, price: &str, epoch: u64) -> OrderIntent {
    OrderIntent::new(IntentSpec {
        run_id: RunId::new("test").unwrap(),
        strategy: strategy("alpha"),
        instrument: instrument(),
        side,
        kind: OrderKind::Limit { price: px(price) },
        size: qty(size),
        time_in_force: TimeInForce::GoodTillCancel,
        epoch,
        created: at(0),
        reason: "test".into(),
    })
}

/// A fresh OMS with the market at 1.1 (price bands need a mark).
pub(crate) fn oms() -> Oms {
    let mut oms = Oms::new(config(), at(0));
    oms.on_market_price(instrument(), px("1.1"));
    oms
}

pub(crate) fn drain(oms: &mut Oms) -> (Vec<OmsEvent>, Vec<VenueCommand>) {
    let events = std::iter::from_fn(|| oms.poll_event()).collect();
    let commands = std::iter::from_fn(|| oms.poll_command()).collect();
    (events, commands)
}

/// A venue-side view of one order, producing reports with consistent
/// CumQty/LeavesQty/AvgPx.
pub(crate) struct VenueOrder {
    pub cl_ord_id: ClOrdId,
    pub order_id: OrderId,
    pub side: Side,
    pub quantity: Quantity,
    pub price: Price,
    pub cum: Quantity,
    pub cost: model::Money,
    pub exec_seq: u32,
}

impl VenueOrder {
    pub(crate) fn new(
        cl_ord_id: ClOrdId,
        order_id: &str,
        side: Side,
        quantity: &str,
        price: &str,
    ) -> Self {
        Self {
            cl_ord_id,
            order_id: OrderId::new(order_id).unwrap(),
            side,
            quantity: qty(quantity),
            price: px(price),
            cum: Quantity::ZERO,
            cost: model::Money::ZERO,
            exec_seq: 0,
        }
    }

    fn next_exec(&mut self) -> ExecId {
        self.exec_seq += 1;
        ExecId::new(&format!("{}-{}", self.order_id, self.exec_seq)).unwrap()
    }

    fn status(&self) -> OrdStatus {
        if self.cum >= self.quantity {
            OrdStatus::Filled
        } else if self.cum.is_zero() {
            OrdStatus::New
        } else {
            OrdStatus::PartiallyFilled
        }
    }

    pub(crate) fn report(&mut self, exec_type: ExecType, ord_status: OrdStatus) -> ExecutionReport {
        let leaves = if ord_status.is_terminal() {
            Quantity::ZERO
        } else {
            self.quantity.saturating_sub(self.cum)
        };
        ExecutionReport {
            exec_id: self.next_exec(),
            exec_type,
            ord_status,
            cl_ord_id: Some(self.cl_ord_id),
            orig_cl_ord_id: None,
            order_id: Some(self.order_id),
            symbol: VenueSymbol::new("1").unwrap(),
            side: self.side,
            order_qty: Some(self.quantity),
            price: Some(self.price),
            last_qty: Quantity::ZERO,
            last_px: None,
            cum_qty: self.cum,
            leaves_qty: leaves,
            avg_px: self.cost.per_unit(self.cum),
            commission: None,
            exec_ref_id: None,
            reject_reason: None,
            text: None,
            transact_time: None,
            mass_status_request_id: None,
            total_reports: None,
            last_report: false,
        }
    }

    pub(crate) fn ack(&mut self) -> VenueEvent {
        VenueEvent::Execution(self.report(ExecType::New, OrdStatus::New))
    }

    pub(crate) fn fill(&mut self, quantity: &str, price: &str) -> VenueEvent {
        let (q, p) = (qty(quantity), px(price));
        self.cum = self.cum.checked_add(q).unwrap();
        self.cost = self.cost.checked_add(p.notional(q)).unwrap();
        let status = self.status();
        let mut report = self.report(ExecType::Trade, status);
        report.last_qty = q;
        report.last_px = Some(p);
        VenueEvent::Execution(report)
    }

    pub(crate) fn canceled(&mut self, request: Option<ClOrdId>) -> VenueEvent {
        let mut report = self.report(ExecType::Canceled, OrdStatus::Canceled);
        if let Some(request) = request {
            report.orig_cl_ord_id = Some(self.cl_ord_id);
            report.cl_ord_id = Some(request);
        }
        VenueEvent::Execution(report)
    }

    pub(crate) fn replaced(&mut self, request: ClOrdId, quantity: &str, price: &str) -> VenueEvent {
        let orig = self.cl_ord_id;
        self.cl_ord_id = request;
        self.quantity = qty(quantity);
        self.price = px(price);
        let status = self.status();
        let mut report = self.report(ExecType::Replaced, status);
        report.orig_cl_ord_id = Some(orig);
        VenueEvent::Execution(report)
    }
}

pub(crate) fn new_order_id(commands: &[VenueCommand]) -> ClOrdId {
    match commands {
        [VenueCommand::New(new)] => new.cl_ord_id,
        other => panic!("expected one NewOrderSingle, got {other:?}"),
    }
}
