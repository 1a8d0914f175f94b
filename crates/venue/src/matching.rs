//! The matching rules, as pure functions over price levels (best first).
//!
//! - A **taker** (a marketable order) walks the opposite side from the
//!   best level while the level is within its limit (a market order has
//!   none), one fill per level at the level's price, until its size is
//!   done or the levels run out. What it takes is removed from the levels.
//! - A **resting** order keeps `queue_ahead`: the visible size at its
//!   price when it was placed (0 at a new level). A trade print at its
//!   price reduces the queue ahead by the print's size; what the print
//!   leaves over fills the order. A print through its price (below a
//!   bid, above an offer) fills it, up to the print's size, and means
//!   no queue is left ahead.
//! - A **stop** triggers when the reference price (a print, or the best
//!   opposite quote) is at or through its stop.

use model::{Price, Quantity, Side};
use sensory::Level;

/// One execution against one price level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fill {
    /// The execution price.
    pub(crate) price: Price,
    /// The executed size.
    pub(crate) quantity: Quantity,
}

/// True when a taker on `side` with `limit` (none for a market order) may
/// trade at `price`.
pub(crate) fn within_limit(side: Side, limit: Option<Price>, price: Price) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(limit)) => price <= limit,
        (Side::Sell, Some(limit)) => price >= limit,
    }
}

/// The size a taker on `side` could trade within `limit` against
/// `levels` (the opposite side, best first).
pub(crate) fn available(levels: &[Level], side: Side, limit: Option<Price>) -> Quantity {
    levels
        .iter()
        .take_while(|level| within_limit(side, limit, level.price))
        .fold(Quantity::ZERO, |sum, level| {
            sum.checked_add(level.size)
                .unwrap_or(Quantity::from_raw(i64::MAX).unwrap_or(Quantity::ZERO))
        })
}

/// Takes up to `want` for a taker on `side` within `limit` from `levels`
/// (the opposite side, best first): one fill per level at its price.
/// Emptied levels are removed, a partly taken one keeps the rest.
pub(crate) fn take(
    levels: &mut Vec<Level>,
    side: Side,
    limit: Option<Price>,
    want: Quantity,
) -> Vec<Fill> {
    let mut fills = Vec::new();
    let mut left = want;
    let mut emptied = 0;
    for level in levels.iter_mut() {
        if left.is_zero() || !within_limit(side, limit, level.price) {
            break;
        }
        let quantity = left.min(level.size);
        if !quantity.is_zero() {
            fills.push(Fill {
                price: level.price,
                quantity,
            });
        }
        left = left.saturating_sub(quantity);
        level.size = level.size.saturating_sub(quantity);
        if level.size.is_zero() {
            emptied += 1;
        } else {
            break;
        }
    }
    levels.drain(..emptied);
    fills
}

/// True when a stop on `side` at `stop` triggers at `reference`: a buy
/// stop at or above it, a sell stop at or below.
pub(crate) fn stop_triggered(side: Side, stop: Price, reference: Price) -> bool {
    match side {
        Side::Buy => reference >= stop,
        Side::Sell => reference <= stop,
    }
}

/// What a trade print does to a resting order on `side` at `limit` with
/// `queue_ahead` in front of it: the new queue ahead and the size the
/// print can fill (before capping by the order's leaves).
pub(crate) fn print_against_resting(
    side: Side,
    limit: Price,
    queue_ahead: Quantity,
    print_price: Price,
    print_size: Quantity,
) -> (Quantity, Quantity) {
    let through = match side {
        Side::Buy => print_price < limit,
        Side::Sell => print_price > limit,
    };
    if through {
        return (Quantity::ZERO, print_size);
    }
    if print_price != limit {
        return (queue_ahead, Quantity::ZERO);
    }
    match queue_ahead.checked_sub(print_size) {
        Some(still_ahead) => (still_ahead, Quantity::ZERO),
        None => (Quantity::ZERO, print_size.saturating_sub(queue_ahead)),
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

    fn level(price: &str, size: &str) -> Level {
        Level {
            price: px(price),
            size: qty(size),
        }
    }

    #[test]
    fn take_walks_levels_within_the_limit_and_consumes_them() {
        let mut asks = vec![level("100", "1"), level("101", "2"), level("102", "5")];
        let fills = take(&mut asks, Side::Buy, Some(px("101")), qty("10"));
        assert_eq!(
            fills,
            vec![
                Fill {
                    price: px("100"),
                    quantity: qty("1")
                },
                Fill {
                    price: px("101"),
                    quantity: qty("2")
                }
            ]
        );
        assert_eq!(asks, vec![level("102", "5")]);
        let fills = take(&mut asks, Side::Buy, None, qty("3"));
        assert_eq!(fills.len(), 1);
        assert_eq!(asks, vec![level("102", "2")]);
        assert_eq!(available(&asks, Side::Buy, Some(px("101"))), Quantity::ZERO);
        assert_eq!(available(&asks, Side::Buy, None), qty("2"));
    }

    #[test]
    fn prints_consume_the_queue_then_fill() {
        let limit = px("100");
        // 5 ahead, a print of 3 at the price: 2 left ahead, nothing filled.
        assert_eq!(
            print_against_resting(Side::Buy, limit, qty("5"), limit, qty("3")),
            (qty("2"), Quantity::ZERO)
        );
        // 2 ahead, a print of 3: the excess 1 fills.
        assert_eq!(
            print_against_resting(Side::Buy, limit, qty("2"), limit, qty("3")),
            (Quantity::ZERO, qty("1"))
        );
        // Through the price: the print's size fills, the queue is gone.
        assert_eq!(
            print_against_resting(Side::Buy, limit, qty("9"), px("99"), qty("4")),
            (Quantity::ZERO, qty("4"))
        );
        // Above a bid: no effect.
        assert_eq!(
            print_against_resting(Side::Buy, limit, qty("9"), px("101"), qty("4")),
            (qty("9"), Quantity::ZERO)
        );
        assert_eq!(
            print_against_resting(Side::Sell, limit, qty("1"), px("101"), qty("4")),
            (Quantity::ZERO, qty("4"))
        );
        assert!(stop_triggered(Side::Buy, limit, limit));
        assert!(!stop_triggered(Side::Buy, limit, px("99")));
        assert!(stop_triggered(Side::Sell, limit, px("99")));
    }
}
