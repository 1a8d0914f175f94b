//! Reuse of the values derived from one side of the book.
//!
//! Most events change one side of one book, often one level, and a trade
//! changes no level at all; yet every event publishes the full vector. The
//! per-side values (top-N volume, depth, wall, pocket, fill costs) are
//! functions of the mid, the fixed configuration and only the first levels
//! of the side: the top N, the depth band and the one after it, and what
//! the largest probe walks through. So the engine keeps them with a copy
//! of that prefix and recomputes only when the mid moves or the prefix
//! differs, or when the prefix was the whole side and the side's length
//! changed. A change deeper in the book, or one undone within the same
//! message (an entry replacing another of the same size at the same
//! price), leaves the values as they were, bit for bit.
//!
//! [`OrderBook::side_version`] moves on every change of a side, so while
//! it stays the same not even the prefix needs comparing.
//!
//! [`OrderBook::side_version`]: crate::OrderBook::side_version

use model::Price;

use crate::features::{FillCost, Level};
use crate::what::SideWhat;

/// What one side of the book contributes to the vector.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SideValues {
    /// Its part of the WHAT features.
    pub(crate) what: SideWhat,
    /// The cost of taking each probe from it.
    pub(crate) costs: [Option<FillCost>; 3],
}

/// One side's values and what they were derived from.
#[derive(Clone, Debug)]
pub(crate) struct SideMemo {
    /// The side's version when it was last seen to hold `read`.
    version: Option<u64>,
    mid: Option<Price>,
    /// The levels the values were computed from, a prefix of the side.
    read: Vec<Level>,
    /// Whether `read` was the whole side.
    whole: bool,
    values: SideValues,
}

impl SideMemo {
    /// Room for `levels` levels before the copy allocates.
    pub(crate) fn new(levels: usize) -> Self {
        Self {
            version: None,
            mid: None,
            read: Vec::with_capacity(levels),
            whole: false,
            values: SideValues::default(),
        }
    }

    /// The values of `levels` (the side at `version`) with `mid`: the kept
    /// ones when they were derived from the same mid and the same levels,
    /// else those `compute` writes over them (in place: they are a few
    /// hundred bytes), which also says how many levels it read.
    pub(crate) fn get(
        &mut self,
        version: u64,
        levels: &[Level],
        mid: Option<Price>,
        compute: impl FnOnce(&mut SideValues) -> usize,
    ) -> &SideValues {
        let same_levels =
            self.version.is_some() && (self.version == Some(version) || self.still_holds(levels));
        if !same_levels || self.mid != mid {
            let read = compute(&mut self.values);
            self.read.clear();
            self.read.extend_from_slice(&levels[..read]);
            self.whole = read == levels.len();
            self.mid = mid;
        }
        self.version = Some(version);
        &self.values
    }

    /// Whether `levels` gives the same values as the levels kept: the same
    /// prefix, and no more or fewer levels when the whole side was read.
    fn still_holds(&self, levels: &[Level]) -> bool {
        levels.get(..self.read.len()) == Some(&self.read[..])
            && (!self.whole || levels.len() == self.read.len())
    }
}
