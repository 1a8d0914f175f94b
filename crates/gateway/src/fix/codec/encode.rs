//! The encoder: writes 8, 9 and 35, then the header in ascending tag order
//! (as QuickFIX orders it), then the body in the order the caller writes it,
//! then CheckSum. BodyLength is written with as many digits as it needs (no
//! zero padding), CheckSum always with three.

use std::cell::Cell;
use std::ops::Range;

use model::ascii::DIGIT_PAIRS;
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
    /// Pre-encoded fields given to [`BodyWriter::raw`] do not end with SOH.
    #[error("pre-encoded fields must end with SOH (0x01)")]
    UnterminatedRawFields,
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
    /// The day of the last timestamp written and its `YYYYMMDD-` text:
    /// consecutive messages share a date, and the calendar is the costly
    /// part of formatting a timestamp.
    last_day: Cell<(u64, [u8; 9])>,
}

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
            last_day: Cell::new((u64::MAX, [0; 9])),
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
        &'b self,
        out: &'b mut Vec<u8>,
        msg_type: &[u8],
        header: &Header<'_>,
    ) -> BodyWriter<'b> {
        let message_start = out.len();
        let mut writer = BodyWriter {
            out,
            pos: message_start,
            message_start,
            length_start: 0,
            body_start: 0,
            encoder: self,
            problem: None,
        };
        writer.put(&self.prefix);
        writer.put(b"9=");
        writer.length_start = writer.pos;
        writer.put(&[b'0'; RESERVED_LENGTH_DIGITS]);
        writer.put(&[SOH]);
        writer.body_start = writer.pos;
        writer.str(tags::MSG_TYPE, msg_type);
        writer.header(header);
        writer
    }

    /// `YYYYMMDD-HH:MM:SS[.f…]` for `value` into `buf`; returns its length.
    fn format_timestamp(
        &self,
        value: Timestamp,
        precision: TimestampPrecision,
        buf: &mut [u8; 27],
    ) -> usize {
        const NANOS_PER_DAY: u64 = 86_400_000_000_000;
        let nanos = value.unix_nanos();
        let day = nanos / NANOS_PER_DAY;
        let (cached_day, mut date) = self.last_day.get();
        if cached_day != day {
            let t = value.to_utc();
            let [y1, y2] = DIGIT_PAIRS[usize::from(t.year / 100)];
            let [y3, y4] = DIGIT_PAIRS[usize::from(t.year % 100)];
            let [m1, m2] = DIGIT_PAIRS[usize::from(t.month)];
            let [d1, d2] = DIGIT_PAIRS[usize::from(t.day)];
            date = [y1, y2, y3, y4, m1, m2, d1, d2, b'-'];
            self.last_day.set((day, date));
        }
        let of_day = nanos % NANOS_PER_DAY;
        let seconds = of_day / 1_000_000_000;
        let [h1, h2] = DIGIT_PAIRS[(seconds / 3600) as usize];
        let [mi1, mi2] = DIGIT_PAIRS[(seconds / 60 % 60) as usize];
        let [s1, s2] = DIGIT_PAIRS[(seconds % 60) as usize];
        buf[..9].copy_from_slice(&date);
        buf[9..17].copy_from_slice(&[h1, h2, b':', mi1, mi2, b':', s1, s2]);
        let digits = precision.digits();
        if digits == 0 {
            return 17;
        }
        // Nine fraction digits, of which the first `digits` are kept.
        let mut fraction = (of_day % 1_000_000_000) as usize;
        buf[17] = b'.';
        let mut at = 27;
        for _ in 0..4 {
            at -= 2;
            buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[fraction % 100]);
            fraction /= 100;
        }
        buf[18] = b'0' + fraction as u8;
        18 + digits
    }
}

/// BodyLength digits reserved before the body is written; other lengths
/// shift the body once at the end.
const RESERVED_LENGTH_DIGITS: usize = 3;

/// Room made at once in the output, so most writes need no check beyond
/// "is there room".
const GROW_STEP: usize = 256;

/// Writes the rest of a message begun by [`Encoder::begin`].
///
/// Body fields appear in the order they are written, so repeating groups are
/// written as FIX orders them: the NumInGroup field, then each entry starting
/// with its delimiter.
#[derive(Debug)]
#[must_use = "a message is complete only after finish()"]
pub struct BodyWriter<'b> {
    /// Bytes up to `pos` are the message so far; beyond `pos` up to
    /// `out.len()` is zeroed room, cut off by `finish`.
    out: &'b mut Vec<u8>,
    pos: usize,
    message_start: usize,
    length_start: usize,
    body_start: usize,
    encoder: &'b Encoder,
    problem: Option<EncodeError>,
}

impl BodyWriter<'_> {
    /// `len` writable bytes at the cursor (the cursor does not move).
    #[inline]
    fn room(&mut self, len: usize) -> &mut [u8] {
        if self.pos + len > self.out.len() {
            self.grow(len);
        }
        &mut self.out[self.pos..self.pos + len]
    }

    #[cold]
    fn grow(&mut self, len: usize) {
        let wanted = (self.pos + len + GROW_STEP).max(self.out.len() * 2);
        self.out.resize(wanted, 0);
    }

    /// Appends `bytes`, copying with fixed-size moves: most values are a few
    /// bytes, where a call to `memcpy` would cost more than the copy.
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        let room = self.room(len.max(16));
        copy_small(room, bytes);
        self.pos += len;
    }

    fn header(&mut self, header: &Header<'_>) {
        if header.extra.is_empty() {
            self.uint(tags::MSG_SEQ_NUM, header.msg_seq_num);
            if header.poss_dup {
                self.bool(tags::POSS_DUP_FLAG, true);
            }
            self.str(tags::SENDER_COMP_ID, header.sender_comp_id);
            self.timestamp(tags::SENDING_TIME, header.sending_time);
            self.str(tags::TARGET_COMP_ID, header.target_comp_id);
            if let Some(orig) = header.orig_sending_time {
                self.timestamp(tags::ORIG_SENDING_TIME, orig);
            }
            return;
        }
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

    /// Writes `<tag>=` at the start of `room` (at least 16 bytes); returns
    /// its length.
    #[inline]
    fn tag_into(&mut self, room_start: usize, tag: Tag) -> usize {
        if tag == 0 {
            self.problem.get_or_insert(EncodeError::ZeroTag);
        }
        let (word, len) = tag_word(tag);
        self.out[room_start..room_start + 8].copy_from_slice(&word.to_le_bytes());
        if len <= 8 {
            return len;
        }
        // Tags of eight digits and more: rare, written digit by digit.
        let mut text = [0u8; 20];
        let digits = format_u64_right(&mut text, u64::from(tag));
        self.out[room_start..room_start + digits].copy_from_slice(&text[20 - digits..]);
        self.out[room_start + digits] = b'=';
        digits + 1
    }

    /// A field whose value is `value`, written with one capacity check.
    #[inline]
    fn field(&mut self, tag: Tag, value: &[u8]) {
        let len = value.len();
        self.room(len + 32);
        let start = self.pos;
        let tag_len = self.tag_into(start, tag);
        let value_start = start + tag_len;
        copy_small(&mut self.out[value_start..], value);
        self.out[value_start + len] = SOH;
        self.pos = value_start + len + 1;
    }

    /// A field with a text value, which must not contain SOH.
    pub fn str(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        if contains_soh(value) {
            self.problem
                .get_or_insert(EncodeError::ValueContainsSoh { tag });
        }
        self.field(tag, value);
        self
    }

    /// A field with a signed integer value.
    pub fn int(&mut self, tag: Tag, value: i64) -> &mut Self {
        let mut digits = [0u8; 20];
        let count = format_u64_right(&mut digits, value.unsigned_abs());
        let mut text = [0u8; 21];
        text[1..].copy_from_slice(&digits);
        let start = 21 - count - usize::from(value < 0);
        if value < 0 {
            text[start] = b'-';
        }
        self.field(tag, &text[start..]);
        self
    }

    /// A field with an unsigned integer value (sequence numbers, lengths).
    pub fn uint(&mut self, tag: Tag, value: u64) -> &mut Self {
        let mut text = [0u8; 20];
        let digits = format_u64_right(&mut text, value);
        self.field(tag, &text[20 - digits..]);
        self
    }

    /// A field with an exact decimal value, written as it displays.
    pub fn decimal(&mut self, tag: Tag, value: Decimal) -> &mut Self {
        let mut text = [0u8; Decimal::MAX_TEXT_LEN];
        self.field(tag, value.format_ascii(&mut text));
        self
    }

    /// A CHAR field.
    pub fn char(&mut self, tag: Tag, value: u8) -> &mut Self {
        self.str(tag, &[value])
    }

    /// A BOOLEAN field, `Y` or `N`.
    pub fn bool(&mut self, tag: Tag, value: bool) -> &mut Self {
        self.field(tag, if value { b"Y" } else { b"N" });
        self
    }

    /// A UTCTimestamp field with the encoder's precision.
    pub fn timestamp(&mut self, tag: Tag, value: Timestamp) -> &mut Self {
        self.timestamp_with(tag, value, self.encoder.precision)
    }

    /// A UTCTimestamp field with an explicit precision.
    pub fn timestamp_with(
        &mut self,
        tag: Tag,
        value: Timestamp,
        precision: TimestampPrecision,
    ) -> &mut Self {
        let mut text = [0u8; 27];
        let len = self.encoder.format_timestamp(value, precision, &mut text);
        self.field(tag, &text[..len]);
        self
    }

    /// A length field and its data field; the data may contain SOH.
    pub fn data(&mut self, length_tag: Tag, data_tag: Tag, data: &[u8]) -> &mut Self {
        self.uint(length_tag, data.len() as u64);
        self.field(data_tag, data);
        self
    }

    /// Appends fields already encoded as `tag=value<SOH>…`, as they are: a
    /// stored message's body when it is resent, or a body the caller built
    /// elsewhere. The bytes must be empty or end with SOH.
    pub fn raw(&mut self, fields: &[u8]) -> &mut Self {
        if fields.last().is_some_and(|&last| last != SOH) {
            self.problem
                .get_or_insert(EncodeError::UnterminatedRawFields);
            return self;
        }
        self.room(fields.len());
        self.out[self.pos..self.pos + fields.len()].copy_from_slice(fields);
        self.pos += fields.len();
        self
    }

    /// Writes BodyLength and CheckSum and returns where the message lies in
    /// the output buffer. On error the buffer is left as it was.
    pub fn finish(self) -> Result<Range<usize>, EncodeError> {
        if let Some(problem) = self.problem {
            self.out.truncate(self.message_start);
            return Err(problem);
        }
        let out = self.out;
        out.truncate(self.pos);
        let body_length = out.len() - self.body_start;
        let mut digits = [0u8; 20];
        let text = format_u64(&mut digits, body_length as u64);
        if text.len() != RESERVED_LENGTH_DIGITS {
            // Move the body so the length fits exactly, once per message.
            let old_body_start = self.body_start;
            let new_body_start = self.length_start + text.len() + 1;
            let end = out.len();
            if new_body_start > old_body_start {
                let grow = new_body_start - old_body_start;
                out.resize(end + grow, 0);
                out.copy_within(old_body_start..end, new_body_start);
            } else {
                out.copy_within(old_body_start..end, new_body_start);
                out.truncate(end - (old_body_start - new_body_start));
            }
        }
        out[self.length_start..self.length_start + text.len()].copy_from_slice(text);
        out[self.length_start + text.len()] = SOH;
        let sum = checksum(&out[self.message_start..]);
        let [c2, c3] = DIGIT_PAIRS[usize::from(sum % 100)];
        out.extend_from_slice(&[b'1', b'0', b'=', b'0' + sum / 100, c2, c3, SOH]);
        Ok(self.message_start..out.len())
    }
}

/// Copies `bytes` to the start of `room` (at least 16 bytes, and at least
/// `bytes.len()`) with fixed-size moves for short inputs.
#[inline]
fn copy_small(room: &mut [u8], bytes: &[u8]) {
    let len = bytes.len();
    match len {
        0 => {}
        1..=3 => {
            room[0] = bytes[0];
            room[len / 2] = bytes[len / 2];
            room[len - 1] = bytes[len - 1];
        }
        4..=7 => {
            room[..4].copy_from_slice(&bytes[..4]);
            room[len - 4..len].copy_from_slice(&bytes[len - 4..]);
        }
        8..=16 => {
            room[..8].copy_from_slice(&bytes[..8]);
            room[len - 8..len].copy_from_slice(&bytes[len - 8..]);
        }
        _ => room[..len].copy_from_slice(bytes),
    }
}

/// `<tag>=` packed little-endian into a word, with its length; tags of
/// eight digits and more do not fit (length above 8).
#[inline]
fn tag_word(tag: Tag) -> (u64, usize) {
    let pair = |value: u32| u64::from(u16::from_le_bytes(DIGIT_PAIRS[(value % 100) as usize]));
    let equals = u64::from(b'=');
    match tag {
        0..=9 => (u64::from(b'0' + tag as u8) | equals << 8, 2),
        10..=99 => (pair(tag) | equals << 16, 3),
        100..=999 => (
            u64::from(b'0' + (tag / 100) as u8) | pair(tag) << 8 | equals << 24,
            4,
        ),
        1000..=9999 => (pair(tag / 100) | pair(tag) << 16 | equals << 32, 5),
        10_000..=99_999 => (
            u64::from(b'0' + (tag / 10_000) as u8)
                | pair(tag / 100) << 8
                | pair(tag) << 24
                | equals << 40,
            6,
        ),
        100_000..=999_999 => (
            pair(tag / 10_000) | pair(tag / 100) << 16 | pair(tag) << 32 | equals << 48,
            7,
        ),
        1_000_000..=9_999_999 => (
            u64::from(b'0' + (tag / 1_000_000) as u8)
                | pair(tag / 10_000) << 8
                | pair(tag / 100) << 24
                | pair(tag) << 40
                | equals << 56,
            8,
        ),
        _ => (0, 9),
    }
}

/// True when `bytes` contains SOH; eight bytes per step.
#[inline]
fn contains_soh(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |word: u64| {
        let x = word ^ ONES;
        x.wrapping_sub(ONES) & !x & HIGHS != 0
    };
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        if has_zero(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]))) {
            return true;
        }
    }
    // At most seven bytes: a branch-free pass beats a call to memchr.
    chunks
        .remainder()
        .iter()
        .fold(false, |found, &byte| found | (byte == SOH))
}

/// Writes the decimal digits of `value` at the start of `buf`, returning
/// them.
#[inline]
fn format_u64(buf: &mut [u8], value: u64) -> &[u8] {
    let mut text = [0u8; 20];
    let digits = format_u64_right(&mut text, value);
    buf[..digits].copy_from_slice(&text[20 - digits..]);
    &buf[..digits]
}

/// Writes the decimal digits of `value` at the end of `buf`; returns how
/// many.
#[inline]
fn format_u64_right(buf: &mut [u8; 20], value: u64) -> usize {
    buf.len() - model::ascii::format_u64_right(buf, value)
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
        let encoder = Encoder::new(b"FIX.4.4");
        let mut body = encoder.begin(&mut out, b"0", head);
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
        let encoder = Encoder::new(b"FIX.4.4");
        let mut body = encoder.begin(&mut out, b"0", &header(&[]));
        body.str(58, b"a\x01b");
        assert_eq!(
            body.finish(),
            Err(EncodeError::ValueContainsSoh { tag: 58 })
        );
        assert_eq!(out, b"previous");
    }
}
