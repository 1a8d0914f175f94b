#![allow(clippy::unwrap_used, reason = "test code")]
//! Arbitrary command and market sequences never panic the simulated sink,
//! and every order's reports stay consistent.
//!
//! Invariants checked on every execution report that names an order:
//! - CumQty equals the sum of LastQty over that order's fill reports;
//! - CumQty is never above OrderQty;
//! - while the order works (New, PartiallyFilled) LeavesQty is
//!   OrderQty − CumQty, and once done (Filled, Canceled, Expired) zero;
//! - every ExecID is new.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use model::{
    ExecType, ExecutionSink, OrdStatus, OrderId, OrderKind, Price, Quantity, Side, StatusRequest,
    TimeInForce, VenueCommand, VenueEvent,
};
use proptest::prelude::*;
use support::{at_ms, book, cancel, instrument_id, instruments, new_order, replace, trade};
use venue::{FailureModel, SimulatedSink, SimulatedSinkConfig, StopTrigger};

#[derive(Clone, Debug)]
enum Op {
    New {
        side: bool,
        kind: u8,
        offset: i64,
        stop_offset: i64,
        size: i64,
        tif: u8,
        unknown_instrument: bool,
    },
    Cancel {
        target: usize,
    },
    Replace {
        target: usize,
        offset: i64,
        size: i64,
    },
    Status {
        target: usize,
    },
    MassStatus,
    Positions,
    Book {
        mid: i64,
        spread: i64,
        bid_size: i64,
        ask_size: i64,
        levels: usize,
    },
    Trade {
        offset: i64,
        size: i64,
        aggressor: u8,
    },
    Wait {
        ms: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 0u8..4, -8i64..8, -8i64..8, 0i64..12, 0u8..5, prop::bool::weighted(0.05))
            .prop_map(|(side, kind, offset, stop_offset, size, tif, unknown_instrument)| Op::New {
                side, kind, offset, stop_offset, size, tif, unknown_instrument
            }),
        1 => (0usize..6).prop_map(|target| Op::Cancel { target }),
        2 => (0usize..6, -8i64..8, 0i64..12).prop_map(|(target, offset, size)| Op::Replace { target, offset, size }),
        1 => (0usize..8).prop_map(|target| Op::Status { target }),
        1 => Just(Op::MassStatus),
        1 => Just(Op::Positions),
        3 => (-5i64..5, 1i64..5, 0i64..10, 0i64..10, 0usize..4)
            .prop_map(|(mid, spread, bid_size, ask_size, levels)| Op::Book { mid, spread, bid_size, ask_size, levels }),
        3 => (-8i64..8, 1i64..12, 0u8..3).prop_map(|(offset, size, aggressor)| Op::Trade { offset, size, aggressor }),
        3 => (0u64..1500).prop_map(|ms| Op::Wait { ms }),
    ]
}

/// 100.00 + `ticks` × 0.01.
fn price(ticks: i64) -> Price {
    Price::from_raw((10_000 + ticks) * 10_000_000)
}

fn size(units: i64) -> Quantity {
    Quantity::from_int(units).unwrap()
}

#[derive(Default)]
struct Checker {
    /// Σ LastQty per order.
    filled: BTreeMap<OrderId, Quantity>,
    exec_ids: BTreeSet<model::ExecId>,
}

impl Checker {
    fn check(&mut self, event: &VenueEvent) -> Result<(), TestCaseError> {
        let VenueEvent::Execution(report) = event else {
            return Ok(());
        };
        prop_assert!(
            self.exec_ids.insert(report.exec_id),
            "ExecID reused: {report:?}"
        );
        let Some(order_id) = report.order_id else {
            return Ok(());
        };
        let sum = self.filled.entry(order_id).or_default();
        if report.exec_type == ExecType::Trade {
            prop_assert!(!report.last_qty.is_zero());
            *sum = sum.checked_add(report.last_qty).unwrap();
        }
        prop_assert_eq!(report.cum_qty, *sum, "CumQty ≠ Σ LastQty: {:?}", report);
        let order_qty = report.order_qty.unwrap();
        prop_assert!(report.cum_qty <= order_qty, "overfill: {:?}", report);
        match report.ord_status {
            OrdStatus::New | OrdStatus::PartiallyFilled => prop_assert_eq!(
                report.leaves_qty,
                order_qty.checked_sub(report.cum_qty).unwrap(),
                "leaves: {:?}",
                report
            ),
            OrdStatus::Filled => {
                prop_assert_eq!(report.cum_qty, order_qty);
                prop_assert!(report.leaves_qty.is_zero());
            }
            _ => prop_assert!(
                report.leaves_qty.is_zero(),
                "done with leaves: {:?}",
                report
            ),
        }
        if report.ord_status == OrdStatus::PartiallyFilled {
            prop_assert!(!report.cum_qty.is_zero());
        }
        Ok(())
    }
}

/// The order `back` places before the latest (recent orders are the
/// likeliest still to work).
fn recent(orders: &[(String, Side)], back: usize) -> Option<usize> {
    orders.len().checked_sub(1 + back)
}

fn run(ops: &[Op], seed: u64, book_stops: bool) -> Result<Vec<String>, TestCaseError> {
    let config = SimulatedSinkConfig {
        seed,
        failure: FailureModel {
            base: 0.02,
            per_tick: 0.05,
        },
        maker_fee: "-0.2".parse().unwrap(),
        taker_fee: "1.5".parse().unwrap(),
        stop_trigger: if book_stops {
            StopTrigger::Book
        } else {
            StopTrigger::Trades
        },
        assumed_level_size: None,
        ..SimulatedSinkConfig::default()
    };
    let mut sink = SimulatedSink::new(config, instruments()).unwrap();
    let id = instrument_id();
    let mut checker = Checker::default();
    let mut log = Vec::new();
    let mut clock = 0u64;
    let mut orders: Vec<(String, Side)> = Vec::new();
    let mut next = 0u32;
    for op in ops {
        let now = at_ms(clock);
        match op.clone() {
            Op::New {
                side,
                kind,
                offset,
                stop_offset,
                size: units,
                tif,
                unknown_instrument,
            } => {
                let side = if side { Side::Buy } else { Side::Sell };
                let kind = match kind {
                    0 => OrderKind::Market,
                    1 => OrderKind::Limit {
                        price: price(offset),
                    },
                    2 => OrderKind::Stop {
                        stop: price(stop_offset),
                    },
                    _ => OrderKind::StopLimit {
                        stop: price(stop_offset),
                        price: price(offset),
                    },
                };
                let tif = match tif {
                    0 => TimeInForce::GoodTillCancel,
                    1 => TimeInForce::ImmediateOrCancel,
                    2 => TimeInForce::FillOrKill,
                    3 => TimeInForce::GoodTillDate(at_ms(clock + 2000)),
                    _ => TimeInForce::Day,
                };
                next += 1;
                let cl = format!("N{next}");
                let mut order = new_order(&cl, side, kind, "1", tif);
                order.quantity = size(units);
                if unknown_instrument {
                    order.instrument = "OTHER.SIM".parse().unwrap();
                }
                orders.push((cl, side));
                sink.send(now, VenueCommand::New(order));
            }
            Op::Cancel { target } => {
                if let Some((orig, side)) = recent(&orders, target).map(|i| orders[i].clone()) {
                    next += 1;
                    let cl = format!("X{next}");
                    sink.send(now, cancel(&cl, &orig, side, "1"));
                }
            }
            Op::Replace {
                target,
                offset,
                size: units,
            } => {
                if let Some(index) = recent(&orders, target) {
                    let (orig, side) = orders[index].clone();
                    next += 1;
                    let cl = format!("R{next}");
                    let mut command = replace(
                        &cl,
                        &orig,
                        side,
                        OrderKind::Limit {
                            price: price(offset),
                        },
                        "1",
                        TimeInForce::GoodTillCancel,
                    );
                    if let VenueCommand::Replace(r) = &mut command {
                        r.quantity = size(units);
                    }
                    orders[index].0 = cl;
                    sink.send(now, command);
                }
            }
            Op::Status { target } => {
                let cl = recent(&orders, target)
                    .map(|i| &orders[i])
                    .map_or_else(|| "UNKNOWN".to_owned(), |(cl, _)| cl.clone());
                sink.send(
                    now,
                    VenueCommand::Status(StatusRequest {
                        cl_ord_id: cl.parse().unwrap(),
                        order_id: None,
                        instrument: id,
                        symbol: "XYZ".parse().unwrap(),
                        side: Side::Buy,
                    }),
                );
            }
            Op::MassStatus => {
                next += 1;
                sink.send(
                    now,
                    VenueCommand::MassStatus {
                        request_id: format!("M{next}").parse().unwrap(),
                    },
                );
            }
            Op::Positions => {
                next += 1;
                sink.send(
                    now,
                    VenueCommand::Positions {
                        request_id: format!("P{next}").parse().unwrap(),
                    },
                );
            }
            Op::Book {
                mid,
                spread,
                bid_size,
                ask_size,
                levels,
            } => {
                let text = |p: Price| p.to_string();
                let bids: Vec<(String, String)> = (0..levels)
                    .map(|n| {
                        let n = i64::try_from(n).unwrap();
                        (text(price(mid - n)), (bid_size + n).to_string())
                    })
                    .filter(|(_, s)| s != "0")
                    .collect();
                let asks: Vec<(String, String)> = (0..levels)
                    .map(|n| {
                        let n = i64::try_from(n).unwrap();
                        (text(price(mid + spread + n)), (ask_size + n).to_string())
                    })
                    .filter(|(_, s)| s != "0")
                    .collect();
                let bid_refs: Vec<(&str, &str)> =
                    bids.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
                let ask_refs: Vec<(&str, &str)> =
                    asks.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
                let book = book(&bid_refs, &ask_refs);
                sink.on_book(now, &id, &book).unwrap();
            }
            Op::Trade {
                offset,
                size: units,
                aggressor,
            } => {
                let aggressor = match aggressor {
                    0 => None,
                    1 => Some(Side::Buy),
                    _ => Some(Side::Sell),
                };
                let mut print = trade(now, "1", "1", aggressor);
                print.price = price(offset);
                print.size = size(units);
                sink.on_trade(now, &print).unwrap();
            }
            Op::Wait { ms } => clock += ms,
        }
        while let Some(event) = sink.poll_event(at_ms(clock)) {
            checker.check(&event)?;
            log.push(format!("{event:?}"));
        }
    }
    // Let everything in flight arrive and every GTD expire.
    let end = at_ms(clock + 10_000);
    while let Some(event) = sink.poll_event(end) {
        checker.check(&event)?;
        log.push(format!("{event:?}"));
    }
    prop_assert_eq!(sink.next_wakeup(), None);
    // The record of trades matches the fill reports.
    let fills = log
        .iter()
        .filter(|line| line.contains("exec_type: Trade"))
        .count();
    prop_assert_eq!(sink.trades().len(), fills);
    Ok(log)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_sequences_keep_every_order_consistent(
        ops in prop::collection::vec(op(), 1..80),
        seed in any::<u64>(),
        book_stops in any::<bool>(),
    ) {
        let first = run(&ops, seed, book_stops)?;
        // And the run is reproducible.
        prop_assert_eq!(first, run(&ops, seed, book_stops)?);
    }
}
