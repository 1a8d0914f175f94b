//! Why an order was denied: a stable code and the values that broke the
//! rule.
//!
//! The code is what dashboards count (`gateway_order_denied_total{reason}`)
//! and what the journal stores, so its text never changes once released;
//! the detail is for people and may be reworded. A denial prints as
//! `CODE: key=value, key=value`, for example
//! `NOTIONAL_EXCEEDS_MAX_PER_ORDER: max=50000, got=61000.5` (the format of
//! NautilusTrader's `OrderDenied` reasons).

use std::fmt;

crate::stable_code::stable_codes! {
    /// A stable, SCREAMING_SNAKE reason for refusing an order or a
    /// modification.
    DenyCode, "deny code" {
        // Engine-level refusals: the OMS raises these, not the pure checks.
        /// The order names an instrument the OMS does not know.
        InstrumentNotFound => "INSTRUMENT_NOT_FOUND",
        /// An intent with the same idempotency key already made an order.
        DuplicateIntent => "DUPLICATE_INTENT",
        /// The OMS is reconciling with the venue; no new orders meanwhile.
        Reconciling => "RECONCILING",
        /// The operator's kill switch is engaged.
        KillSwitchEngaged => "KILL_SWITCH_ENGAGED",
        /// A modify or cancel names an order the OMS does not know.
        OrderNotFound => "ORDER_NOT_FOUND",
        /// The order cannot be modified in its current state.
        OrderNotModifiable => "ORDER_NOT_MODIFIABLE",
        /// Too many submissions in the rate window.
        SubmitRateExceeded => "SUBMIT_RATE_EXCEEDED",
        /// Too many modifications in the rate window.
        ModifyRateExceeded => "MODIFY_RATE_EXCEEDED",

        // The gate's rules, in the order `check_submit` applies them.
        /// Trading state HALTED: no new order or modification.
        TradingHalted => "TRADING_HALTED",
        /// Trading state REDUCING and the order could increase the position.
        TradingStateReducing => "TRADING_STATE_REDUCING",
        /// A limit or stop price at or below zero on an instrument that does
        /// not allow it.
        PriceNotPositive => "PRICE_NOT_POSITIVE",
        /// A limit or stop price that is not a whole number of ticks.
        PriceNotOnTick => "PRICE_NOT_ON_TICK",
        /// Quantity zero.
        QuantityZero => "QUANTITY_ZERO",
        /// A replace whose new total quantity is not above the quantity
        /// already filled (cancel the order instead).
        QuantityNotAboveFilled => "QUANTITY_NOT_ABOVE_FILLED",
        /// Quantity not a whole number of lots.
        QuantityNotOnLot => "QUANTITY_NOT_ON_LOT",
        /// Quantity below the instrument's minimum.
        QuantityBelowMinimum => "QUANTITY_BELOW_MINIMUM",
        /// Quantity above the instrument's maximum.
        QuantityExceedsMaximum => "QUANTITY_EXCEEDS_MAXIMUM",
        /// A market order, no last price, and a notional rule needs one.
        MissingPrice => "MISSING_PRICE",
        /// Notional below the instrument's minimum.
        NotionalBelowMinimum => "NOTIONAL_BELOW_MINIMUM",
        /// Quantity above the risk limits' per-order cap.
        QuantityExceedsMaxPerOrder => "QUANTITY_EXCEEDS_MAX_PER_ORDER",
        /// Notional above the risk limits' per-order cap.
        NotionalExceedsMaxPerOrder => "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
        /// A good-till-date order whose expiry is not after now.
        ExpireTimeInPast => "EXPIRE_TIME_IN_PAST",
        /// The price band needs a last market price and none arrived.
        NoMarketPrice => "NO_MARKET_PRICE",
        /// A limit or stop price too far from the last market price.
        PriceOutsideBand => "PRICE_OUTSIDE_BAND",
        /// The worst-case instrument position would exceed its limit.
        PositionExceedsInstrumentLimit => "POSITION_EXCEEDS_INSTRUMENT_LIMIT",
        /// The worst-case position of the order's strategy in the instrument
        /// would exceed its limit.
        PositionExceedsStrategyLimit => "POSITION_EXCEEDS_STRATEGY_LIMIT",
        /// Gross exposure would exceed its limit.
        GrossExposureExceedsLimit => "GROSS_EXPOSURE_EXCEEDS_LIMIT",
        /// Absolute net exposure would exceed its limit.
        NetExposureExceedsLimit => "NET_EXPOSURE_EXCEEDS_LIMIT",
        /// The day's loss reached its limit; only reducing orders pass.
        DailyLossLimitReached => "DAILY_LOSS_LIMIT_REACHED",
        /// The drawdown reached its limit; only reducing orders pass.
        DrawdownLimitReached => "DRAWDOWN_LIMIT_REACHED",
    }
}

/// A refused order or modification: the rule's code and the values that
/// broke it (`key=value, key=value`, possibly empty).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Denial {
    /// The stable reason.
    pub code: DenyCode,
    /// The values that broke the rule, as `key=value, key=value`.
    pub detail: String,
}

impl Denial {
    /// A denial with its detail text.
    pub fn new(code: DenyCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }

    /// A denial with no detail.
    pub const fn bare(code: DenyCode) -> Self {
        Self {
            code,
            detail: String::new(),
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(self.code.as_str())
        } else {
            write!(f, "{}: {}", self.code.as_str(), self.detail)
        }
    }
}

impl std::error::Error for Denial {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_screaming_snake_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in DenyCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{text} is not SCREAMING_SNAKE"
            );
            assert_eq!(DenyCode::from_code(text), Some(code));
            assert_eq!(code.to_string(), text);
        }
        assert_eq!(DenyCode::from_code("NOT_A_CODE"), None);
    }

    #[test]
    fn displays_code_then_detail() {
        let denial = Denial::new(
            DenyCode::NotionalExceedsMaxPerOrder,
            "max=50000, got=61000.5",
        );
        assert_eq!(
            denial.to_string(),
            "NOTIONAL_EXCEEDS_MAX_PER_ORDER: max=50000, got=61000.5"
        );
        assert_eq!(
            Denial::bare(DenyCode::TradingHalted).to_string(),
            "TRADING_HALTED"
        );
    }
}
