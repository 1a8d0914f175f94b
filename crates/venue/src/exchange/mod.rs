//! The simulated venue's exchange core, sans-IO: the matching engine a
//! FIX acceptor imitating the cTrader FIX API (or a generic FIX 4.4
//! venue) calls.
//!
//! - [`book`]: one symbol's price-time-priority book of entries;
//! - [`engine`]: the [`Exchange`] — order checks, matching, stops, GTD
//!   expiry, status and netting positions per owner, market data out;
//! - [`synthetic`]: seeded background markets (a random walk with
//!   volatility regimes and background traders) and a recorded-book
//!   replay, both trading through the same books as clients;
//! - [`profile`]: venue profiles (`specs/venue-*.toml`) parsed from text.

pub mod book;
pub mod engine;
pub mod profile;
pub mod synthetic;

pub use book::{Book, BookError, Fill, MatchOutcome, OrderKey, OwnerId, Resting};
pub use engine::{
    CancelRequest, Exchange, ExchangeConfig, ExchangeEvent, OrderRequest, PositionMode, Reason,
    ReplaceRequest, SelfTradePolicy,
};
