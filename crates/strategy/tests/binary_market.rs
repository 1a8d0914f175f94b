//! `binary_market`: each rule with known numbers, and that a higher
//! priority rule wins.
//!
//! Books unless changed: YES 0.55 × 200 / 0.56 × 300, NO 0.43 × 200 /
//! 0.44 × 300 (asks sum to 1.00: no arbitrage with fees 0.02).

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use common::*;
use model::{InstrumentMap, Side, TimeInForce};
use sensory::InvalidReason;
use strategy::strategies::binary_market::{self, BinaryMarketParams, BinaryMarketState, TokenPair};
use strategy::{Inputs, Inventory, MarketView, Proposal};

fn params() -> BinaryMarketParams {
    BinaryMarketParams {
        pairs: vec![TokenPair {
            yes: id(YES),
            no: id(NO),
        }],
        profit_target: px("0.05"),
        stop_loss: px("0.10"),
        fees: px("0.02"),
        order_size: qty("50"),
        bootstrap_size: qty("20"),
        max_position: qty("500"),
        hedge_tolerance: qty("50"),
        average_down_step: px("0.05"),
        oracle_edge: 0.02,
    }
}

fn market(oracle: Option<f64>) -> MarketView {
    let mut market = fresh_market(ms(0), 0.0);
    if let Some(p) = oracle {
        market.oracle.insert(id(YES), p);
    }
    market
}

fn set_book(market: &mut MarketView, token: &str, bid: (&str, &str), ask: (&str, &str)) {
    market
        .instruments
        .insert(id(token), book(token, ms(0), bid, ask));
}

type Order = (Side, String, String, String);

fn run(
    market: &MarketView,
    yes: Inventory,
    no: Inventory,
    state: &mut BinaryMarketState,
) -> Vec<(Order, u64, String)> {
    let table = instruments();
    let inventory: InstrumentMap<_> = [(id(YES), yes), (id(NO), no)].into();
    let inputs = Inputs {
        now: ms(0),
        market,
        inventory: &inventory,
        working: &[],
        instruments: &table,
    };
    binary_market::decide(&inputs, &params(), state)
        .into_iter()
        .map(|proposal| {
            let Proposal::Submit(request) = proposal else {
                panic!("binary_market only submits: {proposal:?}");
            };
            assert_eq!(request.time_in_force, TimeInForce::ImmediateOrCancel);
            (
                (
                    request.side,
                    request.instrument.to_string(),
                    request.kind.limit_price().unwrap().to_string(),
                    request.size.to_string(),
                ),
                request.epoch,
                request.reason,
            )
        })
        .collect()
}

fn decide(market: &MarketView, yes: Inventory, no: Inventory) -> Vec<(Order, String)> {
    run(market, yes, no, &mut BinaryMarketState::default())
        .into_iter()
        .map(|(order, _, reason)| (order, reason))
        .collect()
}

fn order(side: Side, token: &str, price: &str, size: &str) -> Order {
    (side, token.to_owned(), price.to_owned(), size.to_owned())
}

fn flat() -> Inventory {
    Inventory::default()
}

#[test]
fn profit_lock_sells_the_free_holding_at_the_bid() {
    // Bid 0.55 ≥ 0.50 + 0.05.
    let out = decide(&market(None), holding("100", Some("0.50")), flat());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, order(Side::Sell, YES, "0.55", "100"));
    assert!(
        out[0]
            .1
            .starts_with("binary_market rule=profit_lock: bid=0.55 >= avg_cost=0.5 + target=0.05"),
        "{}",
        out[0].1
    );
    // Part of it already being sold: only the rest.
    let selling = Inventory {
        pending_sells: qty("60"),
        ..holding("100", Some("0.50"))
    };
    assert_eq!(
        decide(&market(None), selling, flat())[0].0,
        order(Side::Sell, YES, "0.55", "40")
    );
    // Just under the target: nothing.
    assert!(decide(&market(None), holding("100", Some("0.51")), flat()).is_empty());
}

#[test]
fn stop_loss_sells_when_the_bid_falls_below_cost_minus_stop() {
    // NO bid 0.43 ≤ 0.55 − 0.10.
    let out = decide(&market(None), flat(), holding("80", Some("0.55")));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, order(Side::Sell, NO, "0.43", "80"));
    assert!(
        out[0]
            .1
            .contains("rule=stop_loss: bid=0.43 <= avg_cost=0.55 - stop=0.1"),
        "{}",
        out[0].1
    );
    assert!(decide(&market(None), flat(), holding("80", Some("0.52"))).is_empty());
}

#[test]
fn synthetic_arbitrage_buys_both_legs_at_one_size() {
    let mut m = market(None);
    set_book(&mut m, YES, ("0.49", "100"), ("0.50", "80"));
    set_book(&mut m, NO, ("0.43", "100"), ("0.44", "60"));
    // 0.50 + 0.44 = 0.94 < 0.98; size min(50, 80, 60, caps) = 50.
    let out = run(&m, flat(), flat(), &mut BinaryMarketState::default());
    let orders: Vec<_> = out.iter().map(|(o, _, _)| o.clone()).collect();
    assert_eq!(
        orders,
        vec![
            order(Side::Buy, YES, "0.5", "50"),
            order(Side::Buy, NO, "0.44", "50")
        ]
    );
    assert_eq!(out[0].1, out[1].1, "both legs in one epoch");
    assert!(
        out[0]
            .2
            .contains("ask_yes=0.5 + ask_no=0.44 = 0.94 < 1 - fees=0.02"),
        "{}",
        out[0].2
    );
    // The thinner ask and the cap limit both legs.
    set_book(&mut m, NO, ("0.43", "100"), ("0.44", "30"));
    let near_cap = Inventory {
        pending_buys: qty("10"),
        ..holding("480", None)
    };
    let orders: Vec<_> = decide(&m, near_cap, flat())
        .into_iter()
        .map(|(o, _)| o)
        .collect();
    assert_eq!(
        orders,
        vec![
            order(Side::Buy, YES, "0.5", "10"),
            order(Side::Buy, NO, "0.44", "10")
        ]
    );
    // At exactly 1 − fees: no arbitrage.
    set_book(&mut m, NO, ("0.43", "100"), ("0.48", "60"));
    assert!(decide(&m, flat(), flat()).is_empty());
}

#[test]
fn a_higher_priority_rule_wins() {
    let mut m = market(Some(0.70));
    set_book(&mut m, YES, ("0.49", "100"), ("0.50", "80"));
    set_book(&mut m, NO, ("0.43", "100"), ("0.44", "60"));
    // Profit lock on YES (0.49 ≥ 0.40 + 0.05) and stop loss on NO (0.43 ≤
    // 0.60 − 0.10), arbitrage open, oracle keen: profit lock only.
    let out = decide(
        &m,
        holding("100", Some("0.40")),
        holding("100", Some("0.60")),
    );
    assert_eq!(
        out.iter().map(|(o, _)| o.clone()).collect::<Vec<_>>(),
        vec![order(Side::Sell, YES, "0.49", "100")]
    );
    // Without the profit: the stop loss beats the arbitrage.
    let out = decide(&m, flat(), holding("100", Some("0.60")));
    assert_eq!(
        out.iter().map(|(o, _)| o.clone()).collect::<Vec<_>>(),
        vec![order(Side::Sell, NO, "0.43", "100")]
    );
    // Without exits: the arbitrage beats the bootstrap the oracle wants.
    let out = decide(&m, flat(), flat());
    assert!(
        out.iter()
            .all(|(_, why)| why.contains("rule=synthetic_arbitrage")),
        "{out:?}"
    );
    assert_eq!(out.len(), 2);
}

#[test]
fn bootstrap_buys_the_token_the_oracle_favours() {
    // p = 0.62: YES edge 0.62 − 0.56 = 0.06; NO edge 0.38 − 0.44 < 0.
    let out = decide(&market(Some(0.62)), flat(), flat());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, order(Side::Buy, YES, "0.56", "20"));
    assert!(
        out[0]
            .1
            .contains("rule=bootstrap: flat, oracle fair=0.6200 edge=0.0600"),
        "{}",
        out[0].1
    );
    // p = 0.30: NO edge 0.70 − 0.44 = 0.26.
    assert_eq!(
        decide(&market(Some(0.30)), flat(), flat())[0].0,
        order(Side::Buy, NO, "0.44", "20")
    );
    // p = 0.55: YES edge −0.01, NO edge 0.01: neither clears 0.02.
    assert!(decide(&market(Some(0.55)), flat(), flat()).is_empty());
    // No oracle: no inventory management at all.
    assert!(decide(&market(None), flat(), flat()).is_empty());
}

#[test]
fn hedge_buys_the_lighter_token_when_the_oracle_agrees() {
    // YES 200 at 0.56 (no exit), NO 0: imbalance 200 > 50.
    let yes = holding("200", Some("0.56"));
    // p = 0.50: NO fair 0.50 ≥ 0.44 + 0.02.
    let out = decide(&market(Some(0.50)), yes, flat());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, order(Side::Buy, NO, "0.44", "200"));
    assert!(
        out[0]
            .1
            .contains("rule=hedge: YES=200 NO=0 imbalance above 50"),
        "{}",
        out[0].1
    );
    // p = 0.60: NO fair 0.40 is below its ask: no hedge (and no average
    // down: the YES ask 0.56 is not under 0.56 − 0.05).
    assert!(decide(&market(Some(0.60)), yes, flat()).is_empty());
    // Within the tolerance: no hedge.
    assert!(decide(&market(Some(0.50)), yes, holding("150", Some("0.44"))).is_empty());
}

#[test]
fn average_down_buys_more_under_cost_when_the_oracle_agrees() {
    // YES 40 at 0.62: ask 0.56 ≤ 0.57; bid 0.55 is neither 0.67 nor 0.52.
    let yes = holding("40", Some("0.62"));
    let out = decide(&market(Some(0.60)), yes, flat());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, order(Side::Buy, YES, "0.56", "50"));
    assert!(
        out[0]
            .1
            .contains("rule=average_down: ask=0.56 <= avg_cost=0.62 - step=0.05"),
        "{}",
        out[0].1
    );
    // p = 0.57: edge 0.01 < 0.02.
    assert!(decide(&market(Some(0.57)), yes, flat()).is_empty());
}

#[test]
fn nothing_is_done_on_invalid_features() {
    let mut m = market(Some(0.62));
    m.instruments.get_mut(&id(NO)).unwrap().invalid = Some(InvalidReason::Resyncing);
    assert!(decide(&m, holding("100", Some("0.40")), flat()).is_empty());
}

#[test]
fn the_epoch_advances_only_when_the_inventory_changes() {
    let mut state = BinaryMarketState::default();
    let first = run(&market(Some(0.62)), flat(), flat(), &mut state);
    // The order is not pending yet: the same decision, the same epoch.
    let again = run(&market(Some(0.62)), flat(), flat(), &mut state);
    assert_eq!(first, again);
    let pending = Inventory {
        pending_buys: qty("20"),
        ..flat()
    };
    assert!(run(&market(Some(0.62)), pending, flat(), &mut state).is_empty());
    // Canceled unfilled: flat again, a new epoch, a new intent.
    let retry = run(&market(Some(0.62)), flat(), flat(), &mut state);
    assert_eq!(retry[0].0, first[0].0);
    assert_eq!(retry[0].1, first[0].1 + 2);
}
