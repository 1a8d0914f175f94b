//! Drives [`Session`]s over TCP with tokio: an acceptor that routes
//! connections to sessions by BeginString and CompIDs, and an initiator
//! that connects and reconnects; both optionally over TLS ([`tls`]).
//!
//! One task owns a connection and its session, so decode → session →
//! application → encode runs on one thread per message, with no hand-over
//! between threads. Message and event logs are written by a background
//! thread (see [`log`]).

pub mod acceptor;
pub mod connection;
pub mod initiator;
pub mod log;
pub mod tls;

use std::time::{SystemTime, UNIX_EPOCH};

use model::Timestamp;

use crate::fix::session::{Session, SessionEvent};
use crate::fix::store::{MessageStore, StoreError};

/// A store of any kind, so sessions with different stores share one type.
pub type BoxStore = Box<dyn MessageStore + Send>;

impl MessageStore for BoxStore {
    fn next_sender_seq(&self) -> u64 {
        (**self).next_sender_seq()
    }
    fn next_target_seq(&self) -> u64 {
        (**self).next_target_seq()
    }
    fn creation_time(&self) -> Timestamp {
        (**self).creation_time()
    }
    fn store_outbound(&mut self, seq: u64, message: &[u8]) -> Result<(), StoreError> {
        (**self).store_outbound(seq, message)
    }
    fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), StoreError> {
        (**self).set_next_sender_seq(seq)
    }
    fn set_next_target_seq(&mut self, seq: u64) -> Result<(), StoreError> {
        (**self).set_next_target_seq(seq)
    }
    fn outbound_range(
        &mut self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), StoreError> {
        (**self).outbound_range(begin, end, visit)
    }
    fn reset(&mut self, now: Timestamp) -> Result<(), StoreError> {
        (**self).reset(now)
    }
    fn has_staged(&self) -> bool {
        (**self).has_staged()
    }
    fn commit(&mut self) -> Result<(), StoreError> {
        (**self).commit()
    }
}

/// The application side of a session: receives its events and answers
/// through the session's commands.
pub trait Application: Send + 'static {
    /// Called for every event except notices, in order, on the session's
    /// thread. Replies sent here go out before the next received message
    /// is processed.
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent);

    /// Called on the session's thread after [`SessionHost::wake`] was
    /// notified: the place to send what other tasks queued for it.
    ///
    /// [`SessionHost::wake`]: connection::SessionHost::wake
    fn on_wake(&mut self, _session: &mut Session<BoxStore>, _now: Timestamp) {}
}

/// The live clock of the clock authority ([`model::clock::Clock`]): the OS
/// wall clock read once at start, advanced by the monotonic clock, so a
/// wall-clock step (NTP, an operator) never makes `now` go back. Over
/// days it can drift from the wall clock by the NTP slew in between;
/// [`LiveClock::resync`] re-anchors it when nothing depends on ordering
/// (between sessions).
#[derive(Clone, Copy, Debug)]
pub struct LiveClock {
    anchor_wall: Timestamp,
    anchor_mono: std::time::Instant,
    last: Timestamp,
}

impl LiveClock {
    /// A clock anchored at the current wall-clock time.
    pub fn new() -> Self {
        let anchor_wall = wall_clock();
        Self {
            anchor_wall,
            anchor_mono: std::time::Instant::now(),
            last: anchor_wall,
        }
    }

    /// Re-anchors to the wall clock, never going back.
    pub fn resync(&mut self) {
        self.anchor_wall = wall_clock().max(self.last);
        self.anchor_mono = std::time::Instant::now();
    }
}

impl Default for LiveClock {
    fn default() -> Self {
        Self::new()
    }
}

impl model::clock::Clock for LiveClock {
    fn now(&mut self) -> Timestamp {
        let elapsed = u64::try_from(self.anchor_mono.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let now = self
            .anchor_wall
            .checked_add_nanos(elapsed)
            .unwrap_or(Timestamp::from_unix_nanos(u64::MAX))
            .max(self.last);
        self.last = now;
        now
    }
}

/// The wall clock as a [`Timestamp`]; drivers read it, session cores never do.
pub fn wall_clock() -> Timestamp {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    Timestamp::from_unix_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Opens the message store a session's settings ask for: a [`RedbStore`]
/// or [`FileStore`] file under FileStorePath (StoreType), or memory when
/// FileStorePath is not set.
///
/// [`RedbStore`]: crate::fix::store::RedbStore
/// [`FileStore`]: crate::fix::store::FileStore
pub fn open_store(
    settings: &crate::fix::settings::SessionSettings,
    now: Timestamp,
) -> Result<BoxStore, StoreError> {
    use crate::fix::store::{FileStore, MemStore, RedbStore, StoreKind};
    match (settings.store_file(), settings.store_kind) {
        (Some(path), StoreKind::Redb) => Ok(Box::new(RedbStore::open(&path, now)?)),
        (Some(path), StoreKind::File(durability)) => {
            Ok(Box::new(FileStore::open(&path, durability, now)?))
        }
        (None, _) => Ok(Box::new(MemStore::new(now))),
    }
}

#[cfg(test)]
mod tests {
    use model::clock::Clock;

    use super::*;

    #[test]
    fn the_live_clock_tracks_the_wall_clock_and_never_goes_back() {
        let before = wall_clock();
        let mut clock = LiveClock::new();
        let mut last = clock.now();
        assert!(last >= before);
        for _ in 0..10_000 {
            let now = clock.now();
            assert!(now >= last);
            last = now;
        }
        clock.resync();
        assert!(clock.now() >= last);
        let after = wall_clock();
        // Within a second of the wall clock after a short run.
        assert!(last.saturating_nanos_since(after) < 1_000_000_000);
    }
}
