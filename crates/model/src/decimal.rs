//! Exact decimal numbers, as prices and quantities travel in FIX, JSON and
//! configuration files.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Largest number of fractional digits a [`Decimal`] carries.
pub const MAX_SCALE: u8 = 18;

/// Powers of ten that fit an `i64`; index = exponent.
const POW10: [i64; 19] = {
    let mut table = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// An exact decimal number, `mantissa × 10^-scale`, with up to 18 significant
/// digits and up to [`MAX_SCALE`] fractional digits.
///
/// Text is parsed digit by digit; binary floating point is never involved, so
/// `0.1` is exactly one tenth. Equality, ordering and hashing compare values:
/// `1.50 == 1.5`, while [`Decimal::scale`] still reports how the value was
/// written.
///
/// ```
/// use model::Decimal;
///
/// let px: Decimal = "1.06625".parse()?;
/// assert_eq!((px.mantissa(), px.scale()), (106625, 5));
/// assert_eq!(px, Decimal::new(1066250, 6)?);
/// assert_eq!(px.to_string(), "1.06625");
/// # Ok::<(), model::DecimalError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Decimal {
    mantissa: i64,
    scale: u8,
}

/// Why a text or a mantissa/scale pair is not a [`Decimal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// The text is empty.
    #[error("empty text where a decimal number was expected")]
    Empty,
    /// The text has a sign or a point but no digit.
    #[error("decimal number has no digits")]
    NoDigits,
    /// A byte that is not a digit, a leading `-` or a single `.`.
    #[error(
        "byte {byte:#04x} at position {index} is not allowed in a decimal number (digits, one '.', a leading '-')"
    )]
    InvalidByte {
        /// Position of the byte in the text.
        index: usize,
        /// The offending byte.
        byte: u8,
    },
    /// More significant digits than an `i64` mantissa holds.
    #[error("decimal number has more than 18 significant digits")]
    Overflow,
    /// More fractional digits than [`MAX_SCALE`].
    #[error("decimal number has {0} fractional digits; at most 18 are supported")]
    ScaleTooLarge(u32),
}

impl Decimal {
    /// Zero, with scale 0.
    pub const ZERO: Self = Self {
        mantissa: 0,
        scale: 0,
    };

    /// `mantissa × 10^-scale`; fails when `scale` exceeds [`MAX_SCALE`].
    pub const fn new(mantissa: i64, scale: u8) -> Result<Self, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError::ScaleTooLarge(scale as u32));
        }
        Ok(Self { mantissa, scale })
    }

    /// An integer value, scale 0.
    pub const fn from_i64(value: i64) -> Self {
        Self {
            mantissa: value,
            scale: 0,
        }
    }

    /// The integer mantissa.
    pub const fn mantissa(self) -> i64 {
        self.mantissa
    }

    /// The number of fractional digits.
    pub const fn scale(self) -> u8 {
        self.scale
    }

    /// True for any representation of zero.
    pub const fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// True for values below zero.
    pub const fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// The same value with trailing fractional zeros removed.
    pub const fn normalize(self) -> Self {
        let mut mantissa = self.mantissa;
        let mut scale = self.scale;
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Self { mantissa, scale }
    }

    /// Parses FIX float syntax: an optional leading `-`, digits, at most one
    /// `.`, at least one digit (`.5` and `5.` are accepted, as QuickFIX does).
    /// No `+`, exponent, spaces or thousands separators.
    ///
    /// Trailing fractional zeros are kept in the scale when they fit, and
    /// dropped (the value is unchanged) when they do not.
    pub fn parse_ascii(text: &[u8]) -> Result<Self, DecimalError> {
        let (negative, digits, sign_len) = match text.split_first() {
            None => return Err(DecimalError::Empty),
            Some((b'-', rest)) => (true, rest, 1),
            Some(_) => (false, text, 0),
        };
        let mut mantissa: u64 = 0;
        let mut scale: u32 = 0;
        // Fractional zeros not yet multiplied in: they only matter if a
        // non-zero digit follows, so "1.000…0" never overflows.
        let mut pending_zeros: u32 = 0;
        let mut seen_digit = false;
        let mut in_fraction = false;
        for (index, &byte) in digits.iter().enumerate() {
            match byte {
                b'0'..=b'9' => {
                    seen_digit = true;
                    let digit = u64::from(byte - b'0');
                    if !in_fraction {
                        mantissa = push_digits(mantissa, 1, digit)?;
                    } else if digit == 0 {
                        pending_zeros += 1;
                    } else {
                        let shift = pending_zeros + 1;
                        scale += shift;
                        if scale > u32::from(MAX_SCALE) {
                            return Err(DecimalError::ScaleTooLarge(scale));
                        }
                        mantissa = push_digits(mantissa, shift, digit)?;
                        pending_zeros = 0;
                    }
                }
                b'.' if !in_fraction => in_fraction = true,
                _ => {
                    return Err(DecimalError::InvalidByte {
                        index: index + sign_len,
                        byte,
                    });
                }
            }
        }
        if !seen_digit {
            return Err(DecimalError::NoDigits);
        }
        if pending_zeros > 0
            && scale + pending_zeros <= u32::from(MAX_SCALE)
            && let Ok(widened) = push_digits(mantissa, pending_zeros, 0)
        {
            mantissa = widened;
            scale += pending_zeros;
        }
        // The range is asymmetric: -9223372036854775808 fits, its positive
        // twin does not, so negate in i128 before narrowing.
        let signed = if negative {
            -i128::from(mantissa)
        } else {
            i128::from(mantissa)
        };
        Ok(Self {
            mantissa: i64::try_from(signed).map_err(|_| DecimalError::Overflow)?,
            // scale ≤ MAX_SCALE was checked above.
            scale: u8::try_from(scale).map_err(|_| DecimalError::ScaleTooLarge(scale))?,
        })
    }

    /// Writes the canonical text (as [`fmt::Display`] writes it) into
    /// `buf` and returns it: at most [`Decimal::MAX_TEXT_LEN`] bytes. For
    /// encoders that must not allocate or go through `fmt`.
    pub fn format_ascii(self, buf: &mut [u8; Self::MAX_TEXT_LEN]) -> &[u8] {
        const END: usize = Decimal::MAX_TEXT_LEN;
        let scale = usize::from(self.scale);
        // Digits right-aligned, at least one before the point.
        buf.fill(b'0');
        let pos = crate::ascii::format_u64_right(buf, self.mantissa.unsigned_abs());
        let mut start = pos.min(END - scale - 1);
        if scale > 0 {
            // Move the integer digits one left to open the point.
            buf.copy_within(start..END - scale, start - 1);
            buf[END - scale - 1] = b'.';
            start -= 1;
        }
        if self.mantissa < 0 {
            start -= 1;
            buf[start] = b'-';
        }
        &buf[start..]
    }

    /// Longest text [`Decimal::format_ascii`] writes: a sign, a leading
    /// zero, a point and 18 fractional digits, or a sign and 19 digits.
    pub const MAX_TEXT_LEN: usize = 24;

    fn widened_mantissa(self, scale: u8) -> i128 {
        i128::from(self.mantissa) * i128::from(POW10[usize::from(scale - self.scale)])
    }
}

/// `value × 10^shift + digit`, failing beyond `i64::MAX`.
fn push_digits(value: u64, shift: u32, digit: u64) -> Result<u64, DecimalError> {
    let factor = u64::try_from(POW10[shift as usize]).map_err(|_| DecimalError::Overflow)?;
    value
        .checked_mul(factor)
        .and_then(|v| v.checked_add(digit))
        // Up to 2^63, the magnitude of i64::MIN; the sign decides later
        // whether it fits.
        .filter(|&v| v <= i64::MIN.unsigned_abs())
        .ok_or(DecimalError::Overflow)
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.scale == other.scale {
            return self.mantissa.cmp(&other.mantissa);
        }
        let scale = self.scale.max(other.scale);
        self.widened_mantissa(scale)
            .cmp(&other.widened_mantissa(scale))
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let normal = self.normalize();
        normal.mantissa.hash(state);
        normal.scale.hash(state);
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; Self::MAX_TEXT_LEN];
        // format_ascii emits ASCII digits, '.', and '-' only.
        f.write_str(std::str::from_utf8(self.format_ascii(&mut buf)).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_ascii(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn parses_fix_float_forms() {
        assert_eq!(
            (dec("002000.00").mantissa(), dec("002000.00").scale()),
            (200000, 2)
        );
        assert_eq!((dec(".5").mantissa(), dec(".5").scale()), (5, 1));
        assert_eq!((dec("5.").mantissa(), dec("5.").scale()), (5, 0));
        assert_eq!(dec("-0.001").mantissa(), -1);
        assert_eq!(dec("-0"), Decimal::ZERO);
        assert_eq!(dec("9223372036854775807").mantissa(), i64::MAX);
    }

    #[test]
    fn rejects_what_fix_does_not_allow() {
        assert_eq!(Decimal::parse_ascii(b""), Err(DecimalError::Empty));
        assert_eq!(Decimal::parse_ascii(b"-"), Err(DecimalError::NoDigits));
        assert_eq!(Decimal::parse_ascii(b"."), Err(DecimalError::NoDigits));
        assert_eq!(
            Decimal::parse_ascii(b"+200.00"),
            Err(DecimalError::InvalidByte {
                index: 0,
                byte: b'+'
            })
        );
        assert_eq!(
            Decimal::parse_ascii(b"1.2.3"),
            Err(DecimalError::InvalidByte {
                index: 3,
                byte: b'.'
            })
        );
        assert_eq!(
            Decimal::parse_ascii(b"1e5"),
            Err(DecimalError::InvalidByte {
                index: 1,
                byte: b'e'
            })
        );
        assert_eq!(
            Decimal::parse_ascii(b"--1"),
            Err(DecimalError::InvalidByte {
                index: 1,
                byte: b'-'
            })
        );
        assert_eq!(
            Decimal::parse_ascii(b"9223372036854775808"),
            Err(DecimalError::Overflow)
        );
        assert_eq!(
            Decimal::parse_ascii(b"0.0000000000000000001"),
            Err(DecimalError::ScaleTooLarge(19))
        );
    }

    #[test]
    fn trailing_zeros_beyond_the_scale_limit_do_not_change_the_value() {
        let long = dec("1.50000000000000000000000000");
        assert_eq!(long, dec("1.5"));
        assert_eq!(long.scale(), 1);
        let huge_int = dec("922337203685477580.70");
        assert_eq!(huge_int.mantissa(), 9_223_372_036_854_775_807);
        assert_eq!(huge_int.scale(), 1);
    }

    #[test]
    fn equality_and_order_compare_values() {
        assert_eq!(dec("1.50"), dec("1.5"));
        assert!(dec("1.05") < dec("1.5"));
        assert!(dec("-1") < dec("0.000000000000000001"));
        assert_eq!(Decimal::new(1, 19), Err(DecimalError::ScaleTooLarge(19)));
    }

    #[test]
    fn displays_canonically() {
        for (text, shown) in [
            ("0.001", "0.001"),
            ("-0.5", "-0.5"),
            ("12", "12"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-12.340", "-12.340"),
        ] {
            assert_eq!(dec(text).to_string(), shown, "{text}");
        }
        assert_eq!(
            Decimal::new(i64::MIN, 18).unwrap().to_string(),
            "-9.223372036854775808"
        );
    }

    #[test]
    fn the_whole_i64_range_parses_and_one_past_it_does_not() {
        assert_eq!(dec("-9.223372036854775808").mantissa(), i64::MIN);
        assert_eq!(dec("9.223372036854775807").mantissa(), i64::MAX);
        for text in [
            "9.223372036854775808",
            "922337203685477580.8",
            "-9.223372036854775809",
        ] {
            assert_eq!(
                text.parse::<Decimal>(),
                Err(DecimalError::Overflow),
                "{text}"
            );
        }
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(mantissa in any::<i64>(), scale in 0u8..=18) {
            let value = Decimal::new(mantissa, scale).unwrap();
            let text = value.to_string();
            let back: Decimal = text.parse().unwrap();
            prop_assert_eq!(back, value);
            prop_assert_eq!(back.mantissa(), mantissa);
            prop_assert_eq!(back.scale(), scale);
        }

        #[test]
        fn order_matches_widened_integers(a in -1_000_000i64..1_000_000, sa in 0u8..6, b in -1_000_000i64..1_000_000, sb in 0u8..6) {
            let x = Decimal::new(a, sa).unwrap();
            let y = Decimal::new(b, sb).unwrap();
            let wide = |m: i64, s: u8| i128::from(m) * 10i128.pow(u32::from(12 - s));
            prop_assert_eq!(x.cmp(&y), wide(a, sa).cmp(&wide(b, sb)));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = Decimal::parse_ascii(&bytes);
        }
    }
}
