//! `micro_mm`: two-sided quotes around the microprice.
//!
//! Per instrument, with tick `t`, microprice `fair`, realized volatility
//! `σ` (per √s) and net position `q`:
//! - half-spread `h = max(min_half_spread_ticks, ⌈k·σ·fair / t⌉) · t`;
//! - skew `s = q · skew_per_unit` (exact, truncated at 10⁻⁹);
//! - bid = ⌊fair − h − s⌋ₜ and ask = ⌈fair + h − s⌉ₜ: rounded outward,
//!   so the quoted spread is never narrower than asked for; a long
//!   position lowers both quotes, a short one raises them.
//!
//! Sizes are `quote_size`, capped so that position + pending (without the
//! quote itself) stays within ±`max_position`, rounded down to the lot; a
//! side with nothing left (at its cap), or a non-positive bid where the
//! instrument forbids it, is not quoted and its working quote is canceled.
//!
//! A working quote is replaced when its price is more than
//! `replace_tolerance_ticks` ticks from the target, or its size is above
//! what the cap allows; otherwise it is left alone. Invalid features, no
//! microprice, no volatility, or an event blackout cancel every quote of
//! the instrument. A second working quote on one side is canceled.
//!
//! Epochs: each side of each instrument counts quote generations; a new
//! generation starts once a quote of the current one was sent and is no
//! longer working (filled, canceled, or rejected before it ever worked).
//! The OMS records an order the moment it is submitted, so a sent quote
//! is among the working orders until it ends; a re-proposed quote with
//! the same terms in the same generation has the same intent id and is
//! never doubled, and one that ended gets a fresh id (the OMS refuses an
//! intent id twice).

use model::{Instrument, InstrumentId, OrderKind, Price, Quantity, Side, TimeInForce};
use sensory::InstrumentFeatures;

use crate::action::{OrderRequest, Proposal};
use crate::exact;
use crate::inputs::{Inputs, WorkingOrder};

/// Parameters of one `micro_mm` instance.
#[derive(Clone, Debug, PartialEq)]
pub struct MicroMmParams {
    /// The instruments quoted.
    pub instruments: Vec<InstrumentId>,
    /// Smallest half-spread, in ticks (at least 1).
    pub min_half_spread_ticks: u32,
    /// k: half-spread per unit of realized volatility, as a fraction of
    /// the fair price.
    pub vol_multiplier: f64,
    /// Price shift per unit of net position (against the position).
    pub skew_per_unit: Price,
    /// Size of each quote.
    pub quote_size: Quantity,
    /// Largest |position + pending|.
    pub max_position: Quantity,
    /// How many ticks a working quote may be off target before a replace.
    pub replace_tolerance_ticks: u32,
}

/// Quote generations of one side of one instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SideEpoch {
    /// The current generation.
    pub epoch: u64,
    /// Whether a quote of this generation was sent.
    pub sent: bool,
}

/// What persists between decisions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MicroMmState {
    /// Generations per instrument, `[buy, sell]`, in the order of
    /// [`MicroMmParams::instruments`] (filled in by the first decision).
    /// Indexed, not keyed by id: the host compares and copies this state
    /// around every decision.
    pub sides: Vec<[SideEpoch; 2]>,
}

/// The quotes wanted for one instrument: price and size per side, `None`
/// for a side not quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetQuotes {
    /// The microprice quoted around.
    pub fair: Price,
    /// Half-spread before skew.
    pub half_spread: Price,
    /// Bid price and size.
    pub bid: Option<(Price, Quantity)>,
    /// Ask price and size.
    pub ask: Option<(Price, Quantity)>,
}

/// The part of an instrument's feature vector a quote decision reads:
/// everything [`decide`] looks at goes through it, so two vectors with the
/// same `QuoteFeatures` get the same quotes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct QuoteFeatures {
    valid: bool,
    blackout: bool,
    microprice: Option<Price>,
    volatility: Option<f64>,
}

impl QuoteFeatures {
    /// What a quote decision reads of `features`.
    pub(crate) const fn of(features: &InstrumentFeatures) -> Self {
        Self {
            valid: features.is_valid(),
            blackout: features.why.blackout,
            microprice: features.what.microprice,
            volatility: features.when.realized_volatility,
        }
    }
}

/// The fair price and volatility to quote `instrument` on, or why it is
/// not quoted at all.
fn quotable(inputs: &Inputs<'_>, instrument: &InstrumentId) -> Result<(Price, f64), &'static str> {
    let Some(features) = inputs.market.features(instrument) else {
        return Err("no features");
    };
    let features = QuoteFeatures::of(features);
    if !features.valid {
        return Err("features invalid");
    }
    if features.blackout {
        return Err("event blackout");
    }
    let Some(fair) = features.microprice else {
        return Err("no microprice");
    };
    match features.volatility {
        Some(vol) if vol.is_finite() && vol >= 0.0 => Ok((fair, vol)),
        _ => Err("no volatility"),
    }
}

/// The quotes for `instrument`, or why there are none.
pub fn target_quotes(
    inputs: &Inputs<'_>,
    params: &MicroMmParams,
    instrument: &InstrumentId,
) -> Result<TargetQuotes, &'static str> {
    targets(inputs, params, instrument).map(|(target, _)| target)
}

/// [`target_quotes`] and the instrument's spec, each looked up once.
fn targets<'a>(
    inputs: &Inputs<'a>,
    params: &MicroMmParams,
    instrument: &InstrumentId,
) -> Result<(TargetQuotes, &'a Instrument), &'static str> {
    let (fair, vol) = quotable(inputs, instrument)?;
    let spec = inputs
        .instruments
        .get(instrument)
        .ok_or("unknown instrument")?;
    let tick = spec.tick_size;
    let vol_ticks = exact::ticks_covering(
        params.vol_multiplier * vol * exact::to_f64(fair).abs(),
        tick,
    )
    .ok_or("volatility out of range")?;
    let half_ticks = vol_ticks.max(i64::from(params.min_half_spread_ticks.max(1)));
    let half_spread = exact::ticks(half_ticks, tick).ok_or("half-spread out of range")?;
    let inventory = inputs.inventory_of(instrument);
    let skew =
        exact::scale_price(inventory.position, params.skew_per_unit).ok_or("skew out of range")?;
    let center = fair.checked_sub(skew).ok_or("price out of range")?;
    let bid_price = exact::floor_to_tick(
        center
            .checked_sub(half_spread)
            .ok_or("price out of range")?,
        tick,
    );
    let ask_price = exact::ceil_to_tick(
        center
            .checked_add(half_spread)
            .ok_or("price out of range")?,
        tick,
    );

    let own = |side: Side| {
        inputs
            .working
            .iter()
            .filter(|order| order.instrument == *instrument && order.side == side)
            .fold(Quantity::ZERO, |sum, order| {
                sum.checked_add(order.quantity).unwrap_or(sum)
            })
    };
    let projected = exact::projected(
        inventory.position,
        inventory.pending_buys.saturating_sub(own(Side::Buy)),
        inventory.pending_sells.saturating_sub(own(Side::Sell)),
    );
    let (buy_room, sell_room) = exact::room(projected, params.max_position, params.max_position);
    let size = |room: Quantity| exact::floor_to_lot(params.quote_size.min(room), spec.lot_size);
    let positive_ok = |price: Price| spec.allows_non_positive_prices || price.is_positive();
    let bid =
        Some((bid_price, size(buy_room))).filter(|(px, qty)| !qty.is_zero() && positive_ok(*px));
    let ask =
        Some((ask_price, size(sell_room))).filter(|(px, qty)| !qty.is_zero() && positive_ok(*px));
    let target = TargetQuotes {
        fair,
        half_spread,
        bid,
        ask,
    };
    Ok((target, spec))
}

/// One decision over every instrument.
pub fn decide(
    inputs: &Inputs<'_>,
    params: &MicroMmParams,
    state: &mut MicroMmState,
) -> Vec<Proposal> {
    let mut proposals = Vec::new();
    if state.sides.len() != params.instruments.len() {
        state
            .sides
            .resize(params.instruments.len(), [SideEpoch::default(); 2]);
    }
    for (instrument, generations) in params.instruments.iter().zip(&mut state.sides) {
        match targets(inputs, params, instrument) {
            Err(why) => {
                for order in inputs
                    .working
                    .iter()
                    .filter(|order| order.instrument == *instrument)
                {
                    proposals.push(Proposal::Cancel {
                        intent_id: order.intent_id,
                        reason: format!(
                            "micro_mm: cancel {} quote on {instrument}: {why}",
                            order.side
                        ),
                    });
                }
            }
            Ok((target, spec)) => {
                let tolerance =
                    exact::ticks(i64::from(params.replace_tolerance_ticks), spec.tick_size)
                        .unwrap_or(Price::ZERO);
                let [buy, sell] = generations;
                for (side, want, generation) in
                    [(Side::Buy, target.bid, buy), (Side::Sell, target.ask, sell)]
                {
                    // Borrowed, not collected: this runs on every event.
                    let mut working = inputs
                        .working
                        .iter()
                        .filter(|order| order.instrument == *instrument && order.side == side);
                    let keep = working.next();
                    if keep.is_none() && generation.sent {
                        generation.epoch += 1;
                        generation.sent = false;
                    }
                    let epoch = generation.epoch;
                    generation.sent |= manage_side(
                        instrument,
                        side,
                        want,
                        (keep, working),
                        tolerance,
                        &target,
                        epoch,
                        &mut proposals,
                    );
                }
            }
        }
    }
    proposals
}

/// The text every quote decision ends with. Built only for a proposal:
/// formatting prices on every event would cost more than the decision.
fn context(target: &TargetQuotes) -> String {
    format!("fair={} half_spread={}", target.fair, target.half_spread)
}

#[expect(
    clippy::too_many_arguments,
    reason = "one side's whole context, private"
)]
fn manage_side<'a>(
    instrument: &InstrumentId,
    side: Side,
    want: Option<(Price, Quantity)>,
    (keep, extra): (
        Option<&'a WorkingOrder>,
        impl Iterator<Item = &'a WorkingOrder>,
    ),
    tolerance: Price,
    target: &TargetQuotes,
    epoch: u64,
    proposals: &mut Vec<Proposal>,
) -> bool {
    for order in extra {
        proposals.push(Proposal::Cancel {
            intent_id: order.intent_id,
            reason: format!("micro_mm: extra {side} quote on {instrument}"),
        });
    }
    match (keep, want) {
        (Some(order), None) => proposals.push(Proposal::Cancel {
            intent_id: order.intent_id,
            reason: format!(
                "micro_mm: {side} side of {instrument} not quoted (cap or price), {}",
                context(target)
            ),
        }),
        (Some(order), Some((price, size))) => {
            let current = order.kind.limit_price().unwrap_or(Price::ZERO);
            let distance =
                Price::from_raw(current.raw().saturating_sub(price.raw()).saturating_abs());
            let oversize = order.quantity > size;
            if distance > tolerance || oversize {
                let quantity = if oversize { size } else { order.quantity };
                proposals.push(Proposal::Replace {
                    intent_id: order.intent_id,
                    quantity,
                    kind: OrderKind::Limit { price },
                    reason: format!(
                        "micro_mm: move {side} {current}x{} to {price}x{quantity} (off by {distance}, tolerance {tolerance}), {}",
                        order.quantity,
                        context(target)
                    ),
                });
            }
        }
        (None, Some((price, size))) => {
            proposals.push(Proposal::Submit(OrderRequest {
                instrument: *instrument,
                side,
                kind: OrderKind::Limit { price },
                size,
                time_in_force: TimeInForce::GoodTillCancel,
                epoch,
                reason: format!("micro_mm: quote {side} {size}@{price}, {}", context(target)),
            }));
            return true;
        }
        (None, None) => {}
    }
    false
}

/// The cancels that take every quote down (when the gate is not RUNNING).
pub fn withdraw(working: &[WorkingOrder], why: &str) -> Vec<Proposal> {
    working
        .iter()
        .map(|order| Proposal::Cancel {
            intent_id: order.intent_id,
            reason: format!(
                "micro_mm: withdraw {} quote on {}: {why}",
                order.side, order.instrument
            ),
        })
        .collect()
}
