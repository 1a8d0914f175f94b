//! Positions from the simulated fills, for PositionReports.
//!
//! Netting ([`Positions`]): one position per instrument. Hedged
//! ([`HedgedPositions`]): one per position id, each order opening its own
//! unless it names one (PosMaintRptID 721). Within a position the rule is
//! the same: A fill in the position's
//! direction (or from flat) adds its notional to the cost basis; a fill
//! against it closes size in proportion, taking out the same share of the
//! cost basis (exactly, with [`Money::mul_ratio`]), and any excess opens
//! the other way at the fill's price. The average entry price reported is
//! cost basis over size, truncated.

use std::collections::BTreeMap;

use model::{InstrumentId, Money, NetQuantity, Price, Quantity, Side, VenueSymbol};

/// One instrument's net position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) symbol: VenueSymbol,
    pub(crate) net: NetQuantity,
    /// Cost of the open size (always for its absolute size).
    pub(crate) cost: Money,
}

impl Position {
    /// Applies one fill: adds in the position's direction, closes in
    /// proportion against it, and opens the excess the other way.
    pub(crate) fn apply(&mut self, side: Side, price: Price, quantity: Quantity) {
        let signed = quantity.signed(side);
        let opposing =
            (self.net.raw() > 0 && side == Side::Sell) || (self.net.raw() < 0 && side == Side::Buy);
        if !opposing {
            self.net = self.net.checked_add(signed).unwrap_or(self.net);
            self.cost = self
                .cost
                .checked_add(price.notional(quantity))
                .unwrap_or(self.cost);
            return;
        }
        let open = self.net.abs();
        let closing = quantity.min(open);
        let remaining_open = open.saturating_sub(closing);
        // Keep the share of the cost basis that stays open.
        self.cost = self
            .cost
            .mul_ratio(
                remaining_open.raw().unsigned_abs(),
                open.raw().unsigned_abs(),
            )
            .unwrap_or(Money::ZERO);
        let opened = quantity.saturating_sub(closing);
        if remaining_open.is_zero() {
            self.net = opened.signed(side);
            self.cost = price.notional(opened);
        } else {
            self.net = remaining_open.signed(side.opposite());
        }
    }

    /// Average entry price of the open size.
    pub(crate) fn average_price(&self) -> Option<Price> {
        self.cost.abs().per_unit(self.net.abs())
    }
}

/// Positions by instrument, in instrument order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Positions {
    by_instrument: BTreeMap<InstrumentId, Position>,
}

impl Positions {
    /// Applies one fill.
    pub(crate) fn apply(
        &mut self,
        instrument: InstrumentId,
        symbol: VenueSymbol,
        side: Side,
        price: Price,
        quantity: Quantity,
    ) {
        self.by_instrument
            .entry(instrument)
            .or_insert(Position {
                symbol,
                net: NetQuantity::ZERO,
                cost: Money::ZERO,
            })
            .apply(side, price, quantity);
    }

    /// The position in `instrument`, flat or not, if it ever traded.
    pub(crate) fn get(&self, instrument: &InstrumentId) -> Option<&Position> {
        self.by_instrument.get(instrument)
    }

    /// Open positions (flat ones left out), in instrument order.
    pub(crate) fn open(&self) -> impl Iterator<Item = &Position> {
        self.by_instrument
            .values()
            .filter(|position| !position.net.is_zero())
    }
}

/// A hedged account's positions, by position id (PosMaintRptID 721).
#[derive(Clone, Debug, Default)]
pub(crate) struct HedgedPositions {
    by_id: BTreeMap<u64, (InstrumentId, Position)>,
}

impl HedgedPositions {
    /// Applies one fill to position `id` (opened by this fill if new).
    pub(crate) fn apply(
        &mut self,
        id: u64,
        instrument: InstrumentId,
        symbol: VenueSymbol,
        side: Side,
        price: Price,
        quantity: Quantity,
    ) {
        self.by_id
            .entry(id)
            .or_insert((
                instrument,
                Position {
                    symbol,
                    net: NetQuantity::ZERO,
                    cost: Money::ZERO,
                },
            ))
            .1
            .apply(side, price, quantity);
    }

    /// Position `id`'s instrument, when it is open.
    pub(crate) fn open_instrument(&self, id: u64) -> Option<InstrumentId> {
        self.by_id
            .get(&id)
            .filter(|(_, position)| !position.net.is_zero())
            .map(|(instrument, _)| *instrument)
    }

    /// Open positions with their ids, in id order.
    pub(crate) fn open(&self) -> impl Iterator<Item = (u64, &Position)> {
        self.by_id
            .iter()
            .filter(|(_, (_, position))| !position.net.is_zero())
            .map(|(id, (_, position))| (*id, position))
    }

    /// The sum of the open positions in `instrument`.
    pub(crate) fn net(&self, instrument: &InstrumentId) -> NetQuantity {
        self.by_id
            .values()
            .filter(|(held, _)| held == instrument)
            .fold(NetQuantity::ZERO, |sum, (_, position)| {
                sum.checked_add(position.net).unwrap_or(sum)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(text: &str) -> Price {
        text.parse().unwrap()
    }

    fn qty(text: &str) -> Quantity {
        text.parse().unwrap()
    }

    #[test]
    fn nets_closes_in_proportion_and_flips() {
        let id: InstrumentId = "XYZ".parse().unwrap();
        let symbol: VenueSymbol = "XYZ".parse().unwrap();
        let mut positions = Positions::default();
        positions.apply(id, symbol, Side::Buy, px("10"), qty("1"));
        positions.apply(id, symbol, Side::Buy, px("13"), qty("2"));
        let position = *positions.open().next().unwrap();
        // (10 + 26) / 3 = 12.
        assert_eq!(position.net, NetQuantity::from_raw(3_000_000_000));
        assert_eq!(position.average_price(), Some(px("12")));
        // Closing 1 keeps 2/3 of the cost: 24, still 12 each.
        positions.apply(id, symbol, Side::Sell, px("20"), qty("1"));
        let position = *positions.open().next().unwrap();
        assert_eq!(position.cost, "24".parse().unwrap());
        // Selling 5 closes 2 and opens 3 short at 9.
        positions.apply(id, symbol, Side::Sell, px("9"), qty("5"));
        let position = *positions.open().next().unwrap();
        assert_eq!(position.net, NetQuantity::from_raw(-3_000_000_000));
        assert_eq!(position.average_price(), Some(px("9")));
        // Buying 3 back: flat, and flat positions are not listed.
        positions.apply(id, symbol, Side::Buy, px("8"), qty("3"));
        assert_eq!(positions.open().count(), 0);
    }
}
