//! EMP gateway: everything that speaks to counterparties.
//!
//! Today this is FIX: the tag=value codec ([`fix::codec`]), QuickFIX-format
//! data dictionaries with validation and repeating groups ([`fix::dict`]),
//! the session layer as a sans-IO state machine ([`fix::session`]) over a
//! message store ([`fix::store`]: memory, redb or an append-only file),
//! settings files with QuickFIX's names ([`fix::settings`]), the mapping
//! between the OMS's venue commands and events and FIX 4.2 / 4.4 order
//! messages ([`fix::orders`]), and a tokio TCP acceptor and initiator,
//! optionally over TLS, that drive sessions ([`transport`]).
//!
//! The websocket market-data adapters live in [`ws`]: Polymarket's CLOB
//! `market` channel ([`ws::polymarket`]) and Coinbase Advanced Trade
//! ([`ws::coinbase`]) decode frames into the same [`model::MarketEvent`]s
//! as FIX market data, plus feed notices (gap, resync, staleness).
//!
//! Everything under [`fix`] and the decoders under [`ws`] are sans-IO:
//! bytes and time in, bytes, timers and events out.
//!
//! A session is driven by feeding it input and polling its outputs:
//!
//! ```
//! use gateway::fix::session::{Role, Session, SessionConfig, SessionId};
//! use gateway::fix::store::MemStore;
//! use model::Timestamp;
//!
//! let now = Timestamp::from_unix_nanos(1_700_000_000_000_000_000);
//! let config = SessionConfig::new(SessionId::new("FIX.4.4", "CLIENT", "VENUE"), Role::Initiator);
//! let mut session = Session::new(config, MemStore::new(now));
//! session.connected(now); // an initiator logs on at once
//! let mut wire = Vec::new();
//! assert!(session.poll_transmit(&mut wire)); // persisted, then handed out
//! assert!(wire.starts_with(b"8=FIX.4.4\x019=") && wire.windows(6).any(|w| w == b"\x0135=A\x01"));
//! assert_eq!(session.poll_timeout(), now.checked_add_nanos(10_000_000_000)); // LogonTimeout
//! ```
//!
//! The codec on its own:
//!
//! ```
//! use gateway::fix::codec::{Decoder, DecoderConfig, Encoder, Header};
//! use gateway::fix::dict::{ShippedDictionary, ValidationOptions, Validator};
//! use model::Timestamp;
//!
//! // Encode a NewOrderSingle…
//! let header = Header {
//!     sender_comp_id: b"CLIENT",
//!     target_comp_id: b"VENUE",
//!     msg_seq_num: 1,
//!     sending_time: Timestamp::from_unix_nanos(1_700_000_000_000_000_000),
//!     poss_dup: false,
//!     orig_sending_time: None,
//!     extra: &[],
//! };
//! let encoder = Encoder::new(b"FIX.4.4");
//! let mut wire = Vec::new();
//! let mut body = encoder.begin(&mut wire, b"D", &header);
//! body.str(11, b"order-1")
//!     .char(21, b'1')
//!     .str(55, b"EURUSD")
//!     .char(54, b'1')
//!     .timestamp(60, header.sending_time)
//!     .decimal(38, "10000".parse()?)
//!     .char(40, b'2')
//!     .decimal(44, "1.06625".parse()?);
//! body.finish()?;
//!
//! // …decode and validate it against FIX 4.4.
//! let dict = ShippedDictionary::Fix44.load()?;
//! let mut decoder = Decoder::new(DecoderConfig { data_fields: dict.data_fields().clone(), ..Default::default() });
//! let mut validator = Validator::new(dict, ValidationOptions::default());
//! let order = decoder.decode(&wire)?;
//! validator.validate(&order)?;
//! assert_eq!(order.require(44)?.as_decimal()?, "1.06625".parse()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Feature flags
//!
//! - `test-fixtures`: the `fixtures` module, helpers that build messages from
//!   `|`-separated text. For dev-dependencies only.

pub mod fix;
pub mod transport;
pub mod ws;

#[cfg(any(test, feature = "test-fixtures"))]
pub mod fixtures;
