//! The engine end to end: resync requests, validity, determinism, the
//! cross-venue pair and the calendar, fed with normalized events.

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use common::*;
use model::{BookResetReason, BookSide, InstrumentId, MarketEvent, Side, Timestamp};
use sensory::{
    Calendar, CrossVenuePair, FeatureParams, InstrumentConfig, InvalidReason, Regime, ResyncReason,
    ResyncRequest, Sensory, SensoryConfig, SensoryError,
};

fn btc() -> InstrumentId {
    instrument("BTC-USD.COINBASE")
}

fn yes() -> InstrumentId {
    instrument("YES.POLYMARKET")
}

fn params() -> FeatureParams {
    FeatureParams {
        warmup_returns: 3,
        anomaly_min_samples: 3,
        ..FeatureParams::default()
    }
}

fn engine() -> Sensory {
    let calendar = Calendar::parse(
        "[[event]]\nname = \"CPI\"\nat = 1970-01-01T00:01:00Z\nblackout_before_secs = 30\n",
    )
    .unwrap();
    Sensory::new(SensoryConfig {
        instruments: vec![
            InstrumentConfig {
                params: params(),
                ..InstrumentConfig::new(btc(), px("0.01"))
            },
            InstrumentConfig {
                params: params(),
                ..InstrumentConfig::new(yes(), px("0.001"))
            },
        ],
        pairs: vec![CrossVenuePair {
            spot: btc(),
            prediction: yes(),
            beta: 5.0,
            spot_half_life_nanos: 10 * SECOND,
            prediction_half_life_nanos: 10 * SECOND,
        }],
        calendar,
    })
    .unwrap()
}

/// A BTC session: snapshot, level updates moving the bid, trades, a gap
/// and its resync.
fn btc_session() -> Vec<MarketEvent> {
    let mut events = vec![level_snapshot(
        header(btc(), Some(1), SECOND),
        &[("100.00", "2"), ("99.99", "1")],
        &[("100.02", "1"), ("100.03", "3")],
    )];
    for step in 0..6u64 {
        let bid = if step % 2 == 0 { "100.01" } else { "100.00" };
        let size = if step % 2 == 0 { "1" } else { "0" };
        events.push(delta(
            header(btc(), Some(2 + step), (2 + step) * SECOND),
            vec![set(BookSide::Bid, "100.01", size)],
        ));
        let aggressor = if step % 3 == 0 { Side::Sell } else { Side::Buy };
        events.push(trade(
            header(btc(), None, (2 + step) * SECOND + MILLI),
            bid,
            "0.5",
            aggressor,
        ));
    }
    events
}

#[test]
fn warms_up_then_is_valid_with_every_family() {
    let mut engine = engine();
    let mut last = None;
    for event in btc_session() {
        last = Some(*engine.on_event(&event).unwrap());
    }
    let features = last.unwrap();
    assert_eq!(features.invalid, None, "{features:?}");
    assert_eq!(features.events, 13);
    assert_eq!(features.what.mid, Some(px("100.01"))); // last delta removed 100.01
    assert!(features.when.realized_volatility.is_some());
    assert_ne!(features.when.regime, Regime::Unknown);
    assert!(features.how.trade_flow_imbalance.is_some());
    assert!(features.how.buy_cost[0].is_some());
    assert!(features.anomaly.spread_z.is_some());
    assert_eq!(
        features.last_trade,
        Some(Timestamp::from_unix_nanos(7 * SECOND + MILLI))
    );
    // 00:00:07 is within the 30 s before the 00:01:00 event.
    assert_eq!(features.why.nanos_to_next_event, Some(53 * SECOND - MILLI));
    assert!(!features.why.blackout);
}

#[test]
fn same_events_give_identical_features() {
    let run = || {
        let mut engine = engine();
        btc_session()
            .iter()
            .map(|event| *engine.on_event(event).unwrap())
            .collect::<Vec<_>>()
    };
    let (first, second) = (run(), run());
    assert_eq!(first, second);
    // Bit-identical, not merely equal (NaN ≠ NaN would hide in PartialEq).
    let bits = |features: &[sensory::InstrumentFeatures]| {
        features
            .iter()
            .map(|f| {
                format!(
                    "{:?}",
                    (
                        f.when.realized_volatility.map(f64::to_bits),
                        f.anomaly.spread_z.map(f64::to_bits),
                        f.how.trade_flow_imbalance.map(f64::to_bits)
                    )
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&first), bits(&second));
}

#[test]
fn gap_queues_one_resync_request_until_polled() {
    let mut engine = engine();
    engine
        .on_event(&level_snapshot(
            header(btc(), Some(1), 0),
            &[("1", "1")],
            &[("2", "1")],
        ))
        .unwrap();
    let gap = delta(
        header(btc(), Some(5), 1),
        vec![set(BookSide::Bid, "1", "2")],
    );
    let features = engine.on_event(&gap).unwrap();
    assert_eq!(features.invalid, Some(InvalidReason::Resyncing));
    assert_eq!(features.what.mid, None);
    let later = delta(
        header(btc(), Some(6), 2),
        vec![set(BookSide::Bid, "1", "2")],
    );
    engine.on_event(&later).unwrap();
    assert_eq!(
        engine.poll_resync(),
        Some(ResyncRequest {
            instrument: btc(),
            reason: ResyncReason::SequenceGap {
                expected: 2,
                received: 5
            }
        })
    );
    assert_eq!(engine.poll_resync(), None, "one request per failure");
    assert_eq!(engine.stats().ignored, 1);
    let features = engine
        .on_event(&level_snapshot(
            header(btc(), Some(9), 3),
            &[("1", "1")],
            &[("2", "1")],
        ))
        .unwrap();
    assert_eq!(features.invalid, Some(InvalidReason::WarmingUp));
}

#[test]
fn unknown_delete_and_crossed_book_are_flagged() {
    let mut engine = engine();
    let eur = instrument("YES.POLYMARKET");
    engine
        .on_event(&entry_snapshot(
            header(eur, None, 0),
            &[("a", "0.4", "10")],
            &[("b", "0.6", "10")],
        ))
        .unwrap();
    let features = engine
        .on_event(&delta(header(eur, None, 1), vec![delete("nope")]))
        .unwrap();
    assert_eq!(features.invalid, Some(InvalidReason::Resyncing));
    assert_eq!(
        engine.poll_resync().unwrap().reason,
        ResyncReason::UnknownEntry(id("nope"))
    );
    let crossed = level_snapshot(header(btc(), None, 2), &[("101", "1")], &[("100", "1")]);
    assert_eq!(
        engine.on_event(&crossed).unwrap().invalid,
        Some(InvalidReason::Crossed)
    );
    assert!(matches!(
        engine.poll_resync().unwrap().reason,
        ResyncReason::Crossed { .. }
    ));
}

#[test]
fn reset_one_sided_and_quote_only_books() {
    let mut engine = engine();
    assert_eq!(
        engine.features(&btc()).unwrap().invalid,
        Some(InvalidReason::NoBook)
    );
    let one_sided = level_snapshot(header(btc(), None, 0), &[("1", "1")], &[]);
    assert_eq!(
        engine.on_event(&one_sided).unwrap().invalid,
        Some(InvalidReason::OneSided)
    );
    let reset = MarketEvent::Reset {
        header: header(btc(), None, 1),
        reason: BookResetReason::Disconnected,
    };
    let features = engine.on_event(&reset).unwrap();
    assert_eq!(features.invalid, Some(InvalidReason::NoBook));
    assert_eq!(features.what.best_bid, None);
    assert_eq!(engine.poll_resync(), None, "the source itself resubscribes");
    // A quote without sizes: prices only.
    let features = engine
        .on_event(&quote(
            header(btc(), None, 2),
            Some("1.06625"),
            Some("1.0663"),
        ))
        .unwrap();
    assert_eq!(features.what.mid, Some(px("1.066275")));
    assert_eq!(features.what.microprice, None);
    assert_eq!(features.how.buy_cost, [None; 3]);
    assert_eq!(features.how.bid_fill_probability, None);
    let crossed = quote(header(btc(), None, 3), Some("1.0664"), Some("1.0663"));
    assert_eq!(
        engine.on_event(&crossed).unwrap().invalid,
        Some(InvalidReason::Crossed)
    );
}

#[test]
fn cross_venue_delta_spd_follows_both_legs() {
    let mut engine = engine();
    engine
        .on_event(&level_snapshot(
            header(btc(), None, 0),
            &[("100000", "1")],
            &[("100002", "1")],
        ))
        .unwrap();
    engine
        .on_event(&level_snapshot(
            header(yes(), None, 0),
            &[("0.49", "100")],
            &[("0.51", "100")],
        ))
        .unwrap();
    let pair = *engine.cross_venue().next().unwrap();
    assert_eq!(pair.delta_spd, Some(0.0));
    // Spot mid 100001 → 101001 after 10 s (one half-life): anchor 100501,
    // move 500 / 100501; ΔSPD = 5 · 500 / 100501 − 0 = 0.0248753…
    engine
        .on_event(&level_snapshot(
            header(btc(), None, 10 * SECOND),
            &[("101000", "1")],
            &[("101002", "1")],
        ))
        .unwrap();
    let pair = *engine.cross_venue().next().unwrap();
    assert_eq!(pair.spot_anchor, Some(100_501.0));
    assert_eq!(pair.delta_spd, Some(5.0 * (500.0 / 100_501.0)));
    // The YES book resyncs: no ΔSPD until it is back.
    engine
        .on_event(&delta(header(yes(), None, 11 * SECOND), vec![delete("x")]))
        .unwrap();
    assert_eq!(engine.cross_venue().next().unwrap().delta_spd, None);
}

#[test]
fn spread_outlier_against_a_calm_history() {
    let mut engine = engine();
    engine
        .on_event(&level_snapshot(
            header(btc(), None, 0),
            &[("100.00", "1")],
            &[("100.01", "1")],
        ))
        .unwrap();
    for step in 1..=5u64 {
        let size = if step % 2 == 0 { "1" } else { "2" };
        engine
            .on_event(&delta(
                header(btc(), None, step * SECOND),
                vec![set(BookSide::Bid, "100.00", size)],
            ))
            .unwrap();
    }
    // Six one-tick spreads: MAD 0, scale floored at one tick. The ask
    // steps back to 100.06: spread 6 ticks → z = (6 − 1) / 1 = 5 > 4.
    let wide = delta(
        header(btc(), None, 6 * SECOND),
        vec![
            set(BookSide::Ask, "100.01", "0"),
            set(BookSide::Ask, "100.06", "1"),
        ],
    );
    let features = engine.on_event(&wide).unwrap();
    assert_eq!(features.anomaly.spread_z, Some(5.0));
    assert!(features.anomaly.spread_outlier);
}

#[test]
fn refuses_unknown_instruments_and_bad_configs() {
    let mut engine = engine();
    let other = instrument("ETH-USD.COINBASE");
    let event = level_snapshot(header(other, None, 0), &[("1", "1")], &[("2", "1")]);
    assert_eq!(
        engine.on_event(&event),
        Err(SensoryError::UnknownInstrument(other))
    );
    let bad = Sensory::new(SensoryConfig {
        instruments: vec![InstrumentConfig {
            params: FeatureParams {
                top_levels: 0,
                ..FeatureParams::default()
            },
            ..InstrumentConfig::new(btc(), px("0.01"))
        }],
        ..SensoryConfig::default()
    });
    assert!(bad.is_err());
    let missing_leg = Sensory::new(SensoryConfig {
        instruments: vec![InstrumentConfig::new(btc(), px("0.01"))],
        pairs: vec![CrossVenuePair {
            spot: btc(),
            prediction: yes(),
            beta: 1.0,
            spot_half_life_nanos: 1,
            prediction_half_life_nanos: 1,
        }],
        ..SensoryConfig::default()
    });
    assert!(missing_leg.unwrap_err().to_string().contains("both legs"));
}
