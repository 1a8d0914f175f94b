//! The per-order cost of the OMS on the hot path: risk check + OMS update.
//!
//! `submit` runs the whole gate (every limit enabled) and records the
//! order; `lifecycle` adds the venue's acknowledgement and fill. Orders go
//! in chunks of 10 000 into a fresh OMS, so the book stays the size of a
//! busy trading day rather than growing with criterion's iteration count.
#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark code")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use model::{
    ExecId, ExecType, ExecutionReport, Instrument, InstrumentId, InstrumentTable, IntentSpec,
    Money, OrdStatus, OrderId, OrderIntent, OrderKind, Quantity, RunId, Side, StrategyId,
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

fn report(
    cl_ord_id: model::ClOrdId,
    n: u64,
    exec_type: ExecType,
    status: OrdStatus,
    last: &str,
) -> VenueEvent {
    let last_qty: Quantity = last.parse().unwrap();
    VenueEvent::Execution(ExecutionReport {
        exec_id: ExecId::new(&format!("E{n}-{}", last_qty)).unwrap(),
        exec_type,
        ord_status: status,
        cl_ord_id: Some(cl_ord_id),
        orig_cl_ord_id: None,
        order_id: Some(OrderId::new(&format!("V{n}")).unwrap()),
        symbol: VenueSymbol::new("1").unwrap(),
        side: Side::Buy,
        order_qty: Some("10000".parse().unwrap()),
        price: Some("1.07".parse().unwrap()),
        last_qty,
        last_px: (!last_qty.is_zero()).then(|| "1.07".parse().unwrap()),
        cum_qty: last_qty,
        leaves_qty: "10000"
            .parse::<Quantity>()
            .unwrap()
            .saturating_sub(last_qty),
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

/// Runs `per_order` for `iters` orders in chunks, timing only `per_order`.
fn timed(iters: u64, mut per_order: impl FnMut(&mut Oms, u64)) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    let mut epoch = 0;
    while done < iters {
        let mut oms = fresh();
        let n = CHUNK.min(iters - done);
        let start = Instant::now();
        for _ in 0..n {
            per_order(&mut oms, epoch);
            epoch += 1;
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
                timed(iters, |oms, epoch| {
                    let intent = intent(epoch, side(epoch));
                    black_box(oms.submit(now, intent).unwrap());
                    while let Some(event) = oms.poll_event() {
                        black_box(event);
                    }
                    black_box(oms.poll_command());
                })
            });
        },
    );
    c.bench_function("oms/lifecycle (submit + ack + full fill)", |b| {
        b.iter_custom(|iters| {
            timed(iters, |oms, epoch| {
                let cl = oms.submit(now, intent(epoch, Side::Buy)).unwrap();
                black_box(oms.poll_command());
                oms.on_venue_event(now, report(cl, epoch, ExecType::New, OrdStatus::New, "0"))
                    .unwrap();
                oms.on_venue_event(
                    now,
                    report(cl, epoch, ExecType::Trade, OrdStatus::Filled, "10000"),
                )
                .unwrap();
                while let Some(event) = oms.poll_event() {
                    black_box(event);
                }
            })
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
