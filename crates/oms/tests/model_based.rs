#![allow(clippy::unwrap_used, reason = "test code")]
//! Model-based property tests: random sequences of strategy commands and
//! venue reports (including duplicates, overfills, crossed cancels and
//! rejects) against a simulated venue.
//!
//! Invariants, checked after every step:
//! 1. every order's filled quantity ≤ its quantity;
//! 2. the position of each (instrument, strategy) = Σ signed fills of its
//!    orders (overfills included: the venue says they traded);
//! 3. no order reaches a venue without passing the gate: every
//!    NewOrderSingle belongs to an `OrderSubmitted` event, one to one, and
//!    a denied intent produces no command;
//! 4. working quantities = Σ leaves of working orders, and the in-flight
//!    index lists exactly the orders with a request in flight;
//! 5. replay(events) == state: applying the emitted events, encoded and
//!    decoded as the journal stores them, to an empty state rebuilds the
//!    live state exactly.

mod common;

use common::*;
use model::{
    CancelReject, CancelRejectResponseTo, ClOrdId, ExecType, NetQuantity, OrdStatus, Quantity,
    Side, VenueCommand, VenueEvent,
};
use oms::{Oms, OmsEvent, OmsState};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Submit {
        buy: bool,
        lots: u8,
        ticks: u8,
        epoch: u8,
    },
    Ack(u8),
    Fill(u8, u8),
    Cancel(u8),
    VenueCancel(u8),
    CancelReject(u8),
    Replace(u8, u8),
    ReplaceConfirm(u8),
    ReplaceReject(u8),
    Resend,
    Kill,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 1u8..6, 0u8..5, 0u8..6).prop_map(|(buy, lots, ticks, epoch)| Op::Submit { buy, lots, ticks, epoch }),
        3 => any::<u8>().prop_map(Op::Ack),
        5 => (any::<u8>(), 1u8..8).prop_map(|(i, q)| Op::Fill(i, q)),
        2 => any::<u8>().prop_map(Op::Cancel),
        2 => any::<u8>().prop_map(Op::VenueCancel),
        1 => any::<u8>().prop_map(Op::CancelReject),
        2 => (any::<u8>(), 1u8..8).prop_map(|(i, q)| Op::Replace(i, q)),
        2 => any::<u8>().prop_map(Op::ReplaceConfirm),
        1 => any::<u8>().prop_map(Op::ReplaceReject),
        2 => Just(Op::Resend),
        1 => Just(Op::Kill),
    ]
}

/// The venue's side of one order, plus the request it has not answered.
struct Sim {
    venue: VenueOrder,
    done: bool,
    pending_cancel: Option<ClOrdId>,
    pending_replace: Option<(ClOrdId, Quantity)>,
}

struct Harness {
    oms: Oms,
    sims: Vec<Sim>,
    events: Vec<OmsEvent>,
    last_report: Option<VenueEvent>,
}

impl Harness {
    fn step(&mut self, now: model::Timestamp, op: &Op) {
        match *op {
            Op::Submit {
                buy,
                lots,
                ticks,
                epoch,
            } => {
                let side = if buy { Side::Buy } else { Side::Sell };
                let price = format!("1.{}", 10 + u32::from(ticks));
                let intent = intent(side, &lots.to_string(), &price, u64::from(epoch));
                let submitted = self.oms.submit(now, intent);
                self.collect(now, submitted.is_ok());
                if let Ok(cl) = submitted {
                    let venue = VenueOrder::new(
                        cl,
                        &format!("V{}", self.sims.len()),
                        side,
                        &lots.to_string(),
                        &price,
                    );
                    self.sims.push(Sim {
                        venue,
                        done: false,
                        pending_cancel: None,
                        pending_replace: None,
                    });
                }
            }
            Op::Ack(i) => self.report(now, i, |sim| (!sim.done).then(|| sim.venue.ack())),
            Op::Fill(i, q) => self.report(now, i, |sim| {
                if sim.done {
                    return None;
                }
                // Up to one lot beyond what is open: overfills happen.
                let open = sim.venue.quantity.saturating_sub(sim.venue.cum);
                let fill = Quantity::from_int(i64::from(q))
                    .unwrap()
                    .min(open.checked_add(qty("1")).unwrap());
                let report = sim.venue.fill(&fill.to_string(), "1.1");
                sim.done = sim.venue.cum >= sim.venue.quantity;
                Some(report)
            }),
            Op::Cancel(i) => {
                if let Some(cl) = self.pick(i).map(|sim| sim.venue.cl_ord_id) {
                    let intent = self.oms.state().order_by_cl_ord_id(&cl).unwrap().intent_id;
                    let result = self.oms.cancel(now, intent);
                    if let Ok(cl) = result {
                        let sim = self.pick(i).unwrap();
                        sim.pending_cancel = Some(cl);
                        sim.pending_replace = None;
                    }
                    self.collect(now, false);
                }
            }
            Op::VenueCancel(i) => self.report(now, i, |sim| {
                if sim.done {
                    return None;
                }
                sim.done = true;
                Some(sim.venue.canceled(sim.pending_cancel.take()))
            }),
            Op::CancelReject(i) => self.report(now, i, |sim| {
                let request = sim.pending_cancel.take()?;
                Some(VenueEvent::CancelReject(CancelReject {
                    cl_ord_id: request,
                    orig_cl_ord_id: Some(sim.venue.cl_ord_id),
                    order_id: Some(sim.venue.order_id),
                    ord_status: None,
                    response_to: CancelRejectResponseTo::Cancel,
                    reason: Some(0),
                    text: None,
                }))
            }),
            Op::Replace(i, q) => {
                if let Some((cl, price)) = self
                    .pick(i)
                    .map(|sim| (sim.venue.cl_ord_id, sim.venue.price))
                {
                    let intent = self.oms.state().order_by_cl_ord_id(&cl).unwrap().intent_id;
                    let quantity = Quantity::from_int(i64::from(q)).unwrap();
                    let result =
                        self.oms
                            .replace(now, intent, quantity, model::OrderKind::Limit { price });
                    if let Ok(cl) = result {
                        self.pick(i).unwrap().pending_replace = Some((cl, quantity));
                    }
                    self.collect(now, false);
                }
            }
            Op::ReplaceConfirm(i) => self.report(now, i, |sim| {
                if sim.done {
                    return None;
                }
                let (request, quantity) = sim.pending_replace.take()?;
                let price = sim.venue.price.to_string();
                let report = sim.venue.replaced(request, &quantity.to_string(), &price);
                sim.done = sim.venue.cum >= sim.venue.quantity;
                Some(report)
            }),
            Op::ReplaceReject(i) => self.report(now, i, |sim| {
                let (request, _) = sim.pending_replace.take()?;
                Some(VenueEvent::CancelReject(CancelReject {
                    cl_ord_id: request,
                    orig_cl_ord_id: Some(sim.venue.cl_ord_id),
                    order_id: Some(sim.venue.order_id),
                    ord_status: None,
                    response_to: CancelRejectResponseTo::Replace,
                    reason: None,
                    text: None,
                }))
            }),
            Op::Resend => {
                if let Some(report) = self.last_report.clone() {
                    let _ = self.oms.on_venue_event(now, report);
                    self.collect(now, false);
                }
            }
            Op::Kill => {
                self.oms.engage_kill_switch(now, "test");
                self.collect(now, false);
                self.oms.release_kill_switch(now);
                self.oms
                    .set_trading_state(now, oms::risk::TradingState::Active, "test");
                self.collect(now, false);
            }
        }
    }

    fn pick(&mut self, i: u8) -> Option<&mut Sim> {
        let len = self.sims.len();
        if len == 0 {
            return None;
        }
        self.sims.get_mut(usize::from(i) % len)
    }

    fn report(
        &mut self,
        now: model::Timestamp,
        i: u8,
        make: impl FnOnce(&mut Sim) -> Option<VenueEvent>,
    ) {
        let Some(sim) = self.pick(i) else { return };
        let Some(report) = make(sim) else { return };
        // A report the OMS finds inconsistent is refused without a state
        // change; the invariants must hold either way.
        let _ = self.oms.on_venue_event(now, report.clone());
        self.last_report = Some(report);
        self.collect(now, false);
    }

    /// Drains events and commands and checks invariant 3 for this step.
    fn collect(&mut self, _now: model::Timestamp, expect_new: bool) {
        let (events, commands) = drain(&mut self.oms);
        let submitted: Vec<ClOrdId> = events
            .iter()
            .filter_map(|e| match e {
                OmsEvent::OrderSubmitted { cl_ord_id, .. } => Some(*cl_ord_id),
                _ => None,
            })
            .collect();
        let sent: Vec<ClOrdId> = commands
            .iter()
            .filter_map(|c| match c {
                VenueCommand::New(new) => Some(new.cl_ord_id),
                _ => None,
            })
            .collect();
        assert_eq!(
            sent, submitted,
            "every NewOrderSingle passed the gate, one to one"
        );
        assert_eq!(sent.len(), usize::from(expect_new));
        if events
            .iter()
            .any(|e| matches!(e, OmsEvent::IntentDenied { .. }))
        {
            assert!(sent.is_empty(), "a denied intent reaches no venue");
        }
        self.events.extend(events);
    }

    fn check_invariants(&self) {
        let state = self.oms.state();
        let working: Vec<_> = state
            .working_orders()
            .map(|order| order.intent_id)
            .collect();
        let scanned: Vec<_> = state
            .orders()
            .filter(|order| order.status.is_working())
            .map(|order| order.intent_id)
            .collect();
        assert_eq!(
            working, scanned,
            "the working-order index matches a full scan"
        );
        let mut expected_positions: std::collections::BTreeMap<_, i64> = Default::default();
        let mut expected_working: std::collections::BTreeMap<_, (i64, i64)> = Default::default();
        for order in state.orders() {
            assert!(
                order.filled <= order.quantity,
                "filled ≤ quantity: {order:?}"
            );
            let traded = order.filled.checked_add(order.overfill).unwrap();
            let fills: i64 = order.fills.iter().map(|f| f.quantity.raw()).sum();
            assert_eq!(traded.raw(), fills, "filled + overfill = Σ fills");
            let signed = traded.signed(order.side).raw();
            *expected_positions
                .entry((order.instrument, order.strategy))
                .or_default() += signed;
            if order.status.is_working() {
                let entry = expected_working
                    .entry((order.instrument, order.strategy))
                    .or_default();
                match order.side {
                    Side::Buy => entry.0 += order.leaves().raw(),
                    Side::Sell => entry.1 += order.leaves().raw(),
                }
            }
        }
        for ((instrument, strategy), net) in &expected_positions {
            assert_eq!(
                state.positions().strategy_net(instrument, strategy),
                NetQuantity::from_raw(*net),
                "position = Σ fills"
            );
        }
        for ((instrument, strategy), (buys, sells)) in &expected_working {
            let working = state.working(instrument, strategy);
            assert_eq!(
                (working.buys.raw(), working.sells.raw()),
                (*buys, *sells),
                "working = Σ leaves"
            );
        }
        let in_flight: Vec<_> = state.in_flight_orders().map(|o| o.intent_id).collect();
        let expected: Vec<_> = state
            .orders()
            .filter(|o| o.in_flight_since.is_some())
            .map(|o| o.intent_id)
            .collect();
        assert_eq!(
            in_flight, expected,
            "the in-flight index matches the orders"
        );
        // Through the journal's encoding, as a restart reads them.
        let mut replayed = OmsState::default();
        for event in &self.events {
            let stored = postcard::to_stdvec(event).unwrap();
            let read_back: OmsEvent = postcard::from_bytes(&stored).unwrap();
            assert_eq!(&read_back, event, "an event reads back as written");
            replayed.apply(&read_back).unwrap();
        }
        assert_eq!(&replayed, state, "replay(events) == state");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_any_sequence(ops in proptest::collection::vec(op(), 1..80)) {
        let mut harness = Harness { oms: oms(), sims: Vec::new(), events: Vec::new(), last_report: None };
        harness.collect(at(0), false);
        for (step, op) in ops.iter().enumerate() {
            harness.step(at(step as u64 + 1), op);
            harness.check_invariants();
        }
        // Unused report kinds keep the import list honest.
        let _ = (ExecType::New, OrdStatus::New);
    }
}
