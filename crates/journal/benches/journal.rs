//! Journal throughput: durable appends with batch (group) commit, and the
//! time to open and verify a 1 GiB journal.
//!
//! Each commit is one write and one fdatasync (~85–120 µs on our machines),
//! so records per second grow with the batch until encoding dominates.
#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark code")]

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use journal::{Draft, Durability, JournalConfig, JournalWriter, Topic};
use model::Timestamp;

const T0: u64 = 1_790_000_000_000_000_000;
const PAYLOAD: [u8; 100] = [0x5A; 100];

fn draft(topic: Topic, n: u64) -> Draft {
    Draft {
        topic,
        schema_version: 1,
        event_time: Timestamp::from_unix_nanos(T0 + n),
        receive_time: Timestamp::from_unix_nanos(T0 + n),
        correlation_id: n,
    }
}

fn append_commit(c: &mut Criterion) {
    let topic = Topic::new("order.filled").unwrap();
    let mut group =
        c.benchmark_group("journal/durable append (100 B payload, fdatasync per batch)");
    for batch in [1u64, 64, 1024] {
        group.throughput(Throughput::Elements(batch));
        group.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, &batch| {
            let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
            let config = JournalConfig {
                durability: Durability::EveryCommit,
                compress_closed: false,
                rotate_daily: false,
                ..JournalConfig::new(dir.path())
            };
            let (mut writer, _) = JournalWriter::open(config).unwrap();
            let mut n = 0;
            b.iter(|| {
                for _ in 0..batch {
                    writer.append(&draft(topic, n), &PAYLOAD).unwrap();
                    n += 1;
                }
                writer.commit(Timestamp::from_unix_nanos(T0 + n)).unwrap()
            });
        });
    }
    group.finish();
}

fn open_verify(c: &mut Criterion) {
    const GIB: u64 = 1 << 30;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let config = JournalConfig {
        durability: Durability::OsOnly,
        compress_closed: false,
        rotate_daily: false,
        ..JournalConfig::new(dir.path())
    };
    let topic = Topic::new("md.book").unwrap();
    let payload = [0x33u8; 1000];
    let (mut writer, _) = JournalWriter::open(config.clone()).unwrap();
    let record_len = 43 + 7 + payload.len() as u64;
    let records = GIB / record_len;
    let start = Instant::now();
    for n in 0..records {
        writer.append(&draft(topic, n), &payload).unwrap();
        if n % 1024 == 1023 {
            writer.commit(Timestamp::from_unix_nanos(T0)).unwrap();
        }
    }
    writer.commit(Timestamp::from_unix_nanos(T0)).unwrap();
    drop(writer);
    eprintln!(
        "built a {records}-record, 1 GiB journal in {:.1?}",
        start.elapsed()
    );
    let mut group = c.benchmark_group("journal/open + verify");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(records * record_len));
    group.bench_function("1 GiB, 1 KB records", |b| {
        b.iter(|| {
            let (_, report) = JournalWriter::open(config.clone()).unwrap();
            assert_eq!(report.records, records);
        });
    });
    group.finish();
}

criterion_group!(benches, append_commit, open_verify);
criterion_main!(benches);
