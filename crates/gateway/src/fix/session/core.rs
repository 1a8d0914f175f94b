//! The session state machine. Its message handling follows QuickFIX's
//! `Session::next` step for step (the order of checks decides which reply a
//! counterparty sees, and counterparties are tested against QuickFIX).

use std::collections::{BTreeMap, VecDeque};

use model::Timestamp;

use super::config::{Role, SessionConfig};
use super::event::{AppMessage, Authenticator, CloseReason, SessionEvent, SessionStats};
use super::inbound::{Inbound, Kind, REVERSE_ROUTE, Slot};
use crate::fix::codec::{
    BodyWriter, DecodeError, Decoder, DecoderConfig, EncodeError, Encoder, Frame, Framer, Header,
    SessionRejectReason, Tag,
};
use crate::fix::dict::Validator;
use crate::fix::store::{MessageStore, StoreError};
use crate::fix::tags;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Why an application message was not accepted for sending.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Not logged on, and the next Logon resets sequence numbers, so the
    /// message would never be delivered. Send it after Logon.
    #[error("not logged on and the next logon resets sequence numbers; send after logon")]
    WouldBeReset,
    /// Unsent output has reached MaxOutputBytes: the counterparty reads
    /// slower than we send. Retry after the transport drains the output.
    #[error("output buffer full ({0} bytes unsent); retry when the transport has drained it")]
    Backpressure(usize),
    /// The message could not be encoded.
    #[error("cannot encode message: {0}")]
    Encode(#[from] EncodeError),
    /// The store failed; the session has stopped.
    #[error("message store failed: {0}")]
    Store(#[from] StoreError),
    /// The session stopped after an earlier store failure.
    #[error("session stopped after a store failure: {0}")]
    Failed(String),
    /// The schedule puts now outside session time, and the next session
    /// period starts with a sequence reset, so the message would never be
    /// delivered. Send it after StartTime.
    #[error(
        "outside of session time; the next session starts with a sequence reset, so send after StartTime"
    )]
    OutsideSessionTime,
}

/// A FIX session as a sans-IO state machine.
///
/// It never touches a socket, a clock, a thread or a random number: the
/// driver feeds it bytes and the current time and carries out what it asks.
///
/// # Using it
///
/// The methods fall into four groups:
///
/// - **A. Inputs from the transport**: [`connected`](Self::connected) when a
///   connection is up, [`handle_input`](Self::handle_input) with received
///   bytes, [`disconnected`](Self::disconnected) when it goes down.
/// - **B. Time**: [`poll_timeout`](Self::poll_timeout) says when the session
///   next needs [`handle_timeout`](Self::handle_timeout) called.
/// - **C. Commands from the application**: [`send_app`](Self::send_app),
///   [`reject_business`](Self::reject_business), [`logout`](Self::logout).
/// - **D. Outputs**: [`poll_event`](Self::poll_event) for events and
///   application messages, [`poll_transmit`](Self::poll_transmit) for bytes
///   to write.
///
/// After any call in A–C, call [`poll_event`](Self::poll_event) until it
/// returns `None` (it processes buffered input one message at a time, so
/// the application's replies interleave with the session's own exactly as
/// they would with a callback API), then [`poll_transmit`](Self::poll_transmit),
/// which commits the store before it hands out bytes (persist before send),
/// then re-arm the timer from [`poll_timeout`](Self::poll_timeout). On
/// [`SessionEvent::Close`], write the transmitted bytes, then close.
///
/// `now` must not go backwards between calls.
pub struct Session<S> {
    config: SessionConfig,
    store: S,
    decoder: Decoder,
    /// Reads stored messages for resends, apart from `decoder`, whose field
    /// index belongs to the message being processed.
    resend_decoder: Decoder,
    validator: Option<Validator>,
    encoder: Encoder,
    framer: Framer,
    authenticator: Option<Box<dyn Authenticator>>,

    input: Vec<u8>,
    input_start: usize,
    output: Vec<u8>,
    events: VecDeque<SessionEvent>,
    /// Messages received ahead of sequence, waiting for a resend to fill
    /// the gap before them.
    queue: BTreeMap<u64, Vec<u8>>,

    connected: bool,
    connected_at: Timestamp,
    sent_logon: bool,
    received_logon: bool,
    sent_logout: bool,
    sent_reset: bool,
    received_reset: bool,
    /// An operator reset the sequence numbers ([`Session::reset_for_next_logon`]):
    /// the Logons sent until one is answered carry ResetSeqNumFlag (141=Y)
    /// and start again at 1.
    reset_pending: bool,
    heartbeat_secs: u32,
    test_requests_sent: u64,
    last_sent: Timestamp,
    last_received: Timestamp,
    /// The gap we asked to be resent (first, last) and the end of the chunk
    /// asked for so far.
    resend_range: Option<ResendRange>,
    failure: Option<String>,
    /// DefaultApplVerID we send (FIXT): configured, or an acceptor adopts
    /// the counterparty's from its Logon.
    default_appl_ver_id: Option<String>,
    stats: SessionStats,
    /// The last schedule check holds until this instant: the end of the
    /// session period it found, or the start of the next one. The epoch
    /// until the first check, so the first call checks.
    schedule_until: Timestamp,
    /// In session at the last schedule check.
    in_session: bool,
}

#[derive(Clone, Copy, Debug)]
struct ResendRange {
    begin: u64,
    end: u64,
    chunk_end: u64,
}

impl<S: MessageStore + std::fmt::Debug> std::fmt::Debug for Session<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.config.id)
            .field("store", &self.store)
            .field("connected", &self.connected)
            .field("logged_on", &self.is_logged_on())
            .finish_non_exhaustive()
    }
}

/// Where an outgoing message's MsgSeqNum comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbering {
    /// The next sender number; the message is stored and the number used.
    Next,
    /// A number given (gap fills, resends); nothing stored.
    Fixed(u64),
}

impl<S: MessageStore> Session<S> {
    /// A session over `store`, not connected.
    pub fn new(config: SessionConfig, store: S) -> Self {
        let decoder_config = config.decoder_config();
        let resend_decoder = Decoder::new(DecoderConfig {
            validate_length_and_checksum: false,
            ..decoder_config.clone()
        });
        let validator = config
            .dictionary
            .clone()
            .map(|dict| Validator::new(dict, config.validation));
        let encoder = Encoder::new(config.id.begin_string.as_bytes())
            .with_timestamp_precision(config.timestamp_precision);
        let heartbeat_secs = match config.role {
            Role::Initiator => config.heartbeat_interval_secs,
            Role::Acceptor => 0,
        };
        let epoch = store.creation_time();
        Self {
            framer: Framer::new(config.max_message_size),
            decoder: Decoder::new(decoder_config),
            resend_decoder,
            validator,
            encoder,
            authenticator: None,
            store,
            input: Vec::new(),
            input_start: 0,
            output: Vec::new(),
            events: VecDeque::new(),
            queue: BTreeMap::new(),
            connected: false,
            connected_at: epoch,
            sent_logon: false,
            received_logon: false,
            sent_logout: false,
            sent_reset: false,
            received_reset: false,
            reset_pending: false,
            heartbeat_secs,
            test_requests_sent: 0,
            last_sent: epoch,
            last_received: epoch,
            resend_range: None,
            failure: None,
            default_appl_ver_id: config
                .id
                .is_fixt()
                .then(|| config.default_appl_ver_id.clone())
                .flatten(),
            stats: SessionStats::default(),
            schedule_until: Timestamp::UNIX_EPOCH,
            in_session: true,
            config,
        }
    }

    /// Checks Username (553) and Password (554) of incoming Logons.
    pub fn set_authenticator(&mut self, authenticator: Box<dyn Authenticator>) {
        self.authenticator = Some(authenticator);
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The message store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Counters since the session was created.
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// True when the schedule puts `now` in session time (always, without a
    /// schedule). An initiator's driver asks before connecting: QuickFIX's
    /// initiators do not connect outside session time.
    pub fn is_session_time(&self, now: Timestamp) -> bool {
        self.config
            .schedule
            .as_ref()
            .is_none_or(|schedule| schedule.is_session_time(now))
    }

    /// Logon has completed in both directions.
    pub fn is_logged_on(&self) -> bool {
        self.received_logon && self.sent_logon
    }

    /// A transport connection is up.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// MsgSeqNum of the next message we send.
    pub fn next_sender_seq(&self) -> u64 {
        self.store.next_sender_seq()
    }

    /// MsgSeqNum we expect next.
    pub fn next_target_seq(&self) -> u64 {
        self.store.next_target_seq()
    }

    /// The HeartBtInt in force, in seconds.
    pub fn heartbeat_interval_secs(&self) -> u32 {
        self.heartbeat_secs
    }

    /// Bytes received and not yet processed; the driver stops reading while
    /// this is above its limit, so a fast sender cannot grow memory.
    pub fn buffered_input(&self) -> usize {
        self.input.len() - self.input_start
    }

    /// Bytes waiting for [`poll_transmit`](Self::poll_transmit).
    pub fn buffered_output(&self) -> usize {
        self.output.len()
    }

    // ---- A. Transport inputs ------------------------------------------------

    /// A connection is up. An initiator sends its Logon; an acceptor waits
    /// LogonTimeout for one. A new session period resets the sequence
    /// numbers first; outside session time an initiator sends nothing and
    /// asks for the connection to close.
    pub fn connected(&mut self, now: Timestamp) {
        self.connected = true;
        self.connected_at = now;
        self.input.clear();
        self.input_start = 0;
        self.framer.reset();
        self.last_received = now;
        self.last_sent = now;
        let in_session = self.check_schedule(now);
        if self.config.role == Role::Initiator && self.failure.is_none() {
            if !in_session {
                self.notice("Connected outside of session time; not sending logon".to_owned());
                self.disconnect(now, CloseReason::OutsideSessionTime);
                return;
            }
            self.generate_logon(now);
            self.notice("Initiated logon request".to_owned());
        }
    }

    /// Bytes arrived from the counterparty. They are processed by
    /// [`poll_event`](Self::poll_event).
    pub fn handle_input(&mut self, _now: Timestamp, bytes: &[u8]) {
        if !self.connected {
            return;
        }
        self.stats.bytes_received += bytes.len() as u64;
        if self.input_start > 0 && self.input_start == self.input.len() {
            self.input.clear();
            self.input_start = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    /// The connection went down (or the driver closed it after
    /// [`SessionEvent::Close`]).
    pub fn disconnected(&mut self, now: Timestamp) {
        if self.connected {
            self.notice("Disconnected".to_owned());
        }
        self.disconnect_state(now);
    }

    // ---- B. Time ------------------------------------------------------------

    /// When [`handle_timeout`](Self::handle_timeout) is next due. With a
    /// schedule this includes the next session start or end, connected or
    /// not, so the session logs out at EndTime and resets at StartTime
    /// (and, before any call has brought the time, the epoch: check now).
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let schedule = self
            .config
            .schedule
            .is_some()
            .then_some(self.schedule_until);
        match (schedule, self.protocol_timeout()) {
            (Some(schedule), Some(protocol)) => Some(schedule.min(protocol)),
            (schedule, protocol) => schedule.or(protocol),
        }
    }

    /// The logon, logout and heartbeat timers.
    fn protocol_timeout(&self) -> Option<Timestamp> {
        if !self.connected {
            return None;
        }
        if !self.received_logon {
            let from = if self.sent_logon {
                self.last_received
            } else {
                self.connected_at
            };
            return from.checked_add_nanos(self.secs(self.config.logon_timeout_secs));
        }
        if self.heartbeat_secs == 0 {
            return None;
        }
        let interval = self.secs(self.heartbeat_secs);
        let mut due = self
            .last_received
            .unix_nanos()
            .saturating_add(interval * 12 * (self.test_requests_sent + 1) / 10)
            .min(self.last_received.unix_nanos() + interval * 24 / 10);
        if self.test_requests_sent == 0 {
            due = due.min(self.last_sent.unix_nanos() + interval);
        }
        if self.sent_logout {
            due = due.min(self.last_sent.unix_nanos() + self.secs(self.config.logout_timeout_secs));
        }
        Some(Timestamp::from_unix_nanos(due))
    }

    /// Runs the timers: the schedule (a new session period resets, EndTime
    /// logs out), logon and logout timeouts, heartbeats, TestRequest, and
    /// the disconnect when the counterparty has gone silent.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.check_schedule(now);
        if !self.connected {
            return;
        }
        if !self.received_logon {
            let from = if self.sent_logon {
                self.last_received
            } else {
                self.connected_at
            };
            if self.elapsed(from, now) >= self.secs(self.config.logon_timeout_secs) {
                self.notice("Timed out waiting for logon".to_owned());
                self.disconnect(now, CloseReason::LogonTimeout);
            }
            return;
        }
        if self.heartbeat_secs == 0 {
            return;
        }
        if self.sent_logout
            && self.elapsed(self.last_sent, now) >= self.secs(self.config.logout_timeout_secs)
        {
            self.notice("Timed out waiting for logout response".to_owned());
            self.disconnect(now, CloseReason::LogoutTimeout);
            return;
        }
        let interval = self.secs(self.heartbeat_secs);
        let since_sent = self.elapsed(self.last_sent, now);
        let since_received = self.elapsed(self.last_received, now);
        if since_sent < interval && since_received < interval {
            return;
        }
        if since_received >= interval * 24 / 10 {
            self.stats.heartbeat_timeouts += 1;
            self.notice("Timed out waiting for heartbeat".to_owned());
            self.disconnect(now, CloseReason::HeartbeatTimeout);
        } else if since_received >= interval * 12 * (self.test_requests_sent + 1) / 10 {
            self.send_admin(now, b"1", |body| {
                body.str(112, b"TEST");
            });
            self.test_requests_sent += 1;
            self.stats.test_requests_sent += 1;
            self.notice("Sent test request TEST".to_owned());
        } else if since_sent >= interval && self.test_requests_sent == 0 {
            self.send_heartbeat(now, None);
        }
    }

    // ---- C. Application commands --------------------------------------------

    /// Sends an application message of `msg_type` whose body `build` writes.
    /// The header (8, 9, 34, 49, 52, 56, and 50/57 when the session id has
    /// SubIDs) is filled in; `extra_header` adds other header fields
    /// (OnBehalfOfCompID, ApplVerID, …).
    ///
    /// The message is stored under its sequence number before it can be
    /// transmitted. While not logged on it is stored but not sent; the
    /// counterparty gets it by ResendRequest after Logon.
    pub fn send_app(
        &mut self,
        now: Timestamp,
        msg_type: &[u8],
        extra_header: &[(Tag, &[u8])],
        build: impl FnOnce(&mut BodyWriter<'_>),
    ) -> Result<u64, SendError> {
        if let Some(failure) = &self.failure {
            return Err(SendError::Failed(failure.clone()));
        }
        if !self.check_schedule(now) {
            return Err(SendError::OutsideSessionTime);
        }
        if !self.is_logged_on() && self.should_send_reset() {
            return Err(SendError::WouldBeReset);
        }
        if self.output.len() > self.config.max_output_bytes {
            return Err(SendError::Backpressure(self.output.len()));
        }
        let transmit = self.is_logged_on();
        self.send_raw(
            now,
            msg_type,
            Numbering::Next,
            None,
            extra_header,
            transmit,
            build,
        )
    }

    /// Rejects an application message with a BusinessMessageReject (35=j):
    /// `reason` is BusinessRejectReason (380), `ref_tag` names a field in
    /// the text. Use it when the application cannot process `message`.
    pub fn reject_business(
        &mut self,
        now: Timestamp,
        message: &AppMessage,
        reason: u32,
        ref_tag: Option<Tag>,
    ) -> Result<u64, SendError> {
        if !self.check_schedule(now) {
            return Err(SendError::OutsideSessionTime);
        }
        let text = business_reject_text(reason);
        let text = match (text, ref_tag) {
            (Some(text), Some(tag)) => Some(format!("{text} ({tag})")),
            (Some(text), None) => Some(text.to_owned()),
            (None, _) => None,
        };
        let default_appl_ver_id = self.default_appl_ver_id.clone();
        let msg_type = message.msg_type().to_vec();
        self.stats.business_rejects_sent += 1;
        self.notice(format!(
            "Message {} Rejected: {}",
            message.seq,
            text.as_deref().unwrap_or("")
        ));
        let transmit = self.is_logged_on();
        self.send_raw(now, b"j", Numbering::Next, None, &[], transmit, |body| {
            body.uint(45, message.seq);
            if let Some(text) = &text {
                body.str(58, text.as_bytes());
            }
            body.str(372, &msg_type).uint(380, u64::from(reason));
            if let Some(id) = &default_appl_ver_id {
                body.str(1137, id.as_bytes());
            }
        })
    }

    /// Rejects an application message the application could not process
    /// with a session-level Reject (35=3): RefSeqNum (45) its MsgSeqNum,
    /// RefMsgType (372) its MsgType, SessionRejectReason (373) `reason`,
    /// RefTagID (371) `ref_tag` when given, Text (58) `text`. For field
    /// problems the mapping found (a required tag missing, a value out of
    /// range) and message types the application does not take (373=11).
    pub fn reject_app(
        &mut self,
        now: Timestamp,
        message: &AppMessage,
        reason: SessionRejectReason,
        ref_tag: Option<Tag>,
        text: &str,
    ) -> Result<u64, SendError> {
        if !self.check_schedule(now) {
            return Err(SendError::OutsideSessionTime);
        }
        let msg_type = message.msg_type().to_vec();
        self.stats.rejects_sent += 1;
        self.notice(format!("Message {} Rejected: {text}", message.seq));
        let transmit = self.is_logged_on();
        self.send_raw(now, b"3", Numbering::Next, None, &[], transmit, |body| {
            body.uint(45, message.seq).str(58, text.as_bytes());
            if let Some(tag) = ref_tag {
                body.uint(371, u64::from(tag));
            }
            body.str(372, &msg_type).uint(373, u64::from(reason.code()));
        })
    }

    /// Starts a Logout with optional Text (58); the connection closes when
    /// the counterparty answers or LogoutTimeout passes.
    pub fn logout(&mut self, now: Timestamp, text: Option<&str>) {
        if !self.connected {
            return;
        }
        if !self.is_logged_on() {
            self.disconnect(now, CloseReason::LoggedOut);
            return;
        }
        if !self.sent_logout {
            self.notice("Initiated logout request".to_owned());
            self.generate_logout(now, text);
        }
    }

    /// Resets both sequence numbers to 1 and drops stored messages (for a
    /// daily reset while disconnected, or an operator's command).
    pub fn reset(&mut self, now: Timestamp) -> Result<(), StoreError> {
        self.store.reset(now)?;
        self.store.commit()
    }

    /// An operator's sequence reset, while disconnected: both sequence
    /// numbers back to 1, stored messages dropped, and the next Logon
    /// carries ResetSeqNumFlag (141=Y) so the counterparty resets too,
    /// whatever the session's reset settings. Until a Logon is answered,
    /// every Logon sent (a retry after a lost connection too) starts at 1
    /// with 141=Y again. Returns `Ok(false)` and changes nothing while
    /// connected: log out first.
    ///
    /// # Errors
    /// The store failed to reset or commit.
    pub fn reset_for_next_logon(&mut self, now: Timestamp) -> Result<bool, StoreError> {
        if self.connected {
            return Ok(false);
        }
        self.reset(now)?;
        self.reset_pending = true;
        Ok(true)
    }

    /// True after [`Self::reset_for_next_logon`] until a Logon is answered.
    pub const fn reset_pending(&self) -> bool {
        self.reset_pending
    }

    // ---- D. Outputs -----------------------------------------------------------

    /// The next event, processing buffered input until one appears.
    pub fn poll_event(&mut self, now: Timestamp) -> Option<SessionEvent> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            if !self.connected || self.input_start == self.input.len() {
                return None;
            }
            // Time has moved since the last call: a session period may
            // have ended or begun. Its events come before the message.
            self.check_schedule(now);
            if !self.events.is_empty() || !self.connected {
                continue;
            }
            let input = std::mem::take(&mut self.input);
            let frame = self.framer.poll(&input[self.input_start..]);
            let start = self.input_start;
            match frame {
                Frame::Incomplete => {
                    self.input = input;
                    if self.input_start > 0 {
                        self.input.drain(..self.input_start);
                        self.input_start = 0;
                    }
                    return None;
                }
                Frame::Skip { len, reason } => {
                    self.input = input;
                    self.input_start += len;
                    self.stats.garbled_messages += 1;
                    self.notice(format!("Skipped {len} bytes of garbled input: {reason:?}"));
                }
                Frame::Message { len } => {
                    self.input_start += len;
                    self.process(now, &input[start..start + len], false);
                    if self.connected {
                        self.input = input;
                    }
                }
            }
        }
    }

    /// Moves the bytes to send into `out` (appending), after committing the
    /// store so that nothing leaves before it is recorded. Returns false
    /// when there is nothing to send.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> bool {
        if self.output.is_empty() {
            return false;
        }
        if self.store.has_staged() {
            if let Err(error) = self.store.commit() {
                self.fail(error);
                return false;
            }
            self.stats.store_commits += 1;
        }
        self.stats.bytes_sent += self.output.len() as u64;
        if out.is_empty() {
            std::mem::swap(out, &mut self.output);
        } else {
            out.extend_from_slice(&self.output);
            self.output.clear();
        }
        true
    }

    /// Commits staged store changes (received sequence numbers) without
    /// sending; the driver calls it when idle and before shutting down.
    pub fn flush_store(&mut self) -> Result<(), StoreError> {
        if self.store.has_staged() {
            self.store.commit()?;
            self.stats.store_commits += 1;
        }
        Ok(())
    }

    // ---- Incoming messages ----------------------------------------------------

    fn process(&mut self, now: Timestamp, bytes: &[u8], queued: bool) {
        let message = match Inbound::read(bytes, &mut self.decoder, self.validator.as_mut()) {
            Ok(message) => message,
            Err(error) => {
                self.on_garbled(now, bytes, &error);
                return;
            }
        };
        self.stats.messages_received += 1;
        self.stats.received_by_type.count(message.msg_type());
        self.next_message(now, &message);
        if !queued {
            self.next_queued(now);
        }
        if self.is_logged_on() {
            self.handle_timeout(now);
        }
    }

    fn on_garbled(&mut self, now: Timestamp, bytes: &[u8], error: &DecodeError) {
        self.stats.garbled_messages += 1;
        self.notice(format!("Garbled message dropped: {}", error.detail()));
        let is_logon = bytes.windows(6).any(|window| window == b"\x0135=A\x01");
        if is_logon || !self.is_logged_on() {
            if is_logon {
                self.notice("Logon message is not valid".to_owned());
            }
            self.disconnect(
                now,
                CloseReason::ProtocolError(format!("garbled message: {}", error.detail())),
            );
        }
    }

    fn next_message(&mut self, now: Timestamp, message: &Inbound<'_>) {
        // Header fields every message needs before anything else.
        for tag in [tags::SENDER_COMP_ID, tags::TARGET_COMP_ID] {
            if message.tag(tag).is_none() {
                self.generate_reject(
                    now,
                    message,
                    SessionRejectReason::RequiredTagMissing,
                    Some(i64::from(tag)),
                );
                if message.kind == Kind::Logon {
                    self.notice("Required field missing from logon".to_owned());
                    self.disconnect(
                        now,
                        CloseReason::ProtocolError("required field missing from logon".to_owned()),
                    );
                }
                return;
            }
        }
        if message.begin_string() != self.config.id.begin_string.as_bytes() {
            if message.kind == Kind::Logout {
                self.next_logout(now, message);
            } else {
                self.generate_logout(now, Some("Incorrect BeginString"));
                self.incr_target();
            }
            return;
        }
        if message.kind == Kind::Logon
            && self.config.id.is_fixt()
            && message.get(Slot::DefaultApplVerId).is_none()
        {
            self.generate_reject(
                now,
                message,
                SessionRejectReason::RequiredTagMissing,
                Some(1137),
            );
            self.notice("Required field missing from logon".to_owned());
            self.disconnect(
                now,
                CloseReason::ProtocolError("DefaultApplVerID (1137) missing from logon".to_owned()),
            );
            return;
        }
        if let Some(problem) = &message.invalid {
            match problem.reject_reason() {
                Some(reason) => {
                    // QuickFIX names no tag for an invalid MsgType.
                    let tag = problem
                        .ref_tag_id()
                        .filter(|_| reason != SessionRejectReason::InvalidMsgType);
                    self.generate_reject(now, message, reason, tag);
                }
                None => {
                    self.notice(format!("Message dropped: {}", problem.detail()));
                }
            }
            return;
        }
        match message.kind {
            Kind::Logon => self.next_logon(now, message),
            Kind::Heartbeat | Kind::App => {
                if self.verify(now, message, true, true) {
                    self.incr_target();
                }
            }
            Kind::TestRequest => {
                if self.verify(now, message, true, true) {
                    let id = message.get(Slot::TestReqId);
                    self.send_heartbeat(now, id);
                    self.incr_target();
                }
            }
            Kind::SequenceReset => self.next_sequence_reset(now, message),
            Kind::Logout => self.next_logout(now, message),
            Kind::ResendRequest => self.next_resend_request(now, message),
            Kind::Reject => {
                if self.verify(now, message, false, true) {
                    self.stats.rejects_received += 1;
                    self.incr_target();
                }
            }
        }
    }

    fn next_logon(&mut self, now: Timestamp, message: &Inbound<'_>) {
        if self.config.schedule.is_some() && !self.in_session {
            // QuickFIX/J's answer; QuickFIX C++ sends the Logout without Text.
            let text = "Logon attempt not within session time";
            self.notice(format!("Logon rejected: {text}"));
            self.generate_logout(now, Some(text));
            if message.seq() == Some(self.store.next_target_seq()) {
                self.incr_target();
            }
            self.disconnect(now, CloseReason::OutsideSessionTime);
            return;
        }
        let reset_flag = message.flag(Slot::ResetSeqNumFlag);
        self.received_reset = reset_flag;
        if reset_flag {
            self.notice(
                "Logon contains ResetSeqNumFlag=Y, resetting sequence numbers to 1".to_owned(),
            );
            if !self.sent_reset {
                self.store_reset(now);
            }
        }
        let initiator = self.config.role == Role::Initiator;
        if initiator && !self.sent_logon && !reset_flag {
            self.notice("Received logon response before sending request".to_owned());
            self.disconnect(
                now,
                CloseReason::ProtocolError("logon response before logon request".to_owned()),
            );
            return;
        }
        if !initiator && self.config.reset_on_logon {
            self.store_reset(now);
        }
        if !initiator
            && self.config.id.is_fixt()
            && let Some(id) = message.get(Slot::DefaultApplVerId)
        {
            self.default_appl_ver_id = Some(String::from_utf8_lossy(id).into_owned());
        }
        if !self.verify(now, message, false, true) {
            return;
        }
        self.received_logon = true;

        let mut retransmit_from = None;
        if self.config.enable_next_expected_msg_seq_num
            && let Some(next_expected) = message.uint(Slot::NextExpectedMsgSeqNum)
        {
            let next_sender = self.store.next_sender_seq();
            if next_expected < next_sender {
                retransmit_from = Some(next_expected);
            } else if next_expected > next_sender {
                let text = format!(
                    "NextExpectedMsgSeqNum too high, expecting {next_sender} but received {next_expected}"
                );
                self.notice(text.clone());
                self.generate_logout(now, Some(&text));
                self.disconnect(now, CloseReason::ProtocolError(text));
                return;
            }
        }

        if !initiator || (self.received_reset && !self.sent_reset) {
            if let Some(interval) = message.uint(Slot::HeartBtInt) {
                self.heartbeat_secs = u32::try_from(interval).unwrap_or(u32::MAX);
            }
            self.notice("Received logon request".to_owned());
            self.generate_logon_response(now, message);
            self.notice("Responding to logon request".to_owned());
        } else {
            self.notice("Received logon response".to_owned());
        }
        self.sent_reset = false;
        self.received_reset = false;

        let seq = message.seq().unwrap_or(0);
        if seq > self.store.next_target_seq() && !reset_flag {
            if self.config.enable_next_expected_msg_seq_num {
                let expected = self.store.next_target_seq();
                self.notice(format!(
                    "Expecting retransmits FROM: {expected} TO: {}",
                    seq - 1
                ));
                self.queue.insert(seq, message.bytes.to_vec());
                self.resend_range = Some(ResendRange {
                    begin: expected,
                    end: seq - 1,
                    chunk_end: seq - 1,
                });
            } else {
                self.do_target_too_high(now, message, seq);
            }
        } else {
            self.incr_target();
            self.next_queued(now);
        }
        if self.is_logged_on() {
            self.stats.logons += 1;
            self.reset_pending = false;
            self.events.push_back(SessionEvent::LoggedOn);
        }
        if let Some(begin) = retransmit_from {
            let end = self.store.next_sender_seq() - 1;
            self.notice(format!(
                "Sending retransmits due to received NextExpectedMsgSeqNum is too low. FROM: {begin} TO: {end}"
            ));
            self.answer_resend(now, begin, end);
        }
    }

    fn next_sequence_reset(&mut self, now: Timestamp, message: &Inbound<'_>) {
        let gap_fill = message.flag(Slot::GapFillFlag);
        if !self.verify(now, message, gap_fill, gap_fill) {
            return;
        }
        if gap_fill {
            self.stats.gap_fills_received += 1;
        }
        if let Some(new_seq) = message.uint(Slot::NewSeqNo) {
            let expected = self.store.next_target_seq();
            self.notice(format!(
                "Received SequenceReset FROM: {expected} TO: {new_seq}"
            ));
            if new_seq > expected {
                self.set_target(new_seq);
                if gap_fill {
                    self.resend_progress(now, new_seq - 1);
                }
            } else if new_seq < expected {
                self.generate_reject(now, message, SessionRejectReason::ValueIsIncorrect, None);
            }
        }
    }

    fn next_logout(&mut self, now: Timestamp, message: &Inbound<'_>) {
        if !self.verify(now, message, false, false) {
            return;
        }
        if self.sent_logout {
            self.notice("Received logout response".to_owned());
        } else {
            self.notice("Received logout request".to_owned());
            self.generate_logout(now, None);
            self.notice("Sending logout response".to_owned());
        }
        self.incr_target();
        if self.config.reset_on_logout {
            self.store_reset(now);
        }
        self.disconnect(now, CloseReason::LoggedOut);
    }

    fn next_resend_request(&mut self, now: Timestamp, message: &Inbound<'_>) {
        if !self.verify(now, message, false, false) {
            return;
        }
        self.stats.resend_requests_received += 1;
        let begin = message.uint(Slot::BeginSeqNo).unwrap_or(1);
        let mut end = message.uint(Slot::EndSeqNo).unwrap_or(0);
        self.notice(format!("Received ResendRequest FROM: {begin} TO: {end}"));
        let next_sender = self.store.next_sender_seq();
        let begin_string = self.config.id.begin_string.as_bytes();
        if (begin_string >= b"FIX.4.2".as_slice() && end == 0)
            || (begin_string <= b"FIX.4.2".as_slice() && end == 999_999)
            || end >= next_sender
        {
            end = next_sender - 1;
        }
        self.answer_resend(now, begin, end);
        if message.seq() == Some(self.store.next_target_seq()) {
            self.incr_target();
        }
    }

    /// QuickFIX `verify`: logon state, SendingTime, CompIDs, sequence.
    fn verify(
        &mut self,
        now: Timestamp,
        message: &Inbound<'_>,
        check_high: bool,
        check_low: bool,
    ) -> bool {
        let Some(sending_time) = message.timestamp(Slot::SendingTime) else {
            self.notice("SendingTime (52) missing or malformed".to_owned());
            self.disconnect(
                now,
                CloseReason::ProtocolError("SendingTime (52) missing or malformed".to_owned()),
            );
            return false;
        };
        let seq = message.seq();
        if (check_high || check_low) && seq.is_none() {
            self.notice("MsgSeqNum (34) missing or malformed".to_owned());
            self.disconnect(
                now,
                CloseReason::ProtocolError("MsgSeqNum (34) missing or malformed".to_owned()),
            );
            return false;
        }
        if !self.valid_logon_state(message.kind) {
            let text = "Logon state is not valid for message".to_owned();
            self.notice(text.clone());
            self.disconnect(now, CloseReason::ProtocolError(text));
            return false;
        }
        if self.config.check_latency {
            let skew = now.unix_nanos().abs_diff(sending_time.unix_nanos());
            if skew > self.secs(self.config.max_latency_secs) {
                self.reject_and_logout(
                    now,
                    message,
                    SessionRejectReason::SendingTimeAccuracyProblem,
                );
                return false;
            }
        }
        if self.config.check_comp_id {
            let id = &self.config.id;
            let correct = message.tag(tags::SENDER_COMP_ID) == Some(id.target_comp_id.as_bytes())
                && message.tag(tags::TARGET_COMP_ID) == Some(id.sender_comp_id.as_bytes());
            if !correct {
                self.reject_and_logout(now, message, SessionRejectReason::CompIdProblem);
                return false;
            }
        }
        let expected = self.store.next_target_seq();
        let seq = seq.unwrap_or(0);
        if check_high && seq > expected {
            self.do_target_too_high(now, message, seq);
            return false;
        }
        if check_low && seq < expected {
            self.do_target_too_low(now, message, seq, expected);
            return false;
        }
        if check_high || check_low {
            self.resend_progress(now, seq);
        }
        if message.kind == Kind::Logon
            && let Some(authenticator) = &self.authenticator
            && let Err(text) =
                authenticator.authenticate(message.get(Slot::Username), message.get(Slot::Password))
        {
            self.notice(format!("Logon refused: {text}"));
            self.generate_logout(now, Some(&text));
            self.disconnect(
                now,
                CloseReason::ProtocolError(format!("logon refused: {text}")),
            );
            return false;
        }
        self.last_received = now;
        self.test_requests_sent = 0;
        if message.kind == Kind::App {
            self.events.push_back(SessionEvent::App(AppMessage {
                seq,
                poss_dup: message.poss_dup(),
                bytes: message.bytes.to_vec(),
            }));
        }
        true
    }

    /// Messages up to `seq` have arrived: the gap asked for is filled, or
    /// the next chunk of it is due.
    fn resend_progress(&mut self, now: Timestamp, seq: u64) {
        let Some(range) = self.resend_range else {
            return;
        };
        if seq >= range.end {
            self.notice(format!(
                "ResendRequest for messages FROM: {} TO: {} has been satisfied.",
                range.begin, range.end
            ));
            self.resend_range = None;
        } else if seq >= range.chunk_end {
            self.request_next_chunk(now, range);
        }
    }

    fn valid_logon_state(&self, kind: Kind) -> bool {
        (kind == Kind::Logon && self.sent_reset)
            || self.received_reset
            || (kind == Kind::Logon && !self.received_logon)
            || (kind != Kind::Logon && self.received_logon)
            || (kind == Kind::Logout && self.sent_logon)
            || (kind != Kind::Logout && self.sent_logout)
            || kind == Kind::SequenceReset
            || kind == Kind::Reject
    }

    /// Bad SendingTime or CompID: Reject, then Logout. Before Logon there is
    /// no session to reject in, so the connection just closes.
    fn reject_and_logout(
        &mut self,
        now: Timestamp,
        message: &Inbound<'_>,
        reason: SessionRejectReason,
    ) {
        if !self.received_logon {
            self.notice(format!("Logon rejected: {}", reason.text()));
            self.disconnect(now, CloseReason::ProtocolError(reason.text().to_owned()));
            return;
        }
        self.generate_reject(now, message, reason, None);
        self.generate_logout(now, None);
    }

    fn do_target_too_low(
        &mut self,
        now: Timestamp,
        message: &Inbound<'_>,
        seq: u64,
        expected: u64,
    ) {
        if !message.poss_dup() {
            let text = format!("MsgSeqNum too low, expecting {expected} but received {seq}");
            self.generate_logout(now, Some(&text));
            self.notice(text.clone());
            self.disconnect(now, CloseReason::ProtocolError(text));
            return;
        }
        // A possible duplicate of something already received: check it, then drop it.
        if message.kind != Kind::SequenceReset {
            let Some(orig) = message.timestamp(Slot::OrigSendingTime) else {
                self.generate_reject(
                    now,
                    message,
                    SessionRejectReason::RequiredTagMissing,
                    Some(i64::from(tags::ORIG_SENDING_TIME)),
                );
                return;
            };
            let sending = message.timestamp(Slot::SendingTime).unwrap_or(orig);
            if orig > sending {
                self.reject_and_logout(
                    now,
                    message,
                    SessionRejectReason::SendingTimeAccuracyProblem,
                );
            }
        }
    }

    fn do_target_too_high(&mut self, now: Timestamp, message: &Inbound<'_>, seq: u64) {
        let expected = self.store.next_target_seq();
        self.notice(format!(
            "MsgSeqNum too high, expecting {expected} but received {seq}"
        ));
        if self.queue.len() < self.config.max_queued_messages {
            self.queue.insert(seq, message.bytes.to_vec());
        }
        if let Some(range) = self.resend_range
            && !self.config.send_redundant_resend_requests
            && seq >= range.begin
        {
            self.notice(format!(
                "Already sent ResendRequest FROM: {} TO: {}.  Not sending another.",
                range.begin, range.end
            ));
            return;
        }
        self.generate_resend_request(now, expected, seq - 1);
    }

    fn next_queued(&mut self, now: Timestamp) {
        loop {
            let expected = self.store.next_target_seq();
            // Anything queued below the expected number was filled by a reset.
            while let Some(entry) = self.queue.first_entry() {
                if *entry.key() >= expected {
                    break;
                }
                entry.remove();
            }
            let Some(bytes) = self.queue.remove(&expected) else {
                return;
            };
            self.notice(format!("Processing QUEUED message: {expected}"));
            let is_logon_or_resend = bytes
                .windows(6)
                .any(|window| window == b"\x0135=A\x01" || window == b"\x0135=2\x01");
            if is_logon_or_resend {
                self.incr_target();
            } else {
                self.process(now, &bytes, true);
            }
            if !self.connected {
                return;
            }
        }
    }

    // ---- Outgoing messages ------------------------------------------------------

    /// Encodes a message into the output (QuickFIX `sendRaw`): stores it
    /// unless its number is fixed, and keeps it in the output only when
    /// `transmit`.
    #[allow(
        clippy::too_many_arguments,
        reason = "one internal sink for every message kind"
    )]
    fn send_raw(
        &mut self,
        now: Timestamp,
        msg_type: &[u8],
        numbering: Numbering,
        orig_sending_time: Option<Timestamp>,
        extra_header: &[(Tag, &[u8])],
        transmit: bool,
        build: impl FnOnce(&mut BodyWriter<'_>),
    ) -> Result<u64, SendError> {
        if let Some(failure) = &self.failure {
            return Err(SendError::Failed(failure.clone()));
        }
        self.last_sent = now;
        let seq = match numbering {
            Numbering::Next => self.store.next_sender_seq(),
            Numbering::Fixed(seq) => seq,
        };
        let id = &self.config.id;
        // Configured SubIDs go on every message, replacing any the caller
        // (or a stored message being resent) carries.
        let with_sub_ids: Vec<(Tag, &[u8])>;
        let extra = if id.sender_sub_id.is_none() && id.target_sub_id.is_none() {
            extra_header
        } else {
            let mut fields: Vec<(Tag, &[u8])> = extra_header
                .iter()
                .copied()
                .filter(|(tag, _)| *tag != tags::SENDER_SUB_ID && *tag != tags::TARGET_SUB_ID)
                .collect();
            if let Some(sub) = &id.sender_sub_id {
                fields.push((tags::SENDER_SUB_ID, sub.as_bytes()));
            }
            if let Some(sub) = &id.target_sub_id {
                fields.push((tags::TARGET_SUB_ID, sub.as_bytes()));
            }
            with_sub_ids = fields;
            &with_sub_ids
        };
        let header = Header {
            sender_comp_id: id.sender_comp_id.as_bytes(),
            target_comp_id: id.target_comp_id.as_bytes(),
            msg_seq_num: seq,
            sending_time: now,
            poss_dup: orig_sending_time.is_some(),
            orig_sending_time,
            extra,
        };
        let mut body = self.encoder.begin(&mut self.output, msg_type, &header);
        build(&mut body);
        let range = body.finish()?;
        if numbering == Numbering::Next {
            let stored = if self.config.persist_messages {
                self.store.store_outbound(seq, &self.output[range.clone()])
            } else {
                self.store.set_next_sender_seq(seq + 1)
            };
            if let Err(error) = stored {
                self.output.truncate(range.start);
                let text = error.to_string();
                self.fail(error);
                return Err(SendError::Failed(text));
            }
        }
        if transmit && self.connected {
            self.stats.messages_sent += 1;
            self.stats.sent_by_type.count(msg_type);
        } else {
            self.output.truncate(range.start);
        }
        Ok(seq)
    }

    /// An admin message: sent when it is Logon, Logout, ResendRequest or
    /// SequenceReset, or when logged on.
    fn send_admin(
        &mut self,
        now: Timestamp,
        msg_type: &[u8],
        build: impl FnOnce(&mut BodyWriter<'_>),
    ) {
        self.send_admin_routed(now, msg_type, &[], build);
    }

    fn send_admin_routed(
        &mut self,
        now: Timestamp,
        msg_type: &[u8],
        extra_header: &[(Tag, &[u8])],
        build: impl FnOnce(&mut BodyWriter<'_>),
    ) {
        let transmit = matches!(msg_type, b"A" | b"5" | b"2" | b"4") || self.is_logged_on();
        // A failure is recorded by `send_raw` and closes the session.
        let _ = self.send_raw(
            now,
            msg_type,
            Numbering::Next,
            None,
            extra_header,
            transmit,
            build,
        );
    }

    fn send_heartbeat(&mut self, now: Timestamp, test_req_id: Option<&[u8]>) {
        self.stats.heartbeats_sent += 1;
        self.send_admin(now, b"0", |body| {
            if let Some(id) = test_req_id {
                body.str(112, id);
            }
        });
    }

    fn should_send_reset(&self) -> bool {
        self.config.id.begin_string.as_bytes() >= b"FIX.4.1".as_slice()
            && (self.reset_pending
                || self.config.reset_on_logon
                || self.config.reset_on_logout
                || self.config.reset_on_disconnect)
            && self.store.next_sender_seq() == 1
            && self.store.next_target_seq() == 1
    }

    fn generate_logon(&mut self, now: Timestamp) {
        if self.config.reset_on_logon || self.reset_pending {
            self.store_reset(now);
        }
        let reset = self.should_send_reset();
        self.last_received = now;
        self.test_requests_sent = 0;
        self.sent_logon = true;
        if !self.received_reset {
            self.sent_reset = reset;
        }
        let heartbeat = u64::from(self.config.heartbeat_interval_secs);
        let next_expected = self
            .config
            .enable_next_expected_msg_seq_num
            .then(|| self.store.next_target_seq());
        let config = &self.config;
        let username = config.username.clone();
        let password = config.password.clone();
        let appl_ver_id = self.default_appl_ver_id.clone();
        self.send_admin(now, b"A", |body| {
            body.uint(98, 0).uint(108, heartbeat);
            if reset {
                body.bool(141, true);
            }
            if let Some(username) = &username {
                body.str(553, username.as_bytes());
            }
            if let Some(password) = &password {
                body.str(554, password.as_bytes());
            }
            if let Some(next) = next_expected {
                body.uint(789, next);
            }
            if let Some(id) = &appl_ver_id {
                body.str(1137, id.as_bytes());
            }
        });
    }

    fn generate_logon_response(&mut self, now: Timestamp, logon: &Inbound<'_>) {
        let reset = self.received_reset;
        let heartbeat = logon.get(Slot::HeartBtInt).unwrap_or(b"0");
        let next_expected = self
            .config
            .enable_next_expected_msg_seq_num
            .then(|| self.store.next_target_seq() + 1);
        let appl_ver_id = self.default_appl_ver_id.clone();
        self.send_admin(now, b"A", |body| {
            body.uint(98, 0).str(108, heartbeat);
            if reset {
                body.bool(141, true);
            }
            if let Some(next) = next_expected {
                body.uint(789, next);
            }
            if let Some(id) = &appl_ver_id {
                body.str(1137, id.as_bytes());
            }
        });
        self.sent_logon = true;
    }

    fn generate_logout(&mut self, now: Timestamp, text: Option<&str>) {
        self.send_admin(now, b"5", |body| {
            if let Some(text) = text {
                body.str(58, text.as_bytes());
            }
        });
        self.sent_logout = true;
    }

    fn generate_resend_request(&mut self, now: Timestamp, begin: u64, last: u64) {
        let chunk = self.config.resend_request_chunk_size;
        let (end, chunk_end) = if chunk > 0 && last - begin + 1 > chunk {
            (begin + chunk - 1, begin + chunk - 1)
        } else if self.config.id.begin_string.as_bytes() >= b"FIX.4.2".as_slice() {
            (0, last)
        } else {
            (999_999, last)
        };
        self.send_admin(now, b"2", |body| {
            body.uint(7, begin).uint(16, end);
        });
        self.stats.resend_requests_sent += 1;
        self.notice(format!("Sent ResendRequest FROM: {begin} TO: {end}"));
        self.resend_range = Some(ResendRange {
            begin,
            end: last,
            chunk_end,
        });
    }

    /// The chunk asked for has arrived; ask for the next one.
    fn request_next_chunk(&mut self, now: Timestamp, range: ResendRange) {
        let begin = range.chunk_end + 1;
        let chunk_end = (range.chunk_end + self.config.resend_request_chunk_size).min(range.end);
        self.send_admin(now, b"2", |body| {
            body.uint(7, begin).uint(16, chunk_end);
        });
        self.stats.resend_requests_sent += 1;
        self.notice(format!("Sent ResendRequest FROM: {begin} TO: {chunk_end}"));
        self.resend_range = Some(ResendRange { chunk_end, ..range });
    }

    fn generate_gap_fill(&mut self, now: Timestamp, begin: u64, new_seq: u64) {
        let transmit = true;
        let _ = self.send_raw(
            now,
            b"4",
            Numbering::Fixed(begin),
            Some(now),
            &[],
            transmit,
            |body| {
                body.uint(36, new_seq).bool(123, true);
            },
        );
        self.stats.gap_fills_sent += 1;
        self.notice(format!("Sent SequenceReset TO: {new_seq}"));
    }

    /// Answers a ResendRequest for `begin..=end` (QuickFIX
    /// `generateRetransmits`): application messages again with PossDupFlag
    /// and OrigSendingTime, admin messages and missing numbers as gap fills.
    fn answer_resend(&mut self, now: Timestamp, begin: u64, end: u64) {
        if !self.config.persist_messages {
            let new_seq = (end + 1).min(self.store.next_sender_seq());
            self.generate_gap_fill(now, begin, new_seq);
            return;
        }
        let mut stored: Vec<(u64, Vec<u8>)> = Vec::new();
        if let Err(error) = self.store.outbound_range(begin, end, &mut |seq, bytes| {
            stored.push((seq, bytes.to_vec()));
        }) {
            self.fail(error);
            return;
        }
        let mut gap_start = 0;
        let mut current = begin;
        let mut last_seq = 0;
        let mut app_just_sent = false;
        for (seq, bytes) in &stored {
            app_just_sent = false;
            if current != *seq && gap_start == 0 {
                gap_start = current;
            }
            if Kind::of(stored_msg_type(bytes)).is_admin() {
                if gap_start == 0 {
                    gap_start = *seq;
                }
            } else {
                if gap_start != 0 {
                    self.generate_gap_fill(now, gap_start, *seq);
                }
                self.resend_stored(now, *seq, bytes);
                gap_start = 0;
                app_just_sent = true;
            }
            current = seq + 1;
            last_seq = *seq;
        }
        if gap_start != 0 {
            self.generate_gap_fill(now, gap_start, last_seq + 1);
        }
        if end > last_seq {
            let new_seq = (end + 1).min(self.store.next_sender_seq());
            let from = if app_just_sent { last_seq + 1 } else { begin };
            self.generate_gap_fill(now, from, new_seq);
        }
    }

    /// Sends a stored application message again: same body and extra header
    /// fields, PossDupFlag=Y, OrigSendingTime = its first SendingTime.
    fn resend_stored(&mut self, now: Timestamp, seq: u64, bytes: &[u8]) {
        let Ok(message) = self.resend_decoder.decode(bytes) else {
            self.notice(format!(
                "Stored message {seq} cannot be decoded; gap-filled instead"
            ));
            self.generate_gap_fill(now, seq, seq + 1);
            return;
        };
        let mut orig = None;
        let mut extra: Vec<(Tag, &[u8])> = Vec::new();
        let mut body_start = bytes.len();
        let mut body_end = bytes.len();
        let dict = self.config.dictionary.as_deref();
        for field in &message.fields()[3..] {
            let tag = field.tag();
            let value = &bytes[field.value_range()];
            if tag == tags::CHECK_SUM || tag == tags::SIGNATURE_LENGTH {
                body_end = body_end.min(field.offset());
                break;
            }
            if body_start < bytes.len() {
                continue;
            }
            let in_header = tags::STANDARD_HEADER.contains(&tag)
                || dict.is_some_and(|dict| dict.is_header_tag(tag));
            if !in_header {
                body_start = field.offset();
                continue;
            }
            match tag {
                tags::SENDING_TIME => {
                    orig = crate::fix::codec::value::parse_utc_timestamp(value)
                        .and_then(|fields| Timestamp::from_utc(fields).ok());
                }
                tags::MSG_SEQ_NUM
                | tags::POSS_DUP_FLAG
                | tags::ORIG_SENDING_TIME
                | tags::SENDER_COMP_ID
                | tags::TARGET_COMP_ID => {}
                _ => extra.push((tag, value)),
            }
        }
        // Everything below is a slice of `bytes`, so the decoder is free.
        let msg_type = stored_msg_type(bytes);
        let body = &bytes[body_start.min(body_end)..body_end];
        let orig = orig.unwrap_or(now);
        let transmit = true;
        if self
            .send_raw(
                now,
                msg_type,
                Numbering::Fixed(seq),
                Some(orig),
                &extra,
                transmit,
                |writer| {
                    writer.raw(body);
                },
            )
            .is_ok()
        {
            self.stats.messages_resent += 1;
            self.notice(format!("Resending Message: {seq}"));
        }
    }

    /// A session Reject (35=3) of `message` (QuickFIX `generateReject`).
    fn generate_reject(
        &mut self,
        now: Timestamp,
        message: &Inbound<'_>,
        reason: SessionRejectReason,
        ref_tag: Option<i64>,
    ) {
        let begin_string = self.config.id.begin_string.as_bytes();
        let fix42_or_later = begin_string >= b"FIX.4.2".as_slice();
        let seq_text = message.get(Slot::MsgSeqNum).filter(|text| !text.is_empty());
        let msg_type = message.msg_type();
        let include_reason = (begin_string == b"FIX.4.2"
            && reason.code() <= SessionRejectReason::InvalidMsgType.code())
            || begin_string > b"FIX.4.2".as_slice();
        if message.kind != Kind::Logon
            && message.kind != Kind::SequenceReset
            && message.seq() == Some(self.store.next_target_seq())
        {
            self.incr_target();
        }
        let text = reason.text();
        // QuickFIX names the tag when there is one, and always for an
        // invalid tag number.
        let with_tag = ref_tag.or((reason == SessionRejectReason::InvalidTagNumber).then_some(0));
        match with_tag {
            Some(tag) => self.notice(format!(
                "Message {} Rejected: {text}:{tag}",
                String::from_utf8_lossy(seq_text.unwrap_or_default())
            )),
            None => self.notice(format!(
                "Message {} Rejected: {text}",
                String::from_utf8_lossy(seq_text.unwrap_or_default())
            )),
        }
        if !self.received_logon {
            self.notice("Tried to send a reject while not logged on".to_owned());
            return;
        }
        let mut routing: Vec<(Tag, &[u8])> = Vec::new();
        for (from, to) in REVERSE_ROUTE {
            if let Some(value) = message.tag(from).filter(|value| !value.is_empty()) {
                routing.push((to, value));
            }
        }
        self.stats.rejects_sent += 1;
        self.send_admin_routed(now, b"3", &routing, |body| {
            if let Some(seq) = seq_text {
                body.str(45, seq);
            }
            match with_tag {
                Some(tag) if fix42_or_later => {
                    body.str(58, text.as_bytes()).int(371, tag);
                }
                Some(tag) => {
                    body.str(58, format!("{text} ({tag})").as_bytes());
                }
                None => {
                    body.str(58, text.as_bytes());
                }
            }
            if fix42_or_later && !msg_type.is_empty() {
                body.str(372, msg_type);
            }
            if fix42_or_later && include_reason {
                body.uint(373, u64::from(reason.code()));
            }
        });
    }

    /// QuickFIX `checkSessionTime`, run before every input and timer: when
    /// `now` is in a session period the store's sequence must have begun
    /// in that same period, else it is reset (the daily reset), logging out
    /// first when logged on; outside session time a logged-on session logs
    /// out. Returns whether `now` is session time.
    ///
    /// The answer for a period is kept until the period ends (or the next
    /// starts), so the check costs a comparison per message. The store's
    /// creation time only changes by a reset at a `now` inside the kept
    /// period, which keeps it current.
    fn check_schedule(&mut self, now: Timestamp) -> bool {
        let Some(schedule) = &self.config.schedule else {
            return true;
        };
        if self.failure.is_some() {
            return schedule.is_session_time(now);
        }
        if now >= self.schedule_until {
            match schedule.session_period(now) {
                Some((start, end)) => {
                    self.in_session = true;
                    self.schedule_until = end;
                    let created = self.store.creation_time();
                    if created < start || created >= end {
                        self.reset_for_new_period(now);
                    }
                }
                None => {
                    self.in_session = false;
                    self.schedule_until = schedule.next_change(now);
                }
            }
        }
        if !self.in_session && self.connected {
            self.end_of_session(now);
        }
        self.in_session
    }

    /// The store's sequence belongs to an earlier session period.
    fn reset_for_new_period(&mut self, now: Timestamp) {
        self.notice("Session state is not current; resetting".to_owned());
        if self.connected && (self.received_logon || self.sent_logon) {
            // QuickFIX/J's text; QuickFIX C++ sends the Logout without one.
            self.generate_logout(now, Some("Session reset"));
            self.notice("Initiated logout request".to_owned());
            self.disconnect(now, CloseReason::SessionReset);
        }
        self.store_reset(now);
    }

    /// Connected outside session time: log out, or give up a logon still
    /// under way. An acceptor still waiting for a Logon keeps waiting; the
    /// Logon is refused when it comes.
    fn end_of_session(&mut self, now: Timestamp) {
        if self.is_logged_on() {
            if !self.sent_logout {
                self.notice("Session time ended".to_owned());
                self.notice("Initiated logout request".to_owned());
                self.generate_logout(now, None);
            }
        } else if self.sent_logon {
            self.notice("Session time ended before logon completed".to_owned());
            self.disconnect(now, CloseReason::OutsideSessionTime);
        }
    }

    fn incr_target(&mut self) {
        let next = self.store.next_target_seq() + 1;
        self.set_target(next);
    }

    fn set_target(&mut self, seq: u64) {
        if let Err(error) = self.store.set_next_target_seq(seq) {
            self.fail(error);
        }
    }

    fn store_reset(&mut self, now: Timestamp) {
        if let Err(error) = self.store.reset(now) {
            self.fail(error);
        }
    }

    /// QuickFIX `disconnect`: close the connection and forget the logon.
    fn disconnect(&mut self, now: Timestamp, reason: CloseReason) {
        if self.connected {
            self.notice("Disconnecting".to_owned());
            self.events.push_back(SessionEvent::Close(reason));
        }
        self.disconnect_state(now);
    }

    fn disconnect_state(&mut self, now: Timestamp) {
        self.connected = false;
        self.input.clear();
        self.input_start = 0;
        if self.received_logon || self.sent_logon {
            self.received_logon = false;
            self.sent_logon = false;
            self.events.push_back(SessionEvent::LoggedOut);
        }
        self.sent_logout = false;
        self.received_reset = false;
        self.sent_reset = false;
        self.queue.clear();
        if self.config.reset_on_disconnect {
            self.store_reset(now);
        }
        self.resend_range = None;
    }

    /// A store failure stops the session: nothing more is sent, because
    /// nothing more can be recorded.
    fn fail(&mut self, error: StoreError) {
        let text = error.to_string();
        self.notice(format!("Message store failed: {text}"));
        self.output.clear();
        if self.connected {
            self.events
                .push_back(SessionEvent::Close(CloseReason::StoreFailure(text.clone())));
        }
        self.failure = Some(text);
        self.connected = false;
    }

    fn notice(&mut self, text: String) {
        self.events.push_back(SessionEvent::Notice(text));
    }

    fn secs(&self, secs: u32) -> u64 {
        u64::from(secs) * NANOS_PER_SEC
    }

    fn elapsed(&self, since: Timestamp, now: Timestamp) -> u64 {
        now.saturating_nanos_since(since)
    }
}

/// MsgType of a stored message (third field).
fn stored_msg_type(bytes: &[u8]) -> &[u8] {
    bytes
        .split(|&byte| byte == crate::fix::codec::SOH)
        .nth(2)
        .and_then(|field| field.strip_prefix(b"35="))
        .unwrap_or_default()
}

/// QuickFIX's texts for BusinessRejectReason (380).
fn business_reject_text(reason: u32) -> Option<&'static str> {
    Some(match reason {
        0 => "Other",
        1 => "Unknown ID",
        2 => "Unknown Security",
        3 => "Unsupported Message Type",
        4 => "Application Not Available",
        5 => "Conditionally Required Field Missing",
        6 => "Not Authorized",
        7 => "DeliverTo firm not available at this time",
        _ => return None,
    })
}
