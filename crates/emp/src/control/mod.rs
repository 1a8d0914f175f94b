//! The control plane: an HTTP API and a small web page, served by a
//! running `emp demo` or `emp run` on its own thread, that let an operator
//! see and steer the run.
//!
//! | method and path | what | token |
//! |---|---|---|
//! | `GET /` | the page: status, kill switch, trading state, strategies | the page asks |
//! | `GET /healthz` | `ok` while the process serves | no |
//! | `GET /readyz` | 200 when every session is logged on and readiness is RUNNING, else 503 | no |
//! | `GET /api/v1/status` | a [`Snapshot`] as JSON | yes |
//! | `POST /api/v1/kill-switch` | `{"engage": true, "reason": "…"}` | yes |
//! | `POST /api/v1/trading-state` | `{"state": "halted", "reason": "…"}` (`active`, `reducing`, `halted`) | yes |
//! | `POST /api/v1/strategies/{name}` | `{"enabled": false, "reason": "…"}` | yes |
//! | `POST /api/v1/sessions/{name}/{logout,logon,reset}` | `{"reason": "…"}` (optional) | yes |
//!
//! **FIX sessions** are named as the status shows them (`QUOTE`, `TRADE`;
//! any case). An unknown name is 404, a refusal 409 with the reason:
//!
//! - `logout`: sends Logout (35=5) and the session **stays down**: the
//!   driver does not reconnect it until `logon`. Working orders stay at
//!   the venue (as with a lost connection; engage the kill switch first to
//!   cancel them); with TRADE down the strategies are gated (execution
//!   `SESSION_DOWN`) and nothing is sent. Refused when it is already
//!   logged out by an operator.
//! - `logon`: the driver connects again and logs on; after a TRADE logon
//!   the OMS reconciles with the venue before any strategy trades.
//!   Refused when the session is not held down (already logged on, or
//!   already reconnecting by itself).
//! - `reset`: both sequence numbers back to 1 and the next Logon carries
//!   ResetSeqNumFlag (141=Y). Only while the session is logged out by an
//!   operator and disconnected: logout, reset, logon. The venue's resends
//!   of what was missed are given up; reconciliation after the logon asks
//!   for the state of every order instead.
//!
//! While logged out by an operator a session shows `LOGGING_OUT` (the
//! Logout is under way) then `LOGGED_OUT`.
//!
//! Every `/api` request carries `Authorization: Bearer <token>`, the
//! token the process was started with (`EMP_CONTROL_TOKEN`); a wrong or
//! missing token is 401. The server listens on loopback unless told
//! otherwise.
//!
//! The trading thread owns the engine. The server never touches it: each
//! request becomes a [`ControlRequest`] on a channel that the driver
//! ([`crate::live::drive`]) polls with its connections, and the driver
//! answers with a [`Snapshot`] taken after the command. An action
//! ([`ControlAction`]) is journaled as an input (topic `system.control`)
//! before it is applied, so `emp replay` repeats it, and written to
//! `emp.log`.

pub mod client;
mod page;
mod server;

use std::fmt;

use gateway::fix::store::MessageStore;
use model::{StrategyId, Timestamp};
use oms::risk::TradingState;
use serde::{Deserialize, Serialize};
use strategy::ReadinessState;
use tokio::sync::{mpsc, oneshot};

use crate::engine::Engine;
use crate::pipeline::Pipeline;

use gateway::fix::link::Channel;

pub use server::{
    ControlOptions, ControlServer, DEFAULT_CONTROL_ADDR, TOKEN_ENV, parse_trading_state,
};

/// An operator action on a running pipeline. Journaled as an input before
/// it is applied, so a replay applies it at the same point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlAction {
    /// Engage (HALTED and cancel every working order) or release the
    /// kill switch.
    KillSwitch {
        /// Engage or release.
        engage: bool,
        /// Why, for the journal and the log.
        reason: String,
    },
    /// Set the trading state.
    TradingState {
        /// The new state.
        state: TradingState,
        /// Why.
        reason: String,
    },
    /// Switch one strategy on or off.
    Strategy {
        /// The strategy's name in the params file.
        name: String,
        /// On or off.
        enabled: bool,
        /// Why.
        reason: String,
    },
    /// Log a FIX session out, on again, or reset its sequence numbers
    /// (see the [module docs](self)). The FIX link, not the pipeline,
    /// carries it out; the pipeline sees the effect (the order session
    /// down or up) as the `system.session` inputs that follow it.
    Session {
        /// The session's name as the status shows it (`QUOTE`, `TRADE`).
        name: String,
        /// What to do.
        op: SessionOp,
        /// Why.
        reason: String,
    },
}

/// An operator's FIX session command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionOp {
    /// Logout (35=5), and stay down until [`SessionOp::Logon`].
    Logout,
    /// Connect and log on again.
    Logon,
    /// Sequence numbers back to 1, ResetSeqNumFlag (141=Y) on the next
    /// Logon; only while logged out by an operator.
    Reset,
}

impl SessionOp {
    /// `logout`, `logon` or `reset`, as the API and `emp ctl` write it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Logon => "logon",
            Self::Reset => "reset",
        }
    }

    /// The op named `text` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Logout, Self::Logon, Self::Reset]
            .into_iter()
            .find(|op| op.name().eq_ignore_ascii_case(text))
    }
}

/// The channel of the session named `name` (any case) among `channels`.
///
/// # Errors
/// No such session: the message names the ones there are.
pub fn session_channel(channels: &[Channel], name: &str) -> Result<Channel, String> {
    channels
        .iter()
        .copied()
        .find(|channel| channel.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            format!(
                "no session {name:?} in this run; its sessions are {}",
                channels
                    .iter()
                    .map(|channel| channel.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

impl fmt::Display for ControlAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KillSwitch {
                engage: true,
                reason,
            } => write!(f, "engage the kill switch ({reason})"),
            Self::KillSwitch {
                engage: false,
                reason,
            } => write!(f, "release the kill switch ({reason})"),
            Self::TradingState { state, reason } => {
                write!(f, "set trading {} ({reason})", state.name())
            }
            Self::Strategy {
                name,
                enabled,
                reason,
            } => write!(
                f,
                "{} strategy {name} ({reason})",
                if *enabled { "enable" } else { "disable" }
            ),
            Self::Session { name, op, reason } => {
                write!(f, "session {} {name} ({reason})", op.name())
            }
        }
    }
}

impl ControlAction {
    /// Applies the action to `pipeline` at `now`: the outcome for the
    /// operator, or why it was refused. Deterministic: a replay gets the
    /// same outcome.
    ///
    /// A [`ControlAction::Session`] changes nothing here: the engine
    /// carries it out on the FIX link ([`Engine::control`]), and a replay,
    /// which has no link, sees its effect as the recorded session inputs.
    ///
    /// # Errors
    /// A refused action: trading set to anything but HALTED while the
    /// kill switch is engaged, or an unknown strategy.
    pub fn apply(&self, pipeline: &mut Pipeline, now: Timestamp) -> Result<String, String> {
        match self {
            Self::KillSwitch {
                engage: true,
                reason,
            } => {
                let cancels = pipeline.oms_mut().engage_kill_switch(now, reason);
                Ok(format!(
                    "kill switch engaged: trading HALTED, {cancels} working orders canceled"
                ))
            }
            Self::KillSwitch {
                engage: false,
                reason: _,
            } => {
                pipeline.oms_mut().release_kill_switch(now);
                Ok(format!(
                    "kill switch released; trading stays {}",
                    pipeline.oms().state().trading_state().name()
                ))
            }
            Self::TradingState { state, reason } => {
                if pipeline.oms().state().kill_switch() && *state != TradingState::Halted {
                    return Err(format!(
                        "the kill switch is engaged: release it before setting trading {}",
                        state.name()
                    ));
                }
                pipeline.oms_mut().set_trading_state(now, *state, reason);
                Ok(format!("trading {}", state.name()))
            }
            Self::Strategy {
                name,
                enabled,
                reason,
            } => {
                let id = StrategyId::new(name).map_err(|error| format!("{name:?}: {error}"))?;
                let host = pipeline.host_mut();
                let known = if *enabled {
                    host.revive(&id)
                } else {
                    host.kill(&id, reason)
                };
                if known {
                    Ok(format!(
                        "strategy {name} {}",
                        if *enabled { "enabled" } else { "disabled" }
                    ))
                } else {
                    Err(format!("no strategy {name:?} in this run's params"))
                }
            }
            Self::Session { name, op, .. } => Ok(format!(
                "session {} {name}: carried out on the FIX link, not the pipeline",
                op.name()
            )),
        }
    }
}

/// What an operator asks the driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlCommand {
    /// The current state only.
    Status,
    /// An action, then the state after it.
    Act(ControlAction),
}

/// The driver's answer: the outcome of an action (if any) and the state
/// after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlReply {
    /// The action's outcome (`Ok` text or the refusal); `None` for
    /// [`ControlCommand::Status`].
    pub outcome: Option<Result<String, String>>,
    /// The state after the command.
    pub snapshot: Snapshot,
}

/// A command and where to answer it.
#[derive(Debug)]
pub struct ControlRequest {
    /// The command.
    pub command: ControlCommand,
    /// Where the driver answers.
    pub reply: oneshot::Sender<ControlReply>,
}

/// The driver's end of the control channel (see [`channel`]).
pub type ControlInbox = mpsc::Receiver<ControlRequest>;

/// The control channel: the server's sender and the driver's inbox. A
/// few requests may wait; the driver answers each at its next wake-up.
pub fn channel() -> (mpsc::Sender<ControlRequest>, ControlInbox) {
    mpsc::channel(64)
}

/// Answers `request` on the trading thread: applies an action through
/// [`Engine::control`] and replies with the state after it. Returns the
/// line for the run's log, for actions.
pub fn handle<S: MessageStore>(
    engine: &mut Engine<S>,
    request: ControlRequest,
    now: Timestamp,
) -> Option<String> {
    let (outcome, line) = match &request.command {
        ControlCommand::Status => (None, None),
        ControlCommand::Act(action) => {
            let outcome = engine.control(now, action);
            let line = match &outcome {
                Ok(text) => format!("control: {action}: {text}"),
                Err(refusal) => format!("control: {action}: refused: {refusal}"),
            };
            (Some(outcome), Some(line))
        }
    };
    let _ = request.reply.send(ControlReply {
        outcome,
        snapshot: Snapshot::of(engine),
    });
    line
}

/// One FIX session, as the control plane shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSnapshot {
    /// QUOTE or TRADE.
    pub name: String,
    /// The session id (`BeginString:Sender->Target`).
    pub id: String,
    /// `LOGGED_ON`, `AWAITING_LOGON` (connected, logon not done),
    /// `DISCONNECTED` (reconnecting by itself), `LOGGING_OUT` and
    /// `LOGGED_OUT` (an operator's logout: stays down until logon), or
    /// `SIMULATED` (MODE=test's TRADE).
    pub state: String,
    /// The next Logon carries ResetSeqNumFlag (141=Y): an operator reset
    /// the sequence numbers.
    pub reset_pending: bool,
    /// The next MsgSeqNum we send.
    pub next_sender_seq: u64,
    /// The next MsgSeqNum we expect.
    pub next_target_seq: u64,
}

/// One working order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSnapshot {
    /// ClOrdID (11).
    pub cl_ord_id: String,
    /// The strategy that placed it.
    pub strategy: String,
    /// The instrument.
    pub instrument: String,
    /// Buy or sell.
    pub side: String,
    /// Order quantity.
    pub quantity: String,
    /// Filled so far.
    pub filled: String,
    /// The order's terms (kind and price).
    pub kind: String,
    /// The OMS status.
    pub status: String,
}

/// One instrument's net position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionSnapshot {
    /// The instrument.
    pub instrument: String,
    /// Net quantity (negative is short).
    pub net: String,
}

/// One strategy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategySnapshot {
    /// Its name in the params file.
    pub name: String,
    /// Whether it may act (its kill switch is off).
    pub enabled: bool,
    /// Why it is off, when it is.
    pub reason: Option<String>,
}

/// An order's type and prices, as FIX names them.
fn terms(kind: model::OrderKind) -> String {
    match kind {
        model::OrderKind::Market => "MARKET".to_owned(),
        model::OrderKind::Limit { price } => format!("LIMIT {price}"),
        model::OrderKind::Stop { stop } => format!("STOP {stop}"),
        model::OrderKind::StopLimit { stop, price } => format!("STOP {stop} LIMIT {price}"),
    }
}

/// The run's state as the control plane shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The strategies' readiness gate (`STARTING`, `WARMING`, `RUNNING`,
    /// `DEGRADED`).
    pub readiness: String,
    /// Every session logged on and readiness RUNNING.
    pub ready: bool,
    /// `ACTIVE`, `REDUCING` or `HALTED`.
    pub trading_state: String,
    /// Whether orders can reach execution: `AVAILABLE`, `SESSION_DOWN`
    /// (TRADE not logged on: strategies are gated), `RECONCILING` (after
    /// a TRADE logon, until the OMS agrees with the venue) or `HALTED`.
    pub execution: String,
    /// Whether the kill switch is engaged.
    pub kill_switch: bool,
    /// The FIX sessions.
    pub sessions: Vec<SessionSnapshot>,
    /// Orders working at the venue (resting, or a request in flight).
    pub orders: Vec<OrderSnapshot>,
    /// Net positions of instruments traded.
    pub positions: Vec<PositionSnapshot>,
    /// Realized PnL, net of fees, in the account currency.
    pub pnl_realized: String,
    /// Unrealized PnL at the last marks (`?` without marks).
    pub pnl_unrealized: String,
    /// The strategies.
    pub strategies: Vec<StrategySnapshot>,
    /// Orders sent this run.
    pub orders_sent: u64,
    /// Cancels sent this run.
    pub cancels_sent: u64,
    /// Fills this run.
    pub fills: u64,
}

impl Snapshot {
    /// The state of `engine` now.
    pub fn of<S: MessageStore>(engine: &Engine<S>) -> Self {
        let link = engine.link();
        let sessions: Vec<SessionSnapshot> = link
            .channels()
            .iter()
            .map(|&channel| {
                let session = link.session(channel);
                let simulated = channel == Channel::Trade && engine.is_simulated();
                let held = engine.is_held_down(channel);
                let state = if simulated {
                    "SIMULATED"
                } else if held && session.is_connected() {
                    "LOGGING_OUT"
                } else if held {
                    "LOGGED_OUT"
                } else if session.is_logged_on() {
                    "LOGGED_ON"
                } else if session.is_connected() {
                    "AWAITING_LOGON"
                } else {
                    "DISCONNECTED"
                };
                SessionSnapshot {
                    name: channel.name().to_owned(),
                    id: session.config().id.to_string(),
                    state: state.to_owned(),
                    reset_pending: session.reset_pending(),
                    next_sender_seq: session.next_sender_seq(),
                    next_target_seq: session.next_target_seq(),
                }
            })
            .collect();
        let pipeline = engine.pipeline();
        let oms = pipeline.oms();
        let state = oms.state();
        let readiness = engine.readiness();
        let host = pipeline.host();
        let stats = engine.stats();
        Self {
            readiness: readiness.to_string(),
            ready: readiness == ReadinessState::Running
                && sessions
                    .iter()
                    .all(|session| session.state == "LOGGED_ON" || session.state == "SIMULATED"),
            trading_state: state.trading_state().name().to_owned(),
            execution: match pipeline.execution() {
                strategy::ExecutionStatus::Available => "AVAILABLE",
                strategy::ExecutionStatus::SessionDown => "SESSION_DOWN",
                strategy::ExecutionStatus::Reconciling => "RECONCILING",
                strategy::ExecutionStatus::Halted => "HALTED",
            }
            .to_owned(),
            kill_switch: state.kill_switch(),
            sessions,
            orders: state
                .working_orders()
                .map(|order| OrderSnapshot {
                    cl_ord_id: order.cl_ord_id.to_string(),
                    strategy: order.strategy.to_string(),
                    instrument: order.instrument.to_string(),
                    side: order.side.to_string(),
                    quantity: order.quantity.to_string(),
                    filled: order.filled.to_string(),
                    kind: terms(order.kind),
                    status: order.status.to_string(),
                })
                .collect(),
            positions: state
                .positions()
                .instruments()
                .map(|(instrument, totals)| PositionSnapshot {
                    instrument: instrument.to_string(),
                    net: totals.net().to_string(),
                })
                .collect(),
            pnl_realized: state.realized_net().to_string(),
            pnl_unrealized: state
                .positions()
                .unrealized_total(|instrument| oms.mark(instrument))
                .map_or_else(|_| "?".to_owned(), |money| money.to_string()),
            strategies: host
                .strategies()
                .map(|params| {
                    let reason = host.kill_reason(&params.name).map(str::to_owned);
                    StrategySnapshot {
                        name: params.name.to_string(),
                        enabled: reason.is_none(),
                        reason,
                    }
                })
                .collect(),
            orders_sent: stats.orders_sent,
            cancels_sent: stats.cancels_sent,
            fills: stats.fills,
        }
    }
}
