//! A trading run against a FIX venue, as `emp demo` and `emp run` start
//! it, in the order the runtime boots:
//!
//! 1. **config and parameters**: the strategy params, risk limits,
//!    instruments and sessions are checked before anything starts; a
//!    problem is an error naming the file and line ([`TraderSetup`] is
//!    only built from valid parts);
//! 2. **core state**: the run folder, its journal (a new run continues
//!    after the last record), the OMS rebuilt from the journal's OMS
//!    events, the pipeline;
//! 3. **connections and warm-up**: the QUOTE and TRADE sessions connect;
//!    the TRADE logon starts reconciliation (35=AF, 35=AN), the QUOTE
//!    logon the subscriptions; features warm up;
//! 4. **readiness**: the gate is RUNNING only with fresh books, valid
//!    features and execution available; only then do strategies trade.
//!    Every pause (session down, reconciling, stale feed) is a readiness
//!    transition, logged and journaled.
//!
//! The run folder holds `journal/` (what `emp backtest --data` and `emp
//! replay` read), `fix/` (each session's message and event log),
//! `emp.log`, and at the end `summary.md` and `summary.json`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use gateway::fix::link::{Channel, LinkConfig, Subscription, VenueLink};
use gateway::fix::orders::OrderDialect;
use gateway::fix::session::{Session, SessionConfig};
use gateway::fix::store::{Durability as StoreDurability, FileStore};
use gateway::transport::{BoxStore, wall_clock};
use journal::Start;
use journal::{Durability, JournalConfig, JournalReader, KnownVersions, ReplayItem, ReplayOptions};
use model::{InstrumentTable, RunId, StrategyId, Timestamp};
use oms::risk::{RiskLimits, TradingState};
use oms::{Oms, OmsConfig, OmsEvent};
use sensory::FeatureParams;
use strategy::ParamsFile;
use tokio::sync::watch;

use crate::control::{ControlAction, ControlInbox, ControlOptions, ControlServer};
use crate::engine::Engine;
use crate::live::{DriverHooks, DriverOptions, DriverReport, RunLog, drive};
use crate::logging::LogFormat;
use crate::metrics::{MetricsServer, Registry, RuntimeMetrics};
use crate::pipeline::{Pipeline, PipelineConfig};
use crate::publish::MetricsPublisher;
use crate::record::{Recorder, RunHeader, RunMode, SCHEMA_VERSION, topics};
use crate::status::{RunSummary, StatusLine};

/// Where orders go: the venue's TRADE session, or (MODE=test) the
/// simulated execution sink fed with the venue's live books. The switch
/// changes the sink and nothing else.
#[derive(Clone, Debug, PartialEq)]
pub enum Execution {
    /// The venue (live or its demo): MODE=live, the default.
    Venue,
    /// The simulated sink: MODE=test.
    Simulated(venue::SimulatedSinkConfig),
}

impl Execution {
    /// The `MODE` environment variable: `test` (simulated execution) or
    /// `live` (the venue); `None` when unset.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        match std::env::var("MODE") {
            Err(std::env::VarError::NotPresent) => Ok(None),
            Ok(mode) if mode == "live" => Ok(Some(Self::Venue)),
            Ok(mode) if mode == "test" => {
                Ok(Some(Self::Simulated(venue::SimulatedSinkConfig::default())))
            }
            Ok(other) => anyhow::bail!(
                "MODE={other:?}: use MODE=test (simulated execution) or MODE=live (the venue), or unset it"
            ),
            Err(std::env::VarError::NotUnicode(_)) => {
                anyhow::bail!("MODE is not UTF-8: use MODE=test or MODE=live")
            }
        }
    }
}

/// Everything a run against a FIX venue is made of, already validated.
#[derive(Clone, Debug)]
pub struct TraderSetup {
    /// The run's id (stamped on intents and ClOrdIDs).
    pub run_id: RunId,
    /// Paper or live.
    pub mode: RunMode,
    /// The venue's instruments.
    pub instruments: InstrumentTable,
    /// The venue's FIX conventions.
    pub dialect: OrderDialect,
    /// The QUOTE session, when the venue has one of its own.
    pub quote_session: Option<SessionConfig>,
    /// The TRADE session.
    pub trade_session: SessionConfig,
    /// Where each channel connects.
    pub addresses: Vec<(Channel, SocketAddr)>,
    /// Market data to subscribe.
    pub subscriptions: Vec<Subscription>,
    /// The strategy params file, verbatim, and its name for messages.
    pub params_text: String,
    /// Where the params came from.
    pub params_source: String,
    /// Strategies of the params switched off for this run.
    pub switched_off: Vec<StrategyId>,
    /// Risk limits.
    pub limits: RiskLimits,
    /// Feature settings.
    pub features: FeatureParams,
    /// The run folder.
    pub run_dir: PathBuf,
    /// When journal commits are durable.
    pub durability: Durability,
    /// Where orders go.
    pub execution: Execution,
    /// Websocket market-data feeds besides the venue's QUOTE session
    /// ([`crate::feeds`]).
    pub feeds: Vec<crate::feeds::FeedSpec>,
}

/// How the run is driven.
#[derive(Clone, Debug)]
pub struct TraderOptions {
    /// Stop after this long (a clean logout).
    pub duration: Option<Duration>,
    /// Status line interval.
    pub status_interval: Duration,
    /// Reconnect wait.
    pub reconnect_interval: Duration,
    /// Print log and status lines (besides writing `emp.log`).
    pub echo: bool,
    /// Serve Prometheus metrics here.
    pub metrics_addr: Option<SocketAddr>,
    /// Stop on Ctrl-C (SIGINT) too.
    pub ctrl_c: bool,
    /// Serve the control plane ([`crate::control`]).
    pub control: Option<ControlOptions>,
    /// The trading state at start (journaled as an operator action):
    /// HALTED for a go-live, so an operator releases it.
    pub initial_trading_state: Option<TradingState>,
    /// How `emp.log` (and the echo on standard error) is written.
    pub log_format: LogFormat,
}

/// The journal directory of a run folder.
pub fn journal_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("journal")
}

/// Reads the OMS events of an earlier run in `dir` (empty when there is
/// none), to rebuild the OMS from.
pub fn recorded_oms_events(dir: &Path) -> anyhow::Result<Vec<OmsEvent>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let options = ReplayOptions {
        start: Start::Beginning,
        topics: vec![
            topics::OMS.into(),
            topics::DENIED.into(),
            topics::RISK_STATE.into(),
        ],
        known: KnownVersions::up_to(SCHEMA_VERSION),
    };
    let mut events = Vec::new();
    let mut failure = None;
    JournalReader::new(dir)
        .replay(&options, |item| {
            let ReplayItem::Record(record) = item else {
                return true;
            };
            match record.value::<OmsEvent>() {
                Ok(event) => {
                    events.push(event);
                    true
                }
                Err(error) => {
                    failure = Some(error);
                    false
                }
            }
        })
        .with_context(|| format!("reading the journal in {}", dir.display()))?;
    if let Some(error) = failure {
        return Err(error).with_context(|| format!("an OMS event in {}", dir.display()));
    }
    Ok(events)
}

/// Builds the engine of `setup` at `now`: run folder, journal, the OMS
/// rebuilt from the journal's earlier runs, sessions with file stores
/// under `fix/`.
pub fn build_engine(setup: &TraderSetup, now: Timestamp) -> anyhow::Result<Engine<BoxStore>> {
    std::fs::create_dir_all(&setup.run_dir)
        .with_context(|| format!("creating the run folder {}", setup.run_dir.display()))?;
    let fix_dir = setup.run_dir.join("fix");
    std::fs::create_dir_all(&fix_dir).with_context(|| format!("creating {}", fix_dir.display()))?;
    let params = ParamsFile::parse(&setup.params_text, &setup.params_source)?;
    setup.limits.validate().context("risk limits")?;
    let journal = journal_dir(&setup.run_dir);
    let earlier = recorded_oms_events(&journal)?;
    let mut journal_config = JournalConfig::new(&journal);
    journal_config.durability = setup.durability;
    let recorder = Recorder::open(journal_config)
        .with_context(|| format!("opening the journal in {}", journal.display()))?;
    let mut oms_config = OmsConfig::new(setup.limits.clone(), setup.instruments.clone());
    oms_config.expected_orders = 4096;
    let oms = Oms::recover(oms_config.clone(), earlier.iter(), now).with_context(|| {
        format!(
            "rebuilding the OMS from {} (move the folder aside to start afresh)",
            journal.display()
        )
    })?;
    let config = PipelineConfig {
        run_id: setup.run_id,
        instruments: setup.instruments.clone(),
        features: setup.features.clone(),
        calendar: sensory::Calendar::default(),
        params,
        oms: oms_config,
    };
    let mut pipeline = Pipeline::with_oms(config, oms)?;
    pipeline.switch_off(&setup.switched_off);
    let session = |config: &SessionConfig| -> anyhow::Result<Session<BoxStore>> {
        let path = fix_dir.join(format!("{}.store", config.id.file_stem()));
        let store = FileStore::open(&path, StoreDurability::Os, now)
            .with_context(|| format!("opening the FIX message store {}", path.display()))?;
        Ok(Session::new(config.clone(), Box::new(store)))
    };
    let quote = setup.quote_session.as_ref().map(session).transpose()?;
    let trade = session(&setup.trade_session)?;
    let link = VenueLink::new(
        LinkConfig {
            dialect: setup.dialect.clone(),
            instruments: setup.instruments.clone(),
            subscriptions: setup.subscriptions.clone(),
            id_prefix: format!("{}-md", setup.run_id),
        },
        quote,
        trade,
    );
    let header = RunHeader {
        run_id: setup.run_id,
        mode: setup.mode,
        started: now,
        instruments: setup.instruments.iter().cloned().collect(),
        params_text: setup.params_text.clone(),
        params_version: pipeline.host().version().to_string(),
        seed: None,
        switched_off: setup.switched_off.clone(),
        features: setup.features.clone(),
        limits: setup.limits.clone(),
        emp_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    Ok(Engine::new(link, pipeline, recorder, &header, now)?)
}

/// The status line every interval, and the metrics.
struct Hooks<'a> {
    log: &'a RunLog,
    status: StatusLine,
    metrics: Option<MetricsPublisher>,
    control: Option<ControlInbox>,
}

impl DriverHooks<BoxStore> for Hooks<'_> {
    fn status(&mut self, engine: &Engine<BoxStore>, now: Timestamp) {
        if let Some(publisher) = &mut self.metrics {
            publisher.publish(engine, now);
        }
        let line = self.status.line(engine, now);
        self.log.status(line);
    }

    fn tick_to_order(&mut self, nanos: u64) {
        self.status.tick_to_order(nanos);
        if let Some(publisher) = &self.metrics {
            publisher
                .metrics()
                .orders
                .tick_to_order
                .record(Duration::from_nanos(nanos));
        }
    }

    fn control(&mut self) -> Option<&mut ControlInbox> {
        self.control.as_mut()
    }
}

/// Starts the metrics endpoint on `addr` and counts `engine`'s events
/// in it.
fn serve_metrics(
    addr: SocketAddr,
    engine: &mut Engine<BoxStore>,
    log: &RunLog,
) -> anyhow::Result<(MetricsServer, MetricsPublisher)> {
    let registry = Registry::new();
    let metrics = RuntimeMetrics::new(&registry).context("registering the metrics")?;
    let server = MetricsServer::start(addr, registry)?;
    log.line(
        wall_clock(),
        format!(
            "Prometheus metrics on http://{}/metrics",
            server.local_addr()
        ),
    );
    engine.set_metrics(metrics.clone());
    let mut publisher =
        MetricsPublisher::new(metrics, engine).context("registering the metrics")?;
    publisher.publish(engine, wall_clock());
    Ok((server, publisher))
}

/// Applies the initial trading state and starts the control plane, as
/// `options` ask.
fn start_control(
    options: &TraderOptions,
    engine: &mut Engine<BoxStore>,
    log: &RunLog,
) -> anyhow::Result<(Option<ControlServer>, Option<ControlInbox>)> {
    if let Some(state) = options.initial_trading_state {
        let now = wall_clock();
        let action = ControlAction::TradingState {
            state,
            reason: "the run's initial trading state".to_owned(),
        };
        let outcome = engine.control(now, &action).map_err(anyhow::Error::msg)?;
        log.line(now, format!("control: {action}: {outcome}"));
    }
    let Some(control) = &options.control else {
        return Ok((None, None));
    };
    let (requests, inbox) = crate::control::channel();
    let server = ControlServer::start(control, requests)?;
    log.line(
        wall_clock(),
        format!(
            "control plane on http://{}/ (API /api/v1, bearer token from {})",
            server.local_addr(),
            crate::control::TOKEN_ENV
        ),
    );
    Ok((Some(server), Some(inbox)))
}

/// Runs `setup` until `options.duration` ends or `stop` turns true, then
/// writes the summary into the run folder and returns it.
pub fn run_trader(
    setup: &TraderSetup,
    options: &TraderOptions,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<RunSummary> {
    let started = wall_clock();
    let mut engine = build_engine(setup, started)?;
    let mut addresses = setup.addresses.clone();
    if let Execution::Simulated(config) = &setup.execution {
        let mut config = config.clone();
        // One seed per run, recorded in the log line below.
        config.seed = started.unix_nanos();
        let sink = venue::SimulatedSink::new(config, setup.instruments.clone())
            .context("the simulated execution sink's settings")?;
        engine.use_simulated_execution(started, sink);
        // Market data only: the TRADE session is not needed.
        addresses.retain(|(channel, _)| *channel == Channel::Quote);
        if addresses.is_empty() {
            anyhow::bail!(
                "MODE=test needs a QUOTE session for market data; this venue has one session only"
            );
        }
    }
    let (log, log_thread) = RunLog::open(
        &setup.run_dir.join("emp.log"),
        options.echo,
        options.log_format,
    )
    .with_context(|| format!("opening {}", setup.run_dir.join("emp.log").display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let driver_options = DriverOptions {
        addresses,
        reconnect_interval: options.reconnect_interval,
        duration: options.duration,
        status_interval: options.status_interval,
    };
    let (server, publisher) = match options.metrics_addr {
        Some(addr) => {
            let (server, publisher) = serve_metrics(addr, &mut engine, &log)?;
            (Some(server), Some(publisher))
        }
        None => (None, None),
    };
    // The control plane: its own thread, commands over a channel.
    let (control_server, control) = start_control(options, &mut engine, &log)?;
    let mut hooks = Hooks {
        log: &log,
        status: StatusLine::new(started),
        metrics: publisher,
        control,
    };
    let fix_dir = setup.run_dir.join("fix");
    // Websocket feeds: their own thread and runtime, messages over a
    // bounded queue the driver drains.
    let (feed_runner, mut feed_inbox) = if setup.feeds.is_empty() {
        (None, None)
    } else {
        let (runner, inbox) =
            crate::feeds::FeedRunner::start(&setup.feeds).context("starting the feed thread")?;
        for spec in &setup.feeds {
            log.line(
                wall_clock(),
                format!(
                    "feed {}: {} instruments from {}",
                    spec.name,
                    spec.config.instruments.len(),
                    spec.config.url
                ),
            );
        }
        (Some(runner), Some(inbox))
    };
    let report = runtime.block_on(async {
        // One stop signal for the driver: the caller's, or Ctrl-C.
        let (stop_tx, driver_stop) = watch::channel(false);
        let mut caller = stop;
        let ctrl_c = options.ctrl_c;
        tokio::spawn(async move {
            let interrupted = async {
                if ctrl_c {
                    let _ = tokio::signal::ctrl_c().await;
                } else {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                () = interrupted => {}
                _ = caller.wait_for(|stop| *stop) => {}
            }
            let _ = stop_tx.send(true);
        });
        drive(
            &mut engine,
            &driver_options,
            driver_stop,
            &log,
            Some(&fix_dir),
            &mut hooks,
            feed_inbox.as_mut(),
        )
        .await
    });
    drop(feed_inbox);
    if let Some(runner) = feed_runner {
        runner.shutdown();
    }
    let report: DriverReport = report?;
    if let Some(publisher) = &mut hooks.metrics {
        publisher.publish(&engine, wall_clock());
    }
    if let Some(server) = server {
        server.shutdown();
    }
    if let Some(server) = control_server {
        server.shutdown();
    }
    let summary = RunSummary::new(&engine, &report, started, wall_clock(), &setup.run_dir);
    summary.write(&setup.run_dir)?;
    log.status(summary.markdown());
    drop(log);
    let _ = log_thread.join();
    Ok(summary)
}
