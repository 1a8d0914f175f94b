//! The chance that the venue rejects an order for reasons outside the
//! order itself (a requote, a price moved, a liquidity provider declined):
//! higher when the spread is wide, as on real retail venues.
//!
//! For an order arriving when the spread is `s` and the tick is `t`:
//!
//! ```text
//! p = min(1, base + per_tick × max(0, s / t − 1))
//! ```
//!
//! so a one-tick spread fails with `base` and every tick beyond adds
//! `per_tick`. With one side of the book missing the spread is unknown and
//! `p = base`. The defaults (base 0, 0.01 per tick) make a 5-tick spread
//! fail 4% of the time. `f64` is used here only, for the probability.

/// Failure probability as a function of the spread in ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FailureModel {
    /// Probability at a spread of one tick or less, in `[0, 1]`.
    pub base: f64,
    /// Added per tick of spread beyond the first, at least zero.
    pub per_tick: f64,
}

impl Default for FailureModel {
    fn default() -> Self {
        Self {
            base: 0.0,
            per_tick: 0.01,
        }
    }
}

impl FailureModel {
    /// Never fails.
    pub const NEVER: Self = Self {
        base: 0.0,
        per_tick: 0.0,
    };

    /// Always fails.
    pub const ALWAYS: Self = Self {
        base: 1.0,
        per_tick: 0.0,
    };

    /// True when `base` is in `[0, 1]` and `per_tick` is finite and not
    /// negative.
    pub fn is_valid(&self) -> bool {
        (0.0..=1.0).contains(&self.base) && self.per_tick.is_finite() && self.per_tick >= 0.0
    }

    /// The spread in ticks, `spread / tick`, or `None` without a spread or
    /// with a tick that is not above zero.
    pub fn spread_ticks(spread: Option<model::Price>, tick: model::Price) -> Option<f64> {
        let spread = spread?;
        if !tick.is_positive() {
            return None;
        }
        Some(spread.raw() as f64 / tick.raw() as f64)
    }

    /// The failure probability for a spread of `spread_ticks` ticks (see
    /// the [module docs](self)).
    pub fn probability(&self, spread_ticks: Option<f64>) -> f64 {
        let extra = spread_ticks.map_or(0.0, |ticks| (ticks - 1.0).max(0.0));
        (self.base + self.per_tick * extra).clamp(0.0, 1.0)
    }
}
