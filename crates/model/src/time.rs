//! UTC timestamps with nanosecond resolution.
//!
//! The only clock anywhere in EMP's cores is a [`Timestamp`] passed in by the
//! caller; nothing in this module reads the system clock.

use std::fmt;

const NANOS_PER_SECOND: u64 = 1_000_000_000;
const SECONDS_PER_DAY: u64 = 86_400;

/// A point in time: UTC nanoseconds since 1970-01-01T00:00:00Z.
///
/// Covers 1970 to 2554. Leap seconds do not exist in this scale (as in POSIX
/// time); [`Timestamp::from_utc`] folds a `:60` second into the next one.
///
/// ```
/// use model::{Timestamp, UtcDateTime};
///
/// let t = Timestamp::from_utc(UtcDateTime {
///     year: 2017, month: 1, day: 17, hour: 10, minute: 2, second: 14, nanosecond: 720_000_000,
/// })?;
/// assert_eq!(t.unix_nanos(), 1_484_647_334_720_000_000);
/// assert_eq!(t.to_string(), "2017-01-17T10:02:14.720000000Z");
/// assert_eq!(t.to_utc().minute, 2);
/// # Ok::<(), model::TimestampError>(())
/// ```
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

/// A UTC calendar date and time of day, field by field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcDateTime {
    /// Year, 1970..=2554 for a [`Timestamp`].
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of month, 1..=31 as the month allows.
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=59, or 60 for a leap second.
    pub second: u8,
    /// Nanosecond within the second, 0..=999_999_999.
    pub nanosecond: u32,
}

/// Why a date and time is not a [`Timestamp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The day does not exist in that month, or the month is not 1..=12.
    #[error("{year:04}-{month:02}-{day:02} is not a calendar date")]
    InvalidDate {
        /// Year as given.
        year: u16,
        /// Month as given.
        month: u8,
        /// Day as given.
        day: u8,
    },
    /// Hour above 23, minute above 59 or second above 60.
    #[error("{hour:02}:{minute:02}:{second:02} is not a time of day")]
    InvalidTime {
        /// Hour as given.
        hour: u8,
        /// Minute as given.
        minute: u8,
        /// Second as given.
        second: u8,
    },
    /// Nanosecond of second above 999 999 999.
    #[error("nanosecond {0} is not below one second")]
    InvalidNanosecond(u32),
    /// A valid date outside 1970..=2554, which a `Timestamp` cannot hold.
    #[error("year {0} is outside the range a timestamp holds (1970 to 2554)")]
    OutOfRange(u16),
}

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(0);

    /// The timestamp `nanos` nanoseconds after the Unix epoch.
    pub const fn from_unix_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn unix_nanos(self) -> u64 {
        self.0
    }

    /// Builds a timestamp from calendar fields, checking that the date exists.
    pub fn from_utc(at: UtcDateTime) -> Result<Self, TimestampError> {
        if !(1..=12).contains(&at.month) || at.day == 0 || at.day > days_in_month(at.year, at.month)
        {
            return Err(TimestampError::InvalidDate {
                year: at.year,
                month: at.month,
                day: at.day,
            });
        }
        if at.hour > 23 || at.minute > 59 || at.second > 60 {
            return Err(TimestampError::InvalidTime {
                hour: at.hour,
                minute: at.minute,
                second: at.second,
            });
        }
        if u64::from(at.nanosecond) >= NANOS_PER_SECOND {
            return Err(TimestampError::InvalidNanosecond(at.nanosecond));
        }
        if at.year < 1970 {
            return Err(TimestampError::OutOfRange(at.year));
        }
        let days = days_from_civil(at.year, at.month, at.day);
        let seconds = days * SECONDS_PER_DAY
            + u64::from(at.hour) * 3600
            + u64::from(at.minute) * 60
            + u64::from(at.second);
        seconds
            .checked_mul(NANOS_PER_SECOND)
            .and_then(|n| n.checked_add(u64::from(at.nanosecond)))
            .map(Self)
            .ok_or(TimestampError::OutOfRange(at.year))
    }

    /// Splits the timestamp into UTC calendar fields.
    pub fn to_utc(self) -> UtcDateTime {
        let seconds = self.0 / NANOS_PER_SECOND;
        let days = seconds / SECONDS_PER_DAY;
        let second_of_day = seconds % SECONDS_PER_DAY;
        let (year, month, day) = civil_from_days(days);
        UtcDateTime {
            year,
            month,
            day,
            hour: small(second_of_day / 3600),
            minute: small(second_of_day / 60 % 60),
            second: small(second_of_day % 60),
            nanosecond: u32::try_from(self.0 % NANOS_PER_SECOND).unwrap_or(0),
        }
    }

    /// The timestamp `nanos` later, or `None` past the end of the range.
    pub const fn checked_add_nanos(self, nanos: u64) -> Option<Self> {
        match self.0.checked_add(nanos) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// Nanoseconds from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_nanos_since(self, earlier: Self) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 with nine fractional digits, e.g. `2017-01-17T10:02:14.720000000Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.to_utc();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanosecond
        )
    }
}

/// True for Gregorian leap years.
pub const fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Number of days in `month` (1..=12) of `year`; 0 for an invalid month.
pub const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to a date on or after it (proleptic Gregorian).
///
/// Counts in 400-year eras that start on 1 March, so the leap day is the last
/// day of its year and month lengths follow a fixed 153-day pattern.
fn days_from_civil(year: u16, month: u8, day: u8) -> u64 {
    let month = u64::from(month);
    let year = u64::from(year) - u64::from(month <= 2);
    let era = year / 400;
    let year_of_era = year % 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + u64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 days separate 0000-03-01 from 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: u64) -> (u16, u8, u8) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (
        u16::try_from(year).unwrap_or(u16::MAX),
        small(month),
        small(day),
    )
}

/// Narrows a value already known to be below 256.
fn small(value: u64) -> u8 {
    u8::try_from(value).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        nanosecond: u32,
    ) -> UtcDateTime {
        UtcDateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanosecond,
        }
    }

    #[test]
    fn known_instants() {
        assert_eq!(
            Timestamp::from_utc(at(1970, 1, 1, 0, 0, 0, 0)),
            Ok(Timestamp::UNIX_EPOCH)
        );
        // 2000-03-01 follows a leap day in a year divisible by 400.
        assert_eq!(
            Timestamp::from_utc(at(2000, 3, 1, 0, 0, 0, 0))
                .unwrap()
                .unix_nanos(),
            951_868_800 * NANOS_PER_SECOND
        );
        assert_eq!(
            Timestamp::from_utc(at(2026, 11, 21, 6, 29, 14, 5))
                .unwrap()
                .unix_nanos(),
            1_795_242_554 * NANOS_PER_SECOND + 5
        );
    }

    #[test]
    fn rejects_impossible_dates_and_times() {
        assert!(matches!(
            Timestamp::from_utc(at(2023, 2, 29, 0, 0, 0, 0)),
            Err(TimestampError::InvalidDate { .. })
        ));
        assert!(Timestamp::from_utc(at(2024, 2, 29, 0, 0, 0, 0)).is_ok());
        assert!(matches!(
            Timestamp::from_utc(at(1900, 2, 29, 0, 0, 0, 0)),
            Err(TimestampError::InvalidDate { .. })
        ));
        assert!(matches!(
            Timestamp::from_utc(at(2023, 13, 1, 0, 0, 0, 0)),
            Err(TimestampError::InvalidDate { .. })
        ));
        assert!(matches!(
            Timestamp::from_utc(at(2023, 1, 1, 24, 0, 0, 0)),
            Err(TimestampError::InvalidTime { .. })
        ));
        assert_eq!(
            Timestamp::from_utc(at(2023, 1, 1, 0, 0, 0, 1_000_000_000)),
            Err(TimestampError::InvalidNanosecond(1_000_000_000))
        );
        assert_eq!(
            Timestamp::from_utc(at(1969, 12, 31, 0, 0, 0, 0)),
            Err(TimestampError::OutOfRange(1969))
        );
        assert_eq!(
            Timestamp::from_utc(at(9999, 12, 31, 0, 0, 0, 0)),
            Err(TimestampError::OutOfRange(9999))
        );
    }

    #[test]
    fn leap_second_folds_into_the_next_second() {
        let leap = Timestamp::from_utc(at(2016, 12, 31, 23, 59, 60, 0)).unwrap();
        assert_eq!(
            leap,
            Timestamp::from_utc(at(2017, 1, 1, 0, 0, 0, 0)).unwrap()
        );
    }

    proptest! {
        #[test]
        fn calendar_round_trip(nanos in 0u64..u64::MAX) {
            let t = Timestamp::from_unix_nanos(nanos);
            prop_assert_eq!(Timestamp::from_utc(t.to_utc()), Ok(t));
        }

        #[test]
        fn consecutive_days_are_consecutive(days in 0u64..200_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
            let (y2, m2, d2) = civil_from_days(days + 1);
            let next_is_tomorrow = (y2, m2, d2) == (y, m, d + 1)
                || (d == days_in_month(y, m) && d2 == 1 && ((m2 == m + 1 && y2 == y) || (m == 12 && m2 == 1 && y2 == y + 1)));
            prop_assert!(next_is_tomorrow);
        }
    }
}
