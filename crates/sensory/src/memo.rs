//! Reuse of the values derived from one side of the book.
//!
//! Most events change one side of one book, often only its best level,
//! and a trade changes no level at all; yet every event publishes the full
//! vector. The per-side values (top-N volume, depth, wall, pocket, fill
//! costs) are functions of that side's levels, the mid and the fixed
//! configuration only, so an unchanged side gives the same values: the
//! engine keeps them under the side's [`OrderBook::side_version`] and the
//! mid and recomputes when either moves. The values are the same bits
//! either way; only the work is skipped.
//!
//! [`OrderBook::side_version`]: crate::OrderBook::side_version

use model::Price;

/// One side's derived value and what it was derived from.
#[derive(Clone, Debug)]
pub(crate) struct SideMemo<T> {
    key: Option<(u64, Option<Price>)>,
    value: T,
}

impl<T: Copy + Default> SideMemo<T> {
    pub(crate) fn new() -> Self {
        Self {
            key: None,
            value: T::default(),
        }
    }

    /// The value for the side at `version` with `mid`: the kept one when
    /// both match what it was derived from, else `compute()`, kept.
    pub(crate) fn get(
        &mut self,
        version: u64,
        mid: Option<Price>,
        compute: impl FnOnce() -> T,
    ) -> T {
        let key = Some((version, mid));
        if self.key != key {
            self.value = compute();
            self.key = key;
        }
        self.value
    }
}
