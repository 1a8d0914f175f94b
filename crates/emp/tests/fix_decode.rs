//! `emp fix decode` end to end: the real binary on the cTrader FIX samples
//! of `reference/venues.md` (copied to `gateway/test_data`), on corrupted
//! copies of them, and on usage errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use gateway::fixtures::{pipes, wire};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn ctrader_dict() -> String {
    repo("specs/ctrader-FIX44.xml").display().to_string()
}

fn samples() -> Vec<String> {
    std::fs::read_to_string(repo("crates/gateway/test_data/ctrader_samples.txt"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Runs `emp fix decode <args>` with `input` on standard input.
fn decode(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_emp"))
        .args(["fix", "decode"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    (
        status.code().unwrap(),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

/// Recomputes BodyLength and CheckSum of a `|`-separated message.
fn reframe(message: &str) -> String {
    pipes(&wire(message))
}

#[test]
fn names_every_field_of_every_ctrader_sample() {
    let samples = samples();
    assert_eq!(samples.len(), 36);
    let (code, out, err) = decode(&["--dict", &ctrader_dict()], &samples.join("\n"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("36 messages: 36 valid, 0 invalid\n"), "{out}");
    assert!(!out.contains("(?)"), "a field without a name:\n{out}");
    assert!(!out.contains("error") && !out.contains("garbled"), "{out}");
    // Spot checks: enum names, message names, group entries.
    for expected in [
        "#5 line 5  Logout (5)",
        "54(Side)=2 [SELL]",
        "39(OrdStatus)=2 [FILLED]",
        "150(ExecType)=F [TRADE]",
        "1007(SymbolName)=NZDCHF",
        "1008(SymbolDigits)=4",
        "    - 279(MDUpdateAction)=2 [DELETE]",
        "      278(MDEntryID)=7477",
        "    - 704(LongQty)=0",
    ] {
        assert!(out.contains(expected), "missing {expected:?}");
    }
}

#[test]
fn plain_fix44_names_the_ctrader_deviations() {
    // Against standard FIX 4.4 the custom tags are unknown and cTrader's
    // omissions are missing required fields: the tool says so per field.
    let security_list = samples().into_iter().find(|s| s.contains("35=y|")).unwrap();
    let (code, out, _) = decode(&["--version", "FIX.4.4"], &security_list);
    assert_eq!(code, 1);
    assert!(out.contains("1007(?)=NZDCHF"), "{out}");
    assert!(
        out.contains("error: 373=0 Invalid tag number: 371=1007"),
        "{out}"
    );
}

#[test]
fn names_the_problem_in_corrupted_copies() {
    let samples = samples();
    let order = samples
        .iter()
        .find(|s| s.contains("35=D|") && s.contains("40=2|"))
        .unwrap();
    let depth = samples
        .iter()
        .find(|s| s.contains("35=W|") && s.contains("268=6|"))
        .unwrap();
    let checksum = order.rsplit_once("10=").unwrap().1.trim_end_matches('|');
    let wrong_checksum = order.replace(
        &format!("10={checksum}|"),
        &format!("10={:03}|", (checksum.parse::<u32>().unwrap() + 1) % 256),
    );
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong CheckSum",
            wrong_checksum,
            "garbled: CheckSum (10) is",
        ),
        (
            "wrong BodyLength",
            order.replace("9=167|", "9=168|"),
            "garbled: BodyLength (9) is 168 but 167 bytes",
        ),
        (
            "unknown tag",
            reframe(&order.replace("|10=", "|9999=X|10=")),
            "error: 373=0 Invalid tag number: 371=9999",
        ),
        (
            "bad enum",
            reframe(&order.replace("54=2|", "54=Z|")),
            "error: 373=5 Value is incorrect (out of range) for this tag: 371=54 (Side)",
        ),
        (
            "missing required field",
            reframe(&order.replace("11=876316400|", "")),
            "error: 373=1 Required tag missing: 371=11 (ClOrdID)",
        ),
        (
            "wrong NumInGroup",
            reframe(&depth.replace("268=6|", "268=5|")),
            "error: 373=16 Incorrect NumInGroup count for repeating group: 371=268 (NoMDEntries); Incorrect NumInGroup count for repeating group: declared 5, found 6",
        ),
        (
            "bad data format",
            reframe(&order.replace("38=50000|", "38=5O000|")),
            "error: 373=6 Incorrect data format for value: 371=38 (OrderQty)",
        ),
    ];
    for (what, message, expected) in cases {
        let (code, out, _) = decode(&["--dict", &ctrader_dict()], &message);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(
            out.contains(expected),
            "{what}: expected {expected:?} in\n{out}"
        );
        assert!(
            out.ends_with("1 message: 0 valid, 1 invalid\n"),
            "{what}: {out}"
        );
    }
}

#[test]
fn reads_soh_streams_log_prefixes_and_files() {
    let samples = samples();
    let soh_stream: String = samples[..4]
        .iter()
        .map(|s| s.replace('|', "\x01"))
        .collect();
    let (code, out, _) = decode(&["--dict", &ctrader_dict()], &soh_stream);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("4 messages: 4 valid"), "{out}");

    let log = format!(
        "20170117-08:03:04.509 : {}\r\nsomething else\n",
        samples[1].replace('|', "\x01")
    );
    let (code, out, _) = decode(&[], &log);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("#1 line 1 [20170117-08:03:04.509 :]  Logon (A)"),
        "{out}"
    );

    let path = std::env::temp_dir().join(format!("emp-decode-{}.log", std::process::id()));
    std::fs::write(&path, &samples[0]).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_emp"))
        .args(["fix", "decode", "--version", "FIX.4.4"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn exit_status_two_for_usage_errors() {
    let (code, _, err) = decode(&["--version", "FIX.9.9"], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("--version FIX.9.9 is not a shipped dictionary"),
        "{err}"
    );

    let (code, _, err) = decode(&["--no-such-flag"], "");
    assert_eq!(code, 2, "{err}");

    let (code, _, err) = decode(&["/no/such/file.log"], "");
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /no/such/file.log"), "{err}");

    let broken = std::env::temp_dir().join(format!("emp-broken-{}.xml", std::process::id()));
    std::fs::write(&broken, "<fix major=\"4\" minor=\"4\">\n<fields>\n<field number=\"x\" name=\"Bad\" type=\"INT\"/>\n</fields></fix>").unwrap();
    let (code, _, err) = decode(&["--dict", &broken.display().to_string()], "");
    std::fs::remove_file(&broken).unwrap();
    assert_eq!(code, 2);
    assert!(err.contains(":3:1: field Bad has number=\"x\""), "{err}");
}

#[test]
fn a_begin_string_without_a_dictionary_is_shown_but_not_validated() {
    let (code, out, _) = decode(
        &[],
        &reframe("8=FIX.4.3|35=0|34=2|49=A|52=20230713-04:30:17|56=B|"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("    34(?)=2"), "{out}");
    assert!(
        out.contains(
            "not validated: no shipped dictionary for BeginString FIX.4.3; pass --dict FILE"
        ),
        "{out}"
    );
}

#[test]
fn no_messages_is_not_success() {
    let (code, out, _) = decode(&[], "nothing here\n");
    assert_eq!(code, 1);
    assert!(out.contains("no FIX messages found"), "{out}");
}
