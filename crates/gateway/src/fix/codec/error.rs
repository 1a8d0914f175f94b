//! Typed decode and validation errors, and how each maps onto the wire.
//!
//! Every problem found in counterparty input is a [`DecodeError`]: what went
//! wrong ([`DecodeErrorKind`]), the tag it concerns, and the byte offset in
//! the message. [`DecodeError::disposition`] says what a FIX session does
//! about it: ignore a garbled message, send a session Reject (35=3) with
//! SessionRejectReason (373), RefTagID (371) and Text (58), or log out.

use std::fmt;

use super::Tag;

/// SessionRejectReason (373) values and their standard texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionRejectReason {
    /// 0: the tag number is not defined in the dictionary.
    InvalidTagNumber,
    /// 1: a required field is absent.
    RequiredTagMissing,
    /// 2: the field is defined, but not for this message type.
    TagNotDefinedForMessageType,
    /// 3: the tag is not defined at all.
    UndefinedTag,
    /// 4: `tag=` with an empty value.
    TagSpecifiedWithoutValue,
    /// 5: the value is not one of the field's enumerated values.
    ValueIsIncorrect,
    /// 6: the value does not match the field's data type.
    IncorrectDataFormat,
    /// 7: decryption problem.
    DecryptionProblem,
    /// 8: signature problem.
    SignatureProblem,
    /// 9: SenderCompID or TargetCompID do not match the session.
    CompIdProblem,
    /// 10: SendingTime too far from the receiver's clock.
    SendingTimeAccuracyProblem,
    /// 11: MsgType not defined in the dictionary.
    InvalidMsgType,
    /// 12: XML validation error.
    XmlValidationError,
    /// 13: a non-repeating tag appears more than once.
    TagAppearsMoreThanOnce,
    /// 14: header, body and trailer are not in that order.
    TagSpecifiedOutOfRequiredOrder,
    /// 15: a repeating-group entry does not start with its delimiter.
    RepeatingGroupFieldsOutOfOrder,
    /// 16: NumInGroup does not match the entries present.
    IncorrectNumInGroupCount,
    /// 17: a non-data value contains SOH.
    NonDataValueIncludesFieldDelimiter,
    /// 18: ApplVerID not supported.
    InvalidApplVerId,
    /// 99: other.
    Other,
}

impl SessionRejectReason {
    /// The value sent in tag 373.
    pub const fn code(self) -> u32 {
        match self {
            Self::InvalidTagNumber => 0,
            Self::RequiredTagMissing => 1,
            Self::TagNotDefinedForMessageType => 2,
            Self::UndefinedTag => 3,
            Self::TagSpecifiedWithoutValue => 4,
            Self::ValueIsIncorrect => 5,
            Self::IncorrectDataFormat => 6,
            Self::DecryptionProblem => 7,
            Self::SignatureProblem => 8,
            Self::CompIdProblem => 9,
            Self::SendingTimeAccuracyProblem => 10,
            Self::InvalidMsgType => 11,
            Self::XmlValidationError => 12,
            Self::TagAppearsMoreThanOnce => 13,
            Self::TagSpecifiedOutOfRequiredOrder => 14,
            Self::RepeatingGroupFieldsOutOfOrder => 15,
            Self::IncorrectNumInGroupCount => 16,
            Self::NonDataValueIncludesFieldDelimiter => 17,
            Self::InvalidApplVerId => 18,
            Self::Other => 99,
        }
    }

    /// The reason for a 373 value, if the value is defined.
    pub const fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => Self::InvalidTagNumber,
            1 => Self::RequiredTagMissing,
            2 => Self::TagNotDefinedForMessageType,
            3 => Self::UndefinedTag,
            4 => Self::TagSpecifiedWithoutValue,
            5 => Self::ValueIsIncorrect,
            6 => Self::IncorrectDataFormat,
            7 => Self::DecryptionProblem,
            8 => Self::SignatureProblem,
            9 => Self::CompIdProblem,
            10 => Self::SendingTimeAccuracyProblem,
            11 => Self::InvalidMsgType,
            12 => Self::XmlValidationError,
            13 => Self::TagAppearsMoreThanOnce,
            14 => Self::TagSpecifiedOutOfRequiredOrder,
            15 => Self::RepeatingGroupFieldsOutOfOrder,
            16 => Self::IncorrectNumInGroupCount,
            17 => Self::NonDataValueIncludesFieldDelimiter,
            18 => Self::InvalidApplVerId,
            99 => Self::Other,
            _ => return None,
        })
    }

    /// The standard Text (58) for this reason, as FIX engines send it.
    pub const fn text(self) -> &'static str {
        match self {
            Self::InvalidTagNumber => "Invalid tag number",
            Self::RequiredTagMissing => "Required tag missing",
            Self::TagNotDefinedForMessageType => "Tag not defined for this message type",
            Self::UndefinedTag => "Undefined Tag",
            Self::TagSpecifiedWithoutValue => "Tag specified without a value",
            Self::ValueIsIncorrect => "Value is incorrect (out of range) for this tag",
            Self::IncorrectDataFormat => "Incorrect data format for value",
            Self::DecryptionProblem => "Decryption problem",
            Self::SignatureProblem => "Signature problem",
            Self::CompIdProblem => "CompID problem",
            Self::SendingTimeAccuracyProblem => "SendingTime accuracy problem",
            Self::InvalidMsgType => "Invalid MsgType",
            Self::XmlValidationError => "XML Validation error",
            Self::TagAppearsMoreThanOnce => "Tag appears more than once",
            Self::TagSpecifiedOutOfRequiredOrder => "Tag specified out of required order",
            Self::RepeatingGroupFieldsOutOfOrder => "Repeating group fields out of order",
            Self::IncorrectNumInGroupCount => "Incorrect NumInGroup count for repeating group",
            Self::NonDataValueIncludesFieldDelimiter => "Non Data value includes field delimiter",
            Self::InvalidApplVerId => "Invalid/Unsupported Application Version",
            Self::Other => "Other",
        }
    }
}

impl fmt::Display for SessionRejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.text(), self.code())
    }
}

/// What went wrong while framing, decoding or validating a message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    // --- Garbled: the message cannot be trusted and is ignored. ---
    /// The frame is larger than the configured maximum message size.
    MessageTooLarge {
        /// Bytes in the frame, or declared by BodyLength.
        size: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The message does not start with `8=`.
    BeginStringNotFirst,
    /// The second field is not `9=`.
    BodyLengthNotSecond,
    /// The third field is not `35=`.
    MsgTypeNotThird,
    /// BodyLength is not a plain non-negative integer.
    InvalidBodyLength,
    /// BodyLength disagrees with the bytes between it and CheckSum.
    BodyLengthMismatch {
        /// The value of tag 9.
        declared: usize,
        /// The bytes actually present.
        actual: usize,
    },
    /// The message does not end with a CheckSum field.
    CheckSumNotLast,
    /// CheckSum is not three digits.
    InvalidCheckSum,
    /// CheckSum disagrees with the sum of the bytes.
    CheckSumMismatch {
        /// The value of tag 10.
        declared: u32,
        /// The sum of the bytes before tag 10, modulo 256.
        computed: u8,
    },
    /// A tag is not an integer (`4garbled9=`).
    MalformedTag,
    /// A field has no `=`.
    MissingEquals,
    /// A field is not terminated by SOH.
    UnterminatedField,
    /// A data field is not preceded by its length field.
    MissingDataLength {
        /// The length field that should come first.
        length_tag: Tag,
    },
    /// A data length field is not a non-negative integer.
    InvalidDataLength {
        /// The length field.
        length_tag: Tag,
    },
    /// A data field is not followed by SOH where its length says it ends.
    DataLengthMismatch {
        /// The declared length.
        declared: usize,
    },

    // --- Rejected with a session Reject (35=3). ---
    /// The tag number is not in the dictionary (or is not positive).
    InvalidTagNumber {
        /// The tag as written, possibly zero or negative.
        number: i64,
    },
    /// A required field is absent.
    RequiredTagMissing,
    /// The field is not defined for this message type.
    TagNotDefinedForMessageType,
    /// `tag=` with an empty value.
    TagSpecifiedWithoutValue,
    /// The value is not one of the field's enumerated values, or out of range.
    ValueIsIncorrect,
    /// The value does not have the field's data format.
    IncorrectDataFormat,
    /// A non-repeating tag appears more than once.
    TagAppearsMoreThanOnce,
    /// A header field after the body, or a body field after the trailer.
    TagSpecifiedOutOfRequiredOrder,
    /// A repeating-group entry does not start with the group's delimiter.
    RepeatingGroupFieldsOutOfOrder,
    /// NumInGroup does not match the number of entries.
    IncorrectNumInGroupCount {
        /// The NumInGroup value.
        declared: i64,
        /// The entries present.
        actual: usize,
    },
    /// MsgType is not defined in the dictionary.
    InvalidMsgType,

    // --- Session-fatal: answered with Logout. ---
    /// BeginString differs from the session's.
    IncorrectBeginString,
}

/// What a FIX session does about a [`DecodeError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Garbled: ignore the message without consuming its sequence number.
    Ignore,
    /// Send a session Reject (35=3) with this reason and consume the number.
    Reject(SessionRejectReason),
    /// Send Logout ("Incorrect BeginString") and disconnect.
    Logout,
}

/// A problem in counterparty input: its kind, the tag it concerns and the
/// byte offset where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// The tag concerned, when there is one.
    pub tag: Option<Tag>,
    /// Byte offset in the message (or the buffer given to the framer).
    pub offset: usize,
}

impl DecodeError {
    /// A new error.
    pub const fn new(kind: DecodeErrorKind, tag: Option<Tag>, offset: usize) -> Self {
        Self { kind, tag, offset }
    }

    /// What a FIX session does about this error.
    pub const fn disposition(&self) -> Disposition {
        use DecodeErrorKind as K;
        use SessionRejectReason as R;
        match self.kind {
            K::InvalidTagNumber { .. } => Disposition::Reject(R::InvalidTagNumber),
            K::RequiredTagMissing => Disposition::Reject(R::RequiredTagMissing),
            K::TagNotDefinedForMessageType => Disposition::Reject(R::TagNotDefinedForMessageType),
            K::TagSpecifiedWithoutValue => Disposition::Reject(R::TagSpecifiedWithoutValue),
            K::ValueIsIncorrect => Disposition::Reject(R::ValueIsIncorrect),
            K::IncorrectDataFormat => Disposition::Reject(R::IncorrectDataFormat),
            K::TagAppearsMoreThanOnce => Disposition::Reject(R::TagAppearsMoreThanOnce),
            K::TagSpecifiedOutOfRequiredOrder => {
                Disposition::Reject(R::TagSpecifiedOutOfRequiredOrder)
            }
            K::RepeatingGroupFieldsOutOfOrder => {
                Disposition::Reject(R::RepeatingGroupFieldsOutOfOrder)
            }
            K::IncorrectNumInGroupCount { .. } => Disposition::Reject(R::IncorrectNumInGroupCount),
            K::InvalidMsgType => Disposition::Reject(R::InvalidMsgType),
            K::IncorrectBeginString => Disposition::Logout,
            K::MessageTooLarge { .. }
            | K::BeginStringNotFirst
            | K::BodyLengthNotSecond
            | K::MsgTypeNotThird
            | K::InvalidBodyLength
            | K::BodyLengthMismatch { .. }
            | K::CheckSumNotLast
            | K::InvalidCheckSum
            | K::CheckSumMismatch { .. }
            | K::MalformedTag
            | K::MissingEquals
            | K::UnterminatedField
            | K::MissingDataLength { .. }
            | K::InvalidDataLength { .. }
            | K::DataLengthMismatch { .. } => Disposition::Ignore,
        }
    }

    /// SessionRejectReason (373) for a Reject, `None` when the message is
    /// ignored or the session logs out instead.
    pub const fn reject_reason(&self) -> Option<SessionRejectReason> {
        match self.disposition() {
            Disposition::Reject(reason) => Some(reason),
            Disposition::Ignore | Disposition::Logout => None,
        }
    }

    /// True when the message is garbled and must be ignored.
    pub const fn is_garbled(&self) -> bool {
        matches!(self.disposition(), Disposition::Ignore)
    }

    /// RefTagID (371) for a Reject: the tag as the counterparty wrote it.
    pub const fn ref_tag_id(&self) -> Option<i64> {
        match self.kind {
            DecodeErrorKind::InvalidTagNumber { number } => Some(number),
            _ => match self.tag {
                Some(tag) => Some(tag as i64),
                None => None,
            },
        }
    }

    /// Text (58): the standard FIX text for rejects, a description otherwise.
    pub fn text(&self) -> String {
        match self.disposition() {
            Disposition::Reject(reason) => reason.text().to_owned(),
            Disposition::Logout => "Incorrect BeginString".to_owned(),
            Disposition::Ignore => self.detail(),
        }
    }

    /// A description of the problem with its specifics.
    pub fn detail(&self) -> String {
        use DecodeErrorKind as K;
        match &self.kind {
            K::MessageTooLarge { size, max } => {
                format!("message of {size} bytes exceeds the maximum message size of {max} bytes")
            }
            K::BeginStringNotFirst => "message does not start with BeginString (8=)".to_owned(),
            K::BodyLengthNotSecond => "second field is not BodyLength (9=)".to_owned(),
            K::MsgTypeNotThird => "third field is not MsgType (35=)".to_owned(),
            K::InvalidBodyLength => "BodyLength (9) is not a non-negative integer".to_owned(),
            K::BodyLengthMismatch { declared, actual } => format!(
                "BodyLength (9) is {declared} but {actual} bytes lie between it and CheckSum (10)"
            ),
            K::CheckSumNotLast => "message does not end with CheckSum (10=nnn)".to_owned(),
            K::InvalidCheckSum => "CheckSum (10) is not three digits".to_owned(),
            K::CheckSumMismatch { declared, computed } => format!(
                "CheckSum (10) is {declared:03} but the bytes before it sum to {computed:03}"
            ),
            K::MalformedTag => "tag is not an integer".to_owned(),
            K::MissingEquals => "field has no '='".to_owned(),
            K::UnterminatedField => "field is not terminated by SOH".to_owned(),
            K::MissingDataLength { length_tag } => {
                format!("data field is not preceded by its length field {length_tag}")
            }
            K::InvalidDataLength { length_tag } => {
                format!("data length field {length_tag} is not a non-negative integer")
            }
            K::DataLengthMismatch { declared } => {
                format!("data field of declared length {declared} is not followed by SOH")
            }
            K::InvalidTagNumber { number } => format!("Invalid tag number {number}"),
            K::IncorrectNumInGroupCount { declared, actual } => format!(
                "Incorrect NumInGroup count for repeating group: declared {declared}, found {actual}"
            ),
            K::IncorrectBeginString => "Incorrect BeginString".to_owned(),
            K::RequiredTagMissing
            | K::TagNotDefinedForMessageType
            | K::TagSpecifiedWithoutValue
            | K::ValueIsIncorrect
            | K::IncorrectDataFormat
            | K::TagAppearsMoreThanOnce
            | K::TagSpecifiedOutOfRequiredOrder
            | K::RepeatingGroupFieldsOutOfOrder
            | K::InvalidMsgType => self.text(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail())?;
        if let Some(reason) = self.reject_reason() {
            write!(f, " [373={}]", reason.code())?;
        }
        match self.ref_tag_id() {
            Some(tag) => write!(f, " (tag {tag}, byte {})", self.offset),
            None => write!(f, " (byte {})", self.offset),
        }
    }
}

impl std::error::Error for DecodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_codes_round_trip() {
        for code in (0..=18).chain([99]) {
            let reason = SessionRejectReason::from_code(code).unwrap();
            assert_eq!(reason.code(), code);
        }
        assert_eq!(SessionRejectReason::from_code(19), None);
    }

    #[test]
    fn maps_to_reject_fields() {
        let err = DecodeError::new(DecodeErrorKind::InvalidTagNumber { number: -1 }, None, 40);
        assert_eq!(
            err.reject_reason(),
            Some(SessionRejectReason::InvalidTagNumber)
        );
        assert_eq!(err.ref_tag_id(), Some(-1));
        assert_eq!(err.text(), "Invalid tag number");
        assert_eq!(
            err.to_string(),
            "Invalid tag number -1 [373=0] (tag -1, byte 40)"
        );

        let err = DecodeError::new(DecodeErrorKind::IncorrectDataFormat, Some(38), 57);
        assert_eq!(err.reject_reason().map(SessionRejectReason::code), Some(6));
        assert_eq!(err.text(), "Incorrect data format for value");
    }

    #[test]
    fn garbled_messages_are_ignored_with_a_reason() {
        let err = DecodeError::new(
            DecodeErrorKind::CheckSumMismatch {
                declared: 94,
                computed: 93,
            },
            Some(10),
            140,
        );
        assert!(err.is_garbled());
        assert_eq!(err.reject_reason(), None);
        assert_eq!(
            err.text(),
            "CheckSum (10) is 094 but the bytes before it sum to 093"
        );
        let logout = DecodeError::new(DecodeErrorKind::IncorrectBeginString, Some(8), 0);
        assert_eq!(logout.disposition(), Disposition::Logout);
    }
}
