//! `emp run --config FILE`: what a paper or live run against a FIX venue
//! is made of, read from TOML with every problem named by file and line.
//!
//! ```toml
//! [run]
//! mode = "paper"                          # paper | live
//! run_dir = "var/runs/ctrader-demo"       # relative to this file
//! params = "../specs/strategies-demo.toml"
//! strategy = "mm-eurusd"                  # optional: this strategy (or kind) only
//! duration_s = 0                          # optional: 0 runs until Ctrl-C
//! metrics = "127.0.0.1:9464"              # or "off"
//! control = "127.0.0.1:9465"              # the control plane, or "off"; default:
//!                                         # this address when EMP_CONTROL_TOKEN is set
//! durability = "fsync"                    # fsync (each decision) | os
//! execution = "venue"                     # venue | simulated (MODE=test|live overrides)
//!
//! [venue]
//! profile = "../specs/venue-ctrader.toml" # symbol table and flavour
//! host = "127.0.0.1"
//! quote_port = 5201                       # cTrader flavour: its own port
//! trade_port = 5202
//! sender_comp_id = "demo.emp.12345"
//! target_comp_id = "CSERVER"
//! username = "12345"
//! password_env = "EMP_VENUE_PASSWORD"     # or password = "…"
//! heartbeat_s = 30
//! subscribe = ["EURUSD.CTRADER"]          # default: every symbol
//! depth = "book"                          # book | spot
//!
//! [risk]                                  # optional; absent keys: no limit
//! max_order_quantity = "100000"
//! max_position = "200000"
//! max_order_notional = "500000"
//! daily_loss_limit = "1000"
//! submits_per_second = 20
//! modifies_per_second = 40
//! price_band_bps = 200
//! initial_state = "halted"                # the trading state at start (default active)
//!
//! [[feeds.polymarket]]                    # optional: websocket market data
//! assets = [{ asset = "7132…", instrument = "BTC-100K-YES" }]
//! [[feeds.coinbase]]
//! products = [{ product = "BTC-USD", instrument = "BTC-USD" }]
//! ```
//!
//! The `[feeds]` keys (URLs, asset cap, staleness) are described in
//! [`crate::feeds`]; feed instruments must be symbols of the venue
//! profile. Relative paths are relative to the config file's folder.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{ConfigError, DeTable, DeValue, Fields, Source};
use gateway::fix::dict::ShippedDictionary;
use gateway::fix::link::{Channel, Subscription};
use gateway::fix::market_data::MarketDepth;
use gateway::fix::orders::OrderDialect;
use gateway::fix::session::{Role, SessionConfig, SessionId};
use journal::Durability;
use model::{Money, RunId, StrategyId, Timestamp};
use oms::risk::{RateLimit, RiskLimits};
use strategy::ParamsFile;
use venue::exchange::profile::{Flavour, VenueProfile};

use crate::control::{ControlOptions, DEFAULT_CONTROL_ADDR, parse_trading_state};
use crate::record::RunMode;
use crate::trader::{Execution, TraderOptions, TraderSetup};

const RUN_KEYS: &[&str] = &[
    "mode",
    "run_dir",
    "params",
    "strategy",
    "duration_s",
    "metrics",
    "control",
    "durability",
    "execution",
];
const VENUE_KEYS: &[&str] = &[
    "profile",
    "host",
    "quote_port",
    "trade_port",
    "sender_comp_id",
    "target_comp_id",
    "username",
    "password",
    "password_env",
    "heartbeat_s",
    "subscribe",
    "depth",
];
const RISK_KEYS: &[&str] = &[
    "max_order_quantity",
    "max_position",
    "max_order_notional",
    "daily_loss_limit",
    "submits_per_second",
    "modifies_per_second",
    "price_band_bps",
    "initial_state",
];

/// A run config, read and checked.
#[derive(Clone, Debug)]
pub struct RunFile {
    /// The run.
    pub setup: TraderSetup,
    /// How it is driven.
    pub options: TraderOptions,
}

/// Which strategies of `params` run: all, or those named (by name or
/// kind) — the others are switched off. An unknown name is an error
/// listing the known ones.
pub fn select_strategies(
    params: &ParamsFile,
    wanted: Option<&str>,
) -> Result<Vec<StrategyId>, String> {
    let Some(wanted) = wanted else {
        return Ok(Vec::new());
    };
    let matches = |strategy: &strategy::StrategyParams| {
        strategy.name.as_str() == wanted || strategy.kind.name() == wanted
    };
    if !params.strategies.iter().any(matches) {
        let known: Vec<String> = params
            .strategies
            .iter()
            .map(|strategy| format!("{} ({})", strategy.name, strategy.kind.name()))
            .collect();
        return Err(format!(
            "no strategy named {wanted} and none of that kind; the params have {}",
            known.join(", ")
        ));
    }
    Ok(params
        .strategies
        .iter()
        .filter(|strategy| !matches(strategy))
        .map(|strategy| strategy.name)
        .collect())
}

fn table<'t>(
    source: &Source<'_>,
    root: &'t DeTable<'t>,
    name: &str,
) -> Result<Option<(usize, &'t DeTable<'t>)>, ConfigError> {
    for (key, value) in root {
        if key.get_ref() == name {
            let DeValue::Table(table) = value.get_ref() else {
                return Err(source.error(
                    key.span().start,
                    format!("write {name} as a [{name}] table"),
                ));
            };
            return Ok(Some((key.span().start, table)));
        }
    }
    Ok(None)
}

/// Reads a run config from `text`; `path` names it in errors and anchors
/// relative paths. `now` names the run.
pub fn parse(text: &str, path: &Path, now: Timestamp) -> anyhow::Result<RunFile> {
    let name = path.display().to_string();
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |relative: &str| -> PathBuf {
        let candidate = Path::new(relative);
        if candidate.is_absolute() {
            candidate.to_path_buf()
        } else {
            base.join(candidate)
        }
    };
    let source = Source::new(text, &name);
    let root = source.parse()?;
    for (key, _) in root.get_ref() {
        if !["run", "venue", "risk", "feeds"].contains(&key.get_ref().as_ref()) {
            return Err(source
                .error(
                    key.span().start,
                    format!(
                        "unknown table {}; a run config has [run], [venue], [risk] and [feeds]",
                        key.get_ref()
                    ),
                )
                .into());
        }
    }
    let (run_at, run) = table(&source, root.get_ref(), "run")?
        .ok_or_else(|| source.error(0, "no [run] table: add one with mode, run_dir and params"))?;
    let run = Fields::new(&source, run, run_at, "[run]", RUN_KEYS)?;
    let (venue_at, venue) = table(&source, root.get_ref(), "venue")?.ok_or_else(|| {
        source.error(
            0,
            "no [venue] table: add one with profile, host, ports and logon",
        )
    })?;
    let venue = Fields::new(&source, venue, venue_at, "[venue]", VENUE_KEYS)?;

    let mode = match run.required("mode", Fields::text)?.as_str() {
        "paper" => RunMode::Paper,
        "live" => RunMode::Live,
        other => {
            return Err(source
                .error(
                    run.offset_of("mode"),
                    format!("mode: {other:?} is not a mode; use paper or live"),
                )
                .into());
        }
    };
    let run_dir = resolve(&run.required("run_dir", Fields::text)?);
    let params_path = resolve(&run.required("params", Fields::text)?);
    let params_text = std::fs::read_to_string(&params_path).map_err(|error| {
        source.error(
            run.offset_of("params"),
            format!("params: cannot read {}: {error}", params_path.display()),
        )
    })?;
    let params_source = params_path.display().to_string();
    let params = ParamsFile::parse(&params_text, &params_source)?;
    let switched_off =
        select_strategies(&params, run.optional("strategy", Fields::text)?.as_deref()).map_err(
            |problem| source.error(run.offset_of("strategy"), format!("strategy: {problem}")),
        )?;
    let duration = run
        .optional("duration_s", Fields::whole)?
        .filter(|seconds| *seconds > 0)
        .map(Duration::from_secs);
    let metrics_addr = match run.optional("metrics", Fields::text)?.as_deref() {
        None => Some(crate::demo::DEFAULT_METRICS_ADDR),
        Some("off") => None,
        Some(text) => Some(text.parse::<SocketAddr>().map_err(|error| {
            source.error(
                run.offset_of("metrics"),
                format!("metrics: {text:?} is not an address ({error}); write host:port, e.g. 127.0.0.1:9464, or \"off\""),
            )
        })?),
    };
    let control = match run.optional("control", Fields::text)?.as_deref() {
        Some("off") => None,
        Some(text) => {
            let at = run.offset_of("control");
            let addr = text.parse::<SocketAddr>().map_err(|error| {
                source.error(
                    at,
                    format!("control: {text:?} is not an address ({error}); write host:port, e.g. 127.0.0.1:9465, or \"off\""),
                )
            })?;
            Some(
                ControlOptions::from_env(addr)
                    .map_err(|error| source.error(at, format!("control: {error}")))?,
            )
        }
        // Loopback by default, when a token is there to protect it.
        None => ControlOptions::from_env(DEFAULT_CONTROL_ADDR).ok(),
    };
    let durability = match run.optional("durability", Fields::text)?.as_deref() {
        None | Some("fsync") => Durability::EveryCommit,
        Some("os") => Durability::OsOnly,
        Some(other) => {
            return Err(source
                .error(
                    run.offset_of("durability"),
                    format!("durability: {other:?}; use fsync (survives power loss) or os (survives a process kill)"),
                )
                .into());
        }
    };

    let configured = match run.optional("execution", Fields::text)?.as_deref() {
        None | Some("venue") => Execution::Venue,
        Some("simulated") => Execution::Simulated(venue::SimulatedSinkConfig::default()),
        Some(other) => {
            return Err(source
                .error(
                    run.offset_of("execution"),
                    format!("execution: {other:?}; use venue (orders to the venue) or simulated (the simulated sink, on the venue's market data)"),
                )
                .into());
        }
    };
    let execution = Execution::from_env()?.unwrap_or(configured);
    let profile_path = resolve(&venue.required("profile", Fields::text)?);
    let profile_text = std::fs::read_to_string(&profile_path).map_err(|error| {
        source.error(
            venue.offset_of("profile"),
            format!("profile: cannot read {}: {error}", profile_path.display()),
        )
    })?;
    let profile = VenueProfile::parse(&profile_text, &profile_path.display().to_string())?;
    let instruments = profile.instruments();
    let host = venue.required("host", Fields::text)?;
    let address = |key: &str| -> Result<Option<SocketAddr>, ConfigError> {
        let Some(port) = venue.optional(key, Fields::whole)? else {
            return Ok(None);
        };
        let port = u16::try_from(port).map_err(|_| {
            source.error(venue.offset_of(key), format!("{key}: {port} is not a port"))
        })?;
        let resolved = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|error| {
                source.error(
                    venue.offset_of("host"),
                    format!("host: cannot resolve {host}: {error}"),
                )
            })?
            .next()
            .ok_or_else(|| {
                source.error(
                    venue.offset_of("host"),
                    format!("host: {host} has no address"),
                )
            })?;
        Ok(Some(resolved))
    };
    let trade = address("trade_port")?
        .ok_or_else(|| source.error(venue_at, "[venue]: missing required key trade_port"))?;
    let quote = address("quote_port")?;
    let sender = venue.required("sender_comp_id", Fields::text)?;
    let target = venue.required("target_comp_id", Fields::text)?;
    let username = venue.optional("username", Fields::text)?;
    let password = match (
        venue.optional("password", Fields::text)?,
        venue.optional("password_env", Fields::text)?,
    ) {
        (Some(password), None) => Some(password),
        (None, Some(variable)) => Some(std::env::var(&variable).map_err(|_| {
            source.error(
                venue.offset_of("password_env"),
                format!("password_env: the environment variable {variable} is not set; export it before `emp run`"),
            )
        })?),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(source
                .error(venue.offset_of("password_env"), "give password or password_env, not both")
                .into());
        }
    };
    let heartbeat = venue.optional("heartbeat_s", Fields::whole)?.unwrap_or(30);
    let depth = match venue.optional("depth", Fields::text)?.as_deref() {
        None | Some("book") => MarketDepth::FullBook,
        Some("spot") => MarketDepth::Spot,
        Some(other) => {
            return Err(source
                .error(
                    venue.offset_of("depth"),
                    format!("depth: {other:?}; use book or spot"),
                )
                .into());
        }
    };
    let subscribe = match venue.optional("subscribe", Fields::instruments)? {
        Some(list) => {
            for instrument in &list {
                if instruments.get(instrument).is_none() {
                    return Err(source
                        .error(
                            venue.offset_of("subscribe"),
                            format!(
                                "subscribe: {instrument} is not a symbol of {}",
                                profile_path.display()
                            ),
                        )
                        .into());
                }
            }
            list
        }
        None => instruments.iter().map(|instrument| instrument.id).collect(),
    };
    let subscriptions = subscribe
        .into_iter()
        .map(|instrument| Subscription {
            instrument,
            depth,
            trades: false,
        })
        .collect();
    let (dialect, dictionary) = match profile.flavour {
        Flavour::CTrader => (OrderDialect::ctrader(), ShippedDictionary::CTraderFix44),
        Flavour::Generic => (OrderDialect::fix44(), ShippedDictionary::Fix44),
    };
    let session_config = |sub_id: Option<&str>| -> anyhow::Result<SessionConfig> {
        let id = SessionId::new("FIX.4.4", &sender, &target).with_sub_ids(sub_id, sub_id);
        client_session(
            id,
            heartbeat,
            username.clone(),
            password.clone(),
            dictionary,
        )
    };
    let (quote_session, trade_session, addresses) = match (profile.flavour, quote) {
        (Flavour::CTrader, Some(quote)) => (
            Some(session_config(Some("QUOTE"))?),
            session_config(Some("TRADE"))?,
            vec![(Channel::Quote, quote), (Channel::Trade, trade)],
        ),
        (Flavour::CTrader, None) => {
            return Err(source
                .error(venue_at, "[venue]: a cTrader venue needs quote_port (its QUOTE session has its own port)")
                .into());
        }
        (Flavour::Generic, _) => (None, session_config(None)?, vec![(Channel::Trade, trade)]),
    };
    let (limits, initial_trading_state) = match table(&source, root.get_ref(), "risk")? {
        Some((at, risk)) => {
            let risk = Fields::new(&source, risk, at, "[risk]", RISK_KEYS)?;
            let initial = match risk.optional("initial_state", Fields::text)? {
                None => None,
                Some(text) => Some(parse_trading_state(&text).ok_or_else(|| {
                    source.error(
                        risk.offset_of("initial_state"),
                        format!("initial_state: {text:?}; use halted, reducing or active"),
                    )
                })?),
            };
            (risk_limits(&source, &risk)?, initial)
        }
        None => (RiskLimits::default(), None),
    };
    limits
        .validate()
        .map_err(|error| source.error(0, format!("[risk]: {error}")))?;
    let feeds = crate::feeds::parse_feeds(&source, root.get_ref(), Some(&instruments))?;
    Ok(RunFile {
        setup: TraderSetup {
            run_id: run_id(now),
            mode,
            instruments,
            dialect,
            quote_session,
            trade_session,
            addresses,
            subscriptions,
            params_text,
            params_source,
            switched_off,
            limits,
            features: sensory::FeatureParams::default(),
            run_dir,
            durability,
            execution,
            feeds,
        },
        options: TraderOptions {
            duration,
            status_interval: Duration::from_secs(1),
            reconnect_interval: Duration::from_secs(2),
            echo: true,
            metrics_addr,
            ctrl_c: true,
            control,
            initial_trading_state,
            log_format: crate::logging::LogFormat::Json,
        },
    })
}

/// A run id from the start time (UTC seconds), short enough for ClOrdIDs.
pub fn run_id(now: Timestamp) -> RunId {
    let text = format!("r{}", now.unix_nanos() / 1_000_000_000);
    RunId::new(&text).unwrap_or_else(|_| unreachable!("a short alphanumeric id is valid"))
}

/// An initiator session as EMP runs it against a venue: reset on logon
/// (cTrader resets both sides at every logon; reconciliation rebuilds
/// state), the venue's dictionary validating what arrives.
pub fn client_session(
    id: SessionId,
    heartbeat_secs: u64,
    username: Option<String>,
    password: Option<String>,
    dictionary: ShippedDictionary,
) -> anyhow::Result<SessionConfig> {
    let mut config = SessionConfig::new(id, Role::Initiator);
    config.heartbeat_interval_secs = u32::try_from(heartbeat_secs).unwrap_or(30);
    config.reset_on_logon = true;
    config.username = username;
    config.password = password;
    config.dictionary = Some(dictionary.load()?);
    Ok(config)
}

fn risk_limits(source: &Source<'_>, risk: &Fields<'_, '_>) -> Result<RiskLimits, ConfigError> {
    let money = |key: &str| -> Result<Option<Money>, ConfigError> {
        risk.optional(key, Fields::decimal_text)?
            .map(|text| {
                text.parse::<Money>()
                    .map_err(|error| source.error(risk.offset_of(key), format!("{key}: {error}")))
            })
            .transpose()
    };
    let rate = |key: &str| -> Result<Option<RateLimit>, ConfigError> {
        Ok(risk.optional(key, Fields::count)?.map(|max| RateLimit {
            max,
            per_nanos: 1_000_000_000,
        }))
    };
    Ok(RiskLimits {
        max_order_quantity: risk.optional("max_order_quantity", Fields::positive_quantity)?,
        max_order_notional: money("max_order_notional")?,
        default_position_limit: risk.optional("max_position", Fields::positive_quantity)?,
        daily_loss_limit: money("daily_loss_limit")?,
        submit_rate: rate("submits_per_second")?,
        modify_rate: rate("modifies_per_second")?,
        price_band_bps: risk.optional("price_band_bps", Fields::count)?,
        ..RiskLimits::default()
    })
}
