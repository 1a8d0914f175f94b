//! Criterion benchmarks of the websocket market-data decoders: parse and
//! normalize one frame into `model::MarketEvent`s, as the adapters do for
//! every frame they receive.
//!
//! - `ws/polymarket_price_change`: the reference `price_change` (two
//!   assets, one change each, best bid/ask) → two deltas and two quotes;
//!   the sample is pretty-printed as in the venue's docs (847 bytes).
//! - `ws/polymarket_price_change_compact`: the same message without the
//!   whitespace (584 bytes), as the venue sends it.
//! - `ws/coinbase_l2_update`: the reference `l2_data` update (two levels)
//!   → one delta, with the sequence check.
//!
//! Frames go in as `&str` through `decode_text`, as the websocket client
//! passes its (already UTF-8) text frames. The output buffer is reused
//! (cleared each iteration), as the driver does; each delta's change list
//! is still one allocation.
//!
//! Run: `cargo bench -p gateway --bench ws`.
//!
//! On a shared machine wall time is noisy; for CPU time, run one
//! benchmark's body a fixed number of times under `perf stat`:
//! `EMP_WS_DECODES=coinbase_l2_update=3000000 perf stat -e task-clock
//! target/release/deps/ws-… --bench` (task-clock ÷ count, less the setup).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gateway::ws::coinbase::CoinbaseDecoder;
use gateway::ws::polymarket::PolymarketDecoder;
use gateway::ws::{InstrumentMap, WsOutput};
use model::{InstrumentId, Timestamp};

const PM_A: &str = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const PM_B: &str = "52114319501245915516055106046884209969926127482827954674443846427813813222426";
const PM_PRICE_CHANGE: &str = include_str!("../tests/ws_samples/pm_price_change.json");
const CB_SNAPSHOT: &str = include_str!("../tests/ws_samples/cb_l2_snapshot.json");
const CB_UPDATE: &str = include_str!("../tests/ws_samples/cb_l2_update.json");

const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

const T0: Timestamp = Timestamp::from_unix_nanos(1_795_242_554_123_000_000);

fn book(asset: &str) -> String {
    format!(
        r#"{{"event_type":"book","asset_id":"{asset}","bids":[{{"price":".4","size":"1"}}],"asks":[{{"price":".6","size":"1"}}]}}"#
    )
}

/// `Some(count)` when `EMP_WS_DECODES` is `name=count`: the body is to
/// run that many times outside criterion.
fn fixed_count(name: &str) -> Option<u64> {
    let spec = std::env::var("EMP_WS_DECODES").ok()?;
    let (which, count) = spec.split_once('=')?;
    (which == name).then(|| count.parse().expect("EMP_WS_DECODES=name=count"))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("ws");

    let mut map = InstrumentMap::new();
    for asset in [PM_A, PM_B] {
        let id = InstrumentId::new(&format!("{}.POLYMARKET", &asset[..20])).expect("valid id");
        map.insert(asset, id);
    }
    let mut pm = PolymarketDecoder::new(map);
    let mut out = WsOutput::default();
    for asset in [PM_A, PM_B] {
        pm.decode(book(asset).as_bytes(), T0, &mut out)
            .expect("book");
    }
    out.clear();
    pm.decode(PM_PRICE_CHANGE.as_bytes(), T0, &mut out)
        .expect("price_change");
    assert_eq!(out.events.len(), 4, "two deltas and two quotes");
    let compact: String = PM_PRICE_CHANGE.split_whitespace().collect();
    for (name, frame) in [
        ("polymarket_price_change", PM_PRICE_CHANGE),
        ("polymarket_price_change_compact", compact.as_str()),
    ] {
        out.clear();
        pm.decode_text(frame, T0, &mut out).expect("price_change");
        assert_eq!(out.events.len(), 4, "{name}: two deltas and two quotes");
        let mut run = || {
            out.clear();
            let _ = pm.decode_text(black_box(frame), T0, &mut out);
            black_box(out.events.len())
        };
        if let Some(count) = fixed_count(name) {
            for _ in 0..count {
                run();
            }
            continue;
        }
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function(name, |b| b.iter(&mut run));
    }

    let mut map = InstrumentMap::new();
    map.insert(
        "BTC-USD",
        InstrumentId::new("BTC-USD.COINBASE").expect("valid id"),
    );
    let mut cb = CoinbaseDecoder::new(map);
    // The snapshot sets the sequence baseline to the template's number:
    // each iteration increments it first, so every update is the next.
    let snapshot = CB_SNAPSHOT.replace(r#""sequence_num": 0"#, r#""sequence_num": 1000000000"#);
    cb.decode(snapshot.as_bytes(), T0, &mut out)
        .expect("snapshot");
    // Each iteration must carry the next sequence number, or it would be
    // dropped as a duplicate: the ten digits are incremented in place, as
    // text (same length; usually one byte changes, so the harness adds
    // next to nothing to what is measured).
    let template = CB_UPDATE.replace(r#""sequence_num": 1"#, r#""sequence_num": 1000000000"#);
    let at = template.find("1000000000").expect("sequence digits");
    let mut frame = template;
    let bytes = frame.len() as u64;
    let mut run = || {
        for place in (at..at + 10).rev() {
            let next = match frame.as_bytes()[place] {
                b'9' => "0",
                digit => DIGITS[usize::from(digit - b'0' + 1)],
            };
            frame.replace_range(place..=place, next);
            if next != "0" {
                break;
            }
        }
        out.clear();
        let _ = cb.decode_text(black_box(&frame), T0, &mut out);
        black_box(out.events.len())
    };
    if let Some(count) = fixed_count("coinbase_l2_update") {
        for _ in 0..count {
            run();
        }
    } else {
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function("coinbase_l2_update", |b| b.iter(&mut run));
    }
    out.clear();
    cb.decode_text(&frame, T0, &mut out)
        .expect("still in order");
    assert_eq!(cb.counters().gaps, 0, "no gap during the run");
    assert_eq!(cb.counters().duplicates, 1, "only the final re-decode");
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
