//! `delta_spd`: trade the YES token when the prediction market lags the
//! spot move (ΔSPD, see [`sensory::CrossVenueFeatures`]).
//!
//! Per YES token, the dislocation sits in one of three bands:
//! - ABOVE when ΔSPD ≥ threshold: BUY the YES token;
//! - BELOW when ΔSPD ≤ −threshold: SELL it (reduce; short only with
//!   `allow_short`);
//! - INSIDE when |ΔSPD| < threshold − hysteresis.
//!
//! Between `threshold − hysteresis` and `threshold` the band does not
//! change, so noise around the threshold does not re-arm it. One intent
//! fires per crossing from INSIDE to ABOVE or BELOW (or from one outside
//! band straight to the other). A token first seen outside the band does
//! not fire: the crossing was not observed. A crossing that cannot be
//! acted on yet (no quote on the side to take, or the inventory cap
//! reached) stays pending while ΔSPD stays outside, and fires as soon as
//! it can. So does a crossing whose intent the host held back (gate not
//! RUNNING, rate limit, kill switch): the host keeps the state of a
//! decision only when its intents went out, so such a crossing fires on the
//! first step where it may, if ΔSPD is still outside the band then.
//!
//! The order is a limit at the touch it takes (the best ask to buy, the
//! best bid to sell), immediate-or-cancel, sized `order_size` capped so
//! that position + pending stays within `max_position` (and above
//! `−max_position` when shorting is allowed, else above zero), rounded
//! down to the lot. Each fired crossing starts a new epoch.

use model::{InstrumentId, OrderKind, Quantity, Side, TimeInForce};

use crate::action::{OrderRequest, Proposal};
use crate::exact;
use crate::inputs::Inputs;

/// Parameters of one `delta_spd` instance.
#[derive(Clone, Debug, PartialEq)]
pub struct DeltaSpdParams {
    /// The YES tokens traded.
    pub instruments: Vec<InstrumentId>,
    /// |ΔSPD| at which a crossing fires.
    pub threshold: f64,
    /// How far inside the threshold ΔSPD must come back to re-arm.
    pub hysteresis: f64,
    /// β of ΔSPD = β · spot return − PM move (configures the sensory layer).
    pub beta: f64,
    /// Half-life of the spot EMA anchor, ms (configures the sensory layer).
    pub spot_half_life_ms: u64,
    /// Half-life of the PM EMA anchor, ms (configures the sensory layer).
    pub pm_half_life_ms: u64,
    /// Size of one intent.
    pub order_size: Quantity,
    /// Largest |position + pending|.
    pub max_position: Quantity,
    /// Whether a sell may take the position below zero.
    pub allow_short: bool,
}

/// Where ΔSPD was last seen, per token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// |ΔSPD| below threshold − hysteresis: armed.
    Inside,
    /// ΔSPD ≥ threshold, crossing acted on.
    Above,
    /// ΔSPD ≤ −threshold, crossing acted on.
    Below,
}

/// What persists between decisions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeltaSpdState {
    /// The band per token, in the order of [`DeltaSpdParams::instruments`]
    /// (filled in by the first decision); `None` until first seen inside.
    /// Indexed, not keyed by id: the host compares and copies this state
    /// around every decision.
    pub bands: Vec<Option<Band>>,
    /// Crossings fired so far (the intent epoch).
    pub epoch: u64,
}

/// One decision: at most one intent per token.
pub fn decide(
    inputs: &Inputs<'_>,
    params: &DeltaSpdParams,
    state: &mut DeltaSpdState,
) -> Vec<Proposal> {
    let mut proposals = Vec::new();
    if state.bands.len() != params.instruments.len() {
        state.bands.resize(params.instruments.len(), None);
    }
    for (instrument, band_seen) in params.instruments.iter().zip(&mut state.bands) {
        let Some(delta) = inputs
            .market
            .cross
            .get(instrument)
            .and_then(|cross| cross.delta_spd)
            .filter(|delta| delta.is_finite())
        else {
            continue;
        };
        let previous = *band_seen;
        let outside = if delta >= params.threshold {
            Some(Band::Above)
        } else if delta <= -params.threshold {
            Some(Band::Below)
        } else {
            None
        };
        match (previous, outside) {
            (_, None) => {
                // Written only on a change: this runs on every event.
                if delta.abs() < params.threshold - params.hysteresis
                    && previous != Some(Band::Inside)
                {
                    *band_seen = Some(Band::Inside);
                }
            }
            // Never seen inside, or this crossing was already acted on.
            (None, Some(_)) => {}
            (Some(seen), Some(band)) if seen == band => {}
            (Some(_), Some(band)) => {
                if let Some(request) =
                    order_for(inputs, params, *instrument, band, delta, state.epoch + 1)
                {
                    state.epoch += 1;
                    *band_seen = Some(band);
                    proposals.push(Proposal::Submit(request));
                }
            }
        }
    }
    proposals
}

fn order_for(
    inputs: &Inputs<'_>,
    params: &DeltaSpdParams,
    instrument: InstrumentId,
    band: Band,
    delta: f64,
    epoch: u64,
) -> Option<OrderRequest> {
    let features = inputs
        .market
        .features(&instrument)
        .filter(|f| f.is_valid())?;
    let lot = inputs.instruments.get(&instrument)?.lot_size;
    let inventory = inputs.inventory_of(&instrument);
    let projected = exact::projected(
        inventory.position,
        inventory.pending_buys,
        inventory.pending_sells,
    );
    let short_floor = if params.allow_short {
        params.max_position
    } else {
        Quantity::ZERO
    };
    let (buy_room, sell_room) = exact::room(projected, params.max_position, short_floor);
    let (side, touch, room, comparison) = match band {
        Band::Above => (Side::Buy, features.what.best_ask?, buy_room, ">="),
        Band::Below => (Side::Sell, features.what.best_bid?, sell_room, "<="),
        Band::Inside => return None,
    };
    let size = exact::floor_to_lot(params.order_size.min(room), lot);
    if size.is_zero() {
        return None;
    }
    let signed_threshold = if side == Side::Buy {
        params.threshold
    } else {
        -params.threshold
    };
    Some(OrderRequest {
        instrument,
        side,
        kind: OrderKind::Limit { price: touch.price },
        size,
        time_in_force: TimeInForce::ImmediateOrCancel,
        epoch,
        reason: format!(
            "delta_spd={delta:.4} {comparison} threshold={signed_threshold}, side={side}, position={}, pending_buys={}, pending_sells={}",
            inventory.position, inventory.pending_buys, inventory.pending_sells
        ),
    })
}
