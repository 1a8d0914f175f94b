//! The readiness gate's transition table, one row per reason.

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use std::time::Duration;

use common::*;
use sensory::InvalidReason;
use strategy::{
    ExecutionStatus, GateParams, MarketView, ReadinessEvent, ReadinessGate, ReadinessReason,
    ReadinessState,
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
