//! The TCP driver of the [`Engine`]: one task on one thread owns the
//! engine and both connections (QUOTE and TRADE), so decode → session →
//! pipeline → risk/OMS → encode never crosses a thread. Logging and
//! metrics rendering happen elsewhere: log lines go to a writer thread
//! ([`RunLog`]), metrics are relaxed atomic stores.
//!
//! The driver connects each channel (and reconnects after a loss, with a
//! fixed interval), feeds bytes and timers to the engine, writes what it
//! gives, closes what it says, and stops on request: strategies off and
//! working orders canceled (waiting at most [`CANCEL_WAIT`] for the
//! venue's answers), then the sessions logged out (at most
//! [`LOGOUT_WAIT`]), the journal committed.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use gateway::fix::link::Channel;
use gateway::fix::store::MessageStore;
use gateway::transport::log::SessionLog;
use gateway::transport::wall_clock;
use model::Timestamp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::control::{ControlInbox, ControlRequest};
use crate::engine::{Engine, EngineError};
use crate::feeds::{FeedInbox, FeedItem};
pub use crate::logging::RunLog;

/// Longest wait for the cancels of working orders at a stop.
pub const CANCEL_WAIT: Duration = Duration::from_secs(2);

/// Longest wait for the Logout answers at a stop.
pub const LOGOUT_WAIT: Duration = Duration::from_secs(3);

/// Bytes read at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Where and how the driver connects.
#[derive(Clone, Debug)]
pub struct DriverOptions {
    /// Address of each channel's acceptor, QUOTE first when there is one.
    pub addresses: Vec<(Channel, SocketAddr)>,
    /// Wait after a failed connect or a lost connection.
    pub reconnect_interval: Duration,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Call the status callback this often.
    pub status_interval: Duration,
}

/// What the driver measured.
#[derive(Clone, Debug, Default)]
pub struct DriverReport {
    /// Tick-to-order latencies in nanoseconds: from the read that brought
    /// market data to the write of the order actions it caused (new,
    /// cancel, replace) on TRADE.
    pub tick_to_order_nanos: Vec<u64>,
    /// Connections made, per channel, in order.
    pub connects: u64,
    /// Whether every session logged out cleanly at the stop.
    pub clean_logout: bool,
}

/// Hooks the driver calls on the engine's thread.
pub trait DriverHooks<S: MessageStore> {
    /// Every status interval.
    fn status(&mut self, engine: &Engine<S>, now: Timestamp);
    /// Every tick-to-order latency measured.
    fn tick_to_order(&mut self, _nanos: u64) {}
    /// The control plane's requests, if it runs ([`crate::control`]).
    fn control(&mut self) -> Option<&mut ControlInbox> {
        None
    }
}

/// The next control plane request; never, without a control plane or
/// once it has gone.
async fn next_control(inbox: Option<&mut ControlInbox>) -> ControlRequest {
    if let Some(inbox) = inbox
        && let Some(request) = inbox.recv().await
    {
        return request;
    }
    std::future::pending().await
}

struct Connection {
    channel: Channel,
    address: SocketAddr,
    stream: Option<TcpStream>,
    connecting: Option<JoinHandle<std::io::Result<TcpStream>>>,
    next_attempt: Instant,
    log: Option<SessionLog>,
    read_buf: Vec<u8>,
}

/// What woke the driver up on one connection (or a websocket feed).
enum Wake {
    Read(std::io::Result<usize>),
    Connected(std::io::Result<TcpStream>),
    Feed(FeedItem),
}

/// The next websocket feed message; never, without feeds or once they
/// have all stopped.
async fn next_feed(inbox: Option<&mut FeedInbox>) -> FeedItem {
    if let Some(inbox) = inbox
        && let Some(item) = inbox.recv().await
    {
        return item;
    }
    std::future::pending().await
}

/// The next thing to happen on `connection`: bytes (or the end) when
/// connected, the connect's result when connecting; never otherwise.
async fn next_on(connection: Option<&mut Connection>) -> Wake {
    let Some(connection) = connection else {
        return std::future::pending().await;
    };
    if let Some(stream) = connection.stream.as_mut() {
        return Wake::Read(stream.read(&mut connection.read_buf).await);
    }
    if let Some(handle) = connection.connecting.as_mut() {
        return Wake::Connected(
            handle
                .await
                .unwrap_or_else(|error| Err(std::io::Error::other(error))),
        );
    }
    std::future::pending().await
}

async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Writes what the engine has for `connection`; a failed write drops the
/// connection. Returns whether bytes were written.
async fn write_out<S: MessageStore>(
    engine: &mut Engine<S>,
    connection: &mut Connection,
    buf: &mut Vec<u8>,
    reconnect_interval: Duration,
) -> bool {
    let Some(stream) = connection.stream.as_mut() else {
        return false;
    };
    buf.clear();
    if !engine.poll_transmit(connection.channel, buf) {
        return false;
    }
    if let Some(log) = &connection.log {
        log.outgoing(wall_clock(), buf);
    }
    if stream.write_all(buf).await.is_err() {
        connection.stream = None;
        connection.next_attempt = Instant::now() + reconnect_interval;
        engine.disconnected(connection.channel, wall_clock());
        return false;
    }
    true
}

/// Runs `engine` over TCP until the duration ends or `stop` turns true;
/// see the [module docs](self). `fix_logs` is a directory for each
/// session's message log; `feeds` are websocket market-data messages
/// ([`crate::feeds`]), applied as they come, on this thread.
pub async fn drive<S: MessageStore>(
    engine: &mut Engine<S>,
    options: &DriverOptions,
    mut stop: watch::Receiver<bool>,
    log: &RunLog,
    fix_logs: Option<&Path>,
    hooks: &mut dyn DriverHooks<S>,
    mut feeds: Option<&mut FeedInbox>,
) -> Result<DriverReport, EngineError> {
    let started = Instant::now();
    let end = options.duration.map(|duration| started + duration);
    let mut connections: Vec<Connection> = options
        .addresses
        .iter()
        .map(|(channel, address)| Connection {
            channel: *channel,
            address: *address,
            stream: None,
            connecting: None,
            next_attempt: started,
            log: fix_logs.and_then(|dir| {
                SessionLog::open(dir, &engine.link().session(*channel).config().id).ok()
            }),
            read_buf: vec![0u8; READ_CHUNK],
        })
        .collect();
    let mut report = DriverReport::default();
    let mut next_status = started + options.status_interval;
    // A stop has two phases: cancel working orders (until none is left,
    // or CANCEL_WAIT), then log out (until every connection is closed, or
    // LOGOUT_WAIT).
    let mut canceling: Option<Instant> = None;
    let mut stopping: Option<Instant> = None;
    let mut write_buf = Vec::with_capacity(READ_CHUNK);
    loop {
        // Output first: everything the last input or timer produced.
        for connection in &mut connections {
            write_out(
                engine,
                connection,
                &mut write_buf,
                options.reconnect_interval,
            )
            .await;
        }
        while let Some(channel) = engine.poll_close() {
            if let Some(connection) = connections.iter_mut().find(|c| c.channel == channel)
                && let Some(mut stream) = connection.stream.take()
            {
                let _ = stream.shutdown().await;
                connection.next_attempt = Instant::now() + options.reconnect_interval;
                engine.disconnected(channel, wall_clock());
            }
        }
        // An operator's logon: connect now, not after the interval.
        while let Some(channel) = engine.poll_connect() {
            if let Some(connection) = connections.iter_mut().find(|c| c.channel == channel) {
                connection.next_attempt = Instant::now();
            }
        }
        while let Some(record) = engine.poll_log() {
            log.record(wall_clock(), record);
        }
        if let Some(failure) = engine.failure() {
            log.line(wall_clock(), format!("stopping: {failure}"));
            break;
        }
        let now_instant = Instant::now();
        if let Some(since) = canceling
            && (engine.open_orders() == 0
                || !engine.execution_connected()
                || now_instant >= since + CANCEL_WAIT)
        {
            canceling = None;
            stopping = Some(now_instant);
            engine.logout(wall_clock());
            continue;
        }
        if let Some(since) = stopping {
            let all_down = connections.iter().all(|c| c.stream.is_none());
            if all_down || now_instant >= since + LOGOUT_WAIT {
                report.clean_logout = all_down;
                break;
            }
        }
        // Start connects that are due.
        if stopping.is_none() && canceling.is_none() {
            for connection in &mut connections {
                if connection.stream.is_none()
                    && connection.connecting.is_none()
                    && connection.next_attempt <= now_instant
                    && !engine.is_held_down(connection.channel)
                {
                    let address = connection.address;
                    connection.connecting = Some(tokio::spawn(TcpStream::connect(address)));
                }
            }
        }
        let mut deadline = next_status;
        if let Some(end) = end {
            deadline = deadline.min(end);
        }
        if let Some(since) = stopping {
            deadline = deadline.min(since + LOGOUT_WAIT);
        }
        if let Some(since) = canceling {
            deadline = deadline.min(since + CANCEL_WAIT);
        }
        for connection in &connections {
            if connection.stream.is_none()
                && connection.connecting.is_none()
                && !engine.is_held_down(connection.channel)
            {
                deadline = deadline.min(connection.next_attempt);
            }
        }
        if let Some(at) = engine.poll_timeout() {
            let wait = at.saturating_nanos_since(wall_clock());
            deadline = deadline.min(now_instant + Duration::from_nanos(wait));
        }
        let wake = {
            let [first, second] = split_two(&mut connections);
            tokio::select! {
                biased;
                wake = next_on(first) => Some((0, wake)),
                wake = next_on(second) => Some((1, wake)),
                item = next_feed(feeds.as_deref_mut()) => Some((0, Wake::Feed(item))),
                () = tokio::time::sleep_until(deadline.into()) => None,
                () = stop_requested(&mut stop), if stopping.is_none() && canceling.is_none() => {
                    canceling = Some(Instant::now());
                    engine.begin_stop(wall_clock());
                    continue;
                }
                // Operator commands (the control plane), answered here on
                // the trading thread.
                request = next_control(hooks.control()) => {
                    let now = wall_clock();
                    if let Some(line) = crate::control::handle(engine, request, now) {
                        log.line(now, line);
                    }
                    continue;
                }
            }
        };
        match wake {
            Some((index, Wake::Read(read))) => {
                let arrived = Instant::now();
                let Some(connection) = connections.get_mut(index) else {
                    continue;
                };
                let now = wall_clock();
                match read {
                    Ok(len) if len > 0 => {
                        let bytes = &connection.read_buf[..len];
                        if let Some(log) = &connection.log {
                            log.incoming(now, bytes);
                        }
                        let outcome = engine.handle_input(connection.channel, now, bytes);
                        if outcome.order_actions > 0 && outcome.market_events > 0 {
                            // Tick to order: market data read → the order
                            // actions it caused written on TRADE.
                            if let Some(trade) =
                                connections.iter_mut().find(|c| c.channel == Channel::Trade)
                                && write_out(
                                    engine,
                                    trade,
                                    &mut write_buf,
                                    options.reconnect_interval,
                                )
                                .await
                            {
                                let nanos =
                                    u64::try_from(arrived.elapsed().as_nanos()).unwrap_or(u64::MAX);
                                report.tick_to_order_nanos.push(nanos);
                                hooks.tick_to_order(nanos);
                            }
                        }
                    }
                    _ => {
                        connection.stream = None;
                        connection.next_attempt = Instant::now() + options.reconnect_interval;
                        engine.disconnected(connection.channel, now);
                    }
                }
            }
            Some((_, Wake::Feed(item))) => {
                let arrived = Instant::now();
                let now = wall_clock();
                let (name, instruments) = feeds
                    .as_deref()
                    .map_or((String::new(), &[][..]), |inbox| inbox.route(&item));
                let outcome = engine.on_feed_message(now, &name, instruments, item.message);
                if outcome.order_actions > 0
                    && outcome.market_events > 0
                    && let Some(trade) =
                        connections.iter_mut().find(|c| c.channel == Channel::Trade)
                    && write_out(engine, trade, &mut write_buf, options.reconnect_interval).await
                {
                    let nanos = u64::try_from(arrived.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    report.tick_to_order_nanos.push(nanos);
                    hooks.tick_to_order(nanos);
                }
            }
            Some((index, Wake::Connected(result))) => {
                if let Some(connection) = connections.get_mut(index) {
                    on_connect(engine, connection, result, options, log, &mut report);
                }
            }
            None => {
                let now = wall_clock();
                engine.handle_timeout(now);
                let instant = Instant::now();
                if instant >= next_status {
                    hooks.status(engine, now);
                    next_status += options.status_interval;
                    if next_status <= instant {
                        next_status = instant + options.status_interval;
                    }
                }
                if stopping.is_none()
                    && canceling.is_none()
                    && end.is_some_and(|end| instant >= end)
                {
                    canceling = Some(instant);
                    engine.begin_stop(now);
                }
            }
        }
    }
    for connection in &mut connections {
        if let Some(handle) = connection.connecting.take() {
            handle.abort();
        }
        if let Some(mut stream) = connection.stream.take() {
            let _ = stream.shutdown().await;
            engine.disconnected(connection.channel, wall_clock());
        }
        if let Some(log) = &connection.log {
            log.flush();
        }
    }
    while let Some(record) = engine.poll_log() {
        log.record(wall_clock(), record);
    }
    engine.close(wall_clock())?;
    Ok(report)
}

/// The first two connections as separate borrows, for one `select!`.
fn split_two(connections: &mut [Connection]) -> [Option<&mut Connection>; 2] {
    match connections {
        [] => [None, None],
        [one] => [Some(one), None],
        [one, two, ..] => [Some(one), Some(two)],
    }
}

fn on_connect<S: MessageStore>(
    engine: &mut Engine<S>,
    connection: &mut Connection,
    result: std::io::Result<TcpStream>,
    options: &DriverOptions,
    log: &RunLog,
    report: &mut DriverReport,
) {
    connection.connecting = None;
    match result {
        Ok(stream) if engine.is_held_down(connection.channel) => {
            // An operator logged the session out while this connect was
            // under way: it stays down.
            drop(stream);
            log.line(
                wall_clock(),
                format!(
                    "{} connected after an operator's logout: closed",
                    connection.channel
                ),
            );
        }
        Ok(stream) => {
            let _ = stream.set_nodelay(true);
            connection.stream = Some(stream);
            report.connects += 1;
            engine.connected(connection.channel, wall_clock());
        }
        Err(error) => {
            log.line(
                wall_clock(),
                format!(
                    "{} connect to {} failed: {error}; retrying in {:?}",
                    connection.channel, connection.address, options.reconnect_interval
                ),
            );
            connection.next_attempt = Instant::now() + options.reconnect_interval;
        }
    }
}
