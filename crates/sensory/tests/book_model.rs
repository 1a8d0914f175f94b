//! Property: an entry-keyed book always equals the naive recomputation
//! (sum the live entries per side and price, drop empty prices, sort best
//! first), whatever valid sequence of adds, changes and deletes arrives.

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use std::collections::BTreeMap;

use common::*;
use model::{BookChange, BookDelta, BookSide, BookSnapshot, EntryId, Price, Quantity};
use proptest::prelude::*;
use sensory::{ApplyOutcome, BookStatus, Level, OrderBook};

#[derive(Clone, Debug)]
enum Op {
    Add {
        id: u8,
        bid: bool,
        tick: u8,
        size: u8,
    },
    Change {
        id: u8,
        bid: bool,
        tick: u8,
        size: u8,
    },
    Delete {
        id: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..12, any::<bool>(), 0u8..5, 0u8..4).prop_map(|(id, bid, tick, size)| Op::Add {
            id,
            bid,
            tick,
            size
        }),
        (0u8..12, any::<bool>(), 0u8..5, 0u8..4).prop_map(|(id, bid, tick, size)| Op::Change {
            id,
            bid,
            tick,
            size
        }),
        (0u8..12).prop_map(|id| Op::Delete { id }),
    ]
}

/// Bids at 100 − tick, asks at 101 + tick: never crossed.
fn price(bid: bool, tick: u8) -> Price {
    let units = i64::from(tick) * 1_000_000_000;
    Price::from_raw(if bid {
        100_000_000_000 - units
    } else {
        101_000_000_000 + units
    })
}

fn naive(entries: &BTreeMap<u8, (bool, Price, Quantity)>, bid: bool) -> Vec<Level> {
    let mut sums: BTreeMap<Price, i64> = BTreeMap::new();
    for (side, price, size) in entries.values() {
        if *side == bid {
            *sums.entry(*price).or_default() += size.raw();
        }
    }
    let mut levels: Vec<Level> = sums
        .into_iter()
        .filter(|(_, size)| *size > 0)
        .map(|(price, size)| Level {
            price,
            size: Quantity::from_raw(size).unwrap(),
        })
        .collect();
    if bid {
        levels.reverse();
    }
    levels
}

fn entry_id(id: u8) -> EntryId {
    EntryId::new(&format!("e{id}")).unwrap()
}

proptest! {
    #[test]
    fn entry_book_equals_naive_aggregation(batches in proptest::collection::vec(proptest::collection::vec(op(), 1..6), 1..30)) {
        let instrument = instrument("EURUSD.CTRADER");
        let mut book = OrderBook::new(4, 4);
        book.apply_snapshot(&BookSnapshot { header: header(instrument, Some(0), 0), bids: Vec::new(), asks: Vec::new() });
        let mut model: BTreeMap<u8, (bool, Price, Quantity)> = BTreeMap::new();
        for (n, batch) in batches.iter().enumerate() {
            let mut changes = Vec::new();
            for op in batch {
                // Keep only changes valid against the model, as a sound venue sends.
                match *op {
                    Op::Add { id, bid, tick, size } if !model.contains_key(&id) => {
                        let size = Quantity::from_raw(i64::from(size) * 1_000_000).unwrap();
                        model.insert(id, (bid, price(bid, tick), size));
                        let side = if bid { BookSide::Bid } else { BookSide::Ask };
                        changes.push(BookChange::AddEntry { side, entry_id: entry_id(id), price: price(bid, tick), size });
                    }
                    Op::Change { id, bid, tick, size } if model.contains_key(&id) => {
                        let size = Quantity::from_raw(i64::from(size) * 1_000_000).unwrap();
                        model.insert(id, (bid, price(bid, tick), size));
                        let side = if bid { BookSide::Bid } else { BookSide::Ask };
                        changes.push(BookChange::ChangeEntry { side, entry_id: entry_id(id), price: price(bid, tick), size });
                    }
                    Op::Delete { id } if model.remove(&id).is_some() => {
                        changes.push(BookChange::DeleteEntry { entry_id: entry_id(id) });
                    }
                    _ => {}
                }
            }
            let count = u32::try_from(changes.len()).unwrap();
            let sequence = u64::try_from(n).unwrap() + 1;
            let outcome = book.apply_delta(&BookDelta { header: header(instrument, Some(sequence), sequence), changes });
            prop_assert_eq!(outcome, ApplyOutcome::Applied { changes: count });
            prop_assert_eq!(book.status(), BookStatus::Live);
            prop_assert_eq!(book.bids().to_vec(), naive(&model, true));
            prop_assert_eq!(book.asks().to_vec(), naive(&model, false));
            prop_assert_eq!(book.entry_count(), model.len());
        }
    }

    #[test]
    fn level_book_equals_the_last_size_set(changes in proptest::collection::vec((any::<bool>(), 0u8..6, 0u8..4), 1..60)) {
        let instrument = instrument("BTC-USD.COINBASE");
        let mut book = OrderBook::new(4, 4);
        book.apply_snapshot(&BookSnapshot { header: header(instrument, None, 0), bids: Vec::new(), asks: Vec::new() });
        let mut model: BTreeMap<u8, (bool, Price, Quantity)> = BTreeMap::new();
        for (bid, tick, size) in changes {
            let size = Quantity::from_raw(i64::from(size)).unwrap();
            let key = tick + if bid { 0 } else { 100 };
            model.insert(key, (bid, price(bid, tick), size));
            let side = if bid { BookSide::Bid } else { BookSide::Ask };
            let change = BookChange::SetLevel { side, price: price(bid, tick), size };
            book.apply_delta(&BookDelta { header: header(instrument, None, 1), changes: vec![change] });
            prop_assert_eq!(book.bids().to_vec(), naive(&model, true));
            prop_assert_eq!(book.asks().to_vec(), naive(&model, false));
        }
    }
}
