//! `emp ctl`: the control plane of a running `emp demo` or `emp run`,
//! from the command line (the token from `EMP_CONTROL_TOKEN`).

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use emp::control::{DEFAULT_CONTROL_ADDR, TOKEN_ENV, client};
use serde_json::json;

/// `emp ctl` and its target.
#[derive(Debug, Args)]
pub(crate) struct CtlArgs {
    /// The control plane's address.
    #[arg(long, global = true, default_value_t = DEFAULT_CONTROL_ADDR)]
    addr: SocketAddr,
    #[command(subcommand)]
    command: CtlCommand,
}

#[derive(Debug, Subcommand)]
enum CtlCommand {
    /// Whether the process answers (no token needed). Exit status 0 when
    /// it does.
    Health,
    /// Whether the run is ready: every session logged on, readiness
    /// RUNNING (no token needed). Exit status 0 ready, 1 not.
    Ready,
    /// Sessions and sequence numbers, trading state, kill switch,
    /// strategies, working orders, positions and PnL.
    Status {
        /// Print the JSON the API returns.
        #[arg(long)]
        json: bool,
    },
    /// Engage the kill switch: trading HALTED, every working order
    /// canceled, new orders denied until released.
    Kill {
        /// Why (journaled).
        #[arg(long, default_value = "operator (emp ctl)")]
        reason: String,
    },
    /// Release the kill switch; trading stays HALTED until `emp ctl
    /// trading active`.
    Release {
        /// Why (journaled).
        #[arg(long, default_value = "operator (emp ctl)")]
        reason: String,
    },
    /// Set the trading state.
    Trading {
        /// active, reducing (only position-reducing orders) or halted.
        state: StateArg,
        /// Why (journaled).
        #[arg(long, default_value = "operator (emp ctl)")]
        reason: String,
    },
    /// Enable or disable one strategy.
    Strategy {
        /// The strategy's name in the params file.
        name: String,
        /// enable or disable.
        action: StrategyAction,
        /// Why (journaled).
        #[arg(long, default_value = "operator (emp ctl)")]
        reason: String,
    },
    /// Log a FIX session out (it stays down, no reconnect), log it on
    /// again (TRADE: reconciliation before trading), or reset its sequence
    /// numbers to 1 with 141=Y on the next Logon (only while logged out:
    /// logout, reset, logon).
    Session {
        /// logout, logon or reset.
        action: SessionArg,
        /// The session as `emp ctl status` names it: QUOTE or TRADE.
        name: String,
        /// Why (journaled).
        #[arg(long, default_value = "operator (emp ctl)")]
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SessionArg {
    Logout,
    Logon,
    Reset,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StateArg {
    Active,
    Reducing,
    Halted,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StrategyAction {
    Enable,
    Disable,
}

fn token() -> anyhow::Result<String> {
    std::env::var(TOKEN_ENV)
        .ok()
        .filter(|token| !token.trim().is_empty())
        .with_context(|| format!("export {TOKEN_ENV} (the token the run was started with)"))
}

/// Runs `emp ctl`: the exit status (0 done, 1 not ready or refused).
pub(crate) fn run(args: &CtlArgs) -> anyhow::Result<u8> {
    let addr = args.addr;
    let mut out = std::io::stdout();
    let reply = match &args.command {
        CtlCommand::Health => {
            let answer = client::request(addr, "GET", "/healthz", None, None)?;
            let _ = write!(out, "{}", answer.body);
            return Ok(u8::from(answer.status != 200));
        }
        CtlCommand::Ready => {
            let answer = client::request(addr, "GET", "/readyz", None, None)?;
            let _ = write!(out, "{}", answer.body);
            return Ok(u8::from(answer.status != 200));
        }
        CtlCommand::Status { json } => {
            let reply = client::call(addr, &token()?, "GET", "/api/v1/status", None)?;
            if *json {
                let _ = writeln!(out, "{}", serde_json::to_string_pretty(&reply)?);
                return Ok(0);
            }
            reply
        }
        CtlCommand::Kill { reason } | CtlCommand::Release { reason } => {
            let engage = matches!(args.command, CtlCommand::Kill { .. });
            client::call(
                addr,
                &token()?,
                "POST",
                "/api/v1/kill-switch",
                Some(&json!({ "engage": engage, "reason": reason })),
            )?
        }
        CtlCommand::Trading { state, reason } => {
            let state = match state {
                StateArg::Active => "active",
                StateArg::Reducing => "reducing",
                StateArg::Halted => "halted",
            };
            client::call(
                addr,
                &token()?,
                "POST",
                "/api/v1/trading-state",
                Some(&json!({ "state": state, "reason": reason })),
            )?
        }
        CtlCommand::Strategy {
            name,
            action,
            reason,
        } => {
            let path = format!("/api/v1/strategies/{}", percent_encode(name));
            client::call(
                addr,
                &token()?,
                "POST",
                &path,
                Some(&json!({
                    "enabled": matches!(action, StrategyAction::Enable),
                    "reason": reason,
                })),
            )?
        }
        CtlCommand::Session {
            action,
            name,
            reason,
        } => {
            let action = match action {
                SessionArg::Logout => "logout",
                SessionArg::Logon => "logon",
                SessionArg::Reset => "reset",
            };
            let path = format!("/api/v1/sessions/{}/{action}", percent_encode(name));
            client::call(
                addr,
                &token()?,
                "POST",
                &path,
                Some(&json!({ "reason": reason })),
            )?
        }
    };
    if let Some(Ok(outcome)) = &reply.outcome {
        let _ = writeln!(out, "{outcome}");
    }
    let _ = write!(out, "{}", client::describe(&reply.snapshot));
    Ok(0)
}

/// A path segment with everything but unreserved characters escaped.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}
