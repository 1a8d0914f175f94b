//! Order messages: the OMS's [`VenueCommand`]s as FIX 4.2 / 4.4 messages,
//! and inbound FIX application messages as [`VenueEvent`]s.
//!
//! Sans-IO like the rest of [`crate::fix`]: [`encode_command`] writes a
//! command's body through a [`BodyWriter`] (usually inside
//! [`Session::send_app`](crate::fix::session::Session::send_app), which
//! [`send_command`] does), and [`decode_message`] / [`OrderDecoder`] turn a
//! message the session delivered into an event. An [`OrderDialect`] says
//! which FIX version (and which venue conventions) to follow.
//!
//! # Outbound: commands
//!
//! | command | 35 | fields written |
//! |---|---|---|
//! | [`VenueCommand::New`] | D | 11, 21=1 (4.2), 55, 54, 60, 38, 40, 44 / 99 by [`OrderKind`], 59, 126 (GTD) |
//! | [`VenueCommand::Cancel`] | F | 11, 41, 37 (if known), 55, 54, 60, 38 |
//! | [`VenueCommand::Replace`] | G | 11, 41, 37 (if known), 21=1 (4.2), 55, 54, 60, 38, 40, 44 / 99, 59, 126 |
//! | [`VenueCommand::Status`] | H | 11, 37 (if known), 55, 54 |
//! | [`VenueCommand::MassStatus`] | AF | 584, 585=7 (all orders); **4.4 only** |
//! | [`VenueCommand::Positions`] | AN | 710, 724=0, 1, 581=1, 715, 60; **4.4 only** |
//!
//! - OrdType (40): Market 1, Limit 2 (+44), Stop 3 (+99), StopLimit 4
//!   (+99 and 44). TimeInForce (59): Day 0, GTC 1, IOC 3, FOK 4, GTD 6
//!   with ExpireTime (126).
//! - Prices and quantities are written exactly, from
//!   [`Price::to_decimal`](model::Price::to_decimal) and
//!   [`Quantity::to_decimal`](model::Quantity::to_decimal); no `f64`.
//! - Timestamps (60, 126) use the session's timestamp precision
//!   (milliseconds unless configured otherwise).
//! - Account (1) is written on every message when the dialect has one
//!   ([`OrderDialect::with_account`]); FIX 4.4's RequestForPositions
//!   requires it, together with AccountType (581, written as 1: carried on
//!   the customer side of the books) and ClearingBusinessDate (715, the UTC
//!   date of `now`).
//! - FIX 4.2 has neither OrderMassStatusRequest nor RequestForPositions:
//!   [`encode_command`] refuses them with [`UnsupportedCommand`] (query each
//!   order with 35=H instead; rebuild positions from fills).
//! - [`OrderDialect::ctrader`] writes only the fields cTrader's dictionary
//!   (`specs/ctrader-FIX44.xml`) defines for each message: no 21, no 59
//!   (cTrader infers it: market orders IOC, others GTC, or GTD with 126,
//!   which cTrader reads to the second), F with 11/41/37 only, H with 11
//!   and 54, AN with 710 only. Order types and times in force cTrader would
//!   silently change (a stop-limit order, an IOC limit order, a FOK market
//!   order) are refused.
//!
//! # Inbound: events
//!
//! | 35 | event | notes |
//! |---|---|---|
//! | 8 | [`VenueEvent::Execution`] | every ExecType and OrdStatus of the version |
//! | 9 | [`VenueEvent::CancelReject`] | 434 → [`CancelRejectResponseTo`](model::CancelRejectResponseTo) |
//! | j | [`VenueEvent::BusinessReject`] | 372, 379, 380, 58 |
//! | AP (4.4) | [`VenueEvent::Position`] | 702 group summed; 728 other than 0/2 → [`VenueEvent::BusinessReject`] |
//! | anything else | `None` | |
//!
//! ExecType (150) in FIX 4.2: 1 (partial fill) and 2 (fill) are
//! [`ExecType::Trade`](model::ExecType::Trade), and ExecTransType (20)
//! overrides it: 1 Cancel is `TradeCancel`, 2 Correct `TradeCorrect`, 3
//! Status `OrderStatus`. FIX 4.4's F, G, H and I map one to one. Values
//! outside the session's version (150=F in 4.2, 150=2 or 39=5 in 4.4) are
//! errors, as the version's dictionary says.
//!
//! The ExecutionReport fields: ExecID 17, ClOrdID 11, OrigClOrdID 41,
//! OrderID 37 (`NONE` → `None`), Symbol 55, Side 54 (1 and 3 buy; 2, 4, 5
//! and 6 sell), OrderQty 38, Price 44, LastQty / LastShares 32 (zero when
//! absent), LastPx 31 (optional: cTrader omits it), CumQty 14, LeavesQty
//! 151, AvgPx 6 (optional: cTrader omits it on new orders), ExecRefID 19,
//! OrdRejReason 103, Text 58 (invalid UTF-8 replaced, never an error),
//! TransactTime 60, MassStatusReqID 584, TotNumReports 911,
//! LastRptRequested 912 (absent is false). Commission (12) is kept when
//! CommType (13) is absent or 3 (absolute); per-unit and percentage
//! commissions (13 = 1, 2, 4, 5, 6) need the venue's basis and are dropped
//! (`commission: None`).
//!
//! cTrader sends no ExecID at all (its dictionary does not define tag 17).
//! With [`OrderDialect::ctrader`], a report without 17 gets a derived ExecID:
//! `derived-` and a 128-bit FNV-1a hash of its body fields (every field but
//! the standard header and trailer), so a resent report (same body,
//! PossDupFlag) has the same id and is recognised as a duplicate, while two
//! reports that differ in anything (quantities, TransactTime, 584) do not.
//! Two reports with identical bodies count as one; for status replies that
//! is harmless. Other dialects reject a report without 17.
//!
//! PositionReport: LongQty (704) and ShortQty (705) are summed over the
//! NoPositions (702) entries (cTrader sends one entry with no PosType). A
//! venue that reports one position several ways (say PosType SOD and FIN)
//! would be double counted; no shipped dialect does. An entry is read up
//! to the first tag other than 703-706, so entries with nested parties
//! (539) end the group early and fail the NumInGroup check.
//!
//! # Errors in inbound messages
//!
//! A field EMP needs that is missing, empty, malformed, not one of the
//! version's values, a negative quantity, or not representable (an id
//! longer than the model holds, a price beyond nine fractional digits) is
//! an [`OrderMapError`] naming the message, the tag and the problem; it
//! never panics. [`OrderMapError::reply`] gives what to answer, as QuickFIX
//! answers an application's `FieldNotFound` / `IncorrectTagValue` /
//! `IncorrectDataFormat`: a session Reject (35=3) with SessionRejectReason
//! (373), RefTagID (371) and Text (58), or a BusinessMessageReject (380=5)
//! for a field the version's dictionary makes optional but the mapping needs.
//!
//! # Example
//!
//! ```
//! use gateway::fix::codec::{Decoder, Encoder, Header};
//! use gateway::fix::orders::{OrderDialect, decode_message, encode_command};
//! use model::{ClOrdId, InstrumentId, NewOrder, OrderKind, Side, TimeInForce, Timestamp};
//! use model::{VenueCommand, VenueSymbol};
//!
//! let now = Timestamp::from_unix_nanos(1_484_647_334_720_000_000);
//! let order = VenueCommand::New(NewOrder {
//!     cl_ord_id: ClOrdId::new("876316400")?,
//!     instrument: InstrumentId::new("EURUSD")?,
//!     symbol: VenueSymbol::new("1")?,
//!     side: Side::Sell,
//!     kind: OrderKind::Limit { price: "1.07162".parse()? },
//!     quantity: "50000".parse()?,
//!     time_in_force: TimeInForce::GoodTillCancel,
//!     transact_time: now,
//! });
//! let dialect = OrderDialect::fix44();
//! let encoded = encode_command(&order, &dialect, now)?;
//! assert_eq!(encoded.msg_type(), b"D");
//!
//! // What Session::send_app does with it:
//! let header = Header {
//!     sender_comp_id: b"EMP",
//!     target_comp_id: b"VENUE",
//!     msg_seq_num: 2,
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
//! assert!(text.contains("|11=876316400|55=1|54=2|60=20170117-10:02:14.720|38=50000|40=2|44=1.07162|59=1|"));
//!
//! // A NewOrderSingle is not an event: decoding it gives None.
//! let mut decoder = Decoder::default();
//! assert_eq!(decode_message(&decoder.decode(&wire)?, &dialect)?, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`BodyWriter`]: crate::fix::codec::BodyWriter
//! [`VenueCommand`]: model::VenueCommand
//! [`VenueCommand::New`]: model::VenueCommand::New
//! [`VenueCommand::Cancel`]: model::VenueCommand::Cancel
//! [`VenueCommand::Replace`]: model::VenueCommand::Replace
//! [`VenueCommand::Status`]: model::VenueCommand::Status
//! [`VenueCommand::MassStatus`]: model::VenueCommand::MassStatus
//! [`VenueCommand::Positions`]: model::VenueCommand::Positions
//! [`VenueEvent`]: model::VenueEvent
//! [`VenueEvent::Execution`]: model::VenueEvent::Execution
//! [`VenueEvent::CancelReject`]: model::VenueEvent::CancelReject
//! [`VenueEvent::BusinessReject`]: model::VenueEvent::BusinessReject
//! [`VenueEvent::Position`]: model::VenueEvent::Position
//! [`OrderKind`]: model::OrderKind

mod decode;
mod dialect;
mod encode;
mod error;

pub use decode::{OrderDecoder, decode_message};
pub use dialect::{FixVersion, OrderDialect};
pub use encode::{CommandError, EncodedCommand, UnsupportedCommand, encode_command, send_command};
pub use error::{FieldProblem, OrderMapError, RejectReply};

// Field parsers and reply helpers shared with `market_data`.
pub(crate) use decode::{
    char_value, id, incorrect_format, incorrect_value, price, quantity, timestamp, uint64,
};
pub(crate) use error::{field_reply, shown};
