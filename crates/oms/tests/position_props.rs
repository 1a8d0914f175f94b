//! Property tests of positions and the book, over random fill sequences
//! (both sides, flips, round trips, negative prices, fill values that are
//! not quantity × a Price as average-price venues report them, fees and
//! rebates).
//!
//! Invariants:
//! - a position's net quantity is the sum of its signed fills;
//! - `realized + unrealized(mark) − fees = Σ sell values − Σ buy values +
//!   net × mark − Σ fees`, exactly, after every fill and at any mark (the
//!   rounding of proportional releases moves value between realized and
//!   unrealized PnL, never creates any);
//! - whenever a position is flat, its cost basis is zero and its realized
//!   PnL is exactly the cash difference;
//! - a partial close releases the exact proportion of the basis within
//!   half a unit of 10⁻¹⁸;
//! - the book's per-instrument, per-strategy and overall totals equal the
//!   sums over its positions, and so do its unrealized PnL and exposures.

#![allow(clippy::unwrap_used, reason = "test code")]

use model::{InstrumentId, Money, Price, Quantity, Side, StrategyId};
use oms::position::{Position, Positions};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Fill {
    side: Side,
    quantity: Quantity,
    value: Money,
    fee: Money,
}

/// A fill of up to 10⁶ units at a price of −10 to 1000 (nine fractional
/// digits), or with a value off that product by up to a unit of 10⁻¹², as
/// an average-price delta can be.
fn fill() -> impl Strategy<Value = Fill> {
    (
        prop_oneof![Just(Side::Buy), Just(Side::Sell)],
        // Small quantities make closes and flips common; large ones check
        // the arithmetic at realistic sizes.
        prop_oneof![1i64..20, 1i64..1_000_000_000_000_000],
        -10_000_000_000i64..1_000_000_000_000,
        prop_oneof![Just(0i128), -1_000_000i128..1_000_000],
        -1_000_000_000_000_000i128..10_000_000_000_000_000,
    )
        .prop_map(|(side, quantity, price, jitter, fee)| {
            let quantity = Quantity::from_raw(quantity).unwrap();
            let value = Price::from_raw(price).notional(quantity);
            Fill {
                side,
                quantity,
                value: Money::from_raw(value.raw() + jitter),
                fee: Money::from_raw(fee),
            }
        })
}

fn signed(side: Side, raw: i128) -> i128 {
    match side {
        Side::Buy => raw,
        Side::Sell => -raw,
    }
}

proptest! {
    #[test]
    fn pnl_identity_holds_exactly_after_every_fill(
        fills in proptest::collection::vec(fill(), 1..40),
        mark in -10_000_000_000i64..1_000_000_000_000,
    ) {
        let mark = Price::from_raw(mark);
        let mut position = Position::new();
        let (mut net, mut cash, mut fees) = (0i128, 0i128, 0i128);
        for fill in &fills {
            let before = position;
            position.apply_fill(fill.side, fill.quantity, fill.value, fill.fee).unwrap();
            net += signed(fill.side, i128::from(fill.quantity.raw()));
            // Cash: sells bring their value in, buys pay theirs.
            cash -= signed(fill.side, fill.value.raw());
            fees += fill.fee.raw();

            prop_assert_eq!(i128::from(position.net().raw()), net);
            prop_assert_eq!(position.fees().raw(), fees);
            let lhs = position.realized().raw() + position.unrealized(mark).raw();
            prop_assert_eq!(lhs, cash + net * i128::from(mark.raw()));
            prop_assert_eq!(
                position.total_pnl(mark).raw(),
                cash + net * i128::from(mark.raw()) - fees
            );
            if net == 0 {
                prop_assert_eq!(position.cost_basis(), Money::ZERO);
                prop_assert_eq!(position.realized().raw(), cash);
            }

            // A partial close (same sign, smaller) releases q/|net| of the
            // basis, within half a unit.
            let (old, new) = (i128::from(before.net().raw()), net);
            let closing = old != 0 && signed(fill.side, 1) != old.signum();
            if closing && new != 0 && new.signum() == old.signum() {
                let released = before.cost_basis().raw() - position.cost_basis().raw();
                let q = i128::from(fill.quantity.raw());
                // Checked in i128 where it fits (small and mid sizes).
                let error = before.cost_basis().raw().checked_mul(q).and_then(|exact| {
                    released.checked_mul(old.abs())?.checked_sub(exact)?.checked_mul(2)
                });
                if let Some(error) = error {
                    prop_assert!(error.abs() <= old.abs(), "released {} of {}", released, before.cost_basis());
                }
            }
        }
    }

    #[test]
    fn book_totals_equal_sums_over_positions(
        fills in proptest::collection::vec((0usize..3, 0usize..3, fill()), 1..60),
        marks in proptest::collection::vec(-10_000_000_000i64..1_000_000_000_000, 3),
    ) {
        let instruments: Vec<InstrumentId> =
            ["A", "B", "C"].iter().map(|n| InstrumentId::new(n).unwrap()).collect();
        let strategies: Vec<StrategyId> =
            ["x", "y", "z"].iter().map(|n| StrategyId::new(n).unwrap()).collect();
        let mut book = Positions::new();
        let mut alone = vec![Position::new(); 9];
        for (i, s, fill) in &fills {
            book.apply_fill(instruments[*i], strategies[*s], fill.side, fill.quantity, fill.value, fill.fee)
                .unwrap();
            alone[i * 3 + s].apply_fill(fill.side, fill.quantity, fill.value, fill.fee).unwrap();
        }
        let mark_of = |id: &InstrumentId| {
            instruments.iter().position(|i| i == id).map(|k| Price::from_raw(marks[k]))
        };

        let (mut realized, mut fees, mut unrealized, mut gross, mut net_exposure) =
            (0i128, 0i128, 0i128, 0i128, 0i128);
        for (i, instrument) in instruments.iter().enumerate() {
            let mark = Price::from_raw(marks[i]);
            let mut net = 0i128;
            for (s, strategy) in strategies.iter().enumerate() {
                let position = alone[i * 3 + s];
                let booked = book.position(instrument, strategy).copied().unwrap_or_default();
                prop_assert_eq!(booked, position);
                prop_assert_eq!(book.strategy_net(instrument, strategy), position.net());
                net += i128::from(position.net().raw());
                realized += position.realized().raw();
                fees += position.fees().raw();
                unrealized += position.unrealized(mark).raw();
            }
            prop_assert_eq!(i128::from(book.instrument_net(instrument).raw()), net);
            gross += (net * i128::from(mark.raw())).abs();
            net_exposure += net * i128::from(mark.raw());
        }
        for (s, strategy) in strategies.iter().enumerate() {
            let sum = |f: fn(&Position) -> Money| (0..3).map(|i| f(&alone[i * 3 + s]).raw()).sum::<i128>();
            if let Some(totals) = book.strategy(strategy) {
                prop_assert_eq!(totals.realized().raw(), sum(Position::realized));
                prop_assert_eq!(totals.fees().raw(), sum(Position::fees));
            } else {
                prop_assert_eq!(sum(|p| Money::from_raw(i128::from(p.fill_count()))), 0);
            }
        }
        prop_assert_eq!(book.realized_total().raw(), realized);
        prop_assert_eq!(book.fees_total().raw(), fees);
        prop_assert_eq!(book.unrealized_total(mark_of).unwrap().raw(), unrealized);
        prop_assert_eq!(book.gross_exposure(mark_of).unwrap().raw(), gross);
        prop_assert_eq!(book.net_exposure(mark_of).unwrap().raw(), net_exposure);
    }
}
