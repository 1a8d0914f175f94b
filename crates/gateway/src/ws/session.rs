//! The sans-IO side of a websocket feed connection: what to send on
//! connect and later, when to ping, when the feed is stale or dead, and how
//! long to wait before reconnecting. No sockets, no clock: time comes in as
//! [`Timestamp`]s, so every decision is testable with simulated time; the
//! tokio driver in [`super::client`] only carries it out.
//!
//! - [`Backoff`]: exponential reconnect delays with seeded jitter.
//! - [`PolymarketSubscriptions`]: the assets of one connection (capped),
//!   the initial `type: market` message on every connect with all of them
//!   in order, and `operation: subscribe/unsubscribe` for later changes.
//!   [`shard`] spreads assets over connections.
//! - [`CoinbaseSubscriptions`]: one `subscribe` per channel, `heartbeats`
//!   first, then the others in the order given; `level2` again after a gap.
//! - [`Liveness`]: keep-alive pings (Polymarket text `PING`), a staleness
//!   alarm when nothing (Coinbase: no heartbeat) arrived for a while, and a
//!   reconnect when the silence goes on.
//!
//! ```
//! use gateway::ws::session::{Backoff, BackoffConfig};
//! use std::time::Duration;
//!
//! let mut backoff = Backoff::new(BackoffConfig::default(), 7);
//! let first = backoff.next_delay();
//! assert!(first <= Duration::from_secs(1));
//! let mut again = Backoff::new(BackoffConfig::default(), 7);
//! assert_eq!(again.next_delay(), first); // same seed, same schedule
//! ```

use std::time::Duration;

use model::{FeedStatus, Timestamp};

/// Reconnect delays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffConfig {
    /// The first delay.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// Each failure multiplies the delay by this.
    pub multiplier: u32,
    /// Up to this share of each delay (in percent) is taken off at random,
    /// so that many clients do not reconnect in step.
    pub jitter_percent: u8,
}

impl Default for BackoffConfig {
    /// 1 s doubling to 60 s, 20 % jitter (Polymarket's official client
    /// uses 1 s → 60 s).
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            multiplier: 2,
            jitter_percent: 20,
        }
    }
}

/// Exponential backoff with jitter from a seeded generator (no OS
/// randomness): the same seed gives the same schedule.
#[derive(Clone, Debug)]
pub struct Backoff {
    config: BackoffConfig,
    current: Duration,
    state: u64,
}

impl Backoff {
    /// A schedule starting at `config.initial`.
    pub const fn new(config: BackoffConfig, seed: u64) -> Self {
        Self {
            config,
            current: config.initial,
            state: seed,
        }
    }

    /// splitmix64.
    const fn next_random(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The delay before the next attempt; the one after grows.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.current.min(self.config.max);
        let jitter_max = base.as_nanos() * u128::from(self.config.jitter_percent.min(100)) / 100;
        let jitter = if jitter_max == 0 {
            0
        } else {
            u128::from(self.next_random()) % (jitter_max + 1)
        };
        let nanos = base.as_nanos().saturating_sub(jitter);
        self.current = self
            .current
            .saturating_mul(self.config.multiplier.max(1))
            .min(self.config.max);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// A connection succeeded: start again from the initial delay.
    pub const fn reset(&mut self) {
        self.current = self.config.initial;
    }
}

/// Splits `assets` over connections of at most `cap` assets each, keeping
/// their order (a cap of zero is taken as one).
pub fn shard<T: Clone>(assets: &[T], cap: usize) -> Vec<Vec<T>> {
    assets.chunks(cap.max(1)).map(<[T]>::to_vec).collect()
}

fn json_strings(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// Why a subscription change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscribeError {
    /// The connection already carries its cap of assets.
    #[error("connection is full ({cap} assets)")]
    Full {
        /// The cap.
        cap: usize,
    },
}

/// The assets of one Polymarket `market` connection and the messages that
/// (re)establish them.
#[derive(Clone, Debug)]
pub struct PolymarketSubscriptions {
    assets: Vec<String>,
    cap: usize,
    initial_sent: bool,
}

impl PolymarketSubscriptions {
    /// A connection for `assets` (in order), holding at most `cap`.
    pub fn new(assets: Vec<String>, cap: usize) -> Self {
        Self {
            assets,
            cap: cap.max(1),
            initial_sent: false,
        }
    }

    /// The assets, in subscription order.
    pub fn assets(&self) -> &[String] {
        &self.assets
    }

    /// Whether another asset fits.
    pub fn has_room(&self) -> bool {
        self.assets.len() < self.cap
    }

    /// A connection is up: the one initial message, with every retained
    /// asset in order (the server then sends a `book` for each). The
    /// initial message must not be sent twice on one connection (the
    /// server answers `INVALID OPERATION`).
    pub fn on_connected(&mut self) -> Vec<String> {
        self.initial_sent = true;
        vec![format!(
            r#"{{"type":"market","assets_ids":{},"initial_dump":true,"custom_feature_enabled":true}}"#,
            json_strings(&self.assets)
        )]
    }

    /// The connection is down; the next connect sends the initial message.
    pub const fn on_disconnected(&mut self) {
        self.initial_sent = false;
    }

    /// Adds `asset`; returns the message to send now (none while
    /// disconnected: the next initial message carries it).
    pub fn subscribe(&mut self, asset: &str) -> Result<Option<String>, SubscribeError> {
        if self.assets.iter().any(|a| a == asset) {
            return Ok(None);
        }
        if !self.has_room() {
            return Err(SubscribeError::Full { cap: self.cap });
        }
        self.assets.push(asset.to_owned());
        Ok(self
            .initial_sent
            .then(|| self.operation("subscribe", asset)))
    }

    /// Removes `asset`; returns the message to send now, if connected and
    /// the asset was subscribed.
    pub fn unsubscribe(&mut self, asset: &str) -> Option<String> {
        let at = self.assets.iter().position(|a| a == asset)?;
        self.assets.remove(at);
        self.initial_sent
            .then(|| self.operation("unsubscribe", asset))
    }

    /// Unsubscribe then subscribe `asset` again, for a fresh `book` (after
    /// a tick-size change).
    pub fn resnapshot(&self, asset: &str) -> Vec<String> {
        if !self.initial_sent || !self.assets.iter().any(|a| a == asset) {
            return Vec::new();
        }
        vec![
            self.operation("unsubscribe", asset),
            self.operation("subscribe", asset),
        ]
    }

    fn operation(&self, operation: &str, asset: &str) -> String {
        let features = if operation == "subscribe" {
            r#","custom_feature_enabled":true"#
        } else {
            ""
        };
        format!(
            r#"{{"assets_ids":{},"operation":"{operation}"{features}}}"#,
            json_strings(&[asset.to_owned()])
        )
    }
}

/// The channels and products of one Coinbase Advanced Trade connection.
#[derive(Clone, Debug)]
pub struct CoinbaseSubscriptions {
    products: Vec<String>,
    channels: Vec<String>,
}

impl CoinbaseSubscriptions {
    /// `channels` (such as `level2`, `market_trades`, `ticker`) for
    /// `products`; `heartbeats` is added first if missing.
    pub fn new(products: Vec<String>, channels: &[&str]) -> Self {
        let mut all = vec!["heartbeats".to_owned()];
        all.extend(
            channels
                .iter()
                .filter(|c| **c != "heartbeats")
                .map(|c| (*c).to_owned()),
        );
        Self {
            products,
            channels: all,
        }
    }

    /// The products.
    pub fn products(&self) -> &[String] {
        &self.products
    }

    /// The channels, in subscription order.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    fn message(&self, kind: &str, channel: &str) -> String {
        format!(
            r#"{{"type":"{kind}","product_ids":{},"channel":"{channel}"}}"#,
            json_strings(&self.products)
        )
    }

    /// A connection is up: one `subscribe` per channel, in order. Send
    /// them at once: the server disconnects a client that has not
    /// subscribed within 5 s.
    pub fn on_connected(&self) -> Vec<String> {
        self.channels
            .iter()
            .map(|c| self.message("subscribe", c))
            .collect()
    }

    /// After a sequence gap: unsubscribe and subscribe `level2` again so
    /// that fresh snapshots replace the books.
    pub fn resnapshot(&self) -> Vec<String> {
        if !self.channels.iter().any(|c| c == "level2") {
            return Vec::new();
        }
        vec![
            self.message("unsubscribe", "level2"),
            self.message("subscribe", "level2"),
        ]
    }
}

/// Keep-alive and staleness timings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LivenessConfig {
    /// Send a keep-alive this often (Polymarket: text `PING` every 10 s);
    /// `None` for venues without one.
    pub ping_interval: Option<Duration>,
    /// Report [`FeedStatus::Stale`] after this long without a sign of life.
    pub stale_after: Duration,
    /// Give the connection up (reconnect) after this long.
    pub dead_after: Duration,
}

impl LivenessConfig {
    /// Polymarket: `PING` every 10 s, stale after 15 s, dead after 30 s.
    pub const POLYMARKET: Self = Self {
        ping_interval: Some(Duration::from_secs(10)),
        stale_after: Duration::from_secs(15),
        dead_after: Duration::from_secs(30),
    };
    /// Coinbase: heartbeats every second; stale after 2.5 s without one,
    /// dead after 10 s.
    pub const COINBASE: Self = Self {
        ping_interval: None,
        stale_after: Duration::from_millis(2_500),
        dead_after: Duration::from_secs(10),
    };
}

/// What [`Liveness::poll`] asks the driver to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LivenessAction {
    /// Send the keep-alive.
    SendPing,
    /// Report this status (stale).
    Report(FeedStatus),
    /// Drop the connection and reconnect.
    Reconnect,
}

fn after(time: Timestamp, by: Duration) -> Timestamp {
    time.checked_add_nanos(u64::try_from(by.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(Timestamp::from_unix_nanos(u64::MAX))
}

/// Keep-alive and silence tracking for one connection, on given time.
#[derive(Clone, Debug)]
pub struct Liveness {
    config: LivenessConfig,
    last_alive: Timestamp,
    last_ping: Timestamp,
    stale: bool,
}

impl Liveness {
    /// A connection that came up at `now`.
    pub const fn new(config: LivenessConfig, now: Timestamp) -> Self {
        Self {
            config,
            last_alive: now,
            last_ping: now,
            stale: false,
        }
    }

    /// A sign of life (a heartbeat, a `PONG`, data) at `now`. Returns
    /// [`FeedStatus::Live`] if the feed was stale.
    pub fn on_alive(&mut self, now: Timestamp) -> Option<FeedStatus> {
        if now > self.last_alive {
            self.last_alive = now;
        }
        std::mem::take(&mut self.stale).then_some(FeedStatus::Live)
    }

    /// Whether the stale alarm is raised.
    pub const fn is_stale(&self) -> bool {
        self.stale
    }

    /// What is due at `now` (at most one action per call; call again until
    /// `None`).
    pub fn poll(&mut self, now: Timestamp) -> Option<LivenessAction> {
        let silent = now.saturating_nanos_since(self.last_alive);
        if u128::from(silent) >= self.config.dead_after.as_nanos() {
            return Some(LivenessAction::Reconnect);
        }
        if !self.stale && u128::from(silent) >= self.config.stale_after.as_nanos() {
            self.stale = true;
            return Some(LivenessAction::Report(FeedStatus::Stale {
                silent_nanos: silent,
            }));
        }
        if let Some(interval) = self.config.ping_interval
            && now >= after(self.last_ping, interval)
        {
            self.last_ping = now;
            return Some(LivenessAction::SendPing);
        }
        None
    }

    /// When [`Liveness::poll`] next has something to do.
    pub fn next_deadline(&self) -> Timestamp {
        let mut next = after(self.last_alive, self.config.dead_after);
        if !self.stale {
            next = next.min(after(self.last_alive, self.config.stale_after));
        }
        if let Some(interval) = self.config.ping_interval {
            next = next.min(after(self.last_ping, interval));
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: f64) -> Timestamp {
        Timestamp::from_unix_nanos((secs * 1e9) as u64)
    }

    #[test]
    fn backoff_doubles_to_the_cap_with_bounded_jitter_and_resets() {
        let config = BackoffConfig {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(2),
            multiplier: 2,
            jitter_percent: 20,
        };
        let mut backoff = Backoff::new(config, 42);
        let delays: Vec<_> = (0..6).map(|_| backoff.next_delay()).collect();
        let bases = [250, 500, 1000, 2000, 2000, 2000].map(Duration::from_millis);
        for (delay, base) in delays.iter().zip(bases) {
            assert!(
                *delay <= base && *delay >= base * 4 / 5,
                "{delay:?} vs {base:?}"
            );
        }
        backoff.reset();
        let first = backoff.next_delay();
        assert!(first <= Duration::from_millis(250));
        let mut same = Backoff::new(config, 42);
        assert_eq!(
            (0..6).map(|_| same.next_delay()).collect::<Vec<_>>(),
            delays
        );
        let mut other = Backoff::new(config, 43);
        assert_ne!(
            (0..6).map(|_| other.next_delay()).collect::<Vec<_>>(),
            delays
        );
    }

    #[test]
    fn backoff_without_jitter_is_exact() {
        let mut backoff = Backoff::new(
            BackoffConfig {
                jitter_percent: 0,
                ..BackoffConfig::default()
            },
            0,
        );
        let secs: Vec<_> = (0..8).map(|_| backoff.next_delay().as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60]);
    }

    #[test]
    fn sharding_keeps_order_and_cap() {
        let assets: Vec<_> = (0..5).map(|i| i.to_string()).collect();
        assert_eq!(
            shard(&assets, 2),
            [vec!["0", "1"], vec!["2", "3"], vec!["4"]]
        );
        assert_eq!(shard(&assets, 0).len(), 5);
        assert!(shard::<String>(&[], 3).is_empty());
    }

    #[test]
    fn polymarket_initial_once_per_connection_then_operations() {
        let mut subs = PolymarketSubscriptions::new(vec!["a".into(), "b".into()], 3);
        // Before the connection: retained, nothing to send.
        assert_eq!(subs.subscribe("c"), Ok(None));
        assert_eq!(subs.subscribe("d"), Err(SubscribeError::Full { cap: 3 }));
        assert_eq!(
            subs.on_connected(),
            [
                r#"{"type":"market","assets_ids":["a","b","c"],"initial_dump":true,"custom_feature_enabled":true}"#
            ]
        );
        assert_eq!(
            subs.unsubscribe("b").as_deref(),
            Some(r#"{"assets_ids":["b"],"operation":"unsubscribe"}"#)
        );
        assert_eq!(
            subs.subscribe("d").unwrap().as_deref(),
            Some(r#"{"assets_ids":["d"],"operation":"subscribe","custom_feature_enabled":true}"#)
        );
        assert_eq!(subs.subscribe("d"), Ok(None), "already there");
        assert_eq!(subs.resnapshot("a").len(), 2);
        // Reconnect: one initial message with the retained assets in order.
        subs.on_disconnected();
        assert!(subs.resnapshot("a").is_empty());
        let again = subs.on_connected();
        assert_eq!(again.len(), 1);
        assert!(again[0].contains(r#"["a","c","d"]"#));
    }

    #[test]
    fn coinbase_one_subscribe_per_channel_heartbeats_first() {
        let subs = CoinbaseSubscriptions::new(
            vec!["BTC-USD".into(), "ETH-USD".into()],
            &["level2", "heartbeats", "market_trades"],
        );
        assert_eq!(
            subs.on_connected(),
            [
                r#"{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"heartbeats"}"#,
                r#"{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"level2"}"#,
                r#"{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"market_trades"}"#,
            ]
        );
        let resnap = subs.resnapshot();
        assert!(resnap[0].contains(r#""type":"unsubscribe""#) && resnap[0].contains("level2"));
        assert!(resnap[1].contains(r#""type":"subscribe""#) && resnap[1].contains("level2"));
        assert!(
            CoinbaseSubscriptions::new(vec![], &["ticker"])
                .resnapshot()
                .is_empty()
        );
    }

    #[test]
    fn liveness_pings_alarms_and_gives_up_on_simulated_time() {
        let mut live = Liveness::new(LivenessConfig::POLYMARKET, at(0.0));
        assert_eq!(live.poll(at(5.0)), None);
        assert_eq!(live.next_deadline(), at(10.0));
        assert_eq!(live.poll(at(10.0)), Some(LivenessAction::SendPing));
        assert_eq!(live.poll(at(10.0)), None);
        assert_eq!(live.on_alive(at(10.1)), None); // PONG
        assert_eq!(live.poll(at(20.0)), Some(LivenessAction::SendPing));
        assert_eq!(
            live.poll(at(25.1)),
            Some(LivenessAction::Report(FeedStatus::Stale {
                silent_nanos: 15_000_000_000
            }))
        );
        assert!(live.is_stale());
        assert_eq!(live.poll(at(25.2)), None);
        assert_eq!(live.on_alive(at(26.0)), Some(FeedStatus::Live));
        assert_eq!(live.on_alive(at(26.5)), None);
        assert_eq!(live.poll(at(56.5)), Some(LivenessAction::Reconnect));
    }

    #[test]
    fn coinbase_heartbeats_stopping_raises_the_alarm() {
        let mut live = Liveness::new(LivenessConfig::COINBASE, at(0.0));
        for second in 1..=5 {
            live.on_alive(at(f64::from(second)));
            assert_eq!(live.poll(at(f64::from(second) + 0.5)), None);
        }
        assert_eq!(live.next_deadline(), at(7.5));
        assert!(matches!(
            live.poll(at(7.5)),
            Some(LivenessAction::Report(FeedStatus::Stale { .. }))
        ));
        assert_eq!(live.next_deadline(), at(15.0));
        assert_eq!(live.poll(at(15.0)), Some(LivenessAction::Reconnect));
    }
}
