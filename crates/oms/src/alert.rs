//! Alert codes: the stable names of what the OMS could not make consistent
//! on its own, or of a rule that resolved a discrepancy.

use std::fmt;

macro_rules! alert_codes {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// A stable, SCREAMING_SNAKE alert code (carried by
        /// [`OmsEvent::Alert`](crate::OmsEvent::Alert)).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum AlertCode {
            $($(#[$doc])* $variant,)*
        }

        impl AlertCode {
            /// Every code.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// The code's text, as operators and dashboards see it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }

            /// The code with this text.
            pub fn from_code(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

alert_codes! {
    /// The venue refused a message with BusinessMessageReject.
    BusinessReject => "BUSINESS_REJECT",
    /// An order found at the venue was adopted under `EXTERNAL`.
    ExternalOrderAdopted => "EXTERNAL_ORDER_ADOPTED",
    /// A fill without a price was booked at the order's limit or average.
    FillPriceAssumed => "FILL_PRICE_ASSUMED",
    /// A report contradicts the order's state; the state is unchanged.
    InconsistentReport => "INCONSISTENT_REPORT",
    /// An internal invariant failed (a bug): the event was not applied.
    Internal => "INTERNAL",
    /// The venue filled more than the order's quantity.
    Overfill => "OVERFILL",
    /// Reconciliation finished.
    ReconComplete => "RECON_COMPLETE",
    /// The venue's truth contradicts EMP's in a way no rule resolves.
    ReconConflict => "RECON_CONFLICT",
    /// Reconciliation booked a fill the venue reported only in a status.
    ReconFillInferred => "RECON_FILL_INFERRED",
    /// An order EMP thinks is live is unknown to the venue.
    ReconOrderNotFound => "RECON_ORDER_NOT_FOUND",
    /// The venue's position differs from EMP's.
    ReconPositionMismatch => "RECON_POSITION_MISMATCH",
    /// The venue did not answer reconciliation in time; trading halted.
    ReconTimeout => "RECON_TIMEOUT",
    /// The venue reported a symbol EMP has no instrument for.
    ReconUnknownSymbol => "RECON_UNKNOWN_SYMBOL",
    /// A replace was refused by the risk gate.
    ReplaceDenied => "REPLACE_DENIED",
    /// A cancel reject for no order EMP knows.
    UnknownCancelReject => "UNKNOWN_CANCEL_REJECT",
    /// An execution report for no order EMP knows.
    UnknownOrderReport => "UNKNOWN_ORDER_REPORT",
    /// An order's outcome is still unknown after every status query.
    Unresolved => "UNRESOLVED",
    /// A position report nobody asked for.
    UnsolicitedPositionReport => "UNSOLICITED_POSITION_REPORT",
}

impl fmt::Display for AlertCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Stored by text, like deny codes: adding a code never changes what a
// journal's alerts read back as.
impl serde::Serialize for AlertCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for AlertCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_code(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown alert code {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_screaming_snake_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in AlertCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{text}"
            );
            assert_eq!(AlertCode::from_code(text), Some(code));
        }
        assert_eq!(AlertCode::from_code("NOPE"), None);
    }
}
