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

/// Counters, for metrics. Plain data; the driver exports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Messages received and processed (garbled ones excluded).
    pub messages_received: u64,
    /// Messages sent (resends included).
    pub messages_sent: u64,
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
    /// TestRequests sent.
    pub test_requests_sent: u64,
    /// Heartbeats sent.
    pub heartbeats_sent: u64,
    /// Successful logons.
    pub logons: u64,
    /// Store commits (group commits).
    pub store_commits: u64,
}
