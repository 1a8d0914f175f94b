//! Builders for market events in the tests.

#![allow(dead_code, reason = "each test file uses a subset")]

use model::{
    BookChange, BookDelta, BookEntry, BookSide, BookSnapshot, EntryId, InstrumentId, MarketEvent,
    MarketHeader, Price, Quantity, Quote, QuoteSide, Side, Timestamp, Trade,
};

pub(crate) const MILLI: u64 = 1_000_000;
pub(crate) const SECOND: u64 = 1_000_000_000;

pub(crate) fn px(text: &str) -> Price {
    text.parse().unwrap()
}

pub(crate) fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

pub(crate) fn id(text: &str) -> EntryId {
    text.parse().unwrap()
}

pub(crate) fn instrument(text: &str) -> InstrumentId {
    text.parse().unwrap()
}

pub(crate) fn header(instrument: InstrumentId, sequence: Option<u64>, nanos: u64) -> MarketHeader {
    MarketHeader {
        instrument,
        sequence,
        exchange_time: None,
        receive_time: Timestamp::from_unix_nanos(nanos),
    }
}

/// A price-level snapshot from `(price, size)` pairs.
pub(crate) fn level_snapshot(
    header: MarketHeader,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
) -> MarketEvent {
    let entry = |&(price, size): &(&str, &str)| BookEntry {
        price: px(price),
        size: qty(size),
        entry_id: None,
    };
    MarketEvent::Snapshot(BookSnapshot {
        header,
        bids: bids.iter().map(entry).collect(),
        asks: asks.iter().map(entry).collect(),
    })
}

/// An entry snapshot from `(entry id, price, size)` triples.
pub(crate) fn entry_snapshot(
    header: MarketHeader,
    bids: &[(&str, &str, &str)],
    asks: &[(&str, &str, &str)],
) -> MarketEvent {
    let entry = |&(entry_id, price, size): &(&str, &str, &str)| BookEntry {
        price: px(price),
        size: qty(size),
        entry_id: Some(id(entry_id)),
    };
    MarketEvent::Snapshot(BookSnapshot {
        header,
        bids: bids.iter().map(entry).collect(),
        asks: asks.iter().map(entry).collect(),
    })
}

pub(crate) fn delta(header: MarketHeader, changes: Vec<BookChange>) -> MarketEvent {
    MarketEvent::Delta(BookDelta { header, changes })
}

pub(crate) fn set(side: BookSide, price: &str, size: &str) -> BookChange {
    BookChange::SetLevel {
        side,
        price: px(price),
        size: qty(size),
    }
}

pub(crate) fn add(side: BookSide, entry_id: &str, price: &str, size: &str) -> BookChange {
    BookChange::AddEntry {
        side,
        entry_id: id(entry_id),
        price: px(price),
        size: qty(size),
    }
}

pub(crate) fn delete(entry_id: &str) -> BookChange {
    BookChange::DeleteEntry {
        entry_id: id(entry_id),
    }
}

pub(crate) fn quote(header: MarketHeader, bid: Option<&str>, ask: Option<&str>) -> MarketEvent {
    let side = |price: Option<&str>| {
        price.map(|price| QuoteSide {
            price: px(price),
            size: None,
        })
    };
    MarketEvent::Quote(Quote {
        header,
        bid: side(bid),
        ask: side(ask),
    })
}

pub(crate) fn trade(header: MarketHeader, price: &str, size: &str, aggressor: Side) -> MarketEvent {
    MarketEvent::Trade(Trade {
        header,
        price: px(price),
        size: qty(size),
        aggressor: Some(aggressor),
        trade_id: None,
    })
}
