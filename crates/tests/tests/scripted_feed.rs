//! A scripted market feed through the whole pipeline (sensory → readiness
//! gate → delta_spd → risk gate and OMS): the expected intents come out,
//! and nothing comes out while the gate is not RUNNING.
//!
//! Spot (BTC-USD) quotes every 100 ms, the prediction market (a YES token)
//! books every 200 ms. The spot feed stops for 5 s; meanwhile the YES token
//! falls, which ΔSPD reads as the prediction market lagging: a BUY the gate
//! holds back until the spot is back.
#![allow(clippy::unwrap_used, reason = "test code")]

use emp::pipeline::{Pipeline, PipelineConfig, PipelineOutput};
use model::{
    BookEntry, BookSnapshot, Instrument, InstrumentId, InstrumentTable, MarketEvent, MarketHeader,
    Quote, QuoteSide, RunId, Side, Timestamp, VenueCommand, VenueSymbol,
};
use oms::OmsConfig;
use oms::risk::RiskLimits;
use sensory::FeatureParams;
use strategy::{ParamsFile, ReadinessReason, ReadinessState, SuppressReason};

const T0: u64 = 1_790_000_000_000_000_000;
const MS: u64 = 1_000_000;

fn id(text: &str) -> InstrumentId {
    InstrumentId::new(text).unwrap()
}

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_nanos(T0 + ms * MS)
}

fn instruments() -> InstrumentTable {
    let mut table = InstrumentTable::new();
    for (name, symbol, tick, lot) in [
        ("BTC-USD", "BTC-USD", "0.01", "0.0001"),
        ("BTC-100K-YES", "0xyes", "0.01", "1"),
    ] {
        table
            .insert(Instrument {
                id: id(name),
                venue_symbol: VenueSymbol::new(symbol).unwrap(),
                tick_size: tick.parse().unwrap(),
                lot_size: lot.parse().unwrap(),
                min_quantity: lot.parse().unwrap(),
                max_quantity: None,
                min_notional: None,
                price_digits: 2,
                allows_non_positive_prices: false,
            })
            .unwrap();
    }
    table
}

const PARAMS: &str = r#"
[gate]
spot = "BTC-USD"
targets = ["BTC-100K-YES"]
cross_venue = ["BTC-100K-YES"]
spot_ttl_ms = 1000
book_ttl_ms = 5000
max_skew_ms = 2000
warmup_ms = 0

[[strategy]]
name = "dspd"
kind = "delta_spd"
rate_limit_actions = 4
rate_limit_window_ms = 1000
instruments = ["BTC-100K-YES"]
threshold = 0.01
hysteresis = 0.002
beta = 0.5
spot_half_life_ms = 30000
pm_half_life_ms = 30000
order_size = "10"
max_position = "100"
"#;

fn pipeline() -> Pipeline {
    let features = FeatureParams {
        warmup_returns: 3,
        anomaly_min_samples: 3,
        ..FeatureParams::default()
    };
    let config = PipelineConfig {
        run_id: RunId::new("scripted").unwrap(),
        instruments: instruments(),
        features,
        calendar: sensory::Calendar::default(),
        params: ParamsFile::parse(PARAMS, "scripted.toml").unwrap(),
        oms: OmsConfig::new(RiskLimits::default(), instruments()),
    };
    Pipeline::new(config, at(0)).unwrap()
}

fn header(instrument: &str, ms: u64) -> MarketHeader {
    MarketHeader {
        instrument: id(instrument),
        sequence: None,
        exchange_time: Some(at(ms)),
        receive_time: at(ms),
    }
}

fn spot_quote(ms: u64) -> MarketEvent {
    let side = |price: &str| {
        Some(QuoteSide {
            price: price.parse().unwrap(),
            size: Some("2".parse().unwrap()),
        })
    };
    MarketEvent::Quote(Quote {
        header: header("BTC-USD", ms),
        bid: side("99999.99"),
        ask: side("100000.01"),
    })
}

fn yes_book(ms: u64, bid: &str, ask: &str) -> MarketEvent {
    let entry = |price: &str| BookEntry {
        price: price.parse().unwrap(),
        size: "500".parse().unwrap(),
        entry_id: None,
    };
    MarketEvent::Snapshot(BookSnapshot {
        header: header("BTC-100K-YES", ms),
        bids: vec![entry(bid)],
        asks: vec![entry(ask)],
    })
}

/// The script: (time in ms, event).
fn script() -> Vec<(u64, MarketEvent)> {
    let mut events = Vec::new();
    for ms in (0..=10_000).step_by(100) {
        // The spot feed is silent from 3.0 s to 8.0 s.
        if !(3_000..8_000).contains(&ms) {
            events.push((ms, spot_quote(ms)));
        }
        if ms % 200 == 0 {
            // The YES token falls from 0.50 to 0.45 at 5 s.
            let (bid, ask) = if ms < 5_000 {
                ("0.49", "0.51")
            } else {
                ("0.44", "0.46")
            };
            events.push((ms, yes_book(ms, bid, ask)));
        }
    }
    events
}

/// What a run produced, each item with its time in ms.
struct Run {
    outputs: Vec<(u64, PipelineOutput)>,
    commands: Vec<(u64, VenueCommand)>,
}

/// Runs the script with timers.
fn run() -> Run {
    let mut pipeline = pipeline();
    let mut outputs = Vec::new();
    let mut commands = Vec::new();
    let drain = |pipeline: &mut Pipeline,
                 ms: u64,
                 outputs: &mut Vec<(u64, PipelineOutput)>,
                 commands: &mut Vec<(u64, VenueCommand)>| {
        while let Some(output) = pipeline.poll_output() {
            outputs.push((ms, output));
        }
        while pipeline.poll_oms_event().is_some() {}
        while let Some(command) = pipeline.poll_command() {
            commands.push((ms, command));
        }
    };
    let mut now = at(0);
    for (ms, event) in script() {
        // Timers due before the event run first, as an event loop would.
        // Bounded: each deadline is after the last one.
        while let Some(deadline) = pipeline.next_deadline(now) {
            if deadline >= at(ms) {
                break;
            }
            assert!(deadline > now, "deadlines move forward");
            now = deadline;
            pipeline.on_timer(deadline);
            let deadline_ms = deadline.saturating_nanos_since(at(0)) / MS;
            drain(&mut pipeline, deadline_ms, &mut outputs, &mut commands);
        }
        now = at(ms);
        pipeline.on_market(now, &event).unwrap();
        drain(&mut pipeline, ms, &mut outputs, &mut commands);
    }
    Run { outputs, commands }
}

#[test]
fn spot_outage_degrades_holds_the_intent_back_and_recovery_releases_it() {
    let Run { outputs, commands } = run();

    let transitions: Vec<(u64, ReadinessState, ReadinessState)> = outputs
        .iter()
        .filter_map(|(ms, output)| match output {
            PipelineOutput::Readiness(event) => Some((*ms, event.from, event.to)),
            _ => None,
        })
        .collect();
    let degraded_at = transitions
        .iter()
        .find(|(_, _, to)| *to == ReadinessState::Degraded)
        .map(|(ms, _, _)| *ms)
        .unwrap();
    // The last spot quote is at 2.9 s; with a 1 s TTL it is stale after
    // 3.9 s, noticed by the timer at that deadline.
    assert!(
        (3_900..=4_000).contains(&degraded_at),
        "degraded at {degraded_at} ms"
    );
    let states: Vec<_> = transitions
        .iter()
        .map(|(_, from, to)| (*from, *to))
        .collect();
    assert_eq!(
        states,
        [
            (ReadinessState::Starting, ReadinessState::Warming),
            (ReadinessState::Warming, ReadinessState::Running),
            (ReadinessState::Running, ReadinessState::Degraded),
            (ReadinessState::Degraded, ReadinessState::Running),
        ]
    );
    assert_eq!(
        transitions[3].0, 8_000,
        "recovers with the first spot quote"
    );
    let degraded_reason = outputs.iter().find_map(|(_, output)| match output {
        PipelineOutput::Readiness(event) if event.to == ReadinessState::Degraded => {
            Some(event.reason)
        }
        _ => None,
    });
    assert!(
        matches!(degraded_reason, Some(ReadinessReason::FeedStale { ref feed, .. }) if *feed == id("BTC-USD")),
        "{degraded_reason:?}"
    );

    // While DEGRADED, the ΔSPD crossing at 5 s is held back with its reason.
    let held: Vec<u64> = outputs
        .iter()
        .filter_map(|(ms, output)| match output {
            PipelineOutput::Suppressed(suppression)
                if matches!(suppression.why, SuppressReason::NotRunning { .. }) =>
            {
                Some(*ms)
            }
            _ => None,
        })
        .collect();
    assert!(!held.is_empty(), "the crossing was seen and held back");
    assert!(
        held.iter().all(|ms| (5_000..8_000).contains(ms)),
        "{held:?}"
    );

    // Exactly one order, sent after recovery: BUY 10 YES at the ask.
    assert_eq!(commands.len(), 1, "{commands:?}");
    let (sent_ms, VenueCommand::New(order)) = &commands[0] else {
        panic!("{commands:?}");
    };
    assert_eq!(*sent_ms, 8_000);
    assert_eq!(order.instrument, id("BTC-100K-YES"));
    assert_eq!(order.side, Side::Buy);
    assert_eq!(order.kind.limit_price(), Some("0.46".parse().unwrap()));
    assert_eq!(order.quantity, "10".parse().unwrap());
    // The action passed the risk gate and carries the params version.
    let accepted = outputs.iter().find_map(|(_, output)| match output {
        PipelineOutput::Action { emitted, outcome } => Some((emitted, outcome)),
        _ => None,
    });
    let (emitted, outcome) = accepted.unwrap();
    assert_eq!(outcome.as_ref().ok(), Some(&order.cl_ord_id));
    assert!(emitted.reason.contains("params="), "{}", emitted.reason);
}

#[test]
fn the_same_script_gives_the_same_outputs() {
    let (first, second) = (run(), run());
    assert_eq!(first.outputs, second.outputs);
    assert_eq!(
        format!("{:?}", first.commands),
        format!("{:?}", second.commands)
    );
}
