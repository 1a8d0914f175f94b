//! The journal on a real filesystem: append, commit, reopen, torn tails,
//! rotation, replay from an offset or a time, schema versions, compression
//! and retention.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::Path;

use journal::{
    Draft, Durability, JournalConfig, JournalError, JournalReader, JournalWriter, KnownVersions,
    ReplayItem, ReplayOptions, Retention, Start, Topic,
};
use model::Timestamp;

const DAY: u64 = 86_400_000_000_000;
const T0: u64 = 1_790_000_000_000_000_000;

fn draft(topic: &str, event_nanos: u64) -> Draft {
    Draft {
        topic: Topic::new(topic).unwrap(),
        schema_version: 1,
        event_time: Timestamp::from_unix_nanos(event_nanos),
        receive_time: Timestamp::from_unix_nanos(event_nanos + 1),
        correlation_id: 0,
    }
}

fn payload(offset: u64) -> Vec<u8> {
    let len = 1 + (offset * 7919 % 200) as usize;
    (0..len).map(|i| (offset as usize + i) as u8).collect()
}

fn config(dir: &Path) -> JournalConfig {
    JournalConfig {
        compress_closed: false,
        ..JournalConfig::new(dir)
    }
}

fn write(writer: &mut JournalWriter, count: u64, topic: &str, step_nanos: u64) {
    for _ in 0..count {
        let offset = writer.next_offset();
        let got = writer
            .append(&draft(topic, T0 + offset * step_nanos), &payload(offset))
            .unwrap();
        assert_eq!(got, offset);
    }
    writer.commit(Timestamp::from_unix_nanos(T0)).unwrap();
}

/// Every record from `start`, as (offset, topic, payload).
fn read_all(dir: &Path, start: Start) -> Vec<(u64, String, Vec<u8>)> {
    let mut out = Vec::new();
    let options = ReplayOptions {
        start,
        ..ReplayOptions::all(1)
    };
    JournalReader::new(dir)
        .replay(&options, |item| {
            if let ReplayItem::Record(record) = item {
                out.push((
                    record.envelope.offset,
                    record.envelope.topic.to_string(),
                    record.payload.to_vec(),
                ));
            }
            true
        })
        .unwrap();
    out
}

fn assert_offsets(records: &[(u64, String, Vec<u8>)], expected: std::ops::Range<u64>) {
    let offsets: Vec<u64> = records.iter().map(|(offset, _, _)| *offset).collect();
    assert_eq!(offsets, expected.collect::<Vec<_>>());
    for (offset, _, bytes) in records {
        assert_eq!(bytes, &payload(*offset), "payload of {offset}");
    }
}

#[test]
fn committed_records_survive_reopen_and_offsets_continue() {
    let dir = tempfile::tempdir().unwrap();
    let (mut writer, report) = JournalWriter::open(config(dir.path())).unwrap();
    assert_eq!(report.records, 0);
    write(&mut writer, 100, "order.submitted", 1_000);
    assert_eq!(writer.durable_offset(), 100);
    // Appended but never committed: gone with the writer.
    writer
        .append(&draft("order.submitted", T0), b"lost")
        .unwrap();
    drop(writer);

    let (mut writer, report) = JournalWriter::open(config(dir.path())).unwrap();
    assert_eq!((report.records, report.torn_tail.clone()), (100, None));
    assert_eq!(writer.next_offset(), 100);
    write(&mut writer, 10, "md.book", 1_000);
    assert_offsets(&read_all(dir.path(), Start::Beginning), 0..110);
}

#[test]
fn a_torn_tail_is_cut_and_appends_continue_after_the_last_valid_record() {
    let dir = tempfile::tempdir().unwrap();
    let (mut writer, _) = JournalWriter::open(config(dir.path())).unwrap();
    write(&mut writer, 20, "order.filled", 1_000);
    drop(writer);
    // Half of a record, as a crash in the middle of a write leaves it.
    let segment = dir.path().join("00000000000000000000.seg");
    let mut encoded = Vec::new();
    journal::record::encode(
        &draft("order.filled", T0).at(20),
        &payload(20),
        &mut encoded,
    );
    let end = fs::read(&segment)
        .unwrap()
        .iter()
        .rposition(|&b| b != 0)
        .unwrap() as u64
        + 1;
    let file = fs::OpenOptions::new().write(true).open(&segment).unwrap();
    file.write_all_at(&encoded[..encoded.len() / 2], end)
        .unwrap();

    let (mut writer, report) = JournalWriter::open(config(dir.path())).unwrap();
    assert_eq!(report.records, 20);
    let (cut, reason) = report.torn_tail.unwrap();
    assert!(
        cut > 0 && cut <= encoded.len() as u64 / 2,
        "cut {cut} bytes"
    );
    assert!(
        reason.contains("CRC") || reason.contains("needs"),
        "{reason}"
    );
    write(&mut writer, 5, "order.filled", 1_000);
    drop(writer);
    assert_offsets(&read_all(dir.path(), Start::Beginning), 0..25);
    // A second open finds nothing to cut.
    let (_, report) = JournalWriter::open(config(dir.path())).unwrap();
    assert_eq!((report.records, report.torn_tail), (25, None));
}

#[test]
fn damage_in_a_closed_segment_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = JournalConfig {
        segment_bytes: 4096,
        ..config(dir.path())
    };
    let (mut writer, _) = JournalWriter::open(cfg.clone()).unwrap();
    write(&mut writer, 200, "md.trade", 1_000);
    drop(writer);
    let first = dir.path().join("00000000000000000000.seg");
    let mut bytes = fs::read(&first).unwrap();
    bytes[100] ^= 0xFF;
    fs::write(&first, bytes).unwrap();
    let error = JournalWriter::open(cfg).unwrap_err();
    assert!(matches!(error, JournalError::Corrupt { ref path, .. } if path == &first));
    let text = error.to_string();
    assert!(
        text.contains("00000000000000000000.seg") && text.contains("move"),
        "{text}"
    );
}

#[test]
fn segments_rotate_by_size_and_by_day_and_replay_seeks_across_them() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = JournalConfig {
        segment_bytes: 8192,
        index_interval_bytes: 512,
        ..config(dir.path())
    };
    let (mut writer, _) = JournalWriter::open(cfg.clone()).unwrap();
    write(&mut writer, 300, "md.book", 1_000_000);
    let by_size = writer.closed_segments().len();
    assert!(by_size >= 3, "{by_size} closed segments");
    // The next day starts a new segment even though this one has room.
    let day_two = T0 + DAY;
    let offset = writer.next_offset();
    writer
        .append(&draft("md.book", day_two), &payload(offset))
        .unwrap();
    writer.commit(Timestamp::from_unix_nanos(day_two)).unwrap();
    assert_eq!(writer.closed_segments().len(), by_size + 1);
    assert_eq!(
        writer.closed_segments().last().unwrap().next_offset,
        offset,
        "the day-one segment ends before the day-two record"
    );
    // Closed segments are cut to their data; none exceeds the size.
    for info in writer.closed_segments() {
        assert!(fs::metadata(&info.path).unwrap().len() <= 8192);
    }
    drop(writer);

    assert_offsets(&read_all(dir.path(), Start::Beginning), 0..301);
    assert_offsets(&read_all(dir.path(), Start::Offset(123)), 123..301);
    assert_offsets(&read_all(dir.path(), Start::Offset(299)), 299..301);
    assert!(read_all(dir.path(), Start::Offset(400)).is_empty());
    // Record n has event time T0 + n ms.
    assert_offsets(
        &read_all(
            dir.path(),
            Start::Time(Timestamp::from_unix_nanos(T0 + 150_500_000)),
        ),
        151..301,
    );
    assert_offsets(
        &read_all(dir.path(), Start::Time(Timestamp::from_unix_nanos(day_two))),
        300..301,
    );
    let (_, report) = JournalWriter::open(cfg).unwrap();
    assert_eq!(report.records, 301);
}

#[test]
fn replay_pauses_and_resumes_and_selects_topics() {
    let dir = tempfile::tempdir().unwrap();
    let (mut writer, _) = JournalWriter::open(config(dir.path())).unwrap();
    for n in 0..30u64 {
        let topic = if n % 3 == 0 {
            "order.filled"
        } else {
            "md.book"
        };
        writer.append(&draft(topic, T0 + n), &payload(n)).unwrap();
    }
    writer.commit(Timestamp::from_unix_nanos(T0)).unwrap();
    let reader = JournalReader::new(dir.path());
    let mut seen = Vec::new();
    let mut options = ReplayOptions {
        topics: vec!["order.*".into()],
        ..ReplayOptions::all(1)
    };
    let stats = reader
        .replay(&options, |item| {
            if let ReplayItem::Record(record) = item {
                seen.push(record.envelope.offset);
            }
            seen.len() < 4
        })
        .unwrap();
    assert_eq!(seen, [0, 3, 6, 9]);
    assert_eq!(stats.next_offset, 10);
    options.start = Start::Offset(stats.next_offset);
    reader
        .replay(&options, |item| {
            if let ReplayItem::Record(record) = item {
                seen.push(record.envelope.offset);
            }
            true
        })
        .unwrap();
    assert_eq!(seen, (0..30).step_by(3).collect::<Vec<_>>());
}

#[test]
fn newer_schema_versions_are_skipped_not_fatal_and_invalid_records_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut writer, _) = JournalWriter::open(config(dir.path())).unwrap();
    let mut newer = draft("order.filled", T0);
    newer.schema_version = 3;
    writer.append(&draft("order.filled", T0), b"v1").unwrap();
    writer.append(&newer, b"v3").unwrap();
    writer.append(&draft("md.book", T0), b"book").unwrap();
    let mut zero = draft("md.book", T0);
    zero.schema_version = 0;
    assert!(matches!(
        writer.append(&zero, b"x"),
        Err(JournalError::Invalid(_))
    ));
    assert!(writer.append(&draft("md.book", T0), b"").is_err());
    assert_eq!(writer.next_offset(), 3, "refused records take no offset");
    writer.commit(Timestamp::from_unix_nanos(T0)).unwrap();

    let options = ReplayOptions {
        known: KnownVersions {
            default: 1,
            per_topic: vec![("order.*".into(), 2)],
        },
        ..ReplayOptions::all(1)
    };
    let mut applied = Vec::new();
    let mut skipped = Vec::new();
    let stats = JournalReader::new(dir.path())
        .replay(&options, |item| {
            match item {
                ReplayItem::Record(record) => applied.push(record.payload.to_vec()),
                ReplayItem::SkippedNewerVersion(envelope) => {
                    skipped.push((envelope.offset, envelope.schema_version));
                }
            }
            true
        })
        .unwrap();
    assert_eq!(applied, [b"v1".to_vec(), b"book".to_vec()]);
    assert_eq!(skipped, [(1, 3)]);
    assert_eq!((stats.records, stats.skipped_newer), (2, 1));
}

#[test]
fn closed_segments_compress_and_retention_deletes_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = JournalConfig {
        segment_bytes: 8192,
        compress_closed: true,
        ..config(dir.path())
    };
    let (mut writer, _) = JournalWriter::open(cfg.clone()).unwrap();
    write(&mut writer, 400, "md.book", 1_000);
    let closed = writer.closed_segments().len();
    let report = writer.maintain(Timestamp::from_unix_nanos(T0)).unwrap();
    assert_eq!((report.compressed, report.deleted), (closed, 0));
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names
            .iter()
            .filter(|name| name.ends_with(".seg.lz4"))
            .count(),
        closed
    );
    assert_eq!(
        names.iter().filter(|name| name.ends_with(".seg")).count(),
        1
    );
    // Compressed segments replay and reopen like the originals.
    assert_offsets(&read_all(dir.path(), Start::Beginning), 0..400);
    assert_offsets(&read_all(dir.path(), Start::Offset(250)), 250..400);
    drop(writer);
    let (mut writer, report) = JournalWriter::open(cfg.clone()).unwrap();
    assert_eq!(report.records, 400);

    // Retention by age: everything closed is older than a day at T0 + 2d.
    let mut aged = cfg;
    aged.retention = Retention {
        max_age_days: Some(1),
        max_total_bytes: None,
    };
    drop(writer);
    let (mut writer_aged, _) = JournalWriter::open(aged).unwrap();
    let report = writer_aged
        .maintain(Timestamp::from_unix_nanos(T0 + 2 * DAY))
        .unwrap();
    assert_eq!(report.deleted, closed);
    let rest = read_all(dir.path(), Start::Beginning);
    let first = rest.first().unwrap().0;
    assert!(first > 0);
    assert_offsets(&rest, first..400);
    writer = writer_aged;
    write(&mut writer, 1, "md.book", 1_000);
    assert_eq!(
        read_all(dir.path(), Start::Beginning).last().unwrap().0,
        400
    );
}

#[test]
fn a_missing_middle_segment_is_a_gap_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = JournalConfig {
        segment_bytes: 4096,
        ..config(dir.path())
    };
    let (mut writer, _) = JournalWriter::open(cfg.clone()).unwrap();
    write(&mut writer, 200, "md.book", 1_000);
    let second = writer.closed_segments()[1].path.clone();
    drop(writer);
    fs::remove_file(&second).unwrap();
    let error = JournalWriter::open(cfg).unwrap_err();
    assert!(matches!(error, JournalError::Gap { .. }), "{error}");
    assert!(
        JournalReader::new(dir.path())
            .replay(&ReplayOptions::all(1), |_| true)
            .is_err()
    );
}

#[test]
fn interval_durability_syncs_at_most_once_per_interval_and_os_only_never_waits() {
    let dir = tempfile::tempdir().unwrap();
    let (mut writer, _) = JournalWriter::open(JournalConfig {
        durability: Durability::IntervalMillis(10),
        ..config(dir.path())
    })
    .unwrap();
    let at = |millis: u64| Timestamp::from_unix_nanos(T0 + millis * 1_000_000);
    writer.append(&draft("md.book", T0), b"a").unwrap();
    assert_eq!(writer.commit(at(0)).unwrap(), 1, "first commit syncs");
    writer.append(&draft("md.book", T0), b"b").unwrap();
    assert_eq!(writer.commit(at(5)).unwrap(), 1, "written, not yet synced");
    assert_eq!(writer.commit(at(10)).unwrap(), 2, "the interval passed");
    drop(writer);

    let other = tempfile::tempdir().unwrap();
    let (mut writer, _) = JournalWriter::open(JournalConfig {
        durability: Durability::OsOnly,
        ..config(other.path())
    })
    .unwrap();
    writer.append(&draft("md.book", T0), b"a").unwrap();
    assert_eq!(writer.commit(at(0)).unwrap(), 1);
    assert_eq!(read_all(other.path(), Start::Beginning).len(), 1);
}

#[test]
fn typed_values_read_back_and_a_type_mismatch_is_a_clear_error() {
    use model::{BookResetReason, InstrumentId, MarketEvent, MarketHeader};
    let dir = tempfile::tempdir().unwrap();
    let (mut writer, _) = JournalWriter::open(config(dir.path())).unwrap();
    let event = MarketEvent::Reset {
        header: MarketHeader {
            instrument: InstrumentId::new("BTC-USD").unwrap(),
            sequence: Some(9),
            exchange_time: None,
            receive_time: Timestamp::from_unix_nanos(T0),
        },
        reason: BookResetReason::Disconnected,
    };
    writer.append_value(&draft("md.reset", T0), &event).unwrap();
    writer.commit(Timestamp::from_unix_nanos(T0)).unwrap();
    let mut decoded = Vec::new();
    let mut mismatch = None;
    JournalReader::new(dir.path())
        .replay(&ReplayOptions::all(1), |item| {
            if let ReplayItem::Record(record) = item {
                decoded.push(record.value::<MarketEvent>().unwrap());
                mismatch = record.value::<model::OrderIntent>().err();
            }
            true
        })
        .unwrap();
    assert_eq!(decoded, [event]);
    let text = mismatch.unwrap().to_string();
    assert!(
        text.contains("record 0 (md.reset v1) does not decode"),
        "{text}"
    );
}
