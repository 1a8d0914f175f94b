//! An order flow for a session: keeps a window of NewOrderSingles in
//! flight and counts the ExecutionReports that answer them. The trading
//! side of interop runs, crash tests and round-trip benchmarks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use gateway::fix::codec::SOH;
use gateway::fix::session::{Session, SessionEvent};
use gateway::fix::store::MessageStore;
use gateway::transport::{Application, BoxStore};
use model::Timestamp;
use tokio::sync::Notify;

/// How many orders to send and how many may wait for an answer at once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlowPlan {
    /// Orders this process sends in all (0: none).
    pub(crate) orders: u64,
    /// Orders in flight at most.
    pub(crate) window: usize,
}

/// Counters another task reads while the flow runs.
#[derive(Debug, Default)]
pub(crate) struct FlowProgress {
    /// Orders sent.
    pub(crate) sent: AtomicU64,
    /// Orders answered by an ExecutionReport.
    pub(crate) answered: AtomicU64,
    /// Reports for orders this process did not send (sent before a
    /// restart, delivered again by a resend) or answered already.
    pub(crate) unmatched: AtomicU64,
    /// Logons completed.
    pub(crate) logons: AtomicU64,
    /// True once every order is answered.
    pub(crate) complete: AtomicBool,
    /// Nanoseconds from the first order sent to the last answered, set on
    /// completion.
    pub(crate) elapsed_nanos: AtomicU64,
    /// Round trips (order sent → its report processed) in nanoseconds,
    /// in answer order; filled on completion when recording.
    pub(crate) round_trips: Mutex<Vec<u64>>,
}

/// The application: sends orders at Logon and after each answer while
/// fewer than `window` are in flight.
pub(crate) struct OrderFlow {
    plan: FlowPlan,
    sent: u64,
    in_flight: HashMap<Vec<u8>, Instant>,
    progress: Arc<FlowProgress>,
    /// Notified when every order is answered.
    completed: Arc<Notify>,
    first_sent: Option<Instant>,
    /// Round trips so far, when recording.
    round_trips: Option<Vec<u64>>,
}

impl OrderFlow {
    /// A flow following `plan` that reports through `progress` and
    /// notifies `completed` when every order is answered.
    pub(crate) fn new(plan: FlowPlan, progress: Arc<FlowProgress>, completed: Arc<Notify>) -> Self {
        Self {
            plan,
            sent: 0,
            in_flight: HashMap::with_capacity(plan.window),
            progress,
            completed,
            first_sent: None,
            round_trips: None,
        }
    }

    /// Records every round trip, handed over in
    /// [`FlowProgress::round_trips`] when the flow completes. Recording
    /// costs one clock read per order on the session's thread.
    pub(crate) fn recording_round_trips(mut self) -> Self {
        let capacity = usize::try_from(self.plan.orders).unwrap_or(0);
        self.round_trips = Some(Vec::with_capacity(capacity));
        self
    }

    fn fill_window(&mut self, session: &mut Session<BoxStore>, now: Timestamp) {
        while self.sent < self.plan.orders
            && self.in_flight.len() < self.plan.window
            && session.is_logged_on()
        {
            // ClOrdID from the store's creation time and the order's own
            // MsgSeqNum: unique while sequence numbers are never reused,
            // which is what crash tests check, and across daily resets.
            let seq = session.next_sender_seq();
            let epoch = session.store().creation_time().unix_nanos() / 1_000_000_000;
            let cl_ord_id = format!("{epoch}-{seq}").into_bytes();
            let price = format!("{}.{:02}", 100 + seq % 7, seq % 100);
            let side = if seq.is_multiple_of(2) { b'1' } else { b'2' };
            let sent = session.send_app(now, b"D", &[], |body| {
                body.str(11, &cl_ord_id)
                    .char(21, b'1')
                    .str(55, b"EMP")
                    .char(54, side)
                    .timestamp(60, now)
                    .uint(38, 100)
                    .char(40, b'2')
                    .str(44, price.as_bytes());
            });
            if sent.is_err() {
                // Backpressure or a failed store: the next answer or
                // Logon tries again.
                return;
            }
            self.sent += 1;
            self.progress.sent.fetch_add(1, Ordering::Relaxed);
            let sent_at = Instant::now();
            self.first_sent.get_or_insert(sent_at);
            self.in_flight.insert(cl_ord_id, sent_at);
        }
    }

    fn answer(&mut self, cl_ord_id: &[u8]) {
        match self.in_flight.remove(cl_ord_id) {
            Some(sent_at) => {
                if let Some(round_trips) = &mut self.round_trips {
                    round_trips.push(nanos(sent_at.elapsed()));
                }
                let answered = self.progress.answered.fetch_add(1, Ordering::Relaxed) + 1;
                if answered == self.plan.orders {
                    if let Some(first) = self.first_sent {
                        let elapsed = nanos(first.elapsed());
                        self.progress
                            .elapsed_nanos
                            .store(elapsed, Ordering::Relaxed);
                    }
                    if let (Some(recorded), Ok(mut shared)) =
                        (self.round_trips.take(), self.progress.round_trips.lock())
                    {
                        *shared = recorded;
                    }
                    self.progress.complete.store(true, Ordering::Release);
                    self.completed.notify_one();
                }
            }
            None => {
                self.progress.unmatched.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Application for OrderFlow {
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent) {
        match event {
            SessionEvent::LoggedOn => {
                self.progress.logons.fetch_add(1, Ordering::Relaxed);
                self.fill_window(session, now);
            }
            SessionEvent::App(message) if message.msg_type() == b"8" => {
                if let Some(cl_ord_id) = field(&message.bytes, b"11=") {
                    self.answer(cl_ord_id);
                }
                self.fill_window(session, now);
            }
            _ => {}
        }
    }
}

fn nanos(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The value of the first field starting with `prefix` (`b"11="`).
fn field<'a>(message: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    message
        .split(|&byte| byte == SOH)
        .find_map(|field| field.strip_prefix(prefix))
}
