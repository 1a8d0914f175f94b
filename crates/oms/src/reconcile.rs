//! Reconciliation: after a (re)connect, venue truth against OMS state.
//!
//! The OMS asks the venue what it has (OrderMassStatusRequest, or one
//! OrderStatusRequest per working order where mass status is not offered,
//! and RequestForPositions), blocks new orders while it waits, and resolves
//! each discrepancy by one rule of this table. Status reports are applied
//! as they arrive (they are ordered with the live reports on the session,
//! so none is stale when applied).
//!
//! | EMP order | venue says | rule | result |
//! |---|---|---|---|
//! | any working | working, filled, canceled, expired, rejected | `VENUE_TRUTH` | status mirrors the venue |
//! | any | CumQty above EMP's filled | `MISSED_FILLS` | the difference is booked as a fill with a deterministic ExecID, valued from AvgPx (`RECON_FILL_INFERRED`) |
//! | any | CumQty below EMP's filled | `VENUE_CUM_BELOW` | alert and HALTED; EMP never unbooks a fill on a status report |
//! | PendingCancel / PendingReplace | works under the old ClOrdID | `REQUEST_LOST` | the request is taken as rejected; the prior status returns |
//! | PendingReplace | works under the new ClOrdID | `REPLACE_APPLIED` | replaced |
//! | any working | absent from the mass status | `QUERY_FIRST` | one OrderStatusRequest before anything is concluded |
//! | PendingNew | query answers "unknown order" | `NOT_FOUND_PENDING_NEW` | rejected, `ORDER_NOT_FOUND_AT_VENUE` |
//! | New, PartiallyFilled, DoneForDay, PendingCancel, PendingReplace | query answers "unknown order" | `NOT_FOUND_OPEN` | canceled, fills kept (a missed fill shows in the position check) |
//! | any working | no answer before the deadline | `RECON_TIMEOUT` | HALTED; the order stays in flight, never assumed failed |
//! | Filled, Canceled, Rejected, Expired | absent | `IGNORED` | nothing: venues drop completed orders |
//! | Filled, Canceled, Rejected, Expired | reported working | `TERMINAL_BUT_WORKING` | alert and HALTED: the operator decides |
//! | none | an order EMP has no record of | `UNKNOWN_VENUE_ORDER` | adopted under strategy `EXTERNAL` (canceled too if the policy says so) |
//! | position | venue net ≠ EMP net, after the orders | `POSITION_MISMATCH` | the `EXTERNAL` ledger is adjusted by the difference at the venue's price (strategy positions untouched, no synthetic flattening fill); HALTED if the policy says so |
//!
//! Compared with the reference platform, three rules differ on purpose: an
//! unconfirmed new order is never rejected just because retries ran out
//! (it stays in flight and raises `UNRESOLVED`); an acknowledged order the
//! venue does not know becomes canceled, not rejected (it did work at the
//! venue, and its fills are kept); and a position mismatch never inserts a
//! fill into a strategy's position.

use std::collections::{BTreeMap, BTreeSet};

use model::{
    BusinessReject, ExecutionReport, IntentId, Money, NetQuantity, PositionReport, Price,
    RequestId, Side, Timestamp, VenueCommand,
};

use crate::alert::AlertCode;
use crate::engine::{OmsConfig, ReconcilePolicy};
use crate::events::OmsEvent;
use crate::risk::TradingState;
use crate::state::{OmsState, external_strategy};

/// What the engine should do next.
#[derive(Debug)]
pub(crate) enum Step {
    /// Answers are still due.
    Waiting,
    /// Query these orders (absent from the mass status).
    Query(Vec<IntentId>),
    /// Everything is in: apply the position rules.
    Resolve(PositionPlan),
}

/// Reconciliation in progress.
#[derive(Debug)]
pub(crate) struct Reconciliation {
    deadline: Timestamp,
    mass_request: Option<RequestId>,
    mass_expected: Option<u32>,
    mass_received: u32,
    mass_done: bool,
    seen: BTreeSet<IntentId>,
    queried: BTreeSet<IntentId>,
    queries_sent: bool,
    position_request: Option<RequestId>,
    position_expected: Option<u32>,
    positions: Vec<PositionReport>,
    positions_done: bool,
}

impl Reconciliation {
    /// Starts: the requests to send, and the state that waits for them.
    pub(crate) fn start(
        now: Timestamp,
        policy: &ReconcilePolicy,
        state: &mut OmsState,
    ) -> (Self, Vec<VenueCommand>) {
        let mut commands = Vec::new();
        let mut recon = Self {
            deadline: now
                .checked_add_nanos(policy.timeout_nanos)
                .unwrap_or(Timestamp::from_unix_nanos(u64::MAX)),
            mass_request: None,
            mass_expected: None,
            mass_received: 0,
            mass_done: !policy.mass_status,
            seen: BTreeSet::new(),
            queried: BTreeSet::new(),
            queries_sent: !policy.mass_status,
            position_request: None,
            position_expected: None,
            positions: Vec::new(),
            positions_done: !policy.positions,
        };
        if policy.mass_status {
            let request_id = request_id(state);
            recon.mass_request = Some(request_id);
            commands.push(VenueCommand::MassStatus { request_id });
        } else {
            for order in state.working_orders() {
                recon.queried.insert(order.intent_id);
                commands.push(VenueCommand::Status(order.status_request()));
            }
        }
        if policy.positions {
            let request_id = request_id(state);
            recon.position_request = Some(request_id);
            commands.push(VenueCommand::Positions { request_id });
        }
        (recon, commands)
    }

    pub(crate) const fn deadline(&self) -> Timestamp {
        self.deadline
    }

    /// What is still awaited, for the timeout alert.
    pub(crate) fn describe_pending(&self) -> String {
        format!(
            "mass_status_done={}, mass_reports={}/{}, unanswered_queries={}, positions_done={}",
            self.mass_done,
            self.mass_received,
            self.mass_expected
                .map_or_else(|| "?".into(), |n| n.to_string()),
            self.queried.len(),
            self.positions_done
        )
    }

    /// A report arrived; `intent` is the order it was matched to.
    pub(crate) fn on_report(&mut self, report: &ExecutionReport, intent: Option<IntentId>) {
        if let Some(intent) = intent {
            self.queried.remove(&intent);
        }
        if self.mass_request.is_some() && report.mass_status_request_id == self.mass_request {
            if let Some(intent) = intent {
                self.seen.insert(intent);
            }
            self.mass_received += 1;
            if let Some(total) = report.total_reports {
                self.mass_expected = Some(total);
            }
            if report.last_report || self.mass_expected.is_some_and(|n| self.mass_received >= n) {
                self.mass_done = true;
            }
        }
    }

    /// The venue answered a query about `intent` with "unknown order".
    pub(crate) fn on_not_found(&mut self, intent: IntentId) {
        self.queried.remove(&intent);
    }

    /// A business reject: true when it answers the mass status request
    /// (cTrader: "no orders found").
    pub(crate) fn on_business_reject(&mut self, reject: &BusinessReject) -> bool {
        let Some(request) = self.mass_request else {
            return false;
        };
        let refers = reject.ref_id.as_deref() == Some(request.as_str())
            || reject.ref_msg_type.as_deref() == Some("AF");
        if refers && !self.mass_done {
            self.mass_done = true;
            self.mass_expected = Some(self.mass_received);
            return true;
        }
        false
    }

    /// A position report.
    pub(crate) fn on_position(&mut self, report: PositionReport) {
        if report.request_id.is_some() && report.request_id != self.position_request {
            return;
        }
        if let Some(total) = report.total_reports {
            self.position_expected = Some(total);
        }
        let none = report.symbol.is_none();
        if !none {
            self.positions.push(report);
        }
        let count = u32::try_from(self.positions.len()).unwrap_or(u32::MAX);
        if none || self.position_expected.is_some_and(|n| count >= n) {
            self.positions_done = true;
        }
    }

    pub(crate) fn next_step(&mut self, state: &OmsState) -> Step {
        if !self.mass_done {
            return Step::Waiting;
        }
        if !self.queries_sent {
            self.queries_sent = true;
            let absent: Vec<IntentId> = state
                .orders()
                .filter(|order| order.status.is_working() && !self.seen.contains(&order.intent_id))
                .map(|order| order.intent_id)
                .collect();
            self.queried.extend(absent.iter().copied());
            if !absent.is_empty() {
                return Step::Query(absent);
            }
        }
        // Orders resolved by other means (a live report) need no answer.
        self.queried.retain(|id| {
            state
                .order(id)
                .is_some_and(|order| order.status.is_working())
        });
        if !self.queried.is_empty() || !self.positions_done {
            return Step::Waiting;
        }
        Step::Resolve(PositionPlan {
            reports: std::mem::take(&mut self.positions),
            checked: self.position_request.is_some(),
        })
    }
}

fn request_id(state: &mut OmsState) -> RequestId {
    let id = state.ids_mut().next_id();
    RequestId::from_ascii(id.as_bytes())
        .unwrap_or_else(|_| unreachable!("a ClOrdID fits a RequestId"))
}

/// The venue's positions, to compare once the orders are reconciled.
#[derive(Debug)]
pub(crate) struct PositionPlan {
    reports: Vec<PositionReport>,
    checked: bool,
}

impl PositionPlan {
    /// The `POSITION_MISMATCH` rule: events that make EMP's net position
    /// per instrument equal the venue's.
    pub(crate) fn into_events(
        self,
        now: Timestamp,
        state: &OmsState,
        config: &OmsConfig,
        marks: &model::InstrumentMap<Price>,
    ) -> Vec<OmsEvent> {
        let mut events = Vec::new();
        if !self.checked {
            events.push(OmsEvent::Alert {
                at: now,
                code: AlertCode::ReconComplete,
                detail: "orders reconciled; the venue offers no position reports".into(),
            });
            return events;
        }
        let mut venue: BTreeMap<model::InstrumentId, (NetQuantity, Option<Price>)> =
            BTreeMap::new();
        for report in &self.reports {
            let Some(symbol) = report.symbol else {
                continue;
            };
            let Some(instrument) = config.instruments.by_symbol(&symbol) else {
                events.push(OmsEvent::Alert {
                    at: now,
                    code: AlertCode::ReconUnknownSymbol,
                    detail: format!("symbol={symbol}: the venue reports a position in an instrument EMP does not know"),
                });
                continue;
            };
            let net = NetQuantity::from_long_short(report.long, report.short)
                .unwrap_or(NetQuantity::ZERO);
            let entry = venue
                .entry(instrument.id)
                .or_insert((NetQuantity::ZERO, None));
            entry.0 = entry.0.checked_add(net).unwrap_or(entry.0);
            entry.1 = entry.1.or(report.settlement_price);
        }
        let mut instruments: BTreeSet<model::InstrumentId> = venue.keys().copied().collect();
        instruments.extend(
            config
                .instruments
                .iter()
                .map(|i| i.id)
                .filter(|id| !state.positions().instrument_net(id).is_zero()),
        );
        let mut mismatch = false;
        for id in instruments {
            let (venue_net, venue_px) =
                venue.get(&id).copied().unwrap_or((NetQuantity::ZERO, None));
            let emp_net = state.positions().instrument_net(&id);
            let Some(diff) = venue_net.checked_sub(emp_net).filter(|d| !d.is_zero()) else {
                continue;
            };
            mismatch = true;
            let side = if diff.raw() > 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let quantity = diff.abs();
            let price = venue_px.or_else(|| marks.get(&id).copied());
            let cost = price.map_or(Money::ZERO, |px| px.notional(quantity));
            events.push(OmsEvent::Alert {
                at: now,
                code: AlertCode::ReconPositionMismatch,
                detail: format!(
                    "instrument={id}, venue_net={venue_net}, emp_net={emp_net}, adjustment={side} {quantity} @ {} on EXTERNAL",
                    price.map_or_else(|| "unknown (valued at 0)".into(), |px| px.to_string())
                ),
            });
            events.push(OmsEvent::PositionAdjusted {
                at: now,
                instrument: id,
                strategy: external_strategy(),
                side,
                quantity,
                cost,
            });
        }
        if mismatch && config.reconcile.halt_on_position_mismatch {
            events.push(OmsEvent::TradingStateChanged {
                at: now,
                state: TradingState::Halted,
                reason: "reconciliation: venue position differs from EMP's".into(),
            });
        }
        events.push(OmsEvent::Alert {
            at: now,
            code: AlertCode::ReconComplete,
            detail: format!("orders and positions reconciled; position_mismatch={mismatch}"),
        });
        events
    }
}
