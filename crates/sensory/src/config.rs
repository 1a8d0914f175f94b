//! What the engine is told at construction: the instruments, their tick
//! sizes and feature parameters, the cross-venue pairs and the calendar.

use model::{InstrumentId, InstrumentTable, Price, Quantity};

use crate::why::Calendar;

/// The most levels per side the top-N features look at.
pub const MAX_TOP_LEVELS: usize = 64;

/// Feature parameters of one instrument. [`FeatureParams::default`] gives
/// workable values for a liquid instrument; probe sizes and volatility
/// bounds depend on the instrument and should be set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureParams {
    /// N: levels per side for imbalance, walls and pockets (1 to
    /// [`MAX_TOP_LEVELS`]).
    pub top_levels: usize,
    /// k: depth counts levels within this many ticks of the mid.
    pub depth_ticks: u32,
    /// A level is a wall when its size is at least this percentage of the
    /// median top-N level size (300 = three times).
    pub wall_factor_percent: u32,
    /// A level is a pocket when its size is below this percentage of the
    /// median top-N level size (25 = a quarter).
    pub pocket_factor_percent: u32,
    /// Half-life of the realized-volatility EWMA, in nanoseconds.
    pub volatility_half_life_nanos: u64,
    /// Returns needed before the regime is known and the vector is valid.
    pub warmup_returns: u32,
    /// Realized volatility (per √second) below which the regime is calm.
    pub calm_volatility: f64,
    /// Realized volatility (per √second) above which the regime is
    /// stressed.
    pub stressed_volatility: f64,
    /// Half-life of the trade-flow EWMA, in nanoseconds.
    pub flow_half_life_nanos: u64,
    /// Sizes for the execution-cost surface, one [`crate::FillCost`] each.
    pub probe_sizes: [Quantity; 3],
    /// Samples in each anomaly window (spread, trade price, churn).
    pub anomaly_window: usize,
    /// Samples needed before a robust z-score is given.
    pub anomaly_min_samples: usize,
    /// |z| above this flags an outlier.
    pub anomaly_threshold: f64,
    /// Length of a churn bucket, in nanoseconds: churn is the count of
    /// book changes per bucket.
    pub churn_interval_nanos: u64,
    /// Width of a time-of-day bucket, in minutes (1 to 1440).
    pub time_bucket_minutes: u16,
    /// Price levels per side the book holds before it allocates.
    pub book_capacity: usize,
    /// Entries (MDEntryIDs) the book holds before it allocates.
    pub entry_capacity: usize,
}

impl Default for FeatureParams {
    fn default() -> Self {
        const SECOND: u64 = 1_000_000_000;
        let unit = Quantity::from_raw(1_000_000_000).unwrap_or(Quantity::ZERO);
        let times = |n: i64| Quantity::from_raw(n * 1_000_000_000).unwrap_or(Quantity::ZERO);
        Self {
            top_levels: 10,
            depth_ticks: 10,
            wall_factor_percent: 300,
            pocket_factor_percent: 25,
            volatility_half_life_nanos: 60 * SECOND,
            warmup_returns: 20,
            // About 28% and 113% a year (per √s × √(365·86400)).
            calm_volatility: 5e-5,
            stressed_volatility: 2e-4,
            flow_half_life_nanos: 10 * SECOND,
            probe_sizes: [unit, times(10), times(100)],
            anomaly_window: 128,
            anomaly_min_samples: 20,
            anomaly_threshold: 4.0,
            churn_interval_nanos: SECOND,
            time_bucket_minutes: 30,
            book_capacity: 256,
            entry_capacity: 1024,
        }
    }
}

/// One instrument the engine follows.
#[derive(Clone, Debug, PartialEq)]
pub struct InstrumentConfig {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Its price step: depth counts ticks of it, and it is the smallest
    /// scale of the spread and trade-price z-scores.
    pub tick_size: Price,
    /// Its feature parameters.
    pub params: FeatureParams,
}

impl InstrumentConfig {
    /// `instrument` with tick size `tick_size` and default parameters.
    pub fn new(instrument: InstrumentId, tick_size: Price) -> Self {
        Self {
            instrument,
            tick_size,
            params: FeatureParams::default(),
        }
    }
}

/// A cross-venue pair: a spot instrument and a prediction-market token
/// whose ΔSPD the engine computes. β and the half-lives belong to the
/// strategy; the caller passes them in.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossVenuePair {
    /// The spot instrument (BTC-USD).
    pub spot: InstrumentId,
    /// The prediction-market instrument (a YES token).
    pub prediction: InstrumentId,
    /// β: probability points per unit of spot return.
    pub beta: f64,
    /// Half-life of the spot mid's EMA anchor, in nanoseconds.
    pub spot_half_life_nanos: u64,
    /// Half-life of the prediction mid's EMA anchor, in nanoseconds.
    pub prediction_half_life_nanos: u64,
}

/// Everything [`crate::Sensory::new`] needs.
#[derive(Clone, Debug, Default)]
pub struct SensoryConfig {
    /// The instruments followed; events for others are refused.
    pub instruments: Vec<InstrumentConfig>,
    /// Cross-venue pairs; both legs must be in `instruments`.
    pub pairs: Vec<CrossVenuePair>,
    /// Scheduled events for the WHY features.
    pub calendar: Calendar,
}

impl SensoryConfig {
    /// Every instrument of `table`, with its tick size and `params`.
    pub fn from_instruments(table: &InstrumentTable, params: &FeatureParams) -> Self {
        Self {
            instruments: table
                .iter()
                .map(|instrument| InstrumentConfig {
                    instrument: instrument.id,
                    tick_size: instrument.tick_size,
                    params: params.clone(),
                })
                .collect(),
            ..Self::default()
        }
    }
}

/// A configuration the engine cannot run with; the message says what to
/// change.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The same instrument is configured twice.
    #[error("instrument {0} is configured twice")]
    DuplicateInstrument(InstrumentId),
    /// A parameter is outside its range.
    #[error("instrument {instrument}: {problem}")]
    InvalidParameter {
        /// The instrument.
        instrument: InstrumentId,
        /// What is wrong and the allowed range.
        problem: &'static str,
    },
    /// A cross-venue pair is not usable.
    #[error("cross-venue pair {index} (counting from 0 in SensoryConfig::pairs): {problem}")]
    InvalidPair {
        /// Its position in [`SensoryConfig::pairs`].
        index: usize,
        /// What is wrong.
        problem: &'static str,
    },
}

impl InstrumentConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let params = &self.params;
        let problem = if !self.tick_size.is_positive() {
            Some("tick_size must be above zero")
        } else if !(1..=MAX_TOP_LEVELS).contains(&params.top_levels) {
            Some("top_levels must be 1 to 64")
        } else if params.volatility_half_life_nanos == 0 || params.flow_half_life_nanos == 0 {
            Some("half-lives must be above zero")
        } else if params.churn_interval_nanos == 0 {
            Some("churn_interval_nanos must be above zero")
        } else if !(1..=1440).contains(&params.time_bucket_minutes) {
            Some("time_bucket_minutes must be 1 to 1440")
        } else if params.anomaly_window < 2 {
            Some("anomaly_window must be at least 2")
        } else if !(1..=params.anomaly_window).contains(&params.anomaly_min_samples) {
            Some("anomaly_min_samples must be 1 to anomaly_window")
        } else if !(params.anomaly_threshold > 0.0 && params.anomaly_threshold.is_finite()) {
            Some("anomaly_threshold must be a positive finite number")
        } else if !(params.calm_volatility.is_finite()
            && params.stressed_volatility.is_finite()
            && 0.0 <= params.calm_volatility
            && params.calm_volatility <= params.stressed_volatility)
        {
            Some("volatility bounds must be finite with 0 ≤ calm ≤ stressed")
        } else {
            None
        };
        problem.map_or(Ok(()), |problem| {
            Err(ConfigError::InvalidParameter {
                instrument: self.instrument,
                problem,
            })
        })
    }
}
