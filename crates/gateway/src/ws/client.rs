//! The tokio driver of the websocket feeds, on tokio-tungstenite (`wss://`
//! through rustls with the webpki roots; plain `ws://` for local tests).
//!
//! [`spawn_feed`] starts one task per connection: Coinbase uses one,
//! Polymarket shards its assets over connections of at most
//! [`FeedConfig::max_assets_per_connection`]. Each task connects,
//! subscribes (see [`super::session`]), decodes every text frame with
//! the venue's decoder and sends the result as a [`FeedMessage`]; it pings
//! and watches for silence with [`Liveness`], resubscribes for fresh
//! snapshots when the decoder asks ([`FeedNotice::ResnapshotNeeded`]), and
//! on any failure resets the decoder's books, waits per [`Backoff`] and
//! reconnects with the same subscriptions in the same order. All decisions
//! live in the sans-IO parts; this module only moves bytes and time.
//!
//! ```no_run
//! use gateway::ws::client::{FeedConfig, FeedVenue, spawn_feed};
//! use model::InstrumentId;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = FeedConfig::new(
//!     FeedVenue::Coinbase,
//!     vec![("BTC-USD".into(), InstrumentId::new("BTC-USD.COINBASE")?)],
//! );
//! let (handle, mut messages) = spawn_feed(config);
//! while let Some(message) = messages.recv().await {
//!     println!("{:?}", message.output.events);
//! }
//! handle.shutdown().await;
//! # Ok(()) }
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use model::{FeedStatus, InstrumentId, Timestamp};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::coinbase::CoinbaseDecoder;
use super::polymarket::PolymarketDecoder;
use super::session::{
    Backoff, BackoffConfig, CoinbaseSubscriptions, Liveness, LivenessAction, LivenessConfig,
    PolymarketSubscriptions, shard,
};
use super::{FeedNotice, InstrumentMap, WsOutput};

/// Which venue a feed speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedVenue {
    /// Polymarket CLOB `market` channel.
    Polymarket,
    /// Coinbase Advanced Trade market data.
    Coinbase,
}

impl FeedVenue {
    /// The venue's public endpoint.
    pub const fn default_url(self) -> &'static str {
        match self {
            Self::Polymarket => "wss://ws-subscriptions-clob.polymarket.com/ws/market",
            Self::Coinbase => "wss://advanced-trade-ws.coinbase.com",
        }
    }
}

/// How to run a feed.
#[derive(Clone, Debug)]
pub struct FeedConfig {
    /// The venue.
    pub venue: FeedVenue,
    /// `wss://…` (or `ws://…` in tests).
    pub url: String,
    /// Venue keys (Polymarket asset ids, Coinbase product ids) and EMP's
    /// instruments, in subscription order.
    pub instruments: Vec<(String, InstrumentId)>,
    /// Coinbase channels besides `heartbeats` (always first).
    pub coinbase_channels: Vec<String>,
    /// Polymarket assets per connection (undocumented server cap ≈ 500).
    pub max_assets_per_connection: usize,
    /// Reconnect delays.
    pub backoff: BackoffConfig,
    /// Keep-alive and staleness.
    pub liveness: LivenessConfig,
    /// Seed of the backoff jitter (each connection derives its own).
    pub seed: u64,
    /// Longest wait for TCP, TLS and the websocket handshake.
    pub connect_timeout: Duration,
}

impl FeedConfig {
    /// The venue's defaults: its public URL, `level2`, `market_trades`
    /// and `ticker` on Coinbase, 200 assets per Polymarket connection.
    pub fn new(venue: FeedVenue, instruments: Vec<(String, InstrumentId)>) -> Self {
        Self {
            venue,
            url: venue.default_url().to_owned(),
            instruments,
            coinbase_channels: ["level2", "market_trades", "ticker"]
                .map(str::to_owned)
                .to_vec(),
            max_assets_per_connection: 200,
            backoff: BackoffConfig::default(),
            liveness: match venue {
                FeedVenue::Polymarket => LivenessConfig::POLYMARKET,
                FeedVenue::Coinbase => LivenessConfig::COINBASE,
            },
            seed: 0x5eed,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// What one connection produced from one frame (or one event of its own:
/// a disconnect, a stale alarm).
#[derive(Clone, Debug)]
pub struct FeedMessage {
    /// Which connection (shard) of the feed.
    pub connection: usize,
    /// When the frame arrived (or the event happened).
    pub received: Timestamp,
    /// Events and notices.
    pub output: WsOutput,
    /// The decoder's complaint about the frame, if any (the feed goes on;
    /// connection failures are [`FeedNotice::ConnectionLost`]).
    pub error: Option<String>,
}

/// The wall clock as a [`Timestamp`] (receive times).
pub fn wall_clock() -> Timestamp {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    Timestamp::from_unix_nanos(nanos)
}

#[derive(Debug)]
enum Command {
    Subscribe(String, InstrumentId),
    Unsubscribe(String),
}

struct Shard {
    commands: mpsc::UnboundedSender<Command>,
    assets: Vec<String>,
    task: JoinHandle<()>,
}

/// A running feed: change subscriptions, stop it.
pub struct FeedHandle {
    config: FeedConfig,
    shards: Vec<Shard>,
    output: mpsc::Sender<FeedMessage>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for FeedHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedHandle")
            .field("venue", &self.config.venue)
            .field("connections", &self.shards.len())
            .finish()
    }
}

/// Starts the feed's connections; messages arrive on the receiver (which
/// holds up to 4096 before the connections wait).
pub fn spawn_feed(config: FeedConfig) -> (FeedHandle, mpsc::Receiver<FeedMessage>) {
    let (output, receiver) = mpsc::channel(4096);
    let (shutdown, _) = watch::channel(false);
    let mut handle = FeedHandle {
        config: config.clone(),
        shards: Vec::new(),
        output,
        shutdown,
    };
    match config.venue {
        FeedVenue::Coinbase => handle.spawn_shard(config.instruments),
        FeedVenue::Polymarket => {
            for assets in shard(&config.instruments, config.max_assets_per_connection) {
                handle.spawn_shard(assets);
            }
        }
    }
    (handle, receiver)
}

impl FeedHandle {
    fn spawn_shard(&mut self, instruments: Vec<(String, InstrumentId)>) {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let index = self.shards.len();
        let connection = Connection {
            index,
            config: self.config.clone(),
            instruments: instruments.clone(),
            output: self.output.clone(),
            shutdown: self.shutdown.subscribe(),
            commands: command_rx,
        };
        let task = tokio::spawn(connection.run());
        self.shards.push(Shard {
            commands,
            assets: instruments.into_iter().map(|(key, _)| key).collect(),
            task,
        });
    }

    /// How many connections the feed uses.
    pub fn connections(&self) -> usize {
        self.shards.len()
    }

    /// Adds a Polymarket asset: to the first connection with room, or a
    /// new connection. (Coinbase subscriptions are fixed at start.)
    pub fn subscribe(&mut self, asset: &str, instrument: InstrumentId) {
        if self.config.venue != FeedVenue::Polymarket
            || self
                .shards
                .iter()
                .any(|s| s.assets.iter().any(|a| a == asset))
        {
            return;
        }
        let cap = self.config.max_assets_per_connection.max(1);
        if let Some(shard) = self.shards.iter_mut().find(|s| s.assets.len() < cap) {
            shard.assets.push(asset.to_owned());
            let _ = shard
                .commands
                .send(Command::Subscribe(asset.to_owned(), instrument));
        } else {
            self.spawn_shard(vec![(asset.to_owned(), instrument)]);
        }
    }

    /// Removes a Polymarket asset from its connection.
    pub fn unsubscribe(&mut self, asset: &str) {
        for shard in &mut self.shards {
            if let Some(at) = shard.assets.iter().position(|a| a == asset) {
                shard.assets.remove(at);
                let _ = shard.commands.send(Command::Unsubscribe(asset.to_owned()));
            }
        }
    }

    /// Closes every connection and waits for the tasks.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for shard in self.shards {
            let _ = shard.task.await;
        }
    }
}

enum Decoder {
    Polymarket(PolymarketDecoder, PolymarketSubscriptions),
    Coinbase(CoinbaseDecoder, CoinbaseSubscriptions),
}

impl Decoder {
    fn on_connected(&mut self) -> Vec<String> {
        match self {
            Self::Polymarket(_, subs) => subs.on_connected(),
            Self::Coinbase(_, subs) => subs.on_connected(),
        }
    }

    fn connection_reset(&mut self, now: Timestamp, out: &mut WsOutput) {
        match self {
            Self::Polymarket(decoder, subs) => {
                subs.on_disconnected();
                decoder.connection_reset(now, out);
            }
            Self::Coinbase(decoder, _) => decoder.connection_reset(now, out),
        }
    }
}

/// Why a connection ended.
enum End {
    Shutdown,
    Failed(String),
}

struct Connection {
    index: usize,
    config: FeedConfig,
    instruments: Vec<(String, InstrumentId)>,
    output: mpsc::Sender<FeedMessage>,
    shutdown: watch::Receiver<bool>,
    commands: mpsc::UnboundedReceiver<Command>,
}

fn ping_message() -> Message {
    Message::text("PING")
}

impl Connection {
    fn decoder(&self) -> Decoder {
        let mut map = InstrumentMap::new();
        for (key, id) in &self.instruments {
            map.insert(key, *id);
        }
        let keys = self.instruments.iter().map(|(k, _)| k.clone()).collect();
        match self.config.venue {
            FeedVenue::Polymarket => Decoder::Polymarket(
                PolymarketDecoder::new(map),
                PolymarketSubscriptions::new(keys, self.config.max_assets_per_connection),
            ),
            FeedVenue::Coinbase => {
                let channels: Vec<&str> = self
                    .config
                    .coinbase_channels
                    .iter()
                    .map(String::as_str)
                    .collect();
                Decoder::Coinbase(
                    CoinbaseDecoder::new(map),
                    CoinbaseSubscriptions::new(keys, &channels),
                )
            }
        }
    }

    async fn emit(&self, output: WsOutput, error: Option<String>) -> bool {
        let message = FeedMessage {
            connection: self.index,
            received: wall_clock(),
            output,
            error,
        };
        self.output.send(message).await.is_ok()
    }

    async fn run(mut self) {
        let mut decoder = self.decoder();
        let seed = self.config.seed ^ (self.index as u64).wrapping_mul(0x9e37_79b9);
        let mut backoff = Backoff::new(self.config.backoff, seed);
        loop {
            if *self.shutdown.borrow() {
                return;
            }
            let connect = tokio_tungstenite::connect_async(self.config.url.as_str());
            let end = match tokio::time::timeout(self.config.connect_timeout, connect).await {
                Ok(Ok((socket, _))) => self.session(socket, &mut decoder, &mut backoff).await,
                Ok(Err(error)) => End::Failed(format!("connect: {error}")),
                Err(_) => End::Failed("connect: timed out".to_owned()),
            };
            let mut out = WsOutput::default();
            decoder.connection_reset(wall_clock(), &mut out);
            match end {
                End::Shutdown => {
                    let _ = self.emit(out, None).await;
                    return;
                }
                End::Failed(reason) => out.notices.push(FeedNotice::ConnectionLost(reason)),
            }
            if !self.emit(out, None).await {
                return;
            }
            let delay = backoff.next_delay();
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = self.shutdown.changed() => return,
            }
        }
    }

    async fn session<S>(
        &mut self,
        mut socket: tokio_tungstenite::WebSocketStream<S>,
        decoder: &mut Decoder,
        backoff: &mut Backoff,
    ) -> End
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        for text in decoder.on_connected() {
            if let Err(error) = socket.send(Message::text(text)).await {
                return End::Failed(format!("subscribe: {error}"));
            }
        }
        let mut liveness = Liveness::new(self.config.liveness, wall_clock());
        let mut out = WsOutput::default();
        loop {
            let wait = Duration::from_nanos(
                liveness
                    .next_deadline()
                    .saturating_nanos_since(wall_clock()),
            );
            tokio::select! {
                _ = self.shutdown.changed() => {
                    let _ = socket.close(None).await;
                    return End::Shutdown;
                }
                Some(command) = self.commands.recv() => {
                    if let Some(text) = apply_command(decoder, command)
                        && let Err(error) = socket.send(Message::text(text)).await
                    {
                        return End::Failed(format!("send: {error}"));
                    }
                }
                () = tokio::time::sleep(wait) => {
                    while let Some(action) = liveness.poll(wall_clock()) {
                        match action {
                            LivenessAction::SendPing => {
                                if let Err(error) = socket.send(ping_message()).await {
                                    return End::Failed(format!("ping: {error}"));
                                }
                            }
                            LivenessAction::Report(status) => {
                                let mut stale = WsOutput::default();
                                stale.notices.push(FeedNotice::Status(status));
                                if !self.emit(stale, None).await {
                                    return End::Shutdown;
                                }
                            }
                            LivenessAction::Reconnect => {
                                return End::Failed("silent for too long".to_owned());
                            }
                        }
                    }
                }
                frame = socket.next() => {
                    let text = match frame {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(_))) | None => {
                            return End::Failed("closed by the server".to_owned());
                        }
                        Some(Ok(_)) => continue, // binary, ping, pong
                        Some(Err(error)) => return End::Failed(format!("read: {error}")),
                    };
                    let now = wall_clock();
                    out.clear();
                    let error = match decoder {
                        Decoder::Polymarket(d, _) => d.decode_text(&text, now, &mut out),
                        Decoder::Coinbase(d, _) => d.decode_text(&text, now, &mut out),
                    }
                    .err()
                    .map(|e| e.to_string());
                    let alive = match decoder {
                        Decoder::Polymarket(..) => true,
                        Decoder::Coinbase(..) => out
                            .notices
                            .iter()
                            .any(|n| matches!(n, FeedNotice::Heartbeat { .. })),
                    };
                    if alive {
                        if let Some(status) = liveness.on_alive(now) {
                            out.notices.push(FeedNotice::Status(status));
                        }
                        backoff.reset();
                    }
                    for text in resnapshots(decoder, &out) {
                        if let Err(error) = socket.send(Message::text(text)).await {
                            return End::Failed(format!("resubscribe: {error}"));
                        }
                    }
                    if (!out.events.is_empty() || !out.notices.is_empty() || error.is_some())
                        && !self.emit(std::mem::take(&mut out), error).await
                    {
                        return End::Shutdown;
                    }
                }
            }
        }
    }
}

fn apply_command(decoder: &mut Decoder, command: Command) -> Option<String> {
    let Decoder::Polymarket(pm, subs) = decoder else {
        return None;
    };
    match command {
        Command::Subscribe(asset, id) => {
            pm.add_instrument(&asset, id);
            subs.subscribe(&asset).ok().flatten()
        }
        Command::Unsubscribe(asset) => subs.unsubscribe(&asset),
    }
}

/// The messages that ask the venue for fresh snapshots, as the decoder
/// requested in `out`.
fn resnapshots(decoder: &Decoder, out: &WsOutput) -> Vec<String> {
    let mut messages = Vec::new();
    for notice in &out.notices {
        let FeedNotice::ResnapshotNeeded(ids) = notice else {
            continue;
        };
        match decoder {
            Decoder::Coinbase(_, subs) => messages.extend(subs.resnapshot()),
            Decoder::Polymarket(pm, subs) => {
                for id in ids {
                    if let Some((asset, _)) = pm.instruments().iter().find(|(_, i)| i == id) {
                        messages.extend(subs.resnapshot(asset));
                    }
                }
            }
        }
    }
    messages
}

/// Whether a status means the feed's books can be trusted.
pub const fn is_ready(status: FeedStatus) -> bool {
    matches!(status, FeedStatus::Live)
}
