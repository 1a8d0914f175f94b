//! The simulated trades a run produced: one per fill, for paper-trading
//! ledgers and backtest reports.

use model::{ClOrdId, ExecId, InstrumentId, Money, OrderId, Price, Quantity, Side, Timestamp};

/// Whether a fill added or took liquidity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Liquidity {
    /// A resting order was filled (maker fee).
    Maker,
    /// A marketable order took the book (taker fee).
    Taker,
}

/// One simulated fill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedTrade {
    /// When it happened.
    pub at: Timestamp,
    /// The order's ClOrdID at the time of the fill.
    pub cl_ord_id: ClOrdId,
    /// The order's OrderID.
    pub order_id: OrderId,
    /// The ExecID of the fill's report.
    pub exec_id: ExecId,
    /// What traded.
    pub instrument: InstrumentId,
    /// The order's side.
    pub side: Side,
    /// Execution price.
    pub price: Price,
    /// Executed size.
    pub quantity: Quantity,
    /// Fee charged (negative: a rebate).
    pub fee: Money,
    /// Maker or taker.
    pub liquidity: Liquidity,
}
