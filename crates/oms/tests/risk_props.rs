//! Property tests of the risk gate and the rate limiter.
//!
//! - A random order (or modification), random limits, state and exposure:
//!   the gate passes exactly when every rule passes, and otherwise denies
//!   with the code of the *first* failing rule. The rules are written out
//!   again below, independently, as the module documentation of
//!   `oms::risk` states them, in `i128` arithmetic on raw values; values are
//!   drawn from small ranges so that boundaries are hit often. A seeded
//!   sweep checks that the generator reaches every rule.
//! - With values from the whole range of every type, the gate never
//!   panics.
//! - The rate limiter agrees with a naive model that keeps every granted
//!   time and counts those within the window.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeMap;

use model::{
    Instrument, InstrumentId, Money, NetQuantity, OrderKind, Price, Quantity, Side, TimeInForce,
    Timestamp, VenueSymbol,
};
use oms::risk::{
    DenyCode, ExistingOrder, ExposureView, OrderTerms, RateLimit, RateLimiter, RiskLimits,
    TradingState, check_modify, check_submit,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

const NOW: Timestamp = Timestamp::from_unix_nanos(1_000_000);

/// Everything one check reads.
#[derive(Clone, Debug)]
struct Input {
    instrument: Instrument,
    limits: RiskLimits,
    state: TradingState,
    side: Side,
    kind: OrderKind,
    quantity: Quantity,
    time_in_force: TimeInForce,
    exposure: ExposureView,
    existing: Option<ExistingOrder>,
}

impl Input {
    fn run(&self) -> Result<(), DenyCode> {
        let terms = OrderTerms {
            instrument: &self.instrument,
            side: self.side,
            kind: self.kind,
            quantity: self.quantity,
            time_in_force: self.time_in_force,
        };
        match &self.existing {
            None => check_submit(&self.limits, self.state, &terms, &self.exposure, NOW),
            Some(existing) => check_modify(
                &self.limits,
                self.state,
                existing,
                &terms,
                &self.exposure,
                NOW,
            ),
        }
        .map_err(|denial| denial.code)
    }
}

fn id(name: &str) -> InstrumentId {
    InstrumentId::new(name).unwrap()
}

fn q(raw: i64) -> Quantity {
    Quantity::from_raw(raw).unwrap()
}

fn kind(variant: u8, a: i64, b: i64) -> OrderKind {
    match variant {
        0 => OrderKind::Market,
        1 => OrderKind::Limit {
            price: Price::from_raw(a),
        },
        2 => OrderKind::Stop {
            stop: Price::from_raw(a),
        },
        _ => OrderKind::StopLimit {
            stop: Price::from_raw(a),
            price: Price::from_raw(b),
        },
    }
}

fn small_kind() -> impl Strategy<Value = OrderKind> {
    (0u8..4, -5i64..60, -5i64..60).prop_map(|(v, a, b)| kind(v, a, b))
}

fn small_instrument() -> impl Strategy<Value = Instrument> {
    (
        prop_oneof![4 => Just(1i64), 1 => Just(2), 1 => Just(5)],
        prop_oneof![3 => Just(1i64), 1 => 2i64..4],
        0i64..4,
        proptest::option::of(0i64..100),
        proptest::option::of(0i128..3000),
        any::<bool>(),
    )
        .prop_map(
            |(tick, lot, min_lots, extra_lots, min_notional, negative)| Instrument {
                id: id("X"),
                venue_symbol: VenueSymbol::new("1").unwrap(),
                tick_size: Price::from_raw(tick),
                lot_size: q(lot),
                min_quantity: q(lot * min_lots),
                max_quantity: extra_lots.map(|extra| q(lot * (min_lots + extra))),
                min_notional: min_notional.map(Money::from_raw),
                price_digits: 9,
                allows_non_positive_prices: negative,
            },
        )
}

fn small_limits() -> impl Strategy<Value = RiskLimits> {
    use proptest::option::of;
    (
        (of(1i64..120), of(1i128..6000), of(0i64..200), of(0i64..200)),
        (of(0i64..200), of(0i128..10_000), of(0i128..10_000)),
        (of(1i128..100), of(1i128..100), of(1u32..20_000)),
    )
        .prop_map(
            |(
                (max_qty, max_notional, default_position, own_position),
                (strategy_position, gross, net),
                (loss, drawdown, band),
            )| {
                let mut position_limits = BTreeMap::new();
                // An entry for another instrument must not apply to X.
                position_limits.insert(id("OTHER"), q(0));
                if let Some(limit) = own_position {
                    position_limits.insert(id("X"), q(limit));
                }
                RiskLimits {
                    max_order_quantity: max_qty.map(q),
                    max_order_notional: max_notional.map(Money::from_raw),
                    default_position_limit: default_position.map(q),
                    position_limits,
                    max_strategy_position: strategy_position.map(q),
                    max_gross_exposure: gross.map(Money::from_raw),
                    max_net_exposure: net.map(Money::from_raw),
                    daily_loss_limit: loss.map(Money::from_raw),
                    max_drawdown: drawdown.map(Money::from_raw),
                    submit_rate: None,
                    modify_rate: None,
                    price_band_bps: band,
                }
            },
        )
}

fn small_exposure() -> impl Strategy<Value = ExposureView> {
    (
        (
            prop_oneof![1 => Just(0i64), 3 => -150i64..150],
            -150i64..150,
            prop_oneof![1 => Just(0i64), 3 => 0i64..100],
            prop_oneof![1 => Just(0i64), 3 => 0i64..100],
            0i64..100,
            0i64..100,
        ),
        (
            proptest::option::of(-5i64..60),
            0i128..8000,
            -8000i128..8000,
            -150i128..50,
            0i128..150,
        ),
    )
        .prop_map(
            |(
                (position, strategy, buys, sells, strategy_buys, strategy_sells),
                (last, gross, net, pnl, drawdown),
            )| ExposureView {
                instrument_position: NetQuantity::from_raw(position),
                strategy_position: NetQuantity::from_raw(strategy),
                instrument_open_buys: q(buys),
                instrument_open_sells: q(sells),
                strategy_open_buys: q(strategy_buys),
                strategy_open_sells: q(strategy_sells),
                last_price: last.map(Price::from_raw),
                gross_exposure: Money::from_raw(gross),
                net_exposure: Money::from_raw(net),
                daily_pnl: Money::from_raw(pnl),
                drawdown: Money::from_raw(drawdown),
            },
        )
}

fn small_input() -> impl Strategy<Value = Input> {
    (
        small_instrument(),
        small_limits(),
        prop_oneof![
            12 => Just(TradingState::Active),
            4 => Just(TradingState::Reducing),
            1 => Just(TradingState::Halted),
        ],
        prop_oneof![Just(Side::Buy), Just(Side::Sell)],
        small_kind(),
        prop_oneof![1 => Just(0i64), 12 => 0i64..120],
        prop_oneof![
            Just(TimeInForce::GoodTillCancel),
            (-3i64..4).prop_map(
                |offset| TimeInForce::GoodTillDate(Timestamp::from_unix_nanos(
                    NOW.unix_nanos().checked_add_signed(offset).unwrap()
                ))
            ),
        ],
        small_exposure(),
        proptest::option::of((
            prop_oneof![Just(None), (0i64..120).prop_map(Some)],
            prop_oneof![Just(0i64), 0i64..120],
            small_kind(),
            any::<bool>(),
        )),
    )
        .prop_map(
            |(instrument, limits, state, side, kind, quantity, time_in_force, exposure, old)| {
                let existing = old.map(|(old_quantity, filled, old_kind, same_kind)| {
                    // Often the same quantity, to reach "no change" cases.
                    let old_quantity = old_quantity.unwrap_or(quantity);
                    ExistingOrder {
                        quantity: q(old_quantity),
                        filled: q(filled.min(old_quantity)),
                        // Often unchanged prices, to reach the "unchanged"
                        // branch of the band.
                        kind: if same_kind { kind } else { old_kind },
                    }
                });
                Input {
                    instrument,
                    limits,
                    state,
                    side,
                    kind,
                    quantity: q(quantity),
                    time_in_force,
                    exposure,
                    existing,
                }
            },
        )
}

/// The rules, written out from the documentation: the first that fails.
fn oracle(input: &Input) -> Option<DenyCode> {
    use DenyCode as C;
    let i = &input.instrument;
    let l = &input.limits;
    let e = &input.exposure;
    let raw_q = |q: Quantity| i128::from(q.raw());
    let raw_p = |p: Price| i128::from(p.raw());
    let raw_m = |m: Money| m.raw();

    let modify = input.existing.as_ref();
    let qty = raw_q(input.quantity);
    let filled = modify.map_or(0, |old| raw_q(old.filled));
    let remaining = (qty - filled).max(0);
    let remaining_before = modify.map_or(0, |old| (raw_q(old.quantity) - filled).max(0));
    let quantity_grows = modify.is_none_or(|old| qty > raw_q(old.quantity));
    let sign = match input.side {
        Side::Buy => 1,
        Side::Sell => -1,
    };
    let position = i128::from(e.instrument_position.raw());
    let (same_side, strategy_same_side) = match input.side {
        Side::Buy => (raw_q(e.instrument_open_buys), raw_q(e.strategy_open_buys)),
        Side::Sell => (raw_q(e.instrument_open_sells), raw_q(e.strategy_open_sells)),
    };
    // Worst case fill moves the position towards zero without crossing.
    let reducing = position * sign < 0 && same_side + remaining <= position.abs();

    // 1. Trading state.
    match input.state {
        TradingState::Halted => return Some(C::TradingHalted),
        TradingState::Reducing if quantity_grows && !reducing => {
            return Some(C::TradingStateReducing);
        }
        _ => {}
    }
    // 2. Instrument rules.
    let prices = [input.kind.limit_price(), input.kind.stop_price()];
    if !i.allows_non_positive_prices && prices.iter().flatten().any(|p| p.raw() <= 0) {
        return Some(C::PriceNotPositive);
    }
    if prices
        .iter()
        .flatten()
        .any(|p| raw_p(*p) % raw_p(i.tick_size) != 0)
    {
        return Some(C::PriceNotOnTick);
    }
    if qty == 0 {
        return Some(C::QuantityZero);
    }
    if modify.is_some() && qty <= filled {
        return Some(C::QuantityNotAboveFilled);
    }
    if qty % raw_q(i.lot_size) != 0 {
        return Some(C::QuantityNotOnLot);
    }
    if qty < raw_q(i.min_quantity) {
        return Some(C::QuantityBelowMinimum);
    }
    if i.max_quantity.is_some_and(|max| qty > raw_q(max)) {
        return Some(C::QuantityExceedsMaximum);
    }
    let price = input.kind.reference_price().or(e.last_price).map(raw_p);
    let price_before = modify
        .and_then(|old| old.kind.reference_price().or(e.last_price))
        .map(raw_p);
    if let Some(min) = i.min_notional {
        let Some(price) = price else {
            return Some(C::MissingPrice);
        };
        if (qty * price).abs() < raw_m(min) {
            return Some(C::NotionalBelowMinimum);
        }
    }
    // 3. Per-order caps.
    if l.max_order_quantity
        .is_some_and(|max| qty > raw_q(max) && quantity_grows)
    {
        return Some(C::QuantityExceedsMaxPerOrder);
    }
    if let Some(max) = l.max_order_notional {
        let Some(price) = price else {
            return Some(C::MissingPrice);
        };
        let after = (qty * price).abs();
        let before = match (modify, price_before) {
            (Some(old), Some(p)) => (raw_q(old.quantity) * p).abs(),
            _ => 0,
        };
        if after > raw_m(max) && (modify.is_none() || after > before) {
            return Some(C::NotionalExceedsMaxPerOrder);
        }
    }
    // 4. Expiry.
    if let TimeInForce::GoodTillDate(expire) = input.time_in_force
        && expire <= NOW
    {
        return Some(C::ExpireTimeInPast);
    }
    // 5. Band, on prices that are new.
    if let Some(bps) = l.price_band_bps {
        let old = modify.map(|old| [old.kind.limit_price(), old.kind.stop_price()]);
        for (slot, p) in prices.iter().enumerate() {
            let Some(p) = p else { continue };
            if old.is_some_and(|old| old[slot] == Some(*p)) {
                continue;
            }
            let Some(last) = e.last_price else {
                return Some(C::NoMarketPrice);
            };
            if (raw_p(*p) - raw_p(last)).abs() * 10_000 > i128::from(bps) * raw_p(last).abs() {
                return Some(C::PriceOutsideBand);
            }
        }
    }
    // 6. Position limits, worst case on the order's side.
    let worst = |position: i128, working: i128, order: i128| position + sign * (working + order);
    let instrument_limit = l
        .position_limits
        .get(&i.id)
        .copied()
        .or(l.default_position_limit);
    if let Some(max) = instrument_limit {
        let after = worst(position, same_side, remaining);
        if after.abs() > raw_q(max) && after * sign > 0 && remaining > remaining_before {
            return Some(C::PositionExceedsInstrumentLimit);
        }
    }
    if let Some(max) = l.max_strategy_position {
        let after = worst(
            i128::from(e.strategy_position.raw()),
            strategy_same_side,
            remaining,
        );
        if after.abs() > raw_q(max) && after * sign > 0 && remaining > remaining_before {
            return Some(C::PositionExceedsStrategyLimit);
        }
    }
    if reducing {
        return None;
    }
    // 7. Exposure, for orders that are not reducing.
    let notional_before = price_before.map_or(0, |p| sign * remaining_before * p);
    if let Some(max) = l.max_gross_exposure {
        let Some(price) = price else {
            return Some(C::MissingPrice);
        };
        let after = (remaining * price).abs();
        if after > notional_before.abs() && raw_m(e.gross_exposure) + after > raw_m(max) {
            return Some(C::GrossExposureExceedsLimit);
        }
    }
    if let Some(max) = l.max_net_exposure {
        let Some(price) = price else {
            return Some(C::MissingPrice);
        };
        let after = raw_m(e.net_exposure) + sign * remaining * price;
        let before = raw_m(e.net_exposure) + notional_before;
        if after.abs() > raw_m(max) && after.abs() > before.abs() {
            return Some(C::NetExposureExceedsLimit);
        }
    }
    // 8. Loss caps, for orders that grow.
    if quantity_grows {
        if l.daily_loss_limit
            .is_some_and(|limit| raw_m(e.daily_pnl) <= -raw_m(limit))
        {
            return Some(C::DailyLossLimitReached);
        }
        if l.max_drawdown
            .is_some_and(|max| raw_m(e.drawdown) >= raw_m(max))
        {
            return Some(C::DrawdownLimitReached);
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn the_gate_denies_with_the_first_failing_rule_or_passes(input in small_input()) {
        let expected = oracle(&input);
        prop_assert_eq!(input.run().err(), expected, "{:#?}", input);
    }
}

#[test]
fn the_generator_reaches_every_rule_and_passes() {
    let mut runner = TestRunner::deterministic();
    let strategy = small_input();
    let mut seen: BTreeMap<Option<DenyCode>, usize> = BTreeMap::new();
    for _ in 0..8_000 {
        let input = strategy.new_tree(&mut runner).unwrap().current();
        *seen.entry(input.run().err()).or_default() += 1;
    }
    let rules = [
        DenyCode::TradingHalted,
        DenyCode::TradingStateReducing,
        DenyCode::PriceNotPositive,
        DenyCode::PriceNotOnTick,
        DenyCode::QuantityZero,
        DenyCode::QuantityNotAboveFilled,
        DenyCode::QuantityNotOnLot,
        DenyCode::QuantityBelowMinimum,
        DenyCode::QuantityExceedsMaximum,
        DenyCode::MissingPrice,
        DenyCode::NotionalBelowMinimum,
        DenyCode::QuantityExceedsMaxPerOrder,
        DenyCode::NotionalExceedsMaxPerOrder,
        DenyCode::ExpireTimeInPast,
        DenyCode::NoMarketPrice,
        DenyCode::PriceOutsideBand,
        DenyCode::PositionExceedsInstrumentLimit,
        DenyCode::PositionExceedsStrategyLimit,
        DenyCode::GrossExposureExceedsLimit,
        DenyCode::NetExposureExceedsLimit,
        DenyCode::DailyLossLimitReached,
        DenyCode::DrawdownLimitReached,
    ];
    for code in rules {
        assert!(
            seen.contains_key(&Some(code)),
            "{code} never reached: {seen:?}"
        );
    }
    assert!(seen.get(&None).copied().unwrap_or(0) > 100, "{seen:?}");
}

// ---- full range: never panics ----------------------------------------------

fn any_money() -> impl Strategy<Value = Money> {
    prop_oneof![
        Just(Money::from_raw(i128::MIN)),
        Just(Money::from_raw(i128::MAX)),
        Just(Money::ZERO),
        any::<i128>().prop_map(Money::from_raw),
    ]
}

fn any_raw() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(0),
        Just(1),
        any::<i64>()
    ]
}

fn any_quantity() -> impl Strategy<Value = Quantity> {
    prop_oneof![Just(i64::MAX), Just(0), Just(1), 0..=i64::MAX].prop_map(q)
}

fn any_input() -> impl Strategy<Value = Input> {
    use proptest::option::of;
    (
        (
            any_raw(),
            any_quantity(),
            any_quantity(),
            of(any_quantity()),
            of(any_money()),
            any::<bool>(),
        ),
        (
            (
                of(any_quantity()),
                of(any_money()),
                of(any_quantity()),
                of(any_quantity()),
            ),
            (
                of(any_money()),
                of(any_money()),
                of(any_money()),
                of(any_money()),
            ),
            of(any::<u32>()),
        ),
        (
            0u8..3,
            any::<bool>(),
            (0u8..4, any_raw(), any_raw()),
            any_quantity(),
            any::<u64>(),
        ),
        (
            (
                any_raw(),
                any_raw(),
                any_quantity(),
                any_quantity(),
                any_quantity(),
                any_quantity(),
            ),
            (
                of(any_raw()),
                any_money(),
                any_money(),
                any_money(),
                any_money(),
            ),
        ),
        of((
            any_quantity(),
            any_quantity(),
            (0u8..4, any_raw(), any_raw()),
        )),
    )
        .prop_map(|(inst, lim, order, exp, old)| {
            let (tick, lot, min, max, min_notional, negative) = inst;
            let ((max_qty, max_notional, default_position, strategy_position), money, band) = lim;
            let (gross, net, loss, drawdown) = money;
            let (state, buy, (variant, a, b), quantity, expire) = order;
            let ((position, strategy, buys, sells, strategy_buys, strategy_sells), rest) = exp;
            let (last, gross_exposure, net_exposure, pnl, dd) = rest;
            Input {
                instrument: Instrument {
                    id: id("X"),
                    venue_symbol: VenueSymbol::new("1").unwrap(),
                    tick_size: Price::from_raw(tick),
                    lot_size: lot,
                    min_quantity: min,
                    max_quantity: max,
                    min_notional,
                    price_digits: 9,
                    allows_non_positive_prices: negative,
                },
                limits: RiskLimits {
                    max_order_quantity: max_qty,
                    max_order_notional: max_notional,
                    default_position_limit: default_position,
                    position_limits: BTreeMap::new(),
                    max_strategy_position: strategy_position,
                    max_gross_exposure: gross,
                    max_net_exposure: net,
                    daily_loss_limit: loss,
                    max_drawdown: drawdown,
                    submit_rate: None,
                    modify_rate: None,
                    price_band_bps: band,
                },
                state: [
                    TradingState::Active,
                    TradingState::Reducing,
                    TradingState::Halted,
                ][usize::from(state)],
                side: if buy { Side::Buy } else { Side::Sell },
                kind: kind(variant, a, b),
                quantity,
                time_in_force: TimeInForce::GoodTillDate(Timestamp::from_unix_nanos(expire)),
                exposure: ExposureView {
                    instrument_position: NetQuantity::from_raw(position),
                    strategy_position: NetQuantity::from_raw(strategy),
                    instrument_open_buys: buys,
                    instrument_open_sells: sells,
                    strategy_open_buys: strategy_buys,
                    strategy_open_sells: strategy_sells,
                    last_price: last.map(Price::from_raw),
                    gross_exposure,
                    net_exposure,
                    daily_pnl: pnl,
                    drawdown: dd,
                },
                existing: old.map(|(quantity, filled, (variant, a, b))| ExistingOrder {
                    quantity,
                    filled,
                    kind: kind(variant, a, b),
                }),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_gate_never_panics_on_any_values(input in any_input()) {
        // Pass or deny, but return: a panic fails the test. A denial's
        // text always starts with its code.
        let terms = OrderTerms {
            instrument: &input.instrument,
            side: input.side,
            kind: input.kind,
            quantity: input.quantity,
            time_in_force: input.time_in_force,
        };
        let result = match &input.existing {
            None => check_submit(&input.limits, input.state, &terms, &input.exposure, NOW),
            Some(old) => check_modify(&input.limits, input.state, old, &terms, &input.exposure, NOW),
        };
        if let Err(denial) = result {
            prop_assert!(denial.to_string().starts_with(denial.code.as_str()));
        }
    }
}

// ---- rate limiter against a naive model --------------------------------------

proptest! {
    #[test]
    fn the_rate_limiter_matches_a_naive_sliding_window(
        max in 1u32..6,
        per in 1u64..50,
        steps in proptest::collection::vec(0u64..20, 1..200),
    ) {
        let mut limiter = RateLimiter::new(RateLimit { max, per_nanos: per });
        let mut granted: Vec<u64> = Vec::new();
        let mut now = 0u64;
        for step in steps {
            now += step;
            let in_window = granted.iter().filter(|&&t| now - t < per).count();
            let capacity = usize::try_from(max).unwrap();
            prop_assert_eq!(
                usize::try_from(limiter.remaining(Timestamp::from_unix_nanos(now))).unwrap(),
                capacity - in_window
            );
            let expected = in_window < capacity;
            prop_assert_eq!(limiter.try_acquire(Timestamp::from_unix_nanos(now)), expected);
            if expected {
                granted.push(now);
            }
            // At most `max` grants in any window of `per` ending now.
            prop_assert!(granted.iter().filter(|&&t| now - t < per).count() <= capacity);
        }
    }
}
