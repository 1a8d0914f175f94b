//! Validated identifiers: order, execution, instrument, strategy and run ids.
//!
//! Every id is an inline, fixed-capacity ASCII string (`Copy`, no heap, no
//! interning: ids such as ClOrdID are unbounded in number). Construction
//! goes through [`new`](ClOrdId::new), which checks the text; there is no
//! panicking `From<&str>`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Why a text is not a valid identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The text is empty.
    #[error("{kind} is empty")]
    Empty {
        /// Which identifier.
        kind: &'static str,
    },
    /// The text is longer than the identifier holds.
    #[error("{kind} is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// Which identifier.
        kind: &'static str,
        /// Length of the text.
        len: usize,
        /// Capacity of the identifier.
        max: usize,
    },
    /// A byte outside printable ASCII (0x20..=0x7E), or a leading or
    /// trailing space.
    #[error(
        "{kind} has byte {byte:#04x} at position {index}; only printable ASCII without surrounding spaces is allowed"
    )]
    InvalidByte {
        /// Which identifier.
        kind: &'static str,
        /// Position of the byte.
        index: usize,
        /// The offending byte.
        byte: u8,
    },
}

/// Inline storage shared by all identifiers: `N` bytes and a length.
#[derive(Clone, Copy)]
struct InlineAscii<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> InlineAscii<N> {
    fn new(kind: &'static str, text: &[u8]) -> Result<Self, IdError> {
        if text.is_empty() {
            return Err(IdError::Empty { kind });
        }
        if text.len() > N {
            return Err(IdError::TooLong {
                kind,
                len: text.len(),
                max: N,
            });
        }
        let last = text.len() - 1;
        for (index, &byte) in text.iter().enumerate() {
            let printable = (0x20..=0x7e).contains(&byte);
            let edge_space = byte == b' ' && (index == 0 || index == last);
            if !printable || edge_space {
                return Err(IdError::InvalidByte { kind, index, byte });
            }
        }
        let mut bytes = [0u8; N];
        bytes[..text.len()].copy_from_slice(text);
        Ok(Self {
            // N ≤ 255 for every id below, checked by `const _` asserts.
            len: text.len() as u8,
            bytes,
        })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    fn as_str(&self) -> &str {
        // Only printable ASCII is ever stored.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// Orders as the texts do, eight bytes at a time. Ids are map keys
    /// looked up several times per market event, and a `memcmp` call per
    /// comparison dominated those lookups. Bytes past `len` are zero and
    /// stored bytes never are (see `new`), so the zero-padded arrays,
    /// compared up to the longer text, order exactly as the texts.
    /// Equal texts, comparing whole words in native order (no byte swap,
    /// no ordering to build), the first one on its own: most ids fit in
    /// it, and maps keyed by id compare on every lookup.
    #[inline(always)]
    fn eq_text(&self, other: &Self) -> bool {
        if self.len != other.len {
            return false;
        }
        // Every capacity is a multiple of 8 (asserted with each id), and
        // the bytes after the text are zero.
        let (ours, theirs) = (
            self.bytes.as_chunks::<8>().0,
            other.bytes.as_chunks::<8>().0,
        );
        let word = |chunk: &[u8; 8]| u64::from_ne_bytes(*chunk);
        let (Some(first), Some(their_first)) = (ours.first(), theirs.first()) else {
            return true;
        };
        if word(first) != word(their_first) {
            return false;
        }
        let words = usize::from(self.len).div_ceil(8);
        words <= 1
            || ours[1..]
                .iter()
                .zip(&theirs[1..])
                .take(words - 1)
                .all(|(a, b)| word(a) == word(b))
    }

    #[inline]
    fn cmp_text(&self, other: &Self) -> std::cmp::Ordering {
        // Every capacity is a multiple of 8 (asserted with each id).
        let words = usize::from(self.len.max(other.len)).div_ceil(8);
        let (ours, theirs) = (
            self.bytes.as_chunks::<8>().0,
            other.bytes.as_chunks::<8>().0,
        );
        ours.iter()
            .zip(theirs)
            .take(words)
            .map(|(a, b)| u64::from_be_bytes(*a).cmp(&u64::from_be_bytes(*b)))
            .find(|order| order.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $cap:expr, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name(InlineAscii<$cap>);

        const _: () = assert!($cap <= 255 && $cap % 8 == 0);

        impl $name {
            /// Longest text this identifier holds, in bytes.
            pub const CAPACITY: usize = $cap;

            /// Checks `text` (printable ASCII, 1 to [`Self::CAPACITY`]
            /// bytes, no leading or trailing space) and stores it.
            pub fn new(text: &str) -> Result<Self, IdError> {
                Self::from_ascii(text.as_bytes())
            }

            /// As [`Self::new`], from the raw bytes of a wire field.
            pub fn from_ascii(text: &[u8]) -> Result<Self, IdError> {
                InlineAscii::new($kind, text).map(Self)
            }

            /// The identifier's text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// The identifier's bytes, as they go on the wire.
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }
        }

        impl PartialEq for $name {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                self.0.eq_text(&other.0)
            }
        }

        impl Eq for $name {}

        impl PartialOrd for $name {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            #[inline]
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.0.cmp_text(&other.0)
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.as_bytes().hash(state);
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::new(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        // Read back through the checking constructor: a journal cannot
        // smuggle in an id the type would refuse.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::new(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

define_id!(
    /// ClOrdID (11): the id EMP gives each order message it sends (new,
    /// cancel, replace). Unique across restarts (see the OMS's generator).
    ClOrdId, 64, "ClOrdID"
);
define_id!(
    /// OrderID (37): the venue's id of an order, stable across replaces.
    OrderId, 64, "OrderID"
);
define_id!(
    /// ExecID (17): the venue's id of one execution report; a report whose
    /// ExecID was already applied is a duplicate.
    ExecId, 64, "ExecID"
);
define_id!(
    /// EMP's name of a tradable instrument, such as `EURUSD.CTRADER`.
    /// Long enough for a Polymarket token id (78 digits) with a suffix.
    InstrumentId, 96, "InstrumentId"
);
define_id!(
    /// The venue's name of an instrument, as it goes in Symbol (55):
    /// cTrader's numeric ids (`1`), Coinbase product ids (`BTC-USD`).
    VenueSymbol, 96, "VenueSymbol"
);
define_id!(
    /// The strategy that owns an order or a position.
    StrategyId, 32, "StrategyId"
);
define_id!(
    /// One run of EMP (live, paper, replay or backtest); stamped on intents.
    RunId, 32, "RunId"
);
define_id!(
    /// MDEntryID (278): the id of one quote in an entry-based book (cTrader
    /// depth adds and deletes quotes by this id).
    EntryId, 64, "MDEntryID"
);
define_id!(
    /// A venue's id of one public trade (Coinbase `trade_id`, a Polymarket
    /// trade hash).
    TradeId, 96, "TradeId"
);
define_id!(
    /// A request id for status and position queries: MassStatusReqID (584),
    /// PosReqID (710).
    RequestId, 64, "RequestId"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_printable_ascii_and_compares_by_text() {
        let a = ClOrdId::new("E1-42").unwrap();
        assert_eq!(a.as_str(), "E1-42");
        assert_eq!(a, "E1-42".parse().unwrap());
        assert_eq!(format!("{a:?}"), "ClOrdId(\"E1-42\")");
        assert!(ClOrdId::new("a").unwrap() < ClOrdId::new("b").unwrap());
        assert_eq!(
            OrderId::new("with inner space").unwrap().as_str(),
            "with inner space"
        );
    }

    #[test]
    fn rejects_empty_long_and_control_bytes() {
        assert_eq!(ClOrdId::new(""), Err(IdError::Empty { kind: "ClOrdID" }));
        assert_eq!(
            StrategyId::new(&"s".repeat(33)),
            Err(IdError::TooLong {
                kind: "StrategyId",
                len: 33,
                max: 32
            })
        );
        assert_eq!(
            ExecId::from_ascii(b"a\x01b"),
            Err(IdError::InvalidByte {
                kind: "ExecID",
                index: 1,
                byte: 1
            })
        );
        assert!(ExecId::new(" lead").is_err());
        assert!(ExecId::new("trail ").is_err());
        assert!(InstrumentId::new("é").is_err());
        let token = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
        assert!(InstrumentId::new(&format!("{token}.POLYMARKET")).is_ok());
    }

    proptest! {
        #[test]
        fn compares_as_the_texts_do(a in "[!-~]{1,20}", b in "[!-~]{1,20}") {
            let (x, y) = (InstrumentId::new(&a).unwrap(), InstrumentId::new(&b).unwrap());
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
            prop_assert_eq!(x == y, a == b);
            let prefix = &a[..a.len().div_ceil(2)];
            let shorter = InstrumentId::new(prefix).unwrap();
            prop_assert_eq!(shorter.cmp(&x), prefix.cmp(a.as_str()));
        }

        #[test]
        fn compares_long_texts_differing_late(
            a in "[!-~]{1,90}",
            at in 0usize..90,
            byte in 0x21u8..0x7f,
        ) {
            let mut b = a.clone().into_bytes();
            let at = at % b.len();
            b[at] = byte;
            let b = String::from_utf8(b).unwrap();
            let (x, y) = (InstrumentId::new(&a).unwrap(), InstrumentId::new(&b).unwrap());
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
            prop_assert_eq!(x == y, a == b);
        }

        #[test]
        fn valid_text_round_trips(text in "[!-~]([ -~]{0,62}[!-~])?") {
            let id = ClOrdId::new(&text).unwrap();
            prop_assert_eq!(id.as_str(), text.as_str());
            prop_assert_eq!(id.to_string(), text);
        }
    }
}
