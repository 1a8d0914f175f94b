//! Property tests of the codec and validator.
//!
//! - decode ∘ encode is the identity on fields, and on typed values;
//! - random mutations of valid messages (byte flips, insertions, deletions,
//!   truncation, splices) never panic the framer, decoder, validator or
//!   accessors;
//! - the validator's fast path agrees with its full pass on every input:
//!   `validate` returns exactly the first error `report` lists.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::sync::Arc;

use gateway::fix::codec::{
    Decoder, DecoderConfig, Encoder, Frame, Framer, Header, Tag, TimestampPrecision,
};
use gateway::fix::dict::{Dictionary, ShippedDictionary, ValidationOptions, Validator};
use gateway::fixtures::soh;
use model::{Decimal, Timestamp};
use proptest::prelude::*;

/// Tags the encoder treats specially or that carry length-prefixed data.
fn ordinary_tag() -> impl Strategy<Value = Tag> {
    (1u32..20_000).prop_filter("not a framing or data tag", |tag| {
        ![8, 9, 10, 35, 89, 90, 91, 93, 95, 96, 212, 213].contains(tag)
            && !(348..=365).contains(tag)
            && ![445, 446, 618, 619, 621, 622, 1401, 1402, 1403, 1404].contains(tag)
    })
}

fn text_value() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![0x20u8..0x7f, 0x80u8..=0xff], 1..40)
}

fn header(seq: u64, nanos: u64) -> Header<'static> {
    Header {
        sender_comp_id: b"SENDER",
        target_comp_id: b"TARGET",
        msg_seq_num: seq,
        sending_time: Timestamp::from_unix_nanos(nanos),
        poss_dup: false,
        orig_sending_time: None,
        extra: &[],
    }
}

fn dictionaries() -> Vec<Arc<Dictionary>> {
    [
        ShippedDictionary::Fix44,
        ShippedDictionary::CTraderFix44,
        ShippedDictionary::Fixt11Fix50Sp2,
    ]
    .into_iter()
    .map(|shipped| shipped.load().unwrap())
    .collect()
}

/// Valid messages to mutate: the cTrader samples and a few QuickFIX-style ones.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = include_str!("../test_data/ctrader_samples.txt")
        .lines()
        .map(soh)
        .collect();
    for text in [
        "8=FIX.4.4|35=D|34=2|49=TW44|52=20230713-04:30:17.816|56=ISLD|11=ID|21=1|40=1|54=1|38=200.00|55=INTC|60=20230713-04:30:17|453=2|448=BROKER|447=D|452=1|802=1|523=desk|803=1|448=CLIENT|447=D|452=3|",
        "8=FIX.4.4|35=A|34=1|49=TW44|52=20230713-04:30:17|56=ISLD|98=0|108=30|95=5|96=ab\x01cd|",
        "8=FIXT.1.1|35=D|34=2|49=TW50|52=20230713-04:30:17.816|56=ISLD|1128=9|11=ID|40=1|54=1|38=200|55=INTC|60=20230713-04:30:17|",
    ] {
        seeds.push(gateway::fixtures::wire(text));
    }
    seeds
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Truncate { len: usize },
    Splice { from: usize, to: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just(b'='),
        Just(0x01u8),
        Just(b'-'),
        Just(b'0'),
        Just(b'9'),
        any::<u8>()
    ];
    prop_oneof![
        (any::<usize>(), interesting.clone()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (any::<usize>(), proptest::collection::vec(interesting, 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..12).prop_map(|(at, len)| Mutation::Delete { at, len }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        (any::<usize>(), any::<usize>(), 1usize..30).prop_map(|(from, to, len)| Mutation::Splice {
            from,
            to,
            len
        }),
    ]
}

fn apply(message: &mut Vec<u8>, mutation: &Mutation) {
    let len = message.len().max(1);
    match mutation {
        Mutation::Flip { at, byte } => {
            if let Some(slot) = message.get_mut(at % len) {
                *slot = *byte;
            }
        }
        Mutation::Insert { at, bytes } => {
            let at = at % (message.len() + 1);
            message.splice(at..at, bytes.iter().copied());
        }
        Mutation::Delete { at, len: count } => {
            let at = at % len;
            let end = (at + count).min(message.len());
            message.drain(at.min(end)..end);
        }
        Mutation::Truncate { len: keep } => message.truncate(keep % len),
        Mutation::Splice {
            from,
            to,
            len: count,
        } => {
            let from = from % len;
            let piece: Vec<u8> = message.iter().skip(from).take(*count).copied().collect();
            let to = to % (message.len() + 1);
            message.splice(to..to, piece);
        }
    }
}

/// Everything counterparty bytes reach; panics only on a broken invariant.
fn exercise(bytes: &[u8], dictionaries: &[Arc<Dictionary>]) {
    for dict in dictionaries {
        let mut decoder = Decoder::new(DecoderConfig {
            data_fields: dict.data_fields().clone(),
            ..DecoderConfig::default()
        });
        let mut validator = Validator::new(dict.clone(), ValidationOptions::default());
        if let Ok(message) = decoder.decode(bytes) {
            let verdict = validator.validate(&message);
            let report = validator.report(&message);
            assert_eq!(
                verdict.err(),
                report.errors.first().cloned(),
                "fast path and full pass disagree"
            );
            for field in message.iter() {
                let _ = (
                    field.as_int(),
                    field.as_uint(),
                    field.as_decimal(),
                    field.as_timestamp(),
                );
                let _ = (
                    field.as_char(),
                    field.as_bool(),
                    field.as_str(),
                    field.as_time_only(),
                );
            }
            if let Some(def) = dict.message(message.msg_type()) {
                for group in def.body().groups() {
                    if let Some(entries) = message.group(group) {
                        for entry in entries {
                            let _ = entry.fields().count();
                        }
                    }
                }
            }
        }
    }
    let mut framer = Framer::new(512);
    let mut pos = 0;
    for _ in 0..=bytes.len() * 2 + 2 {
        match framer.poll(&bytes[pos..]) {
            Frame::Message { len } | Frame::Skip { len, .. } => {
                assert!(len > 0 && pos + len <= bytes.len());
                pos += len;
            }
            Frame::Incomplete => return,
        }
    }
    panic!("framer did not settle");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_inverts_encode(
        seq in 1u64..u64::MAX,
        nanos in 0u64..u64::MAX,
        msg_type in "[0-9A-Za-z]{1,3}",
        body in proptest::collection::vec((ordinary_tag(), text_value()), 0..30),
    ) {
        let encoder = Encoder::new(b"FIX.4.4");
        let mut out = b"left alone".to_vec();
        let mut writer = encoder.begin(&mut out, msg_type.as_bytes(), &header(seq, nanos));
        for (tag, value) in &body {
            writer.str(*tag, value);
        }
        let range = writer.finish().unwrap();
        prop_assert_eq!(&out[..10], b"left alone");
        let mut decoder = Decoder::default();
        let message = decoder.decode(&out[range]).unwrap();
        prop_assert_eq!(message.msg_type(), msg_type.as_bytes());
        prop_assert_eq!(message.get(34).unwrap().as_uint().unwrap(), seq);
        let timestamp = message.get(52).unwrap().as_timestamp().unwrap();
        prop_assert_eq!(timestamp.unix_nanos(), nanos - nanos % 1_000_000);
        let decoded: Vec<(Tag, &[u8])> = message.iter().skip(7).map(|f| (f.tag(), f.value())).collect();
        let expected: Vec<(Tag, &[u8])> = body.iter().map(|(tag, value)| (*tag, value.as_slice())).collect();
        prop_assert_eq!(&decoded[..decoded.len() - 1], &expected[..]);
    }

    #[test]
    fn typed_values_round_trip(
        int in any::<i64>(),
        mantissa in any::<i64>().prop_filter("parse caps at i64::MAX", |m| *m != i64::MIN),
        scale in 0u8..=18,
        nanos in 0u64..u64::MAX,
        precision in prop_oneof![
            Just(TimestampPrecision::Seconds),
            Just(TimestampPrecision::Millis),
            Just(TimestampPrecision::Micros),
            Just(TimestampPrecision::Nanos),
        ],
        data in proptest::collection::vec(any::<u8>(), 0..64),
        flag in any::<bool>(),
    ) {
        let decimal = Decimal::new(mantissa, scale).unwrap();
        let at = Timestamp::from_unix_nanos(nanos);
        let encoder = Encoder::new(b"FIX.4.4").with_timestamp_precision(precision);
        let mut out = Vec::new();
        let mut writer = encoder.begin(&mut out, b"U1", &header(1, 0));
        writer.int(5001, int).decimal(5002, decimal).timestamp(5003, at).bool(5004, flag).data(95, 96, &data);
        let range = writer.finish().unwrap();
        let mut decoder = Decoder::default();
        let message = decoder.decode(&out[range]).unwrap();
        prop_assert_eq!(message.require(5001).unwrap().as_int().unwrap(), int);
        let back = message.require(5002).unwrap().as_decimal().unwrap();
        prop_assert_eq!((back.mantissa(), back.scale()), (mantissa, scale));
        let unit = 10u64.pow(9 - precision.digits() as u32);
        prop_assert_eq!(message.require(5003).unwrap().as_timestamp().unwrap().unix_nanos(), nanos - nanos % unit);
        prop_assert_eq!(message.require(5004).unwrap().as_bool().unwrap(), flag);
        prop_assert_eq!(message.require(96).unwrap().as_data(), &data[..]);
    }

    #[test]
    fn mutated_messages_never_panic(
        seed in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let mut bytes = seeds[seed.index(seeds.len())].clone();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        exercise(&bytes, &dictionaries());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        exercise(&bytes, &dictionaries());
        let mut framed = b"8=FIX.4.4\x019=".to_vec();
        framed.extend_from_slice(&bytes);
        exercise(&framed, &dictionaries());
    }
}

#[test]
fn every_seed_is_valid() {
    let dictionaries = dictionaries();
    for seed in seeds() {
        let dict = if seed.starts_with(b"8=FIXT") {
            &dictionaries[2]
        } else if seed.windows(4).any(|w| w == b"\x0149=")
            && seed.windows(8).any(|w| w == b"CSERVER\x01")
        {
            &dictionaries[1]
        } else {
            &dictionaries[0]
        };
        let mut decoder = Decoder::new(DecoderConfig {
            data_fields: dict.data_fields().clone(),
            ..DecoderConfig::default()
        });
        let message = decoder.decode(&seed).unwrap();
        Validator::new(dict.clone(), ValidationOptions::default())
            .validate(&message)
            .unwrap_or_else(|error| panic!("{error}: {}", gateway::fixtures::pipes(&seed)));
    }
}
