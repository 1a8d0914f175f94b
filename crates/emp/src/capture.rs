//! `emp capture`: record the Polymarket and Coinbase websocket feeds into a
//! journal that `emp backtest` and [`crate::backtest::Recording::read`]
//! read back.
//!
//! The journal goes to `<out>/journal`. It starts with a
//! [`RunHeader`](crate::record::RunHeader) (mode `Paper`: real market data,
//! no execution) naming the captured instruments, then every
//! [`MarketEvent`](model::MarketEvent) under its `md.*` topic
//! ([`Recorder::market`]), feed status changes as `system.feed` (as
//! `emp run` journals them), and other feed notices (gaps, stale alarms,
//! tick-size changes, decode errors) as `system.link` text.
//!
//! Given as lists, instruments are named `<asset id>.POLYMARKET` and
//! `<product>.COINBASE`; read from the `[feeds]` section of a run config
//! ([`CapturePlan::from_config`]), they are named as it maps them, and
//! the URLs, asset cap and staleness are its too. Their definitions are
//! nominal (the venues' metadata APIs are not
//! queried): Polymarket tick 0.001, size step 0.000001; Coinbase tick 0.01,
//! size step 0.00000001.
//!
//! ```no_run
//! use emp::capture::{CapturePlan, run};
//! use std::time::Duration;
//!
//! let plan = CapturePlan::new(vec![], vec!["BTC-USD".into()], "var/capture".into(), Duration::from_secs(60))?;
//! let summary = run(&plan)?;
//! assert!(summary.events > 0);
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use config::Source;
use gateway::ws::FeedNotice;
use gateway::ws::client::{FeedConfig, FeedMessage, FeedVenue, spawn_feed, wall_clock};
use journal::{Durability, JournalConfig};
use model::{Instrument, InstrumentId, MarketEvent, Price, Quantity, RunId, VenueSymbol};
use tokio::sync::mpsc;

use crate::feeds::{FeedSpec, parse_feeds};
use crate::record::{FeedStatusInput, Recorder, RunHeader, RunMode};

/// What to capture, where, for how long.
#[derive(Clone, Debug)]
pub struct CapturePlan {
    /// The feeds, with their instruments and URLs.
    pub feeds: Vec<FeedSpec>,
    /// The output folder (the journal goes to `journal/` in it).
    pub out: PathBuf,
    /// How long to record.
    pub duration: Duration,
}

impl CapturePlan {
    /// A plan for Polymarket assets and Coinbase products against the
    /// venues' public endpoints, each instrument named after its venue id.
    pub fn new(
        polymarket: Vec<String>,
        coinbase: Vec<String>,
        out: PathBuf,
        duration: Duration,
    ) -> anyhow::Result<Self> {
        let mut feeds = Vec::new();
        for (venue, name, keys) in [
            (FeedVenue::Polymarket, "polymarket", polymarket),
            (FeedVenue::Coinbase, "coinbase", coinbase),
        ] {
            if keys.is_empty() {
                continue;
            }
            let mut pairs = Vec::new();
            for key in keys {
                let id = match venue {
                    FeedVenue::Polymarket => polymarket_instrument(&key)?,
                    FeedVenue::Coinbase => coinbase_instrument(&key)?,
                };
                pairs.push((key, id));
            }
            feeds.push(FeedSpec {
                name: name.to_owned(),
                config: FeedConfig::new(venue, pairs),
            });
        }
        Ok(Self {
            feeds,
            out,
            duration,
        })
    }

    /// A plan for the `[feeds]` section of the run config at `path`
    /// (its other tables are not read).
    pub fn from_config(path: &Path, out: PathBuf, duration: Duration) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.display().to_string();
        let source = Source::new(&text, &name);
        let root = source.parse()?;
        let feeds = parse_feeds(&source, root.get_ref(), None)?;
        if feeds.is_empty() {
            anyhow::bail!(
                "{name}: no [feeds] section; add [[feeds.polymarket]] or [[feeds.coinbase]] (see sessions/feeds-example.toml)"
            );
        }
        Ok(Self {
            feeds,
            out,
            duration,
        })
    }
}

/// What a capture wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Market events journaled.
    pub events: u64,
    /// Of which snapshots.
    pub snapshots: u64,
    /// Of which deltas.
    pub deltas: u64,
    /// Of which quotes.
    pub quotes: u64,
    /// Of which trades.
    pub trades: u64,
    /// Of which resets.
    pub resets: u64,
    /// Feed notices journaled as text.
    pub notices: u64,
    /// Frames the decoders rejected.
    pub errors: u64,
}

impl std::fmt::Display for CaptureSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} market events ({} snapshots, {} deltas, {} quotes, {} trades, {} resets), {} notices, {} rejected frames",
            self.events,
            self.snapshots,
            self.deltas,
            self.quotes,
            self.trades,
            self.resets,
            self.notices,
            self.errors
        )
    }
}

/// EMP's instrument id for a Polymarket asset.
pub fn polymarket_instrument(asset: &str) -> anyhow::Result<InstrumentId> {
    InstrumentId::new(&format!("{asset}.POLYMARKET"))
        .with_context(|| format!("Polymarket asset id {asset:?}"))
}

/// EMP's instrument id for a Coinbase product.
pub fn coinbase_instrument(product: &str) -> anyhow::Result<InstrumentId> {
    InstrumentId::new(&format!("{product}.COINBASE"))
        .with_context(|| format!("Coinbase product id {product:?}"))
}

fn definition(
    id: InstrumentId,
    symbol: &str,
    tick: Price,
    lot: Quantity,
    digits: u8,
) -> anyhow::Result<Instrument> {
    let instrument = Instrument {
        id,
        venue_symbol: VenueSymbol::new(symbol).with_context(|| format!("symbol {symbol:?}"))?,
        tick_size: tick,
        lot_size: lot,
        min_quantity: lot,
        max_quantity: None,
        min_notional: None,
        price_digits: digits,
        allows_non_positive_prices: false,
    };
    instrument.validate()?;
    Ok(instrument)
}

/// The nominal definitions of the plan's instruments.
pub fn instruments(plan: &CapturePlan) -> anyhow::Result<Vec<Instrument>> {
    let mut all = Vec::new();
    for spec in &plan.feeds {
        for (key, id) in &spec.config.instruments {
            all.push(match spec.config.venue {
                FeedVenue::Polymarket => definition(
                    *id,
                    key,
                    Price::from_raw(1_000_000),
                    Quantity::from_raw(1_000).unwrap_or(Quantity::ZERO),
                    3,
                )?,
                FeedVenue::Coinbase => definition(
                    *id,
                    key,
                    Price::from_raw(10_000_000),
                    Quantity::from_raw(10).unwrap_or(Quantity::ZERO),
                    2,
                )?,
            });
        }
    }
    Ok(all)
}

/// Runs the capture for the plan's duration or until Ctrl-C, on a runtime
/// of its own.
pub fn run(plan: &CapturePlan) -> anyhow::Result<CaptureSummary> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(capture(plan, async {
        let _ = tokio::signal::ctrl_c().await;
    }))
}

/// Records until the plan's duration passes or `stop` completes.
pub async fn capture(
    plan: &CapturePlan,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<CaptureSummary> {
    if plan.feeds.is_empty() {
        anyhow::bail!(
            "nothing to capture: give --polymarket ASSET… and/or --coinbase PRODUCT…, or --config FILE with a [feeds] section"
        );
    }
    let journal = plan.out.join("journal");
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("creating {}", plan.out.display()))?;
    let mut recorder = Recorder::open(JournalConfig {
        durability: Durability::OsOnly,
        ..JournalConfig::new(&journal)
    })
    .with_context(|| format!("opening the journal in {}", journal.display()))?;
    let started = wall_clock();
    let run_id = RunId::new(&format!("capture-{}", started.unix_nanos() / 1_000_000_000))
        .context("run id")?;
    recorder.run_started(&RunHeader {
        run_id,
        mode: RunMode::Paper,
        started,
        instruments: instruments(plan)?,
        params_text: String::new(),
        params_version: String::new(),
        seed: None,
        switched_off: Vec::new(),
        features: sensory::FeatureParams::default(),
        limits: oms::risk::RiskLimits::default(),
        emp_version: env!("CARGO_PKG_VERSION").to_owned(),
    })?;
    recorder.commit(started)?;

    let (tx, mut rx) = mpsc::channel::<(String, FeedMessage)>(4096);
    let mut handles = Vec::new();
    let mut forwarders = Vec::new();
    for spec in &plan.feeds {
        let mut config = spec.config.clone();
        config.seed = started.unix_nanos();
        let (handle, mut messages) = spawn_feed(config);
        handles.push(handle);
        let tx = tx.clone();
        let name = spec.name.clone();
        forwarders.push(tokio::spawn(async move {
            while let Some(message) = messages.recv().await {
                if tx.send((name.clone(), message)).await.is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);

    // Each feed's instruments per connection, for its status changes.
    let connections: std::collections::BTreeMap<String, Vec<Vec<InstrumentId>>> = plan
        .feeds
        .iter()
        .map(|spec| (spec.name.clone(), spec.connections()))
        .collect();
    let mut summary = CaptureSummary::default();
    let deadline = tokio::time::sleep(plan.duration);
    tokio::pin!(deadline);
    tokio::pin!(stop);
    loop {
        let (name, message) = tokio::select! {
            () = &mut deadline => break,
            () = &mut stop => break,
            received = rx.recv() => match received {
                Some(item) => item,
                None => break,
            },
        };
        write(&mut recorder, &name, &connections, &message, &mut summary)?;
        recorder.commit(message.received)?;
    }
    // Stop the connections, then journal everything they sent (up to
    // their last words: the resets of a closing connection).
    let closing = async {
        for handle in handles {
            handle.shutdown().await;
        }
        for forwarder in forwarders {
            let _ = forwarder.await;
        }
    };
    let draining = async {
        while let Some((name, message)) = rx.recv().await {
            write(&mut recorder, &name, &connections, &message, &mut summary)?;
        }
        anyhow::Ok(())
    };
    let ((), drained) = tokio::join!(closing, draining);
    drained?;
    let end = wall_clock();
    recorder.link(end, "capture stopped")?;
    recorder.commit(end)?;
    Ok(summary)
}

fn write(
    recorder: &mut Recorder,
    feed: &str,
    connections: &std::collections::BTreeMap<String, Vec<Vec<InstrumentId>>>,
    message: &FeedMessage,
    summary: &mut CaptureSummary,
) -> anyhow::Result<()> {
    for event in &message.output.events {
        recorder.market(event)?;
        summary.events += 1;
        match event {
            MarketEvent::Snapshot(_) => summary.snapshots += 1,
            MarketEvent::Delta(_) => summary.deltas += 1,
            MarketEvent::Quote(_) => summary.quotes += 1,
            MarketEvent::Trade(_) => summary.trades += 1,
            MarketEvent::Reset { .. } => summary.resets += 1,
        }
    }
    for notice in &message.output.notices {
        if let FeedNotice::Status(status) = notice {
            // As `emp run` journals them, so a replay of a capture sees
            // the same feed states.
            let instruments = connections
                .get(feed)
                .and_then(|per_connection| per_connection.get(message.connection))
                .cloned()
                .unwrap_or_default();
            recorder.feed(
                message.received,
                &FeedStatusInput {
                    feed: feed.to_owned(),
                    instruments,
                    status: *status,
                },
            )?;
        } else {
            recorder.link(
                message.received,
                &format!("{feed}#{}: {notice:?}", message.connection),
            )?;
        }
        summary.notices += 1;
    }
    if let Some(error) = &message.error {
        recorder.link(
            message.received,
            &format!("{feed}#{}: rejected frame: {error}", message.connection),
        )?;
        summary.errors += 1;
    }
    Ok(())
}
