#![allow(clippy::unwrap_used, reason = "test code")]
//! The run's structured log: a short demo against the simulated venue
//! over loopback writes `emp.log` as JSON lines, and one fill can be
//! followed back through them to its intent, the NewOrderSingle (or
//! replace) that carried its ClOrdID and the execution reports naming
//! the venue's OrderID; the venue's own message log agrees on the
//! MsgSeqNum.

use std::path::Path;
use std::time::Duration;

use emp::demo::DemoOptions;
use serde_json::Value;
use tokio::sync::watch;

fn field<'a>(line: &'a Value, name: &str) -> Option<&'a str> {
    line.get(name).and_then(Value::as_str)
}

/// The messages EMP sent to the venue on TRADE (56=CSERVER), from the
/// venue's message log.
fn venue_received(run_dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(run_dir.join("venue")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains("TRADE") && name.ends_with("messages.current.log") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            lines.extend(
                text.lines()
                    .filter(|line| line.contains("\x0156=CSERVER\x01"))
                    .map(str::to_owned),
            );
        }
    }
    lines
}

#[test]
fn a_fill_is_followed_back_to_its_intent_order_and_fix_messages_in_the_json_log() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let params = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/strategies-touch.toml");
    let options = DemoOptions {
        duration: Duration::from_secs(10),
        strategy: Some(params.display().to_string()),
        run_dir: Some(run_dir.clone()),
        metrics_addr: None,
        echo: false,
        durability: journal::Durability::OsOnly,
        ctrl_c: false,
        execution: emp::trader::Execution::Venue,
        control: None,
        log_format: emp::logging::LogFormat::Json,
    };
    let (_keep, stop) = watch::channel(false);
    let summary = emp::demo::run(&options, stop).unwrap();
    assert!(summary.failure.is_none(), "{summary:?}");

    let text = std::fs::read_to_string(run_dir.join("emp.log")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line:?}")))
        .collect();
    for line in &lines {
        for key in ["timestamp", "level", "target", "message"] {
            assert!(field(line, key).is_some(), "no {key} in {line}");
        }
    }
    // The operator lines are there too.
    assert!(
        lines.iter().any(|line| field(line, "message")
            .is_some_and(|message| message.starts_with("reconciled with the venue"))),
        "{text}"
    );

    // A fill, and everything it links to.
    let fill = lines
        .iter()
        .find(|line| field(line, "message") == Some("fill"))
        .unwrap_or_else(|| panic!("no fill in 10 s of trading at the touch:\n{text}"));
    assert_eq!(field(fill, "target"), Some("emp::order"));
    let cl_ord_id = field(fill, "cl_ord_id").unwrap();
    let intent_id = field(fill, "intent_id").unwrap();
    let exec_id = field(fill, "exec_id").unwrap();
    assert!(
        field(fill, "qty").is_some() && field(fill, "price").is_some(),
        "{fill}"
    );
    let with_id = |message: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|line| {
                field(line, "message") == Some(message)
                    && field(line, "cl_ord_id") == Some(cl_ord_id)
            })
            .collect()
    };

    // The intent (a new order, or the replace that gave this ClOrdID).
    let intent: Vec<&Value> = [with_id("intent submitted"), with_id("replace submitted")].concat();
    assert_eq!(intent.len(), 1, "{cl_ord_id}: {intent:?}");
    assert_eq!(field(intent[0], "intent_id"), Some(intent_id));

    // The FIX message that carried it: session, MsgType, MsgSeqNum.
    let sent = with_id("order sent");
    assert_eq!(sent.len(), 1, "{cl_ord_id}: {sent:?}");
    let sent = sent[0];
    assert_eq!(field(sent, "target"), Some("emp::fix"));
    assert_eq!(field(sent, "session"), Some("TRADE"));
    let msg_type = field(sent, "msg_type").unwrap();
    assert!(msg_type == "D" || msg_type == "G", "{sent}");
    let seq = sent["msg_seq_num"].as_u64().unwrap();
    // The venue received exactly that: 35, 11 and 34 in one message.
    let received = venue_received(&run_dir);
    assert!(
        received.iter().any(|message| {
            message.contains(&format!("\x0135={msg_type}\x01"))
                && message.contains(&format!("\x0111={cl_ord_id}\x01"))
                && message.contains(&format!("\x0134={seq}\x01"))
        }),
        "the venue never received 35={msg_type} 11={cl_ord_id} 34={seq}"
    );

    // The execution reports: the venue's OrderID, and the fill's ExecID.
    let reports = with_id("execution report");
    assert!(!reports.is_empty(), "{cl_ord_id}");
    let order_id = field(reports[0], "order_id").unwrap();
    assert!(
        reports
            .iter()
            .all(|report| field(report, "order_id") == Some(order_id)
                && field(report, "msg_type") == Some("8")),
        "{reports:?}"
    );
    let trade = reports
        .iter()
        .find(|report| field(report, "exec_id") == Some(exec_id))
        .unwrap();
    assert_eq!(field(trade, "exec_type"), Some("Trade"));
    assert!(trade["timestamp"].as_str() >= sent["timestamp"].as_str());
}
