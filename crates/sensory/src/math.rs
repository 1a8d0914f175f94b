//! Small exact and deterministic helpers shared by the feature families.

/// Nanoseconds per second, as `f64`.
pub(crate) const NANOS_PER_SECOND: f64 = 1e9;

/// `numerator / denominator` rounded half to even; `None` for a zero
/// denominator or a quotient beyond `i64`.
pub(crate) fn div_round_half_even(numerator: i128, denominator: i128) -> Option<i64> {
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

    #[test]
    fn decay_halves_per_half_life() {
        assert_eq!(decay(0, 10), 1.0);
        assert_eq!(decay(10, 10), 0.5);
        assert_eq!(decay(20, 10), 0.25);
        assert_eq!(bps(1, 100), Some(100.0));
        assert_eq!(bps(1, 0), None);
    }
}
