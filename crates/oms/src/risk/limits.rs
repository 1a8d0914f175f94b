//! The caps the risk gate enforces, as configured by the operator.
//!
//! Every cap is optional; [`RiskLimits::default`] has none, so the gate then
//! applies only the instrument's own rules (tick, lot, size, minimum
//! notional), the trading state and GTD expiry. That default suits tests
//! and replays, not live trading: a live configuration should set at least
//! the per-order caps, position limits and rate limits. Load a
//! configuration, then call [`RiskLimits::validate`], which rejects values
//! that can only be mistakes (a zero rate window, a negative cap).

use std::collections::BTreeMap;

use model::{InstrumentId, Money, Quantity};

/// At most `max` acquisitions in any window of `per_nanos` nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RateLimit {
    /// Acquisitions allowed per window (1 to [`RateLimit::MAX_SLOTS`]).
    pub max: u32,
    /// The window's length in nanoseconds (above zero).
    pub per_nanos: u64,
}

impl RateLimit {
    /// The largest `max` a [`RateLimiter`](super::RateLimiter) accepts: it
    /// preallocates one 8-byte slot per acquisition.
    pub const MAX_SLOTS: u32 = 1_000_000;

    /// `max` per second.
    pub const fn per_second(max: u32) -> Self {
        Self {
            max,
            per_nanos: 1_000_000_000,
        }
    }

    /// Checks `max` and `per_nanos`; `field` names the limit in the error.
    pub fn validate(&self, field: &str) -> Result<(), LimitsError> {
        if self.max == 0 || self.max > Self::MAX_SLOTS {
            return Err(LimitsError::RateMax {
                field: field.to_owned(),
                max: self.max,
            });
        }
        if self.per_nanos == 0 {
            return Err(LimitsError::RateWindowZero {
                field: field.to_owned(),
            });
        }
        Ok(())
    }
}

/// A value in a [`RiskLimits`] that can only be a mistake.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitsError {
    /// A cap that must be above zero is zero or negative.
    #[error("risk limit {field} must be above zero (got {value}); to stop trading, halt instead")]
    NotPositive {
        /// Which limit.
        field: String,
        /// The value given.
        value: String,
    },
    /// A cap that must not be negative is.
    #[error("risk limit {field} must not be negative (got {value})")]
    Negative {
        /// Which limit.
        field: String,
        /// The value given.
        value: String,
    },
    /// A rate limit allowing no acquisitions, or more than a limiter holds.
    #[error(
        "rate limit {field}: max must be 1 to {} (got {max})",
        RateLimit::MAX_SLOTS
    )]
    RateMax {
        /// Which limit.
        field: String,
        /// The value given.
        max: u32,
    },
    /// A rate limit with a zero-length window.
    #[error("rate limit {field}: the window must be longer than zero nanoseconds")]
    RateWindowZero {
        /// Which limit.
        field: String,
    },
}

/// The operator's caps. `None` (or an absent map entry) means "no cap".
///
/// Quantities are in the instrument's units; money in the account
/// currency, the currency of [`ExposureView`](super::ExposureView).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RiskLimits {
    /// Largest quantity of one order (any instrument). Above zero.
    pub max_order_quantity: Option<Quantity>,
    /// Largest notional of one order, |quantity × reference price|. Above
    /// zero.
    pub max_order_notional: Option<Money>,
    /// Largest |position| of an instrument (all strategies) in the worst
    /// case, where it has no entry in `position_limits`. Zero is allowed
    /// and means "reduce only".
    pub default_position_limit: Option<Quantity>,
    /// Per-instrument position limits, overriding the default.
    pub position_limits: BTreeMap<InstrumentId, Quantity>,
    /// Largest |position| of one strategy in one instrument, in the worst
    /// case. Zero means "reduce only".
    pub max_strategy_position: Option<Quantity>,
    /// Largest gross exposure, Σ |position × mark| plus working orders. Not
    /// negative; zero means "reduce only".
    pub max_gross_exposure: Option<Money>,
    /// Largest |net exposure|, |Σ position × mark| plus working orders.
    /// Not negative.
    pub max_net_exposure: Option<Money>,
    /// Once the day's PnL is at or below minus this amount, only orders
    /// that reduce a position pass. Above zero.
    pub daily_loss_limit: Option<Money>,
    /// Once the drawdown is at or above this amount, only orders that
    /// reduce a position pass. Above zero.
    pub max_drawdown: Option<Money>,
    /// Submission rate; the OMS enforces it with a
    /// [`RateLimiter`](super::RateLimiter).
    pub submit_rate: Option<RateLimit>,
    /// Modification rate, likewise.
    pub modify_rate: Option<RateLimit>,
    /// Widest distance of a limit or stop price from the last market
    /// price, in basis points of |last price|. Above zero.
    pub price_band_bps: Option<u32>,
}

impl RiskLimits {
    /// The position limit of `instrument`: its own entry, else the default.
    pub fn position_limit(&self, instrument: &InstrumentId) -> Option<Quantity> {
        self.position_limits
            .get(instrument)
            .copied()
            .or(self.default_position_limit)
    }

    /// Checks that every set value can be meant: per-order caps, loss and
    /// drawdown limits and the price band above zero; exposure caps not
    /// negative; rate limits with a window and 1 to
    /// [`RateLimit::MAX_SLOTS`] acquisitions.
    pub fn validate(&self) -> Result<(), LimitsError> {
        if let Some(max) = self.max_order_quantity {
            positive_quantity("max_order_quantity", max)?;
        }
        if let Some(max) = self.max_order_notional {
            positive_money("max_order_notional", max)?;
        }
        if let Some(max) = self.max_gross_exposure {
            non_negative_money("max_gross_exposure", max)?;
        }
        if let Some(max) = self.max_net_exposure {
            non_negative_money("max_net_exposure", max)?;
        }
        if let Some(limit) = self.daily_loss_limit {
            positive_money("daily_loss_limit", limit)?;
        }
        if let Some(max) = self.max_drawdown {
            positive_money("max_drawdown", max)?;
        }
        if let Some(rate) = self.submit_rate {
            rate.validate("submit_rate")?;
        }
        if let Some(rate) = self.modify_rate {
            rate.validate("modify_rate")?;
        }
        if self.price_band_bps == Some(0) {
            return Err(LimitsError::NotPositive {
                field: "price_band_bps".to_owned(),
                value: "0".to_owned(),
            });
        }
        Ok(())
    }
}

fn positive_quantity(field: &str, value: Quantity) -> Result<(), LimitsError> {
    if value.is_zero() {
        return Err(LimitsError::NotPositive {
            field: field.to_owned(),
            value: value.to_string(),
        });
    }
    Ok(())
}

fn positive_money(field: &str, value: Money) -> Result<(), LimitsError> {
    if value <= Money::ZERO {
        return Err(LimitsError::NotPositive {
            field: field.to_owned(),
            value: value.to_string(),
        });
    }
    Ok(())
}

fn non_negative_money(field: &str, value: Money) -> Result<(), LimitsError> {
    if value.is_negative() {
        return Err(LimitsError::Negative {
            field: field.to_owned(),
            value: value.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn money(text: &str) -> Money {
        text.parse().unwrap()
    }

    #[test]
    fn default_is_permissive_and_valid() {
        let limits = RiskLimits::default();
        assert_eq!(limits.validate(), Ok(()));
        assert_eq!(
            limits.position_limit(&InstrumentId::new("EURUSD").unwrap()),
            None
        );
    }

    #[test]
    fn instrument_entry_overrides_the_default_position_limit() {
        let eurusd = InstrumentId::new("EURUSD").unwrap();
        let gbpusd = InstrumentId::new("GBPUSD").unwrap();
        let limits = RiskLimits {
            default_position_limit: Some(Quantity::from_int(100).unwrap()),
            position_limits: [(eurusd, Quantity::from_int(5).unwrap())].into(),
            ..RiskLimits::default()
        };
        assert_eq!(
            limits.position_limit(&eurusd),
            Some(Quantity::from_int(5).unwrap())
        );
        assert_eq!(
            limits.position_limit(&gbpusd),
            Some(Quantity::from_int(100).unwrap())
        );
    }

    #[test]
    fn rejects_nonsense_with_the_field_named() {
        let cases: Vec<(RiskLimits, &str)> = vec![
            (
                RiskLimits {
                    max_order_quantity: Some(Quantity::ZERO),
                    ..RiskLimits::default()
                },
                "risk limit max_order_quantity must be above zero (got 0); to stop trading, halt instead",
            ),
            (
                RiskLimits {
                    max_order_notional: Some(money("-1")),
                    ..RiskLimits::default()
                },
                "risk limit max_order_notional must be above zero (got -1); to stop trading, halt instead",
            ),
            (
                RiskLimits {
                    max_gross_exposure: Some(money("-0.5")),
                    ..RiskLimits::default()
                },
                "risk limit max_gross_exposure must not be negative (got -0.5)",
            ),
            (
                RiskLimits {
                    max_net_exposure: Some(money("-2")),
                    ..RiskLimits::default()
                },
                "risk limit max_net_exposure must not be negative (got -2)",
            ),
            (
                RiskLimits {
                    daily_loss_limit: Some(Money::ZERO),
                    ..RiskLimits::default()
                },
                "risk limit daily_loss_limit must be above zero (got 0); to stop trading, halt instead",
            ),
            (
                RiskLimits {
                    max_drawdown: Some(money("-3")),
                    ..RiskLimits::default()
                },
                "risk limit max_drawdown must be above zero (got -3); to stop trading, halt instead",
            ),
            (
                RiskLimits {
                    submit_rate: Some(RateLimit {
                        max: 10,
                        per_nanos: 0,
                    }),
                    ..RiskLimits::default()
                },
                "rate limit submit_rate: the window must be longer than zero nanoseconds",
            ),
            (
                RiskLimits {
                    modify_rate: Some(RateLimit {
                        max: 0,
                        per_nanos: 1,
                    }),
                    ..RiskLimits::default()
                },
                "rate limit modify_rate: max must be 1 to 1000000 (got 0)",
            ),
            (
                RiskLimits {
                    modify_rate: Some(RateLimit {
                        max: 1_000_001,
                        per_nanos: 1,
                    }),
                    ..RiskLimits::default()
                },
                "rate limit modify_rate: max must be 1 to 1000000 (got 1000001)",
            ),
            (
                RiskLimits {
                    price_band_bps: Some(0),
                    ..RiskLimits::default()
                },
                "risk limit price_band_bps must be above zero (got 0); to stop trading, halt instead",
            ),
        ];
        for (limits, message) in cases {
            assert_eq!(limits.validate().unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn accepts_boundary_values() {
        let limits = RiskLimits {
            max_order_quantity: Some(Quantity::from_raw(1).unwrap()),
            max_order_notional: Some(Money::from_raw(1)),
            default_position_limit: Some(Quantity::ZERO),
            max_strategy_position: Some(Quantity::ZERO),
            max_gross_exposure: Some(Money::ZERO),
            max_net_exposure: Some(Money::ZERO),
            daily_loss_limit: Some(Money::from_raw(1)),
            max_drawdown: Some(Money::from_raw(1)),
            submit_rate: Some(RateLimit {
                max: RateLimit::MAX_SLOTS,
                per_nanos: 1,
            }),
            modify_rate: Some(RateLimit::per_second(1)),
            price_band_bps: Some(1),
            ..RiskLimits::default()
        };
        assert_eq!(limits.validate(), Ok(()));
    }
}
