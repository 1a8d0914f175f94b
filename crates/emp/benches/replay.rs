//! Replay throughput through the full pipeline on one thread: recorded
//! market events → sensory → strategy host → risk gate and OMS → the
//! simulated execution sink, as `emp backtest` runs them (one seed).
//!
//! The data is synthetic and fixed: a BTC-USD quote stream and a YES
//! token's 20-level book moved by price-level deltas, with the delta_spd
//! and micro_mm strategies trading it.
#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark code")]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use emp::backtest::{BacktestSetup, Recording, run_seed};
use model::{
    BookChange, BookDelta, BookEntry, BookSide, BookSnapshot, Instrument, InstrumentId,
    InstrumentTable, MarketEvent, MarketHeader, Price, Quantity, Quote, QuoteSide, Timestamp,
    VenueSymbol,
};
use oms::risk::RiskLimits;
use sensory::FeatureParams;
use strategy::ParamsFile;
use venue::SimulatedSinkConfig;

const EVENTS: usize = 200_000;
const T0: u64 = 1_790_000_000_000_000_000;

const PARAMS: &str = r#"
[gate]
spot = "BTC-USD"
targets = ["YES"]
cross_venue = ["YES"]
spot_ttl_ms = 1000
book_ttl_ms = 5000
max_skew_ms = 2000
warmup_ms = 0

[[strategy]]
name = "dspd"
kind = "delta_spd"
rate_limit_actions = 4
rate_limit_window_ms = 1000
instruments = ["YES"]
threshold = 0.004
hysteresis = 0.001
beta = 0.5
spot_half_life_ms = 5000
pm_half_life_ms = 5000
order_size = "10"
max_position = "50"

[[strategy]]
name = "mm"
kind = "micro_mm"
rate_limit_actions = 20
rate_limit_window_ms = 1000
instruments = ["YES"]
min_half_spread_ticks = 1
vol_multiplier = 2.0
skew_per_unit = "0.0001"
quote_size = "20"
max_position = "200"
replace_tolerance_ticks = 2
"#;

fn instrument(name: &str, tick: &str, lot: &str) -> Instrument {
    Instrument {
        id: InstrumentId::new(name).unwrap(),
        venue_symbol: VenueSymbol::new(name).unwrap(),
        tick_size: tick.parse().unwrap(),
        lot_size: lot.parse().unwrap(),
        min_quantity: lot.parse().unwrap(),
        max_quantity: None,
        min_notional: None,
        price_digits: 3,
        allows_non_positive_prices: false,
    }
}

fn header(id: InstrumentId, nanos: u64) -> MarketHeader {
    let at = Timestamp::from_unix_nanos(T0 + nanos);
    MarketHeader {
        instrument: id,
        sequence: None,
        exchange_time: Some(at),
        receive_time: at,
    }
}

/// Spot quotes and YES deltas alternating every 10 ms.
fn recording() -> Recording {
    let spot = InstrumentId::new("BTC-USD").unwrap();
    let yes = InstrumentId::new("YES").unwrap();
    let tick = |n: i64| Price::from_raw(n * 1_000_000); // 0.001
    let size = |n: i64| Quantity::from_raw(n * 1_000_000_000).unwrap();
    let mut events = Vec::with_capacity(EVENTS + 1);
    let entry = |price: Price, qty: Quantity| BookEntry {
        price,
        size: qty,
        entry_id: None,
    };
    events.push(MarketEvent::Snapshot(BookSnapshot {
        header: header(yes, 0),
        bids: (0..20)
            .map(|i| entry(tick(499 - i), size(100 + i)))
            .collect(),
        asks: (0..20)
            .map(|i| entry(tick(501 + i), size(100 + i)))
            .collect(),
    }));
    let mut state: u64 = 7;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let mut spot_cents: i64 = 10_000_000;
    for n in 1..=EVENTS as u64 {
        let nanos = n * 10_000_000;
        if n % 2 == 0 {
            spot_cents += (next() % 41) as i64 - 20;
            let side = |cents: i64| {
                Some(QuoteSide {
                    price: Price::from_raw(cents * 10_000_000),
                    size: Some(size(1)),
                })
            };
            events.push(MarketEvent::Quote(Quote {
                header: header(spot, nanos),
                bid: side(spot_cents - 1),
                ask: side(spot_cents + 1),
            }));
        } else {
            // A size change somewhere in the top 20 levels of one side.
            let level = (next() % 20) as i64;
            let (book_side, price) = if next() % 2 == 0 {
                (BookSide::Bid, tick(499 - level))
            } else {
                (BookSide::Ask, tick(501 + level))
            };
            events.push(MarketEvent::Delta(BookDelta {
                header: header(yes, nanos),
                changes: vec![BookChange::SetLevel {
                    side: book_side,
                    price,
                    size: size(50 + (next() % 200) as i64),
                }],
            }));
        }
    }
    Recording {
        header: None,
        events,
        skipped_newer: 0,
    }
}

fn setup() -> BacktestSetup {
    let mut instruments = InstrumentTable::new();
    instruments
        .insert(instrument("BTC-USD", "0.01", "0.0001"))
        .unwrap();
    instruments.insert(instrument("YES", "0.001", "1")).unwrap();
    BacktestSetup {
        instruments,
        params: ParamsFile::parse(PARAMS, "bench.toml").unwrap(),
        features: FeatureParams::default(),
        limits: RiskLimits::default(),
        sink: SimulatedSinkConfig::default(),
        equity_interval_nanos: 1_000_000_000,
        tail_nanos: 5_000_000_000,
        switched_off: Vec::new(),
    }
}

fn replay(c: &mut Criterion) {
    let recording = recording();
    let setup = setup();
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(recording.events.len() as u64));
    group.bench_function("full pipeline with simulated execution, 200k events", |b| {
        b.iter(|| {
            let result = run_seed(&recording, &setup, 1, None, &mut |_, _| {}).unwrap();
            assert!(result.intents > 0);
            result.fills
        });
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
