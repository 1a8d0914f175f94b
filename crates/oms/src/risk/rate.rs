//! A sliding-window rate limiter driven by caller-supplied timestamps.
//!
//! The submit and modify throttles of the risk gate: at most `max`
//! acquisitions in any window of `per_nanos` nanoseconds. An acquisition at
//! `t` counts against every window that contains `t`, and stops counting
//! at `t + per_nanos`. The limiter never reads a clock (the OMS passes
//! `now`, as every sans-IO core in EMP does), and never allocates after
//! [`RateLimiter::new`]: it keeps the times of the last `max` acquisitions
//! in a preallocated ring.
//!
//! The OMS acquires *after* the pure checks pass, so a denied order does
//! not use up a slot, and a refused acquisition does not use one either.

use model::Timestamp;

use super::{Denial, DenyCode, RateLimit};

/// At most `limit.max` acquisitions per `limit.per_nanos` window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimiter {
    limit: RateLimit,
    /// Times of the last `len` acquisitions, oldest at `head`.
    ring: Box<[u64]>,
    head: usize,
    len: usize,
}

impl RateLimiter {
    /// An empty limiter for `limit`.
    ///
    /// A limit that fails [`RateLimit::validate`] (no acquisitions, a
    /// zero-length window, or more than [`RateLimit::MAX_SLOTS`]) makes a
    /// limiter that refuses everything: when the configuration cannot be
    /// meant, the gate does nothing rather than guess.
    pub fn new(limit: RateLimit) -> Self {
        let slots = if limit.validate("").is_ok() {
            // MAX_SLOTS fits a usize on every supported target.
            usize::try_from(limit.max).unwrap_or(0)
        } else {
            0
        };
        Self {
            limit,
            ring: vec![0; slots].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    /// The limit this limiter enforces.
    pub const fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a slot at `now` if the window has one free; returns whether
    /// it did. A refusal changes nothing.
    ///
    /// `now` should not go backwards; if it does, it is taken as the time
    /// of the latest acquisition, so the window never shrinks.
    pub fn try_acquire(&mut self, now: Timestamp) -> bool {
        let capacity = self.ring.len();
        if capacity == 0 {
            return false;
        }
        let now = now.unix_nanos().max(self.newest().unwrap_or(0));
        if self.len < capacity {
            let tail = (self.head + self.len) % capacity;
            self.ring[tail] = now;
            self.len += 1;
            return true;
        }
        // Full: the oldest of the last `max` acquisitions must have left
        // the window.
        if now - self.ring[self.head] < self.limit.per_nanos {
            return false;
        }
        self.ring[self.head] = now;
        self.head = (self.head + 1) % capacity;
        true
    }

    /// [`try_acquire`](Self::try_acquire), with a refusal as a [`Denial`]
    /// carrying `code` (SUBMIT_RATE_EXCEEDED or MODIFY_RATE_EXCEEDED), the
    /// limit and when the next slot frees up.
    pub fn acquire(&mut self, now: Timestamp, code: DenyCode) -> Result<(), Denial> {
        if self.try_acquire(now) {
            return Ok(());
        }
        let mut detail = format!("max={}, per_nanos={}", self.limit.max, self.limit.per_nanos);
        if let Some(at) = self.next_free() {
            detail.push_str(&format!(", next_free={at}"));
        }
        Err(Denial::new(code, detail))
    }

    /// How many acquisitions would succeed at `now`.
    pub fn remaining(&self, now: Timestamp) -> u32 {
        let capacity = self.ring.len();
        let now = now.unix_nanos().max(self.newest().unwrap_or(0));
        let in_window = (0..self.len)
            .filter(|&i| now - self.ring[(self.head + i) % capacity] < self.limit.per_nanos)
            .count();
        u32::try_from(capacity - in_window).unwrap_or(0)
    }

    /// When the oldest acquisition leaves the window, if the window is
    /// full; `None` when it is not full, when that time is beyond the
    /// range of a [`Timestamp`], or when the limiter refuses everything.
    pub fn next_free(&self) -> Option<Timestamp> {
        if self.ring.is_empty() || self.len < self.ring.len() {
            return None;
        }
        self.ring[self.head]
            .checked_add(self.limit.per_nanos)
            .map(Timestamp::from_unix_nanos)
    }

    fn newest(&self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        Some(self.ring[(self.head + self.len - 1) % self.ring.len()])
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
    fn allows_max_per_window_and_frees_a_slot_exactly_at_the_window_edge() {
        let mut limiter = RateLimiter::new(RateLimit {
            max: 3,
            per_nanos: 100,
        });
        assert!(limiter.try_acquire(at(1000)));
        assert!(limiter.try_acquire(at(1010)));
        assert!(limiter.try_acquire(at(1020)));
        assert_eq!(limiter.remaining(at(1020)), 0);
        // 1099 is still within 100 ns of 1000.
        assert!(!limiter.try_acquire(at(1099)));
        assert_eq!(limiter.next_free(), Some(at(1100)));
        // At 1100 the acquisition at 1000 has left the window.
        assert!(limiter.try_acquire(at(1100)));
        assert!(!limiter.try_acquire(at(1109)));
        assert!(limiter.try_acquire(at(1110)));
        assert_eq!(limiter.remaining(at(1110)), 0);
        assert_eq!(limiter.remaining(at(1120)), 1);
        assert_eq!(limiter.remaining(at(10_000)), 3);
    }

    #[test]
    fn a_refusal_does_not_use_a_slot() {
        let mut limiter = RateLimiter::new(RateLimit {
            max: 1,
            per_nanos: 10,
        });
        assert!(limiter.try_acquire(at(0)));
        for t in 1..10 {
            assert!(!limiter.try_acquire(at(t)));
        }
        // Had the refusals counted, the window would still be full at 10.
        assert!(limiter.try_acquire(at(10)));
    }

    #[test]
    fn acquire_reports_the_limit_and_the_next_free_slot() {
        let mut limiter = RateLimiter::new(RateLimit {
            max: 2,
            per_nanos: 1_000_000_000,
        });
        assert_eq!(limiter.acquire(at(0), DenyCode::SubmitRateExceeded), Ok(()));
        assert_eq!(
            limiter.acquire(at(500_000_000), DenyCode::SubmitRateExceeded),
            Ok(())
        );
        let denial = limiter
            .acquire(at(600_000_000), DenyCode::SubmitRateExceeded)
            .unwrap_err();
        assert_eq!(
            denial.to_string(),
            "SUBMIT_RATE_EXCEEDED: max=2, per_nanos=1000000000, \
             next_free=1970-01-01T00:00:01.000000000Z"
        );
    }

    #[test]
    fn time_going_backwards_never_widens_the_window() {
        let mut limiter = RateLimiter::new(RateLimit {
            max: 2,
            per_nanos: 100,
        });
        assert!(limiter.try_acquire(at(1000)));
        // Taken as 1000, not 500.
        assert!(limiter.try_acquire(at(500)));
        assert!(!limiter.try_acquire(at(600)));
        assert!(!limiter.try_acquire(at(1099)));
        assert!(limiter.try_acquire(at(1100)));
    }

    #[test]
    fn an_invalid_limit_refuses_everything() {
        for limit in [
            RateLimit {
                max: 0,
                per_nanos: 100,
            },
            RateLimit {
                max: 5,
                per_nanos: 0,
            },
            RateLimit {
                max: RateLimit::MAX_SLOTS + 1,
                per_nanos: 100,
            },
        ] {
            let mut limiter = RateLimiter::new(limit);
            assert!(!limiter.try_acquire(at(0)), "{limit:?}");
            assert_eq!(limiter.remaining(at(0)), 0);
            assert_eq!(limiter.next_free(), None);
        }
    }

    #[test]
    fn window_edges_near_the_end_of_time_do_not_overflow() {
        let mut limiter = RateLimiter::new(RateLimit {
            max: 1,
            per_nanos: u64::MAX,
        });
        assert!(limiter.try_acquire(at(u64::MAX - 1)));
        assert!(!limiter.try_acquire(at(u64::MAX)));
        assert_eq!(limiter.next_free(), None);
    }
}
