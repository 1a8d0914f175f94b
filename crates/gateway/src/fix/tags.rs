//! Tag numbers the codec and validator treat specially.
//!
//! Everything else is looked up by number in a data dictionary.

use super::codec::Tag;

/// BeginString, always the first field.
pub const BEGIN_STRING: Tag = 8;
/// BodyLength, always the second field.
pub const BODY_LENGTH: Tag = 9;
/// CheckSum, always the last field.
pub const CHECK_SUM: Tag = 10;
/// MsgSeqNum.
pub const MSG_SEQ_NUM: Tag = 34;
/// MsgType, always the third field.
pub const MSG_TYPE: Tag = 35;
/// PossDupFlag.
pub const POSS_DUP_FLAG: Tag = 43;
/// SenderCompID.
pub const SENDER_COMP_ID: Tag = 49;
/// SenderSubID.
pub const SENDER_SUB_ID: Tag = 50;
/// SendingTime.
pub const SENDING_TIME: Tag = 52;
/// TargetCompID.
pub const TARGET_COMP_ID: Tag = 56;
/// TargetSubID.
pub const TARGET_SUB_ID: Tag = 57;
/// Signature, a data field whose length is SignatureLength (93), not tag − 1.
pub const SIGNATURE: Tag = 89;
/// SignatureLength.
pub const SIGNATURE_LENGTH: Tag = 93;
/// OrigSendingTime.
pub const ORIG_SENDING_TIME: Tag = 122;
/// First tag number of the user-defined range (5000..=9999 and above).
pub const USER_DEFINED_MIN: Tag = 5000;

/// Header tags in every FIX version, whether or not a dictionary lists them.
///
/// A field with one of these tags counts as a header field when deciding
/// whether header, body and trailer are in order.
pub const STANDARD_HEADER: &[Tag] = &[
    8, 9, 35, 49, 56, 115, 128, 90, 91, 34, 50, 142, 57, 143, 116, 144, 129, 145, 43, 97, 52, 122,
    212, 213, 347, 369, 370, 1128, 1129, 627,
];

/// Trailer tags in every FIX version.
pub const STANDARD_TRAILER: &[Tag] = &[SIGNATURE_LENGTH, SIGNATURE, CHECK_SUM];
