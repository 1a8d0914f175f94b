//! The readiness gate: STARTING → WARMING → RUNNING ⇄ DEGRADED.
//!
//! RUNNING needs, at the decision time `now`:
//! - execution available (the order session up and reconciled; always in
//!   backtests);
//! - the market-data feed of the spot, of every target and of every
//!   cross-venue instrument Live, and its book rebuilt by a snapshot after
//!   an outage that voided it ([`MarketView::on_feed_status`]);
//! - a spot book updated within `spot_ttl`;
//! - for every target instrument, a book updated within `book_ttl`;
//! - a valid feature vector for the spot and every target;
//! - for every cross-venue instrument, a dislocation whose spot and
//!   prediction-market times are at most `max_skew` apart.
//!
//! The checks run in that order and the first failure is the reason, so the
//! same inputs always give the same reason. The transitions:
//!
//! | from     | requirements         | to       | reason                  |
//! |----------|----------------------|----------|-------------------------|
//! | STARTING | no data yet          | STARTING | (none)                  |
//! | STARTING | any data             | WARMING  | `FirstData`             |
//! | WARMING  | fail, or warming up  | WARMING  | (none)                  |
//! | WARMING  | hold, warmed up      | RUNNING  | `WarmedUp`              |
//! | RUNNING  | hold                 | RUNNING  | (none)                  |
//! | RUNNING  | fail                 | DEGRADED | the failure             |
//! | DEGRADED | fail                 | DEGRADED | (none)                  |
//! | DEGRADED | hold                 | RUNNING  | `Recovered`             |
//!
//! From STARTING, one observation can take two steps (FirstData, then
//! WarmedUp when there is no warm-up period and everything holds).

use std::fmt;
use std::time::Duration;

use model::{FeedStatus, InstrumentId, Timestamp};
use sensory::InvalidReason;

use crate::inputs::{ExecutionStatus, MarketView};

/// What the gate requires; from the `[gate]` table of the params file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateParams {
    /// The spot instrument.
    pub spot: InstrumentId,
    /// Instruments that need a fresh book and valid features.
    pub targets: Vec<InstrumentId>,
    /// Prediction-market instruments that need a dislocation with aligned
    /// spot and prediction-market times.
    pub cross_venue: Vec<InstrumentId>,
    /// Longest silence of the spot book.
    pub spot_ttl: Duration,
    /// Longest silence of a target's book.
    pub book_ttl: Duration,
    /// Largest |spot time − prediction-market time| of a dislocation.
    pub max_skew: Duration,
    /// Shortest time in WARMING before RUNNING.
    pub warmup: Duration,
}

/// The gate's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ReadinessState {
    /// No data seen yet.
    Starting,
    /// Data arriving; requirements not (yet) met or warm-up not over.
    Warming,
    /// Every requirement holds: intents may go out.
    Running,
    /// A requirement failed after RUNNING: intents are suppressed.
    Degraded,
}

impl ReadinessState {
    /// Upper-case name, as in the docs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Starting => "STARTING",
            Self::Warming => "WARMING",
            Self::Running => "RUNNING",
            Self::Degraded => "DEGRADED",
        }
    }
}

impl fmt::Display for ReadinessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the gate moved, or why the requirements do not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReadinessReason {
    /// The first features arrived.
    FirstData,
    /// Every requirement held once the warm-up was over.
    WarmedUp,
    /// Every requirement holds again after a failure.
    Recovered,
    /// No features, or no book update ever, for this feed.
    FeedMissing {
        /// The instrument.
        feed: InstrumentId,
    },
    /// The feed's book has been silent longer than its TTL.
    FeedStale {
        /// The instrument.
        feed: InstrumentId,
        /// Time since its last book update.
        silent_for: Duration,
    },
    /// The instrument's feature vector is marked invalid.
    InvalidFeature {
        /// The instrument.
        instrument: InstrumentId,
        /// Why the sensory layer marked it.
        reason: InvalidReason,
    },
    /// No dislocation (or no spot/prediction time) for this instrument.
    DislocationMissing {
        /// The prediction-market instrument.
        instrument: InstrumentId,
    },
    /// Orders cannot reach the venue: the order session is down or
    /// reconciling.
    ExecutionUnavailable {
        /// What the runtime reported.
        status: ExecutionStatus,
    },
    /// The instrument's market-data feed is not Live (a gap, a
    /// resynchronisation, a silence, a disconnect): its book cannot be
    /// trusted.
    FeedNotLive {
        /// The instrument.
        instrument: InstrumentId,
        /// What its feed reported last.
        status: FeedStatus,
    },
    /// The instrument's feed is Live again, but the book the outage voided
    /// has not been rebuilt by a fresh snapshot yet.
    AwaitingSnapshot {
        /// The instrument.
        instrument: InstrumentId,
    },
    /// The spot and prediction-market times of the dislocation are too far
    /// apart.
    ClockSkew {
        /// The prediction-market instrument.
        instrument: InstrumentId,
        /// |spot time − prediction-market time|.
        skew: Duration,
    },
}

impl fmt::Display for ReadinessReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FirstData => f.write_str("first data"),
            Self::WarmedUp => f.write_str("warmed up"),
            Self::Recovered => f.write_str("recovered"),
            Self::FeedMissing { feed } => write!(f, "no book for {feed}"),
            Self::FeedStale { feed, silent_for } => {
                write!(f, "{feed} silent for {silent_for:?}")
            }
            Self::InvalidFeature { instrument, reason } => {
                write!(f, "{instrument} features invalid: {reason:?}")
            }
            Self::DislocationMissing { instrument } => write!(f, "no dislocation for {instrument}"),
            Self::ExecutionUnavailable { status } => {
                write!(f, "execution unavailable: {}", status.name())
            }
            Self::FeedNotLive { instrument, status } => {
                write!(f, "{instrument} feed not live: {status:?}")
            }
            Self::AwaitingSnapshot { instrument } => {
                write!(f, "{instrument} feed live again, awaiting a fresh snapshot")
            }
            Self::ClockSkew { instrument, skew } => {
                write!(f, "{instrument} spot/prediction times {skew:?} apart")
            }
        }
    }
}

/// Why `instrument`'s feed keeps it from trading, if it does.
pub(crate) fn feed_problem(
    market: &MarketView,
    instrument: &InstrumentId,
) -> Option<ReadinessReason> {
    let condition = market.feed_condition(instrument)?;
    Some(if condition.status == FeedStatus::Live {
        ReadinessReason::AwaitingSnapshot {
            instrument: *instrument,
        }
    } else {
        ReadinessReason::FeedNotLive {
            instrument: *instrument,
            status: condition.status,
        }
    })
}

/// One transition of the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadinessEvent {
    /// When it happened.
    pub at: Timestamp,
    /// The state before.
    pub from: ReadinessState,
    /// The state after.
    pub to: ReadinessState,
    /// Why.
    pub reason: ReadinessReason,
}

/// The readiness state machine. Feed it every decision time with
/// [`ReadinessGate::observe`].
#[derive(Clone, Debug)]
pub struct ReadinessGate {
    params: GateParams,
    state: ReadinessState,
    warming_since: Option<Timestamp>,
    problem: Option<ReadinessReason>,
}

impl ReadinessGate {
    /// A gate in STARTING.
    pub const fn new(params: GateParams) -> Self {
        Self {
            params,
            state: ReadinessState::Starting,
            warming_since: None,
            problem: None,
        }
    }

    /// The current state.
    pub const fn state(&self) -> ReadinessState {
        self.state
    }

    /// True when intents may go out.
    pub fn is_running(&self) -> bool {
        self.state == ReadinessState::Running
    }

    /// The first requirement that failed at the last observation.
    pub const fn problem(&self) -> Option<ReadinessReason> {
        self.problem
    }

    /// The requirements.
    pub const fn params(&self) -> &GateParams {
        &self.params
    }

    /// Checks the requirements against `market` at `now`; the first
    /// failure in the documented order.
    pub fn check(&self, now: Timestamp, market: &MarketView) -> Result<(), ReadinessReason> {
        let p = &self.params;
        if market.execution != ExecutionStatus::Available {
            return Err(ReadinessReason::ExecutionUnavailable {
                status: market.execution,
            });
        }
        if !market.feeds.is_empty() {
            for instrument in std::iter::once(&p.spot)
                .chain(&p.targets)
                .chain(&p.cross_venue)
            {
                if let Some(reason) = feed_problem(market, instrument) {
                    return Err(reason);
                }
            }
        }
        self.check_feed(now, market, &p.spot, p.spot_ttl)?;
        for target in &p.targets {
            self.check_feed(now, market, target, p.book_ttl)?;
        }
        for instrument in &p.cross_venue {
            // Built only on failure: the id inside is ~100 bytes to copy.
            let missing = || ReadinessReason::DislocationMissing {
                instrument: *instrument,
            };
            let cross = market.cross.get(instrument).ok_or_else(missing)?;
            let (Some(spot_time), Some(pm_time), Some(_)) =
                (cross.spot_time, cross.prediction_time, cross.delta_spd)
            else {
                return Err(missing());
            };
            let skew = Duration::from_nanos(
                spot_time
                    .saturating_nanos_since(pm_time)
                    .max(pm_time.saturating_nanos_since(spot_time)),
            );
            if skew > p.max_skew {
                return Err(ReadinessReason::ClockSkew {
                    instrument: *instrument,
                    skew,
                });
            }
        }
        Ok(())
    }

    fn check_feed(
        &self,
        now: Timestamp,
        market: &MarketView,
        feed: &InstrumentId,
        ttl: Duration,
    ) -> Result<(), ReadinessReason> {
        let missing = || ReadinessReason::FeedMissing { feed: *feed };
        let features = market.features(feed).ok_or_else(missing)?;
        let last = features.last_book_update.ok_or_else(missing)?;
        let silent_for = Duration::from_nanos(now.saturating_nanos_since(last));
        if silent_for > ttl {
            return Err(ReadinessReason::FeedStale {
                feed: *feed,
                silent_for,
            });
        }
        if let Some(reason) = features.invalid {
            return Err(ReadinessReason::InvalidFeature {
                instrument: *feed,
                reason,
            });
        }
        Ok(())
    }

    /// The first time after `now` at which a feed that is fresh in
    /// `market` turns stale if nothing new arrives: when the driver must
    /// call again, even on a silent market, for a silence to be noticed.
    /// Feeds already stale at `now` have no deadline (their silence is
    /// already known). `None` when no feed will go stale.
    pub fn next_deadline(&self, now: Timestamp, market: &MarketView) -> Option<Timestamp> {
        let p = &self.params;
        // Stale once silent longer than the TTL: one nanosecond past.
        let deadline = |feed: &InstrumentId, ttl: Duration| {
            let last = market.features(feed)?.last_book_update?;
            let ttl = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX);
            last.checked_add_nanos(ttl.saturating_add(1))
                .filter(|deadline| *deadline > now)
        };
        // A plain loop: this runs before every event.
        let mut earliest = deadline(&p.spot, p.spot_ttl);
        for target in &p.targets {
            if let Some(at) = deadline(target, p.book_ttl) {
                earliest = Some(earliest.map_or(at, |earliest| earliest.min(at)));
            }
        }
        earliest
    }

    /// Observes the market at `now` and returns the transitions it caused
    /// (none, one, or two from STARTING).
    pub fn observe(&mut self, now: Timestamp, market: &MarketView) -> Vec<ReadinessEvent> {
        let verdict = self.check(now, market);
        self.problem = verdict.err();
        let has_data = !market.instruments.is_empty() || !market.cross.is_empty();
        let mut events = Vec::new();
        while let Some((to, reason)) = self.next(now, has_data, verdict) {
            events.push(ReadinessEvent {
                at: now,
                from: self.state,
                to,
                reason,
            });
            if to == ReadinessState::Warming {
                self.warming_since = Some(now);
            }
            self.state = to;
        }
        events
    }

    /// The transition table: the next state and why, or `None` to stay.
    #[rustfmt::skip]
    fn next(
        &self,
        now: Timestamp,
        has_data: bool,
        verdict: Result<(), ReadinessReason>,
    ) -> Option<(ReadinessState, ReadinessReason)> {
        use ReadinessState::{Degraded, Running, Starting, Warming};
        let warmed = self.warming_since.is_some_and(|since| {
            Duration::from_nanos(now.saturating_nanos_since(since)) >= self.params.warmup
        });
        match (self.state, verdict) {
            (Starting, _) if has_data => Some((Warming, ReadinessReason::FirstData)),
            (Starting, _) => None,
            (Warming, Ok(())) if warmed => Some((Running, ReadinessReason::WarmedUp)),
            (Warming, _) => None,
            (Running, Ok(())) => None,
            (Running, Err(reason)) => Some((Degraded, reason)),
            (Degraded, Ok(())) => Some((Running, ReadinessReason::Recovered)),
            (Degraded, Err(_)) => None,
        }
    }
}
