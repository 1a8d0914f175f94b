//! `binary_market`: a YES/NO token pair of one prediction market, whose
//! payoffs sum to 1.
//!
//! The rules, in priority order; for each pair the first rule that produces
//! an order wins and the rest are not looked at:
//!
//! | # | rule            | when                                                   | order (limit, IOC)                         |
//! |---|-----------------|--------------------------------------------------------|--------------------------------------------|
//! | 1 | profit lock     | a held token's bid ≥ average cost + `profit_target`    | SELL the free holding at the bid           |
//! | 2 | stop loss       | a held token's bid ≤ average cost − `stop_loss`        | SELL the free holding at the bid           |
//! | 3 | synthetic arb   | ask_yes + ask_no < 1 − `fees`                          | BUY both at their asks, equal size         |
//! | 4 | bootstrap       | nothing held or pending on either token                | BUY `bootstrap_size` of the oracle's pick  |
//! | 5 | hedge           | \|YES − NO\| (held + pending) > `hedge_tolerance`      | BUY the lighter token, up to the imbalance |
//! | 6 | average down    | a held token's ask ≤ average cost − `average_down_step`| BUY `order_size` more at the ask           |
//!
//! Within rules 1, 2 and 6, YES is looked at before NO. Rules 4–6 are
//! inventory management and run only with an oracle probability `p` for the
//! YES token: a token may be bought only when its fair value (`p` for YES,
//! `1 − p` for NO) is at least its ask + `oracle_edge`. Bootstrap picks the
//! token with the larger edge (YES on a tie).
//!
//! The free holding is the long position minus pending sells. Every buy is
//! capped so that position + pending buys stays within `max_position` per
//! token; sizes are rounded down to the lot. Arbitrage legs have one size:
//! the smallest of `order_size`, both asks' displayed sizes and both caps.
//! Nothing is done for a pair unless both tokens have valid features.
//!
//! Epochs: the counter advances whenever the pair's inventory (position,
//! pending, cost) differs from what the previous decision saw, so a rule
//! re-fired before its order shows up as pending has the same intent id.

use std::collections::BTreeMap;

use model::{InstrumentId, OrderKind, Price, Quantity, Side, TimeInForce};
use sensory::Level;

use crate::action::{OrderRequest, Proposal};
use crate::exact;
use crate::inputs::{Inputs, Inventory};

/// A YES token and its NO token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenPair {
    /// Pays 1 if the event happens.
    pub yes: InstrumentId,
    /// Pays 1 if it does not.
    pub no: InstrumentId,
}

/// Parameters of one `binary_market` instance.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryMarketParams {
    /// The pairs traded.
    pub pairs: Vec<TokenPair>,
    /// Gain per unit over average cost that locks the profit.
    pub profit_target: Price,
    /// Loss per unit under average cost that stops out.
    pub stop_loss: Price,
    /// Fees per unit of a YES+NO pair; arbitrage needs asks below 1 − fees.
    pub fees: Price,
    /// Size of an arbitrage or average-down order.
    pub order_size: Quantity,
    /// Size of the first position.
    pub bootstrap_size: Quantity,
    /// Largest position + pending buys per token.
    pub max_position: Quantity,
    /// YES/NO imbalance tolerated before hedging.
    pub hedge_tolerance: Quantity,
    /// How far under average cost the ask must be to buy more.
    pub average_down_step: Price,
    /// How much the oracle's fair value must exceed the ask to buy.
    pub oracle_edge: f64,
}

/// What persists between decisions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BinaryMarketState {
    /// The intent epoch.
    pub epoch: u64,
    /// The inventory of each pair (keyed by its YES token) at the previous
    /// decision.
    pub seen: BTreeMap<InstrumentId, (Inventory, Inventory)>,
}

/// Which rule fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// 1.
    ProfitLock,
    /// 2.
    StopLoss,
    /// 3.
    SyntheticArbitrage,
    /// 4.
    Bootstrap,
    /// 5.
    Hedge,
    /// 6.
    AverageDown,
}

impl Rule {
    /// snake_case name, as in reasons.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ProfitLock => "profit_lock",
            Self::StopLoss => "stop_loss",
            Self::SyntheticArbitrage => "synthetic_arbitrage",
            Self::Bootstrap => "bootstrap",
            Self::Hedge => "hedge",
            Self::AverageDown => "average_down",
        }
    }
}

/// One token's market and inventory, as the rules see it.
#[derive(Clone, Copy)]
struct Token {
    id: InstrumentId,
    label: &'static str,
    bid: Option<Level>,
    ask: Option<Level>,
    inventory: Inventory,
    lot: Quantity,
    /// Oracle fair value, when there is an oracle.
    fair: Option<f64>,
}

impl Token {
    fn free_holding(&self) -> Quantity {
        exact::floor_to_lot(
            exact::long_part(self.inventory.position).saturating_sub(self.inventory.pending_sells),
            self.lot,
        )
    }

    fn projected(&self) -> model::NetQuantity {
        exact::projected(
            self.inventory.position,
            self.inventory.pending_buys,
            Quantity::ZERO,
        )
    }

    fn buy_room(&self, cap: Quantity) -> Quantity {
        exact::room(self.projected(), cap, Quantity::ZERO).0
    }

    /// fair − ask, when both exist.
    fn edge(&self) -> Option<f64> {
        Some(self.fair? - exact::to_f64(self.ask?.price))
    }

    fn agrees(&self, params: &BinaryMarketParams) -> bool {
        self.edge().is_some_and(|edge| edge >= params.oracle_edge)
    }
}

/// One decision over every pair.
pub fn decide(
    inputs: &Inputs<'_>,
    params: &BinaryMarketParams,
    state: &mut BinaryMarketState,
) -> Vec<Proposal> {
    let mut proposals = Vec::new();
    for pair in &params.pairs {
        let inventories = (
            inputs.inventory_of(&pair.yes),
            inputs.inventory_of(&pair.no),
        );
        if state.seen.get(&pair.yes) != Some(&inventories) {
            state.epoch += 1;
            state.seen.insert(pair.yes, inventories);
        }
        let oracle = inputs
            .market
            .oracle
            .get(&pair.yes)
            .copied()
            .filter(|p| p.is_finite());
        let (Some(yes), Some(no)) = (
            token(inputs, pair.yes, "YES", oracle),
            token(inputs, pair.no, "NO", oracle.map(|p| 1.0 - p)),
        ) else {
            continue;
        };
        if let Some((rule, orders)) = first_rule(params, &yes, &no) {
            for (token, side, price, size, why) in orders {
                proposals.push(Proposal::Submit(OrderRequest {
                    instrument: token.id,
                    side,
                    kind: OrderKind::Limit { price },
                    size,
                    time_in_force: TimeInForce::ImmediateOrCancel,
                    epoch: state.epoch,
                    reason: format!(
                        "binary_market rule={}: {why}, {side} {size} {} @ {price}",
                        rule.name(),
                        token.label
                    ),
                }));
            }
        }
    }
    proposals
}

fn token(
    inputs: &Inputs<'_>,
    id: InstrumentId,
    label: &'static str,
    fair: Option<f64>,
) -> Option<Token> {
    let features = inputs.market.features(&id).filter(|f| f.is_valid())?;
    Some(Token {
        id,
        label,
        bid: features.what.best_bid,
        ask: features.what.best_ask,
        inventory: inputs.inventory_of(&id),
        lot: inputs.instruments.get(&id)?.lot_size,
        fair,
    })
}

type Order<'t> = (&'t Token, Side, Price, Quantity, String);

fn first_rule<'t>(
    params: &BinaryMarketParams,
    yes: &'t Token,
    no: &'t Token,
) -> Option<(Rule, Vec<Order<'t>>)> {
    let rules: [(Rule, &dyn Fn() -> Vec<Order<'t>>); 6] = [
        (Rule::ProfitLock, &|| exit(params, [yes, no], true)),
        (Rule::StopLoss, &|| exit(params, [yes, no], false)),
        (Rule::SyntheticArbitrage, &|| arbitrage(params, yes, no)),
        (Rule::Bootstrap, &|| bootstrap(params, yes, no)),
        (Rule::Hedge, &|| hedge(params, yes, no)),
        (Rule::AverageDown, &|| average_down(params, [yes, no])),
    ];
    rules.into_iter().find_map(|(rule, fire)| {
        let orders = fire();
        (!orders.is_empty()).then_some((rule, orders))
    })
}

/// Rules 1 (`profit`) and 2: sell the first token whose bid crossed its
/// level.
fn exit<'t>(params: &BinaryMarketParams, tokens: [&'t Token; 2], profit: bool) -> Vec<Order<'t>> {
    tokens
        .into_iter()
        .find_map(|token| {
            let cost = token.inventory.average_cost?;
            let bid = token.bid?.price;
            let size = token.free_holding();
            if size.is_zero() {
                return None;
            }
            let why = if profit {
                let level = cost.checked_add(params.profit_target)?;
                (bid >= level).then(|| {
                    format!(
                        "bid={bid} >= avg_cost={cost} + target={}",
                        params.profit_target
                    )
                })?
            } else {
                let level = cost.checked_sub(params.stop_loss)?;
                (bid <= level)
                    .then(|| format!("bid={bid} <= avg_cost={cost} - stop={}", params.stop_loss))?
            };
            Some(vec![(token, Side::Sell, bid, size, why)])
        })
        .unwrap_or_default()
}

/// Rule 3.
fn arbitrage<'t>(params: &BinaryMarketParams, yes: &'t Token, no: &'t Token) -> Vec<Order<'t>> {
    let (Some(ask_yes), Some(ask_no)) = (yes.ask, no.ask) else {
        return Vec::new();
    };
    let Some(cost) = ask_yes.price.checked_add(ask_no.price) else {
        return Vec::new();
    };
    let Some(limit) = Price::from_raw(1_000_000_000).checked_sub(params.fees) else {
        return Vec::new();
    };
    if cost >= limit {
        return Vec::new();
    }
    let size = params
        .order_size
        .min(ask_yes.size)
        .min(ask_no.size)
        .min(yes.buy_room(params.max_position))
        .min(no.buy_room(params.max_position));
    let size = exact::floor_to_lot(exact::floor_to_lot(size, yes.lot), no.lot);
    if size.is_zero() || !size.is_multiple_of(yes.lot) {
        return Vec::new();
    }
    let why = format!(
        "ask_yes={} + ask_no={} = {cost} < 1 - fees={}",
        ask_yes.price, ask_no.price, params.fees
    );
    vec![
        (yes, Side::Buy, ask_yes.price, size, why.clone()),
        (no, Side::Buy, ask_no.price, size, why),
    ]
}

fn buy<'t>(token: &'t Token, size: Quantity, cap: Quantity, why: String) -> Vec<Order<'t>> {
    let size = exact::floor_to_lot(size.min(token.buy_room(cap)), token.lot);
    match token.ask {
        Some(ask) if !size.is_zero() => vec![(token, Side::Buy, ask.price, size, why)],
        _ => Vec::new(),
    }
}

fn oracle_text(token: &Token) -> String {
    format!(
        "fair={:.4} edge={:.4}",
        token.fair.unwrap_or(f64::NAN),
        token.edge().unwrap_or(f64::NAN)
    )
}

/// Rule 4.
fn bootstrap<'t>(params: &BinaryMarketParams, yes: &'t Token, no: &'t Token) -> Vec<Order<'t>> {
    let flat = |t: &Token| {
        t.inventory.position.is_zero()
            && t.inventory.pending_buys.is_zero()
            && t.inventory.pending_sells.is_zero()
    };
    if !flat(yes) || !flat(no) {
        return Vec::new();
    }
    let pick = match (yes.agrees(params), no.agrees(params)) {
        (true, true) if no.edge() > yes.edge() => no,
        (true, _) => yes,
        (false, true) => no,
        (false, false) => return Vec::new(),
    };
    buy(
        pick,
        params.bootstrap_size,
        params.max_position,
        format!("flat, oracle {}", oracle_text(pick)),
    )
}

/// Rule 5.
fn hedge<'t>(params: &BinaryMarketParams, yes: &'t Token, no: &'t Token) -> Vec<Order<'t>> {
    let (yes_held, no_held) = (yes.projected(), no.projected());
    let imbalance = yes_held.checked_sub(no_held).unwrap_or_default();
    if imbalance.abs() <= params.hedge_tolerance {
        return Vec::new();
    }
    let lighter = if imbalance.raw() > 0 { no } else { yes };
    if !lighter.agrees(params) {
        return Vec::new();
    }
    buy(
        lighter,
        imbalance.abs(),
        params.max_position,
        format!(
            "YES={yes_held} NO={no_held} imbalance above {}, oracle {}",
            params.hedge_tolerance,
            oracle_text(lighter)
        ),
    )
}

/// Rule 6.
fn average_down<'t>(params: &BinaryMarketParams, tokens: [&'t Token; 2]) -> Vec<Order<'t>> {
    tokens
        .into_iter()
        .find_map(|token| {
            let cost = token.inventory.average_cost?;
            let ask = token.ask?.price;
            let level = cost.checked_sub(params.average_down_step)?;
            if exact::long_part(token.inventory.position).is_zero()
                || ask > level
                || !token.agrees(params)
            {
                return None;
            }
            let why = format!(
                "ask={ask} <= avg_cost={cost} - step={}, oracle {}",
                params.average_down_step,
                oracle_text(token)
            );
            Some(buy(token, params.order_size, params.max_position, why))
                .filter(|orders| !orders.is_empty())
        })
        .unwrap_or_default()
}
