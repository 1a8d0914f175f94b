//! EMP's runtime, shared by the `emp` binary and the end-to-end tests.
//!
//! - [`pipeline`]: the one code path from market data to venue commands
//!   (sensory → strategy → risk/OMS) that live, paper, replay and backtest
//!   all run;
//! - [`record`]: what a run writes to its journal, by topic;
//! - [`backtest`] and [`report`]: recorded market data with simulated
//!   execution over seeds, and the report;
//! - [`replay`]: a recorded run's inputs fed back, every decision compared;
//! - [`export`]: a journal's market data as Parquet;
//! - [`engine`]: the live engine, a venue over FIX ([`gateway::fix::link`])
//!   wired to the pipeline and the journal on one thread, sans-IO; [`live`]
//!   drives it over TCP; [`trader`] boots a run (config, core state,
//!   connections, readiness) and [`status`] shows it; [`publish`] copies
//!   its state into the metrics;
//! - [`demo`]: `emp demo`, the simulated venue in-process and EMP trading
//!   against it; [`run_config`]: `emp run`'s config file; [`inprocess`]:
//!   EMP and the venue core joined by in-memory pipes under simulated time;
//! - [`fix_capture`]: a FIX message log read back as market data;
//! - [`metrics`]: Prometheus metrics through the `metrics` facade
//!   (counters, gauges, latency histograms; the trading thread only
//!   touches handles registered at setup) on a local
//!   `metrics-exporter-prometheus` recorder, the runtime's `emp_*` metric
//!   set, process CPU and memory, and the scrape endpoint on its own
//!   thread.
//!
//! ```
//! use emp::pipeline::{Pipeline, PipelineConfig, PipelineOutput};
//! use model::{Instrument, InstrumentId, InstrumentTable, MarketEvent, MarketHeader, Quote, QuoteSide, RunId, Timestamp, VenueSymbol};
//! use strategy::{ParamsFile, ReadinessState};
//!
//! let spot = InstrumentId::new("BTC-USD")?;
//! let mut instruments = InstrumentTable::new();
//! instruments.insert(Instrument {
//!     id: spot,
//!     venue_symbol: VenueSymbol::new("BTC-USD")?,
//!     tick_size: "0.01".parse()?,
//!     lot_size: "0.0001".parse()?,
//!     min_quantity: "0.0001".parse()?,
//!     max_quantity: None,
//!     min_notional: None,
//!     price_digits: 2,
//!     allows_non_positive_prices: false,
//! })?;
//! let params = ParamsFile::parse(
//!     "[gate]\nspot = \"BTC-USD\"\ntargets = [\"BTC-USD\"]\nspot_ttl_ms = 1000\n\
//!      book_ttl_ms = 5000\nmax_skew_ms = 2000\nwarmup_ms = 0\n\n[[strategy]]\nname = \"mm\"\n\
//!      kind = \"micro_mm\"\nenabled = false\nrate_limit_actions = 1\nrate_limit_window_ms = 1000\n\
//!      instruments = [\"BTC-USD\"]\nmin_half_spread_ticks = 1\nvol_multiplier = 1.0\n\
//!      skew_per_unit = \"0\"\nquote_size = \"0.01\"\nmax_position = \"1\"\nreplace_tolerance_ticks = 1\n",
//!     "example.toml",
//! )?;
//! let now = Timestamp::from_unix_nanos(1_790_000_000_000_000_000);
//! let mut pipeline = Pipeline::new(
//!     PipelineConfig {
//!         run_id: RunId::new("doc")?,
//!         instruments: instruments.clone(),
//!         features: Default::default(),
//!         calendar: Default::default(),
//!         params,
//!         oms: oms::OmsConfig::new(Default::default(), instruments),
//!     },
//!     now,
//! )?;
//! let side = |price: &str| -> Result<Option<QuoteSide>, model::FixedError> {
//!     Ok(Some(QuoteSide { price: price.parse()?, size: Some("1".parse()?) }))
//! };
//! let header = MarketHeader { instrument: spot, sequence: None, exchange_time: None, receive_time: now };
//! pipeline.on_market(now, &MarketEvent::Quote(Quote { header, bid: side("99999.99")?, ask: side("100000.01")? }))?;
//! // The first data wakes the gate; the features are still warming up.
//! let Some(PipelineOutput::Readiness(event)) = pipeline.poll_output() else { unreachable!() };
//! assert_eq!((event.from, event.to), (ReadinessState::Starting, ReadinessState::Warming));
//! assert!(pipeline.poll_command().is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod backtest;
pub mod capture;
pub mod control;
pub mod demo;
pub mod engine;
pub mod export;
pub mod feeds;
pub mod fix_capture;
pub mod inprocess;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod pipeline;
pub mod publish;
pub mod record;
pub mod replay;
pub mod report;
pub mod run_config;
pub mod status;
pub mod trader;
