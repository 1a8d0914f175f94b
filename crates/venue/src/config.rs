//! What the simulated sink is told at construction: latency, failure and
//! fee models, the seed, and how stops trigger.

use model::Quantity;

use crate::failure::FailureModel;
use crate::fees::FeeRate;
use crate::latency::LatencyModel;

/// What a stop order watches to trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StopTrigger {
    /// Trade prints: a buy stop triggers on a print at or above its stop,
    /// a sell stop on one at or below (at arrival: the last print).
    #[default]
    Trades,
    /// The book: a buy stop triggers when the best ask is at or above its
    /// stop, a sell stop when the best bid is at or below (cTrader's rule).
    Book,
}

/// The simulated sink's configuration; fixed for its lifetime.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulatedSinkConfig {
    /// One-way latency of every command (default uniform 200–1200 ms).
    pub latency: LatencyModel,
    /// Chance that a new order is rejected (default 0 + 0.01 per tick of
    /// spread beyond the first).
    pub failure: FailureModel,
    /// Fee on fills of resting orders (default zero).
    pub maker_fee: FeeRate,
    /// Fee on marketable fills (default zero).
    pub taker_fee: FeeRate,
    /// Seed of the generator; same seed and inputs, same events.
    pub seed: u64,
    /// What stop orders watch.
    pub stop_trigger: StopTrigger,
    /// Price levels per side kept from each book (default 20); deeper
    /// liquidity is invisible to the simulation.
    pub book_depth: usize,
    /// Size assumed at a level whose size the source does not give
    /// (cTrader spot quotes); `None` (the default) treats it as no
    /// liquidity, so nothing fills against it.
    pub assumed_level_size: Option<Quantity>,
}

impl Default for SimulatedSinkConfig {
    fn default() -> Self {
        Self {
            latency: LatencyModel::default(),
            failure: FailureModel::default(),
            maker_fee: FeeRate::ZERO,
            taker_fee: FeeRate::ZERO,
            seed: 0,
            stop_trigger: StopTrigger::Trades,
            book_depth: 20,
            assumed_level_size: None,
        }
    }
}

/// Why a configuration cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Latency minimum above its maximum.
    #[error("latency minimum {min_nanos} ns is above the maximum {max_nanos} ns")]
    Latency {
        /// The minimum given.
        min_nanos: u64,
        /// The maximum given.
        max_nanos: u64,
    },
    /// A failure parameter outside its range.
    #[error(
        "failure model base {base} must be in [0, 1] and per_tick {per_tick} finite and not negative"
    )]
    Failure {
        /// The base given.
        base: f64,
        /// The per-tick increment given.
        per_tick: f64,
    },
    /// A fee rate beyond ±10 000 bps (100% of notional).
    #[error("fee rate {0} is beyond ±10000 bps")]
    Fee(FeeRate),
    /// No price levels kept.
    #[error("book_depth must be at least 1")]
    BookDepth,
}

impl SimulatedSinkConfig {
    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.latency.is_valid() {
            return Err(ConfigError::Latency {
                min_nanos: self.latency.min_nanos,
                max_nanos: self.latency.max_nanos,
            });
        }
        if !self.failure.is_valid() {
            return Err(ConfigError::Failure {
                base: self.failure.base,
                per_tick: self.failure.per_tick,
            });
        }
        for rate in [self.maker_fee, self.taker_fee] {
            if !rate.is_at_most_full_notional() {
                return Err(ConfigError::Fee(rate));
            }
        }
        if self.book_depth == 0 {
            return Err(ConfigError::BookDepth);
        }
        Ok(())
    }
}
