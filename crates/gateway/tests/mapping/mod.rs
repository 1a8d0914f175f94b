//! Helpers the order and market-data mapping tests share: exact values
//! from text, dictionary validation of an encoded message, its body
//! fields, and delivery between two in-memory sessions.
#![allow(
    clippy::unwrap_used,
    dead_code,
    unreachable_pub,
    reason = "test code; each test file uses a different subset"
)]

use gateway::fix::codec::{Decoder, DecoderConfig, Tag};
use gateway::fix::dict::{ShippedDictionary, ValidationOptions, Validator};
use gateway::fix::session::{AppMessage, Session, SessionEvent};
use gateway::fix::store::MemStore;
use gateway::fixtures::{pipes, wire};
use model::{Price, Quantity, Timestamp, VenueSymbol};

pub fn px(text: &str) -> Price {
    text.parse().unwrap()
}

pub fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

pub fn symbol(text: &str) -> VenueSymbol {
    VenueSymbol::new(text).unwrap()
}

/// A FIX UTCTimestamp (`YYYYMMDD-HH:MM:SS.sss`), through the codec's own
/// parser.
pub fn at(text: &str) -> Timestamp {
    let bytes = wire(&format!("8=FIX.4.4|35=0|60={text}|"));
    let mut decoder = Decoder::default();
    decoder
        .decode(&bytes)
        .unwrap()
        .require(60)
        .unwrap()
        .as_timestamp()
        .unwrap()
}

/// Validates `message` against `dictionary` and checks every required
/// body field is there.
pub fn validate(dictionary: ShippedDictionary, message: &[u8]) {
    let dict = dictionary.load().unwrap();
    let mut decoder = Decoder::new(DecoderConfig {
        data_fields: dict.data_fields().clone(),
        ..DecoderConfig::default()
    });
    let decoded = decoder.decode(message).unwrap();
    let mut validator = Validator::new(dict.clone(), ValidationOptions::default());
    if let Err(error) = validator.validate(&decoded) {
        panic!("{dictionary:?} rejects {}: {error}", pipes(message));
    }
    // Validation found every required field; say so explicitly too.
    let definition = dict.message(decoded.msg_type()).unwrap();
    for tag in definition.body().required_tags() {
        assert!(decoded.get(tag).is_some(), "{tag} missing");
    }
}

/// The fields of `message` as `tag=value` text, leaving out `header_tags`
/// (the standard header and CheckSum, as the caller's samples have them).
pub fn body_fields(message: &[u8], header_tags: &[Tag]) -> Vec<String> {
    pipes(message)
        .split('|')
        .filter(|field| !field.is_empty())
        .filter(|field| {
            let tag: Tag = field.split('=').next().unwrap().parse().unwrap();
            !header_tags.contains(&tag)
        })
        .map(str::to_owned)
        .collect()
}

/// Delivers what `from` has to send to `to`; true when bytes moved.
pub fn step(
    from: &mut Session<MemStore>,
    to: &mut Session<MemStore>,
    got: &mut Vec<AppMessage>,
    now: Timestamp,
) -> bool {
    let mut out = Vec::new();
    let moved = from.poll_transmit(&mut out);
    if moved {
        to.handle_input(now, &out);
    }
    while let Some(event) = to.poll_event(now) {
        if let SessionEvent::App(message) = event {
            got.push(message);
        }
    }
    moved
}
