//! Criterion benchmarks of the exchange core.
//!
//! - `match/limit_top_of_20_levels`: one incoming limit order taking part
//!   of the best of 20 ask levels (one fill, the maker resized in place).
//! - `match/limit_top_of_20_levels_warm`: the same, repeated on one
//!   exchange whose top order never runs out (no clone per iteration, so
//!   caches are warm; includes formatting the taker's ClOrdID).
//! - `match/market_sweep_20_levels`: one market order sweeping all 20
//!   levels (20 fills, 20 prints, 20 deletes).
//! - `synthetic/sub_step_generic`: one 100 ms sub-step of the generic
//!   profile's synthetic market (BTCUSD, 20 levels), after a minute of
//!   warm-up.
//!
//! Run: `cargo bench -p venue --bench exchange`.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
#![allow(clippy::unwrap_used, reason = "bench code")]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use model::{
    Instrument, InstrumentTable, OrderKind, Price, Quantity, Side, TimeInForce, Timestamp,
};
use venue::exchange::profile::VenueProfile;
use venue::exchange::{Exchange, ExchangeConfig, OrderRequest, OwnerId};

const GENERIC: &str = include_str!("../../../specs/venue-generic.toml");

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_nanos(1_700_000_000_000_000_000 + ms * 1_000_000)
}

fn order(id: &str, side: Side, kind: OrderKind, quantity: i64) -> OrderRequest {
    OrderRequest {
        cl_ord_id: id.parse().unwrap(),
        symbol: "XYZ".parse().unwrap(),
        side,
        kind,
        quantity: Quantity::from_int(quantity).unwrap(),
        time_in_force: if kind == OrderKind::Market {
            TimeInForce::ImmediateOrCancel
        } else {
            TimeInForce::GoodTillCancel
        },
        position: None,
    }
}

/// Twenty ask levels (10.01 … 10.20), one order of 1 each, and twenty
/// bids below.
fn twenty_levels() -> Exchange {
    let mut table = InstrumentTable::new();
    table
        .insert(Instrument {
            id: "XYZ.SIM".parse().unwrap(),
            venue_symbol: "XYZ".parse().unwrap(),
            tick_size: "0.01".parse().unwrap(),
            lot_size: "1".parse().unwrap(),
            min_quantity: "1".parse().unwrap(),
            max_quantity: None,
            min_notional: None,
            price_digits: 2,
            allows_non_positive_prices: false,
        })
        .unwrap();
    let mut exchange = Exchange::new(table, ExchangeConfig::default());
    for level in 1..=20i64 {
        let ask = Price::from_raw(10_000_000_000 + level * 10_000_000);
        let bid = Price::from_raw(10_000_000_000 - level * 10_000_000);
        exchange.submit(
            at(0),
            OwnerId(2),
            &order(
                &format!("A{level}"),
                Side::Sell,
                OrderKind::Limit { price: ask },
                1,
            ),
        );
        exchange.submit(
            at(0),
            OwnerId(2),
            &order(
                &format!("B{level}"),
                Side::Buy,
                OrderKind::Limit { price: bid },
                1,
            ),
        );
    }
    exchange
}

fn matching(c: &mut Criterion) {
    let book = twenty_levels();
    let mut group = c.benchmark_group("match");
    let take_top = order(
        "T1",
        Side::Buy,
        OrderKind::Limit {
            price: "10.01".parse().unwrap(),
        },
        1,
    );
    let mut partial = book.clone();
    // Make the top bigger so the taker leaves a remainder (a resize).
    partial.submit(
        at(0),
        OwnerId(3),
        &order(
            "A0",
            Side::Sell,
            OrderKind::Limit {
                price: "10.01".parse().unwrap(),
            },
            5,
        ),
    );
    group.bench_function("limit_top_of_20_levels", |b| {
        b.iter_batched(
            || partial.clone(),
            |mut exchange| {
                // Returned, so the clone is dropped outside the timing.
                let events = exchange.submit(at(1), OwnerId(1), &take_top);
                black_box((exchange, events))
            },
            BatchSize::SmallInput,
        );
    });
    // Warm: the same book every time (the top order is far larger than
    // the takers), no clone; each taker needs a fresh ClOrdID.
    let mut warm = book.clone();
    warm.submit(
        at(0),
        OwnerId(3),
        &order(
            "A0",
            Side::Sell,
            OrderKind::Limit {
                price: "10.01".parse().unwrap(),
            },
            1_000_000_000,
        ),
    );
    let mut n = 0u64;
    group.bench_function("limit_top_of_20_levels_warm", |b| {
        b.iter(|| {
            n += 1;
            let mut taker = take_top.clone();
            taker.cl_ord_id = format!("W{n}").parse().unwrap();
            black_box(warm.submit(at(1), OwnerId(1), &taker))
        });
    });
    let sweep = order("T2", Side::Buy, OrderKind::Market, 20);
    group.bench_function("market_sweep_20_levels", |b| {
        b.iter_batched(
            || book.clone(),
            |mut exchange| {
                let events = exchange.submit(at(1), OwnerId(1), &sweep);
                black_box((exchange, events))
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn synthetic(c: &mut Criterion) {
    let profile = VenueProfile::parse(GENERIC, "venue-generic.toml").unwrap();
    let (mut exchange, mut market) = profile.build().unwrap();
    market.step(&mut exchange, at(60_000));
    let mut now = 60_000;
    c.bench_function("synthetic/sub_step_generic", |b| {
        b.iter(|| {
            now += 100;
            black_box(market.step(&mut exchange, at(now)))
        });
    });
}

criterion_group!(benches, matching, synthetic);
criterion_main!(benches);
