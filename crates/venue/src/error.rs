//! Errors of the simulated sink's market-data input.

use model::InstrumentId;

/// Why a market event was not applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MarketDataError {
    /// The event is about an instrument the sink's table does not hold.
    #[error("market data for {0}, which is not in the simulated sink's instrument table; ignored")]
    UnknownInstrument(InstrumentId),
}
