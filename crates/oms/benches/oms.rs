//! The per-order cost of the OMS on the hot path: risk check + OMS update.
//!
//! `submit` runs the whole gate (every limit enabled) and records the
//! order; `lifecycle` adds the venue's acknowledgement and fill. Orders go
//! in chunks of 10 000 into a fresh OMS, so the book stays the size of a
//! busy trading day rather than growing with criterion's iteration count.
//! Intents and venue ids are built before the clock starts: they are the
//! strategy's and the gateway's cost.
#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark code")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use model::{
    ExecId, ExecType, ExecutionReport, Instrument, InstrumentId, InstrumentTable, IntentSpec,
    Money, OrdStatus, OrderId, OrderIntent, OrderKind, Price, Quantity, RunId, Side, StrategyId,
    TimeInForce, Timestamp, VenueEvent, VenueSymbol,
};
use oms::risk::{RateLimit, RiskLimits};
use oms::{Oms, OmsConfig};

const CHUNK: u64 = 10_000;

fn config() -> OmsConfig {
    let id = InstrumentId::new("EURUSD").unwrap();
    let mut instruments = InstrumentTable::new();
    instruments
        .insert(Instrument {
            id,
            venue_symbol: VenueSymbol::new("1").unwrap(),
            tick_size: "0.00001".parse().unwrap(),
            lot_size: "1000".parse().unwrap(),
            min_quantity: "1000".parse().unwrap(),
            max_quantity: Some("10000000".parse().unwrap()),
            min_notional: Some(Money::from_int(10)),
            price_digits: 5,
            allows_non_positive_prices: false,
        })
        .unwrap();
    let limits = RiskLimits {
        max_order_quantity: Some("1000000".parse().unwrap()),
        max_order_notional: Some(Money::from_int(2_000_000)),
        default_position_limit: Some("1000000000".parse().unwrap()),
        max_strategy_position: Some("1000000000".parse().unwrap()),
        max_gross_exposure: Some(Money::from_int(1_000_000_000_000)),
        max_net_exposure: Some(Money::from_int(1_000_000_000_000)),
        daily_loss_limit: Some(Money::from_int(100_000)),
        max_drawdown: Some(Money::from_int(100_000)),
        submit_rate: Some(RateLimit::per_second(1_000_000)),
        price_band_bps: Some(500),
        ..RiskLimits::default()
    };
    OmsConfig::new(limits, instruments)
}

fn intent(epoch: u64, side: Side) -> OrderIntent {
    OrderIntent::new(IntentSpec {
        run_id: RunId::new("bench").unwrap(),
        strategy: StrategyId::new("mm").unwrap(),
        instrument: InstrumentId::new("EURUSD").unwrap(),
        side,
        kind: OrderKind::Limit {
            price: "1.07".parse().unwrap(),
        },
        size: "10000".parse().unwrap(),
        time_in_force: TimeInForce::GoodTillCancel,
        epoch,
        created: Timestamp::from_unix_nanos(1_790_000_000_000_000_000),
        reason: String::new(),
    })
}

fn fresh() -> Oms {
    let now = Timestamp::from_unix_nanos(1_790_000_000_000_000_000);
    let mut oms = Oms::new(config(), now);
    oms.on_market_price(
        InstrumentId::new("EURUSD").unwrap(),
        "1.0701".parse().unwrap(),
    );
    while oms.poll_event().is_some() {}
    oms
}

/// The venue's ids for one order's acknowledgement and fill, made before
/// the clock starts: formatting them is the gateway's cost, not the OMS's.
struct VenueIds {
    order_id: OrderId,
    ack: ExecId,
    fill: ExecId,
}

impl VenueIds {
    fn new(n: u64) -> Self {
        Self {
            order_id: OrderId::new(&format!("V{n}")).unwrap(),
            ack: ExecId::new(&format!("E{n}-0")).unwrap(),
            fill: ExecId::new(&format!("E{n}-1")).unwrap(),
        }
    }
}

fn report(
    cl_ord_id: model::ClOrdId,
    order_id: OrderId,
    exec_id: ExecId,
    exec_type: ExecType,
    status: OrdStatus,
    last_qty: Quantity,
) -> VenueEvent {
    let order_qty = Quantity::from_raw(10_000_000_000_000).unwrap();
    let price = Price::from_raw(1_070_000_000);
    VenueEvent::Execution(ExecutionReport {
        exec_id,
        exec_type,
        ord_status: status,
        cl_ord_id: Some(cl_ord_id),
        orig_cl_ord_id: None,
        order_id: Some(order_id),
        symbol: VenueSymbol::new("1").unwrap(),
        side: Side::Buy,
        order_qty: Some(order_qty),
        price: Some(price),
        last_qty,
        last_px: (!last_qty.is_zero()).then_some(price),
        cum_qty: last_qty,
        leaves_qty: order_qty.saturating_sub(last_qty),
        avg_px: None,
        commission: None,
        exec_ref_id: None,
        reject_reason: None,
        text: None,
        transact_time: None,
        mass_status_request_id: None,
        total_reports: None,
        last_report: false,
    })
}

/// Runs `per_order` for `iters` orders in chunks, timing only `per_order`:
/// each order's inputs come from `prepare`, called for the whole chunk
/// before the clock starts.
fn timed<T>(
    iters: u64,
    mut prepare: impl FnMut(u64) -> T,
    mut per_order: impl FnMut(&mut Oms, T),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    let mut epoch = 0;
    while done < iters {
        let mut oms = fresh();
        let n = CHUNK.min(iters - done);
        let inputs: Vec<T> = (epoch..epoch + n).map(&mut prepare).collect();
        epoch += n;
        let start = Instant::now();
        for input in inputs {
            per_order(&mut oms, input);
        }
        total += start.elapsed();
        done += n;
    }
    total
}

fn bench(c: &mut Criterion) {
    let now = Timestamp::from_unix_nanos(1_790_000_000_000_000_001);
    // Alternate sides so position and exposure limits never bind.
    let side = |epoch: u64| {
        if epoch.is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        }
    };
    c.bench_function(
        "oms/submit (risk check + order created + events drained)",
        |b| {
            b.iter_custom(|iters| {
                timed(
                    iters,
                    |epoch| intent(epoch, side(epoch)),
                    |oms, intent| {
                        black_box(oms.submit(now, intent).unwrap());
                        while let Some(event) = oms.poll_event() {
                            black_box(event);
                        }
                        black_box(oms.poll_command());
                    },
                )
            });
        },
    );
    c.bench_function("oms/lifecycle (submit + ack + full fill)", |b| {
        b.iter_custom(|iters| {
            timed(
                iters,
                |epoch| (intent(epoch, Side::Buy), VenueIds::new(epoch)),
                |oms, (intent, ids)| {
                    let size = intent.size;
                    let cl = oms.submit(now, intent).unwrap();
                    black_box(oms.poll_command());
                    let ack = report(
                        cl,
                        ids.order_id,
                        ids.ack,
                        ExecType::New,
                        OrdStatus::New,
                        Quantity::ZERO,
                    );
                    oms.on_venue_event(now, ack).unwrap();
                    let fill = report(
                        cl,
                        ids.order_id,
                        ids.fill,
                        ExecType::Trade,
                        OrdStatus::Filled,
                        size,
                    );
                    oms.on_venue_event(now, fill).unwrap();
                    while let Some(event) = oms.poll_event() {
                        black_box(event);
                    }
                },
            )
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
