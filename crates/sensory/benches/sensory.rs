//! One book update plus the full feature recompute, on a 20-level book
//! (20 levels a side), for both update styles.
//!
//! Run: `cargo bench -p sensory --bench sensory -- --warm-up-time 1 --measurement-time 4`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use model::{
    BookChange, BookDelta, BookEntry, BookSide, BookSnapshot, EntryId, InstrumentId, MarketEvent,
    MarketHeader, Price, Quantity, Timestamp,
};
use sensory::{InstrumentConfig, Sensory, SensoryConfig};

const LEVELS: i64 = 20;
/// Tick 0.01 in units of 10⁻⁹.
const TICK: i64 = 10_000_000;
const MID: i64 = 100_000_000_000;

fn header(instrument: InstrumentId, sequence: u64) -> MarketHeader {
    MarketHeader {
        instrument,
        sequence: Some(sequence),
        exchange_time: Some(Timestamp::from_unix_nanos(sequence * 1_000_000)),
        receive_time: Timestamp::from_unix_nanos(sequence * 1_000_000 + 150_000),
    }
}

fn size(units: i64) -> Quantity {
    Quantity::from_raw(units * 1_000_000_000).unwrap_or(Quantity::ZERO)
}

/// An engine holding a 20-level book (entries keyed by id when
/// `with_ids`); criterion's warm-up fills the statistics' windows.
fn engine(instrument: InstrumentId, with_ids: bool) -> Sensory {
    let tick = Price::from_raw(TICK);
    let Ok(mut engine) = Sensory::new(SensoryConfig {
        instruments: vec![InstrumentConfig::new(instrument, tick)],
        ..SensoryConfig::default()
    }) else {
        unreachable!("the default parameters are valid");
    };
    let entry = |side: i64, i: i64| BookEntry {
        price: Price::from_raw(MID + side * (TICK / 2 + i * TICK)),
        size: size(1 + i % 4),
        entry_id: with_ids
            .then(|| EntryId::new(&format!("{side}:{i}")).ok())
            .flatten(),
    };
    let snapshot = MarketEvent::Snapshot(BookSnapshot {
        header: header(instrument, 0),
        bids: (0..LEVELS).map(|i| entry(-1, i)).collect(),
        asks: (0..LEVELS).map(|i| entry(1, i)).collect(),
    });
    let _ = engine.on_event(&snapshot);
    engine
}

fn level_deltas(c: &mut Criterion) {
    let instrument: InstrumentId = "BENCH.LEVELS".parse().unwrap_or_else(|_| unreachable!());
    let mut engine = engine(instrument, false);
    let best_bid = Price::from_raw(MID - TICK / 2);
    let mut delta = MarketEvent::Delta(BookDelta {
        header: header(instrument, 1),
        changes: vec![BookChange::SetLevel {
            side: BookSide::Bid,
            price: best_bid,
            size: size(1),
        }],
    });
    let mut sequence = 0u64;
    c.bench_function("delta_set_level_20_levels", |b| {
        b.iter(|| {
            sequence += 1;
            if let MarketEvent::Delta(delta) = &mut delta {
                delta.header = header(instrument, sequence);
                delta.changes[0] = BookChange::SetLevel {
                    side: BookSide::Bid,
                    price: best_bid,
                    size: size(1 + (sequence % 3) as i64),
                };
            }
            black_box(engine.on_event(black_box(&delta)).is_ok())
        });
    });
    assert!(
        engine.poll_resync().is_none(),
        "the bench book stayed in sync"
    );
}

fn entry_deltas(c: &mut Criterion) {
    let instrument: InstrumentId = "BENCH.ENTRIES".parse().unwrap_or_else(|_| unreachable!());
    let mut engine = engine(instrument, true);
    let ids: Vec<EntryId> = ["x0", "x1"]
        .iter()
        .map(|id| EntryId::new(id).unwrap_or_else(|_| unreachable!()))
        .collect();
    let best_ask = Price::from_raw(MID + TICK / 2);
    let mut delta = MarketEvent::Delta(BookDelta {
        header: header(instrument, 1),
        changes: vec![BookChange::AddEntry {
            side: BookSide::Ask,
            entry_id: ids[0],
            price: best_ask,
            size: size(2),
        }],
    });
    let mut sequence = 0u64;
    c.bench_function("delta_add_delete_entry_20_levels", |b| {
        b.iter(|| {
            sequence += 1;
            if let MarketEvent::Delta(delta) = &mut delta {
                // cTrader style: a new quote joins the best ask while the
                // previous one leaves, in one message.
                let (new, old) = if sequence.is_multiple_of(2) {
                    (0, 1)
                } else {
                    (1, 0)
                };
                delta.header = header(instrument, sequence);
                delta.changes.clear();
                delta.changes.push(BookChange::AddEntry {
                    side: BookSide::Ask,
                    entry_id: ids[new],
                    price: best_ask,
                    size: size(2),
                });
                if sequence > 1 {
                    delta
                        .changes
                        .push(BookChange::DeleteEntry { entry_id: ids[old] });
                }
            }
            black_box(engine.on_event(black_box(&delta)).is_ok())
        });
    });
    assert!(
        engine.poll_resync().is_none(),
        "the bench book stayed in sync"
    );
}

criterion_group!(benches, level_deltas, entry_deltas);
criterion_main!(benches);
