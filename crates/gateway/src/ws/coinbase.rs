//! Coinbase Advanced Trade websocket market data, sans-IO.
//!
//! Every server message is an envelope `{channel, timestamp, sequence_num,
//! events: […]}`:
//!
//! | channel | output |
//! |---|---|
//! | `l2_data` event `snapshot` | [`MarketEvent::Snapshot`] (sides `bid`/`offer` → bid/ask, sorted best first) |
//! | `l2_data` event `update` | [`MarketEvent::Delta`] of [`BookChange::SetLevel`] (`new_quantity` is absolute; `0` removes) |
//! | `ticker`, `ticker_batch` | [`MarketEvent::Quote`] with sizes |
//! | `market_trades` event `update` | [`MarketEvent::Trade`] (`side` is the aggressor's); the `snapshot` of past trades is counted and ignored |
//! | `heartbeats` | [`FeedNotice::Heartbeat`] (counter as a number or text) |
//! | `subscriptions` | [`FeedNotice::Subscriptions`] |
//! | `{"type":"error"}` | [`FeedNotice::VenueError`] |
//! | `status`, `candles`, unknown channels | counted, ignored |
//!
//! `sequence_num` counts every message of the connection. The first sets
//! the baseline; a number already seen is a duplicate (dropped, counted);
//! a jump reports [`FeedStatus::Gap`] then [`FeedStatus::Resynchronising`],
//! resets every book held ([`BookResetReason::Resubscribing`]) and asks
//! for new snapshots ([`FeedNotice::ResnapshotNeeded`]); updates are
//! dropped until each book's snapshot arrives, then [`FeedStatus::Live`].
//! Headers carry the envelope `timestamp` as the exchange time (a trade
//! its own `time`) and `sequence_num` as the sequence.
//!
//! ```
//! use gateway::ws::{InstrumentMap, WsOutput, coinbase::CoinbaseDecoder};
//! use model::{InstrumentId, MarketEvent, Timestamp};
//!
//! let mut map = InstrumentMap::new();
//! map.insert("BTC-USD", InstrumentId::new("BTC-USD.COINBASE")?);
//! let mut decoder = CoinbaseDecoder::new(map);
//! let mut out = WsOutput::default();
//! let frame = br#"{"channel":"l2_data","timestamp":"2026-04-07T14:30:00Z","sequence_num":0,
//!   "events":[{"type":"snapshot","product_id":"BTC-USD","updates":[
//!     {"side":"offer","price_level":"68901.00","new_quantity":"0.5"}]}]}"#;
//! decoder.decode(frame, Timestamp::from_unix_nanos(1), &mut out)?;
//! let MarketEvent::Snapshot(book) = &out.events[0] else { panic!("a snapshot") };
//! assert_eq!(book.asks[0].price, "68901".parse()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use model::{
    BookChange, BookDelta, BookEntry, BookResetReason, BookSide, BookSnapshot, FeedStatus,
    MarketEvent, Price, Quantity, Quote, QuoteSide, Side, Timestamp, Trade, TradeId,
};
use serde::de::IgnoredAny;

use super::fast::Scan;

use super::{
    FeedCounters, FeedNotice, InstrumentMap, LooseU64, Str, WsError, WsOutput, header, json_object,
    live_if_resynced, price, push_in_place, quantity, rfc3339,
};

json_object!(Level<'a> {
    side: Str<'a> = "side",
    event_time: Str<'a> = "event_time",
    price_level: Str<'a> = "price_level",
    new_quantity: Str<'a> = "new_quantity",
});

json_object!(Ticker<'a> {
    kind: Str<'a> = "type",
    product_id: Str<'a> = "product_id",
    price: Str<'a> = "price",
    volume_24_h: IgnoredAny = "volume_24_h",
    low_24_h: IgnoredAny = "low_24_h",
    high_24_h: IgnoredAny = "high_24_h",
    low_52_w: IgnoredAny = "low_52_w",
    high_52_w: IgnoredAny = "high_52_w",
    price_percent_chg_24_h: IgnoredAny = "price_percent_chg_24_h",
    best_bid: Str<'a> = "best_bid",
    best_bid_quantity: Str<'a> = "best_bid_quantity",
    best_ask: Str<'a> = "best_ask",
    best_ask_quantity: Str<'a> = "best_ask_quantity",
});

json_object!(TradeMsg<'a> {
    trade_id: Str<'a> = "trade_id",
    product_id: Str<'a> = "product_id",
    price: Str<'a> = "price",
    size: Str<'a> = "size",
    side: Str<'a> = "side",
    time: Str<'a> = "time",
});

json_object!(Event<'a> {
    kind: Str<'a> = "type",
    product_id: Str<'a> = "product_id",
    updates: Vec<Level<'a>> = "updates",
    tickers: Vec<Ticker<'a>> = "tickers",
    trades: Vec<TradeMsg<'a>> = "trades",
    current_time: Str<'a> = "current_time",
    heartbeat_counter: LooseU64 = "heartbeat_counter",
    subscriptions: BTreeMap<String, Vec<String>> = "subscriptions",
});

json_object!(Envelope<'a> {
    channel: Str<'a> = "channel",
    client_id: Str<'a> = "client_id",
    timestamp: Str<'a> = "timestamp",
    sequence_num: LooseU64 = "sequence_num",
    events: Vec<Event<'a>> = "events",
    kind: Str<'a> = "type",
    message: Str<'a> = "message",
    reason: Str<'a> = "reason",
});

/// Decodes the frames of one Coinbase Advanced Trade connection. Keep one
/// per connection (sequence numbers are per connection).
#[derive(Clone, Debug)]
pub struct CoinbaseDecoder {
    instruments: InstrumentMap,
    pub(super) counters: FeedCounters,
    last_sequence: Option<u64>,
    resyncing: bool,
    /// The hot path's events (slot, range of `hot_levels`), kept between
    /// frames for their allocation.
    hot_events: Vec<(usize, std::ops::Range<usize>)>,
    /// The hot path's levels.
    hot_levels: Vec<BookChange>,
}

/// Reads one `l2_data` level of an update into `levels`; `None` for
/// anything the general path must judge.
fn hot_level(scan: &mut Scan<'_>, levels: &mut Vec<BookChange>, unknown: &mut u64) -> Option<()> {
    let start = scan.position();
    let (side, price_text, size_text) = match level_in_order(scan) {
        Some((side, [price, size])) => (Some(side), Some(price), Some(size)),
        None => {
            scan.rewind(start);
            let (side, price, size) = level_fields(scan, unknown)?;
            (side, price.map(str::as_bytes), size.map(str::as_bytes))
        }
    };
    levels.push(BookChange::SetLevel {
        side: l2_side(side?).ok()?,
        price: Price::parse_ascii(price_text?).ok()?,
        size: Quantity::parse_ascii(size_text?).ok()?,
    });
    Some(())
}

/// A level with exactly the fields the venue sends, in its order: side,
/// event time (skipped), price, quantity; the side as text, the decimals
/// as bytes. `None` for anything else (the caller rewinds and reads the
/// fields in any order).
#[inline(always)]
fn level_in_order<'a>(scan: &mut Scan<'a>) -> Option<(&'a str, [&'a [u8]; 2])> {
    scan.token(b"{")?;
    scan.token(br#""side":"#)?;
    let side = scan.string()?;
    scan.token(b",")?;
    scan.token(br#""event_time":"#)?;
    scan.raw_string()?;
    scan.token(b",")?;
    scan.token(br#""price_level":"#)?;
    let price = scan.raw_string()?;
    scan.token(b",")?;
    scan.token(br#""new_quantity":"#)?;
    let size = scan.raw_string()?;
    scan.token(b"}")?;
    Some((side, [price, size]))
}

/// The text of a level's side, price and quantity, in any order,
/// counting unknown fields.
fn level_fields<'a>(
    scan: &mut Scan<'a>,
    unknown: &mut u64,
) -> Option<(Option<&'a str>, Option<&'a str>, Option<&'a str>)> {
    let (mut side, mut price_text, mut size_text) = (None, None, None);
    scan.object(|scan, key| {
        match key {
            "side" => side = Some(scan.string()?),
            "event_time" => drop(scan.string()?),
            "price_level" => price_text = Some(scan.string()?),
            "new_quantity" => size_text = Some(scan.string()?),
            _ => {
                scan.skip()?;
                *unknown += 1;
            }
        }
        Some(())
    })?;
    Some((side, price_text, size_text))
}

/// Reads one `l2_data` event of type `update` for a mapped product into
/// `events` and `levels`; `None` for anything else.
fn hot_event(
    scan: &mut Scan<'_>,
    instruments: &InstrumentMap,
    events: &mut Vec<(usize, std::ops::Range<usize>)>,
    levels: &mut Vec<BookChange>,
    unknown: &mut u64,
) -> Option<()> {
    let (start, first_level, unknown_before) = (scan.position(), levels.len(), *unknown);
    if let Some(slot) = event_in_order(scan, instruments, levels, unknown) {
        events.push((slot, first_level..levels.len()));
        return Some(());
    }
    scan.rewind(start);
    levels.truncate(first_level);
    *unknown = unknown_before;
    let (mut kind, mut product, mut updates) = (None, None, None);
    scan.object(|scan, key| {
        match key {
            "type" => kind = Some(scan.string()?),
            "product_id" => product = Some(scan.string()?),
            "updates" if updates.is_none() => {
                let start = levels.len();
                scan.array(|scan| hot_level(scan, levels, unknown))?;
                updates = Some(start..levels.len());
            }
            key if Event::KEYS.contains(&key) => return None,
            _ => {
                scan.skip()?;
                *unknown += 1;
            }
        }
        Some(())
    })?;
    if kind? != "update" {
        return None;
    }
    let slot = instruments.position(product?)?;
    let end = levels.len();
    events.push((slot, updates.unwrap_or(end..end)));
    Some(())
}

/// An `update` event with exactly the fields the venue sends, in its
/// order (type, product, updates), its levels read into `levels`; the
/// product's slot (a known product recognised in place). `None` for
/// anything else, an unmapped product included (the caller rewinds, drops
/// the levels read and reads the fields in any order).
#[inline(always)]
fn event_in_order(
    scan: &mut Scan<'_>,
    instruments: &InstrumentMap,
    levels: &mut Vec<BookChange>,
    unknown: &mut u64,
) -> Option<usize> {
    scan.token(b"{")?;
    scan.token(br#""type":"#)?;
    (scan.string()? == "update").then_some(())?;
    scan.token(b",")?;
    scan.token(br#""product_id":"#)?;
    let slot = match scan.known_string(|body| instruments.key_at(body)) {
        Some(slot) => slot,
        None => instruments.position(scan.string()?)?,
    };
    scan.token(b",")?;
    scan.token(br#""updates":"#)?;
    scan.array(|scan| hot_level(scan, levels, unknown))?;
    scan.token(b"}")?;
    Some(slot)
}

/// An `l2_data` envelope with exactly the fields the venue sends, in its
/// order (channel, client id, timestamp, sequence number, events), its
/// events read into `events` and `levels`; the timestamp's text and the
/// sequence number. `None` for anything else (the caller rewinds, empties
/// both and reads the fields in any order).
#[inline(always)]
fn l2_in_order<'a>(
    scan: &mut Scan<'a>,
    instruments: &InstrumentMap,
    events: &mut Vec<(usize, std::ops::Range<usize>)>,
    levels: &mut Vec<BookChange>,
    unknown: &mut u64,
) -> Option<(&'a str, u64)> {
    scan.token(b"{")?;
    scan.token(br#""channel":"#)?;
    (scan.string()? == "l2_data").then_some(())?;
    scan.token(b",")?;
    scan.token(br#""client_id":"#)?;
    scan.raw_string()?;
    scan.token(b",")?;
    scan.token(br#""timestamp":"#)?;
    let timestamp = scan.string()?;
    scan.token(b",")?;
    scan.token(br#""sequence_num":"#)?;
    let sequence = scan.number()?.parse::<u64>().ok()?;
    scan.token(b",")?;
    scan.token(br#""events":"#)?;
    scan.array(|scan| hot_event(scan, instruments, events, levels, unknown))?;
    scan.token(b"}")?;
    Some((timestamp, sequence))
}

fn missing(message: &'static str, field: &'static str) -> WsError {
    WsError::MissingField { message, field }
}

/// The text of a field `message` must carry.
fn required<'v>(
    value: &'v Option<Str<'_>>,
    message: &'static str,
    field: &'static str,
) -> Result<&'v str, WsError> {
    value
        .as_ref()
        .map(Str::as_str)
        .ok_or_else(|| missing(message, field))
}

fn l2_side(text: &str) -> Result<BookSide, WsError> {
    match text {
        "bid" | "BID" | "buy" | "BUY" => Ok(BookSide::Bid),
        "offer" | "OFFER" | "ask" | "ASK" | "sell" | "SELL" => Ok(BookSide::Ask),
        _ => Err(WsError::invalid("side", text, "expected bid or offer")),
    }
}

fn opt_quote(
    px: Option<&Str<'_>>,
    qty: Option<&Str<'_>>,
    price_field: &'static str,
    size_field: &'static str,
) -> Result<Option<QuoteSide>, WsError> {
    let Some(px) = px.map(Str::as_str).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let size = qty
        .map(Str::as_str)
        .filter(|t| !t.is_empty())
        .map(|t| quantity(size_field, t))
        .transpose()?;
    Ok(Some(QuoteSide {
        price: price(price_field, px)?,
        size,
    }))
}

impl CoinbaseDecoder {
    /// A decoder for the products in `instruments`. Every book awaits its
    /// first snapshot; [`FeedStatus::Live`] is reported once all came.
    pub fn new(instruments: InstrumentMap) -> Self {
        Self {
            instruments,
            counters: FeedCounters::default(),
            last_sequence: None,
            resyncing: true,
            hot_events: Vec::new(),
            hot_levels: Vec::new(),
        }
    }

    /// What was seen so far.
    pub const fn counters(&self) -> &FeedCounters {
        &self.counters
    }

    /// The products and their instruments.
    pub const fn instruments(&self) -> &InstrumentMap {
        &self.instruments
    }

    /// The last sequence number seen on this connection.
    pub const fn last_sequence(&self) -> Option<u64> {
        self.last_sequence
    }

    /// The connection dropped: every book held is reset
    /// ([`BookResetReason::Disconnected`]), the sequence baseline is
    /// forgotten (the next connection numbers afresh), and
    /// [`FeedStatus::Disconnected`] is reported.
    pub fn connection_reset(&mut self, now: Timestamp, out: &mut WsOutput) {
        self.instruments
            .reset_books(now, BookResetReason::Disconnected, out);
        self.last_sequence = None;
        self.resyncing = true;
        out.notices
            .push(FeedNotice::Status(FeedStatus::Disconnected));
    }

    /// Decodes one text frame received at `now`, appending to `out`. A
    /// failing event adds nothing; the envelope's other events still do
    /// (the first error is returned).
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
        if text.first() != Some(&b'{') {
            self.counters.malformed += 1;
            self.counters.text_frames += 1;
            return Err(WsError::UnexpectedText(
                String::from_utf8_lossy(&text[..text.len().min(64)]).into_owned(),
            ));
        }
        let envelope: Envelope<'_> = super::parse_frame(text).map_err(|e| {
            self.counters.malformed += 1;
            WsError::Json(e)
        })?;
        self.counters.messages += 1;
        self.counters.unknown_fields += u64::from(envelope.unknown_fields);
        if envelope.kind.as_ref().map(Str::as_str) == Some("error") {
            let text = [&envelope.message, &envelope.reason]
                .into_iter()
                .flatten()
                .map(Str::as_str)
                .collect::<Vec<_>>()
                .join(": ");
            out.notices.push(FeedNotice::VenueError(text));
            return Ok(());
        }
        let time = match &envelope.timestamp {
            Some(t) => Some(rfc3339("timestamp", t.as_str()).inspect_err(|_| {
                self.counters.malformed += 1;
            })?),
            None => None,
        };
        let sequence = envelope.sequence_num.and_then(|s| s.0);
        if let Some(seq) = sequence
            && !self.check_sequence(seq, now, out)
        {
            return Ok(());
        }
        let Some(channel) = envelope.channel.as_ref().map(Str::as_str) else {
            self.counters.malformed += 1;
            return Err(missing("envelope", "channel"));
        };
        let events = envelope.events.as_deref().unwrap_or_default();
        let mut first_error = None;
        for event in events {
            self.counters.unknown_fields += u64::from(event.unknown_fields);
            let marks = (out.events.len(), out.notices.len());
            let result = match channel {
                "l2_data" => self.l2(event, sequence, time, now, out),
                "ticker" | "ticker_batch" => self.ticker(event, sequence, time, now, out),
                "market_trades" => self.trades(event, sequence, time, now, out),
                "heartbeats" => {
                    out.notices.push(FeedNotice::Heartbeat {
                        counter: event.heartbeat_counter.and_then(|c| c.0),
                    });
                    Ok(())
                }
                "subscriptions" => {
                    let subs = event.subscriptions.clone().unwrap_or_default();
                    out.notices
                        .push(FeedNotice::Subscriptions(subs.into_iter().collect()));
                    Ok(())
                }
                "status" | "candles" => {
                    self.counters.ignored_messages += 1;
                    Ok(())
                }
                _ => {
                    self.counters.unknown_message_types += 1;
                    Ok(())
                }
            };
            if let Err(error) = result {
                self.counters.malformed += 1;
                out.events.truncate(marks.0);
                out.notices.truncate(marks.1);
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The hot path: an `l2_data` envelope of updates to mapped books, in
    /// sequence, read in one pass without building an [`Envelope`].
    /// Produces exactly what the general path would; anything else (a
    /// snapshot, a gap or duplicate, a book awaiting its snapshot, a field
    /// to judge, an escape, an invalid value) makes it return `false`
    /// having changed nothing, and the general path decodes the frame.
    pub(super) fn hot_l2_update(&mut self, text: &str, now: Timestamp, out: &mut WsOutput) -> bool {
        let mut scan = Scan::new(text);
        let mut unknown = 0u64;
        let (mut is_l2, mut events_seen, mut timestamp, mut sequence) = (false, false, None, None);
        let (events, levels) = (&mut self.hot_events, &mut self.hot_levels);
        events.clear();
        levels.clear();
        let instruments = &self.instruments;
        if let Some((time, seq)) = l2_in_order(&mut scan, instruments, events, levels, &mut unknown)
        {
            (is_l2, events_seen, timestamp, sequence) = (true, true, Some(time), Some(seq));
        } else {
            scan.rewind(0);
            events.clear();
            levels.clear();
            unknown = 0;
        }
        let in_order = is_l2;
        let read = if in_order {
            Some(())
        } else {
            scan.object(|scan, key| {
                match key {
                    "channel" => {
                        if scan.string()? != "l2_data" {
                            return None;
                        }
                        is_l2 = true;
                    }
                    "client_id" => drop(scan.string()?),
                    "timestamp" => timestamp = Some(scan.string()?),
                    "sequence_num" => {
                        sequence = Some(scan.number()?.parse::<u64>().ok()?);
                    }
                    "events" if !events_seen => {
                        events_seen = true;
                        scan.array(|scan| {
                            hot_event(scan, instruments, events, levels, &mut unknown)
                        })?;
                    }
                    key if Envelope::KEYS.contains(&key) => return None,
                    _ => {
                        scan.skip()?;
                        unknown += 1;
                    }
                }
                Some(())
            })
        };
        if read.is_none() || !scan.at_end() || !is_l2 {
            return false;
        }
        let time = match timestamp.map(|t| rfc3339("timestamp", t)) {
            Some(Ok(time)) => Some(time),
            Some(Err(_)) => return false,
            None => None,
        };
        if let (Some(seq), Some(last)) = (sequence, self.last_sequence)
            && Some(seq) != last.checked_add(1)
        {
            return false;
        }
        if events
            .iter()
            .any(|(slot, _)| self.instruments.slots[*slot].awaiting_snapshot)
        {
            return false;
        }
        self.counters.messages += 1;
        self.counters.unknown_fields += unknown;
        if sequence.is_some() {
            self.last_sequence = sequence;
        }
        for (slot, range) in &self.hot_events {
            push_in_place(&mut out.events, || {
                MarketEvent::Delta(BookDelta {
                    header: header(self.instruments.slots[*slot].id, sequence, time, now),
                    changes: self.hot_levels[range.clone()].to_vec(),
                })
            });
        }
        true
    }

    /// Whether the message with `seq` is to be processed.
    fn check_sequence(&mut self, seq: u64, now: Timestamp, out: &mut WsOutput) -> bool {
        let Some(last) = self.last_sequence else {
            self.last_sequence = Some(seq);
            return true;
        };
        if seq <= last {
            self.counters.duplicates += 1;
            return false;
        }
        self.last_sequence = Some(seq);
        if seq != last + 1 {
            self.counters.gaps += 1;
            out.notices.push(FeedNotice::Status(FeedStatus::Gap {
                expected: last + 1,
                received: seq,
            }));
            out.notices
                .push(FeedNotice::Status(FeedStatus::Resynchronising));
            self.instruments
                .reset_books(now, BookResetReason::Resubscribing, out);
            let all = self.instruments.iter().map(|(_, id)| id).collect();
            out.notices.push(FeedNotice::ResnapshotNeeded(all));
            self.resyncing = true;
        }
        true
    }

    fn l2(
        &mut self,
        event: &Event<'_>,
        sequence: Option<u64>,
        time: Option<Timestamp>,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        let product = required(&event.product_id, "l2_data", "product_id")?;
        let updates = event.updates.as_deref().unwrap_or_default();
        let snapshot = match event.kind.as_ref().map(Str::as_str) {
            Some("snapshot") => true,
            Some("update") => false,
            Some(_) => {
                self.counters.unknown_message_types += 1;
                return Ok(());
            }
            None => return Err(missing("l2_data", "type")),
        };
        let Some(slot) = self.instruments.slot(product) else {
            self.counters.unknown_instruments += 1;
            return Ok(());
        };
        if !snapshot && slot.awaiting_snapshot {
            self.counters.dropped_awaiting_snapshot += updates.len() as u64;
            return Ok(());
        }
        let id = slot.id;
        let header = header(id, sequence, time, now);
        let mut unknown = 0;
        if snapshot {
            let (mut bids, mut asks) = (Vec::new(), Vec::new());
            for level in updates {
                unknown += u64::from(level.unknown_fields);
                let (side, price, size) = parse_level(level)?;
                if size.is_zero() {
                    continue;
                }
                let entry = BookEntry {
                    price,
                    size,
                    entry_id: None,
                };
                match side {
                    BookSide::Bid => bids.push(entry),
                    BookSide::Ask => asks.push(entry),
                }
            }
            bids.sort_by_key(|e| std::cmp::Reverse(e.price));
            asks.sort_by_key(|e| e.price);
            if let Some(slot) = self.instruments.slot(product) {
                slot.has_book = true;
                slot.awaiting_snapshot = false;
            }
            out.events
                .push(MarketEvent::Snapshot(BookSnapshot { header, bids, asks }));
            live_if_resynced(&self.instruments, &mut self.resyncing, out);
        } else {
            let mut changes = Vec::with_capacity(updates.len());
            for level in updates {
                unknown += u64::from(level.unknown_fields);
                let (side, price, size) = parse_level(level)?;
                changes.push(BookChange::SetLevel { side, price, size });
            }
            out.events
                .push(MarketEvent::Delta(BookDelta { header, changes }));
        }
        self.counters.unknown_fields += unknown;
        Ok(())
    }

    fn ticker(
        &mut self,
        event: &Event<'_>,
        sequence: Option<u64>,
        time: Option<Timestamp>,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        for ticker in event.tickers.as_deref().unwrap_or_default() {
            self.counters.unknown_fields += u64::from(ticker.unknown_fields);
            let product = ticker
                .product_id
                .as_ref()
                .ok_or_else(|| missing("ticker", "product_id"))?;
            let bid = opt_quote(
                ticker.best_bid.as_ref(),
                ticker.best_bid_quantity.as_ref(),
                "best_bid",
                "best_bid_quantity",
            )?;
            let ask = opt_quote(
                ticker.best_ask.as_ref(),
                ticker.best_ask_quantity.as_ref(),
                "best_ask",
                "best_ask_quantity",
            )?;
            let Some(id) = self.instruments.get(product.as_str()) else {
                self.counters.unknown_instruments += 1;
                continue;
            };
            out.events.push(MarketEvent::Quote(Quote {
                header: header(id, sequence, time, now),
                bid,
                ask,
            }));
        }
        Ok(())
    }

    fn trades(
        &mut self,
        event: &Event<'_>,
        sequence: Option<u64>,
        time: Option<Timestamp>,
        now: Timestamp,
        out: &mut WsOutput,
    ) -> Result<(), WsError> {
        let trades = event.trades.as_deref().unwrap_or_default();
        if event.kind.as_ref().map(Str::as_str) == Some("snapshot") {
            self.counters.ignored_messages += 1;
            return Ok(());
        }
        for trade in trades {
            self.counters.unknown_fields += u64::from(trade.unknown_fields);
            let product = trade
                .product_id
                .as_ref()
                .ok_or_else(|| missing("market_trades", "product_id"))?;
            let px = price("price", required(&trade.price, "market_trades", "price")?)?;
            let size = quantity("size", required(&trade.size, "market_trades", "size")?)?;
            let aggressor = match trade.side.as_ref().map(Str::as_str) {
                None | Some("" | "UNKNOWN_ORDER_SIDE") => None,
                Some("BUY" | "buy") => Some(Side::Buy),
                Some("SELL" | "sell") => Some(Side::Sell),
                Some(other) => return Err(WsError::invalid("side", other, "expected BUY or SELL")),
            };
            let trade_id = trade
                .trade_id
                .as_ref()
                .map(|t| {
                    TradeId::new(t.as_str())
                        .map_err(|e| WsError::invalid("trade_id", t.as_str(), e))
                })
                .transpose()?;
            let trade_time = trade
                .time
                .as_ref()
                .map(|t| rfc3339("time", t.as_str()))
                .transpose()?
                .or(time);
            let Some(id) = self.instruments.get(product.as_str()) else {
                self.counters.unknown_instruments += 1;
                continue;
            };
            out.events.push(MarketEvent::Trade(Trade {
                header: header(id, sequence, trade_time, now),
                price: px,
                size,
                aggressor,
                trade_id,
            }));
        }
        Ok(())
    }
}

fn parse_level(level: &Level<'_>) -> Result<(BookSide, Price, Quantity), WsError> {
    let side = l2_side(required(&level.side, "l2_data", "side")?)?;
    let px = price(
        "price_level",
        required(&level.price_level, "l2_data", "price_level")?,
    )?;
    let size = quantity(
        "new_quantity",
        required(&level.new_quantity, "l2_data", "new_quantity")?,
    )?;
    Ok((side, px, size))
}

impl super::FramePaths for CoinbaseDecoder {
    fn counters_mut(&mut self) -> &mut FeedCounters {
        &mut self.counters
    }

    fn hot(&mut self, text: &str, now: Timestamp, out: &mut WsOutput) -> bool {
        self.hot_l2_update(text, now, out)
    }

    fn general(&mut self, text: &[u8], now: Timestamp, out: &mut WsOutput) -> Result<(), WsError> {
        self.decode_general(text, now, out)
    }
}
