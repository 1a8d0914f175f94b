#![allow(clippy::unwrap_used, reason = "test code")]
//! The websocket decoders against the reference samples (verbatim in
//! `tests/ws_samples/`, copied from the venue reference) and variations:
//! every message type, array frames, exact prices, gaps, duplicates,
//! garbage, schema drift.

use gateway::ws::coinbase::CoinbaseDecoder;
use gateway::ws::polymarket::PolymarketDecoder;
use gateway::ws::{FeedNotice, InstrumentMap, WsError, WsOutput};
use model::{
    BookChange, BookResetReason, BookSide, FeedStatus, InstrumentId, MarketEvent, Price, Quantity,
    Side, Timestamp,
};
use proptest::prelude::*;

const PM_A: &str = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const PM_B: &str = "52114319501245915516055106046884209969926127482827954674443846427813813222426";
const PM_C: &str = "65818619657568813474341868652308942079804919287380422192892211131408793125422";
const PM_WIN: &str =
    "76043073756653678226373981964075571318267289248134717369284518995922789326425";
const PM_LOSE: &str =
    "31690934263385727664202099278545688007799199447969475608906331829650099442770";

const PM_BOOK_DOCS: &str = include_str!("ws_samples/pm_book_docs.json");
const PM_BOOK_NAUTILUS: &str = include_str!("ws_samples/pm_book_nautilus.json");
const PM_PRICE_CHANGE: &str = include_str!("ws_samples/pm_price_change.json");
const PM_PRICE_CHANGE_LEGACY: &str = include_str!("ws_samples/pm_price_change_legacy.json");
const PM_LAST_TRADE: &str = include_str!("ws_samples/pm_last_trade_price.json");
const PM_TICK: &str = include_str!("ws_samples/pm_tick_size_change.json");
const PM_BBA: &str = include_str!("ws_samples/pm_best_bid_ask.json");
const PM_RESOLVED: &str = include_str!("ws_samples/pm_market_resolved.json");
const CB_SNAPSHOT: &str = include_str!("ws_samples/cb_l2_snapshot.json");
const CB_UPDATE: &str = include_str!("ws_samples/cb_l2_update.json");
const CB_TICKER: &str = include_str!("ws_samples/cb_ticker.json");
const CB_TRADES: &str = include_str!("ws_samples/cb_market_trades.json");
const CB_HEARTBEAT: &str = include_str!("ws_samples/cb_heartbeats.json");
const CB_HEARTBEAT_DOCS: &str = include_str!("ws_samples/cb_heartbeats_docs.json");
const CB_SUBSCRIPTIONS: &str = include_str!("ws_samples/cb_subscriptions.json");
const CB_USER: &str = include_str!("ws_samples/cb_user.json");
const CB_ERROR: &str = include_str!("ws_samples/cbx_error.json");

/// Whether an error is the one expected.
type ErrorCheck = fn(&WsError) -> bool;

fn now() -> Timestamp {
    Timestamp::from_unix_nanos(1_800_000_000_000_000_000)
}

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

fn pm_id(asset: &str) -> InstrumentId {
    InstrumentId::new(&format!("{}.PM", &asset[..20])).unwrap()
}

fn polymarket() -> PolymarketDecoder {
    let mut map = InstrumentMap::new();
    for asset in [PM_A, PM_B, PM_C, PM_WIN, PM_LOSE] {
        map.insert(asset, pm_id(asset));
    }
    PolymarketDecoder::new(map)
}

fn coinbase() -> CoinbaseDecoder {
    let mut map = InstrumentMap::new();
    map.insert("BTC-USD", InstrumentId::new("BTC-USD.CB").unwrap());
    map.insert("ETH-USD", InstrumentId::new("ETH-USD.CB").unwrap());
    CoinbaseDecoder::new(map)
}

fn decode_pm(decoder: &mut PolymarketDecoder, frame: &str) -> WsOutput {
    let mut out = WsOutput::default();
    decoder.decode(frame.as_bytes(), now(), &mut out).unwrap();
    out
}

fn decode_cb(decoder: &mut CoinbaseDecoder, frame: &str) -> WsOutput {
    let mut out = WsOutput::default();
    decoder.decode(frame.as_bytes(), now(), &mut out).unwrap();
    out
}

fn book_for(asset: &str) -> String {
    format!(
        r#"{{"event_type":"book","asset_id":"{asset}","bids":[{{"price":".4","size":"1"}}],"asks":[{{"price":".6","size":"1"}}],"timestamp":"1757908892000"}}"#
    )
}

fn levels(entries: &[model::BookEntry]) -> Vec<(Price, Quantity)> {
    entries.iter().map(|e| (e.price, e.size)).collect()
}

// ---------------------------------------------------------------- Polymarket

#[test]
fn pm_book_docs_sample_is_an_exact_sorted_snapshot() {
    let mut decoder = polymarket();
    let out = decode_pm(&mut decoder, PM_BOOK_DOCS);
    let [MarketEvent::Snapshot(book)] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(book.header.instrument, pm_id(PM_C));
    assert_eq!(book.header.sequence, None);
    assert_eq!(book.header.receive_time, now());
    assert_eq!(
        book.header.exchange_time,
        Some(Timestamp::from_unix_nanos(123_456_789_000 * 1_000_000))
    );
    assert_eq!(
        levels(&book.bids),
        [
            (px("0.50"), qty("15")),
            (px("0.49"), qty("20")),
            (px("0.48"), qty("30"))
        ]
    );
    assert_eq!(
        levels(&book.asks),
        [
            (px("0.52"), qty("25")),
            (px("0.53"), qty("60")),
            (px("0.54"), qty("10"))
        ]
    );
    assert!(!decoder.instruments().awaiting_snapshot(PM_C));
    assert_eq!(decoder.counters().unknown_fields, 0);
}

#[test]
fn pm_book_nautilus_sample_sorts_bids_best_first() {
    let mut decoder = polymarket();
    let out = decode_pm(&mut decoder, PM_BOOK_NAUTILUS);
    let MarketEvent::Snapshot(book) = &out.events[0] else {
        panic!()
    };
    assert_eq!(book.header.instrument, pm_id(PM_A));
    assert_eq!(
        levels(&book.bids),
        [(px("0.5"), qty("200")), (px("0.49"), qty("350"))]
    );
    assert_eq!(
        levels(&book.asks),
        [(px("0.51"), qty("150")), (px("0.52"), qty("250"))]
    );
}

#[test]
fn pm_live_once_every_asset_has_its_book() {
    let mut map = InstrumentMap::new();
    map.insert(PM_A, pm_id(PM_A));
    map.insert(PM_B, pm_id(PM_B));
    let mut decoder = PolymarketDecoder::new(map);
    assert!(decode_pm(&mut decoder, &book_for(PM_A)).notices.is_empty());
    let out = decode_pm(&mut decoder, &book_for(PM_B));
    assert_eq!(out.notices, [FeedNotice::Status(FeedStatus::Live)]);
}

#[test]
fn pm_price_change_sample_gives_deltas_then_quotes_per_asset() {
    let mut decoder = polymarket();
    decode_pm(&mut decoder, &book_for(PM_A));
    decode_pm(&mut decoder, &book_for(PM_B));
    let out = decode_pm(&mut decoder, PM_PRICE_CHANGE);
    let [
        MarketEvent::Delta(a),
        MarketEvent::Delta(b),
        MarketEvent::Quote(qa),
        MarketEvent::Quote(qb),
    ] = out.events.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(a.header.instrument, pm_id(PM_A));
    assert_eq!(
        a.changes,
        [BookChange::SetLevel {
            side: BookSide::Bid,
            price: px("0.5"),
            size: qty("200")
        }]
    );
    assert_eq!(b.header.instrument, pm_id(PM_B));
    assert_eq!(
        b.changes,
        [BookChange::SetLevel {
            side: BookSide::Ask,
            price: px("0.5"),
            size: qty("200")
        }]
    );
    assert_eq!(
        a.header.exchange_time,
        Some(Timestamp::from_unix_nanos(1_757_908_892_351_000_000))
    );
    assert_eq!(qa.header.instrument, pm_id(PM_A));
    assert_eq!(qa.bid.unwrap().price, px("0.5"));
    assert_eq!(qa.ask.unwrap().price, Price::from_int(1).unwrap());
    assert_eq!(qb.bid, None, "best_bid 0 means no bid");
    assert_eq!(qb.ask.unwrap().price, px(".5"));
}

#[test]
fn pm_price_change_groups_several_changes_of_one_asset_and_zero_removes() {
    let mut decoder = polymarket();
    decode_pm(&mut decoder, &book_for(PM_A));
    let frame = format!(
        r#"{{"event_type":"price_change","market":"0x1","timestamp":"1757908892351","price_changes":[
        {{"asset_id":"{PM_A}","price":".48","size":"0","side":"BUY","best_bid":".47","best_ask":".52"}},
        {{"asset_id":"{PM_A}","price":"0.521","size":"12.5","side":"SELL","best_bid":".47","best_ask":".521"}}]}}"#
    );
    let out = decode_pm(&mut decoder, &frame);
    let [MarketEvent::Delta(delta), MarketEvent::Quote(quote)] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(
        delta.changes,
        [
            BookChange::SetLevel {
                side: BookSide::Bid,
                price: px("0.48"),
                size: Quantity::ZERO
            },
            BookChange::SetLevel {
                side: BookSide::Ask,
                price: px("0.521"),
                size: qty("12.5")
            },
        ]
    );
    assert_eq!(
        quote.ask.unwrap().price,
        px("0.521"),
        "the last change's top of book"
    );
}

#[test]
fn pm_price_change_before_a_book_is_dropped_but_quotes_still_flow() {
    let mut decoder = polymarket();
    let out = decode_pm(&mut decoder, PM_PRICE_CHANGE);
    assert!(
        out.events
            .iter()
            .all(|e| matches!(e, MarketEvent::Quote(_)))
    );
    assert_eq!(out.events.len(), 2);
    assert_eq!(decoder.counters().dropped_awaiting_snapshot, 2);
}

#[test]
fn pm_array_frame_holds_several_events() {
    let mut decoder = polymarket();
    let frame = format!("[{PM_BOOK_NAUTILUS}, {PM_PRICE_CHANGE}, {PM_LAST_TRADE}]");
    let out = decode_pm(&mut decoder, &frame);
    let kinds: Vec<_> = out
        .events
        .iter()
        .map(|e| match e {
            MarketEvent::Snapshot(_) => "snapshot",
            MarketEvent::Delta(_) => "delta",
            MarketEvent::Quote(_) => "quote",
            MarketEvent::Trade(_) => "trade",
            MarketEvent::Reset { .. } => "reset",
        })
        .collect();
    // PM_B has no book yet: its change is dropped, its quote kept.
    assert_eq!(kinds, ["snapshot", "delta", "quote", "quote", "trade"]);
    assert_eq!(decoder.counters().messages, 3);
    assert_eq!(decoder.counters().frames, 1);
}

#[test]
fn pm_legacy_price_change_is_mapped_and_counted() {
    let mut decoder = polymarket();
    decode_pm(&mut decoder, &book_for(PM_A));
    let out = decode_pm(&mut decoder, PM_PRICE_CHANGE_LEGACY);
    let [MarketEvent::Delta(delta)] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(delta.header.instrument, pm_id(PM_A));
    assert_eq!(
        delta.changes,
        [BookChange::SetLevel {
            side: BookSide::Ask,
            price: px("0.4"),
            size: qty("3300")
        }]
    );
    assert_eq!(decoder.counters().legacy_messages, 1);
}

#[test]
fn pm_last_trade_price_has_a_deterministic_trade_id() {
    let mut decoder = polymarket();
    let out = decode_pm(&mut decoder, PM_LAST_TRADE);
    let [MarketEvent::Trade(trade)] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(trade.header.instrument, pm_id(PM_C));
    assert_eq!(trade.price, px("0.456"));
    assert_eq!(trade.size, qty("219.217767"));
    assert_eq!(trade.aggressor, Some(Side::Buy));
    assert_eq!(
        trade.header.exchange_time,
        Some(Timestamp::from_unix_nanos(1_750_428_146_322_000_000))
    );
    let id = trade.trade_id.unwrap();
    assert_eq!(id.as_str().len(), 16);
    // Same message, same id (replays and reconnects agree)…
    let again = decode_pm(&mut polymarket(), PM_LAST_TRADE);
    let MarketEvent::Trade(same) = &again.events[0] else {
        panic!()
    };
    assert_eq!(same.trade_id, Some(id));
    // …a different size, a different id.
    let other = decode_pm(
        &mut polymarket(),
        &PM_LAST_TRADE.replace("219.217767", "219.217768"),
    );
    let MarketEvent::Trade(other) = &other.events[0] else {
        panic!()
    };
    assert_ne!(other.trade_id, Some(id));
}

#[test]
fn pm_tick_size_change_is_a_book_epoch() {
    let mut decoder = polymarket();
    decode_pm(&mut decoder, &book_for(PM_C));
    let out = decode_pm(&mut decoder, PM_TICK);
    let [MarketEvent::Reset { header, reason }] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(header.instrument, pm_id(PM_C));
    assert_eq!(*reason, BookResetReason::TickSizeChanged);
    assert_eq!(
        out.notices,
        [
            FeedNotice::TickSize {
                instrument: pm_id(PM_C),
                tick: px("0.001"),
                exchange_time: Some(Timestamp::from_unix_nanos(100_000_000 * 1_000_000_000)),
            },
            FeedNotice::ResnapshotNeeded(vec![pm_id(PM_C)]),
        ]
    );
    // Deltas are void until the next book; quotes still flow.
    let change = format!(
        r#"{{"event_type":"price_change","price_changes":[{{"asset_id":"{PM_C}","price":".481","size":"5","side":"BUY","best_bid":".481","best_ask":".52"}}]}}"#
    );
    let out = decode_pm(&mut decoder, &change);
    assert!(matches!(out.events.as_slice(), [MarketEvent::Quote(_)]));
    decode_pm(&mut decoder, &book_for(PM_C));
    let out = decode_pm(&mut decoder, &change);
    assert!(matches!(out.events[0], MarketEvent::Delta(_)));
}

#[test]
fn pm_best_bid_ask_is_a_quote() {
    let mut map = InstrumentMap::new();
    let asset = "85354956062430465315924116860125388538595433819574542752031640332592237464430";
    map.insert(asset, pm_id(asset));
    let mut decoder = PolymarketDecoder::new(map);
    let out = decode_pm(&mut decoder, PM_BBA);
    let [MarketEvent::Quote(quote)] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(quote.bid.unwrap().price, px("0.73"));
    assert_eq!(quote.ask.unwrap().price, px("0.77"));
    assert_eq!(quote.bid.unwrap().size, None);
}

#[test]
fn pm_market_resolved_halts_both_outcomes() {
    let mut decoder = polymarket();
    decode_pm(&mut decoder, &book_for(PM_WIN));
    let out = decode_pm(&mut decoder, PM_RESOLVED);
    assert_eq!(out.events.len(), 2);
    assert!(out.events.iter().all(|e| matches!(
        e,
        MarketEvent::Reset {
            reason: BookResetReason::TradingHalted,
            ..
        }
    )));
    assert_eq!(
        out.notices,
        [FeedNotice::MarketResolved {
            instruments: vec![pm_id(PM_WIN), pm_id(PM_LOSE)],
            winner: Some(pm_id(PM_WIN)),
        }]
    );
}

#[test]
fn pm_text_frames() {
    let mut decoder = polymarket();
    assert_eq!(decode_pm(&mut decoder, "PONG").notices, [FeedNotice::Pong]);
    assert_eq!(
        decode_pm(&mut decoder, "NO NEW ASSETS\n").notices,
        [FeedNotice::ServerText("NO NEW ASSETS".into())]
    );
    assert_eq!(
        decode_pm(&mut decoder, "INVALID OPERATION").notices,
        [FeedNotice::ServerText("INVALID OPERATION".into())]
    );
    assert_eq!(decoder.counters().text_frames, 3);
    let mut out = WsOutput::default();
    assert!(matches!(
        decoder.decode(b"", now(), &mut out),
        Err(WsError::UnexpectedText(_))
    ));
}

#[test]
fn pm_unknown_types_fields_and_assets_are_counted() {
    let mut decoder = polymarket();
    let out = decode_pm(
        &mut decoder,
        r#"[{"event_type":"brand_new","x":1},{"event_type":"new_market","market":"0x1"}]"#,
    );
    assert!(out.events.is_empty());
    let drifted =
        PM_BOOK_NAUTILUS.replace(r#""event_type""#, r#""extra": {"a":[1,2]}, "event_type""#);
    decode_pm(&mut decoder, &drifted);
    decode_pm(&mut decoder, &book_for("999"));
    let counters = decoder.counters();
    assert_eq!(counters.unknown_message_types, 1);
    assert_eq!(counters.ignored_messages, 1);
    assert_eq!(counters.unknown_fields, 2);
    assert_eq!(counters.unknown_instruments, 1);
}

#[test]
fn pm_schema_drift_renamed_and_retyped_fields() {
    let mut decoder = polymarket();
    // The docs' table names the sides buys/sells; a number timestamp.
    let frame = PM_BOOK_DOCS
        .replace(r#""bids""#, r#""buys""#)
        .replace(r#""asks""#, r#""sells""#)
        .replace(r#""123456789000""#, "123456789000");
    let out = decode_pm(&mut decoder, &frame);
    let MarketEvent::Snapshot(book) = &out.events[0] else {
        panic!()
    };
    assert_eq!(book.bids.len(), 3);
    assert_eq!(book.asks.len(), 3);
    assert!(book.header.exchange_time.is_some());
}

#[test]
fn pm_malformed_messages_are_typed_errors_and_emit_nothing() {
    let cases: &[(&str, ErrorCheck)] = &[
        (r#"{"asset_id":"1"}"#, |e| {
            matches!(
                e,
                WsError::MissingField {
                    field: "event_type",
                    ..
                }
            )
        }),
        (r#"{"event_type":"book","bids":[]}"#, |e| {
            matches!(
                e,
                WsError::MissingField {
                    field: "asset_id",
                    ..
                }
            )
        }),
        (r#"{"event_type":"price_change","market":"0x1"}"#, |e| {
            matches!(
                e,
                WsError::MissingField {
                    field: "price_changes",
                    ..
                }
            )
        }),
        (
            r#"{"event_type":"book","asset_id":"1","bids":[{"price":"abc","size":"1"}]}"#,
            |e| matches!(e, WsError::InvalidValue { field: "price", .. }),
        ),
        (
            r#"{"event_type":"book","asset_id":"1","bids":[{"price":"0.5","size":"-1"}]}"#,
            |e| matches!(e, WsError::InvalidValue { field: "size", .. }),
        ),
        (
            r#"{"event_type":"book","asset_id":"1","bids":[{"price":0.5,"size":"1"}]}"#,
            |e| matches!(e, WsError::Json(_)),
        ),
        (
            r#"{"event_type":"book","asset_id":"1","timestamp":"soon"}"#,
            |e| {
                matches!(
                    e,
                    WsError::InvalidValue {
                        field: "timestamp",
                        ..
                    }
                )
            },
        ),
        (
            r#"{"event_type":"last_trade_price","asset_id":"1","price":".5","size":"1","side":"UP"}"#,
            |e| matches!(e, WsError::InvalidValue { field: "side", .. }),
        ),
        (r#"{"event_type":"book""#, |e| matches!(e, WsError::Json(_))),
        (r#"[1,2]"#, |e| matches!(e, WsError::Json(_))),
        ("\u{0}\u{1}", |_| true),
    ];
    for (frame, expected) in cases {
        let mut decoder = polymarket();
        let mut out = WsOutput::default();
        let error = decoder
            .decode(frame.as_bytes(), now(), &mut out)
            .expect_err(frame);
        assert!(expected(&error), "{frame}: {error:?}");
        assert!(out.events.is_empty(), "{frame}");
    }
}

#[test]
fn pm_a_bad_message_in_an_array_spoils_only_itself() {
    let mut decoder = polymarket();
    let frame = format!(
        r#"[{{"event_type":"book","asset_id":"{PM_A}","bids":[{{"price":"x","size":"1"}}]}}, {PM_BOOK_DOCS}]"#
    );
    let mut out = WsOutput::default();
    assert!(decoder.decode(frame.as_bytes(), now(), &mut out).is_err());
    assert_eq!(out.events.len(), 1);
    assert!(decoder.instruments().awaiting_snapshot(PM_A));
    assert_eq!(decoder.counters().malformed, 1);
}

#[test]
fn pm_connection_reset_voids_books() {
    let mut decoder = polymarket();
    decode_pm(&mut decoder, &book_for(PM_A));
    let mut out = WsOutput::default();
    decoder.connection_reset(now(), &mut out);
    let [MarketEvent::Reset { header, reason }] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(header.instrument, pm_id(PM_A));
    assert_eq!(*reason, BookResetReason::Disconnected);
    assert_eq!(out.notices, [FeedNotice::Status(FeedStatus::Disconnected)]);
    assert!(decoder.instruments().awaiting_snapshot(PM_A));
}

// ------------------------------------------------------------------ Coinbase

#[test]
fn cb_l2_snapshot_sample() {
    let mut decoder = coinbase();
    let out = decode_cb(&mut decoder, CB_SNAPSHOT);
    let [MarketEvent::Snapshot(book)] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(book.header.instrument.as_str(), "BTC-USD.CB");
    assert_eq!(book.header.sequence, Some(0));
    assert_eq!(
        book.header.exchange_time.unwrap().to_string(),
        "2026-04-07T14:30:00.123456000Z"
    );
    assert_eq!(
        levels(&book.bids),
        [(px("68900"), qty("1.5")), (px("68899.5"), qty("0.75"))]
    );
    assert_eq!(
        levels(&book.asks),
        [(px("68901"), qty("0.5")), (px("68901.5"), qty("1.2"))]
    );
}

#[test]
fn cb_l2_update_sample_sets_absolute_levels() {
    let mut decoder = coinbase();
    decode_cb(&mut decoder, CB_SNAPSHOT);
    let out = decode_cb(&mut decoder, CB_UPDATE);
    let [MarketEvent::Delta(delta)] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(delta.header.sequence, Some(1));
    assert_eq!(
        delta.changes,
        [
            BookChange::SetLevel {
                side: BookSide::Bid,
                price: px("68900.00"),
                size: qty("2")
            },
            BookChange::SetLevel {
                side: BookSide::Ask,
                price: px("68901.00"),
                size: Quantity::ZERO
            },
        ]
    );
    assert!(out.notices.is_empty());
}

#[test]
fn cb_sequence_gap_resyncs_until_a_new_snapshot() {
    let mut decoder = coinbase();
    decode_cb(&mut decoder, CB_SNAPSHOT);
    let gapped = CB_UPDATE.replace(r#""sequence_num": 1"#, r#""sequence_num": 5"#);
    let out = decode_cb(&mut decoder, &gapped);
    let [MarketEvent::Reset { header, reason }] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(header.instrument.as_str(), "BTC-USD.CB");
    assert_eq!(*reason, BookResetReason::Resubscribing);
    assert_eq!(
        out.notices,
        [
            FeedNotice::Status(FeedStatus::Gap {
                expected: 1,
                received: 5
            }),
            FeedNotice::Status(FeedStatus::Resynchronising),
            FeedNotice::ResnapshotNeeded(vec![
                InstrumentId::new("BTC-USD.CB").unwrap(),
                InstrumentId::new("ETH-USD.CB").unwrap()
            ]),
        ]
    );
    assert_eq!(decoder.counters().gaps, 1);
    assert_eq!(decoder.counters().dropped_awaiting_snapshot, 2);
    // Further updates are dropped until the snapshot.
    let next = CB_UPDATE.replace(r#""sequence_num": 1"#, r#""sequence_num": 6"#);
    assert!(decode_cb(&mut decoder, &next).events.is_empty());
    let snap = CB_SNAPSHOT.replace(r#""sequence_num": 0"#, r#""sequence_num": 7"#);
    let out = decode_cb(&mut decoder, &snap);
    assert!(matches!(out.events.as_slice(), [MarketEvent::Snapshot(_)]));
    // ETH-USD never had a book on this connection: still awaited.
    assert!(out.notices.is_empty());
    let eth = snap
        .replace("BTC-USD", "ETH-USD")
        .replace(r#""sequence_num": 7"#, r#""sequence_num": 8"#);
    let out = decode_cb(&mut decoder, &eth);
    assert_eq!(out.notices, [FeedNotice::Status(FeedStatus::Live)]);
    let after = CB_UPDATE.replace(r#""sequence_num": 1"#, r#""sequence_num": 9"#);
    assert!(matches!(
        decode_cb(&mut decoder, &after).events.as_slice(),
        [MarketEvent::Delta(_)]
    ));
}

#[test]
fn cb_duplicates_and_old_sequences_are_dropped() {
    let mut decoder = coinbase();
    decode_cb(&mut decoder, CB_SNAPSHOT);
    assert_eq!(decode_cb(&mut decoder, CB_UPDATE).events.len(), 1);
    assert!(decode_cb(&mut decoder, CB_UPDATE).events.is_empty());
    assert!(decode_cb(&mut decoder, CB_SNAPSHOT).events.is_empty());
    assert_eq!(decoder.counters().duplicates, 2);
    assert_eq!(decoder.last_sequence(), Some(1));
}

#[test]
fn cb_sequence_counts_across_channels() {
    let mut decoder = coinbase();
    decode_cb(&mut decoder, CB_SNAPSHOT); // 0
    let hb = CB_HEARTBEAT.replace(r#""sequence_num":0"#, r#""sequence_num":1"#);
    decode_cb(&mut decoder, &hb);
    let update = CB_UPDATE.replace(r#""sequence_num": 1"#, r#""sequence_num": 2"#);
    let out = decode_cb(&mut decoder, &update);
    assert!(matches!(out.events.as_slice(), [MarketEvent::Delta(_)]));
    assert_eq!(decoder.counters().gaps, 0);
}

#[test]
fn cb_connection_reset_forgets_the_sequence_baseline() {
    let mut decoder = coinbase();
    decode_cb(&mut decoder, CB_SNAPSHOT);
    decode_cb(&mut decoder, CB_UPDATE);
    let mut out = WsOutput::default();
    decoder.connection_reset(now(), &mut out);
    assert!(matches!(
        out.events.as_slice(),
        [MarketEvent::Reset {
            reason: BookResetReason::Disconnected,
            ..
        }]
    ));
    assert_eq!(out.notices, [FeedNotice::Status(FeedStatus::Disconnected)]);
    assert_eq!(decoder.last_sequence(), None);
    // The new connection starts again at 0: not a duplicate.
    assert_eq!(decode_cb(&mut decoder, CB_SNAPSHOT).events.len(), 1);
}

#[test]
fn cb_ticker_sample_is_a_quote_with_sizes() {
    let mut decoder = coinbase();
    let out = decode_cb(&mut decoder, CB_TICKER);
    let [MarketEvent::Quote(quote)] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(quote.header.sequence, Some(12));
    assert_eq!(quote.bid.unwrap().price, px("68900"));
    assert_eq!(quote.bid.unwrap().size, Some(qty("1.5")));
    assert_eq!(quote.ask.unwrap().price, px("68901"));
    assert_eq!(quote.ask.unwrap().size, Some(qty("0.5")));
    assert_eq!(decoder.counters().unknown_fields, 0);
}

#[test]
fn cb_market_trades_sample() {
    let mut decoder = coinbase();
    let out = decode_cb(&mut decoder, CB_TRADES);
    let [MarketEvent::Trade(a), MarketEvent::Trade(b)] = out.events.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(a.trade_id.unwrap().as_str(), "995098700");
    assert_eq!(a.price, px("68900.50"));
    assert_eq!(a.size, qty("0.0015"));
    assert_eq!(a.aggressor, Some(Side::Buy));
    assert_eq!(b.aggressor, Some(Side::Sell));
    assert_eq!(
        b.header.exchange_time.unwrap().to_string(),
        "2026-04-07T14:30:02.800000000Z"
    );
    // The snapshot of past trades is not replayed as new prints.
    let snapshot = CB_TRADES.replace(r#""type":"update""#, r#""type":"snapshot""#);
    assert!(decode_cb(&mut coinbase(), &snapshot).events.is_empty());
}

#[test]
fn cb_heartbeats_in_both_published_forms() {
    let mut decoder = coinbase();
    assert_eq!(
        decode_cb(&mut decoder, CB_HEARTBEAT).notices,
        [FeedNotice::Heartbeat { counter: Some(42) }]
    );
    assert_eq!(
        decode_cb(&mut coinbase(), CB_HEARTBEAT_DOCS).notices,
        [FeedNotice::Heartbeat {
            counter: Some(3049)
        }]
    );
}

#[test]
fn cb_subscriptions_error_and_user_channel() {
    let mut decoder = coinbase();
    assert_eq!(
        decode_cb(&mut decoder, CB_SUBSCRIPTIONS).notices,
        [FeedNotice::Subscriptions(vec![
            ("level2".into(), vec!["BTC-USD".into()]),
            (
                "market_trades".into(),
                vec!["BTC-USD".into(), "ETH-USD".into()]
            ),
        ])]
    );
    let out = decode_cb(&mut coinbase(), CB_ERROR);
    assert_eq!(
        out.notices,
        [FeedNotice::VenueError(
            "Failed to subscribe: GIBBERISH-USD is not a valid product".into()
        )]
    );
    let mut decoder = coinbase();
    assert!(decode_cb(&mut decoder, CB_USER).events.is_empty());
    assert_eq!(decoder.counters().unknown_message_types, 1);
}

#[test]
fn cb_schema_drift_is_tolerated_and_counted() {
    let mut decoder = coinbase();
    // Extra envelope and level fields, sequence as text, no client_id.
    let drifted = CB_SNAPSHOT
        .replace(r#""client_id": "", "#, r#""region": "us", "#)
        .replace(r#""sequence_num": 0"#, r#""sequence_num": "0""#)
        .replacen(r#""side": "bid""#, r#""side": "bid", "order_count": 3"#, 1);
    let out = decode_cb(&mut decoder, &drifted);
    assert!(matches!(out.events.as_slice(), [MarketEvent::Snapshot(_)]));
    assert_eq!(decoder.counters().unknown_fields, 2);
    // An unknown channel and an unknown l2 event type.
    let out = decode_cb(
        &mut decoder,
        r#"{"channel":"futures_things","sequence_num":1,"events":[{}]}"#,
    );
    assert!(out.events.is_empty());
    let odd = CB_UPDATE
        .replace(r#""type": "update""#, r#""type": "patch""#)
        .replace(r#""sequence_num": 1"#, r#""sequence_num": 2"#);
    assert!(decode_cb(&mut decoder, &odd).events.is_empty());
    assert_eq!(decoder.counters().unknown_message_types, 2);
}

#[test]
fn cb_malformed_messages_are_typed_errors() {
    let cases: &[(&str, ErrorCheck)] = &[
        ("PONG", |e| matches!(e, WsError::UnexpectedText(_))),
        (r#"{"channel":"l2_data","events":"#, |e| {
            matches!(e, WsError::Json(_))
        }),
        (r#"{"events":[]}"#, |e| {
            matches!(
                e,
                WsError::MissingField {
                    field: "channel",
                    ..
                }
            )
        }),
        (
            r#"{"channel":"l2_data","timestamp":"yesterday","events":[]}"#,
            |e| {
                matches!(
                    e,
                    WsError::InvalidValue {
                        field: "timestamp",
                        ..
                    }
                )
            },
        ),
        (
            r#"{"channel":"l2_data","events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"middle","price_level":"1","new_quantity":"1"}]}]}"#,
            |e| matches!(e, WsError::InvalidValue { field: "side", .. }),
        ),
        (
            r#"{"channel":"l2_data","events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","price_level":"1.2.3","new_quantity":"1"}]}]}"#,
            |e| {
                matches!(
                    e,
                    WsError::InvalidValue {
                        field: "price_level",
                        ..
                    }
                )
            },
        ),
        (
            r#"{"channel":"l2_data","events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","price_level":"1"}]}]}"#,
            |e| {
                matches!(
                    e,
                    WsError::MissingField {
                        field: "new_quantity",
                        ..
                    }
                )
            },
        ),
        (
            r#"{"channel":"market_trades","events":[{"type":"update","trades":[{"product_id":"BTC-USD","price":"1","size":"1","side":"LEFT"}]}]}"#,
            |e| matches!(e, WsError::InvalidValue { field: "side", .. }),
        ),
    ];
    for (frame, expected) in cases {
        let mut decoder = coinbase();
        let mut out = WsOutput::default();
        let error = decoder
            .decode(frame.as_bytes(), now(), &mut out)
            .unwrap_err();
        assert!(expected(&error), "{frame}: {error:?}");
        assert!(out.events.is_empty(), "{frame}");
        assert!(decoder.counters().malformed >= 1, "{frame}");
    }
    // A failed snapshot leaves the book awaiting one.
    let decoder = coinbase();
    assert!(decoder.instruments().awaiting_snapshot("BTC-USD"));
}

// -------------------------------------------------------------- never panic

fn samples() -> Vec<&'static str> {
    vec![
        PM_BOOK_DOCS,
        PM_PRICE_CHANGE,
        PM_PRICE_CHANGE_LEGACY,
        PM_LAST_TRADE,
        PM_TICK,
        PM_BBA,
        PM_RESOLVED,
        CB_SNAPSHOT,
        CB_UPDATE,
        CB_TICKER,
        CB_TRADES,
        CB_HEARTBEAT_DOCS,
        CB_SUBSCRIPTIONS,
    ]
}

fn feed_both(frame: &[u8]) {
    let mut out = WsOutput::default();
    let mut pm = polymarket();
    let mut cb = coinbase();
    let _ = pm.decode(frame, now(), &mut out);
    let _ = cb.decode(frame, now(), &mut out);
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        feed_both(&bytes);
    }

    #[test]
    fn mutated_samples_never_panic(
        which in 0usize..13,
        cut in 0usize..2000,
        flips in proptest::collection::vec((0usize..2000, any::<u8>()), 0..6),
    ) {
        let mut frame = samples()[which].as_bytes().to_vec();
        for (at, byte) in flips {
            let len = frame.len();
            frame[at % len] = byte;
        }
        feed_both(&frame);
        frame.truncate(cut % (frame.len() + 1));
        feed_both(&frame);
    }
}
