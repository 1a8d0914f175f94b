//! The sans-IO sensory engine: events in, feature vectors and resync
//! requests out.
//!
//! The caller feeds every [`MarketEvent`] to [`Sensory::on_event`], reads
//! the vector it returns (or any instrument's later with
//! [`Sensory::features`], the cross-venue pairs with
//! [`Sensory::cross_venue`]), and after each event drains
//! [`Sensory::poll_resync`] to resubscribe the books that need a fresh
//! snapshot.
//!
//! The only clock is the events' headers: statistics run on receive time
//! (always present and in arrival order); the lag, and the cross-venue
//! times, use exchange time where the venue stamps it. Nothing reads the
//! OS clock, spawns threads or draws random numbers, and the same events
//! give bit-identical vectors.
//!
//! Once every instrument is configured, an event does not allocate: books,
//! windows, schedules and the resync queue are sized at construction (a
//! book deeper than its configured capacity grows once).
//!
//! Validity of a vector, in order of precedence: [`InvalidReason::NoBook`]
//! (no snapshot or quote yet, or reset), [`InvalidReason::Crossed`] (a
//! crossed quote, or a book that crossed and awaits its resync),
//! [`InvalidReason::Resyncing`] (another integrity failure),
//! [`InvalidReason::OneSided`], then [`InvalidReason::WarmingUp`] until
//! `warmup_returns` mid returns and `anomaly_min_samples` spreads were
//! seen.

use std::collections::VecDeque;

use model::{
    BookSide, InstrumentId, InstrumentMap, MarketEvent, MarketHeader, Price, Timestamp, Trade,
};

use crate::anomaly::{Churn, RollingWindow};
use crate::book::{ApplyOutcome, BookStatus, OrderBook, ResyncReason};
use crate::config::{ConfigError, FeatureParams, InstrumentConfig, SensoryConfig};
use crate::cross_venue::PairState;
use crate::features::{
    AnomalyFeatures, CrossVenueFeatures, FEATURE_VERSION, HowFeatures, InstrumentFeatures,
    InvalidReason, WhenFeatures,
};
use crate::how::{TradeFlow, fill_costs_reading};
use crate::memo::{SideMemo, SideValues};
use crate::why::Schedule;
use crate::{what, when};

/// A book that needs a fresh snapshot: resubscribe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResyncRequest {
    /// The instrument.
    pub instrument: InstrumentId,
    /// What failed.
    pub reason: ResyncReason,
}

/// An event the engine cannot take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SensoryError {
    /// The instrument is not in the configuration.
    #[error("instrument {0} is not configured in the sensory engine")]
    UnknownInstrument(InstrumentId),
}

/// Counters over the engine's life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SensoryStats {
    /// Events taken (every event of a configured instrument but stale
    /// deltas).
    pub events: u64,
    /// Deltas at or below the book's last sequence number, dropped.
    pub stale_deltas: u64,
    /// Deltas and quotes that had no book to apply to.
    pub ignored: u64,
    /// Integrity failures (each also queues at most one resync request).
    pub integrity_failures: u64,
    /// Events for instruments not configured.
    pub unknown_instrument: u64,
}

/// The engine; see the [module docs](self).
#[derive(Debug)]
pub struct Sensory {
    index: InstrumentMap<usize>,
    instruments: Vec<InstrumentState>,
    pairs: Vec<PairState>,
    resyncs: VecDeque<ResyncRequest>,
    stats: SensoryStats,
}

#[derive(Debug)]
struct InstrumentState {
    config: InstrumentConfig,
    book: OrderBook,
    volatility: when::Volatility,
    flow: TradeFlow,
    spreads: RollingWindow,
    trade_prices: RollingWindow,
    churn: Churn,
    schedule: Schedule,
    /// The cross-venue pairs this instrument is a leg of.
    pairs: Vec<usize>,
    resync_queued: bool,
    spread_z: Option<f64>,
    trade_price_z: Option<f64>,
    /// Per side (bids, asks): its WHAT part and the cost of taking the
    /// probes from it, reused while what they depend on is unchanged.
    sides: [SideMemo; 2],
    features: InstrumentFeatures,
}

impl Sensory {
    /// An engine for `config`'s instruments, pairs and calendar.
    pub fn new(config: SensoryConfig) -> Result<Self, ConfigError> {
        let mut index = InstrumentMap::new();
        let mut instruments = Vec::with_capacity(config.instruments.len());
        for instrument in config.instruments {
            instrument.validate()?;
            if index
                .insert(instrument.instrument, instruments.len())
                .is_some()
            {
                return Err(ConfigError::DuplicateInstrument(instrument.instrument));
            }
            let schedule = config.calendar.schedule_for(&instrument.instrument);
            instruments.push(InstrumentState::new(instrument, schedule));
        }
        let mut pairs = Vec::with_capacity(config.pairs.len());
        for (position, pair) in config.pairs.iter().enumerate() {
            let invalid = |problem| ConfigError::InvalidPair {
                index: position,
                problem,
            };
            if pair.spot == pair.prediction {
                return Err(invalid("the two legs must differ"));
            }
            if !pair.beta.is_finite() {
                return Err(invalid("beta must be a finite number"));
            }
            if pair.spot_half_life_nanos == 0 || pair.prediction_half_life_nanos == 0 {
                return Err(invalid("half-lives must be above zero"));
            }
            for leg in [&pair.spot, &pair.prediction] {
                let at = *index
                    .get(leg)
                    .ok_or_else(|| invalid("both legs must be configured instruments"))?;
                instruments[at].pairs.push(pairs.len());
            }
            pairs.push(PairState::new(pair));
        }
        Ok(Self {
            index,
            resyncs: VecDeque::with_capacity(instruments.len()),
            instruments,
            pairs,
            stats: SensoryStats::default(),
        })
    }

    /// Applies `event` and returns its instrument's updated vector. A stale
    /// delta leaves the vector as it was.
    pub fn on_event(&mut self, event: &MarketEvent) -> Result<&InstrumentFeatures, SensoryError> {
        let header = event.header();
        let Some(&at) = self.index.get(&header.instrument) else {
            self.stats.unknown_instrument += 1;
            return Err(SensoryError::UnknownInstrument(header.instrument));
        };
        let state = &mut self.instruments[at];
        let outcome = match event {
            MarketEvent::Snapshot(snapshot) => state.book.apply_snapshot(snapshot),
            MarketEvent::Delta(delta) => state.book.apply_delta(delta),
            MarketEvent::Quote(quote) => state.book.apply_quote(quote),
            MarketEvent::Trade(trade) => {
                state.observe_trade(trade);
                ApplyOutcome::Ignored
            }
            MarketEvent::Reset { .. } => {
                state.book.reset();
                ApplyOutcome::Applied { changes: 0 }
            }
        };
        let book_event = !matches!(event, MarketEvent::Trade(_));
        match outcome {
            ApplyOutcome::Stale => {
                self.stats.stale_deltas += 1;
                return Ok(&self.instruments[at].features);
            }
            ApplyOutcome::Ignored if book_event => self.stats.ignored += 1,
            ApplyOutcome::ResyncNeeded(reason) => {
                self.stats.integrity_failures += 1;
                if !state.resync_queued {
                    state.resync_queued = true;
                    self.resyncs.push_back(ResyncRequest {
                        instrument: header.instrument,
                        reason,
                    });
                }
            }
            ApplyOutcome::Applied { .. } | ApplyOutcome::Ignored => {}
        }
        self.stats.events += 1;
        let changed = match outcome {
            ApplyOutcome::Applied { changes } if book_event => Some(changes),
            ApplyOutcome::ResyncNeeded(_) => Some(0),
            _ => None,
        };
        state.recompute(header, changed);
        if changed.is_some() {
            let mid = state
                .features
                .invalid
                .map_or(state.features.what.mid, |reason| {
                    (reason == InvalidReason::WarmingUp)
                        .then_some(state.features.what.mid)
                        .flatten()
                });
            let time = header.exchange_time.unwrap_or(header.receive_time);
            for &pair in &state.pairs {
                self.pairs[pair].observe(&header.instrument, header.receive_time, mid, time);
            }
        }
        Ok(&self.instruments[at].features)
    }

    /// The latest vector of `instrument`, if configured.
    pub fn features(&self, instrument: &InstrumentId) -> Option<&InstrumentFeatures> {
        self.index
            .get(instrument)
            .map(|&at| &self.instruments[at].features)
    }

    /// The book of `instrument`, if configured.
    pub fn book(&self, instrument: &InstrumentId) -> Option<&OrderBook> {
        self.index
            .get(instrument)
            .map(|&at| &self.instruments[at].book)
    }

    /// The next book that needs a fresh snapshot. Each instrument is
    /// queued at most once until it is polled.
    pub fn poll_resync(&mut self) -> Option<ResyncRequest> {
        let request = self.resyncs.pop_front()?;
        if let Some(&at) = self.index.get(&request.instrument) {
            self.instruments[at].resync_queued = false;
        }
        Some(request)
    }

    /// The cross-venue pairs, in configuration order.
    pub fn cross_venue(&self) -> impl ExactSizeIterator<Item = &CrossVenueFeatures> {
        self.pairs.iter().map(PairState::features)
    }

    /// Counters.
    pub const fn stats(&self) -> SensoryStats {
        self.stats
    }
}

impl InstrumentState {
    fn new(config: InstrumentConfig, schedule: Schedule) -> Self {
        let params = &config.params;
        Self {
            book: OrderBook::new(params.book_capacity, params.entry_capacity),
            volatility: when::Volatility::new(params.volatility_half_life_nanos),
            flow: TradeFlow::new(params.flow_half_life_nanos),
            spreads: RollingWindow::new(params.anomaly_window),
            trade_prices: RollingWindow::new(params.anomaly_window),
            churn: Churn::new(params.churn_interval_nanos, params.anomaly_window),
            schedule,
            pairs: Vec::new(),
            resync_queued: false,
            spread_z: None,
            trade_price_z: None,
            sides: [SideMemo::new(), SideMemo::new()],
            features: InstrumentFeatures {
                instrument: config.instrument,
                version: FEATURE_VERSION,
                updated: Timestamp::UNIX_EPOCH,
                last_book_update: None,
                last_book_exchange_time: None,
                last_trade: None,
                events: 0,
                what: Default::default(),
                when: WhenFeatures::default(),
                how: HowFeatures::default(),
                why: Default::default(),
                anomaly: AnomalyFeatures::default(),
                invalid: Some(InvalidReason::NoBook),
            },
            config,
        }
    }

    fn observe_trade(&mut self, trade: &Trade) {
        let params = &self.config.params;
        let now = trade.header.receive_time;
        self.flow.observe(now, trade.size, trade.aggressor);
        let price = trade.price.raw();
        self.trade_price_z = self.trade_prices.robust_z(
            price,
            params.anomaly_min_samples,
            self.config.tick_size.raw() as f64,
        );
        self.trade_prices.push(price);
        self.features.last_trade = Some(now);
    }

    /// Recomputes the vector after an event; `book_changes` is `Some` when
    /// the event changed (or cleared) the book.
    fn recompute(&mut self, header: &MarketHeader, book_changes: Option<u32>) {
        let now = header.receive_time;
        // Both read only the book and the trade flow, which this method
        // does not change.
        self.what_and_how(now);
        let params = &self.config.params;
        let invalid = self.invalid_reason();
        let (mid, spread) = (self.features.what.mid, self.features.what.spread);
        if book_changes.is_some() {
            self.features.last_book_update = Some(now);
            self.features.last_book_exchange_time = header.exchange_time;
            if !matches!(
                invalid,
                Some(InvalidReason::NoBook | InvalidReason::Crossed | InvalidReason::Resyncing)
            ) {
                if let Some(mid) = mid {
                    self.volatility.observe(now, mid);
                }
                if let Some(spread) = spread {
                    self.spread_z = self.spreads.robust_z(
                        spread.raw(),
                        params.anomaly_min_samples,
                        self.config.tick_size.raw() as f64,
                    );
                    self.spreads.push(spread.raw());
                }
            }
        }
        self.churn.observe(
            now.unix_nanos(),
            book_changes.unwrap_or(0),
            params.anomaly_min_samples,
        );
        let volatility = self.volatility.value();
        let when = WhenFeatures {
            realized_volatility: volatility,
            regime: when::regime(
                volatility,
                self.volatility.returns(),
                params.warmup_returns,
                params.calm_volatility,
                params.stressed_volatility,
            ),
            session: when::session(now),
            time_of_day_bucket: when::time_of_day_bucket(now, params.time_bucket_minutes),
            exchange_lag_nanos: when::exchange_lag(header.exchange_time, now),
        };
        let threshold = params.anomaly_threshold;
        let outlier = |z: Option<f64>| z.is_some_and(|z| z.abs() > threshold);
        let churn_z = self.churn.z();
        let anomaly = AnomalyFeatures {
            spread_z: self.spread_z,
            trade_price_z: self.trade_price_z,
            churn_z,
            spread_outlier: outlier(self.spread_z),
            trade_outlier: outlier(self.trade_price_z),
            churn_outlier: outlier(churn_z),
        };
        let warm = self.volatility.returns() >= params.warmup_returns
            && self.spreads.len() >= params.anomaly_min_samples;
        let features = &mut self.features;
        features.updated = now;
        features.events += 1;
        features.when = when;
        features.why = self.schedule.features(now);
        features.anomaly = anomaly;
        features.invalid = invalid.or((!warm).then_some(InvalidReason::WarmingUp));
    }

    /// The WHAT features ([`what::compute`], with each side's part reused
    /// while it holds) and the HOW features, written into the vector in
    /// place: the two are most of its bytes, and copying them through
    /// locals cost more than computing the unchanged side.
    fn what_and_how(&mut self, now: Timestamp) {
        let (book, tick, params) = (&self.book, self.config.tick_size, &self.config.params);
        let InstrumentFeatures { what, how, .. } = &mut self.features;
        what::top_of_book(book, what);
        if !book.sizes_known() {
            // Quotes without sizes: nothing to walk, no queue to weigh.
            *how = HowFeatures {
                trade_flow_imbalance: self.flow.imbalance(),
                ..HowFeatures::default()
            };
            return;
        }
        let [bid_memo, ask_memo] = &mut self.sides;
        let bids = side_values(bid_memo, book, BookSide::Bid, what.mid, tick, params);
        let asks = side_values(ask_memo, book, BookSide::Ask, what.mid, tick, params);
        what::add_sides(what, &bids.what, &asks.what);
        // A taker buys from the asks (buy cost) and sells to the bids.
        how.trade_flow_imbalance = self.flow.imbalance();
        how.buy_cost = asks.costs;
        how.sell_cost = bids.costs;
        (how.bid_fill_probability, how.ask_fill_probability) =
            self.flow
                .fill_probabilities(now, what.best_bid, what.best_ask);
        // The memos saw both sides as they are now.
        self.book.mark_read();
    }

    /// Why the vector (its WHAT part already computed) must not be traded on.
    fn invalid_reason(&self) -> Option<InvalidReason> {
        match self.book.status() {
            BookStatus::NoBook => Some(InvalidReason::NoBook),
            BookStatus::Resyncing(ResyncReason::Crossed { .. }) => Some(InvalidReason::Crossed),
            BookStatus::Resyncing(_) => Some(InvalidReason::Resyncing),
            BookStatus::Live if self.book.is_crossed() => Some(InvalidReason::Crossed),
            BookStatus::Live if self.features.what.mid.is_none() => Some(InvalidReason::OneSided),
            BookStatus::Live => None,
        }
    }
}

/// `side`'s values with `mid`, reused from `memo` while they hold.
fn side_values<'memo>(
    memo: &'memo mut SideMemo,
    book: &OrderBook,
    side: BookSide,
    mid: Option<Price>,
    tick: Price,
    params: &FeatureParams,
) -> &'memo SideValues {
    memo.get(
        book,
        side,
        mid,
        |levels, what| what::side(levels, side, mid, tick, params, what),
        |levels, costs| fill_costs_reading(levels, &params.probe_sizes, mid, costs),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use model::{
        BookChange, BookDelta, BookEntry, BookSnapshot, EntryId, Quantity, Quote, QuoteSide, Side,
    };
    use proptest::prelude::*;

    use super::*;
    use crate::how::fill_costs;

    #[derive(Clone, Debug)]
    enum Op {
        Snapshot(Vec<(bool, u8, u8)>),
        Set(bool, u8, u8),
        Add(bool, u8, u8, u8),
        Delete(u8),
        Trade(u8, bool),
        Quote(Option<u8>, Option<u8>),
        Reset,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            1 => proptest::collection::vec((any::<bool>(), 0u8..8, 1u8..5), 0..10).prop_map(Op::Snapshot),
            6 => (any::<bool>(), 0u8..8, 0u8..5).prop_map(|(b, t, s)| Op::Set(b, t, s)),
            4 => (any::<bool>(), 0u8..8, 0u8..6, 1u8..5).prop_map(|(b, t, i, s)| Op::Add(b, t, i, s)),
            3 => (0u8..6).prop_map(Op::Delete),
            2 => (1u8..5, any::<bool>()).prop_map(|(s, b)| Op::Trade(s, b)),
            1 => (proptest::option::of(0u8..4), proptest::option::of(0u8..4)).prop_map(|(b, a)| Op::Quote(b, a)),
            1 => Just(Op::Reset),
        ]
    }

    /// Bids at 100 − 0.01·tick, asks at 100.01 + 0.01·tick.
    fn price(bid: bool, tick: u8) -> Price {
        let offset = i64::from(tick) * 10_000_000;
        Price::from_raw(if bid {
            100_000_000_000 - offset
        } else {
            100_010_000_000 + offset
        })
    }

    fn size(units: u8) -> Quantity {
        Quantity::from_raw(i64::from(units) * 500_000_000).unwrap()
    }

    fn side(bid: bool) -> BookSide {
        if bid { BookSide::Bid } else { BookSide::Ask }
    }

    fn event(instrument: InstrumentId, at: u64, op: &Op) -> MarketEvent {
        let header = MarketHeader {
            instrument,
            sequence: None,
            exchange_time: None,
            receive_time: Timestamp::from_unix_nanos(at * 100_000_000),
        };
        let entry_id = |id: u8| EntryId::new(&format!("e{id}")).unwrap();
        let delta = |change| {
            MarketEvent::Delta(BookDelta {
                header,
                changes: vec![change],
            })
        };
        match *op {
            Op::Snapshot(ref levels) => {
                let pick = |want: bool| {
                    levels
                        .iter()
                        .filter(|level| level.0 == want)
                        .map(|&(bid, tick, units)| BookEntry {
                            price: price(bid, tick),
                            size: size(units),
                            entry_id: None,
                        })
                        .collect::<Vec<_>>()
                };
                let (mut bids, mut asks) = (pick(true), pick(false));
                bids.sort_by_key(|level| std::cmp::Reverse(level.price));
                bids.dedup_by_key(|level| level.price);
                asks.sort_by_key(|level| level.price);
                asks.dedup_by_key(|level| level.price);
                MarketEvent::Snapshot(BookSnapshot { header, bids, asks })
            }
            Op::Set(bid, tick, units) => delta(BookChange::SetLevel {
                side: side(bid),
                price: price(bid, tick),
                size: size(units),
            }),
            Op::Add(bid, tick, id, units) => delta(BookChange::AddEntry {
                side: side(bid),
                entry_id: entry_id(id),
                price: price(bid, tick),
                size: size(units),
            }),
            Op::Delete(id) => delta(BookChange::DeleteEntry {
                entry_id: entry_id(id),
            }),
            Op::Trade(units, buy) => MarketEvent::Trade(Trade {
                header,
                price: price(buy, 0),
                size: size(units),
                aggressor: Some(if buy { Side::Buy } else { Side::Sell }),
                trade_id: None,
            }),
            Op::Quote(bid, ask) => MarketEvent::Quote(Quote {
                header,
                bid: bid.map(|tick| QuoteSide {
                    price: price(true, tick),
                    size: (tick % 2 == 0).then(|| size(1)),
                }),
                ask: ask.map(|tick| QuoteSide {
                    price: price(false, tick),
                    size: Some(size(tick + 1)),
                }),
            }),
            Op::Reset => MarketEvent::Reset {
                header,
                reason: model::BookResetReason::Disconnected,
            },
        }
    }

    proptest! {
        /// The per-side values the engine reuses equal those computed
        /// from scratch after every event.
        #[test]
        fn reused_side_values_equal_a_full_recompute(ops in proptest::collection::vec(op(), 1..80)) {
            let instrument: InstrumentId = "T.VENUE".parse().unwrap();
            let params = FeatureParams {
                top_levels: 3,
                depth_ticks: 2,
                probe_sizes: [size(1), size(3), size(40)],
                ..FeatureParams::default()
            };
            let tick = Price::from_raw(10_000_000);
            let mut engine = Sensory::new(SensoryConfig {
                instruments: vec![InstrumentConfig { params: params.clone(), ..InstrumentConfig::new(instrument, tick) }],
                ..SensoryConfig::default()
            }).unwrap();
            for (at, op) in ops.iter().enumerate() {
                let features = *engine.on_event(&event(instrument, at as u64, op)).unwrap();
                while engine.poll_resync().is_some() {}
                let book = engine.book(&instrument).unwrap();
                prop_assert_eq!(features.what, what::compute(book, tick, &params));
                if book.sizes_known() {
                    let probes = &params.probe_sizes;
                    prop_assert_eq!(features.how.buy_cost, fill_costs(book.asks(), probes, features.what.mid));
                    prop_assert_eq!(features.how.sell_cost, fill_costs(book.bids(), probes, features.what.mid));
                }
            }
        }
    }
}
