//! The zero-copy decoder: one complete message in, a field index out.
//!
//! [`Decoder::decode`] checks the frame (8, 9 and 35 first, BodyLength,
//! CheckSum last and correct, maximum size) and splits every field into a
//! [`Field`]: the tag and the byte ranges of tag and value. Values are not
//! copied; [`Message`] and [`FieldRef`] borrow the input. Typed accessors
//! parse a value only when asked.
//!
//! Dictionary rules (is the tag defined, is the value in its enumeration, is
//! a required field missing) are the validator's job
//! ([`crate::fix::dict::Validator`]); the decoder only needs to know which
//! fields carry length-prefixed binary data, because those may contain SOH.

use std::ops::Range;

use model::{Decimal, DecimalError, Timestamp};

use super::error::{DecodeError, DecodeErrorKind};
use super::value;
use super::{SOH, Tag};
use crate::fix::tags;

/// Default maximum message size: 1 MiB, enough for deep market-data
/// snapshots, small enough that a hostile peer cannot make a buffer grow
/// without bound.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;

/// One field of a decoded message: its tag and where it lies in the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    tag: Tag,
    tag_start: u32,
    value_start: u32,
    value_end: u32,
}

impl Field {
    /// The tag number; 0 for a tag written as zero or negative, which
    /// validation reports as an invalid tag number.
    pub const fn tag(self) -> Tag {
        self.tag
    }

    /// Byte offset of the field (of its tag) in the message.
    pub const fn offset(self) -> usize {
        self.tag_start as usize
    }

    /// Byte range of the tag text, without `=`.
    pub const fn tag_range(self) -> Range<usize> {
        self.tag_start as usize..self.value_start as usize - 1
    }

    /// Byte range of the value, without SOH.
    pub const fn value_range(self) -> Range<usize> {
        self.value_start as usize..self.value_end as usize
    }

    /// True when the value is empty (`tag=` followed by SOH).
    pub const fn is_empty(self) -> bool {
        self.value_start == self.value_end
    }
}

/// Which fields carry length-prefixed binary data (FIX type DATA), and the
/// field that gives each one's length.
///
/// A data value may contain SOH, so the decoder must take its length from
/// the length field instead of scanning for the delimiter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFields {
    /// The lowest data tag: most tags are below it and need no lookup.
    lowest: Tag,
    /// Bit per tag below 4096: set for data fields.
    low: [u64; 64],
    /// (data tag, length tag), sorted by data tag.
    pairs: Vec<(Tag, Tag)>,
}

impl DataFields {
    /// No data fields: every value ends at the first SOH.
    pub fn none() -> Self {
        Self {
            lowest: Tag::MAX,
            low: [0; 64],
            pairs: Vec::new(),
        }
    }

    /// The data fields of the standard FIX 4.2, 4.4 and FIXT 1.1 dictionaries,
    /// for decoding without a dictionary.
    pub fn standard() -> Self {
        Self::from_pairs([
            (tags::SIGNATURE, tags::SIGNATURE_LENGTH),
            (91, 90),
            (96, 95),
            (213, 212),
            (349, 348),
            (351, 350),
            (353, 352),
            (355, 354),
            (357, 356),
            (359, 358),
            (361, 360),
            (363, 362),
            (365, 364),
            (446, 445),
            (619, 618),
            (622, 621),
            (1402, 1401),
            (1404, 1403),
        ])
    }

    /// A table from (data tag, length tag) pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Tag, Tag)>) -> Self {
        let mut table = Self::none();
        for (data, length) in pairs {
            if let Some(word) = table.low.get_mut(data as usize / 64) {
                *word |= 1 << (data % 64);
            }
            table.pairs.push((data, length));
            table.lowest = table.lowest.min(data);
        }
        table.pairs.sort_unstable();
        table.pairs.dedup_by_key(|pair| pair.0);
        table
    }

    /// The length field of data field `tag`, or `None` if `tag` is not data.
    #[inline]
    pub fn length_tag(&self, tag: Tag) -> Option<Tag> {
        if tag < self.lowest || !self.is_data(tag) {
            return None;
        }
        self.pairs
            .binary_search_by_key(&tag, |pair| pair.0)
            .ok()
            .map(|index| self.pairs[index].1)
    }

    /// The (data tag, length tag) pairs, sorted by data tag.
    pub fn pairs(&self) -> &[(Tag, Tag)] {
        &self.pairs
    }

    #[inline]
    fn is_data(&self, tag: Tag) -> bool {
        match self.low.get(tag as usize / 64) {
            Some(word) => word & (1 << (tag % 64)) != 0,
            None => self.pairs.binary_search_by_key(&tag, |pair| pair.0).is_ok(),
        }
    }
}

impl Default for DataFields {
    fn default() -> Self {
        Self::standard()
    }
}

/// Decoder settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Largest message accepted, in bytes.
    pub max_message_size: usize,
    /// Check BodyLength and CheckSum (QuickFIX's ValidateLengthAndChecksum).
    pub validate_length_and_checksum: bool,
    /// Length-prefixed data fields.
    pub data_fields: DataFields,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            validate_length_and_checksum: true,
            data_fields: DataFields::standard(),
        }
    }
}

/// Decodes complete messages into a reusable field index.
///
/// ```
/// use gateway::fix::codec::Decoder;
///
/// let wire = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01";
/// let mut decoder = Decoder::default();
/// let message = decoder.decode(wire)?;
/// assert_eq!(message.msg_type(), b"0");
/// assert_eq!(message.field_count(), 4);
/// # Ok::<(), gateway::fix::codec::DecodeError>(())
/// ```
#[derive(Debug, Default)]
pub struct Decoder {
    config: DecoderConfig,
    /// Field slots, kept at their high-water length so the field loop
    /// writes by index; the first `count` belong to the last message.
    fields: Vec<Field>,
    count: usize,
}

impl Decoder {
    /// A decoder with the given settings.
    pub fn new(config: DecoderConfig) -> Self {
        Self {
            config,
            fields: Vec::new(),
            count: 0,
        }
    }

    /// The decoder's settings.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Decodes one complete message (from `8=` through the SOH after
    /// CheckSum). The field index is reused across calls.
    pub fn decode<'a>(&'a mut self, bytes: &'a [u8]) -> Result<Message<'a>, DecodeError> {
        self.count = 0;
        self.count = split_fields(bytes, &self.config, &mut self.fields)?;
        Ok(Message {
            bytes,
            fields: &self.fields[..self.count],
        })
    }
}

/// Sum of the bytes modulo 256, as CheckSum (10) is defined.
#[inline]
pub fn checksum(bytes: &[u8]) -> u8 {
    // Wrapping byte addition reduces modulo 256 as it goes and vectorizes.
    bytes.iter().fold(0u8, |sum, &byte| sum.wrapping_add(byte))
}

fn error(kind: DecodeErrorKind, tag: Option<Tag>, offset: usize) -> DecodeError {
    DecodeError::new(kind, tag, offset)
}

/// Index of the first SOH at or after `from`.
#[inline]
fn find_soh(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&byte| byte == SOH)
        .map(|index| from + index)
}

/// Narrows an offset; `split_fields` refuses messages of 4 GiB or more
/// before taking any.
#[inline]
fn offset32(value: usize) -> u32 {
    value as u32
}

/// Splits and checks a complete message; returns how many of `fields` it
/// filled.
fn split_fields(
    bytes: &[u8],
    config: &DecoderConfig,
    fields: &mut Vec<Field>,
) -> Result<usize, DecodeError> {
    use DecodeErrorKind as K;
    let len = bytes.len();
    if len > config.max_message_size || len > u32::MAX as usize {
        return Err(error(
            K::MessageTooLarge {
                size: len,
                max: config.max_message_size,
            },
            None,
            0,
        ));
    }
    // Every field is at least three bytes (`1=<SOH>`): this many slots
    // always suffice, so the loop below never grows the buffer.
    let most = len / 3 + 1;
    if fields.len() < most {
        fields.resize(
            most,
            Field {
                tag: 0,
                tag_start: 0,
                value_start: 0,
                value_end: 0,
            },
        );
    }

    // 8=BeginString
    if !bytes.starts_with(b"8=") {
        return Err(error(K::BeginStringNotFirst, Some(tags::BEGIN_STRING), 0));
    }
    let end = find_soh(bytes, 2).ok_or(error(K::UnterminatedField, Some(tags::BEGIN_STRING), 0))?;
    fields[0] = Field {
        tag: tags::BEGIN_STRING,
        tag_start: 0,
        value_start: 2,
        value_end: offset32(end),
    };

    // 9=BodyLength
    let start = end + 1;
    if !bytes[start..].starts_with(b"9=") {
        return Err(error(
            K::BodyLengthNotSecond,
            Some(tags::BODY_LENGTH),
            start,
        ));
    }
    let end = find_soh(bytes, start + 2).ok_or(error(
        K::UnterminatedField,
        Some(tags::BODY_LENGTH),
        start,
    ))?;
    let declared_body_length = value::parse_uint(&bytes[start + 2..end])
        .and_then(|length| usize::try_from(length).ok())
        .ok_or(error(K::InvalidBodyLength, Some(tags::BODY_LENGTH), start))?;
    fields[1] = Field {
        tag: tags::BODY_LENGTH,
        tag_start: offset32(start),
        value_start: offset32(start + 2),
        value_end: offset32(end),
    };

    // 35=MsgType, then every other field up to and including 10=CheckSum.
    let body_start = end + 1;
    if !bytes[body_start..].starts_with(b"35=") {
        return Err(error(K::MsgTypeNotThird, Some(tags::MSG_TYPE), body_start));
    }
    let count = split_body(bytes, body_start, config, fields)?;

    if config.validate_length_and_checksum {
        let checksum_field = fields[count - 1];
        let checksum_start = checksum_field.offset();
        let actual = checksum_start - body_start;
        if actual != declared_body_length {
            return Err(error(
                K::BodyLengthMismatch {
                    declared: declared_body_length,
                    actual,
                },
                Some(tags::BODY_LENGTH),
                start,
            ));
        }
        let text = &bytes[checksum_field.value_range()];
        let declared = match text {
            [a, b, c] if text.iter().all(u8::is_ascii_digit) => {
                u32::from(a - b'0') * 100 + u32::from(b - b'0') * 10 + u32::from(c - b'0')
            }
            _ => {
                return Err(error(
                    K::InvalidCheckSum,
                    Some(tags::CHECK_SUM),
                    checksum_start,
                ));
            }
        };
        let computed = checksum(&bytes[..checksum_start]);
        if declared != u32::from(computed) {
            return Err(error(
                K::CheckSumMismatch { declared, computed },
                Some(tags::CHECK_SUM),
                checksum_start,
            ));
        }
    }
    Ok(count)
}

/// Splits the fields from MsgType through CheckSum into `fields[2..]`;
/// returns the total field count.
///
/// A plain byte loop per tag and per value: FIX fields are short, and the
/// branches of these loops follow the message's shape, which the CPU learns;
/// wider scanning (memchr, bitmaps) measured slower on these messages.
fn split_body(
    bytes: &[u8],
    body_start: usize,
    config: &DecoderConfig,
    fields: &mut [Field],
) -> Result<usize, DecodeError> {
    use DecodeErrorKind as K;
    let len = bytes.len();
    // With a SOH last, every scan below stops inside `bytes`.
    if bytes.last() != Some(&SOH) {
        return Err(error(K::CheckSumNotLast, Some(tags::CHECK_SUM), len));
    }
    let mut count = 2;
    let mut pos = body_start;
    loop {
        if pos >= len {
            return Err(error(K::CheckSumNotLast, Some(tags::CHECK_SUM), len));
        }
        // Tag: 1 to 9 digits, then '='. Anything else takes the cold path,
        // which also keeps zero and negative tags (as tag 0) so validation
        // can reject them with their number.
        let mut cursor = pos;
        let mut tag: u32 = 0;
        loop {
            let digit = bytes[cursor].wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            tag = tag.wrapping_mul(10).wrapping_add(u32::from(digit));
            cursor += 1;
        }
        if bytes[cursor] != b'=' || cursor == pos || cursor - pos > 9 {
            (tag, cursor) = unusual_tag(bytes, pos)?;
        }
        let value_start = cursor + 1;
        let value_end = match config.data_fields.length_tag(tag) {
            None => {
                let mut end = value_start;
                while bytes[end] != SOH {
                    end += 1;
                }
                end
            }
            Some(length_tag) => {
                data_end(bytes, &fields[..count], tag, length_tag, pos, value_start)?
            }
        };
        fields[count] = Field {
            tag,
            tag_start: offset32(pos),
            value_start: offset32(value_start),
            value_end: offset32(value_end),
        };
        count += 1;
        pos = value_end + 1;
        if tag == tags::CHECK_SUM {
            break;
        }
    }
    if pos != len {
        return Err(error(
            K::CheckSumNotLast,
            Some(tags::CHECK_SUM),
            fields[count - 1].offset(),
        ));
    }
    Ok(count)
}

/// A tag that is not 1 to 9 digits: a negative tag (kept as tag 0 with its
/// `=` position) or a malformed field.
#[cold]
fn unusual_tag(bytes: &[u8], pos: usize) -> Result<(Tag, usize), DecodeError> {
    use DecodeErrorKind as K;
    let digits_start = pos + usize::from(bytes[pos] == b'-');
    let digits = bytes[digits_start..]
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    let cursor = digits_start + digits;
    match bytes[cursor] {
        b'=' if digits > 0 && digits <= 9 => Ok((0, cursor)),
        SOH => Err(error(K::MissingEquals, None, pos)),
        _ => Err(error(K::MalformedTag, None, pos)),
    }
}

/// Where the value of data field `tag` ends, from its length field among
/// `previous`.
#[cold]
fn data_end(
    bytes: &[u8],
    previous: &[Field],
    tag: Tag,
    length_tag: Tag,
    pos: usize,
    value_start: usize,
) -> Result<usize, DecodeError> {
    use DecodeErrorKind as K;
    let length_field = previous
        .iter()
        .rev()
        .find(|field| field.tag == length_tag)
        .ok_or(error(K::MissingDataLength { length_tag }, Some(tag), pos))?;
    let length = value::parse_uint(&bytes[length_field.value_range()])
        .and_then(|length| usize::try_from(length).ok())
        .ok_or(error(K::InvalidDataLength { length_tag }, Some(tag), pos))?;
    let end = value_start.saturating_add(length);
    if bytes.get(end) != Some(&SOH) {
        return Err(error(
            K::DataLengthMismatch { declared: length },
            Some(tag),
            pos,
        ));
    }
    Ok(end)
}

/// A decoded message: the bytes and the index of their fields, in wire order.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    bytes: &'a [u8],
    fields: &'a [Field],
}

impl<'a> Message<'a> {
    /// The whole message as received.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Every field in wire order, from BeginString to CheckSum.
    pub fn fields(&self) -> &'a [Field] {
        self.fields
    }

    /// Number of fields, BeginString, BodyLength and CheckSum included.
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// The field at `index` in wire order.
    pub fn field_at(&self, index: usize) -> Option<FieldRef<'a>> {
        self.fields.get(index).map(|&field| self.field_ref(field))
    }

    /// Every field with its value, in wire order.
    pub fn iter(&self) -> impl Iterator<Item = FieldRef<'a>> + '_ {
        self.fields.iter().map(|&field| self.field_ref(field))
    }

    /// BeginString (8).
    pub fn begin_string(&self) -> &'a [u8] {
        &self.bytes[self.fields[0].value_range()]
    }

    /// MsgType (35).
    pub fn msg_type(&self) -> &'a [u8] {
        &self.bytes[self.fields[2].value_range()]
    }

    /// The first field with `tag`, if any.
    #[inline]
    pub fn get(&self, tag: Tag) -> Option<FieldRef<'a>> {
        self.fields
            .iter()
            .find(|field| field.tag == tag)
            .map(|&field| self.field_ref(field))
    }

    /// The first field with `tag`, or a RequiredTagMissing error.
    pub fn require(&self, tag: Tag) -> Result<FieldRef<'a>, DecodeError> {
        self.get(tag).ok_or(error(
            DecodeErrorKind::RequiredTagMissing,
            Some(tag),
            self.bytes.len(),
        ))
    }

    /// The value bytes of a field of this message.
    pub fn value(&self, field: Field) -> &'a [u8] {
        &self.bytes[field.value_range()]
    }

    /// A field of this message with its value.
    pub fn field_ref(&self, field: Field) -> FieldRef<'a> {
        FieldRef {
            tag: field.tag,
            value: &self.bytes[field.value_range()],
            offset: field.offset(),
        }
    }
}

/// One field's tag and value, with typed accessors. Errors carry the tag and
/// the field's byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRef<'a> {
    tag: Tag,
    value: &'a [u8],
    offset: usize,
}

impl<'a> FieldRef<'a> {
    /// The tag number.
    pub const fn tag(&self) -> Tag {
        self.tag
    }

    /// The raw value bytes.
    pub const fn value(&self) -> &'a [u8] {
        self.value
    }

    /// Byte offset of the field in its message.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    fn fail(&self, kind: DecodeErrorKind) -> DecodeError {
        error(kind, Some(self.tag), self.offset)
    }

    fn format_error(&self) -> DecodeError {
        self.fail(DecodeErrorKind::IncorrectDataFormat)
    }

    /// The value as UTF-8 text (STRING and related types).
    pub fn as_str(&self) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.value).map_err(|_| self.format_error())
    }

    /// INT, LENGTH, NUMINGROUP, SEQNUM, TAGNUM, DAYOFMONTH as a signed integer.
    pub fn as_int(&self) -> Result<i64, DecodeError> {
        value::parse_int(self.value).ok_or_else(|| self.format_error())
    }

    /// A non-negative integer such as a sequence number or a length.
    pub fn as_uint(&self) -> Result<u64, DecodeError> {
        value::parse_uint(self.value).ok_or_else(|| self.format_error())
    }

    /// FLOAT, PRICE, QTY, AMT, PRICEOFFSET, PERCENTAGE as an exact decimal.
    ///
    /// Malformed text is IncorrectDataFormat; a well-formed number with more
    /// than 18 significant or fractional digits is ValueIsIncorrect.
    pub fn as_decimal(&self) -> Result<Decimal, DecodeError> {
        Decimal::parse_ascii(self.value).map_err(|problem| match problem {
            DecimalError::Overflow | DecimalError::ScaleTooLarge(_) => {
                self.fail(DecodeErrorKind::ValueIsIncorrect)
            }
            _ => self.format_error(),
        })
    }

    /// UTCTIMESTAMP with 0 to 9 fractional digits.
    ///
    /// Malformed text is IncorrectDataFormat; a valid date outside the range
    /// of [`Timestamp`] (1970 to 2554) is ValueIsIncorrect.
    pub fn as_timestamp(&self) -> Result<Timestamp, DecodeError> {
        let fields = value::parse_utc_timestamp(self.value).ok_or_else(|| self.format_error())?;
        Timestamp::from_utc(fields).map_err(|_| self.fail(DecodeErrorKind::ValueIsIncorrect))
    }

    /// UTCTIMEONLY as (hour, minute, second, nanosecond).
    pub fn as_time_only(&self) -> Result<(u8, u8, u8, u32), DecodeError> {
        value::parse_utc_time_only(self.value).ok_or_else(|| self.format_error())
    }

    /// UTCDATEONLY as (year, month, day).
    pub fn as_date_only(&self) -> Result<(u16, u8, u8), DecodeError> {
        value::parse_utc_date_only(self.value).ok_or_else(|| self.format_error())
    }

    /// CHAR: exactly one byte.
    pub fn as_char(&self) -> Result<u8, DecodeError> {
        match self.value {
            [byte] => Ok(*byte),
            _ => Err(self.format_error()),
        }
    }

    /// BOOLEAN: `Y` or `N`.
    pub fn as_bool(&self) -> Result<bool, DecodeError> {
        value::parse_bool(self.value).ok_or_else(|| self.format_error())
    }

    /// DATA: the raw bytes, which may include SOH.
    pub const fn as_data(&self) -> &'a [u8] {
        self.value
    }
}
