//! Alert codes: the stable names of what the OMS could not make consistent
//! on its own, or of a rule that resolved a discrepancy.

crate::stable_code::stable_codes! {
    /// A stable, SCREAMING_SNAKE alert code (carried by
    /// [`OmsEvent::Alert`](crate::OmsEvent::Alert)).
    AlertCode, "alert code" {
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
