//! The encoder: writes 8, 9 and 35, then the header in ascending tag order
//! (as QuickFIX orders it), then the body in the order the caller writes it,
//! then CheckSum. BodyLength is written with as many digits as it needs (no
//! zero padding), CheckSum always with three.

use std::ops::Range;

use model::{Decimal, Timestamp};

use super::decode::checksum;
use super::{SOH, Tag};
use crate::fix::tags;

/// Fractional digits written in UTCTimestamp fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TimestampPrecision {
    /// `YYYYMMDD-HH:MM:SS`.
    Seconds,
    /// `YYYYMMDD-HH:MM:SS.sss`, the default and what QuickFIX sends.
    #[default]
    Millis,
    /// `YYYYMMDD-HH:MM:SS.ssssss`.
    Micros,
    /// `YYYYMMDD-HH:MM:SS.sssssssss`.
    Nanos,
}

impl TimestampPrecision {
    /// Number of fractional digits.
    pub const fn digits(self) -> usize {
        match self {
            Self::Seconds => 0,
            Self::Millis => 3,
            Self::Micros => 6,
            Self::Nanos => 9,
        }
    }

    /// The precision with `digits` fractional digits (0, 3, 6 or 9).
    pub const fn from_digits(digits: usize) -> Option<Self> {
        match digits {
            0 => Some(Self::Seconds),
            3 => Some(Self::Millis),
            6 => Some(Self::Micros),
            9 => Some(Self::Nanos),
            _ => None,
        }
    }
}

/// The standard header of an outgoing message.
#[derive(Clone, Copy, Debug)]
pub struct Header<'h> {
    /// SenderCompID (49).
    pub sender_comp_id: &'h [u8],
    /// TargetCompID (56).
    pub target_comp_id: &'h [u8],
    /// MsgSeqNum (34).
    pub msg_seq_num: u64,
    /// SendingTime (52).
    pub sending_time: Timestamp,
    /// PossDupFlag (43), written only when set.
    pub poss_dup: bool,
    /// OrigSendingTime (122), for resent messages.
    pub orig_sending_time: Option<Timestamp>,
    /// Any other header fields (SenderSubID, TargetSubID, OnBehalfOfCompID,
    /// ApplVerID, …) in any order; they are written sorted by tag. They must
    /// not repeat the fields above.
    pub extra: &'h [(Tag, &'h [u8])],
}

/// Why a message could not be encoded. Nothing is left in the output buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A non-data value contains SOH, which would split the field on the wire.
    #[error("value of tag {tag} contains SOH (0x01); send binary content in a DATA field")]
    ValueContainsSoh {
        /// The tag whose value was refused.
        tag: Tag,
    },
    /// Tag 0 is not a FIX tag.
    #[error("tag 0 is not a FIX tag number")]
    ZeroTag,
}

/// Writes complete FIX messages for one BeginString.
///
/// ```
/// use gateway::fix::codec::{Encoder, Header};
/// use model::{Decimal, Timestamp};
///
/// let encoder = Encoder::new(b"FIX.4.4");
/// let header = Header {
///     sender_comp_id: b"CLIENT",
///     target_comp_id: b"VENUE",
///     msg_seq_num: 7,
///     sending_time: Timestamp::from_unix_nanos(1_484_647_334_720_000_000),
///     poss_dup: false,
///     orig_sending_time: None,
///     extra: &[(57, b"TRADE")],
/// };
/// let mut out = Vec::new();
/// let mut body = encoder.begin(&mut out, b"D", &header);
/// body.str(11, b"876316397").int(54, 1).decimal(38, "10000".parse()?);
/// let range = body.finish()?;
/// assert_eq!(
///     &out[range],
///     b"8=FIX.4.4\x019=90\x0135=D\x0134=7\x0149=CLIENT\x0152=20170117-10:02:14.720\x01\
///       56=VENUE\x0157=TRADE\x0111=876316397\x0154=1\x0138=10000\x0110=051\x01"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Encoder {
    /// `8=<BeginString><SOH>`, written first in every message.
    prefix: Box<[u8]>,
    precision: TimestampPrecision,
}

/// BodyLength digits reserved before the body is written; other lengths
/// shift the body once at the end.
const RESERVED_LENGTH_DIGITS: usize = 3;

impl Encoder {
    /// An encoder for messages with this BeginString, writing SendingTime
    /// with millisecond precision.
    pub fn new(begin_string: &[u8]) -> Self {
        let mut prefix = Vec::with_capacity(begin_string.len() + 3);
        prefix.extend_from_slice(b"8=");
        prefix.extend_from_slice(begin_string);
        prefix.push(SOH);
        Self {
            prefix: prefix.into_boxed_slice(),
            precision: TimestampPrecision::default(),
        }
    }

    /// Sets the precision of SendingTime, OrigSendingTime and
    /// [`BodyWriter::timestamp`] fields.
    pub fn with_timestamp_precision(mut self, precision: TimestampPrecision) -> Self {
        self.precision = precision;
        self
    }

    /// The configured timestamp precision.
    pub fn timestamp_precision(&self) -> TimestampPrecision {
        self.precision
    }

    /// Starts a message at the end of `out`: writes 8, a BodyLength
    /// placeholder, 35 and the header. Write the body with the returned
    /// writer, then call [`BodyWriter::finish`].
    pub fn begin<'b>(
        &self,
        out: &'b mut Vec<u8>,
        msg_type: &[u8],
        header: &Header<'_>,
    ) -> BodyWriter<'b> {
        let message_start = out.len();
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(b"9=");
        let length_start = out.len();
        out.extend_from_slice(&[b'0'; RESERVED_LENGTH_DIGITS]);
        out.push(SOH);
        let mut writer = BodyWriter {
            out,
            message_start,
            length_start,
            body_start: length_start + RESERVED_LENGTH_DIGITS + 1,
            precision: self.precision,
            problem: None,
        };
        writer.str(tags::MSG_TYPE, msg_type);
        writer.header(header);
        writer
    }
}

/// Writes the rest of a message begun by [`Encoder::begin`].
///
/// Body fields appear in the order they are written, so repeating groups are
/// written as FIX orders them: the NumInGroup field, then each entry starting
/// with its delimiter.
#[derive(Debug)]
#[must_use = "a message is complete only after finish()"]
pub struct BodyWriter<'b> {
    out: &'b mut Vec<u8>,
    message_start: usize,
    length_start: usize,
    body_start: usize,
    precision: TimestampPrecision,
    problem: Option<EncodeError>,
}

impl BodyWriter<'_> {
    fn header(&mut self, header: &Header<'_>) {
        // Standard fields in ascending tag order; extras merged in by tag.
        let mut extra: Vec<(Tag, &[u8])>;
        let mut inline: [(Tag, &[u8]); 16] = [(0, &[]); 16];
        let sorted: &mut [(Tag, &[u8])] = if header.extra.len() <= inline.len() {
            let slot = &mut inline[..header.extra.len()];
            slot.copy_from_slice(header.extra);
            slot
        } else {
            extra = header.extra.to_vec();
            &mut extra
        };
        sorted.sort_unstable_by_key(|entry| entry.0);
        let mut pending = sorted.iter().peekable();
        let mut write_extras_below = |writer: &mut Self, tag: Tag| {
            while let Some(&&(extra_tag, value)) = pending.peek() {
                if extra_tag >= tag {
                    break;
                }
                writer.str(extra_tag, value);
                pending.next();
            }
        };
        write_extras_below(self, tags::MSG_SEQ_NUM);
        self.uint(tags::MSG_SEQ_NUM, header.msg_seq_num);
        write_extras_below(self, tags::POSS_DUP_FLAG);
        if header.poss_dup {
            self.bool(tags::POSS_DUP_FLAG, true);
        }
        write_extras_below(self, tags::SENDER_COMP_ID);
        self.str(tags::SENDER_COMP_ID, header.sender_comp_id);
        write_extras_below(self, tags::SENDING_TIME);
        self.timestamp(tags::SENDING_TIME, header.sending_time);
        write_extras_below(self, tags::TARGET_COMP_ID);
        self.str(tags::TARGET_COMP_ID, header.target_comp_id);
        write_extras_below(self, tags::ORIG_SENDING_TIME);
        if let Some(orig) = header.orig_sending_time {
            self.timestamp(tags::ORIG_SENDING_TIME, orig);
        }
        write_extras_below(self, Tag::MAX);
    }

    #[inline]
    fn tag(&mut self, tag: Tag) {
        if tag == 0 {
            self.problem.get_or_insert(EncodeError::ZeroTag);
        }
        write_u64(self.out, u64::from(tag));
        self.out.push(b'=');
    }

    /// A field with a text value, which must not contain SOH.
    pub fn str(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        if value.contains(&SOH) {
            self.problem
                .get_or_insert(EncodeError::ValueContainsSoh { tag });
        }
        self.tag(tag);
        self.out.extend_from_slice(value);
        self.out.push(SOH);
        self
    }

    /// A field with a signed integer value.
    pub fn int(&mut self, tag: Tag, value: i64) -> &mut Self {
        self.tag(tag);
        if value < 0 {
            self.out.push(b'-');
        }
        write_u64(self.out, value.unsigned_abs());
        self.out.push(SOH);
        self
    }

    /// A field with an unsigned integer value (sequence numbers, lengths).
    pub fn uint(&mut self, tag: Tag, value: u64) -> &mut Self {
        self.tag(tag);
        write_u64(self.out, value);
        self.out.push(SOH);
        self
    }

    /// A field with an exact decimal value, written as it displays.
    pub fn decimal(&mut self, tag: Tag, value: Decimal) -> &mut Self {
        self.tag(tag);
        value.write_ascii(self.out);
        self.out.push(SOH);
        self
    }

    /// A CHAR field.
    pub fn char(&mut self, tag: Tag, value: u8) -> &mut Self {
        self.str(tag, &[value])
    }

    /// A BOOLEAN field, `Y` or `N`.
    pub fn bool(&mut self, tag: Tag, value: bool) -> &mut Self {
        self.str(tag, if value { b"Y" } else { b"N" })
    }

    /// A UTCTimestamp field with the encoder's precision.
    pub fn timestamp(&mut self, tag: Tag, value: Timestamp) -> &mut Self {
        self.timestamp_with(tag, value, self.precision)
    }

    /// A UTCTimestamp field with an explicit precision.
    pub fn timestamp_with(
        &mut self,
        tag: Tag,
        value: Timestamp,
        precision: TimestampPrecision,
    ) -> &mut Self {
        self.tag(tag);
        write_utc_timestamp(self.out, value, precision);
        self.out.push(SOH);
        self
    }

    /// A length field and its data field; the data may contain SOH.
    pub fn data(&mut self, length_tag: Tag, data_tag: Tag, data: &[u8]) -> &mut Self {
        self.uint(length_tag, data.len() as u64);
        self.tag(data_tag);
        self.out.extend_from_slice(data);
        self.out.push(SOH);
        self
    }

    /// Writes BodyLength and CheckSum and returns where the message lies in
    /// the output buffer. On error the buffer is left as it was.
    pub fn finish(self) -> Result<Range<usize>, EncodeError> {
        if let Some(problem) = self.problem {
            self.out.truncate(self.message_start);
            return Err(problem);
        }
        let body_length = self.out.len() - self.body_start;
        let mut digits = [0u8; 20];
        let text = format_u64(&mut digits, body_length as u64);
        if text.len() != RESERVED_LENGTH_DIGITS {
            // Move the body so the length fits exactly, once per message.
            let old_body_start = self.body_start;
            let new_body_start = self.length_start + text.len() + 1;
            if new_body_start > old_body_start {
                let grow = new_body_start - old_body_start;
                let end = self.out.len();
                self.out.resize(end + grow, 0);
                self.out.copy_within(old_body_start..end, new_body_start);
            } else {
                let end = self.out.len();
                self.out.copy_within(old_body_start..end, new_body_start);
                self.out.truncate(end - (old_body_start - new_body_start));
            }
        }
        self.out[self.length_start..self.length_start + text.len()].copy_from_slice(text);
        self.out[self.length_start + text.len()] = SOH;
        let sum = checksum(&self.out[self.message_start..]);
        self.out.extend_from_slice(&[
            b'1',
            b'0',
            b'=',
            b'0' + sum / 100,
            b'0' + sum / 10 % 10,
            b'0' + sum % 10,
            SOH,
        ]);
        Ok(self.message_start..self.out.len())
    }
}

/// Writes the decimal digits of `value` at the end of `buf`, returning them.
#[inline]
fn format_u64(buf: &mut [u8; 20], mut value: u64) -> &[u8] {
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    &buf[pos..]
}

#[inline]
fn write_u64(out: &mut Vec<u8>, value: u64) {
    if value < 10 {
        out.push(b'0' + value as u8);
        return;
    }
    let mut buf = [0u8; 20];
    out.extend_from_slice(format_u64(&mut buf, value));
}

/// Two digits of a value below 100.
#[inline]
fn two(value: u8) -> [u8; 2] {
    [b'0' + value / 10, b'0' + value % 10]
}

/// Appends `YYYYMMDD-HH:MM:SS[.fff…]`.
pub(crate) fn write_utc_timestamp(
    out: &mut Vec<u8>,
    value: Timestamp,
    precision: TimestampPrecision,
) {
    let t = value.to_utc();
    let year = t.year;
    let [y1, y2] = two((year / 100) as u8);
    let [y3, y4] = two((year % 100) as u8);
    let [mo1, mo2] = two(t.month);
    let [d1, d2] = two(t.day);
    let [h1, h2] = two(t.hour);
    let [mi1, mi2] = two(t.minute);
    let [s1, s2] = two(t.second);
    out.extend_from_slice(&[
        y1, y2, y3, y4, mo1, mo2, d1, d2, b'-', h1, h2, b':', mi1, mi2, b':', s1, s2,
    ]);
    let digits = precision.digits();
    if digits > 0 {
        let mut fraction = [0u8; 10];
        fraction[0] = b'.';
        let mut nanos = t.nanosecond;
        for slot in fraction[1..].iter_mut().rev() {
            *slot = b'0' + (nanos % 10) as u8;
            nanos /= 10;
        }
        out.extend_from_slice(&fraction[..=digits]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::codec::Decoder;

    fn header<'h>(extra: &'h [(Tag, &'h [u8])]) -> Header<'h> {
        Header {
            sender_comp_id: b"ISLD",
            target_comp_id: b"TW",
            msg_seq_num: 2,
            sending_time: Timestamp::from_unix_nanos(1_689_222_617_816_123_456),
            poss_dup: false,
            orig_sending_time: None,
            extra,
        }
    }

    fn encode(build: impl FnOnce(&mut BodyWriter<'_>), head: &Header<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut body = Encoder::new(b"FIX.4.4").begin(&mut out, b"0", head);
        build(&mut body);
        let range = body.finish().unwrap();
        out[range].to_vec()
    }

    #[test]
    fn heartbeat_matches_quickfix_layout() {
        let wire = encode(|_| {}, &header(&[]));
        assert_eq!(
            wire,
            b"8=FIX.4.4\x019=49\x0135=0\x0134=2\x0149=ISLD\x0152=20230713-04:30:17.816\x0156=TW\x0110=177\x01"
        );
        let mut decoder = Decoder::default();
        assert!(decoder.decode(&wire).is_ok());
    }

    #[test]
    fn header_extras_are_sorted_among_the_standard_fields() {
        let extra: [(Tag, &[u8]); 4] = [
            (128, b"DEST"),
            (50, b"DESK"),
            (115, b"ONBEHALF"),
            (57, b"TRADE"),
        ];
        let mut head = header(&extra);
        head.poss_dup = true;
        head.orig_sending_time = Some(Timestamp::from_unix_nanos(1_689_222_600_000_000_000));
        let wire = encode(|_| {}, &head);
        let mut decoder = Decoder::default();
        let message = decoder.decode(&wire).unwrap();
        let order: Vec<Tag> = message.fields().iter().map(|f| f.tag()).collect();
        assert_eq!(
            order,
            [8, 9, 35, 34, 43, 49, 50, 52, 56, 57, 115, 122, 128, 10]
        );
    }

    #[test]
    fn more_than_sixteen_header_extras_still_sort() {
        let values: Vec<Vec<u8>> = (0..20).map(|i| format!("v{i}").into_bytes()).collect();
        let extra: Vec<(Tag, &[u8])> = (0..20)
            .map(|i| (10_000 - i as Tag, values[i].as_slice()))
            .collect();
        let wire = encode(|_| {}, &header(&extra));
        let mut decoder = Decoder::default();
        let message = decoder.decode(&wire).unwrap();
        let tags: Vec<Tag> = message.fields().iter().map(|f| f.tag()).collect();
        let mut sorted = tags[3..tags.len() - 1].to_vec();
        sorted.sort_unstable();
        assert_eq!(tags[3..tags.len() - 1], sorted[..]);
    }

    #[test]
    fn body_length_needs_no_padding_for_any_size() {
        for filler in [0, 1, 40, 900, 12_000] {
            let text = vec![b'x'; filler];
            let wire = encode(
                |body| {
                    if filler > 0 {
                        body.str(58, &text);
                    }
                },
                &header(&[]),
            );
            let mut decoder = Decoder::default();
            let message = decoder
                .decode(&wire)
                .unwrap_or_else(|e| panic!("{filler}: {e}"));
            let length = message.get(9).unwrap().value();
            assert_ne!(length[0], b'0', "zero-padded BodyLength {length:?}");
        }
    }

    #[test]
    fn typed_fields_and_timestamp_precisions() {
        let at = Timestamp::from_unix_nanos(1_689_222_617_816_123_456);
        let wire = encode(
            |body| {
                body.int(1000, -42)
                    .uint(1001, u64::MAX)
                    .decimal(44, "-1.0500".parse().unwrap())
                    .char(54, b'1')
                    .bool(1002, false)
                    .timestamp_with(60, at, TimestampPrecision::Seconds)
                    .timestamp_with(1003, at, TimestampPrecision::Micros)
                    .timestamp_with(1004, at, TimestampPrecision::Nanos)
                    .data(95, 96, b"a\x01b");
            },
            &header(&[]),
        );
        let mut decoder = Decoder::default();
        let message = decoder.decode(&wire).unwrap();
        let text = |tag| message.get(tag).unwrap().value();
        assert_eq!(text(1000), b"-42");
        assert_eq!(text(1001), b"18446744073709551615");
        assert_eq!(text(44), b"-1.0500");
        assert_eq!(text(60), b"20230713-04:30:17");
        assert_eq!(text(1003), b"20230713-04:30:17.816123");
        assert_eq!(text(1004), b"20230713-04:30:17.816123456");
        assert_eq!(text(96), b"a\x01b");
        assert_eq!(message.get(1004).unwrap().as_timestamp().unwrap(), at);
    }

    #[test]
    fn refuses_soh_in_text_and_leaves_the_buffer_untouched() {
        let mut out = b"previous".to_vec();
        let mut body = Encoder::new(b"FIX.4.4").begin(&mut out, b"0", &header(&[]));
        body.str(58, b"a\x01b");
        assert_eq!(
            body.finish(),
            Err(EncodeError::ValueContainsSoh { tag: 58 })
        );
        assert_eq!(out, b"previous");
    }
}
