//! One symbol's price-time-priority limit order book.
//!
//! Every resting order — a client's or background liquidity — is one
//! quote with its own [`EntryId`], so the book *is* the entry-based depth a
//! cTrader QUOTE session publishes: each change is reported as
//! [`BookChange::AddEntry`] and [`BookChange::DeleteEntry`] only, never a
//! change (cTrader never sends 279=1). Replaying the changes onto an empty
//! entry book gives this book's entries exactly.
//!
//! # Rules
//!
//! - **Priority**: better price first; at one price, earlier arrival
//!   first. Arrival is a book-wide sequence number given when an order
//!   starts resting (or loses its place, below).
//! - **Matching**: an incoming order takes resting orders in priority
//!   order while their price is within its limit (any price for a market
//!   order), each fill at the *resting* order's price. A resting order
//!   filled in part stays in place with a new entry id for its smaller
//!   size (delete + add); filled completely, it is deleted.
//! - **Resize** ([`Book::resize`]): a smaller size at the same price keeps
//!   the order's place in the queue; a larger size, or a new price, sends
//!   it to the back of the queue at its (new) price. The entry id changes
//!   whenever the size or price does.
//! - **Self-trade**: when the caller asks for prevention, an incoming
//!   order stops matching at the first resting order of its own owner
//!   ([`MatchOutcome::self_trade`] says so) and takes nothing from it; the
//!   caller cancels the incoming remainder, so the book never crosses.
//!   Without prevention an owner's orders trade with each other.
//!
//! Quantities and prices are exact; nothing here panics on input.

use std::collections::BTreeMap;

use model::{BookChange, BookEntry, BookSide, EntryId, Price, Quantity, Side};

/// An order's key in the book, chosen by the caller (the exchange's order
/// number); unique per book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderKey(pub u64);

/// Who owns an order: a client session's account, or the background
/// crowd ([`OwnerId::BACKGROUND`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnerId(pub u32);

impl OwnerId {
    /// The synthetic or recorded background liquidity: many anonymous
    /// traders, so it is never stopped from trading with itself.
    pub const BACKGROUND: Self = Self(0);
}

/// One resting order as the book keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resting {
    /// The caller's key.
    pub key: OrderKey,
    /// Its owner.
    pub owner: OwnerId,
    /// Buy (bid) or sell (ask).
    pub side: Side,
    /// Its limit price.
    pub price: Price,
    /// What is left to trade.
    pub size: Quantity,
    /// Its current quote id in the depth stream.
    pub entry_id: EntryId,
    /// Time priority: lower is earlier.
    pub priority: u64,
}

/// One match between an incoming order and a resting one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// The resting order.
    pub maker: OrderKey,
    /// Its owner.
    pub maker_owner: OwnerId,
    /// The price: the resting order's.
    pub price: Price,
    /// How much traded.
    pub quantity: Quantity,
    /// True when the resting order is now done (and out of the book).
    pub maker_done: bool,
}

/// The result of [`Book::match_incoming`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchOutcome {
    /// The fills, in the order they happened.
    pub fills: Vec<Fill>,
    /// What the incoming order has left.
    pub remaining: Quantity,
    /// True when matching stopped at a resting order of the same owner.
    pub self_trade: bool,
}

/// Why the book refused a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// The key is already resting.
    #[error("order {0:?} is already in the book")]
    DuplicateKey(OrderKey),
    /// No resting order has this key.
    #[error("order {0:?} is not in the book")]
    UnknownKey(OrderKey),
    /// A resting order needs a size above zero.
    #[error("a resting order needs a size above zero")]
    ZeroSize,
    /// A new order would cross the opposite side (the caller matches first).
    #[error("price {0} crosses the opposite side; match the order first")]
    WouldCross(Price),
}

/// Sort key of a resting order on its side: best price first, then time.
/// Bids rank by the negated price, in `i128` so no price overflows.
type Rank = (i128, u64);

fn rank(side: Side, price: Price, priority: u64) -> Rank {
    let raw = i128::from(price.raw());
    match side {
        Side::Buy => (-raw, priority),
        Side::Sell => (raw, priority),
    }
}

/// The book side of an order side.
pub const fn book_side(side: Side) -> BookSide {
    match side {
        Side::Buy => BookSide::Bid,
        Side::Sell => BookSide::Ask,
    }
}

/// True when an order on `side` limited at `limit` may trade at `price`.
fn within(side: Side, limit: Option<Price>, price: Price) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(limit)) => price <= limit,
        (Side::Sell, Some(limit)) => price >= limit,
    }
}

/// A price-time-priority book for one symbol; see the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct Book {
    bids: BTreeMap<Rank, OrderKey>,
    asks: BTreeMap<Rank, OrderKey>,
    orders: BTreeMap<OrderKey, Resting>,
    next_priority: u64,
    next_entry: u64,
}

impl Book {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// A book whose entry ids start after `first_entry` (so ids never
    /// repeat across books sharing one stream).
    pub fn with_first_entry(first_entry: u64) -> Self {
        Self {
            next_entry: first_entry,
            ..Self::default()
        }
    }

    fn side_map(&self, side: Side) -> &BTreeMap<Rank, OrderKey> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn side_map_mut(&mut self, side: Side) -> &mut BTreeMap<Rank, OrderKey> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn new_entry_id(&mut self) -> EntryId {
        self.next_entry = self.next_entry.wrapping_add(1);
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = self.next_entry;
        loop {
            at -= 1;
            // n % 10 < 10, so the cast is exact.
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        EntryId::from_ascii(&digits[at..])
            .unwrap_or_else(|_| unreachable!("1 to 20 ASCII digits are a valid MDEntryID"))
    }

    fn new_priority(&mut self) -> u64 {
        self.next_priority = self.next_priority.wrapping_add(1);
        self.next_priority
    }

    /// The resting order with this key.
    pub fn get(&self, key: OrderKey) -> Option<&Resting> {
        self.orders.get(&key)
    }

    /// Resting orders.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// True when nothing rests.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// The resting orders of one side, best first (price, then time).
    pub fn side(&self, side: Side) -> impl DoubleEndedIterator<Item = &Resting> + '_ {
        self.side_map(side)
            .values()
            .filter_map(|key| self.orders.get(key))
    }

    /// The best resting order of `side`.
    pub fn best(&self, side: Side) -> Option<&Resting> {
        self.side(side).next()
    }

    /// Best bid price.
    pub fn best_bid(&self) -> Option<Price> {
        self.best(Side::Buy).map(|order| order.price)
    }

    /// Best ask price.
    pub fn best_ask(&self) -> Option<Price> {
        self.best(Side::Sell).map(|order| order.price)
    }

    /// True when the best bid is at or above the best ask (never, if the
    /// book's invariants hold).
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some(bid), Some(ask)) if bid >= ask)
    }

    /// Size resting on `side` at prices an order from the other side,
    /// limited at `limit`, may take; resting orders of `skip_owner` (if
    /// any) and everything behind the first of them are not counted.
    pub fn available(
        &self,
        side: Side,
        limit: Option<Price>,
        skip_owner: Option<OwnerId>,
    ) -> Quantity {
        let taker = side.opposite();
        let mut sum = Quantity::ZERO;
        for order in self.side(side) {
            if !within(taker, limit, order.price) || Some(order.owner) == skip_owner {
                break;
            }
            sum = sum.checked_add(order.size).unwrap_or(sum);
        }
        sum
    }

    /// The whole book as snapshot entries with their ids, best first.
    pub fn snapshot(&self) -> (Vec<BookEntry>, Vec<BookEntry>) {
        let entries = |side| {
            self.side(side)
                .map(|order| BookEntry {
                    price: order.price,
                    size: order.size,
                    entry_id: Some(order.entry_id),
                })
                .collect()
        };
        (entries(Side::Buy), entries(Side::Sell))
    }

    fn add_change(order: &Resting, changes: &mut Vec<BookChange>) {
        changes.push(BookChange::AddEntry {
            side: book_side(order.side),
            entry_id: order.entry_id,
            price: order.price,
            size: order.size,
        });
    }

    /// Rests a new order at the back of its price's queue. It must not
    /// cross the opposite side: match it with [`Book::match_incoming`]
    /// first.
    pub fn insert(
        &mut self,
        key: OrderKey,
        owner: OwnerId,
        side: Side,
        price: Price,
        size: Quantity,
        changes: &mut Vec<BookChange>,
    ) -> Result<EntryId, BookError> {
        if self.orders.contains_key(&key) {
            return Err(BookError::DuplicateKey(key));
        }
        if size.is_zero() {
            return Err(BookError::ZeroSize);
        }
        if self
            .best(side.opposite())
            .is_some_and(|best| within(side, Some(price), best.price))
        {
            return Err(BookError::WouldCross(price));
        }
        let order = Resting {
            key,
            owner,
            side,
            price,
            size,
            entry_id: self.new_entry_id(),
            priority: self.new_priority(),
        };
        self.side_map_mut(side)
            .insert(rank(side, price, order.priority), key);
        self.orders.insert(key, order);
        Self::add_change(&order, changes);
        Ok(order.entry_id)
    }

    /// Takes a resting order out of the book.
    pub fn remove(
        &mut self,
        key: OrderKey,
        changes: &mut Vec<BookChange>,
    ) -> Result<Resting, BookError> {
        let order = self.orders.remove(&key).ok_or(BookError::UnknownKey(key))?;
        self.side_map_mut(order.side)
            .remove(&rank(order.side, order.price, order.priority));
        changes.push(BookChange::DeleteEntry {
            entry_id: order.entry_id,
        });
        Ok(order)
    }

    /// Changes a resting order's price and size (see the resize rule in
    /// the [module docs](self)). A size of zero removes it. The new price
    /// must not cross the opposite side: the caller takes the order out
    /// and matches it instead.
    pub fn resize(
        &mut self,
        key: OrderKey,
        price: Price,
        size: Quantity,
        changes: &mut Vec<BookChange>,
    ) -> Result<(), BookError> {
        let Some(&old) = self.orders.get(&key) else {
            return Err(BookError::UnknownKey(key));
        };
        if size.is_zero() {
            return self.remove(key, changes).map(|_| ());
        }
        if price == old.price && size == old.size {
            return Ok(());
        }
        if price != old.price
            && self
                .best(old.side.opposite())
                .is_some_and(|best| within(old.side, Some(price), best.price))
        {
            return Err(BookError::WouldCross(price));
        }
        let keeps_place = price == old.price && size < old.size;
        let priority = if keeps_place {
            old.priority
        } else {
            self.new_priority()
        };
        let updated = Resting {
            price,
            size,
            priority,
            entry_id: self.new_entry_id(),
            ..old
        };
        let map = self.side_map_mut(old.side);
        map.remove(&rank(old.side, old.price, old.priority));
        map.insert(rank(old.side, price, priority), key);
        self.orders.insert(key, updated);
        changes.push(BookChange::DeleteEntry {
            entry_id: old.entry_id,
        });
        Self::add_change(&updated, changes);
        Ok(())
    }

    /// Matches an incoming order on `side` for `quantity`, limited at
    /// `limit` (`None`: a market order), against the opposite side in
    /// priority order. With `prevent_self_trade`, matching stops at the
    /// first resting order of `owner`. The incoming order does not rest
    /// here: the caller decides what happens to the remainder.
    pub fn match_incoming(
        &mut self,
        owner: OwnerId,
        side: Side,
        limit: Option<Price>,
        quantity: Quantity,
        prevent_self_trade: bool,
        changes: &mut Vec<BookChange>,
    ) -> MatchOutcome {
        let mut outcome = MatchOutcome {
            remaining: quantity,
            ..MatchOutcome::default()
        };
        let opposite = side.opposite();
        while !outcome.remaining.is_zero() {
            let Some(&maker) = self.best(opposite) else {
                break;
            };
            if !within(side, limit, maker.price) {
                break;
            }
            if prevent_self_trade && maker.owner == owner {
                outcome.self_trade = true;
                break;
            }
            let traded = maker.size.min(outcome.remaining);
            outcome.remaining = outcome.remaining.saturating_sub(traded);
            let left = maker.size.saturating_sub(traded);
            let maker_done = left.is_zero();
            // The key is resting (it was just found), so neither fails.
            let _ = if maker_done {
                self.remove(maker.key, changes).map(|_| ())
            } else {
                self.resize(maker.key, maker.price, left, changes)
            };
            outcome.fills.push(Fill {
                maker: maker.key,
                maker_owner: maker.owner,
                price: maker.price,
                quantity: traded,
                maker_done,
            });
        }
        outcome
    }
}
