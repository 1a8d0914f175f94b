//! What a session core needs to know: who it is, its role, and the
//! behaviour switches (named after QuickFIX's settings).

use std::sync::Arc;

use super::schedule::SessionSchedule;
use crate::fix::codec::{DEFAULT_MAX_MESSAGE_SIZE, DecoderConfig, TimestampPrecision};
use crate::fix::dict::{Dictionary, ValidationOptions};

/// The identity of a session: BeginString, the two CompIDs and optionally
/// the two SubIDs, from this side's point of view.
///
/// SubIDs tell apart sessions that share CompIDs: cTrader's price and
/// trade sessions of one account differ only by TargetSubID (57), `QUOTE`
/// or `TRADE`. When set, the session writes them in the header of every
/// message it sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId {
    /// BeginString (8): `FIX.4.2`, `FIX.4.4`, `FIXT.1.1`, …
    pub begin_string: String,
    /// Our CompID, sent in SenderCompID (49).
    pub sender_comp_id: String,
    /// The counterparty's CompID, sent in TargetCompID (56).
    pub target_comp_id: String,
    /// Our SubID, sent in SenderSubID (50) when set.
    pub sender_sub_id: Option<String>,
    /// The counterparty's SubID, sent in TargetSubID (57) when set.
    pub target_sub_id: Option<String>,
}

impl SessionId {
    /// A session id.
    pub fn new(begin_string: &str, sender_comp_id: &str, target_comp_id: &str) -> Self {
        Self {
            begin_string: begin_string.to_owned(),
            sender_comp_id: sender_comp_id.to_owned(),
            target_comp_id: target_comp_id.to_owned(),
            sender_sub_id: None,
            target_sub_id: None,
        }
    }

    /// The same session with SenderSubID (50) and TargetSubID (57); `None`
    /// leaves a SubID out.
    #[must_use]
    pub fn with_sub_ids(
        mut self,
        sender_sub_id: Option<&str>,
        target_sub_id: Option<&str>,
    ) -> Self {
        self.sender_sub_id = sender_sub_id.map(str::to_owned);
        self.target_sub_id = target_sub_id.map(str::to_owned);
        self
    }

    /// The stem of this session's file names (stores, logs):
    /// `<BeginString>-<SenderCompID>-<TargetCompID>` as QuickFIX names
    /// them, a SubID following its CompID after `_`
    /// (`FIX.4.4-CSERVER_TRADE-demo.b.1`), so sessions that differ only by
    /// SubID keep separate files.
    pub fn file_stem(&self) -> String {
        let with_sub = |comp: &str, sub: &Option<String>| match sub {
            Some(sub) => format!("{comp}_{sub}"),
            None => comp.to_owned(),
        };
        format!(
            "{}-{}-{}",
            self.begin_string,
            with_sub(&self.sender_comp_id, &self.sender_sub_id),
            with_sub(&self.target_comp_id, &self.target_sub_id)
        )
    }

    /// True for FIXT.1.1 sessions, which carry FIX 5.x application messages.
    pub fn is_fixt(&self) -> bool {
        self.begin_string.starts_with("FIXT")
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.begin_string, self.sender_comp_id)?;
        if let Some(sub) = &self.sender_sub_id {
            write!(f, "/{sub}")?;
        }
        write!(f, "->{}", self.target_comp_id)?;
        if let Some(sub) = &self.target_sub_id {
            write!(f, "/{sub}")?;
        }
        Ok(())
    }
}

/// Which side opens the connection and sends the first Logon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Connects and sends Logon.
    Initiator,
    /// Listens and answers Logon.
    Acceptor,
}

/// Everything the sans-IO session core is configured with.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Who we are and who the counterparty is.
    pub id: SessionId,
    /// Initiator or acceptor.
    pub role: Role,
    /// `HeartBtInt` in seconds that an initiator proposes; an acceptor takes
    /// the counterparty's.
    pub heartbeat_interval_secs: u32,
    /// `ResetOnLogon`: start both sequences at 1 at every Logon.
    pub reset_on_logon: bool,
    /// `ResetOnLogout`.
    pub reset_on_logout: bool,
    /// `ResetOnDisconnect`.
    pub reset_on_disconnect: bool,
    /// `SendRedundantResendRequests`: ask again for a range already asked.
    pub send_redundant_resend_requests: bool,
    /// `CheckCompID`: messages must carry our CompIDs reversed.
    pub check_comp_id: bool,
    /// `CheckLatency`: SendingTime must be within `max_latency_secs` of now.
    pub check_latency: bool,
    /// `MaxLatency` in seconds.
    pub max_latency_secs: u32,
    /// `LogonTimeout` in seconds: how long to wait for the Logon answer (and,
    /// as an acceptor, for the first Logon after a connect).
    pub logon_timeout_secs: u32,
    /// `LogoutTimeout` in seconds: how long to wait for the Logout answer.
    pub logout_timeout_secs: u32,
    /// `TimestampPrecision` of SendingTime and OrigSendingTime.
    pub timestamp_precision: TimestampPrecision,
    /// `PersistMessages`: keep sent messages for resends; when off, resends
    /// are answered with a gap fill.
    pub persist_messages: bool,
    /// `ValidateLengthAndChecksum`.
    pub validate_length_and_checksum: bool,
    /// The data dictionary messages are validated against (for FIXT, the
    /// transport and application dictionaries combined); `None` turns
    /// validation off (`UseDataDictionary=N`).
    pub dictionary: Option<Arc<Dictionary>>,
    /// The `Validate*` switches.
    pub validation: ValidationOptions,
    /// `EnableNextExpectedMsgSeqNum`: send and honour tag 789 in Logon.
    pub enable_next_expected_msg_seq_num: bool,
    /// `ResendRequestChunkSize`: ask for at most this many messages per
    /// ResendRequest; 0 asks for everything at once.
    pub resend_request_chunk_size: u64,
    /// `DefaultApplVerID` (1137) sent in a FIXT Logon, e.g. `9` for FIX 5.0 SP2.
    pub default_appl_ver_id: Option<String>,
    /// `Username` (553) sent in our Logon.
    pub username: Option<String>,
    /// `Password` (554) sent in our Logon.
    pub password: Option<String>,
    /// Largest message accepted, in bytes.
    pub max_message_size: usize,
    /// Most messages held while waiting for a resend to fill a gap; beyond
    /// this, later messages are dropped (the counterparty resends them).
    pub max_queued_messages: usize,
    /// Unsent output, in bytes, beyond which `send_app` refuses new messages
    /// (back-pressure from a slow reader).
    pub max_output_bytes: usize,
    /// When the session may be logged on (`StartTime`, `EndTime`, …); each
    /// new session period starts with a sequence reset. `None` is
    /// `NonStopSession`: always in session, never reset by the clock.
    pub schedule: Option<SessionSchedule>,
}

impl SessionConfig {
    /// QuickFIX's defaults for a session `id` in `role`: HeartBtInt 30,
    /// CompID and latency checks on with 120 s, logon timeout 10 s, logout
    /// timeout 2 s, millisecond timestamps, messages persisted, no
    /// dictionary, no schedule (non-stop).
    pub fn new(id: SessionId, role: Role) -> Self {
        let default_appl_ver_id = id.is_fixt().then(|| "9".to_owned());
        Self {
            id,
            role,
            heartbeat_interval_secs: 30,
            reset_on_logon: false,
            reset_on_logout: false,
            reset_on_disconnect: false,
            send_redundant_resend_requests: false,
            check_comp_id: true,
            check_latency: true,
            max_latency_secs: 120,
            logon_timeout_secs: 10,
            logout_timeout_secs: 2,
            timestamp_precision: TimestampPrecision::Millis,
            persist_messages: true,
            validate_length_and_checksum: true,
            dictionary: None,
            validation: ValidationOptions::default(),
            enable_next_expected_msg_seq_num: false,
            resend_request_chunk_size: 0,
            default_appl_ver_id,
            username: None,
            password: None,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_queued_messages: 100_000,
            max_output_bytes: 64 << 20,
            schedule: None,
        }
    }

    /// How this session's messages are decoded: its size limit, its
    /// BodyLength/CheckSum switch and its dictionary's raw-data fields.
    /// Applications decoding the messages the session hands them use it
    /// too, so both read the same fields.
    pub fn decoder_config(&self) -> DecoderConfig {
        DecoderConfig {
            max_message_size: self.max_message_size,
            validate_length_and_checksum: self.validate_length_and_checksum,
            data_fields: self
                .dictionary
                .as_ref()
                .map(|dict| dict.data_fields().clone())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SessionId;

    #[test]
    fn display_and_file_stem_show_sub_ids_only_when_set() {
        let plain = SessionId::new("FIX.4.4", "EMP", "VENUE");
        assert_eq!(plain.to_string(), "FIX.4.4:EMP->VENUE");
        assert_eq!(plain.file_stem(), "FIX.4.4-EMP-VENUE");
        let quote = plain.clone().with_sub_ids(Some("QUOTE"), None);
        let trade = plain.clone().with_sub_ids(None, Some("TRADE"));
        assert_eq!(quote.to_string(), "FIX.4.4:EMP/QUOTE->VENUE");
        assert_eq!(trade.to_string(), "FIX.4.4:EMP->VENUE/TRADE");
        assert_eq!(trade.file_stem(), "FIX.4.4-EMP-VENUE_TRADE");
        assert_ne!(quote, trade);
        assert_ne!(quote, plain);
    }
}
