//! Market data messages: subscriptions as MarketDataRequest (35=V), and
//! the venue's refreshes and rejects (35=W, X, Y) as EMP's normalized
//! [`MarketEvent`]s.
//!
//! Sans-IO like the rest of [`crate::fix`]: [`encode_request`] writes a
//! request's body through a [`BodyWriter`] (usually inside
//! [`Session::send_app`](crate::fix::session::Session::send_app), which
//! [`send_request`] does), and [`decode_message`] / [`MarketDataDecoder`]
//! turn a message the session delivered into events. The dialect is the
//! session's [`OrderDialect`]: FIX 4.2, FIX 4.4 or cTrader's FIX 4.4.
//!
//! # Outbound: MarketDataRequest (35=V)
//!
//! | field | tag | written |
//! |---|---|---|
//! | MDReqID | 262 | [`MarketDataRequest::request_id`] |
//! | SubscriptionRequestType | 263 | 1 [`Subscribe`](SubscriptionAction::Subscribe), 2 [`Unsubscribe`](SubscriptionAction::Unsubscribe) |
//! | MarketDepth | 264 | 1 [`Spot`](MarketDepth::Spot), 0 [`FullBook`](MarketDepth::FullBook), n [`Levels(n)`](MarketDepth::Levels) |
//! | MDUpdateType | 265 | 1 (incremental refresh), always |
//! | NoRelatedSym, Symbol | 146, 55 | one entry per [`VenueSymbol`](model::VenueSymbol) |
//! | NoMDEntryTypes, MDEntryType | 267, 269 | 0 bid, 1 offer, and 2 trade when [`MarketDataRequest::trades`] |
//!
//! Fields go out in the order of cTrader's published sample (the two
//! groups after 265). [`OrderDialect::ctrader`] refuses what cTrader would
//! answer with a 35=Y ([`UnsupportedRequest`]): a depth other than spot or
//! full book (it rejects with 281=5), a symbol that is not a numeric id
//! (281=0), and trade entries (cTrader FIX has no public trades). A request
//! without symbols is refused in every dialect.
//!
//! # Inbound: events
//!
//! | 35 | entries | result |
//! |---|---|---|
//! | W | bids / offers (269=0/1), every one with MDEntrySize (271) | one [`MarketEvent::Snapshot`]: entries in the venue's order, MDEntryID (278) kept when present |
//! | W | bids / offers without 271, at most one per side (cTrader spot) | one [`MarketEvent::Quote`], sizes `None` |
//! | W | no entries (268=0) | an empty [`MarketEvent::Snapshot`] |
//! | W, X | trade (269=2) | one [`MarketEvent::Trade`] per entry (X: only with 279=0) |
//! | X | bids / offers, deletes | one [`MarketEvent::Delta`] per instrument (below) |
//! | Y | — | [`MarketDataMessage::Reject`]: 262, 281 as [`MdReqRejReason`], 58 |
//! | anything else | | `None` |
//!
//! A W or X becomes [`MarketDataMessage::Events`], a `Vec<MarketEvent>`
//! (one FIX message may carry several instruments and trades): for a W,
//! the book event first, then its trades in entry order; for an X, events
//! in the order of each instrument's first entry, each trade at its own
//! entry. Entry types EMP has no event for (opening price, VWAP, imbalance,
//! … : 269=3-9, and A-C in FIX 4.4) are skipped; values outside the
//! version's MDEntryType enumeration are errors.
//!
//! A W's bids and offers are all sized (a Snapshot) or none is (a Quote
//! with at most one bid and one offer); anything else is an error on 271.
//! A W with only trade entries gives the Trades and no book event.
//!
//! MarketDataIncrementalRefresh (X) entries, in order:
//!
//! | MDUpdateAction (279) | with MDEntryID (278) | without 278 (price-level venues) |
//! |---|---|---|
//! | 0 New | [`AddEntry`](model::BookChange::AddEntry) (269, 270, 271) | [`SetLevel`](model::BookChange::SetLevel) (269, 270, 271) |
//! | 1 Change | [`ChangeEntry`](model::BookChange::ChangeEntry) (269, 270, 271) | [`SetLevel`](model::BookChange::SetLevel) (269, 270, 271) |
//! | 2 Delete | [`DeleteEntry`](model::BookChange::DeleteEntry) (only 278 and 55: cTrader) | [`SetLevel`](model::BookChange::SetLevel) with size 0 at 270 (269, 270) |
//!
//! Every X entry names its own Symbol (55); entries are grouped by
//! instrument into one Delta each, keeping their order within the
//! instrument (cTrader's example adds quote 7491 at 1.06897 while 7477 is
//! still there, and deletes 7477 later in the same message: order
//! matters). A trade entry (269=2) with 279=0 is a Trade; trade corrections
//! and busts (279=1, 2) have no event and are skipped.
//!
//! Where and when, for every event ([`MarketHeader`](model::MarketHeader)):
//! - instrument: Symbol (55) looked up with
//!   [`InstrumentTable::by_symbol`](model::InstrumentTable::by_symbol); a
//!   symbol the table does not hold is [`MarketDataError::UnknownSymbol`]
//!   (W: the body's 55; X: each entry's 55, required).
//! - exchange time: MDEntryTime (273) on MDEntryDate (272), or on the date
//!   of SendingTime when 272 is absent (a day earlier when that would be
//!   more than 12 hours after SendingTime: stamped just before midnight,
//!   sent just after); the latest entry time of the event's entries; and
//!   SendingTime (52) when no entry has 273.
//! - receive time: the `now` the caller passes.
//! - sequence: always `None`. FIX market data carries no per-stream
//!   sequence EMP uses: gaps are the session's business (MsgSeqNum,
//!   ResendRequest), and after a reconnect the subscription is made again
//!   and answered with a W.
//!
//! MDReqID (262) in a W or X is not used: the events name their
//! instruments.
//!
//! The NoMDEntries (268) group is read from 268 to the trailer (or
//! FIX 4.4's ApplQueueDepth / ApplQueueResolution); an entry starts at its
//! delimiter (269 in a W, 279 in an X) or at a field the entry already has
//! (so a missing delimiter is reported, not merged). Fields EMP does not
//! read stay in their entry. 268 must count the entries.
//!
//! # Errors in inbound messages
//!
//! A field EMP needs that is missing, empty, malformed, not one of the
//! version's values, a negative size, or not representable (a price
//! beyond nine fractional digits, an id longer than the model holds) is a
//! [`MarketDataError`] naming the message, the tag and the problem, and no
//! event at all (half a book update is worse than none); it never panics.
//! [`MarketDataError::reply`] gives what to answer, as
//! [`OrderMapError::reply`](crate::fix::orders::OrderMapError::reply)
//! does: a session Reject (35=3) with SessionRejectReason (373), RefTagID
//! (371) and Text (58), or a BusinessMessageReject (380=5) for a field the
//! dictionary makes optional but the mapping needs. Prices and sizes are
//! exact decimals parsed from the field bytes; there is no `f64`.
//!
//! # Example
//!
//! ```
//! use gateway::fix::codec::{Decoder, Encoder, Header};
//! use gateway::fix::market_data::{
//!     MarketDataMessage, MarketDataRequest, MarketDepth, SubscriptionAction, decode_message,
//!     encode_request,
//! };
//! use gateway::fix::orders::OrderDialect;
//! use model::{Instrument, InstrumentId, InstrumentTable, MarketEvent, RequestId};
//! use model::{Timestamp, VenueSymbol};
//!
//! let mut instruments = InstrumentTable::new();
//! instruments.insert(Instrument {
//!     id: InstrumentId::new("EURUSD.CTRADER")?,
//!     venue_symbol: VenueSymbol::new("1")?,
//!     tick_size: "0.00001".parse()?,
//!     lot_size: "1000".parse()?,
//!     min_quantity: "1000".parse()?,
//!     max_quantity: None,
//!     min_notional: None,
//!     price_digits: 5,
//!     allows_non_positive_prices: false,
//! })?;
//! let dialect = OrderDialect::ctrader();
//! let now = Timestamp::from_unix_nanos(1_484_648_814_630_000_000);
//!
//! // Subscribe to spot prices; what Session::send_app does with it:
//! let request = MarketDataRequest {
//!     request_id: RequestId::new("876316403")?,
//!     action: SubscriptionAction::Subscribe,
//!     depth: MarketDepth::Spot,
//!     trades: false,
//!     symbols: vec![VenueSymbol::new("1")?],
//! };
//! let encoded = encode_request(&request, &dialect)?;
//! let header = Header {
//!     sender_comp_id: b"EMP",
//!     target_comp_id: b"CSERVER",
//!     msg_seq_num: 3,
//!     sending_time: now,
//!     poss_dup: false,
//!     orig_sending_time: None,
//!     extra: &[],
//! };
//! let (encoder, mut wire) = (Encoder::new(b"FIX.4.4"), Vec::new());
//! let mut body = encoder.begin(&mut wire, encoded.msg_type(), &header);
//! encoded.write_body(&mut body);
//! body.finish()?;
//! let text = String::from_utf8_lossy(&wire).replace('\x01', "|");
//! assert!(text.contains("|262=876316403|263=1|264=1|265=1|146=1|55=1|267=2|269=0|269=1|"));
//!
//! // cTrader's answer: bid and ask without sizes, a Quote.
//! let answer = b"8=FIX.4.4\x019=139\x0135=W\x0134=2\x0149=CSERVER\x0150=QUOTE\x0152=20170117-10:26:54.630\x0156=live.theBroker.12345\x0157=any_string\x0155=1\x01268=2\x01269=0\x01270=1.06625\x01269=1\x01270=1.0663\x0110=089\x01";
//! let mut decoder = Decoder::default();
//! let decoded = decode_message(&decoder.decode(answer)?, &dialect, &instruments, now)?;
//! let Some(MarketDataMessage::Events(events)) = decoded else { panic!("{decoded:?}") };
//! let [MarketEvent::Quote(quote)] = events.as_slice() else { panic!("{events:?}") };
//! assert_eq!(quote.header.instrument.as_str(), "EURUSD.CTRADER");
//! assert_eq!(quote.bid.map(|bid| bid.price.to_string()).as_deref(), Some("1.06625"));
//! assert_eq!(quote.ask.and_then(|ask| ask.size), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`BodyWriter`]: crate::fix::codec::BodyWriter
//! [`MarketEvent`]: model::MarketEvent
//! [`MarketEvent::Snapshot`]: model::MarketEvent::Snapshot
//! [`MarketEvent::Quote`]: model::MarketEvent::Quote
//! [`MarketEvent::Trade`]: model::MarketEvent::Trade
//! [`MarketEvent::Delta`]: model::MarketEvent::Delta
//! [`OrderDialect`]: crate::fix::orders::OrderDialect
//! [`OrderDialect::ctrader`]: crate::fix::orders::OrderDialect::ctrader

mod decode;
mod encode;
mod error;

pub use decode::{
    MarketDataDecoder, MarketDataMessage, MarketDataReject, MdReqRejReason, decode_message,
};
pub use encode::{
    EncodedRequest, MarketDataRequest, MarketDepth, RequestError, SubscriptionAction,
    UnsupportedRequest, encode_request, send_request,
};
pub use error::MarketDataError;
