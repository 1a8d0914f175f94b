//! The synthetic background market and the recorded-book replay.

#![allow(clippy::unwrap_used, reason = "test code")]

use model::{
    BookChange, BookDelta, BookEntry, BookSnapshot, ExecType, InstrumentId, MarketEvent,
    MarketHeader, OrderKind, Price, Quantity, Side, TimeInForce, Timestamp,
};
use venue::exchange::profile::VenueProfile;
use venue::exchange::synthetic::{RecordedBook, Regime, SyntheticMarket};
use venue::exchange::{Exchange, ExchangeEvent, OrderRequest, OwnerId};

const GENERIC: &str = include_str!("../../../specs/venue-generic.toml");
const CTRADER: &str = include_str!("../../../specs/venue-ctrader.toml");

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_nanos(1_700_000_000_000_000_000 + ms * 1_000_000)
}

fn btc() -> InstrumentId {
    "BTCUSD.SIM".parse().unwrap()
}

fn build(text: &str, seed: Option<u64>) -> (Exchange, SyntheticMarket) {
    let mut profile = VenueProfile::parse(text, "profile.toml").unwrap();
    if let Some(seed) = seed {
        profile.seed = seed;
    }
    profile.build().unwrap()
}

fn run(seed: u64, seconds: u64) -> Vec<ExchangeEvent> {
    let (mut exchange, mut market) = build(GENERIC, Some(seed));
    let mut events = Vec::new();
    for second in 0..=seconds {
        events.extend(market.step(&mut exchange, at(second * 1_000)));
    }
    events
}

#[test]
fn the_same_seed_gives_the_same_events_and_another_seed_others() {
    let first = run(11, 60);
    assert!(first.len() > 1_000, "{} events", first.len());
    assert_eq!(first, run(11, 60));
    assert_ne!(first, run(12, 60));
}

#[test]
fn the_book_stays_two_sided_and_uncrossed_for_half_an_hour() {
    for text in [GENERIC, CTRADER] {
        let (mut exchange, mut market) = build(text, None);
        let instruments: Vec<InstrumentId> = exchange.instruments().iter().map(|i| i.id).collect();
        for step in 0..=1_800u64 {
            market.step(&mut exchange, at(step * 1_000));
            for id in &instruments {
                let book = exchange.book(id).unwrap();
                assert!(
                    book.best_bid().is_some() && book.best_ask().is_some(),
                    "{id} one-sided at {step}s"
                );
                assert!(!book.is_crossed(), "{id} crossed at {step}s");
            }
        }
        // The book has depth, and more size away from the top.
        let book = exchange.book(&instruments[0]).unwrap();
        assert!(book.len() > 20, "{} orders", book.len());
    }
}

#[test]
fn background_takers_print_trades_at_resting_prices() {
    let events = run(3, 120);
    let trades: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            ExchangeEvent::Market(MarketEvent::Trade(trade)) => Some(*trade),
            _ => None,
        })
        .collect();
    // 2 takers a second for two minutes, give or take.
    assert!(trades.len() > 100, "{} prints", trades.len());
    assert!(
        trades
            .iter()
            .any(|trade| trade.aggressor == Some(Side::Buy))
    );
    assert!(
        trades
            .iter()
            .any(|trade| trade.aggressor == Some(Side::Sell))
    );
    // Background orders never report to anyone.
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, ExchangeEvent::Execution { .. }))
    );
}

#[test]
fn realized_volatility_follows_the_regime() {
    let mut profile = VenueProfile::parse(GENERIC, "generic").unwrap();
    profile.symbols[0].model.regimes = vec![
        Regime {
            name: "calm".into(),
            volatility_ticks: 2.0,
            mean_duration_secs: 60.0,
        },
        Regime {
            name: "wild".into(),
            volatility_ticks: 20.0,
            mean_duration_secs: 60.0,
        },
    ];
    let (mut exchange, mut market) = profile.build().unwrap();
    let mut sums = [(0.0f64, 0u32); 2];
    market.step(&mut exchange, at(0));
    let mut previous = market.mid_ticks(&btc()).unwrap();
    for step in 1..=36_000u64 {
        market.step(&mut exchange, at(step * 100));
        let mid = market.mid_ticks(&btc()).unwrap();
        let regime = market.regime(&btc()).unwrap();
        sums[regime].0 += (mid - previous).powi(2);
        sums[regime].1 += 1;
        previous = mid;
    }
    assert!(
        sums[0].1 > 1_000 && sums[1].1 > 1_000,
        "both regimes visited: {sums:?}"
    );
    let variance = |(sum, n): (f64, u32)| sum / f64::from(n);
    // σ² per 100 ms step: 0.4 and 40 ticks²; their ratio is 100.
    let (calm, wild) = (variance(sums[0]), variance(sums[1]));
    assert!((0.3..0.5).contains(&calm), "calm {calm}");
    assert!((30.0..50.0).contains(&wild), "wild {wild}");
}

#[test]
fn client_orders_trade_with_background_liquidity() {
    let (mut exchange, mut market) = build(GENERIC, None);
    market.step(&mut exchange, at(0));
    let ask = exchange.book(&btc()).unwrap().best_ask().unwrap();
    let order = OrderRequest {
        cl_ord_id: "C1".parse().unwrap(),
        symbol: "BTCUSD".parse().unwrap(),
        side: Side::Buy,
        kind: OrderKind::Market,
        quantity: "0.01".parse().unwrap(),
        time_in_force: TimeInForce::ImmediateOrCancel,
        position: None,
    };
    let events = exchange.submit(at(1), OwnerId(1), &order);
    let fill = events
        .iter()
        .find_map(|event| match event {
            ExchangeEvent::Execution { report, .. } if report.exec_type == ExecType::Trade => {
                Some(report.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(fill.last_px, Some(ask));
    assert_eq!(fill.ord_status, model::OrdStatus::Filled);
    // A resting client bid joins the queue and the process goes on.
    let bid = exchange.book(&btc()).unwrap().best_bid().unwrap();
    let order = OrderRequest {
        cl_ord_id: "C2".parse().unwrap(),
        kind: OrderKind::Limit { price: bid },
        time_in_force: TimeInForce::GoodTillCancel,
        ..order
    };
    exchange.submit(at(2), OwnerId(1), &order);
    market.step(&mut exchange, at(600_000));
    assert!(!exchange.book(&btc()).unwrap().is_crossed());
}

fn header(ms: u64) -> MarketHeader {
    MarketHeader {
        instrument: btc(),
        sequence: None,
        exchange_time: None,
        receive_time: at(ms),
    }
}

fn entry(price: &str, size: &str, id: Option<&str>) -> BookEntry {
    BookEntry {
        price: price.parse().unwrap(),
        size: size.parse().unwrap(),
        entry_id: id.map(|id| id.parse().unwrap()),
    }
}

/// (price, size) of each resting order, best first.
type Orders = Vec<(Price, Quantity)>;

fn sides(exchange: &Exchange) -> (Orders, Orders) {
    let book = exchange.book(&btc()).unwrap();
    let side = |side| {
        book.side(side)
            .map(|order| (order.price, order.size))
            .collect()
    };
    (side(Side::Buy), side(Side::Sell))
}

#[test]
fn a_recorded_book_becomes_background_liquidity() {
    let profile = VenueProfile::parse(GENERIC, "generic").unwrap();
    let mut exchange = Exchange::new(profile.instruments(), profile.exchange);
    let mut replay = RecordedBook::new();
    let snapshot = MarketEvent::Snapshot(BookSnapshot {
        header: header(0),
        bids: vec![entry("100.00", "1", None), entry("99.99", "2", None)],
        asks: vec![entry("100.01", "1.5", None)],
    });
    replay.apply(&mut exchange, at(0), &snapshot);
    let p = |text: &str| text.parse::<Price>().unwrap();
    let q = |text: &str| text.parse::<Quantity>().unwrap();
    assert_eq!(
        sides(&exchange),
        (
            vec![(p("100.00"), q("1")), (p("99.99"), q("2"))],
            vec![(p("100.01"), q("1.5"))]
        )
    );

    // A level delta resizes one quote; the others stay.
    let delta = MarketEvent::Delta(BookDelta {
        header: header(1),
        changes: vec![BookChange::SetLevel {
            side: model::BookSide::Bid,
            price: p("100.00"),
            size: q("3"),
        }],
    });
    replay.apply(&mut exchange, at(1), &delta);
    assert_eq!(
        sides(&exchange).0,
        vec![(p("100.00"), q("3")), (p("99.99"), q("2"))]
    );

    // A client sells into the recorded bid.
    let order = OrderRequest {
        cl_ord_id: "C1".parse().unwrap(),
        symbol: "BTCUSD".parse().unwrap(),
        side: Side::Sell,
        kind: OrderKind::Market,
        quantity: q("0.5"),
        time_in_force: TimeInForce::ImmediateOrCancel,
        position: None,
    };
    let events = exchange.submit(at(2), OwnerId(1), &order);
    assert!(events.iter().any(|event| matches!(event, ExchangeEvent::Execution { report, .. } if report.last_px == Some(p("100.00")))));

    // The next snapshot rebuilds the book to match it exactly.
    let snapshot = MarketEvent::Snapshot(BookSnapshot {
        header: header(3),
        bids: vec![entry("99.98", "4", Some("7"))],
        asks: vec![
            entry("100.01", "1.5", None),
            entry("100.02", "1", Some("8")),
        ],
    });
    replay.apply(&mut exchange, at(3), &snapshot);
    assert_eq!(
        sides(&exchange),
        (
            vec![(p("99.98"), q("4"))],
            vec![(p("100.01"), q("1.5")), (p("100.02"), q("1"))]
        )
    );
    assert_eq!(replay.placed(), 3);
    // Entry deltas and a reset.
    let delta = MarketEvent::Delta(BookDelta {
        header: header(4),
        changes: vec![BookChange::DeleteEntry {
            entry_id: "8".parse().unwrap(),
        }],
    });
    replay.apply(&mut exchange, at(4), &delta);
    assert_eq!(sides(&exchange).1, vec![(p("100.01"), q("1.5"))]);
    let reset = MarketEvent::Reset {
        header: header(5),
        reason: model::BookResetReason::Disconnected,
    };
    replay.apply(&mut exchange, at(5), &reset);
    assert!(exchange.book(&btc()).unwrap().is_empty());
}
