//! EMP sensory layer: normalized market events in, feature vectors out.
//!
//! [`Sensory`] keeps an L2 [`OrderBook`](book::OrderBook) per instrument,
//! built from [`model::MarketEvent`]s, whatever their source: FIX 35=W/35=X
//! books keyed by MDEntryID, websocket snapshots and level updates, or
//! top-of-book quotes. Integrity checks (sequence gaps, changes to unknown
//! entries, a crossed book) clear a book and queue a [`ResyncRequest`] so
//! the wiring can resubscribe. After every event the engine recomputes the
//! instrument's [`InstrumentFeatures`] in five families — WHAT ([`what`]),
//! WHEN ([`when`]), HOW ([`how`]), WHY ([`why`]), ANOMALY ([`anomaly`]) —
//! and the cross-venue dislocation ΔSPD ([`cross_venue`]). Each module's
//! doc gives its exact definitions; [`features`] is the contract
//! strategies read, versioned by [`FEATURE_VERSION`].
//!
//! The engine is sans-IO and deterministic: time comes only from event
//! headers, prices stay exact fixed-point, statistics are `f64` computed
//! in a fixed order, and an event does not allocate once the engine is
//! built. It depends only on `model`, never on `gateway`.
//!
//! ```
//! use model::{BookEntry, BookSnapshot, MarketEvent, MarketHeader, Price, Timestamp};
//! use sensory::{InstrumentConfig, InvalidReason, Sensory, SensoryConfig};
//!
//! let btc = "BTC-USD.COINBASE".parse()?;
//! let mut engine = Sensory::new(SensoryConfig {
//!     instruments: vec![InstrumentConfig::new(btc, "0.01".parse()?)],
//!     ..SensoryConfig::default()
//! })?;
//! let level = |price: &str, size: &str| -> Result<BookEntry, model::FixedError> {
//!     Ok(BookEntry { price: price.parse()?, size: size.parse()?, entry_id: None })
//! };
//! let snapshot = MarketEvent::Snapshot(BookSnapshot {
//!     header: MarketHeader {
//!         instrument: btc,
//!         sequence: Some(0),
//!         exchange_time: None,
//!         receive_time: Timestamp::from_unix_nanos(1_775_572_200_000_000_000),
//!     },
//!     bids: vec![level("68900.00", "1.5")?, level("68899.50", "0.75")?],
//!     asks: vec![level("68901.00", "0.5")?, level("68901.50", "1.2")?],
//! });
//! let features = engine.on_event(&snapshot)?;
//! assert_eq!(features.what.mid, Some("68900.5".parse::<Price>()?));
//! assert_eq!(features.what.spread, Some("1".parse::<Price>()?));
//! // (68900 · 0.5 + 68901 · 1.5) / (1.5 + 0.5)
//! assert_eq!(features.what.microprice, Some("68900.75".parse::<Price>()?));
//! // One snapshot is a book, but not yet enough history for the statistics.
//! assert_eq!(features.invalid, Some(InvalidReason::WarmingUp));
//! assert!(engine.poll_resync().is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod anomaly;
pub mod book;
pub mod config;
pub mod cross_venue;
pub mod engine;
mod fast_hash;
pub mod features;
pub mod how;
mod math;
mod memo;
pub mod what;
pub mod when;
pub mod why;

pub use book::{ApplyOutcome, BookKind, BookStatus, OrderBook, ResyncReason};
pub use config::{
    ConfigError, CrossVenuePair, FeatureParams, InstrumentConfig, MAX_TOP_LEVELS, SensoryConfig,
};
pub use engine::{ResyncRequest, Sensory, SensoryError, SensoryStats};
pub use features::{
    AnomalyFeatures, CrossVenueFeatures, FEATURE_VERSION, FillCost, HowFeatures,
    InstrumentFeatures, InvalidReason, Level, Regime, TradingSession, WhatFeatures, WhenFeatures,
    WhyFeatures,
};
pub use why::{Calendar, CalendarError, ScheduledEvent};
