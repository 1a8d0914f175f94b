//! Arbitrary text as a dictionary file: users bring their venue's, so a
//! malformed one must produce an error, never a panic.

#![no_main]

use gateway::fix::dict::Dictionary;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Dictionary::from_xml(text, "fuzz.xml");
    }
});
