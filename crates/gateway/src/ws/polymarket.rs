//! The Polymarket CLOB websocket `market` channel, sans-IO.
//!
//! | message | output |
//! |---|---|
//! | `book` | [`MarketEvent::Snapshot`], levels sorted best first, empty levels dropped |
//! | `price_change` | one [`MarketEvent::Delta`] of [`BookChange::SetLevel`] per asset (sizes are absolute; `0` removes), then a [`MarketEvent::Quote`] per asset from `best_bid`/`best_ask` |
//! | `last_trade_price` | [`MarketEvent::Trade`]; `side` is the taker's; the trade id is FNV-1a over asset, side, price, size and timestamp (the venue gives none) |
//! | `tick_size_change` | [`MarketEvent::Reset`] (`TickSizeChanged`), [`FeedNotice::TickSize`] and [`FeedNotice::ResnapshotNeeded`]; deltas are dropped until the next `book` |
//! | `best_bid_ask` | [`MarketEvent::Quote`] |
//! | `market_resolved` | [`MarketEvent::Reset`] (`TradingHalted`) per known asset, [`FeedNotice::MarketResolved`] |
//! | `new_market`, unknown types | counted, ignored |
//! | text `PONG` / other text | [`FeedNotice::Pong`] / [`FeedNotice::ServerText`] |
//!
//! A frame is one JSON object or an array of them. Prices of `0` in
//! `best_bid`/`best_ask` mean "no quote on that side". The legacy
//! `price_change` schema (root `asset_id` and `changes`, before
//! 2025-09-15) is mapped explicitly and counted. Timestamps are Unix
//! milliseconds as text (seconds and finer units are told by magnitude).
//!
//! Until an asset's first `book` (and again after [`PolymarketDecoder::
//! connection_reset`] or a tick-size change), its `price_change`s are
//! dropped and counted: a delta without a base book means nothing.
//!
//! ```
//! use gateway::ws::{InstrumentMap, WsOutput, polymarket::PolymarketDecoder};
//! use model::{InstrumentId, MarketEvent, Timestamp};
//!
//! let mut map = InstrumentMap::new();
//! map.insert("7", InstrumentId::new("7.POLYMARKET")?);
//! let mut decoder = PolymarketDecoder::new(map);
//! let mut out = WsOutput::default();
//! let now = Timestamp::from_unix_nanos(1);
//! decoder.decode(br#"[{"event_type":"book","asset_id":"7","bids":[],"asks":[]}]"#, now, &mut out)?;
//! decoder.decode(br#"{"event_type":"price_change","market":"0x1","timestamp":"1",
//!   "price_changes":[{"asset_id":"7","price":".5","size":"10","side":"BUY","best_bid":".5","best_ask":"0"}]}"#,
//!   now, &mut out)?;
//! assert!(matches!(out.events[1], MarketEvent::Delta(_)));
//! assert!(matches!(out.events[2], MarketEvent::Quote(q) if q.ask.is_none()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use model::{
    BookChange, BookDelta, BookEntry, BookResetReason, BookSide, BookSnapshot, FeedStatus,
    MarketEvent, Price, Quantity, Quote, QuoteSide, Side, Timestamp, Trade, TradeId,
};
use serde::de::IgnoredAny;

use super::fast::Scan;

use super::{
    FeedCounters, FeedNotice, InstrumentMap, Str, WsError, WsOutput, epoch_timestamp, fnv1a,
    header, json_object, live_if_resynced, price, push_in_place, quantity,
};

json_object!(Level<'a> {
    price: Str<'a> = "price",
    size: Str<'a> = "size",
});

json_object!(Change<'a> {
    asset_id: Str<'a> = "asset_id",
    price: Str<'a> = "price",
    size: Str<'a> = "size",
    side: Str<'a> = "side",
    hash: Str<'a> = "hash",
    best_bid: Str<'a> = "best_bid",
    best_ask: Str<'a> = "best_ask",
});

json_object!(Message<'a> {
    event_type: Str<'a> = "event_type",
    asset_id: Str<'a> = "asset_id",
    market: Str<'a> = "market",
    bids: Vec<Level<'a>> = "bids" | "buys",
    asks: Vec<Level<'a>> = "asks" | "sells",
    timestamp: Str<'a> = "timestamp",
    hash: Str<'a> = "hash",
    price_changes: Vec<Change<'a>> = "price_changes",
    changes: Vec<Change<'a>> = "changes",
    price: Str<'a> = "price",
    size: Str<'a> = "size",
    side: Str<'a> = "side",
    fee_rate_bps: Str<'a> = "fee_rate_bps",
    old_tick_size: Str<'a> = "old_tick_size",
    new_tick_size: Str<'a> = "new_tick_size",
    best_bid: Str<'a> = "best_bid",
    best_ask: Str<'a> = "best_ask",
    spread: Str<'a> = "spread",
    id: Str<'a> = "id",
    assets_ids: Vec<Str<'a>> = "assets_ids",
    winning_asset_id: Str<'a> = "winning_asset_id",
    winning_outcome: Str<'a> = "winning_outcome",
    tags: IgnoredAny = "tags",
    tick_size: Str<'a> = "tick_size",
    last_trade_price: Str<'a> = "last_trade_price",
    transaction_hash: Str<'a> = "transaction_hash",
});

/// Decodes the frames of one Polymarket `market` connection. Keep one per
/// connection, with the assets subscribed on it.
#[derive(Clone, Debug)]
pub struct PolymarketDecoder {
    instruments: InstrumentMap,
    pub(super) counters: FeedCounters,
    resyncing: bool,
    /// The hot path's changes, kept between frames for their allocation.
    hot: Vec<HotChange>,
    /// The hot path's events so far: (slot, index in the output).
    hot_events: Vec<(usize, usize)>,
}

/// One `price_changes` entry as the hot path reads it: already parsed,
/// its asset already looked up.
#[derive(Clone, Copy, Debug)]
struct HotChange {
    /// The asset's slot; `None` when the asset is not mapped.
    slot: Option<usize>,
    side: BookSide,
    price: Price,
    size: Quantity,
    /// `best_bid` when present (zero: no bid).
    best_bid: Option<Price>,
    /// `best_ask` when present (zero: no ask).
    best_ask: Option<Price>,
}

/// Reads one `price_changes` entry; `None` for anything the general path
/// must judge (a missing or invalid field, an escape, a non-string).
fn hot_change(
    scan: &mut Scan<'_>,
    instruments: &InstrumentMap,
    unknown: &mut u64,
) -> Option<HotChange> {
    let start = scan.position();
    let (asset, side, price_text, size_text, bid, ask) = match change_in_order(scan, instruments) {
        Some((asset, side, [price, size, bid, ask])) => (
            Some(asset),
            Some(side),
            Some(price),
            Some(size),
            Some(bid),
            Some(ask),
        ),
        None => {
            scan.rewind(start);
            let (asset, side, price, size, bid, ask) = change_fields(scan, unknown)?;
            (
                asset.map(Asset::Text),
                side,
                price.map(str::as_bytes),
                size.map(str::as_bytes),
                bid.map(str::as_bytes),
                ask.map(str::as_bytes),
            )
        }
    };
    let parse_px = |text: &[u8]| Price::parse_ascii(text).ok();
    Some(HotChange {
        slot: match asset? {
            Asset::Slot(slot) => Some(slot),
            Asset::Text(text) => instruments.position(text),
        },
        side: book_side(side?).ok()?,
        price: parse_px(price_text?)?,
        size: Quantity::parse_ascii(size_text?).ok()?,
        best_bid: match bid {
            Some(text) => Some(parse_px(text)?),
            None => None,
        },
        best_ask: match ask {
            Some(text) => Some(parse_px(text)?),
            None => None,
        },
    })
}

/// An entry's asset: its slot when recognised in place, else its text.
#[derive(Clone, Copy)]
enum Asset<'a> {
    Slot(usize),
    Text(&'a str),
}

/// A `price_changes` entry with exactly the fields the venue sends, in
/// its order: asset id, price, size, side, best bid, best ask (the hash is
/// skipped); the side as text, the four decimals as bytes. `None` for
/// anything else (the caller rewinds and reads the fields in any order).
#[inline(always)]
fn change_in_order<'a>(
    scan: &mut Scan<'a>,
    instruments: &InstrumentMap,
) -> Option<(Asset<'a>, &'a str, [&'a [u8]; 4])> {
    scan.token(b"{")?;
    scan.token(br#""asset_id":"#)?;
    let asset = match scan.known_string(|body| instruments.key_at(body)) {
        Some(slot) => Asset::Slot(slot),
        None => Asset::Text(scan.string()?),
    };
    scan.token(b",")?;
    scan.token(br#""price":"#)?;
    let price = scan.raw_string()?;
    scan.token(b",")?;
    scan.token(br#""size":"#)?;
    let size = scan.raw_string()?;
    scan.token(b",")?;
    scan.token(br#""side":"#)?;
    let side = scan.string()?;
    scan.token(b",")?;
    scan.token(br#""hash":"#)?;
    scan.raw_string()?;
    scan.token(b",")?;
    scan.token(br#""best_bid":"#)?;
    let bid = scan.raw_string()?;
    scan.token(b",")?;
    scan.token(br#""best_ask":"#)?;
    let ask = scan.raw_string()?;
    scan.token(b"}")?;
    Some((asset, side, [price, size, bid, ask]))
}

/// The text of one `price_changes` entry's fields, in any order (asset
/// id, side, price, size, best bid, best ask), counting unknown fields.
#[expect(clippy::type_complexity, reason = "six optional fields, read once")]
fn change_fields<'a>(
    scan: &mut Scan<'a>,
    unknown: &mut u64,
) -> Option<(
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
)> {
    let (mut asset, mut side, mut price_text, mut size_text) = (None, None, None, None);
    let (mut bid, mut ask) = (None, None);
    scan.object(|scan, key| {
        match key {
            "asset_id" => asset = Some(scan.string()?),
            "price" => price_text = Some(scan.string()?),
            "size" => size_text = Some(scan.string()?),
            "side" => side = Some(scan.string()?),
            "hash" => drop(scan.string()?),
            "best_bid" => bid = Some(scan.string()?),
            "best_ask" => ask = Some(scan.string()?),
            _ => {
                scan.skip()?;
                *unknown += 1;
            }
        }
        Some(())
    })?;
    Some((asset, side, price_text, size_text, bid, ask))
}

/// A current-schema `price_change` with exactly the fields the venue
/// sends, in its order (market, changes, timestamp, type), its changes
/// read into `hot`; the timestamp's text. `None` for anything else (the
/// caller rewinds, empties `hot` and reads the fields in any order).
#[inline(always)]
fn price_change_in_order<'a>(
    scan: &mut Scan<'a>,
    hot: &mut Vec<HotChange>,
    instruments: &InstrumentMap,
    unknown: &mut u64,
) -> Option<&'a str> {
    scan.token(b"{")?;
    scan.token(br#""market":"#)?;
    scan.raw_string()?;
    scan.token(b",")?;
    scan.token(br#""price_changes":"#)?;
    scan.array(|scan| {
        hot.push(hot_change(scan, instruments, unknown)?);
        Some(())
    })?;
    scan.token(b",")?;
    scan.token(br#""timestamp":"#)?;
    let timestamp = scan.string()?;
    scan.token(b",")?;
    scan.token(br#""event_type":"#)?;
    (scan.string()? == "price_change").then_some(())?;
    scan.token(b"}")?;
    Some(timestamp)
}

/// A top-of-book price where zero means no quote.
fn hot_quote_side(price: Option<Price>) -> Option<QuoteSide> {
    price
        .filter(|px| *px != Price::ZERO)
        .map(|price| QuoteSide { price, size: None })
}

fn required<'s>(
    field: Option<&'s Str<'_>>,
    message: &'static str,
    name: &'static str,
) -> Result<&'s str, WsError> {
    field.map(Str::as_str).ok_or(WsError::MissingField {
        message,
        field: name,
    })
}

fn book_side(text: &str) -> Result<BookSide, WsError> {
    if text.eq_ignore_ascii_case("BUY") {
        Ok(BookSide::Bid)
    } else if text.eq_ignore_ascii_case("SELL") {
        Ok(BookSide::Ask)
    } else {
        Err(WsError::invalid("side", text, "expected BUY or SELL"))
    }
}

/// A top-of-book price where `0` (or nothing) means no quote.
fn quote_side(field: &'static str, text: Option<&Str<'_>>) -> Result<Option<QuoteSide>, WsError> {
    let Some(text) = text else { return Ok(None) };
    let px = price(field, text.as_str())?;
    Ok((px != Price::ZERO).then_some(QuoteSide {
        price: px,
        size: None,
    }))
}

fn exchange_time(message: &Message<'_>) -> Result<Option<Timestamp>, WsError> {
    message
        .timestamp
        .as_ref()
        .map(|t| epoch_timestamp("timestamp", t.as_str()))
        .transpose()
}

impl PolymarketDecoder {
    /// A decoder for the assets in `instruments`; every book awaits its
    /// first snapshot, and [`FeedStatus::Live`] is reported once all came.
    pub fn new(instruments: InstrumentMap) -> Self {
        Self {
            instruments,
            counters: FeedCounters::default(),
            resyncing: true,
            hot: Vec::new(),
            hot_events: Vec::new(),
        }
    }

    /// What was seen so far.
    pub const fn counters(&self) -> &FeedCounters {
        &self.counters
    }

    /// The assets and their instruments.
    pub const fn instruments(&self) -> &InstrumentMap {
        &self.instruments
    }

    /// Adds an asset (a later subscribe); its book awaits a snapshot.
    pub fn add_instrument(&mut self, asset_id: &str, instrument: model::InstrumentId) {
        self.instruments.insert(asset_id, instrument);
    }

    /// The connection dropped: every book held is reset
    /// ([`BookResetReason::Disconnected`]) and awaits a snapshot;
    /// [`FeedStatus::Disconnected`] is reported.
    pub fn connection_reset(&mut self, now: Timestamp, out: &mut WsOutput) {
        self.instruments
            .reset_books(now, BookResetReason::Disconnected, out);
        self.resyncing = true;
        out.notices
            .push(FeedNotice::Status(FeedStatus::Disconnected));
    }

    /// Decodes one text frame received at `now`, appending to `out`. On an
    /// error, the failing message adds nothing; the other messages of an
    /// array frame are still decoded (the first error is returned).
    pub fn decode(
        &mut self,
        frame: &[u8],
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        super::decode_bytes(self, frame, now, out)
    }

    /// [`Self::decode`] for a frame already known to be UTF-8, as a
    /// websocket text frame is (the client passes it on without checking
    /// it again).
    pub fn decode_text(
        &mut self,
        frame: &str,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        super::decode_text(self, frame, now, out)
    }

    /// Decodes a frame (trimmed, counted) through the general path.
    pub(super) fn decode_general(
        &mut self,
        text: &[u8],
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        match text.first() {
            Some(b'[') => {
                let messages: Vec<Message<'_>> = super::parse_frame(text).map_err(|e| {
                    self.counters.malformed += 1;
                    WsError::Json(e)
                })?;
                let mut first_error = None;
                for message in &messages {
                    if let Err(error) = self.message(message, now, out) {
                        first_error.get_or_insert(error);
                    }
                }
                first_error.map_or(Ok(()), Err)
            }
            Some(b'{') => {
                let message: Message<'_> = super::parse_frame(text).map_err(|e| {
                    self.counters.malformed += 1;
                    WsError::Json(e)
                })?;
                self.message(&message, now, out)
            }
            _ => {
                self.counters.text_frames += 1;
                match std::str::from_utf8(text) {
                    Ok("PONG") => {
                        out.notices.push(FeedNotice::Pong);
                        Ok(())
                    }
                    Ok(other)
                        if !other.is_empty() && !other.bytes().any(|b| b.is_ascii_control()) =>
                    {
                        out.notices.push(FeedNotice::ServerText(other.to_owned()));
                        Ok(())
                    }
                    _ => {
                        self.counters.malformed += 1;
                        Err(WsError::UnexpectedText(
                            String::from_utf8_lossy(&text[..text.len().min(64)]).into_owned(),
                        ))
                    }
                }
            }
        }
    }

    /// The hot path: a current-schema `price_change` object, read in one
    /// pass without building a [`Message`], its prices parsed in place.
    /// Produces exactly what [`Self::price_change`] would; anything it
    /// does not expect (another message type, a field it would have to
    /// judge, an escape, an invalid value) makes it return `false` having
    /// changed nothing, and the general path decodes the frame.
    pub(super) fn hot_price_change(
        &mut self,
        text: &str,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> bool {
        let mut scan = Scan::new(text);
        let mut unknown = 0u64;
        let (mut is_price_change, mut changes_seen, mut timestamp) = (false, false, None);
        let hot = &mut self.hot;
        hot.clear();
        let instruments = &self.instruments;
        if let Some(time) = price_change_in_order(&mut scan, hot, instruments, &mut unknown) {
            (is_price_change, changes_seen, timestamp) = (true, true, Some(time));
        } else {
            scan.rewind(0);
            hot.clear();
            unknown = 0;
        }
        let in_order = is_price_change;
        let read = if in_order {
            Some(())
        } else {
            scan.object(|scan, key| {
                match key {
                    "event_type" => {
                        if scan.string()? != "price_change" {
                            return None;
                        }
                        is_price_change = true;
                    }
                    "market" => drop(scan.string()?),
                    "timestamp" => timestamp = Some(scan.string()?),
                    "price_changes" if !changes_seen => {
                        changes_seen = true;
                        scan.array(|scan| {
                            hot.push(hot_change(scan, instruments, &mut unknown)?);
                            Some(())
                        })?;
                    }
                    // Fields of other shapes (legacy `changes`, a root
                    // `asset_id`), or a repeated `price_changes`.
                    key if Message::KEYS.contains(&key) => return None,
                    _ => {
                        scan.skip()?;
                        unknown += 1;
                    }
                }
                Some(())
            })
        };
        if read.is_none() || !scan.at_end() || !is_price_change || !changes_seen {
            return false;
        }
        let time = match timestamp.map(|t| epoch_timestamp("timestamp", t)) {
            Some(Ok(time)) => Some(time),
            Some(Err(_)) => return false,
            None => None,
        };
        self.counters.messages += 1;
        self.counters.unknown_fields += unknown;
        // Events are found by slot, not by comparing instrument ids.
        self.hot_events.clear();
        for change in &self.hot {
            let Some(at) = change.slot else {
                self.counters.unknown_instruments += 1;
                continue;
            };
            let slot = &self.instruments.slots[at];
            if slot.awaiting_snapshot {
                self.counters.dropped_awaiting_snapshot += 1;
                continue;
            }
            let set = BookChange::SetLevel {
                side: change.side,
                price: change.price,
                size: change.size,
            };
            match self.hot_events.iter().find(|(s, _)| *s == at) {
                Some(&(_, index)) => {
                    if let Some(MarketEvent::Delta(delta)) = out.events.get_mut(index) {
                        delta.changes.push(set);
                    }
                }
                None => {
                    let mut changes = Vec::with_capacity(self.hot.len());
                    changes.push(set);
                    self.hot_events.push((at, out.events.len()));
                    push_in_place(&mut out.events, || {
                        MarketEvent::Delta(BookDelta {
                            header: header(slot.id, None, time, now),
                            changes,
                        })
                    });
                }
            }
        }
        self.hot_events.clear();
        for change in &self.hot {
            let Some(at) = change.slot else { continue };
            if change.best_bid.is_none() && change.best_ask.is_none() {
                continue;
            }
            let id = self.instruments.slots[at].id;
            let quote = || Quote {
                header: header(id, None, time, now),
                bid: hot_quote_side(change.best_bid),
                ask: hot_quote_side(change.best_ask),
            };
            match self.hot_events.iter().find(|(s, _)| *s == at) {
                Some(&(_, index)) => {
                    if let Some(MarketEvent::Quote(kept)) = out.events.get_mut(index) {
                        *kept = quote();
                    }
                }
                None => {
                    self.hot_events.push((at, out.events.len()));
                    push_in_place(&mut out.events, || MarketEvent::Quote(quote()));
                }
            }
        }
        true
    }

    fn message(
        &mut self,
        message: &Message<'_>,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        self.counters.messages += 1;
        self.counters.unknown_fields += u64::from(message.unknown_fields);
        let (events, notices) = (out.events.len(), out.notices.len());
        let result = match message.event_type.as_ref().map(Str::as_str) {
            Some("book") => self.book(message, now, out),
            Some("price_change") => self.price_change(message, now, out),
            Some("last_trade_price") => self.last_trade(message, now, out),
            Some("tick_size_change") => self.tick_size_change(message, now, out),
            Some("best_bid_ask") => self.best_bid_ask(message, now, out),
            Some("market_resolved") => self.market_resolved(message, now, out),
            Some("new_market") => {
                self.counters.ignored_messages += 1;
                Ok(())
            }
            Some(_) => {
                self.counters.unknown_message_types += 1;
                Ok(())
            }
            None => Err(WsError::MissingField {
                message: "market",
                field: "event_type",
            }),
        };
        if result.is_err() {
            self.counters.malformed += 1;
            out.events.truncate(events);
            out.notices.truncate(notices);
        }
        result
    }

    fn book(&mut self, m: &Message<'_>, now: Timestamp, out: &mut WsOutput) -> Result<(), WsError> {
        let asset = required(m.asset_id.as_ref(), "book", "asset_id")?;
        let time = exchange_time(m)?;
        let levels = |levels: Option<&Vec<Level<'_>>>, counters: &mut FeedCounters| {
            let mut entries = Vec::with_capacity(levels.map_or(0, Vec::len));
            for level in levels.into_iter().flatten() {
                counters.unknown_fields += u64::from(level.unknown_fields);
                let size = quantity("size", required(level.size.as_ref(), "book", "size")?)?;
                let price = price("price", required(level.price.as_ref(), "book", "price")?)?;
                if !size.is_zero() {
                    entries.push(BookEntry {
                        price,
                        size,
                        entry_id: None,
                    });
                }
            }
            Ok::<_, WsError>(entries)
        };
        let mut bids = levels(m.bids.as_ref(), &mut self.counters)?;
        let mut asks = levels(m.asks.as_ref(), &mut self.counters)?;
        let Some(slot) = self.instruments.slot(asset) else {
            self.counters.unknown_instruments += 1;
            return Ok(());
        };
        bids.sort_by_key(|e| std::cmp::Reverse(e.price));
        asks.sort_by_key(|e| e.price);
        slot.has_book = true;
        slot.awaiting_snapshot = false;
        out.events.push(MarketEvent::Snapshot(BookSnapshot {
            header: header(slot.id, None, time, now),
            bids,
            asks,
        }));
        live_if_resynced(&self.instruments, &mut self.resyncing, out);
        Ok(())
    }

    fn price_change(
        &mut self,
        m: &Message<'_>,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        let time = exchange_time(m)?;
        let (changes, root_asset) = match (&m.price_changes, &m.changes) {
            (Some(changes), _) => (changes, None),
            (None, Some(changes)) => {
                self.counters.legacy_messages += 1;
                let asset = required(m.asset_id.as_ref(), "price_change", "asset_id")?;
                (changes, Some(asset))
            }
            (None, None) => {
                return Err(WsError::MissingField {
                    message: "price_change",
                    field: "price_changes",
                });
            }
        };
        let start = out.events.len();
        for change in changes {
            self.counters.unknown_fields += u64::from(change.unknown_fields);
            let asset = match (&change.asset_id, root_asset) {
                (Some(asset), _) => asset.as_str(),
                (None, Some(root)) => root,
                (None, None) => {
                    return Err(WsError::MissingField {
                        message: "price_change",
                        field: "asset_id",
                    });
                }
            };
            let side = book_side(required(change.side.as_ref(), "price_change", "side")?)?;
            let px = price(
                "price",
                required(change.price.as_ref(), "price_change", "price")?,
            )?;
            let size = quantity(
                "size",
                required(change.size.as_ref(), "price_change", "size")?,
            )?;
            let Some(slot) = self.instruments.slot(asset) else {
                self.counters.unknown_instruments += 1;
                continue;
            };
            if slot.awaiting_snapshot {
                self.counters.dropped_awaiting_snapshot += 1;
                continue;
            }
            let id = slot.id;
            let set = BookChange::SetLevel {
                side,
                price: px,
                size,
            };
            let existing = out.events[start..]
                .iter_mut()
                .find_map(|event| match event {
                    MarketEvent::Delta(delta) if delta.header.instrument == id => Some(delta),
                    _ => None,
                });
            match existing {
                Some(delta) => delta.changes.push(set),
                None => {
                    let mut delta_changes = Vec::with_capacity(changes.len());
                    delta_changes.push(set);
                    out.events.push(MarketEvent::Delta(BookDelta {
                        header: header(id, None, time, now),
                        changes: delta_changes,
                    }));
                }
            }
        }
        // Top of book after the changes, one quote per asset (the last
        // change of an asset carries its final state).
        let quotes = out.events.len();
        for change in changes {
            if change.best_bid.is_none() && change.best_ask.is_none() {
                continue;
            }
            let asset = change
                .asset_id
                .as_ref()
                .map(Str::as_str)
                .or(root_asset)
                .unwrap_or_default();
            let Some(id) = self.instruments.get(asset) else {
                continue;
            };
            let quote = Quote {
                header: header(id, None, time, now),
                bid: quote_side("best_bid", change.best_bid.as_ref())?,
                ask: quote_side("best_ask", change.best_ask.as_ref())?,
            };
            let existing = out.events[quotes..]
                .iter_mut()
                .find(|event| matches!(event, MarketEvent::Quote(q) if q.header.instrument == id));
            match existing {
                Some(event) => *event = MarketEvent::Quote(quote),
                None => out.events.push(MarketEvent::Quote(quote)),
            }
        }
        Ok(())
    }

    fn last_trade(
        &mut self,
        m: &Message<'_>,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        let asset = required(m.asset_id.as_ref(), "last_trade_price", "asset_id")?;
        let price_text = required(m.price.as_ref(), "last_trade_price", "price")?;
        let size_text = required(m.size.as_ref(), "last_trade_price", "size")?;
        let px = price("price", price_text)?;
        let size = quantity("size", size_text)?;
        let side_text = m.side.as_ref().map_or("", Str::as_str);
        let aggressor = match side_text {
            "" => None,
            text => Some(match book_side(text)? {
                BookSide::Bid => Side::Buy,
                BookSide::Ask => Side::Sell,
            }),
        };
        let time = exchange_time(m)?;
        let stamp = m.timestamp.as_ref().map_or("", Str::as_str);
        let Some(id) = self.instruments.get(asset) else {
            self.counters.unknown_instruments += 1;
            return Ok(());
        };
        let hash = fnv1a(&[asset, side_text, price_text, size_text, stamp]);
        let mut hex = [0u8; 16];
        for (i, digit) in hex.iter_mut().enumerate() {
            *digit = b"0123456789abcdef"[((hash >> (60 - 4 * i)) & 0xf) as usize];
        }
        let trade_id = TradeId::from_ascii(&hex).ok();
        out.events.push(MarketEvent::Trade(Trade {
            header: header(id, None, time, now),
            price: px,
            size,
            aggressor,
            trade_id,
        }));
        Ok(())
    }

    fn tick_size_change(
        &mut self,
        m: &Message<'_>,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        let asset = required(m.asset_id.as_ref(), "tick_size_change", "asset_id")?;
        let tick = price(
            "new_tick_size",
            required(
                m.new_tick_size.as_ref(),
                "tick_size_change",
                "new_tick_size",
            )?,
        )?;
        let time = exchange_time(m)?;
        let Some(slot) = self.instruments.slot(asset) else {
            self.counters.unknown_instruments += 1;
            return Ok(());
        };
        slot.has_book = false;
        slot.awaiting_snapshot = true;
        let id = slot.id;
        out.events.push(MarketEvent::Reset {
            header: header(id, None, time, now),
            reason: BookResetReason::TickSizeChanged,
        });
        out.notices.push(FeedNotice::TickSize {
            instrument: id,
            tick,
            exchange_time: time,
        });
        out.notices.push(FeedNotice::ResnapshotNeeded(vec![id]));
        Ok(())
    }

    fn best_bid_ask(
        &mut self,
        m: &Message<'_>,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        let asset = required(m.asset_id.as_ref(), "best_bid_ask", "asset_id")?;
        let time = exchange_time(m)?;
        let bid = quote_side("best_bid", m.best_bid.as_ref())?;
        let ask = quote_side("best_ask", m.best_ask.as_ref())?;
        let Some(id) = self.instruments.get(asset) else {
            self.counters.unknown_instruments += 1;
            return Ok(());
        };
        out.events.push(MarketEvent::Quote(Quote {
            header: header(id, None, time, now),
            bid,
            ask,
        }));
        Ok(())
    }

    fn market_resolved(
        &mut self,
        m: &Message<'_>,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        let time = exchange_time(m)?;
        let assets = m.assets_ids.as_ref().ok_or(WsError::MissingField {
            message: "market_resolved",
            field: "assets_ids",
        })?;
        let mut instruments = Vec::new();
        for asset in assets {
            if let Some(slot) = self.instruments.slot(asset.as_str()) {
                slot.has_book = false;
                slot.awaiting_snapshot = true;
                instruments.push(slot.id);
                out.events.push(MarketEvent::Reset {
                    header: header(slot.id, None, time, now),
                    reason: BookResetReason::TradingHalted,
                });
            }
        }
        if instruments.is_empty() {
            self.counters.unknown_instruments += 1;
            return Ok(());
        }
        let winner = m
            .winning_asset_id
            .as_ref()
            .and_then(|w| self.instruments.get(w.as_str()));
        out.notices.push(FeedNotice::MarketResolved {
            instruments,
            winner,
        });
        Ok(())
    }
}

impl super::FramePaths for PolymarketDecoder {
    fn counters_mut(&mut self) -> &mut FeedCounters {
        &mut self.counters
    }

    fn hot(&mut self, text: &str, now: Timestamp, out: &mut WsOutput) -> bool {
        self.hot_price_change(text, now, out)
    }

    fn general(&mut self, text: &[u8], now: Timestamp, out: &mut WsOutput) -> Result<(), WsError> {
        self.decode_general(text, now, out)
    }
}
