//! `emp backtest`, `emp replay` and `emp export` on a recorded journal:
//! two backtests with the same data and seed write identical reports; a
//! different seed changes the simulated execution; a replay reproduces
//! every decision; the Parquet export reads back; errors say what to pass.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::Path;
use std::process::Command;

use emp::record::{Recorder, RunHeader, RunMode};
use journal::JournalConfig;
use model::{
    BookEntry, BookSnapshot, Instrument, InstrumentId, MarketEvent, MarketHeader, Price, Quote,
    QuoteSide, RunId, Timestamp, VenueSymbol,
};

const T0: u64 = 1_790_000_000_000_000_000;
const MS: u64 = 1_000_000;

const PARAMS: &str = r#"
[gate]
spot = "BTC-USD"
targets = ["BTC-100K-YES"]
cross_venue = ["BTC-100K-YES"]
spot_ttl_ms = 1000
book_ttl_ms = 5000
max_skew_ms = 2000
warmup_ms = 0

[[strategy]]
name = "dspd"
kind = "delta_spd"
rate_limit_actions = 4
rate_limit_window_ms = 1000
instruments = ["BTC-100K-YES"]
threshold = 0.004
hysteresis = 0.001
beta = 0.5
spot_half_life_ms = 5000
pm_half_life_ms = 5000
order_size = "10"
max_position = "50"
"#;

fn instrument(name: &str, tick: &str, lot: &str) -> Instrument {
    Instrument {
        id: InstrumentId::new(name).unwrap(),
        venue_symbol: VenueSymbol::new(name).unwrap(),
        tick_size: tick.parse().unwrap(),
        lot_size: lot.parse().unwrap(),
        min_quantity: lot.parse().unwrap(),
        max_quantity: None,
        min_notional: None,
        price_digits: 2,
        allows_non_positive_prices: false,
    }
}

fn header(name: &str, ms: u64) -> MarketHeader {
    let at = Timestamp::from_unix_nanos(T0 + ms * MS);
    MarketHeader {
        instrument: InstrumentId::new(name).unwrap(),
        sequence: None,
        exchange_time: Some(at),
        receive_time: at,
    }
}

/// Two minutes of a spot random walk (BTC-USD quotes every 100 ms) and a
/// YES token that follows it half a second late (books every 200 ms).
fn record(dir: &Path) {
    let mut recorder = Recorder::open(JournalConfig::new(dir)).unwrap();
    recorder
        .run_started(&RunHeader {
            run_id: RunId::new("synthetic").unwrap(),
            mode: RunMode::Paper,
            started: Timestamp::from_unix_nanos(T0),
            instruments: vec![
                instrument("BTC-USD", "0.01", "0.0001"),
                instrument("BTC-100K-YES", "0.01", "1"),
            ],
            params_text: PARAMS.to_owned(),
            params_version: strategy::ParamsVersion::of(PARAMS.as_bytes()).to_string(),
            seed: None,
            switched_off: Vec::new(),
            features: sensory::FeatureParams::default(),
            limits: oms::risk::RiskLimits::default(),
            emp_version: env!("CARGO_PKG_VERSION").to_owned(),
        })
        .unwrap();
    // A fixed LCG: the data is the same on every machine.
    let mut state: u64 = 42;
    let mut step = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as i64 % 201 - 100
    };
    let mut spot_cents: i64 = 10_000_000; // 100 000.00
    let mut history = Vec::new();
    for tick in 0..1_200u64 {
        let ms = tick * 100;
        spot_cents += step() * 20;
        history.push(spot_cents);
        let px = |cents: i64| Price::from_raw(cents * 10_000_000);
        let side = |cents: i64| {
            Some(QuoteSide {
                price: px(cents),
                size: Some("1".parse().unwrap()),
            })
        };
        recorder
            .market(&MarketEvent::Quote(Quote {
                header: header("BTC-USD", ms),
                bid: side(spot_cents - 1),
                ask: side(spot_cents + 1),
            }))
            .unwrap();
        if tick % 2 == 0 {
            // YES ≈ 0.50 + 5 × the spot's return 500 ms ago, in cents.
            let lagged = history[history.len().saturating_sub(6)];
            let yes = (50 + (lagged - 10_000_000) * 500 / 10_000_000).clamp(5, 95);
            let entry = |cents: i64| BookEntry {
                price: px(cents),
                size: "200".parse().unwrap(),
                entry_id: None,
            };
            recorder
                .market(&MarketEvent::Snapshot(BookSnapshot {
                    header: header("BTC-100K-YES", ms),
                    bids: vec![entry(yes - 1)],
                    asks: vec![entry(yes + 1)],
                }))
                .unwrap();
        }
    }
    recorder.commit(Timestamp::from_unix_nanos(T0)).unwrap();
}

/// A hash of every file under `dir` (relative path and bytes), in path
/// order. std's SipHash with its fixed keys: the same within one build.
fn hash_tree(dir: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    fn walk(dir: &Path, root: &Path, files: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, files);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    assert!(
        files.len() >= 4,
        "report, svg, markdown and a journal segment"
    );
    let mut hasher = std::hash::DefaultHasher::new();
    files.hash(&mut hasher);
    hasher.finish()
}

fn backtest(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_emp"))
        .arg("backtest")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn same_data_and_seed_write_identical_reports() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("run");
    record(&data.join("journal"));
    let out = |name: &str| temp.path().join(name);
    let run = |seed: &str, name: &str| {
        let (code, stdout, stderr) = backtest(&[
            "--data",
            data.to_str().unwrap(),
            "--seed",
            seed,
            "--seeds",
            "3",
            "--out",
            out(name).to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stderr.contains("100%"), "a progress bar: {stderr}");
        stdout
    };
    let markdown = run("7", "first");
    run("7", "second");
    run("8", "other");
    let read = |name: &str, file: &str| std::fs::read(out(name).join(file)).unwrap();
    assert_eq!(read("first", "report.json"), read("second", "report.json"));
    assert_eq!(read("first", "equity.svg"), read("second", "equity.svg"));
    // Everything a run writes, journal included, hashes the same.
    assert_eq!(
        hash_tree(&out("first")),
        hash_tree(&out("second")),
        "byte-identical output"
    );
    assert_ne!(hash_tree(&out("first")), hash_tree(&out("other")));
    assert_ne!(
        read("first", "report.json"),
        read("other", "report.json"),
        "other seeds simulate other latencies"
    );

    let report: serde_json::Value = serde_json::from_slice(&read("first", "report.json")).unwrap();
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0]["seed"], 7);
    assert!(
        runs.iter().all(|run| run["intents"].as_u64().unwrap() > 0),
        "the strategy traded: {report}"
    );
    assert!(
        runs.iter().any(|run| run["fills"].as_u64().unwrap() > 0),
        "the simulated venue filled something: {report}"
    );
    assert_eq!(report["events"], 1_800);
    let band = &report["total_pnl"];
    assert!(band["low"].as_f64().unwrap() <= band["mean"].as_f64().unwrap());
    assert!(band["mean"].as_f64().unwrap() <= band["high"].as_f64().unwrap());
    assert!(markdown.contains("| seed | total PnL"), "{markdown}");
    let svg = String::from_utf8(read("first", "equity.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.matches("<polyline").count() == 3,
        "{svg}"
    );
}

#[test]
fn a_named_strategy_must_exist_and_an_empty_journal_is_explained() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("journal");
    record(&data);
    let (code, _, stderr) = backtest(&["--data", data.to_str().unwrap(), "--strategy", "nope"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no strategy nope") && stderr.contains("dspd"),
        "{stderr}"
    );

    let empty = temp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, _, stderr) = backtest(&["--data", empty.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("has no market data"), "{stderr}");
}

#[test]
fn a_backtest_journal_replays_to_identical_decisions_and_a_change_is_found() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("journal");
    record(&data);
    let out = temp.path().join("out");
    let (code, stdout, stderr) = backtest(&[
        "--data",
        data.to_str().unwrap(),
        "--seeds",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let replay = |journal: &Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_emp"))
            .args(["replay", "--journal", journal.to_str().unwrap()])
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, text) = replay(&out);
    assert_eq!(code, 0, "{text}");
    let decisions: u64 = text
        .split("; ")
        .nth(1)
        .and_then(|part| part.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(decisions > 10, "{text}");

    // The same journal with one decision dropped: the replay finds it.
    let copy = temp.path().join("tampered");
    let (mut writer, _) = journal::JournalWriter::open(JournalConfig::new(&copy)).unwrap();
    let mut dropped = false;
    journal::JournalReader::new(out.join("journal"))
        .replay(&journal::ReplayOptions::all(1), |item| {
            let journal::ReplayItem::Record(record) = item else {
                return true;
            };
            let envelope = record.envelope;
            if !dropped && envelope.topic.as_str() == "strategy.action" {
                dropped = true;
                return true;
            }
            let draft = journal::Draft {
                topic: envelope.topic,
                schema_version: envelope.schema_version,
                event_time: envelope.event_time,
                receive_time: envelope.receive_time,
                correlation_id: envelope.correlation_id,
            };
            writer.append(&draft, record.payload).unwrap();
            true
        })
        .unwrap();
    writer.commit(Timestamp::from_unix_nanos(T0)).unwrap();
    assert!(dropped, "the run took at least one action");
    let (code, text) = replay(&copy);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("diverged at record") && text.contains("replayed: strategy.action"),
        "{text}"
    );
}

#[test]
fn parquet_export_reads_back_exactly() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("journal");
    record(&data);
    let out = temp.path().join("parquet");
    let output = Command::new(env!("CARGO_BIN_EXE_emp"))
        .args([
            "export",
            "--journal",
            data.to_str().unwrap(),
            "--parquet",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    // 1 200 spot quotes × 2 sides + 600 YES snapshots × 2 levels.
    assert!(
        stdout.contains("1800 market events: 3600 book rows"),
        "{stdout}"
    );

    let reader =
        SerializedFileReader::new(std::fs::File::open(out.join("book.parquet")).unwrap()).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 3_600);
    let first = reader.get_row_iter(None).unwrap().next().unwrap().unwrap();
    let text = first.to_string();
    // The first spot quote: bid 100 000.00 - 0.01 + the first step, exact.
    assert!(text.contains("instrument: \"BTC-USD\""), "{text}");
    assert!(
        text.contains("kind: \"quote\"") && text.contains("side: \"bid\""),
        "{text}"
    );

    // pandas/pyarrow users read the same files; CI requires the check.
    let script = format!(
        "import pyarrow.parquet as pq\n\
         t = pq.read_table('{}')\n\
         assert t.num_rows == 3600, t.num_rows\n\
         assert str(t.schema.field('price').type) == 'decimal128(18, 9)', t.schema\n\
         row = t.slice(0, 1).to_pylist()[0]\n\
         print(row['instrument'], row['side'], row['price'])\n",
        out.join("book.parquet").display()
    );
    match Command::new("python3").args(["-c", &script]).output() {
        Ok(result) if result.status.success() => {
            let printed = String::from_utf8_lossy(&result.stdout);
            assert!(printed.starts_with("BTC-USD bid "), "{printed}");
        }
        result => {
            let why = result.map_or_else(
                |error| error.to_string(),
                |r| String::from_utf8_lossy(&r.stderr).into_owned(),
            );
            assert!(
                std::env::var_os("EMP_REQUIRE_PYARROW").is_none(),
                "pyarrow could not read the export: {why}"
            );
        }
    }
}

#[test]
fn a_session_paused_resumed_and_moved_ends_where_an_uninterrupted_run_does() {
    use emp::backtest::{BacktestSession, BacktestSetup, run_seed};
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("journal");
    record(&data);
    let recording = emp::backtest::Recording::read(&data).unwrap();
    let header = recording.header.clone().unwrap();
    let mut instruments = model::InstrumentTable::new();
    for instrument in header.instruments {
        instruments.insert(instrument).unwrap();
    }
    let setup = BacktestSetup {
        instruments,
        params: strategy::ParamsFile::parse(&header.params_text, "p").unwrap(),
        features: sensory::FeatureParams::default(),
        limits: oms::risk::RiskLimits::default(),
        sink: venue::SimulatedSinkConfig::default(),
        equity_interval_nanos: 1_000_000_000,
        tail_nanos: 5_000_000_000,
        switched_off: Vec::new(),
    };
    let whole = run_seed(&recording, &setup, 3, None, &mut |_, _| {}).unwrap();
    assert!(whole.intents > 0);

    // Paused at three times, inspected, resumed.
    let mut session = BacktestSession::new(&recording, &setup, 3, None).unwrap();
    for seconds in [10, 45, 90] {
        session
            .run_until(Timestamp::from_unix_nanos(T0 + seconds * 1_000_000_000))
            .unwrap();
        assert_eq!(
            session.position(),
            (seconds * 15) as usize,
            "10 + 5 events per second"
        );
        assert!(
            session
                .pipeline()
                .sensory()
                .book(&InstrumentId::new("BTC-USD").unwrap())
                .is_some()
        );
    }
    assert_eq!(session.finish().unwrap(), whole);

    // Forward, back to the start, forward again: the same result.
    let mut session = BacktestSession::new(&recording, &setup, 3, None).unwrap();
    session.seek(1_000).unwrap();
    let intents_then = session.pipeline().oms().state().orders().count();
    session.seek(200).unwrap();
    assert_eq!(session.position(), 200);
    session.seek(1_000).unwrap();
    assert_eq!(
        session.pipeline().oms().state().orders().count(),
        intents_then
    );
    assert_eq!(session.finish().unwrap(), whole);

    // A session writing a journal refuses to go back.
    let mut recorder = Recorder::open(JournalConfig::new(temp.path().join("rec"))).unwrap();
    let mut session = BacktestSession::new(&recording, &setup, 3, Some(&mut recorder)).unwrap();
    session.seek(10).unwrap();
    let error = session.seek(5).err().unwrap().to_string();
    assert!(
        error.contains("cannot seek back from event 10 to 5"),
        "{error}"
    );
}
