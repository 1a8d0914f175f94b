//! FIX data types as QuickFIX dictionaries name them, and the syntax check
//! each one implies.

use std::fmt;

use crate::fix::codec::value;

/// The `type` attribute of a dictionary `<field>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// INT.
    Int,
    /// LENGTH: byte count of a data field.
    Length,
    /// NUMINGROUP: entries in a repeating group.
    NumInGroup,
    /// SEQNUM.
    SeqNum,
    /// TAGNUM.
    TagNum,
    /// DAYOFMONTH.
    DayOfMonth,
    /// FLOAT.
    Float,
    /// QTY.
    Qty,
    /// PRICE.
    Price,
    /// PRICEOFFSET.
    PriceOffset,
    /// AMT.
    Amt,
    /// PERCENTAGE.
    Percentage,
    /// CHAR: one byte.
    Char,
    /// BOOLEAN: `Y` or `N`.
    Boolean,
    /// STRING.
    String,
    /// MULTIPLECHARVALUE: space-separated single characters.
    MultipleCharValue,
    /// MULTIPLESTRINGVALUE: space-separated strings.
    MultipleStringValue,
    /// MULTIPLEVALUESTRING (FIX 4.x name of the above).
    MultipleValueString,
    /// COUNTRY.
    Country,
    /// CURRENCY.
    Currency,
    /// EXCHANGE.
    Exchange,
    /// LANGUAGE.
    Language,
    /// LOCALMKTDATE.
    LocalMktDate,
    /// LOCALMKTTIME.
    LocalMktTime,
    /// MONTHYEAR.
    MonthYear,
    /// UTCTIMESTAMP (and TIME in FIX 4.0/4.1).
    UtcTimestamp,
    /// UTCTIMEONLY.
    UtcTimeOnly,
    /// UTCDATEONLY, or UTCDATE in FIX 4.2.
    UtcDateOnly,
    /// TZTIMEONLY.
    TzTimeOnly,
    /// TZTIMESTAMP.
    TzTimestamp,
    /// DATA: binary, length-prefixed.
    Data,
    /// XMLDATA: length-prefixed XML.
    XmlData,
    /// XID.
    Xid,
    /// XIDREF.
    XidRef,
    /// DATE (FIX 4.0/4.1), checked as text.
    Date,
}

/// The syntax check validation applies to a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Any text.
    Text,
    /// Signed integer.
    Int,
    /// Decimal number.
    Float,
    /// Exactly one byte.
    Char,
    /// `Y` or `N`.
    Bool,
    /// `YYYYMMDD-HH:MM:SS[.f…]`.
    UtcTimestamp,
    /// `HH:MM:SS[.f…]`.
    UtcTimeOnly,
    /// `YYYYMMDD`.
    UtcDateOnly,
}

impl Format {
    /// True when `value` has this format.
    #[inline]
    pub(crate) fn accepts(self, value: &[u8]) -> bool {
        match self {
            Self::Text => true,
            Self::Int => value::is_int(value),
            Self::Float => value::is_float(value),
            Self::Char => value.len() == 1,
            Self::Bool => value::parse_bool(value).is_some(),
            Self::UtcTimestamp => value::parse_utc_timestamp(value).is_some(),
            Self::UtcTimeOnly => value::parse_utc_time_only(value).is_some(),
            Self::UtcDateOnly => value::parse_utc_date_only(value).is_some(),
        }
    }
}

/// Every type name a dictionary may use, with its type.
const NAMES: &[(&str, FieldType)] = &[
    ("INT", FieldType::Int),
    ("LENGTH", FieldType::Length),
    ("NUMINGROUP", FieldType::NumInGroup),
    ("SEQNUM", FieldType::SeqNum),
    ("TAGNUM", FieldType::TagNum),
    ("DAYOFMONTH", FieldType::DayOfMonth),
    ("FLOAT", FieldType::Float),
    ("QTY", FieldType::Qty),
    ("PRICE", FieldType::Price),
    ("PRICEOFFSET", FieldType::PriceOffset),
    ("AMT", FieldType::Amt),
    ("PERCENTAGE", FieldType::Percentage),
    ("CHAR", FieldType::Char),
    ("BOOLEAN", FieldType::Boolean),
    ("STRING", FieldType::String),
    ("MULTIPLECHARVALUE", FieldType::MultipleCharValue),
    ("MULTIPLESTRINGVALUE", FieldType::MultipleStringValue),
    ("MULTIPLEVALUESTRING", FieldType::MultipleValueString),
    ("COUNTRY", FieldType::Country),
    ("CURRENCY", FieldType::Currency),
    ("EXCHANGE", FieldType::Exchange),
    ("LANGUAGE", FieldType::Language),
    ("LOCALMKTDATE", FieldType::LocalMktDate),
    ("LOCALMKTTIME", FieldType::LocalMktTime),
    ("MONTHYEAR", FieldType::MonthYear),
    ("UTCTIMESTAMP", FieldType::UtcTimestamp),
    ("TIME", FieldType::UtcTimestamp),
    ("UTCTIMEONLY", FieldType::UtcTimeOnly),
    ("UTCDATEONLY", FieldType::UtcDateOnly),
    ("UTCDATE", FieldType::UtcDateOnly),
    ("TZTIMEONLY", FieldType::TzTimeOnly),
    ("TZTIMESTAMP", FieldType::TzTimestamp),
    ("DATA", FieldType::Data),
    ("XMLDATA", FieldType::XmlData),
    ("XID", FieldType::Xid),
    ("XIDREF", FieldType::XidRef),
    ("DATE", FieldType::Date),
];

impl FieldType {
    /// The type for a dictionary type name, e.g. `PRICE`.
    pub fn from_xml_name(name: &str) -> Option<Self> {
        NAMES
            .iter()
            .find(|(candidate, _)| *candidate == name)
            .map(|&(_, field_type)| field_type)
    }

    /// Every type name a dictionary may use.
    pub fn xml_names() -> impl Iterator<Item = &'static str> {
        NAMES.iter().map(|(name, _)| *name)
    }

    /// The canonical dictionary name of this type.
    pub fn xml_name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, field_type)| *field_type == self)
            .map_or("STRING", |(name, _)| name)
    }

    /// True for types whose value is a space-separated list of enum values.
    pub const fn is_multiple_value(self) -> bool {
        matches!(
            self,
            Self::MultipleCharValue | Self::MultipleStringValue | Self::MultipleValueString
        )
    }

    /// True for length-prefixed types, which may contain SOH.
    pub const fn is_data(self) -> bool {
        matches!(self, Self::Data | Self::XmlData)
    }

    /// The syntax check for this type. CHAR is checked as text before FIX
    /// 4.2, where CHAR fields held several characters.
    pub(crate) const fn format(self, char_is_single: bool) -> Format {
        match self {
            Self::Int
            | Self::Length
            | Self::NumInGroup
            | Self::SeqNum
            | Self::TagNum
            | Self::DayOfMonth => Format::Int,
            Self::Float
            | Self::Qty
            | Self::Price
            | Self::PriceOffset
            | Self::Amt
            | Self::Percentage => Format::Float,
            Self::Char if char_is_single => Format::Char,
            Self::Boolean => Format::Bool,
            Self::UtcTimestamp => Format::UtcTimestamp,
            Self::UtcTimeOnly => Format::UtcTimeOnly,
            Self::UtcDateOnly => Format::UtcDateOnly,
            _ => Format::Text,
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.xml_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_to_a_canonical_name() {
        for name in FieldType::xml_names() {
            let field_type = FieldType::from_xml_name(name).unwrap();
            assert_eq!(
                FieldType::from_xml_name(field_type.xml_name()),
                Some(field_type)
            );
        }
        assert_eq!(FieldType::from_xml_name("PRICE"), Some(FieldType::Price));
        assert_eq!(FieldType::from_xml_name("price"), None);
    }

    #[test]
    fn formats() {
        assert_eq!(FieldType::Qty.format(true), Format::Float);
        assert_eq!(FieldType::Char.format(true), Format::Char);
        assert_eq!(FieldType::Char.format(false), Format::Text);
        assert!(Format::Float.accepts(b"002000.00"));
        assert!(!Format::Float.accepts(b"+200.00"));
        assert!(!Format::Int.accepts(b""));
        assert!(Format::Text.accepts(b""));
    }
}
