//! The strategies: each a pure function of the inputs, its parameters and
//! a small explicit state, returning proposals.

pub mod binary_market;
pub mod delta_spd;
pub mod micro_mm;

use crate::action::Proposal;
use crate::inputs::Inputs;
use crate::params::StrategyKind;

/// One instance's state, of the instance's kind. Cloned before each
/// decision and kept only when the decision's actions went out, so a
/// suppressed decision is taken again later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrategyState {
    /// `delta_spd`.
    DeltaSpd(delta_spd::DeltaSpdState),
    /// `micro_mm`.
    MicroMm(micro_mm::MicroMmState),
    /// `binary_market`.
    BinaryMarket(binary_market::BinaryMarketState),
}

impl StrategyState {
    /// The initial state for `kind`.
    pub fn initial(kind: &StrategyKind) -> Self {
        match kind {
            StrategyKind::DeltaSpd(_) => Self::DeltaSpd(delta_spd::DeltaSpdState::default()),
            StrategyKind::MicroMm(_) => Self::MicroMm(micro_mm::MicroMmState::default()),
            StrategyKind::BinaryMarket(_) => {
                Self::BinaryMarket(binary_market::BinaryMarketState::default())
            }
        }
    }
}

/// Runs the decision of `kind` on `state`.
pub(crate) fn decide(
    inputs: &Inputs<'_>,
    kind: &StrategyKind,
    state: &mut StrategyState,
) -> Vec<Proposal> {
    match (kind, state) {
        (StrategyKind::DeltaSpd(params), StrategyState::DeltaSpd(state)) => {
            delta_spd::decide(inputs, params, state)
        }
        (StrategyKind::MicroMm(params), StrategyState::MicroMm(state)) => {
            micro_mm::decide(inputs, params, state)
        }
        (StrategyKind::BinaryMarket(params), StrategyState::BinaryMarket(state)) => {
            binary_market::decide(inputs, params, state)
        }
        // The host builds every state with `initial` from its own kind.
        _ => Vec::new(),
    }
}

/// What `kind` does while the gate is not RUNNING: a market maker takes its
/// quotes down; the others only send immediate-or-cancel orders and have
/// nothing resting.
pub(crate) fn when_not_running(
    inputs: &Inputs<'_>,
    kind: &StrategyKind,
    why: &dyn Fn() -> String,
) -> Vec<Proposal> {
    match kind {
        // The reason is built only when there is a quote to withdraw.
        StrategyKind::MicroMm(_) if !inputs.working.is_empty() => {
            micro_mm::withdraw(inputs.working, &why())
        }
        StrategyKind::MicroMm(_) => Vec::new(),
        StrategyKind::DeltaSpd(_) | StrategyKind::BinaryMarket(_) => Vec::new(),
    }
}
