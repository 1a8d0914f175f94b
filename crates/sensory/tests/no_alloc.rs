//! The event path does not allocate once the engine is built: level
//! deltas, entry adds and deletes, quotes, trades, a resync and the
//! snapshot that ends it. Building the engine and the events does
//! allocate, which the test also shows, so the counter is known to work.
//!
//! Counting needs a global allocator, hence the one `unsafe` block of the
//! crate's tests: it forwards to the system allocator and counts calls made
//! on the current thread.

#![allow(unsafe_code, reason = "a counting global allocator, test only")]
#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use model::{BookSide, MarketEvent, Side};
use sensory::{Calendar, FeatureParams, InstrumentConfig, Sensory, SensoryConfig};

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

#[test]
fn events_do_not_allocate_after_construction() {
    let btc = instrument("BTC-USD.COINBASE");
    let eur = instrument("EURUSD.CTRADER");
    let spot = instrument("EURUSD.SPOT");
    let calendar = Calendar::parse(
        "[[event]]\nname = \"CPI\"\nat = 1970-01-01T00:10:00Z\nblackout_before_secs = 60\n",
    )
    .unwrap();
    let params = FeatureParams {
        anomaly_window: 16,
        anomaly_min_samples: 4,
        warmup_returns: 4,
        ..FeatureParams::default()
    };
    let config = |id, tick: &str| InstrumentConfig {
        params: params.clone(),
        ..InstrumentConfig::new(id, px(tick))
    };
    let (built, engine) = allocations(|| {
        Sensory::new(SensoryConfig {
            instruments: vec![
                config(btc, "0.01"),
                config(eur, "0.00001"),
                config(spot, "0.00001"),
            ],
            calendar,
            ..SensoryConfig::default()
        })
        .unwrap()
    });
    assert!(built > 0, "the counter counts");
    let mut engine = engine;

    // Every event is built before counting: its Vec is the caller's.
    let mut events: Vec<MarketEvent> = vec![
        level_snapshot(
            header(btc, Some(1), 0),
            &[("100.00", "2"), ("99.99", "1")],
            &[("100.02", "1"), ("100.03", "3")],
        ),
        entry_snapshot(
            header(eur, None, 0),
            &[("a", "1.1", "5"), ("b", "1.1", "2")],
            &[("c", "1.2", "1")],
        ),
    ];
    for step in 0..200u64 {
        let t = (step + 1) * 300 * MILLI;
        let size = if step % 2 == 0 { "1" } else { "0" };
        events.push(delta(
            header(btc, Some(step + 2), t),
            vec![set(BookSide::Bid, "100.01", size)],
        ));
        events.push(trade(
            header(btc, None, t + 1),
            "100.02",
            "0.1",
            if step % 3 == 0 { Side::Sell } else { Side::Buy },
        ));
        let (new, old) = if step % 2 == 0 {
            ("x", "y")
        } else {
            ("y", "x")
        };
        let mut changes = vec![add(BookSide::Bid, new, "1.15", "1")];
        if step > 0 {
            changes.push(delete(old));
        }
        events.push(delta(header(eur, None, t), changes));
        events.push(quote(
            header(spot, None, t),
            Some("1.06625"),
            Some("1.0663"),
        ));
    }
    // A gap, the ignored delta after it, and the snapshot that resyncs.
    events.push(delta(
        header(btc, Some(500), 61 * 1000 * MILLI),
        vec![set(BookSide::Bid, "1", "1")],
    ));
    events.push(delta(
        header(btc, Some(501), 61 * 1000 * MILLI),
        vec![set(BookSide::Bid, "1", "1")],
    ));
    events.push(level_snapshot(
        header(btc, Some(600), 62 * 1000 * MILLI),
        &[("100.00", "2")],
        &[("100.02", "1")],
    ));

    let (during, valid) = allocations(|| {
        let mut valid = 0;
        for event in &events {
            valid += usize::from(engine.on_event(event).unwrap().is_valid());
            while engine.poll_resync().is_some() {}
        }
        valid
    });
    assert_eq!(during, 0, "the event path allocated");
    assert!(
        valid > 500,
        "the events were processed into valid vectors ({valid})"
    );
    assert_eq!(engine.stats().integrity_failures, 1);
}
