//! The pre-trade checks: pure functions from an order, the limits, the
//! trading state and the exposure to "pass" or the first broken rule.
//!
//! The rules, their order and their arithmetic are documented on the
//! [`risk`](super) module, where they are public.

use model::{Money, NetQuantity, OrderKind, Price, Quantity, Side, TimeInForce, Timestamp};

use super::{Denial, DenyCode, ExistingOrder, ExposureView, OrderTerms, RiskLimits, TradingState};

/// Checks a new order against the trading state, the instrument's rules and
/// the limits; `now` decides GTD expiry. Returns the first broken rule (see
/// the [module documentation](super) for the order).
///
/// ```
/// use model::{Instrument, InstrumentId, OrderKind, Side, TimeInForce, Timestamp, VenueSymbol};
/// use oms::risk::{ExposureView, OrderTerms, RiskLimits, TradingState, check_submit};
///
/// let eurusd = Instrument {
///     id: InstrumentId::new("EURUSD")?,
///     venue_symbol: VenueSymbol::new("1")?,
///     tick_size: "0.00001".parse()?,
///     lot_size: "1000".parse()?,
///     min_quantity: "1000".parse()?,
///     max_quantity: None,
///     min_notional: None,
///     price_digits: 5,
///     allows_non_positive_prices: false,
/// };
/// let limits = RiskLimits {
///     max_order_notional: Some("50000".parse()?),
///     ..RiskLimits::default()
/// };
/// let order = OrderTerms {
///     instrument: &eurusd,
///     side: Side::Buy,
///     kind: OrderKind::Limit { price: "1.1091".parse()? },
///     quantity: "55000".parse()?,
///     time_in_force: TimeInForce::GoodTillCancel,
/// };
/// let now = Timestamp::from_unix_nanos(0);
/// let denial = check_submit(&limits, TradingState::Active, &order, &ExposureView::default(), now)
///     .unwrap_err();
/// assert_eq!(denial.to_string(), "NOTIONAL_EXCEEDS_MAX_PER_ORDER: max=50000, got=61000.5");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_submit(
    limits: &RiskLimits,
    state: TradingState,
    order: &OrderTerms<'_>,
    exposure: &ExposureView,
    now: Timestamp,
) -> Result<(), Denial> {
    Gate {
        limits,
        order,
        exposure,
        before: None,
    }
    .run(state, now)
}

/// Checks the new terms of a cancel/replace of `existing`. `order.quantity`
/// is the new total quantity, fills included, and `order.side` the order's
/// side; `exposure` must not count the order being replaced among the
/// working orders. Only increases are denied by caps (see the
/// [module documentation](super#modifications)).
pub fn check_modify(
    limits: &RiskLimits,
    state: TradingState,
    existing: &ExistingOrder,
    order: &OrderTerms<'_>,
    exposure: &ExposureView,
    now: Timestamp,
) -> Result<(), Denial> {
    Gate {
        limits,
        order,
        exposure,
        before: Some(existing),
    }
    .run(state, now)
}

/// One check in progress; `before` is the order being replaced, if any.
struct Gate<'a> {
    limits: &'a RiskLimits,
    order: &'a OrderTerms<'a>,
    exposure: &'a ExposureView,
    before: Option<&'a ExistingOrder>,
}

impl Gate<'_> {
    fn run(&self, state: TradingState, now: Timestamp) -> Result<(), Denial> {
        let reducing = self.reducing();
        self.trading_state(state, reducing)?;
        self.prices()?;
        self.quantity()?;
        self.min_notional()?;
        self.per_order_caps()?;
        self.expiry(now)?;
        self.price_band()?;
        self.position_limits()?;
        if !reducing {
            self.gross_exposure()?;
            self.net_exposure()?;
            self.loss_caps()?;
        }
        Ok(())
    }

    /// The unfilled quantity after the change.
    fn remaining(&self) -> Quantity {
        match self.before {
            Some(old) => self.order.quantity.saturating_sub(old.filled),
            None => self.order.quantity,
        }
    }

    /// The unfilled quantity before the change (zero for a submit).
    fn remaining_before(&self) -> Quantity {
        self.before.map_or(Quantity::ZERO, |old| {
            old.quantity.saturating_sub(old.filled)
        })
    }

    /// True when the total quantity goes up (always, for a new order).
    fn quantity_grows(&self) -> bool {
        self.before
            .is_none_or(|old| self.order.quantity > old.quantity)
    }

    fn working_same_side(&self) -> Quantity {
        match self.order.side {
            Side::Buy => self.exposure.instrument_open_buys,
            Side::Sell => self.exposure.instrument_open_sells,
        }
    }

    /// See the module documentation, "Reducing orders".
    fn reducing(&self) -> bool {
        let position = i128::from(self.exposure.instrument_position.raw());
        let worst = i128::from(self.working_same_side().raw()) + i128::from(self.remaining().raw());
        match self.order.side {
            Side::Buy => position < 0 && worst <= -position,
            Side::Sell => position > 0 && worst <= position,
        }
    }

    fn trading_state(&self, state: TradingState, reducing: bool) -> Result<(), Denial> {
        match state {
            TradingState::Active => Ok(()),
            TradingState::Halted => Err(Denial::bare(DenyCode::TradingHalted)),
            TradingState::Reducing if reducing || !self.quantity_grows() => Ok(()),
            TradingState::Reducing => Err(Denial::new(
                DenyCode::TradingStateReducing,
                format!(
                    "side={}, position={}, working={}, order={}",
                    self.order.side,
                    self.exposure.instrument_position,
                    self.working_same_side(),
                    self.remaining()
                ),
            )),
        }
    }

    /// The limit and stop prices with their names in a denial.
    fn named_prices(kind: OrderKind) -> [Option<(&'static str, Price)>; 2] {
        [
            kind.limit_price().map(|price| ("price", price)),
            kind.stop_price().map(|stop| ("stop", stop)),
        ]
    }

    fn prices(&self) -> Result<(), Denial> {
        let instrument = self.order.instrument;
        let prices = Self::named_prices(self.order.kind);
        if !instrument.allows_non_positive_prices {
            for (name, price) in prices.into_iter().flatten() {
                if !price.is_positive() {
                    return Err(Denial::new(
                        DenyCode::PriceNotPositive,
                        format!("{name}={price}"),
                    ));
                }
            }
        }
        for (name, price) in prices.into_iter().flatten() {
            if !on_tick(price, instrument.tick_size) {
                return Err(Denial::new(
                    DenyCode::PriceNotOnTick,
                    format!("{name}={price}, tick={}", instrument.tick_size),
                ));
            }
        }
        Ok(())
    }

    fn quantity(&self) -> Result<(), Denial> {
        let instrument = self.order.instrument;
        let quantity = self.order.quantity;
        if quantity.is_zero() {
            return Err(Denial::bare(DenyCode::QuantityZero));
        }
        if let Some(old) = self.before
            && quantity <= old.filled
        {
            return Err(Denial::new(
                DenyCode::QuantityNotAboveFilled,
                format!("filled={}, got={quantity}", old.filled),
            ));
        }
        if !quantity.is_multiple_of(instrument.lot_size) {
            return Err(Denial::new(
                DenyCode::QuantityNotOnLot,
                format!("lot={}, got={quantity}", instrument.lot_size),
            ));
        }
        if quantity < instrument.min_quantity {
            return Err(Denial::new(
                DenyCode::QuantityBelowMinimum,
                format!("min={}, got={quantity}", instrument.min_quantity),
            ));
        }
        if let Some(max) = instrument.max_quantity
            && quantity > max
        {
            return Err(Denial::new(
                DenyCode::QuantityExceedsMaximum,
                format!("max={max}, got={quantity}"),
            ));
        }
        Ok(())
    }

    /// The price the new terms are valued at, or MISSING_PRICE naming the
    /// rule that needed it.
    fn reference_price(&self, needed_by: &'static str) -> Result<Price, Denial> {
        self.order
            .kind
            .reference_price()
            .or(self.exposure.last_price)
            .ok_or_else(|| {
                Denial::new(
                    DenyCode::MissingPrice,
                    format!("kind={}, needed_by={needed_by}", self.order.kind.name()),
                )
            })
    }

    /// The price the old terms are valued at; `None` only for an old
    /// market order with no last price, whose value is then taken as zero
    /// (so any new value counts as an increase).
    fn reference_price_before(&self) -> Option<Price> {
        self.before
            .and_then(|old| old.kind.reference_price().or(self.exposure.last_price))
    }

    fn min_notional(&self) -> Result<(), Denial> {
        let Some(min) = self.order.instrument.min_notional else {
            return Ok(());
        };
        let price = self.reference_price("min_notional")?;
        let notional = price.notional(self.order.quantity).abs();
        if notional < min {
            return Err(Denial::new(
                DenyCode::NotionalBelowMinimum,
                format!("min={min}, got={notional}"),
            ));
        }
        Ok(())
    }

    fn per_order_caps(&self) -> Result<(), Denial> {
        let quantity = self.order.quantity;
        if let Some(max) = self.limits.max_order_quantity
            && quantity > max
            && self.quantity_grows()
        {
            return Err(Denial::new(
                DenyCode::QuantityExceedsMaxPerOrder,
                format!("max={max}, got={quantity}"),
            ));
        }
        if let Some(max) = self.limits.max_order_notional {
            let notional = self
                .reference_price("max_order_notional")?
                .notional(quantity)
                .abs();
            let before = match (self.before, self.reference_price_before()) {
                (Some(old), Some(price)) => price.notional(old.quantity).abs(),
                _ => Money::ZERO,
            };
            if notional > max && (self.before.is_none() || notional > before) {
                return Err(Denial::new(
                    DenyCode::NotionalExceedsMaxPerOrder,
                    format!("max={max}, got={notional}"),
                ));
            }
        }
        Ok(())
    }

    fn expiry(&self, now: Timestamp) -> Result<(), Denial> {
        if let TimeInForce::GoodTillDate(expire) = self.order.time_in_force
            && expire <= now
        {
            return Err(Denial::new(
                DenyCode::ExpireTimeInPast,
                format!("expire={expire}, now={now}"),
            ));
        }
        Ok(())
    }

    fn price_band(&self) -> Result<(), Denial> {
        let Some(band_bps) = self.limits.price_band_bps else {
            return Ok(());
        };
        let old = self.before.map(|old| Self::named_prices(old.kind));
        for (slot, named) in Self::named_prices(self.order.kind).into_iter().enumerate() {
            let Some((name, price)) = named else {
                continue;
            };
            // A modify re-checks only a price it changes.
            if old.is_some_and(|old| old[slot] == named) {
                continue;
            }
            let Some(last) = self.exposure.last_price else {
                return Err(Denial::new(
                    DenyCode::NoMarketPrice,
                    format!("{name}={price}, band_bps={band_bps}"),
                ));
            };
            let distance = (i128::from(price.raw()) - i128::from(last.raw())).abs() * 10_000;
            let allowed = i128::from(band_bps) * i128::from(last.raw()).abs();
            if distance > allowed {
                return Err(Denial::new(
                    DenyCode::PriceOutsideBand,
                    format!("{name}={price}, last={last}, band_bps={band_bps}"),
                ));
            }
        }
        Ok(())
    }

    fn position_limits(&self) -> Result<(), Denial> {
        let exposure = self.exposure;
        if let Some(max) = self.limits.position_limit(&self.order.instrument.id) {
            let (open_buys, open_sells) = (
                exposure.instrument_open_buys,
                exposure.instrument_open_sells,
            );
            self.position_limit(
                DenyCode::PositionExceedsInstrumentLimit,
                max,
                exposure.instrument_position,
                open_buys,
                open_sells,
            )?;
        }
        if let Some(max) = self.limits.max_strategy_position {
            self.position_limit(
                DenyCode::PositionExceedsStrategyLimit,
                max,
                exposure.strategy_position,
                exposure.strategy_open_buys,
                exposure.strategy_open_sells,
            )?;
        }
        Ok(())
    }

    /// Worst case of `position` with the working orders on the order's
    /// side and this order, against `±max` on that side.
    fn position_limit(
        &self,
        code: DenyCode,
        max: Quantity,
        position: NetQuantity,
        open_buys: Quantity,
        open_sells: Quantity,
    ) -> Result<(), Denial> {
        let position = i128::from(position.raw());
        let max = i128::from(max.raw());
        let after = i128::from(self.remaining().raw());
        let before = i128::from(self.remaining_before().raw());
        let (worst, exceeds) = match self.order.side {
            Side::Buy => {
                let base = position + i128::from(open_buys.raw());
                (base + after, base + after > max && after > before)
            }
            Side::Sell => {
                let base = position - i128::from(open_sells.raw());
                (base - after, base - after < -max && after > before)
            }
        };
        if exceeds {
            return Err(Denial::new(
                code,
                format!("max={}, got={}", quantity_text(max), quantity_text(worst)),
            ));
        }
        Ok(())
    }

    /// The signed notional of the unfilled quantity, after and before the
    /// change: positive for a buy at a positive price.
    fn signed_notionals(&self, needed_by: &'static str) -> Result<(Money, Money), Denial> {
        let price = self.reference_price(needed_by)?;
        let after = price.notional(self.remaining());
        let before = match self.reference_price_before() {
            Some(price) => price.notional(self.remaining_before()),
            None => Money::ZERO,
        };
        // |price × quantity| < 2¹²⁶, so negation cannot overflow.
        Ok(match self.order.side {
            Side::Buy => (after, before),
            Side::Sell => (
                Money::from_raw(-after.raw()),
                Money::from_raw(-before.raw()),
            ),
        })
    }

    fn gross_exposure(&self) -> Result<(), Denial> {
        let Some(max) = self.limits.max_gross_exposure else {
            return Ok(());
        };
        let (after, before) = self.signed_notionals("max_gross_exposure")?;
        let (after, before) = (after.abs(), before.abs());
        if after <= before {
            return Ok(());
        }
        match self.exposure.gross_exposure.checked_add(after) {
            Some(total) if total <= max => Ok(()),
            total => Err(Denial::new(
                DenyCode::GrossExposureExceedsLimit,
                format!("max={max}, got={}", money_text(total)),
            )),
        }
    }

    fn net_exposure(&self) -> Result<(), Denial> {
        let Some(max) = self.limits.max_net_exposure else {
            return Ok(());
        };
        let (after, before) = self.signed_notionals("max_net_exposure")?;
        let net = self.exposure.net_exposure;
        let Some(total) = net.checked_add(after) else {
            return Err(Denial::new(
                DenyCode::NetExposureExceedsLimit,
                format!("max={max}, got=overflow"),
            ));
        };
        // An old total beyond i128 is further from zero than the new one.
        let grows = net
            .checked_add(before)
            .is_some_and(|old| total.abs() > old.abs());
        if grows && total.abs() > max {
            return Err(Denial::new(
                DenyCode::NetExposureExceedsLimit,
                format!("max={max}, got={total}"),
            ));
        }
        Ok(())
    }

    fn loss_caps(&self) -> Result<(), Denial> {
        if !self.quantity_grows() {
            return Ok(());
        }
        if let Some(limit) = self.limits.daily_loss_limit {
            let pnl = self.exposure.daily_pnl;
            let reached = limit.checked_neg().is_none_or(|floor| pnl <= floor);
            if reached {
                return Err(Denial::new(
                    DenyCode::DailyLossLimitReached,
                    format!("limit={limit}, daily_pnl={pnl}"),
                ));
            }
        }
        if let Some(max) = self.limits.max_drawdown
            && self.exposure.drawdown >= max
        {
            return Err(Denial::new(
                DenyCode::DrawdownLimitReached,
                format!("max={max}, drawdown={}", self.exposure.drawdown),
            ));
        }
        Ok(())
    }
}

/// [`Price::is_multiple_of`] in `i128`: the same answer (a zero tick
/// accepts every price), but no overflow for `i64::MIN` and a tick of −1,
/// which an unvalidated instrument could hold.
fn on_tick(price: Price, tick: Price) -> bool {
    tick.raw() == 0 || i128::from(price.raw()) % i128::from(tick.raw()) == 0
}

/// A quantity held in an `i128` of 10⁻⁹ units, printed exactly.
fn quantity_text(raw: i128) -> String {
    // 10⁻⁹ units × 10⁹ = 10⁻¹⁸ units: Money prints the same number. The
    // sums here are below 2⁶⁶, far from overflowing.
    Money::from_raw(raw.saturating_mul(1_000_000_000)).to_string()
}

fn money_text(value: Option<Money>) -> String {
    value.map_or_else(|| "overflow".to_owned(), |money| money.to_string())
}
