//! The readiness gate's transition table, one row per reason.

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use std::time::Duration;

use common::*;
use model::FeedStatus;
use sensory::InvalidReason;
use strategy::{
    ExecutionStatus, FeedCondition, GateParams, MarketView, ReadinessEvent, ReadinessGate,
    ReadinessReason, ReadinessState,
};

use ReadinessState::{Degraded, Running, Starting, Warming};

fn params(warmup_ms: u64) -> GateParams {
    GateParams {
        spot: id(SPOT),
        targets: vec![id(YES)],
        cross_venue: vec![id(YES)],
        spot_ttl: Duration::from_millis(1000),
        book_ttl: Duration::from_millis(5000),
        max_skew: Duration::from_millis(2000),
        warmup: Duration::from_millis(warmup_ms),
    }
}

fn event(
    at: u64,
    from: ReadinessState,
    to: ReadinessState,
    reason: ReadinessReason,
) -> ReadinessEvent {
    ReadinessEvent {
        at: ms(at),
        from,
        to,
        reason,
    }
}

fn running_gate() -> ReadinessGate {
    let mut gate = ReadinessGate::new(params(0));
    let events = gate.observe(ms(0), &fresh_market(ms(0), 0.0));
    assert_eq!(
        events,
        vec![
            event(0, Starting, Warming, ReadinessReason::FirstData),
            event(0, Warming, Running, ReadinessReason::WarmedUp),
        ]
    );
    gate
}

/// A market fresh at `now` except for what `change` does to it.
type Change = fn(&mut MarketView, u64);

#[test]
fn every_failure_degrades_with_its_reason_and_recovery_returns_to_running() {
    let cases: Vec<(&str, u64, Change, Option<ReadinessReason>)> = vec![
        (
            "order session down (checked before everything else)",
            1500,
            |m, _| {
                m.execution = ExecutionStatus::SessionDown;
                m.instruments.remove(&id(SPOT));
            },
            Some(ReadinessReason::ExecutionUnavailable {
                status: ExecutionStatus::SessionDown,
            }),
        ),
        (
            "reconciling with the venue",
            100,
            |m, _| m.execution = ExecutionStatus::Reconciling,
            Some(ReadinessReason::ExecutionUnavailable {
                status: ExecutionStatus::Reconciling,
            }),
        ),
        (
            "spot silent past its TTL",
            1500,
            |m, _| {
                m.instruments
                    .insert(id(SPOT), book(SPOT, ms(0), ("97000", "1"), ("97001", "1")));
            },
            Some(ReadinessReason::FeedStale {
                feed: id(SPOT),
                silent_for: Duration::from_millis(1500),
            }),
        ),
        (
            "spot silent exactly its TTL is still fresh",
            1000,
            |m, _| {
                m.instruments
                    .insert(id(SPOT), book(SPOT, ms(0), ("97000", "1"), ("97001", "1")));
            },
            None,
        ),
        (
            "target book silent past its TTL (checked before the skew it also causes)",
            6000,
            |m, _| {
                m.instruments
                    .insert(id(YES), book(YES, ms(0), ("0.55", "1"), ("0.56", "1")));
                m.cross.insert(id(YES), cross(Some(0.0), ms(6000), ms(0)));
            },
            Some(ReadinessReason::FeedStale {
                feed: id(YES),
                silent_for: Duration::from_secs(6),
            }),
        ),
        (
            "spot features gone",
            100,
            |m, _| {
                m.instruments.remove(&id(SPOT));
            },
            Some(ReadinessReason::FeedMissing { feed: id(SPOT) }),
        ),
        (
            "target book never updated",
            100,
            |m, _| {
                m.instruments.get_mut(&id(YES)).unwrap().last_book_update = None;
            },
            Some(ReadinessReason::FeedMissing { feed: id(YES) }),
        ),
        (
            "spot features invalid",
            100,
            |m, _| {
                m.instruments.get_mut(&id(SPOT)).unwrap().invalid = Some(InvalidReason::Crossed);
            },
            Some(ReadinessReason::InvalidFeature {
                instrument: id(SPOT),
                reason: InvalidReason::Crossed,
            }),
        ),
        (
            "target features invalid",
            100,
            |m, _| {
                m.instruments.get_mut(&id(YES)).unwrap().invalid = Some(InvalidReason::Resyncing);
            },
            Some(ReadinessReason::InvalidFeature {
                instrument: id(YES),
                reason: InvalidReason::Resyncing,
            }),
        ),
        (
            "no dislocation published",
            100,
            |m, _| {
                m.cross.remove(&id(YES));
            },
            Some(ReadinessReason::DislocationMissing {
                instrument: id(YES),
            }),
        ),
        (
            "dislocation not computable",
            100,
            |m, now| {
                m.cross.insert(id(YES), cross(None, ms(now), ms(now)));
            },
            Some(ReadinessReason::DislocationMissing {
                instrument: id(YES),
            }),
        ),
        (
            "spot and prediction times too far apart",
            3000,
            |m, now| {
                m.cross
                    .insert(id(YES), cross(Some(0.0), ms(now), ms(now - 2500)));
            },
            Some(ReadinessReason::ClockSkew {
                instrument: id(YES),
                skew: Duration::from_millis(2500),
            }),
        ),
        (
            "skew exactly at the tolerance is fine",
            3000,
            |m, now| {
                m.cross
                    .insert(id(YES), cross(Some(0.0), ms(now - 2000), ms(now)));
            },
            None,
        ),
    ];
    for (name, now, change, expected) in cases {
        let mut gate = running_gate();
        let mut market = fresh_market(ms(now), 0.0);
        change(&mut market, now);
        let events = gate.observe(ms(now), &market);
        match expected {
            Some(reason) => {
                assert_eq!(
                    events,
                    vec![event(now, Running, Degraded, reason)],
                    "{name}"
                );
                assert_eq!(gate.problem(), Some(reason), "{name}");
                // Still failing: no new event, still DEGRADED.
                assert!(gate.observe(ms(now), &market).is_empty(), "{name}");
                assert_eq!(gate.state(), Degraded, "{name}");
                let later = now + 100;
                let events = gate.observe(ms(later), &fresh_market(ms(later), 0.0));
                assert_eq!(
                    events,
                    vec![event(later, Degraded, Running, ReadinessReason::Recovered)],
                    "{name}"
                );
            }
            None => {
                assert!(events.is_empty(), "{name}: {events:?}");
                assert_eq!(gate.state(), Running, "{name}");
            }
        }
    }
}

#[test]
fn starting_waits_for_data_and_warming_waits_for_the_warmup() {
    let mut gate = ReadinessGate::new(params(3000));
    assert!(gate.observe(ms(0), &MarketView::default()).is_empty());
    assert_eq!(gate.state(), Starting);
    // First data, but the spot is not there yet.
    let mut market = fresh_market(ms(100), 0.0);
    market.instruments.remove(&id(SPOT));
    assert_eq!(
        gate.observe(ms(100), &market),
        vec![event(100, Starting, Warming, ReadinessReason::FirstData)]
    );
    assert_eq!(
        gate.problem(),
        Some(ReadinessReason::FeedMissing { feed: id(SPOT) })
    );
    // Everything holds, but the warm-up (3 s from 100 ms) is not over.
    assert!(
        gate.observe(ms(1000), &fresh_market(ms(1000), 0.0))
            .is_empty()
    );
    assert_eq!(gate.state(), Warming);
    // Over, but a requirement fails: still WARMING, never DEGRADED.
    let mut stale = fresh_market(ms(3200), 0.0);
    stale.instruments.get_mut(&id(YES)).unwrap().invalid = Some(InvalidReason::WarmingUp);
    assert!(gate.observe(ms(3200), &stale).is_empty());
    assert_eq!(gate.state(), Warming);
    assert_eq!(
        gate.observe(ms(3300), &fresh_market(ms(3300), 0.0)),
        vec![event(3300, Warming, Running, ReadinessReason::WarmedUp)]
    );
}

#[test]
fn a_different_failure_while_degraded_is_not_a_transition() {
    let mut gate = running_gate();
    let mut market = fresh_market(ms(100), 0.0);
    market.instruments.get_mut(&id(YES)).unwrap().invalid = Some(InvalidReason::OneSided);
    assert_eq!(gate.observe(ms(100), &market).len(), 1);
    market.cross.remove(&id(YES));
    assert!(gate.observe(ms(200), &market).is_empty());
    assert_eq!(gate.state(), Degraded);
    assert_eq!(
        gate.problem(),
        Some(ReadinessReason::InvalidFeature {
            instrument: id(YES),
            reason: InvalidReason::OneSided
        }),
        "the first failure in check order is the one reported"
    );
}

#[test]
fn the_next_deadline_is_when_the_first_feed_would_go_stale() {
    let gate = running_gate();
    assert_eq!(gate.next_deadline(ms(0), &MarketView::default()), None);
    let mut market = fresh_market(ms(0), 0.0);
    market.instruments.insert(
        id(SPOT),
        book(SPOT, ms(700), ("97000", "1"), ("97001", "1")),
    );
    // Spot: 700 + 1000 ms; YES: 0 + 5000 ms.
    let deadline = gate.next_deadline(ms(800), &market).unwrap();
    assert_eq!(deadline, ms(1700).checked_add_nanos(1).unwrap());
    let mut probe = gate.clone();
    assert!(probe.observe(ms(1700), &market).is_empty());
    assert_eq!(probe.observe(deadline, &market)[0].to, Degraded);
    // Once the spot is stale, only the YES book's deadline is ahead; once
    // both are stale, there is none (a driver must not spin on the past).
    assert_eq!(
        gate.next_deadline(deadline, &market),
        Some(ms(5000).checked_add_nanos(1).unwrap())
    );
    assert_eq!(gate.next_deadline(ms(6000), &market), None);
}

/// The feed carrying the target reports a gap (a Coinbase sequence jump):
/// DEGRADED naming the instrument and the status; resynchronising keeps
/// it there; Live alone is not enough while the voided book awaits its
/// snapshot; the snapshot brings RUNNING back. Simulated time throughout.
#[test]
fn a_feed_gap_degrades_until_live_and_a_fresh_snapshot() {
    let mut gate = running_gate();
    let mut market = fresh_market(ms(100), 0.0);
    let gap = FeedStatus::Gap {
        expected: 8,
        received: 11,
    };
    market.on_feed_status(id(YES), gap);
    assert_eq!(
        gate.observe(ms(100), &market),
        vec![event(
            100,
            Running,
            Degraded,
            ReadinessReason::FeedNotLive {
                instrument: id(YES),
                status: gap,
            }
        )]
    );
    assert_eq!(
        gate.problem().unwrap().to_string(),
        "BTC-100K-YES feed not live: Gap { expected: 8, received: 11 }"
    );
    let mut market = fresh_market(ms(200), 0.0);
    market.feeds = gate_feeds(gap);
    market.on_feed_status(id(YES), FeedStatus::Resynchronising);
    assert!(gate.observe(ms(200), &market).is_empty());
    assert_eq!(
        gate.problem(),
        Some(ReadinessReason::FeedNotLive {
            instrument: id(YES),
            status: FeedStatus::Resynchronising,
        })
    );
    // Live, but no snapshot since the gap: still DEGRADED.
    market.on_feed_status(id(YES), FeedStatus::Live);
    assert!(gate.observe(ms(300), &fresh_with(&market, 300)).is_empty());
    assert_eq!(
        gate.problem(),
        Some(ReadinessReason::AwaitingSnapshot {
            instrument: id(YES)
        })
    );
    market.on_snapshot(&id(YES));
    assert!(market.feeds.is_empty());
    assert_eq!(
        gate.observe(ms(400), &fresh_with(&market, 400)),
        vec![event(400, Degraded, Running, ReadinessReason::Recovered)]
    );
}

/// The market of `feeds` fresh at `at`.
fn fresh_with(feeds: &MarketView, at: u64) -> MarketView {
    let mut market = fresh_market(ms(at), 0.0);
    market.feeds.clone_from(&feeds.feeds);
    market
}

fn gate_feeds(
    status: FeedStatus,
) -> std::collections::BTreeMap<model::InstrumentId, FeedCondition> {
    let mut market = MarketView::default();
    market.on_feed_status(id(YES), status);
    market.feeds
}

/// The usual resync order: the snapshots come, then the feed says Live.
/// A disconnect of the spot's feed counts as much as a target's.
#[test]
fn snapshot_then_live_recovers_and_the_spot_feed_counts_too() {
    let mut gate = running_gate();
    let mut market = fresh_market(ms(100), 0.0);
    market.on_feed_status(id(SPOT), FeedStatus::Disconnected);
    assert_eq!(
        gate.observe(ms(100), &market)[0].reason,
        ReadinessReason::FeedNotLive {
            instrument: id(SPOT),
            status: FeedStatus::Disconnected,
        }
    );
    market.on_snapshot(&id(SPOT));
    assert!(
        gate.observe(ms(150), &fresh_with(&market, 150)).is_empty(),
        "a snapshot alone does not make the feed Live"
    );
    market.on_feed_status(id(SPOT), FeedStatus::Live);
    assert_eq!(
        gate.observe(ms(200), &fresh_with(&market, 200)),
        vec![event(200, Degraded, Running, ReadinessReason::Recovered)]
    );
}

/// A silence does not void the book: Live again is enough.
#[test]
fn a_stale_feed_degrades_and_live_alone_recovers() {
    let mut gate = running_gate();
    let mut market = fresh_market(ms(100), 0.0);
    let stale = FeedStatus::Stale {
        silent_nanos: 2_000_000_000,
    };
    market.on_feed_status(id(YES), stale);
    assert_eq!(
        market.feed_condition(&id(YES)),
        Some(FeedCondition {
            status: stale,
            awaiting_snapshot: false
        })
    );
    assert_eq!(gate.observe(ms(100), &market)[0].to, Degraded);
    market.on_feed_status(id(YES), FeedStatus::Live);
    assert_eq!(
        gate.observe(ms(200), &fresh_with(&market, 200)),
        vec![event(200, Degraded, Running, ReadinessReason::Recovered)]
    );
}

/// An instrument the gate does not watch does not move it (the host holds
/// back that instrument's orders instead).
#[test]
fn a_feed_outside_the_gate_does_not_degrade_it() {
    let mut gate = running_gate();
    let mut market = fresh_market(ms(100), 0.0);
    market.on_feed_status(id(NO), FeedStatus::Resynchronising);
    assert!(gate.observe(ms(100), &market).is_empty());
    assert_eq!(gate.state(), Running);
}
