//! Exact fees in basis points of notional.
//!
//! A rate is a decimal number of basis points (`"0.5"`, `"2"`, `"-0.25"`
//! for a maker rebate). The fee of a fill is
//! `|price × quantity| × bps / 10 000`, computed with
//! [`Money::mul_ratio`] (rounded half to even at 10⁻¹⁸), never with `f64`.
//! A positive fee is a cost, a negative one a rebate.
//!
//! ```
//! use venue::FeeRate;
//! use model::{Money, Price, Quantity};
//!
//! let taker: FeeRate = "2.5".parse()?;
//! let px: Price = "100".parse()?;
//! let qty: Quantity = "3".parse()?;
//! // 300 × 2.5 / 10 000 = 0.075
//! assert_eq!(taker.fee(px.notional(qty)), Some("0.075".parse::<Money>()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use model::{Decimal, Money};

/// Most fractional digits of a rate in basis points: the divisor
/// `10^(digits + 4)` must fit a `u64`.
pub const MAX_FEE_DIGITS: u8 = 14;

/// Why a fee rate is not usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeeRateError {
    /// The text is not a decimal number.
    #[error("fee rate: {0}")]
    Decimal(#[from] model::DecimalError),
    /// More fractional digits than [`MAX_FEE_DIGITS`].
    #[error("fee rate {0} bps has more than {MAX_FEE_DIGITS} fractional digits")]
    TooPrecise(Decimal),
}

/// A fee rate in basis points; see the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeRate {
    bps: Decimal,
}

impl FeeRate {
    /// No fee.
    pub const ZERO: Self = Self { bps: Decimal::ZERO };

    /// The rate of `bps` basis points.
    pub fn from_bps(bps: Decimal) -> Result<Self, FeeRateError> {
        let bps = bps.normalize();
        if bps.scale() > MAX_FEE_DIGITS {
            return Err(FeeRateError::TooPrecise(bps));
        }
        Ok(Self { bps })
    }

    /// The rate in basis points.
    pub const fn bps(self) -> Decimal {
        self.bps
    }

    /// True when the rate is at most 100% of notional either way
    /// (|bps| ≤ 10 000), the range a fee stays within [`Money`]'s.
    pub fn is_at_most_full_notional(self) -> bool {
        let limit = 10_000i128 * 10i128.pow(u32::from(self.bps.scale()));
        i128::from(self.bps.mantissa()).abs() <= limit
    }

    /// The fee on a fill of `notional` (its absolute value is charged), or
    /// `None` beyond the range of [`Money`].
    pub fn fee(self, notional: Money) -> Option<Money> {
        let denominator = 10u64.checked_pow(u32::from(self.bps.scale()) + 4)?;
        let magnitude = notional
            .abs()
            .mul_ratio(self.bps.mantissa().unsigned_abs(), denominator)?;
        if self.bps.is_negative() {
            magnitude.checked_neg()
        } else {
            Some(magnitude)
        }
    }
}

impl Default for FeeRate {
    fn default() -> Self {
        Self::ZERO
    }
}

impl FromStr for FeeRate {
    type Err = FeeRateError;

    fn from_str(text: &str) -> Result<Self, FeeRateError> {
        Self::from_bps(text.parse()?)
    }
}

impl fmt::Display for FeeRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bps", self.bps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        text.parse().unwrap()
    }

    #[test]
    fn fees_are_exact_and_rebates_negative() {
        let notional = money("12345.6789");
        // 12345.6789 × 0.5 / 10 000 = 0.61728394500
        let half: FeeRate = "0.5".parse().unwrap();
        assert_eq!(half.fee(notional), Some(money("0.617283945")));
        // A sell's notional is positive too; a negative price's is charged
        // on its absolute value.
        assert_eq!(half.fee(money("-12345.6789")), Some(money("0.617283945")));
        let rebate: FeeRate = "-0.25".parse().unwrap();
        assert_eq!(rebate.fee(money("1000")), Some(money("-0.025")));
        assert_eq!(FeeRate::ZERO.fee(money("1000")), Some(Money::ZERO));
        // Rounded half to even at 10⁻¹⁸: 10⁻¹⁸ × 1 bp.
        let one: FeeRate = "1".parse().unwrap();
        assert_eq!(one.fee(Money::from_raw(1)), Some(Money::ZERO));
        assert_eq!(one.fee(Money::from_raw(15_000)), Some(Money::from_raw(2)));
    }

    #[test]
    fn rates_have_a_range() {
        assert!(matches!(
            "0.000000000000001".parse::<FeeRate>(),
            Err(FeeRateError::TooPrecise(_))
        ));
        assert!("x".parse::<FeeRate>().is_err());
        assert!(
            "10000"
                .parse::<FeeRate>()
                .unwrap()
                .is_at_most_full_notional()
        );
        assert!(
            "-10000"
                .parse::<FeeRate>()
                .unwrap()
                .is_at_most_full_notional()
        );
        assert!(
            !"10000.5"
                .parse::<FeeRate>()
                .unwrap()
                .is_at_most_full_notional()
        );
        assert_eq!("2.50".parse::<FeeRate>().unwrap().to_string(), "2.5 bps");
    }
}
