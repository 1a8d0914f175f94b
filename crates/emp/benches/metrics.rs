//! The per-event metric updates the trading thread makes: a counter
//! increment, a latency histogram record, and what one market event and
//! one execution report cost in metrics (issue 9: old hand-written
//! registry against the `metrics` facade handles).
#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark code")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use emp::metrics::{MdEventKind, OrderEvent, Registry, RuntimeMetrics};
use model::Timestamp;

fn hot_path(c: &mut Criterion) {
    let registry = Registry::new();
    let metrics = RuntimeMetrics::new(&registry).unwrap();
    let session = metrics.fix_session("TRADE").unwrap();
    let mut group = c.benchmark_group("metrics_hot_path");
    group.bench_function("counter_inc", |b| {
        b.iter(|| black_box(&session.heartbeat_timeouts).increment(1));
    });
    let mut nanos = 0u64;
    group.bench_function("histogram_record", |b| {
        b.iter(|| {
            // 1 µs .. ~4 ms, spread over the buckets.
            nanos = (nanos + 7_919) & 0x3f_ffff;
            black_box(&metrics.orders.tick_to_order).record(Duration::from_nanos(black_box(nanos)));
        });
    });
    let at = Timestamp::from_unix_nanos(1_790_000_000_000_000_000);
    group.bench_function("md_event", |b| {
        b.iter(|| black_box(&metrics.market_data).record(MdEventKind::Quote, black_box(at)));
    });
    group.bench_function("fill_report", |b| {
        b.iter(|| {
            let orders = black_box(&metrics.orders);
            orders.fills.increment(1);
            orders.record(OrderEvent::PartiallyFilled);
            orders
                .ack_latency
                .record(Duration::from_nanos(black_box(42_000)));
        });
    });
    group.finish();
    // What the metrics thread does every 5 s: bucket the samples.
    registry.run_upkeep();
    // Keep the registry alive (and the updates observable) to the end.
    black_box(registry.render());
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
