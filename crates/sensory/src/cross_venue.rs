//! Cross-venue ΔSPD: how far a prediction market lags what a spot move
//! implies.
//!
//! Each leg keeps an EMA anchor of its mid (as `f64` in price units),
//! updated at every book event of that leg that has a valid mid, with a
//! time-based weight: `anchor ← anchor + (1 − 2^(−Δt / half-life)) ·
//! (mid − anchor)`; the first mid sets the anchor. Then, as the
//! [`CrossVenueFeatures`] doc says, `spot_move = (spot_mid − spot_anchor) /
//! spot_anchor`, `pm_move = pm_mid − pm_anchor` and `delta_spd = β ·
//! spot_move − pm_move`. A leg whose vector is invalid (no book, resync,
//! crossed, one-sided) has no mid, and ΔSPD is `None` until it has one
//! again; its anchor is kept.

use model::{InstrumentId, Price, Timestamp};

use crate::config::CrossVenuePair;
use crate::features::CrossVenueFeatures;
use crate::math::decay;

const PRICE_SCALE: f64 = 1e9;

/// One leg's latest mid and its anchor.
#[derive(Clone, Copy, Debug)]
struct Leg {
    half_life_nanos: u64,
    mid: Option<f64>,
    anchor: Option<f64>,
    anchored_at: Option<Timestamp>,
    time: Option<Timestamp>,
}

impl Leg {
    const fn new(half_life_nanos: u64) -> Self {
        Self {
            half_life_nanos,
            mid: None,
            anchor: None,
            anchored_at: None,
            time: None,
        }
    }

    fn observe(&mut self, now: Timestamp, mid: Option<Price>, time: Timestamp) {
        let Some(mid) = mid else {
            self.mid = None;
            return;
        };
        let mid = mid.raw() as f64 / PRICE_SCALE;
        self.anchor = Some(match (self.anchor, self.anchored_at) {
            (Some(anchor), Some(then)) => {
                let weight = 1.0 - decay(now.saturating_nanos_since(then), self.half_life_nanos);
                anchor + weight * (mid - anchor)
            }
            _ => mid,
        });
        self.anchored_at = Some(now);
        self.mid = Some(mid);
        self.time = Some(time);
    }
}

/// The running state of one configured pair.
#[derive(Clone, Debug)]
pub(crate) struct PairState {
    beta: f64,
    spot: Leg,
    prediction: Leg,
    features: CrossVenueFeatures,
}

impl PairState {
    pub(crate) const fn new(pair: &CrossVenuePair) -> Self {
        Self {
            beta: pair.beta,
            spot: Leg::new(pair.spot_half_life_nanos),
            prediction: Leg::new(pair.prediction_half_life_nanos),
            features: CrossVenueFeatures {
                spot: pair.spot,
                prediction: pair.prediction,
                spot_anchor: None,
                prediction_anchor: None,
                delta_spd: None,
                spot_time: None,
                prediction_time: None,
            },
        }
    }

    pub(crate) const fn features(&self) -> &CrossVenueFeatures {
        &self.features
    }

    /// Feeds `instrument`'s mid (`None` when its vector is invalid) after
    /// a book event at `now`; `time` is the event's exchange time, else
    /// its receive time.
    pub(crate) fn observe(
        &mut self,
        instrument: &InstrumentId,
        now: Timestamp,
        mid: Option<Price>,
        time: Timestamp,
    ) {
        if *instrument == self.features.spot {
            self.spot.observe(now, mid, time);
        }
        if *instrument == self.features.prediction {
            self.prediction.observe(now, mid, time);
        }
        self.features.spot_anchor = self.spot.anchor;
        self.features.prediction_anchor = self.prediction.anchor;
        self.features.spot_time = self.spot.time;
        self.features.prediction_time = self.prediction.time;
        self.features.delta_spd = match (
            self.spot.mid,
            self.spot.anchor,
            self.prediction.mid,
            self.prediction.anchor,
        ) {
            (Some(spot), Some(spot_anchor), Some(pm), Some(pm_anchor)) if spot_anchor != 0.0 => {
                let spot_move = (spot - spot_anchor) / spot_anchor;
                let pm_move = pm - pm_anchor;
                Some(self.beta * spot_move - pm_move)
            }
            _ => None,
        };
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    fn at(seconds: u64) -> Timestamp {
        Timestamp::from_unix_nanos(seconds * SECOND)
    }

    fn px(text: &str) -> Option<Price> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn delta_spd_of_known_moves() {
        let spot: InstrumentId = "BTC-USD.COINBASE".parse().unwrap();
        let pm: InstrumentId = "YES.POLYMARKET".parse().unwrap();
        let mut pair = PairState::new(&CrossVenuePair {
            spot,
            prediction: pm,
            beta: 2.0,
            spot_half_life_nanos: 10 * SECOND,
            prediction_half_life_nanos: 11 * SECOND,
        });
        pair.observe(&spot, at(0), px("100000"), at(0));
        assert_eq!(pair.features().delta_spd, None, "no prediction mid yet");
        pair.observe(&pm, at(0), px("0.5"), at(0));
        // Both anchors equal their first mids: no move, ΔSPD 0.
        assert_eq!(pair.features().delta_spd, Some(0.0));
        // Spot +1% ten seconds later (one half-life): anchor 100000 +
        // 0.5 · 1000 = 100500; move = 500 / 100500 = 0.004975124…
        pair.observe(&spot, at(10), px("101000"), at(10));
        let features = pair.features();
        assert_eq!(features.spot_anchor, Some(100_500.0));
        let spot_move = 500.0 / 100_500.0;
        // PM unchanged: ΔSPD = 2 · 0.004975… − 0 = 0.00995…: YES looks cheap.
        assert_eq!(features.delta_spd, Some(2.0 * spot_move));
        // PM moves to 0.51 at 11 s, one half-life after its first mid: anchor 0.505,
        // pm_move 0.005; ΔSPD = 0.0099502… − 0.005.
        pair.observe(&pm, at(11), px("0.51"), at(11));
        let features = pair.features();
        assert_eq!(features.prediction_anchor, Some(0.5 + 0.5 * (0.51 - 0.5)));
        let pm_move = 0.51 - (0.5 + 0.5 * (0.51 - 0.5));
        assert_eq!(features.delta_spd, Some(2.0 * spot_move - pm_move));
        assert!((features.delta_spd.unwrap() - 0.004_950_248_756).abs() < 1e-9);
        assert_eq!(features.prediction_time, Some(at(11)));
        // The spot book goes invalid: no ΔSPD, anchors kept.
        pair.observe(&spot, at(12), None, at(12));
        assert_eq!(pair.features().delta_spd, None);
        assert_eq!(pair.features().spot_anchor, Some(100_500.0));
    }
}
