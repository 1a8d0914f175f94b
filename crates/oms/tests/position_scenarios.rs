//! Positions and the book on worked examples, every figure exact: adding,
//! partial and full closes, flips, shorts, fees, rounding of proportional
//! releases, overflow refusals, and the book's totals and ordering.

#![allow(clippy::unwrap_used, reason = "test code")]

use model::{InstrumentId, Money, NetQuantity, Price, Quantity, Side, StrategyId};
use oms::position::{Position, PositionError, Positions};

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

fn money(text: &str) -> Money {
    text.parse().unwrap()
}

fn net(text: &str) -> NetQuantity {
    NetQuantity::parse_ascii(text.as_bytes()).unwrap()
}

fn instrument(name: &str) -> InstrumentId {
    InstrumentId::new(name).unwrap()
}

fn strategy(name: &str) -> StrategyId {
    StrategyId::new(name).unwrap()
}

/// Fills `quantity` at `price` with `fee`, the value computed exactly.
fn fill(position: &mut Position, side: Side, quantity: &str, price: &str, fee: &str) {
    let quantity = qty(quantity);
    position
        .apply_fill(side, quantity, px(price).notional(quantity), money(fee))
        .unwrap();
}

#[test]
fn two_buys_then_a_partial_sell() {
    let mut position = Position::new();
    fill(&mut position, Side::Buy, "10", "1.1", "0.01");
    fill(&mut position, Side::Buy, "10", "1.2", "0.01");
    assert_eq!(position.net(), net("20"));
    assert_eq!(position.cost_basis(), money("23"));
    assert_eq!(position.average_price(), Some(px("1.15")));

    fill(&mut position, Side::Sell, "15", "1.3", "0.01");
    // The sale releases 15/20 of the basis, 17.25, for 19.5 of proceeds.
    assert_eq!(position.net(), net("5"));
    assert_eq!(position.realized(), money("2.25"));
    assert_eq!(position.cost_basis(), money("5.75"));
    assert_eq!(position.average_price(), Some(px("1.15")));
    assert_eq!(position.unrealized(px("1.25")), money("0.5"));
    assert_eq!(position.unrealized(px("1.1")), money("-0.25"));
    assert_eq!(position.fees(), money("0.03"));
    assert_eq!(position.total_pnl(px("1.25")), money("2.72"));
    assert_eq!(position.fill_count(), 3);
}

#[test]
fn a_sell_larger_than_the_long_flips_it_short() {
    let mut position = Position::new();
    fill(&mut position, Side::Buy, "10", "1.1", "0");
    fill(&mut position, Side::Sell, "15", "1.3", "0");
    // 10 of the 15 close the long at 1.3 (13 − 11 = 2 realized); 5 open a
    // short at 1.3.
    assert_eq!(position.net(), net("-5"));
    assert_eq!(position.realized(), money("2"));
    assert_eq!(position.cost_basis(), money("-6.5"));
    assert_eq!(position.average_price(), Some(px("1.3")));
    assert_eq!(position.unrealized(px("1.2")), money("0.5"));
    assert_eq!(position.unrealized(px("1.4")), money("-0.5"));
}

#[test]
fn a_buy_larger_than_the_short_flips_it_long() {
    let mut position = Position::new();
    fill(&mut position, Side::Sell, "4", "2", "0");
    fill(&mut position, Side::Buy, "6", "1.5", "0");
    assert_eq!(position.net(), net("2"));
    assert_eq!(position.realized(), money("2"));
    assert_eq!(position.cost_basis(), money("3"));
    assert_eq!(position.average_price(), Some(px("1.5")));
}

#[test]
fn a_short_round_trip_realizes_exactly_the_cash_difference() {
    let mut position = Position::new();
    fill(&mut position, Side::Sell, "10", "1.3", "0");
    assert_eq!(position.cost_basis(), money("-13"));
    assert_eq!(position.average_price(), Some(px("1.3")));
    fill(&mut position, Side::Buy, "4", "1.2", "0");
    assert_eq!(position.realized(), money("0.4"));
    assert_eq!(position.cost_basis(), money("-7.8"));
    fill(&mut position, Side::Buy, "6", "1.25", "0");
    // 13 received, 4.8 + 7.5 paid.
    assert_eq!(position.realized(), money("0.7"));
    assert!(position.is_flat());
    assert_eq!(position.cost_basis(), Money::ZERO);
    assert_eq!(position.average_price(), None);
    assert_eq!(position.unrealized(px("99")), Money::ZERO);
}

#[test]
fn fees_and_rebates_are_kept_apart_from_realized_pnl() {
    let mut position = Position::new();
    fill(&mut position, Side::Buy, "100", "10", "1.5");
    fill(&mut position, Side::Sell, "100", "10.1", "-0.25");
    assert_eq!(position.realized(), money("10"));
    assert_eq!(position.fees(), money("1.25"));
    assert_eq!(position.total_pnl(px("1")), money("8.75"));
}

#[test]
fn proportional_releases_round_half_to_even_and_a_full_close_releases_the_rest() {
    // A venue reported 3 units for a total value of 1 (an average price of
    // 0.333…, which no Price holds).
    let mut position = Position::new();
    position
        .apply_fill(Side::Buy, qty("3"), money("1"), Money::ZERO)
        .unwrap();
    fill(&mut position, Side::Sell, "1", "0.5", "0");
    // Released 1/3 → 0.333333333333333333 (the remainder, a third of a
    // unit, rounds down).
    assert_eq!(position.cost_basis(), money("0.666666666666666667"));
    assert_eq!(position.realized(), money("0.166666666666666667"));
    fill(&mut position, Side::Sell, "1", "0.5", "0");
    // Released 0.666666666666666667 / 2 = …3333.5 units → …3334 (even).
    assert_eq!(position.cost_basis(), money("0.333333333333333333"));
    assert_eq!(position.realized(), money("0.333333333333333333"));
    fill(&mut position, Side::Sell, "1", "0.5", "0");
    // The last close releases exactly what is left: 1.5 − 1, no residue.
    assert_eq!(position.realized(), money("0.5"));
    assert_eq!(position.cost_basis(), Money::ZERO);
}

#[test]
fn average_price_truncates_and_is_for_reports_only() {
    let mut position = Position::new();
    position
        .apply_fill(Side::Buy, qty("3"), money("1"), Money::ZERO)
        .unwrap();
    assert_eq!(position.average_price(), Some(px("0.333333333")));
    let mut short = Position::new();
    short
        .apply_fill(Side::Sell, qty("3"), money("2"), Money::ZERO)
        .unwrap();
    assert_eq!(short.average_price(), Some(px("0.666666666")));
}

#[test]
fn negative_prices_account_like_any_other() {
    let mut position = Position::new();
    fill(&mut position, Side::Buy, "10", "-2", "0");
    assert_eq!(position.cost_basis(), money("-20"));
    assert_eq!(position.average_price(), Some(px("-2")));
    assert_eq!(position.unrealized(px("-1")), money("10"));
    fill(&mut position, Side::Sell, "10", "-1.5", "0");
    assert_eq!(position.realized(), money("5"));
}

#[test]
fn refusals_leave_the_position_unchanged() {
    let mut position = Position::new();
    fill(&mut position, Side::Buy, "10", "1.1", "0");
    let before = position;

    assert_eq!(
        position.apply_fill(Side::Buy, Quantity::ZERO, Money::ZERO, Money::ZERO),
        Err(PositionError::ZeroQuantity)
    );
    // Cost basis at the 2¹²⁴ bound.
    let huge = Money::from_raw(1 << 124);
    assert_eq!(
        position.apply_fill(Side::Buy, qty("1"), huge, Money::ZERO),
        Err(PositionError::Overflow { what: "cost basis" })
    );
    assert_eq!(
        position.apply_fill(Side::Buy, qty("1"), Money::ZERO, huge),
        Err(PositionError::Overflow { what: "fees" })
    );
    // Realized PnL at the bound: sell the 10 (basis 11) for 2¹²⁴ + 11.
    let proceeds = Money::from_raw((1 << 124) + 11 * 10i128.pow(18));
    assert_eq!(
        position.apply_fill(Side::Sell, qty("10"), proceeds, Money::ZERO),
        Err(PositionError::Overflow {
            what: "realized PnL"
        })
    );
    let max = Quantity::from_raw(i64::MAX).unwrap();
    assert_eq!(
        position.apply_fill(Side::Buy, max, Money::ZERO, Money::ZERO),
        Err(PositionError::Overflow {
            what: "net quantity"
        })
    );
    assert_eq!(
        position.apply_fill(
            Side::Sell,
            qty("1"),
            Money::from_raw(i128::MIN),
            Money::ZERO
        ),
        Err(PositionError::Overflow { what: "fill value" })
    );
    assert_eq!(position, before);

    // Just under the bound is accepted, and PnL at extreme marks is exact.
    let mut edge = Position::new();
    let below = Money::from_raw((1 << 124) - 1);
    edge.apply_fill(Side::Sell, max, below, Money::ZERO)
        .unwrap();
    let mark = Price::from_raw(i64::MIN);
    let expected = i128::from(-i64::MAX) * i128::from(i64::MIN) + below.raw();
    assert_eq!(edge.unrealized(mark).raw(), expected);
    assert_eq!(edge.total_pnl(mark).raw(), expected);
}

#[test]
fn the_book_keeps_totals_per_instrument_strategy_and_overall() {
    let (eurusd, gbpusd) = (instrument("EURUSD"), instrument("GBPUSD"));
    let (mm, arb) = (strategy("mm"), strategy("arb"));
    let mut book = Positions::new();
    let mut apply = |i: InstrumentId, s: StrategyId, side, q: &str, p: &str, fee: &str| {
        let q = qty(q);
        book.apply_fill(i, s, side, q, px(p).notional(q), money(fee))
            .unwrap();
    };
    apply(eurusd, mm, Side::Buy, "10", "1.1", "0.1");
    apply(eurusd, arb, Side::Sell, "4", "1.2", "0.1");
    apply(gbpusd, mm, Side::Sell, "5", "1.3", "0.1");
    apply(eurusd, mm, Side::Sell, "5", "1.2", "0.1");
    apply(gbpusd, arb, Side::Buy, "5", "1.25", "0.1");

    assert_eq!(book.strategy_net(&eurusd, &mm), net("5"));
    assert_eq!(book.strategy_net(&eurusd, &arb), net("-4"));
    assert_eq!(book.instrument_net(&eurusd), net("1"));
    assert_eq!(book.instrument_net(&gbpusd), NetQuantity::ZERO);
    assert_eq!(
        book.instrument_net(&instrument("USDJPY")),
        NetQuantity::ZERO
    );
    assert_eq!(
        book.strategy_net(&gbpusd, &strategy("none")),
        NetQuantity::ZERO
    );

    // Realized: mm closed 5 EURUSD at 1.2 against a 1.1 basis.
    assert_eq!(book.realized_total(), money("0.5"));
    assert_eq!(book.fees_total(), money("0.5"));
    assert_eq!(book.strategy(&mm).unwrap().realized(), money("0.5"));
    assert_eq!(book.strategy(&mm).unwrap().fees(), money("0.3"));
    assert_eq!(book.strategy(&arb).unwrap().realized(), Money::ZERO);
    assert_eq!(book.strategy(&arb).unwrap().fees(), money("0.2"));
    let eur = book.instrument(&eurusd).unwrap();
    assert_eq!(eur.net(), net("1"));
    assert_eq!(eur.cost_basis(), money("0.7"));
    assert_eq!(eur.realized(), money("0.5"));
    assert_eq!(eur.fees(), money("0.3"));

    // GBPUSD is flat over both strategies: no mark needed, and its
    // unrealized PnL (6.5 received, 6.25 paid) is 0.25 at any price.
    let marks = |id: &InstrumentId| (*id == eurusd).then(|| px("1.15"));
    // EURUSD: mm long 5 at 1.1 (+0.25), arb short 4 at 1.2 (+0.2).
    assert_eq!(book.unrealized_total(marks), Ok(money("0.7")));
    // Per strategy, GBPUSD needs its mark: each strategy is open there.
    assert_eq!(
        book.strategy_unrealized(&mm, marks),
        Err(PositionError::MissingMark { instrument: gbpusd })
    );
    let both = |id: &InstrumentId| Some(if *id == eurusd { px("1.15") } else { px("1.2") });
    // mm: +0.25 on EURUSD, short 5 GBPUSD from 1.3 at 1.2: +0.5.
    assert_eq!(book.strategy_unrealized(&mm, both), Ok(money("0.75")));
    // arb: +0.2 on EURUSD, long 5 GBPUSD from 1.25 at 1.2: −0.25.
    assert_eq!(book.strategy_unrealized(&arb, both), Ok(money("-0.05")));
    assert_eq!(book.unrealized_total(both), Ok(money("0.7")));
    assert_eq!(book.gross_exposure(marks), Ok(money("1.15")));
    assert_eq!(book.net_exposure(marks), Ok(money("1.15")));
    assert_eq!(
        book.unrealized_total(|_| None),
        Err(PositionError::MissingMark { instrument: eurusd })
    );
    assert_eq!(
        book.gross_exposure(|_| None),
        Err(PositionError::MissingMark { instrument: eurusd })
    );
}

#[test]
fn exposure_nets_strategies_within_an_instrument_and_signs_shorts() {
    let (a, b) = (instrument("A"), instrument("B"));
    let mut book = Positions::new();
    for (i, s, side, q) in [
        (a, "x", Side::Buy, "10"),
        (a, "y", Side::Sell, "4"),
        (b, "x", Side::Sell, "3"),
    ] {
        let q = qty(q);
        book.apply_fill(i, strategy(s), side, q, px("1").notional(q), Money::ZERO)
            .unwrap();
    }
    let marks = |id: &InstrumentId| Some(if *id == a { px("2") } else { px("5") });
    // |6 × 2| + |−3 × 5| and 6 × 2 − 3 × 5.
    assert_eq!(book.gross_exposure(marks), Ok(money("27")));
    assert_eq!(book.net_exposure(marks), Ok(money("-3")));
}

#[test]
fn a_refused_fill_leaves_the_whole_book_unchanged() {
    let mut book = Positions::new();
    let (i, s) = (instrument("A"), strategy("x"));
    book.apply_fill(i, s, Side::Buy, qty("1"), money("1"), Money::ZERO)
        .unwrap();
    let before = book.clone();
    let huge = Money::from_raw(1 << 124);
    assert!(
        book.apply_fill(i, s, Side::Buy, qty("1"), huge, Money::ZERO)
            .is_err()
    );
    assert!(
        book.apply_fill(
            i,
            strategy("new"),
            Side::Buy,
            Quantity::ZERO,
            Money::ZERO,
            Money::ZERO
        )
        .is_err()
    );
    assert_eq!(book, before);
    assert!(book.position(&i, &strategy("new")).is_none());
}

#[test]
fn book_totals_that_overflow_are_refused_not_wrapped() {
    // Two positions each near the bound: their sum of cost bases does not
    // fit the per-position bound but fits i128; the exposure sum of two
    // maximal notionals overflows i128.
    let mut book = Positions::new();
    let max = Quantity::from_raw(i64::MAX).unwrap();
    for name in ["A", "B", "C"] {
        book.apply_fill(
            instrument(name),
            strategy("x"),
            Side::Buy,
            max,
            Money::ZERO,
            Money::ZERO,
        )
        .unwrap();
    }
    let mark = |_: &InstrumentId| Some(Price::from_raw(i64::MAX));
    assert_eq!(
        book.gross_exposure(mark),
        Err(PositionError::Overflow { what: "exposure" })
    );
    assert_eq!(
        book.net_exposure(mark),
        Err(PositionError::Overflow { what: "exposure" })
    );
    assert_eq!(
        book.unrealized_total(mark),
        Err(PositionError::Overflow {
            what: "unrealized PnL"
        })
    );
}

#[test]
fn iteration_is_in_key_order_whatever_the_fill_order() {
    let mut forward = Positions::new();
    let mut backward = Positions::new();
    let keys = [("B", "y"), ("A", "z"), ("B", "a"), ("A", "b")];
    for (i, s) in keys {
        forward
            .apply_fill(
                instrument(i),
                strategy(s),
                Side::Buy,
                qty("1"),
                money("1"),
                Money::ZERO,
            )
            .unwrap();
    }
    for (i, s) in keys.iter().rev() {
        backward
            .apply_fill(
                instrument(i),
                strategy(s),
                Side::Buy,
                qty("1"),
                money("1"),
                Money::ZERO,
            )
            .unwrap();
    }
    let order: Vec<String> = forward.iter().map(|(i, s, _)| format!("{i}/{s}")).collect();
    assert_eq!(order, ["A/b", "A/z", "B/a", "B/y"]);
    let instruments: Vec<&str> = forward.instruments().map(|(i, _)| i.as_str()).collect();
    assert_eq!(instruments, ["A", "B"]);
    let strategies: Vec<&str> = forward.strategies().map(|(s, _)| s.as_str()).collect();
    assert_eq!(strategies, ["a", "b", "y", "z"]);
    // Same fills per key: equal books, and equal reports.
    assert_eq!(forward, backward);
    assert_eq!(format!("{forward:?}"), format!("{backward:?}"));
    // One fill more: not equal.
    backward
        .apply_fill(
            instrument("A"),
            strategy("b"),
            Side::Sell,
            qty("1"),
            money("1"),
            Money::ZERO,
        )
        .unwrap();
    assert_ne!(forward, backward);
}
