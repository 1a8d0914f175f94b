//! A scripted timeline of feature snapshots (spot ticks every 100 ms,
//! prediction-market book updates every 500 ms) driven through the gate
//! and `delta_spd`, asserting every intent and every silence.

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use std::time::Duration;

use common::*;
use model::{InstrumentMap, NetQuantity, Side, TimeInForce};
use sensory::InvalidReason;
use strategy::{
    Action, Inventory, MarketView, ReadinessEvent, ReadinessReason, ReadinessState, StrategyHost,
    SuppressReason,
};

/// The script's market: what the sensory layer would publish.
struct Feed {
    market: MarketView,
    spot_time: model::Timestamp,
    pm_time: model::Timestamp,
}

impl Feed {
    fn new() -> Self {
        Self {
            market: MarketView::default(),
            spot_time: ms(0),
            pm_time: ms(0),
        }
    }

    fn spot_tick(&mut self, t: u64) {
        self.market.instruments.insert(
            id(SPOT),
            book(SPOT, ms(t), ("97000", "1"), ("97000.5", "1")),
        );
        self.spot_time = ms(t);
    }

    fn pm_update(&mut self, t: u64) {
        self.market
            .instruments
            .insert(id(YES), book(YES, ms(t), ("0.55", "200"), ("0.56", "300")));
        self.pm_time = ms(t);
    }

    fn publish_delta(&mut self, delta: f64) {
        self.market
            .cross
            .insert(id(YES), cross(Some(delta), self.spot_time, self.pm_time));
    }
}

/// What happened at one step.
#[derive(Debug, Default)]
struct Outcome {
    intents: Vec<(u64, Side, String, String, u64)>,
    events: Vec<ReadinessEvent>,
    suppressed: Vec<(u64, SuppressReason)>,
}

/// Runs `host` every 100 ms over `[0, end)`; `spot_live(t)` says whether the
/// spot ticks, `delta(t)` is the published ΔSPD. Submits fill at once.
fn run(
    host: &mut StrategyHost,
    end: u64,
    spot_live: impl Fn(u64) -> bool,
    delta: impl Fn(u64) -> f64,
) -> Outcome {
    let mut feed = Feed::new();
    let mut position = NetQuantity::ZERO;
    let mut outcome = Outcome::default();
    for t in (0..end).step_by(100) {
        if spot_live(t) {
            feed.spot_tick(t);
        }
        if t % 500 == 0 {
            feed.pm_update(t);
        }
        feed.publish_delta(delta(t));
        let inventory: InstrumentMap<_> = [(
            id(YES),
            Inventory {
                position,
                ..Inventory::default()
            },
        )]
        .into();
        let step = host.step(ms(t), &feed.market, &inventory, &[]);
        outcome.events.extend(step.readiness);
        for emitted in step.actions {
            let Action::Submit(intent) = emitted.action else {
                panic!("delta_spd only submits: {emitted:?}");
            };
            assert_eq!(intent.time_in_force, TimeInForce::ImmediateOrCancel);
            position = position
                .checked_add(intent.size.signed(intent.side))
                .unwrap();
            outcome.intents.push((
                t,
                intent.side,
                intent.kind.limit_price().unwrap().to_string(),
                intent.size.to_string(),
                intent.epoch,
            ));
        }
        outcome
            .suppressed
            .extend(step.suppressed.into_iter().map(|s| (t, s.why)));
    }
    outcome
}

#[test]
fn spot_outage_degrades_silences_and_recovers() {
    let mut host = host(&format!("{GATE}{DELTA_SPD}"));
    let version = host.version();
    // The spot stops after its 2900 ms tick and resumes at 8000 ms.
    let spot_live = |t: u64| !(3000..8000).contains(&t);
    let delta = |t: u64| match t {
        0..1000 => 0.0,
        // Crossing out: BUY.
        1000..2000 => 0.015,
        // Between threshold − hysteresis (0.008) and the threshold: not re-armed...
        2000..2500 => 0.009,
        // ...so going out again is no new crossing.
        2500..2600 => 0.012,
        // Re-armed.
        2600..4500 => 0.0,
        // Crossing out while DEGRADED: held back until RUNNING again.
        4500..9000 => 0.02,
        // Straight to the other side: SELL.
        _ => -0.015,
    };
    let outcome = run(&mut host, 10_000, spot_live, delta);

    assert_eq!(
        outcome.events,
        vec![
            ReadinessEvent {
                at: ms(0),
                from: ReadinessState::Starting,
                to: ReadinessState::Warming,
                reason: ReadinessReason::FirstData,
            },
            ReadinessEvent {
                at: ms(0),
                from: ReadinessState::Warming,
                to: ReadinessState::Running,
                reason: ReadinessReason::WarmedUp,
            },
            // Last tick 2900; silent 1000 ms at 3900 is within the TTL,
            // 1100 ms at 4000 is not.
            ReadinessEvent {
                at: ms(4000),
                from: ReadinessState::Running,
                to: ReadinessState::Degraded,
                reason: ReadinessReason::FeedStale {
                    feed: id(SPOT),
                    silent_for: Duration::from_millis(1100),
                },
            },
            ReadinessEvent {
                at: ms(8000),
                from: ReadinessState::Degraded,
                to: ReadinessState::Running,
                reason: ReadinessReason::Recovered,
            },
        ]
    );
    let buy = |t, epoch| (t, Side::Buy, "0.56".to_owned(), "100".to_owned(), epoch);
    assert_eq!(
        outcome.intents,
        vec![
            buy(1000, 1),
            // The crossing seen while DEGRADED goes out on the first
            // RUNNING step, on fresh data.
            buy(8000, 2),
            (9000, Side::Sell, "0.55".to_owned(), "100".to_owned(), 3),
        ]
    );
    // Silence while DEGRADED: every step from the crossing at 4500 to the
    // recovery was held back, for the spot feed's reason.
    let held: Vec<u64> = outcome.suppressed.iter().map(|(t, _)| *t).collect();
    assert_eq!(held, (4500..8000).step_by(100).collect::<Vec<_>>());
    for (t, why) in &outcome.suppressed {
        let SuppressReason::NotRunning {
            state: ReadinessState::Degraded,
            problem: Some(ReadinessReason::FeedStale { feed, silent_for }),
        } = why
        else {
            panic!("at {t}: {why:?}");
        };
        assert_eq!(*feed, id(SPOT));
        assert_eq!(*silent_for, Duration::from_millis(t - 2900));
    }
    let stats = host.stats(&strategy_id("dspd")).unwrap();
    assert_eq!((stats.emitted, stats.not_running), (3, 35));
    assert!(version.to_string().len() == 16);
}

#[test]
fn the_first_intent_says_why_in_words_with_the_params_version() {
    let mut host = host(&format!("{GATE}{DELTA_SPD}"));
    let mut market = fresh_market(ms(0), 0.0);
    assert!(
        host.step(ms(0), &market, &no_inventory(), &[])
            .actions
            .is_empty()
    );
    market = fresh_market(ms(100), 0.0123);
    let step = host.step(ms(100), &market, &no_inventory(), &[]);
    let [emitted] = step.actions.as_slice() else {
        panic!("{step:?}");
    };
    let Action::Submit(intent) = &emitted.action else {
        panic!("{emitted:?}");
    };
    assert_eq!(
        intent.reason,
        format!(
            "delta_spd=0.0123 >= threshold=0.01, side=BUY, position=0, pending_buys=0, pending_sells=0, params={}",
            host.version()
        )
    );
    assert_eq!(emitted.reason, intent.reason);
}

#[test]
fn clock_skew_beyond_tolerance_degrades_and_silences() {
    let mut host = host(&format!("{GATE}{DELTA_SPD}"));
    assert!(
        host.step(ms(0), &fresh_market(ms(0), 0.0), &no_inventory(), &[])
            .actions
            .is_empty()
    );
    // Books are fresh, but the PM mid used is 2.5 s older than the spot mid.
    let mut market = fresh_market(ms(3000), 0.02);
    market
        .cross
        .insert(id(YES), cross(Some(0.02), ms(3000), ms(500)));
    let step = host.step(ms(3000), &market, &no_inventory(), &[]);
    assert!(step.actions.is_empty());
    assert_eq!(step.readiness.len(), 1);
    assert_eq!(
        step.readiness[0].reason,
        ReadinessReason::ClockSkew {
            instrument: id(YES),
            skew: Duration::from_millis(2500),
        }
    );
    assert_eq!(
        step.suppressed.len(),
        1,
        "the crossing is held back: {step:?}"
    );
    // Aligned again: RUNNING, and the crossing goes out.
    let step = host.step(
        ms(3100),
        &fresh_market(ms(3100), 0.02),
        &no_inventory(),
        &[],
    );
    assert_eq!(step.readiness[0].reason, ReadinessReason::Recovered);
    assert_eq!(
        submits(
            &step
                .actions
                .iter()
                .map(|e| e.action.clone())
                .collect::<Vec<_>>()
        )
        .len(),
        1
    );
}

#[test]
fn an_invalid_feature_degrades_and_silences() {
    let mut host = host(&format!("{GATE}{DELTA_SPD}"));
    assert!(
        host.step(ms(0), &fresh_market(ms(0), 0.0), &no_inventory(), &[])
            .actions
            .is_empty()
    );
    let mut market = fresh_market(ms(100), 0.05);
    market.instruments.get_mut(&id(YES)).unwrap().invalid = Some(InvalidReason::Crossed);
    let step = host.step(ms(100), &market, &no_inventory(), &[]);
    assert!(step.actions.is_empty());
    assert_eq!(
        step.readiness[0].reason,
        ReadinessReason::InvalidFeature {
            instrument: id(YES),
            reason: InvalidReason::Crossed,
        }
    );
    assert_eq!(host.gate().state(), ReadinessState::Degraded);
}
