//! Fixed-point prices, quantities and money: exact, integer-only arithmetic.
//!
//! [`Price`] and [`Quantity`] hold an `i64` count of 10⁻⁹ units (range
//! ±9.22 × 10⁹, nine fractional digits: enough for FX pips, crypto satoshis
//! and Polymarket's 0.001 ticks). [`Money`] holds an `i128` count of 10⁻¹⁸
//! units, so `price × quantity` is exact and notional, cost and PnL sums
//! never round. Values come from decimal text or [`Decimal`]s; there is no
//! `f64` constructor anywhere.
//!
//! ```
//! use model::{Money, Price, Quantity};
//!
//! let px: Price = "1.06625".parse()?;
//! let qty: Quantity = "10000".parse()?;
//! assert_eq!(px.notional(qty), "10662.5".parse::<Money>()?);
//! assert!(px.is_multiple_of("0.00001".parse()?));
//! assert!(qty.checked_sub("10000.000000001".parse()?).is_none());
//! # Ok::<(), model::FixedError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::decimal::{Decimal, DecimalError};

/// Fractional digits of [`Price`] and [`Quantity`].
pub const FIXED_SCALE: u8 = 9;
/// Fractional digits of [`Money`].
pub const MONEY_SCALE: u8 = 18;

const MONEY_UNIT: i128 = 1_000_000_000_000_000_000;

/// Why a value is not a valid [`Price`], [`Quantity`] or [`Money`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FixedError {
    /// The text is not a decimal number.
    #[error(transparent)]
    Decimal(#[from] DecimalError),
    /// More significant fractional digits than the type keeps.
    #[error("{value} has more than {max_digits} fractional digits")]
    TooPrecise {
        /// The value as given.
        value: Decimal,
        /// Fractional digits the type keeps.
        max_digits: u8,
    },
    /// The value is beyond the type's range.
    #[error("{value} is outside the range of a {kind}")]
    OutOfRange {
        /// The value as given.
        value: Decimal,
        /// Which type.
        kind: &'static str,
    },
    /// A money amount beyond the `i128` range of [`Money`].
    #[error("money amount is outside the range ±1.7 × 10^20")]
    MoneyOutOfRange,
    /// A quantity below zero.
    #[error(
        "quantity {0} is negative; quantities are never below zero (the side carries the direction)"
    )]
    Negative(Decimal),
}

/// `value` as a count of 10⁻`scale` units, if exact and in range.
/// The common case of [`Price::parse_ascii`] and [`Quantity::parse_ascii`]
/// without a [`Decimal`] in between: unsigned `digits[.digits]` (either
/// side may be empty, not both) with at most nine digits on each side, as
/// a count of 10⁻⁹ units. `None` for anything else (a sign, more digits,
/// invalid text), which the general parser then accepts or explains; when
/// both accept, they agree.
fn plain_units(text: &[u8]) -> Option<i64> {
    const POW10: [u64; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    if text.len() > 19 {
        return None;
    }
    let digits = |from: usize| -> (u64, usize) {
        let mut value = 0u64;
        let mut at = from;
        while let Some(&byte) = text.get(at).filter(|b| b.is_ascii_digit()) {
            value = value * 10 + u64::from(byte - b'0');
            at += 1;
        }
        (value, at - from)
    };
    let (whole, whole_digits) = digits(0);
    let (fraction, fraction_digits) = match text.get(whole_digits) {
        None => (0, 0),
        Some(b'.') => {
            let (fraction, count) = digits(whole_digits + 1);
            if whole_digits + 1 + count != text.len() {
                return None;
            }
            (fraction, count)
        }
        Some(_) => return None,
    };
    if whole_digits > 9 || fraction_digits > 9 || whole_digits + fraction_digits == 0 {
        return None;
    }
    let units = whole * POW10[9] + fraction * POW10[9 - fraction_digits];
    i64::try_from(units).ok()
}

fn to_units(value: Decimal, scale: u8, kind: &'static str) -> Result<i128, FixedError> {
    let value = value.normalize();
    if value.scale() > scale {
        return Err(FixedError::TooPrecise {
            value,
            max_digits: scale,
        });
    }
    i128::from(value.mantissa())
        .checked_mul(10i128.pow(u32::from(scale - value.scale())))
        .ok_or(FixedError::OutOfRange { value, kind })
}

/// The shortest [`Decimal`] equal to `units × 10⁻scale`, or `None` when it
/// needs more than 18 significant digits.
fn units_to_decimal(units: i128, scale: u8) -> Option<Decimal> {
    let mut units = units;
    let mut scale = scale;
    while scale > 0 && units % 10 == 0 {
        units /= 10;
        scale -= 1;
    }
    let mantissa = i64::try_from(units).ok()?;
    Decimal::new(mantissa, scale).ok()
}

/// Writes `units × 10⁻scale` exactly, without trailing fractional zeros.
fn write_units(f: &mut fmt::Formatter<'_>, units: i128, scale: u8) -> fmt::Result {
    let unit = 10u128.pow(u32::from(scale));
    let magnitude = units.unsigned_abs();
    let (whole, mut fraction) = (magnitude / unit, magnitude % unit);
    if units < 0 {
        f.write_str("-")?;
    }
    write!(f, "{whole}")?;
    if fraction != 0 {
        let mut digits = usize::from(scale);
        while fraction % 10 == 0 {
            fraction /= 10;
            digits -= 1;
        }
        write!(f, ".{fraction:0digits$}")?;
    }
    Ok(())
}

/// A price: exact, nine fractional digits, may be negative (spreads and
/// some futures trade below zero; the risk gate decides what is allowed).
#[derive(
    Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Price(i64);

impl Price {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// The price `raw × 10⁻⁹`.
    pub const fn from_raw(raw: i64) -> Self {
        Self(raw)
    }

    /// The count of 10⁻⁹ units.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// An integer price.
    pub fn from_int(value: i64) -> Result<Self, FixedError> {
        Self::from_decimal(Decimal::from_i64(value))
    }

    /// The exact price of `value`; fails beyond nine fractional digits or
    /// ±9.22 × 10⁹.
    pub fn from_decimal(value: Decimal) -> Result<Self, FixedError> {
        let units = to_units(value, FIXED_SCALE, "price")?;
        i64::try_from(units)
            .map(Self)
            .map_err(|_| FixedError::OutOfRange {
                value,
                kind: "price",
            })
    }

    /// Parses FIX float text (see [`Decimal::parse_ascii`]).
    pub fn parse_ascii(text: &[u8]) -> Result<Self, FixedError> {
        match plain_units(text) {
            Some(raw) => Ok(Self(raw)),
            None => Self::from_decimal(Decimal::parse_ascii(text)?),
        }
    }

    /// The shortest exact [`Decimal`] for this price.
    pub fn to_decimal(self) -> Decimal {
        // Nine fractional digits of an i64 always fit a Decimal.
        units_to_decimal(i128::from(self.0), FIXED_SCALE).unwrap_or(Decimal::ZERO)
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// True above zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// True when the price is a whole number of `step`s (a zero step
    /// accepts every price).
    pub const fn is_multiple_of(self, step: Self) -> bool {
        step.0 == 0 || self.0 % step.0 == 0
    }

    /// The exact value of `quantity` units at this price.
    pub fn notional(self, quantity: Quantity) -> Money {
        Money(i128::from(self.0) * i128::from(quantity.0))
    }
}

/// A quantity: exact, nine fractional digits, never negative.
#[derive(
    Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Quantity(i64);

impl TryFrom<i64> for Quantity {
    type Error = &'static str;

    /// A raw count of 10⁻⁹ units, refused when negative.
    fn try_from(raw: i64) -> Result<Self, Self::Error> {
        Self::from_raw(raw).ok_or("a quantity is never negative")
    }
}

impl From<Quantity> for i64 {
    fn from(quantity: Quantity) -> Self {
        quantity.0
    }
}

impl Quantity {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// The quantity `raw × 10⁻⁹`, or `None` for a negative `raw`.
    pub const fn from_raw(raw: i64) -> Option<Self> {
        if raw < 0 { None } else { Some(Self(raw)) }
    }

    /// The count of 10⁻⁹ units.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// An integer quantity.
    pub fn from_int(value: i64) -> Result<Self, FixedError> {
        Self::from_decimal(Decimal::from_i64(value))
    }

    /// The exact quantity of `value`; fails below zero, beyond nine
    /// fractional digits or above 9.22 × 10⁹.
    pub fn from_decimal(value: Decimal) -> Result<Self, FixedError> {
        if value.is_negative() {
            return Err(FixedError::Negative(value));
        }
        let units = to_units(value, FIXED_SCALE, "quantity")?;
        i64::try_from(units)
            .map(Self)
            .map_err(|_| FixedError::OutOfRange {
                value,
                kind: "quantity",
            })
    }

    /// Parses FIX float text (see [`Decimal::parse_ascii`]).
    pub fn parse_ascii(text: &[u8]) -> Result<Self, FixedError> {
        match plain_units(text) {
            Some(raw) => Ok(Self(raw)),
            None => Self::from_decimal(Decimal::parse_ascii(text)?),
        }
    }

    /// The shortest exact [`Decimal`] for this quantity.
    pub fn to_decimal(self) -> Decimal {
        units_to_decimal(i128::from(self.0), FIXED_SCALE).unwrap_or(Decimal::ZERO)
    }

    /// True for zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self - other`, or `None` when that would be negative.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).and_then(Self::from_raw)
    }

    /// `self - other`, or zero when `other` is larger.
    pub fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0).max(0))
    }

    /// True when the quantity is a whole number of `step`s (a zero step
    /// accepts every quantity).
    pub const fn is_multiple_of(self, step: Self) -> bool {
        step.0 == 0 || self.0 % step.0 == 0
    }

    /// This quantity with a sign: positive to buy, negative to sell.
    pub const fn signed(self, side: crate::order::Side) -> NetQuantity {
        match side {
            crate::order::Side::Buy => NetQuantity(self.0),
            crate::order::Side::Sell => NetQuantity(-self.0),
        }
    }
}

/// A signed quantity: a net position, long above zero, short below.
#[derive(
    Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct NetQuantity(i64);

impl NetQuantity {
    /// Flat.
    pub const ZERO: Self = Self(0);

    /// The net quantity `raw × 10⁻⁹`.
    pub const fn from_raw(raw: i64) -> Self {
        Self(raw)
    }

    /// The count of 10⁻⁹ units.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// Long minus short, or `None` on overflow.
    pub fn from_long_short(long: Quantity, short: Quantity) -> Option<Self> {
        long.0.checked_sub(short.0).map(Self)
    }

    /// The size regardless of direction.
    pub const fn abs(self) -> Quantity {
        Quantity(self.0.saturating_abs())
    }

    /// True when flat.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// The shortest exact [`Decimal`] for this quantity.
    pub fn to_decimal(self) -> Decimal {
        units_to_decimal(i128::from(self.0), FIXED_SCALE).unwrap_or(Decimal::ZERO)
    }

    /// Parses decimal text, signed.
    pub fn parse_ascii(text: &[u8]) -> Result<Self, FixedError> {
        let value = Decimal::parse_ascii(text)?;
        let units = to_units(value, FIXED_SCALE, "net quantity")?;
        i64::try_from(units)
            .map(Self)
            .map_err(|_| FixedError::OutOfRange {
                value,
                kind: "net quantity",
            })
    }
}

/// An amount of money (notional, cost, PnL, fees): exact, eighteen
/// fractional digits, `i128` range (±1.7 × 10²⁰).
#[derive(
    Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Money(i128);

impl Money {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// The amount `raw × 10⁻¹⁸`.
    pub const fn from_raw(raw: i128) -> Self {
        Self(raw)
    }

    /// The count of 10⁻¹⁸ units.
    pub const fn raw(self) -> i128 {
        self.0
    }

    /// The exact amount of `value` (any [`Decimal`] fits).
    pub fn from_decimal(value: Decimal) -> Self {
        // A Decimal has at most 18 fractional digits and an i64 mantissa,
        // so the product fits an i128 with room to spare.
        let value = value.normalize();
        Self(i128::from(value.mantissa()) * 10i128.pow(u32::from(MONEY_SCALE - value.scale())))
    }

    /// Parses decimal text: an optional `-`, digits, and up to eighteen
    /// fractional digits (more are accepted only when they are zeros).
    ///
    /// It reads straight into the `i128`, not through [`Decimal`], because
    /// amounts such as 50000.123456789 × 100.123456789 need more
    /// significant digits than a `Decimal` holds, and every amount
    /// [`Money`] prints must parse back.
    pub fn parse_ascii(text: &[u8]) -> Result<Self, FixedError> {
        if text.is_empty() {
            return Err(DecimalError::Empty.into());
        }
        let (negative, digits) = match text {
            [b'-', rest @ ..] => (true, rest),
            _ => (false, text),
        };
        let mut units: i128 = 0;
        let mut fraction_digits: Option<u32> = None;
        let mut seen_digit = false;
        for (index, &byte) in digits.iter().enumerate() {
            match byte {
                b'0'..=b'9' => {
                    seen_digit = true;
                    let digit = i128::from(byte - b'0');
                    if let Some(count) = fraction_digits.as_mut() {
                        *count += 1;
                        if *count > u32::from(MONEY_SCALE) {
                            if digit == 0 {
                                continue;
                            }
                            return Err(DecimalError::ScaleTooLarge(*count).into());
                        }
                    }
                    // Accumulate with the sign, so i128::MIN itself fits.
                    units = units
                        .checked_mul(10)
                        .and_then(|value| {
                            if negative {
                                value.checked_sub(digit)
                            } else {
                                value.checked_add(digit)
                            }
                        })
                        .ok_or(FixedError::MoneyOutOfRange)?;
                }
                b'.' if fraction_digits.is_none() => fraction_digits = Some(0),
                _ => {
                    return Err(DecimalError::InvalidByte {
                        index: index + usize::from(negative),
                        byte,
                    }
                    .into());
                }
            }
        }
        if !seen_digit {
            return Err(DecimalError::NoDigits.into());
        }
        let kept = fraction_digits.unwrap_or(0).min(u32::from(MONEY_SCALE));
        units
            .checked_mul(10i128.pow(u32::from(MONEY_SCALE) - kept))
            .map(Self)
            .ok_or(FixedError::MoneyOutOfRange)
    }

    /// An integer amount.
    pub fn from_int(value: i64) -> Self {
        Self(i128::from(value) * MONEY_UNIT)
    }

    /// The shortest exact [`Decimal`], or `None` when the amount needs more
    /// than 18 significant digits.
    pub fn to_decimal(self) -> Option<Decimal> {
        units_to_decimal(self.0, MONEY_SCALE)
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// `-self`, or `None` on overflow.
    pub fn checked_neg(self) -> Option<Self> {
        self.0.checked_neg().map(Self)
    }

    /// The absolute amount.
    pub const fn abs(self) -> Self {
        Self(self.0.saturating_abs())
    }

    /// True below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self × numerator / denominator`, rounded half to even at 10⁻¹⁸, or
    /// `None` for a zero denominator or a result beyond `i128`. Splits a
    /// cost basis in proportion to a partial close.
    ///
    /// The product goes through 192 bits: in `i128` it would overflow at
    /// everyday sizes (a cost basis of 10⁶ is 10²⁴ units, a quantity of
    /// 10⁶ is 10¹⁵ units, and their product exceeds 2¹²⁷).
    pub fn mul_ratio(self, numerator: u64, denominator: u64) -> Option<Self> {
        const LOW: u128 = u64::MAX as u128;
        if denominator == 0 {
            return None;
        }
        let magnitude = self.0.unsigned_abs();
        let (high, low) = (magnitude >> 64, magnitude & LOW);
        let numerator = u128::from(numerator);
        // magnitude × numerator as three 64-bit limbs.
        let product_low = low * numerator;
        let product_high = high * numerator + (product_low >> 64);
        let limbs = [product_high >> 64, product_high & LOW, product_low & LOW];
        // Long division by a 64-bit denominator, one limb at a time.
        let denominator = u128::from(denominator);
        let mut remainder = 0u128;
        let mut quotient = [0u128; 3];
        for (digit, limb) in quotient.iter_mut().zip(limbs) {
            let current = (remainder << 64) | limb;
            *digit = current / denominator;
            remainder = current % denominator;
        }
        if quotient[0] != 0 {
            return None;
        }
        let mut magnitude = (quotient[1] << 64) | quotient[2];
        let twice = remainder * 2;
        if twice > denominator || (twice == denominator && magnitude % 2 == 1) {
            magnitude = magnitude.checked_add(1)?;
        }
        let signed = if self.is_negative() {
            0i128.checked_sub_unsigned(magnitude)?
        } else {
            i128::try_from(magnitude).ok()?
        };
        Some(Self(signed))
    }

    /// The price that `self` buys per unit of `quantity`, truncated to
    /// nine fractional digits; `None` for a zero quantity or overflow.
    /// Used only for reporting average prices, never for accounting.
    pub fn per_unit(self, quantity: Quantity) -> Option<Price> {
        if quantity.0 == 0 {
            return None;
        }
        i64::try_from(self.0 / i128::from(quantity.0))
            .ok()
            .map(Price)
    }
}

macro_rules! text_impls {
    ($name:ident, $scale:expr, $err:ty, $parse:expr) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_units(f, i128::from(self.0), $scale)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl FromStr for $name {
            type Err = $err;

            fn from_str(text: &str) -> Result<Self, $err> {
                $parse(text.as_bytes())
            }
        }
    };
}

text_impls!(Price, FIXED_SCALE, FixedError, Price::parse_ascii);
text_impls!(Quantity, FIXED_SCALE, FixedError, Quantity::parse_ascii);
text_impls!(
    NetQuantity,
    FIXED_SCALE,
    FixedError,
    NetQuantity::parse_ascii
);
text_impls!(Money, MONEY_SCALE, FixedError, Money::parse_ascii);

#[cfg(test)]
mod plain_units_tests {
    use super::*;
    use proptest::prelude::*;

    fn general_price(text: &[u8]) -> Result<Price, FixedError> {
        Price::from_decimal(Decimal::parse_ascii(text)?)
    }

    fn general_quantity(text: &[u8]) -> Result<Quantity, FixedError> {
        Quantity::from_decimal(Decimal::parse_ascii(text)?)
    }

    #[test]
    fn plain_forms() {
        assert_eq!(plain_units(b".48"), Some(480_000_000));
        assert_eq!(plain_units(b"1."), Some(1_000_000_000));
        assert_eq!(plain_units(b"68900.00"), Some(68_900_000_000_000));
        assert_eq!(plain_units(b"0.000000001"), Some(1));
        for other in [
            &b""[..],
            b".",
            b"-1",
            b"1e3",
            b"0.1234567891",
            b"1234567890",
            b"1..2",
        ] {
            assert_eq!(plain_units(other), None, "{other:?}");
        }
    }

    proptest! {
        #[test]
        fn plain_parse_agrees_with_the_general_parser(
            text in "[-+0-9.e ]{0,12}|[0-9]{0,11}\\.?[0-9]{0,11}",
        ) {
            let bytes = text.as_bytes();
            prop_assert_eq!(Price::parse_ascii(bytes), general_price(bytes), "{}", text);
            prop_assert_eq!(Quantity::parse_ascii(bytes), general_quantity(bytes), "{}", text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exactly_and_prints_shortest() {
        let px: Price = "0.1".parse().unwrap();
        assert_eq!(px.raw(), 100_000_000);
        assert_eq!(px.to_string(), "0.1");
        assert_eq!("-1.5".parse::<Price>().unwrap().to_string(), "-1.5");
        assert_eq!("2000.00".parse::<Quantity>().unwrap().to_string(), "2000");
        assert_eq!(
            "0.000000001".parse::<Quantity>().unwrap().raw(),
            1,
            "nine fractional digits are kept"
        );
        assert!(matches!(
            "0.0000000001".parse::<Price>(),
            Err(FixedError::TooPrecise { max_digits: 9, .. })
        ));
        assert!(matches!(
            "-1".parse::<Quantity>(),
            Err(FixedError::Negative(_))
        ));
        assert!(matches!(
            "9300000000".parse::<Price>(),
            Err(FixedError::OutOfRange { .. })
        ));
        assert!("1e5".parse::<Price>().is_err());
    }

    #[test]
    fn extremes_print_text_that_parses_back() {
        for px in [Price::from_raw(i64::MIN), Price::from_raw(i64::MAX)] {
            assert_eq!(px.to_string().parse::<Price>().unwrap(), px);
        }
        let most = Quantity::from_raw(i64::MAX).unwrap();
        assert_eq!(most.to_string().parse::<Quantity>().unwrap(), most);
        for money in [Money::from_raw(i128::MIN), Money::from_raw(i128::MAX)] {
            assert_eq!(money.to_string().parse::<Money>().unwrap(), money);
        }
        // A PnL with 25 significant digits, more than a Decimal holds.
        let pnl = "50000.123456789"
            .parse::<Price>()
            .unwrap()
            .notional("100.123456789".parse().unwrap());
        assert_eq!(pnl.to_string(), "5006185.200370478750190521");
        assert_eq!(pnl.to_string().parse::<Money>().unwrap(), pnl);
    }

    #[test]
    fn money_text_errors_say_what_is_wrong() {
        assert_eq!(
            "0.0000000000000000001".parse::<Money>(),
            Err(FixedError::Decimal(DecimalError::ScaleTooLarge(19)))
        );
        assert_eq!(
            "1.5000000000000000000000".parse::<Money>().unwrap(),
            "1.5".parse().unwrap(),
            "trailing zeros past 18 digits are harmless"
        );
        assert_eq!(
            "170141183460469231731.687303715884105728".parse::<Money>(),
            Err(FixedError::MoneyOutOfRange),
            "one unit past i128::MAX"
        );
        // Malformed text is explained exactly as Decimal explains it.
        for bad in ["", "-", ".", "1.2.3", "1e5", "-12a", "+1"] {
            assert_eq!(
                bad.parse::<Money>().err(),
                bad.parse::<Decimal>().err().map(FixedError::Decimal),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn notional_is_exact_and_money_prints_every_digit() {
        let px: Price = "0.333333333".parse().unwrap();
        let qty: Quantity = "3.000000001".parse().unwrap();
        // 0.333333333 × 3.000000001 = 0.999999999 + 0.000000000333333333
        assert_eq!(px.notional(qty).to_string(), "0.999999999333333333");
        assert_eq!(Money::from_int(-5).to_string(), "-5");
        assert_eq!("-0.25".parse::<Money>().unwrap().to_string(), "-0.25");
    }

    #[test]
    fn quantity_never_goes_negative() {
        let one = Quantity::from_int(1).unwrap();
        let two = Quantity::from_int(2).unwrap();
        assert_eq!(two.checked_sub(one), Some(one));
        assert_eq!(one.checked_sub(two), None);
        assert_eq!(one.saturating_sub(two), Quantity::ZERO);
        assert_eq!(Quantity::from_raw(-1), None);
    }

    #[test]
    fn steps_and_ratios() {
        let tick: Price = "0.00001".parse().unwrap();
        assert!("1.06625".parse::<Price>().unwrap().is_multiple_of(tick));
        assert!(!"1.066255".parse::<Price>().unwrap().is_multiple_of(tick));
        let third = Money::from_int(1).mul_ratio(1, 3).unwrap();
        assert_eq!(third.raw(), 333_333_333_333_333_333);
        // Half to even: 0.5 → 0, 1.5 → 2, -0.5 → 0, -1.5 → -2.
        assert_eq!(Money::from_raw(1).mul_ratio(1, 2).unwrap().raw(), 0);
        assert_eq!(Money::from_raw(3).mul_ratio(1, 2).unwrap().raw(), 2);
        assert_eq!(Money::from_raw(-1).mul_ratio(1, 2).unwrap().raw(), 0);
        assert_eq!(Money::from_raw(-3).mul_ratio(1, 2).unwrap().raw(), -2);
        assert_eq!(Money::from_int(1).mul_ratio(1, 0), None);
        // Everyday sizes whose product exceeds i128: a 1.1 × 10⁶ cost
        // basis, half of a 10⁶ position closed.
        let cost: Money = "1100000".parse().unwrap();
        let (half, whole) = (500_000_000_000_000, 1_000_000_000_000_000);
        assert_eq!(cost.mul_ratio(half, whole), Some("550000".parse().unwrap()));
        let big = Money::from_raw(10i128.pow(24));
        assert_eq!(
            big.mul_ratio(1, 3).unwrap().raw(),
            333_333_333_333_333_333_333_333
        );
        assert_eq!(
            big.mul_ratio(2, 3).unwrap().raw(),
            666_666_666_666_666_666_666_667
        );
        // The extremes: i128::MIN × 1/1, and results beyond i128.
        let min = Money::from_raw(i128::MIN);
        assert_eq!(min.mul_ratio(1, 1), Some(min));
        assert_eq!(Money::from_raw(i128::MAX).mul_ratio(2, 1), None);
        assert_eq!(Money::from_raw(-i128::MAX).mul_ratio(3, 2), None);
        assert_eq!(
            Money::from_int(10).per_unit(Quantity::from_int(4).unwrap()),
            Some("2.5".parse().unwrap())
        );
    }

    proptest! {
        #[test]
        fn text_round_trips(raw in any::<i64>()) {
            let px = Price::from_raw(raw);
            prop_assert_eq!(px.to_string().parse::<Price>().unwrap(), px);
            prop_assert_eq!(Price::from_decimal(px.to_decimal()).unwrap(), px);
        }

        #[test]
        fn money_text_round_trips(raw in any::<i128>()) {
            let money = Money::from_raw(raw);
            prop_assert_eq!(money.to_string().parse::<Money>().unwrap(), money);
        }

        #[test]
        fn money_parses_decimal_text_like_decimal(mantissa in any::<i64>(), scale in 0u8..=18) {
            let decimal = Decimal::new(mantissa, scale).unwrap();
            prop_assert_eq!(decimal.to_string().parse::<Money>().unwrap(), Money::from_decimal(decimal));
        }

        #[test]
        fn notional_matches_integer_math(p in -1_000_000_000_000i64..1_000_000_000_000, q in 0i64..1_000_000_000_000) {
            let money = Price::from_raw(p).notional(Quantity::from_raw(q).unwrap());
            prop_assert_eq!(money.raw(), i128::from(p) * i128::from(q));
        }

        #[test]
        fn ratio_is_within_half_a_unit_of_the_exact_proportion(total in -1_000_000_000_000_000i128..1_000_000_000_000_000, part in 0u64..1000, rest in 1u64..1000) {
            let whole = Money::from_raw(total);
            let a = whole.mul_ratio(part, part + rest).unwrap();
            let exact_a = total * i128::from(part);
            let den = i128::from(part + rest);
            prop_assert!((a.raw() * den - exact_a).abs() * 2 <= den);
        }

        #[test]
        fn ratio_is_exact_on_multiples(
            k in any::<i64>(),
            numerator in 0u64..=u64::MAX,
            denominator in 1u64..=u64::MAX,
        ) {
            // (k × d) × n / d = k × n exactly, a product of up to 192 bits
            // before the division.
            let value = Money::from_raw(i128::from(k) * i128::from(denominator));
            let expected = i128::from(k).checked_mul(i128::from(numerator));
            prop_assert_eq!(value.mul_ratio(numerator, denominator).map(Money::raw), expected);
        }

        #[test]
        fn ratio_shares_sum_to_the_whole_within_one_unit(
            value in (i128::MIN + 1)..=i128::MAX,
            part in 0u64..=u64::MAX / 2,
            rest in 1u64..=u64::MAX / 2,
        ) {
            let money = Money::from_raw(value);
            let whole = part + rest;
            // Shares of at most the whole always fit.
            let a = money.mul_ratio(part, whole).unwrap();
            let b = money.mul_ratio(rest, whole).unwrap();
            prop_assert!(a.raw().unsigned_abs() <= value.unsigned_abs());
            prop_assert!(b.raw().unsigned_abs() <= value.unsigned_abs());
            // (a − value) + b cannot overflow: a and value share a sign,
            // |a| ≤ |value| and value > i128::MIN.
            let error = (a.raw() - value) + b.raw();
            prop_assert!(error.abs() <= 1, "{} + {} vs {}", a, b, money);
        }
    }
}
