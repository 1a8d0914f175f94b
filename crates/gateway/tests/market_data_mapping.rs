//! Market data messages (`gateway::fix::market_data`): MarketDataRequests
//! encoded in FIX 4.2, FIX 4.4 and cTrader's dialect and validated against
//! the shipped dictionaries; cTrader's published W, X and Y samples and
//! generic FIX price-level refreshes with trades decoded into market
//! events; malformed input mapped to typed errors and Reject data; and a
//! request and its answer through a pair of real sessions.

#![allow(clippy::unwrap_used, reason = "test code")]

mod mapping;

use std::num::NonZeroU32;

use gateway::fix::codec::{
    DecoderConfig, Encoder, Header, SessionRejectReason, Tag, TimestampPrecision,
};
use gateway::fix::dict::ShippedDictionary;
use gateway::fix::market_data::{
    MarketDataDecoder, MarketDataError, MarketDataMessage, MarketDataReject, MarketDataRequest,
    MarketDepth, MdReqRejReason, RequestError, SubscriptionAction, UnsupportedRequest,
    encode_request, send_request,
};
use gateway::fix::orders::{FieldProblem, OrderDialect, RejectReply};
use gateway::fix::session::{AppMessage, Role, Session, SessionConfig, SessionId};
use gateway::fix::store::MemStore;
use gateway::fixtures::{pipes, soh, wire};
use mapping::*;
use model::{
    BookChange, BookDelta, BookEntry, BookSide, BookSnapshot, EntryId, Instrument, InstrumentId,
    InstrumentTable, MarketEvent, MarketHeader, Quantity, Quote, QuoteSide, RequestId, Timestamp,
    Trade,
};
use proptest::prelude::*;

/// 2017-01-17T11:13:44.600Z: a receive time after cTrader's depth samples.
const NOW: Timestamp = Timestamp::from_unix_nanos(1_484_651_624_600_000_000);

/// Header fields and CheckSum, left out when comparing bodies.
const BODY_HEADER: &[Tag] = &[8, 9, 35, 34, 49, 50, 52, 56, 57, 10];
fn entry_id(text: &str) -> EntryId {
    EntryId::new(text).unwrap()
}

fn instrument_id(text: &str) -> InstrumentId {
    InstrumentId::new(text).unwrap()
}
fn instrument(id: &str, venue_symbol: &str) -> Instrument {
    Instrument {
        id: instrument_id(id),
        venue_symbol: symbol(venue_symbol),
        tick_size: px("0.00001"),
        lot_size: qty("0.01"),
        min_quantity: qty("0.01"),
        max_quantity: None,
        min_notional: None,
        price_digits: 5,
        allows_non_positive_prices: false,
    }
}

/// cTrader's numeric ids 1 and 2, and a generic venue's names.
fn instruments() -> InstrumentTable {
    let mut table = InstrumentTable::new();
    for (id, venue_symbol) in [
        ("EURUSD.CTRADER", "1"),
        ("GBPUSD.CTRADER", "2"),
        ("EURUSD.FIX", "EUR/USD"),
        ("GBPUSD.FIX", "GBP/USD"),
    ] {
        table.insert(instrument(id, venue_symbol)).unwrap();
    }
    table
}

fn header(instrument: &str, exchange_time: &str) -> MarketHeader {
    MarketHeader {
        instrument: instrument_id(instrument),
        sequence: None,
        exchange_time: Some(at(exchange_time)),
        receive_time: NOW,
    }
}
// ---- Encoding ---------------------------------------------------------------

fn request(depth: MarketDepth, trades: bool, symbols: &[&str]) -> MarketDataRequest {
    MarketDataRequest {
        request_id: RequestId::new("876316403").unwrap(),
        action: SubscriptionAction::Subscribe,
        depth,
        trades,
        symbols: symbols.iter().map(|text| symbol(text)).collect(),
    }
}

/// The whole message `request` becomes, as a session with millisecond
/// timestamps would send it.
fn encode(
    request: &MarketDataRequest,
    dialect: &OrderDialect,
) -> Result<Vec<u8>, UnsupportedRequest> {
    let encoded = encode_request(request, dialect)?;
    let encoder = Encoder::new(dialect.version().begin_string().as_bytes())
        .with_timestamp_precision(TimestampPrecision::Millis);
    let header = Header {
        sender_comp_id: b"EMP",
        target_comp_id: b"VENUE",
        msg_seq_num: 3,
        sending_time: NOW,
        poss_dup: false,
        orig_sending_time: None,
        extra: &[],
    };
    let mut out = Vec::new();
    let mut body = encoder.begin(&mut out, encoded.msg_type(), &header);
    encoded.write_body(&mut body);
    body.finish().unwrap();
    Ok(out)
}

fn depths() -> [MarketDepth; 4] {
    [
        MarketDepth::Spot,
        MarketDepth::FullBook,
        MarketDepth::Levels(NonZeroU32::MIN),
        MarketDepth::Levels(NonZeroU32::new(10).unwrap()),
    ]
}

#[test]
fn every_request_validates_against_each_dictionary() {
    let mut validated = 0;
    for dialect in [
        OrderDialect::fix42(),
        OrderDialect::fix44(),
        OrderDialect::ctrader(),
    ] {
        for action in [
            SubscriptionAction::Subscribe,
            SubscriptionAction::Unsubscribe,
        ] {
            for depth in depths() {
                for trades in [false, true] {
                    for symbols in [&["1"][..], &["1", "2", "39"]] {
                        let mut request = request(depth, trades, symbols);
                        request.action = action;
                        match encode(&request, &dialect) {
                            Ok(message) => {
                                validate(dialect.dictionary(), &message);
                                validated += 1;
                            }
                            Err(UnsupportedRequest::Depth { depth: refused, .. }) => {
                                assert!(dialect.is_ctrader());
                                assert_eq!(Some(refused), Some(depth.code()));
                                assert!(matches!(depth, MarketDepth::Levels(_)));
                            }
                            Err(UnsupportedRequest::NoTrades { .. }) => {
                                assert!(dialect.is_ctrader() && trades);
                            }
                            Err(error) => panic!("{dialect}: {request:?}: {error}"),
                        }
                    }
                }
            }
        }
    }
    // FIX 4.2 and 4.4: 2 × 4 × 2 × 2 each; cTrader: 2 × 2 × 1 × 2.
    assert_eq!(validated, 32 + 32 + 8);
}

#[test]
fn request_fields_by_depth_action_and_trades() {
    let mut request = request(
        MarketDepth::Levels(NonZeroU32::new(5).unwrap()),
        true,
        &["EUR/USD", "GBP/USD"],
    );
    request.request_id = RequestId::new("md-7").unwrap();
    let message = encode(&request, &OrderDialect::fix44()).unwrap();
    assert_eq!(
        body_fields(&message, BODY_HEADER),
        [
            "262=md-7",
            "263=1",
            "264=5",
            "265=1",
            "146=2",
            "55=EUR/USD",
            "55=GBP/USD",
            "267=3",
            "269=0",
            "269=1",
            "269=2"
        ]
    );
    request.action = SubscriptionAction::Unsubscribe;
    request.depth = MarketDepth::FullBook;
    request.trades = false;
    request.symbols.truncate(1);
    let message = encode(&request, &OrderDialect::fix42()).unwrap();
    assert_eq!(
        body_fields(&message, BODY_HEADER),
        [
            "262=md-7",
            "263=2",
            "264=0",
            "265=1",
            "146=1",
            "55=EUR/USD",
            "267=2",
            "269=0",
            "269=1"
        ]
    );
    assert!(pipes(&message).starts_with("8=FIX.4.2|"));
}

// cTrader's published samples (venues.md §C.5), 9= and 10= recomputed there.
const CTRADER_SPOT_REQUEST: &str = "8=FIX.4.4|9=136|35=V|49=live.theBroker.12345|56=CSERVER|34=3|52=20170117-10:26:54|50=QUOTE|262=876316403|263=1|264=1|265=1|146=1|55=1|267=2|269=0|269=1|10=065|";
const CTRADER_SPOT_REFRESH: &str = "8=FIX.4.4|9=139|35=W|34=2|49=CSERVER|50=QUOTE|52=20170117-10:26:54.630|56=live.theBroker.12345|57=any_string|55=1|268=2|269=0|270=1.06625|269=1|270=1.0663|10=089|";
const CTRADER_DEPTH_REQUEST: &str = "8=FIX.4.4|9=136|35=V|49=live.theBroker.12345|56=CSERVER|34=2|52=20170117-11:13:44|50=QUOTE|262=876316411|263=1|264=0|265=1|146=1|55=1|267=2|269=0|269=1|10=058|";
const CTRADER_DEPTH_REFRESH: &str = "8=FIX.4.4|9=320|35=W|34=2|49=CSERVER|50=QUOTE|52=20180925-12:05:28.284|56=live.theBroker.12345|57=Quote|55=1|268=6|269=1|270=1.11132|271=3000000|278=16|269=1|270=1.11134|271=5000000|278=17|269=1|270=1.11133|271=3000000|278=15|269=0|270=1.1112|271=2000000|278=12|269=0|270=1.11121|271=1000000|278=13|269=0|270=1.11122|271=3000000|278=14|10=175|";
const CTRADER_INCREMENTAL_1: &str = "8=FIX.4.4|9=698|35=X|34=2|49=CSERVER|50=QUOTE|52=20170117-11:13:44.461|56=live.theBroker.12345|57=any_string|268=12|279=0|269=1|278=7475|55=1|270=1.0691|271=2000000|279=0|269=1|278=7476|55=1|270=1.06911|271=3000000|279=0|269=1|278=7484|55=1|270=1.06931|271=34579000|279=0|269=1|278=7485|55=1|270=1.06908|271=1000000|279=0|269=1|278=7483|55=1|270=1.06906|271=500000|279=0|269=1|278=7482|55=1|270=1.06907|271=500000|279=0|269=1|278=7488|55=1|270=1.06909|271=3000000|279=0|269=0|278=7468|55=1|270=1.06898|271=500000|279=0|269=0|278=7467|55=1|270=1.06874|271=32371000|279=0|269=0|278=7457|55=1|270=1.06899|271=1000000|279=0|269=0|278=7478|55=1|270=1.06896|271=7000000|279=0|269=0|278=7477|55=1|270=1.06897|271=1500000|10=082|";
const CTRADER_INCREMENTAL_2: &str = "8=FIX.4.4|9=381|35=X|34=3|49=CSERVER|50=QUOTE|52=20170117-11:13:44.555|56=live.theBroker.12345|57=any_string|268=8|279=0|269=0|278=7491|55=1|270=1.06897|271=1000000|279=0|269=0|278=7490|55=1|270=1.06898|271=1000000|279=0|269=0|278=7489|55=1|270=1.06874|271=32373000|279=0|269=1|278=7496|55=1|270=1.06931|271=34580000|279=2|278=7477|55=1|279=2|278=7468|55=1|279=2|278=7467|55=1|279=2|278=7484|55=1|10=154|";
const CTRADER_BAD_SYMBOL_REQUEST: &str = "8=FIX.4.4|9=158|35=V|34=2|49=live.theBroker.12345|50=Quote|52=20170920-09:52:13.032|56=CSERVER|57=QUOTE|262=CS8260:sXlXex|263=1|264=0|265=1|146=1|55=CS8260|267=2|269=0|269=1|10=045|";
const CTRADER_REJECT_SYMBOL: &str = "8=FIX.4.4|9=174|35=Y|34=2|49=CSERVER|50=QUOTE|52=20170920-09:52:13.036|56=live.theBroker.12345|57=Quote|58=INVALID_REQUEST: Expected numeric symbolId, but got CS8260|262=CS8260:sXlXex|281=0|10=152|";
const CTRADER_REJECT_DEPTH: &str = "8=FIX.4.4|9=167|35=Y|34=6|49=CSERVER|50=QUOTE|52=20170920-09:52:13.201|56=live.theBroker.12345|57=Quote|58=INVALID_REQUEST: MarketDepth should be either 0 or 1|262=EwOhiWvMdCpc|281=5|10=004|";

#[test]
fn ctrader_samples_are_valid_under_its_dictionary() {
    for sample in [
        CTRADER_SPOT_REQUEST,
        CTRADER_SPOT_REFRESH,
        CTRADER_DEPTH_REQUEST,
        CTRADER_DEPTH_REFRESH,
        CTRADER_INCREMENTAL_1,
        CTRADER_INCREMENTAL_2,
        CTRADER_BAD_SYMBOL_REQUEST,
        CTRADER_REJECT_SYMBOL,
        CTRADER_REJECT_DEPTH,
    ] {
        // Their 9= and 10= are checked by the decoder, as published.
        validate(ShippedDictionary::CTraderFix44, &soh(sample));
    }
}

#[test]
fn ctrader_requests_match_the_published_samples() {
    let dialect = OrderDialect::ctrader();
    let spot = request(MarketDepth::Spot, false, &["1"]);
    let message = encode(&spot, &dialect).unwrap();
    validate(ShippedDictionary::CTraderFix44, &message);
    assert_eq!(
        body_fields(&message, BODY_HEADER),
        body_fields(&soh(CTRADER_SPOT_REQUEST), BODY_HEADER)
    );

    let mut depth = request(MarketDepth::FullBook, false, &["1"]);
    depth.request_id = RequestId::new("876316411").unwrap();
    let message = encode(&depth, &dialect).unwrap();
    assert_eq!(
        body_fields(&message, BODY_HEADER),
        body_fields(&soh(CTRADER_DEPTH_REQUEST), BODY_HEADER)
    );
}

#[test]
fn ctrader_refuses_requests_it_would_reject() {
    let dialect = OrderDialect::ctrader();
    // cTrader answers these with 35=Y 281=0 and 281=5 (see the samples).
    let error = encode_request(
        &request(MarketDepth::FullBook, false, &["CS8260"]),
        &dialect,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cTrader FIX 4.4 expects a numeric symbol id in Symbol (55), not \"CS8260\""
    );
    let error = encode_request(
        &request(
            MarketDepth::Levels(NonZeroU32::new(5).unwrap()),
            false,
            &["1"],
        ),
        &dialect,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cTrader FIX 4.4 accepts MarketDepth (264) 0 (full book) or 1 (spot) only, not 5"
    );
    assert!(matches!(
        encode_request(&request(MarketDepth::Spot, true, &["1"]), &dialect),
        Err(UnsupportedRequest::NoTrades { .. })
    ));
    // The same requests are fine in standard FIX.
    for depth in depths() {
        let generic = request(depth, true, &["CS8260"]);
        encode_request(&generic, &OrderDialect::fix44()).unwrap();
    }
    // No dialect sends a request without symbols.
    for dialect in [OrderDialect::fix42(), OrderDialect::fix44(), dialect] {
        assert_eq!(
            encode_request(&request(MarketDepth::Spot, false, &[]), &dialect).unwrap_err(),
            UnsupportedRequest::NoSymbols
        );
    }
}

// ---- Decoding: cTrader samples ----------------------------------------------

fn decode_bytes(
    bytes: &[u8],
    dialect: &OrderDialect,
) -> Result<Option<MarketDataMessage>, MarketDataError> {
    let mut decoder = MarketDataDecoder::new(dialect.clone(), DecoderConfig::default());
    decoder.decode(
        &AppMessage {
            seq: 1,
            poss_dup: false,
            bytes: bytes.to_vec(),
        },
        &instruments(),
        NOW,
    )
}

/// Decodes a literal sample (its 9 and 10 as published) in cTrader's dialect.
fn ctrader(text: &str) -> Result<Option<MarketDataMessage>, MarketDataError> {
    decode_bytes(&soh(text), &OrderDialect::ctrader())
}

fn events(decoded: Result<Option<MarketDataMessage>, MarketDataError>) -> Vec<MarketEvent> {
    match decoded {
        Ok(Some(MarketDataMessage::Events(events))) => events,
        other => panic!("not events: {other:?}"),
    }
}

fn reject(decoded: Result<Option<MarketDataMessage>, MarketDataError>) -> MarketDataReject {
    match decoded {
        Ok(Some(MarketDataMessage::Reject(reject))) => reject,
        other => panic!("not a reject: {other:?}"),
    }
}

fn delta(event: &MarketEvent) -> &BookDelta {
    match event {
        MarketEvent::Delta(delta) => delta,
        other => panic!("not a delta: {other:?}"),
    }
}

#[test]
fn ctrader_spot_refresh_is_a_quote_without_sizes() {
    assert_eq!(
        events(ctrader(CTRADER_SPOT_REFRESH)),
        [MarketEvent::Quote(Quote {
            header: header("EURUSD.CTRADER", "20170117-10:26:54.630"),
            bid: Some(QuoteSide {
                price: px("1.06625"),
                size: None,
            }),
            ask: Some(QuoteSide {
                price: px("1.0663"),
                size: None,
            }),
        })]
    );
}

#[test]
fn ctrader_depth_refresh_is_a_snapshot_with_entry_ids() {
    let entry = |price: &str, size: &str, id: &str| BookEntry {
        price: px(price),
        size: qty(size),
        entry_id: Some(entry_id(id)),
    };
    assert_eq!(
        events(ctrader(CTRADER_DEPTH_REFRESH)),
        [MarketEvent::Snapshot(BookSnapshot {
            header: header("EURUSD.CTRADER", "20180925-12:05:28.284"),
            // In the venue's order, not sorted.
            bids: vec![
                entry("1.1112", "2000000", "12"),
                entry("1.11121", "1000000", "13"),
                entry("1.11122", "3000000", "14"),
            ],
            asks: vec![
                entry("1.11132", "3000000", "16"),
                entry("1.11134", "5000000", "17"),
                entry("1.11133", "3000000", "15"),
            ],
        })]
    );
}

#[test]
fn ctrader_incremental_refreshes_add_and_delete_entries_in_order() {
    let add = |side, id: &str, price: &str, size: &str| BookChange::AddEntry {
        side,
        entry_id: entry_id(id),
        price: px(price),
        size: qty(size),
    };
    let delete = |id: &str| BookChange::DeleteEntry {
        entry_id: entry_id(id),
    };
    let first = events(ctrader(CTRADER_INCREMENTAL_1));
    assert_eq!(first.len(), 1);
    let first = delta(&first[0]);
    assert_eq!(
        first.header,
        header("EURUSD.CTRADER", "20170117-11:13:44.461")
    );
    assert_eq!(first.changes.len(), 12);
    let ids: Vec<&str> = first
        .changes
        .iter()
        .map(|change| match change {
            BookChange::AddEntry { entry_id, .. } => entry_id.as_str(),
            other => panic!("not an add: {other:?}"),
        })
        .collect();
    assert_eq!(
        ids,
        [
            "7475", "7476", "7484", "7485", "7483", "7482", "7488", "7468", "7467", "7457", "7478",
            "7477"
        ]
    );
    assert_eq!(
        first.changes[0],
        add(BookSide::Ask, "7475", "1.0691", "2000000")
    );
    assert_eq!(
        first.changes[11],
        add(BookSide::Bid, "7477", "1.06897", "1500000")
    );

    let second = events(ctrader(CTRADER_INCREMENTAL_2));
    assert_eq!(
        second,
        [MarketEvent::Delta(BookDelta {
            header: header("EURUSD.CTRADER", "20170117-11:13:44.555"),
            changes: vec![
                // 7491 joins 7477 at 1.06897 …
                add(BookSide::Bid, "7491", "1.06897", "1000000"),
                add(BookSide::Bid, "7490", "1.06898", "1000000"),
                add(BookSide::Bid, "7489", "1.06874", "32373000"),
                add(BookSide::Ask, "7496", "1.06931", "34580000"),
                // … and 7477 leaves in the same message, after it.
                delete("7477"),
                delete("7468"),
                delete("7467"),
                delete("7484"),
            ],
        })]
    );
}

#[test]
fn ctrader_request_rejects_are_typed() {
    let symbol = reject(ctrader(CTRADER_REJECT_SYMBOL));
    assert_eq!(
        symbol,
        MarketDataReject {
            request_id: RequestId::new("CS8260:sXlXex").unwrap(),
            reason: Some(MdReqRejReason::UnknownSymbol),
            text: Some("INVALID_REQUEST: Expected numeric symbolId, but got CS8260".to_owned()),
        }
    );
    assert_eq!(symbol.reason.unwrap().code(), '0');
    assert_eq!(symbol.reason.unwrap().meaning(), "unknown symbol");
    let depth = reject(ctrader(CTRADER_REJECT_DEPTH));
    assert_eq!(depth.request_id.as_str(), "EwOhiWvMdCpc");
    assert_eq!(depth.reason, Some(MdReqRejReason::UnsupportedMarketDepth));
    assert_eq!(depth.reason.unwrap().code(), '5');
    assert_eq!(depth.reason.unwrap().meaning(), "unsupported MarketDepth");
    assert_eq!(
        depth.text.as_deref(),
        Some("INVALID_REQUEST: MarketDepth should be either 0 or 1")
    );
}

// ---- Decoding: generic FIX price levels and trades ----------------------------

/// A W, X or Y from a generic venue: `fields` starts with its `35=`.
fn generic(begin: &str, fields: &str) -> Result<Option<MarketDataMessage>, MarketDataError> {
    let (msg_type, body) = fields.split_once('|').unwrap();
    let text = format!("8={begin}|{msg_type}|34=2|49=V|52=20170117-11:13:44.500|56=E|{body}");
    decode_bytes(
        &wire(&text),
        &OrderDialect::for_begin_string(begin).unwrap(),
    )
}

#[test]
fn generic_price_level_refreshes_with_trades() {
    for begin in ["FIX.4.2", "FIX.4.4"] {
        // A W with sizes and no MDEntryIDs, a trade with its own time.
        let snapshot = events(generic(
            begin,
            "35=W|262=md-1|55=EUR/USD|268=5|269=0|270=1.0689|271=1.5|269=0|270=1.0688|271=3|\
             269=1|270=1.0691|271=2|269=2|270=1.069|271=0.25|272=20170117|273=11:13:44.123|\
             269=4|270=1.0601|",
        ));
        let level = |price: &str, size: &str| BookEntry {
            price: px(price),
            size: qty(size),
            entry_id: None,
        };
        assert_eq!(
            snapshot,
            [
                MarketEvent::Snapshot(BookSnapshot {
                    header: header("EURUSD.FIX", "20170117-11:13:44.500"),
                    bids: vec![level("1.0689", "1.5"), level("1.0688", "3")],
                    asks: vec![level("1.0691", "2")],
                }),
                MarketEvent::Trade(Trade {
                    header: header("EURUSD.FIX", "20170117-11:13:44.123"),
                    price: px("1.069"),
                    size: qty("0.25"),
                    aggressor: None,
                    trade_id: None,
                }),
            ],
            "{begin}"
        );

        // An X by price level: new, change, delete (size 0), and a trade.
        let update = events(generic(
            begin,
            "35=X|268=4|279=0|269=0|55=EUR/USD|270=1.0687|271=4|279=1|269=1|55=EUR/USD|\
             270=1.0691|271=2.5|279=2|269=0|55=EUR/USD|270=1.0688|279=0|269=2|55=EUR/USD|\
             270=1.0691|271=0.5|",
        ));
        assert_eq!(
            update,
            [
                MarketEvent::Delta(BookDelta {
                    header: header("EURUSD.FIX", "20170117-11:13:44.500"),
                    changes: vec![
                        BookChange::SetLevel {
                            side: BookSide::Bid,
                            price: px("1.0687"),
                            size: qty("4"),
                        },
                        BookChange::SetLevel {
                            side: BookSide::Ask,
                            price: px("1.0691"),
                            size: qty("2.5"),
                        },
                        BookChange::SetLevel {
                            side: BookSide::Bid,
                            price: px("1.0688"),
                            size: Quantity::ZERO,
                        },
                    ],
                }),
                MarketEvent::Trade(Trade {
                    header: header("EURUSD.FIX", "20170117-11:13:44.500"),
                    price: px("1.0691"),
                    size: qty("0.5"),
                    aggressor: None,
                    trade_id: None,
                }),
            ],
            "{begin}"
        );
    }
}

#[test]
fn entry_changes_by_id_and_trade_only_refreshes() {
    let update = events(generic(
        "FIX.4.4",
        "35=X|268=3|279=1|269=1|278=q-9|55=EUR/USD|270=1.0692|271=7|\
         279=1|269=2|278=t-1|55=EUR/USD|270=1.0691|271=1|279=2|269=1|278=q-9|55=EUR/USD|",
    ));
    assert_eq!(
        delta(&update[0]).changes,
        [
            BookChange::ChangeEntry {
                side: BookSide::Ask,
                entry_id: entry_id("q-9"),
                price: px("1.0692"),
                size: qty("7"),
            },
            // The trade correction (279=1, 269=2) has no event.
            BookChange::DeleteEntry {
                entry_id: entry_id("q-9"),
            },
        ]
    );
    assert_eq!(update.len(), 1);
    // A W of trades only says nothing about the book.
    let trades = events(generic(
        "FIX.4.4",
        "35=W|55=GBP/USD|268=1|269=2|270=1.2201|271=3|",
    ));
    assert!(matches!(trades.as_slice(), [MarketEvent::Trade(_)]));
    // An empty W is an empty book; an empty X, nothing.
    let empty = events(generic("FIX.4.4", "35=W|55=GBP/USD|268=0|"));
    assert!(
        matches!(empty.as_slice(), [MarketEvent::Snapshot(book)] if book.bids.is_empty() && book.asks.is_empty())
    );
    assert_eq!(events(generic("FIX.4.4", "35=X|268=0|")), []);
}

#[test]
fn incremental_refresh_groups_entries_by_symbol() {
    let update = events(generic(
        "FIX.4.4",
        "35=X|268=5|279=0|269=0|55=EUR/USD|270=1.0687|271=4|\
         279=0|269=1|55=GBP/USD|270=1.2203|271=1|\
         279=0|269=2|55=GBP/USD|270=1.2202|271=2|\
         279=2|269=0|55=EUR/USD|270=1.0686|\
         279=1|269=0|55=GBP/USD|270=1.2199|271=6|",
    ));
    let instruments: Vec<&str> = update
        .iter()
        .map(|event| event.instrument().as_str())
        .collect();
    assert_eq!(instruments, ["EURUSD.FIX", "GBPUSD.FIX", "GBPUSD.FIX"]);
    let eur = delta(&update[0]);
    assert_eq!(
        eur.changes,
        [
            BookChange::SetLevel {
                side: BookSide::Bid,
                price: px("1.0687"),
                size: qty("4"),
            },
            BookChange::SetLevel {
                side: BookSide::Bid,
                price: px("1.0686"),
                size: Quantity::ZERO,
            },
        ]
    );
    let gbp = delta(&update[1]);
    assert_eq!(
        gbp.changes,
        [
            BookChange::SetLevel {
                side: BookSide::Ask,
                price: px("1.2203"),
                size: qty("1"),
            },
            BookChange::SetLevel {
                side: BookSide::Bid,
                price: px("1.2199"),
                size: qty("6"),
            },
        ]
    );
    assert!(matches!(&update[2], MarketEvent::Trade(trade) if trade.price == px("1.2202")));
}

#[test]
fn exchange_time_from_entry_date_and_time_else_sending_time() {
    let time_of = |fields: &str| {
        let update = events(generic("FIX.4.4", fields));
        update[0].header().exchange_time.unwrap()
    };
    // 272 and 273.
    assert_eq!(
        time_of("35=X|268=1|279=0|269=0|55=EUR/USD|270=1|271=1|272=20170116|273=23:59:59.9|"),
        at("20170116-23:59:59.900")
    );
    // 273 alone: on SendingTime's date (2017-01-17, 11:13:44.500) …
    assert_eq!(
        time_of("35=X|268=1|279=0|269=0|55=EUR/USD|270=1|271=1|273=11:13:44.001|"),
        at("20170117-11:13:44.001")
    );
    // … or the day before when it would be half a day after it.
    assert_eq!(
        time_of("35=X|268=1|279=0|269=0|55=EUR/USD|270=1|271=1|273=23:59:59.999|"),
        at("20170116-23:59:59.999")
    );
    // The latest of an event's entries; entries without 273 do not count.
    assert_eq!(
        time_of(
            "35=W|55=EUR/USD|268=3|269=0|270=1|271=1|273=11:13:43|\
             269=1|270=2|271=1|273=11:13:44.25|269=1|270=3|271=1|"
        ),
        at("20170117-11:13:44.250")
    );
    // 272 without 273 is not a time: SendingTime.
    assert_eq!(
        time_of("35=X|268=1|279=0|269=0|55=EUR/USD|270=1|271=1|272=20170101|"),
        at("20170117-11:13:44.500")
    );
    let update = events(generic(
        "FIX.4.4",
        "35=X|268=1|279=0|269=0|55=EUR/USD|270=1|271=1|",
    ));
    assert_eq!(update[0].header().sequence, None);
    assert_eq!(update[0].header().receive_time, NOW);
}

#[test]
fn other_messages_are_not_market_data() {
    for text in [
        "8=FIX.4.4|35=0|34=2|49=V|52=20170117-10:02:14|56=E|",
        "8=FIX.4.4|35=8|34=2|49=V|52=20170117-10:02:14|56=E|17=E|150=0|39=0|",
        "8=FIX.4.4|35=V|34=2|49=V|52=20170117-10:02:14|56=E|262=X|",
    ] {
        assert_eq!(
            decode_bytes(&wire(text), &OrderDialect::fix44()).unwrap(),
            None,
            "{text}"
        );
    }
}

// ---- Errors -----------------------------------------------------------------

/// The (373, 371) a malformed message is rejected with.
fn reason_tag(begin: &str, fields: &str) -> (SessionRejectReason, Tag) {
    let (reason, tag, _) = session_reject(begin, fields);
    (reason, tag)
}

/// The (373, 371, 58) a malformed message is rejected with.
fn session_reject(begin: &str, fields: &str) -> (SessionRejectReason, Tag, String) {
    let error = generic(begin, fields).unwrap_err();
    match error.reply() {
        Some(RejectReply::Session {
            reason,
            ref_tag_id,
            text,
        }) => (reason, ref_tag_id, text),
        other => panic!("{error}: {other:?}"),
    }
}

#[test]
fn unknown_symbols_are_typed_errors_with_reject_data() {
    let error = generic("FIX.4.4", "35=W|55=USD/JPY|268=1|269=0|270=1|271=1|").unwrap_err();
    assert_eq!(
        error,
        MarketDataError::UnknownSymbol {
            msg_type: "W",
            symbol: symbol("USD/JPY"),
        }
    );
    assert_eq!(
        error.reply(),
        Some(RejectReply::Session {
            reason: SessionRejectReason::ValueIsIncorrect,
            ref_tag_id: 55,
            text: "MarketDataSnapshotFullRefresh (35=W): Symbol (55) \"USD/JPY\" is not a known instrument".to_owned(),
        })
    );
    // Any entry of an X: no half-applied update.
    let (reason, tag, text) = session_reject(
        "FIX.4.4",
        "35=X|268=2|279=0|269=0|55=EUR/USD|270=1|271=1|279=0|269=0|55=USD/JPY|270=1|271=1|",
    );
    assert_eq!((reason, tag), (SessionRejectReason::ValueIsIncorrect, 55));
    assert!(
        text.contains("MarketDataIncrementalRefresh (35=X)"),
        "{text}"
    );
    // A cTrader symbol the table lacks.
    let unknown = CTRADER_SPOT_REFRESH.replace("|55=1|", "|55=3|");
    assert!(matches!(
        decode_bytes(&wire(&unknown), &OrderDialect::ctrader()),
        Err(MarketDataError::UnknownSymbol { .. })
    ));
}

#[test]
fn malformed_fields_are_typed_errors_with_reject_data() {
    use SessionRejectReason as R;
    let (reason, tag, text) = session_reject(
        "FIX.4.4",
        "35=X|268=1|279=0|269=0|55=EUR/USD|270=1.0.1|271=1|",
    );
    assert_eq!((reason, tag), (R::IncorrectDataFormat, 270));
    assert_eq!(
        text,
        "MarketDataIncrementalRefresh (35=X): MDEntryPx (270) value \"1.0.1\" is not a decimal number"
    );
    let (reason, tag, text) =
        session_reject("FIX.4.4", "35=X|268=1|279=0|269=0|55=EUR/USD|270=1|271=-5|");
    assert_eq!((reason, tag), (R::ValueIsIncorrect, 271));
    assert!(text.contains("negative"), "{text}");
    assert_eq!(
        session_reject("FIX.4.4", "35=X|268=1|279=0|269=0|55=EUR/USD|270=|271=1|").0,
        R::TagSpecifiedWithoutValue
    );
    // Beyond the nine fractional digits of a Price.
    assert_eq!(
        reason_tag(
            "FIX.4.4",
            "35=X|268=1|279=0|269=0|55=EUR/USD|270=0.0000000001|271=1|"
        ),
        (R::ValueIsIncorrect, 270)
    );
    assert_eq!(
        reason_tag("FIX.4.4", "35=X|268=1|279=7|269=0|55=EUR/USD|270=1|271=1|"),
        (R::ValueIsIncorrect, 279)
    );
    assert_eq!(
        reason_tag("FIX.4.2", "35=W|55=EUR/USD|268=1|269=A|270=1|271=1|"),
        (R::ValueIsIncorrect, 269)
    );
    assert_eq!(
        reason_tag("FIX.4.4", "35=W|55=EUR/USD|268=1|269=00|270=1|271=1|"),
        (R::IncorrectDataFormat, 269)
    );
    assert_eq!(
        reason_tag(
            "FIX.4.4",
            "35=X|268=1|279=0|269=0|55=EUR/USD|270=1|271=1|273=25:00:00|"
        ),
        (R::IncorrectDataFormat, 273)
    );
    assert_eq!(
        reason_tag(
            "FIX.4.4",
            "35=X|268=1|279=0|269=0|55=EUR/USD|270=1|271=1|272=20170230|273=10:00:00|"
        ),
        (R::IncorrectDataFormat, 272)
    );
    // A real date a timestamp cannot hold.
    assert_eq!(
        reason_tag(
            "FIX.4.4",
            "35=X|268=1|279=0|269=0|55=EUR/USD|270=1|271=1|272=19691231|273=10:00:00|"
        ),
        (R::ValueIsIncorrect, 272)
    );
    // NumInGroup disagrees with the entries.
    let (reason, tag, text) = session_reject(
        "FIX.4.4",
        "35=X|268=3|279=0|269=0|55=EUR/USD|270=1|271=1|279=2|278=7|55=EUR/USD|",
    );
    assert_eq!((reason, tag), (R::IncorrectNumInGroupCount, 268));
    assert!(text.contains("declares 3"), "{text}");
    assert_eq!(
        reason_tag("FIX.4.4", "35=X|268=x|"),
        (R::IncorrectDataFormat, 268)
    );
    // An entry that does not start with MDUpdateAction: a repeated 270
    // starts a new entry, which lacks 279 (required in the group).
    let (reason, tag, _) = session_reject(
        "FIX.4.4",
        "35=X|268=2|279=0|269=0|55=EUR/USD|270=1|270=2|271=1|",
    );
    assert_eq!((reason, tag), (R::RequiredTagMissing, 279));
    // 268 absent: required.
    assert_eq!(
        reason_tag("FIX.4.4", "35=W|55=EUR/USD|"),
        (R::RequiredTagMissing, 268)
    );
    // W without 270 (required in the FIX 4.2 group) …
    assert_eq!(
        reason_tag("FIX.4.2", "35=W|55=EUR/USD|268=1|269=0|271=1|"),
        (R::RequiredTagMissing, 270)
    );
    // … and Y without MDReqID.
    assert_eq!(
        reason_tag("FIX.4.4", "35=Y|281=0|"),
        (R::RequiredTagMissing, 262)
    );
    assert_eq!(
        reason_tag("FIX.4.2", "35=Y|262=r|281=9|"),
        (R::ValueIsIncorrect, 281)
    );
    assert_eq!(
        reject(generic("FIX.4.4", "35=Y|262=r|281=C|")).reason,
        Some(MdReqRejReason::UnsupportedMdImplicitDelete)
    );
}

#[test]
fn fields_the_mapping_needs_beyond_the_dictionary_are_business_rejects() {
    // A priced delete without MDEntryType: 269 is optional in the group.
    let error = generic("FIX.4.4", "35=X|268=1|279=2|55=EUR/USD|270=1.0686|").unwrap_err();
    assert_eq!(error.tag(), Some(269));
    assert_eq!(error.problem(), Some(&FieldProblem::ConditionallyMissing));
    assert_eq!(
        error.reply(),
        Some(RejectReply::Business {
            reason: 5,
            ref_tag_id: 269,
            text: "MarketDataIncrementalRefresh (35=X): MDEntryType (269) is missing; EMP needs it for this message".to_owned(),
        })
    );
    // A new level without a size.
    let error = generic("FIX.4.2", "35=X|268=1|279=0|269=0|55=EUR/USD|270=1|").unwrap_err();
    assert_eq!(
        (error.tag(), error.problem()),
        (Some(271), Some(&FieldProblem::ConditionallyMissing))
    );
    // An X entry without Symbol: optional in FIX 4.4, required by cTrader.
    let error = generic("FIX.4.4", "35=X|268=1|279=2|278=7|").unwrap_err();
    assert_eq!(
        (error.tag(), error.problem()),
        (Some(55), Some(&FieldProblem::ConditionallyMissing))
    );
    let no_symbol = CTRADER_INCREMENTAL_2.replace("|278=7484|55=1|", "|278=7484|");
    let error = decode_bytes(&wire(&no_symbol), &OrderDialect::ctrader()).unwrap_err();
    assert_eq!(
        (error.tag(), error.problem()),
        (Some(55), Some(&FieldProblem::Missing))
    );
    // A W mixing sized and unsized bids and offers is neither a book nor a
    // quote.
    let error = generic(
        "FIX.4.4",
        "35=W|55=EUR/USD|268=2|269=0|270=1.0689|271=1|269=1|270=1.0691|",
    )
    .unwrap_err();
    assert_eq!(error.tag(), Some(271));
    // Two bids without sizes cannot be one quote either.
    let error = generic(
        "FIX.4.4",
        "35=W|55=EUR/USD|268=2|269=0|270=1.0689|269=0|270=1.0688|",
    )
    .unwrap_err();
    assert_eq!(error.tag(), Some(271));
}

#[test]
fn garbled_bytes_are_an_error_without_reply() {
    let mut bytes = soh(CTRADER_SPOT_REFRESH);
    let last = bytes.len() - 2;
    bytes[last] = b'0'; // CheckSum
    let error = ctrader_bytes(&bytes).unwrap_err();
    assert!(matches!(error, MarketDataError::Decode(_)), "{error}");
    assert_eq!(error.reply(), None);
}

fn ctrader_bytes(bytes: &[u8]) -> Result<Option<MarketDataMessage>, MarketDataError> {
    decode_bytes(bytes, &OrderDialect::ctrader())
}

/// Values that break parsers: empty, signs, garbage, huge, non-ASCII.
fn nasty_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(b"-1".to_vec()),
        Just(b"1".to_vec()),
        Just(b"EUR/USD".to_vec()),
        Just(b"99999999999999999999999".to_vec()),
        Just(b"0.0000000000000000001".to_vec()),
        Just(b"20170117".to_vec()),
        Just(b"23:59:59.999".to_vec()),
        "[0-9A-Z]".prop_map(String::into_bytes),
        "-?[0-9]{0,12}(\\.[0-9]{0,12})?".prop_map(String::into_bytes),
        proptest::collection::vec(prop_oneof![0x02u8..=0xff], 0..80),
    ]
}

proptest! {
    #[test]
    fn counterparty_input_never_panics(
        msg_type in proptest::sample::select(vec!["W", "X", "Y"]),
        begin in proptest::sample::select(vec!["FIX.4.2", "FIX.4.4"]),
        ctrader in any::<bool>(),
        fields in proptest::collection::vec(
            (proptest::sample::select(vec![
                55u32, 58, 262, 268, 269, 270, 271, 272, 273, 278, 279, 281, 346, 813,
            ]), nasty_value()),
            0..40,
        ),
    ) {
        let mut text = format!("8={begin}|35={msg_type}|34=2|49=V|52=20170117-00:02:14|56=E|").into_bytes();
        for (tag, value) in &fields {
            text.extend_from_slice(format!("{tag}=").as_bytes());
            text.extend(value.iter().map(|&byte| if byte == b'|' { b'x' } else { byte }));
            text.push(b'|');
        }
        let dialect = match (ctrader, begin) {
            (true, _) => OrderDialect::ctrader(),
            (false, begin) => OrderDialect::for_begin_string(begin).unwrap(),
        };
        let bytes = wire(&String::from_utf8_lossy(&text));
        match decode_bytes(&bytes, &dialect) {
            Ok(Some(MarketDataMessage::Events(events))) => {
                for event in &events {
                    prop_assert_eq!(event.header().receive_time, NOW);
                }
            }
            Ok(_) => {}
            Err(error) => {
                // Every field-level error has an answer naming the field.
                prop_assert!(error.reply().is_some(), "{}", error);
                prop_assert!(!error.to_string().is_empty());
            }
        }
    }
}

// ---- Both directions through sessions ---------------------------------------
fn pump(
    client: &mut Session<MemStore>,
    venue: &mut Session<MemStore>,
    client_got: &mut Vec<AppMessage>,
    venue_got: &mut Vec<AppMessage>,
) {
    while step(client, venue, venue_got, NOW) | step(venue, client, client_got, NOW) {}
}

#[test]
fn requests_and_refreshes_through_a_session_pair() {
    let dictionary = ShippedDictionary::Fix44.load().unwrap();
    let config = |sender: &str, target: &str, role| {
        let mut config = SessionConfig::new(SessionId::new("FIX.4.4", sender, target), role);
        config.dictionary = Some(dictionary.clone());
        config
    };
    let mut client = Session::new(config("EMP", "VENUE", Role::Initiator), MemStore::new(NOW));
    let mut venue = Session::new(config("VENUE", "EMP", Role::Acceptor), MemStore::new(NOW));
    let (mut client_got, mut venue_got) = (Vec::new(), Vec::new());
    venue.connected(NOW);
    client.connected(NOW);
    pump(&mut client, &mut venue, &mut client_got, &mut venue_got);
    assert!(client.is_logged_on() && venue.is_logged_on());

    let dialect = OrderDialect::fix44();
    let subscribe = request(MarketDepth::FullBook, true, &["EUR/USD", "GBP/USD"]);
    send_request(&mut client, NOW, &subscribe, &dialect, &[(57, b"QUOTE")]).unwrap();
    let refused = send_request(&mut client, NOW, &subscribe, &OrderDialect::ctrader(), &[]);
    assert!(matches!(refused, Err(RequestError::Unsupported(_))));
    pump(&mut client, &mut venue, &mut client_got, &mut venue_got);
    // The venue's session validated and delivered it.
    assert_eq!(venue_got.len(), 1);
    assert_eq!(venue_got[0].msg_type(), b"V");
    assert_eq!(venue.stats().rejects_sent, 0);

    venue
        .send_app(NOW, b"X", &[], |body| {
            body.str(262, b"876316403")
                .uint(268, 2)
                .char(279, b'0')
                .char(269, b'0')
                .str(55, b"GBP/USD")
                .str(270, b"1.2201")
                .str(271, b"5")
                .char(279, b'0')
                .char(269, b'2')
                .str(55, b"EUR/USD")
                .str(270, b"1.069")
                .str(271, b"1");
        })
        .unwrap();
    pump(&mut client, &mut venue, &mut client_got, &mut venue_got);
    assert_eq!(client_got.len(), 1);
    assert_eq!(client.stats().rejects_sent, 0);
    let mut decoder = MarketDataDecoder::new(dialect, client.config().decoder_config());
    let update = events(decoder.decode(&client_got[0], &instruments(), NOW));
    assert_eq!(update.len(), 2);
    assert_eq!(update[0].instrument().as_str(), "GBPUSD.FIX");
    assert!(matches!(&update[1], MarketEvent::Trade(trade) if trade.size == qty("1")));
    // The venue's side sees no market data in a request.
    assert_eq!(
        decoder.decode(&venue_got[0], &instruments(), NOW).unwrap(),
        None
    );
}
