//! WHEN: realized volatility and its regime, the trading session, the
//! time-of-day bucket and the exchange-to-receive lag.
//!
//! Realized volatility is an exponentially weighted realized variance per
//! unit of time. At each book event with a mid, the log return since the
//! previous such event, r = ln(mid / previous mid), and the elapsed time
//! Δt (seconds, receive clock) are added to two sums after both sums decay
//! by 2^(−Δt / half-life):
//!
//! `R ← R·d + r²`, `T ← T·d + Δt`, `σ = √(R / T)` per √second.
//!
//! Dividing decayed squared returns by decayed elapsed time stays finite
//! when two events share a timestamp (Δt = 0 adds a return and no time),
//! which a per-event `r²/Δt` would not. A mid at or below zero has no log
//! return; such steps are skipped (the previous mid is kept).

use model::{Price, Timestamp};

use crate::features::{Regime, TradingSession};
use crate::math::{NANOS_PER_SECOND, decay};

const NANOS_PER_MINUTE: u64 = 60_000_000_000;
const MINUTES_PER_DAY: u64 = 1440;

/// The realized-volatility estimator of one instrument.
#[derive(Clone, Debug)]
pub(crate) struct Volatility {
    half_life_nanos: u64,
    squared_returns: f64,
    elapsed_seconds: f64,
    returns: u32,
    previous: Option<(Timestamp, Price)>,
    /// σ of the sums as they are: read after every event, changed only
    /// by a return, so its division and square root run once per return.
    value: Option<f64>,
}

impl Volatility {
    pub(crate) const fn new(half_life_nanos: u64) -> Self {
        Self {
            half_life_nanos,
            squared_returns: 0.0,
            elapsed_seconds: 0.0,
            returns: 0,
            previous: None,
            value: None,
        }
    }

    /// Adds the mid observed at `now`.
    pub(crate) fn observe(&mut self, now: Timestamp, mid: Price) {
        if !mid.is_positive() {
            return;
        }
        if let Some((then, previous)) = self.previous {
            let elapsed = now.saturating_nanos_since(then);
            let weight = decay(elapsed, self.half_life_nanos);
            // Most book events leave the mid where it was: the return is
            // then exactly 0 (0 / previous and ln(1 + 0) are +0), without
            // the division and the logarithm.
            let log_return = if mid == previous {
                0.0
            } else {
                ((mid.raw() - previous.raw()) as f64 / previous.raw() as f64).ln_1p()
            };
            self.squared_returns = self.squared_returns * weight + log_return * log_return;
            self.elapsed_seconds =
                self.elapsed_seconds * weight + elapsed as f64 / NANOS_PER_SECOND;
            self.returns = self.returns.saturating_add(1);
            self.value = (self.elapsed_seconds > 0.0)
                .then(|| (self.squared_returns / self.elapsed_seconds).sqrt());
        }
        self.previous = Some((now, mid));
    }

    /// σ per √second, once some time has passed between two mids.
    pub(crate) const fn value(&self) -> Option<f64> {
        self.value
    }

    /// Returns observed.
    pub(crate) const fn returns(&self) -> u32 {
        self.returns
    }
}

/// The regime of `volatility` once `returns ≥ warmup`.
pub(crate) fn regime(
    volatility: Option<f64>,
    returns: u32,
    warmup: u32,
    calm: f64,
    stressed: f64,
) -> Regime {
    match volatility {
        Some(_) if returns < warmup => Regime::Unknown,
        Some(sigma) if sigma < calm => Regime::Calm,
        Some(sigma) if sigma > stressed => Regime::Stressed,
        Some(_) => Regime::Normal,
        None => Regime::Unknown,
    }
}

/// The FX session `at` falls in, by UTC hour.
pub(crate) fn session(at: Timestamp) -> TradingSession {
    match minute_of_day(at) / 60 {
        7..=11 => TradingSession::Europe,
        12..=15 => TradingSession::EuropeAmericaOverlap,
        16..=21 => TradingSession::America,
        _ => TradingSession::Asia,
    }
}

/// Minutes since UTC midnight divided by `width_minutes` (≥ 1).
pub(crate) fn time_of_day_bucket(at: Timestamp, width_minutes: u16) -> u16 {
    let bucket = minute_of_day(at) / u64::from(width_minutes.max(1));
    u16::try_from(bucket).unwrap_or(u16::MAX)
}

fn minute_of_day(at: Timestamp) -> u64 {
    at.unix_nanos() / NANOS_PER_MINUTE % MINUTES_PER_DAY
}

/// receive − exchange in nanoseconds, saturating at the `i64` range.
pub(crate) fn exchange_lag(exchange: Option<Timestamp>, receive: Timestamp) -> Option<i64> {
    exchange.map(|exchange| {
        let lag = i128::from(receive.unix_nanos()) - i128::from(exchange.unix_nanos());
        i64::try_from(lag).unwrap_or(if lag < 0 { i64::MIN } else { i64::MAX })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    fn at(seconds: u64) -> Timestamp {
        Timestamp::from_unix_nanos(seconds * SECOND)
    }

    fn px(text: &str) -> Price {
        text.parse().unwrap()
    }

    #[test]
    fn volatility_is_decayed_squared_returns_over_decayed_time() {
        // Half-life 1 s. Mids 100 → 101 after 1 s → 100 after 1 more s.
        let mut vol = Volatility::new(SECOND);
        vol.observe(at(0), px("100"));
        assert_eq!(vol.value(), None);
        vol.observe(at(1), px("101"));
        // r1 = ln(1.01); R = r1², T = 1 → σ = |r1| = 0.00995033085…
        let r1 = 0.01f64.ln_1p();
        assert_eq!(vol.value(), Some(r1.abs()));
        vol.observe(at(2), px("100"));
        // r2 = ln(100/101); d = 0.5: R = 0.5·r1² + r2², T = 0.5·1 + 1 = 1.5
        let r2 = (-1.0f64 / 101.0).ln_1p();
        let expected = ((0.5 * r1 * r1 + r2 * r2) / 1.5).sqrt();
        assert_eq!(vol.value(), Some(expected));
        assert!((expected - 0.009_950_3).abs() < 1e-6);
        assert_eq!(vol.returns(), 2);
    }

    #[test]
    fn simultaneous_events_add_returns_but_no_time() {
        let mut vol = Volatility::new(SECOND);
        vol.observe(at(5), px("100"));
        vol.observe(at(5), px("101"));
        assert_eq!(vol.value(), None, "no time has passed yet");
        vol.observe(at(6), px("101"));
        // R = r1² (d = 1 at Δt = 0, then d = 0.5: 0.5·r1² + 0), T = 1
        let r1 = 0.01f64.ln_1p();
        assert_eq!(vol.value(), Some((0.5 * r1 * r1 / 1.0).sqrt()));
        // Non-positive mids are skipped.
        vol.observe(at(7), Price::ZERO);
        assert_eq!(vol.returns(), 2);
    }

    #[test]
    fn an_unchanged_mid_returns_exactly_zero() {
        // The shortcut in `observe` gives what the formula gives, to the bit.
        for raw in [1, 7, 1_066_275_000, 100_005_000_000, i64::MAX] {
            let formula = (0.0 / raw as f64).ln_1p();
            assert_eq!(formula.to_bits(), 0.0f64.to_bits(), "{raw}");
        }
    }

    #[test]
    fn regime_uses_bounds_after_warmup() {
        assert_eq!(regime(Some(1e-5), 5, 10, 5e-5, 2e-4), Regime::Unknown);
        assert_eq!(regime(Some(1e-5), 10, 10, 5e-5, 2e-4), Regime::Calm);
        assert_eq!(regime(Some(1e-4), 10, 10, 5e-5, 2e-4), Regime::Normal);
        assert_eq!(regime(Some(3e-4), 10, 10, 5e-5, 2e-4), Regime::Stressed);
        assert_eq!(regime(None, 10, 10, 5e-5, 2e-4), Regime::Unknown);
    }

    #[test]
    fn sessions_buckets_and_lag() {
        let day = 86_400 * 20_000; // some midnight UTC
        assert_eq!(session(at(day)), TradingSession::Asia);
        assert_eq!(session(at(day + 7 * 3600)), TradingSession::Europe);
        assert_eq!(
            session(at(day + 12 * 3600)),
            TradingSession::EuropeAmericaOverlap
        );
        assert_eq!(
            session(at(day + 16 * 3600 - 1)),
            TradingSession::EuropeAmericaOverlap
        );
        assert_eq!(session(at(day + 16 * 3600)), TradingSession::America);
        assert_eq!(session(at(day + 22 * 3600)), TradingSession::Asia);
        // 13:47 with 30-minute buckets: 827 / 30 = 27.
        assert_eq!(time_of_day_bucket(at(day + 13 * 3600 + 47 * 60), 30), 27);
        assert_eq!(time_of_day_bucket(at(day + 86_399), 1), 1439);
        assert_eq!(exchange_lag(Some(at(10)), at(11)), Some(1_000_000_000));
        assert_eq!(exchange_lag(Some(at(11)), at(10)), Some(-1_000_000_000));
        assert_eq!(exchange_lag(None, at(10)), None);
    }
}
