//! EMP's shared contracts: the value types every other crate agrees on.
//!
//! No I/O, no clock, no threads. It holds:
//! - exact numbers: the wire-level [`Decimal`], and the fixed-point
//!   [`Price`], [`Quantity`], [`NetQuantity`] and [`Money`] the OMS and risk
//!   gate compute with (integers only, never `f64`);
//! - the UTC nanosecond [`Timestamp`], the only notion of time in EMP's
//!   sans-IO cores;
//! - validated identifiers ([`ClOrdId`], [`OrderId`], [`ExecId`],
//!   [`InstrumentId`], [`StrategyId`], …);
//! - [`Instrument`] definitions and the [`InstrumentTable`];
//! - the [`OrderIntent`] contract strategies emit, the [`VenueCommand`]s the
//!   OMS sends and the [`VenueEvent`]s venues report back;
//! - normalized market data ([`MarketEvent`]): snapshots, deltas by price
//!   level or by entry id, quotes, trades.
//!
//! Every contract is `serde`-serializable for the journal. Reading back
//! goes through the same checks as building (ids, non-negative quantities,
//! an intent's id derived again from its terms). Enums are stored by
//! variant position: add variants at the end only, and bump the topic's
//! schema version for any other change.
//!
//! ```
//! use model::{Decimal, Price, Quantity, Timestamp};
//!
//! let qty: Decimal = "002000.00".parse()?;
//! assert_eq!(qty, Decimal::from_i64(2000));
//! let later = Timestamp::UNIX_EPOCH.checked_add_nanos(1_500).unwrap();
//! assert_eq!(later.saturating_nanos_since(Timestamp::UNIX_EPOCH), 1_500);
//!
//! let px = Price::from_decimal("1.06625".parse()?)?;
//! let notional = px.notional(Quantity::from_decimal(qty)?);
//! assert_eq!(notional.to_string(), "2132.5");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod ascii;
pub mod clock;
pub mod decimal;
pub mod execution;
pub mod fixed;
pub mod ids;
pub mod instrument;
pub mod instrument_map;
pub mod market;
pub mod order;
pub mod sink;
pub mod time;

pub use decimal::{Decimal, DecimalError, MAX_SCALE};
pub use execution::{
    BusinessReject, CancelReject, CancelRejectResponseTo, ExecType, ExecutionReport, OrdStatus,
    PositionReport, VenueEvent,
};
pub use fixed::{FixedError, Money, NetQuantity, Price, Quantity};
pub use ids::{
    ClOrdId, EntryId, ExecId, IdError, InstrumentId, OrderId, RequestId, RunId, StrategyId,
    TradeId, VenueSymbol,
};
pub use instrument::{Instrument, InstrumentError, InstrumentTable};
pub use instrument_map::InstrumentMap;
pub use market::{
    BookChange, BookDelta, BookEntry, BookResetReason, BookSide, BookSnapshot, FeedStatus,
    MarketEvent, MarketHeader, Quote, QuoteSide, Trade,
};
pub use order::{
    CancelOrder, IntentId, IntentSpec, NewOrder, OrderIntent, OrderKind, ReplaceOrder, Side,
    StatusRequest, TimeInForce, VenueCommand,
};
pub use sink::ExecutionSink;
pub use time::{Timestamp, TimestampError, UtcDateTime};
