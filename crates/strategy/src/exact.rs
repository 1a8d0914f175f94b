//! Exact rounding of prices and sizes to an instrument's grid, and the one
//! place where a statistic (`f64`) becomes a whole number of ticks.

use model::{NetQuantity, Price, Quantity};

const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// The largest multiple of `tick` at or below `price` (`price` itself for
/// a non-positive tick).
pub fn floor_to_tick(price: Price, tick: Price) -> Price {
    if tick.raw() <= 0 {
        return price;
    }
    Price::from_raw(price.raw().div_euclid(tick.raw()) * tick.raw())
}

/// The smallest multiple of `tick` at or above `price`.
pub fn ceil_to_tick(price: Price, tick: Price) -> Price {
    let floor = floor_to_tick(price, tick);
    if floor == price {
        price
    } else {
        Price::from_raw(floor.raw().saturating_add(tick.raw()))
    }
}

/// The largest multiple of `lot` at or below `quantity`.
pub fn floor_to_lot(quantity: Quantity, lot: Quantity) -> Quantity {
    if lot.is_zero() {
        return quantity;
    }
    Quantity::from_raw(quantity.raw() / lot.raw() * lot.raw()).unwrap_or(Quantity::ZERO)
}

/// `ticks × tick`, or `None` on overflow.
pub fn ticks(count: i64, tick: Price) -> Option<Price> {
    count.checked_mul(tick.raw()).map(Price::from_raw)
}

/// The number of ticks that covers `value` (a price distance computed from
/// statistics), rounded up; `None` when `value` is not a finite,
/// non-negative number or the tick is not positive.
pub fn ticks_covering(value: f64, tick: Price) -> Option<i64> {
    if !value.is_finite() || value < 0.0 || tick.raw() <= 0 {
        return None;
    }
    let count = (value / to_f64(tick)).ceil();
    // Beyond 2⁵³ ticks the quote would be absurd anyway.
    (count <= 9.0e15).then_some(count as i64)
}

/// `quantity × per_unit`, truncated toward zero at 10⁻⁹ (inventory skew).
pub fn scale_price(quantity: NetQuantity, per_unit: Price) -> Option<Price> {
    let product = i128::from(quantity.raw()) * i128::from(per_unit.raw()) / NANOS_PER_UNIT;
    i64::try_from(product).ok().map(Price::from_raw)
}

/// The price as a float, for comparison with statistics only.
pub fn to_f64(price: Price) -> f64 {
    price.raw() as f64 / 1e9
}

/// The quantity's long part: `position` when above zero, else zero.
pub fn long_part(position: NetQuantity) -> Quantity {
    Quantity::from_raw(position.raw().max(0)).unwrap_or(Quantity::ZERO)
}

/// `position + buys − sells` as a net quantity, saturating.
pub fn projected(position: NetQuantity, buys: Quantity, sells: Quantity) -> NetQuantity {
    NetQuantity::from_raw(
        position
            .raw()
            .saturating_add(buys.raw())
            .saturating_sub(sells.raw()),
    )
}

/// How much more can be bought before `projected` reaches `cap`, and how
/// much can be sold before it reaches `−floor`.
pub fn room(projected: NetQuantity, cap: Quantity, floor: Quantity) -> (Quantity, Quantity) {
    let buy = cap.raw().saturating_sub(projected.raw()).max(0);
    let sell = projected.raw().saturating_add(floor.raw()).max(0);
    (
        Quantity::from_raw(buy).unwrap_or(Quantity::ZERO),
        Quantity::from_raw(sell).unwrap_or(Quantity::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(text: &str) -> Price {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn rounds_to_the_grid_in_the_asked_direction() {
        let tick = px("0.01");
        assert_eq!(floor_to_tick(px("0.537"), tick), px("0.53"));
        assert_eq!(ceil_to_tick(px("0.531"), tick), px("0.54"));
        assert_eq!(ceil_to_tick(px("0.53"), tick), px("0.53"));
        assert_eq!(floor_to_tick(px("-0.001"), tick), px("-0.01"));
        assert_eq!(ticks_covering(0.0250001, tick), Some(3));
        assert_eq!(ticks_covering(f64::NAN, tick), None);
        let q = |t: &str| t.parse::<Quantity>().unwrap_or_default();
        assert_eq!(floor_to_lot(q("17.5"), q("5")), q("15"));
        assert_eq!(
            scale_price(NetQuantity::from_raw(-3_000_000_000), px("0.002")),
            Some(px("-0.006"))
        );
        assert_eq!(
            room(NetQuantity::from_raw(2_000_000_000), q("5"), q("0")),
            (q("3"), q("2"))
        );
    }
}
