//! Netting positions and their PnL, in exact fixed point.
//!
//! A [`Position`] is one strategy's net holding of one instrument: a signed
//! quantity, the signed cost basis of that open quantity, realized PnL,
//! fees and a fill count. [`Positions`] is the book of them, keyed by
//! (instrument, strategy), with running totals per instrument, per strategy
//! and overall. The OMS feeds it fills; the risk gate's
//! [`ExposureView`](crate::risk::ExposureView) and the PnL metrics read it.
//!
//! # Accounting
//!
//! A fill brings its *value*, `cost` (quantity × price, exact; passed in
//! rather than computed because some venues report only average-price
//! deltas), and its fee. A buy adds `cost` to the cost basis, a sell
//! subtracts it, so the basis of a long is positive and that of a short
//! negative (at positive prices):
//!
//! - opening or adding: the basis grows by the fill's signed value;
//! - partial close of `q` out of `|net|`: the basis releases
//!   `basis × q / |net|`, rounded half to even at 10⁻¹⁸ Money units, and
//!   realized PnL gains the fill's proceeds minus that release;
//! - full close: the basis releases *all* that remains, so the realized PnL
//!   of a round trip is exact whatever rounding happened on the way;
//! - flip: the fill's value is split in proportion to the quantity that
//!   closes and the quantity that opens (the closing share rounded half to
//!   even, the opening share the exact rest); the closing share closes the
//!   old position fully, the opening share is the new basis.
//!
//! Rounding moves value between realized and unrealized PnL only, never
//! creates or loses any: for every fill sequence and mark,
//! `realized + unrealized(mark) = Σ sell values − Σ buy values + net × mark`
//! exactly. Fees are kept apart; [`Position::total_pnl`] subtracts them.
//!
//! # Range
//!
//! A position refuses (with [`PositionError::Overflow`], changing nothing)
//! a fill that would take its cost basis, realized PnL or fees beyond
//! ±2¹²⁴ × 10⁻¹⁸ ≈ ±2.1 × 10¹⁹ units of money. Under that bound a single
//! position's unrealized and total PnL never overflow, so they need no
//! error path; sums over a book can, and return a `Result`.

use std::collections::BTreeMap;

use model::{InstrumentId, Money, NetQuantity, Price, Quantity, Side, StrategyId};

/// Largest |cost basis|, |realized PnL| or |fees| of one position, in
/// 10⁻¹⁸ units (exclusive).
const MONEY_BOUND: u128 = 1 << 124;

/// Why a fill or a total could not be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PositionError {
    /// A fill of zero quantity.
    #[error("a fill must have a quantity above zero")]
    ZeroQuantity,
    /// A value left the range the book keeps (see the module
    /// documentation); nothing was changed.
    #[error("{what} would overflow")]
    Overflow {
        /// Which value.
        what: &'static str,
    },
    /// An instrument with an open position has no mark price.
    #[error("instrument {instrument} has an open position and no mark price")]
    MissingMark {
        /// The instrument.
        instrument: InstrumentId,
    },
}

const fn overflow(what: &'static str) -> PositionError {
    PositionError::Overflow { what }
}

/// One strategy's netting position in one instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Position {
    net: NetQuantity,
    cost: Money,
    realized: Money,
    fees: Money,
    fills: u64,
}

impl Position {
    /// A flat position with no history.
    pub const fn new() -> Self {
        Self {
            net: NetQuantity::ZERO,
            cost: Money::ZERO,
            realized: Money::ZERO,
            fees: Money::ZERO,
            fills: 0,
        }
    }

    /// Net quantity: long above zero, short below.
    pub const fn net(&self) -> NetQuantity {
        self.net
    }

    /// True when flat.
    pub const fn is_flat(&self) -> bool {
        self.net.is_zero()
    }

    /// Signed cost basis of the open quantity: what the open quantity cost
    /// (positive for a long at positive prices) or brought in (negative for
    /// a short). Zero when flat.
    pub const fn cost_basis(&self) -> Money {
        self.cost
    }

    /// Realized PnL, before fees.
    pub const fn realized(&self) -> Money {
        self.realized
    }

    /// Fees paid (rebates negative).
    pub const fn fees(&self) -> Money {
        self.fees
    }

    /// Fills applied.
    pub const fn fill_count(&self) -> u64 {
        self.fills
    }

    /// Average open price, cost basis ÷ net, truncated towards zero to
    /// nine fractional digits. For reports only; accounting uses the exact
    /// cost basis. `None` when flat.
    pub fn average_price(&self) -> Option<Price> {
        if self.net.raw() >= 0 {
            self.cost.per_unit(self.net.abs())
        } else {
            self.cost.checked_neg()?.per_unit(self.net.abs())
        }
    }

    /// Unrealized PnL at `mark`: net × mark − cost basis.
    pub fn unrealized(&self, mark: Price) -> Money {
        // |net × mark| ≤ 2¹²⁶ and |cost| < 2¹²⁴: the difference fits.
        Money::from_raw(
            value_at(self.net, mark)
                .raw()
                .saturating_sub(self.cost.raw()),
        )
    }

    /// Realized plus unrealized PnL at `mark`, minus fees.
    pub fn total_pnl(&self, mark: Price) -> Money {
        // Below 2¹²⁶ + 3 × 2¹²⁴ < 2¹²⁷ in magnitude: no saturation occurs.
        Money::from_raw(
            self.realized
                .raw()
                .saturating_add(self.unrealized(mark).raw())
                .saturating_sub(self.fees.raw()),
        )
    }

    /// Applies a fill of `quantity` on `side` worth `cost` (quantity ×
    /// price, exact) with `fee`; see the module documentation for the
    /// accounting. On error the position is unchanged.
    pub fn apply_fill(
        &mut self,
        side: Side,
        quantity: Quantity,
        cost: Money,
        fee: Money,
    ) -> Result<(), PositionError> {
        *self = self.after_fill(side, quantity, cost, fee)?;
        Ok(())
    }

    /// The position after a fill, leaving `self` as it is.
    fn after_fill(
        &self,
        side: Side,
        quantity: Quantity,
        cost: Money,
        fee: Money,
    ) -> Result<Self, PositionError> {
        if quantity.is_zero() {
            return Err(PositionError::ZeroQuantity);
        }
        // The fill's signed value: what it adds to the cost basis.
        let flow = match side {
            Side::Buy => cost,
            Side::Sell => cost.checked_neg().ok_or(overflow("fill value"))?,
        };
        let net = self.net.raw();
        let new_net = self
            .net
            .checked_add(quantity.signed(side))
            .ok_or(overflow("net quantity"))?;
        let adds = net == 0 || (net > 0) == (side == Side::Buy);
        let (new_cost, realized) = if adds {
            let new_cost = self.cost.checked_add(flow).ok_or(overflow("cost basis"))?;
            (new_cost, Money::ZERO)
        } else {
            let open = net.unsigned_abs();
            let fill = quantity.raw().unsigned_abs();
            // `proceeds` is what the closing part of the fill brings in;
            // `released` the basis it closes.
            let (proceeds, released, new_cost) = if fill < open {
                let released = self
                    .cost
                    .mul_ratio(fill, open)
                    .ok_or(overflow("cost basis release"))?;
                let rest = self
                    .cost
                    .checked_sub(released)
                    .ok_or(overflow("cost basis"))?;
                (flow, released, rest)
            } else if fill == open {
                (flow, self.cost, Money::ZERO)
            } else {
                let closing = flow.mul_ratio(open, fill).ok_or(overflow("fill split"))?;
                let opening = flow.checked_sub(closing).ok_or(overflow("fill split"))?;
                (closing, self.cost, opening)
            };
            let realized = proceeds
                .checked_neg()
                .and_then(|gain| gain.checked_sub(released))
                .ok_or(overflow("realized PnL"))?;
            (new_cost, realized)
        };
        let next = Self {
            net: new_net,
            cost: new_cost,
            realized: self
                .realized
                .checked_add(realized)
                .ok_or(overflow("realized PnL"))?,
            fees: self.fees.checked_add(fee).ok_or(overflow("fees"))?,
            fills: self.fills.checked_add(1).ok_or(overflow("fill count"))?,
        };
        for (what, value) in [
            ("cost basis", next.cost),
            ("realized PnL", next.realized),
            ("fees", next.fees),
        ] {
            if value.raw().unsigned_abs() >= MONEY_BOUND {
                return Err(overflow(what));
            }
        }
        Ok(next)
    }
}

/// The totals of one instrument over every strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InstrumentTotals {
    net: NetQuantity,
    cost: Money,
    realized: Money,
    fees: Money,
}

impl InstrumentTotals {
    /// Net quantity over every strategy (what the venue account holds).
    pub const fn net(&self) -> NetQuantity {
        self.net
    }

    /// Σ cost basis over the strategies' positions.
    pub const fn cost_basis(&self) -> Money {
        self.cost
    }

    /// Σ realized PnL, before fees.
    pub const fn realized(&self) -> Money {
        self.realized
    }

    /// Σ fees.
    pub const fn fees(&self) -> Money {
        self.fees
    }

    /// Σ unrealized PnL at `mark`: net × mark − Σ cost basis; `None` on
    /// overflow.
    pub fn unrealized(&self, mark: Price) -> Option<Money> {
        value_at(self.net, mark).checked_sub(self.cost)
    }
}

/// The totals of one strategy over every instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StrategyTotals {
    realized: Money,
    fees: Money,
}

impl StrategyTotals {
    /// Σ realized PnL, before fees.
    pub const fn realized(&self) -> Money {
        self.realized
    }

    /// Σ fees.
    pub const fn fees(&self) -> Money {
        self.fees
    }
}

/// Every position, by (instrument, strategy), with running totals.
///
/// Iteration is in key order (instrument, then strategy), so reports and
/// replay comparisons are stable; two books are equal when they hold the
/// same positions (the totals follow from them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Positions {
    positions: BTreeMap<(InstrumentId, StrategyId), Position>,
    instruments: BTreeMap<InstrumentId, InstrumentTotals>,
    strategies: BTreeMap<StrategyId, StrategyTotals>,
    realized: Money,
    fees: Money,
}

impl Positions {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a fill to the position of (`instrument`, `strategy`) and to
    /// every total; see [`Position::apply_fill`]. On error nothing changes.
    pub fn apply_fill(
        &mut self,
        instrument: InstrumentId,
        strategy: StrategyId,
        side: Side,
        quantity: Quantity,
        cost: Money,
        fee: Money,
    ) -> Result<(), PositionError> {
        // One search per map: the slots found here are written at the end.
        let key = (instrument, strategy);
        let position_slot = self.positions.get_mut(&key);
        let old = position_slot.as_deref().copied().unwrap_or_default();
        let new = old.after_fill(side, quantity, cost, fee)?;
        let realized = new
            .realized
            .checked_sub(old.realized)
            .ok_or(overflow("realized PnL"))?;
        let fees = new.fees.checked_sub(old.fees).ok_or(overflow("fees"))?;
        let cost = new
            .cost
            .checked_sub(old.cost)
            .ok_or(overflow("cost basis"))?;

        let instrument_slot = self.instruments.get_mut(&instrument);
        let mut totals = instrument_slot.as_deref().copied().unwrap_or_default();
        totals.net = totals
            .net
            .checked_add(quantity.signed(side))
            .ok_or(overflow("instrument net quantity"))?;
        totals.cost = totals
            .cost
            .checked_add(cost)
            .ok_or(overflow("instrument cost basis"))?;
        totals.realized = totals
            .realized
            .checked_add(realized)
            .ok_or(overflow("instrument realized PnL"))?;
        totals.fees = totals
            .fees
            .checked_add(fees)
            .ok_or(overflow("instrument fees"))?;

        let strategy_slot = self.strategies.get_mut(&strategy);
        let mut by_strategy = strategy_slot.as_deref().copied().unwrap_or_default();
        by_strategy.realized = by_strategy
            .realized
            .checked_add(realized)
            .ok_or(overflow("strategy realized PnL"))?;
        by_strategy.fees = by_strategy
            .fees
            .checked_add(fees)
            .ok_or(overflow("strategy fees"))?;

        let total_realized = self
            .realized
            .checked_add(realized)
            .ok_or(overflow("total realized PnL"))?;
        let total_fees = self.fees.checked_add(fees).ok_or(overflow("total fees"))?;

        // Everything computed: commit.
        match position_slot {
            Some(slot) => *slot = new,
            None => {
                self.positions.insert(key, new);
            }
        }
        match instrument_slot {
            Some(slot) => *slot = totals,
            None => {
                self.instruments.insert(instrument, totals);
            }
        }
        match strategy_slot {
            Some(slot) => *slot = by_strategy,
            None => {
                self.strategies.insert(strategy, by_strategy);
            }
        }
        self.realized = total_realized;
        self.fees = total_fees;
        Ok(())
    }

    /// The position of (`instrument`, `strategy`), if it ever had a fill.
    pub fn position(&self, instrument: &InstrumentId, strategy: &StrategyId) -> Option<&Position> {
        self.positions.get(&(*instrument, *strategy))
    }

    /// Every position, by instrument then strategy.
    pub fn iter(&self) -> impl Iterator<Item = (&InstrumentId, &StrategyId, &Position)> {
        self.positions
            .iter()
            .map(|((instrument, strategy), position)| (instrument, strategy, position))
    }

    /// The totals of `instrument`, if it ever had a fill.
    pub fn instrument(&self, instrument: &InstrumentId) -> Option<&InstrumentTotals> {
        self.instruments.get(instrument)
    }

    /// Every instrument's totals, by instrument.
    pub fn instruments(&self) -> impl Iterator<Item = (&InstrumentId, &InstrumentTotals)> {
        self.instruments.iter()
    }

    /// The totals of `strategy`, if it ever had a fill.
    pub fn strategy(&self, strategy: &StrategyId) -> Option<&StrategyTotals> {
        self.strategies.get(strategy)
    }

    /// Every strategy's totals, by strategy.
    pub fn strategies(&self) -> impl Iterator<Item = (&StrategyId, &StrategyTotals)> {
        self.strategies.iter()
    }

    /// Net quantity of `instrument` over every strategy.
    pub fn instrument_net(&self, instrument: &InstrumentId) -> NetQuantity {
        self.instruments
            .get(instrument)
            .map_or(NetQuantity::ZERO, InstrumentTotals::net)
    }

    /// Net quantity of `strategy` in `instrument`.
    pub fn strategy_net(&self, instrument: &InstrumentId, strategy: &StrategyId) -> NetQuantity {
        self.position(instrument, strategy)
            .map_or(NetQuantity::ZERO, Position::net)
    }

    /// Σ realized PnL, before fees.
    pub const fn realized_total(&self) -> Money {
        self.realized
    }

    /// Σ fees.
    pub const fn fees_total(&self) -> Money {
        self.fees
    }

    /// Σ unrealized PnL at the marks `marks` gives. An instrument that is
    /// flat over all strategies needs no mark (its strategies' unrealized
    /// PnL cancels to minus its cost basis whatever the price); any other
    /// without one is [`PositionError::MissingMark`].
    pub fn unrealized_total(
        &self,
        marks: impl Fn(&InstrumentId) -> Option<Price>,
    ) -> Result<Money, PositionError> {
        let mut sum = Money::ZERO;
        for (instrument, totals) in &self.instruments {
            let unrealized = if totals.net.is_zero() {
                totals.cost.checked_neg()
            } else {
                totals.unrealized(mark(&marks, instrument)?)
            };
            sum = unrealized
                .and_then(|value| sum.checked_add(value))
                .ok_or(overflow("unrealized PnL"))?;
        }
        Ok(sum)
    }

    /// Σ unrealized PnL of `strategy`'s positions at the marks; a flat
    /// position needs no mark.
    pub fn strategy_unrealized(
        &self,
        strategy: &StrategyId,
        marks: impl Fn(&InstrumentId) -> Option<Price>,
    ) -> Result<Money, PositionError> {
        let mut sum = Money::ZERO;
        for ((instrument, owner), position) in &self.positions {
            if owner != strategy || position.is_flat() {
                continue;
            }
            let value = position.unrealized(mark(&marks, instrument)?);
            sum = sum.checked_add(value).ok_or(overflow("unrealized PnL"))?;
        }
        Ok(sum)
    }

    /// Σ |net × mark| over instruments, each netted over its strategies;
    /// flat instruments need no mark.
    pub fn gross_exposure(
        &self,
        marks: impl Fn(&InstrumentId) -> Option<Price>,
    ) -> Result<Money, PositionError> {
        self.exposure(marks, |net, mark| value_at(net, mark).abs())
    }

    /// Σ net × mark over instruments (long positive at positive prices);
    /// flat instruments need no mark.
    pub fn net_exposure(
        &self,
        marks: impl Fn(&InstrumentId) -> Option<Price>,
    ) -> Result<Money, PositionError> {
        self.exposure(marks, value_at)
    }

    fn exposure(
        &self,
        marks: impl Fn(&InstrumentId) -> Option<Price>,
        value: impl Fn(NetQuantity, Price) -> Money,
    ) -> Result<Money, PositionError> {
        let mut sum = Money::ZERO;
        for (instrument, totals) in &self.instruments {
            if totals.net.is_zero() {
                continue;
            }
            let mark = mark(&marks, instrument)?;
            sum = sum
                .checked_add(value(totals.net, mark))
                .ok_or(overflow("exposure"))?;
        }
        Ok(sum)
    }
}

/// `net × mark`, exact: two i64s multiply within an i128.
fn value_at(net: NetQuantity, mark: Price) -> Money {
    Money::from_raw(i128::from(net.raw()) * i128::from(mark.raw()))
}

fn mark(
    marks: &impl Fn(&InstrumentId) -> Option<Price>,
    instrument: &InstrumentId,
) -> Result<Price, PositionError> {
    marks(instrument).ok_or(PositionError::MissingMark {
        instrument: *instrument,
    })
}
