//! Small exact and deterministic helpers shared by the feature families.

/// Nanoseconds per second, as `f64`.
pub(crate) const NANOS_PER_SECOND: f64 = 1e9;

/// `numerator / denominator` rounded half to even; `None` for a zero
/// denominator or a quotient beyond `i64`.
pub(crate) fn div_round_half_even(numerator: i128, denominator: i128) -> Option<i64> {
    // A 128-bit division is a library call several times slower than the
    // hardware's 64-bit one; mids and most offsets fit in 64 bits.
    if let (Ok(numerator), Ok(denominator)) = (i64::try_from(numerator), i64::try_from(denominator))
        && denominator > 0
    {
        return Some(div_round_half_even_64(numerator, denominator));
    }
    if denominator == 0 {
        return None;
    }
    let (numerator, denominator) = if denominator < 0 {
        (numerator.checked_neg()?, denominator.checked_neg()?)
    } else {
        (numerator, denominator)
    };
    // One division: truncate, then make the remainder non-negative.
    let mut quotient = numerator / denominator;
    let mut remainder = numerator - quotient * denominator;
    if remainder < 0 {
        quotient -= 1;
        remainder += denominator;
    }
    let twice = remainder * 2;
    if twice > denominator || (twice == denominator && quotient % 2 != 0) {
        quotient += 1;
    }
    i64::try_from(quotient).ok()
}

/// [`div_round_half_even`] for 64-bit operands and `denominator > 0`,
/// where the quotient always fits.
fn div_round_half_even_64(numerator: i64, denominator: i64) -> i64 {
    let mut quotient = numerator.div_euclid(denominator);
    let remainder = numerator.rem_euclid(denominator);
    // remainder ⋛ denominator − remainder is 2·remainder ⋛ denominator
    // without overflowing.
    let rest = denominator - remainder;
    if remainder > rest || (remainder == rest && quotient % 2 != 0) {
        quotient += 1;
    }
    quotient
}

/// `numerator / denominator` rounded half to even, exactly as
/// [`div_round_half_even`], for a quotient known to lie near `near`
/// (a VWAP near the best price, a microprice near the bid).
///
/// `numerator / denominator = near + (numerator − near·denominator) /
/// denominator`: the offset is small enough for 64-bit division where the
/// numerator (a price times a size) is not. The integer part moves by
/// `near` and the remainder is the same, so rounding (with the parity of
/// the whole quotient) gives the same result; anything outside 64 bits
/// takes the 128-bit path.
pub(crate) fn div_round_half_even_near(
    numerator: i128,
    denominator: i128,
    near: i64,
) -> Option<i64> {
    // near·denominator of two 64-bit values cannot overflow 128 bits.
    if let Ok(denominator) = i64::try_from(denominator)
        && denominator > 0
        && let Some(offset) = numerator.checked_sub(i128::from(near) * i128::from(denominator))
        && let Ok(offset) = i64::try_from(offset)
    {
        if offset == 0 {
            // Exactly `near` (a walk that filled at one price): no division.
            return Some(near);
        }
        let quotient = offset.div_euclid(denominator);
        let remainder = offset.rem_euclid(denominator);
        let rest = denominator - remainder;
        let whole = i128::from(near) + i128::from(quotient);
        let up = remainder > rest || (remainder == rest && whole % 2 != 0);
        return i64::try_from(whole + i128::from(up)).ok();
    }
    div_round_half_even(numerator, denominator)
}

/// `value as f64`, through the hardware's 64-bit conversion when `value`
/// fits (the 128-bit one is a library call); both round the same exact
/// integer to the nearest `f64`, so the result is the same.
pub(crate) fn i128_to_f64(value: i128) -> f64 {
    match i64::try_from(value) {
        Ok(value) => value as f64,
        Err(_) => wide_to_f64(value),
    }
}

/// `value as f64` out of line: written inline, the compiler sees both arms
/// of [`i128_to_f64`] are one conversion and calls the library for all.
#[cold]
#[inline(never)]
fn wide_to_f64(value: i128) -> f64 {
    value as f64
}

/// The weight left on old observations after `elapsed_nanos` with a
/// half-life of `half_life_nanos`: 2^(−elapsed/half-life).
pub(crate) fn decay(elapsed_nanos: u64, half_life_nanos: u64) -> f64 {
    if elapsed_nanos == 0 {
        return 1.0;
    }
    (-(elapsed_nanos as f64) / half_life_nanos as f64).exp2()
}

/// `part / whole` in basis points; `None` unless `whole` is above zero.
pub(crate) fn bps(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64 * 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_to_even_both_signs() {
        assert_eq!(div_round_half_even(5, 2), Some(2)); // 2.5 → 2
        assert_eq!(div_round_half_even(7, 2), Some(4)); // 3.5 → 4
        assert_eq!(div_round_half_even(-5, 2), Some(-2)); // −2.5 → −2
        assert_eq!(div_round_half_even(-7, 2), Some(-4)); // −3.5 → −4
        assert_eq!(div_round_half_even(10, 3), Some(3)); // 3.33 → 3
        assert_eq!(div_round_half_even(11, 3), Some(4)); // 3.67 → 4
        assert_eq!(div_round_half_even(11, -3), Some(-4));
        assert_eq!(div_round_half_even(1, 0), None);
        assert_eq!(div_round_half_even(i128::MAX, 1), None);
    }

    /// The reference: the one 128-bit division of the definition.
    fn reference(numerator: i128, denominator: i128) -> Option<i64> {
        if denominator == 0 {
            return None;
        }
        let (numerator, denominator) = if denominator < 0 {
            (numerator.checked_neg()?, denominator.checked_neg()?)
        } else {
            (numerator, denominator)
        };
        let quotient = numerator.div_euclid(denominator);
        let twice = numerator.rem_euclid(denominator) * 2;
        let up = twice > denominator || (twice == denominator && quotient % 2 != 0);
        i64::try_from(quotient + i128::from(up)).ok()
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_round_as_the_128_bit_division(
            near in proptest::prop_oneof![proptest::num::i64::ANY, -1000i64..1000],
            offset in proptest::prop_oneof![proptest::num::i64::ANY, -1000i64..1000],
            denominator in proptest::prop_oneof![proptest::num::i64::ANY, -6i64..6],
            wide in proptest::num::i128::ANY,
        ) {
            let denominator = i128::from(denominator);
            // Numerators near `near·denominator` (the fast path), and
            // arbitrary ones (the fallback).
            let numerator = i128::from(near) * denominator + i128::from(offset);
            for numerator in [numerator, wide, i128::from(offset)] {
                let expected = reference(numerator, denominator);
                proptest::prop_assert_eq!(div_round_half_even(numerator, denominator), expected);
                proptest::prop_assert_eq!(div_round_half_even_near(numerator, denominator, near), expected);
            }
            proptest::prop_assert_eq!(i128_to_f64(wide), wide as f64);
            proptest::prop_assert_eq!(i128_to_f64(i128::from(offset)).to_bits(), (i128::from(offset) as f64).to_bits());
        }
    }

    #[test]
    fn ties_round_to_even_near_a_base() {
        // 2.5 and 3.5 around odd and even bases.
        assert_eq!(div_round_half_even_near(5, 2, 1), Some(2));
        assert_eq!(div_round_half_even_near(7, 2, 3), Some(4));
        assert_eq!(div_round_half_even_near(-5, 2, -3), Some(-2));
        assert_eq!(
            div_round_half_even_near(i128::from(i64::MAX) * 2 + 1, 2, i64::MAX),
            None
        );
        assert_eq!(div_round_half_even_64(i64::MAX, i64::MAX - 1), 1);
        assert_eq!(
            div_round_half_even_64(i64::MIN, 3),
            div_round_half_even(i128::from(i64::MIN), 3).unwrap()
        );
    }

    #[test]
    fn decay_halves_per_half_life() {
        assert_eq!(decay(0, 10), 1.0);
        assert_eq!(decay(10, 10), 0.5);
        assert_eq!(decay(20, 10), 0.25);
        assert_eq!(bps(1, 100), Some(100.0));
        assert_eq!(bps(1, 0), None);
    }
}
