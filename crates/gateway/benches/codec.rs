//! Criterion benchmarks of the FIX codec on the two messages
//! `../shared/reference/floors.md` measures: a 174-byte NewOrderSingle and a
//! 266-byte ExecutionReport.
//!
//! - `decode_validate/*`: frame checks, field index, and FIX 4.4 dictionary
//!   validation: what a session does with every inbound message.
//! - `decode/*`: frame checks and field index alone.
//! - `encode/*`: the same message written from typed values.
//! - `framer/*`: finding message boundaries in a stream of both.
//! - `floor/*`: the reference point of `../shared/reference/floors.md`, a
//!   bare hand-written splitter into (tag, start, end) with BodyLength and
//!   CheckSum checks and nothing else. Absolute times differ from machine to
//!   machine; the ratio of `decode_validate` to `floor` in one run does not.
//!
//! Run: `cargo bench -p gateway --bench codec`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gateway::fix::codec::{Decoder, DecoderConfig, Encoder, Frame, Framer, Header};
use gateway::fix::dict::{ShippedDictionary, ValidationOptions, Validator};
use model::{Decimal, Timestamp};

/// 174 bytes, 17 fields.
const NEW_ORDER_SINGLE: &[u8] = b"8=FIX.4.4\x019=151\x0135=D\x0134=1234\x0149=CLIENT01\x0152=20261121-06:29:14.123\x0156=VENUE01\x01\
11=ORD-000001\x0121=1\x0138=100000\x0140=2\x0144=1.06625\x0154=1\x0155=EURUSD\x0159=0\x0160=20261121-06:29:14.123\x0110=252\x01";

/// 266 bytes, 25 fields.
const EXECUTION_REPORT: &[u8] = b"8=FIX.4.4\x019=243\x0135=8\x0134=5678\x0149=VENUE01\x0152=20261121-06:29:14.125\x0156=CLIENT01\x01\
6=1.06625\x0111=ORD-000001\x0114=40000\x0117=EXEC-0000001\x0131=1.06625\x0132=40000\x0137=VENUE-ORD-0000001\x01\
38=100000\x0139=1\x0140=2\x0144=1.06625\x0154=1\x0155=EURUSD\x0159=0\x0160=20261121-06:29:14.124\x01150=F\x01151=60000\x0110=255\x01";

/// 2026-11-21T06:29:14.123Z.
const T0: Timestamp = Timestamp::from_unix_nanos(1_795_242_554_123_000_000);

struct OrderValues {
    price: Decimal,
    quantity: Decimal,
    filled: Decimal,
    leaves: Decimal,
}

fn values() -> OrderValues {
    let parse = |text: &str| text.parse::<Decimal>().expect("literal decimal");
    OrderValues {
        price: parse("1.06625"),
        quantity: parse("100000"),
        filled: parse("40000"),
        leaves: parse("60000"),
    }
}

fn encode_new_order(encoder: &Encoder, out: &mut Vec<u8>, v: &OrderValues) {
    let header = Header {
        sender_comp_id: b"CLIENT01",
        target_comp_id: b"VENUE01",
        msg_seq_num: 1234,
        sending_time: T0,
        poss_dup: false,
        orig_sending_time: None,
        extra: &[],
    };
    let mut body = encoder.begin(out, b"D", &header);
    body.str(11, b"ORD-000001")
        .char(21, b'1')
        .decimal(38, v.quantity)
        .char(40, b'2')
        .decimal(44, v.price)
        .char(54, b'1')
        .str(55, b"EURUSD")
        .char(59, b'0')
        .timestamp(60, T0);
    body.finish().expect("valid message");
}

fn encode_execution_report(encoder: &Encoder, out: &mut Vec<u8>, v: &OrderValues) {
    let header = Header {
        sender_comp_id: b"VENUE01",
        target_comp_id: b"CLIENT01",
        msg_seq_num: 5678,
        sending_time: Timestamp::from_unix_nanos(T0.unix_nanos() + 2_000_000),
        poss_dup: false,
        orig_sending_time: None,
        extra: &[],
    };
    let mut body = encoder.begin(out, b"8", &header);
    body.decimal(6, v.price)
        .str(11, b"ORD-000001")
        .decimal(14, v.filled)
        .str(17, b"EXEC-0000001")
        .decimal(31, v.price)
        .decimal(32, v.filled)
        .str(37, b"VENUE-ORD-0000001")
        .decimal(38, v.quantity)
        .char(39, b'1')
        .char(40, b'2')
        .decimal(44, v.price)
        .char(54, b'1')
        .str(55, b"EURUSD")
        .char(59, b'0')
        .timestamp(60, Timestamp::from_unix_nanos(T0.unix_nanos() + 1_000_000))
        .char(150, b'F')
        .decimal(151, v.leaves);
    body.finish().expect("valid message");
}

/// The floor: split into (tag, value start, value end), check BodyLength and
/// CheckSum, nothing else (no dictionary, no typed values, no errors beyond
/// "bad").
fn floor_split(bytes: &[u8], out: &mut Vec<(u32, u32, u32)>) -> Option<usize> {
    out.clear();
    let mut i = 0;
    let mut body_start = 0;
    let mut body_length = 0;
    while i < bytes.len() {
        let mut tag = 0u32;
        while bytes[i] != b'=' {
            tag = tag * 10 + u32::from(bytes[i].wrapping_sub(b'0'));
            i += 1;
        }
        i += 1;
        let start = i;
        while bytes[i] != 1 {
            i += 1;
        }
        out.push((tag, start as u32, i as u32));
        i += 1;
        if tag == 9 {
            body_length = bytes[start..i - 1]
                .iter()
                .fold(0, |n, d| n * 10 + usize::from(d - b'0'));
            body_start = i;
        }
        if tag == 10 {
            let trailer = start - 3;
            let sum = bytes[..trailer].iter().fold(0u8, |s, &b| s.wrapping_add(b));
            let declared = bytes[start..i - 1]
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
            return (trailer - body_start == body_length && u32::from(sum) == declared)
                .then_some(out.len());
        }
    }
    None
}

fn codec(c: &mut Criterion) {
    let dict = ShippedDictionary::Fix44
        .load()
        .expect("shipped dictionary loads");
    let config = DecoderConfig {
        data_fields: dict.data_fields().clone(),
        ..DecoderConfig::default()
    };
    let mut decoder = Decoder::new(config);
    let mut validator = Validator::new(dict, ValidationOptions::default());
    let encoder = Encoder::new(b"FIX.4.4");
    let v = values();

    // The encoder writes exactly the bytes the decoder benchmarks read.
    let mut out = Vec::with_capacity(512);
    encode_new_order(&encoder, &mut out, &v);
    assert_eq!(out, NEW_ORDER_SINGLE);
    out.clear();
    encode_execution_report(&encoder, &mut out, &v);
    assert_eq!(out, EXECUTION_REPORT);
    for message in [NEW_ORDER_SINGLE, EXECUTION_REPORT] {
        let decoded = decoder.decode(message).expect("benchmark messages decode");
        validator
            .validate(&decoded)
            .expect("benchmark messages are valid FIX 4.4");
    }

    let mut split = Vec::with_capacity(64);
    for (name, message) in [
        ("new_order_single_174B", NEW_ORDER_SINGLE),
        ("execution_report_266B", EXECUTION_REPORT),
    ] {
        assert_eq!(
            floor_split(message, &mut split),
            Some(decoder.decode(message).expect("decodes").field_count())
        );
        let mut group = c.benchmark_group("floor");
        group.throughput(Throughput::Bytes(message.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(floor_split(black_box(message), &mut split)));
        });
        group.finish();

        let mut group = c.benchmark_group("decode_validate");
        group.throughput(Throughput::Bytes(message.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let decoded = decoder.decode(black_box(message)).expect("decodes");
                validator.validate(&decoded).expect("valid");
                black_box(decoded.field_count())
            });
        });
        group.finish();

        let mut group = c.benchmark_group("decode");
        group.throughput(Throughput::Bytes(message.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    decoder
                        .decode(black_box(message))
                        .expect("decodes")
                        .field_count(),
                )
            });
        });
        group.finish();
    }

    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Bytes(NEW_ORDER_SINGLE.len() as u64));
    group.bench_function("new_order_single_174B", |b| {
        b.iter(|| {
            out.clear();
            encode_new_order(&encoder, &mut out, black_box(&v));
            black_box(out.len())
        });
    });
    group.throughput(Throughput::Bytes(EXECUTION_REPORT.len() as u64));
    group.bench_function("execution_report_266B", |b| {
        b.iter(|| {
            out.clear();
            encode_execution_report(&encoder, &mut out, black_box(&v));
            black_box(out.len())
        });
    });
    group.finish();

    let stream: Vec<u8> = [NEW_ORDER_SINGLE, EXECUTION_REPORT].concat().repeat(32);
    let mut group = c.benchmark_group("framer");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("64_messages_in_one_read", |b| {
        let mut framer = Framer::default();
        b.iter(|| {
            let mut pos = 0;
            let mut count = 0;
            while let Frame::Message { len } = framer.poll(black_box(&stream[pos..])) {
                pos += len;
                count += 1;
            }
            black_box(count)
        });
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
