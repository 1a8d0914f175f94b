//! Shared builders for the simulated sink's tests.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use model::{
    BookEntry, BookSnapshot, CancelOrder, ExecutionReport, ExecutionSink, Instrument, InstrumentId,
    InstrumentTable, MarketHeader, NewOrder, OrderKind, Price, Quantity, ReplaceOrder, Side,
    TimeInForce, Timestamp, Trade, VenueCommand, VenueEvent,
};
use sensory::book::OrderBook;
use venue::{FailureModel, LatencyModel, SimulatedSink, SimulatedSinkConfig};

/// The test latency: a fixed 100 ms.
pub(crate) const LATENCY: u64 = 100_000_000;

pub(crate) fn px(text: &str) -> Price {
    text.parse().unwrap()
}

pub(crate) fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

pub(crate) fn at_ms(ms: u64) -> Timestamp {
    Timestamp::from_unix_nanos(1_700_000_000_000_000_000 + ms * 1_000_000)
}

pub(crate) fn instrument_id() -> InstrumentId {
    "XYZ.SIM".parse().unwrap()
}

/// One instrument, tick 0.01, lot 1.
pub(crate) fn instruments() -> InstrumentTable {
    let mut table = InstrumentTable::new();
    table
        .insert(Instrument {
            id: instrument_id(),
            venue_symbol: "XYZ".parse().unwrap(),
            tick_size: px("0.01"),
            lot_size: qty("1"),
            min_quantity: qty("1"),
            max_quantity: Some(qty("1000000")),
            min_notional: None,
            price_digits: 2,
            allows_non_positive_prices: false,
        })
        .unwrap();
    table
}

/// Fixed 100 ms latency, no failures, maker 1 bp, taker 2 bps.
pub(crate) fn config() -> SimulatedSinkConfig {
    SimulatedSinkConfig {
        latency: LatencyModel::fixed(LATENCY),
        failure: FailureModel::NEVER,
        maker_fee: "1".parse().unwrap(),
        taker_fee: "2".parse().unwrap(),
        seed: 7,
        ..SimulatedSinkConfig::default()
    }
}

pub(crate) fn sink() -> SimulatedSink {
    SimulatedSink::new(config(), instruments()).unwrap()
}

fn header(at: Timestamp) -> MarketHeader {
    MarketHeader {
        instrument: instrument_id(),
        sequence: None,
        exchange_time: None,
        receive_time: at,
    }
}

/// A book from (price, size) levels, best first.
pub(crate) fn book(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> OrderBook {
    let entries = |levels: &[(&str, &str)]| {
        levels
            .iter()
            .map(|(price, size)| BookEntry {
                price: px(price),
                size: qty(size),
                entry_id: None,
            })
            .collect()
    };
    let mut book = OrderBook::new(16, 0);
    book.apply_snapshot(&BookSnapshot {
        header: header(Timestamp::UNIX_EPOCH),
        bids: entries(bids),
        asks: entries(asks),
    });
    book
}

pub(crate) fn trade(at: Timestamp, price: &str, size: &str, aggressor: Option<Side>) -> Trade {
    Trade {
        header: header(at),
        price: px(price),
        size: qty(size),
        aggressor,
        trade_id: None,
    }
}

pub(crate) fn new_order(
    cl: &str,
    side: Side,
    kind: OrderKind,
    size: &str,
    tif: TimeInForce,
) -> NewOrder {
    NewOrder {
        cl_ord_id: cl.parse().unwrap(),
        instrument: instrument_id(),
        symbol: "XYZ".parse().unwrap(),
        side,
        kind,
        quantity: qty(size),
        time_in_force: tif,
        transact_time: Timestamp::UNIX_EPOCH,
    }
}

pub(crate) fn limit(price: &str) -> OrderKind {
    OrderKind::Limit { price: px(price) }
}

pub(crate) fn cancel(cl: &str, orig: &str, side: Side, size: &str) -> VenueCommand {
    VenueCommand::Cancel(CancelOrder {
        cl_ord_id: cl.parse().unwrap(),
        orig_cl_ord_id: orig.parse().unwrap(),
        order_id: None,
        instrument: instrument_id(),
        symbol: "XYZ".parse().unwrap(),
        side,
        quantity: qty(size),
        transact_time: Timestamp::UNIX_EPOCH,
    })
}

pub(crate) fn replace(
    cl: &str,
    orig: &str,
    side: Side,
    kind: OrderKind,
    size: &str,
    tif: TimeInForce,
) -> VenueCommand {
    VenueCommand::Replace(ReplaceOrder {
        cl_ord_id: cl.parse().unwrap(),
        orig_cl_ord_id: orig.parse().unwrap(),
        order_id: None,
        instrument: instrument_id(),
        symbol: "XYZ".parse().unwrap(),
        side,
        kind,
        quantity: qty(size),
        time_in_force: tif,
        transact_time: Timestamp::UNIX_EPOCH,
    })
}

/// Every event due at `now`.
pub(crate) fn drain(sink: &mut SimulatedSink, now: Timestamp) -> Vec<VenueEvent> {
    std::iter::from_fn(|| sink.poll_event(now)).collect()
}

/// The execution reports among `events`.
pub(crate) fn reports(events: &[VenueEvent]) -> Vec<ExecutionReport> {
    events
        .iter()
        .filter_map(|event| match event {
            VenueEvent::Execution(report) => Some(report.clone()),
            _ => None,
        })
        .collect()
}

/// Sends `command` at `now` and returns what its arrival produces.
pub(crate) fn send_and_arrive(
    sink: &mut SimulatedSink,
    now: Timestamp,
    command: VenueCommand,
) -> Vec<VenueEvent> {
    sink.send(now, command);
    let arrival = now.checked_add_nanos(LATENCY).unwrap();
    assert_eq!(sink.next_wakeup(), Some(arrival));
    drain(sink, arrival)
}
