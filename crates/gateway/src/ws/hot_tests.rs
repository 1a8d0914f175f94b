//! The hot paths (`price_change`, `l2_data` updates) against the general
//! path: for generated frames, close to the real ones and often broken in
//! one place, a decoder with the hot path and one decoding every frame
//! the general way produce the same events, notices, errors, counters and
//! book states, frame after frame.

#![allow(clippy::unwrap_used, reason = "test code")]

use model::{InstrumentId, Timestamp};
use proptest::prelude::*;

use super::coinbase::CoinbaseDecoder;
use super::polymarket::PolymarketDecoder;
use super::{FramePaths, InstrumentMap, WsError, WsOutput, decode_bytes};

const PM_A: &str = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const PM_B: &str = "52114319501245915516055106046884209969926127482827954674443846427813813222426";

fn now() -> Timestamp {
    Timestamp::from_unix_nanos(1_800_000_000_000_000_000)
}

fn state(map: &InstrumentMap) -> Vec<(bool, bool)> {
    map.slots
        .iter()
        .map(|slot| (slot.has_book, slot.awaiting_snapshot))
        .collect()
}

fn same_result(a: &Result<(), WsError>, b: &Result<(), WsError>) -> bool {
    match (a, b) {
        (Ok(()), Ok(())) => true,
        (Err(a), Err(b)) => a.to_string() == b.to_string(),
        _ => false,
    }
}

/// `frame` decoded by `hot` as `decode` does and by `general` through the
/// general path alone (counted the same): the same result and events, and
/// the same decoder state as `seen` reads it.
fn same_both_ways<D: FramePaths, S: PartialEq + std::fmt::Debug>(
    hot: &mut D,
    general: &mut D,
    frame: &str,
    seen: impl Fn(&D) -> S,
) -> Result<(), TestCaseError> {
    let (mut a, mut b) = (WsOutput::default(), WsOutput::default());
    let ra = decode_bytes(hot, frame.as_bytes(), now(), &mut a);
    general.counters_mut().frames += 1;
    let rb = general.general(frame.as_bytes().trim_ascii(), now(), &mut b);
    prop_assert!(same_result(&ra, &rb), "{frame}\n{ra:?}\n{rb:?}");
    prop_assert_eq!(&a, &b, "{}", frame);
    prop_assert_eq!(seen(hot), seen(general), "{}", frame);
    Ok(())
}

/// A JSON value for a field: mostly right, sometimes wrong in one way.
fn value(good: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::sample::select(good).prop_map(|v| format!("\"{v}\"")),
        1 => proptest::sample::select(&[
            "null", "17", "0.5", "\"\"", "\"x\"", "\"1e3\"", "\"-1\"", "\"a\\\"b\"", "[]", "{}",
        ][..]).prop_map(str::to_owned),
    ]
}

/// An object from `(key, value)` fields (given in the venue's order): in
/// that order or shuffled, some dropped, some doubled, an unknown field
/// now and then.
fn object(fields: Vec<(&'static str, BoxedStrategy<String>)>) -> BoxedStrategy<String> {
    let n = fields.len();
    let parts: Vec<BoxedStrategy<Option<String>>> = fields
        .into_iter()
        .map(|(key, value)| {
            prop_oneof![
                12 => value.clone().prop_map(move |v| Some(format!("\"{key}\":{v}"))),
                1 => Just(None),
                1 => (value.clone(), value).prop_map(move |(a, b)| Some(format!("\"{key}\":{a},\"{key}\":{b}"))),
            ]
            .boxed()
        })
        .collect();
    let extra = prop_oneof![
        6 => Just(None),
        1 => Just(Some(r#""tick_size":"0.01""#.to_owned())),
        1 => Just(Some(r#""x_new":{"a":[1,2,{"b":null}],"c":true}"#.to_owned())),
        1 => Just(Some(r#""x_esc":"a\nb""#.to_owned())),
    ];
    (
        parts,
        extra,
        Just(n).prop_perturb(|n, mut rng| {
            let mut order: Vec<usize> = (0..=n).collect();
            // Half the objects keep the venue's order (the hot paths try
            // it first), half are shuffled.
            if rng.random_range(0..2) == 0 {
                return order;
            }
            for i in (1..order.len()).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
            order
        }),
        any::<bool>(),
    )
        .prop_map(|(parts, extra, order, spaced)| {
            let mut all: Vec<Option<String>> = parts;
            all.push(extra);
            let items: Vec<String> = order.into_iter().filter_map(|i| all[i].clone()).collect();
            let sep = if spaced { ",\n    " } else { "," };
            format!("{{{}}}", items.join(sep))
        })
        .boxed()
}

fn pm_change() -> BoxedStrategy<String> {
    object(vec![
        // Known ids, an unknown one, and strings that begin like a known
        // id but are not it (one digit more or less, an escape after it).
        (
            "asset_id",
            value(&[
                PM_A,
                PM_B,
                PM_A,
                "999",
                "713210456792522125946263855327069127503327285719425322896313793124555839925630",
                "7132104567925221259462638553270691275033272857194253228963137931245558399256",
                "71321045679252212594626385532706912750332728571942532289631379312455583992563\\n",
            ])
            .boxed(),
        ),
        (
            "price",
            value(&["0.5", ".48", "1.", "0", "0.1234567891"]).boxed(),
        ),
        ("size", value(&["200", "0", "1.5", "-1"]).boxed()),
        ("side", value(&["BUY", "SELL", "sell", "HOLD"]).boxed()),
        (
            "hash",
            value(&["56621a121a47ed9333273e21c83b660cff37ae50"]).boxed(),
        ),
        ("best_bid", value(&["0.5", "0", ".49", "x"]).boxed()),
        ("best_ask", value(&["1", "0.5", "0", "1e1"]).boxed()),
    ])
}

fn pm_frame() -> BoxedStrategy<String> {
    let changes = proptest::collection::vec(pm_change(), 0..4)
        .prop_map(|c| format!("[{}]", c.join(",")))
        .boxed();
    prop_oneof![
        10 => object(vec![
            ("market", value(&["0x5f65"]).boxed()),
            ("price_changes", changes.clone()),
            ("timestamp", value(&["1757908892351", "17579088923", "x1"]).boxed()),
            ("event_type", value(&["price_change", "price_change", "book"]).boxed()),
        ]),
        1 => object(vec![
            ("event_type", value(&["book"]).boxed()),
            ("asset_id", value(&[PM_A, PM_B]).boxed()),
            ("bids", Just(r#"[{"price":".4","size":"1"}]"#.to_owned()).boxed()),
            ("asks", Just("[]".to_owned()).boxed()),
        ]),
        1 => object(vec![
            ("event_type", value(&["price_change"]).boxed()),
            ("asset_id", value(&[PM_A]).boxed()),
            ("changes", changes),
        ]),
    ]
    .boxed()
}

fn cb_level() -> BoxedStrategy<String> {
    object(vec![
        ("side", value(&["bid", "offer", "ask", "up"]).boxed()),
        (
            "event_time",
            value(&["2026-04-07T14:30:01.456789Z"]).boxed(),
        ),
        (
            "price_level",
            value(&["68900.00", "68901.", ".5", "1e5"]).boxed(),
        ),
        ("new_quantity", value(&["2.00000000", "0", "-3"]).boxed()),
    ])
}

fn cb_event() -> BoxedStrategy<String> {
    let levels = proptest::collection::vec(cb_level(), 0..3)
        .prop_map(|l| format!("[{}]", l.join(",")))
        .boxed();
    object(vec![
        (
            "type",
            value(&["update", "update", "snapshot", "other"]).boxed(),
        ),
        (
            "product_id",
            value(&["BTC-USD", "ETH-USD", "DOGE-USD"]).boxed(),
        ),
        ("updates", levels),
    ])
}

/// Envelopes; `seq` is the sequence number to use (the generator picks
/// next, same, a jump or odd forms around the decoder's last).
fn cb_frame(seq: u64) -> BoxedStrategy<String> {
    let events = proptest::collection::vec(cb_event(), 0..3)
        .prop_map(|e| format!("[{}]", e.join(",")))
        .boxed();
    let sequence = prop_oneof![
        8 => Just(format!("{}", seq + 1)),
        1 => Just(format!("{seq}")),
        1 => Just(format!("{}", seq + 3)),
        1 => Just(format!("\"{}\"", seq + 1)),
        1 => Just("1.5".to_owned()),
    ]
    .boxed();
    object(vec![
        ("channel", value(&["l2_data", "l2_data", "ticker"]).boxed()),
        ("client_id", value(&[""]).boxed()),
        (
            "timestamp",
            value(&["2026-04-07T14:30:01.456789Z", "2026-04-07"]).boxed(),
        ),
        ("sequence_num", sequence),
        ("events", events),
    ])
}

fn pm_decoders() -> (PolymarketDecoder, PolymarketDecoder) {
    let mut map = InstrumentMap::new();
    map.insert(PM_A, InstrumentId::new("A.PM").unwrap());
    map.insert(PM_B, InstrumentId::new("B.PM").unwrap());
    let mut hot = PolymarketDecoder::new(map);
    let mut out = WsOutput::default();
    // A's book is there; B's awaits its snapshot.
    let book = format!(r#"{{"event_type":"book","asset_id":"{PM_A}","bids":[],"asks":[]}}"#);
    hot.decode(book.as_bytes(), now(), &mut out).unwrap();
    (hot.clone(), hot)
}

fn cb_decoders() -> (CoinbaseDecoder, CoinbaseDecoder) {
    let mut map = InstrumentMap::new();
    map.insert("BTC-USD", InstrumentId::new("BTC-USD.CB").unwrap());
    map.insert("ETH-USD", InstrumentId::new("ETH-USD.CB").unwrap());
    let mut hot = CoinbaseDecoder::new(map);
    let mut out = WsOutput::default();
    let snapshot = r#"{"channel":"l2_data","sequence_num":10,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[]}]}"#;
    hot.decode(snapshot.as_bytes(), now(), &mut out).unwrap();
    (hot.clone(), hot)
}

#[test]
fn hot_paths_take_the_reference_samples() {
    let (mut pm, _) = pm_decoders();
    let mut map = InstrumentMap::new();
    map.insert(PM_B, InstrumentId::new("B.PM").unwrap());
    let frame = include_str!("../../tests/ws_samples/pm_price_change.json").trim_ascii();
    let mut out = WsOutput::default();
    let book = format!(r#"{{"event_type":"book","asset_id":"{PM_B}","bids":[],"asks":[]}}"#);
    pm.decode(book.as_bytes(), now(), &mut out).unwrap();
    out.clear();
    assert!(pm.hot_price_change(frame, now(), &mut out));
    assert_eq!(out.events.len(), 4);

    let (mut cb, _) = cb_decoders();
    let frame = include_str!("../../tests/ws_samples/cb_l2_update.json")
        .replace(r#""sequence_num": 1"#, r#""sequence_num": 11"#);
    out.clear();
    assert!(cb.hot_l2_update(frame.trim_ascii(), now(), &mut out));
    assert_eq!(out.events.len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn polymarket_hot_path_equals_general_path(frames in proptest::collection::vec(pm_frame(), 1..6)) {
        let (mut hot, mut general) = pm_decoders();
        for frame in &frames {
            same_both_ways(&mut hot, &mut general, frame, |d| {
                (*d.counters(), state(d.instruments()))
            })?;
        }
    }

    #[test]
    fn coinbase_hot_path_equals_general_path(picks in proptest::collection::vec(any::<proptest::sample::Index>(), 1..6), seed in any::<u64>()) {
        let (mut hot, mut general) = cb_decoders();
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            ProptestConfig::default(),
            proptest::test_runner::TestRng::from_seed(
                proptest::test_runner::RngAlgorithm::ChaCha,
                &{ let mut s = [0u8; 32]; s[..8].copy_from_slice(&seed.to_le_bytes()); s },
            ),
        );
        for _ in &picks {
            let last = hot.last_sequence().unwrap_or(0);
            let frame = cb_frame(last).new_tree(&mut runner).unwrap().current();
            same_both_ways(&mut hot, &mut general, &frame, |d| {
                (*d.counters(), d.last_sequence(), state(d.instruments()))
            })?;
        }
    }
}
