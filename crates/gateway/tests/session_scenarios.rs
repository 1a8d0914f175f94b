//! Scripted session scenarios: the sans-IO core driven in-process with
//! simulated time. Each scenario feeds messages as a counterparty would and
//! checks what the session sends back, field by field (BodyLength,
//! CheckSum, SendingTime and OrigSendingTime aside).
#![allow(clippy::unwrap_used, reason = "test code")]

use gateway::fix::codec::SessionRejectReason;
use gateway::fix::dict::ShippedDictionary;
use gateway::fix::session::{
    AppMessage, Authenticator, CloseReason, Role, SendError, Session, SessionConfig, SessionDays,
    SessionEvent, SessionId, SessionSchedule, SessionTimeZone,
};
use gateway::fix::store::{MemStore, MessageStore};
use gateway::fixtures::{pipes, wire};
use model::Timestamp;

const START: u64 = 1_763_700_000_000_000_000; // 2025-11-21, any fixed instant
const SEC: u64 = 1_000_000_000;

/// One session under test, its clock, and what it has said so far.
struct Harness {
    session: Session<MemStore>,
    now: Timestamp,
    sent: Vec<String>,
    app: Vec<AppMessage>,
    closed: Option<CloseReason>,
    logged_on: bool,
    notices: Vec<String>,
}

impl Harness {
    fn acceptor(configure: impl FnOnce(&mut SessionConfig)) -> Self {
        let now = Timestamp::from_unix_nanos(START);
        let mut harness = Self::unconnected(Role::Acceptor, configure, MemStore::new(now));
        harness.connect();
        harness
    }

    /// A session over `store` at START, not yet connected.
    fn unconnected(
        role: Role,
        configure: impl FnOnce(&mut SessionConfig),
        store: MemStore,
    ) -> Self {
        let mut config = SessionConfig::new(SessionId::new("FIX.4.4", "ISLD", "TW44"), role);
        config.dictionary = Some(ShippedDictionary::Fix44.load().unwrap());
        configure(&mut config);
        Self {
            session: Session::new(config, store),
            now: Timestamp::from_unix_nanos(START),
            sent: Vec::new(),
            app: Vec::new(),
            closed: None,
            logged_on: false,
            notices: Vec::new(),
        }
    }

    fn connect(&mut self) {
        self.closed = None;
        self.session.connected(self.now);
        self.pump();
    }

    fn logged_on() -> Self {
        let mut harness = Self::acceptor(|_| {});
        harness.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30");
        harness.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
        assert!(harness.logged_on);
        harness
    }

    fn stamp(&self, offset_secs: i64) -> String {
        let at = Timestamp::from_unix_nanos(
            (self.now.unix_nanos() as i64 + offset_secs * SEC as i64) as u64,
        );
        let t = at.to_utc();
        format!(
            "{:04}{:02}{:02}-{:02}:{:02}:{:02}.{:03}",
            t.year,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second,
            t.nanosecond / 1_000_000
        )
    }

    /// Feeds a message written as `35=…|34=…|…` (8, 9, 10 added; `NOW`
    /// becomes the current time, `PAST` two minutes ago).
    fn recv(&mut self, text: &str) {
        let text = text
            .replace("NOW", &self.stamp(0))
            .replace("PAST", &self.stamp(-121));
        let bytes = wire(&format!("8=FIX.4.4|{text}"));
        self.recv_bytes(&bytes);
    }

    fn recv_bytes(&mut self, bytes: &[u8]) {
        self.session.handle_input(self.now, bytes);
        self.pump();
    }

    fn pump(&mut self) {
        while let Some(event) = self.session.poll_event(self.now) {
            match event {
                SessionEvent::App(message) => self.app.push(message),
                SessionEvent::Close(reason) => self.closed = Some(reason),
                SessionEvent::LoggedOn => self.logged_on = true,
                SessionEvent::LoggedOut => self.logged_on = false,
                SessionEvent::Notice(text) => self.notices.push(text),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if self.session.poll_transmit(&mut out) {
            let mut rest = out.as_slice();
            while !rest.is_empty() {
                let end = rest.windows(4).position(|w| w == b"\x0110=").unwrap() + 8;
                self.sent.push(normalize(&rest[..end]));
                rest = &rest[end..];
            }
        }
    }

    fn advance(&mut self, secs: u64) {
        let target = self.now.unix_nanos() + secs * SEC;
        while let Some(due) = self.session.poll_timeout() {
            if due.unix_nanos() > target {
                break;
            }
            self.now = due.max(self.now);
            self.session.handle_timeout(self.now);
            self.pump();
        }
        self.now = Timestamp::from_unix_nanos(target);
    }

    /// The messages sent since the last check, in order.
    #[track_caller]
    fn expect(&mut self, expected: &[&str]) {
        let sent = std::mem::take(&mut self.sent);
        let expected: Vec<String> = expected
            .iter()
            .map(|text| format!("8=FIX.4.4|{text}|"))
            .collect();
        assert_eq!(sent, expected);
    }
}

/// `8=…|35=…|…|` without 9, 10, 52 and 122, whose values vary.
fn normalize(message: &[u8]) -> String {
    pipes(message)
        .split('|')
        .filter(|field| {
            !field.is_empty()
                && !field.starts_with("9=")
                && !field.starts_with("10=")
                && !field.starts_with("52=")
                && !field.starts_with("122=")
        })
        .map(|field| format!("{field}|"))
        .collect()
}

#[test]
fn logon_is_answered_with_the_counterpartys_heartbeat_interval_and_logout_closes() {
    let mut h = Harness::acceptor(|_| {});
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=7");
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=7"]);
    assert_eq!(h.session.heartbeat_interval_secs(), 7);
    h.recv("35=5|34=2|49=TW44|52=NOW|56=ISLD");
    h.expect(&["35=5|34=2|49=ISLD|56=TW44"]);
    assert_eq!(h.closed, Some(CloseReason::LoggedOut));
    assert!(!h.logged_on);
}

#[test]
fn first_message_not_a_logon_closes_without_a_reply() {
    let mut h = Harness::acceptor(|_| {});
    h.recv("35=0|34=1|49=TW44|52=NOW|56=ISLD");
    h.expect(&[]);
    assert!(matches!(h.closed, Some(CloseReason::ProtocolError(_))));
}

#[test]
fn logon_with_a_stale_sending_time_closes_without_a_reply() {
    let mut h = Harness::acceptor(|_| {});
    h.recv("35=A|34=1|49=TW44|52=PAST|56=ISLD|98=0|108=30");
    h.expect(&[]);
    assert!(h.closed.is_some());
}

#[test]
fn gap_is_requested_queued_messages_wait_and_are_delivered_in_order() {
    let mut h = Harness::logged_on();
    h.recv("35=D|34=2|49=TW44|52=NOW|56=ISLD|11=a|21=1|38=1|40=1|54=1|55=X|60=NOW");
    h.recv("35=D|34=5|49=TW44|52=NOW|56=ISLD|11=d|21=1|38=1|40=1|54=1|55=X|60=NOW");
    h.expect(&["35=2|34=2|49=ISLD|56=TW44|7=3|16=0"]);
    h.recv("35=D|34=6|49=TW44|52=NOW|56=ISLD|11=e|21=1|38=1|40=1|54=1|55=X|60=NOW");
    h.expect(&[]); // already asked; no second ResendRequest
    h.recv("35=D|34=3|43=Y|49=TW44|52=NOW|56=ISLD|122=NOW|11=b|21=1|38=1|40=1|54=1|55=X|60=NOW");
    h.recv("35=4|34=4|43=Y|49=TW44|52=NOW|56=ISLD|122=NOW|36=5|123=Y");
    let delivered: Vec<u64> = h.app.iter().map(|message| message.seq).collect();
    assert_eq!(delivered, [2, 3, 5, 6]);
    assert!(h.app[1].poss_dup);
    assert_eq!(h.session.next_target_seq(), 7);
    let stats = h.session.stats();
    assert_eq!(stats.gap_fills_received, 1);
    assert_eq!(stats.resend_requests_sent, 1);
    assert_eq!(stats.sent_by_type.get("2"), 1);
    assert_eq!(stats.received_by_type.get("4"), 1);
    let by_type: u64 = stats.received_by_type.iter().map(|(_, n)| n).sum();
    assert_eq!(by_type, stats.messages_received);
}

#[test]
fn sequence_number_too_low_without_poss_dup_logs_out_with_quickfix_text() {
    let mut h = Harness::logged_on();
    h.recv("35=0|34=2|49=TW44|52=NOW|56=ISLD");
    h.recv("35=0|34=2|49=TW44|52=NOW|56=ISLD");
    h.expect(&["35=5|34=2|49=ISLD|56=TW44|58=MsgSeqNum too low, expecting 3 but received 2"]);
    assert!(matches!(h.closed, Some(CloseReason::ProtocolError(_))));
}

#[test]
fn poss_dup_without_orig_sending_time_is_rejected_as_required_tag_missing() {
    let mut h = Harness::logged_on();
    h.recv("35=0|34=2|49=TW44|52=NOW|56=ISLD");
    h.recv("35=0|34=2|43=Y|49=TW44|52=NOW|56=ISLD");
    h.expect(&["35=3|34=2|49=ISLD|56=TW44|45=2|58=Required tag missing|371=122|372=0|373=1"]);
    assert!(h.closed.is_none());
}

#[test]
fn resend_request_resends_application_messages_and_gap_fills_admin_ones() {
    let mut h = Harness::logged_on();
    for id in ["o1", "o2"] {
        h.session
            .send_app(h.now, b"D", &[], |body| {
                body.str(11, id.as_bytes()).char(54, b'1');
            })
            .unwrap();
        h.pump();
    }
    h.advance(30); // a heartbeat (seq 4)
    h.expect(&[
        "35=D|34=2|49=ISLD|56=TW44|11=o1|54=1",
        "35=D|34=3|49=ISLD|56=TW44|11=o2|54=1",
        "35=0|34=4|49=ISLD|56=TW44",
    ]);
    h.recv("35=2|34=2|49=TW44|52=NOW|56=ISLD|7=1|16=0");
    h.expect(&[
        "35=4|34=1|43=Y|49=ISLD|56=TW44|36=2|123=Y",
        "35=D|34=2|43=Y|49=ISLD|56=TW44|11=o1|54=1",
        "35=D|34=3|43=Y|49=ISLD|56=TW44|11=o2|54=1",
        "35=4|34=4|43=Y|49=ISLD|56=TW44|36=5|123=Y",
    ]);
    // Nothing was consumed by the resend.
    assert_eq!(h.session.next_sender_seq(), 5);
    let stats = h.session.stats();
    assert_eq!((stats.gap_fills_sent, stats.messages_resent), (2, 2));
    assert_eq!(stats.sent_by_type.get("D"), 4, "two sent, two resent");
    assert_eq!(stats.sent_by_type.get("4"), 2);
    assert_eq!(stats.received_by_type.get("2"), 1);
    let by_type: u64 = stats.sent_by_type.iter().map(|(_, n)| n).sum();
    assert_eq!(by_type, stats.messages_sent);
}

#[test]
fn a_session_reject_received_is_counted() {
    let mut h = Harness::logged_on();
    h.recv("35=3|34=2|49=TW44|52=NOW|56=ISLD|45=1|373=1|58=x");
    h.expect(&[]);
    assert_eq!(h.session.next_target_seq(), 3);
    let stats = h.session.stats();
    assert_eq!(stats.rejects_received, 1);
    assert_eq!(stats.received_by_type.get("3"), 1);
    assert_eq!(stats.rejects_sent, 0);
}

#[test]
fn idle_session_heartbeats_then_tests_then_disconnects() {
    let mut h = Harness::logged_on();
    h.recv("35=0|34=2|49=TW44|52=NOW|56=ISLD");
    h.advance(30);
    h.expect(&["35=0|34=2|49=ISLD|56=TW44"]);
    h.advance(6); // 1.2 × 30 s without input
    h.expect(&["35=1|34=3|49=ISLD|56=TW44|112=TEST"]);
    h.recv("35=0|34=3|49=TW44|52=NOW|56=ISLD|112=TEST");
    h.advance(36 + 36);
    let sent = std::mem::take(&mut h.sent);
    assert!(
        sent.iter().any(|message| message.contains("35=1|")),
        "{sent:?}"
    );
    assert_eq!(h.closed, Some(CloseReason::HeartbeatTimeout));
    let stats = h.session.stats();
    assert_eq!(stats.heartbeat_timeouts, 1);
    assert_eq!(stats.test_requests_sent, 2);
    assert_eq!(stats.sent_by_type.get("1"), 2);
}

#[test]
fn test_request_is_answered_with_its_id() {
    let mut h = Harness::logged_on();
    h.recv("35=1|34=2|49=TW44|52=NOW|56=ISLD|112=ping-7");
    h.expect(&["35=0|34=2|49=ISLD|56=TW44|112=ping-7"]);
}

#[test]
fn sending_time_and_comp_id_problems_are_rejected_then_logged_out() {
    let mut h = Harness::logged_on();
    h.recv("35=0|34=2|49=TW44|52=PAST|56=ISLD");
    h.expect(&[
        "35=3|34=2|49=ISLD|56=TW44|45=2|58=SendingTime accuracy problem|372=0|373=10",
        "35=5|34=3|49=ISLD|56=TW44",
    ]);
    let mut h = Harness::logged_on();
    h.recv("35=0|34=2|49=OTHER|52=NOW|56=ISLD");
    h.expect(&[
        "35=3|34=2|49=ISLD|56=TW44|45=2|58=CompID problem|372=0|373=9",
        "35=5|34=3|49=ISLD|56=TW44",
    ]);
}

#[test]
fn garbled_message_is_dropped_without_consuming_a_sequence_number() {
    let mut h = Harness::logged_on();
    let mut bad = wire(&format!(
        "8=FIX.4.4|35=0|34=2|49=TW44|52={}|56=ISLD",
        h.stamp(0)
    ));
    let len = bad.len();
    bad[len - 2] = b'0' + (bad[len - 2] - b'0' + 1) % 10; // break the CheckSum
    h.recv_bytes(&bad);
    h.expect(&[]);
    assert_eq!(h.session.next_target_seq(), 2);
    assert!(h.closed.is_none());
    assert_eq!(h.session.stats().garbled_messages, 1);
}

#[test]
fn validation_problems_are_rejected_with_code_and_tag() {
    let mut h = Harness::logged_on();
    h.recv("35=D|34=2|49=TW44|52=NOW|56=ISLD|11=a|21=1|38=1|40=Z|54=1|55=X|60=NOW");
    h.expect(&[
        "35=3|34=2|49=ISLD|56=TW44|45=2|58=Value is incorrect (out of range) for this tag|371=40|372=D|373=5",
    ]);
    assert_eq!(h.session.next_target_seq(), 3);
    assert!(h.app.is_empty());
    assert_eq!(SessionRejectReason::ValueIsIncorrect.code(), 5);
}

#[test]
fn sequence_reset_moves_the_expected_number_and_refuses_to_go_back() {
    let mut h = Harness::logged_on();
    h.recv("35=4|34=2|49=TW44|52=NOW|56=ISLD|36=10");
    assert_eq!(h.session.next_target_seq(), 10);
    h.recv("35=4|34=10|49=TW44|52=NOW|56=ISLD|36=5");
    h.expect(&["35=3|34=2|49=ISLD|56=TW44|45=10|58=Value is incorrect (out of range) for this tag|372=4|373=5"]);
}

#[test]
fn unsupported_application_message_gets_a_business_reject() {
    let mut h = Harness::logged_on();
    h.recv("35=AE|34=2|49=TW44|52=NOW|56=ISLD|571=r1|487=0|856=0|570=N|55=X|32=1|31=1|75=20250101|60=NOW|552=1|54=1|37=o|11=c|453=0");
    let message = h.app.pop().expect("delivered to the application");
    assert_eq!(message.msg_type(), b"AE");
    h.session.reject_business(h.now, &message, 3, None).unwrap();
    h.pump();
    h.expect(&["35=j|34=2|49=ISLD|56=TW44|45=2|58=Unsupported Message Type|372=AE|380=3"]);
}

struct OnlyAlice;

impl Authenticator for OnlyAlice {
    fn authenticate(&self, username: Option<&[u8]>, password: Option<&[u8]>) -> Result<(), String> {
        if username == Some(b"alice") && password == Some(b"secret") {
            Ok(())
        } else {
            Err("invalid username or password".to_owned())
        }
    }
}

#[test]
fn logon_credentials_are_checked_by_the_authenticator() {
    let mut h = Harness::acceptor(|_| {});
    h.session.set_authenticator(Box::new(OnlyAlice));
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30|553=alice|554=wrong");
    h.expect(&["35=5|34=1|49=ISLD|56=TW44|58=invalid username or password"]);
    assert!(h.closed.is_some());

    let mut h = Harness::acceptor(|_| {});
    h.session.set_authenticator(Box::new(OnlyAlice));
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30|553=alice|554=secret");
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
    assert!(h.logged_on);
}

#[test]
fn resend_requests_are_chunked() {
    let mut h = Harness::acceptor(|config| config.resend_request_chunk_size = 2);
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30");
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
    h.recv("35=0|34=8|49=TW44|52=NOW|56=ISLD");
    h.expect(&["35=2|34=2|49=ISLD|56=TW44|7=2|16=3"]);
    h.recv("35=0|34=2|43=Y|49=TW44|52=NOW|56=ISLD|122=NOW");
    h.recv("35=0|34=3|43=Y|49=TW44|52=NOW|56=ISLD|122=NOW");
    h.expect(&["35=2|34=3|49=ISLD|56=TW44|7=4|16=5"]);
    h.recv("35=4|34=4|43=Y|49=TW44|52=NOW|56=ISLD|122=NOW|36=6|123=Y");
    h.expect(&["35=2|34=4|49=ISLD|56=TW44|7=6|16=7"]);
    h.recv("35=4|34=6|43=Y|49=TW44|52=NOW|56=ISLD|122=NOW|36=8|123=Y");
    assert_eq!(
        h.session.next_target_seq(),
        9,
        "queued 8 processed after the last chunk"
    );
}

#[test]
fn messages_sent_while_disconnected_are_stored_and_resent_after_logon() {
    let mut h = Harness::logged_on();
    h.session.disconnected(h.now);
    h.pump();
    assert!(!h.logged_on);
    let seq = h
        .session
        .send_app(h.now, b"D", &[], |body| {
            body.str(11, b"late");
        })
        .unwrap();
    assert_eq!(seq, 2);
    assert_eq!(h.session.store().message_count(), 2);
    h.pump();
    h.expect(&[]); // not logged on: stored, not sent
    h.session.connected(h.now);
    h.recv("35=A|34=2|49=TW44|52=NOW|56=ISLD|98=0|108=30");
    h.expect(&["35=A|34=3|49=ISLD|56=TW44|98=0|108=30"]);
    h.recv("35=2|34=3|49=TW44|52=NOW|56=ISLD|7=2|16=0");
    h.expect(&[
        "35=D|34=2|43=Y|49=ISLD|56=TW44|11=late",
        "35=4|34=3|43=Y|49=ISLD|56=TW44|36=4|123=Y",
    ]);
    assert_eq!(h.session.store().next_sender_seq(), 4);
}

/// START's day (2025-11-21, a Friday) at `HH:MM:SS` UTC.
fn today_at(time: &str) -> Timestamp {
    let midnight = START - START % (86_400 * SEC);
    let field = |at: usize| time[at..at + 2].parse::<u64>().unwrap();
    Timestamp::from_unix_nanos(midnight + (field(0) * 3600 + field(3) * 60 + field(6)) * SEC)
}

/// Daily from `start` to `end`, UTC.
fn daily(start: &str, end: &str) -> Option<SessionSchedule> {
    Some(
        SessionSchedule::new(
            start.parse().unwrap(),
            end.parse().unwrap(),
            SessionDays::Daily,
            SessionTimeZone::utc(),
        )
        .unwrap(),
    )
}

#[test]
fn logon_outside_session_time_is_answered_with_logout_and_a_disconnect() {
    // START is 04:40 UTC; the session runs 08:00 to 17:00.
    let mut h = Harness::acceptor(|config| config.schedule = daily("08:00:00", "17:00:00"));
    assert!(!h.session.is_session_time(h.now));
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30");
    h.expect(&["35=5|34=1|49=ISLD|56=TW44|58=Logon attempt not within session time"]);
    assert_eq!(h.closed, Some(CloseReason::OutsideSessionTime));
    assert!(!h.logged_on);
    assert!(
        h.notices
            .contains(&"Logon rejected: Logon attempt not within session time".to_owned()),
        "{:?}",
        h.notices
    );
    // The same Logon inside the window is accepted.
    let mut h = Harness::acceptor(|config| config.schedule = daily("04:00:00", "17:00:00"));
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30");
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
    assert!(h.logged_on);
}

#[test]
fn initiator_connected_outside_session_time_sends_no_logon_and_closes() {
    let now = Timestamp::from_unix_nanos(START);
    let mut h = Harness::unconnected(
        Role::Initiator,
        |config| config.schedule = daily("08:00:00", "17:00:00"),
        MemStore::new(now),
    );
    assert!(!h.session.is_session_time(now));
    h.connect();
    h.expect(&[]);
    assert_eq!(h.closed, Some(CloseReason::OutsideSessionTime));
    // Woken at StartTime, it connects and logs on.
    assert_eq!(h.session.poll_timeout(), Some(today_at("08:00:00")));
    h.advance(today_at("08:00:00").saturating_nanos_since(h.now) / SEC);
    assert!(h.session.is_session_time(h.now));
    h.connect();
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
    assert!(h.closed.is_none());
}

#[test]
fn logged_on_session_logs_out_at_end_time() {
    let mut h = Harness::acceptor(|config| config.schedule = daily("04:00:00", "04:40:20"));
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30");
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
    // The end comes before the first heartbeat is due.
    assert_eq!(h.session.poll_timeout(), Some(today_at("04:40:20")));
    h.advance(20);
    h.expect(&["35=5|34=2|49=ISLD|56=TW44"]);
    assert!(h.notices.contains(&"Session time ended".to_owned()));
    assert!(h.closed.is_none(), "waits for the Logout answer");
    assert!(matches!(
        h.session.send_app(h.now, b"D", &[], |_| {}),
        Err(SendError::OutsideSessionTime)
    ));
    h.recv("35=5|34=2|49=TW44|52=NOW|56=ISLD");
    h.expect(&[]);
    assert_eq!(h.closed, Some(CloseReason::LoggedOut));
    assert!(!h.logged_on);
    // Sequence numbers stay until the next period begins.
    assert_eq!(h.session.next_sender_seq(), 3);
}

#[test]
fn new_session_period_resets_sequence_numbers_of_an_old_store() {
    let yesterday = Timestamp::from_unix_nanos(START - 86_400 * SEC);
    let mut store = MemStore::new(yesterday);
    store.store_outbound(1, b"old").unwrap();
    store.set_next_target_seq(7).unwrap();
    let mut h = Harness::unconnected(
        Role::Acceptor,
        |config| config.schedule = daily("00:00:00", "23:00:00"),
        store,
    );
    // Before any call the schedule is unchecked: due at once.
    assert_eq!(h.session.poll_timeout(), Some(Timestamp::UNIX_EPOCH));
    h.connect();
    assert_eq!(
        h.notices,
        ["Session state is not current; resetting".to_owned()]
    );
    assert_eq!(h.session.next_sender_seq(), 1);
    assert_eq!(h.session.next_target_seq(), 1);
    assert_eq!(h.session.store().creation_time(), h.now);
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30");
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
    assert!(h.logged_on);

    // A store begun earlier in the same period is kept.
    let mut store = MemStore::new(today_at("00:30:00"));
    store.set_next_target_seq(7).unwrap();
    let mut h = Harness::unconnected(
        Role::Acceptor,
        |config| config.schedule = daily("00:00:00", "23:00:00"),
        store,
    );
    h.connect();
    assert!(h.notices.is_empty(), "{:?}", h.notices);
    assert_eq!(h.session.next_target_seq(), 7);
}

#[test]
fn disconnected_session_resets_when_woken_at_the_next_start() {
    let now = Timestamp::from_unix_nanos(START);
    let mut store = MemStore::new(now);
    store.set_next_target_seq(4).unwrap();
    let mut h = Harness::unconnected(
        Role::Acceptor,
        |config| config.schedule = daily("04:50:00", "04:45:00"),
        store,
    );
    h.session.handle_timeout(h.now);
    h.pump();
    assert!(h.notices.is_empty());
    // In session until 04:45, then out until 04:50, when a new period
    // begins: the timer asks for both, connected or not.
    assert_eq!(h.session.poll_timeout(), Some(today_at("04:45:00")));
    h.advance(5 * 60);
    assert_eq!(h.session.poll_timeout(), Some(today_at("04:50:00")));
    assert_eq!(h.session.next_target_seq(), 4);
    h.advance(5 * 60);
    assert_eq!(
        h.notices,
        ["Session state is not current; resetting".to_owned()]
    );
    assert_eq!(h.session.next_target_seq(), 1);
    assert_eq!(
        h.session.poll_timeout(),
        Some(
            today_at("04:45:00")
                .checked_add_nanos(86_400 * SEC)
                .unwrap()
        )
    );
}

#[test]
fn logged_on_at_a_daily_reset_logs_out_with_session_reset_and_starts_again_at_one() {
    // Start = End: always in session, a new period every day at 04:40:10.
    let mut h = Harness::acceptor(|config| config.schedule = daily("04:40:10", "04:40:10"));
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30");
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
    assert_eq!(h.session.poll_timeout(), Some(today_at("04:40:10")));
    h.advance(10);
    h.expect(&["35=5|34=2|49=ISLD|56=TW44|58=Session reset"]);
    assert_eq!(h.closed, Some(CloseReason::SessionReset));
    assert!(!h.logged_on);
    assert_eq!(h.session.next_sender_seq(), 1);
    assert_eq!(h.session.next_target_seq(), 1);
    // The counterparty logs on again, from 1.
    h.connect();
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30");
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
    assert!(h.logged_on);
}

#[test]
fn sub_ids_are_written_on_admin_app_reject_and_resent_messages() {
    let mut h = Harness::acceptor(|config| {
        config.id =
            SessionId::new("FIX.4.4", "ISLD", "TW44").with_sub_ids(Some("TRADE"), Some("any"));
    });
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|57=TRADE|50=any|98=0|108=30");
    h.expect(&["35=A|34=1|49=ISLD|50=TRADE|56=TW44|57=any|98=0|108=30"]);
    h.session
        .send_app(h.now, b"D", &[(57, b"caller".as_slice())], |body| {
            body.str(11, b"one");
        })
        .unwrap();
    h.pump();
    h.expect(&["35=D|34=2|49=ISLD|50=TRADE|56=TW44|57=any|11=one"]);
    h.recv("35=1|34=2|49=TW44|52=NOW|56=ISLD|112=hello");
    h.expect(&["35=0|34=3|49=ISLD|50=TRADE|56=TW44|57=any|112=hello"]);
    h.recv("35=2|34=3|49=TW44|52=NOW|56=ISLD|7=2|16=0");
    h.expect(&[
        "35=D|34=2|43=Y|49=ISLD|50=TRADE|56=TW44|57=any|11=one",
        "35=4|34=3|43=Y|49=ISLD|50=TRADE|56=TW44|57=any|36=4|123=Y",
    ]);
    h.recv("35=D|34=4|49=TW44|52=NOW|56=ISLD|11=a|21=1|38=1|40=Z|54=1|55=X|60=NOW");
    assert_eq!(h.sent.len(), 1, "{:?}", h.sent);
    assert!(h.sent[0].starts_with("8=FIX.4.4|35=3|34=4|49=ISLD|50=TRADE|56=TW44|57=any|"));
}

#[test]
fn an_operator_reset_starts_at_one_with_141_y_until_a_logon_is_answered() {
    let now = Timestamp::from_unix_nanos(START);
    let mut h = Harness::unconnected(Role::Initiator, |_| {}, MemStore::new(now));
    h.connect();
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30"]);
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30");
    assert!(h.logged_on);
    h.recv("35=0|34=2|49=TW44|52=NOW|56=ISLD");
    // Connected, the reset is refused and nothing changes.
    assert!(!h.session.reset_for_next_logon(h.now).unwrap());
    assert_eq!(
        (h.session.next_sender_seq(), h.session.next_target_seq()),
        (2, 3)
    );
    h.session.logout(h.now, None);
    h.pump();
    h.expect(&["35=5|34=2|49=ISLD|56=TW44"]);
    h.recv("35=5|34=3|49=TW44|52=NOW|56=ISLD");
    assert_eq!(h.closed, Some(CloseReason::LoggedOut));
    h.session.disconnected(h.now);
    h.pump();

    // Down: both numbers back to 1, and the next Logon says so.
    assert!(h.session.reset_for_next_logon(h.now).unwrap());
    assert!(h.session.reset_pending());
    assert_eq!(
        (h.session.next_sender_seq(), h.session.next_target_seq()),
        (1, 1)
    );
    h.connect();
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30|141=Y"]);
    // The connection is lost before the answer: the retry resets again.
    h.session.disconnected(h.now);
    h.pump();
    h.connect();
    h.expect(&["35=A|34=1|49=ISLD|56=TW44|98=0|108=30|141=Y"]);
    h.recv("35=A|34=1|49=TW44|52=NOW|56=ISLD|98=0|108=30|141=Y");
    assert!(h.logged_on);
    assert!(!h.session.reset_pending());
    assert_eq!(
        (h.session.next_sender_seq(), h.session.next_target_seq()),
        (2, 2)
    );
    // Later logons go on from the store, without 141=Y.
    h.session.disconnected(h.now);
    h.pump();
    h.connect();
    h.expect(&["35=A|34=2|49=ISLD|56=TW44|98=0|108=30"]);
}
