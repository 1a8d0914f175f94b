//! Arbitrary bytes through everything counterparty input reaches: the
//! framer (in pieces, as reads deliver them), the decoder, validation
//! against FIX 4.4 and the cTrader variant, every typed accessor and the
//! repeating groups. Nothing may panic, and the framer must consume input.

#![no_main]

use std::sync::LazyLock;

use gateway::fix::codec::{Decoder, DecoderConfig, Frame, Framer, Message};
use gateway::fix::dict::{Dictionary, ShippedDictionary, ValidationOptions, Validator};
use libfuzzer_sys::fuzz_target;

static DICTIONARIES: LazyLock<Vec<std::sync::Arc<Dictionary>>> = LazyLock::new(|| {
    [ShippedDictionary::Fix44, ShippedDictionary::CTraderFix44]
        .into_iter()
        .map(|shipped| shipped.load().expect("shipped dictionaries load"))
        .collect()
});

fn exercise(message: &Message<'_>, dict: &Dictionary) {
    for field in message.iter() {
        let _ = field.as_str();
        let _ = field.as_int();
        let _ = field.as_uint();
        let _ = field.as_decimal();
        let _ = field.as_timestamp();
        let _ = field.as_time_only();
        let _ = field.as_date_only();
        let _ = field.as_char();
        let _ = field.as_bool();
    }
    if let Some(def) = dict.message(message.msg_type()) {
        for group in def.body().groups() {
            if let Some(entries) = message.group(group) {
                for entry in entries {
                    let _ = entry.get(group.delimiter());
                    for nested in group.entry().groups() {
                        if let Some(inner) = entry.group(nested.count_tag()) {
                            let _ = inner.count();
                        }
                    }
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte chooses how reads split the stream.
    let (chunk, stream) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 64) + 1, rest),
        None => return,
    };
    for dict in DICTIONARIES.iter() {
        let mut decoder = Decoder::new(DecoderConfig {
            data_fields: dict.data_fields().clone(),
            max_message_size: 4096,
            ..DecoderConfig::default()
        });
        let mut validator = Validator::new(dict.clone(), ValidationOptions::default());
        let mut framer = Framer::new(4096);
        let mut buffer = Vec::new();
        for piece in stream.chunks(chunk) {
            buffer.extend_from_slice(piece);
            loop {
                match framer.poll(&buffer) {
                    Frame::Message { len } => {
                        assert!(len > 0 && len <= buffer.len());
                        let frame: Vec<u8> = buffer.drain(..len).collect();
                        if let Ok(message) = decoder.decode(&frame) {
                            let verdict = validator.validate(&message);
                            let report = validator.report(&message);
                            assert_eq!(verdict.err(), report.errors.first().cloned());
                            exercise(&message, dict);
                        }
                    }
                    Frame::Skip { len, .. } => {
                        assert!(len > 0 && len <= buffer.len());
                        buffer.drain(..len);
                    }
                    Frame::Incomplete => break,
                }
            }
            assert!(
                buffer.len() <= 4096 + 64,
                "framer kept {} bytes",
                buffer.len()
            );
        }
        // The whole input as one message, too.
        if let Ok(message) = decoder.decode(stream) {
            let _ = validator.validate(&message);
            exercise(&message, dict);
        }
    }
});
