//! The host: strategies side by side, duplicate suppression, rate limits,
//! kill switches and the params version on every intent.

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use common::*;
use model::{InstrumentTable, RunId, Side};
use strategy::{
    Action, HostError, Inventory, ParamsFile, ParamsVersion, StrategyHost, SuppressReason,
};

const BINARY: &str = r#"
[[strategy]]
name = "binary"
kind = "binary_market"
rate_limit_actions = 2
rate_limit_window_ms = 1000
pairs = [{ yes = "BTC-100K-YES", no = "BTC-100K-NO" }]
profit_target = "0.05"
stop_loss = "0.10"
fees = "0.02"
order_size = "50"
bootstrap_size = "20"
max_position = "500"
hedge_tolerance = "50"
average_down_step = "0.05"
oracle_edge = 0.02
"#;

fn actions(step: &strategy::Step) -> Vec<Action> {
    step.actions
        .iter()
        .map(|emitted| emitted.action.clone())
        .collect()
}

#[test]
fn strategies_run_side_by_side_and_every_intent_carries_the_params_version() {
    let text = format!("{GATE}{DELTA_SPD}{BINARY}");
    let mut host = host(&text);
    assert_eq!(host.version(), ParamsVersion::of(text.as_bytes()));
    assert_ne!(
        host.version(),
        ParamsVersion::of(format!("{text}\n").as_bytes())
    );
    let mut market = fresh_market(ms(0), 0.0);
    market.oracle.insert(id(YES), 0.62);
    let first = host.step(ms(0), &market, &no_inventory(), &[]);
    // The binary strategy bootstraps; delta_spd is inside its band.
    assert_eq!(
        submits(&actions(&first)),
        vec![(Side::Buy, YES.to_owned(), px("0.56"), qty("20"))]
    );
    let mut market = fresh_market(ms(100), 0.02);
    market.oracle.insert(id(YES), 0.62);
    let bought = inventory(&[(YES, holding("20", Some("0.56")))]);
    let second = host.step(ms(100), &market, &bought, &[]);
    let owners: Vec<_> = second
        .actions
        .iter()
        .map(|e| e.strategy.to_string())
        .collect();
    assert_eq!(owners, vec!["dspd"], "{second:?}");
    for step in [&first, &second] {
        for emitted in &step.actions {
            let Action::Submit(intent) = &emitted.action else {
                panic!("{emitted:?}");
            };
            assert_eq!(intent.strategy, emitted.strategy);
            assert!(
                intent
                    .reason
                    .ends_with(&format!(", params={}", host.version())),
                "{}",
                intent.reason
            );
        }
    }
}

#[test]
fn the_same_decision_twice_has_the_same_intent_id_and_goes_out_once() {
    let mut host = host(&format!("{GATE}{BINARY}"));
    let mut market = fresh_market(ms(0), 0.0);
    market.oracle.insert(id(YES), 0.62);
    let first = host.step(ms(0), &market, &no_inventory(), &[]);
    assert_eq!(first.actions.len(), 1);
    // The OMS has not reported the order yet: the same inventory, so the
    // same decision in the same epoch.
    let mut market = fresh_market(ms(100), 0.0);
    market.oracle.insert(id(YES), 0.62);
    let second = host.step(ms(100), &market, &no_inventory(), &[]);
    assert!(second.actions.is_empty());
    assert_eq!(second.suppressed.len(), 1);
    assert_eq!(second.suppressed[0].why, SuppressReason::Duplicate);
    assert_eq!(
        second.suppressed[0].action.intent_id(),
        first.actions[0].action.intent_id(),
        "same terms, same intent id"
    );
    assert_eq!(host.stats(&strategy_id("binary")).unwrap().duplicate, 1);
}

#[test]
fn the_rate_limit_holds_a_whole_decision_back_and_it_is_taken_again_later() {
    let limited = DELTA_SPD.replace("rate_limit_actions = 10", "rate_limit_actions = 1");
    let mut host = host(&format!("{GATE}{limited}"));
    let dspd = strategy_id("dspd");
    let run = |host: &mut StrategyHost, t: u64, delta: f64| {
        host.step(ms(t), &fresh_market(ms(t), delta), &no_inventory(), &[])
    };
    assert!(run(&mut host, 0, 0.0).actions.is_empty());
    assert_eq!(run(&mut host, 100, 0.02).actions.len(), 1);
    assert!(run(&mut host, 200, 0.0).actions.is_empty());
    // A new crossing 200 ms after the last action: over the limit.
    let held = run(&mut host, 300, 0.02);
    assert!(held.actions.is_empty());
    assert_eq!(held.suppressed[0].why, SuppressReason::RateLimited);
    let Action::Submit(intent) = &held.suppressed[0].action else {
        panic!("{held:?}");
    };
    assert_eq!(intent.epoch, 2);
    // Not consumed: while ΔSPD stays out, it goes out once the window
    // (1 s after the 100 ms action) has passed.
    assert_eq!(
        run(&mut host, 1000, 0.02).suppressed[0].why,
        SuppressReason::RateLimited
    );
    let later = run(&mut host, 1100, 0.02);
    let [emitted] = later.actions.as_slice() else {
        panic!("{later:?}");
    };
    assert_eq!(
        emitted.action.intent_id(),
        held.suppressed[0].action.intent_id(),
        "same decision, same epoch, same id"
    );
    let stats = host.stats(&dspd).unwrap();
    assert_eq!((stats.emitted, stats.rate_limited), (2, 2));
}

#[test]
fn a_two_leg_decision_is_never_split_by_the_rate_limit() {
    let three = BINARY.replace("rate_limit_actions = 2", "rate_limit_actions = 3");
    let mut host = host(&format!("{GATE}{three}"));
    let arb_market = |t: u64| {
        let mut market = fresh_market(ms(t), 0.0);
        market
            .instruments
            .insert(id(YES), book(YES, ms(t), ("0.49", "100"), ("0.50", "80")));
        market
    };
    assert_eq!(
        host.step(ms(0), &arb_market(0), &no_inventory(), &[])
            .actions
            .len(),
        2
    );
    // Filled: a new epoch, two new legs, one action left in the window.
    let filled = inventory(&[
        (YES, holding("50", Some("0.5"))),
        (NO, holding("50", Some("0.44"))),
    ]);
    let step = host.step(ms(100), &arb_market(100), &filled, &[]);
    assert!(step.actions.is_empty());
    assert_eq!(step.suppressed.len(), 2);
    assert!(
        step.suppressed
            .iter()
            .all(|s| s.why == SuppressReason::RateLimited)
    );
}

#[test]
fn a_killed_strategy_emits_nothing_and_says_why() {
    let mut host = host(&format!("{GATE}{DELTA_SPD}"));
    let dspd = strategy_id("dspd");
    assert!(
        host.step(ms(0), &fresh_market(ms(0), 0.0), &no_inventory(), &[])
            .actions
            .is_empty()
    );
    assert!(host.kill(&dspd, "operator: runaway losses"));
    let step = host.step(ms(100), &fresh_market(ms(100), 0.02), &no_inventory(), &[]);
    assert!(step.actions.is_empty());
    assert_eq!(
        step.suppressed[0].why,
        SuppressReason::Killed {
            reason: "operator: runaway losses".to_owned()
        }
    );
    assert_eq!(host.kill_reason(&dspd), Some("operator: runaway losses"));
    assert!(host.revive(&dspd));
    let step = host.step(ms(200), &fresh_market(ms(200), 0.02), &no_inventory(), &[]);
    assert_eq!(
        step.actions.len(),
        1,
        "the crossing was not consumed while killed"
    );
    assert!(!host.kill(&strategy_id("nobody"), "x"));
}

#[test]
fn a_strategy_disabled_in_params_starts_killed() {
    let disabled = DELTA_SPD.replace(
        "kind = \"delta_spd\"",
        "kind = \"delta_spd\"\nenabled = false",
    );
    let mut host = host(&format!("{GATE}{disabled}"));
    assert_eq!(
        host.kill_reason(&strategy_id("dspd")),
        Some("disabled in params")
    );
    host.step(ms(0), &fresh_market(ms(0), 0.0), &no_inventory(), &[]);
    let step = host.step(ms(100), &fresh_market(ms(100), 0.02), &no_inventory(), &[]);
    assert!(step.actions.is_empty());
    assert!(matches!(
        step.suppressed[0].why,
        SuppressReason::Killed { .. }
    ));
}

#[test]
fn a_cap_limits_delta_spd_sizes_and_pending_counts() {
    let mut host = host(&format!("{GATE}{DELTA_SPD}"));
    host.step(ms(0), &fresh_market(ms(0), 0.0), &no_inventory(), &[]);
    // Cap 250: long 120 with 100 pending leaves 30.
    let near = inventory(&[(
        YES,
        Inventory {
            pending_buys: qty("100"),
            ..holding("120", None)
        },
    )]);
    let step = host.step(ms(100), &fresh_market(ms(100), 0.02), &near, &[]);
    assert_eq!(
        submits(&actions(&step)),
        vec![(Side::Buy, YES.to_owned(), px("0.56"), qty("30"))]
    );
    // At the cap: the crossing waits, and fires when room appears.
    host.step(ms(200), &fresh_market(ms(200), 0.0), &no_inventory(), &[]);
    let full = inventory(&[(YES, holding("250", None))]);
    assert!(
        host.step(ms(300), &fresh_market(ms(300), 0.02), &full, &[])
            .actions
            .is_empty()
    );
    let room = inventory(&[(YES, holding("200", None))]);
    let step = host.step(ms(400), &fresh_market(ms(400), 0.02), &room, &[]);
    assert_eq!(
        submits(&actions(&step)),
        vec![(Side::Buy, YES.to_owned(), px("0.56"), qty("50"))]
    );
}

#[test]
fn every_traded_instrument_must_be_known() {
    let params = ParamsFile::parse(&format!("{GATE}{DELTA_SPD}"), "test.toml").unwrap();
    let error = StrategyHost::new(RunId::new("run-1").unwrap(), params, InstrumentTable::new())
        .unwrap_err();
    assert_eq!(
        error,
        HostError::UnknownInstrument {
            strategy: strategy_id("dspd"),
            instrument: id(YES),
        }
    );
}

/// A traded instrument the gate does not watch: while its feed is not
/// Live its submits are held back with the feed's status (the gate stays
/// RUNNING), and the held-back decision goes out once the feed is back.
#[test]
fn orders_for_an_instrument_whose_feed_is_not_live_are_held_back() {
    let ungated = GATE
        .replace(
            r#"targets = ["BTC-100K-YES"]"#,
            r#"targets = ["BTC-100K-NO"]"#,
        )
        .replace(
            r#"cross_venue = ["BTC-100K-YES"]"#,
            r#"cross_venue = ["BTC-100K-NO"]"#,
        );
    let mut host = host(&format!("{ungated}{BINARY}"));
    let mut market = fresh_market(ms(0), 0.0);
    let no_cross = market.cross[&id(YES)];
    market.cross.insert(id(NO), no_cross);
    market.oracle.insert(id(YES), 0.62);
    market.on_feed_status(id(YES), model::FeedStatus::Resynchronising);
    let held = host.step(ms(0), &market, &no_inventory(), &[]);
    assert!(host.gate().is_running());
    assert!(held.actions.is_empty(), "{held:?}");
    assert_eq!(
        held.suppressed[0].why,
        SuppressReason::FeedNotLive {
            problem: strategy::ReadinessReason::FeedNotLive {
                instrument: id(YES),
                status: model::FeedStatus::Resynchronising,
            }
        }
    );
    assert_eq!(host.stats(&strategy_id("binary")).unwrap().feed_not_live, 1);
    market.on_snapshot(&id(YES));
    market.on_feed_status(id(YES), model::FeedStatus::Live);
    let resumed = host.step(ms(100), &market, &no_inventory(), &[]);
    assert_eq!(
        submits(&actions(&resumed)),
        vec![(Side::Buy, YES.to_owned(), px("0.56"), qty("20"))]
    );
}
