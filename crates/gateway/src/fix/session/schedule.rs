//! When a session is up: QuickFIX's session schedules (`StartTime`,
//! `EndTime`, `StartDay`, `EndDay`, `Weekdays`, `TimeZone`).
//!
//! A schedule is a series of *session periods*, each from a start instant
//! to an end instant. A period starts at StartTime on each start day and
//! ends at the first EndTime after it (on EndDay, for a weekly schedule).
//! Times are civil times in the schedule's zone; the zone's rules (DST
//! included) come from the tz database compiled into the binary, so a
//! schedule means the same thing on every machine.
//!
//! Periods are half-open, `[start, end)`: at EndTime exactly the session is
//! over, so a timer armed for [`SessionSchedule::next_change`] finds the
//! change when it fires. (QuickFIX compares times to the second and counts
//! EndTime itself in; the two differ by less than a second.)
//!
//! Like the rest of the session core, nothing here reads a clock: every
//! question takes the instant it is about.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{ToSpan, civil};
use model::Timestamp;

/// A schedule setting could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// A time of day not written `HH:MM:SS`.
    #[error("{0:?} is not a time of day; write HH:MM:SS, e.g. \"08:00:00\"")]
    InvalidTime(String),
    /// A day name that names no weekday.
    #[error("{0:?} is not a day of the week; write Mon..Sun or Monday..Sunday")]
    InvalidDay(String),
    /// A weekday list with no day in it.
    #[error("no weekday given; list the days the session runs, e.g. \"Mon,Tue,Wed,Thu,Fri\"")]
    NoWeekdays,
    /// A time zone the tz database does not know.
    #[error("unknown time zone {name:?} ({detail}); use an IANA name such as \"America/New_York\"")]
    UnknownTimeZone {
        /// The name as given.
        name: String,
        /// What the tz database said.
        detail: String,
    },
    /// The machine's own time zone could not be determined.
    #[error(
        "cannot determine this machine's time zone ({0}); name one with TimeZone, e.g. \"Europe/London\""
    )]
    SystemTimeZone(String),
}

/// A civil time of day, to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    hour: u8,
    minute: u8,
    second: u8,
}

impl TimeOfDay {
    /// `hour:minute:second`, or `None` when a field is out of range.
    pub fn new(hour: u8, minute: u8, second: u8) -> Option<Self> {
        (hour < 24 && minute < 60 && second < 60).then_some(Self {
            hour,
            minute,
            second,
        })
    }

    /// Hour, 0..=23.
    pub fn hour(self) -> u8 {
        self.hour
    }

    /// Minute, 0..=59.
    pub fn minute(self) -> u8 {
        self.minute
    }

    /// Second, 0..=59.
    pub fn second(self) -> u8 {
        self.second
    }

    fn to_civil(self) -> Option<Time> {
        Time::new(
            i8::try_from(self.hour).ok()?,
            i8::try_from(self.minute).ok()?,
            i8::try_from(self.second).ok()?,
            0,
        )
        .ok()
    }
}

impl FromStr for TimeOfDay {
    type Err = ScheduleError;

    /// `HH:MM:SS`, as QuickFIX writes StartTime and EndTime.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || ScheduleError::InvalidTime(text.to_owned());
        let bytes = text.as_bytes();
        if bytes.len() != 8 || bytes[2] != b':' || bytes[5] != b':' {
            return Err(invalid());
        }
        let field = |at: usize| -> Option<u8> {
            let pair = &bytes[at..at + 2];
            pair.iter()
                .all(u8::is_ascii_digit)
                .then(|| (pair[0] - b'0') * 10 + (pair[1] - b'0'))
        };
        match (field(0), field(3), field(6)) {
            (Some(hour), Some(minute), Some(second)) => {
                Self::new(hour, minute, second).ok_or_else(invalid)
            }
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    const ALL: [(Self, &'static str); 7] = [
        (Self::Monday, "monday"),
        (Self::Tuesday, "tuesday"),
        (Self::Wednesday, "wednesday"),
        (Self::Thursday, "thursday"),
        (Self::Friday, "friday"),
        (Self::Saturday, "saturday"),
        (Self::Sunday, "sunday"),
    ];

    /// Days after Monday, 0..=6.
    fn index(self) -> u8 {
        self as u8
    }

    fn of(date: Date) -> Self {
        let offset = date.weekday().to_monday_zero_offset();
        Self::ALL[usize::try_from(offset).unwrap_or(0) % 7].0
    }
}

impl FromStr for Weekday {
    type Err = ScheduleError;

    /// An English day name or its start, at least two letters, in any
    /// case: `Mo`, `Mon`, `monday`. (QuickFIX reads only the first two
    /// letters; a longer text must still be the start of the name here, so
    /// a typo is an error rather than some day.)
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        Self::ALL
            .iter()
            .find(|(_, name)| lower.len() >= 2 && name.starts_with(&lower))
            .map(|(day, _)| *day)
            .ok_or_else(|| ScheduleError::InvalidDay(text.to_owned()))
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Self::ALL[usize::from(self.index())].1;
        let (first, rest) = name.split_at(1);
        write!(f, "{}{}", first.to_ascii_uppercase(), &rest[..2])
    }
}

/// On which days a session period starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionDays {
    /// Every day: a period from StartTime to the next EndTime.
    Daily,
    /// A daily period, but starting only on these days (`Weekdays`).
    Weekdays(Vec<Weekday>),
    /// One period a week, from StartTime on `start` to EndTime on `end`
    /// (`StartDay`, `EndDay`). When both are the same day the period lasts
    /// a whole week, as in QuickFIX (which moves an EndTime later than
    /// StartTime back to StartTime in that case).
    Weekly {
        /// StartDay.
        start: Weekday,
        /// EndDay.
        end: Weekday,
    },
}

/// The zone a schedule's times are civil times in.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionTimeZone(TimeZone);

impl SessionTimeZone {
    /// UTC, QuickFIX's default.
    pub fn utc() -> Self {
        Self(TimeZone::UTC)
    }

    /// A zone of the tz database compiled into the binary, by its IANA
    /// name (`America/New_York`, `Europe/London`, `UTC`).
    pub fn named(name: &str) -> Result<Self, ScheduleError> {
        TimeZone::get(name)
            .map(Self)
            .map_err(|error| ScheduleError::UnknownTimeZone {
                name: name.to_owned(),
                detail: error.to_string(),
            })
    }

    /// The machine's zone (`TZ`, else `/etc/localtime`), for
    /// `UseLocalTime`. This reads the environment, so it belongs where
    /// settings are loaded, never in the session core; the zone is fixed
    /// from then on.
    pub fn system() -> Result<Self, ScheduleError> {
        TimeZone::try_system()
            .map(Self)
            .map_err(|error| ScheduleError::SystemTimeZone(error.to_string()))
    }

    /// The IANA name, when the zone has one.
    pub fn name(&self) -> Option<&str> {
        self.0.iana_name()
    }
}

impl fmt::Debug for SessionTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionTimeZone({})", self.name().unwrap_or("unnamed"))
    }
}

/// When a session is in session: start and end times of day, the days
/// periods start on, and the zone the times are in.
///
/// ```
/// use gateway::fix::session::{SessionDays, SessionSchedule, SessionTimeZone};
/// use model::{Timestamp, UtcDateTime};
///
/// // Sunday 17:00 to Friday 17:00, New York time.
/// let schedule = SessionSchedule::new(
///     "17:00:00".parse()?,
///     "17:00:00".parse()?,
///     SessionDays::Weekly { start: "Sun".parse()?, end: "Fri".parse()? },
///     SessionTimeZone::named("America/New_York")?,
/// )?;
/// let at = |day, hour| {
///     Timestamp::from_utc(UtcDateTime {
///         year: 2025, month: 11, day, hour, minute: 0, second: 0, nanosecond: 0,
///     })
///     .unwrap()
/// };
/// assert!(schedule.is_session_time(at(19, 12))); // Wednesday
/// assert!(!schedule.is_session_time(at(22, 12))); // Saturday
/// // Friday 17:00 EST is 22:00 UTC: the session ends there.
/// assert_eq!(schedule.next_change(at(19, 12)), at(21, 22));
/// # Ok::<(), gateway::fix::session::ScheduleError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSchedule {
    start: TimeOfDay,
    end: TimeOfDay,
    days: SessionDays,
    zone: SessionTimeZone,
    /// Bit `n` set: periods may start `n` days after Monday.
    start_days: u8,
}

/// One session period, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Period {
    start: jiff::Timestamp,
    end: jiff::Timestamp,
}

/// Local dates looked back and ahead when searching for a period: a weekly
/// period starts at most seven days before any instant in it.
const SEARCH_DAYS: i64 = 8;

impl SessionSchedule {
    /// A schedule from `start` to `end` on `days`, in `zone`. `start ==
    /// end` makes periods of a whole day (or week), back to back: always
    /// in session, with a new period (a sequence reset) at that time.
    pub fn new(
        start: TimeOfDay,
        end: TimeOfDay,
        days: SessionDays,
        zone: SessionTimeZone,
    ) -> Result<Self, ScheduleError> {
        let start_days = match &days {
            SessionDays::Daily => 0x7f,
            SessionDays::Weekdays(list) => list.iter().fold(0, |mask, day| mask | 1 << day.index()),
            SessionDays::Weekly { start, .. } => 1 << start.index(),
        };
        if start_days == 0 {
            return Err(ScheduleError::NoWeekdays);
        }
        Ok(Self {
            start,
            end,
            days,
            zone,
            start_days,
        })
    }

    /// StartTime.
    pub fn start_time(&self) -> TimeOfDay {
        self.start
    }

    /// EndTime.
    pub fn end_time(&self) -> TimeOfDay {
        self.end
    }

    /// The days periods start on.
    pub fn days(&self) -> &SessionDays {
        &self.days
    }

    /// The zone the times are in.
    pub fn time_zone(&self) -> &SessionTimeZone {
        &self.zone
    }

    /// True when `now` is inside a session period.
    pub fn is_session_time(&self, now: Timestamp) -> bool {
        self.period_containing(to_jiff(now)).is_some()
    }

    /// True when `a` and `b` are both inside the same session period
    /// (QuickFIX's `isSameSession`: false when either is outside every
    /// period).
    pub fn is_same_session(&self, a: Timestamp, b: Timestamp) -> bool {
        let b = to_jiff(b);
        self.period_containing(to_jiff(a))
            .is_some_and(|period| period.start <= b && b < period.end)
    }

    /// The session period `at` is in, as `(start, end)`, end excluded.
    pub fn session_period(&self, at: Timestamp) -> Option<(Timestamp, Timestamp)> {
        self.period_containing(to_jiff(at))
            .map(|period| (from_jiff(period.start), from_jiff(period.end)))
    }

    /// The next instant after `now` at which a period ends or starts: the
    /// end of the period `now` is in, else the start of the next one. A
    /// driver arms a timer for it so the session logs out at EndTime and
    /// resets at StartTime.
    pub fn next_change(&self, now: Timestamp) -> Timestamp {
        let at = to_jiff(now);
        let next = match self.period_containing(at) {
            Some(period) => Some(period.end),
            None => self.next_start_after(at),
        };
        next.map_or(Timestamp::from_unix_nanos(u64::MAX), from_jiff)
    }

    fn period_containing(&self, at: jiff::Timestamp) -> Option<Period> {
        // Periods never overlap, so the latest one starting at or before
        // `at` is the only one that can contain it.
        let today = self.zone.0.to_datetime(at).date();
        (0..=SEARCH_DAYS)
            .filter_map(|back| today.checked_sub(back.days()).ok())
            .filter_map(|date| self.period_starting_on(date))
            .find(|period| period.start <= at)
            .filter(|period| at < period.end)
    }

    fn next_start_after(&self, at: jiff::Timestamp) -> Option<jiff::Timestamp> {
        let today = self.zone.0.to_datetime(at).date();
        (-1..=SEARCH_DAYS)
            .filter_map(|ahead| today.checked_add(ahead.days()).ok())
            .filter_map(|date| self.period_starting_on(date))
            .map(|period| period.start)
            .find(|start| *start > at)
    }

    /// The period starting on local `date`, if periods start that day.
    fn period_starting_on(&self, date: Date) -> Option<Period> {
        let weekday = Weekday::of(date);
        if self.start_days & (1 << weekday.index()) == 0 {
            return None;
        }
        let (end_date, end_time) = match self.days {
            SessionDays::Daily | SessionDays::Weekdays(_) => {
                let days = if self.end > self.start { 0 } else { 1 };
                (date.checked_add(days.days()).ok()?, self.end)
            }
            SessionDays::Weekly { start, end } if start == end => {
                let end_time = if self.end > self.start {
                    self.start
                } else {
                    self.end
                };
                (date.checked_add(7.days()).ok()?, end_time)
            }
            SessionDays::Weekly { start, end } => {
                let days = (i64::from(end.index()) - i64::from(start.index())).rem_euclid(7);
                (date.checked_add(days.days()).ok()?, self.end)
            }
        };
        Some(Period {
            start: self.instant(date, self.start)?,
            end: self.instant(end_date, end_time)?,
        })
    }

    /// `time` on local `date`. A time skipped by a DST change is taken
    /// after the change, a repeated one at its first occurrence (the
    /// "compatible" choice of RFC 5545 and Temporal).
    fn instant(&self, date: Date, time: TimeOfDay) -> Option<jiff::Timestamp> {
        let civil = civil::DateTime::from_parts(date, time.to_civil()?);
        self.zone.0.to_ambiguous_timestamp(civil).compatible().ok()
    }
}

impl fmt::Display for SessionSchedule {
    /// `daily 08:00:00-17:00:00 UTC`, `Mon,Tue 08:00:00-17:00:00 UTC`,
    /// `weekly Sun 17:00:00-Fri 17:00:00 America/New_York`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zone = self.zone.name().unwrap_or("local time");
        match &self.days {
            SessionDays::Daily => write!(f, "daily {}-{} {zone}", self.start, self.end),
            SessionDays::Weekdays(days) => {
                for (i, day) in days.iter().enumerate() {
                    let separator = if i == 0 { "" } else { "," };
                    write!(f, "{separator}{day}")?;
                }
                write!(f, " {}-{} {zone}", self.start, self.end)
            }
            SessionDays::Weekly { start, end } => {
                write!(f, "weekly {start} {}-{end} {} {zone}", self.start, self.end)
            }
        }
    }
}

fn to_jiff(at: Timestamp) -> jiff::Timestamp {
    // Every model timestamp (1970 to 2554) is in jiff's range.
    jiff::Timestamp::from_nanosecond(i128::from(at.unix_nanos()))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn from_jiff(at: jiff::Timestamp) -> Timestamp {
    let nanos = at.as_nanosecond().clamp(0, i128::from(u64::MAX));
    Timestamp::from_unix_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use model::UtcDateTime;

    use super::*;

    /// A UTC instant, `YYYY-MM-DD HH:MM:SS`.
    fn utc(text: &str) -> Timestamp {
        let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().unwrap();
        Timestamp::from_utc(UtcDateTime {
            year: number(0..4),
            month: number(5..7) as u8,
            day: number(8..10) as u8,
            hour: number(11..13) as u8,
            minute: number(14..16) as u8,
            second: number(17..19) as u8,
            nanosecond: 0,
        })
        .unwrap()
    }

    fn schedule(start: &str, end: &str, days: SessionDays, zone: &str) -> SessionSchedule {
        SessionSchedule::new(
            start.parse().unwrap(),
            end.parse().unwrap(),
            days,
            SessionTimeZone::named(zone).unwrap(),
        )
        .unwrap()
    }

    fn weekly(start: &str, end: &str) -> SessionDays {
        SessionDays::Weekly {
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        }
    }

    const NANO: u64 = 1;

    fn before(at: Timestamp) -> Timestamp {
        Timestamp::from_unix_nanos(at.unix_nanos() - NANO)
    }

    #[test]
    fn daily_session_is_in_from_start_until_end() {
        let s = schedule("08:00:00", "17:00:00", SessionDays::Daily, "UTC");
        assert!(!s.is_session_time(before(utc("2025-11-19 08:00:00"))));
        assert!(s.is_session_time(utc("2025-11-19 08:00:00")));
        assert!(s.is_session_time(before(utc("2025-11-19 17:00:00"))));
        assert!(!s.is_session_time(utc("2025-11-19 17:00:00")));
        assert!(s.is_same_session(utc("2025-11-19 08:00:00"), utc("2025-11-19 16:59:59")));
        assert!(!s.is_same_session(utc("2025-11-19 09:00:00"), utc("2025-11-20 09:00:00")));
        assert!(!s.is_same_session(utc("2025-11-19 09:00:00"), utc("2025-11-19 18:00:00")));
        assert_eq!(
            s.next_change(utc("2025-11-19 09:00:00")),
            utc("2025-11-19 17:00:00")
        );
        assert_eq!(
            s.next_change(utc("2025-11-19 17:00:00")),
            utc("2025-11-20 08:00:00")
        );
        assert_eq!(
            s.next_change(utc("2025-11-19 07:00:00")),
            utc("2025-11-19 08:00:00")
        );
        assert_eq!(
            s.session_period(utc("2025-11-19 12:00:00")),
            Some((utc("2025-11-19 08:00:00"), utc("2025-11-19 17:00:00")))
        );
        assert_eq!(s.session_period(utc("2025-11-19 18:00:00")), None);
    }

    #[test]
    fn daily_session_crossing_midnight_belongs_to_the_day_it_started() {
        let s = schedule("22:00:00", "06:00:00", SessionDays::Daily, "UTC");
        assert!(s.is_session_time(utc("2025-11-19 23:00:00")));
        assert!(s.is_session_time(utc("2025-11-20 05:59:59")));
        assert!(!s.is_session_time(utc("2025-11-20 06:00:00")));
        assert!(!s.is_session_time(utc("2025-11-20 12:00:00")));
        assert!(s.is_same_session(utc("2025-11-19 22:00:00"), utc("2025-11-20 05:00:00")));
        assert!(!s.is_same_session(utc("2025-11-20 05:00:00"), utc("2025-11-20 22:30:00")));
        assert_eq!(
            s.next_change(utc("2025-11-20 01:00:00")),
            utc("2025-11-20 06:00:00")
        );
        assert_eq!(
            s.next_change(utc("2025-11-20 12:00:00")),
            utc("2025-11-20 22:00:00")
        );
    }

    #[test]
    fn start_equal_to_end_is_always_in_session_with_a_daily_reset() {
        let s = schedule("05:00:00", "05:00:00", SessionDays::Daily, "UTC");
        for at in [
            "2025-11-19 04:59:59",
            "2025-11-19 05:00:00",
            "2025-11-19 23:00:00",
        ] {
            assert!(s.is_session_time(utc(at)), "{at}");
        }
        assert!(s.is_same_session(utc("2025-11-19 05:00:00"), utc("2025-11-20 04:59:59")));
        assert!(!s.is_same_session(utc("2025-11-19 04:59:59"), utc("2025-11-19 05:00:00")));
        assert_eq!(
            s.next_change(utc("2025-11-19 12:00:00")),
            utc("2025-11-20 05:00:00")
        );
    }

    #[test]
    fn weekly_session_crosses_the_week_end() {
        // Sunday 17:00 to Friday 17:00 (2025-11-16 is a Sunday).
        let s = schedule("17:00:00", "17:00:00", weekly("Sun", "Friday"), "UTC");
        assert!(!s.is_session_time(before(utc("2025-11-16 17:00:00"))));
        assert!(s.is_session_time(utc("2025-11-16 17:00:00")));
        assert!(s.is_session_time(utc("2025-11-19 03:00:00")));
        assert!(s.is_session_time(before(utc("2025-11-21 17:00:00"))));
        assert!(!s.is_session_time(utc("2025-11-21 17:00:00")));
        assert!(!s.is_session_time(utc("2025-11-22 12:00:00")));
        assert!(s.is_same_session(utc("2025-11-16 18:00:00"), utc("2025-11-21 16:00:00")));
        assert!(!s.is_same_session(utc("2025-11-21 16:00:00"), utc("2025-11-23 18:00:00")));
        assert_eq!(
            s.next_change(utc("2025-11-18 00:00:00")),
            utc("2025-11-21 17:00:00")
        );
        assert_eq!(
            s.next_change(utc("2025-11-22 00:00:00")),
            utc("2025-11-23 17:00:00")
        );
        // Friday to Monday: a weekend session over the week's end.
        let s = schedule("20:00:00", "06:00:00", weekly("Fr", "mo"), "UTC");
        assert!(s.is_session_time(utc("2025-11-22 12:00:00")));
        assert!(s.is_session_time(utc("2025-11-24 05:00:00")));
        assert!(!s.is_session_time(utc("2025-11-24 07:00:00")));
        assert!(!s.is_session_time(utc("2025-11-21 19:00:00")));
    }

    #[test]
    fn weekly_session_on_one_day_lasts_the_whole_week() {
        // QuickFIX: StartDay == EndDay is a week-long session; an EndTime
        // after StartTime is moved back to StartTime.
        let s = schedule("08:00:00", "17:00:00", weekly("Mon", "Mon"), "UTC");
        assert!(s.is_session_time(utc("2025-11-17 20:00:00")));
        assert!(s.is_session_time(utc("2025-11-23 20:00:00")));
        assert!(s.is_same_session(utc("2025-11-17 08:00:00"), utc("2025-11-24 07:59:59")));
        assert!(!s.is_same_session(utc("2025-11-24 07:59:59"), utc("2025-11-24 08:00:00")));
        assert_eq!(
            s.next_change(utc("2025-11-19 00:00:00")),
            utc("2025-11-24 08:00:00")
        );
        // EndTime before StartTime: out for that hour once a week.
        let s = schedule("08:00:00", "07:00:00", weekly("Mon", "Mon"), "UTC");
        assert!(!s.is_session_time(utc("2025-11-24 07:30:00")));
        assert!(s.is_session_time(utc("2025-11-24 06:59:59")));
    }

    #[test]
    fn weekdays_limit_the_days_a_daily_period_starts() {
        let days = SessionDays::Weekdays(
            ["Mon", "Tue", "Wed", "Thu", "Fri"]
                .map(|d| d.parse().unwrap())
                .to_vec(),
        );
        let s = schedule("22:00:00", "06:00:00", days, "UTC");
        // Friday night's period runs into Saturday morning.
        assert!(s.is_session_time(utc("2025-11-22 05:00:00")));
        // No period starts on Saturday or Sunday.
        assert!(!s.is_session_time(utc("2025-11-22 23:00:00")));
        assert!(!s.is_session_time(utc("2025-11-23 23:00:00")));
        assert!(s.is_session_time(utc("2025-11-24 22:00:00")));
        assert_eq!(
            s.next_change(utc("2025-11-22 12:00:00")),
            utc("2025-11-24 22:00:00")
        );
        assert_eq!(
            SessionSchedule::new(
                "08:00:00".parse().unwrap(),
                "17:00:00".parse().unwrap(),
                SessionDays::Weekdays(Vec::new()),
                SessionTimeZone::utc(),
            ),
            Err(ScheduleError::NoWeekdays)
        );
    }

    #[test]
    fn times_follow_the_zones_daylight_saving_changes() {
        // 08:00-17:00 New York: 13:00-22:00 UTC in winter (EST), 12:00-21:00
        // in summer (EDT). DST began 2025-03-09 and ended 2025-11-02.
        let s = schedule(
            "08:00:00",
            "17:00:00",
            SessionDays::Daily,
            "America/New_York",
        );
        assert!(!s.is_session_time(utc("2025-03-07 12:30:00")));
        assert!(s.is_session_time(utc("2025-03-07 13:00:00")));
        assert!(s.is_session_time(utc("2025-03-10 12:30:00")));
        assert!(!s.is_session_time(utc("2025-03-10 21:30:00")));
        assert_eq!(
            s.next_change(utc("2025-10-31 20:00:00")),
            utc("2025-10-31 21:00:00")
        );
        assert_eq!(
            s.next_change(utc("2025-11-03 20:00:00")),
            utc("2025-11-03 22:00:00")
        );
        // A 24-hour period on the day the clocks go back lasts 25 hours.
        let s = schedule(
            "00:00:00",
            "00:00:00",
            SessionDays::Daily,
            "America/New_York",
        );
        let (start, end) = s.session_period(utc("2025-11-02 12:00:00")).unwrap();
        assert_eq!(start, utc("2025-11-02 04:00:00"));
        assert_eq!(end, utc("2025-11-03 05:00:00"));
        // 02:30 does not exist on 2025-03-09: the period starts after the
        // gap, at 03:30 EDT (07:30 UTC).
        let s = schedule(
            "02:30:00",
            "12:00:00",
            SessionDays::Daily,
            "America/New_York",
        );
        assert_eq!(
            s.session_period(utc("2025-03-09 10:00:00")).unwrap().0,
            utc("2025-03-09 07:30:00")
        );
    }

    /// QuickFIX C++'s rule for "in range", restated from its description:
    /// compare the time of day (and, for weekly sessions, the day, counted
    /// from Sunday = 1) with the bounds, both bounds included.
    /// `at` is in whole seconds and means half a second later.
    fn quickfix_in_range(start: u64, end: u64, days: Option<(u64, u64)>, at: u64) -> bool {
        // Half-seconds, so the half second past `at` compares exactly.
        let (start, end, time) = (start * 2, end * 2, at % 86_400 * 2 + 1);
        let day = (at / 86_400 + 4) % 7 + 1; // 1970-01-01 was a Thursday (5)
        let in_times = |start: u64, end: u64| {
            if start < end {
                start <= time && time <= end
            } else {
                time >= start || time <= end
            }
        };
        match days {
            None => in_times(start, end),
            Some((first, last)) if first == last => {
                let end = if end > start { start } else { end };
                day != first || in_times(start, end)
            }
            Some((first, last)) => {
                let outside_days = if first < last {
                    day < first || day > last
                } else {
                    day < first && day > last
                };
                !(outside_days || (day == first && time < start) || (day == last && time > end))
            }
        }
    }

    #[test]
    fn agrees_with_quickfix_day_and_time_rule_in_utc() {
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        let times = [
            ("08:00:00", 8 * 3600),
            ("17:00:00", 17 * 3600),
            ("22:30:00", 22 * 3600 + 1800),
            ("00:00:00", 0),
        ];
        let from = utc("2025-11-10 00:00:00").unix_nanos() / 1_000_000_000;
        for (start_text, start) in times {
            for (end_text, end) in times {
                let mut cases = vec![(SessionDays::Daily, None)];
                for (first, last) in [(0, 5), (5, 1), (3, 3), (6, 0), (1, 1)] {
                    cases.push((
                        weekly(names[first], names[last]),
                        Some((first as u64 + 1, last as u64 + 1)),
                    ));
                }
                for (days, reference_days) in cases {
                    let s = schedule(start_text, end_text, days.clone(), "UTC");
                    // Every 11 minutes for three weeks, half a second past
                    // the minute, where the inclusive and half-open ends
                    // agree.
                    for step in 0..(21 * 24 * 60 / 11) {
                        let at = from + step * 11 * 60;
                        let t = Timestamp::from_unix_nanos(at * 1_000_000_000 + 500_000_000);
                        assert_eq!(
                            s.is_session_time(t),
                            quickfix_in_range(start, end, reference_days, at),
                            "{s} at {t}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn parsing_times_days_and_zones() {
        assert_eq!(
            "07:05:09".parse::<TimeOfDay>().unwrap(),
            TimeOfDay::new(7, 5, 9).unwrap()
        );
        for bad in [
            "7:05:09",
            "24:00:00",
            "07:60:00",
            "07:05",
            "07:05:09.5",
            "ab:cd:ef",
        ] {
            assert_eq!(
                bad.parse::<TimeOfDay>(),
                Err(ScheduleError::InvalidTime(bad.to_owned())),
                "{bad}"
            );
        }
        for (text, day) in [
            ("Mo", Weekday::Monday),
            ("tue", Weekday::Tuesday),
            ("WEDNESDAY", Weekday::Wednesday),
            ("Thurs", Weekday::Thursday),
            (" sun ", Weekday::Sunday),
        ] {
            assert_eq!(text.parse::<Weekday>().unwrap(), day, "{text}");
        }
        for bad in ["M", "Mojito", "Xyz", ""] {
            assert!(bad.parse::<Weekday>().is_err(), "{bad}");
        }
        assert_eq!(Weekday::Thursday.to_string(), "Thu");
        assert!(matches!(
            SessionTimeZone::named("Mars/Olympus_Mons"),
            Err(ScheduleError::UnknownTimeZone { .. })
        ));
        assert_eq!(
            SessionTimeZone::named("Europe/London").unwrap().name(),
            Some("Europe/London")
        );
        let s = schedule(
            "17:00:00",
            "17:00:00",
            weekly("Sun", "Fri"),
            "America/New_York",
        );
        assert_eq!(
            s.to_string(),
            "weekly Sun 17:00:00-Fri 17:00:00 America/New_York"
        );
    }
}
