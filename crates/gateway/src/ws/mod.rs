//! Websocket market-data adapters: the Polymarket CLOB `market` channel
//! ([`polymarket`]) and Coinbase Advanced Trade ([`coinbase`]).
//!
//! Both decoders are sans-IO: the text of one websocket frame, the time it
//! arrived and an [`InstrumentMap`] (the venue's asset / product id →
//! EMP's [`InstrumentId`]) go in; normalized [`MarketEvent`]s (the same
//! snapshots, deltas, quotes, trades and resets FIX market data produces)
//! and [`FeedNotice`]s (feed status, keep-alive answers, tick-size changes)
//! come out in a [`WsOutput`]. Prices and sizes are parsed as exact
//! decimals (`.48` and `1.` included), never through `f64`. Unknown fields
//! and message types are tolerated and counted ([`FeedCounters`]);
//! malformed input is a typed [`WsError`], never a panic.
//!
//! The two most frequent frames, a Polymarket `price_change` and a
//! Coinbase `l2_data` update, take a hot path: one pass over the text
//! straight to the events, with no intermediate message structs. Any
//! frame it does not expect goes the general way, which decides and
//! reports everything; both give the same output for every frame the hot
//! path takes (a differential property test checks it).
//!
//! The connection side (subscriptions, keep-alive, reconnect with backoff,
//! staleness) is split the same way: sans-IO state machines in
//! [`session`] and a tokio driver on tokio-tungstenite in [`client`].
//!
//! ```
//! use gateway::ws::{InstrumentMap, WsOutput, polymarket::PolymarketDecoder};
//! use model::{InstrumentId, MarketEvent, Timestamp};
//!
//! let mut instruments = InstrumentMap::new();
//! instruments.insert("123", InstrumentId::new("123.POLYMARKET")?);
//! let mut decoder = PolymarketDecoder::new(instruments);
//! let mut out = WsOutput::default();
//! let frame = br#"{"event_type":"book","asset_id":"123","market":"0x1",
//!     "bids":[{"price":".48","size":"30"}],"asks":[{"price":".52","size":"25"}],
//!     "timestamp":"1757908892351"}"#;
//! decoder.decode(frame, Timestamp::from_unix_nanos(1), &mut out)?;
//! let MarketEvent::Snapshot(book) = &out.events[0] else { panic!("a book") };
//! assert_eq!(book.bids[0].price, "0.48".parse()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod client;
pub mod coinbase;
mod fast;
#[cfg(test)]
mod hot_tests;
pub mod polymarket;
pub mod session;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use model::{
    BookResetReason, FeedStatus, InstrumentId, MarketEvent, MarketHeader, Price, Quantity,
    Timestamp, UtcDateTime,
};

/// Why a frame could not be decoded. The decoder's state is unchanged by
/// the failing message (its events are rolled back); other messages of
/// the same frame still count.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// Not JSON, or JSON of the wrong shape (a string where an object
    /// belongs, say).
    #[error("frame is not a valid message: {0}")]
    Json(#[from] serde_json::Error),
    /// A field the message type needs is absent.
    #[error("{message} message lacks field {field}")]
    MissingField {
        /// The message type.
        message: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// A field's value is not what it should be (a price that is not a
    /// decimal, an unknown side, a bad timestamp).
    #[error("field {field} = {value:?} is invalid: {reason}")]
    InvalidValue {
        /// The field.
        field: &'static str,
        /// Its text (possibly cut short).
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A frame that is neither JSON nor a known text answer.
    #[error("unexpected text frame {0:?}")]
    UnexpectedText(String),
}

impl WsError {
    fn invalid(field: &'static str, value: &str, reason: impl ToString) -> Self {
        Self::InvalidValue {
            field,
            value: value.chars().take(64).collect(),
            reason: reason.to_string(),
        }
    }
}

/// Something a feed reports besides market events.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedNotice {
    /// The feed's health changed (gap, resynchronising, live again…).
    Status(FeedStatus),
    /// The venue needs a fresh snapshot of these instruments: resubscribe
    /// them (Coinbase after a sequence gap; Polymarket after a tick-size
    /// change).
    ResnapshotNeeded(Vec<InstrumentId>),
    /// Polymarket's text `PONG`.
    Pong,
    /// Any other plain-text frame (`NO NEW ASSETS`, `INVALID OPERATION`).
    ServerText(String),
    /// The venue's tick size changed (an instrument update).
    TickSize {
        /// The instrument.
        instrument: InstrumentId,
        /// The new tick.
        tick: Price,
        /// The venue's time of the change.
        exchange_time: Option<Timestamp>,
    },
    /// A Polymarket market resolved; its books were reset.
    MarketResolved {
        /// The instruments of the market this side knows.
        instruments: Vec<InstrumentId>,
        /// The winning instrument, if known.
        winner: Option<InstrumentId>,
    },
    /// A Coinbase heartbeat.
    Heartbeat {
        /// `heartbeat_counter`, when it is a number.
        counter: Option<u64>,
    },
    /// Coinbase confirmed its subscriptions: channel → product ids.
    Subscriptions(Vec<(String, Vec<String>)>),
    /// The venue reported an error message.
    VenueError(String),
    /// The driver lost (or could not make) the connection, and why.
    ConnectionLost(String),
}

/// What one or more frames produced. Reuse it: [`WsOutput::clear`] keeps
/// the allocations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WsOutput {
    /// Normalized market events, in the venue's order.
    pub events: Vec<MarketEvent>,
    /// Everything else.
    pub notices: Vec<FeedNotice>,
}

impl WsOutput {
    /// Empties both lists.
    pub fn clear(&mut self) {
        self.events.clear();
        self.notices.clear();
    }
}

/// Typed counters of what a decoder saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeedCounters {
    /// Frames given to the decoder.
    pub frames: u64,
    /// JSON messages decoded (an array frame holds several).
    pub messages: u64,
    /// Messages of a type this adapter does not know (ignored).
    pub unknown_message_types: u64,
    /// Object fields this adapter does not know (ignored).
    pub unknown_fields: u64,
    /// Updates for an asset / product not in the instrument map (ignored).
    pub unknown_instruments: u64,
    /// Messages rejected as malformed (see [`WsError`]).
    pub malformed: u64,
    /// Book changes dropped because the book awaits a snapshot.
    pub dropped_awaiting_snapshot: u64,
    /// Messages dropped as duplicates (sequence number already seen).
    pub duplicates: u64,
    /// Sequence gaps detected.
    pub gaps: u64,
    /// Known messages this adapter deliberately ignores (`new_market`,
    /// trade snapshots…).
    pub ignored_messages: u64,
    /// Legacy-schema messages mapped (Polymarket `price_change` before
    /// 2025-09-15).
    pub legacy_messages: u64,
    /// Plain-text frames (`PONG`, `NO NEW ASSETS`…).
    pub text_frames: u64,
}

/// A fast, deterministic (unseeded) hasher for venue ids: they come from
/// our own configuration, not from an adversary choosing collisions.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    /// Constant time: the length and three words (head, middle, tail) of
    /// the key. Venue ids are long random-looking numbers (Polymarket's
    /// 77-digit token ids) or short tickers; a collision costs one more
    /// comparison, never a wrong answer.
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let n = bytes.len();
        let word = |at: usize| {
            bytes
                .get(at..)
                .and_then(<[u8]>::first_chunk::<8>)
                .map_or(0, |w| u64::from_le_bytes(*w))
        };
        let (head, middle, tail) = if n >= 8 {
            (word(0), word(n / 2 - 4), word(n - 8))
        } else {
            (first_word(bytes), 0, 0)
        };
        let mut hash = (self.0.rotate_left(23) ^ head).wrapping_mul(K);
        hash = (hash.rotate_left(23) ^ middle).wrapping_mul(K);
        hash = (hash.rotate_left(23) ^ tail ^ n as u64).wrapping_mul(K);
        self.0 = hash ^ (hash >> 29);
    }
}

/// One instrument the decoder knows, with its book state.
#[derive(Clone, Debug)]
struct Slot {
    id: InstrumentId,
    /// A snapshot was received on this connection (the consumer holds a
    /// book that a gap or reset must void).
    has_book: bool,
    /// Deltas are dropped until the next snapshot (true until the first).
    awaiting_snapshot: bool,
}

/// The venue's instrument keys (Polymarket asset ids, Coinbase product
/// ids) and EMP's [`InstrumentId`]s, plus each book's resync state.
/// Iteration is in insertion order, so resets come out deterministically.
#[derive(Clone, Debug, Default)]
pub struct InstrumentMap {
    slots: Vec<Slot>,
    index: HashMap<Box<str>, usize, BuildHasherDefault<IdHasher>>,
    keys: Vec<Box<str>>,
    /// Per key (same order): its first eight bytes and the mask of those
    /// that are the key's, for [`Self::key_at`]; a key a JSON string
    /// could only hold escaped (a quote, a backslash, a control byte)
    /// gets an empty mask and a head no text matches.
    heads: Vec<(u64, u64)>,
}

/// Up to this many keys, [`InstrumentMap::key_at`] tries each in turn.
const KEYS_TRIED_IN_PLACE: usize = 8;

impl InstrumentMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `venue_key` to `instrument` (replacing an earlier mapping).
    pub fn insert(&mut self, venue_key: &str, instrument: InstrumentId) {
        let slot = Slot {
            id: instrument,
            has_book: false,
            awaiting_snapshot: true,
        };
        if let Some(&at) = self.index.get(venue_key) {
            self.slots[at] = slot;
        } else {
            self.index.insert(venue_key.into(), self.slots.len());
            self.slots.push(slot);
            self.keys.push(venue_key.into());
            self.heads.push(key_head(venue_key.as_bytes()));
        }
    }

    /// The instrument of `venue_key`.
    pub fn get(&self, venue_key: &str) -> Option<InstrumentId> {
        self.index.get(venue_key).map(|&at| self.slots[at].id)
    }

    /// Venue keys and instruments, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, InstrumentId)> {
        self.keys
            .iter()
            .zip(&self.slots)
            .map(|(key, slot)| (&**key, slot.id))
    }

    /// How many instruments are mapped.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no instrument is mapped.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether `venue_key`'s book waits for a snapshot.
    pub fn awaiting_snapshot(&self, venue_key: &str) -> bool {
        self.index
            .get(venue_key)
            .is_some_and(|&at| self.slots[at].awaiting_snapshot)
    }

    /// Where `venue_key`'s slot is.
    fn position(&self, venue_key: &str) -> Option<usize> {
        self.index.get(venue_key).copied()
    }

    /// The slot and length of the key that `body` (the bytes after a
    /// string's opening quote) spells out and closes right after, when
    /// the map is small: a string's key found without first finding its
    /// end (for a 77-digit Polymarket asset id, five steps of the end
    /// scan, a hash and a probe). `None` when no key is there, or the map
    /// is larger (then the caller reads the string and asks
    /// [`Self::position`]).
    fn key_at(&self, body: &[u8]) -> Option<(usize, usize)> {
        if self.keys.len() > KEYS_TRIED_IN_PLACE {
            return None;
        }
        let head = first_word(body);
        self.keys
            .iter()
            .zip(&self.heads)
            .position(|(key, &(key_head, mask))| {
                let key = key.as_bytes();
                mask != 0
                    && head & mask == key_head
                    && body.get(..key.len()) == Some(key)
                    && body.get(key.len()) == Some(&b'"')
            })
            .map(|at| (at, self.keys[at].len()))
    }

    fn slot(&mut self, venue_key: &str) -> Option<&mut Slot> {
        let at = *self.index.get(venue_key)?;
        self.slots.get_mut(at)
    }

    /// Voids every book held: a [`MarketEvent::Reset`] for each instrument
    /// that had one, and marks all as awaiting a snapshot. Returns the
    /// instruments reset.
    fn reset_books(
        &mut self,
        now: Timestamp,
        reason: BookResetReason,
        out: &mut WsOutput,
    ) -> Vec<InstrumentId> {
        let mut reset = Vec::new();
        for slot in &mut self.slots {
            if slot.has_book {
                out.events.push(MarketEvent::Reset {
                    header: header(slot.id, None, None, now),
                    reason,
                });
                reset.push(slot.id);
            }
            slot.has_book = false;
            slot.awaiting_snapshot = true;
        }
        reset
    }

    fn awaiting_count(&self) -> usize {
        self.slots.iter().filter(|s| s.awaiting_snapshot).count()
    }
}

/// A decoder's two ways through a frame: the hot path for the message it
/// is tuned to (`true`: decoded) and the general one for everything.
trait FramePaths {
    fn counters_mut(&mut self) -> &mut FeedCounters;
    fn hot(&mut self, text: &str, now: Timestamp, out: &mut WsOutput) -> bool;
    fn general(&mut self, text: &[u8], now: Timestamp, out: &mut WsOutput) -> Result<(), WsError>;
}

/// A frame as bytes: checked as UTF-8, then [`decode_text`]; a frame
/// that is not goes to the general path, which reports it.
fn decode_bytes(
    decoder: &mut impl FramePaths,
    frame: &[u8],
    now: Timestamp,
    out: &mut WsOutput,
) -> Result<(), WsError> {
    match std::str::from_utf8(frame) {
        Ok(text) => decode_text(decoder, text, now, out),
        Err(_) => {
            decoder.counters_mut().frames += 1;
            decoder.general(frame.trim_ascii(), now, out)
        }
    }
}

/// A frame known to be UTF-8: counted, trimmed, the hot path tried first.
fn decode_text(
    decoder: &mut impl FramePaths,
    frame: &str,
    now: Timestamp,
    out: &mut WsOutput,
) -> Result<(), WsError> {
    decoder.counters_mut().frames += 1;
    let text = frame.trim_ascii();
    if decoder.hot(text, now, out) {
        return Ok(());
    }
    decoder.general(text.as_bytes(), now, out)
}

/// The first (up to) eight bytes of `key` and their mask, for
/// [`InstrumentMap::key_at`]; `(0, 0)` (never matched) for a key a JSON
/// string holds only escaped, or an empty one.
fn key_head(key: &[u8]) -> (u64, u64) {
    if key.is_empty() || key.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20) {
        return (0, 0);
    }
    let n = key.len().min(8);
    let mask = if n == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    };
    (first_word(key), mask)
}

/// The first eight bytes of `bytes` as a little-endian word, zero-padded
/// when there are fewer.
fn first_word(bytes: &[u8]) -> u64 {
    let n = bytes.len().min(8);
    let mut word = [0u8; 8];
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(word)
}

/// Appends `make()` to `events`, built where it is stored: a plain `push`
/// builds the ~200-byte event on the stack and copies it over (a library
/// `memcpy` per event, an eighth of a `price_change`'s decoding time).
#[inline(always)]
fn push_in_place(events: &mut Vec<MarketEvent>, make: impl FnOnce() -> MarketEvent) {
    // A one-item trusted-length extend writes the item straight into the
    // reserved slot.
    events.extend(std::iter::once_with(make));
}

const fn header(
    instrument: InstrumentId,
    sequence: Option<u64>,
    exchange_time: Option<Timestamp>,
    receive_time: Timestamp,
) -> MarketHeader {
    MarketHeader {
        instrument,
        sequence,
        exchange_time,
        receive_time,
    }
}

/// A JSON string, borrowed from the frame unless it had escapes.
#[derive(Clone, Debug)]
pub(crate) enum Str<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Str<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(text) => text,
            Self::Owned(text) => text,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Str<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str::Owned(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str::Owned(v))
            }
            // Schema drift: integers where strings belong (timestamps,
            // counters). Floats are refused: prices never go through f64.
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Str<'de>, E> {
                Ok(Str::Owned(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Str<'de>, E> {
                Ok(Str::Owned(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A number that venues send either as a JSON number or as a string
/// (Coinbase `heartbeat_counter`, `sequence_num`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LooseU64(pub(crate) Option<u64>);

impl<'de> serde::Deserialize<'de> for LooseU64 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = LooseU64;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an unsigned integer or its text")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<LooseU64, E> {
                Ok(LooseU64(Some(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<LooseU64, E> {
                Ok(LooseU64(u64::try_from(v).ok()))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<LooseU64, E> {
                Ok(LooseU64(None))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LooseU64, E> {
                Ok(LooseU64(v.trim().parse().ok()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Declares a borrowed JSON object type whose fields are all optional,
/// which counts the fields it does not know instead of failing on them,
/// and which accepts fields in any order. Each field lists the JSON names
/// it accepts (renames seen in the wild).
macro_rules! json_object {
    ($name:ident<$de:lifetime> { $($field:ident : $ty:ty = $($json:literal)|+),* $(,)? }) => {
        #[derive(Debug, Default)]
        pub(crate) struct $name<$de> {
            $(pub(crate) $field: Option<$ty>,)*
            pub(crate) unknown_fields: u32,
            _borrow: std::marker::PhantomData<&$de ()>,
        }

        impl $name<'_> {
            /// Every JSON name this type reads.
            #[allow(dead_code, reason = "read by the hot paths of some types only")]
            pub(crate) const KEYS: &'static [&'static str] = &[$($($json),+),*];
        }

        impl<$de> serde::Deserialize<$de> for $name<$de> {
            fn deserialize<D: serde::Deserializer<$de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor<$de>(std::marker::PhantomData<&$de ()>);
                impl<$de> serde::de::Visitor<$de> for Visitor<$de> {
                    type Value = $name<$de>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                    }
                    fn visit_map<A: serde::de::MapAccess<$de>>(
                        self,
                        mut map: A,
                    ) -> Result<Self::Value, A::Error> {
                        let mut out = $name::default();
                        while let Some(key) = map.next_key::<$crate::ws::Str<$de>>()? {
                            match key.as_str() {
                                $($($json)|+ => out.$field = map.next_value::<Option<$ty>>()?,)*
                                _ => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                    out.unknown_fields = out.unknown_fields.saturating_add(1);
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(Visitor(std::marker::PhantomData))
            }
        }

        impl<$de> $crate::ws::fast::Fast<$de> for $name<$de> {
            fn fast(scan: &mut $crate::ws::fast::Scan<$de>) -> Option<Self> {
                let mut out = $name::default();
                scan.object(|scan, key| {
                    match key {
                        $($($json)|+ => {
                            out.$field = <Option<$ty> as $crate::ws::fast::Fast<$de>>::fast(scan)?;
                        })*
                        _ => {
                            scan.skip()?;
                            out.unknown_fields = out.unknown_fields.saturating_add(1);
                        }
                    }
                    Some(())
                })?;
                Some(out)
            }
        }
    };
}

/// Decodes `frame` as a `T`: the fast path when it applies, else
/// `serde_json` (which reports what is wrong).
fn parse_frame<'a, T>(frame: &'a [u8]) -> Result<T, serde_json::Error>
where
    T: fast::Fast<'a> + serde::Deserialize<'a>,
{
    match fast::parse(frame) {
        Some(value) => Ok(value),
        None => serde_json::from_slice(frame),
    }
}
pub(crate) use json_object;

/// `text` as an exact price.
fn price(field: &'static str, text: &str) -> Result<Price, WsError> {
    Price::parse_ascii(text.as_bytes()).map_err(|e| WsError::invalid(field, text, e))
}

/// `text` as an exact, non-negative size.
fn quantity(field: &'static str, text: &str) -> Result<Quantity, WsError> {
    Quantity::parse_ascii(text.as_bytes()).map_err(|e| WsError::invalid(field, text, e))
}

/// A Unix time as digits, its unit told by its magnitude: seconds up to
/// 10¹¹ (year 5138), milliseconds up to 10¹⁴, microseconds up to 10¹⁷,
/// nanoseconds above.
fn epoch_timestamp(field: &'static str, text: &str) -> Result<Timestamp, WsError> {
    // Up to 19 plain digits cannot overflow: read eight at a time without
    // the checks of `str::parse` (this runs for every Polymarket message);
    // anything else (a sign, more digits, junk) goes through it, for its
    // error.
    let value: u64 = match plain_digits(text.as_bytes()) {
        Some(value) => value,
        None => text.parse().map_err(|e| WsError::invalid(field, text, e))?,
    };
    let nanos = if value < 100_000_000_000 {
        value.checked_mul(1_000_000_000)
    } else if value < 100_000_000_000_000 {
        value.checked_mul(1_000_000)
    } else if value < 100_000_000_000_000_000 {
        value.checked_mul(1_000)
    } else {
        Some(value)
    };
    nanos
        .map(Timestamp::from_unix_nanos)
        .ok_or_else(|| WsError::invalid(field, text, "out of range"))
}

/// The value of 1 to 19 ASCII digits; `None` for anything else.
fn plain_digits(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    let (mut value, mut rest) = (0u64, text);
    while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
        value = value * 100_000_000 + eight_digits(*chunk)?;
        rest = tail;
    }
    for &digit in rest {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(digit - b'0');
    }
    Some(value)
}

/// Eight ASCII digits (the first the most significant) as a number, in a
/// few multiplications instead of eight dependent steps; `None` unless
/// all eight are digits.
fn eight_digits(chunk: [u8; 8]) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = u64::from_le_bytes(chunk);
    let digits = word.wrapping_sub(ZEROS);
    // A byte below '0' wraps to 0x80 or more; above '9' it reaches 0x80
    // once 0x76 is added. (A borrow into the next byte only follows a byte
    // that already failed.)
    if (digits | digits.wrapping_add(0x7676_7676_7676_7676)) & HIGH != 0 {
        return None;
    }
    // Pairs, then quads, then the whole: each byte is the more significant
    // digit of its pair in the lower address (little-endian load).
    let pairs = (digits.wrapping_mul(10) + (digits >> 8)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100) + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((quads.wrapping_mul(10_000) + (quads >> 32)) & 0xFFFF_FFFF)
}

/// An RFC 3339 UTC time as Coinbase writes it:
/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)` (a space for the `T` too).
fn rfc3339(field: &'static str, text: &str) -> Result<Timestamp, WsError> {
    match rfc3339_utc_fixed(text.as_bytes()) {
        Some(time) => Ok(time),
        None => rfc3339_any(field, text),
    }
}

/// [`rfc3339`] for every form it accepts.
fn rfc3339_any(field: &'static str, text: &str) -> Result<Timestamp, WsError> {
    let bad = |reason: &str| WsError::invalid(field, text, reason);
    let b = text.as_bytes();
    // Digits as a number; `None` for a non-digit (the error is built only
    // then: this runs for every Coinbase message).
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let num = |range: std::ops::Range<usize>| -> Result<u32, WsError> {
        digits(range).ok_or_else(|| bad("expected a digit"))
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad("not YYYY-MM-DDTHH:MM:SS"));
    }
    let small = |v: u32| u8::try_from(v).map_err(|_| bad("field out of range"));
    let year = u16::try_from(num(0..4)?).map_err(|_| bad("year"))?;
    let mut at = UtcDateTime {
        year,
        month: small(num(5..7)?)?,
        day: small(num(8..10)?)?,
        hour: small(num(11..13)?)?,
        minute: small(num(14..16)?)?,
        second: small(num(17..19)?)?,
        nanosecond: 0,
    };
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut nanos = 0u32;
        while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(d - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return Err(bad("no fractional digits"));
        }
        for _ in digits..9 {
            nanos *= 10;
        }
        at.nanosecond = nanos;
    }
    let offset_secs: i64 = match b.get(i..) {
        Some(b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]) => {
            let digit = |d: u8| {
                if d.is_ascii_digit() {
                    Ok(i64::from(d - b'0'))
                } else {
                    Err(bad("bad offset"))
                }
            };
            let secs =
                (digit(*h1)? * 10 + digit(*h2)?) * 3600 + (digit(*m1)? * 10 + digit(*m2)?) * 60;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return Err(bad("expected Z or ±HH:MM")),
    };
    let local = Timestamp::from_utc(at).map_err(|e| bad(&e.to_string()))?;
    let nanos = i128::from(local.unix_nanos()) - i128::from(offset_secs) * 1_000_000_000;
    u64::try_from(nanos)
        .map(Timestamp::from_unix_nanos)
        .map_err(|_| bad("before 1970"))
}

/// The form Coinbase sends, `YYYY-MM-DDTHH:MM:SS.f{1,9}Z`, its fields
/// at fixed places and all digits checked at once; `None` for any other
/// form or an invalid date (then [`rfc3339`] decides, and says why).
#[inline]
fn rfc3339_utc_fixed(b: &[u8]) -> Option<Timestamp> {
    const POW10: [u32; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let (head, rest) = b.split_first_chunk::<20>()?;
    let (&b'Z', fraction) = rest.split_last()? else {
        return None;
    };
    if fraction.is_empty()
        || fraction.len() > 9
        || head[4] != b'-'
        || head[7] != b'-'
        || head[10] != b'T'
        || head[13] != b':'
        || head[16] != b':'
        || head[19] != b'.'
    {
        return None;
    }
    // Each digit's value; any byte that is not a digit sets `over` > 9.
    let mut over = 0u8;
    let mut digit = |byte: u8| {
        let value = byte.wrapping_sub(b'0');
        over = over.max(value);
        value
    };
    let mut pair = |at: usize| {
        digit(head[at])
            .wrapping_mul(10)
            .wrapping_add(digit(head[at + 1]))
    };
    let (century, year_of) = (pair(0), pair(2));
    let (month, day, hour, minute, second) = (pair(5), pair(8), pair(11), pair(14), pair(17));
    let mut nanos = 0u32;
    for &byte in fraction {
        nanos = nanos.wrapping_mul(10).wrapping_add(u32::from(digit(byte)));
    }
    if over > 9 {
        return None;
    }
    let at = UtcDateTime {
        year: u16::from(century) * 100 + u16::from(year_of),
        month,
        day,
        hour,
        minute,
        second,
        nanosecond: nanos * POW10[9 - fraction.len()],
    };
    Timestamp::from_utc(at).ok()
}

/// FNV-1a over `parts`, each followed by a zero byte.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in part.as_bytes().iter().chain(&[0u8]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Emits `Status(Live)` once nothing awaits a snapshot after a resync.
fn live_if_resynced(instruments: &InstrumentMap, resyncing: &mut bool, out: &mut WsOutput) {
    if *resyncing && instruments.awaiting_count() == 0 {
        *resyncing = false;
        out.notices.push(FeedNotice::Status(FeedStatus::Live));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_found_in_place_only_when_the_string_is_exactly_it() {
        let mut map = InstrumentMap::new();
        let keys = ["BTC-USD", "ABCDEFGH", "0123456789abcdef0123", "a\"b"];
        for (n, key) in keys.iter().enumerate() {
            map.insert(key, InstrumentId::new(&format!("I{n}")).unwrap());
        }
        for (n, key) in keys.iter().enumerate().take(3) {
            let body = format!("{key}\",\"next\":1}}");
            assert_eq!(map.key_at(body.as_bytes()), Some((n, key.len())), "{key}");
            // Longer, shorter, or continued by an escape: not the key.
            for other in [format!("{key}X\""), format!("{}\"", &key[..key.len() - 1])] {
                assert_eq!(map.key_at(other.as_bytes()), None, "{other}");
            }
            assert_eq!(map.key_at(format!("{key}\\n\"").as_bytes()), None);
            assert_eq!(map.key_at(key.as_bytes()), None, "no closing quote");
        }
        // A key a JSON string could hold only escaped is never matched raw.
        assert_eq!(map.key_at(b"a\"b\""), None);
        assert_eq!(map.key_at(b""), None);
        // Past the small-map size the caller reads and hashes instead.
        for n in 0..KEYS_TRIED_IN_PLACE {
            map.insert(&format!("K{n}"), InstrumentId::new("X").unwrap());
        }
        assert_eq!(map.key_at(b"BTC-USD\""), None);
        assert_eq!(map.position("BTC-USD"), Some(0));
    }

    proptest::proptest! {
        /// The eight-at-a-time digit reader reads what `str::parse` reads,
        /// and takes every run of 1 to 19 plain digits (anything else, a
        /// sign, 20 digits or junk, is left to `parse` and its error).
        #[test]
        fn plain_digits_read_as_str_parse_reads_them(
            text in "[+-]?[0-9]{0,21}|[0-9 a+.]{0,6}|18446744073709551615[0-9]?|[0-9]{0,12}[^0-9][0-9]{0,8}|[0-9]{0,8}[/:@`~\\x7f\u{80}]"
        ) {
            let plain = (1..=19).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
            match plain_digits(text.as_bytes()) {
                Some(value) => proptest::prop_assert_eq!(Ok(value), text.parse::<u64>()),
                None => proptest::prop_assert!(!plain, "{} is plain digits", text),
            }
        }
    }

    #[test]
    fn rfc3339_fixed_form_agrees_with_the_general_parser() {
        let mut texts = vec![
            "2026-04-07T14:30:01.456789Z".to_owned(),
            "2024-02-29T23:59:60.1Z".to_owned(),
            "2023-02-29T00:00:00.1Z".to_owned(),
            "1969-12-31T23:59:59.999999999Z".to_owned(),
            "2024-10-08T09:10:36.0437030612Z".to_owned(),
            "2024-10-08t09:10:36.5Z".to_owned(),
            "2024-10-08T09:10:36.5z".to_owned(),
        ];
        let base = b"2024-10-08T09:10:36.043703Z";
        assert!(rfc3339_utc_fixed(base).is_some());
        for at in 0..base.len() {
            for byte in [b'0', b'9', b'/', b':', b'a', b' ', 0xff] {
                let mut text = base.to_vec();
                text[at] = byte;
                texts.push(String::from_utf8_lossy(&text).into_owned());
            }
        }
        for text in &texts {
            let general = rfc3339_any("t", text).ok();
            if let Some(fixed) = rfc3339_utc_fixed(text.as_bytes()) {
                assert_eq!(Some(fixed), general, "{text}");
            }
            assert_eq!(rfc3339("t", text).ok(), general, "{text}");
        }
    }

    #[test]
    fn rfc3339_forms() {
        let t = |s: &str| rfc3339("t", s).map(Timestamp::unix_nanos);
        assert_eq!(t("1970-01-01T00:00:01Z").unwrap(), 1_000_000_000);
        assert_eq!(t("1970-01-01T00:00:01.5Z").unwrap(), 1_500_000_000);
        assert_eq!(t("1970-01-01T00:00:01.123456789Z").unwrap(), 1_123_456_789);
        assert_eq!(t("1970-01-01 01:00:01+01:00").unwrap(), 1_000_000_000);
        assert_eq!(
            t("2024-10-08T09:10:36.04370306Z").unwrap() % 1_000_000_000,
            43_703_060
        );
        for bad in [
            "",
            "2024-10-08",
            "2024-02-30T09:10:36.5Z",
            "2024-10-08T24:10:36.5Z",
            "2024-10-08T09:10:3x.5Z",
            "2024-10-08T09:10:36.5x5Z",
            "2024-13-08T09:10:36Z",
            "2024-10-08T09:10:36",
            "2024-10-08T09:10:36.Z",
            "2024-1x-08T09:10:36Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert!(t(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn epoch_units_by_magnitude() {
        let t = |s: &str| epoch_timestamp("t", s).map(Timestamp::unix_nanos);
        assert_eq!(t("1757908892").unwrap(), 1_757_908_892_000_000_000);
        assert_eq!(t("1757908892351").unwrap(), 1_757_908_892_351_000_000);
        assert_eq!(t("1757908892351000").unwrap(), 1_757_908_892_351_000_000);
        assert_eq!(t("1757908892351000123").unwrap(), 1_757_908_892_351_000_123);
        assert!(t("-1").is_err());
        assert!(t("12a").is_err());
        assert!(t("").is_err());
    }

    #[test]
    fn exact_decimal_forms() {
        assert_eq!(price("p", ".48").unwrap(), "0.48".parse().unwrap());
        assert_eq!(price("p", "1.").unwrap(), Price::from_int(1).unwrap());
        assert_eq!(
            quantity("q", "219.217767").unwrap().to_string(),
            "219.217767"
        );
        assert!(quantity("q", "-1").is_err());
        assert!(price("p", "1e3").is_err());
        assert!(price("p", "0.1234567891").is_err());
    }

    #[test]
    fn instrument_map_keeps_order_and_replaces() {
        let mut map = InstrumentMap::new();
        map.insert("b", InstrumentId::new("B").unwrap());
        map.insert("a", InstrumentId::new("A").unwrap());
        map.insert("b", InstrumentId::new("B2").unwrap());
        let keys: Vec<_> = map.iter().map(|(k, v)| (k, v.to_string())).collect();
        assert_eq!(keys, [("b", "B2".to_owned()), ("a", "A".to_owned())]);
        assert_eq!(map.len(), 2);
        assert!(map.get("c").is_none());
    }
}
