//! `emp demo`: the whole system on one machine, no files needed.
//!
//! The simulated cTrader venue (`specs/venue-ctrader.toml`, built in)
//! starts in-process on loopback ports picked by the OS, on its own
//! thread; EMP connects its QUOTE and TRADE sessions as the demo account,
//! reconciles, subscribes to both books and runs the `micro_mm` strategies
//! of `specs/strategies-demo.toml` (built in; `--strategy` picks one, or
//! names a params file) through the risk gate and the OMS. It prints a
//! status line every second, serves Prometheus metrics, and stops after
//! `--duration` or Ctrl-C with a clean logout, leaving the run folder
//! (journal, FIX logs, summary) that `emp backtest --data` reads.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use gateway::fix::dict::ShippedDictionary;
use gateway::fix::link::{Channel, Subscription};
use gateway::fix::market_data::MarketDepth;
use gateway::fix::orders::OrderDialect;
use gateway::fix::session::SessionId;
use gateway::transport::wall_clock;
use journal::Durability;
use oms::risk::{RateLimit, RiskLimits};
use strategy::ParamsFile;
use tokio::sync::watch;
use venue::exchange::profile::VenueProfile;
use venue::server::{ServerOptions, VenueServer};

use crate::record::RunMode;
use crate::run_config::{client_session, run_id, select_strategies};
use crate::status::RunSummary;
use crate::trader::{TraderOptions, TraderSetup, run_trader};

/// Where metrics are served unless told otherwise.
pub const DEFAULT_METRICS_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9464);

/// The simulated venue's profile, built in.
pub const VENUE_PROFILE: &str = include_str!("../../../specs/venue-ctrader.toml");

/// The demo's strategy params, built in.
pub const DEMO_PARAMS: &str = include_str!("../../../specs/strategies-demo.toml");

/// Params that quote at the touch and trade within seconds, for tests and
/// `emp bench trade` (`specs/strategies-touch.toml`).
pub const TOUCH_PARAMS: &str = include_str!("../../../specs/strategies-touch.toml");

/// What `emp demo` was asked.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Stop after this long.
    pub duration: Duration,
    /// A strategy (name or kind) of the built-in params, or a params file.
    pub strategy: Option<String>,
    /// The run folder; `var/demo/<run id>` when not given.
    pub run_dir: Option<PathBuf>,
    /// Serve metrics here (`None`: off).
    pub metrics_addr: Option<SocketAddr>,
    /// Print status and log lines.
    pub echo: bool,
    /// When journal commits are durable.
    pub durability: Durability,
    /// Stop on Ctrl-C too.
    pub ctrl_c: bool,
    /// Where orders go (MODE=test: the simulated sink).
    pub execution: crate::trader::Execution,
    /// Serve the control plane.
    pub control: Option<crate::control::ControlOptions>,
    /// How `emp.log` is written.
    pub log_format: crate::logging::LogFormat,
}

/// The risk limits of the demo account.
pub fn demo_limits() -> RiskLimits {
    let quantity = |text: &str| {
        text.parse()
            .unwrap_or_else(|_| unreachable!("a valid quantity"))
    };
    RiskLimits {
        max_order_quantity: Some(quantity("100000")),
        default_position_limit: Some(quantity("200000")),
        submit_rate: Some(RateLimit {
            max: 50,
            per_nanos: 1_000_000_000,
        }),
        modify_rate: Some(RateLimit {
            max: 100,
            per_nanos: 1_000_000_000,
        }),
        price_band_bps: Some(500),
        ..RiskLimits::default()
    }
}

/// The params text and source name: a file when `strategy` is one, the
/// built-in params otherwise.
fn params(strategy: Option<&str>) -> anyhow::Result<(String, String, Option<String>)> {
    match strategy {
        Some(path) if std::path::Path::new(path).is_file() => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            Ok((text, path.to_owned(), None))
        }
        other => Ok((
            DEMO_PARAMS.to_owned(),
            "specs/strategies-demo.toml (built in)".to_owned(),
            other.map(str::to_owned),
        )),
    }
}

/// The built-in venue profile, its ports set to 0 (any free port).
pub fn demo_profile() -> anyhow::Result<VenueProfile> {
    let mut profile = VenueProfile::parse(VENUE_PROFILE, "specs/venue-ctrader.toml (built in)")?;
    let fix = profile
        .fix
        .as_mut()
        .context("the built-in venue profile has no [fix] table")?;
    fix.quote_port = 0;
    fix.trade_port = 0;
    Ok(profile)
}

/// Strategy params for a run: the text, where it came from, and the
/// strategies switched off.
#[derive(Clone, Debug)]
pub struct ChosenParams {
    /// The params file, verbatim.
    pub text: String,
    /// Its name, for messages.
    pub source: String,
    /// Strategies switched off for the run.
    pub switched_off: Vec<model::StrategyId>,
}

impl ChosenParams {
    /// [`TOUCH_PARAMS`], every strategy on: what the end-to-end tests
    /// trade with.
    pub fn touch() -> Self {
        Self {
            text: TOUCH_PARAMS.to_owned(),
            source: "specs/strategies-touch.toml".to_owned(),
            switched_off: Vec::new(),
        }
    }
}

impl ChosenParams {
    /// `strategy` as `--strategy` takes it: a params file, or a strategy
    /// (name or kind) of the built-in params; `None` runs them all.
    pub fn choose(strategy: Option<&str>) -> anyhow::Result<Self> {
        let (text, source, wanted) = params(strategy)?;
        let parsed = ParamsFile::parse(&text, &source)?;
        let switched_off = select_strategies(&parsed, wanted.as_deref())
            .map_err(|problem| anyhow::anyhow!("--strategy: {problem}"))?;
        Ok(Self {
            text,
            source,
            switched_off,
        })
    }
}

/// A paper run as the demo account of `profile`'s venue, listening at
/// `quote` and `trade`: cTrader dialect, QUOTE and TRADE sessions, depth
/// subscriptions to every symbol, the demo's risk limits.
pub fn trader_setup(
    profile: &VenueProfile,
    quote: SocketAddr,
    trade: SocketAddr,
    params: ChosenParams,
    run_dir: PathBuf,
    durability: Durability,
    now: model::Timestamp,
) -> anyhow::Result<TraderSetup> {
    let fix = profile
        .fix
        .as_ref()
        .context("the venue profile has no [fix] table")?;
    let account = fix
        .accounts
        .first()
        .context("the venue profile has no [[account]]")?;
    let sender = account.comp_id();
    let session = |sub_id: &str| {
        client_session(
            SessionId::new("FIX.4.4", &sender, &fix.comp_id)
                .with_sub_ids(Some(sub_id), Some(sub_id)),
            30,
            Some(account.login.to_string()),
            Some(account.password.clone()),
            ShippedDictionary::CTraderFix44,
        )
    };
    let instruments = profile.instruments();
    Ok(TraderSetup {
        run_id: run_id(now),
        mode: RunMode::Paper,
        subscriptions: instruments
            .iter()
            .map(|instrument| Subscription {
                instrument: instrument.id,
                depth: MarketDepth::FullBook,
                trades: false,
            })
            .collect(),
        instruments,
        dialect: OrderDialect::ctrader(),
        quote_session: Some(session("QUOTE")?),
        trade_session: session("TRADE")?,
        addresses: vec![(Channel::Quote, quote), (Channel::Trade, trade)],
        params_text: params.text,
        params_source: params.source,
        switched_off: params.switched_off,
        limits: demo_limits(),
        features: sensory::FeatureParams::default(),
        run_dir,
        durability,
        execution: crate::trader::Execution::Venue,
        feeds: Vec::new(),
    })
}

/// Runs the demo; see the [module docs](self).
pub fn run(options: &DemoOptions, stop: watch::Receiver<bool>) -> anyhow::Result<RunSummary> {
    let now = wall_clock();
    let profile = demo_profile()?;
    let params = ChosenParams::choose(options.strategy.as_deref())?;
    let run_dir = options
        .run_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("var/demo").join(run_id(now).as_str()));
    std::fs::create_dir_all(&run_dir)
        .with_context(|| format!("creating the run folder {}", run_dir.display()))?;

    // The venue, on its own thread and runtime: EMP's thread stays its own.
    let (ports_tx, ports_rx) = std::sync::mpsc::channel();
    let (venue_stop_tx, mut venue_stop_rx) = watch::channel(false);
    let venue_profile = profile.clone();
    let venue_log = run_dir.join("venue");
    let venue_thread = std::thread::Builder::new()
        .name("emp-venue".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = ports_tx.send(Err(error.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                let options = ServerOptions {
                    message_log: Some(venue_log),
                };
                let handle = match VenueServer::start(
                    &venue_profile,
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    options,
                )
                .await
                {
                    Ok(handle) => handle,
                    Err(error) => {
                        let _ = ports_tx.send(Err(error.to_string()));
                        return;
                    }
                };
                let _ = ports_tx.send(Ok((handle.quote_port(), handle.trade_port())));
                let _ = venue_stop_rx.wait_for(|stop| *stop).await;
                handle.shutdown().await;
            });
        })
        .context("starting the venue thread")?;
    let (quote_port, trade_port) = match ports_rx.recv() {
        Ok(Ok(ports)) => ports,
        Ok(Err(error)) => bail!("the simulated venue did not start: {error}"),
        Err(_) => bail!("the simulated venue thread ended before it started"),
    };
    let quote_port = quote_port.context("the cTrader venue has no QUOTE port")?;
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut setup = trader_setup(
        &profile,
        SocketAddr::new(localhost, quote_port),
        SocketAddr::new(localhost, trade_port),
        params,
        run_dir,
        options.durability,
        now,
    )?;
    setup.execution = options.execution.clone();
    let trader_options = TraderOptions {
        duration: Some(options.duration),
        status_interval: Duration::from_secs(1),
        reconnect_interval: Duration::from_millis(500),
        echo: options.echo,
        metrics_addr: options.metrics_addr,
        ctrl_c: options.ctrl_c,
        control: options.control.clone(),
        initial_trading_state: None,
        log_format: options.log_format,
    };
    let outcome = run_trader(&setup, &trader_options, stop);
    let _ = venue_stop_tx.send(true);
    let _ = venue_thread.join();
    outcome
}
