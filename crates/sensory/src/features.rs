//! The feature vector: what the sensory layer publishes per instrument after
//! every market event, in five families, plus the cross-venue dislocation.
//!
//! This is the contract strategies read. Prices that may end up on an order
//! are exact [`Price`]s; statistics (volatility, z-scores, imbalances,
//! probabilities) are `f64`, computed in a fixed order so that the same
//! input gives bit-identical output on every run. A value that cannot be
//! computed yet (an empty side, too few samples) is `None`, never a guess.

use model::{InstrumentId, Price, Quantity, Timestamp};

/// The version of the feature definitions. Bump it whenever a definition
/// changes meaning, so recorded features are never compared across
/// definitions by accident.
pub const FEATURE_VERSION: u32 = 1;

/// A price and the size resting there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    /// The price.
    pub price: Price,
    /// The aggregate size at that price.
    pub size: Quantity,
}

/// Why a feature vector must not be traded on. A vector with no reason is
/// valid.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum InvalidReason {
    /// No snapshot yet, or the book was reset and no new snapshot came.
    NoBook,
    /// A side is empty.
    OneSided,
    /// Best bid at or above best ask.
    Crossed,
    /// A sequence gap or a delta for an unknown level/entry: the book is
    /// waiting for a resync.
    Resyncing,
    /// Not enough samples for the statistics yet.
    WarmingUp,
}

/// WHAT: price and volume structure of the book.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WhatFeatures {
    /// Best bid.
    pub best_bid: Option<Level>,
    /// Best ask.
    pub best_ask: Option<Level>,
    /// (bid + ask) / 2, exact at 10⁻⁹.
    pub mid: Option<Price>,
    /// ask − bid.
    pub spread: Option<Price>,
    /// Spread in basis points of the mid.
    pub spread_bps: Option<f64>,
    /// Size-weighted mid: (bid·ask_size + ask·bid_size) / (bid_size +
    /// ask_size), rounded half-even to 10⁻⁹.
    pub microprice: Option<Price>,
    /// (bid volume − ask volume) / (bid volume + ask volume) over the top N
    /// levels, in [−1, 1].
    pub imbalance: Option<f64>,
    /// Bid volume within k ticks of the mid.
    pub bid_depth: Quantity,
    /// Ask volume within k ticks of the mid.
    pub ask_depth: Quantity,
    /// The largest bid level within the top N when it is at least the wall
    /// factor times the median level size there.
    pub bid_wall: Option<Level>,
    /// As `bid_wall`, on the ask side.
    pub ask_wall: Option<Level>,
    /// The nearest bid level within the top N that is thinner than the
    /// pocket factor times the median level size (liquidity pocket).
    pub bid_pocket: Option<Level>,
    /// As `bid_pocket`, on the ask side.
    pub ask_pocket: Option<Level>,
}

/// Volatility regime, from realized volatility against configured bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Regime {
    /// Too few returns to say.
    #[default]
    Unknown,
    /// Below the calm bound.
    Calm,
    /// Between the bounds.
    Normal,
    /// Above the stressed bound.
    Stressed,
}

/// The trading session a UTC time of day falls in (FX convention).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TradingSession {
    /// 22:00–07:00 UTC.
    #[default]
    Asia,
    /// 07:00–12:00 UTC.
    Europe,
    /// 12:00–16:00 UTC, London and New York both open.
    EuropeAmericaOverlap,
    /// 16:00–22:00 UTC.
    America,
}

/// WHEN: regimes and timing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WhenFeatures {
    /// EWMA realized volatility of mid log returns, per √second.
    pub realized_volatility: Option<f64>,
    /// The regime the volatility falls in.
    pub regime: Regime,
    /// The session of the event's time.
    pub session: TradingSession,
    /// Minutes since UTC midnight divided by the bucket width.
    pub time_of_day_bucket: u16,
    /// receive time − exchange time, in nanoseconds (negative means the
    /// clocks disagree), when the venue stamps its events.
    pub exchange_lag_nanos: Option<i64>,
}

/// The cost of taking `quantity` from the book now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FillCost {
    /// The size asked for.
    pub quantity: Quantity,
    /// How much the visible book can fill (≤ `quantity`).
    pub fillable: Quantity,
    /// Volume-weighted average price of the fillable part, rounded
    /// half-even to 10⁻⁹.
    pub vwap: Price,
    /// |vwap − mid| in basis points of the mid (expected slippage).
    pub slippage_bps: f64,
}

/// HOW: flow and execution cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HowFeatures {
    /// Exponentially weighted (buy − sell) / (buy + sell) taker volume, in
    /// [−1, 1].
    pub trade_flow_imbalance: Option<f64>,
    /// Cost of buying each configured probe size (the execution-cost
    /// surface, ask side).
    pub buy_cost: [Option<FillCost>; 3],
    /// Cost of selling each configured probe size (bid side).
    pub sell_cost: [Option<FillCost>; 3],
    /// Proxy for the probability that a passive bid at the best bid fills
    /// soon: recent sell taker volume over (that volume + queue ahead).
    pub bid_fill_probability: Option<f64>,
    /// As `bid_fill_probability`, for a passive ask.
    pub ask_fill_probability: Option<f64>,
}

/// WHY: scheduled events from the calendar file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WhyFeatures {
    /// Nanoseconds until the next scheduled event that concerns this
    /// instrument, if one is scheduled.
    pub nanos_to_next_event: Option<u64>,
    /// True inside an event's blackout window (before and after it).
    pub blackout: bool,
}

/// ANOMALY: robust z-scores (median and MAD over a rolling window) and
/// outlier flags.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AnomalyFeatures {
    /// Robust z-score of the current spread.
    pub spread_z: Option<f64>,
    /// Robust z-score of the last trade price against recent prints.
    pub trade_price_z: Option<f64>,
    /// Robust z-score of book churn (changes per second).
    pub churn_z: Option<f64>,
    /// |spread_z| above the threshold.
    pub spread_outlier: bool,
    /// |trade_price_z| above the threshold.
    pub trade_outlier: bool,
    /// |churn_z| above the threshold.
    pub churn_outlier: bool,
}

/// Everything the sensory layer knows about one instrument after one event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstrumentFeatures {
    /// The instrument.
    pub instrument: InstrumentId,
    /// [`FEATURE_VERSION`] when computed.
    pub version: u32,
    /// Receive time of the event that produced this vector.
    pub updated: Timestamp,
    /// Receive time of the last event that changed the book (snapshot,
    /// delta, quote).
    pub last_book_update: Option<Timestamp>,
    /// Exchange time of that event, when stamped.
    pub last_book_exchange_time: Option<Timestamp>,
    /// Receive time of the last trade print.
    pub last_trade: Option<Timestamp>,
    /// Events applied to this instrument since start.
    pub events: u64,
    /// WHAT.
    pub what: WhatFeatures,
    /// WHEN.
    pub when: WhenFeatures,
    /// HOW.
    pub how: HowFeatures,
    /// WHY.
    pub why: WhyFeatures,
    /// ANOMALY.
    pub anomaly: AnomalyFeatures,
    /// Why the vector must not be traded on; `None` when valid.
    pub invalid: Option<InvalidReason>,
}

impl InstrumentFeatures {
    /// True when a strategy may act on this vector.
    pub const fn is_valid(&self) -> bool {
        self.invalid.is_none()
    }
}

/// Cross-venue dislocation between a spot price and a prediction-market
/// price (ΔSPD).
///
/// With EMA anchors `spot_anchor` and `pm_anchor` of the two mids:
/// `spot_move = (spot_mid − spot_anchor) / spot_anchor` (a return),
/// `pm_move = pm_mid − pm_anchor` (in probability points), and
/// `delta_spd = β · spot_move − pm_move`: how far the prediction market
/// lags what the spot move implies. Positive: the YES token looks cheap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrossVenueFeatures {
    /// The spot instrument (BTC-USD).
    pub spot: InstrumentId,
    /// The prediction-market instrument (a YES token).
    pub prediction: InstrumentId,
    /// EMA anchor of the spot mid.
    pub spot_anchor: Option<f64>,
    /// EMA anchor of the prediction-market mid.
    pub prediction_anchor: Option<f64>,
    /// The dislocation; `None` until both sides have a mid and an anchor.
    pub delta_spd: Option<f64>,
    /// Exchange (or receive) time of the spot mid used.
    pub spot_time: Option<Timestamp>,
    /// Exchange (or receive) time of the prediction-market mid used.
    pub prediction_time: Option<Timestamp>,
}
