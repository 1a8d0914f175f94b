//! The risk gate rule by rule: each deny code produced by a case with its
//! exact text, and the boundary value beside it passing; the trading
//! states; modifications (only increases are denied); and overflow safety.
//!
//! Every case starts from [`Scenario::base`]: a 10 000 EURUSD buy at 1.1
//! with *every* limit enabled, which passes; a case changes one thing.

#![allow(clippy::unwrap_used, reason = "test code")]

use model::{
    Instrument, InstrumentId, Money, NetQuantity, OrderKind, Price, Quantity, Side, TimeInForce,
    Timestamp, VenueSymbol,
};
use oms::risk::{
    DenyCode, ExistingOrder, ExposureView, OrderTerms, RateLimit, RiskLimits, TradingState,
    check_modify, check_submit,
};

/// 2026-11-21T06:29:14Z.
const NOW: Timestamp = Timestamp::from_unix_nanos(1_795_242_554_000_000_000);
const NOW_TEXT: &str = "2026-11-21T06:29:14.000000000Z";

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

fn limit(price: &str) -> OrderKind {
    OrderKind::Limit { price: px(price) }
}

#[derive(Clone, Debug)]
struct Scenario {
    instrument: Instrument,
    limits: RiskLimits,
    state: TradingState,
    side: Side,
    kind: OrderKind,
    quantity: Quantity,
    time_in_force: TimeInForce,
    exposure: ExposureView,
    now: Timestamp,
}

impl Scenario {
    /// A buy of 10 000 EURUSD at 1.1 (notional 11 000), GTD in an hour,
    /// last price 1.1, flat, every limit set well clear of it.
    fn base() -> Self {
        let instrument = Instrument {
            id: InstrumentId::new("EURUSD").unwrap(),
            venue_symbol: VenueSymbol::new("1").unwrap(),
            tick_size: px("0.00001"),
            lot_size: qty("1000"),
            min_quantity: qty("1000"),
            max_quantity: Some(qty("10000000")),
            min_notional: Some(money("1000")),
            price_digits: 5,
            allows_non_positive_prices: false,
        };
        instrument.validate().unwrap();
        let limits = RiskLimits {
            max_order_quantity: Some(qty("1000000")),
            max_order_notional: Some(money("1000000")),
            default_position_limit: Some(qty("1000000")),
            position_limits: Default::default(),
            max_strategy_position: Some(qty("1000000")),
            max_gross_exposure: Some(money("10000000")),
            max_net_exposure: Some(money("10000000")),
            daily_loss_limit: Some(money("10000")),
            max_drawdown: Some(money("10000")),
            submit_rate: Some(RateLimit::per_second(100)),
            modify_rate: Some(RateLimit::per_second(100)),
            price_band_bps: Some(500),
        };
        limits.validate().unwrap();
        Self {
            instrument,
            limits,
            state: TradingState::Active,
            side: Side::Buy,
            kind: limit("1.1"),
            quantity: qty("10000"),
            time_in_force: TimeInForce::GoodTillDate(
                NOW.checked_add_nanos(3_600_000_000_000).unwrap(),
            ),
            exposure: ExposureView {
                last_price: Some(px("1.1")),
                ..ExposureView::default()
            },
            now: NOW,
        }
    }

    fn terms(&self) -> OrderTerms<'_> {
        OrderTerms {
            instrument: &self.instrument,
            side: self.side,
            kind: self.kind,
            quantity: self.quantity,
            time_in_force: self.time_in_force,
        }
    }

    fn submit(&self) -> Result<(), String> {
        check_submit(
            &self.limits,
            self.state,
            &self.terms(),
            &self.exposure,
            self.now,
        )
        .map_err(|denial| denial.to_string())
    }

    fn modify(&self, existing: ExistingOrder) -> Result<(), String> {
        check_modify(
            &self.limits,
            self.state,
            &existing,
            &self.terms(),
            &self.exposure,
            self.now,
        )
        .map_err(|denial| denial.to_string())
    }
}

/// One rule: a change that breaks it, the exact denial, and a change at
/// the boundary that passes.
struct Case {
    name: &'static str,
    deny: fn(&mut Scenario),
    expect: &'static str,
    pass: fn(&mut Scenario),
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "halted",
            deny: |s| s.state = TradingState::Halted,
            expect: "TRADING_HALTED",
            pass: |s| s.state = TradingState::Active,
        },
        Case {
            name: "reducing, flat",
            deny: |s| s.state = TradingState::Reducing,
            expect: "TRADING_STATE_REDUCING: side=BUY, position=0, working=0, order=10000",
            pass: |s| {
                s.state = TradingState::Reducing;
                s.exposure.instrument_position = net("-10000");
            },
        },
        Case {
            name: "reducing, working buys make it cross zero",
            deny: |s| {
                s.state = TradingState::Reducing;
                s.exposure.instrument_position = net("-10000");
                s.exposure.instrument_open_buys = qty("1000");
            },
            expect: "TRADING_STATE_REDUCING: side=BUY, position=-10000, working=1000, order=10000",
            pass: |s| {
                s.state = TradingState::Reducing;
                s.exposure.instrument_position = net("-11000");
                s.exposure.instrument_open_buys = qty("1000");
            },
        },
        Case {
            name: "limit price zero",
            deny: |s| s.kind = limit("0"),
            expect: "PRICE_NOT_POSITIVE: price=0",
            pass: |s| {
                s.kind = limit("0.00001");
                s.instrument.min_notional = None;
                s.limits.price_band_bps = None;
            },
        },
        Case {
            name: "stop price negative",
            deny: |s| {
                s.kind = OrderKind::Stop {
                    stop: px("-0.00001"),
                }
            },
            expect: "PRICE_NOT_POSITIVE: stop=-0.00001",
            pass: |s| {
                s.kind = OrderKind::Stop {
                    stop: px("-0.00001"),
                };
                s.instrument.allows_non_positive_prices = true;
                s.instrument.min_notional = None;
                s.limits.price_band_bps = None;
            },
        },
        Case {
            name: "limit price off tick",
            deny: |s| s.kind = limit("1.100005"),
            expect: "PRICE_NOT_ON_TICK: price=1.100005, tick=0.00001",
            pass: |s| s.kind = limit("1.10001"),
        },
        Case {
            name: "stop price off tick",
            deny: |s| {
                s.kind = OrderKind::StopLimit {
                    stop: px("1.100005"),
                    price: px("1.1"),
                }
            },
            expect: "PRICE_NOT_ON_TICK: stop=1.100005, tick=0.00001",
            pass: |s| {
                s.kind = OrderKind::StopLimit {
                    stop: px("1.10001"),
                    price: px("1.1"),
                }
            },
        },
        Case {
            name: "quantity zero",
            deny: |s| s.quantity = Quantity::ZERO,
            expect: "QUANTITY_ZERO",
            pass: |s| s.quantity = qty("1000"),
        },
        Case {
            name: "quantity off lot",
            deny: |s| s.quantity = qty("10500"),
            expect: "QUANTITY_NOT_ON_LOT: lot=1000, got=10500",
            pass: |s| s.quantity = qty("11000"),
        },
        Case {
            name: "quantity below the instrument minimum",
            deny: |s| s.instrument.min_quantity = qty("11000"),
            expect: "QUANTITY_BELOW_MINIMUM: min=11000, got=10000",
            pass: |s| s.instrument.min_quantity = qty("10000"),
        },
        Case {
            name: "quantity above the instrument maximum",
            deny: |s| s.instrument.max_quantity = Some(qty("9000")),
            expect: "QUANTITY_EXCEEDS_MAXIMUM: max=9000, got=10000",
            pass: |s| s.instrument.max_quantity = Some(qty("10000")),
        },
        Case {
            name: "market order, no last price, minimum notional",
            deny: |s| {
                s.kind = OrderKind::Market;
                s.exposure.last_price = None;
            },
            expect: "MISSING_PRICE: kind=MARKET, needed_by=min_notional",
            pass: |s| {
                // Nothing needs a notional: a market order without a last
                // price passes.
                s.kind = OrderKind::Market;
                s.exposure.last_price = None;
                s.instrument.min_notional = None;
                s.limits.max_order_notional = None;
                s.limits.max_gross_exposure = None;
                s.limits.max_net_exposure = None;
            },
        },
        Case {
            name: "market order, no last price, per-order notional cap",
            deny: |s| {
                s.kind = OrderKind::Market;
                s.exposure.last_price = None;
                s.instrument.min_notional = None;
            },
            expect: "MISSING_PRICE: kind=MARKET, needed_by=max_order_notional",
            pass: |s| {
                s.kind = OrderKind::Market;
                s.instrument.min_notional = None;
            },
        },
        Case {
            name: "market order, no last price, gross exposure cap",
            deny: |s| {
                s.kind = OrderKind::Market;
                s.exposure.last_price = None;
                s.instrument.min_notional = None;
                s.limits.max_order_notional = None;
            },
            expect: "MISSING_PRICE: kind=MARKET, needed_by=max_gross_exposure",
            pass: |s| {
                s.kind = OrderKind::Market;
                s.instrument.min_notional = None;
                s.limits.max_order_notional = None;
            },
        },
        Case {
            name: "market order, no last price, net exposure cap",
            deny: |s| {
                s.kind = OrderKind::Market;
                s.exposure.last_price = None;
                s.instrument.min_notional = None;
                s.limits.max_order_notional = None;
                s.limits.max_gross_exposure = None;
            },
            expect: "MISSING_PRICE: kind=MARKET, needed_by=max_net_exposure",
            pass: |s| {
                s.kind = OrderKind::Market;
                s.instrument.min_notional = None;
                s.limits.max_order_notional = None;
                s.limits.max_gross_exposure = None;
            },
        },
        Case {
            name: "notional below the instrument minimum",
            deny: |s| s.instrument.min_notional = Some(money("11000.00001")),
            expect: "NOTIONAL_BELOW_MINIMUM: min=11000.00001, got=11000",
            pass: |s| s.instrument.min_notional = Some(money("11000")),
        },
        Case {
            name: "quantity above the per-order cap",
            deny: |s| s.limits.max_order_quantity = Some(qty("9999")),
            expect: "QUANTITY_EXCEEDS_MAX_PER_ORDER: max=9999, got=10000",
            pass: |s| s.limits.max_order_quantity = Some(qty("10000")),
        },
        Case {
            name: "notional above the per-order cap",
            deny: |s| {
                s.kind = limit("1.1091");
                s.quantity = qty("55000");
                s.limits.max_order_notional = Some(money("50000"));
            },
            expect: "NOTIONAL_EXCEEDS_MAX_PER_ORDER: max=50000, got=61000.5",
            pass: |s| {
                s.kind = limit("1.1091");
                s.quantity = qty("55000");
                s.limits.max_order_notional = Some(money("61000.5"));
            },
        },
        Case {
            name: "market order valued at the last price",
            deny: |s| {
                s.kind = OrderKind::Market;
                s.exposure.last_price = Some(px("1.2"));
                s.limits.max_order_notional = Some(money("11999"));
            },
            expect: "NOTIONAL_EXCEEDS_MAX_PER_ORDER: max=11999, got=12000",
            pass: |s| {
                s.kind = OrderKind::Market;
                s.exposure.last_price = Some(px("1.2"));
                s.limits.max_order_notional = Some(money("12000"));
            },
        },
        Case {
            name: "GTD expiring now",
            deny: |s| s.time_in_force = TimeInForce::GoodTillDate(NOW),
            expect: "EXPIRE_TIME_IN_PAST: expire=2026-11-21T06:29:14.000000000Z, now=2026-11-21T06:29:14.000000000Z",
            pass: |s| {
                s.time_in_force = TimeInForce::GoodTillDate(NOW.checked_add_nanos(1).unwrap());
            },
        },
        Case {
            name: "band without a last price",
            deny: |s| s.exposure.last_price = None,
            expect: "NO_MARKET_PRICE: price=1.1, band_bps=500",
            pass: |s| {
                s.exposure.last_price = None;
                s.limits.price_band_bps = None;
            },
        },
        Case {
            name: "limit price above the band",
            deny: |s| {
                s.limits.price_band_bps = Some(100);
                s.kind = limit("1.11101");
            },
            expect: "PRICE_OUTSIDE_BAND: price=1.11101, last=1.1, band_bps=100",
            pass: |s| {
                s.limits.price_band_bps = Some(100);
                s.kind = limit("1.111");
            },
        },
        Case {
            name: "limit price below the band",
            deny: |s| {
                s.limits.price_band_bps = Some(100);
                s.side = Side::Sell;
                s.kind = limit("1.08899");
            },
            expect: "PRICE_OUTSIDE_BAND: price=1.08899, last=1.1, band_bps=100",
            pass: |s| {
                s.limits.price_band_bps = Some(100);
                s.side = Side::Sell;
                s.kind = limit("1.089");
            },
        },
        Case {
            name: "stop price outside the band",
            deny: |s| {
                s.limits.price_band_bps = Some(100);
                s.kind = OrderKind::Stop {
                    stop: px("1.11101"),
                };
            },
            expect: "PRICE_OUTSIDE_BAND: stop=1.11101, last=1.1, band_bps=100",
            pass: |s| {
                s.limits.price_band_bps = Some(100);
                s.kind = OrderKind::Stop { stop: px("1.111") };
            },
        },
        Case {
            name: "instrument position limit, long side",
            deny: |s| {
                s.exposure.instrument_position = net("5000");
                s.exposure.instrument_open_buys = qty("3000");
                s.limits
                    .position_limits
                    .insert(s.instrument.id, qty("17000"));
            },
            expect: "POSITION_EXCEEDS_INSTRUMENT_LIMIT: max=17000, got=18000",
            pass: |s| {
                s.exposure.instrument_position = net("5000");
                s.exposure.instrument_open_buys = qty("3000");
                s.limits
                    .position_limits
                    .insert(s.instrument.id, qty("18000"));
            },
        },
        Case {
            name: "instrument position limit, short side, default limit",
            deny: |s| {
                s.side = Side::Sell;
                s.exposure.instrument_position = net("-5000");
                s.exposure.instrument_open_sells = qty("3000");
                s.limits.default_position_limit = Some(qty("17000"));
            },
            expect: "POSITION_EXCEEDS_INSTRUMENT_LIMIT: max=17000, got=-18000",
            pass: |s| {
                s.side = Side::Sell;
                s.exposure.instrument_position = net("-5000");
                s.exposure.instrument_open_sells = qty("3000");
                s.limits.default_position_limit = Some(qty("18000"));
            },
        },
        Case {
            name: "strategy position limit",
            deny: |s| {
                s.exposure.strategy_position = net("2000");
                s.exposure.strategy_open_buys = qty("1000");
                s.limits.max_strategy_position = Some(qty("12999"));
            },
            expect: "POSITION_EXCEEDS_STRATEGY_LIMIT: max=12999, got=13000",
            pass: |s| {
                s.exposure.strategy_position = net("2000");
                s.exposure.strategy_open_buys = qty("1000");
                s.limits.max_strategy_position = Some(qty("13000"));
            },
        },
        Case {
            name: "gross exposure",
            deny: |s| {
                s.exposure.gross_exposure = money("89000");
                s.limits.max_gross_exposure = Some(money("99999.99"));
            },
            expect: "GROSS_EXPOSURE_EXCEEDS_LIMIT: max=99999.99, got=100000",
            pass: |s| {
                s.exposure.gross_exposure = money("89000");
                s.limits.max_gross_exposure = Some(money("100000"));
            },
        },
        Case {
            name: "net exposure, long",
            deny: |s| {
                s.exposure.net_exposure = money("89000");
                s.limits.max_net_exposure = Some(money("99999.99"));
            },
            expect: "NET_EXPOSURE_EXCEEDS_LIMIT: max=99999.99, got=100000",
            pass: |s| {
                s.exposure.net_exposure = money("89000");
                s.limits.max_net_exposure = Some(money("100000"));
            },
        },
        Case {
            name: "net exposure, short",
            deny: |s| {
                s.side = Side::Sell;
                s.exposure.net_exposure = money("-89000");
                s.limits.max_net_exposure = Some(money("99999.99"));
            },
            expect: "NET_EXPOSURE_EXCEEDS_LIMIT: max=99999.99, got=-100000",
            pass: |s| {
                // A buy moves a net short beyond the cap towards zero.
                s.exposure.net_exposure = money("-200000");
                s.limits.max_net_exposure = Some(money("99999.99"));
            },
        },
        Case {
            name: "daily loss",
            deny: |s| {
                s.limits.daily_loss_limit = Some(money("1000"));
                s.exposure.daily_pnl = money("-1000");
            },
            expect: "DAILY_LOSS_LIMIT_REACHED: limit=1000, daily_pnl=-1000",
            pass: |s| {
                s.limits.daily_loss_limit = Some(money("1000"));
                s.exposure.daily_pnl = money("-999.99");
            },
        },
        Case {
            name: "drawdown",
            deny: |s| {
                s.limits.max_drawdown = Some(money("500"));
                s.exposure.drawdown = money("500");
            },
            expect: "DRAWDOWN_LIMIT_REACHED: max=500, drawdown=500",
            pass: |s| {
                s.limits.max_drawdown = Some(money("500"));
                s.exposure.drawdown = money("499.99");
            },
        },
    ]
}

#[test]
fn the_base_scenario_passes_with_every_limit_enabled() {
    assert_eq!(Scenario::base().submit(), Ok(()));
}

#[test]
fn each_rule_denies_with_its_exact_text_and_passes_at_its_boundary() {
    for case in cases() {
        let mut deny = Scenario::base();
        (case.deny)(&mut deny);
        assert_eq!(deny.submit(), Err(case.expect.to_owned()), "{}", case.name);
        let mut pass = Scenario::base();
        (case.pass)(&mut pass);
        assert_eq!(pass.submit(), Ok(()), "{} (boundary)", case.name);
    }
}

#[test]
fn the_table_covers_every_rule_of_check_submit() {
    let engine_only = [
        DenyCode::InstrumentNotFound,
        DenyCode::DuplicateIntent,
        DenyCode::Reconciling,
        DenyCode::KillSwitchEngaged,
        DenyCode::OrderNotFound,
        DenyCode::OrderNotModifiable,
        DenyCode::SubmitRateExceeded,
        DenyCode::ModifyRateExceeded,
        // Modify only: see the modify tests.
        DenyCode::QuantityNotAboveFilled,
    ];
    let covered: Vec<&str> = cases()
        .iter()
        .map(|case| case.expect.split(':').next().unwrap())
        .collect();
    for code in DenyCode::ALL {
        if !engine_only.contains(code) {
            assert!(covered.contains(&code.as_str()), "{code} has no case");
        }
    }
    assert_eq!(NOW.to_string(), NOW_TEXT);
}

#[test]
fn the_first_broken_rule_is_reported() {
    // Off tick, off lot, over every cap, expired, outside the band: the
    // price rule comes first.
    let mut s = Scenario::base();
    s.kind = limit("9.000005");
    s.quantity = qty("10000500");
    s.time_in_force = TimeInForce::GoodTillDate(NOW);
    s.exposure.gross_exposure = money("10000000");
    assert_eq!(
        s.submit(),
        Err("PRICE_NOT_ON_TICK: price=9.000005, tick=0.00001".to_owned())
    );
    s.kind = limit("9");
    assert_eq!(
        s.submit(),
        Err("QUANTITY_NOT_ON_LOT: lot=1000, got=10000500".to_owned())
    );
    s.quantity = qty("10000000");
    assert_eq!(
        s.submit(),
        Err("QUANTITY_EXCEEDS_MAX_PER_ORDER: max=1000000, got=10000000".to_owned())
    );
    s.quantity = qty("100000");
    assert_eq!(
        s.submit(),
        Err(format!(
            "EXPIRE_TIME_IN_PAST: expire={NOW_TEXT}, now={NOW_TEXT}"
        ))
    );
    s.time_in_force = TimeInForce::GoodTillCancel;
    assert_eq!(
        s.submit(),
        Err("PRICE_OUTSIDE_BAND: price=9, last=1.1, band_bps=500".to_owned())
    );
    s.kind = limit("1.1");
    assert_eq!(
        s.submit(),
        Err("GROSS_EXPOSURE_EXCEEDS_LIMIT: max=10000000, got=10110000".to_owned())
    );
}

// ---- trading states ------------------------------------------------------

#[test]
fn reducing_allows_only_orders_that_cannot_cross_or_grow_the_position() {
    let mut s = Scenario::base();
    s.state = TradingState::Reducing;
    s.side = Side::Sell;
    s.exposure.instrument_position = net("10000");
    assert_eq!(s.submit(), Ok(()), "sell the whole long");
    s.quantity = qty("11000");
    assert_eq!(
        s.submit(),
        Err("TRADING_STATE_REDUCING: side=SELL, position=10000, working=0, order=11000".to_owned())
    );
    s.exposure.instrument_open_sells = qty("5000");
    s.quantity = qty("5000");
    assert_eq!(s.submit(), Ok(()), "with 5000 already working");
    s.quantity = qty("6000");
    assert_eq!(
        s.submit(),
        Err(
            "TRADING_STATE_REDUCING: side=SELL, position=10000, working=5000, order=6000"
                .to_owned()
        )
    );
    // Adding to the long is not reducing, even a little.
    s.side = Side::Buy;
    s.quantity = qty("1000");
    s.exposure.instrument_open_sells = Quantity::ZERO;
    assert_eq!(
        s.submit(),
        Err("TRADING_STATE_REDUCING: side=BUY, position=10000, working=0, order=1000".to_owned())
    );
    // Flat, nothing reduces: the state is checked before the quantity.
    s.side = Side::Sell;
    s.quantity = Quantity::ZERO;
    s.exposure.instrument_position = NetQuantity::ZERO;
    assert_eq!(
        s.submit(),
        Err("TRADING_STATE_REDUCING: side=SELL, position=0, working=0, order=0".to_owned())
    );
}

#[test]
fn halted_denies_even_reducing_orders() {
    let mut s = Scenario::base();
    s.state = TradingState::Halted;
    s.side = Side::Sell;
    s.exposure.instrument_position = net("10000");
    assert_eq!(s.submit(), Err("TRADING_HALTED".to_owned()));
}

#[test]
fn reducing_orders_pass_exposure_loss_and_drawdown_caps() {
    let mut s = Scenario::base();
    s.exposure.instrument_position = net("10000");
    s.exposure.gross_exposure = money("20000000");
    s.exposure.net_exposure = money("20000000");
    s.exposure.daily_pnl = money("-50000");
    s.exposure.drawdown = money("50000");
    s.side = Side::Sell;
    assert_eq!(s.submit(), Ok(()), "closing the long");
    // In the REDUCING state too.
    s.state = TradingState::Reducing;
    assert_eq!(s.submit(), Ok(()));
    // A sell past flat is not reducing: the first cap it meets denies it.
    s.state = TradingState::Active;
    s.quantity = qty("11000");
    assert_eq!(
        s.submit(),
        Err("GROSS_EXPOSURE_EXCEEDS_LIMIT: max=10000000, got=20012100".to_owned())
    );
    s.exposure.gross_exposure = Money::ZERO;
    s.exposure.net_exposure = Money::ZERO;
    assert_eq!(
        s.submit(),
        Err("DAILY_LOSS_LIMIT_REACHED: limit=10000, daily_pnl=-50000".to_owned())
    );
    s.exposure.daily_pnl = Money::ZERO;
    assert_eq!(
        s.submit(),
        Err("DRAWDOWN_LIMIT_REACHED: max=10000, drawdown=50000".to_owned())
    );
    // Reducing orders still obey the instrument's rules and the band.
    s.quantity = qty("10000");
    s.kind = limit("1.5");
    assert_eq!(
        s.submit(),
        Err("PRICE_OUTSIDE_BAND: price=1.5, last=1.1, band_bps=500".to_owned())
    );
}

#[test]
fn position_limits_check_only_the_orders_direction() {
    let mut s = Scenario::base();
    s.limits.default_position_limit = Some(qty("5000"));
    s.exposure.instrument_position = net("100000");
    s.exposure.instrument_open_buys = qty("50000");
    s.side = Side::Sell;
    assert_eq!(s.submit(), Ok(()), "a sell from a long above the limit");
    s.side = Side::Buy;
    assert_eq!(
        s.submit(),
        Err("POSITION_EXCEEDS_INSTRUMENT_LIMIT: max=5000, got=160000".to_owned())
    );
    // A zero limit makes the instrument close-only.
    s.limits.default_position_limit = Some(Quantity::ZERO);
    s.exposure = ExposureView {
        last_price: Some(px("1.1")),
        ..ExposureView::default()
    };
    assert_eq!(
        s.submit(),
        Err("POSITION_EXCEEDS_INSTRUMENT_LIMIT: max=0, got=10000".to_owned())
    );
    s.exposure.instrument_position = net("-10000");
    assert_eq!(s.submit(), Ok(()));
}

// ---- modifications -------------------------------------------------------

fn existing(quantity: &str, filled: &str, kind: OrderKind) -> ExistingOrder {
    ExistingOrder {
        quantity: qty(quantity),
        filled: qty(filled),
        kind,
    }
}

#[test]
fn a_modify_must_leave_quantity_above_the_fills() {
    let mut s = Scenario::base();
    let old = existing("10000", "4000", limit("1.1"));
    s.quantity = qty("4000");
    assert_eq!(
        s.modify(old),
        Err("QUANTITY_NOT_ABOVE_FILLED: filled=4000, got=4000".to_owned())
    );
    s.quantity = qty("5000");
    assert_eq!(s.modify(old), Ok(()));
}

#[test]
fn a_modify_may_shrink_an_order_that_is_over_a_lowered_cap() {
    let mut s = Scenario::base();
    s.limits.max_order_quantity = Some(qty("5000"));
    let old = existing("10000", "0", limit("1.1"));
    s.quantity = qty("8000");
    assert_eq!(s.modify(old), Ok(()));
    assert_eq!(
        s.submit(),
        Err("QUANTITY_EXCEEDS_MAX_PER_ORDER: max=5000, got=8000".to_owned()),
        "as a new order it would be denied"
    );
    s.quantity = qty("12000");
    assert_eq!(
        s.modify(old),
        Err("QUANTITY_EXCEEDS_MAX_PER_ORDER: max=5000, got=12000".to_owned())
    );
}

#[test]
fn a_modify_is_denied_for_raising_notional_past_the_cap_not_for_lowering_it() {
    let mut s = Scenario::base();
    s.limits.max_order_notional = Some(money("10000"));
    let old = existing("10000", "0", limit("1.1"));
    s.kind = limit("1.09");
    assert_eq!(s.modify(old), Ok(()), "10 900, below the old 11 000");
    s.kind = limit("1.12");
    assert_eq!(
        s.modify(old),
        Err("NOTIONAL_EXCEEDS_MAX_PER_ORDER: max=10000, got=11200".to_owned())
    );
}

#[test]
fn a_modify_rechecks_the_band_only_for_a_changed_price() {
    let mut s = Scenario::base();
    // The market moved: 1.1 is now outside a 500 bps band around 1.3.
    s.exposure.last_price = Some(px("1.3"));
    let old = existing("10000", "0", limit("1.1"));
    s.quantity = qty("8000");
    assert_eq!(s.modify(old), Ok(()), "quantity only");
    s.kind = limit("1.15");
    assert_eq!(
        s.modify(old),
        Err("PRICE_OUTSIDE_BAND: price=1.15, last=1.3, band_bps=500".to_owned())
    );
    s.kind = limit("1.235");
    assert_eq!(s.modify(old), Ok(()), "exactly 500 bps below 1.3");
    s.exposure.last_price = None;
    s.kind = limit("1.1");
    s.instrument.min_notional = None;
    assert_eq!(s.modify(old), Ok(()), "unchanged price needs no market");
    s.kind = limit("1.2");
    assert_eq!(
        s.modify(old),
        Err("NO_MARKET_PRICE: price=1.2, band_bps=500".to_owned())
    );
}

#[test]
fn a_modify_is_denied_by_position_limits_only_when_it_grows() {
    let mut s = Scenario::base();
    s.limits.default_position_limit = Some(qty("15000"));
    s.exposure.instrument_position = net("10000");
    let old = existing("10000", "0", limit("1.1"));
    s.quantity = qty("8000");
    assert_eq!(s.modify(old), Ok(()), "worst case 18 000, down from 20 000");
    s.quantity = qty("12000");
    assert_eq!(
        s.modify(old),
        Err("POSITION_EXCEEDS_INSTRUMENT_LIMIT: max=15000, got=22000".to_owned())
    );
    // Partly filled: 6000 filled are in the position, 4000 still working.
    let old = existing("10000", "6000", limit("1.1"));
    s.exposure.instrument_position = net("6000");
    s.quantity = qty("19000");
    assert_eq!(
        s.modify(old),
        Err("POSITION_EXCEEDS_INSTRUMENT_LIMIT: max=15000, got=19000".to_owned())
    );
    s.quantity = qty("15000");
    assert_eq!(s.modify(old), Ok(()), "6000 + 9000 unfilled = the limit");
}

#[test]
fn reducing_denies_a_modify_that_grows_an_order_that_is_not_reducing() {
    let mut s = Scenario::base();
    s.state = TradingState::Reducing;
    let old = existing("10000", "0", limit("1.1"));
    s.quantity = qty("5000");
    assert_eq!(s.modify(old), Ok(()), "shrinking");
    s.quantity = qty("10000");
    s.kind = limit("1.09");
    assert_eq!(s.modify(old), Ok(()), "repricing");
    s.kind = limit("1.1");
    s.quantity = qty("11000");
    assert_eq!(
        s.modify(old),
        Err("TRADING_STATE_REDUCING: side=BUY, position=0, working=0, order=11000".to_owned())
    );
    // Short 20 000: growing the buy to 20 000 still only reduces.
    s.exposure.instrument_position = net("-20000");
    s.quantity = qty("20000");
    assert_eq!(s.modify(old), Ok(()));
    s.quantity = qty("21000");
    assert_eq!(
        s.modify(old),
        Err("TRADING_STATE_REDUCING: side=BUY, position=-20000, working=0, order=21000".to_owned())
    );
}

#[test]
fn halted_denies_every_modify() {
    let mut s = Scenario::base();
    s.state = TradingState::Halted;
    s.quantity = qty("5000");
    assert_eq!(
        s.modify(existing("10000", "0", limit("1.1"))),
        Err("TRADING_HALTED".to_owned())
    );
}

#[test]
fn loss_and_drawdown_caps_deny_a_modify_only_when_quantity_grows() {
    let mut s = Scenario::base();
    s.exposure.daily_pnl = money("-10000");
    let old = existing("10000", "0", limit("1.1"));
    s.quantity = qty("5000");
    assert_eq!(s.modify(old), Ok(()));
    s.quantity = qty("10000");
    s.kind = limit("1.11");
    assert_eq!(s.modify(old), Ok(()), "repricing at the same quantity");
    s.quantity = qty("11000");
    assert_eq!(
        s.modify(old),
        Err("DAILY_LOSS_LIMIT_REACHED: limit=10000, daily_pnl=-10000".to_owned())
    );
    s.exposure.daily_pnl = Money::ZERO;
    s.exposure.drawdown = money("10000");
    assert_eq!(
        s.modify(old),
        Err("DRAWDOWN_LIMIT_REACHED: max=10000, drawdown=10000".to_owned())
    );
    s.quantity = qty("9000");
    assert_eq!(s.modify(old), Ok(()));
}

#[test]
fn exposure_caps_deny_a_modify_only_when_its_notional_grows() {
    let mut s = Scenario::base();
    // 95 000 elsewhere plus this order's 11 000 = 106 000, at the cap.
    s.exposure.gross_exposure = money("95000");
    s.limits.max_gross_exposure = Some(money("106000"));
    let old = existing("10000", "0", limit("1.1"));
    s.kind = limit("1.12");
    assert_eq!(
        s.modify(old),
        Err("GROSS_EXPOSURE_EXCEEDS_LIMIT: max=106000, got=106200".to_owned())
    );
    s.kind = limit("1.09");
    assert_eq!(s.modify(old), Ok(()));
    // Already over (the market moved the rest): shrinking still passes.
    s.exposure.gross_exposure = money("100000");
    s.kind = limit("1.1");
    s.quantity = qty("9000");
    assert_eq!(s.modify(old), Ok(()));
    s.limits.max_gross_exposure = None;
    s.exposure.net_exposure = money("95000");
    s.limits.max_net_exposure = Some(money("106000"));
    s.quantity = qty("11000");
    assert_eq!(
        s.modify(old),
        Err("NET_EXPOSURE_EXCEEDS_LIMIT: max=106000, got=107100".to_owned())
    );
    s.quantity = qty("10000");
    assert_eq!(s.modify(old), Ok(()));
}

// ---- overflow safety -----------------------------------------------------

#[test]
fn money_sums_beyond_i128_deny_with_the_rules_code() {
    let mut s = Scenario::base();
    let max = Money::from_raw(i128::MAX);
    s.exposure.gross_exposure = Money::from_raw(i128::MAX - 1);
    s.limits.max_gross_exposure = Some(max);
    assert_eq!(
        s.submit(),
        Err(format!(
            "GROSS_EXPOSURE_EXCEEDS_LIMIT: max={max}, got=overflow"
        ))
    );
    s.exposure.gross_exposure = Money::ZERO;
    s.exposure.net_exposure = Money::from_raw(i128::MAX - 1);
    s.limits.max_net_exposure = Some(max);
    assert_eq!(
        s.submit(),
        Err(format!(
            "NET_EXPOSURE_EXCEEDS_LIMIT: max={max}, got=overflow"
        ))
    );
    // A sell from there moves net exposure towards zero.
    s.side = Side::Sell;
    assert_eq!(s.submit(), Ok(()));
}

#[test]
fn extreme_quantities_and_prices_are_computed_exactly() {
    let mut s = Scenario::base();
    s.instrument.tick_size = Price::from_raw(1);
    s.instrument.lot_size = Quantity::from_raw(1).unwrap();
    s.instrument.min_quantity = Quantity::ZERO;
    s.instrument.max_quantity = None;
    s.instrument.min_notional = None;
    s.limits = RiskLimits {
        default_position_limit: Some(Quantity::from_raw(i64::MAX).unwrap()),
        ..RiskLimits::default()
    };
    let max = Quantity::from_raw(i64::MAX).unwrap();
    s.quantity = max;
    s.kind = OrderKind::Limit {
        price: Price::from_raw(i64::MAX),
    };
    s.exposure.instrument_position = NetQuantity::from_raw(i64::MAX);
    s.exposure.instrument_open_buys = max;
    assert_eq!(
        s.submit(),
        Err(
            "POSITION_EXCEEDS_INSTRUMENT_LIMIT: max=9223372036.854775807, got=27670116110.564327421"
                .to_owned()
        )
    );
    // Short at the bottom of the range, selling more.
    s.side = Side::Sell;
    s.exposure.instrument_position = NetQuantity::from_raw(i64::MIN);
    s.exposure.instrument_open_sells = max;
    assert_eq!(
        s.submit(),
        Err(
            "POSITION_EXCEEDS_INSTRUMENT_LIMIT: max=9223372036.854775807, got=-27670116110.564327422"
                .to_owned()
        )
    );
    // The price band and notional at the extremes of the price range.
    s.limits = RiskLimits {
        price_band_bps: Some(u32::MAX),
        ..RiskLimits::default()
    };
    s.kind = OrderKind::Limit {
        price: Price::from_raw(i64::MIN + 1),
    };
    s.instrument.allows_non_positive_prices = true;
    s.exposure.last_price = Some(Price::from_raw(i64::MAX));
    assert_eq!(s.submit(), Ok(()));
    s.limits.price_band_bps = Some(1);
    assert_eq!(
        s.submit(),
        Err("PRICE_OUTSIDE_BAND: price=-9223372036.854775807, last=9223372036.854775807, band_bps=1"
            .to_owned())
    );
    s.limits.max_order_notional = Some(Money::from_raw(1));
    let notional = Price::from_raw(i64::MIN + 1).notional(max).abs();
    assert_eq!(
        s.submit(),
        Err(format!(
            "NOTIONAL_EXCEEDS_MAX_PER_ORDER: max=0.000000000000000001, got={notional}"
        ))
    );
}

#[test]
fn an_unvalidated_tick_of_minus_one_does_not_overflow() {
    // i64::MIN % −1 overflows in plain i64 arithmetic.
    let mut s = Scenario::base();
    s.instrument.tick_size = Price::from_raw(-1);
    s.instrument.allows_non_positive_prices = true;
    s.instrument.min_notional = None;
    s.limits = RiskLimits::default();
    s.kind = OrderKind::Limit {
        price: Price::from_raw(i64::MIN),
    };
    assert_eq!(s.submit(), Ok(()));
}

#[test]
fn an_unvalidated_loss_limit_at_the_bottom_of_the_range_fails_closed() {
    let mut s = Scenario::base();
    s.limits.daily_loss_limit = Some(Money::from_raw(i128::MIN));
    let err = s.submit().unwrap_err();
    assert!(err.starts_with("DAILY_LOSS_LIMIT_REACHED: "), "{err}");
}
