//! Websocket market-data feeds (Polymarket, Coinbase) for `emp run` and
//! `emp capture`: the optional `[feeds]` section of a run config, and the
//! thread that runs the clients and hands their messages to the trading
//! thread.
//!
//! ```toml
//! [[feeds.polymarket]]
//! url = "wss://ws-subscriptions-clob.polymarket.com/ws/market"  # default
//! max_assets_per_connection = 200          # 1..=500 (the venue's cap ≈ 500)
//! stale_ms = 15000                         # report Stale after this silence
//! dead_ms = 30000                          # reconnect after this silence
//! assets = [
//!   { asset = "71321045679252212594626385532706912750332728571942532289631379312455583992563", instrument = "BTC-100K-YES" },
//! ]
//!
//! [[feeds.coinbase]]
//! url = "wss://advanced-trade-ws.coinbase.com"                  # default
//! channels = ["level2", "market_trades", "ticker"]              # default
//! stale_ms = 2500
//! dead_ms = 10000
//! products = [{ product = "BTC-USD", instrument = "BTC-USD" }]
//! ```
//!
//! Every instrument must be one the run trades or watches (its venue
//! profile's symbols); an asset or product is mapped once per feed and an
//! instrument once overall.
//!
//! The clients run on a runtime of their own, on the `emp-feeds` thread.
//! Their messages go through one bounded channel ([`FEED_QUEUE`]) that the
//! trading loop drains next to its FIX connections ([`FeedInbox`]), so
//! decode and I/O never run on the trading thread, and the trading thread
//! never waits for them; when it falls behind, the clients wait.

use std::collections::BTreeSet;

use config::{ConfigError, DeTable, DeValue, Fields, Source, Value};
use gateway::ws::client::{FeedConfig, FeedMessage, FeedVenue, spawn_feed};
use gateway::ws::session::shard;
use model::{InstrumentId, InstrumentTable};
use tokio::sync::{mpsc, watch};

/// Messages the feed thread may queue before the clients wait.
pub const FEED_QUEUE: usize = 4096;

const POLYMARKET_KEYS: &[&str] = &[
    "url",
    "max_assets_per_connection",
    "stale_ms",
    "dead_ms",
    "assets",
];
const COINBASE_KEYS: &[&str] = &["url", "channels", "stale_ms", "dead_ms", "products"];
const COINBASE_CHANNELS: &[&str] = &["level2", "market_trades", "ticker", "ticker_batch"];

/// One configured feed.
#[derive(Clone, Debug)]
pub struct FeedSpec {
    /// Its name in logs and the journal: `polymarket`, `coinbase`, with
    /// `#n` after the first of a venue.
    pub name: String,
    /// The client's settings.
    pub config: FeedConfig,
}

impl FeedSpec {
    /// The instruments of each of the feed's connections, in connection
    /// order (as the client shards them).
    pub fn connections(&self) -> Vec<Vec<InstrumentId>> {
        let ids: Vec<InstrumentId> = self.config.instruments.iter().map(|(_, id)| *id).collect();
        match self.config.venue {
            FeedVenue::Coinbase => vec![ids],
            FeedVenue::Polymarket => shard(&ids, self.config.max_assets_per_connection),
        }
    }
}

/// Reads the `[feeds]` table of a config's `root`, if there is one.
/// `known` are the instruments the run has (each mapped instrument must be
/// one of them); `None` accepts any valid id (capture names its own).
pub fn parse_feeds(
    source: &Source<'_>,
    root: &DeTable<'_>,
    known: Option<&InstrumentTable>,
) -> Result<Vec<FeedSpec>, ConfigError> {
    let Some((key, value)) = root.iter().find(|(key, _)| key.get_ref() == "feeds") else {
        return Ok(Vec::new());
    };
    let DeValue::Table(table) = value.get_ref() else {
        return Err(source.error(
            key.span().start,
            "write feeds as [[feeds.polymarket]] / [[feeds.coinbase]] tables",
        ));
    };
    Fields::new(
        source,
        table,
        key.span().start,
        "[feeds]",
        &["polymarket", "coinbase"],
    )?;
    let mut specs = Vec::new();
    let mut mapped = BTreeSet::new();
    // In file order, so a repeated instrument is named where it repeats.
    let mut lists: Vec<_> = table.iter().collect();
    lists.sort_by_key(|(key, _)| key.span().start);
    for (entry_key, entries) in lists {
        let (venue, list_key) = match entry_key.get_ref().as_ref() {
            "polymarket" => (FeedVenue::Polymarket, "polymarket"),
            _ => (FeedVenue::Coinbase, "coinbase"),
        };
        let DeValue::Array(entries) = entries.get_ref() else {
            return Err(source.error(
                entry_key.span().start,
                format!("feeds.{list_key}: write each feed as a [[feeds.{list_key}]] table"),
            ));
        };
        for (index, entry) in entries.iter().enumerate() {
            let DeValue::Table(entry_table) = entry.get_ref() else {
                return Err(source.error(
                    entry.span().start,
                    format!("feeds.{list_key}: write each feed as a [[feeds.{list_key}]] table"),
                ));
            };
            let spec = feed(
                source,
                venue,
                entry_table,
                entry.span().start,
                known,
                &mut mapped,
            )?;
            let name = if index == 0 {
                list_key.to_owned()
            } else {
                format!("{list_key}#{index}")
            };
            specs.push(FeedSpec { name, config: spec });
        }
    }
    // A `[feeds]` table with neither list is a mistake, not a no-op.
    if specs.is_empty() {
        return Err(source.error(
            key.span().start,
            "[feeds]: no feed; add [[feeds.polymarket]] or [[feeds.coinbase]]",
        ));
    }
    Ok(specs)
}

fn feed(
    source: &Source<'_>,
    venue: FeedVenue,
    table: &DeTable<'_>,
    at: usize,
    known: Option<&InstrumentTable>,
    mapped: &mut BTreeSet<InstrumentId>,
) -> Result<FeedConfig, ConfigError> {
    let (label, keys, list, item_key) = match venue {
        FeedVenue::Polymarket => ("[[feeds.polymarket]]", POLYMARKET_KEYS, "assets", "asset"),
        FeedVenue::Coinbase => ("[[feeds.coinbase]]", COINBASE_KEYS, "products", "product"),
    };
    let fields = Fields::new(source, table, at, label, keys)?;
    let mut config = FeedConfig::new(venue, Vec::new());
    if let Some(url) = fields.optional("url", Fields::text)? {
        if !(url.starts_with("wss://") || url.starts_with("ws://")) {
            return Err(source.error(
                fields.offset_of("url"),
                format!("url: {url:?} is not a websocket URL; write wss://host/path"),
            ));
        }
        config.url = url;
    }
    if let Some(cap) = fields.optional("max_assets_per_connection", Fields::whole)? {
        if !(1..=500).contains(&cap) {
            return Err(source.error(
                fields.offset_of("max_assets_per_connection"),
                format!(
                    "max_assets_per_connection: {cap}; use 1 to 500 (Polymarket refuses more than about 500 per connection)"
                ),
            ));
        }
        config.max_assets_per_connection = usize::try_from(cap).unwrap_or(500);
    }
    if let Some(stale) = fields.optional("stale_ms", Fields::millis)? {
        config.liveness.stale_after = stale;
    }
    if let Some(dead) = fields.optional("dead_ms", Fields::millis)? {
        config.liveness.dead_after = dead;
    }
    if config.liveness.stale_after.is_zero()
        || config.liveness.dead_after <= config.liveness.stale_after
    {
        let offset = fields.offset_of(if table.contains_key("dead_ms") {
            "dead_ms"
        } else {
            "stale_ms"
        });
        return Err(source.error(
            offset,
            format!(
                "stale_ms ({} ms) must be above zero and below dead_ms ({} ms): a feed is reported stale before it is given up",
                config.liveness.stale_after.as_millis(),
                config.liveness.dead_after.as_millis()
            ),
        ));
    }
    if let Some(channels) = fields.optional("channels", texts)? {
        if let Some(bad) = channels
            .iter()
            .find(|channel| !COINBASE_CHANNELS.contains(&channel.as_str()))
        {
            return Err(source.error(
                fields.offset_of("channels"),
                format!(
                    "channels: {bad:?} is not a market-data channel; use {}",
                    COINBASE_CHANNELS.join(", ")
                ),
            ));
        }
        config.coinbase_channels = channels;
    }
    let Some((_, value)) = table.iter().find(|(key, _)| key.get_ref() == list) else {
        return Err(source.error(
            at,
            format!("{label}: missing required key {list}: [{{ {item_key} = \"…\", instrument = \"…\" }}]"),
        ));
    };
    let DeValue::Array(items) = value.get_ref() else {
        return Err(source.error(
            value.span().start,
            format!("{list}: expected [{{ {item_key} = \"…\", instrument = \"…\" }}, …]"),
        ));
    };
    if items.is_empty() {
        return Err(source.error(
            value.span().start,
            format!("{list}: name at least one {item_key}"),
        ));
    }
    let mut keys_seen = BTreeSet::new();
    for item in items.iter() {
        let (key, instrument) = mapping(source, item, label, item_key)?;
        if !keys_seen.insert(key.clone()) {
            return Err(source.error(
                item.span().start,
                format!("{list}: {item_key} {key} is listed twice in this feed"),
            ));
        }
        if let Some(known) = known
            && known.get(&instrument).is_none()
        {
            let names: Vec<String> = known.iter().map(|i| i.id.to_string()).collect();
            return Err(source.error(
                item.span().start,
                format!(
                    "{list}: {instrument} is not an instrument of this run; map {key} to one of {} (or add it to the venue profile)",
                    names.join(", ")
                ),
            ));
        }
        if !mapped.insert(instrument) {
            return Err(source.error(
                item.span().start,
                format!(
                    "{list}: {instrument} is already fed by another entry; map each instrument once"
                ),
            ));
        }
        config.instruments.push((key, instrument));
    }
    Ok(config)
}

/// An array of strings.
fn texts(fields: &Fields<'_, '_>, value: &Value<'_>) -> Result<Vec<String>, ConfigError> {
    let DeValue::Array(items) = value.get_ref() else {
        return Err(fields.bad(value, "expected an array of names, e.g. [\"level2\"]"));
    };
    items.iter().map(|item| fields.text(item)).collect()
}

/// `{ asset = "…", instrument = "…" }` (or `product`).
fn mapping(
    source: &Source<'_>,
    item: &Value<'_>,
    label: &'static str,
    item_key: &'static str,
) -> Result<(String, InstrumentId), ConfigError> {
    let DeValue::Table(table) = item.get_ref() else {
        return Err(source.error(
            item.span().start,
            format!("{label}: write each entry as {{ {item_key} = \"…\", instrument = \"…\" }}"),
        ));
    };
    let allowed: &[&str] = if item_key == "asset" {
        &["asset", "instrument"]
    } else {
        &["product", "instrument"]
    };
    let fields = Fields::new(source, table, item.span().start, label, allowed)?;
    let key = fields.required(item_key, Fields::text)?;
    if key.trim().is_empty() {
        return Err(source.error(
            fields.offset_of(item_key),
            format!("{item_key}: empty; write the venue's id"),
        ));
    }
    let instrument = fields.required("instrument", Fields::instrument)?;
    Ok((key, instrument))
}

/// One message of one feed.
#[derive(Clone, Debug)]
pub struct FeedItem {
    /// Which feed (its index in the specs started).
    pub feed: usize,
    /// What it sent.
    pub message: FeedMessage,
}

/// The trading thread's end: messages of every feed, and which
/// instruments each connection carries.
#[derive(Debug)]
pub struct FeedInbox {
    receiver: mpsc::Receiver<FeedItem>,
    routes: Vec<(String, Vec<Vec<InstrumentId>>)>,
}

impl FeedInbox {
    /// The next message; `None` once every feed has stopped.
    pub async fn recv(&mut self) -> Option<FeedItem> {
        self.receiver.recv().await
    }

    /// The feed's name (with the connection) and the instruments the
    /// item's connection carries: what its status changes apply to.
    pub fn route(&self, item: &FeedItem) -> (String, &[InstrumentId]) {
        let Some((name, connections)) = self.routes.get(item.feed) else {
            return (format!("feed {}", item.feed), &[]);
        };
        let instruments = connections
            .get(item.message.connection)
            .map_or(&[][..], Vec::as_slice);
        let name = if connections.len() > 1 {
            format!("{name} connection {}", item.message.connection)
        } else {
            name.clone()
        };
        (name, instruments)
    }
}

/// The feed thread; stop it with [`FeedRunner::shutdown`].
#[derive(Debug)]
pub struct FeedRunner {
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FeedRunner {
    /// Starts every feed of `specs` on the `emp-feeds` thread.
    pub fn start(specs: &[FeedSpec]) -> std::io::Result<(Self, FeedInbox)> {
        let (sender, receiver) = mpsc::channel(FEED_QUEUE);
        let (stop, mut stopped) = watch::channel(false);
        let routes = specs
            .iter()
            .map(|spec| (spec.name.clone(), spec.connections()))
            .collect();
        let configs: Vec<FeedConfig> = specs.iter().map(|spec| spec.config.clone()).collect();
        let thread = std::thread::Builder::new()
            .name("emp-feeds".to_owned())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    let mut handles = Vec::new();
                    let mut forwarders = Vec::new();
                    for (feed, config) in configs.into_iter().enumerate() {
                        let (handle, mut messages) = spawn_feed(config);
                        handles.push(handle);
                        let sender = sender.clone();
                        forwarders.push(tokio::spawn(async move {
                            while let Some(message) = messages.recv().await {
                                if sender.send(FeedItem { feed, message }).await.is_err() {
                                    break;
                                }
                            }
                        }));
                    }
                    drop(sender);
                    let _ = stopped.wait_for(|stop| *stop).await;
                    for handle in handles {
                        handle.shutdown().await;
                    }
                    for forwarder in forwarders {
                        forwarder.abort();
                    }
                });
            })?;
        Ok((
            Self {
                stop,
                thread: Some(thread),
            },
            FeedInbox { receiver, routes },
        ))
    }

    /// Closes every connection and waits for the thread. Drop the
    /// [`FeedInbox`] first: a client waiting for room in a full queue
    /// then gives up at once.
    pub fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
