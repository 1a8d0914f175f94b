//! Criterion benchmarks of a message store commit: stage a batch of 1 or
//! 100 outbound messages of about 200 bytes, then commit, as a session
//! does before it hands a batch to the transport.
//!
//! - `commit/file_os/*`: [`FileStore`] with [`Durability::Os`]: one write
//!   to the OS page cache per commit.
//! - `commit/file_fsync/*`: [`FileStore`] with [`Durability::Fsync`]: the
//!   write, then fdatasync.
//! - `commit/redb/*`: [`RedbStore`], fsynced.
//!
//! Stores live under Cargo's target temporary folder, on the disk the
//! build uses; fsync figures depend on that disk. Every 100,000 messages
//! the store is reset, outside the measured time, so files stay small.
//!
//! Run: `cargo bench -p gateway --bench store`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gateway::fix::store::{Durability, FileStore, MessageStore, RedbStore};
use model::Timestamp;

/// 2026-11-21T06:29:14.123Z.
const T0: Timestamp = Timestamp::from_unix_nanos(1_795_242_554_123_000_000);

/// A 200-byte ExecutionReport-like message.
fn message() -> Vec<u8> {
    let mut message = b"8=FIX.4.4\x019=177\x0135=8\x0134=5678\x0149=VENUE01\x0152=20261121-06:29:14.125\x0156=CLIENT01\x01\
6=1.06625\x0111=ORD-000001\x0114=40000\x0117=EXEC-0000001\x0131=1.06625\x0132=40000\x0137=VENUE-ORD-1\x01"
        .to_vec();
    message.resize(194, b'x');
    message.extend_from_slice(b"10=000\x01");
    message
}

/// Messages stored before a reset, outside the measured time.
const RESET_EVERY: u64 = 100_000;

fn bench_store(c: &mut Criterion, name: &str, store: &mut dyn MessageStore) {
    let message = message();
    let mut group = c.benchmark_group("commit");
    for batch in [1u64, 100] {
        group.throughput(Throughput::Elements(batch));
        group.bench_function(format!("{name}/{batch}"), |b| {
            b.iter_custom(|iters| {
                let mut measured = Duration::ZERO;
                for _ in 0..iters {
                    let seq = store.next_sender_seq();
                    if seq > RESET_EVERY {
                        store.reset(T0).expect("reset");
                        store.commit().expect("commit the reset");
                    }
                    let seq = store.next_sender_seq();
                    let start = Instant::now();
                    for offset in 0..batch {
                        store
                            .store_outbound(seq + offset, black_box(&message))
                            .expect("stage");
                    }
                    store.commit().expect("commit");
                    measured += start.elapsed();
                }
                measured
            });
        });
    }
    group.finish();
}

fn folder() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("store-bench");
    // A previous run's files would only slow the first reset.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench folder");
    dir
}

fn commits(c: &mut Criterion) {
    let dir = folder();
    let mut os = FileStore::open(&dir.join("os.log"), Durability::Os, T0).expect("open");
    bench_store(c, "file_os", &mut os);
    let mut fsync = FileStore::open(&dir.join("fsync.log"), Durability::Fsync, T0).expect("open");
    bench_store(c, "file_fsync", &mut fsync);
    let mut redb = RedbStore::open(&dir.join("store.redb"), T0).expect("open");
    bench_store(c, "redb", &mut redb);
    drop((os, fsync, redb));
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, commits);
criterion_main!(benches);
