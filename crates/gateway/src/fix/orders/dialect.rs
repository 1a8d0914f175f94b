//! Which FIX version and venue conventions order messages follow.

use std::fmt;

use crate::fix::codec::Tag;
use crate::fix::dict::ShippedDictionary;

/// The FIX version of a dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FixVersion {
    /// FIX 4.2 (`FIX.4.2`).
    Fix42,
    /// FIX 4.4 (`FIX.4.4`).
    Fix44,
}

impl FixVersion {
    /// The BeginString (8) of the version.
    pub const fn begin_string(self) -> &'static str {
        match self {
            Self::Fix42 => "FIX.4.2",
            Self::Fix44 => "FIX.4.4",
        }
    }
}

impl fmt::Display for FixVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fix42 => "FIX 4.2",
            Self::Fix44 => "FIX 4.4",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Flavor {
    Fix42,
    Fix44,
    CTrader,
}

/// How order messages are written and read on one session: the FIX
/// version, the venue's conventions, and the account, if any.
///
/// ```
/// use gateway::fix::orders::{FixVersion, OrderDialect};
///
/// let dialect = OrderDialect::for_begin_string("FIX.4.2").unwrap().with_account("ACC-1");
/// assert_eq!(dialect.version(), FixVersion::Fix42);
/// assert_eq!(dialect.account(), Some("ACC-1"));
/// assert_eq!(OrderDialect::ctrader().to_string(), "cTrader FIX 4.4");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrderDialect {
    flavor: Flavor,
    account: Option<String>,
}

impl OrderDialect {
    /// Standard FIX 4.2, as `specs/FIX42.xml` defines it.
    pub const fn fix42() -> Self {
        Self {
            flavor: Flavor::Fix42,
            account: None,
        }
    }

    /// Standard FIX 4.4, as `specs/FIX44.xml` defines it.
    pub const fn fix44() -> Self {
        Self {
            flavor: Flavor::Fix44,
            account: None,
        }
    }

    /// cTrader's FIX 4.4 (`specs/ctrader-FIX44.xml`): only the fields its
    /// dictionary defines go out, and execution reports, which carry no
    /// ExecID, get a derived one (see the [module docs](super)).
    pub const fn ctrader() -> Self {
        Self {
            flavor: Flavor::CTrader,
            account: None,
        }
    }

    /// The standard dialect for a BeginString: `FIX.4.2` or `FIX.4.4`.
    pub fn for_begin_string(begin_string: &str) -> Option<Self> {
        match begin_string {
            "FIX.4.2" => Some(Self::fix42()),
            "FIX.4.4" => Some(Self::fix44()),
            _ => None,
        }
    }

    /// The same dialect with Account (1) written on every order message
    /// (cTrader defines no Account field and never gets one). FIX 4.4's
    /// RequestForPositions requires it.
    #[must_use]
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// The account, if set.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The account as it goes on the wire: never for cTrader.
    pub(super) fn wire_account(&self) -> Option<&[u8]> {
        match self.flavor {
            Flavor::CTrader => None,
            Flavor::Fix42 | Flavor::Fix44 => self.account.as_deref().map(str::as_bytes),
        }
    }

    /// The FIX version.
    pub const fn version(&self) -> FixVersion {
        match self.flavor {
            Flavor::Fix42 => FixVersion::Fix42,
            Flavor::Fix44 | Flavor::CTrader => FixVersion::Fix44,
        }
    }

    /// True for [`OrderDialect::ctrader`].
    pub const fn is_ctrader(&self) -> bool {
        matches!(self.flavor, Flavor::CTrader)
    }

    /// The shipped dictionary whose messages this dialect writes and reads.
    pub const fn dictionary(&self) -> ShippedDictionary {
        match self.flavor {
            Flavor::Fix42 => ShippedDictionary::Fix42,
            Flavor::Fix44 => ShippedDictionary::Fix44,
            Flavor::CTrader => ShippedDictionary::CTraderFix44,
        }
    }

    /// True when the dialect's dictionary requires `tag` in the body of
    /// `msg_type`. Only asked on error paths (the dictionary is parsed
    /// once, on first use).
    pub(super) fn requires(&self, msg_type: &str, tag: Tag) -> bool {
        let Ok(dict) = self.dictionary().load() else {
            return false;
        };
        dict.message(msg_type.as_bytes()).is_some_and(|message| {
            message
                .body()
                .required_tags()
                .any(|required| required == tag)
        })
    }
}

impl fmt::Display for OrderDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.flavor {
            Flavor::Fix42 => "FIX 4.2",
            Flavor::Fix44 => "FIX 4.4",
            Flavor::CTrader => "cTrader FIX 4.4",
        })
    }
}
