//! EMP sensory layer.
//!
//! Turns normalized book and trade events ([`model::MarketEvent`]) into
//! features in five families (WHAT, WHEN, HOW, WHY, ANOMALY) plus the
//! cross-venue dislocation ΔSPD. It depends only on `model`, never on
//! `gateway`. The feature contract is in [`features`]; the books and the
//! per-event engine are being built (issue 5).

pub mod features;

pub use features::{
    AnomalyFeatures, CrossVenueFeatures, FEATURE_VERSION, FillCost, HowFeatures,
    InstrumentFeatures, InvalidReason, Level, Regime, TradingSession, WhatFeatures, WhenFeatures,
    WhyFeatures,
};
