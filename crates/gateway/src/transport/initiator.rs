//! Connecting sessions: connect, run the session, and reconnect after a
//! loss with exponential backoff plus jitter, so that many initiators
//! restarting together do not reconnect in lockstep. With TLS, the
//! handshake is part of connecting: its failures are logged and retried
//! like failed connects.

use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsConnector;

use super::connection::SessionHost;
use super::wall_clock;

/// Where and how an initiator connects.
#[derive(Clone, Debug)]
pub struct InitiatorOptions {
    /// SocketConnectHost.
    pub host: String,
    /// SocketConnectPort.
    pub port: u16,
    /// ReconnectInterval: the first wait after a loss; waits double up to
    /// `max_backoff`.
    pub reconnect_interval: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// TLS over the connection when set (SocketUseSSL); plain TCP
    /// otherwise.
    pub tls: Option<InitiatorTls>,
}

/// How an initiator runs TLS: built from settings by
/// [`tls::initiator`](super::tls::initiator).
#[derive(Clone, Debug)]
pub struct InitiatorTls {
    /// The rustls client configuration (roots, versions, client
    /// certificate).
    pub config: Arc<ClientConfig>,
    /// The name the server's certificate must carry, also sent as SNI.
    pub server_name: ServerName<'static>,
}

/// Runs `host` as an initiator until `stop` turns true: connect, run the
/// session until the connection ends, wait, reconnect. Outside session
/// time it waits for the session's StartTime instead of connecting.
/// Returns the host (its session and store) when stopped. A stop while
/// connected logs out first.
pub async fn run(
    mut host: SessionHost,
    options: InitiatorOptions,
    mut stop: watch::Receiver<bool>,
) -> SessionHost {
    let mut failures = 0u32;
    let mut jitter = Jitter::seeded(wall_clock().unix_nanos());
    host.stop = Some(stop.clone());
    while !*stop.borrow() {
        // As QuickFIX's initiators: no connection outside session time.
        let now = wall_clock();
        if let Some(schedule) = &host.session.config().schedule
            && !schedule.is_session_time(now)
        {
            let start = schedule.next_change(now);
            if let Some(log) = &host.log {
                log.event(
                    now,
                    format!("Outside of session time; connecting at {start}"),
                );
            }
            let wait = Duration::from_nanos(start.saturating_nanos_since(now));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let connected = tokio::select! {
            connected = TcpStream::connect((options.host.as_str(), options.port)) => connected,
            _ = stop.changed() => break,
        };
        let failure = match (connected, &options.tls) {
            (Ok(mut stream), None) => {
                let _ = stream.set_nodelay(true);
                failures = 0;
                host.run(&mut stream, &[]).await;
                None
            }
            (Ok(stream), Some(tls)) => {
                let _ = stream.set_nodelay(true);
                // LogonTimeout bounds the handshake too: a server that
                // never answers it would otherwise hold the session.
                let limit =
                    Duration::from_secs(host.session.config().logon_timeout_secs.max(1).into());
                let connector = TlsConnector::from(Arc::clone(&tls.config));
                let handshake = tokio::select! {
                    handshake = tokio::time::timeout(
                        limit,
                        connector.connect(tls.server_name.clone(), stream),
                    ) => handshake,
                    _ = stop.changed() => break,
                };
                match handshake {
                    Ok(Ok(mut stream)) => {
                        failures = 0;
                        host.run(&mut stream, &[]).await;
                        None
                    }
                    Ok(Err(error)) => Some(format!(
                        "TLS handshake with {}:{} (server name {}) failed: {error}",
                        options.host,
                        options.port,
                        tls.server_name.to_str()
                    )),
                    Err(_) => Some(format!(
                        "TLS handshake with {}:{} did not finish within {}s",
                        options.host,
                        options.port,
                        limit.as_secs()
                    )),
                }
            }
            (Err(error), _) => Some(format!(
                "Connection to {}:{} failed: {error}",
                options.host, options.port
            )),
        };
        if let Some(text) = failure {
            failures = failures.saturating_add(1);
            if let Some(log) = &host.log {
                log.event(wall_clock(), text);
            }
        }
        let base = options
            .reconnect_interval
            .saturating_mul(1 << failures.min(16));
        let wait = base.min(options.max_backoff);
        let wait = wait + jitter.up_to(wait / 2);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
    host
}

/// xorshift64*: jitter needs spread, not secrecy.
struct Jitter(u64);

impl Jitter {
    fn seeded(seed: u64) -> Self {
        Self(seed | 1)
    }

    fn up_to(&mut self, limit: Duration) -> Duration {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let sample = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let nanos = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(if nanos == 0 { 0 } else { sample % nanos })
    }
}
