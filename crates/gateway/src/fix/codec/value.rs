//! FIX data formats over raw value bytes: the syntax checks validation uses
//! and the parsers behind the typed accessors.
//!
//! Syntax follows the FIX specification and QuickFIX's converters: integers
//! and floats take an optional leading `-` and no `+`; UTCTimestamp is
//! `YYYYMMDD-HH:MM:SS` with 1 to 9 fractional digits after a `.`; dates must
//! exist in the calendar.

use model::UtcDateTime;
use model::time::days_in_month;

/// Parses an INT-family value (`-`? digits) that fits an `i64`.
pub(crate) fn parse_int(value: &[u8]) -> Option<i64> {
    match value {
        [b'-', digits @ ..] => 0i64.checked_sub_unsigned(parse_uint(digits)?),
        digits => i64::try_from(parse_uint(digits)?).ok(),
    }
}

/// True for INT-family syntax that fits an `i64`. Up to 18 digits always
/// fit, so the common case is a digit check without arithmetic.
#[inline]
pub(crate) fn is_int(value: &[u8]) -> bool {
    let digits = match value {
        [b'-', rest @ ..] => rest,
        _ => value,
    };
    match digits.len() {
        1..=18 => digits.iter().all(u8::is_ascii_digit),
        _ => parse_int(value).is_some(),
    }
}

/// Parses an unsigned integer (no sign) that fits a `u64`, such as a
/// sequence number or a length.
pub(crate) fn parse_uint(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 20 {
        return None;
    }
    let mut result: u64 = 0;
    for &byte in value {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        result = result.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(result)
}

/// True for FLOAT-family syntax: `-`? digits, at most one `.`, a digit
/// somewhere. Any number of digits (range is the typed accessor's concern).
pub(crate) fn is_float(value: &[u8]) -> bool {
    let digits = match value.split_first() {
        Some((b'-', rest)) => rest,
        _ => value,
    };
    let mut seen_digit = false;
    let mut seen_point = false;
    for &byte in digits {
        if byte.is_ascii_digit() {
            seen_digit = true;
        } else if byte == b'.' && !seen_point {
            seen_point = true;
        } else {
            return false;
        }
    }
    seen_digit
}

/// Parses BOOLEAN: `Y` or `N`.
pub(crate) fn parse_bool(value: &[u8]) -> Option<bool> {
    match value {
        b"Y" => Some(true),
        b"N" => Some(false),
        _ => None,
    }
}

/// Parses `YYYYMMDD` into a year, month and day that exist in the calendar.
pub(crate) fn parse_utc_date_only(value: &[u8]) -> Option<(u16, u8, u8)> {
    parse_date(value.first_chunk::<8>().filter(|_| value.len() == 8)?)
}

const ZEROS: u64 = 0x3030_3030_3030_3030;
const HIGH_NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;

/// True when all eight bytes of `word` are ASCII digits: each byte is 0x3_
/// and stays 0x3_ after adding 6 (so it is at most 0x39). No carry crosses
/// bytes.
#[inline]
fn all_digits(word: u64) -> bool {
    (word & HIGH_NIBBLES) == ZEROS
        && (word.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES) == ZEROS
}

/// Digit `index` of an all-digit word minus [`ZEROS`].
#[inline]
fn digit(values: u64, index: u32) -> u8 {
    (values >> (8 * index)) as u8
}

#[inline]
fn parse_date(text: &[u8; 8]) -> Option<(u16, u8, u8)> {
    let word = u64::from_le_bytes(*text);
    if !all_digits(word) {
        return None;
    }
    let d = word - ZEROS;
    let pair = |index| digit(d, index) * 10 + digit(d, index + 1);
    let year = u16::from(pair(0)) * 100 + u16::from(pair(2));
    let (month, day) = (pair(4), pair(6));
    let exists = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    exists.then_some((year, month, day))
}

/// Parses `HH:MM:SS` (second 60 allowed for a leap second).
#[inline]
fn parse_time(text: &[u8; 8]) -> Option<(u8, u8, u8)> {
    const COLONS: u64 = 0x0000_3a00_003a_0000;
    const COLON_BYTES: u64 = 0x0000_ff00_00ff_0000;
    let word = u64::from_le_bytes(*text);
    if word & COLON_BYTES != COLONS {
        return None;
    }
    // Digits where the colons were, then one check for all eight bytes.
    let digits = (word & !COLON_BYTES) | (ZEROS & COLON_BYTES);
    if !all_digits(digits) {
        return None;
    }
    let d = digits - ZEROS;
    let pair = |index| digit(d, index) * 10 + digit(d, index + 1);
    let (hour, minute, second) = (pair(0), pair(3), pair(6));
    (hour <= 23 && minute <= 59 && second <= 60).then_some((hour, minute, second))
}

/// Parses `HH:MM:SS[.f…]` (1 to 9 fractional digits) into hour, minute,
/// second (60 allowed for a leap second) and nanoseconds.
pub(crate) fn parse_utc_time_only(value: &[u8]) -> Option<(u8, u8, u8, u32)> {
    let (time, fraction) = value.split_first_chunk::<8>()?;
    let (hour, minute, second) = parse_time(time)?;
    Some((hour, minute, second, parse_fraction(fraction)?))
}

/// `""` or `.` followed by 1 to 9 digits, scaled to nanoseconds.
#[inline]
fn parse_fraction(fraction: &[u8]) -> Option<u32> {
    let Some((b'.', digits)) = fraction.split_first() else {
        return fraction.is_empty().then_some(0);
    };
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    let mut nanos: u32 = 0;
    let mut bad = false;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        bad |= digit > 9;
        nanos = nanos.wrapping_mul(10).wrapping_add(u32::from(digit));
    }
    if bad {
        return None;
    }
    const SCALE: [u32; 10] = [
        1_000_000_000,
        100_000_000,
        10_000_000,
        1_000_000,
        100_000,
        10_000,
        1_000,
        100,
        10,
        1,
    ];
    Some(nanos * SCALE[digits.len()])
}

/// True for UTCTimestamp syntax. `last_date` remembers the last date
/// found valid (as its eight bytes): consecutive messages share a date, so
/// usually only the time of day is checked.
#[inline]
pub(crate) fn is_utc_timestamp(value: &[u8], last_date: &mut u64) -> bool {
    let Some((head, fraction)) = value.split_first_chunk::<17>() else {
        return false;
    };
    let Some((date, rest)) = head.split_first_chunk::<8>() else {
        return false;
    };
    let date_word = u64::from_le_bytes(*date);
    if date_word != *last_date {
        if parse_date(date).is_none() {
            return false;
        }
        *last_date = date_word;
    }
    match rest.split_first() {
        Some((b'-', time)) => {
            time.first_chunk::<8>().and_then(parse_time).is_some()
                && parse_fraction(fraction).is_some()
        }
        _ => false,
    }
}

/// Parses UTCTimestamp `YYYYMMDD-HH:MM:SS[.f…]` (0 to 9 fractional digits;
/// 3, 6 and 9 are the usual precisions) into calendar fields.
pub(crate) fn parse_utc_timestamp(value: &[u8]) -> Option<UtcDateTime> {
    let (head, fraction) = value.split_first_chunk::<17>()?;
    let (date, rest) = head.split_first_chunk::<8>()?;
    let (dash, time) = rest.split_first()?;
    if *dash != b'-' {
        return None;
    }
    let (year, month, day) = parse_date(date)?;
    let (hour, minute, second) = parse_time(time.first_chunk::<8>()?)?;
    Some(UtcDateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanosecond: parse_fraction(fraction)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_int(b"0"), Some(0));
        assert_eq!(parse_int(b"-17"), Some(-17));
        assert_eq!(parse_int(b"007"), Some(7));
        assert_eq!(parse_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b"1.0",
            b" 1",
            b"9223372036854775808",
            b"1x",
        ] {
            assert_eq!(parse_int(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_uint(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_uint(b"18446744073709551616"), None);
        assert_eq!(parse_uint(b"-1"), None);
    }

    #[test]
    fn floats() {
        for good in [
            &b"1"[..],
            b"-1.5",
            b".5",
            b"5.",
            b"002000.00",
            b"123456789012345678901234.5",
        ] {
            assert!(is_float(good), "{:?}", String::from_utf8_lossy(good));
        }
        for bad in [
            &b""[..],
            b"-",
            b".",
            b"+200.00",
            b"1.2.3",
            b"1e5",
            b"1,5",
            b"--1",
        ] {
            assert!(!is_float(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn timestamps_with_each_precision() {
        let seconds = parse_utc_timestamp(b"20170117-10:02:14").unwrap();
        assert_eq!((seconds.year, seconds.month, seconds.day), (2017, 1, 17));
        assert_eq!(
            (
                seconds.hour,
                seconds.minute,
                seconds.second,
                seconds.nanosecond
            ),
            (10, 2, 14, 0)
        );
        assert_eq!(
            parse_utc_timestamp(b"20170117-10:02:14.720")
                .unwrap()
                .nanosecond,
            720_000_000
        );
        assert_eq!(
            parse_utc_timestamp(b"20170117-10:02:14.720123")
                .unwrap()
                .nanosecond,
            720_123_000
        );
        assert_eq!(
            parse_utc_timestamp(b"20170117-10:02:14.720123456")
                .unwrap()
                .nanosecond,
            720_123_456
        );
        assert_eq!(
            parse_utc_timestamp(b"20161231-23:59:60").unwrap().second,
            60
        );
    }

    #[test]
    fn malformed_timestamps() {
        for bad in [
            &b"20170117-10:02"[..],
            b"20170117 10:02:14",
            b"20170117-10:02:14.",
            b"20170117-10:02:14.1234567890",
            b"20170117-24:00:00",
            b"20170117-10:60:00",
            b"20170117-10:02:61",
            b"20170230-10:02:14",
            b"20171317-10:02:14",
            b"2017011-10:02:14.1",
            b"20170117-10:02:14Z",
            b"20170117-1a:02:14",
        ] {
            assert_eq!(
                parse_utc_timestamp(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn dates_and_times_of_day() {
        assert_eq!(parse_utc_date_only(b"20240229"), Some((2024, 2, 29)));
        assert_eq!(parse_utc_date_only(b"20230229"), None);
        assert_eq!(parse_utc_date_only(b"2023022"), None);
        assert_eq!(
            parse_utc_time_only(b"23:59:59.999"),
            Some((23, 59, 59, 999_000_000))
        );
        assert_eq!(parse_utc_time_only(b"23:59"), None);
        assert_eq!(parse_bool(b"Y"), Some(true));
        assert_eq!(parse_bool(b"y"), None);
    }
}
