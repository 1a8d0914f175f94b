//! The `emp demo` path in-process with simulated time: EMP's engine
//! (QUOTE and TRADE sessions, sensory, micro_mm, risk gate, OMS, journal)
//! against the simulated cTrader venue's core, their FIX sessions joined
//! by in-memory byte pipes, for five simulated minutes. Orders are placed,
//! filled, canceled and replaced; EMP's positions equal its fills and the
//! venue's positions; PnL is what the fills say; a clean stop leaves no
//! order working; and the recorded run replays decision for decision.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeMap;

use emp::demo::{ChosenParams, demo_profile};
use emp::inprocess::InProcess;
use emp::trader::journal_dir;
use gateway::fix::link::Channel;
use journal::Durability;
use model::{Money, NetQuantity, Side, Timestamp};
use oms::events::OrderUpdate;
use oms::{AlertCode, OmsEvent};

/// 2026-11-20T10:00:00Z.
const START: u64 = 1_795_168_800_000_000_000;
const MILLI: u64 = 1_000_000;

fn minutes(m: u64) -> Timestamp {
    Timestamp::from_unix_nanos(START + m * 60_000 * MILLI)
}

#[test]
fn five_simulated_minutes_trade_and_every_account_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let params = ChosenParams::touch();
    let mut world = InProcess::new(
        &demo_profile().unwrap(),
        params,
        dir.path(),
        Durability::OsOnly,
        Timestamp::from_unix_nanos(START),
    )
    .unwrap();
    world.connect();
    assert!(world.engine().link().is_logged_on(Channel::Quote));
    assert!(world.engine().link().is_logged_on(Channel::Trade));
    world.run_until(minutes(5));

    let stats = *world.engine().stats();
    assert!(stats.orders_sent >= 2, "{stats:?}");
    assert!(stats.fills >= 1, "{stats:?}");
    assert!(stats.replaces_sent >= 1, "{stats:?}");
    assert_eq!(stats.problems, 0, "{stats:?}");
    assert_eq!(stats.send_failures, 0, "{stats:?}");

    // Positions equal fills, and the venue's positions.
    let owner = world.owner();
    let oms = world.engine().pipeline().oms();
    let state = oms.state();
    let mut from_fills: BTreeMap<model::InstrumentId, (NetQuantity, Money)> = BTreeMap::new();
    let mut fills = 0;
    let events = emp::trader::recorded_oms_events(&journal_dir(dir.path())).unwrap();
    for event in &events {
        if let OmsEvent::OrderUpdated {
            intent_id,
            update: OrderUpdate::Filled { quantity, cost, .. },
            ..
        } = event
        {
            fills += 1;
            let order = state.order(intent_id).unwrap();
            let entry = from_fills.entry(order.instrument).or_default();
            let signed = quantity.signed(order.side);
            entry.0 = entry.0.checked_add(signed).unwrap();
            // Cash: paid for buys, received for sells.
            entry.1 = match order.side {
                Side::Buy => entry.1.checked_sub(*cost).unwrap(),
                Side::Sell => entry.1.checked_add(*cost).unwrap(),
            };
        }
    }
    assert_eq!(fills, stats.fills, "every fill report is one fill event");
    // The one alert is the reconciliation's completion notice.
    let alerts: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            OmsEvent::Alert { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    assert_eq!(alerts, vec![AlertCode::ReconComplete], "alerts raised");
    // Only reconciliation queries the venue (mass status and positions):
    // no order was left in doubt.
    assert_eq!(stats.queries_sent, 2, "{stats:?}");
    for instrument in world.engine().link().config().instruments.iter() {
        let id = instrument.id;
        let emp_net = state.positions().instrument_net(&id);
        let fill_net = from_fills
            .get(&id)
            .map_or(NetQuantity::ZERO, |entry| entry.0);
        assert_eq!(emp_net, fill_net, "{id}: EMP position vs its fills");
        assert_eq!(
            world.venue().exchange().position(owner, &id),
            emp_net,
            "{id}: venue position vs EMP's"
        );
    }
    // PnL: cash from the fills plus the open position at EMP's mark.
    let mut expected = Money::ZERO;
    for (instrument, (net, cash)) in &from_fills {
        let mark = oms.mark(instrument).unwrap();
        // net × mark, exact (raw units multiply into Money's scale).
        let value = Money::from_raw(i128::from(net.raw()) * i128::from(mark.raw()));
        expected = expected
            .checked_add(*cash)
            .unwrap()
            .checked_add(value)
            .unwrap();
    }
    let realized = state.positions().realized_total();
    let unrealized = state
        .positions()
        .unrealized_total(|instrument| oms.mark(instrument))
        .unwrap();
    assert_eq!(
        realized.checked_add(unrealized).unwrap(),
        expected,
        "realized + unrealized = cash + position at the mark"
    );
    assert_eq!(state.fees(), Money::ZERO, "the demo venue charges no fees");

    // A clean stop cancels everything working, here and at the venue.
    let working = world.engine().open_orders();
    assert!(working >= 1, "quotes rest at the end of the run");
    let now = world.now();
    world.engine_mut().begin_stop(now);
    let canceled = world.engine().stats().cancels_sent - stats.cancels_sent;
    assert_eq!(
        canceled,
        u64::try_from(working).unwrap(),
        "one cancel per working order"
    );
    world.pump();
    let later = world.now().checked_add_nanos(2_000 * MILLI).unwrap();
    world.run_until(later);
    assert_eq!(world.engine().open_orders(), 0);
    assert_eq!(world.venue().exchange().working_orders(owner), 0);
    let now = world.now();
    world.engine_mut().close(now).unwrap();

    // The recorded run replays decision for decision.
    let outcome = emp::replay::replay(&journal_dir(dir.path())).unwrap();
    assert!(
        outcome.divergence.is_none(),
        "replay diverged: {:?}",
        outcome.divergence
    );
    assert!(outcome.matched > 100, "{} decisions", outcome.matched);
}

#[test]
fn mode_test_swaps_the_sink_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let params = ChosenParams::touch();
    let profile = demo_profile().unwrap();
    let start = Timestamp::from_unix_nanos(START);
    let mut world =
        InProcess::new(&profile, params, dir.path(), Durability::OsOnly, start).unwrap();
    let sink = venue::SimulatedSink::new(
        venue::SimulatedSinkConfig {
            seed: 7,
            ..venue::SimulatedSinkConfig::default()
        },
        profile.instruments(),
    )
    .unwrap();
    world.engine_mut().use_simulated_execution(start, sink);
    world.connect();
    world.run_until(minutes(5));
    let stats = *world.engine().stats();
    assert!(world.engine().is_simulated());
    assert!(stats.orders_sent >= 2, "{stats:?}");
    assert!(stats.fills >= 1, "{stats:?}");
    assert!(stats.reports > stats.fills, "{stats:?}");
    // Market data came from the venue; no order reached it.
    assert!(stats.deltas > 1000, "{stats:?}");
    let owner = world.owner();
    assert_eq!(world.venue().exchange().working_orders(owner), 0);
    for instrument in profile.instruments().iter() {
        assert!(
            world
                .venue()
                .exchange()
                .position(owner, &instrument.id)
                .is_zero()
        );
    }
    let now = world.now();
    world.engine_mut().close(now).unwrap();
    let outcome = emp::replay::replay(&journal_dir(dir.path())).unwrap();
    assert!(outcome.divergence.is_none(), "{:?}", outcome.divergence);
}
