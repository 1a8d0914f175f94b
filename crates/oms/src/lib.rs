//! EMP's order-management system: the order lifecycle, the central risk
//! gate, positions and PnL, and reconciliation with the venue. Sans-IO:
//! commands, venue events and `now` in; venue commands and OMS events out.
//! No clock, socket, thread or randomness inside.
//!
//! Every order goes strategy intent → [`risk`] gate → [`Oms`] → venue.
//! [`Oms::submit`] is the only way to create an order, and it runs the gate
//! first; cancels always pass. The OMS changes its state only by applying
//! its own [`OmsEvent`]s ([`OmsState::apply`]); persisting them and
//! applying them again ([`Oms::recover`]) rebuilds the state exactly.
//!
//! # Invariants (property-tested in `tests/model_based.rs`)
//! 1. An order's filled quantity never exceeds its quantity; fills beyond
//!    it are kept as `overfill` and reported with an `OVERFILL` alert.
//! 2. Each (instrument, strategy) position equals the sum of its orders'
//!    signed fills.
//! 3. No order reaches a venue without passing the risk gate: every
//!    NewOrderSingle has exactly one `OrderSubmitted` event, and a denied
//!    intent emits no command.
//! 4. Working quantities equal the sum of working orders' leaves.
//! 5. `replay(events) == state`.
//!
//! One intent id never creates two orders, and ClOrdIDs never repeat,
//! across restarts ([`clordid`]). After a (re)connect, [`reconcile`]
//! compares venue truth with the OMS by a documented resolution table; an
//! order whose outcome is unknown stays in flight until the venue answers.
//!
//! ```
//! use model::{
//!     Instrument, InstrumentId, InstrumentTable, IntentSpec, OrderIntent, OrderKind, RunId,
//!     Side, StrategyId, TimeInForce, Timestamp, VenueCommand, VenueSymbol,
//! };
//! use oms::{Oms, OmsConfig, OmsEvent, risk::RiskLimits};
//!
//! let eurusd = InstrumentId::new("EURUSD")?;
//! let mut instruments = InstrumentTable::new();
//! instruments.insert(Instrument {
//!     id: eurusd,
//!     venue_symbol: VenueSymbol::new("1")?,
//!     tick_size: "0.00001".parse()?,
//!     lot_size: "1000".parse()?,
//!     min_quantity: "1000".parse()?,
//!     max_quantity: None,
//!     min_notional: None,
//!     price_digits: 5,
//!     allows_non_positive_prices: false,
//! })?;
//! let now = Timestamp::from_unix_nanos(1_790_000_000_000_000_000);
//! let mut oms = Oms::new(OmsConfig::new(RiskLimits::default(), instruments), now);
//! oms.on_market_price(eurusd, "1.0702".parse()?);
//!
//! let intent = OrderIntent::new(IntentSpec {
//!     run_id: RunId::new("paper-1")?,
//!     strategy: StrategyId::new("mean-revert")?,
//!     instrument: eurusd,
//!     side: Side::Buy,
//!     kind: OrderKind::Limit { price: "1.07".parse()? },
//!     size: "10000".parse()?,
//!     time_in_force: TimeInForce::GoodTillCancel,
//!     epoch: 1,
//!     created: now,
//!     reason: "z-score below -2".into(),
//! });
//! let cl_ord_id = oms.submit(now, intent.clone())?;
//! // Persist the events first, then send the commands.
//! assert!(matches!(oms.poll_event(), Some(OmsEvent::Started { .. })));
//! # while let Some(_) = oms.poll_event() {}
//! let Some(VenueCommand::New(order)) = oms.poll_command() else { unreachable!() };
//! assert_eq!(order.cl_ord_id, cl_ord_id);
//! // The same decision again creates no second order.
//! assert!(oms.submit(now, intent).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod alert;
pub mod clordid;
pub mod engine;
pub mod events;
mod fast_hash;
pub mod order;
pub mod position;
pub mod reconcile;
pub mod risk;
mod stable_code;
pub mod state;
pub mod status;

pub use alert::AlertCode;
pub use engine::{
    Oms, OmsConfig, ReconcilePolicy, RecoverError, VenueEventError, VenueEventOutcome,
};
pub use events::{OmsEvent, OrderUpdate};
pub use order::{Fill, Order, PendingRequest};
pub use state::{ApplyError, OmsState, WorkingQuantity};
pub use status::{InvalidTransition, OrderStatus, StatusEvent, transition};
