//! The on-disk record: a length, a CRC, the envelope and the payload.
//!
//! ```text
//! offset  size  field
//!      0     4  frame length: bytes after this field (CRC + envelope + payload)
//!      4     4  CRC-32 (IEEE) of every byte after this field
//!      8     8  offset (the record's position in the log, from 0)
//!     16     8  event time, ns since the Unix epoch
//!     24     8  receive time, ns since the Unix epoch
//!     32     8  correlation id
//!     40     2  schema version (≥ 1)
//!     42     1  topic length n
//!     43     n  topic
//!   43+n     …  payload
//! ```
//!
//! All integers are little-endian. A frame length of zero marks the end of
//! the data in a preallocated segment (the file is zero-filled beyond it).
//! A record is valid only when its length fits the file, its CRC matches
//! and its offset is the one expected at its position; a torn write fails
//! one of the three.

use model::Timestamp;

use crate::topic::{Topic, TopicError};

/// Bytes before the topic.
pub const HEADER_LEN: usize = 43;
/// Largest payload accepted, so a corrupt length cannot make a reader
/// allocate gigabytes.
pub const MAX_PAYLOAD_LEN: usize = 16 * 1024 * 1024;

/// What a record says about its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Position in the log: 0, 1, 2, … without gaps.
    pub offset: u64,
    /// What the record is about.
    pub topic: Topic,
    /// The payload's schema version for its topic (≥ 1).
    pub schema_version: u16,
    /// When the event happened (the venue's or the producer's time).
    pub event_time: Timestamp,
    /// When EMP received or produced it.
    pub receive_time: Timestamp,
    /// Ties records of one chain together (an intent, its order, its
    /// fills); 0 when none.
    pub correlation_id: u64,
}

/// An envelope before the journal assigns its offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draft {
    /// What the record is about.
    pub topic: Topic,
    /// The payload's schema version (≥ 1).
    pub schema_version: u16,
    /// When the event happened.
    pub event_time: Timestamp,
    /// When EMP received or produced it.
    pub receive_time: Timestamp,
    /// Correlation id; 0 when none.
    pub correlation_id: u64,
}

impl Draft {
    /// The envelope this draft gets at `offset`.
    pub const fn at(self, offset: u64) -> Envelope {
        Envelope {
            offset,
            topic: self.topic,
            schema_version: self.schema_version,
            event_time: self.event_time,
            receive_time: self.receive_time,
            correlation_id: self.correlation_id,
        }
    }
}

/// Why a record is refused at append.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRecord {
    /// Schema version 0.
    #[error("record for {topic}: schema version 0 is reserved; versions start at 1")]
    SchemaVersionZero {
        /// The topic.
        topic: Topic,
    },
    /// An event or receive time of zero (the Unix epoch) means a producer
    /// forgot to set it.
    #[error("record for {topic}: {which} time is unset (0); stamp it from the clock authority")]
    TimeUnset {
        /// The topic.
        topic: Topic,
        /// `event` or `receive`.
        which: &'static str,
    },
    /// The payload is empty.
    #[error("record for {topic}: the payload is empty")]
    EmptyPayload {
        /// The topic.
        topic: Topic,
    },
    /// The payload is larger than [`MAX_PAYLOAD_LEN`].
    #[error("record for {topic}: payload of {len} bytes exceeds the {MAX_PAYLOAD_LEN}-byte limit")]
    PayloadTooLarge {
        /// The topic.
        topic: Topic,
        /// Its size.
        len: usize,
    },
}

/// Checks a draft and its payload before anything is written.
pub fn validate(draft: &Draft, payload: &[u8]) -> Result<(), InvalidRecord> {
    let topic = draft.topic;
    if draft.schema_version == 0 {
        return Err(InvalidRecord::SchemaVersionZero { topic });
    }
    if draft.event_time == Timestamp::UNIX_EPOCH {
        return Err(InvalidRecord::TimeUnset {
            topic,
            which: "event",
        });
    }
    if draft.receive_time == Timestamp::UNIX_EPOCH {
        return Err(InvalidRecord::TimeUnset {
            topic,
            which: "receive",
        });
    }
    if payload.is_empty() {
        return Err(InvalidRecord::EmptyPayload { topic });
    }
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(InvalidRecord::PayloadTooLarge {
            topic,
            len: payload.len(),
        });
    }
    Ok(())
}

/// The encoded size of a record.
pub fn encoded_len(topic: &Topic, payload_len: usize) -> usize {
    HEADER_LEN + topic.as_bytes().len() + payload_len
}

/// Appends the encoded record to `out`. The caller has validated it.
pub fn encode(envelope: &Envelope, payload: &[u8], out: &mut Vec<u8>) {
    let topic = envelope.topic.as_bytes();
    let frame_len = encoded_len(&envelope.topic, payload.len()) - 4;
    let start = out.len();
    // Both lengths are bounded by MAX_PAYLOAD_LEN + 107, far below u32::MAX.
    out.extend_from_slice(&(frame_len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&envelope.offset.to_le_bytes());
    out.extend_from_slice(&envelope.event_time.unix_nanos().to_le_bytes());
    out.extend_from_slice(&envelope.receive_time.unix_nanos().to_le_bytes());
    out.extend_from_slice(&envelope.correlation_id.to_le_bytes());
    out.extend_from_slice(&envelope.schema_version.to_le_bytes());
    out.push(topic.len() as u8);
    out.extend_from_slice(topic);
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out[start + 8..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// Why the bytes at a position are not the record expected there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A zero frame length: the end of the written data.
    #[error("end of data")]
    End,
    /// Fewer bytes left than the record needs (a torn write, or the end
    /// of a file cut short).
    #[error("record needs {needed} bytes, {available} are left")]
    Truncated {
        /// Bytes the record claims.
        needed: usize,
        /// Bytes left in the file.
        available: usize,
    },
    /// The length field is impossible.
    #[error("frame length {0} is outside the valid range")]
    BadLength(u32),
    /// The CRC does not match the bytes.
    #[error("CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Crc {
        /// The stored CRC.
        stored: u32,
        /// The CRC of the bytes.
        computed: u32,
    },
    /// A valid-looking record with the wrong offset (left over from an
    /// earlier write at this position).
    #[error("record has offset {found}, {expected} was expected here")]
    OffsetMismatch {
        /// The offset expected.
        expected: u64,
        /// The offset stored.
        found: u64,
    },
    /// The topic is not valid.
    #[error("bad topic: {0}")]
    Topic(#[from] TopicError),
}

/// A record read back, borrowing its payload from the segment's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// The envelope.
    pub envelope: Envelope,
    /// The payload.
    pub payload: &'a [u8],
}

impl<'a> RecordRef<'a> {
    /// Decodes the payload as `T` (postcard, as
    /// [`append_value`](crate::JournalWriter::append_value) wrote it).
    pub fn value<T: serde::Deserialize<'a>>(&self) -> Result<T, crate::JournalError> {
        postcard::from_bytes(self.payload).map_err(|error| crate::JournalError::Decode {
            offset: self.envelope.offset,
            topic: self.envelope.topic,
            version: self.envelope.schema_version,
            reason: error.to_string(),
        })
    }
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// Decodes the record at the start of `bytes`, which must carry offset
/// `expected_offset`; returns it and its encoded length.
pub fn decode(bytes: &[u8], expected_offset: u64) -> Result<(RecordRef<'_>, usize), DecodeError> {
    if bytes.len() < 4 {
        return match bytes.iter().all(|&byte| byte == 0) {
            true => Err(DecodeError::End),
            false => Err(DecodeError::Truncated {
                needed: 4,
                available: bytes.len(),
            }),
        };
    }
    let frame_len = u32_at(bytes, 0);
    if frame_len == 0 {
        return Err(DecodeError::End);
    }
    let total = frame_len as usize + 4;
    // The smallest topic is `md.x` (4 bytes) and every payload has a byte.
    let valid = HEADER_LEN + 5..=HEADER_LEN + crate::topic::MAX_TOPIC_LEN + MAX_PAYLOAD_LEN;
    if !valid.contains(&total) {
        return Err(DecodeError::BadLength(frame_len));
    }
    if total > bytes.len() {
        return Err(DecodeError::Truncated {
            needed: total,
            available: bytes.len(),
        });
    }
    let stored = u32_at(bytes, 4);
    let computed = crc32fast::hash(&bytes[8..total]);
    if stored != computed {
        return Err(DecodeError::Crc { stored, computed });
    }
    let offset = u64_at(bytes, 8);
    if offset != expected_offset {
        return Err(DecodeError::OffsetMismatch {
            expected: expected_offset,
            found: offset,
        });
    }
    let topic_len = usize::from(bytes[42]);
    if HEADER_LEN + topic_len >= total {
        return Err(DecodeError::BadLength(frame_len));
    }
    let topic = Topic::from_bytes(&bytes[HEADER_LEN..HEADER_LEN + topic_len])?;
    let envelope = Envelope {
        offset,
        topic,
        schema_version: u16::from_le_bytes([bytes[40], bytes[41]]),
        event_time: Timestamp::from_unix_nanos(u64_at(bytes, 16)),
        receive_time: Timestamp::from_unix_nanos(u64_at(bytes, 24)),
        correlation_id: u64_at(bytes, 32),
    };
    Ok((
        RecordRef {
            envelope,
            payload: &bytes[HEADER_LEN + topic_len..total],
        },
        total,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use proptest::prelude::*;

    fn draft(topic: &str) -> Draft {
        Draft {
            topic: Topic::new(topic).unwrap(),
            schema_version: 1,
            event_time: Timestamp::from_unix_nanos(1_700_000_000_000_000_000),
            receive_time: Timestamp::from_unix_nanos(1_700_000_000_000_000_500),
            correlation_id: 42,
        }
    }

    #[test]
    fn layout_matches_the_documented_table() {
        let mut out = Vec::new();
        encode(&draft("order.new").at(7), b"xyz", &mut out);
        assert_eq!(out.len(), HEADER_LEN + 9 + 3);
        assert_eq!(u32_at(&out, 0) as usize, out.len() - 4);
        assert_eq!(u32_at(&out, 4), crc32fast::hash(&out[8..]));
        assert_eq!(u64_at(&out, 8), 7);
        assert_eq!(u64_at(&out, 32), 42);
        assert_eq!(&out[40..42], &[1, 0]);
        assert_eq!(out[42], 9);
        assert_eq!(&out[43..52], b"order.new");
        assert_eq!(&out[52..], b"xyz");
    }

    #[test]
    fn every_kind_of_damage_is_detected() {
        let mut out = Vec::new();
        encode(&draft("md.book").at(3), b"payload", &mut out);
        assert_eq!(decode(&out, 3).unwrap().1, out.len());
        // Torn: any strict prefix.
        for cut in 1..out.len() {
            assert!(decode(&out[..cut], 3).is_err(), "prefix of {cut} bytes");
        }
        // Any flipped bit.
        for byte in 0..out.len() {
            let mut damaged = out.clone();
            damaged[byte] ^= 0x10;
            assert!(decode(&damaged, 3).is_err(), "bit flip at byte {byte}");
        }
        // A valid record where another offset is expected.
        assert_eq!(
            decode(&out, 4).unwrap_err(),
            DecodeError::OffsetMismatch {
                expected: 4,
                found: 3
            }
        );
        assert_eq!(decode(&[0; 64], 0).unwrap_err(), DecodeError::End);
        assert_eq!(decode(&[], 0).unwrap_err(), DecodeError::End);
    }

    #[test]
    fn validation_refuses_what_a_reader_could_not_use() {
        let good = draft("risk.denied");
        assert_eq!(validate(&good, b"x"), Ok(()));
        let mut bad = good;
        bad.schema_version = 0;
        assert!(matches!(
            validate(&bad, b"x"),
            Err(InvalidRecord::SchemaVersionZero { .. })
        ));
        let mut bad = good;
        bad.receive_time = Timestamp::UNIX_EPOCH;
        assert!(
            validate(&bad, b"x")
                .unwrap_err()
                .to_string()
                .contains("receive time is unset")
        );
        assert!(matches!(
            validate(&good, b""),
            Err(InvalidRecord::EmptyPayload { .. })
        ));
        assert!(matches!(
            validate(&good, &vec![0; MAX_PAYLOAD_LEN + 1]),
            Err(InvalidRecord::PayloadTooLarge { .. })
        ));
    }

    proptest! {
        #[test]
        fn round_trips(offset in any::<u64>(), event in 1u64.., receive in 1u64.., correlation in any::<u64>(), version in 1u16.., payload in proptest::collection::vec(any::<u8>(), 1..300)) {
            let envelope = Envelope {
                offset,
                topic: Topic::new("strategy.intent").unwrap(),
                schema_version: version,
                event_time: Timestamp::from_unix_nanos(event),
                receive_time: Timestamp::from_unix_nanos(receive),
                correlation_id: correlation,
            };
            let mut out = vec![0xAA];
            encode(&envelope, &payload, &mut out);
            let (record, len) = decode(&out[1..], offset).unwrap();
            prop_assert_eq!(len, out.len() - 1);
            prop_assert_eq!(record.envelope, envelope);
            prop_assert_eq!(record.payload, &payload[..]);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), offset in any::<u64>()) {
            let _ = decode(&bytes, offset);
        }
    }
}
