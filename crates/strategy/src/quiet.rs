//! Skipping a decision whose inputs did not change.
//!
//! Decisions are pure: the same inputs and state give the same proposals
//! and the same new state. So when a strategy's last decision proposed
//! nothing and left its state as it was, deciding again on the same inputs
//! would do exactly that again, and the host skips it. A market maker
//! quoting one instrument is asked on every event of every instrument (a
//! spot tick, another book); most of those leave everything it reads as it
//! was.
//!
//! Only strategies whose reads are declared here take part: what they read
//! is their instruments' quote features ([`QuoteFeatures`], the few
//! fields of the vector a quote decision looks at) and inventory, their
//! own working orders and the instrument table (fixed for the host's
//! life), never the clock. The check compares values, not versions, so
//! nothing upstream has to promise to bump a counter; it compares only
//! what is read, so it costs a few dozen instructions, not a decision.

use model::InstrumentId;

use crate::inputs::{Inputs, Inventory, WorkingOrder};
use crate::params::StrategyKind;
use crate::strategies::micro_mm::QuoteFeatures;

/// The instruments whose features and inventory a strategy's decision
/// reads, when that and its own working orders are all it reads; `None`
/// when it reads more (another feed, the dislocations), so it always
/// decides.
pub(crate) fn reads_only(kind: &StrategyKind) -> Option<&[InstrumentId]> {
    match kind {
        // micro_mm::decide reads, per instrument, its features (quotable,
        // targets), its spec and its inventory, and the working orders.
        StrategyKind::MicroMm(params) => Some(&params.instruments),
        StrategyKind::DeltaSpd(_) | StrategyKind::BinaryMarket(_) => None,
    }
}

/// What a decision that proposed nothing and changed nothing read.
#[derive(Clone, Debug, Default)]
pub(crate) struct QuietDecision {
    features: Vec<Option<QuoteFeatures>>,
    inventory: Vec<Inventory>,
    working: Vec<WorkingOrder>,
}

impl QuietDecision {
    /// Whether `inputs` read through `instruments` are what was recorded.
    pub(crate) fn holds(&self, inputs: &Inputs<'_>, instruments: &[InstrumentId]) -> bool {
        self.features.len() == instruments.len()
            && self.working.len() == inputs.working.len()
            && self.working.iter().zip(inputs.working).all(same_order)
            && instruments
                .iter()
                .zip(&self.inventory)
                .all(|(instrument, kept)| inputs.inventory_of(instrument) == *kept)
            && instruments
                .iter()
                .zip(&self.features)
                .all(|(instrument, kept)| {
                    inputs.market.features(instrument).map(QuoteFeatures::of) == *kept
                })
    }

    /// Records `inputs` read through `instruments`, over what was kept.
    pub(crate) fn record(&mut self, inputs: &Inputs<'_>, instruments: &[InstrumentId]) {
        self.features.clear();
        self.features.extend(
            instruments
                .iter()
                .map(|instrument| inputs.market.features(instrument).map(QuoteFeatures::of)),
        );
        self.inventory.clear();
        self.inventory.extend(
            instruments
                .iter()
                .map(|instrument| inputs.inventory_of(instrument)),
        );
        self.working.clear();
        self.working.extend_from_slice(inputs.working);
    }
}

/// The same working order, compared on the intent id first (the field most
/// likely to differ). The strategy is the same by construction: these are
/// one strategy's own orders.
fn same_order((kept, now): (&WorkingOrder, &WorkingOrder)) -> bool {
    kept.intent_id == now.intent_id
        && kept.side == now.side
        && kept.quantity == now.quantity
        && kept.kind == now.kind
        && kept.in_flight == now.in_flight
        && kept.instrument == now.instrument
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use model::{
        Instrument, InstrumentMap, InstrumentTable, IntentId, NetQuantity, Price, Quantity,
        StrategyId, Timestamp, VenueSymbol,
    };
    use sensory::{FEATURE_VERSION, InstrumentFeatures, InvalidReason, Level, WhatFeatures};

    use super::*;
    use crate::action::Proposal;
    use crate::inputs::MarketView;
    use crate::strategies::micro_mm::{self, MicroMmParams, MicroMmState};

    const TICK: i64 = 10_000_000; // 0.01

    fn yes() -> InstrumentId {
        InstrumentId::new("YES").unwrap()
    }

    fn table() -> InstrumentTable {
        let mut table = InstrumentTable::new();
        table
            .insert(Instrument {
                id: yes(),
                venue_symbol: VenueSymbol::new("YES").unwrap(),
                tick_size: Price::from_raw(TICK),
                lot_size: "1".parse().unwrap(),
                min_quantity: "1".parse().unwrap(),
                max_quantity: None,
                min_notional: None,
                price_digits: 2,
                allows_non_positive_prices: false,
            })
            .unwrap();
        table
    }

    fn params() -> MicroMmParams {
        MicroMmParams {
            instruments: vec![yes()],
            min_half_spread_ticks: 1,
            vol_multiplier: 1.0,
            skew_per_unit: "0.001".parse().unwrap(),
            quote_size: "50".parse().unwrap(),
            max_position: "100".parse().unwrap(),
            replace_tolerance_ticks: 2,
        }
    }

    fn features(microprice: i64) -> InstrumentFeatures {
        let level = |price: i64| Level {
            price: Price::from_raw(price),
            size: "100".parse().unwrap(),
        };
        let mut features = InstrumentFeatures {
            instrument: yes(),
            version: FEATURE_VERSION,
            updated: Timestamp::from_unix_nanos(0),
            last_book_update: None,
            last_book_exchange_time: None,
            last_trade: None,
            events: 0,
            what: WhatFeatures {
                best_bid: Some(level(microprice - TICK)),
                best_ask: Some(level(microprice + TICK)),
                microprice: Some(Price::from_raw(microprice)),
                ..WhatFeatures::default()
            },
            when: Default::default(),
            how: Default::default(),
            why: Default::default(),
            anomaly: Default::default(),
            invalid: None,
        };
        features.when.realized_volatility = Some(0.02);
        features
    }

    /// A random walk over everything a micro_mm decision could read (and
    /// things it does not): whenever a recorded quiet decision holds for
    /// the next inputs, deciding on them for real proposes nothing and
    /// leaves the state as it was. It fails if `QuoteFeatures` (or the
    /// inventory or working-order comparison) leaves out something the
    /// decision reads: a microprice or volatility move, a fill, a quote
    /// gone, would then be skipped.
    #[test]
    fn a_recorded_quiet_decision_holds_only_where_deciding_again_would_be_quiet() {
        let (table, params, strategy) = (table(), params(), StrategyId::new("mm").unwrap());
        let mut rng: u64 = 0x5eed;
        let mut next = |bound: u64| {
            rng = rng
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (rng >> 33) % bound
        };
        let mut microprice = 55 * TICK;
        let mut market = MarketView::default();
        market.instruments.insert(yes(), features(microprice));
        let mut position: i64 = 0;
        let mut working: Vec<WorkingOrder> = Vec::new();
        let mut state = MicroMmState::default();
        let mut quiet: Option<QuietDecision> = None;
        let (mut held, mut acted, mut ids) = (0, 0, 0u128);
        for step in 0..4_000u64 {
            // One change per step, mostly to what a quote does not read.
            let yes_features = market.instruments.get_mut(&yes()).unwrap();
            match next(20) {
                0 => microprice += (next(7) as i64 - 3) * TICK,
                1 => yes_features.when.realized_volatility = Some(next(5) as f64 * 0.01),
                2 => yes_features.why.blackout = next(4) == 0,
                3 => {
                    yes_features.invalid = (next(4) == 0).then_some(InvalidReason::WarmingUp);
                }
                4 => position += next(41) as i64 - 20,
                5 => {
                    working.pop();
                }
                6 => {
                    if let Some(order) = working.first_mut() {
                        order.in_flight = !order.in_flight;
                    }
                }
                _ => {
                    yes_features.events = step;
                    yes_features.what.spread_bps = Some(next(100) as f64);
                    yes_features.what.bid_depth = Quantity::from_raw(next(1_000) as i64).unwrap();
                }
            }
            let yes_features = market.instruments.get_mut(&yes()).unwrap();
            yes_features.what.microprice = Some(Price::from_raw(microprice));
            let inventory: InstrumentMap<Inventory> = [(
                yes(),
                Inventory {
                    position: NetQuantity::from_raw(position * 1_000_000_000),
                    ..Inventory::default()
                },
            )]
            .into();
            let inputs = Inputs {
                now: Timestamp::from_unix_nanos(step),
                market: &market,
                inventory: &inventory,
                working: &working,
                instruments: &table,
            };
            let mut decided = state.clone();
            let proposals = micro_mm::decide(&inputs, &params, &mut decided);
            let is_quiet = proposals.is_empty() && decided == state;
            if quiet
                .as_ref()
                .is_some_and(|quiet| quiet.holds(&inputs, &params.instruments))
            {
                held += 1;
                assert!(
                    is_quiet,
                    "step {step}: a held quiet decision, yet deciding proposes {proposals:?}"
                );
            }
            if is_quiet {
                quiet
                    .get_or_insert_with(QuietDecision::default)
                    .record(&inputs, &params.instruments);
                continue;
            }
            acted += 1;
            quiet = None;
            state = decided;
            // The venue takes every proposal at once.
            for proposal in proposals {
                match proposal {
                    Proposal::Submit(request) => {
                        ids += 1;
                        working.push(WorkingOrder {
                            strategy,
                            intent_id: IntentId::from_u128(ids),
                            instrument: request.instrument,
                            side: request.side,
                            kind: request.kind,
                            quantity: request.size,
                            in_flight: false,
                        });
                    }
                    Proposal::Cancel { intent_id, .. } => {
                        working.retain(|order| order.intent_id != intent_id);
                    }
                    Proposal::Replace {
                        intent_id,
                        quantity,
                        kind,
                        ..
                    } => {
                        if let Some(order) = working.iter_mut().find(|o| o.intent_id == intent_id) {
                            (order.quantity, order.kind) = (quantity, kind);
                        }
                    }
                }
            }
        }
        // Both outcomes happened often enough to mean something.
        assert!(held > 1_000, "only {held} held quiet decisions");
        assert!(acted > 100, "only {acted} decisions acted");
    }
}
