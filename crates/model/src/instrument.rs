//! Instrument definitions: how a venue lets an instrument trade (tick, lot,
//! minimum and maximum size, minimum notional, digits) and what the venue
//! calls it.

use std::collections::BTreeMap;

use crate::fixed::{Money, Price, Quantity};
use crate::ids::{InstrumentId, VenueSymbol};
use crate::instrument_map::InstrumentMap;

/// One tradable instrument at one venue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Instrument {
    /// EMP's name.
    pub id: InstrumentId,
    /// Symbol (55) at the venue: cTrader's numeric id, Coinbase's product.
    pub venue_symbol: VenueSymbol,
    /// Prices are whole multiples of this.
    pub tick_size: Price,
    /// Quantities are whole multiples of this.
    pub lot_size: Quantity,
    /// Smallest order quantity.
    pub min_quantity: Quantity,
    /// Largest order quantity, if the venue has one.
    pub max_quantity: Option<Quantity>,
    /// Smallest order notional, if the venue has one.
    pub min_notional: Option<Money>,
    /// Fractional digits of prices (cTrader SymbolDigits, 1008).
    pub price_digits: u8,
    /// True when prices at or below zero are legal (spreads, some futures).
    pub allows_non_positive_prices: bool,
}

/// Why an instrument definition is inconsistent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InstrumentError {
    /// Tick size zero or negative.
    #[error("instrument {id}: tick size {tick} must be above zero")]
    TickNotPositive {
        /// The instrument.
        id: String,
        /// The tick size given.
        tick: Price,
    },
    /// Lot size zero.
    #[error("instrument {id}: lot size must be above zero")]
    LotZero {
        /// The instrument.
        id: String,
    },
    /// The tick has more fractional digits than the price digits allow.
    #[error("instrument {id}: tick size {tick} has more than {digits} fractional digits")]
    TickFinerThanDigits {
        /// The instrument.
        id: String,
        /// The tick size given.
        tick: Price,
        /// The price digits given.
        digits: u8,
    },
    /// Minimum quantity not a multiple of the lot, or above the maximum.
    #[error(
        "instrument {id}: minimum quantity {min} must be a multiple of lot {lot} and not above the maximum"
    )]
    BadMinimum {
        /// The instrument.
        id: String,
        /// The minimum given.
        min: Quantity,
        /// The lot given.
        lot: Quantity,
    },
    /// Two instruments with one id or one venue symbol.
    #[error("instrument {id} is defined twice (same id or same venue symbol {symbol})")]
    Duplicate {
        /// The instrument.
        id: String,
        /// Its venue symbol.
        symbol: String,
    },
}

impl Instrument {
    /// Checks that the definition is consistent: positive tick and lot,
    /// tick within the price digits, minimum a multiple of the lot and not
    /// above the maximum.
    pub fn validate(&self) -> Result<(), InstrumentError> {
        if !self.tick_size.is_positive() {
            return Err(InstrumentError::TickNotPositive {
                id: self.id.to_string(),
                tick: self.tick_size,
            });
        }
        if self.lot_size.is_zero() {
            return Err(InstrumentError::LotZero {
                id: self.id.to_string(),
            });
        }
        if self.tick_size.to_decimal().normalize().scale() > self.price_digits {
            return Err(InstrumentError::TickFinerThanDigits {
                id: self.id.to_string(),
                tick: self.tick_size,
                digits: self.price_digits,
            });
        }
        let above_max = self.max_quantity.is_some_and(|max| self.min_quantity > max);
        if !self.min_quantity.is_multiple_of(self.lot_size) || above_max {
            return Err(InstrumentError::BadMinimum {
                id: self.id.to_string(),
                min: self.min_quantity,
                lot: self.lot_size,
            });
        }
        Ok(())
    }
}

/// Instruments by EMP id and by venue symbol.
///
/// Looked up by id on every market event: an [`InstrumentMap`], where a
/// lookup is a few word-wise id comparisons.
#[derive(Clone, Debug, Default)]
pub struct InstrumentTable {
    by_id: InstrumentMap<Instrument>,
    by_symbol: BTreeMap<VenueSymbol, InstrumentId>,
}

impl InstrumentTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a validated instrument; ids and venue symbols must be unique.
    pub fn insert(&mut self, instrument: Instrument) -> Result<(), InstrumentError> {
        instrument.validate()?;
        if self.by_id.contains_key(&instrument.id)
            || self.by_symbol.contains_key(&instrument.venue_symbol)
        {
            return Err(InstrumentError::Duplicate {
                id: instrument.id.to_string(),
                symbol: instrument.venue_symbol.to_string(),
            });
        }
        self.by_symbol
            .insert(instrument.venue_symbol, instrument.id);
        self.by_id.insert(instrument.id, instrument);
        Ok(())
    }

    /// The instrument with this id.
    pub fn get(&self, id: &InstrumentId) -> Option<&Instrument> {
        self.by_id.get(id)
    }

    /// The instrument the venue calls `symbol`.
    pub fn by_symbol(&self, symbol: &VenueSymbol) -> Option<&Instrument> {
        self.by_symbol.get(symbol).and_then(|id| self.by_id.get(id))
    }

    /// Every instrument, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.by_id.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eurusd() -> Instrument {
        Instrument {
            id: InstrumentId::new("EURUSD").unwrap(),
            venue_symbol: VenueSymbol::new("1").unwrap(),
            tick_size: "0.00001".parse().unwrap(),
            lot_size: "1000".parse().unwrap(),
            min_quantity: "1000".parse().unwrap(),
            max_quantity: Some("100000000".parse().unwrap()),
            min_notional: None,
            price_digits: 5,
            allows_non_positive_prices: false,
        }
    }

    #[test]
    fn maps_venue_symbols_both_ways() {
        let mut table = InstrumentTable::new();
        table.insert(eurusd()).unwrap();
        let by_symbol = table.by_symbol(&VenueSymbol::new("1").unwrap()).unwrap();
        assert_eq!(by_symbol.id.as_str(), "EURUSD");
        assert!(table.get(&InstrumentId::new("EURUSD").unwrap()).is_some());
        let mut clash = eurusd();
        clash.id = InstrumentId::new("OTHER").unwrap();
        assert!(matches!(
            table.insert(clash),
            Err(InstrumentError::Duplicate { .. })
        ));
    }

    #[test]
    fn rejects_inconsistent_definitions() {
        let mut bad = eurusd();
        bad.tick_size = "0.000001".parse().unwrap();
        assert!(matches!(
            bad.validate(),
            Err(InstrumentError::TickFinerThanDigits { .. })
        ));
        let mut bad = eurusd();
        bad.min_quantity = "1500".parse().unwrap();
        assert!(matches!(
            bad.validate(),
            Err(InstrumentError::BadMinimum { .. })
        ));
        let mut bad = eurusd();
        bad.tick_size = Price::ZERO;
        assert!(matches!(
            bad.validate(),
            Err(InstrumentError::TickNotPositive { .. })
        ));
        let mut bad = eurusd();
        bad.lot_size = Quantity::ZERO;
        assert!(matches!(
            bad.validate(),
            Err(InstrumentError::LotZero { .. })
        ));
    }
}
