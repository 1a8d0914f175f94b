//! Reuse of the values derived from one side of the book.
//!
//! Most events change one side of one book, often one level, and a trade
//! changes no level at all; yet every event publishes the full vector. The
//! per-side values (top-N volume, depth, wall, pocket, fill costs) are
//! functions of the mid, the fixed configuration and only the first levels
//! of the side: the top N, the depth band and the one after it, and what
//! the largest probe walks through. So the engine keeps them with how many
//! levels they read and recomputes only when the mid moves, when a level
//! within that prefix changed, or when the prefix was the whole side and
//! the side's length changed. A change deeper in the book leaves the
//! values as they were, bit for bit.
//!
//! The book says which levels changed ([`OrderBook::changed_from`], the
//! lowest index touched since it was last marked read), so nothing is
//! copied or compared level by level; while a side's version stays the
//! same not even that is asked.
//!
//! [`OrderBook::changed_from`]: crate::OrderBook::changed_from

use model::{BookSide, Price};

use crate::book::OrderBook;
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
    /// The side's version when the values were last checked against it.
    version: Option<u64>,
    mid: Option<Price>,
    /// How many levels, from the best, the WHAT part was derived from.
    what_read: usize,
    /// How many levels, from the best, the fill-cost walk looked at: the
    /// largest probe usually ends within the first level or two, so a
    /// change deeper than that (but within the WHAT part's levels) keeps
    /// the costs.
    costs_read: usize,
    /// The side's length then.
    len: usize,
    values: SideValues,
}

impl SideMemo {
    /// A memo that holds nothing yet.
    pub(crate) fn new() -> Self {
        Self {
            version: None,
            mid: None,
            what_read: 0,
            costs_read: 0,
            len: 0,
            values: SideValues::default(),
        }
    }

    /// The values of `side` of `book` with `mid`. Each part (WHAT, fill
    /// costs) is kept when it was derived from the same mid and no level it
    /// read changed since (nor, when it read the whole side, its length);
    /// else `what` or `costs` writes it over the kept one (in place: they
    /// are a few hundred bytes) and says how many levels it read. The
    /// book's change tracking must have been [marked](OrderBook::mark_read)
    /// right after the previous call for kept values to be reused.
    pub(crate) fn get(
        &mut self,
        book: &OrderBook,
        side: BookSide,
        mid: Option<Price>,
        what: impl FnOnce(&[Level], &mut SideWhat) -> usize,
        costs: impl FnOnce(&[Level], &mut [Option<FillCost>; 3]) -> usize,
    ) -> &SideValues {
        let version = book.side_version(side);
        let levels = book.side(side);
        // The lowest level that may have changed since the values were
        // derived (`usize::MAX`: none); `None` when they cannot be kept
        // (nothing derived yet, another mid, or the book cannot tell).
        let from = self.version.filter(|_| self.mid == mid).and_then(|seen| {
            if seen == version {
                Some(usize::MAX)
            } else {
                book.changed_from(side, seen)
            }
        });
        let same_len = levels.len() == self.len;
        let holds =
            |read: usize| from.is_some_and(|from| from >= read && (read < self.len || same_len));
        if !holds(self.what_read) {
            self.what_read = what(levels, &mut self.values.what);
        }
        if !holds(self.costs_read) {
            self.costs_read = costs(levels, &mut self.values.costs);
        }
        self.len = levels.len();
        self.mid = mid;
        self.version = Some(version);
        &self.values
    }
}
