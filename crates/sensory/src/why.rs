//! WHY: a calendar of scheduled events (macro releases, expiries,
//! resolutions), exposed per instrument as the time to the next event and
//! a blackout flag.
//!
//! The calendar is TOML text; the crate does no file I/O, so the caller
//! reads the file (see `specs/calendar.toml`) and passes the text:
//!
//! ```toml
//! [defaults]                  # optional
//! blackout_before_secs = 300  # blackout starts this long before an event
//! blackout_after_secs = 600   # and ends this long after it
//!
//! [[event]]
//! name = "US CPI"
//! at = 2026-05-12T12:30:00Z   # a TOML datetime with Z or an offset
//! instruments = ["BTC-USD.COINBASE"]  # optional; omitted: every instrument
//! blackout_after_secs = 900   # optional, overrides the default
//! ```
//!
//! An event's blackout window is `[at − before, at + after)`. The next
//! event is the earliest one concerning the instrument with `at ≥ now`.
//! Errors name the line and what to change.

use model::{InstrumentId, Timestamp, UtcDateTime};
use toml::de::{DeTable, DeValue};
use toml::value::{Datetime, Offset};

use crate::features::WhyFeatures;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// One scheduled event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledEvent {
    /// What it is, for people.
    pub name: String,
    /// When it happens (UTC).
    pub at: Timestamp,
    /// Blackout before it, in nanoseconds.
    pub blackout_before_nanos: u64,
    /// Blackout after it, in nanoseconds.
    pub blackout_after_nanos: u64,
    /// The instruments it concerns; empty means every instrument.
    pub instruments: Vec<InstrumentId>,
}

impl ScheduledEvent {
    fn concerns(&self, instrument: &InstrumentId) -> bool {
        self.instruments.is_empty() || self.instruments.contains(instrument)
    }
}

/// Scheduled events in time order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    events: Vec<ScheduledEvent>,
}

/// A calendar text that cannot be used: where, and what to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("calendar line {line}: {problem}")]
pub struct CalendarError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub problem: String,
}

const EVENT_KEYS: &str = "name, at, instruments, blackout_before_secs, blackout_after_secs";

impl Calendar {
    /// A calendar of `events`, sorted by time.
    pub fn new(mut events: Vec<ScheduledEvent>) -> Self {
        events.sort_by_key(|event| event.at);
        Self { events }
    }

    /// Parses calendar TOML text (format in the [module docs](self)).
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let source = Source { text };
        let root = DeTable::parse(text).map_err(|error| {
            source.error(
                error.span().map_or(0, |span| span.start),
                format!("not valid TOML: {}", error.message().trim_end()),
            )
        })?;
        let mut defaults = Blackout::default();
        let mut tables = Vec::new();
        for (key, value) in root.get_ref() {
            match (key.get_ref().as_ref(), value.get_ref()) {
                ("defaults", DeValue::Table(table)) => {
                    for (key, value) in table {
                        let name: &str = key.get_ref();
                        let nanos = source.seconds(name, value)?;
                        match name {
                            "blackout_before_secs" => defaults.before = nanos,
                            "blackout_after_secs" => defaults.after = nanos,
                            _ => {
                                return Err(source.error(
                                    key.span().start,
                                    format!("unknown key {name} in [defaults]; use blackout_before_secs or blackout_after_secs"),
                                ));
                            }
                        }
                    }
                }
                ("event", DeValue::Array(array)) => {
                    for item in array {
                        let DeValue::Table(table) = item.get_ref() else {
                            return Err(source.error(
                                item.span().start,
                                "write each event as an [[event]] table".to_owned(),
                            ));
                        };
                        tables.push((item.span().start, table));
                    }
                }
                (name @ ("defaults" | "event"), _) => {
                    return Err(source.error(
                        key.span().start,
                        format!("{name} must be written as [defaults] or [[event]] tables"),
                    ));
                }
                (name, _) => {
                    return Err(source.error(
                        key.span().start,
                        format!("unknown key {name}; a calendar has a [defaults] table and [[event]] tables"),
                    ));
                }
            }
        }
        let events = tables
            .into_iter()
            .map(|(offset, table)| source.event(offset, table, defaults))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(events))
    }

    /// The events, in time order.
    pub fn events(&self) -> &[ScheduledEvent] {
        &self.events
    }

    /// The events that concern `instrument`, ready to query per event.
    pub(crate) fn schedule_for(&self, instrument: &InstrumentId) -> Schedule {
        let slots: Vec<Slot> = self
            .events
            .iter()
            .filter(|event| event.concerns(instrument))
            .map(|event| Slot {
                at: event.at.unix_nanos(),
                before: event.blackout_before_nanos,
                after: event.blackout_after_nanos,
            })
            .collect();
        Schedule {
            longest_before: slots.iter().map(|slot| slot.before).max().unwrap_or(0),
            longest_after: slots.iter().map(|slot| slot.after).max().unwrap_or(0),
            slots,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Blackout {
    before: u64,
    after: u64,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    at: u64,
    before: u64,
    after: u64,
}

impl Slot {
    const fn blacks_out(&self, now: u64) -> bool {
        self.at.saturating_sub(self.before) <= now && now < self.at.saturating_add(self.after)
    }
}

/// One instrument's events, sorted by time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Schedule {
    slots: Vec<Slot>,
    longest_before: u64,
    longest_after: u64,
}

impl Schedule {
    /// The WHY features at `now`. A binary search finds the next event;
    /// only events whose longest possible window reaches `now` are looked
    /// at for the blackout.
    pub(crate) fn features(&self, now: Timestamp) -> WhyFeatures {
        let now = now.unix_nanos();
        let next = self.slots.partition_point(|slot| slot.at < now);
        let upcoming = self.slots[next..]
            .iter()
            .take_while(|slot| slot.at.saturating_sub(self.longest_before) <= now);
        let past = self.slots[..next]
            .iter()
            .rev()
            .take_while(|slot| slot.at.saturating_add(self.longest_after) > now);
        let blackout = upcoming.chain(past).any(|slot| slot.blacks_out(now));
        WhyFeatures {
            nanos_to_next_event: self.slots.get(next).map(|slot| slot.at - now),
            blackout,
        }
    }
}

struct Source<'a> {
    text: &'a str,
}

impl Source<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    fn error(&self, offset: usize, problem: String) -> CalendarError {
        CalendarError {
            line: self.line_of(offset),
            problem,
        }
    }

    fn event(
        &self,
        offset: usize,
        table: &DeTable<'_>,
        defaults: Blackout,
    ) -> Result<ScheduledEvent, CalendarError> {
        let mut name = None;
        let mut at = None;
        let mut instruments = Vec::new();
        let mut blackout = defaults;
        for (key, value) in table {
            let key_name: &str = key.get_ref();
            let value_offset = value.span().start;
            match (key_name, value.get_ref()) {
                ("name", DeValue::String(text)) if !text.trim().is_empty() => {
                    name = Some(text.to_string());
                }
                ("name", _) => {
                    return Err(
                        self.error(value_offset, "name must be a non-empty string".to_owned())
                    );
                }
                ("at", DeValue::Datetime(datetime)) => {
                    at = Some(utc(datetime).map_err(|problem| self.error(value_offset, problem))?);
                }
                ("at", _) => {
                    return Err(self.error(
                        value_offset,
                        "at must be a TOML datetime such as 2026-05-12T12:30:00Z (no quotes)"
                            .to_owned(),
                    ));
                }
                ("instruments", DeValue::Array(items)) => {
                    for item in items {
                        let DeValue::String(text) = item.get_ref() else {
                            return Err(self.error(
                                item.span().start,
                                "instruments must be a list of instrument ids (strings)".to_owned(),
                            ));
                        };
                        let id = InstrumentId::new(text).map_err(|error| {
                            self.error(item.span().start, format!("instrument {text:?}: {error}"))
                        })?;
                        instruments.push(id);
                    }
                }
                ("instruments", _) => {
                    return Err(self.error(
                        value_offset,
                        "instruments must be a list such as [\"BTC-USD.COINBASE\"]".to_owned(),
                    ));
                }
                ("blackout_before_secs", _) => blackout.before = self.seconds(key_name, value)?,
                ("blackout_after_secs", _) => blackout.after = self.seconds(key_name, value)?,
                (other, _) => {
                    return Err(self.error(
                        key.span().start,
                        format!("unknown key {other} in [[event]]; the keys are {EVENT_KEYS}"),
                    ));
                }
            }
        }
        let name =
            name.ok_or_else(|| self.error(offset, "this [[event]] has no name".to_owned()))?;
        let at = at.ok_or_else(|| {
            self.error(
                offset,
                format!("event {name:?} has no at = <datetime>, e.g. at = 2026-05-12T12:30:00Z"),
            )
        })?;
        Ok(ScheduledEvent {
            name,
            at,
            blackout_before_nanos: blackout.before,
            blackout_after_nanos: blackout.after,
            instruments,
        })
    }

    /// A whole number of seconds, as nanoseconds.
    fn seconds(
        &self,
        name: &str,
        value: &toml::Spanned<DeValue<'_>>,
    ) -> Result<u64, CalendarError> {
        let invalid = || {
            self.error(
                value.span().start,
                format!("{name} must be a whole number of seconds, 0 or more, written in decimal"),
            )
        };
        let DeValue::Integer(integer) = value.get_ref() else {
            return Err(invalid());
        };
        if integer.radix() != 10 {
            return Err(invalid());
        }
        integer
            .as_str()
            .replace('_', "")
            .parse::<u64>()
            .ok()
            .and_then(|seconds| seconds.checked_mul(NANOS_PER_SECOND))
            .ok_or_else(invalid)
    }
}

/// The UTC timestamp of a TOML offset datetime.
fn utc(datetime: &Datetime) -> Result<Timestamp, String> {
    let (Some(date), Some(time)) = (datetime.date, datetime.time) else {
        return Err(format!(
            "{datetime} needs both a date and a time, e.g. 2026-05-12T12:30:00Z"
        ));
    };
    let Some(offset) = datetime.offset else {
        return Err(format!(
            "{datetime} has no time zone: add Z for UTC or an offset such as -04:00"
        ));
    };
    let local = Timestamp::from_utc(UtcDateTime {
        year: date.year,
        month: date.month,
        day: date.day,
        hour: time.hour,
        minute: time.minute,
        second: time.second.unwrap_or(0),
        nanosecond: time.nanosecond.unwrap_or(0),
    })
    .map_err(|error| format!("{datetime}: {error}"))?;
    let offset_nanos = match offset {
        Offset::Z => 0,
        Offset::Custom { minutes } => i128::from(minutes) * 60 * i128::from(NANOS_PER_SECOND),
    };
    // Local time is UTC plus the offset.
    u64::try_from(i128::from(local.unix_nanos()) - offset_nanos)
        .map(Timestamp::from_unix_nanos)
        .map_err(|_| format!("{datetime} is before 1970"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    const MINUTE: u64 = 60 * NANOS_PER_SECOND;

    fn ts(text: &str) -> Timestamp {
        let datetime: Datetime = text.parse().unwrap();
        utc(&datetime).unwrap()
    }

    const TEXT: &str = r#"
[defaults]
blackout_before_secs = 300
blackout_after_secs = 600

[[event]]
name = "FOMC"
at = 2026-06-17T14:00:00-04:00

[[event]]
name = "US CPI"
at = 2026-05-12T12:30:00Z
instruments = ["BTC-USD.COINBASE"]
blackout_after_secs = 60
"#;

    #[test]
    fn parses_events_in_time_order_with_defaults() {
        let calendar = Calendar::parse(TEXT).unwrap();
        let events = calendar.events();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].name, "US CPI");
        assert_eq!(events[0].at, ts("2026-05-12T12:30:00Z"));
        assert_eq!(events[0].blackout_before_nanos, 5 * MINUTE);
        assert_eq!(events[0].blackout_after_nanos, MINUTE);
        assert_eq!(
            events[0].instruments,
            vec!["BTC-USD.COINBASE".parse().unwrap()]
        );
        // 14:00 at −04:00 is 18:00 UTC.
        assert_eq!(events[1].at, ts("2026-06-17T18:00:00Z"));
        assert_eq!(events[1].blackout_after_nanos, 10 * MINUTE);
        assert!(events[1].instruments.is_empty());
    }

    #[test]
    fn time_to_event_and_blackout_window() {
        let calendar = Calendar::parse(TEXT).unwrap();
        let btc = calendar.schedule_for(&"BTC-USD.COINBASE".parse().unwrap());
        let eur = calendar.schedule_for(&"EURUSD.CTRADER".parse().unwrap());
        let cpi = ts("2026-05-12T12:30:00Z");
        let fomc = ts("2026-06-17T18:00:00Z");
        let at = |t: Timestamp, minutes: i64| {
            Timestamp::from_unix_nanos((t.unix_nanos() as i64 + minutes * MINUTE as i64) as u64)
        };
        // 10 minutes before CPI: next in 600 s, outside the 5-minute blackout.
        let why = btc.features(at(cpi, -10));
        assert_eq!(why.nanos_to_next_event, Some(10 * MINUTE));
        assert!(!why.blackout);
        // Exactly 5 minutes before: inside ([at − before, …)).
        assert!(btc.features(at(cpi, -5)).blackout);
        // At the event: next is it, 0 away.
        assert_eq!(btc.features(cpi).nanos_to_next_event, Some(0));
        // 1 minute after: the window [at − 5 min, at + 1 min) has ended.
        let after = btc.features(at(cpi, 1));
        assert!(!after.blackout);
        assert_eq!(
            after.nanos_to_next_event,
            Some(fomc.unix_nanos() - at(cpi, 1).unix_nanos())
        );
        // EURUSD is not concerned by CPI.
        let why = eur.features(at(cpi, -1));
        assert!(!why.blackout);
        assert_eq!(
            why.nanos_to_next_event,
            Some(fomc.unix_nanos() - at(cpi, -1).unix_nanos())
        );
        // 9 minutes after FOMC: still blacked out (10-minute default), no next event.
        let why = eur.features(at(fomc, 9));
        assert!(why.blackout);
        assert_eq!(why.nanos_to_next_event, None);
    }

    #[test]
    fn the_example_file_parses() {
        let calendar = Calendar::parse(include_str!("../../../specs/calendar.toml")).unwrap();
        let names: Vec<&str> = calendar.events().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "US CPI (April 2026)",
                "ECB rate decision",
                "FOMC rate decision"
            ]
        );
        assert_eq!(calendar.events()[2].at, ts("2026-06-17T18:00:00Z"));
        assert_eq!(calendar.events()[2].blackout_after_nanos, 30 * MINUTE);
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        let error =
            Calendar::parse("[[event]]\nname = \"x\"\nat = 2026-05-12T12:30:00\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error.problem.contains("add Z"), "{error}");
        let error = Calendar::parse("[[event]]\nname = \"x\"\nwhen = 1\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error.problem.contains("unknown key when"), "{error}");
        let error = Calendar::parse("\n[[event]]\nname = \"x\"\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.problem.contains("no at"), "{error}");
        let error = Calendar::parse("[defaults]\nblackout_before_secs = -5\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.problem.contains("whole number of seconds"), "{error}");
        let error = Calendar::parse("[[event]]\nname = \"x\"\nat = \"2026-05-12\"\n").unwrap_err();
        assert!(error.problem.contains("no quotes"), "{error}");
        let error = Calendar::parse("[[event]\n").unwrap_err();
        assert_eq!(error.line, 1);
        assert!(error.problem.starts_with("not valid TOML"), "{error}");
        let error = Calendar::parse(
            "[[event]]\nname = \"x\"\nat = 2026-05-12T12:30:00Z\ninstruments = [\"\"]\n",
        )
        .unwrap_err();
        assert_eq!(error.line, 4);
        assert_eq!(Calendar::parse("").unwrap(), Calendar::default());
    }
}
