//! EMP strategy engine: pure decisions from features to order intents,
//! behind a readiness gate.
//!
//! - [`readiness`]: the gate STARTING → WARMING → RUNNING ⇄ DEGRADED, whose
//!   every transition is a [`ReadinessEvent`] with a typed reason;
//! - [`strategies`]: `delta_spd`, `micro_mm` and `binary_market`, each a
//!   pure function of ([`Inputs`], its params, a small explicit state) to
//!   [`Proposal`]s;
//! - [`host`]: the [`StrategyHost`] that runs them side by side, each with
//!   a rate limit, a kill switch and a duplicate filter, and emits
//!   [`Action`]s that map 1:1 onto the OMS (`submit`, `cancel`, `replace`);
//! - [`params`]: the TOML params file and its version hash, stamped as
//!   `params=<hash>` at the end of every intent's reason (the intent id does
//!   not depend on it; `model` is unchanged).
//!
//! Sans-IO: time comes in as `now`; there is no clock, thread or
//! randomness, so replaying the same inputs gives the same actions. It
//! depends on `model` and `sensory`, never on `gateway` or `oms`.
//!
//! ```
//! use model::{Instrument, InstrumentId, InstrumentTable, RunId, Timestamp, VenueSymbol};
//! use sensory::{CrossVenueFeatures, FEATURE_VERSION, InstrumentFeatures, Level, WhatFeatures};
//! use strategy::{Action, MarketView, ParamsFile, StrategyHost};
//!
//! let params = ParamsFile::parse(
//!     r#"
//!     [gate]
//!     spot = "BTC-USD"
//!     targets = ["YES"]
//!     cross_venue = ["YES"]
//!     spot_ttl_ms = 500
//!     book_ttl_ms = 5000
//!     max_skew_ms = 2000
//!
//!     [[strategy]]
//!     name = "dspd"
//!     kind = "delta_spd"
//!     rate_limit_actions = 10
//!     rate_limit_window_ms = 1000
//!     instruments = ["YES"]
//!     threshold = 0.01
//!     order_size = "10"
//!     max_position = "100"
//!     "#,
//!     "example.toml",
//! )?;
//! let yes = InstrumentId::new("YES")?;
//! let mut table = InstrumentTable::new();
//! table.insert(Instrument {
//!     id: yes,
//!     venue_symbol: VenueSymbol::new("0xabc")?,
//!     tick_size: "0.01".parse()?,
//!     lot_size: "1".parse()?,
//!     min_quantity: "1".parse()?,
//!     max_quantity: None,
//!     min_notional: None,
//!     price_digits: 2,
//!     allows_non_positive_prices: false,
//! })?;
//! let mut host = StrategyHost::new(RunId::new("run-1")?, params, table)?;
//!
//! let book = |id: InstrumentId, at: Timestamp, bid: &str, ask: &str| -> Result<InstrumentFeatures, model::FixedError> {
//!     let level = |price: &str| -> Result<Level, model::FixedError> {
//!         Ok(Level { price: price.parse()?, size: "50".parse()? })
//!     };
//!     Ok(InstrumentFeatures {
//!         instrument: id,
//!         version: FEATURE_VERSION,
//!         updated: at,
//!         last_book_update: Some(at),
//!         last_book_exchange_time: Some(at),
//!         last_trade: None,
//!         events: 1,
//!         what: WhatFeatures { best_bid: Some(level(bid)?), best_ask: Some(level(ask)?), ..WhatFeatures::default() },
//!         when: Default::default(),
//!         how: Default::default(),
//!         why: Default::default(),
//!         anomaly: Default::default(),
//!         invalid: None,
//!     })
//! };
//! let spot = InstrumentId::new("BTC-USD")?;
//! let mut market = MarketView::default();
//! let mut decide = |market: &mut MarketView, ms: u64, delta: f64| -> Result<Vec<Action>, model::FixedError> {
//!     let at = Timestamp::from_unix_nanos(ms * 1_000_000);
//!     market.instruments.insert(spot, book(spot, at, "97000", "97001")?);
//!     market.instruments.insert(yes, book(yes, at, "0.55", "0.56")?);
//!     market.cross.insert(yes, CrossVenueFeatures {
//!         spot, prediction: yes, spot_anchor: None, prediction_anchor: None,
//!         delta_spd: Some(delta), spot_time: Some(at), prediction_time: Some(at),
//!     });
//!     let step = host.step(at, market, &model::InstrumentMap::new(), &[]);
//!     Ok(step.actions.into_iter().map(|emitted| emitted.action).collect())
//! };
//! assert!(decide(&mut market, 0, 0.0)?.is_empty()); // STARTING → WARMING → RUNNING, inside the band
//! let actions = decide(&mut market, 100, 0.02)?;    // crosses the threshold: BUY at the ask
//! let Action::Submit(intent) = &actions[0] else { unreachable!() };
//! assert_eq!(intent.kind.limit_price(), Some("0.56".parse()?));
//! assert!(intent.reason.contains("params="));
//! assert!(decide(&mut market, 200, 0.03)?.is_empty()); // same crossing: nothing more
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod action;
pub mod exact;
pub mod host;
pub mod inputs;
pub mod params;
mod quiet;
pub mod rate_limit;
pub mod readiness;
pub mod strategies;

pub use action::{Action, OrderRequest, Proposal};
pub use host::{
    Emitted, HostError, Step, StrategyHost, StrategyStats, SuppressReason, Suppression,
};
pub use inputs::{ExecutionStatus, FeedCondition, Inputs, Inventory, MarketView, WorkingOrder};
pub use params::{ParamsError, ParamsFile, ParamsVersion, RateLimit, StrategyKind, StrategyParams};
pub use rate_limit::RateLimiter;
pub use readiness::{GateParams, ReadinessEvent, ReadinessGate, ReadinessReason, ReadinessState};
pub use strategies::StrategyState;
pub use strategies::binary_market::{BinaryMarketParams, BinaryMarketState, Rule, TokenPair};
pub use strategies::delta_spd::{Band, DeltaSpdParams, DeltaSpdState};
pub use strategies::micro_mm::{MicroMmParams, MicroMmState, SideEpoch, TargetQuotes};
