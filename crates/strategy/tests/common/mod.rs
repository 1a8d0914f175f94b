//! Builders shared by the integration tests: instruments, feature vectors
//! and a scripted market.

#![allow(dead_code, reason = "each test file uses a different subset")]

use model::{
    Instrument, InstrumentId, InstrumentMap, InstrumentTable, IntentId, NetQuantity, OrderKind,
    Price, Quantity, RunId, Side, StrategyId, Timestamp, VenueSymbol,
};
use sensory::{
    CrossVenueFeatures, FEATURE_VERSION, InstrumentFeatures, Level, WhatFeatures, WhenFeatures,
};
use strategy::{Action, Inventory, MarketView, ParamsFile, StrategyHost, WorkingOrder};

pub(crate) const SPOT: &str = "BTC-USD";
pub(crate) const YES: &str = "BTC-100K-YES";
pub(crate) const NO: &str = "BTC-100K-NO";

pub(crate) fn id(text: &str) -> InstrumentId {
    InstrumentId::new(text).unwrap()
}

pub(crate) fn px(text: &str) -> Price {
    text.parse().unwrap()
}

pub(crate) fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

pub(crate) fn net(text: &str) -> NetQuantity {
    text.parse().unwrap()
}

pub(crate) fn ms(millis: u64) -> Timestamp {
    Timestamp::from_unix_nanos(1_700_000_000_000_000_000 + millis * 1_000_000)
}

pub(crate) fn strategy_id(text: &str) -> StrategyId {
    StrategyId::new(text).unwrap()
}

/// BTC-USD (tick 0.01, lot 0.0001) and the YES/NO tokens (tick 0.01, lot 1).
pub(crate) fn instruments() -> InstrumentTable {
    let mut table = InstrumentTable::new();
    let spec = |name: &str, symbol: &str, tick: &str, lot: &str, digits: u8| Instrument {
        id: id(name),
        venue_symbol: VenueSymbol::new(symbol).unwrap(),
        tick_size: px(tick),
        lot_size: qty(lot),
        min_quantity: qty(lot),
        max_quantity: None,
        min_notional: None,
        price_digits: digits,
        allows_non_positive_prices: false,
    };
    table
        .insert(spec(SPOT, "BTC-USD", "0.01", "0.0001", 2))
        .unwrap();
    table.insert(spec(YES, "0xyes", "0.01", "1", 2)).unwrap();
    table.insert(spec(NO, "0xno", "0.01", "1", 2)).unwrap();
    table
}

/// A valid two-sided vector whose book changed at `at`.
pub(crate) fn book(
    instrument: &str,
    at: Timestamp,
    bid: (&str, &str),
    ask: (&str, &str),
) -> InstrumentFeatures {
    InstrumentFeatures {
        instrument: id(instrument),
        version: FEATURE_VERSION,
        updated: at,
        last_book_update: Some(at),
        last_book_exchange_time: Some(at),
        last_trade: None,
        events: 1,
        what: WhatFeatures {
            best_bid: Some(Level {
                price: px(bid.0),
                size: qty(bid.1),
            }),
            best_ask: Some(Level {
                price: px(ask.0),
                size: qty(ask.1),
            }),
            ..WhatFeatures::default()
        },
        when: WhenFeatures::default(),
        how: Default::default(),
        why: Default::default(),
        anomaly: Default::default(),
        invalid: None,
    }
}

pub(crate) fn cross(
    delta: Option<f64>,
    spot_time: Timestamp,
    pm_time: Timestamp,
) -> CrossVenueFeatures {
    CrossVenueFeatures {
        spot: id(SPOT),
        prediction: id(YES),
        spot_anchor: Some(97_000.0),
        prediction_anchor: Some(0.55),
        delta_spd: delta,
        spot_time: Some(spot_time),
        prediction_time: Some(pm_time),
    }
}

/// A market whose spot, YES and NO books all changed at `at`, with ΔSPD.
pub(crate) fn fresh_market(at: Timestamp, delta: f64) -> MarketView {
    let mut market = MarketView::default();
    market
        .instruments
        .insert(id(SPOT), book(SPOT, at, ("97000", "1"), ("97000.5", "1")));
    market
        .instruments
        .insert(id(YES), book(YES, at, ("0.55", "200"), ("0.56", "300")));
    market
        .instruments
        .insert(id(NO), book(NO, at, ("0.43", "200"), ("0.44", "300")));
    market.cross.insert(id(YES), cross(Some(delta), at, at));
    market
}

/// The gate table every host test shares.
pub(crate) const GATE: &str = r#"
[gate]
spot = "BTC-USD"
targets = ["BTC-100K-YES"]
cross_venue = ["BTC-100K-YES"]
spot_ttl_ms = 1000
book_ttl_ms = 5000
max_skew_ms = 2000
warmup_ms = 0
"#;

pub(crate) const DELTA_SPD: &str = r#"
[[strategy]]
name = "dspd"
kind = "delta_spd"
rate_limit_actions = 10
rate_limit_window_ms = 1000
instruments = ["BTC-100K-YES"]
threshold = 0.01
hysteresis = 0.002
order_size = "100"
max_position = "250"
"#;

pub(crate) fn host(text: &str) -> StrategyHost {
    let params = ParamsFile::parse(text, "test.toml").unwrap();
    StrategyHost::new(RunId::new("run-1").unwrap(), params, instruments()).unwrap()
}

pub(crate) fn no_inventory() -> InstrumentMap<Inventory> {
    InstrumentMap::new()
}

pub(crate) fn inventory(entries: &[(&str, Inventory)]) -> InstrumentMap<Inventory> {
    entries.iter().map(|(name, inv)| (id(name), *inv)).collect()
}

pub(crate) fn holding(position: &str, average_cost: Option<&str>) -> Inventory {
    Inventory {
        position: net(position),
        pending_buys: Quantity::ZERO,
        pending_sells: Quantity::ZERO,
        average_cost: average_cost.map(px),
    }
}

pub(crate) fn working(
    strategy: &str,
    intent: u128,
    instrument: &str,
    side: Side,
    price: &str,
    size: &str,
) -> WorkingOrder {
    WorkingOrder {
        strategy: strategy_id(strategy),
        intent_id: IntentId::from_u128(intent),
        instrument: id(instrument),
        side,
        kind: OrderKind::Limit { price: px(price) },
        quantity: qty(size),
        in_flight: false,
    }
}

/// (side, instrument, limit price, size) of every submit.
pub(crate) fn submits(actions: &[Action]) -> Vec<(Side, String, Price, Quantity)> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Submit(intent) => Some((
                intent.side,
                intent.instrument.to_string(),
                intent.kind.limit_price().unwrap(),
                intent.size,
            )),
            _ => None,
        })
        .collect()
}
