//! The clock authority: the one place a runtime gets `now` from, so live,
//! paper, replay and backtest differ only in which clock they plug in.
//!
//! Cores never read a clock; the runtime reads its [`Clock`] and passes
//! `now` in. Every clock here is monotonic: a reading is never earlier than
//! the one before. The live clock (the OS's) lives in the `emp` binary;
//! this module has the two that need no OS:
//! - [`SimulatedClock`] for backtests: time moves only when the replayer
//!   advances it;
//! - [`EventTimeClock`] for replay: time is the event time of the record
//!   being replayed.
//!
//! ```
//! use model::clock::{Clock, SimulatedClock};
//! use model::Timestamp;
//!
//! let mut clock = SimulatedClock::starting_at(Timestamp::from_unix_nanos(1_000));
//! clock.advance_to(Timestamp::from_unix_nanos(5_000))?;
//! assert_eq!(clock.now(), Timestamp::from_unix_nanos(5_000));
//! assert!(clock.advance_to(Timestamp::from_unix_nanos(4_000)).is_err());
//! # Ok::<(), model::clock::ClockError>(())
//! ```

use crate::time::Timestamp;

/// A source of `now`.
pub trait Clock {
    /// The current time; never earlier than the previous reading.
    fn now(&mut self) -> Timestamp;
}

/// Why a clock refused to move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClockError {
    /// A simulated clock asked to go back in time.
    #[error("clock cannot go back from {now} to {requested}; feed events in time order")]
    Backwards {
        /// The clock's time.
        now: Timestamp,
        /// The time asked for.
        requested: Timestamp,
    },
}

/// Backtest time: starts where told and moves only when advanced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimulatedClock {
    now: Timestamp,
}

impl SimulatedClock {
    /// A clock reading `start` until advanced.
    pub const fn starting_at(start: Timestamp) -> Self {
        Self { now: start }
    }

    /// Moves to `time`; refuses to go back (a replayer bug or unsorted
    /// input, which must not silently reorder events).
    pub fn advance_to(&mut self, time: Timestamp) -> Result<(), ClockError> {
        if time < self.now {
            return Err(ClockError::Backwards {
                now: self.now,
                requested: time,
            });
        }
        self.now = time;
        Ok(())
    }

    /// Moves forward by `nanos` (saturating at the end of time).
    pub fn advance_by(&mut self, nanos: u64) {
        self.now = self
            .now
            .checked_add_nanos(nanos)
            .unwrap_or(Timestamp::from_unix_nanos(u64::MAX));
    }
}

impl Clock for SimulatedClock {
    fn now(&mut self) -> Timestamp {
        self.now
    }
}

/// Replay time: the event time of the record being replayed, held
/// monotonic. An event stamped earlier than one already seen (venues'
/// clocks and multi-topic journals are not perfectly ordered) reads as the
/// latest time seen, and is counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventTimeClock {
    now: Timestamp,
    out_of_order: u64,
}

impl EventTimeClock {
    /// A clock at the Unix epoch until the first event.
    pub const fn new() -> Self {
        Self {
            now: Timestamp::UNIX_EPOCH,
            out_of_order: 0,
        }
    }

    /// Notes the next event's time and returns the clock's reading.
    pub fn observe(&mut self, event_time: Timestamp) -> Timestamp {
        if event_time < self.now {
            self.out_of_order += 1;
        } else {
            self.now = event_time;
        }
        self.now
    }

    /// Events seen with a time earlier than the clock's.
    pub const fn out_of_order(&self) -> u64 {
        self.out_of_order
    }
}

impl Clock for EventTimeClock {
    fn now(&mut self) -> Timestamp {
        self.now
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    fn at(nanos: u64) -> Timestamp {
        Timestamp::from_unix_nanos(nanos)
    }

    #[test]
    fn simulated_time_moves_only_forward_and_only_when_told() {
        let mut clock = SimulatedClock::starting_at(at(10));
        assert_eq!((clock.now(), clock.now()), (at(10), at(10)));
        clock.advance_by(5);
        assert_eq!(clock.now(), at(15));
        clock.advance_to(at(15)).unwrap();
        assert_eq!(
            clock.advance_to(at(14)),
            Err(ClockError::Backwards {
                now: at(15),
                requested: at(14)
            })
        );
        assert_eq!(clock.now(), at(15));
        clock.advance_by(u64::MAX);
        assert_eq!(clock.now(), at(u64::MAX));
    }

    #[test]
    fn event_time_holds_the_latest_time_and_counts_stragglers() {
        let mut clock = EventTimeClock::new();
        assert_eq!(clock.observe(at(100)), at(100));
        assert_eq!(clock.observe(at(90)), at(100));
        assert_eq!(clock.observe(at(120)), at(120));
        assert_eq!(clock.now(), at(120));
        assert_eq!(clock.out_of_order(), 1);
    }
}
