//! EMP's simulated venue.
//!
//! The crate simulates a broker venue on one machine, for paper trading,
//! backtests and `emp demo`. Its first part is the **simulated execution
//! sink**, [`SimulatedSink`]: it implements [`model::ExecutionSink`], the
//! interface a live FIX session implements too, so `MODE=test|live`
//! switches the sink and nothing else. It takes the OMS's
//! [`VenueCommand`](model::VenueCommand)s and answers with the reports a
//! FIX venue would send, after a sampled latency, with failures that grow
//! with the spread, fills against the book and queue position, and fees.
//! A simulated FIX acceptor (sessions, market data, demo-venue quirks) is
//! to come later and will reuse the sink's matching.
//!
//! The sink is sans-IO and deterministic: no clock but the `now` passed
//! in, no threads, no OS randomness. All randomness comes from a seeded
//! [`SimRng`], so the same seed and the same inputs give the same events.
//! Prices, sizes and money are exact fixed-point; `f64` appears only as a
//! probability. The rules are listed in [`sink`]'s documentation; the
//! models in [`latency`], [`failure`] and [`fees`].
//!
//! Modules: [`rng`] (generator), [`latency`], [`failure`], [`fees`]
//! (models), [`config`], `market` (the kept book), `matching` (the rules
//! as pure functions), `order` and `position` (state), [`trade`]
//! (the record of fills), [`sink`] (the sink itself).
//!
//! ```
//! use model::{
//!     ExecType, ExecutionSink, Instrument, InstrumentTable, NewOrder, OrderKind, Side,
//!     TimeInForce, Timestamp, VenueCommand, VenueEvent,
//! };
//! use sensory::book::OrderBook;
//! use venue::{FailureModel, LatencyModel, SimulatedSink, SimulatedSinkConfig};
//!
//! let mut instruments = InstrumentTable::new();
//! instruments.insert(Instrument {
//!     id: "BTC-USD.SIM".parse()?,
//!     venue_symbol: "BTC-USD".parse()?,
//!     tick_size: "0.01".parse()?,
//!     lot_size: "0.001".parse()?,
//!     min_quantity: "0.001".parse()?,
//!     max_quantity: None,
//!     min_notional: None,
//!     price_digits: 2,
//!     allows_non_positive_prices: false,
//! })?;
//! let config = SimulatedSinkConfig {
//!     latency: LatencyModel::fixed(250_000_000), // 250 ms
//!     failure: FailureModel::NEVER,
//!     taker_fee: "5".parse()?, // 5 bps
//!     seed: 42,
//!     ..SimulatedSinkConfig::default()
//! };
//! let mut sink = SimulatedSink::new(config, instruments)?;
//!
//! // The book, as the sensory engine keeps it: 0.5 offered at 68901.
//! let btc = "BTC-USD.SIM".parse()?;
//! let mut book = OrderBook::new(8, 0);
//! book.apply_snapshot(&model::BookSnapshot {
//!     header: model::MarketHeader {
//!         instrument: btc,
//!         sequence: None,
//!         exchange_time: None,
//!         receive_time: Timestamp::from_unix_nanos(1_000),
//!     },
//!     bids: vec![model::BookEntry { price: "68900".parse()?, size: "1".parse()?, entry_id: None }],
//!     asks: vec![model::BookEntry { price: "68901".parse()?, size: "0.5".parse()?, entry_id: None }],
//! });
//! let t0 = Timestamp::from_unix_nanos(1_000);
//! sink.on_book(t0, &btc, &book)?;
//!
//! sink.send(t0, VenueCommand::New(NewOrder {
//!     cl_ord_id: "C1".parse()?,
//!     instrument: btc,
//!     symbol: "BTC-USD".parse()?,
//!     side: Side::Buy,
//!     kind: OrderKind::Market,
//!     quantity: "0.2".parse()?,
//!     time_in_force: TimeInForce::ImmediateOrCancel,
//!     transact_time: t0,
//! }));
//! // Nothing happens before the command arrives, 250 ms later.
//! assert_eq!(sink.poll_event(t0), None);
//! let arrival = sink.next_wakeup().expect("a command is in flight");
//! assert_eq!(arrival, Timestamp::from_unix_nanos(250_001_000));
//!
//! let mut kinds = Vec::new();
//! while let Some(VenueEvent::Execution(report)) = sink.poll_event(arrival) {
//!     kinds.push(report.exec_type);
//! }
//! assert_eq!(kinds, [ExecType::New, ExecType::Trade]);
//! let fill = &sink.trades()[0];
//! // 0.2 × 68901 = 13780.2, and 5 bps of that is 6.8901.
//! assert_eq!(fill.fee, "6.8901".parse()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod config;
pub mod error;
pub mod exchange;
pub mod failure;
pub mod fees;
pub mod latency;
mod market;
mod matching;
mod order;
mod position;
pub mod rng;
pub mod sink;
pub mod trade;

pub use config::{ConfigError, SimulatedSinkConfig, StopTrigger};
pub use error::MarketDataError;
pub use failure::FailureModel;
pub use fees::{FeeRate, FeeRateError, MAX_FEE_DIGITS};
pub use latency::LatencyModel;
pub use rng::SimRng;
pub use sink::SimulatedSink;
pub use trade::{Liquidity, SimulatedTrade};
