//! A sliding-window rate limit on simulated time.

use std::collections::VecDeque;
use std::time::Duration;

use model::Timestamp;

use crate::params::RateLimit;

/// At most `max_actions` actions in any window of `window` length, counted
/// on the decision times passed in (never the OS clock).
#[derive(Clone, Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    sent: VecDeque<Timestamp>,
}

impl RateLimiter {
    /// A limiter with nothing sent yet.
    pub const fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            sent: VecDeque::new(),
        }
    }

    /// Takes `count` actions at `now` if they all fit, all or nothing (the
    /// two legs of an arbitrage go out together or not at all).
    pub fn try_take(&mut self, now: Timestamp, count: usize) -> bool {
        self.expire(now);
        let max = usize::try_from(self.limit.max_actions).unwrap_or(usize::MAX);
        if self.sent.len().saturating_add(count) > max {
            return false;
        }
        self.sent.extend(std::iter::repeat_n(now, count));
        true
    }

    /// Actions still allowed at `now`.
    pub fn available(&mut self, now: Timestamp) -> usize {
        self.expire(now);
        usize::try_from(self.limit.max_actions)
            .unwrap_or(usize::MAX)
            .saturating_sub(self.sent.len())
    }

    fn expire(&mut self, now: Timestamp) {
        let window = u64::try_from(self.limit.window.as_nanos()).unwrap_or(u64::MAX);
        while self
            .sent
            .front()
            .is_some_and(|sent| now.saturating_nanos_since(*sent) >= window)
        {
            self.sent.pop_front();
        }
    }

    /// The window.
    pub const fn window(&self) -> Duration {
        self.limit.window
    }
}
