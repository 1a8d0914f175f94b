//! The simulated venue over TCP: [`VenueServer::start`] listens on the
//! profile's QUOTE and TRADE ports (one port for a generic venue) with the
//! gateway's [`Acceptor`], runs one session per account and role with an
//! in-memory store (sequence numbers reset at every Logon anyway), and
//! shares one [`VenueCore`] between them behind a mutex (the venue is not
//! EMP's hot path). A ticker task calls [`VenueCore::tick`] every
//! sub-step; messages for a session other than the one being served are
//! delivered through its [`SessionHost::wake`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use venue::exchange::profile::VenueProfile;
//! use venue::server::{ServerOptions, VenueServer};
//!
//! let text = std::fs::read_to_string("specs/venue-ctrader.toml")?;
//! let profile = VenueProfile::parse(&text, "specs/venue-ctrader.toml")?;
//! let venue = VenueServer::start(&profile, "127.0.0.1".parse()?, ServerOptions::default()).await?;
//! println!("QUOTE on {:?}, TRADE on {}", venue.quote_port(), venue.trade_port());
//! venue.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use gateway::fix::session::{Session, SessionEvent};
use gateway::fix::store::MemStore;
use gateway::transport::acceptor::Acceptor;
use gateway::transport::connection::SessionHost;
use gateway::transport::log::SessionLog;
use gateway::transport::{Application, BoxStore, wall_clock};
use model::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::exchange::profile::VenueProfile;
use crate::fix::{SessionKey, SessionRole, VenueCore, VenueError};

/// Options of a running venue.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// Write each session's FIX messages and events under this folder
    /// (QuickFIX's file log layout).
    pub message_log: Option<PathBuf>,
}

/// Why the venue could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The profile cannot run as a FIX venue.
    #[error(transparent)]
    Venue(#[from] VenueError),
    /// A port could not be bound, or a log opened.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What every session task shares.
struct Shared {
    core: Mutex<VenueCore>,
    wakes: BTreeMap<SessionKey, Arc<Notify>>,
}

impl Shared {
    fn core(&self) -> MutexGuard<'_, VenueCore> {
        // A panic while holding the lock leaves the core as it was at the
        // panic; keep serving rather than poisoning every session.
        self.core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wakes every session with messages waiting, except `except`.
    fn wake_pending(&self, pending: &[SessionKey], except: Option<SessionKey>) {
        for key in pending {
            if Some(*key) != except
                && let Some(wake) = self.wakes.get(key)
            {
                wake.notify_one();
            }
        }
    }
}

/// The application of one venue session.
struct VenueApp {
    key: SessionKey,
    shared: Arc<Shared>,
}

impl VenueApp {
    fn deliver(&self, core: &mut VenueCore, session: &mut Session<BoxStore>, now: Timestamp) {
        while let Some(message) = core.poll_outbound_for(self.key) {
            // A message refused by the session (backpressure, a store
            // failure) is dropped; the client resyncs with status requests.
            let _ = message.send(session, now);
        }
    }
}

impl Application for VenueApp {
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent) {
        let mut core = self.shared.core();
        match event {
            SessionEvent::LoggedOn => core.logged_on(self.key, now),
            SessionEvent::LoggedOut => core.logged_out(self.key, now),
            SessionEvent::App(message) => core.on_message(self.key, now, &message),
            _ => {}
        }
        self.deliver(&mut core, session, now);
        let pending = core.pending();
        drop(core);
        self.shared.wake_pending(&pending, Some(self.key));
    }

    fn on_wake(&mut self, session: &mut Session<BoxStore>, now: Timestamp) {
        let mut core = self.shared.core();
        self.deliver(&mut core, session, now);
    }
}

/// Starts venues; see the [module docs](self).
#[derive(Debug)]
pub struct VenueServer;

/// A running venue: its ports, and [`VenueHandle::shutdown`].
#[derive(Debug)]
pub struct VenueHandle {
    quote_port: Option<u16>,
    trade_port: u16,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
    paused: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl VenueServer {
    /// Starts the venue of `profile` (which needs a `[fix]` table) on
    /// `bind_addr`: the QUOTE and TRADE ports for cTrader, the trade port
    /// for a generic venue (port 0 in the profile picks a free port; see
    /// the handle for the ports bound). Must run inside a tokio runtime.
    pub async fn start(
        profile: &VenueProfile,
        bind_addr: IpAddr,
        options: ServerOptions,
    ) -> Result<VenueHandle, ServerError> {
        let core = VenueCore::new(profile)?;
        let sessions = core.sessions();
        let configs: Vec<_> = sessions
            .iter()
            .map(|(key, _)| (*key, core.session_config(*key), core.authenticator(*key)))
            .collect();
        let fix = core.fix().clone();
        let wakes: BTreeMap<SessionKey, Arc<Notify>> = sessions
            .iter()
            .map(|(key, _)| (*key, Arc::new(Notify::new())))
            .collect();
        let shared = Arc::new(Shared {
            core: Mutex::new(core),
            wakes,
        });
        let (stop, stopped) = watch::channel(false);
        // An unknown login (no session for its SenderCompID) is refused as
        // a wrong password is, as cTrader does.
        let mut quote = Acceptor::new(Duration::from_secs(10))
            .with_unknown_logon_reply(crate::fix::INVALID_LOGON_TEXT);
        let mut trade = Acceptor::new(Duration::from_secs(10))
            .with_unknown_logon_reply(crate::fix::INVALID_LOGON_TEXT);
        let now = wall_clock();
        for (key, config, authenticator) in configs {
            let id = config.id.clone();
            let mut session = Session::new(config, Box::new(MemStore::new(now)) as BoxStore);
            if let Some(authenticator) = authenticator {
                session.set_authenticator(authenticator);
            }
            let mut host = SessionHost::new(
                session,
                Box::new(VenueApp {
                    key,
                    shared: Arc::clone(&shared),
                }),
            );
            if let Some(wake) = shared.wakes.get(&key) {
                host.wake = Arc::clone(wake);
            }
            host.stop = Some(stopped.clone());
            if let Some(dir) = &options.message_log {
                host.log = Some(SessionLog::open(dir, &id)?);
            }
            match key.role {
                SessionRole::Quote => quote.add(host),
                SessionRole::Trade | SessionRole::Combined => trade.add(host),
            }
        }
        let mut tasks = Vec::new();
        let trade_listener = TcpListener::bind((bind_addr, fix.trade_port)).await?;
        let trade_port = trade_listener.local_addr()?.port();
        tasks.push(tokio::spawn(async move {
            let _ = Arc::new(trade).serve(trade_listener).await;
        }));
        let quote_port = if sessions
            .iter()
            .any(|(key, _)| key.role == SessionRole::Quote)
        {
            let listener = TcpListener::bind((bind_addr, fix.quote_port)).await?;
            let port = listener.local_addr()?.port();
            tasks.push(tokio::spawn(async move {
                let _ = Arc::new(quote).serve(listener).await;
            }));
            Some(port)
        } else {
            None
        };
        let step = Duration::from_nanos(profile.sub_step_nanos.max(1_000_000));
        let ticker = Arc::clone(&shared);
        let paused = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ticker_paused = Arc::clone(&paused);
        tasks.push(tokio::spawn(async move {
            let mut interval = tokio::time::interval(step);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if ticker_paused.load(std::sync::atomic::Ordering::Relaxed) {
                    continue;
                }
                let pending = {
                    let mut core = ticker.core();
                    core.tick(wall_clock());
                    core.pending()
                };
                ticker.wake_pending(&pending, None);
            }
        }));
        Ok(VenueHandle {
            quote_port,
            trade_port,
            stop,
            tasks,
            shared,
            paused,
        })
    }
}

impl VenueHandle {
    /// The QUOTE port bound (cTrader flavour only).
    pub const fn quote_port(&self) -> Option<u16> {
        self.quote_port
    }

    /// The TRADE port bound (the only port of a generic venue).
    pub const fn trade_port(&self) -> u16 {
        self.trade_port
    }

    /// Stops (or restarts) the synthetic market: while paused, no price
    /// moves and no background order trades, so the venue changes only
    /// by what clients do (tests compare client and venue state this
    /// way). GTD expiry waits too.
    pub fn set_market_paused(&self, paused: bool) {
        self.paused
            .store(paused, std::sync::atomic::Ordering::Relaxed);
    }

    /// Runs `f` on the venue core (for inspection: books, positions).
    pub fn with_core<T>(&self, f: impl FnOnce(&VenueCore) -> T) -> T {
        f(&self.shared.core())
    }

    /// Logs every session out (waiting up to five seconds for the
    /// Logouts to be answered), then stops listening and ticking.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let keys: Vec<SessionKey> = self.shared.wakes.keys().copied().collect();
        for _ in 0..100 {
            let any = {
                let core = self.shared.core();
                keys.iter().any(|key| core.is_logged_on(*key))
            };
            if !any {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
