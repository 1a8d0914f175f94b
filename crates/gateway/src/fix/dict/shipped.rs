//! The dictionaries shipped in `specs/`, compiled into the binary so that
//! nothing outside the repository is needed at run time.

use std::sync::{Arc, OnceLock};

use super::dictionary::Dictionary;
use super::xml::DictionaryError;

const FIX42: &str = include_str!("../../../../../specs/FIX42.xml");
const FIX44: &str = include_str!("../../../../../specs/FIX44.xml");
const FIXT11: &str = include_str!("../../../../../specs/FIXT11.xml");
const FIX50SP2: &str = include_str!("../../../../../specs/FIX50SP2.xml");
const CTRADER_FIX44: &str = include_str!("../../../../../specs/ctrader-FIX44.xml");

/// A dictionary shipped with EMP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShippedDictionary {
    /// FIX 4.2 (`specs/FIX42.xml`).
    Fix42,
    /// FIX 4.4 (`specs/FIX44.xml`).
    Fix44,
    /// FIXT 1.1 transport with FIX 5.0 SP2 application messages
    /// (`specs/FIXT11.xml` + `specs/FIX50SP2.xml`).
    Fixt11Fix50Sp2,
    /// cTrader's FIX 4.4 variant (`specs/ctrader-FIX44.xml`): custom tags
    /// 1000-1008 and cTrader's message layouts.
    CTraderFix44,
}

impl ShippedDictionary {
    /// Every shipped dictionary.
    pub const ALL: [Self; 4] = [
        Self::Fix42,
        Self::Fix44,
        Self::Fixt11Fix50Sp2,
        Self::CTraderFix44,
    ];

    /// The standard shipped dictionary for a BeginString (`FIX.4.2`,
    /// `FIX.4.4`, `FIXT.1.1`) or version name (`FIX.5.0SP2`).
    pub fn from_version(version: &str) -> Option<Self> {
        match version {
            "FIX.4.2" => Some(Self::Fix42),
            "FIX.4.4" => Some(Self::Fix44),
            "FIXT.1.1" | "FIX.5.0SP2" => Some(Self::Fixt11Fix50Sp2),
            _ => None,
        }
    }

    /// The FIXT 1.1 transport dictionary's XML, to pair with a FIX 5.x
    /// application dictionary a user brings.
    pub const FIXT11_TRANSPORT_XML: &'static str = FIXT11;

    /// The version names [`ShippedDictionary::from_version`] accepts.
    pub const VERSION_NAMES: [&'static str; 4] = ["FIX.4.2", "FIX.4.4", "FIXT.1.1", "FIX.5.0SP2"];

    /// The BeginString of messages under this dictionary.
    pub fn begin_string(self) -> &'static str {
        match self {
            Self::Fix42 => "FIX.4.2",
            Self::Fix44 | Self::CTraderFix44 => "FIX.4.4",
            Self::Fixt11Fix50Sp2 => "FIXT.1.1",
        }
    }

    /// The dictionary, parsed on first use and shared afterwards.
    pub fn load(self) -> Result<Arc<Dictionary>, DictionaryError> {
        static CACHE: [OnceLock<Result<Arc<Dictionary>, DictionaryError>>; 4] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let slot = match self {
            Self::Fix42 => &CACHE[0],
            Self::Fix44 => &CACHE[1],
            Self::Fixt11Fix50Sp2 => &CACHE[2],
            Self::CTraderFix44 => &CACHE[3],
        };
        slot.get_or_init(|| self.parse().map(Arc::new)).clone()
    }

    fn parse(self) -> Result<Dictionary, DictionaryError> {
        match self {
            Self::Fix42 => Dictionary::from_xml(FIX42, "specs/FIX42.xml"),
            Self::Fix44 => Dictionary::from_xml(FIX44, "specs/FIX44.xml"),
            Self::Fixt11Fix50Sp2 => Dictionary::from_fixt_xml(
                FIXT11,
                "specs/FIXT11.xml",
                FIX50SP2,
                "specs/FIX50SP2.xml",
            ),
            Self::CTraderFix44 => Dictionary::from_xml(CTRADER_FIX44, "specs/ctrader-FIX44.xml"),
        }
    }
}
