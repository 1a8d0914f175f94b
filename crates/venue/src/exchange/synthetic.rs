//! Background markets: a seeded synthetic process per symbol, and a replay
//! of a recorded book. Both place their liquidity as orders in the
//! [`Exchange`]'s books (owner
//! [`OwnerId::BACKGROUND`](super::book::OwnerId::BACKGROUND)), so client orders
//! trade with them and wait behind them in the queue.
//!
//! # The synthetic process
//!
//! [`SyntheticMarket::step`] advances in fixed sub-steps of
//! [`SyntheticConfig::sub_step_nanos`]; in each, per symbol, in order:
//!
//! 1. **Regime**: the symbol is in one of its [`Regime`]s (a Markov
//!    chain): it leaves the current one with probability
//!    `dt / mean_duration`, for another chosen uniformly.
//! 2. **Mid**: a random walk in ticks, `mid += σ·√dt·z`, with `σ` the
//!    regime's volatility (ticks per √second) and `z` a standard normal
//!    draw (the sum of twelve uniforms minus six: only IEEE-exact
//!    arithmetic, so a seed gives the same path on every machine). The mid
//!    is reflected above `depth_levels + 1` ticks where prices must stay
//!    positive.
//! 3. **Cancels**: each background order is canceled with probability
//!    `cancel_rate·dt`, or ½ if it is on the wrong side of the mid (a bid
//!    above it, an ask below it).
//! 4. **Makers**: about `maker_rate·dt` new limit orders (a binomial
//!    draw), each on a random side at `d` ticks behind the top target
//!    (`floor(mid)` for bids, `floor(mid) + 1` for asks; `d` uniform in
//!    `0..depth_levels`), pulled back to one tick behind the opposite best
//!    so makers never cross. Size: `order_size + d·size_growth` plus a
//!    uniform extra up to `order_size`, on the lot, within min and max —
//!    more size away from the top.
//! 5. **Takers**: about `taker_rate·dt` market orders of a uniform size
//!    between the minimum and `taker_max_size`; buys and sells are equally
//!    likely unless the book is stale (best ask below the mid: 80% buys;
//!    best bid above it: 80% sells).
//! 6. **Refill**: a side left empty gets one maker order at its top
//!    target, so the book is two-sided after every sub-step.
//!
//! GTD expiries are processed at each sub-step's time. All randomness
//! comes from one [`SimRng`] seeded from [`SyntheticConfig::seed`]: the
//! same seed and the same client calls give the same events.
//!
//! # The recorded book
//!
//! [`RecordedBook`] turns recorded [`MarketEvent`]s into background
//! orders: each recorded quote (an entry by MDEntryID, or a price level)
//! is one resting order; a snapshot cancels the orders whose quote is gone
//! or changed and places the new ones; delta changes do the same one quote
//! at a time; a reset cancels them all. Quotes and trade prints are not
//! replayed (they carry no liquidity). Recorded orders that cross a
//! client's resting order trade with it, as real liquidity would.

use std::collections::{BTreeMap, BTreeSet};

use model::{
    BookChange, BookSide, EntryId, InstrumentId, InstrumentTable, MarketEvent, Price, Quantity,
    Side, Timestamp,
};

use super::book::OrderKey;
use super::engine::{Exchange, ExchangeEvent};
use crate::rng::SimRng;

/// One volatility regime of a symbol's mid.
#[derive(Clone, Debug, PartialEq)]
pub struct Regime {
    /// Its name, for reports ("calm", "volatile").
    pub name: String,
    /// Standard deviation of the mid's change, in ticks per √second.
    pub volatility_ticks: f64,
    /// Mean time spent in the regime before switching, in seconds.
    pub mean_duration_secs: f64,
}

/// The background traders of one symbol.
#[derive(Clone, Debug, PartialEq)]
pub struct BackgroundTraders {
    /// Makers quote within this many ticks behind the top.
    pub depth_levels: u32,
    /// New maker orders per second.
    pub maker_rate: f64,
    /// Probability per second that a background order is canceled.
    pub cancel_rate: f64,
    /// Market orders per second.
    pub taker_rate: f64,
    /// A maker order's base size.
    pub order_size: Quantity,
    /// Extra maker size per tick away from the top.
    pub size_growth: Quantity,
    /// Largest taker order.
    pub taker_max_size: Quantity,
}

/// The synthetic model of one symbol.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolModel {
    /// The instrument (it must be in the exchange's table).
    pub instrument: InstrumentId,
    /// The mid at the start; a multiple of the tick.
    pub initial_price: Price,
    /// The regimes; the process starts in the first.
    pub regimes: Vec<Regime>,
    /// Its background traders.
    pub background: BackgroundTraders,
}

/// The synthetic process's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticConfig {
    /// The seed of every random draw.
    pub seed: u64,
    /// The fixed sub-step, in nanoseconds.
    pub sub_step_nanos: u64,
    /// One model per symbol.
    pub symbols: Vec<SymbolModel>,
}

/// Why a synthetic configuration cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntheticError {
    /// The sub-step is zero.
    #[error("the sub-step must be above zero")]
    ZeroSubStep,
    /// A symbol the instrument table does not have.
    #[error("symbol {0} is not in the instrument table")]
    UnknownInstrument(String),
    /// A symbol without regimes.
    #[error("symbol {0} needs at least one volatility regime")]
    NoRegime(String),
    /// A rate, volatility or duration that is negative or not finite (or
    /// a zero duration).
    #[error("symbol {instrument}: {field} must be a finite number {rule}")]
    BadNumber {
        /// The symbol.
        instrument: String,
        /// Which parameter.
        field: &'static str,
        /// What it must be.
        rule: &'static str,
    },
    /// An initial price off the tick or not positive where required.
    #[error("symbol {0}: the initial price must be a positive multiple of the tick")]
    BadInitialPrice(String),
    /// A maker size of zero or zero depth.
    #[error("symbol {0}: depth_levels and order_size must be above zero")]
    EmptyBackground(String),
}

/// One symbol's process state.
#[derive(Clone, Debug)]
struct SymbolState {
    model: SymbolModel,
    tick: Price,
    lot: Quantity,
    min: Quantity,
    max: Option<Quantity>,
    /// The mid, in ticks (price = ticks × tick).
    mid: f64,
    /// The lowest mid allowed, in ticks.
    floor: f64,
    regime: usize,
    /// Background orders placed and possibly still resting.
    orders: BTreeSet<OrderKey>,
}

/// The seeded synthetic market of every configured symbol; see the
/// [module docs](self).
#[derive(Clone, Debug)]
pub struct SyntheticMarket {
    rng: SimRng,
    sub_step: u64,
    /// The time of the next sub-step; `None` before the first call.
    next: Option<Timestamp>,
    symbols: Vec<SymbolState>,
}

fn check_number(
    instrument: InstrumentId,
    field: &'static str,
    value: f64,
    positive: bool,
) -> Result<(), SyntheticError> {
    let ok = value.is_finite() && if positive { value > 0.0 } else { value >= 0.0 };
    if ok {
        Ok(())
    } else {
        Err(SyntheticError::BadNumber {
            instrument: instrument.to_string(),
            field,
            rule: if positive {
                "above zero"
            } else {
                "of zero or more"
            },
        })
    }
}

impl SyntheticMarket {
    /// A process for `config`'s symbols, checked against `instruments`.
    pub fn new(
        config: &SyntheticConfig,
        instruments: &InstrumentTable,
    ) -> Result<Self, SyntheticError> {
        if config.sub_step_nanos == 0 {
            return Err(SyntheticError::ZeroSubStep);
        }
        let mut symbols = Vec::with_capacity(config.symbols.len());
        for model in &config.symbols {
            let id = model.instrument;
            let instrument = instruments
                .get(&id)
                .ok_or_else(|| SyntheticError::UnknownInstrument(id.to_string()))?;
            if model.regimes.is_empty() {
                return Err(SyntheticError::NoRegime(id.to_string()));
            }
            for regime in &model.regimes {
                check_number(id, "volatility_ticks", regime.volatility_ticks, false)?;
                check_number(id, "mean_duration_secs", regime.mean_duration_secs, true)?;
            }
            let background = &model.background;
            check_number(id, "maker_rate", background.maker_rate, false)?;
            check_number(id, "cancel_rate", background.cancel_rate, false)?;
            check_number(id, "taker_rate", background.taker_rate, false)?;
            if background.depth_levels == 0 || background.order_size.is_zero() {
                return Err(SyntheticError::EmptyBackground(id.to_string()));
            }
            let tick = instrument.tick_size;
            if !model.initial_price.is_multiple_of(tick)
                || (!model.initial_price.is_positive() && !instrument.allows_non_positive_prices)
            {
                return Err(SyntheticError::BadInitialPrice(id.to_string()));
            }
            // Exact: the price is a whole number of ticks.
            let mid = (model.initial_price.raw() / tick.raw()) as f64;
            let floor = if instrument.allows_non_positive_prices {
                f64::MIN
            } else {
                f64::from(background.depth_levels) + 1.0
            };
            symbols.push(SymbolState {
                model: model.clone(),
                tick,
                lot: instrument.lot_size,
                min: instrument.min_quantity,
                max: instrument.max_quantity,
                mid: mid.max(floor),
                floor,
                regime: 0,
                orders: BTreeSet::new(),
            });
        }
        Ok(Self {
            rng: SimRng::seed_from_u64(config.seed),
            sub_step: config.sub_step_nanos,
            next: None,
            symbols,
        })
    }

    /// The current mid of `instrument`, in price units (rounded to the
    /// tick; for reports and tests).
    pub fn mid(&self, instrument: &InstrumentId) -> Option<Price> {
        let state = self
            .symbols
            .iter()
            .find(|s| s.model.instrument == *instrument)?;
        Some(
            state
                .price_at(state.mid.round() as i64)
                .unwrap_or(Price::ZERO),
        )
    }

    /// The current mid of `instrument` in ticks, unrounded.
    pub fn mid_ticks(&self, instrument: &InstrumentId) -> Option<f64> {
        let state = self
            .symbols
            .iter()
            .find(|s| s.model.instrument == *instrument)?;
        Some(state.mid)
    }

    /// The index of `instrument`'s current regime in its model.
    pub fn regime(&self, instrument: &InstrumentId) -> Option<usize> {
        let state = self
            .symbols
            .iter()
            .find(|s| s.model.instrument == *instrument)?;
        Some(state.regime)
    }

    /// Advances the process to `now` in whole sub-steps, trading through
    /// `exchange`; returns every event, in order. The first call seeds
    /// each book with one maker order per level and side.
    pub fn step(&mut self, exchange: &mut Exchange, now: Timestamp) -> Vec<ExchangeEvent> {
        let mut out = Vec::new();
        let mut at = match self.next {
            Some(next) => next,
            None => {
                for index in 0..self.symbols.len() {
                    self.seed_book(index, exchange, now, &mut out);
                }
                now.checked_add_nanos(self.sub_step).unwrap_or(now)
            }
        };
        while at <= now {
            exchange.advance_into(at, &mut out);
            for index in 0..self.symbols.len() {
                self.sub_step(index, exchange, at, &mut out);
            }
            let Some(next) = at.checked_add_nanos(self.sub_step) else {
                break;
            };
            at = next;
        }
        self.next = Some(at);
        out
    }

    fn seed_book(
        &mut self,
        index: usize,
        exchange: &mut Exchange,
        at: Timestamp,
        out: &mut Vec<ExchangeEvent>,
    ) {
        let Some(state) = self.symbols.get(index) else {
            return;
        };
        let levels = state.model.background.depth_levels;
        for depth in 0..levels {
            for side in [Side::Buy, Side::Sell] {
                self.place_maker(index, exchange, at, side, depth, out);
            }
        }
    }

    fn sub_step(
        &mut self,
        index: usize,
        exchange: &mut Exchange,
        at: Timestamp,
        out: &mut Vec<ExchangeEvent>,
    ) {
        let dt = self.sub_step as f64 / 1e9;
        let rng = &mut self.rng;
        let Some(state) = self.symbols.get_mut(index) else {
            return;
        };
        let instrument = state.model.instrument;

        // 1. Regime.
        let regimes = state.model.regimes.len();
        let leave = dt / state.model.regimes[state.regime].mean_duration_secs;
        if rng.chance(leave) && regimes > 1 {
            let other = rng.below(regimes as u64 - 1) as usize;
            state.regime = if other >= state.regime {
                other + 1
            } else {
                other
            };
        }
        // 2. Mid.
        let z = (0..12).map(|_| rng.next_f64()).sum::<f64>() - 6.0;
        let sigma = state.model.regimes[state.regime].volatility_ticks;
        state.mid += sigma * dt.sqrt() * z;
        if state.mid < state.floor {
            state.mid = 2.0 * state.floor - state.mid;
        }
        // 3. Cancels.
        let Some(book) = exchange.book(&instrument) else {
            return;
        };
        state.orders.retain(|key| book.get(*key).is_some());
        let p_cancel = state.model.background.cancel_rate * dt;
        let mid_price = state.mid;
        let tick = state.tick.raw() as f64;
        let mut cancels = Vec::new();
        for key in &state.orders {
            let Some(order) = book.get(*key) else {
                continue;
            };
            let ticks = order.price.raw() as f64 / tick;
            let wrong_side = match order.side {
                Side::Buy => ticks > mid_price,
                Side::Sell => ticks < mid_price,
            };
            let p = if wrong_side { 0.5 } else { p_cancel };
            if rng.chance(p) {
                cancels.push(*key);
            }
        }
        for key in cancels {
            state.orders.remove(&key);
            exchange.background_cancel(at, instrument, key, out);
        }
        let background = state.model.background.clone();
        // 4. Makers.
        let makers = binomial(rng, background.maker_rate * dt);
        for _ in 0..makers {
            let side = if self.rng.chance(0.5) {
                Side::Buy
            } else {
                Side::Sell
            };
            let depth = self.rng.below(u64::from(background.depth_levels)) as u32;
            self.place_maker(index, exchange, at, side, depth, out);
        }
        // 5. Takers.
        let takers = binomial(&mut self.rng, background.taker_rate * dt);
        for _ in 0..takers {
            let Some(state) = self.symbols.get(index) else {
                return;
            };
            let (min, max, lot) = (
                state.min,
                background.taker_max_size.max(state.min),
                state.lot,
            );
            let Some(book) = exchange.book(&instrument) else {
                return;
            };
            let mid = state.price_at(state.mid.floor() as i64);
            let p_buy = match (book.best_ask(), book.best_bid(), mid) {
                (Some(ask), _, Some(mid)) if ask <= mid => 0.8,
                (_, Some(bid), Some(mid)) if bid > mid => 0.2,
                _ => 0.5,
            };
            let side = if self.rng.chance(p_buy) {
                Side::Buy
            } else {
                Side::Sell
            };
            let size = draw_size(&mut self.rng, min, max, lot);
            exchange.background_market(at, instrument, side, size, out);
        }
        // 6. Refill.
        for side in [Side::Buy, Side::Sell] {
            if exchange
                .book(&instrument)
                .is_some_and(|book| book.best(side).is_none())
            {
                self.place_maker(index, exchange, at, side, 0, out);
            }
        }
    }

    /// One maker order `depth` ticks behind the top target of `side`.
    fn place_maker(
        &mut self,
        index: usize,
        exchange: &mut Exchange,
        at: Timestamp,
        side: Side,
        depth: u32,
        out: &mut Vec<ExchangeEvent>,
    ) {
        let Some(state) = self.symbols.get(index) else {
            return;
        };
        let instrument = state.model.instrument;
        let top = state.mid.floor() as i64;
        let depth = i64::from(depth);
        let target = match side {
            Side::Buy => top - depth,
            Side::Sell => top + 1 + depth,
        };
        let Some(mut price) = state.price_at(target) else {
            return;
        };
        let Some(book) = exchange.book(&instrument) else {
            return;
        };
        // Makers never cross: one tick behind the opposite best.
        match side {
            Side::Buy => {
                if let Some(ask) = book.best_ask().filter(|ask| price >= *ask) {
                    price = ask.checked_sub(state.tick).unwrap_or(price);
                }
            }
            Side::Sell => {
                if let Some(bid) = book.best_bid().filter(|bid| price <= *bid) {
                    price = bid.checked_add(state.tick).unwrap_or(price);
                }
            }
        }
        if state.floor > f64::MIN && !price.is_positive() {
            return;
        }
        let background = &state.model.background;
        let base = i128::from(background.order_size.raw());
        let grown = base + i128::from(background.size_growth.raw()) * i128::from(depth);
        let extra = i128::from(
            self.rng
                .uniform_inclusive(0, background.order_size.raw().unsigned_abs()),
        );
        let size = state.clamp_size(grown + extra);
        if let Some(key) = exchange.background_limit(at, instrument, side, price, size, out)
            && let Some(state) = self.symbols.get_mut(index)
        {
            state.orders.insert(key);
        }
    }
}

impl SymbolState {
    /// `ticks` × tick, if in range.
    fn price_at(&self, ticks: i64) -> Option<Price> {
        ticks.checked_mul(self.tick.raw()).map(Price::from_raw)
    }

    /// `raw` units rounded down to the lot, within min and max.
    fn clamp_size(&self, raw: i128) -> Quantity {
        let lot = i128::from(self.lot.raw().max(1));
        let mut size = (raw / lot) * lot;
        size = size.max(i128::from(self.min.raw()));
        if let Some(max) = self.max {
            size = size.min(i128::from(max.raw()));
        }
        i64::try_from(size)
            .ok()
            .and_then(Quantity::from_raw)
            .unwrap_or(self.min)
    }
}

/// A count with mean `mean`: `n = ⌈2·mean⌉` trials of probability
/// `mean / n` (basic arithmetic only).
fn binomial(rng: &mut SimRng, mean: f64) -> u32 {
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    let trials = (2.0 * mean).ceil().min(10_000.0) as u32;
    let p = mean / f64::from(trials.max(1));
    (0..trials).filter(|_| rng.chance(p)).count() as u32
}

/// A uniform size in lots between `min` and `max`.
fn draw_size(rng: &mut SimRng, min: Quantity, max: Quantity, lot: Quantity) -> Quantity {
    let lot_raw = lot.raw().max(1).unsigned_abs();
    let low = min.raw().unsigned_abs().div_ceil(lot_raw);
    let high = (max.raw().unsigned_abs() / lot_raw).max(low);
    let lots = rng.uniform_inclusive(low, high);
    lots.checked_mul(lot_raw)
        .and_then(|raw| i64::try_from(raw).ok())
        .and_then(Quantity::from_raw)
        .unwrap_or(min)
}

/// Which recorded quote a background order stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum QuoteKey {
    Entry(EntryId),
    Level(BookSide, Price),
}

/// A recorded quote and the background order placed for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Placed {
    side: Side,
    price: Price,
    size: Quantity,
    order: Option<OrderKey>,
}

/// A recorded book replayed as background liquidity; see the
/// [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct RecordedBook {
    quotes: BTreeMap<(InstrumentId, QuoteKey), Placed>,
}

const fn order_side(side: BookSide) -> Side {
    match side {
        BookSide::Bid => Side::Buy,
        BookSide::Ask => Side::Sell,
    }
}

impl RecordedBook {
    /// A replay with nothing placed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Background orders currently standing for recorded quotes.
    pub fn placed(&self) -> usize {
        self.quotes.len()
    }

    /// Applies one recorded event at `now`; events for instruments the
    /// exchange does not trade are ignored.
    pub fn apply(
        &mut self,
        exchange: &mut Exchange,
        now: Timestamp,
        event: &MarketEvent,
    ) -> Vec<ExchangeEvent> {
        let mut out = Vec::new();
        let instrument = *event.instrument();
        if exchange.book(&instrument).is_none() {
            return out;
        }
        let at = exchange.advance_into(now, &mut out);
        match event {
            MarketEvent::Snapshot(snapshot) => {
                let mut wanted: BTreeMap<QuoteKey, (Side, Price, Quantity)> = BTreeMap::new();
                for (side, entries) in [
                    (BookSide::Bid, &snapshot.bids),
                    (BookSide::Ask, &snapshot.asks),
                ] {
                    for entry in entries.iter().filter(|entry| !entry.size.is_zero()) {
                        let key = entry
                            .entry_id
                            .map_or(QuoteKey::Level(side, entry.price), QuoteKey::Entry);
                        let slot = wanted.entry(key).or_insert((
                            order_side(side),
                            entry.price,
                            Quantity::ZERO,
                        ));
                        slot.2 = slot.2.checked_add(entry.size).unwrap_or(slot.2);
                    }
                }
                // Gone or changed quotes leave first, so the new ones never
                // meet stale recorded liquidity.
                let stale: Vec<QuoteKey> = self
                    .quotes
                    .iter()
                    .filter(|((id, key), placed)| {
                        *id == instrument
                            && wanted.get(key) != Some(&(placed.side, placed.price, placed.size))
                    })
                    .map(|((_, key), _)| *key)
                    .collect();
                for key in stale {
                    self.withdraw(exchange, at, instrument, key, &mut out);
                }
                for (key, (side, price, size)) in wanted {
                    if !self.quotes.contains_key(&(instrument, key)) {
                        self.place(exchange, at, instrument, key, side, price, size, &mut out);
                    }
                }
            }
            MarketEvent::Delta(delta) => {
                for change in &delta.changes {
                    match *change {
                        BookChange::SetLevel { side, price, size } => {
                            let key = QuoteKey::Level(side, price);
                            self.withdraw(exchange, at, instrument, key, &mut out);
                            self.place(
                                exchange,
                                at,
                                instrument,
                                key,
                                order_side(side),
                                price,
                                size,
                                &mut out,
                            );
                        }
                        BookChange::AddEntry {
                            side,
                            entry_id,
                            price,
                            size,
                        }
                        | BookChange::ChangeEntry {
                            side,
                            entry_id,
                            price,
                            size,
                        } => {
                            let key = QuoteKey::Entry(entry_id);
                            self.withdraw(exchange, at, instrument, key, &mut out);
                            self.place(
                                exchange,
                                at,
                                instrument,
                                key,
                                order_side(side),
                                price,
                                size,
                                &mut out,
                            );
                        }
                        BookChange::DeleteEntry { entry_id } => {
                            self.withdraw(
                                exchange,
                                at,
                                instrument,
                                QuoteKey::Entry(entry_id),
                                &mut out,
                            );
                        }
                    }
                }
            }
            MarketEvent::Reset { .. } => {
                let keys: Vec<QuoteKey> = self
                    .quotes
                    .keys()
                    .filter(|(id, _)| *id == instrument)
                    .map(|(_, key)| *key)
                    .collect();
                for key in keys {
                    self.withdraw(exchange, at, instrument, key, &mut out);
                }
            }
            MarketEvent::Quote(_) | MarketEvent::Trade(_) => {}
        }
        out
    }

    fn withdraw(
        &mut self,
        exchange: &mut Exchange,
        at: Timestamp,
        instrument: InstrumentId,
        key: QuoteKey,
        out: &mut Vec<ExchangeEvent>,
    ) {
        if let Some(placed) = self.quotes.remove(&(instrument, key))
            && let Some(order) = placed.order
        {
            exchange.background_cancel(at, instrument, order, out);
        }
    }

    #[allow(clippy::too_many_arguments, reason = "one recorded quote's facts")]
    fn place(
        &mut self,
        exchange: &mut Exchange,
        at: Timestamp,
        instrument: InstrumentId,
        key: QuoteKey,
        side: Side,
        price: Price,
        size: Quantity,
        out: &mut Vec<ExchangeEvent>,
    ) {
        if size.is_zero() {
            return;
        }
        let order = exchange.background_limit(at, instrument, side, price, size, out);
        self.quotes.insert(
            (instrument, key),
            Placed {
                side,
                price,
                size,
                order,
            },
        );
    }
}
