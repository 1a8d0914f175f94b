//! Criterion benchmarks of the risk gate and the position book, the work
//! the OMS does on one thread for every order and every fill.
//!
//! - `check_submit/pass_all_limits`: a limit order that passes with every
//!   rule enabled (instrument rules, per-order caps, GTD, price band,
//!   instrument and strategy position limits over a 50-entry limit map,
//!   gross and net exposure, daily loss, drawdown): the pass path, which
//!   must not allocate.
//! - `check_submit/deny_notional`: the same order over its notional cap,
//!   for comparison (a denial formats its detail, so it allocates).
//! - `check_modify/pass_all_limits`: a replace that raises quantity and
//!   price, passing every rule.
//! - `rate_limiter/try_acquire`: one acquisition with a 100-per-second
//!   window kept full.
//! - `positions/apply_fill`: a fill on an existing position of a book of
//!   60 positions (20 instruments × 3 strategies); fills alternate so the
//!   position adds, partly closes and flips, through the proportional
//!   release.
//! - `gate_and_fill`: `check_submit` + `try_acquire` + `apply_fill`, a
//!   stand-in for the OMS's per-order budget (≤ 1 µs median).
//!
//! Run: `cargo bench -p oms --bench risk`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use model::{
    Instrument, InstrumentId, Money, OrderKind, Price, Quantity, Side, StrategyId, TimeInForce,
    Timestamp, VenueSymbol,
};
use oms::position::Positions;
use oms::risk::{
    DenyCode, ExistingOrder, ExposureView, OrderTerms, RateLimit, RateLimiter, RiskLimits,
    TradingState, check_modify, check_submit,
};

/// 2026-11-21T06:29:14Z.
const NOW: Timestamp = Timestamp::from_unix_nanos(1_795_242_554_000_000_000);

fn parse<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("valid literal")
}

fn instrument() -> Instrument {
    Instrument {
        id: InstrumentId::new("EURUSD.CTRADER").expect("id"),
        venue_symbol: VenueSymbol::new("1").expect("symbol"),
        tick_size: parse("0.00001"),
        lot_size: parse("1000"),
        min_quantity: parse("1000"),
        max_quantity: Some(parse("100000000")),
        min_notional: Some(parse("1000")),
        price_digits: 5,
        allows_non_positive_prices: false,
    }
}

fn limits(instrument: &InstrumentId) -> RiskLimits {
    let mut position_limits = BTreeMap::new();
    for i in 0..49 {
        let id = InstrumentId::new(&format!("SYM{i:02}.CTRADER")).expect("id");
        position_limits.insert(id, parse("5000000"));
    }
    position_limits.insert(*instrument, parse("2000000"));
    let limits = RiskLimits {
        max_order_quantity: Some(parse("1000000")),
        max_order_notional: Some(parse("1500000")),
        default_position_limit: Some(parse("1000000")),
        position_limits,
        max_strategy_position: Some(parse("1000000")),
        max_gross_exposure: Some(parse("50000000")),
        max_net_exposure: Some(parse("20000000")),
        daily_loss_limit: Some(parse("100000")),
        max_drawdown: Some(parse("250000")),
        submit_rate: Some(RateLimit::per_second(100)),
        modify_rate: Some(RateLimit::per_second(100)),
        price_band_bps: Some(200),
    };
    limits.validate().expect("valid limits");
    limits
}

fn exposure() -> ExposureView {
    ExposureView {
        instrument_position: parse::<Quantity>("300000").signed(Side::Buy),
        strategy_position: parse::<Quantity>("100000").signed(Side::Buy),
        instrument_open_buys: parse("200000"),
        instrument_open_sells: parse("150000"),
        strategy_open_buys: parse("50000"),
        strategy_open_sells: parse("20000"),
        last_price: Some(parse("1.06625")),
        gross_exposure: parse("12000000"),
        net_exposure: parse("-3500000"),
        daily_pnl: parse("-12000.5"),
        drawdown: parse("30000"),
    }
}

fn bench_gate(c: &mut Criterion) {
    let instrument = instrument();
    let limits = limits(&instrument.id);
    let exposure = exposure();
    let order = OrderTerms {
        instrument: &instrument,
        side: Side::Buy,
        kind: OrderKind::Limit {
            price: parse("1.06630"),
        },
        quantity: parse("100000"),
        time_in_force: TimeInForce::GoodTillDate(
            NOW.checked_add_nanos(3_600_000_000_000).expect("in range"),
        ),
    };
    assert_eq!(
        check_submit(&limits, TradingState::Active, &order, &exposure, NOW),
        Ok(())
    );

    let mut group = c.benchmark_group("check_submit");
    group.bench_function("pass_all_limits", |b| {
        b.iter(|| {
            check_submit(
                black_box(&limits),
                black_box(TradingState::Active),
                black_box(&order),
                black_box(&exposure),
                black_box(NOW),
            )
        });
    });
    let mut tight = limits.clone();
    tight.max_order_notional = Some(parse("100000"));
    assert_eq!(
        check_submit(&tight, TradingState::Active, &order, &exposure, NOW)
            .map_err(|denial| denial.code),
        Err(DenyCode::NotionalExceedsMaxPerOrder)
    );
    group.bench_function("deny_notional", |b| {
        b.iter(|| {
            check_submit(
                black_box(&tight),
                black_box(TradingState::Active),
                black_box(&order),
                black_box(&exposure),
                black_box(NOW),
            )
        });
    });
    group.finish();

    let existing = ExistingOrder {
        quantity: parse("80000"),
        filled: parse("20000"),
        kind: OrderKind::Limit {
            price: parse("1.06600"),
        },
    };
    assert_eq!(
        check_modify(
            &limits,
            TradingState::Active,
            &existing,
            &order,
            &exposure,
            NOW
        ),
        Ok(())
    );
    c.bench_function("check_modify/pass_all_limits", |b| {
        b.iter(|| {
            check_modify(
                black_box(&limits),
                black_box(TradingState::Active),
                black_box(&existing),
                black_box(&order),
                black_box(&exposure),
                black_box(NOW),
            )
        });
    });
}

fn bench_rate_limiter(c: &mut Criterion) {
    let mut limiter = RateLimiter::new(RateLimit::per_second(100));
    // 100 per second: one acquisition every 10 ms keeps the window full
    // and every acquisition granted.
    let mut now = NOW.unix_nanos();
    c.bench_function("rate_limiter/try_acquire", |b| {
        b.iter(|| {
            now += 10_000_000;
            limiter.try_acquire(black_box(Timestamp::from_unix_nanos(now)))
        });
    });
}

/// A book of 20 instruments × 3 strategies, each with an open position.
fn book() -> (Positions, InstrumentId, StrategyId) {
    let mut book = Positions::new();
    let strategies: Vec<StrategyId> = ["arb", "mm", "trend"]
        .iter()
        .map(|name| StrategyId::new(name).expect("id"))
        .collect();
    for i in 0..20 {
        let instrument = InstrumentId::new(&format!("SYM{i:02}.CTRADER")).expect("id");
        for strategy in &strategies {
            let quantity: Quantity = parse("10000");
            let price: Price = parse("1.06625");
            book.apply_fill(
                instrument,
                *strategy,
                Side::Buy,
                quantity,
                price.notional(quantity),
                parse("0.2"),
            )
            .expect("fill");
        }
    }
    let target = InstrumentId::new("SYM10.CTRADER").expect("id");
    (book, target, strategies[1])
}

fn bench_positions(c: &mut Criterion) {
    let (mut book, instrument, strategy) = book();
    // Sell 30 000 (flip to −20 000), buy 25 000 (close, flip to +5 000),
    // buy 15 000 (add), sell 10 000 (partial close to +10 000): the cycle
    // returns to the start, so the position stays bounded.
    let cycle: Vec<(Side, Quantity, Money)> = [
        (Side::Sell, "30000", "1.06630"),
        (Side::Buy, "25000", "1.06610"),
        (Side::Buy, "15000", "1.06620"),
        (Side::Sell, "10000", "1.06640"),
    ]
    .iter()
    .map(|&(side, quantity, price)| {
        let quantity: Quantity = parse(quantity);
        (side, quantity, parse::<Price>(price).notional(quantity))
    })
    .collect();
    let fee: Money = parse("0.35");
    let mut step = 0usize;
    c.bench_function("positions/apply_fill", |b| {
        b.iter(|| {
            let (side, quantity, value) = cycle[step % cycle.len()];
            step += 1;
            book.apply_fill(
                black_box(instrument),
                black_box(strategy),
                side,
                quantity,
                value,
                fee,
            )
        });
    });
}

fn bench_gate_and_fill(c: &mut Criterion) {
    let instrument = instrument();
    let limits = limits(&instrument.id);
    let exposure = exposure();
    let order = OrderTerms {
        instrument: &instrument,
        side: Side::Buy,
        kind: OrderKind::Limit {
            price: parse("1.06630"),
        },
        quantity: parse("100000"),
        time_in_force: TimeInForce::GoodTillCancel,
    };
    let mut limiter = RateLimiter::new(RateLimit::per_second(100));
    let (mut book, target, strategy) = book();
    let value = order
        .kind
        .reference_price()
        .expect("limit")
        .notional(order.quantity);
    let mut now = NOW.unix_nanos();
    let mut side = Side::Buy;
    c.bench_function("gate_and_fill", |b| {
        b.iter(|| {
            now += 10_000_000;
            let now = Timestamp::from_unix_nanos(now);
            let passed = check_submit(
                black_box(&limits),
                TradingState::Active,
                black_box(&order),
                black_box(&exposure),
                now,
            )
            .is_ok()
                && limiter.try_acquire(now);
            // Alternate sides so the position stays bounded.
            side = side.opposite();
            passed
                && book
                    .apply_fill(
                        black_box(target),
                        black_box(strategy),
                        side,
                        order.quantity,
                        value,
                        Money::ZERO,
                    )
                    .is_ok()
        });
    });
}

criterion_group!(
    benches,
    bench_gate,
    bench_rate_limiter,
    bench_positions,
    bench_gate_and_fill
);
criterion_main!(benches);
