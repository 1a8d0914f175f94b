//! The market as the simulation sees it, per instrument: the top levels of
//! the last book the driver passed in, less what simulated orders took
//! since, and the last trade print.
//!
//! The sink copies the levels (it keeps no reference to the driver's
//! book). A new book replaces them entirely: the real market does not know
//! about paper trades, so liquidity taken by the simulation comes back
//! with the next book, as it would on a venue whose other participants
//! refill the book.

use model::{BookSide, Price, Quantity, Side};
use sensory::Level;
use sensory::book::{BookStatus, OrderBook};

/// One instrument's market.
#[derive(Clone, Debug, Default)]
pub(crate) struct MarketState {
    bids: Vec<Level>,
    asks: Vec<Level>,
    last_trade: Option<Price>,
}

impl MarketState {
    /// Replaces the levels with the top `depth` of `book`'s; a book that
    /// is not live (no snapshot yet, or resyncing) shows no liquidity.
    /// Levels without a size take `assumed_size` (or stay empty).
    pub(crate) fn update(
        &mut self,
        book: &OrderBook,
        depth: usize,
        assumed_size: Option<Quantity>,
    ) {
        self.bids.clear();
        self.asks.clear();
        if book.status() != BookStatus::Live {
            return;
        }
        for (kept, levels) in [(&mut self.bids, book.bids()), (&mut self.asks, book.asks())] {
            // One bulk copy (this runs on every book update), then the
            // rare levels without a size are sized or dropped.
            kept.extend_from_slice(&levels[..levels.len().min(depth)]);
            if kept.iter().any(|level| level.size.is_zero()) {
                match assumed_size {
                    Some(assumed) => kept
                        .iter_mut()
                        .filter(|level| level.size.is_zero())
                        .for_each(|level| level.size = assumed),
                    None => kept.retain(|level| !level.size.is_zero()),
                }
            }
        }
    }

    /// Records a trade print.
    pub(crate) const fn on_trade(&mut self, price: Price) {
        self.last_trade = Some(price);
    }

    /// The last trade print.
    pub(crate) const fn last_trade(&self) -> Option<Price> {
        self.last_trade
    }

    /// One side's levels, best first.
    pub(crate) fn side(&self, side: BookSide) -> &[Level] {
        match side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
        }
    }

    /// The levels an order on `side` trades against (asks for a buy),
    /// for taking liquidity.
    pub(crate) const fn opposite_mut(&mut self, side: Side) -> &mut Vec<Level> {
        match side {
            Side::Buy => &mut self.asks,
            Side::Sell => &mut self.bids,
        }
    }

    /// The levels an order on `side` trades against.
    pub(crate) fn opposite(&self, side: Side) -> &[Level] {
        self.side(book_side(side.opposite()))
    }

    /// The visible size at `price` on `side`'s own side of the book (the
    /// queue a new resting order joins behind).
    pub(crate) fn visible_at(&self, side: Side, price: Price) -> Quantity {
        self.side(book_side(side))
            .iter()
            .find(|level| level.price == price)
            .map_or(Quantity::ZERO, |level| level.size)
    }

    /// The best opposite quote for an order on `side` (best ask for a
    /// buy), the book reference price of a stop.
    pub(crate) fn best_opposite(&self, side: Side) -> Option<Price> {
        self.opposite(side).first().map(|level| level.price)
    }

    /// Best ask minus best bid, when both sides exist.
    pub(crate) fn spread(&self) -> Option<Price> {
        let (bid, ask) = (self.bids.first()?, self.asks.first()?);
        ask.price.checked_sub(bid.price)
    }
}

/// The book side an order on `side` rests on.
pub(crate) const fn book_side(side: Side) -> BookSide {
    match side {
        Side::Buy => BookSide::Bid,
        Side::Sell => BookSide::Ask,
    }
}
