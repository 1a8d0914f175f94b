//! The risk gate: the only path from an intent to a venue.
//!
//! Every check is a pure function of the order being checked, the limits,
//! the trading state and an [`ExposureView`] the OMS fills in; a failing
//! check returns a [`Denial`] with a stable code and the values that broke
//! the rule. Cancels never go through the gate: they always pass.
//!
//! # Order of the rules
//!
//! [`check_submit`] and [`check_modify`] apply the rules in this order and
//! return the first that fails (the tests hold the code to it):
//!
//! 1. trading state: `TRADING_HALTED`; `TRADING_STATE_REDUCING` when the
//!    order is not [reducing](#reducing-orders);
//! 2. instrument rules: `PRICE_NOT_POSITIVE` (limit price, then stop price)
//!    unless the instrument allows non-positive prices; `PRICE_NOT_ON_TICK`
//!    (limit price, then stop price); `QUANTITY_ZERO`; for a modify
//!    `QUANTITY_NOT_ABOVE_FILLED`; `QUANTITY_NOT_ON_LOT`;
//!    `QUANTITY_BELOW_MINIMUM`; `QUANTITY_EXCEEDS_MAXIMUM`;
//!    `NOTIONAL_BELOW_MINIMUM`;
//! 3. per-order caps: `QUANTITY_EXCEEDS_MAX_PER_ORDER`,
//!    `NOTIONAL_EXCEEDS_MAX_PER_ORDER`;
//! 4. `EXPIRE_TIME_IN_PAST`: a GTD expiry at or before `now`;
//! 5. price band: `NO_MARKET_PRICE`, `PRICE_OUTSIDE_BAND` (limit price,
//!    then stop price);
//! 6. position limits: `POSITION_EXCEEDS_INSTRUMENT_LIMIT`, then
//!    `POSITION_EXCEEDS_STRATEGY_LIMIT`;
//! 7. exposure: `GROSS_EXPOSURE_EXCEEDS_LIMIT`, `NET_EXPOSURE_EXCEEDS_LIMIT`;
//! 8. `DAILY_LOSS_LIMIT_REACHED`, then `DRAWDOWN_LIMIT_REACHED`.
//!
//! Rate limits are not here: they are state, kept by the OMS in a
//! [`RateLimiter`] it consults after these checks pass.
//!
//! # Prices
//!
//! Notional rules value the order at its *reference price*: the limit
//! price, else the stop price, else (a market order) the last market price.
//! A market order with no last price is denied `MISSING_PRICE` by the first
//! rule that needs a notional (with `needed_by=` naming it); when no
//! notional rule is configured it passes, since nothing needs its value.
//! The price band compares the limit and stop prices with the last market
//! price: `|price − last| × 10 000 ≤ band_bps × |last|` passes (the
//! boundary included). A band with no last price denies `NO_MARKET_PRICE`:
//! when the gate cannot tell, it does nothing.
//!
//! # Worst cases
//!
//! Position limits assume every working order on the order's side fills,
//! and this one too: a buy is checked as `position + working buys + order
//! ≤ limit`, a sell as `position − working sells − order ≥ −limit`. Only the
//! order's own direction is checked, so a sell never fails a long-side
//! limit. Gross and net exposure add the notional of the order's unfilled
//! quantity to the view's totals (which already hold positions and working
//! orders). Net exposure fails only when its new value is beyond the cap
//! *and* further from zero than before: an order that moves it towards
//! zero passes even while it is over the cap.
//!
//! # Reducing orders
//!
//! An order is *reducing* when its worst-case fill can only bring the
//! instrument's position (all strategies) towards zero without crossing
//! it: a sell while long with `working sells + order ≤ position`, a buy
//! while short likewise. Reducing orders are the only new risk REDUCING
//! allows, and they are never denied by the exposure caps, the daily loss
//! limit or the drawdown limit: closing must stay possible when those
//! limits are reached (a reducing order lowers gross exposure; it can move
//! net exposure away from zero while other instruments stay open, which is
//! accepted so that any position can always be closed).
//!
//! # Modifications
//!
//! A modify is checked on its new terms, with the [`ExposureView`]
//! excluding the order being replaced. The instrument rules apply in full
//! (the venue would reject a replace that breaks them), as do GTD expiry
//! and the HALTED state. Every other rule denies only an *increase*: a cap
//! fails when the new value is beyond it *and* beyond the old one, so a
//! modify that shrinks an order never fails a cap it was already over. In
//! detail: the per-order caps compare new and old total quantity and
//! notional; the price band checks only a limit or stop price that
//! changed; position limits compare the worst cases with the new and the
//! old unfilled quantity, exposure caps the notionals of the new and the
//! old unfilled quantity (each at its own reference price); REDUCING, the
//! daily loss limit and the drawdown limit deny a modify that raises the
//! quantity of an order that is not reducing afterwards.
//!
//! # Arithmetic
//!
//! Quantities are summed in `i128` (no overflow possible). Money sums that
//! overflow are beyond any cap, so they deny with the rule's own code and
//! `got=overflow`. Nothing here panics, and the pass path never allocates;
//! only a denial formats its detail.

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
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum TradingState {
    /// Normal trading.
    #[default]
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
