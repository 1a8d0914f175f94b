//! The runner: the readiness gate and several strategies side by side,
//! each with its own rate limit, kill switch and duplicate filter.
//!
//! Every [`StrategyHost::step`] observes the gate, then runs each strategy
//! on a copy of its state and filters the proposed actions, in this order:
//!
//! 1. kill switch on: nothing goes out (reason [`SuppressReason::Killed`]);
//! 2. gate not RUNNING: submits and replaces are held back
//!    ([`SuppressReason::NotRunning`]); cancels go out, since they only
//!    reduce risk, and a market maker withdraws its quotes;
//! 3. a submit or replace for an instrument whose market-data feed is not
//!    Live, or not rebuilt since an outage, is held back
//!    ([`SuppressReason::FeedNotLive`]; the gate already degrades for its
//!    own instruments, this covers every traded one);
//! 4. an action already emitted (same intent id and terms) is dropped
//!    ([`SuppressReason::Duplicate`]);
//! 5. the rate limit counts submits and replaces, all of one decision or
//!    none ([`SuppressReason::RateLimited`]); cancels are not counted.
//!
//! The strategy keeps its new state only when none of its submits or
//! replaces was held back by 1, 2, 3 or 5, so a decision that did not go out
//! (a threshold crossing while DEGRADED) is taken again when it can.

use std::collections::{BTreeMap, BTreeSet};

use model::{
    InstrumentId, InstrumentMap, InstrumentTable, IntentId, IntentSpec, OrderIntent, OrderKind,
    Quantity, RunId, StrategyId, Timestamp,
};

use crate::action::{Action, Proposal};
use crate::inputs::{Inputs, Inventory, MarketView, WorkingOrder};
use crate::params::{ParamsFile, ParamsVersion, StrategyParams};
use crate::quiet::{self, QuietDecision};
use crate::rate_limit::RateLimiter;
use crate::readiness::{
    ReadinessEvent, ReadinessGate, ReadinessReason, ReadinessState, feed_problem,
};
use crate::strategies::{self, StrategyState};

/// The host cannot run these params.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// A strategy trades an instrument the instrument table does not know
    /// (its tick and lot sizes are needed).
    #[error("strategy {strategy} trades {instrument}, which is not in the instrument table")]
    UnknownInstrument {
        /// The strategy.
        strategy: StrategyId,
        /// The instrument.
        instrument: InstrumentId,
    },
}

/// Why an action did not go out.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SuppressReason {
    /// The strategy's kill switch is on.
    Killed {
        /// Why it was switched on.
        reason: String,
    },
    /// The gate is not RUNNING.
    NotRunning {
        /// The gate's state.
        state: ReadinessState,
        /// The first requirement that failed, if one did.
        problem: Option<ReadinessReason>,
    },
    /// The instrument's market-data feed is not Live, or its book awaits
    /// a fresh snapshot after an outage.
    FeedNotLive {
        /// Which instrument and what its feed reported
        /// ([`ReadinessReason::FeedNotLive`] or
        /// [`ReadinessReason::AwaitingSnapshot`]).
        problem: ReadinessReason,
    },
    /// The action was already emitted.
    Duplicate,
    /// The strategy's rate limit is used up.
    RateLimited,
    /// A replace of an order whose earlier request (the order itself, a
    /// cancel or a replace) the venue has not answered yet: the OMS
    /// would refuse it; the strategy proposes it again once answered.
    InFlight,
}

/// One action that went out, with why the strategy wanted it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Emitted {
    /// Whose.
    pub strategy: StrategyId,
    /// The OMS call.
    pub action: Action,
    /// The strategy's reason (for a submit, also the intent's reason).
    pub reason: String,
}

/// One action that did not go out, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    /// When.
    pub at: Timestamp,
    /// Whose.
    pub strategy: StrategyId,
    /// Why.
    pub why: SuppressReason,
    /// What would have gone out.
    pub action: Action,
    /// The strategy's reason for it.
    pub reason: String,
}

/// What one step produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// Actions for the OMS, in strategy order.
    pub actions: Vec<Emitted>,
    /// Gate transitions at this step.
    pub readiness: Vec<ReadinessEvent>,
    /// Actions held back, with why.
    pub suppressed: Vec<Suppression>,
}

/// Counters of one strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StrategyStats {
    /// Actions emitted.
    pub emitted: u64,
    /// Actions suppressed by the kill switch.
    pub killed: u64,
    /// Actions suppressed because the gate was not RUNNING.
    pub not_running: u64,
    /// Submits and replaces held back because their instrument's feed was
    /// not Live.
    pub feed_not_live: u64,
    /// Duplicate actions dropped.
    pub duplicate: u64,
    /// Actions suppressed by the rate limit.
    pub rate_limited: u64,
    /// Replaces held back while the order had a request in flight.
    pub in_flight: u64,
}

impl StrategyStats {
    fn count(&mut self, why: &SuppressReason) {
        let counter = match why {
            SuppressReason::Killed { .. } => &mut self.killed,
            SuppressReason::NotRunning { .. } => &mut self.not_running,
            SuppressReason::FeedNotLive { .. } => &mut self.feed_not_live,
            SuppressReason::Duplicate => &mut self.duplicate,
            SuppressReason::RateLimited => &mut self.rate_limited,
            SuppressReason::InFlight => &mut self.in_flight,
        };
        *counter += 1;
    }
}

#[derive(Clone, Debug)]
struct Slot {
    params: StrategyParams,
    state: StrategyState,
    /// What the last decision ran on: a copy of `state`, refreshed only
    /// when the two differ, so the state's maps are not cloned per step.
    scratch: StrategyState,
    /// What the last decision read, while it proposed nothing and left
    /// `state` as it was (then `scratch` equals `state`): the next one is
    /// skipped if it would read the same.
    quiet: Option<QuietDecision>,
    limiter: RateLimiter,
    kill: Option<String>,
    submitted: BTreeSet<IntentId>,
    canceled: BTreeSet<IntentId>,
    replaced: BTreeMap<IntentId, (Quantity, OrderKind)>,
    stats: StrategyStats,
}

impl Slot {
    fn is_duplicate(&self, action: &Action) -> bool {
        match action {
            Action::Submit(intent) => self.submitted.contains(&intent.intent_id()),
            Action::Cancel { intent_id } => self.canceled.contains(intent_id),
            Action::Replace {
                intent_id,
                quantity,
                kind,
            } => self.replaced.get(intent_id) == Some(&(*quantity, *kind)),
        }
    }

    fn remember(&mut self, action: &Action) {
        match action {
            Action::Submit(intent) => {
                self.submitted.insert(intent.intent_id());
            }
            Action::Cancel { intent_id } => {
                self.canceled.insert(*intent_id);
            }
            Action::Replace {
                intent_id,
                quantity,
                kind,
            } => {
                self.replaced.insert(*intent_id, (*quantity, *kind));
            }
        }
    }
}

/// The gate and the strategies of one run.
#[derive(Clone, Debug)]
pub struct StrategyHost {
    run_id: RunId,
    version: ParamsVersion,
    instruments: InstrumentTable,
    gate: ReadinessGate,
    slots: Vec<Slot>,
    /// The deciding strategy's working orders when they are not adjacent
    /// in the step's input (kept to avoid an allocation per step).
    own: Vec<WorkingOrder>,
    /// Added to every intent epoch (see [`StrategyHost::set_epoch_base`]).
    epoch_base: u64,
}

impl StrategyHost {
    /// A host for `params`, every strategy in its initial state (killed
    /// when `enabled = false`). Every traded instrument must be in
    /// `instruments`.
    #[expect(clippy::result_large_err, reason = "once per run, at start")]
    pub fn new(
        run_id: RunId,
        params: ParamsFile,
        instruments: InstrumentTable,
    ) -> Result<Self, HostError> {
        let mut slots = Vec::new();
        for strategy in params.strategies {
            if let Some(instrument) = strategy
                .kind
                .instruments()
                .into_iter()
                .find(|id| instruments.get(id).is_none())
            {
                return Err(HostError::UnknownInstrument {
                    strategy: strategy.name,
                    instrument,
                });
            }
            slots.push(Slot {
                state: StrategyState::initial(&strategy.kind),
                scratch: StrategyState::initial(&strategy.kind),
                quiet: None,
                limiter: RateLimiter::new(strategy.rate_limit),
                kill: (!strategy.enabled).then(|| "disabled in params".to_owned()),
                submitted: BTreeSet::new(),
                canceled: BTreeSet::new(),
                replaced: BTreeMap::new(),
                stats: StrategyStats::default(),
                params: strategy,
            });
        }
        Ok(Self {
            run_id,
            version: params.version,
            instruments,
            gate: ReadinessGate::new(params.gate),
            slots,
            own: Vec::new(),
            epoch_base: 0,
        })
    }

    /// The params version stamped on every intent.
    pub const fn version(&self) -> ParamsVersion {
        self.version
    }

    /// The readiness gate.
    pub const fn gate(&self) -> &ReadinessGate {
        &self.gate
    }

    /// The strategies' parameters, in params-file order.
    pub fn strategies(&self) -> impl Iterator<Item = &StrategyParams> {
        self.slots.iter().map(|slot| &slot.params)
    }

    /// A strategy's current state.
    pub fn state_of(&self, strategy: &StrategyId) -> Option<&StrategyState> {
        self.slot(strategy).map(|slot| &slot.state)
    }

    /// A strategy's counters.
    pub fn stats(&self, strategy: &StrategyId) -> Option<StrategyStats> {
        self.slot(strategy).map(|slot| slot.stats)
    }

    /// Why a strategy's kill switch is on, if it is.
    pub fn kill_reason(&self, strategy: &StrategyId) -> Option<&str> {
        self.slot(strategy).and_then(|slot| slot.kill.as_deref())
    }

    /// Switches a strategy's kill switch on; false for an unknown strategy.
    pub fn kill(&mut self, strategy: &StrategyId, reason: &str) -> bool {
        self.slot_mut(strategy)
            .map(|slot| slot.kill = Some(reason.to_owned()))
            .is_some()
    }

    /// Switches a strategy's kill switch off; false for an unknown strategy.
    pub fn revive(&mut self, strategy: &StrategyId) -> bool {
        self.slot_mut(strategy)
            .map(|slot| slot.kill = None)
            .is_some()
    }

    fn slot(&self, strategy: &StrategyId) -> Option<&Slot> {
        self.slots.iter().find(|slot| slot.params.name == *strategy)
    }

    fn slot_mut(&mut self, strategy: &StrategyId) -> Option<&mut Slot> {
        self.slots
            .iter_mut()
            .find(|slot| slot.params.name == *strategy)
    }

    /// Offsets every intent epoch by `base`. Strategies count their epochs
    /// from zero in every run; a run that continues an earlier one (its
    /// OMS rebuilt from the journal) sets the base above every epoch the
    /// earlier runs used, so a new decision never has the id of an old
    /// order and is never refused as a duplicate of it. The same decision
    /// within a run keeps its id.
    pub fn set_epoch_base(&mut self, base: u64) {
        self.epoch_base = base;
    }

    /// One decision round at `now`: `inventory` per instrument (account
    /// wide) and `working`, the working orders of every strategy.
    pub fn step(
        &mut self,
        now: Timestamp,
        market: &MarketView,
        inventory: &InstrumentMap<Inventory>,
        working: &[WorkingOrder],
    ) -> Step {
        let mut step = Step {
            readiness: self.gate.observe(now, market),
            ..Step::default()
        };
        let running = self.gate.is_running();
        let not_running = SuppressReason::NotRunning {
            state: self.gate.state(),
            problem: self.gate.problem(),
        };
        // Only read when not RUNNING and a strategy has quotes to withdraw:
        // formatting it on every step is costly.
        let gate = &self.gate;
        let halt_reason = || match gate.problem() {
            Some(problem) => format!("gate {}: {problem}", gate.state()),
            None => format!("gate {}", gate.state()),
        };
        for slot in &mut self.slots {
            let inputs = Inputs {
                now,
                market,
                inventory,
                working: own_orders(working, &slot.params.name, &mut self.own),
                instruments: &self.instruments,
            };
            let reads = quiet::reads_only(&slot.params.kind);
            let mut proposals = match (reads, &slot.quiet) {
                (Some(instruments), Some(quiet)) if quiet.holds(&inputs, instruments) => {
                    // The same decision again: nothing, state unchanged.
                    Vec::new()
                }
                _ => {
                    if slot.scratch != slot.state {
                        slot.scratch.clone_from(&slot.state);
                    }
                    let proposals =
                        strategies::decide(&inputs, &slot.params.kind, &mut slot.scratch);
                    match reads {
                        Some(instruments) if proposals.is_empty() && slot.scratch == slot.state => {
                            slot.quiet
                                .get_or_insert_with(QuietDecision::default)
                                .record(&inputs, instruments);
                        }
                        _ => slot.quiet = None,
                    }
                    proposals
                }
            };
            if !running {
                proposals.extend(strategies::when_not_running(
                    &inputs,
                    &slot.params.kind,
                    &halt_reason,
                ));
            }
            if proposals.is_empty() {
                // Nothing to emit, suppress or hold back: the decision
                // stands, as it would after the filters below.
                std::mem::swap(&mut slot.state, &mut slot.scratch);
                continue;
            }
            let actions: Vec<(Action, String)> = proposals
                .into_iter()
                .map(|proposal| {
                    stamp(
                        proposal,
                        self.run_id,
                        self.version,
                        &slot.params,
                        now,
                        self.epoch_base,
                    )
                })
                .collect();
            let name = slot.params.name;
            let mut suppress = |why: SuppressReason,
                                (action, reason): (Action, String),
                                stats: &mut StrategyStats| {
                stats.count(&why);
                step.suppressed.push(Suppression {
                    at: now,
                    strategy: name,
                    why,
                    action,
                    reason,
                });
            };
            if let Some(reason) = &slot.kill {
                // Observations (a band re-armed) are kept; decisions are not.
                if actions.iter().all(|(action, _)| action.is_cancel()) {
                    std::mem::swap(&mut slot.state, &mut slot.scratch);
                }
                for action in actions {
                    suppress(
                        SuppressReason::Killed {
                            reason: reason.clone(),
                        },
                        action,
                        &mut slot.stats,
                    );
                }
                continue;
            }
            let mut held_back = false;
            let mut cancels: Vec<(Action, String)> = Vec::new();
            let mut orders: Vec<(Action, String)> = Vec::new();
            for entry in actions {
                let action = &entry.0;
                let repeated = slot.is_duplicate(action)
                    || cancels
                        .iter()
                        .chain(&orders)
                        .any(|(earlier, _)| earlier == action);
                let in_flight = match action {
                    Action::Replace { intent_id, .. } => working
                        .iter()
                        .any(|order| order.intent_id == *intent_id && order.in_flight),
                    _ => false,
                };
                let feed = if market.feeds.is_empty() || action.is_cancel() {
                    None
                } else {
                    action_instrument(action, working)
                        .and_then(|instrument| feed_problem(market, &instrument))
                };
                if !running && !action.is_cancel() {
                    held_back = true;
                    suppress(not_running.clone(), entry, &mut slot.stats);
                } else if let Some(problem) = feed {
                    held_back = true;
                    suppress(
                        SuppressReason::FeedNotLive { problem },
                        entry,
                        &mut slot.stats,
                    );
                } else if in_flight {
                    held_back = true;
                    suppress(SuppressReason::InFlight, entry, &mut slot.stats);
                } else if repeated {
                    suppress(SuppressReason::Duplicate, entry, &mut slot.stats);
                } else if action.is_cancel() {
                    cancels.push(entry);
                } else {
                    orders.push(entry);
                }
            }
            if !orders.is_empty() && !slot.limiter.try_take(now, orders.len()) {
                held_back = true;
                for action in orders.drain(..) {
                    suppress(SuppressReason::RateLimited, action, &mut slot.stats);
                }
            }
            for (action, reason) in cancels.into_iter().chain(orders) {
                slot.remember(&action);
                slot.stats.emitted += 1;
                step.actions.push(Emitted {
                    strategy: name,
                    action,
                    reason,
                });
            }
            if !held_back {
                // The old state stays in `scratch`, to compare next step.
                std::mem::swap(&mut slot.state, &mut slot.scratch);
            }
        }
        step
    }
}

/// The instrument a submit or replace trades (a replace's, from its
/// working order).
fn action_instrument(action: &Action, working: &[WorkingOrder]) -> Option<InstrumentId> {
    match action {
        Action::Submit(intent) => Some(intent.instrument),
        Action::Replace { intent_id, .. } => working
            .iter()
            .find(|order| order.intent_id == *intent_id)
            .map(|order| order.instrument),
        Action::Cancel { .. } => None,
    }
}

/// The orders of `strategy` among `working`, in their order there: a
/// slice of `working` when they are adjacent (the pipeline groups them),
/// else copied into `buffer`.
fn own_orders<'a>(
    working: &'a [WorkingOrder],
    strategy: &StrategyId,
    buffer: &'a mut Vec<WorkingOrder>,
) -> &'a [WorkingOrder] {
    let mine = |order: &WorkingOrder| order.strategy == *strategy;
    let start = working.iter().position(mine).unwrap_or(working.len());
    let run = working[start..]
        .iter()
        .take_while(|order| mine(order))
        .count();
    let rest = &working[start + run..];
    if !rest.iter().any(mine) {
        return &working[start..start + run];
    }
    buffer.clear();
    buffer.extend(working.iter().filter(|order| mine(order)).copied());
    buffer
}

/// Turns a proposal into an action: run, strategy, time and params version
/// stamped, intent id derived.
fn stamp(
    proposal: Proposal,
    run_id: RunId,
    version: ParamsVersion,
    params: &StrategyParams,
    now: Timestamp,
    epoch_base: u64,
) -> (Action, String) {
    match proposal {
        Proposal::Submit(request) => {
            let intent = OrderIntent::new(IntentSpec {
                run_id,
                strategy: params.name,
                instrument: request.instrument,
                side: request.side,
                kind: request.kind,
                size: request.size,
                time_in_force: request.time_in_force,
                epoch: request.epoch.saturating_add(epoch_base),
                created: now,
                reason: format!("{}, params={version}", request.reason),
            });
            let reason = intent.reason.clone();
            (Action::Submit(intent), reason)
        }
        Proposal::Cancel { intent_id, reason } => (
            Action::Cancel { intent_id },
            format!("{reason}, params={version}"),
        ),
        Proposal::Replace {
            intent_id,
            quantity,
            kind,
            reason,
        } => (
            Action::Replace {
                intent_id,
                quantity,
                kind,
            },
            format!("{reason}, params={version}"),
        ),
    }
}
