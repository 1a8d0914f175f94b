//! Helpers for tests: FIX messages written as `|`-separated text.
//!
//! Enabled by the `test-fixtures` feature, which only dev-dependencies turn
//! on; production builds never contain this module.

use crate::fix::codec::{SOH, checksum};

/// Builds a wire message from `8=…|35=…|…|` text: `|` becomes SOH, and
/// BodyLength (9) and CheckSum (10) are computed (any given are replaced).
pub fn wire(text: &str) -> Vec<u8> {
    let mut fields = text.split('|').filter(|field| !field.is_empty());
    let begin = fields.next().unwrap_or("8=FIX.4.4");
    let mut body = Vec::new();
    for field in fields.filter(|field| !field.starts_with("9=") && !field.starts_with("10=")) {
        body.extend_from_slice(field.as_bytes());
        body.push(SOH);
    }
    let mut message = format!("{begin}\x019={}\x01", body.len()).into_bytes();
    message.extend_from_slice(&body);
    let sum = checksum(&message);
    message.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    message
}

/// `|` → SOH and nothing else: for messages whose 9 and 10 are part of the test.
pub fn soh(text: &str) -> Vec<u8> {
    text.bytes()
        .map(|byte| if byte == b'|' { SOH } else { byte })
        .collect()
}

/// SOH → `|`, for readable assertion messages.
pub fn pipes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&byte| if byte == SOH { '|' } else { char::from(byte) })
        .collect()
}
