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
//! The output buffer is reused (cleared each iteration), as the driver
//! does; each delta's change list is still one allocation.
//!
//! Run: `cargo bench -p gateway --bench ws`.

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

const T0: Timestamp = Timestamp::from_unix_nanos(1_795_242_554_123_000_000);

fn book(asset: &str) -> String {
    format!(
        r#"{{"event_type":"book","asset_id":"{asset}","bids":[{{"price":".4","size":"1"}}],"asks":[{{"price":".6","size":"1"}}]}}"#
    )
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
        ("polymarket_price_change", PM_PRICE_CHANGE.as_bytes()),
        ("polymarket_price_change_compact", compact.as_bytes()),
    ] {
        out.clear();
        pm.decode(frame, T0, &mut out).expect("price_change");
        assert_eq!(out.events.len(), 4, "{name}: two deltas and two quotes");
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                let _ = pm.decode(black_box(frame), T0, &mut out);
                black_box(out.events.len())
            });
        });
    }

    let mut map = InstrumentMap::new();
    map.insert(
        "BTC-USD",
        InstrumentId::new("BTC-USD.COINBASE").expect("valid id"),
    );
    let mut cb = CoinbaseDecoder::new(map);
    // The snapshot sets the sequence baseline just below the update's.
    let snapshot = CB_SNAPSHOT.replace(r#""sequence_num": 0"#, r#""sequence_num": 999999999"#);
    cb.decode(snapshot.as_bytes(), T0, &mut out)
        .expect("snapshot");
    // Each iteration must carry the next sequence number, or it would be
    // dropped as a duplicate: patch ten digits in place (same length).
    let template = CB_UPDATE.replace(r#""sequence_num": 1"#, r#""sequence_num": 1000000000"#);
    let at = template.find("1000000000").expect("sequence digits");
    let mut frame = template.into_bytes();
    let mut seq: u64 = 1_000_000_000;
    group.throughput(Throughput::Bytes(frame.len() as u64));
    group.bench_function("coinbase_l2_update", |b| {
        b.iter(|| {
            let mut n = seq;
            for digit in frame[at..at + 10].iter_mut().rev() {
                *digit = b'0' + (n % 10) as u8;
                n /= 10;
            }
            seq += 1;
            out.clear();
            let _ = cb.decode(black_box(&frame), T0, &mut out);
            black_box(out.events.len())
        });
    });
    out.clear();
    cb.decode(&frame, T0, &mut out).expect("still in order");
    assert_eq!(cb.counters().gaps, 0, "no gap during the run");
    assert_eq!(cb.counters().duplicates, 1, "only the final re-decode");
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
