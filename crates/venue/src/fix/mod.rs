//! The simulated venue's FIX acceptor application, imitating the cTrader
//! FIX API (FIX 4.4, `specs/ctrader-FIX44.xml`) or a generic FIX 4.2/4.4
//! venue, after the venue profile's flavour.
//!
//! [`VenueCore`] is sans-IO: it owns the [`Exchange`](crate::exchange::Exchange),
//! its background market (the profile's synthetic market, or a recorded
//! book), the accounts of the profile's `[[account]]` tables and, per
//! logged-on session, its role and market data subscriptions. A driver
//! (the TCP [`server`](crate::server), or a test) runs one gateway
//! [`Session`](gateway::fix::session::Session) per [`SessionKey`] with
//! [`VenueCore::session_config`] and [`VenueCore::authenticator`], and
//! tells the core what happens: [`logged_on`](VenueCore::logged_on),
//! [`on_message`](VenueCore::on_message) with every application message,
//! [`logged_out`](VenueCore::logged_out), and
//! [`tick`](VenueCore::tick) every sub-step; then it sends what
//! [`poll_outbound`](VenueCore::poll_outbound) gives with
//! [`Outbound::send`].
//!
//! # cTrader flavour (`specs/venue-ctrader.toml`, `venues.md` C.1–C.6)
//!
//! - Sessions: per account a QUOTE and a TRADE session, SenderCompID
//!   `<environment>.<broker>.<login>`, ours `CSERVER` with SenderSubID
//!   `QUOTE` or `TRADE`; sequence numbers reset at every Logon. A Logon
//!   whose Username (553) is not the account's login or whose Password
//!   (554) is wrong gets 35=5 `58=InternalError: RET_INVALID_DATA` and a
//!   disconnect; so does a Logon from an unknown login (a SenderCompID no
//!   session has), answered by the acceptor itself.
//! - Wrong session: a trading message on QUOTE, or 35=V on TRADE, gets a
//!   BusinessMessageReject (35=j) with BusinessRejectReason 4
//!   (application not available) naming the right session (our choice;
//!   the specification does not say).
//! - 35=x: 35=y with 320 echoed, `322=responce:<320>` (cTrader's
//!   spelling), 560=0 and one 55/1007/1008 entry per symbol (the one
//!   asked for, or all); an unknown symbol gets 560=2 and no entries.
//! - 35=V: non-numeric 55 → 35=Y 281=0 `INVALID_REQUEST: Expected numeric
//!   symbolId, but got X`; an unknown id → 35=Y 281=0; 264 other than 0
//!   or 1 → 35=Y 281=5 `INVALID_REQUEST: MarketDepth should be either 0
//!   or 1`; a reused MDReqID → 35=Y 281=1; 263=2 with the same 262 ends
//!   the subscription (silently). Spot (264=1): 35=W with 269=0/1 and 270
//!   only, again whenever the best bid or ask price changes. Depth
//!   (264=0): 35=W with every entry (269, 270, 271, 278), then per book
//!   change a 35=X of 279=0 adds (269, 278, 55, 270, 271) and 279=2
//!   deletes (278, 55), never 279=1. Like cTrader, W and X carry no 262.
//!   Prices carry at most the symbol's digits, without trailing zeros.
//! - 35=D: OrdType 1 market (IOC: the rest of a partial fill is
//!   canceled, 39=4), 2 limit, 3 stop; 59 is ignored and inferred (market
//!   3, limit/stop 1, or 6 with 126). Reports: 150=0 39=0 with 59 and
//!   721 (the position: one per account and symbol on a netting account;
//!   on a hedged one the order's own, or the open position its 721
//!   named, which it adds to or reduces), 150=F fills with 6, 14,
//!   32, 151 and no 31; rejects (volume below the minimum, off the step,
//!   price off the tick, unknown symbol) 150=8 39=8 103=0 with 58.
//!   cTrader sends no ExecID (17) and its dictionary has none, so neither
//!   does the venue.
//! - 35=F: ER 150=4 39=4 with 41; an unknown order → 35=j 380=0
//!   `58=ORDER_NOT_FOUND:Order with clientOrderId=<41> not found.` and
//!   379 = the request's 11; a done order → 35=9 434=1.
//!   35=G: ER 150=5; unknown → 35=j ORDER_NOT_FOUND; other refusals 35=9
//!   434=2. 35=H: one ER 150=I for the order; unknown → 35=j.
//!   35=AF (585=7 only; IssueDate 225 keeps the orders accepted at or
//!   after it): one ER 150=I per
//!   working order with 584 and 911; none → 35=j. 35=AN: one 35=AP per
//!   open position (710, 721, 727, 728=0, 730, 702=1, 704, 705; 721 on
//!   the request selects one position), or 727=0 728=2 when flat.
//!   Positions are netting, or hedged per account (`positions = "hedged"`
//!   in the profile's `[[account]]`): one 35=AP per open position id; an
//!   order naming a position that is not open is rejected (150=8,
//!   `POSITION_NOT_FOUND`).
//! - Anything else (35=q OrderMassCancelRequest, …): as the profile's
//!   `unsupported` says, 35=j 380=3 with 372 (default) or 35=3 373=11.
//!   Malformed requests get 35=3 with 373 (1 missing, 5 bad value, 6 bad
//!   format) and 371.
//!
//! # Generic flavour (`specs/venue-generic.toml`)
//!
//! One session per account (no SubIDs), symbols by name, 59 honoured,
//! ExecID (17) and LastPx (31) on every report (and ExecTransType 20 in
//! FIX 4.2), W and X with 262, spot W with sizes, 35=9 for every refused
//! cancel or replace, and H answered with an ER even for an unknown order
//! (39=8).
//!
//! ```
//! use gateway::fix::session::AppMessage;
//! use model::Timestamp;
//! use venue::exchange::profile::VenueProfile;
//! use venue::fix::{SessionKey, SessionRole, VenueCore};
//!
//! let profile = VenueProfile::parse(
//!     include_str!("../../../../specs/venue-ctrader.toml"),
//!     "venue-ctrader.toml",
//! )?;
//! let mut venue = VenueCore::new(&profile)?;
//! let quote = SessionKey { login: 12345, role: SessionRole::Quote };
//! assert_eq!(venue.session_id(quote).to_string(), "FIX.4.4:CSERVER/QUOTE->demo.emp.12345");
//!
//! let t0 = Timestamp::from_unix_nanos(1_700_000_000_000_000_000);
//! venue.tick(t0);
//! let t1 = t0.checked_add_nanos(2_000_000_000).expect("in range");
//! venue.tick(t1); // two seconds of synthetic market
//! venue.logged_on(quote, t1);
//! // A spot subscription to EURUSD (symbol id 1), as the session hands it over.
//! let request = gateway::fixtures::wire(
//!     "8=FIX.4.4|35=V|34=2|49=demo.emp.12345|56=CSERVER|57=QUOTE|52=20231114-22:13:22|\
//!      262=s1|263=1|264=1|265=1|146=1|55=1|267=2|269=0|269=1",
//! );
//! let message = AppMessage { seq: 2, poss_dup: false, bytes: request };
//! venue.on_message(quote, t1, &message);
//! let (to, spot) = venue.poll_outbound().expect("a spot quote");
//! assert_eq!((to, spot.msg_type, spot.get(55)), (quote, "W", Some("1")));
//! assert_eq!(spot.get(271), None, "cTrader spot carries no sizes");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod core;
mod message;

pub use core::{INVALID_LOGON_TEXT, SessionKey, SessionRole, VenueCore, VenueError};
pub use message::Outbound;
