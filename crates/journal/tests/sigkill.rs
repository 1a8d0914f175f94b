//! A writer killed with SIGKILL in the middle of appending loses nothing it
//! acknowledged and leaves nothing corrupt.
//!
//! The test binary runs itself as the writer (the ignored test
//! `child_writer`, selected by name), reads the durable offsets the child
//! prints after each commit, kills it at varying points, and reopens.
#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "test code")]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use journal::{
    Draft, JournalConfig, JournalReader, JournalWriter, ReplayItem, ReplayOptions, Topic,
};
use model::Timestamp;

const DIR_VAR: &str = "EMP_JOURNAL_SIGKILL_DIR";
const T0: u64 = 1_790_000_000_000_000_000;

/// The payload of record `offset`: its length and bytes are a function of
/// the offset, so the parent can check every byte.
fn payload(offset: u64) -> Vec<u8> {
    let len = 16 + (offset.wrapping_mul(2_654_435_761) % 3000) as usize;
    (0..len)
        .map(|i| (offset.wrapping_mul(31).wrapping_add(i as u64)) as u8)
        .collect()
}

fn config(dir: &Path) -> JournalConfig {
    JournalConfig {
        // Small segments, so kills also land around rotations.
        segment_bytes: 256 * 1024,
        compress_closed: false,
        ..JournalConfig::new(dir)
    }
}

#[test]
#[ignore = "run by killed_writers_keep_every_acknowledged_record as its child process"]
fn child_writer() {
    let dir = std::env::var(DIR_VAR).expect("run only as the child of the SIGKILL test");
    let (mut writer, _) = JournalWriter::open(config(Path::new(&dir))).unwrap();
    let mut stdout = std::io::stdout().lock();
    let topic = Topic::new("order.filled").unwrap();
    // Bounded: the parent kills long before this ends.
    for batch in 0..1_000_000u64 {
        for _ in 0..(1 + batch % 17) {
            let offset = writer.next_offset();
            let draft = Draft {
                topic,
                schema_version: 1,
                event_time: Timestamp::from_unix_nanos(T0 + offset),
                receive_time: Timestamp::from_unix_nanos(T0 + offset),
                correlation_id: offset,
            };
            writer.append(&draft, &payload(offset)).unwrap();
        }
        let durable = writer.commit(Timestamp::from_unix_nanos(T0)).unwrap();
        writeln!(stdout, "{durable}").unwrap();
        stdout.flush().unwrap();
    }
}

#[test]
fn killed_writers_keep_every_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acknowledged = 0u64;
    for (round, acks_before_kill) in [40usize, 7, 150, 1, 90].into_iter().enumerate() {
        let mut child = Command::new(&exe)
            .args([
                "child_writer",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_VAR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acks = 0;
        while acks < acks_before_kill {
            let line = lines
                .next()
                .expect("the child stopped before being killed")
                .unwrap();
            // Test harness chatter ("running 1 test") is not a number.
            if let Ok(durable) = line.trim().parse::<u64>() {
                assert!(durable >= acknowledged, "durable offsets only grow");
                acknowledged = durable;
                acks += 1;
            }
        }
        // SIGKILL while the child keeps appending.
        child.kill().unwrap();
        child.wait().unwrap();

        let (writer, report) = JournalWriter::open(config(dir.path())).unwrap();
        assert!(
            report.records >= acknowledged,
            "round {round}: {} records after reopen, {acknowledged} were acknowledged",
            report.records
        );
        assert_eq!(writer.next_offset(), report.records);
        drop(writer);
        let mut next = 0u64;
        JournalReader::new(dir.path())
            .replay(&ReplayOptions::all(1), |item| {
                let ReplayItem::Record(record) = item else {
                    panic!("unexpected item {item:?}");
                };
                assert_eq!(record.envelope.offset, next);
                assert_eq!(record.envelope.correlation_id, next);
                assert_eq!(record.payload, payload(next), "payload of {next}");
                next += 1;
                true
            })
            .unwrap();
        assert_eq!(
            next, report.records,
            "round {round}: replay sees every record"
        );
    }
    assert!(acknowledged > 0);
}
