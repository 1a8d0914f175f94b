//! A FIX message log read back as market data: the venue's 35=W/X with
//! their log-prefix receive times, everything else skipped, and a bad
//! refresh named by its line; and `emp backtest` on such a capture.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::process::Command;

use emp::demo::demo_profile;
use emp::fix_capture::read_fix_capture;
use gateway::fix::codec::{Encoder, Header};
use gateway::fix::orders::OrderDialect;
use model::{MarketEvent, Timestamp};

const START: u64 = 1_795_168_800_000_000_000;

fn at(millis: u64) -> Timestamp {
    Timestamp::from_unix_nanos(START + millis * 1_000_000)
}

/// One message as a log line: `<receive time> : <message>`.
fn line(
    sender: &str,
    seq: u64,
    msg_type: &[u8],
    millis: u64,
    body: impl FnOnce(&mut gateway::fix::codec::BodyWriter<'_>),
) -> Vec<u8> {
    let header = Header {
        sender_comp_id: sender.as_bytes(),
        target_comp_id: b"demo.emp.12345",
        msg_seq_num: seq,
        sending_time: at(millis),
        poss_dup: false,
        orig_sending_time: None,
        extra: &[(50, b"QUOTE")],
    };
    let mut wire = Vec::new();
    let encoder = Encoder::new(b"FIX.4.4");
    let mut writer = encoder.begin(&mut wire, msg_type, &header);
    body(&mut writer);
    writer.finish().unwrap();
    let stamp = at(millis + 1).to_string().replace(['-', 'T', 'Z'], "");
    // 2026-11-20T10:00:00.001Z → the FIX form 20261120-10:00:00.001
    let stamp = format!("{}-{}", &stamp[..8], &stamp[8..]);
    let mut out = format!("{stamp} : ").into_bytes();
    out.extend_from_slice(&wire);
    out.push(b'\n');
    out
}

fn capture() -> Vec<u8> {
    let mut text = b"2026-11-20 10:00:00 session created\n".to_vec();
    // EMP's own subscription: not the venue's, skipped.
    text.extend(line("demo.emp.12345", 2, b"V", 0, |body| {
        body.str(262, b"md-1").char(263, b'1').char(264, b'0');
    }));
    text.extend(line("CSERVER", 2, b"W", 10, |body| {
        body.str(55, b"1")
            .uint(268, 2)
            .char(269, b'0')
            .str(270, b"1.08500")
            .str(271, b"1000000")
            .str(278, b"11")
            .char(269, b'1')
            .str(270, b"1.08502")
            .str(271, b"2000000")
            .str(278, b"12");
    }));
    text.extend(line("CSERVER", 3, b"X", 20, |body| {
        body.uint(268, 1)
            .char(279, b'2')
            .str(278, b"11")
            .str(55, b"1");
    }));
    text
}

#[test]
fn the_venues_refreshes_come_back_with_their_receive_times() {
    let profile = demo_profile().unwrap();
    let capture = read_fix_capture(
        &capture(),
        "capture.log",
        "CSERVER",
        &OrderDialect::ctrader(),
        &profile.instruments(),
    )
    .unwrap();
    assert_eq!(
        capture.skipped_lines, 2,
        "the notice and the final empty line"
    );
    assert_eq!(capture.other_messages, 1, "EMP's own 35=V");
    let [MarketEvent::Snapshot(book), MarketEvent::Delta(delta)] = capture.events.as_slice() else {
        panic!("{:?}", capture.events);
    };
    assert_eq!(book.header.instrument.as_str(), "EURUSD.CTRADER");
    assert_eq!(book.header.receive_time, at(11));
    assert_eq!(book.bids[0].price.to_string(), "1.085");
    assert_eq!(delta.header.receive_time, at(21));
    assert_eq!(delta.changes.len(), 1);
}

#[test]
fn a_refresh_emp_cannot_read_is_named_by_its_line() {
    let profile = demo_profile().unwrap();
    let mut text = capture();
    text.extend(line("CSERVER", 4, b"W", 30, |body| {
        body.str(55, b"999").uint(268, 0);
    }));
    let error = read_fix_capture(
        &text,
        "capture.log",
        "CSERVER",
        &OrderDialect::ctrader(),
        &profile.instruments(),
    )
    .unwrap_err()
    .to_string();
    assert!(error.starts_with("capture.log:5: "), "{error}");
    assert!(error.contains("999"), "{error}");
}

#[test]
fn emp_backtest_runs_on_a_capture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quote.messages.log");
    std::fs::write(&path, capture()).unwrap();
    let out = dir.path().join("report");
    let status = Command::new(env!("CARGO_BIN_EXE_emp"))
        .args(["backtest", "--data"])
        .arg(&path)
        .args(["--seeds", "2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(
        report.contains("\"events\": 2") || report.contains("\"events\":2"),
        "{report}"
    );
}
