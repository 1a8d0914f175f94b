//! The FIX tag=value codec: framing, decoding, encoding, typed values and
//! errors. Pure functions and small state machines over byte slices; no I/O.
//!
//! - [`Framer`] finds message boundaries in a byte stream.
//! - [`Decoder`] checks one message's frame and indexes its fields without
//!   copying them; [`Message`] and [`FieldRef`] give typed access.
//! - [`Encoder`] writes a message: 8, 9, 35, the header in tag order, the
//!   body, CheckSum.
//! - [`DecodeError`] says what is wrong with counterparty input and how a
//!   session answers it (ignore, Reject with 373/371/58, or Logout).
//!
//! Dictionary validation and repeating groups live in [`crate::fix::dict`].

mod decode;
mod encode;
mod error;
mod framer;
pub(crate) mod value;

pub use decode::{
    DEFAULT_MAX_MESSAGE_SIZE, DataFields, Decoder, DecoderConfig, Field, FieldRef, Message,
    checksum,
};
pub use encode::{BodyWriter, EncodeError, Encoder, Header, TimestampPrecision};
pub use error::{DecodeError, DecodeErrorKind, Disposition, SessionRejectReason};
pub use framer::{Frame, Framer, SkipReason};

/// Parses a UTCTimestamp (`YYYYMMDD-HH:MM:SS[.f…]`, 0 to 9 fractional
/// digits), as in SendingTime or a QuickFIX log line's prefix; `None`
/// when malformed or outside [`model::Timestamp`]'s range.
pub fn parse_timestamp(text: &[u8]) -> Option<model::Timestamp> {
    model::Timestamp::from_utc(value::parse_utc_timestamp(text)?).ok()
}

/// A FIX tag number.
pub type Tag = u32;

/// The field delimiter, ASCII SOH.
pub const SOH: u8 = 0x01;
