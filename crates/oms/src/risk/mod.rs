//! The risk gate: the only path from an intent to a venue.
//!
//! Every check is a pure function of the order being checked, the limits,
//! the trading state and an [`ExposureView`] the OMS fills in; a failing
//! check returns a [`Denial`] with a stable code and the values that broke
//! the rule. Cancels never go through the gate: they always pass.

mod checks;
mod deny;
mod limits;
mod rate;

pub use checks::{check_modify, check_submit};
pub use deny::{Denial, DenyCode};
pub use limits::{LimitsError, RateLimit, RiskLimits};
pub use rate::RateLimiter;

use model::{Instrument, Money, NetQuantity, OrderKind, Price, Quantity, Side, TimeInForce};

/// Whether new risk may be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TradingState {
    /// Normal trading.
    Active,
    /// Only orders that reduce the instrument's position (counting
    /// working orders) pass; cancels pass.
    Reducing,
    /// No new order or modification passes; cancels pass.
    Halted,
}

impl TradingState {
    /// ACTIVE, REDUCING or HALTED.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Reducing => "REDUCING",
            Self::Halted => "HALTED",
        }
    }
}

/// The order terms the gate checks: a new order, or the new terms of a
/// replace.
#[derive(Clone, Copy, Debug)]
pub struct OrderTerms<'a> {
    /// The instrument's definition.
    pub instrument: &'a Instrument,
    /// Buy or sell.
    pub side: Side,
    /// Order type and prices.
    pub kind: OrderKind,
    /// Total quantity (for a replace: the new total, fills included).
    pub quantity: Quantity,
    /// Time in force.
    pub time_in_force: TimeInForce,
}

/// What the OMS knows about exposure when an order is checked. All
/// quantities are in the instrument's units; all money in the account
/// currency.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExposureView {
    /// Net position of the instrument, all strategies.
    pub instrument_position: NetQuantity,
    /// Net position of the instrument for the order's strategy.
    pub strategy_position: NetQuantity,
    /// Unfilled quantity of working buy orders on the instrument (all
    /// strategies), not counting the order being replaced.
    pub instrument_open_buys: Quantity,
    /// Unfilled quantity of working sell orders, likewise.
    pub instrument_open_sells: Quantity,
    /// Unfilled quantity of the order's strategy's working buy orders on
    /// the instrument, not counting the order being replaced.
    pub strategy_open_buys: Quantity,
    /// Unfilled quantity of the strategy's working sell orders, likewise.
    pub strategy_open_sells: Quantity,
    /// Last market price of the instrument, if any arrived.
    pub last_price: Option<Price>,
    /// Σ |position × mark| over every instrument, plus the notional of
    /// working orders, before this order (for a replace: not counting the
    /// order being replaced).
    pub gross_exposure: Money,
    /// Σ position × mark (signed) over every instrument, plus working
    /// orders signed by side, before this order (likewise).
    pub net_exposure: Money,
    /// Realized PnL net of fees, plus unrealized PnL at the marks, since
    /// the start of the trading day.
    pub daily_pnl: Money,
    /// Peak realized equity minus current equity (realized + unrealized),
    /// never below zero.
    pub drawdown: Money,
}

/// For a replace: the order as it stands.
#[derive(Clone, Copy, Debug)]
pub struct ExistingOrder {
    /// Its current total quantity.
    pub quantity: Quantity,
    /// Quantity filled so far.
    pub filled: Quantity,
    /// Its current order type and prices.
    pub kind: OrderKind,
}
