//! A map keyed by [`InstrumentId`] for the few instruments a run trades.
//!
//! The trading path looks instruments up many times per market event
//! (features, inventory, specs, books), always among a handful of keys.
//! A B-tree pays a node walk and an out-of-line comparison per lookup for
//! that; this map keeps its entries in one vector sorted by id, scans it
//! (comparing lengths and the first word of each id first) while it is
//! small, and binary-searches it once it is not. Iteration is in id order,
//! as with a `BTreeMap`.
//!
//! ```
//! use model::{InstrumentId, InstrumentMap};
//!
//! let (yes, btc) = (InstrumentId::new("YES")?, InstrumentId::new("BTC-USD")?);
//! let mut marks: InstrumentMap<u32> = [(yes, 2), (btc, 1)].into();
//! *marks.get_or_default(yes) += 1;
//! assert_eq!(marks.get(&yes), Some(&3));
//! assert_eq!(marks.keys().map(InstrumentId::as_str).collect::<Vec<_>>(), ["BTC-USD", "YES"]);
//! # Ok::<(), model::IdError>(())
//! ```

use std::fmt;

use crate::InstrumentId;

/// Up to this many entries a lookup scans rather than bisects.
const SCAN_UP_TO: usize = 16;

/// A map from [`InstrumentId`] to `V`; see the [module docs](self).
#[derive(Clone, PartialEq, Eq)]
pub struct InstrumentMap<V> {
    /// Sorted by id, ids unique.
    entries: Vec<(InstrumentId, V)>,
}

impl<V> Default for InstrumentMap<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> InstrumentMap<V> {
    /// An empty map.
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Where `key` is (`Ok`) or would go (`Err`). Inlined into every
    /// lookup (a call's register saves cost what the scan of a few keys
    /// does); the rare paths are calls.
    #[inline(always)]
    fn position(&self, key: &InstrumentId) -> Result<usize, usize> {
        if self.entries.len() <= SCAN_UP_TO {
            // Equality first: it is the common outcome and the cheapest test.
            if let Some(at) = self.entries.iter().position(|(id, _)| id == key) {
                return Ok(at);
            }
            return Err(self.insertion_point(key));
        }
        self.bisect(key)
    }

    #[inline(never)]
    fn insertion_point(&self, key: &InstrumentId) -> usize {
        self.entries.partition_point(|(id, _)| id < key)
    }

    #[inline(never)]
    fn bisect(&self, key: &InstrumentId) -> Result<usize, usize> {
        self.entries.binary_search_by(|(id, _)| id.cmp(key))
    }

    /// The value under `key`.
    #[inline(always)]
    pub fn get(&self, key: &InstrumentId) -> Option<&V> {
        let at = self.position(key).ok()?;
        self.entries.get(at).map(|(_, value)| value)
    }

    /// The value under `key`, to change it.
    #[inline(always)]
    pub fn get_mut(&mut self, key: &InstrumentId) -> Option<&mut V> {
        let at = self.position(key).ok()?;
        self.entries.get_mut(at).map(|(_, value)| value)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &InstrumentId) -> bool {
        self.position(key).is_ok()
    }

    /// Stores `value` under `key`; returns the value it replaced.
    pub fn insert(&mut self, key: InstrumentId, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(at) => self
                .entries
                .get_mut(at)
                .map(|(_, kept)| std::mem::replace(kept, value)),
            Err(at) => {
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    /// The value under `key`, inserted by `make` first if there is none.
    pub fn get_or_insert_with(&mut self, key: InstrumentId, make: impl FnOnce() -> V) -> &mut V {
        let at = match self.position(&key) {
            Ok(at) => at,
            Err(at) => {
                self.entries.insert(at, (key, make()));
                at
            }
        };
        &mut self.entries[at].1
    }

    /// The value under `key`, a default one inserted first if there is
    /// none.
    pub fn get_or_default(&mut self, key: InstrumentId) -> &mut V
    where
        V: Default,
    {
        self.get_or_insert_with(key, V::default)
    }

    /// Removes and returns the value under `key`.
    pub fn remove(&mut self, key: &InstrumentId) -> Option<V> {
        let at = self.position(key).ok()?;
        Some(self.entries.remove(at).1)
    }

    /// How many instruments have a value.
    pub const fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no instrument has a value.
    pub const fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&InstrumentId, &V)> {
        self.entries.iter().map(|(id, value)| (id, value))
    }

    /// Ids in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &InstrumentId> {
        self.entries.iter().map(|(id, _)| id)
    }

    /// Values in id order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> {
        self.entries.iter().map(|(_, value)| value)
    }

    /// Values in id order, to change them.
    pub fn values_mut(&mut self) -> impl ExactSizeIterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, value)| value)
    }
}

impl<V: fmt::Debug> fmt::Debug for InstrumentMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V> std::ops::Index<&InstrumentId> for InstrumentMap<V> {
    type Output = V;

    /// The value under `key`.
    ///
    /// # Panics
    ///
    /// When `key` has no value, as `BTreeMap`'s indexing does.
    fn index(&self, key: &InstrumentId) -> &V {
        match self.get(key) {
            Some(value) => value,
            None => panic!("no value for {key} in the InstrumentMap"),
        }
    }
}

impl<V> FromIterator<(InstrumentId, V)> for InstrumentMap<V> {
    /// As `BTreeMap`'s: a later value for the same id wins.
    fn from_iter<I: IntoIterator<Item = (InstrumentId, V)>>(entries: I) -> Self {
        let mut map = Self::new();
        map.extend(entries);
        map
    }
}

impl<V> Extend<(InstrumentId, V)> for InstrumentMap<V> {
    fn extend<I: IntoIterator<Item = (InstrumentId, V)>>(&mut self, entries: I) {
        for (key, value) in entries {
            self.insert(key, value);
        }
    }
}

impl<V, const N: usize> From<[(InstrumentId, V); N]> for InstrumentMap<V> {
    fn from(entries: [(InstrumentId, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<'a, V> IntoIterator for &'a InstrumentMap<V> {
    type Item = (&'a InstrumentId, &'a V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (InstrumentId, V)>,
        fn(&'a (InstrumentId, V)) -> (&'a InstrumentId, &'a V),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(id, value)| (id, value))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u8, u16),
        Remove(u8),
        Bump(u8),
    }

    fn id(n: u8) -> InstrumentId {
        // Ids of different lengths and shared prefixes, so ordering by
        // length, by first word and past it all matter.
        InstrumentId::new(&format!("{}{n}", "X".repeat(usize::from(n % 11)))).unwrap()
    }

    proptest! {
        #[test]
        fn behaves_as_a_btree_map(ops in proptest::collection::vec(
            prop_oneof![
                (0u8..40, any::<u16>()).prop_map(|(k, v)| Op::Insert(k, v)),
                (0u8..40).prop_map(Op::Remove),
                (0u8..40).prop_map(Op::Bump),
            ],
            0..120,
        )) {
            let mut ours = InstrumentMap::new();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(ours.insert(id(k), v), model.insert(id(k), v)),
                    Op::Remove(k) => prop_assert_eq!(ours.remove(&id(k)), model.remove(&id(k))),
                    Op::Bump(k) => {
                        let ours = ours.get_or_default(id(k));
                        *ours = ours.wrapping_add(1);
                        let theirs = model.entry(id(k)).or_default();
                        *theirs = theirs.wrapping_add(1);
                    }
                }
                prop_assert_eq!(ours.len(), model.len());
                prop_assert!(ours.iter().eq(model.iter()));
                for k in 0..40 {
                    prop_assert_eq!(ours.get(&id(k)), model.get(&id(k)));
                    prop_assert_eq!(ours.contains_key(&id(k)), model.contains_key(&id(k)));
                }
            }
        }
    }

    #[test]
    fn a_later_value_for_the_same_id_wins_when_collecting() {
        let map: InstrumentMap<u8> = [(id(1), 1), (id(2), 2), (id(1), 3)].into();
        assert_eq!(map.len(), 2);
        assert_eq!(map.get(&id(1)), Some(&3));
    }
}
