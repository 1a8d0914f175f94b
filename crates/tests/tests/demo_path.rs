//! The `emp demo` path in-process with simulated time: EMP's engine
//! (QUOTE and TRADE sessions, sensory, micro_mm, risk gate, OMS, journal)
//! against the simulated cTrader venue's core, their FIX sessions joined
//! by in-memory byte pipes, for five simulated minutes. Orders are placed,
//! filled, canceled and replaced; EMP's positions equal its fills and the
//! venue's positions; PnL is what the fills say; a clean stop leaves no
//! order working; and the recorded run replays decision for decision.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeMap;

use emp::demo::{ChosenParams, demo_profile, trader_setup};
use emp::engine::Engine;
use emp::trader::{build_engine, journal_dir};
use gateway::fix::link::Channel;
use gateway::fix::session::{Session, SessionEvent};
use gateway::fix::store::MemStore;
use gateway::transport::BoxStore;
use journal::Durability;
use model::{Money, NetQuantity, Side, Timestamp};
use oms::events::OrderUpdate;
use oms::{AlertCode, OmsEvent};
use venue::fix::{SessionKey, SessionRole, VenueCore};

/// 2026-11-20T10:00:00Z.
const START: u64 = 1_795_168_800_000_000_000;
const MILLI: u64 = 1_000_000;

/// Params that trade often: quotes at the touch, small inventory skew.
const PARAMS: &str = r#"
[gate]
spot = "EURUSD.CTRADER"
targets = ["EURUSD.CTRADER", "USDJPY.CTRADER"]
spot_ttl_ms = 2000
book_ttl_ms = 2000
max_skew_ms = 2000
warmup_ms = 3000

[[strategy]]
name = "mm-eurusd"
kind = "micro_mm"
enabled = true
rate_limit_actions = 10
rate_limit_window_ms = 1000
instruments = ["EURUSD.CTRADER"]
min_half_spread_ticks = 1
vol_multiplier = 0.5
skew_per_unit = "0.000000001"
quote_size = "100000"
max_position = "300000"
replace_tolerance_ticks = 1

[[strategy]]
name = "mm-usdjpy"
kind = "micro_mm"
enabled = true
rate_limit_actions = 10
rate_limit_window_ms = 1000
instruments = ["USDJPY.CTRADER"]
min_half_spread_ticks = 1
vol_multiplier = 0.5
skew_per_unit = "0.0000001"
quote_size = "100000"
max_position = "300000"
replace_tolerance_ticks = 1
"#;

/// The venue core and its acceptor sessions for the demo account.
struct Venue {
    core: VenueCore,
    sessions: BTreeMap<Channel, (SessionKey, Session<MemStore>)>,
    next_tick: Timestamp,
    sub_step: u64,
}

/// EMP and the venue joined by in-memory pipes.
struct World {
    engine: Engine<BoxStore>,
    venue: Venue,
    now: Timestamp,
}

impl World {
    fn new(dir: &std::path::Path) -> Self {
        let profile = demo_profile().unwrap();
        let core = VenueCore::new(&profile).unwrap();
        let now = Timestamp::from_unix_nanos(START);
        let mut sessions = BTreeMap::new();
        for (key, _) in core.sessions() {
            let channel = match key.role {
                SessionRole::Quote => Channel::Quote,
                SessionRole::Trade => Channel::Trade,
                SessionRole::Combined => continue,
            };
            let mut session = Session::new(core.session_config(key), MemStore::new(now));
            if let Some(authenticator) = core.authenticator(key) {
                session.set_authenticator(authenticator);
            }
            sessions.insert(channel, (key, session));
        }
        let params = ChosenParams {
            text: PARAMS.to_owned(),
            source: "demo_path.rs".to_owned(),
            switched_off: Vec::new(),
        };
        let unused = "127.0.0.1:9".parse().unwrap();
        let setup = trader_setup(
            &profile,
            unused,
            unused,
            params,
            dir.to_path_buf(),
            Durability::OsOnly,
            now,
        )
        .unwrap();
        let engine = build_engine(&setup, now).unwrap();
        let sub_step = profile.sub_step_nanos;
        Self {
            engine,
            venue: Venue {
                core,
                sessions,
                next_tick: now,
                sub_step,
            },
            now,
        }
    }

    fn connect(&mut self) {
        for (channel, (_, session)) in &mut self.venue.sessions {
            session.connected(self.now);
            self.engine.connected(*channel, self.now);
        }
        self.pump();
    }

    /// Moves bytes and events until nothing moves.
    fn pump(&mut self) {
        let now = self.now;
        for _ in 0..10_000 {
            let mut moved = false;
            for (channel, (key, session)) in &mut self.venue.sessions {
                let mut wire = Vec::new();
                if self.engine.poll_transmit(*channel, &mut wire) {
                    session.handle_input(now, &wire);
                    moved = true;
                }
                while let Some(event) = session.poll_event(now) {
                    moved = true;
                    match event {
                        SessionEvent::LoggedOn => self.venue.core.logged_on(*key, now),
                        SessionEvent::LoggedOut => self.venue.core.logged_out(*key, now),
                        SessionEvent::App(message) => {
                            self.venue.core.on_message(*key, now, &message);
                        }
                        _ => {}
                    }
                }
            }
            while let Some((key, outbound)) = self.venue.core.poll_outbound() {
                moved = true;
                if let Some((_, session)) =
                    self.venue.sessions.values_mut().find(|(k, _)| *k == key)
                {
                    let _ = outbound.send(session, now);
                }
            }
            for (channel, (_, session)) in &mut self.venue.sessions {
                let mut wire = Vec::new();
                if session.poll_transmit(&mut wire) {
                    self.engine.handle_input(*channel, now, &wire);
                    moved = true;
                }
            }
            while self.engine.poll_close().is_some() {}
            while self.engine.poll_log().is_some() {}
            if !moved {
                return;
            }
        }
        panic!("EMP and the venue never went quiet");
    }

    /// Runs simulated time forward to `until`, event by event.
    fn run_until(&mut self, until: Timestamp) {
        while self.now < until {
            let mut next = self.venue.next_tick.min(until);
            if let Some(at) = self.engine.poll_timeout() {
                next = next.min(at.max(self.now));
            }
            for (_, session) in self.venue.sessions.values() {
                if let Some(at) = session.poll_timeout() {
                    next = next.min(at.max(self.now));
                }
            }
            // Never stand still: at least a millisecond per step.
            self.now = next.max(self.now.checked_add_nanos(MILLI).unwrap());
            let now = self.now;
            self.engine.handle_timeout(now);
            for (_, session) in self.venue.sessions.values_mut() {
                if session.poll_timeout().is_some_and(|at| at <= now) {
                    session.handle_timeout(now);
                }
            }
            if self.venue.next_tick <= now {
                self.venue.core.tick(now);
                self.venue.next_tick = now.checked_add_nanos(self.venue.sub_step).unwrap();
            }
            self.pump();
        }
    }
}

fn minutes(m: u64) -> Timestamp {
    Timestamp::from_unix_nanos(START + m * 60_000 * MILLI)
}

#[test]
fn five_simulated_minutes_trade_and_every_account_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new(dir.path());
    world.connect();
    assert!(world.engine.link().is_logged_on(Channel::Quote));
    assert!(world.engine.link().is_logged_on(Channel::Trade));
    world.run_until(minutes(5));

    let stats = *world.engine.stats();
    assert!(stats.orders_sent >= 2, "{stats:?}");
    assert!(stats.fills >= 1, "{stats:?}");
    assert!(stats.cancels_sent + stats.replaces_sent >= 1, "{stats:?}");
    assert_eq!(stats.problems, 0, "{stats:?}");
    assert_eq!(stats.send_failures, 0, "{stats:?}");

    // Positions equal fills, and the venue's positions.
    let owner = world.venue.core.owner(12345).unwrap();
    let oms = world.engine.pipeline().oms();
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
    for instrument in world.engine.link().config().instruments.iter() {
        let id = instrument.id;
        let emp_net = state.positions().instrument_net(&id);
        let fill_net = from_fills
            .get(&id)
            .map_or(NetQuantity::ZERO, |entry| entry.0);
        assert_eq!(emp_net, fill_net, "{id}: EMP position vs its fills");
        assert_eq!(
            world.venue.core.exchange().position(owner, &id),
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
    let now = world.now;
    world.engine.begin_stop(now);
    world.pump();
    world.run_until(world.now.checked_add_nanos(2_000 * MILLI).unwrap());
    assert_eq!(world.engine.open_orders(), 0);
    assert_eq!(world.venue.core.exchange().working_orders(owner), 0);
    world.engine.close(world.now).unwrap();

    // The recorded run replays decision for decision.
    let outcome = emp::replay::replay(&journal_dir(dir.path())).unwrap();
    assert!(
        outcome.divergence.is_none(),
        "replay diverged: {:?}",
        outcome.divergence
    );
    assert!(outcome.matched > 100, "{} decisions", outcome.matched);
}
