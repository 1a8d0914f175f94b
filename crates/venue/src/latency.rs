//! How long a command takes to reach the simulated venue.
//!
//! Each command's one-way latency is drawn uniformly from
//! `min_nanos..=max_nanos` (integer nanoseconds, every value equally
//! likely). The default, 200 ms to 1 200 ms, is the range retail FIX
//! venues show from a home connection.

use crate::rng::SimRng;

/// Uniform latency between two bounds, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyModel {
    /// Shortest latency.
    pub min_nanos: u64,
    /// Longest latency (inclusive).
    pub max_nanos: u64,
}

impl Default for LatencyModel {
    fn default() -> Self {
        Self {
            min_nanos: 200_000_000,
            max_nanos: 1_200_000_000,
        }
    }
}

impl LatencyModel {
    /// A fixed latency (both bounds equal); draws still consume the
    /// generator, so changing the bounds never shifts other draws.
    pub const fn fixed(nanos: u64) -> Self {
        Self {
            min_nanos: nanos,
            max_nanos: nanos,
        }
    }

    /// True when the bounds are in order.
    pub const fn is_valid(&self) -> bool {
        self.min_nanos <= self.max_nanos
    }

    /// One latency draw, within the bounds.
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        // Draw even for a fixed latency, so the sequence of draws depends
        // on the commands only.
        rng.uniform_inclusive(self.min_nanos, self.max_nanos)
    }
}
