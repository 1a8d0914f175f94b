//! Normalized market data: the one set of events every market-data source
//! produces (FIX 35=W/35=X, the Coinbase and Polymarket websockets, the
//! simulated venue, a recorded capture) and the sensory layer consumes.
//!
//! Two styles of book update exist in the wild and both are kept as they
//! are, so no adapter has to guess:
//! - **price levels** (websockets): "the size at 101.5 on the bid is now
//!   3"; a size of zero removes the level ([`BookChange::SetLevel`]);
//! - **entries** (cTrader FIX depth): individual quotes added and deleted
//!   by MDEntryID ([`BookChange::AddEntry`], [`BookChange::DeleteEntry`]);
//!   several entries may share a price, and a delete names only the id.
//!
//! Every event carries a [`MarketHeader`] with both the exchange's time and
//! EMP's receive time, and the venue's sequence number when it has one, so
//! the consumer can measure lag and detect gaps.

use crate::fixed::{Price, Quantity};
use crate::ids::{EntryId, InstrumentId, TradeId};
use crate::order::Side;
use crate::time::Timestamp;

/// The side of a book.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum BookSide {
    /// Buyers' quotes (MDEntryType 0).
    Bid,
    /// Sellers' quotes (MDEntryType 1).
    Ask,
}

impl BookSide {
    /// The other side.
    pub const fn opposite(self) -> Self {
        match self {
            Self::Bid => Self::Ask,
            Self::Ask => Self::Bid,
        }
    }
}

/// Where and when a market event happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MarketHeader {
    /// EMP's name of the instrument.
    pub instrument: InstrumentId,
    /// The venue's sequence number of this update stream, if it numbers
    /// them (Coinbase `sequence`); consecutive updates differ by one.
    pub sequence: Option<u64>,
    /// When the venue stamped the event, if it says (MDEntryTime,
    /// SendingTime, a websocket `time`/`timestamp`).
    pub exchange_time: Option<Timestamp>,
    /// When EMP received the bytes.
    pub receive_time: Timestamp,
}

/// One quote in a snapshot: a price level (websockets) or an individual
/// entry with its id (FIX depth).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BookEntry {
    /// Its price.
    pub price: Price,
    /// Its size; never zero in a well-formed snapshot.
    pub size: Quantity,
    /// MDEntryID (278), for venues that key quotes by id.
    pub entry_id: Option<EntryId>,
}

/// A whole book replacing whatever was known before (FIX 35=W with depth,
/// a websocket `book`/`snapshot`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BookSnapshot {
    /// Where and when.
    pub header: MarketHeader,
    /// Bids, in the venue's order (best first is usual, not required).
    pub bids: Vec<BookEntry>,
    /// Asks, in the venue's order.
    pub asks: Vec<BookEntry>,
}

/// One change inside a [`BookDelta`]; apply them strictly in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BookChange {
    /// The aggregate size at `price` is now `size`; zero removes the level.
    SetLevel {
        /// Which side.
        side: BookSide,
        /// The level.
        price: Price,
        /// The new absolute size.
        size: Quantity,
    },
    /// A new quote keyed by `entry_id` (FIX MDUpdateAction 279=0).
    AddEntry {
        /// Which side.
        side: BookSide,
        /// MDEntryID (278).
        entry_id: EntryId,
        /// Its price.
        price: Price,
        /// Its size.
        size: Quantity,
    },
    /// An existing quote changes price or size (FIX 279=1, where a venue
    /// uses it).
    ChangeEntry {
        /// Which side.
        side: BookSide,
        /// MDEntryID (278).
        entry_id: EntryId,
        /// Its new price.
        price: Price,
        /// Its new size.
        size: Quantity,
    },
    /// A quote is gone (FIX 279=2); the venue names only its id.
    DeleteEntry {
        /// MDEntryID (278).
        entry_id: EntryId,
    },
}

/// Incremental book changes (FIX 35=X, a websocket `l2update` or
/// `price_change`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BookDelta {
    /// Where and when.
    pub header: MarketHeader,
    /// The changes, in the venue's order.
    pub changes: Vec<BookChange>,
}

/// One side of a top-of-book quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuoteSide {
    /// The best price.
    pub price: Price,
    /// Its size, when the venue gives one (cTrader spot does not).
    pub size: Option<Quantity>,
}

/// Best bid and offer only (cTrader spot 35=W, Coinbase `ticker`,
/// Polymarket `best_bid_ask`). A missing side means the venue shows none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quote {
    /// Where and when.
    pub header: MarketHeader,
    /// Best bid.
    pub bid: Option<QuoteSide>,
    /// Best ask.
    pub ask: Option<QuoteSide>,
}

/// A public trade print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Trade {
    /// Where and when.
    pub header: MarketHeader,
    /// Trade price.
    pub price: Price,
    /// Trade size.
    pub size: Quantity,
    /// The side of the taker (buy = lifted the offer), when the venue says.
    pub aggressor: Option<Side>,
    /// The venue's trade id, when it has one.
    pub trade_id: Option<TradeId>,
}

/// Why a source says its book can no longer be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BookResetReason {
    /// The connection dropped; the book is stale until a new snapshot.
    Disconnected,
    /// The venue (or adapter) detected a gap and is resubscribing.
    Resubscribing,
    /// Trading in the instrument stopped (halt, market resolved).
    TradingHalted,
    /// The venue changed the instrument's tick size (a Polymarket
    /// `tick_size_change`): levels at the old grid are void until the next
    /// snapshot.
    TickSizeChanged,
}

/// The health of one market-data feed (a websocket connection, a FIX
/// QUOTE session), reported beside its [`MarketEvent`]s. Anything but
/// [`FeedStatus::Live`] should hold the readiness gate at DEGRADED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FeedStatus {
    /// Connected, subscribed, books consistent.
    Live,
    /// The venue's sequence numbers skipped: `expected` was due, `received`
    /// came. Books on the feed are void until resynchronised.
    Gap {
        /// The sequence number that was due.
        expected: u64,
        /// The sequence number that arrived.
        received: u64,
    },
    /// Resubscribing / waiting for fresh snapshots.
    Resynchronising,
    /// Nothing (not even a heartbeat) arrived for `silent_nanos`.
    Stale {
        /// How long the feed has been silent, in nanoseconds.
        silent_nanos: u64,
    },
    /// The connection is down; reconnecting.
    Disconnected,
}

/// A market-data event, whatever the source.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MarketEvent {
    /// A full book.
    Snapshot(BookSnapshot),
    /// Book changes.
    Delta(BookDelta),
    /// Top of book.
    Quote(Quote),
    /// A trade print.
    Trade(Trade),
    /// The source drops its book for this instrument; wait for a snapshot.
    Reset {
        /// Where and when.
        header: MarketHeader,
        /// Why.
        reason: BookResetReason,
    },
}

impl MarketEvent {
    /// The event's header.
    pub const fn header(&self) -> &MarketHeader {
        match self {
            Self::Snapshot(snapshot) => &snapshot.header,
            Self::Delta(delta) => &delta.header,
            Self::Quote(quote) => &quote.header,
            Self::Trade(trade) => &trade.header,
            Self::Reset { header, .. } => header,
        }
    }

    /// The instrument the event is about.
    pub const fn instrument(&self) -> &InstrumentId {
        &self.header().instrument
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_reachable_from_every_variant() {
        let header = MarketHeader {
            instrument: InstrumentId::new("BTC-USD.COINBASE").unwrap(),
            sequence: Some(7),
            exchange_time: None,
            receive_time: Timestamp::UNIX_EPOCH,
        };
        let events = [
            MarketEvent::Snapshot(BookSnapshot {
                header,
                bids: Vec::new(),
                asks: Vec::new(),
            }),
            MarketEvent::Delta(BookDelta {
                header,
                changes: Vec::new(),
            }),
            MarketEvent::Quote(Quote {
                header,
                bid: None,
                ask: None,
            }),
            MarketEvent::Trade(Trade {
                header,
                price: Price::from_int(1).unwrap(),
                size: Quantity::from_int(1).unwrap(),
                aggressor: None,
                trade_id: None,
            }),
            MarketEvent::Reset {
                header,
                reason: BookResetReason::Disconnected,
            },
        ];
        for event in &events {
            assert_eq!(event.header().sequence, Some(7));
            assert_eq!(event.instrument().as_str(), "BTC-USD.COINBASE");
        }
        assert_eq!(BookSide::Bid.opposite(), BookSide::Ask);
    }
}
