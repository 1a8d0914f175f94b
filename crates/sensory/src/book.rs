//! The L2 order book of one instrument, built from normalized snapshots,
//! deltas and quotes, with the integrity checks that decide when it can no
//! longer be trusted.
//!
//! Each side is a vector of price levels sorted best first (bids
//! descending, asks ascending) holding the aggregate size at each price. A
//! binary search finds a level; an insert or removal moves the levels
//! behind it, which for the 10 to 50 levels venues send is cheaper than a
//! tree and allocates nothing once the vectors have their capacity.
//!
//! Two update styles are kept apart, as [`model::market`] describes them:
//! - **levels** ([`BookChange::SetLevel`], snapshots without entry ids):
//!   the change carries the new aggregate size; zero removes the level. A
//!   zero for a level the book does not have is harmless and ignored:
//!   websocket venues send it when a level appears and vanishes between
//!   two of their batches.
//! - **entries** ([`BookChange::AddEntry`], [`BookChange::ChangeEntry`],
//!   [`BookChange::DeleteEntry`], snapshots with MDEntryIDs): the book
//!   keeps every entry by id and adds its size into its price level, so
//!   several entries at one price aggregate and a delete that names only
//!   the id takes exactly that entry's size out.
//!
//! The style is fixed by the snapshot (or by the first change after an
//! empty one); a change of the other style is an integrity failure, since
//! the two cannot be combined into one consistent aggregate.
//!
//! Integrity failures clear the book and leave it
//! [`BookStatus::Resyncing`] until the next snapshot; deltas are ignored
//! meanwhile. They are: a sequence gap, a change or delete of an unknown
//! entry, an add of an entry that already exists, mixed styles, a size
//! beyond the fixed-point range, and a book crossed after a whole snapshot
//! or delta has been applied (checked per message, since a venue may cross
//! the book transiently in the middle of one).
//!
//! Sequence numbers ([`MarketHeader::sequence`](model::MarketHeader)) are
//! checked on deltas only: a snapshot sets the baseline, the next delta
//! must carry baseline + 1, one at or below the last is a stale duplicate
//! and ignored, one above is a gap. Quotes and trades are separate streams
//! on every venue and are not checked.
//!
//! **Quotes** ([`Quote`]) give a top of book only. They are applied when
//! the book has no depth (no snapshot, or quote-only instruments such as
//! cTrader spot) and ignored while a depth book is live or awaiting its
//! resync, since the depth book is the finer source. When a quote lacks a
//! size (cTrader spot) the level's size is zero and
//! [`OrderBook::sizes_known`] is false; features that need sizes are then
//! `None` (or zero for depth). A crossed quote is not a resync (a new
//! subscription would return the same quote); the features mark it
//! [`InvalidReason::Crossed`](crate::InvalidReason::Crossed).

use std::collections::hash_map;

use model::{BookChange, BookDelta, BookSide, BookSnapshot, EntryId, Price, Quantity, Quote};

use crate::fast_hash::FastMap;
use crate::features::Level;

/// Why a book needs a fresh snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ResyncReason {
    /// A delta's sequence number skipped ahead.
    SequenceGap {
        /// The sequence number the book expected.
        expected: u64,
        /// The one it received.
        received: u64,
    },
    /// A change or delete named an entry the book does not hold.
    UnknownEntry(EntryId),
    /// An add named an entry the book already holds.
    DuplicateEntry(EntryId),
    /// A price-level change reached a book of entries, or an entry change
    /// reached a book of price levels (or a snapshot mixed both).
    MixedUpdateStyles,
    /// An aggregate size went beyond the range of a [`Quantity`].
    SizeOverflow,
    /// After a whole message the best bid was at or above the best ask.
    Crossed {
        /// The best bid.
        bid: Price,
        /// The best ask.
        ask: Price,
    },
}

/// Whether the book can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookStatus {
    /// No snapshot or quote yet, or the source reset the book.
    NoBook,
    /// Built from a snapshot (and deltas) or from quotes.
    Live,
    /// An integrity check failed; waiting for a snapshot.
    Resyncing(ResyncReason),
}

/// What applying one event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The book changed; `changes` counts the level or entry changes (a
    /// snapshot counts none: replacing the book is not market activity).
    Applied {
        /// Changes applied.
        changes: u32,
    },
    /// A delta at or below the last sequence number: already applied.
    Stale,
    /// Nothing to apply to: a delta while there is no book or while it
    /// waits for a resync, or a quote while a depth book exists.
    Ignored,
    /// An integrity check failed: the book is cleared and waits for a
    /// snapshot.
    ResyncNeeded(ResyncReason),
}

/// How the book was built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookKind {
    /// From snapshots and deltas.
    Depth,
    /// From quotes; `sizes_known` is false when a side came without a size.
    TopOfBook {
        /// Both sides carried sizes.
        sizes_known: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Levels,
    Entries,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    side: BookSide,
    price: Price,
    size: Quantity,
}

/// An L2 book; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct OrderBook {
    bids: Vec<Level>,
    asks: Vec<Level>,
    entries: FastMap<EntryId, Entry>,
    status: BookStatus,
    kind: BookKind,
    style: Option<Style>,
    last_sequence: Option<u64>,
    /// Per side (bids, asks): its version and which levels changed since
    /// the last [`OrderBook::mark_read`].
    changes: [SideChanges; 2],
}

/// What changed on one side of the book.
#[derive(Clone, Copy, Debug, Default)]
struct SideChanges {
    /// Moves whenever the side's levels may have changed.
    version: u64,
    /// The version at the last [`OrderBook::mark_read`].
    read_at: u64,
    /// The lowest level index changed since then (`usize::MAX`: none).
    from: usize,
}

impl SideChanges {
    /// A change at level index `at` (an insert or a removal there moves
    /// every level after it, which `from` covers).
    fn touch(&mut self, at: usize) {
        self.version = self.version.wrapping_add(1);
        self.from = self.from.min(at);
    }
}

impl OrderBook {
    /// An empty book ([`BookStatus::NoBook`]) with room for `levels` price
    /// levels per side and `entries` entries before it allocates.
    pub fn new(levels: usize, entries: usize) -> Self {
        Self {
            bids: Vec::with_capacity(levels),
            asks: Vec::with_capacity(levels),
            entries: FastMap::with_capacity_and_hasher(entries, Default::default()),
            status: BookStatus::NoBook,
            kind: BookKind::Depth,
            style: None,
            last_sequence: None,
            changes: [SideChanges::default(); 2],
        }
    }

    /// Whether the book can be used.
    pub const fn status(&self) -> BookStatus {
        self.status
    }

    /// How the book was built.
    pub const fn kind(&self) -> BookKind {
        self.kind
    }

    /// Bid levels, best (highest) first.
    pub fn bids(&self) -> &[Level] {
        &self.bids
    }

    /// Ask levels, best (lowest) first.
    pub fn asks(&self) -> &[Level] {
        &self.asks
    }

    /// One side's levels, best first.
    pub fn side(&self, side: BookSide) -> &[Level] {
        match side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
        }
    }

    /// A number that changes whenever `side`'s levels (or whether their
    /// sizes are known) may have changed: equal numbers from one book mean
    /// the same levels, so values derived from them can be reused.
    pub fn side_version(&self, side: BookSide) -> u64 {
        self.changes[side_index(side)].version
    }

    /// The lowest level index of `side` that may differ from the side as
    /// it was at version `seen`, when `seen` is the version of the last
    /// [`Self::mark_read`] (`usize::MAX` when no level changed since);
    /// `None` when the book cannot tell (another version), so a reader
    /// must assume every level changed. Lets a reader that derived values
    /// from the first levels keep them when only deeper levels moved,
    /// without comparing the levels.
    pub fn changed_from(&self, side: BookSide, seen: u64) -> Option<usize> {
        let changes = &self.changes[side_index(side)];
        (changes.read_at == seen).then_some(changes.from)
    }

    /// Starts tracking changes afresh from the current versions: see
    /// [`Self::changed_from`].
    pub fn mark_read(&mut self) {
        for changes in &mut self.changes {
            changes.read_at = changes.version;
            changes.from = usize::MAX;
        }
    }

    /// The best bid.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.first().copied()
    }

    /// The best ask.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.first().copied()
    }

    /// False for a top of book from quotes without sizes.
    pub const fn sizes_known(&self) -> bool {
        match self.kind {
            BookKind::Depth => true,
            BookKind::TopOfBook { sizes_known } => sizes_known,
        }
    }

    /// Best bid at or above best ask.
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some(bid), Some(ask)) if bid.price >= ask.price)
    }

    /// The sequence number of the last snapshot or delta applied.
    pub const fn last_sequence(&self) -> Option<u64> {
        self.last_sequence
    }

    /// Entries held (entry-style books only).
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Drops the book (the source reset it): [`BookStatus::NoBook`] until
    /// the next snapshot or quote.
    pub fn reset(&mut self) {
        self.clear();
        self.status = BookStatus::NoBook;
        self.last_sequence = None;
    }

    /// Replaces the book with `snapshot`.
    pub fn apply_snapshot(&mut self, snapshot: &BookSnapshot) -> ApplyOutcome {
        self.clear();
        self.kind = BookKind::Depth;
        self.status = BookStatus::Live;
        self.last_sequence = snapshot.header.sequence;
        let with_ids = snapshot
            .bids
            .iter()
            .chain(&snapshot.asks)
            .filter(|entry| entry.entry_id.is_some())
            .count();
        let total = snapshot.bids.len() + snapshot.asks.len();
        self.style = match with_ids {
            0 if total == 0 => None,
            0 => Some(Style::Levels),
            n if n == total => Some(Style::Entries),
            _ => return self.fail(ResyncReason::MixedUpdateStyles),
        };
        let sides = [
            (BookSide::Bid, &snapshot.bids),
            (BookSide::Ask, &snapshot.asks),
        ];
        for (side, quotes) in sides {
            for quote in quotes {
                // A snapshot is the list of changes that builds the book
                // from nothing, in the venue's order.
                let change = match quote.entry_id {
                    Some(entry_id) => BookChange::AddEntry {
                        side,
                        entry_id,
                        price: quote.price,
                        size: quote.size,
                    },
                    None => BookChange::SetLevel {
                        side,
                        price: quote.price,
                        size: quote.size,
                    },
                };
                if let Err(reason) = self.apply_change(change) {
                    return self.fail(reason);
                }
            }
        }
        if let Some(reason) = self.crossed() {
            return self.fail(reason);
        }
        ApplyOutcome::Applied { changes: 0 }
    }

    /// Applies `delta`'s changes in order, after the sequence check.
    pub fn apply_delta(&mut self, delta: &BookDelta) -> ApplyOutcome {
        if self.status != BookStatus::Live || self.kind != BookKind::Depth {
            return ApplyOutcome::Ignored;
        }
        if let Some(received) = delta.header.sequence {
            if let Some(last) = self.last_sequence {
                if received <= last {
                    return ApplyOutcome::Stale;
                }
                let expected = last.saturating_add(1);
                if received != expected {
                    return self.fail(ResyncReason::SequenceGap { expected, received });
                }
            }
            self.last_sequence = Some(received);
        }
        for change in &delta.changes {
            if let Err(reason) = self.apply_change(*change) {
                return self.fail(reason);
            }
        }
        if let Some(reason) = self.crossed() {
            return self.fail(reason);
        }
        ApplyOutcome::Applied {
            changes: u32::try_from(delta.changes.len()).unwrap_or(u32::MAX),
        }
    }

    /// Replaces the top of book with `quote`, unless a depth book exists.
    pub fn apply_quote(&mut self, quote: &Quote) -> ApplyOutcome {
        if self.kind == BookKind::Depth && self.status != BookStatus::NoBook {
            return ApplyOutcome::Ignored;
        }
        let before = (self.best_bid(), self.best_ask());
        self.clear();
        let mut sizes_known = true;
        for (levels, side) in [(&mut self.bids, quote.bid), (&mut self.asks, quote.ask)] {
            if let Some(side) = side {
                sizes_known &= side.size.is_some();
                levels.push(Level {
                    price: side.price,
                    size: side.size.unwrap_or(Quantity::ZERO),
                });
            }
        }
        self.kind = BookKind::TopOfBook { sizes_known };
        self.status = BookStatus::Live;
        let changes =
            u32::from(before.0 != self.best_bid()) + u32::from(before.1 != self.best_ask());
        ApplyOutcome::Applied { changes }
    }

    fn clear(&mut self) {
        // Every path that replaces the levels or the book's kind (snapshot,
        // quote, reset, failure) clears first.
        for changes in &mut self.changes {
            changes.touch(0);
        }
        self.bids.clear();
        self.asks.clear();
        self.entries.clear();
        self.style = None;
    }

    fn fail(&mut self, reason: ResyncReason) -> ApplyOutcome {
        self.clear();
        self.status = BookStatus::Resyncing(reason);
        ApplyOutcome::ResyncNeeded(reason)
    }

    fn crossed(&self) -> Option<ResyncReason> {
        match (self.best_bid(), self.best_ask()) {
            (Some(bid), Some(ask)) if bid.price >= ask.price => Some(ResyncReason::Crossed {
                bid: bid.price,
                ask: ask.price,
            }),
            _ => None,
        }
    }

    fn use_style(&mut self, style: Style) -> Result<(), ResyncReason> {
        match self.style {
            Some(current) if current != style => Err(ResyncReason::MixedUpdateStyles),
            _ => {
                self.style = Some(style);
                Ok(())
            }
        }
    }

    fn apply_change(&mut self, change: BookChange) -> Result<(), ResyncReason> {
        match change {
            BookChange::SetLevel { side, price, size } => {
                self.use_style(Style::Levels)?;
                self.set_level(side, price, size);
            }
            BookChange::AddEntry {
                side,
                entry_id,
                price,
                size,
            } => {
                self.use_style(Style::Entries)?;
                // One lookup: the entry is held before its level grows;
                // if that fails the whole book is cleared anyway.
                let hash_map::Entry::Vacant(slot) = self.entries.entry(entry_id) else {
                    return Err(ResyncReason::DuplicateEntry(entry_id));
                };
                slot.insert(Entry { side, price, size });
                self.add_to_level(side, price, size)?;
            }
            BookChange::ChangeEntry {
                side,
                entry_id,
                price,
                size,
            } => {
                self.use_style(Style::Entries)?;
                let Some(held) = self.entries.get_mut(&entry_id) else {
                    return Err(ResyncReason::UnknownEntry(entry_id));
                };
                let old = std::mem::replace(held, Entry { side, price, size });
                self.remove_from_level(old.side, old.price, old.size);
                self.add_to_level(side, price, size)?;
            }
            BookChange::DeleteEntry { entry_id } => {
                self.use_style(Style::Entries)?;
                let Some(old) = self.entries.remove(&entry_id) else {
                    return Err(ResyncReason::UnknownEntry(entry_id));
                };
                self.remove_from_level(old.side, old.price, old.size);
            }
        }
        Ok(())
    }

    /// The only way to a side's levels for a change: the level index the
    /// change is at goes to `change`'s tracking.
    fn levels_mut(&mut self, side: BookSide) -> (&mut Vec<Level>, &mut SideChanges) {
        let changes = &mut self.changes[side_index(side)];
        match side {
            BookSide::Bid => (&mut self.bids, changes),
            BookSide::Ask => (&mut self.asks, changes),
        }
    }

    fn set_level(&mut self, side: BookSide, price: Price, size: Quantity) {
        let (levels, changes) = self.levels_mut(side);
        match find(levels, side, price) {
            Ok(at) if size.is_zero() => {
                changes.touch(at);
                levels.remove(at);
            }
            Ok(at) => {
                changes.touch(at);
                levels[at].size = size;
            }
            // Zero for a level we do not have: nothing to remove.
            Err(_) if size.is_zero() => {}
            Err(at) => {
                changes.touch(at);
                levels.insert(at, Level { price, size });
            }
        }
    }

    fn add_to_level(
        &mut self,
        side: BookSide,
        price: Price,
        size: Quantity,
    ) -> Result<(), ResyncReason> {
        if size.is_zero() {
            return Ok(());
        }
        let (levels, changes) = self.levels_mut(side);
        let found = find(levels, side, price);
        changes.touch(found.unwrap_or_else(|at| at));
        match found {
            Ok(at) => {
                levels[at].size = levels[at]
                    .size
                    .checked_add(size)
                    .ok_or(ResyncReason::SizeOverflow)?;
            }
            Err(at) => levels.insert(at, Level { price, size }),
        }
        Ok(())
    }

    fn remove_from_level(&mut self, side: BookSide, price: Price, size: Quantity) {
        let (levels, changes) = self.levels_mut(side);
        if let Ok(at) = find(levels, side, price) {
            changes.touch(at);
            // The level is the sum of its entries, so it holds at least
            // this entry's size; saturating keeps that true regardless.
            let left = levels[at].size.saturating_sub(size);
            if left.is_zero() {
                levels.remove(at);
            } else {
                levels[at].size = left;
            }
        }
    }
}

const fn side_index(side: BookSide) -> usize {
    match side {
        BookSide::Bid => 0,
        BookSide::Ask => 1,
    }
}

/// Where `price` is (`Ok`) or would go (`Err`) in `levels`, best first.
fn find(levels: &[Level], side: BookSide, price: Price) -> Result<usize, usize> {
    match side {
        BookSide::Bid => levels.binary_search_by(|level| price.cmp(&level.price)),
        BookSide::Ask => levels.binary_search_by(|level| level.price.cmp(&price)),
    }
}
