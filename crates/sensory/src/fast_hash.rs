//! A fast, deterministic hasher for the engine's id-keyed maps.
//!
//! std's SipHash resists hash flooding by untrusted keys; here the keys
//! are the configured instruments and the venue's MDEntryIDs, and SipHash
//! over them was a visible share of each event. This is the
//! multiply-rotate scheme of rustc's FxHasher, a word at a time, with no
//! random seed, so lookups behave the same on every run.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` keyed with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash-style hasher: `hash = (hash.rotl(5) ^ word) × SEED` per word.
#[derive(Clone, Copy, Default)]
pub(crate) struct FastHasher {
    hash: u64,
}

impl FastHasher {
    const fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn same_key_same_hash_and_different_keys_differ() {
        let build = BuildHasherDefault::<FastHasher>::default();
        let id = |text: &str| model::EntryId::new(text).unwrap_or_else(|_| unreachable!());
        assert_eq!(build.hash_one(id("abc")), build.hash_one(id("abc")));
        assert_ne!(build.hash_one(id("abc")), build.hash_one(id("abd")));
        assert_ne!(
            build.hash_one(id("12345678")),
            build.hash_one(id("123456789"))
        );
    }
}
