//! What is wrong with an inbound market data message, and how to answer it.

use model::VenueSymbol;

use crate::fix::codec::{DecodeError, SessionRejectReason, Tag};
use crate::fix::orders::{FieldProblem, RejectReply, field_reply};

/// Why an inbound market data message could not be mapped to
/// [`MarketEvent`](model::MarketEvent)s or a
/// [`MarketDataReject`](super::MarketDataReject).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MarketDataError {
    /// A field is missing or its value is unusable.
    #[error("{} (35={msg_type}): {} ({tag}) {problem}", message_name(msg_type), tag_name(*tag))]
    Field {
        /// MsgType of the message: W, X or Y.
        msg_type: &'static str,
        /// The field.
        tag: Tag,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// Symbol (55) names no instrument of the
    /// [`InstrumentTable`](model::InstrumentTable).
    #[error(
        "{} (35={msg_type}): Symbol (55) \"{symbol}\" is not a known instrument",
        message_name(msg_type)
    )]
    UnknownSymbol {
        /// MsgType of the message: W or X.
        msg_type: &'static str,
        /// The venue's symbol.
        symbol: VenueSymbol,
    },
    /// The bytes are not a FIX message (the session decoded them, so its
    /// decoder and the [`MarketDataDecoder`](super::MarketDataDecoder)'s
    /// disagree).
    #[error("not a decodable FIX message: {0}")]
    Decode(DecodeError),
}

impl MarketDataError {
    pub(super) fn field(msg_type: &'static str, tag: Tag, problem: FieldProblem) -> Self {
        Self::Field {
            msg_type,
            tag,
            problem,
        }
    }

    /// The field concerned, if the problem is with one field (55 for an
    /// unknown symbol).
    pub fn tag(&self) -> Option<Tag> {
        match self {
            Self::Field { tag, .. } => Some(*tag),
            Self::UnknownSymbol { .. } => Some(55),
            Self::Decode(error) => error.tag,
        }
    }

    /// The problem with the field, for [`MarketDataError::Field`].
    pub fn problem(&self) -> Option<&FieldProblem> {
        match self {
            Self::Field { problem, .. } => Some(problem),
            Self::UnknownSymbol { .. } | Self::Decode(_) => None,
        }
    }

    /// What to answer the counterparty, as
    /// [`OrderMapError::reply`](crate::fix::orders::OrderMapError::reply)
    /// does: a session Reject (35=3) with SessionRejectReason (373), RefTagID
    /// (371) and Text (58) for a missing (1), empty (4), incorrect (5) or
    /// badly formatted (6) field or a wrong NumInGroup (16); a
    /// BusinessMessageReject (380=5) for a field the dictionary makes
    /// optional but the mapping needs. An unknown symbol is 373=5 (value is
    /// incorrect) with 371=55. `None` for bytes that are not a message at
    /// all.
    pub fn reply(&self) -> Option<RejectReply> {
        match self {
            Self::Field { tag, problem, .. } => Some(field_reply(*tag, problem, self.to_string())),
            Self::UnknownSymbol { .. } => Some(RejectReply::Session {
                reason: SessionRejectReason::ValueIsIncorrect,
                ref_tag_id: 55,
                text: self.to_string(),
            }),
            Self::Decode(error) => {
                let reason = error.reject_reason()?;
                Some(RejectReply::Session {
                    reason,
                    ref_tag_id: error.tag.unwrap_or(0),
                    text: error.detail(),
                })
            }
        }
    }
}

fn message_name(msg_type: &str) -> &'static str {
    match msg_type {
        "W" => "MarketDataSnapshotFullRefresh",
        "X" => "MarketDataIncrementalRefresh",
        "Y" => "MarketDataRequestReject",
        _ => "message",
    }
}

/// The name of a tag the mapping reads.
fn tag_name(tag: Tag) -> &'static str {
    match tag {
        52 => "SendingTime",
        55 => "Symbol",
        58 => "Text",
        262 => "MDReqID",
        268 => "NoMDEntries",
        269 => "MDEntryType",
        270 => "MDEntryPx",
        271 => "MDEntrySize",
        272 => "MDEntryDate",
        273 => "MDEntryTime",
        278 => "MDEntryID",
        279 => "MDUpdateAction",
        281 => "MDReqRejReason",
        _ => "tag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_message_tag_and_problem() {
        let error = MarketDataError::field("X", 279, FieldProblem::Missing);
        assert_eq!(
            error.to_string(),
            "MarketDataIncrementalRefresh (35=X): MDUpdateAction (279) is required and missing"
        );
        assert_eq!(
            error.reply(),
            Some(RejectReply::Session {
                reason: SessionRejectReason::RequiredTagMissing,
                ref_tag_id: 279,
                text: error.to_string(),
            })
        );
        let unknown = MarketDataError::UnknownSymbol {
            msg_type: "W",
            symbol: VenueSymbol::new("99").unwrap(),
        };
        assert_eq!(
            unknown.to_string(),
            "MarketDataSnapshotFullRefresh (35=W): Symbol (55) \"99\" is not a known instrument"
        );
        assert_eq!(unknown.tag(), Some(55));
        assert!(matches!(
            unknown.reply(),
            Some(RejectReply::Session {
                reason: SessionRejectReason::ValueIsIncorrect,
                ref_tag_id: 55,
                ..
            })
        ));
    }
}
