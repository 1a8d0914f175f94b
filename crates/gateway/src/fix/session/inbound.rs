//! One pass over a received message's fields, picking out what the session
//! layer reads, as byte ranges into the message.

use std::ops::Range;

use model::Timestamp;

use crate::fix::codec::{DecodeError, Decoder, Message, Tag, value};
use crate::fix::dict::Validator;
use crate::fix::tags;

/// The message types the session layer handles itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Heartbeat,
    TestRequest,
    ResendRequest,
    Reject,
    SequenceReset,
    Logout,
    Logon,
    /// Any other type: an application message.
    App,
}

impl Kind {
    pub(super) fn of(msg_type: &[u8]) -> Self {
        match msg_type {
            b"0" => Self::Heartbeat,
            b"1" => Self::TestRequest,
            b"2" => Self::ResendRequest,
            b"3" => Self::Reject,
            b"4" => Self::SequenceReset,
            b"5" => Self::Logout,
            b"A" => Self::Logon,
            _ => Self::App,
        }
    }

    pub(super) fn is_admin(self) -> bool {
        self != Self::App
    }
}

/// Routing tags swapped in a reply (QuickFIX `reverseRoute`): each tag with
/// the tag its value goes back under.
pub(super) const REVERSE_ROUTE: [(Tag, Tag); 6] = [
    (115, 128), // OnBehalfOfCompID → DeliverToCompID
    (128, 115), // DeliverToCompID → OnBehalfOfCompID
    (116, 129), // OnBehalfOfSubID → DeliverToSubID
    (129, 116), // DeliverToSubID → OnBehalfOfSubID
    (144, 145), // OnBehalfOfLocationID → DeliverToLocationID
    (145, 144), // DeliverToLocationID → OnBehalfOfLocationID
];

/// Tags read by the session layer, in one table indexed by [`Slot`].
const SLOTS: [Tag; 28] = [
    tags::MSG_SEQ_NUM,
    tags::POSS_DUP_FLAG,
    tags::SENDER_COMP_ID,
    tags::SENDING_TIME,
    tags::TARGET_COMP_ID,
    tags::ORIG_SENDING_TIME,
    115,
    128,
    116,
    129,
    144,
    145,
    108,  // HeartBtInt
    141,  // ResetSeqNumFlag
    789,  // NextExpectedMsgSeqNum
    1137, // DefaultApplVerID
    112,  // TestReqID
    7,    // BeginSeqNo
    16,   // EndSeqNo
    36,   // NewSeqNo
    123,  // GapFillFlag
    58,   // Text
    553,  // Username
    554,  // Password
    97,   // PossResend
    1128, // ApplVerID
    45,   // RefSeqNum
    11,   // ClOrdID
];

/// Index of a tag in [`SLOTS`].
#[derive(Clone, Copy)]
#[repr(usize)]
pub(super) enum Slot {
    MsgSeqNum = 0,
    PossDupFlag = 1,
    SendingTime = 3,
    OrigSendingTime = 5,
    HeartBtInt = 12,
    ResetSeqNumFlag = 13,
    NextExpectedMsgSeqNum = 14,
    DefaultApplVerId = 15,
    TestReqId = 16,
    BeginSeqNo = 17,
    EndSeqNo = 18,
    NewSeqNo = 19,
    GapFillFlag = 20,
    Username = 22,
    Password = 23,
}

/// What the session reads from one message: where its fields are, and the
/// first validation problem, if any.
pub(super) struct Inbound<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) kind: Kind,
    msg_type: Range<usize>,
    begin_string: Range<usize>,
    slots: [Option<Range<usize>>; SLOTS.len()],
    /// The first problem validation found.
    pub(super) invalid: Option<DecodeError>,
}

impl<'a> Inbound<'a> {
    /// Decodes and validates `bytes`; `Err` when the message is garbled.
    pub(super) fn read(
        bytes: &'a [u8],
        decoder: &mut Decoder,
        validator: Option<&mut Validator>,
    ) -> Result<Self, DecodeError> {
        let message = decoder.decode(bytes)?;
        let invalid = validator.and_then(|validator| validator.validate(&message).err());
        Ok(Self::index(bytes, &message, invalid))
    }

    fn index(bytes: &'a [u8], message: &Message<'_>, invalid: Option<DecodeError>) -> Self {
        let fields = message.fields();
        let mut slots: [Option<Range<usize>>; SLOTS.len()] = Default::default();
        for field in &fields[2..] {
            if field.tag() == tags::CHECK_SUM {
                break;
            }
            if let Some(index) = SLOTS.iter().position(|&tag| tag == field.tag())
                && slots[index].is_none()
            {
                slots[index] = Some(field.value_range());
            }
        }
        let msg_type = fields[2].value_range();
        Self {
            bytes,
            kind: Kind::of(&bytes[msg_type.clone()]),
            msg_type,
            begin_string: fields[0].value_range(),
            slots,
            invalid,
        }
    }

    pub(super) fn msg_type(&self) -> &'a [u8] {
        &self.bytes[self.msg_type.clone()]
    }

    pub(super) fn begin_string(&self) -> &'a [u8] {
        &self.bytes[self.begin_string.clone()]
    }

    /// The value of a slot's field, if present.
    pub(super) fn get(&self, slot: Slot) -> Option<&'a [u8]> {
        self.slots[slot as usize]
            .clone()
            .map(|range| &self.bytes[range])
    }

    /// The value of any tag in [`SLOTS`], if present.
    pub(super) fn tag(&self, tag: Tag) -> Option<&'a [u8]> {
        let index = SLOTS.iter().position(|&candidate| candidate == tag)?;
        self.slots[index].clone().map(|range| &self.bytes[range])
    }

    pub(super) fn uint(&self, slot: Slot) -> Option<u64> {
        self.get(slot).and_then(value::parse_uint)
    }

    pub(super) fn flag(&self, slot: Slot) -> bool {
        self.get(slot) == Some(b"Y")
    }

    pub(super) fn seq(&self) -> Option<u64> {
        self.uint(Slot::MsgSeqNum)
    }

    pub(super) fn poss_dup(&self) -> bool {
        self.flag(Slot::PossDupFlag)
    }

    pub(super) fn timestamp(&self, slot: Slot) -> Option<Timestamp> {
        let fields = value::parse_utc_timestamp(self.get(slot)?)?;
        Timestamp::from_utc(fields).ok()
    }
}
