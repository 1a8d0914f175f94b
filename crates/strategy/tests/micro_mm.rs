//! `micro_mm` quotes with prices computed by hand.
//!
//! YES token: tick 0.01, lot 1. Microprice 0.5537, realized volatility
//! 0.02, k = 1: k·σ·fair = 0.011074, which 2 ticks cover, so the
//! half-spread is 0.02 (above the 1-tick minimum).

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use common::*;
use model::{InstrumentMap, OrderKind, Side, TimeInForce};
use sensory::InvalidReason;
use strategy::strategies::micro_mm::{self, MicroMmParams, MicroMmState};
use strategy::{Action, Inputs, Inventory, MarketView, Proposal, SuppressReason, WorkingOrder};

fn params() -> MicroMmParams {
    MicroMmParams {
        instruments: vec![id(YES)],
        min_half_spread_ticks: 1,
        vol_multiplier: 1.0,
        skew_per_unit: px("0.0001"),
        quote_size: qty("50"),
        max_position: qty("100"),
        replace_tolerance_ticks: 1,
    }
}

fn market(vol: Option<f64>) -> MarketView {
    let mut market = fresh_market(ms(0), 0.0);
    let yes = market.instruments.get_mut(&id(YES)).unwrap();
    yes.what.microprice = Some(px("0.5537"));
    yes.when.realized_volatility = vol;
    market
}

fn decide(
    market: &MarketView,
    inventory: Inventory,
    working: &[WorkingOrder],
    state: &mut MicroMmState,
) -> Vec<Proposal> {
    let table = instruments();
    let inventory: InstrumentMap<_> = [(id(YES), inventory)].into();
    let inputs = Inputs {
        now: ms(0),
        market,
        inventory: &inventory,
        working,
        instruments: &table,
    };
    micro_mm::decide(&inputs, &params(), state)
}

/// (side, price, size, epoch) of each submit.
fn quotes(proposals: &[Proposal]) -> Vec<(Side, String, String, u64)> {
    proposals
        .iter()
        .map(|proposal| match proposal {
            Proposal::Submit(request) => {
                assert_eq!(request.time_in_force, TimeInForce::GoodTillCancel);
                (
                    request.side,
                    request.kind.limit_price().unwrap().to_string(),
                    request.size.to_string(),
                    request.epoch,
                )
            }
            other => panic!("expected submits only: {other:?}"),
        })
        .collect()
}

fn quote(side: Side, price: &str, size: &str) -> (Side, String, String, u64) {
    (side, price.to_owned(), size.to_owned(), 0)
}

#[test]
fn flat_quotes_are_the_microprice_plus_minus_the_volatility_half_spread_rounded_outward() {
    let proposals = decide(
        &market(Some(0.02)),
        Inventory::default(),
        &[],
        &mut MicroMmState::default(),
    );
    // 0.5537 − 0.02 = 0.5337 → 0.53; 0.5537 + 0.02 = 0.5737 → 0.58.
    assert_eq!(
        quotes(&proposals),
        vec![
            quote(Side::Buy, "0.53", "50"),
            quote(Side::Sell, "0.58", "50")
        ]
    );
}

#[test]
fn the_minimum_half_spread_applies_when_volatility_is_low() {
    let proposals = decide(
        &market(Some(0.0)),
        Inventory::default(),
        &[],
        &mut MicroMmState::default(),
    );
    // One tick: 0.5437 → 0.54 and 0.5637 → 0.57.
    assert_eq!(
        quotes(&proposals),
        vec![
            quote(Side::Buy, "0.54", "50"),
            quote(Side::Sell, "0.57", "50")
        ]
    );
}

#[test]
fn inventory_skews_both_quotes_against_the_position() {
    // Long 40: skew 40 × 0.0001 = 0.004, centre 0.5497.
    let long = decide(
        &market(Some(0.02)),
        holding("40", None),
        &[],
        &mut MicroMmState::default(),
    );
    assert_eq!(
        quotes(&long),
        vec![
            quote(Side::Buy, "0.52", "50"),
            quote(Side::Sell, "0.57", "50")
        ]
    );
    // Short 40: centre 0.5577 → 0.5377 → 0.53 and 0.5777 → 0.58.
    let short = decide(
        &market(Some(0.02)),
        holding("-40", None),
        &[],
        &mut MicroMmState::default(),
    );
    assert_eq!(
        quotes(&short),
        vec![
            quote(Side::Buy, "0.53", "50"),
            quote(Side::Sell, "0.58", "50")
        ]
    );
    // Long 70: centre 0.5467, bid 0.5267 → 0.52, and it may only add 30
    // before the cap of 100.
    let near_cap = decide(
        &market(Some(0.02)),
        holding("70", None),
        &[],
        &mut MicroMmState::default(),
    );
    assert_eq!(quotes(&near_cap)[0], quote(Side::Buy, "0.52", "30"));
}

#[test]
fn a_side_at_its_cap_is_not_quoted_and_its_quote_is_canceled() {
    let bid = working("mm", 1, YES, Side::Buy, "0.52", "50");
    let ask = working("mm", 2, YES, Side::Sell, "0.57", "50");
    // Long 100 = cap: centre 0.5437; the ask 0.5637 → 0.57 stays.
    let proposals = decide(
        &market(Some(0.02)),
        holding("100", None),
        &[bid, ask],
        &mut MicroMmState::default(),
    );
    assert_eq!(proposals.len(), 1, "{proposals:?}");
    assert!(
        matches!(&proposals[0], Proposal::Cancel { intent_id, .. } if *intent_id == bid.intent_id)
    );
}

#[test]
fn quotes_move_only_when_fair_value_moves_beyond_the_tolerance() {
    // Targets 0.53 / 0.58; tolerance one tick (0.01).
    let bid = working("mm", 1, YES, Side::Buy, "0.51", "50");
    let ask = working("mm", 2, YES, Side::Sell, "0.57", "50");
    let proposals = decide(
        &market(Some(0.02)),
        Inventory::default(),
        &[bid, ask],
        &mut MicroMmState::default(),
    );
    assert_eq!(
        proposals.len(),
        1,
        "the ask is one tick off: left alone; {proposals:?}"
    );
    let Proposal::Replace {
        intent_id,
        quantity,
        kind,
        reason,
    } = &proposals[0]
    else {
        panic!("{proposals:?}");
    };
    assert_eq!((*intent_id, *quantity), (bid.intent_id, qty("50")));
    assert_eq!(*kind, OrderKind::Limit { price: px("0.53") });
    assert!(reason.contains("off by 0.02"), "{reason}");

    // A working bid larger than the cap allows (long 70, its own 50
    // pending, room 30) shrinks in place at the same price.
    let big_bid = working("mm", 3, YES, Side::Buy, "0.52", "50");
    let inventory = Inventory {
        pending_buys: qty("50"),
        ..holding("70", None)
    };
    let proposals = decide(
        &market(Some(0.02)),
        inventory,
        &[big_bid],
        &mut MicroMmState::default(),
    );
    assert!(
        matches!(
            &proposals[0],
            Proposal::Replace { quantity, kind: OrderKind::Limit { price }, .. }
                if *quantity == qty("30") && *price == px("0.52")
        ),
        "{proposals:?}"
    );
}

#[test]
fn missing_volatility_or_invalid_features_cancel_every_quote() {
    let quotes_up = [
        working("mm", 1, YES, Side::Buy, "0.53", "50"),
        working("mm", 2, YES, Side::Sell, "0.58", "50"),
    ];
    let mut invalid = market(Some(0.02));
    invalid.instruments.get_mut(&id(YES)).unwrap().invalid = Some(InvalidReason::OneSided);
    let mut blackout = market(Some(0.02));
    blackout.instruments.get_mut(&id(YES)).unwrap().why.blackout = true;
    for (name, market) in [
        ("no volatility", market(None)),
        ("features invalid", invalid),
        ("event blackout", blackout),
    ] {
        let proposals = decide(
            &market,
            Inventory::default(),
            &quotes_up,
            &mut MicroMmState::default(),
        );
        assert_eq!(proposals.len(), 2, "{name}");
        for (proposal, order) in proposals.iter().zip(&quotes_up) {
            let Proposal::Cancel { intent_id, reason } = proposal else {
                panic!("{name}: {proposal:?}");
            };
            assert_eq!(*intent_id, order.intent_id);
            assert!(reason.ends_with(name), "{reason}");
        }
        assert!(
            decide(
                &market,
                Inventory::default(),
                &[],
                &mut MicroMmState::default()
            )
            .is_empty()
        );
    }
}

#[test]
fn a_new_quote_generation_starts_only_once_the_previous_quote_is_gone() {
    let mut state = MicroMmState::default();
    let first = decide(&market(Some(0.02)), Inventory::default(), &[], &mut state);
    assert_eq!(quotes(&first)[0].3, 0);
    // Both quotes at the OMS (pending or working): nothing to do.
    let bid = working("mm", 1, YES, Side::Buy, "0.53", "50");
    let ask = working("mm", 2, YES, Side::Sell, "0.58", "50");
    assert!(
        decide(
            &market(Some(0.02)),
            Inventory::default(),
            &[bid, ask],
            &mut state
        )
        .is_empty()
    );
    // The bid ended (filled): the next bid is generation 1, a new intent.
    let next = decide(
        &market(Some(0.02)),
        Inventory::default(),
        &[ask],
        &mut state,
    );
    assert_eq!(
        quotes(&next),
        vec![(Side::Buy, "0.53".to_owned(), "50".to_owned(), 1)]
    );
}

#[test]
fn a_quote_rejected_before_it_ever_worked_is_requoted_under_a_new_id() {
    let mut state = MicroMmState::default();
    let first = decide(&market(Some(0.02)), Inventory::default(), &[], &mut state);
    assert_eq!(
        quotes(&first)
            .iter()
            .map(|quote| quote.3)
            .collect::<Vec<_>>(),
        [0, 0]
    );
    // The venue rejected both before the next decision: they are not
    // among the working orders, so the same terms come back as generation
    // 1 (the OMS would refuse generation 0's intent ids as duplicates).
    let again = decide(&market(Some(0.02)), Inventory::default(), &[], &mut state);
    assert_eq!(
        quotes(&again)
            .iter()
            .map(|quote| quote.3)
            .collect::<Vec<_>>(),
        [1, 1]
    );
    assert_eq!(
        quotes(&again)
            .iter()
            .map(|quote| (quote.0, quote.1.clone()))
            .collect::<Vec<_>>(),
        quotes(&first)
            .iter()
            .map(|quote| (quote.0, quote.1.clone()))
            .collect::<Vec<_>>()
    );
}

/// One micro_mm instance as a params file declares it, for the tests that
/// run it through the host.
const HOSTED_MM: &str = r#"
[[strategy]]
name = "mm"
kind = "micro_mm"
rate_limit_actions = 10
rate_limit_window_ms = 1000
instruments = ["BTC-100K-YES"]
min_half_spread_ticks = 1
vol_multiplier = 1.0
skew_per_unit = "0.0001"
quote_size = "50"
max_position = "100"
replace_tolerance_ticks = 1
"#;

#[test]
fn the_host_withdraws_quotes_while_degraded() {
    let mut host = host(&format!("{GATE}{HOSTED_MM}"));
    let step = host.step(ms(0), &market(Some(0.02)), &no_inventory(), &[]);
    assert_eq!(step.actions.len(), 2);
    let ids: Vec<_> = step.actions.iter().map(|e| e.action.intent_id()).collect();
    let up = [
        WorkingOrder {
            intent_id: ids[0],
            ..working("mm", 0, YES, Side::Buy, "0.53", "50")
        },
        WorkingOrder {
            intent_id: ids[1],
            ..working("mm", 0, YES, Side::Sell, "0.58", "50")
        },
    ];
    // The spot goes silent: DEGRADED, and both quotes are canceled once.
    let mut stale = market(Some(0.02));
    for features in stale.instruments.values_mut() {
        features.last_book_update = Some(ms(0));
    }
    let step = host.step(ms(6000), &stale, &no_inventory(), &up);
    let cancels: Vec<_> = step.actions.iter().map(|e| e.action.clone()).collect();
    assert_eq!(
        cancels,
        vec![
            Action::Cancel { intent_id: ids[0] },
            Action::Cancel { intent_id: ids[1] }
        ]
    );
    assert!(
        step.actions[0].reason.contains("gate DEGRADED"),
        "{}",
        step.actions[0].reason
    );
    let step = host.step(ms(6100), &stale, &no_inventory(), &up);
    assert!(
        step.actions.is_empty(),
        "cancels are not repeated: {step:?}"
    );
}

#[test]
fn a_replace_waits_while_the_order_has_a_request_in_flight() {
    let mut host = host(&format!("{GATE}{HOSTED_MM}"));
    let step = host.step(ms(0), &market(Some(0.02)), &no_inventory(), &[]);
    let ids: Vec<_> = step.actions.iter().map(|e| e.action.intent_id()).collect();
    // The bid works two ticks off its target (0.53) and its previous
    // request is still unanswered: the replace waits.
    let mut bid = WorkingOrder {
        intent_id: ids[0],
        in_flight: true,
        ..working("mm", 0, YES, Side::Buy, "0.51", "50")
    };
    let ask = WorkingOrder {
        intent_id: ids[1],
        ..working("mm", 0, YES, Side::Sell, "0.58", "50")
    };
    let step = host.step(ms(100), &market(Some(0.02)), &no_inventory(), &[bid, ask]);
    assert!(step.actions.is_empty(), "{step:?}");
    assert_eq!(step.suppressed.len(), 1, "{step:?}");
    assert_eq!(step.suppressed[0].why, SuppressReason::InFlight);
    assert_eq!(host.stats(&strategy_id("mm")).unwrap().in_flight, 1);
    // Answered: the same replace goes out.
    bid.in_flight = false;
    let step = host.step(ms(200), &market(Some(0.02)), &no_inventory(), &[bid, ask]);
    let [emitted] = step.actions.as_slice() else {
        panic!("{step:?}");
    };
    assert!(
        matches!(emitted.action, Action::Replace { intent_id, .. } if intent_id == ids[0]),
        "{emitted:?}"
    );
}

#[test]
fn a_continued_run_numbers_its_epochs_above_the_recovered_ones() {
    let submits = |host: &mut strategy::StrategyHost| -> Vec<(u64, model::IntentId)> {
        let step = host.step(ms(0), &market(Some(0.02)), &no_inventory(), &[]);
        step.actions
            .iter()
            .map(|emitted| match &emitted.action {
                Action::Submit(intent) => (intent.epoch, intent.intent_id()),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let first = submits(&mut host(&format!("{GATE}{HOSTED_MM}")));
    let mut continued = host(&format!("{GATE}{HOSTED_MM}"));
    continued.set_epoch_base(7);
    let second = submits(&mut continued);
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|(epoch, _)| *epoch < 7), "{first:?}");
    assert!(second.iter().all(|(epoch, _)| *epoch >= 7), "{second:?}");
    // Same quotes, new ids: the OMS will not take them for the old orders.
    for ((_, old), (_, new)) in first.iter().zip(&second) {
        assert_ne!(old, new);
    }
}
