//! What is wrong with an inbound order message, and how to answer it.

use std::fmt;

use model::IdError;

use crate::fix::codec::{DecodeError, SessionRejectReason, Tag};

/// BusinessRejectReason (380) 5: conditionally required field missing.
const CONDITIONALLY_REQUIRED_FIELD_MISSING: u32 = 5;

/// What is wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldProblem {
    /// Absent, and the dialect's dictionary requires it.
    Missing,
    /// Absent; the dictionary makes it optional, but the mapping needs it
    /// (Symbol in a FIX 4.4 ExecutionReport, for one).
    ConditionallyMissing,
    /// `tag=` with nothing after it.
    Empty,
    /// Not in the field's data format.
    IncorrectFormat {
        /// The value as received (lossy UTF-8, at most 64 characters).
        value: String,
        /// The format expected, e.g. "a decimal number".
        expected: &'static str,
    },
    /// Well formed, but not a value the mapping accepts: not one of the
    /// version's enumerated values, a negative quantity, beyond the range
    /// or precision of the model's types.
    IncorrectValue {
        /// The value as received (lossy UTF-8, at most 64 characters).
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// Not a valid identifier (empty, too long for the model, a byte
    /// outside printable ASCII).
    InvalidId(IdError),
    /// A repeating group's NumInGroup disagrees with its entries.
    NumInGroup {
        /// The NumInGroup value.
        declared: u64,
        /// The entries present.
        actual: u64,
    },
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("is required and missing"),
            Self::ConditionallyMissing => f.write_str("is missing; EMP needs it for this message"),
            Self::Empty => f.write_str("has an empty value"),
            Self::IncorrectFormat { value, expected } => {
                write!(f, "value {value:?} is not {expected}")
            }
            Self::IncorrectValue { value, reason } => {
                write!(f, "value {value:?} is incorrect: {reason}")
            }
            Self::InvalidId(error) => write!(f, "is not a valid identifier: {error}"),
            Self::NumInGroup { declared, actual } => write!(
                f,
                "declares {declared} repeating-group entries but {actual} are present"
            ),
        }
    }
}

/// Why an inbound message could not be mapped to a
/// [`VenueEvent`](model::VenueEvent).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderMapError {
    /// A field is missing or its value is unusable.
    #[error("{} (35={msg_type}): {} ({tag}) {problem}", message_name(msg_type), tag_name(*tag))]
    Field {
        /// MsgType of the message: 8, 9, j or AP.
        msg_type: &'static str,
        /// The field.
        tag: Tag,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// The bytes are not a FIX message (the session decoded them, so its
    /// decoder and the [`OrderDecoder`](super::OrderDecoder)'s disagree).
    #[error("not a decodable FIX message: {0}")]
    Decode(DecodeError),
}

/// How to answer a message that could not be mapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RejectReply {
    /// A session-level Reject (35=3): RefSeqNum (45) is the message's
    /// MsgSeqNum, RefMsgType (372) its MsgType.
    Session {
        /// SessionRejectReason (373).
        reason: SessionRejectReason,
        /// RefTagID (371).
        ref_tag_id: Tag,
        /// Text (58).
        text: String,
    },
    /// A BusinessMessageReject (35=j), as
    /// [`Session::reject_business`](crate::fix::session::Session::reject_business)
    /// sends it.
    Business {
        /// BusinessRejectReason (380).
        reason: u32,
        /// The field concerned, named in the text.
        ref_tag_id: Tag,
        /// Text (58).
        text: String,
    },
}

impl OrderMapError {
    pub(super) fn field(msg_type: &'static str, tag: Tag, problem: FieldProblem) -> Self {
        Self::Field {
            msg_type,
            tag,
            problem,
        }
    }

    /// The field concerned, if the problem is with one field.
    pub fn tag(&self) -> Option<Tag> {
        match self {
            Self::Field { tag, .. } => Some(*tag),
            Self::Decode(error) => error.tag,
        }
    }

    /// The problem with the field, for [`OrderMapError::Field`].
    pub fn problem(&self) -> Option<&FieldProblem> {
        match self {
            Self::Field { problem, .. } => Some(problem),
            Self::Decode(_) => None,
        }
    }

    /// What to answer the counterparty: a session Reject for a missing
    /// required field (373=1), an empty one (4), a value that is incorrect
    /// (5) or badly formatted (6), or a group count that is wrong (16); a
    /// BusinessMessageReject (380=5) for a field the dictionary makes
    /// optional that the mapping needs. `None` for bytes that are not a
    /// message at all (a garbled message is ignored).
    pub fn reply(&self) -> Option<RejectReply> {
        let (tag, problem) = match self {
            Self::Field { tag, problem, .. } => (*tag, problem),
            Self::Decode(error) => {
                let reason = error.reject_reason()?;
                return Some(RejectReply::Session {
                    reason,
                    ref_tag_id: error.tag.unwrap_or(0),
                    text: error.detail(),
                });
            }
        };
        Some(field_reply(tag, problem, self.to_string()))
    }
}

/// The answer to a message with `problem` in field `tag`: a session Reject
/// (373 by the problem, 371 the tag), or a BusinessMessageReject (380=5)
/// for a field the dictionary makes optional but the mapping needs. Shared
/// with [`market_data`](crate::fix::market_data).
pub(crate) fn field_reply(tag: Tag, problem: &FieldProblem, text: String) -> RejectReply {
    use SessionRejectReason as R;
    let reason = match problem {
        FieldProblem::ConditionallyMissing => {
            return RejectReply::Business {
                reason: CONDITIONALLY_REQUIRED_FIELD_MISSING,
                ref_tag_id: tag,
                text,
            };
        }
        FieldProblem::Missing => R::RequiredTagMissing,
        FieldProblem::Empty | FieldProblem::InvalidId(IdError::Empty { .. }) => {
            R::TagSpecifiedWithoutValue
        }
        FieldProblem::IncorrectFormat { .. } => R::IncorrectDataFormat,
        FieldProblem::IncorrectValue { .. } | FieldProblem::InvalidId(_) => R::ValueIsIncorrect,
        FieldProblem::NumInGroup { .. } => R::IncorrectNumInGroupCount,
    };
    RejectReply::Session {
        reason,
        ref_tag_id: tag,
        text,
    }
}

/// The value as text for an error: lossy UTF-8, at most 64 characters.
pub(crate) fn shown(value: &[u8]) -> String {
    String::from_utf8_lossy(value).chars().take(64).collect()
}

fn message_name(msg_type: &str) -> &'static str {
    match msg_type {
        "8" => "ExecutionReport",
        "9" => "OrderCancelReject",
        "j" => "BusinessMessageReject",
        "AP" => "PositionReport",
        _ => "message",
    }
}

/// The name of a tag the mapping reads.
fn tag_name(tag: Tag) -> &'static str {
    match tag {
        6 => "AvgPx",
        11 => "ClOrdID",
        12 => "Commission",
        13 => "CommType",
        14 => "CumQty",
        17 => "ExecID",
        19 => "ExecRefID",
        20 => "ExecTransType",
        31 => "LastPx",
        32 => "LastQty",
        37 => "OrderID",
        38 => "OrderQty",
        39 => "OrdStatus",
        41 => "OrigClOrdID",
        44 => "Price",
        54 => "Side",
        55 => "Symbol",
        58 => "Text",
        60 => "TransactTime",
        102 => "CxlRejReason",
        103 => "OrdRejReason",
        150 => "ExecType",
        151 => "LeavesQty",
        372 => "RefMsgType",
        379 => "BusinessRejectRefID",
        380 => "BusinessRejectReason",
        434 => "CxlRejResponseTo",
        584 => "MassStatusReqID",
        702 => "NoPositions",
        703 => "PosType",
        704 => "LongQty",
        705 => "ShortQty",
        710 => "PosReqID",
        727 => "TotalNumPosReports",
        728 => "PosReqResult",
        730 => "SettlPrice",
        911 => "TotNumReports",
        912 => "LastRptRequested",
        _ => "tag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_follow_quickfix() {
        let error = OrderMapError::field("8", 17, FieldProblem::Missing);
        assert_eq!(
            error.to_string(),
            "ExecutionReport (35=8): ExecID (17) is required and missing"
        );
        assert_eq!(
            error.reply(),
            Some(RejectReply::Session {
                reason: SessionRejectReason::RequiredTagMissing,
                ref_tag_id: 17,
                text: error.to_string(),
            })
        );
        let business = OrderMapError::field("8", 55, FieldProblem::ConditionallyMissing);
        assert!(matches!(
            business.reply(),
            Some(RejectReply::Business {
                reason: 5,
                ref_tag_id: 55,
                ..
            })
        ));
        let empty_id = OrderMapError::field(
            "9",
            11,
            FieldProblem::InvalidId(IdError::Empty { kind: "ClOrdID" }),
        );
        assert!(matches!(
            empty_id.reply(),
            Some(RejectReply::Session {
                reason: SessionRejectReason::TagSpecifiedWithoutValue,
                ..
            })
        ));
        let group = OrderMapError::field(
            "AP",
            702,
            FieldProblem::NumInGroup {
                declared: 2,
                actual: 1,
            },
        );
        assert!(matches!(
            group.reply(),
            Some(RejectReply::Session {
                reason: SessionRejectReason::IncorrectNumInGroupCount,
                ref_tag_id: 702,
                ..
            })
        ));
    }

    #[test]
    fn shown_values_are_bounded() {
        assert_eq!(shown(&[b'x'; 100]).len(), 64);
        assert_eq!(shown(b"a\xffb"), "a\u{fffd}b");
    }
}
