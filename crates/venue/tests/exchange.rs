//! The exchange core: price-time priority, order types, rejects, cancel
//! and replace, GTD, stops, self-trade, positions, and depth deltas that
//! replay to the exchange's own book.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeMap;

use model::{
    BookChange, BookSide, ClOrdId, EntryId, ExecType, Instrument, InstrumentId, InstrumentTable,
    MarketEvent, NetQuantity, OrdStatus, OrderKind, Price, Quantity, Side, TimeInForce, Timestamp,
};
use proptest::prelude::*;
use venue::exchange::{
    CancelRequest, Exchange, ExchangeConfig, ExchangeEvent, OrderRequest, OwnerId, PositionMode,
    Reason, ReplaceRequest, SelfTradePolicy,
};

const ALICE: OwnerId = OwnerId(1);
const BOB: OwnerId = OwnerId(2);
const CAROL: OwnerId = OwnerId(3);

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_nanos(1_700_000_000_000_000_000 + ms * 1_000_000)
}

fn xyz() -> InstrumentId {
    "XYZ.SIM".parse().unwrap()
}

/// XYZ: tick 0.01, step 1, min 1, max 1000. EURUSD (cTrader style,
/// symbol "1"): tick 0.00001, step 1000, min 1000.
fn instruments() -> InstrumentTable {
    let mut table = InstrumentTable::new();
    table
        .insert(Instrument {
            id: xyz(),
            venue_symbol: "XYZ".parse().unwrap(),
            tick_size: px("0.01"),
            lot_size: qty("1"),
            min_quantity: qty("1"),
            max_quantity: Some(qty("1000")),
            min_notional: None,
            price_digits: 2,
            allows_non_positive_prices: false,
        })
        .unwrap();
    table
        .insert(Instrument {
            id: "EURUSD.CTRADER".parse().unwrap(),
            venue_symbol: "1".parse().unwrap(),
            tick_size: px("0.00001"),
            lot_size: qty("1000"),
            min_quantity: qty("1000"),
            max_quantity: None,
            min_notional: None,
            price_digits: 5,
            allows_non_positive_prices: false,
        })
        .unwrap();
    table
}

fn exchange() -> Exchange {
    Exchange::new(instruments(), ExchangeConfig::default())
}

fn request(
    id: &str,
    side: Side,
    kind: OrderKind,
    quantity: &str,
    tif: TimeInForce,
) -> OrderRequest {
    OrderRequest {
        cl_ord_id: id.parse().unwrap(),
        symbol: "XYZ".parse().unwrap(),
        side,
        kind,
        quantity: qty(quantity),
        time_in_force: tif,
        position: None,
    }
}

fn limit(id: &str, side: Side, price: &str, quantity: &str) -> OrderRequest {
    request(
        id,
        side,
        OrderKind::Limit { price: px(price) },
        quantity,
        TimeInForce::GoodTillCancel,
    )
}

fn market(id: &str, side: Side, quantity: &str) -> OrderRequest {
    request(
        id,
        side,
        OrderKind::Market,
        quantity,
        TimeInForce::ImmediateOrCancel,
    )
}

/// (owner, ClOrdID, ExecType, OrdStatus, LastQty, LastPx, LeavesQty) of
/// each execution report.
type Row = (
    OwnerId,
    String,
    ExecType,
    OrdStatus,
    Quantity,
    Option<Price>,
    Quantity,
);

fn reports(events: &[ExchangeEvent]) -> Vec<Row> {
    events
        .iter()
        .filter_map(|event| match event {
            ExchangeEvent::Execution { owner, report, .. } => Some((
                *owner,
                report
                    .cl_ord_id
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
                report.exec_type,
                report.ord_status,
                report.last_qty,
                report.last_px,
                report.leaves_qty,
            )),
            _ => None,
        })
        .collect()
}

fn fills(events: &[ExchangeEvent]) -> Vec<(OwnerId, String, Quantity, Price)> {
    reports(events)
        .into_iter()
        .filter(|row| row.2 == ExecType::Trade)
        .map(|row| (row.0, row.1, row.4, row.5.unwrap()))
        .collect()
}

fn reasons(events: &[ExchangeEvent]) -> Vec<Reason> {
    events
        .iter()
        .filter_map(|event| match event {
            ExchangeEvent::Execution { reason, .. } => reason.clone(),
            ExchangeEvent::CancelReject { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

fn prints(events: &[ExchangeEvent]) -> Vec<(Price, Quantity, Option<Side>)> {
    events
        .iter()
        .filter_map(|event| match event {
            ExchangeEvent::Market(MarketEvent::Trade(trade)) => {
                Some((trade.price, trade.size, trade.aggressor))
            }
            _ => None,
        })
        .collect()
}

/// (side, price, size) of every resting entry, best first.
fn levels(exchange: &Exchange, side: Side) -> Vec<(Price, Quantity)> {
    exchange
        .book(&xyz())
        .unwrap()
        .side(side)
        .map(|order| (order.price, order.size))
        .collect()
}

#[test]
fn a_better_price_fills_first_then_arrival_order_at_one_price() {
    let mut ex = exchange();
    ex.submit(at(0), ALICE, &limit("A1", Side::Sell, "10.01", "1"));
    ex.submit(at(1), BOB, &limit("B1", Side::Sell, "10.01", "1"));
    ex.submit(at(2), ALICE, &limit("A2", Side::Sell, "10.00", "1"));
    let events = ex.submit(at(3), CAROL, &market("C1", Side::Buy, "3"));
    let makers: Vec<_> = fills(&events)
        .into_iter()
        .filter(|fill| fill.0 != CAROL)
        .map(|fill| (fill.1, fill.3))
        .collect();
    assert_eq!(
        makers,
        [
            ("A2".to_owned(), px("10.00")),
            ("A1".to_owned(), px("10.01")),
            ("B1".to_owned(), px("10.01"))
        ]
    );
    assert_eq!(
        prints(&events),
        [
            (px("10.00"), qty("1"), Some(Side::Buy)),
            (px("10.01"), qty("1"), Some(Side::Buy)),
            (px("10.01"), qty("1"), Some(Side::Buy)),
        ]
    );
    let taker = reports(&events);
    let last = taker.iter().rfind(|row| row.0 == CAROL).unwrap();
    assert_eq!(
        (last.2, last.3, last.6),
        (ExecType::Trade, OrdStatus::Filled, Quantity::ZERO)
    );
    assert!(ex.book(&xyz()).unwrap().is_empty());
}

#[test]
fn partial_fills_leave_the_rest_resting_at_its_place() {
    let mut ex = exchange();
    ex.submit(at(0), ALICE, &limit("A1", Side::Sell, "10", "5"));
    let events = ex.submit(at(1), BOB, &limit("B1", Side::Buy, "10", "3"));
    let rows = reports(&events);
    assert!(rows.contains(&(
        ALICE,
        "A1".into(),
        ExecType::Trade,
        OrdStatus::PartiallyFilled,
        qty("3"),
        Some(px("10")),
        qty("2")
    )));
    assert!(rows.contains(&(
        BOB,
        "B1".into(),
        ExecType::Trade,
        OrdStatus::Filled,
        qty("3"),
        Some(px("10")),
        qty("0")
    )));
    assert_eq!(levels(&ex, Side::Sell), [(px("10"), qty("2"))]);

    // Bob takes the 2 left and rests his remaining 2 as the new bid.
    let events = ex.submit(at(2), BOB, &limit("B2", Side::Buy, "10", "4"));
    let rows = reports(&events);
    assert!(rows.contains(&(
        ALICE,
        "A1".into(),
        ExecType::Trade,
        OrdStatus::Filled,
        qty("2"),
        Some(px("10")),
        qty("0")
    )));
    assert!(rows.contains(&(
        BOB,
        "B2".into(),
        ExecType::Trade,
        OrdStatus::PartiallyFilled,
        qty("2"),
        Some(px("10")),
        qty("2")
    )));
    assert_eq!(levels(&ex, Side::Sell), []);
    assert_eq!(levels(&ex, Side::Buy), [(px("10"), qty("2"))]);
}

#[test]
fn ioc_remainder_is_canceled_fok_is_all_or_nothing_and_market_never_rests() {
    let mut ex = exchange();
    ex.submit(at(0), ALICE, &limit("A1", Side::Sell, "10", "2"));
    ex.submit(at(0), ALICE, &limit("A2", Side::Sell, "11", "2"));

    // IOC at 10: 2 filled, 3 canceled, nothing rests.
    let ioc = request(
        "B1",
        Side::Buy,
        OrderKind::Limit { price: px("10") },
        "5",
        TimeInForce::ImmediateOrCancel,
    );
    let events = ex.submit(at(1), BOB, &ioc);
    let bob: Vec<_> = reports(&events)
        .into_iter()
        .filter(|row| row.0 == BOB)
        .map(|row| (row.2, row.3))
        .collect();
    assert_eq!(
        bob,
        [
            (ExecType::New, OrdStatus::New),
            (ExecType::Trade, OrdStatus::PartiallyFilled),
            (ExecType::Canceled, OrdStatus::Canceled)
        ]
    );
    assert_eq!(reasons(&events), [Reason::ImmediateOrCancel]);
    assert_eq!(levels(&ex, Side::Buy), []);

    // FOK for 3 with only 2 within 11: canceled unfilled, book untouched.
    let fok = request(
        "B2",
        Side::Buy,
        OrderKind::Limit { price: px("11") },
        "3",
        TimeInForce::FillOrKill,
    );
    let events = ex.submit(at(2), BOB, &fok);
    assert!(fills(&events).is_empty());
    assert_eq!(
        reasons(&events),
        [Reason::FillOrKill {
            available: qty("2"),
            needed: qty("3")
        }]
    );
    assert_eq!(levels(&ex, Side::Sell), [(px("11"), qty("2"))]);
    // FOK for exactly what is there: filled.
    let fok = request(
        "B3",
        Side::Buy,
        OrderKind::Limit { price: px("11") },
        "2",
        TimeInForce::FillOrKill,
    );
    let events = ex.submit(at(3), BOB, &fok);
    assert_eq!(
        fills(&events).iter().filter(|fill| fill.0 == BOB).count(),
        1
    );

    // A market order against an empty side: canceled, never rests.
    let events = ex.submit(at(4), BOB, &market("B4", Side::Buy, "1"));
    assert_eq!(reasons(&events), [Reason::NoLiquidity]);
    assert!(ex.book(&xyz()).unwrap().is_empty());
    // A market order larger than the book: partly filled, rest canceled.
    ex.submit(at(5), ALICE, &limit("A3", Side::Buy, "9", "1"));
    let events = ex.submit(at(6), BOB, &market("B5", Side::Sell, "3"));
    let last = reports(&events)
        .into_iter()
        .rfind(|row| row.0 == BOB)
        .unwrap();
    assert_eq!((last.2, last.3), (ExecType::Canceled, OrdStatus::Canceled));
    assert!(ex.book(&xyz()).unwrap().is_empty());
}

#[test]
fn rejects_name_the_rule_broken() {
    let mut ex = exchange();
    let eurusd = |id: &str, quantity: &str, price: &str| OrderRequest {
        symbol: "1".parse().unwrap(),
        ..request(
            id,
            Side::Buy,
            OrderKind::Limit { price: px(price) },
            quantity,
            TimeInForce::GoodTillCancel,
        )
    };
    let cases: Vec<(OrderRequest, Reason)> = vec![
        (
            eurusd("R1", "500", "1.085"),
            Reason::BelowMinimumVolume {
                quantity: qty("500"),
                minimum: qty("1000"),
            },
        ),
        (
            eurusd("R2", "1500", "1.085"),
            Reason::OffStep {
                quantity: qty("1500"),
                step: qty("1000"),
            },
        ),
        (
            eurusd("R3", "1000", "1.085001"),
            Reason::OffTick {
                price: px("1.085001"),
                tick: px("0.00001"),
            },
        ),
        (
            OrderRequest {
                symbol: "99".parse().unwrap(),
                ..eurusd("R4", "1000", "1.085")
            },
            Reason::UnknownSymbol("99".parse().unwrap()),
        ),
        (limit("R5", Side::Buy, "10", "0"), Reason::ZeroQuantity),
        (
            limit("R6", Side::Buy, "10", "1001"),
            Reason::AboveMaximumVolume {
                quantity: qty("1001"),
                maximum: qty("1000"),
            },
        ),
        (
            limit("R7", Side::Buy, "0", "1"),
            Reason::PriceNotPositive(px("0")),
        ),
        (
            request(
                "R8",
                Side::Buy,
                OrderKind::Limit { price: px("10") },
                "1",
                TimeInForce::GoodTillDate(at(5)),
            ),
            Reason::ExpireTimePassed(at(5)),
        ),
        (
            limit("R1", Side::Buy, "10", "1"),
            Reason::DuplicateClOrdId("R1".parse().unwrap()),
        ),
    ];
    for (order, reason) in cases {
        let events = ex.submit(at(10), ALICE, &order);
        let rows = reports(&events);
        assert_eq!(rows.len(), 1, "{order:?}");
        assert_eq!(
            (rows[0].2, rows[0].3),
            (ExecType::Rejected, OrdStatus::Rejected)
        );
        assert_eq!(reasons(&events), std::slice::from_ref(&reason));
        let ExchangeEvent::Execution { report, .. } = &events[0] else {
            unreachable!()
        };
        assert_eq!(report.reject_reason, Some(reason.code()));
        assert_eq!(report.text.as_deref(), Some(reason.to_string().as_str()));
    }
    assert!(ex.book(&xyz()).unwrap().is_empty());
    // Another owner may use the same ClOrdID.
    let events = ex.submit(at(11), BOB, &limit("R1", Side::Buy, "10", "1"));
    assert_eq!(reports(&events)[0].2, ExecType::New);
}

fn cancel(id: &str, orig: &str) -> CancelRequest {
    CancelRequest {
        cl_ord_id: id.parse().unwrap(),
        orig_cl_ord_id: orig.parse().unwrap(),
        order_id: None,
    }
}

fn replace(id: &str, orig: &str, price: &str, quantity: &str) -> ReplaceRequest {
    ReplaceRequest {
        cl_ord_id: id.parse().unwrap(),
        orig_cl_ord_id: orig.parse().unwrap(),
        order_id: None,
        kind: OrderKind::Limit { price: px(price) },
        quantity: qty(quantity),
        time_in_force: TimeInForce::GoodTillCancel,
    }
}

#[test]
fn cancel_takes_a_working_order_out_and_refuses_done_and_unknown_ones() {
    let mut ex = exchange();
    ex.submit(at(0), ALICE, &limit("A1", Side::Sell, "10", "5"));
    // Bob cannot see (or cancel) Alice's order.
    let events = ex.cancel(at(1), BOB, &cancel("X1", "A1"));
    assert_eq!(
        reasons(&events),
        [Reason::UnknownOrder("A1".parse().unwrap())]
    );
    assert_eq!(levels(&ex, Side::Sell), [(px("10"), qty("5"))]);

    let events = ex.cancel(at(2), ALICE, &cancel("A1c", "A1"));
    let ExchangeEvent::Execution { report, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (report.exec_type, report.ord_status),
        (ExecType::Canceled, OrdStatus::Canceled)
    );
    assert_eq!(report.orig_cl_ord_id, Some("A1".parse().unwrap()));
    assert_eq!(report.cl_ord_id, Some("A1c".parse().unwrap()));
    assert!(ex.book(&xyz()).unwrap().is_empty());
    assert!(
        matches!(&events[1], ExchangeEvent::Market(MarketEvent::Delta(delta)) if matches!(delta.changes[..], [BookChange::DeleteEntry { .. }]))
    );

    let events = ex.cancel(at(3), ALICE, &cancel("A1d", "A1c"));
    assert_eq!(reasons(&events), [Reason::OrderDone(OrdStatus::Canceled)]);
    let ExchangeEvent::CancelReject { reject, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(reject.reason, Some(0));
}

#[test]
fn replace_keeps_priority_only_when_the_size_shrinks_at_the_same_price() {
    let mut ex = exchange();
    ex.submit(at(0), ALICE, &limit("A1", Side::Sell, "10", "5"));
    ex.submit(at(1), BOB, &limit("B1", Side::Sell, "10", "5"));

    // Alice shrinks to 3: still first.
    let events = ex.replace(at(2), ALICE, &replace("A2", "A1", "10", "3"));
    let ExchangeEvent::Execution { report, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(
        (report.exec_type, report.leaves_qty),
        (ExecType::Replaced, qty("3"))
    );
    let events = ex.submit(at(3), CAROL, &market("C1", Side::Buy, "1"));
    assert_eq!(fills(&events)[0].1, "A2");

    // Alice grows to 6 (2 left → 5 left): behind Bob now.
    ex.replace(at(4), ALICE, &replace("A3", "A2", "10", "6"));
    assert_eq!(
        levels(&ex, Side::Sell),
        [(px("10"), qty("5")), (px("10"), qty("5"))]
    );
    let events = ex.submit(at(5), CAROL, &market("C2", Side::Buy, "1"));
    assert_eq!(fills(&events)[0].1, "B1");

    // Bob moves his price across the bid: he trades as an incoming order.
    ex.submit(at(6), CAROL, &limit("C3", Side::Buy, "9.50", "2"));
    let events = ex.replace(at(7), BOB, &replace("B2", "B1", "9.50", "5"));
    let bob: Vec<_> = fills(&events)
        .into_iter()
        .filter(|fill| fill.0 == BOB)
        .collect();
    assert_eq!(bob, [(BOB, "B2".to_owned(), qty("2"), px("9.50"))]);
    assert_eq!(levels(&ex, Side::Sell)[0], (px("9.50"), qty("2")));

    // Refused: below what is filled, market, IOC, unknown.
    let events = ex.replace(at(8), BOB, &replace("B3", "B2", "9.50", "3"));
    assert_eq!(
        reasons(&events),
        [Reason::QuantityNotAboveFilled {
            quantity: qty("3"),
            filled: qty("3")
        }]
    );
    let mut to_market = replace("B4", "B2", "9.50", "5");
    to_market.kind = OrderKind::Market;
    assert!(matches!(
        reasons(&ex.replace(at(9), BOB, &to_market))[..],
        [Reason::ReplaceNotAllowed(_)]
    ));
    let mut to_ioc = replace("B5", "B2", "9.50", "5");
    to_ioc.time_in_force = TimeInForce::ImmediateOrCancel;
    assert!(matches!(
        reasons(&ex.replace(at(10), BOB, &to_ioc))[..],
        [Reason::ReplaceNotAllowed(_)]
    ));
    let events = ex.replace(at(11), BOB, &replace("B6", "nope", "9.50", "5"));
    assert_eq!(
        reasons(&events),
        [Reason::UnknownOrder("nope".parse().unwrap())]
    );
}

#[test]
fn gtd_orders_expire_when_time_reaches_them() {
    let mut ex = exchange();
    let gtd = request(
        "A1",
        Side::Buy,
        OrderKind::Limit { price: px("9") },
        "1",
        TimeInForce::GoodTillDate(at(1_000)),
    );
    ex.submit(at(0), ALICE, &gtd);
    assert!(ex.advance(at(999)).is_empty());
    let events = ex.advance(at(1_000));
    let rows = reports(&events);
    assert_eq!(
        (rows[0].2, rows[0].3),
        (ExecType::Expired, OrdStatus::Expired)
    );
    assert!(ex.book(&xyz()).unwrap().is_empty());
    // An expiry that passed is processed before a later request.
    let gtd = request(
        "A2",
        Side::Buy,
        OrderKind::Limit { price: px("9") },
        "1",
        TimeInForce::GoodTillDate(at(2_000)),
    );
    ex.submit(at(1_500), ALICE, &gtd);
    let events = ex.submit(at(3_000), BOB, &market("B1", Side::Sell, "1"));
    assert_eq!(reports(&events)[0].2, ExecType::Expired);
    assert_eq!(reasons(&events), [Reason::NoLiquidity]);
}

#[test]
fn stops_trigger_on_trades_and_cascade() {
    let mut ex = exchange();
    ex.submit(at(0), BOB, &limit("B1", Side::Sell, "10.05", "2"));
    ex.submit(at(0), BOB, &limit("B2", Side::Sell, "10.10", "5"));
    let stop = request(
        "A1",
        Side::Buy,
        OrderKind::Stop { stop: px("10.05") },
        "2",
        TimeInForce::GoodTillCancel,
    );
    let events = ex.submit(at(1), ALICE, &stop);
    assert_eq!(reports(&events).len(), 1, "waits off the book");
    assert_eq!(levels(&ex, Side::Buy), []);
    // A trade at 10.05 triggers it: it buys what is left at 10.05, then 10.10.
    let events = ex.submit(at(2), CAROL, &market("C1", Side::Buy, "1"));
    let alice: Vec<_> = fills(&events)
        .into_iter()
        .filter(|fill| fill.0 == ALICE)
        .map(|fill| (fill.2, fill.3))
        .collect();
    assert_eq!(alice, [(qty("1"), px("10.05")), (qty("1"), px("10.10"))]);
    // A sell stop-limit already reached at acceptance triggers at once
    // and rests at its limit.
    let stop_limit = request(
        "A2",
        Side::Sell,
        OrderKind::StopLimit {
            stop: px("10.20"),
            price: px("10.30"),
        },
        "1",
        TimeInForce::GoodTillCancel,
    );
    ex.submit(at(3), ALICE, &stop_limit);
    assert_eq!(
        levels(&ex, Side::Sell),
        [(px("10.10"), qty("4")), (px("10.30"), qty("1"))]
    );
}

#[test]
fn self_trade_is_prevented_by_canceling_the_incoming_order_unless_allowed() {
    let mut ex = exchange();
    ex.submit(at(0), BOB, &limit("B1", Side::Sell, "10", "1"));
    ex.submit(at(0), ALICE, &limit("A1", Side::Sell, "10", "1"));
    let events = ex.submit(at(1), ALICE, &limit("A2", Side::Buy, "10", "3"));
    // Bob's order first, then Alice's own stops it.
    assert_eq!(
        fills(&events).iter().filter(|fill| fill.0 == ALICE).count(),
        1
    );
    assert_eq!(reasons(&events), [Reason::SelfTrade]);
    assert_eq!(levels(&ex, Side::Sell), [(px("10"), qty("1"))]);
    assert_eq!(levels(&ex, Side::Buy), []);

    let mut ex = Exchange::new(
        instruments(),
        ExchangeConfig {
            self_trade: SelfTradePolicy::Allow,
        },
    );
    ex.submit(at(0), ALICE, &limit("A1", Side::Sell, "10", "1"));
    let events = ex.submit(at(1), ALICE, &limit("A2", Side::Buy, "10", "1"));
    assert_eq!(fills(&events).len(), 2);
    assert_eq!(ex.position(ALICE, &xyz()), NetQuantity::ZERO);
}

#[test]
fn status_mass_status_and_positions_answer_per_owner() {
    let mut ex = exchange();
    ex.submit(at(0), ALICE, &limit("A1", Side::Sell, "10", "5"));
    ex.submit(at(0), ALICE, &limit("A2", Side::Sell, "11", "5"));
    ex.submit(at(1), BOB, &market("B1", Side::Buy, "7"));

    let events = ex.status(at(2), ALICE, "A2".parse().unwrap(), None);
    let rows = reports(&events);
    assert_eq!(
        (rows[0].2, rows[0].3, rows[0].6),
        (ExecType::OrderStatus, OrdStatus::PartiallyFilled, qty("3"))
    );
    let events = ex.status(at(2), BOB, "A2".parse().unwrap(), None);
    assert_eq!(reports(&events)[0].3, OrdStatus::Rejected);

    let events = ex.mass_status(at(3), ALICE, "M1".parse().unwrap());
    assert_eq!(reports(&events).len(), 1);
    let events = ex.mass_status(at(3), BOB, "M2".parse().unwrap());
    let ExchangeEvent::Execution { report, .. } = &events[0] else {
        panic!()
    };
    assert_eq!((report.total_reports, report.last_report), (Some(0), true));

    assert_eq!(ex.position(BOB, &xyz()), qty("7").signed(Side::Buy));
    assert_eq!(ex.position(ALICE, &xyz()), qty("7").signed(Side::Sell));
    let events = ex.positions(at(4), BOB, "P1".parse().unwrap());
    let ExchangeEvent::Position { report, .. } = &events[0] else {
        panic!()
    };
    assert_eq!((report.long, report.short), (qty("7"), Quantity::ZERO));
    // 5 × 10 + 2 × 11 = 72 over 7.
    assert_eq!(report.settlement_price, Some(px("10.285714285")));
    let events = ex.positions(at(4), CAROL, "P2".parse().unwrap());
    let ExchangeEvent::Position { report, .. } = &events[0] else {
        panic!()
    };
    assert_eq!((report.symbol, report.total_reports), (None, Some(0)));
}

#[test]
fn snapshot_and_spot_show_the_book() {
    let mut ex = exchange();
    ex.submit(at(0), ALICE, &limit("A1", Side::Sell, "10.02", "5"));
    ex.submit(at(0), ALICE, &limit("A2", Side::Buy, "9.98", "5"));
    let snapshot = ex.snapshot(at(1), &xyz()).unwrap();
    assert_eq!(snapshot.bids.len(), 1);
    assert!(snapshot.asks[0].entry_id.is_some());
    let spot = ex.spot(at(1), &xyz()).unwrap();
    assert_eq!(spot.bid.unwrap().price, px("9.98"));
    assert_eq!(spot.ask.unwrap().size, None);
}

/// An entry book rebuilt from the deltas alone.
#[derive(Default)]
struct EntryBook {
    entries: BTreeMap<String, (BookSide, Price, Quantity)>,
    last_sequence: u64,
}

impl EntryBook {
    fn apply(&mut self, events: &[ExchangeEvent]) {
        for event in events {
            let ExchangeEvent::Market(market) = event else {
                continue;
            };
            let sequence = market.header().sequence.unwrap();
            assert_eq!(sequence, self.last_sequence + 1, "no gap in the sequence");
            self.last_sequence = sequence;
            let MarketEvent::Delta(delta) = market else {
                continue;
            };
            for change in &delta.changes {
                match *change {
                    BookChange::AddEntry {
                        side,
                        entry_id,
                        price,
                        size,
                    } => {
                        assert!(!size.is_zero());
                        let old = self
                            .entries
                            .insert(entry_id.to_string(), (side, price, size));
                        assert!(old.is_none(), "entry {entry_id} added twice");
                    }
                    BookChange::DeleteEntry { entry_id } => {
                        assert!(
                            self.entries.remove(entry_id.as_str()).is_some(),
                            "unknown entry {entry_id}"
                        );
                    }
                    other => panic!("only adds and deletes, got {other:?}"),
                }
            }
        }
    }

    fn matches(&self, exchange: &Exchange) {
        let (bids, asks) = exchange.book(&xyz()).unwrap().snapshot();
        let mut expected = BTreeMap::new();
        for (side, entries) in [(BookSide::Bid, bids), (BookSide::Ask, asks)] {
            for entry in entries {
                let id: EntryId = entry.entry_id.unwrap();
                expected.insert(id.to_string(), (side, entry.price, entry.size));
            }
        }
        assert_eq!(self.entries, expected);
    }
}

#[derive(Clone, Debug)]
enum Op {
    New {
        owner: u32,
        side: bool,
        kind: u8,
        ticks: i64,
        stop_ticks: i64,
        size: i64,
        tif: u8,
    },
    Cancel {
        owner: u32,
        pick: usize,
    },
    Replace {
        owner: u32,
        pick: usize,
        ticks: i64,
        size: i64,
    },
    Advance {
        ms: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (1..4u32, any::<bool>(), 0..4u8, 990..1010i64, 990..1010i64, 1..8i64, 0..4u8).prop_map(
            |(owner, side, kind, ticks, stop_ticks, size, tif)| Op::New { owner, side, kind, ticks, stop_ticks, size, tif }
        ),
        2 => (1..4u32, 0..40usize).prop_map(|(owner, pick)| Op::Cancel { owner, pick }),
        2 => (1..4u32, 0..40usize, 990..1010i64, 1..10i64).prop_map(|(owner, pick, ticks, size)| Op::Replace { owner, pick, ticks, size }),
        1 => (1..500u64).prop_map(|ms| Op::Advance { ms }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// After every call: the deltas (adds and deletes only, no sequence
    /// gap) rebuild the exchange's book exactly; the book is not crossed;
    /// each owner's position is the sum of its fills.
    #[test]
    fn depth_deltas_replay_to_the_book_and_positions_sum_fills(ops in proptest::collection::vec(op(), 1..120)) {
        let mut ex = exchange();
        let mut replica = EntryBook::default();
        let mut sums: BTreeMap<u32, i64> = BTreeMap::new();
        let mut ids: Vec<(u32, String)> = Vec::new();
        let mut now = 0;
        for (n, op) in ops.into_iter().enumerate() {
            now += 1;
            let tick = |ticks: i64| Price::from_raw(ticks * 10_000_000);
            let events = match op {
                Op::New { owner, side, kind, ticks, stop_ticks, size, tif } => {
                    let side = if side { Side::Buy } else { Side::Sell };
                    let kind = match kind {
                        0 => OrderKind::Market,
                        1 | 2 => OrderKind::Limit { price: tick(ticks) },
                        _ => OrderKind::Stop { stop: tick(stop_ticks) },
                    };
                    let tif = match (kind, tif) {
                        (OrderKind::Market, _) | (_, 0) => TimeInForce::ImmediateOrCancel,
                        (_, 1) => TimeInForce::FillOrKill,
                        (_, 2) => TimeInForce::GoodTillDate(at(now + 300)),
                        _ => TimeInForce::GoodTillCancel,
                    };
                    let id = format!("N{n}");
                    ids.push((owner, id.clone()));
                    let order = OrderRequest {
                        cl_ord_id: id.parse().unwrap(),
                        symbol: "XYZ".parse().unwrap(),
                        side,
                        kind,
                        quantity: Quantity::from_int(size).unwrap(),
                        time_in_force: tif,
                        position: None,
                    };
                    ex.submit(at(now), OwnerId(owner), &order)
                }
                Op::Cancel { owner, pick } => {
                    let orig = ids.get(pick).map_or("none".to_owned(), |id| id.1.clone());
                    let id = format!("X{n}");
                    ids.push((owner, id.clone()));
                    ex.cancel(at(now), OwnerId(owner), &cancel(&id, &orig))
                }
                Op::Replace { owner, pick, ticks, size } => {
                    let orig = ids.get(pick).map_or("none".to_owned(), |id| id.1.clone());
                    let id = format!("R{n}");
                    ids.push((owner, id.clone()));
                    let request = ReplaceRequest {
                        cl_ord_id: id.parse().unwrap(),
                        orig_cl_ord_id: orig.parse::<ClOrdId>().unwrap(),
                        order_id: None,
                        kind: OrderKind::Limit { price: tick(ticks) },
                        quantity: Quantity::from_int(size).unwrap(),
                        time_in_force: TimeInForce::GoodTillCancel,
                    };
                    ex.replace(at(now), OwnerId(owner), &request)
                }
                Op::Advance { ms } => {
                    now += ms;
                    ex.advance(at(now))
                }
            };
            replica.apply(&events);
            replica.matches(&ex);
            prop_assert!(!ex.book(&xyz()).unwrap().is_crossed());
            for event in &events {
                if let ExchangeEvent::Execution { owner, report, .. } = event
                    && report.exec_type == ExecType::Trade
                {
                    let signed = report.last_qty.signed(report.side).raw();
                    *sums.entry(owner.0).or_default() += signed;
                }
            }
            for owner in 1..4 {
                prop_assert_eq!(
                    ex.position(OwnerId(owner), &xyz()).raw(),
                    sums.get(&owner).copied().unwrap_or(0)
                );
            }
        }
    }
}

#[test]
fn a_hedged_account_keeps_a_position_per_order_and_reduces_the_one_named() {
    let mut ex = exchange();
    ex.set_position_mode(ALICE, PositionMode::Hedged);
    // BOB rests liquidity on both sides.
    ex.submit(at(1), BOB, &limit("B1", Side::Sell, "10", "100"));
    ex.submit(at(1), BOB, &limit("B2", Side::Buy, "9", "100"));
    // ALICE buys twice: two positions, not one.
    let first = ex.submit(at(2), ALICE, &market("A1", Side::Buy, "5"));
    let second = ex.submit(at(3), ALICE, &market("A2", Side::Buy, "3"));
    let order_id = |events: &[ExchangeEvent]| {
        events
            .iter()
            .find_map(|event| match event {
                ExchangeEvent::Execution { report, .. } => report.order_id,
                _ => None,
            })
            .unwrap()
    };
    let a1 = ex.order_position(ALICE, &order_id(&first)).unwrap();
    let a2 = ex.order_position(ALICE, &order_id(&second)).unwrap();
    assert_ne!(a1, a2);
    assert_eq!(ex.position(ALICE, &xyz()), qty("8").signed(Side::Buy));
    // Selling 5 against the first position closes it; the second stays.
    let closing = OrderRequest {
        position: Some(a1),
        ..market("A3", Side::Sell, "5")
    };
    let events = ex.submit(at(4), ALICE, &closing);
    assert_eq!(ex.order_position(ALICE, &order_id(&events)), Some(a1));
    assert_eq!(ex.position(ALICE, &xyz()), qty("3").signed(Side::Buy));
    let events = ex.positions(at(5), ALICE, "P1".parse().unwrap());
    let reported: Vec<_> = events
        .iter()
        .map(|event| match event {
            ExchangeEvent::Position {
                report,
                position_id,
                ..
            } => (*position_id, report.long, report.total_reports),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(reported, vec![(Some(a2), qty("3"), Some(1))]);
    // A closed position cannot be named again.
    let stale = OrderRequest {
        position: Some(a1),
        ..market("A4", Side::Sell, "1")
    };
    let events = ex.submit(at(6), ALICE, &stale);
    let ExchangeEvent::Execution { report, reason, .. } = &events[0] else {
        panic!("{events:?}");
    };
    assert_eq!(report.exec_type, ExecType::Rejected);
    assert_eq!(*reason, Some(Reason::UnknownPosition(a1)));
    // A netting account ignores a named position and nets.
    ex.submit(at(7), CAROL, &market("C1", Side::Buy, "2"));
    let named = OrderRequest {
        position: Some(99),
        ..market("C2", Side::Buy, "1")
    };
    ex.submit(at(8), CAROL, &named);
    assert_eq!(ex.position(CAROL, &xyz()), qty("3").signed(Side::Buy));
    let events = ex.positions(at(9), CAROL, "P2".parse().unwrap());
    assert!(matches!(
        &events[..],
        [ExchangeEvent::Position {
            position_id: None,
            ..
        }]
    ));
}
