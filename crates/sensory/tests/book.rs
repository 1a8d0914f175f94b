//! Books built from both update styles, and every integrity check.

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use common::*;
use model::{BookSide, MarketEvent};
use sensory::{ApplyOutcome, BookKind, BookStatus, Level, OrderBook, ResyncReason};

fn apply(book: &mut OrderBook, event: &MarketEvent) -> ApplyOutcome {
    match event {
        MarketEvent::Snapshot(snapshot) => book.apply_snapshot(snapshot),
        MarketEvent::Delta(delta) => book.apply_delta(delta),
        MarketEvent::Quote(quote) => book.apply_quote(quote),
        MarketEvent::Trade(_) => ApplyOutcome::Ignored,
        MarketEvent::Reset { .. } => {
            book.reset();
            ApplyOutcome::Applied { changes: 0 }
        }
    }
}

fn levels(pairs: &[(&str, &str)]) -> Vec<Level> {
    pairs
        .iter()
        .map(|&(price, size)| Level {
            price: px(price),
            size: qty(size),
        })
        .collect()
}

fn eurusd() -> model::InstrumentId {
    instrument("EURUSD.CTRADER")
}

#[test]
fn coinbase_level_snapshot_then_update() {
    // venues.md B.2.3: the l2_data snapshot and its update (sequence 1).
    let btc = instrument("BTC-USD.COINBASE");
    let mut book = OrderBook::new(8, 8);
    assert_eq!(book.status(), BookStatus::NoBook);
    let snapshot = level_snapshot(
        header(btc, Some(0), 0),
        &[("68899.50", "0.75"), ("68900.00", "1.5")],
        &[("68901.50", "1.2"), ("68901.00", "0.5")],
    );
    assert_eq!(
        apply(&mut book, &snapshot),
        ApplyOutcome::Applied { changes: 0 }
    );
    assert_eq!(
        book.bids(),
        levels(&[("68900", "1.5"), ("68899.5", "0.75")])
    );
    assert_eq!(book.asks(), levels(&[("68901", "0.5"), ("68901.5", "1.2")]));
    let update = delta(
        header(btc, Some(1), 1),
        vec![
            set(BookSide::Bid, "68900.00", "2.0"),
            set(BookSide::Ask, "68901.00", "0"),
        ],
    );
    assert_eq!(
        apply(&mut book, &update),
        ApplyOutcome::Applied { changes: 2 }
    );
    assert_eq!(book.bids(), levels(&[("68900", "2"), ("68899.5", "0.75")]));
    assert_eq!(book.asks(), levels(&[("68901.5", "1.2")]));
    assert_eq!(book.last_sequence(), Some(1));
}

#[test]
fn zero_size_for_an_absent_level_is_harmless() {
    let btc = instrument("BTC-USD.COINBASE");
    let mut book = OrderBook::new(8, 8);
    apply(
        &mut book,
        &level_snapshot(header(btc, None, 0), &[("1", "1")], &[("2", "1")]),
    );
    let update = delta(header(btc, None, 1), vec![set(BookSide::Bid, "0.5", "0")]);
    assert_eq!(
        apply(&mut book, &update),
        ApplyOutcome::Applied { changes: 1 }
    );
    assert_eq!(book.status(), BookStatus::Live);
    assert_eq!(book.bids(), levels(&[("1", "1")]));
}

#[test]
fn ctrader_entry_snapshot_sorts_and_aggregates() {
    // venues.md C.5: the depth 35=W with six entries keyed by 278.
    let mut book = OrderBook::new(8, 8);
    let snapshot = entry_snapshot(
        header(eurusd(), None, 0),
        &[
            ("12", "1.1112", "2000000"),
            ("13", "1.11121", "1000000"),
            ("14", "1.11122", "3000000"),
        ],
        &[
            ("16", "1.11132", "3000000"),
            ("17", "1.11134", "5000000"),
            ("15", "1.11133", "3000000"),
        ],
    );
    apply(&mut book, &snapshot);
    assert_eq!(
        book.bids(),
        levels(&[
            ("1.11122", "3000000"),
            ("1.11121", "1000000"),
            ("1.1112", "2000000")
        ])
    );
    assert_eq!(
        book.asks(),
        levels(&[
            ("1.11132", "3000000"),
            ("1.11133", "3000000"),
            ("1.11134", "5000000")
        ])
    );
    assert_eq!(book.entry_count(), 6);
    apply(
        &mut book,
        &delta(header(eurusd(), None, 1), vec![delete("16")]),
    );
    assert_eq!(book.best_ask().unwrap().price, px("1.11133"));
}

#[test]
fn ctrader_incremental_example_keeps_the_new_entry_at_a_shared_price() {
    // venues.md C.5, the two 35=X messages after an empty depth snapshot.
    let mut book = OrderBook::new(16, 32);
    apply(
        &mut book,
        &entry_snapshot(header(eurusd(), None, 0), &[], &[]),
    );
    let first = delta(
        header(eurusd(), None, 1),
        vec![
            add(BookSide::Ask, "7475", "1.0691", "2000000"),
            add(BookSide::Ask, "7476", "1.06911", "3000000"),
            add(BookSide::Ask, "7484", "1.06931", "34579000"),
            add(BookSide::Ask, "7485", "1.06908", "1000000"),
            add(BookSide::Ask, "7483", "1.06906", "500000"),
            add(BookSide::Ask, "7482", "1.06907", "500000"),
            add(BookSide::Ask, "7488", "1.06909", "3000000"),
            add(BookSide::Bid, "7468", "1.06898", "500000"),
            add(BookSide::Bid, "7467", "1.06874", "32371000"),
            add(BookSide::Bid, "7457", "1.06899", "1000000"),
            add(BookSide::Bid, "7478", "1.06896", "7000000"),
            add(BookSide::Bid, "7477", "1.06897", "1500000"),
        ],
    );
    assert_eq!(
        apply(&mut book, &first),
        ApplyOutcome::Applied { changes: 12 }
    );
    let second = delta(
        header(eurusd(), None, 2),
        vec![
            add(BookSide::Bid, "7491", "1.06897", "1000000"),
            add(BookSide::Bid, "7490", "1.06898", "1000000"),
            add(BookSide::Bid, "7489", "1.06874", "32373000"),
            add(BookSide::Ask, "7496", "1.06931", "34580000"),
            delete("7477"),
            delete("7468"),
            delete("7467"),
            delete("7484"),
        ],
    );
    assert_eq!(
        apply(&mut book, &second),
        ApplyOutcome::Applied { changes: 8 }
    );
    // 1.06897 held 7477 (1.5M) + 7491 (1M); deleting 7477 leaves 7491's 1M.
    assert_eq!(
        book.bids(),
        levels(&[
            ("1.06899", "1000000"),
            ("1.06898", "1000000"),
            ("1.06897", "1000000"),
            ("1.06896", "7000000"),
            ("1.06874", "32373000"),
        ])
    );
    assert_eq!(
        book.asks(),
        levels(&[
            ("1.06906", "500000"),
            ("1.06907", "500000"),
            ("1.06908", "1000000"),
            ("1.06909", "3000000"),
            ("1.0691", "2000000"),
            ("1.06911", "3000000"),
            ("1.06931", "34580000"),
        ])
    );
    assert_eq!(book.entry_count(), 12); // 12 added, 4 added, 4 deleted
}

#[test]
fn change_entry_moves_size_between_levels() {
    let mut book = OrderBook::new(8, 8);
    apply(
        &mut book,
        &entry_snapshot(
            header(eurusd(), None, 0),
            &[("a", "1.1", "5"), ("b", "1.1", "2")],
            &[("c", "1.2", "1")],
        ),
    );
    assert_eq!(book.bids(), levels(&[("1.1", "7")]));
    let change = model::BookChange::ChangeEntry {
        side: BookSide::Bid,
        entry_id: id("a"),
        price: px("1.15"),
        size: qty("4"),
    };
    apply(&mut book, &delta(header(eurusd(), None, 1), vec![change]));
    assert_eq!(book.bids(), levels(&[("1.15", "4"), ("1.1", "2")]));
}

#[test]
fn sequence_gap_requests_a_resync_and_stale_deltas_are_dropped() {
    let btc = instrument("BTC-USD.COINBASE");
    let mut book = OrderBook::new(8, 8);
    apply(
        &mut book,
        &level_snapshot(header(btc, Some(10), 0), &[("1", "1")], &[("2", "1")]),
    );
    let at = |seq| {
        delta(
            header(btc, Some(seq), seq),
            vec![set(BookSide::Bid, "1", "3")],
        )
    };
    assert_eq!(apply(&mut book, &at(10)), ApplyOutcome::Stale);
    assert_eq!(apply(&mut book, &at(9)), ApplyOutcome::Stale);
    assert_eq!(
        apply(&mut book, &at(11)),
        ApplyOutcome::Applied { changes: 1 }
    );
    let gap = ResyncReason::SequenceGap {
        expected: 12,
        received: 13,
    };
    assert_eq!(apply(&mut book, &at(13)), ApplyOutcome::ResyncNeeded(gap));
    assert_eq!(book.status(), BookStatus::Resyncing(gap));
    assert!(book.bids().is_empty() && book.asks().is_empty());
    // Deltas wait for the snapshot, which restores the book.
    assert_eq!(apply(&mut book, &at(14)), ApplyOutcome::Ignored);
    apply(
        &mut book,
        &level_snapshot(header(btc, Some(20), 20), &[("1", "2")], &[("2", "1")]),
    );
    assert_eq!(book.status(), BookStatus::Live);
    assert_eq!(
        apply(&mut book, &at(21)),
        ApplyOutcome::Applied { changes: 1 }
    );
}

#[test]
fn unknown_or_duplicate_entries_request_a_resync() {
    let mut book = OrderBook::new(8, 8);
    let snapshot = entry_snapshot(
        header(eurusd(), None, 0),
        &[("a", "1.1", "5")],
        &[("c", "1.2", "1")],
    );
    apply(&mut book, &snapshot);
    assert_eq!(
        apply(
            &mut book,
            &delta(header(eurusd(), None, 1), vec![delete("zz")])
        ),
        ApplyOutcome::ResyncNeeded(ResyncReason::UnknownEntry(id("zz")))
    );
    apply(&mut book, &snapshot);
    let duplicate = add(BookSide::Bid, "a", "1.0", "1");
    assert_eq!(
        apply(
            &mut book,
            &delta(header(eurusd(), None, 1), vec![duplicate])
        ),
        ApplyOutcome::ResyncNeeded(ResyncReason::DuplicateEntry(id("a")))
    );
    apply(&mut book, &snapshot);
    assert_eq!(
        apply(
            &mut book,
            &delta(
                header(eurusd(), None, 1),
                vec![set(BookSide::Bid, "1.1", "1")]
            )
        ),
        ApplyOutcome::ResyncNeeded(ResyncReason::MixedUpdateStyles)
    );
}

#[test]
fn a_crossed_book_after_a_whole_message_requests_a_resync() {
    let btc = instrument("BTC-USD.COINBASE");
    let mut book = OrderBook::new(8, 8);
    apply(
        &mut book,
        &level_snapshot(header(btc, None, 0), &[("1", "1")], &[("2", "1")]),
    );
    // Crossed in the middle of the message (bid 2.5 before the 2 ask
    // goes), sound at its end: accepted.
    let transient = delta(
        header(btc, None, 1),
        vec![
            set(BookSide::Bid, "2.5", "1"),
            set(BookSide::Ask, "2", "0"),
            set(BookSide::Ask, "3", "1"),
        ],
    );
    assert_eq!(
        apply(&mut book, &transient),
        ApplyOutcome::Applied { changes: 3 }
    );
    let crossing = delta(header(btc, None, 2), vec![set(BookSide::Bid, "3", "1")]);
    assert_eq!(
        apply(&mut book, &crossing),
        ApplyOutcome::ResyncNeeded(ResyncReason::Crossed {
            bid: px("3"),
            ask: px("3")
        })
    );
    let crossed_snapshot = level_snapshot(header(btc, None, 3), &[("2", "1")], &[("1", "1")]);
    assert!(matches!(
        apply(&mut book, &crossed_snapshot),
        ApplyOutcome::ResyncNeeded(ResyncReason::Crossed { .. })
    ));
}

#[test]
fn reset_drops_the_book_until_the_next_snapshot() {
    let btc = instrument("BTC-USD.COINBASE");
    let mut book = OrderBook::new(8, 8);
    apply(
        &mut book,
        &level_snapshot(header(btc, Some(1), 0), &[("1", "1")], &[("2", "1")]),
    );
    let reset = MarketEvent::Reset {
        header: header(btc, None, 1),
        reason: model::BookResetReason::Disconnected,
    };
    apply(&mut book, &reset);
    assert_eq!(book.status(), BookStatus::NoBook);
    assert!(book.bids().is_empty());
    assert_eq!(book.last_sequence(), None);
    let update = delta(header(btc, Some(2), 2), vec![set(BookSide::Bid, "1", "3")]);
    assert_eq!(apply(&mut book, &update), ApplyOutcome::Ignored);
}

#[test]
fn quotes_build_a_top_of_book_unless_depth_exists() {
    let mut book = OrderBook::new(8, 8);
    let spot = quote(header(eurusd(), None, 0), Some("1.06625"), Some("1.0663"));
    assert_eq!(
        apply(&mut book, &spot),
        ApplyOutcome::Applied { changes: 2 }
    );
    assert_eq!(book.kind(), BookKind::TopOfBook { sizes_known: false });
    assert_eq!(book.best_bid().unwrap().size, qty("0"));
    let same_ask = quote(header(eurusd(), None, 1), Some("1.06626"), Some("1.0663"));
    assert_eq!(
        apply(&mut book, &same_ask),
        ApplyOutcome::Applied { changes: 1 }
    );
    // A crossed quote is kept (and flagged by the features), not resynced.
    let crossed = quote(header(eurusd(), None, 2), Some("1.0664"), Some("1.0663"));
    apply(&mut book, &crossed);
    assert!(book.is_crossed());
    assert_eq!(book.status(), BookStatus::Live);
    // A depth snapshot takes over; quotes are then ignored.
    apply(
        &mut book,
        &entry_snapshot(
            header(eurusd(), None, 3),
            &[("a", "1.1", "1")],
            &[("b", "1.2", "1")],
        ),
    );
    assert_eq!(apply(&mut book, &spot), ApplyOutcome::Ignored);
    assert_eq!(book.best_bid().unwrap().price, px("1.1"));
}

#[test]
fn aggregate_overflow_is_an_integrity_failure_not_a_panic() {
    let mut book = OrderBook::new(8, 8);
    apply(
        &mut book,
        &entry_snapshot(header(eurusd(), None, 0), &[("a", "1", "9000000000")], &[]),
    );
    let overflow = add(BookSide::Bid, "b", "1", "9000000000");
    assert_eq!(
        apply(&mut book, &delta(header(eurusd(), None, 1), vec![overflow])),
        ApplyOutcome::ResyncNeeded(ResyncReason::SizeOverflow)
    );
}

#[test]
fn the_book_says_from_which_level_a_side_changed_since_it_was_marked_read() {
    let btc = instrument("BTC-USD.COINBASE");
    let mut book = OrderBook::new(8, 8);
    let snapshot = level_snapshot(
        header(btc, None, 0),
        &[("100", "1"), ("99", "1"), ("98", "1")],
        &[("101", "1"), ("102", "1"), ("103", "1")],
    );
    apply(&mut book, &snapshot);
    let (bids_seen, asks_seen) = (
        book.side_version(BookSide::Bid),
        book.side_version(BookSide::Ask),
    );
    // Before the first mark the book cannot tell.
    assert_eq!(book.changed_from(BookSide::Bid, bids_seen), None);
    book.mark_read();
    assert_eq!(
        book.changed_from(BookSide::Bid, bids_seen),
        Some(usize::MAX)
    );

    // A size change on the third bid level, a new fourth level.
    let update = delta(
        header(btc, None, 1),
        vec![set(BookSide::Bid, "98", "5"), set(BookSide::Bid, "97", "2")],
    );
    apply(&mut book, &update);
    assert_ne!(book.side_version(BookSide::Bid), bids_seen);
    assert_eq!(book.changed_from(BookSide::Bid, bids_seen), Some(2));
    assert_eq!(
        book.changed_from(BookSide::Ask, asks_seen),
        Some(usize::MAX)
    );
    // Asked about any other version, it cannot tell.
    assert_eq!(book.changed_from(BookSide::Bid, bids_seen + 7), None);

    // Removing the best ask moves every ask level.
    book.mark_read();
    let asks_seen = book.side_version(BookSide::Ask);
    apply(
        &mut book,
        &delta(header(btc, None, 2), vec![set(BookSide::Ask, "101", "0")]),
    );
    assert_eq!(book.changed_from(BookSide::Ask, asks_seen), Some(0));

    // Removing a level the side does not have changes nothing.
    book.mark_read();
    let bids_seen = book.side_version(BookSide::Bid);
    apply(
        &mut book,
        &delta(header(btc, None, 3), vec![set(BookSide::Bid, "50", "0")]),
    );
    assert_eq!(
        book.changed_from(BookSide::Bid, bids_seen),
        Some(usize::MAX)
    );

    // A snapshot replaces every level.
    book.mark_read();
    apply(&mut book, &snapshot);
    assert_eq!(book.changed_from(BookSide::Bid, bids_seen), Some(0));
}
