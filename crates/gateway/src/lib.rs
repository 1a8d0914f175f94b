//! EMP gateway: everything that speaks to counterparties.
//!
//! Today this is FIX: the tag=value codec ([`fix::codec`]) and QuickFIX-format
//! data dictionaries with validation and repeating groups ([`fix::dict`]). The
//! session layer, TCP/TLS transport and the Polymarket and Coinbase
//! market-data adapters join it in later issues. Everything here is sans-IO:
//! bytes in, bytes and typed values out.
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
//! - `test-fixtures`: [`fixtures`], helpers that build messages from
//!   `|`-separated text. For dev-dependencies only.

pub mod fix;
pub mod transport;

#[cfg(any(test, feature = "test-fixtures"))]
pub mod fixtures;
