//! What a session tells its driver and application.

use crate::fix::codec::SOH;

/// Something that happened in the session, from [`super::Session::poll_event`].
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// Logon completed in both directions.
    LoggedOn,
    /// An application message, in sequence, validated.
    App(AppMessage),
    /// The session was logged on and no longer is.
    LoggedOut,
    /// Close the connection once the pending output is written.
    Close(CloseReason),
    /// A line for the session's event log (QuickFIX's `onEvent`).
    Notice(String),
}

/// Why the session wants its connection closed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The Logout exchange finished.
    LoggedOut,
    /// No Logon arrived, or no answer to ours, within LogonTimeout.
    LogonTimeout,
    /// No answer to our Logout within LogoutTimeout.
    LogoutTimeout,
    /// Nothing received for 2.4 heartbeat intervals despite a TestRequest.
    HeartbeatTimeout,
    /// The counterparty broke the protocol; the text says how.
    ProtocolError(String),
    /// The message store failed; the session cannot continue safely.
    StoreFailure(String),
    /// The schedule says the session is not in session now: a connection
    /// outside session time, or a Logon attempted then.
    OutsideSessionTime,
    /// A new session period began while logged on: the session logged out
    /// and reset its sequence numbers.
    SessionReset,
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::LoggedOut => f.write_str("logged out"),
            Self::LogonTimeout => f.write_str("timed out waiting for logon"),
            Self::LogoutTimeout => f.write_str("timed out waiting for logout response"),
            Self::HeartbeatTimeout => f.write_str("timed out waiting for heartbeat"),
            Self::ProtocolError(text) => write!(f, "protocol error: {text}"),
            Self::StoreFailure(text) => write!(f, "message store failure: {text}"),
            Self::OutsideSessionTime => f.write_str("outside of session time"),
            Self::SessionReset => f.write_str("session reset for a new session period"),
        }
    }
}

/// An application message as received: sequence number, PossDupFlag and the
/// whole message on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppMessage {
    /// MsgSeqNum (34).
    pub seq: u64,
    /// PossDupFlag (43) was Y: this may be a resend of a message already
    /// delivered.
    pub poss_dup: bool,
    /// The message bytes, `8=` through the SOH after CheckSum.
    pub bytes: Vec<u8>,
}

impl AppMessage {
    /// MsgType (35), which the decoder guarantees is the third field.
    pub fn msg_type(&self) -> &[u8] {
        let mut fields = self.bytes.split(|&byte| byte == SOH);
        fields
            .nth(2)
            .and_then(|field| field.strip_prefix(b"35="))
            .unwrap_or_default()
    }
}

/// Decides whether a counterparty's Logon credentials are accepted.
pub trait Authenticator: Send {
    /// `Ok` to accept; `Err(text)` refuses the Logon with a Logout carrying
    /// `text`.
    fn authenticate(&self, username: Option<&[u8]>, password: Option<&[u8]>) -> Result<(), String>;
}

/// The MsgTypes (35) that [`MsgTypeCounts`] counts one by one: the
/// session-level messages and the application messages EMP sends or
/// takes. Every other MsgType is counted as [`MsgTypeCounts::OTHER`], so a
/// metric labelled by MsgType has a fixed, small set of values.
pub const COUNTED_MSG_TYPES: [&str; 22] = [
    "0", "1", "2", "3", "4", "5", "A", "8", "9", "D", "F", "G", "H", "j", "V", "W", "X", "Y", "AF",
    "AN", "AO", "AP",
];

/// Messages by MsgType: one count per [`COUNTED_MSG_TYPES`] entry and one
/// for every other type. Counting is a match on at most two bytes and an
/// add; nothing allocates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgTypeCounts([u64; COUNTED_MSG_TYPES.len() + 1]);

impl MsgTypeCounts {
    /// The label of every MsgType not in [`COUNTED_MSG_TYPES`].
    pub const OTHER: &'static str = "other";

    /// Counts one message of `msg_type` (the value of tag 35).
    #[inline]
    pub fn count(&mut self, msg_type: &[u8]) {
        let index = Self::index(msg_type);
        if let Some(count) = self.0.get_mut(index) {
            *count += 1;
        }
    }

    /// The position of `msg_type` in [`COUNTED_MSG_TYPES`], or the
    /// [`OTHER`](Self::OTHER) slot after them.
    /// A `match` rather than a search: this runs for every message.
    const fn index(msg_type: &[u8]) -> usize {
        match msg_type {
            b"0" => 0,
            b"1" => 1,
            b"2" => 2,
            b"3" => 3,
            b"4" => 4,
            b"5" => 5,
            b"A" => 6,
            b"8" => 7,
            b"9" => 8,
            b"D" => 9,
            b"F" => 10,
            b"G" => 11,
            b"H" => 12,
            b"j" => 13,
            b"V" => 14,
            b"W" => 15,
            b"X" => 16,
            b"Y" => 17,
            b"AF" => 18,
            b"AN" => 19,
            b"AO" => 20,
            b"AP" => 21,
            _ => COUNTED_MSG_TYPES.len(),
        }
    }

    /// The count of `label`: a [`COUNTED_MSG_TYPES`] entry or
    /// [`OTHER`](Self::OTHER); zero for any other text.
    pub fn get(&self, label: &str) -> u64 {
        self.iter()
            .find(|(known, _)| *known == label)
            .map_or(0, |(_, count)| count)
    }

    /// Every label ([`COUNTED_MSG_TYPES`], then [`OTHER`](Self::OTHER))
    /// with its count.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        COUNTED_MSG_TYPES
            .iter()
            .copied()
            .chain([Self::OTHER])
            .zip(self.0.iter().copied())
    }
}

/// Counters, for metrics. Plain data; the driver exports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Messages received and processed (garbled ones excluded).
    pub messages_received: u64,
    /// [`messages_received`](Self::messages_received) by MsgType.
    pub received_by_type: MsgTypeCounts,
    /// Messages sent (resends included).
    pub messages_sent: u64,
    /// [`messages_sent`](Self::messages_sent) by MsgType (a resend counts
    /// as its original's type, a gap fill as `4`).
    pub sent_by_type: MsgTypeCounts,
    /// Bytes received.
    pub bytes_received: u64,
    /// Bytes handed to the transport.
    pub bytes_sent: u64,
    /// Garbled messages dropped.
    pub garbled_messages: u64,
    /// Session Rejects sent.
    pub rejects_sent: u64,
    /// BusinessMessageRejects sent.
    pub business_rejects_sent: u64,
    /// ResendRequests sent.
    pub resend_requests_sent: u64,
    /// ResendRequests received.
    pub resend_requests_received: u64,
    /// Messages resent with PossDupFlag.
    pub messages_resent: u64,
    /// Gap fills sent.
    pub gap_fills_sent: u64,
    /// Gap fills (SequenceReset with GapFillFlag Y) received and accepted.
    pub gap_fills_received: u64,
    /// Session Rejects (35=3) received and accepted.
    pub rejects_received: u64,
    /// TestRequests sent.
    pub test_requests_sent: u64,
    /// Connections closed because nothing arrived for 2.4 heartbeat
    /// intervals despite a TestRequest ([`CloseReason::HeartbeatTimeout`]).
    pub heartbeat_timeouts: u64,
    /// Heartbeats sent.
    pub heartbeats_sent: u64,
    /// Successful logons.
    pub logons: u64,
    /// Store commits (group commits).
    pub store_commits: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_types_are_counted_by_their_own_label_and_the_rest_as_other() {
        for (position, known) in COUNTED_MSG_TYPES.iter().enumerate() {
            assert_eq!(MsgTypeCounts::index(known.as_bytes()), position, "{known}");
        }
        let mut counts = MsgTypeCounts::default();
        for msg_type in [&b"D"[..], b"8", b"8", b"AP", b"B", b"", b"ZZZ", b"d"] {
            counts.count(msg_type);
        }
        assert_eq!(counts.get("D"), 1);
        assert_eq!(counts.get("8"), 2);
        assert_eq!(counts.get("AP"), 1);
        assert_eq!(counts.get(MsgTypeCounts::OTHER), 4);
        assert_eq!(
            counts.get("B"),
            0,
            "an uncounted type has no label of its own"
        );
        assert_eq!(counts.iter().count(), COUNTED_MSG_TYPES.len() + 1);
        assert_eq!(counts.iter().map(|(_, count)| count).sum::<u64>(), 8);
        assert_eq!(counts.iter().last(), Some(("other", 4)));
    }
}
