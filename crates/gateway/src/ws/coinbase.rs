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
    MarketEvent, Quote, QuoteSide, Side, Timestamp, Trade, TradeId,
};
use serde::de::IgnoredAny;

use super::{
    FeedCounters, FeedNotice, InstrumentMap, LooseU64, Str, WsError, WsOutput, header, json_object,
    live_if_resynced, price, quantity, rfc3339,
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
    counters: FeedCounters,
    last_sequence: Option<u64>,
    resyncing: bool,
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
        self.counters.frames += 1;
        let text = frame.trim_ascii();
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

fn parse_level(level: &Level<'_>) -> Result<(BookSide, model::Price, model::Quantity), WsError> {
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
