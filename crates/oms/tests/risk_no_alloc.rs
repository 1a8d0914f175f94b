//! The hot paths do not allocate: `check_submit` and `check_modify` when
//! they pass, `RateLimiter::try_acquire`, and `Positions::apply_fill` on a
//! position that already exists. A denial does allocate (its detail text),
//! which the test also shows, so the counter is known to work.
//!
//! Counting needs a global allocator, hence the one `unsafe` block of the
//! crate's tests: it forwards to the system allocator and counts calls made
//! on the current thread.

#![allow(unsafe_code, reason = "a counting global allocator, test only")]
#![allow(clippy::unwrap_used, reason = "test code")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use model::{
    Instrument, InstrumentId, Money, OrderKind, Price, Quantity, Side, StrategyId, TimeInForce,
    Timestamp, VenueSymbol,
};
use oms::position::Positions;
use oms::risk::{
    ExistingOrder, ExposureView, OrderTerms, RateLimit, RateLimiter, RiskLimits, TradingState,
    check_modify, check_submit,
};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the slot may already be gone while the thread exits.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call forwards to `System` with the caller's arguments,
// which upholds the same contract.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations `f` makes on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let value = f();
    (ALLOCATIONS.with(Cell::get) - before, value)
}

fn parse<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().unwrap()
}

#[test]
fn hot_paths_do_not_allocate_and_denials_do() {
    let instrument = Instrument {
        id: InstrumentId::new("EURUSD").unwrap(),
        venue_symbol: VenueSymbol::new("1").unwrap(),
        tick_size: parse("0.00001"),
        lot_size: parse("1000"),
        min_quantity: parse("1000"),
        max_quantity: Some(parse("100000000")),
        min_notional: Some(parse("1000")),
        price_digits: 5,
        allows_non_positive_prices: false,
    };
    let limits = RiskLimits {
        max_order_quantity: Some(parse("1000000")),
        max_order_notional: Some(parse("1500000")),
        default_position_limit: Some(parse("1000000")),
        position_limits: [(instrument.id, parse("2000000"))].into(),
        max_strategy_position: Some(parse("1000000")),
        max_gross_exposure: Some(parse("50000000")),
        max_net_exposure: Some(parse("20000000")),
        daily_loss_limit: Some(parse("100000")),
        max_drawdown: Some(parse("250000")),
        submit_rate: Some(RateLimit::per_second(100)),
        modify_rate: Some(RateLimit::per_second(100)),
        price_band_bps: Some(200),
    };
    let exposure = ExposureView {
        instrument_position: parse::<Quantity>("300000").signed(Side::Buy),
        instrument_open_buys: parse("200000"),
        last_price: Some(parse("1.06625")),
        gross_exposure: parse("12000000"),
        net_exposure: parse("3500000"),
        daily_pnl: parse("-12000.5"),
        drawdown: parse("30000"),
        ..ExposureView::default()
    };
    let now = Timestamp::from_unix_nanos(1_795_242_554_000_000_000);
    let order = OrderTerms {
        instrument: &instrument,
        side: Side::Buy,
        kind: OrderKind::Limit {
            price: parse("1.0663"),
        },
        quantity: parse("100000"),
        time_in_force: TimeInForce::GoodTillDate(now.checked_add_nanos(1).unwrap()),
    };

    let (n, result) =
        allocations(|| check_submit(&limits, TradingState::Active, &order, &exposure, now));
    assert_eq!((n, result), (0, Ok(())), "check_submit pass path");

    let existing = ExistingOrder {
        quantity: parse("50000"),
        filled: parse("10000"),
        kind: OrderKind::Limit {
            price: parse("1.066"),
        },
    };
    let (n, result) = allocations(|| {
        check_modify(
            &limits,
            TradingState::Active,
            &existing,
            &order,
            &exposure,
            now,
        )
    });
    assert_eq!((n, result), (0, Ok(())), "check_modify pass path");

    let mut tight = limits.clone();
    tight.max_order_notional = Some(parse("100000"));
    let (n, result) =
        allocations(|| check_submit(&tight, TradingState::Active, &order, &exposure, now));
    assert!(result.is_err());
    assert!(n > 0, "a denial formats its detail; the counter counts");

    let mut limiter = RateLimiter::new(RateLimit::per_second(3));
    let (n, granted) = allocations(|| {
        (0..10)
            .map(|i| limiter.try_acquire(Timestamp::from_unix_nanos(i * 100_000_000)))
            .filter(|&ok| ok)
            .count()
    });
    assert_eq!((n, granted), (0, 3), "try_acquire, granted and refused");

    let mut book = Positions::new();
    let (eurusd, mm) = (instrument.id, StrategyId::new("mm").unwrap());
    let price: Price = parse("1.1");
    let lot: Quantity = parse("1000");
    book.apply_fill(eurusd, mm, Side::Buy, lot, price.notional(lot), Money::ZERO)
        .unwrap();
    let fills: Vec<(Side, Quantity)> = [
        (Side::Buy, "2000"),
        (Side::Sell, "1500"),
        (Side::Sell, "4000"),
    ]
    .iter()
    .map(|&(side, quantity)| (side, parse(quantity)))
    .collect();
    let fee: Money = parse("0.1");
    let (n, ()) = allocations(|| {
        // Adds, partly closes, flips.
        for &(side, quantity) in &fills {
            book.apply_fill(eurusd, mm, side, quantity, price.notional(quantity), fee)
                .unwrap();
        }
    });
    assert_eq!(n, 0, "apply_fill on an existing position");
    assert_eq!(
        book.strategy_net(&eurusd, &mm),
        parse::<Quantity>("2500").signed(Side::Sell)
    );
}
