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
//!
//! Its second part is the **exchange core**, [`exchange`]: the matching
//! engine of a simulated venue that a FIX 4.4 acceptor (imitating the
//! cTrader FIX API, or a generic venue) calls. One price-time-priority
//! book per symbol holds client orders and background liquidity as
//! individual entries, so its changes are exactly the entry adds and
//! deletes of a cTrader depth stream; [`exchange::Exchange`] checks
//! orders (minimum volume, step, tick, symbol), matches them, handles
//! IOC/FOK/GTC/GTD, stops, cancel and replace, status requests and
//! netting positions per owner; [`exchange::synthetic`] moves the books
//! with a seeded random walk with volatility regimes and background
//! traders, or replays a recorded book; [`exchange::profile`] reads the
//! venue profiles in `specs/venue-*.toml`.
//!
//! Its third part is the **FIX acceptor** around the exchange: [`fix`]'s
//! sans-IO [`fix::VenueCore`] answers FIX 4.4 sessions as the cTrader FIX
//! API does (QUOTE and TRADE sessions per account, numeric symbol ids,
//! spot and entry-level depth streams, cTrader's rejects), or as a generic
//! FIX 4.2/4.4 venue; [`server::VenueServer`] runs it over TCP with the
//! gateway's acceptor (`VenueServer::start(&profile, bind_addr, options)`
//! → a handle with the bound ports and `shutdown`).
//!
//! Both parts are sans-IO and deterministic: no clock but the `now` passed
//! in, no threads, no OS randomness. All randomness comes from a seeded
//! [`SimRng`], so the same seed and the same inputs give the same events.
//! Prices, sizes and money are exact fixed-point; `f64` appears only as a
//! probability and as the synthetic market's latent mid (in ticks, rounded
//! to a whole tick before any price is made from it). The sink's rules
//! are listed in [`sink`]'s documentation, its models in [`latency`],
//! [`failure`] and [`fees`]; the exchange's in [`exchange::engine`].
//!
//! Modules: [`rng`] (generator), [`latency`], [`failure`], [`fees`]
//! (models), [`config`], `market` (the kept book), `matching` (the rules
//! as pure functions), `order` and `position` (state), [`trade`]
//! (the record of fills), [`sink`] (the sink itself); [`exchange`] (the
//! exchange core: `book`, `engine`, `synthetic`, `profile`); [`fix`] (the
//! FIX acceptor application) and [`server`] (its TCP server).
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
//!
//! The exchange core, with a client order meeting the synthetic market:
//!
//! ```
//! use model::{MarketEvent, OrdStatus, OrderKind, Side, TimeInForce, Timestamp};
//! use venue::exchange::profile::VenueProfile;
//! use venue::exchange::{ExchangeEvent, OrderRequest, OwnerId};
//!
//! // Reading the file is the caller's business; the profile is text.
//! let profile = VenueProfile::parse(
//!     include_str!("../../../specs/venue-generic.toml"),
//!     "venue-generic.toml",
//! )?;
//! let (mut exchange, mut market) = profile.build()?;
//! let btc = "BTCUSD.SIM".parse()?;
//!
//! // Ten simulated seconds of background makers, cancels and takers.
//! let t0 = Timestamp::from_unix_nanos(1_700_000_000_000_000_000);
//! market.step(&mut exchange, t0);
//! let t1 = t0.checked_add_nanos(10_000_000_000).expect("in range");
//! let events = market.step(&mut exchange, t1);
//! assert!(events.iter().all(|event| matches!(event, ExchangeEvent::Market(_))));
//! let book = exchange.book(&btc).expect("a profile symbol");
//! let best_ask = book.best_ask().expect("the background keeps two sides");
//! assert!(book.best_bid() < Some(best_ask));
//!
//! // A client buys at market: filled at the best ask, with a trade print
//! // and depth deltas of entry adds and deletes only.
//! let events = exchange.submit(t1, OwnerId(1), &OrderRequest {
//!     cl_ord_id: "C1".parse()?,
//!     symbol: "BTCUSD".parse()?,
//!     side: Side::Buy,
//!     kind: OrderKind::Market,
//!     quantity: "0.001".parse()?,
//!     time_in_force: TimeInForce::ImmediateOrCancel,
//!     position: None,
//! });
//! let fill = events.iter().find_map(|event| match event {
//!     ExchangeEvent::Execution { report, .. } if report.last_px.is_some() => Some(report),
//!     _ => None,
//! });
//! let fill = fill.expect("the book had liquidity");
//! assert_eq!((fill.ord_status, fill.last_px), (OrdStatus::Filled, Some(best_ask)));
//! assert!(events.iter().any(|event| matches!(event, ExchangeEvent::Market(MarketEvent::Trade(_)))));
//! assert_eq!(exchange.position(OwnerId(1), &btc).raw(), 1_000_000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod config;
pub mod error;
pub mod exchange;
pub mod failure;
pub mod fees;
pub mod fix;
pub mod latency;
mod market;
mod matching;
mod order;
mod position;
mod report;
pub mod rng;
pub mod server;
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
