//! WHAT: the price and volume structure of the book, recomputed from the
//! book after every event.
//!
//! Definitions (prices exact at 10⁻⁹, rounded half to even where a
//! division is involved; sizes exact):
//! - `mid = (bid + ask) / 2`; `spread = ask − bid`;
//!   `spread_bps = spread / mid · 10⁴` (`None` unless mid > 0);
//! - `microprice = (bid·ask_size + ask·bid_size) / (bid_size + ask_size)`;
//! - `imbalance = (B − A) / (B + A)` with B and A the bid and ask volume
//!   of the top N levels;
//! - depth: volume of the bid levels priced ≥ mid − k·tick and of the ask
//!   levels priced ≤ mid + k·tick;
//! - wall: the largest top-N level of a side (the one nearest the top on a
//!   tie) when size ≥ wall% · median top-N size; pocket: the top-N level
//!   nearest the top with size < pocket% · median. With an even count the
//!   median is the mean of the two middle sizes.
//!
//! Size-based values are `None` (depth zero) when the book's sizes are not
//! known (quotes without sizes).

use model::{BookSide, Price, Quantity};

use crate::book::OrderBook;
use crate::config::{FeatureParams, MAX_TOP_LEVELS};
use crate::features::{Level, WhatFeatures};
use crate::math::{bps, div_round_half_even, div_round_half_even_near, i128_to_f64};

/// The WHAT features of `book`, from scratch: the definition that the
/// engine, which reuses each side's part while the side is unchanged, must
/// match (its tests compare the two after every event).
#[cfg(test)]
pub(crate) fn compute(book: &OrderBook, tick: Price, params: &FeatureParams) -> WhatFeatures {
    let mut what = WhatFeatures::default();
    top_of_book(book, &mut what);
    if book.sizes_known() {
        let (mut bids, mut asks) = (SideWhat::default(), SideWhat::default());
        side(
            book.bids(),
            BookSide::Bid,
            what.mid,
            tick,
            params,
            &mut bids,
        );
        side(
            book.asks(),
            BookSide::Ask,
            what.mid,
            tick,
            params,
            &mut asks,
        );
        add_sides(&mut what, &bids, &asks);
    }
    what
}

/// What one side of the book contributes to the WHAT features; it depends
/// only on that side's levels, the mid and the configuration, so the
/// engine reuses it while those stay the same.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SideWhat {
    /// Volume of the top N levels.
    volume: i128,
    depth: Quantity,
    wall: Option<Level>,
    pocket: Option<Level>,
}

/// The values that need only the best levels: prices, mid, spread,
/// microprice (without the size-based ones when sizes are unknown),
/// written over `what` (in place: returned, its 240 bytes were copied).
pub(crate) fn top_of_book(book: &OrderBook, what: &mut WhatFeatures) {
    let best_bid = book.best_bid();
    let best_ask = book.best_ask();
    *what = WhatFeatures {
        best_bid,
        best_ask,
        ..WhatFeatures::default()
    };
    if let (Some(bid), Some(ask)) = (best_bid, best_ask) {
        what.mid = mid(bid.price, ask.price);
        what.spread = ask.price.checked_sub(bid.price);
        if let (Some(spread), Some(mid)) = (what.spread, what.mid) {
            what.spread_bps = bps(spread.raw(), mid.raw());
        }
        if book.sizes_known() {
            what.microprice = microprice(bid, ask);
        }
    }
}

/// `side`'s part of the size-based values from its `levels` (best first,
/// sizes known), with `mid` from [`top_of_book`], written into `what`; and
/// how many levels, from the best, it looked at (the value depends on
/// nothing further).
pub(crate) fn side(
    levels: &[Level],
    side: BookSide,
    mid: Option<Price>,
    tick: Price,
    params: &FeatureParams,
    what: &mut SideWhat,
) -> usize {
    let top = &levels[..levels.len().min(params.top_levels.min(MAX_TOP_LEVELS))];
    let (depth, depth_read) = mid.map_or((0, 0), |mid| {
        let reach = i128::from(tick.raw()) * i128::from(params.depth_ticks);
        match side {
            BookSide::Bid => {
                let floor = i128::from(mid.raw()) - reach;
                volume_while(levels, |p| i128::from(p) >= floor)
            }
            BookSide::Ask => {
                let ceiling = i128::from(mid.raw()) + reach;
                volume_while(levels, |p| i128::from(p) <= ceiling)
            }
        }
    });
    let (wall, pocket) = walls_and_pockets(top, params);
    *what = SideWhat {
        volume: volume(top),
        depth: saturate(depth),
        wall,
        pocket,
    };
    top.len().max(depth_read)
}

/// Completes `what` (from [`top_of_book`]) with the two sides' parts.
pub(crate) fn add_sides(what: &mut WhatFeatures, bids: &SideWhat, asks: &SideWhat) {
    let total = bids.volume + asks.volume;
    if total > 0 {
        what.imbalance = Some(i128_to_f64(bids.volume - asks.volume) / i128_to_f64(total));
    }
    what.bid_depth = bids.depth;
    what.ask_depth = asks.depth;
    (what.bid_wall, what.bid_pocket) = (bids.wall, bids.pocket);
    (what.ask_wall, what.ask_pocket) = (asks.wall, asks.pocket);
}

/// (bid + ask) / 2, rounded half to even at 10⁻⁹.
pub(crate) fn mid(bid: Price, ask: Price) -> Option<Price> {
    div_round_half_even(i128::from(bid.raw()) + i128::from(ask.raw()), 2).map(Price::from_raw)
}

fn microprice(bid: Level, ask: Level) -> Option<Price> {
    let bid_size = i128::from(bid.size.raw());
    let ask_size = i128::from(ask.size.raw());
    let weighted = (i128::from(bid.price.raw()) * ask_size)
        .checked_add(i128::from(ask.price.raw()) * bid_size)?;
    // The microprice lies between the bid and the ask.
    div_round_half_even_near(weighted, bid_size + ask_size, bid.price.raw()).map(Price::from_raw)
}

fn volume(levels: &[Level]) -> i128 {
    levels
        .iter()
        .map(|level| i128::from(level.size.raw()))
        .sum()
}

/// The volume of the levels before the first one priced outside, and how
/// many levels that looked at (the first one outside included).
fn volume_while(levels: &[Level], inside: impl Fn(i64) -> bool) -> (i128, usize) {
    let taken = levels
        .iter()
        .take_while(|level| inside(level.price.raw()))
        .count();
    let volume = levels[..taken]
        .iter()
        .map(|level| i128::from(level.size.raw()))
        .sum();
    (volume, (taken + 1).min(levels.len()))
}

fn saturate(volume: i128) -> Quantity {
    Quantity::from_raw(i64::try_from(volume).unwrap_or(i64::MAX)).unwrap_or(Quantity::ZERO)
}

/// Twice the median size of `levels` (at most `N`), exact: the sum of the
/// two middle sizes (the same one for an odd count).
fn median_size_twice<const N: usize>(levels: &[Level]) -> i128 {
    // Sorting a copy on the stack keeps the event path allocation-free.
    let mut sizes = [0i64; N];
    for (slot, level) in sizes.iter_mut().zip(levels) {
        *slot = level.size.raw();
    }
    let sizes = &mut sizes[..levels.len()];
    sizes.sort_unstable();
    let n = sizes.len();
    i128::from(sizes[(n - 1) / 2]) + i128::from(sizes[n / 2])
}

/// The wall and the pocket among `levels` (a side's top N, best first).
fn walls_and_pockets(levels: &[Level], params: &FeatureParams) -> (Option<Level>, Option<Level>) {
    if levels.is_empty() {
        return (None, None);
    }
    // The usual N (10) needs a quarter of the largest buffer, which is
    // cleared on every call.
    let median_twice = if levels.len() <= MAX_TOP_LEVELS / 4 {
        median_size_twice::<{ MAX_TOP_LEVELS / 4 }>(levels)
    } else {
        median_size_twice::<MAX_TOP_LEVELS>(levels)
    };
    // size ≥ f/100 · median  ⇔  200 · size ≥ f · 2·median.
    let scaled = |level: &Level| 200 * i128::from(level.size.raw());
    let largest = levels.iter().fold(levels[0], |best, level| {
        if level.size > best.size { *level } else { best }
    });
    let wall = (scaled(&largest) >= i128::from(params.wall_factor_percent) * median_twice)
        .then_some(largest);
    let pocket = levels
        .iter()
        .find(|level| scaled(level) < i128::from(params.pocket_factor_percent) * median_twice)
        .copied();
    (wall, pocket)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use model::{BookSnapshot, MarketHeader, Timestamp};

    use super::*;

    fn px(text: &str) -> Price {
        text.parse().unwrap()
    }

    fn qty(text: &str) -> Quantity {
        text.parse().unwrap()
    }

    fn header() -> MarketHeader {
        MarketHeader {
            instrument: "T".parse().unwrap(),
            sequence: None,
            exchange_time: None,
            receive_time: Timestamp::UNIX_EPOCH,
        }
    }

    fn book(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> OrderBook {
        let level = |&(p, q): &(&str, &str)| model::BookEntry {
            price: px(p),
            size: qty(q),
            entry_id: None,
        };
        let mut book = OrderBook::new(64, 64);
        book.apply_snapshot(&BookSnapshot {
            header: header(),
            bids: bids.iter().map(level).collect(),
            asks: asks.iter().map(level).collect(),
        });
        book
    }

    fn params() -> FeatureParams {
        FeatureParams {
            top_levels: 3,
            depth_ticks: 2,
            wall_factor_percent: 300,
            pocket_factor_percent: 25,
            ..FeatureParams::default()
        }
    }

    #[test]
    fn top_of_book_values_are_exact() {
        let book = book(
            &[("100.00", "3"), ("99.99", "1")],
            &[("100.02", "1"), ("100.03", "4")],
        );
        let what = compute(&book, px("0.01"), &params());
        assert_eq!(what.mid, Some(px("100.01"))); // (100.00 + 100.02) / 2
        assert_eq!(what.spread, Some(px("0.02")));
        // 0.02 / 100.01 · 10⁴ = 1.99980001999800…
        assert!((what.spread_bps.unwrap() - 1.999_800_019_998).abs() < 1e-9);
        // (100.00·1 + 100.02·3) / (3 + 1) = 400.06 / 4 = 100.015
        assert_eq!(what.microprice, Some(px("100.015")));
        // top 3: B = 3 + 1 = 4, A = 1 + 4 = 5 → (4 − 5) / 9
        assert_eq!(what.imbalance, Some(-1.0 / 9.0));
    }

    #[test]
    fn mid_and_microprice_round_half_to_even() {
        // (1.000000001 + 1.000000002) / 2 = 1.0000000015 → 1.000000002 (even)
        assert_eq!(
            mid(px("1.000000001"), px("1.000000002")),
            Some(px("1.000000002"))
        );
        // (1.000000002 + 1.000000003) / 2 = 1.0000000025 → 1.000000002 (even)
        assert_eq!(
            mid(px("1.000000002"), px("1.000000003")),
            Some(px("1.000000002"))
        );
        // bid 1 × ask size 2, ask 1.000000001 × bid size 1: (2 + 1.000000001) / 3
        // = 1.000000000333… → 1.000000000
        let book = book(&[("1", "1")], &[("1.000000001", "2")]);
        assert_eq!(
            compute(&book, px("0.000000001"), &params()).microprice,
            Some(px("1"))
        );
    }

    #[test]
    fn depth_counts_levels_within_k_ticks_of_the_mid() {
        // mid 100.01, k = 2 ticks of 0.01: bids ≥ 99.99, asks ≤ 100.03.
        let book = book(
            &[("100.00", "3"), ("99.99", "1"), ("99.98", "7")],
            &[("100.02", "1"), ("100.03", "4"), ("100.04", "9")],
        );
        let what = compute(&book, px("0.01"), &params());
        assert_eq!(what.bid_depth, qty("4")); // 3 + 1
        assert_eq!(what.ask_depth, qty("5")); // 1 + 4
    }

    #[test]
    fn walls_and_pockets_against_the_median() {
        // Bids top 3 sizes 2, 10, 3: median 3; wall needs ≥ 9 → 10 at 99.99;
        // pocket needs < 0.75 → none.
        // Asks top 3 sizes 4, 0.5, 4: median 4; wall needs ≥ 12 → none;
        // pocket needs < 1 → 0.5 at 100.03. The 4th ask (size 100) is
        // outside the top 3 and ignored.
        let book = book(
            &[("100.00", "2"), ("99.99", "10"), ("99.98", "3")],
            &[
                ("100.02", "4"),
                ("100.03", "0.5"),
                ("100.04", "4"),
                ("100.05", "100"),
            ],
        );
        let what = compute(&book, px("0.01"), &params());
        assert_eq!(
            what.bid_wall,
            Some(Level {
                price: px("99.99"),
                size: qty("10")
            })
        );
        assert_eq!(what.bid_pocket, None);
        assert_eq!(what.ask_wall, None);
        assert_eq!(
            what.ask_pocket,
            Some(Level {
                price: px("100.03"),
                size: qty("0.5")
            })
        );
        // Even count: sizes 1 and 3, median 2; wall needs ≥ 6: none; pocket < 0.5: none.
        let book = self::book(&[("1", "1"), ("0.9", "3")], &[("1.1", "1")]);
        let what = compute(&book, px("0.1"), &params());
        assert_eq!((what.bid_wall, what.bid_pocket), (None, None));
    }

    #[test]
    fn median_is_the_same_from_either_buffer() {
        let levels: Vec<Level> = [
            7, 1, 5, 5, 9, 2, 8, 3, 3, 6, 4, 10, 1, 2, 7, 5, 11, 12, 0, 6,
        ]
        .iter()
        .map(|&units| Level {
            price: px("1"),
            size: Quantity::from_raw(units * 1_000_000_000).unwrap(),
        })
        .collect();
        // 20 sizes sorted: 0 1 1 2 2 3 3 4 5 5 | 5 6 6 7 7 8 9 10 11 12 → 5 + 5.
        assert_eq!(median_size_twice::<64>(&levels), 10_000_000_000);
        for n in 1..=16 {
            assert_eq!(
                median_size_twice::<16>(&levels[..n]),
                median_size_twice::<64>(&levels[..n])
            );
        }
    }

    #[test]
    fn one_sided_book_has_no_mid_and_no_depth() {
        let book = book(&[("100", "1")], &[]);
        let what = compute(&book, px("0.01"), &params());
        assert_eq!(what.mid, None);
        assert_eq!(what.spread, None);
        assert_eq!(what.microprice, None);
        assert_eq!(what.bid_depth, Quantity::ZERO);
        assert_eq!(what.imbalance, Some(1.0));
    }

    #[test]
    fn quotes_without_sizes_give_prices_only() {
        let mut book = OrderBook::new(4, 4);
        book.reset();
        book.apply_quote(&model::Quote {
            header: header(),
            bid: Some(model::QuoteSide {
                price: px("1.06625"),
                size: None,
            }),
            ask: Some(model::QuoteSide {
                price: px("1.0663"),
                size: None,
            }),
        });
        let what = compute(&book, px("0.00001"), &params());
        assert_eq!(what.mid, Some(px("1.066275")));
        assert_eq!(what.spread, Some(px("0.00005")));
        assert_eq!((what.microprice, what.imbalance), (None, None));
        assert_eq!(what.bid_depth, Quantity::ZERO);
    }
}
