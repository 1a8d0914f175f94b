//! HOW: signed trade flow, the execution-cost surface and a fill-probability
//! proxy.
//!
//! - Trade flow: taker volumes B (buys) and S (sells) decay by
//!   2^(−Δt / half-life) between prints (receive clock);
//!   `trade_flow_imbalance = (B − S) / (B + S)`. Prints without an
//!   aggressor side are not counted: guessing one would bias the sign.
//! - Fill cost of size q: walk the opposite side from the best level,
//!   taking min(remaining, level size) at each; `fillable` is what the
//!   visible book holds, `vwap = Σ price·size / fillable` (exact sum,
//!   rounded half to even at 10⁻⁹), `slippage_bps = |vwap − mid| / mid ·
//!   10⁴`. `None` without a positive mid, with an empty side, a zero probe
//!   or unknown sizes.
//! - Fill probability of a passive bid joining the best bid:
//!   `S_now / (S_now + queue)` where S_now is the sell taker volume decayed
//!   to now and queue the size at the best bid (the ask mirrors it with
//!   buys). `None` before the first print with a side, or with unknown
//!   sizes.

use model::{Price, Quantity, Side, Timestamp};

use crate::features::{FillCost, Level};
use crate::math::{bps, decay, div_round_half_even_near};

/// Decayed taker volumes of one instrument.
#[derive(Clone, Debug)]
pub(crate) struct TradeFlow {
    half_life_nanos: u64,
    buy: f64,
    sell: f64,
    last: Option<Timestamp>,
}

impl TradeFlow {
    pub(crate) const fn new(half_life_nanos: u64) -> Self {
        Self {
            half_life_nanos,
            buy: 0.0,
            sell: 0.0,
            last: None,
        }
    }

    /// Adds a print of `size` whose taker was `aggressor`.
    pub(crate) fn observe(&mut self, now: Timestamp, size: Quantity, aggressor: Option<Side>) {
        let Some(aggressor) = aggressor else {
            return;
        };
        if let Some(last) = self.last {
            let weight = decay(now.saturating_nanos_since(last), self.half_life_nanos);
            self.buy *= weight;
            self.sell *= weight;
        }
        let size = size.raw() as f64;
        match aggressor {
            Side::Buy => self.buy += size,
            Side::Sell => self.sell += size,
        }
        self.last = Some(now);
    }

    /// (B − S) / (B + S); the common decay since the last print cancels.
    pub(crate) fn imbalance(&self) -> Option<f64> {
        let total = self.buy + self.sell;
        (total > 0.0).then(|| (self.buy - self.sell) / total)
    }

    /// Fill-probability proxies `(bid, ask)` at `now` against the best
    /// bid and ask queues.
    pub(crate) fn fill_probabilities(
        &self,
        now: Timestamp,
        best_bid: Option<Level>,
        best_ask: Option<Level>,
    ) -> (Option<f64>, Option<f64>) {
        let Some(last) = self.last else {
            return (None, None);
        };
        let weight = decay(now.saturating_nanos_since(last), self.half_life_nanos);
        let probability = |flow: f64, queue: Option<Level>| {
            let flow = flow * weight;
            queue
                .map(|level| flow + level.size.raw() as f64)
                .filter(|total| *total > 0.0)
                .map(|total| flow / total)
        };
        (
            probability(self.sell, best_bid),
            probability(self.buy, best_ask),
        )
    }
}

/// The cost of taking each of `probes` from `levels` (the side a taker
/// hits, best first) against `mid`, in one walk of the book: the probes
/// are served in ascending size, each continuing where the smaller one
/// stopped.
#[cfg(test)]
pub(crate) fn fill_costs(
    levels: &[Level],
    probes: &[Quantity; 3],
    mid: Option<Price>,
) -> [Option<FillCost>; 3] {
    let mut costs = [None; 3];
    fill_costs_reading(levels, probes, mid, &mut costs);
    costs
}

/// [`fill_costs`] written into `costs` (in place, to spare the copy), and
/// how many levels, from the best, the walk looked at (the costs depend on
/// nothing further).
pub(crate) fn fill_costs_reading(
    levels: &[Level],
    probes: &[Quantity; 3],
    mid: Option<Price>,
    costs: &mut [Option<FillCost>; 3],
) -> usize {
    *costs = [None; 3];
    let Some(mid) = mid.filter(|mid| mid.is_positive()) else {
        return 0;
    };
    // Where VWAPs lie near, to divide by the offset from it (any price
    // gives the same result; a near one is faster).
    let best = levels.first().map_or(mid, |level| level.price);
    let mut order = [0, 1, 2];
    order.sort_by_key(|&at| probes[at]);
    let mut next = order.iter().take_while(|&&at| probes[at].is_zero()).count();
    let mut filled: i64 = 0;
    // |Σ price·take| ≤ 2⁶³ · Σ take ≤ 2⁶³ · 2⁶³ = 2¹²⁶: no i128 overflow.
    let mut notional: i128 = 0;
    let mut read = 0;
    for level in levels {
        if next == order.len() {
            break;
        }
        read += 1;
        let price = i128::from(level.price.raw());
        let mut left = level.size.raw();
        while let Some(&at) = order.get(next) {
            let need = probes[at].raw() - filled;
            let take = need.min(left);
            filled += take;
            left -= take;
            notional += price * i128::from(take);
            if take < need {
                break;
            }
            costs[at] = finish(probes[at], filled, notional, mid, best);
            next += 1;
        }
    }
    // Probes larger than the visible book get what it holds.
    for &at in &order[next..] {
        costs[at] = finish(probes[at], filled, notional, mid, best);
    }
    read
}

/// The cost of `quantity` once `filled` of it cost `notional`; `best` is
/// the price the walk started at.
fn finish(
    quantity: Quantity,
    filled: i64,
    notional: i128,
    mid: Price,
    best: Price,
) -> Option<FillCost> {
    if filled == 0 {
        return None;
    }
    // The VWAP lies between the best price and the last one taken.
    let vwap = div_round_half_even_near(notional, i128::from(filled), best.raw())?;
    let distance = vwap.checked_sub(mid.raw())?.checked_abs()?;
    Some(FillCost {
        quantity,
        fillable: Quantity::from_raw(filled)?,
        vwap: Price::from_raw(vwap),
        slippage_bps: bps(distance, mid.raw())?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

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
    fn fill_costs_walk_the_book() {
        let asks = [level("100", "1"), level("101", "2"), level("103", "5")];
        let mid = Some(px("99.5"));
        // Probes given out of order; one walk serves them smallest first.
        let costs = fill_costs(&asks, &[qty("4"), qty("2"), qty("3")], mid);
        // q = 2: 1 @ 100 + 1 @ 101 = 201 → vwap 100.5; |100.5 − 99.5| / 99.5
        // · 10⁴ = 100.502512562814… bps
        let two = costs[1].unwrap();
        assert_eq!(
            (two.quantity, two.fillable, two.vwap),
            (qty("2"), qty("2"), px("100.5"))
        );
        assert!((two.slippage_bps - 100.502_512_562_814).abs() < 1e-9);
        // q = 4: 100 + 2·101 + 103 = 405 → 101.25
        assert_eq!(costs[0].unwrap().vwap, px("101.25"));
        // q = 3: (100 + 202) / 3 = 100.666666666666… → 100.666666667
        assert_eq!(costs[2].unwrap().vwap, px("100.666666667"));
        // q = 10 > 8 visible: fillable 8, vwap (100 + 202 + 515) / 8 =
        // 102.125; a zero probe has no cost; equal probes agree.
        let costs = fill_costs(&asks, &[qty("10"), Quantity::ZERO, qty("10")], mid);
        let partial = costs[0].unwrap();
        assert_eq!((partial.fillable, partial.vwap), (qty("8"), px("102.125")));
        assert_eq!(costs[1], None);
        assert_eq!(costs[2], costs[0]);
        assert_eq!(fill_costs(&[], &[qty("1"); 3], mid), [None; 3]);
        assert_eq!(fill_costs(&asks, &[qty("1"); 3], None), [None; 3]);
    }

    #[test]
    fn sell_cost_slippage_is_absolute() {
        let bids = [level("99", "1"), level("98", "1")];
        // vwap 98.5, mid 99.5 → 1 / 99.5 · 10⁴ = 100.5025…
        let cost = fill_costs(&bids, &[qty("2"); 3], Some(px("99.5")))[0].unwrap();
        assert_eq!(cost.vwap, px("98.5"));
        assert!((cost.slippage_bps - 100.502_512_562_814).abs() < 1e-9);
    }

    #[test]
    fn extreme_prices_and_sizes_do_not_overflow() {
        let max = Price::from_raw(i64::MAX);
        let huge = Quantity::from_raw(i64::MAX / 2).unwrap();
        let asks = [
            Level {
                price: max,
                size: huge,
            },
            Level {
                price: max,
                size: huge,
            },
            Level {
                price: max,
                size: huge,
            },
        ];
        let costs = fill_costs(
            &asks,
            &[Quantity::from_raw(i64::MAX).unwrap(); 3],
            Some(max),
        );
        // Σ price·size reaches about 2¹²⁶, inside i128; vwap is the one price.
        assert_eq!(costs[0].unwrap().vwap, max);
        assert_eq!(costs[0].unwrap().slippage_bps, 0.0);
    }

    #[test]
    fn flow_decays_between_prints() {
        let mut flow = TradeFlow::new(SECOND);
        assert_eq!(flow.imbalance(), None);
        flow.observe(Timestamp::from_unix_nanos(0), qty("4"), Some(Side::Buy));
        flow.observe(
            Timestamp::from_unix_nanos(SECOND),
            qty("1"),
            Some(Side::Sell),
        );
        flow.observe(Timestamp::from_unix_nanos(SECOND), qty("9"), None);
        // B = 4 · 0.5 = 2, S = 1 → (2 − 1) / 3
        assert_eq!(flow.imbalance(), Some(1.0 / 3.0));
        // One more second: S_now = 0.5, B_now = 1; bid queue 1.5, ask queue 3.
        let (bid, ask) = flow.fill_probabilities(
            Timestamp::from_unix_nanos(2 * SECOND),
            Some(level("99", "1.5")),
            Some(level("100", "3")),
        );
        assert_eq!(bid, Some(0.5e9 / (0.5e9 + 1.5e9))); // 0.25
        assert_eq!(ask, Some(1e9 / (1e9 + 3e9))); // 0.25
        assert_eq!(
            TradeFlow::new(SECOND).fill_probabilities(Timestamp::UNIX_EPOCH, None, None),
            (None, None)
        );
    }
}
