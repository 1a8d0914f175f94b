//! EMP and the simulated venue in one thread, their FIX sessions joined
//! by in-memory byte pipes, under simulated time: the demo's whole path
//! (both sides' sessions, the venue's matching, EMP's pipeline and
//! journal) with no socket and no clock. End-to-end tests run minutes of
//! trading in milliseconds with it, and `emp bench orders` measures the
//! path's capacity.

use std::collections::BTreeMap;
use std::path::Path;

use gateway::fix::link::Channel;
use gateway::fix::session::{Session, SessionEvent};
use gateway::fix::store::MemStore;
use gateway::transport::BoxStore;
use journal::Durability;
use model::Timestamp;
use venue::exchange::OwnerId;
use venue::exchange::profile::VenueProfile;
use venue::fix::{SessionKey, SessionRole, VenueCore};

use crate::demo::{ChosenParams, trader_setup};
use crate::engine::Engine;
use crate::trader::build_engine;

const MILLI: u64 = 1_000_000;

/// Why the joined pair cannot be built or stopped making progress.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InProcessError {
    /// The venue profile cannot run as a FIX venue.
    #[error("venue: {0}")]
    Venue(#[from] venue::fix::VenueError),
    /// EMP's side could not be set up.
    #[error("emp: {0:#}")]
    Emp(#[from] anyhow::Error),
    /// The demo account is missing from the profile.
    #[error("the venue profile has no [[account]] to trade as")]
    NoAccount,
}

/// The venue core and its acceptor sessions for the demo account.
#[derive(Debug)]
struct VenueSide {
    core: VenueCore,
    sessions: BTreeMap<Channel, (SessionKey, Session<MemStore>)>,
    next_tick: Timestamp,
    sub_step: u64,
    ticking: bool,
}

/// EMP's engine and the venue joined by pipes; see the [module docs](self).
pub struct InProcess {
    engine: Engine<BoxStore>,
    venue: VenueSide,
    owner: OwnerId,
    now: Timestamp,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess")
            .field("now", &self.now)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl InProcess {
    /// EMP trading as the first account of `profile`'s venue with
    /// `params`, its run folder in `dir`, at `start`. Not connected yet.
    pub fn new(
        profile: &VenueProfile,
        params: ChosenParams,
        dir: &Path,
        durability: Durability,
        start: Timestamp,
    ) -> Result<Self, InProcessError> {
        let core = VenueCore::new(profile)?;
        let login = profile
            .fix
            .as_ref()
            .and_then(|fix| fix.accounts.first())
            .map(|account| account.login)
            .ok_or(InProcessError::NoAccount)?;
        let owner = core.owner(login).ok_or(InProcessError::NoAccount)?;
        let mut sessions = BTreeMap::new();
        for (key, _) in core.sessions() {
            let channel = match key.role {
                _ if key.login != login => continue,
                SessionRole::Quote => Channel::Quote,
                SessionRole::Trade | SessionRole::Combined => Channel::Trade,
            };
            let mut session = Session::new(core.session_config(key), MemStore::new(start));
            if let Some(authenticator) = core.authenticator(key) {
                session.set_authenticator(authenticator);
            }
            sessions.insert(channel, (key, session));
        }
        // No socket: the addresses are never dialed.
        let unused = std::net::SocketAddr::from(([127, 0, 0, 1], 9));
        let setup = trader_setup(
            profile,
            unused,
            unused,
            params,
            dir.to_path_buf(),
            durability,
            start,
        )?;
        let engine = build_engine(&setup, start)?;
        Ok(Self {
            engine,
            venue: VenueSide {
                core,
                sessions,
                next_tick: start,
                sub_step: profile.sub_step_nanos,
                ticking: true,
            },
            owner,
            now: start,
        })
    }

    /// EMP's engine.
    pub const fn engine(&self) -> &Engine<BoxStore> {
        &self.engine
    }

    /// EMP's engine, for operator commands; [`Self::pump`] after.
    pub const fn engine_mut(&mut self) -> &mut Engine<BoxStore> {
        &mut self.engine
    }

    /// The venue's core (books, orders, positions).
    pub const fn venue(&self) -> &VenueCore {
        &self.venue.core
    }

    /// EMP's account at the venue.
    pub const fn owner(&self) -> OwnerId {
        self.owner
    }

    /// The simulated time.
    pub const fn now(&self) -> Timestamp {
        self.now
    }

    /// Stops (or restarts) the venue's synthetic market.
    pub fn set_market_ticking(&mut self, ticking: bool) {
        self.venue.ticking = ticking;
    }

    /// Connects both sides' sessions and runs the logons.
    pub fn connect(&mut self) {
        for (channel, (_, session)) in &mut self.venue.sessions {
            session.connected(self.now);
            self.engine.connected(*channel, self.now);
        }
        self.pump();
    }

    /// Moves bytes and events both ways until nothing moves; returns the
    /// number of rounds it took. EMP's log lines are dropped.
    ///
    /// # Panics
    /// When the two sides never go quiet (a message loop between them, a
    /// bug worth stopping at).
    pub fn pump(&mut self) -> usize {
        let now = self.now;
        for round in 0..100_000 {
            let mut moved = false;
            for (channel, (key, session)) in &mut self.venue.sessions {
                let mut wire = Vec::new();
                if self.engine.poll_transmit(*channel, &mut wire) {
                    session.handle_input(now, &wire);
                    moved = true;
                }
                while let Some(event) = session.poll_event(now) {
                    moved = true;
                    match event {
                        SessionEvent::LoggedOn => self.venue.core.logged_on(*key, now),
                        SessionEvent::LoggedOut => self.venue.core.logged_out(*key, now),
                        SessionEvent::App(message) => {
                            self.venue.core.on_message(*key, now, &message);
                        }
                        _ => {}
                    }
                }
            }
            while let Some((key, outbound)) = self.venue.core.poll_outbound() {
                moved = true;
                if let Some((_, session)) =
                    self.venue.sessions.values_mut().find(|(k, _)| *k == key)
                {
                    // Refused only on back-pressure or a store failure,
                    // neither of which memory stores in a pump have.
                    let _ = outbound.send(session, now);
                }
            }
            for (channel, (_, session)) in &mut self.venue.sessions {
                let mut wire = Vec::new();
                if session.poll_transmit(&mut wire) {
                    self.engine.handle_input(*channel, now, &wire);
                    moved = true;
                }
            }
            while self.engine.poll_close().is_some() {}
            while self.engine.poll_log().is_some() {}
            if !moved {
                return round;
            }
        }
        panic!("EMP and the venue never went quiet");
    }

    /// Runs simulated time forward to `until`, event by event: EMP's and
    /// the sessions' timers, and the venue's market steps.
    pub fn run_until(&mut self, until: Timestamp) {
        while self.now < until {
            let mut next = until;
            if self.venue.ticking {
                next = next.min(self.venue.next_tick);
            }
            if let Some(at) = self.engine.poll_timeout() {
                next = next.min(at.max(self.now));
            }
            for (_, session) in self.venue.sessions.values() {
                if let Some(at) = session.poll_timeout() {
                    next = next.min(at.max(self.now));
                }
            }
            // Never stand still: at least a millisecond per step.
            self.now = next.max(self.now.checked_add_nanos(MILLI).unwrap_or(next));
            let now = self.now;
            self.engine.handle_timeout(now);
            for (_, session) in self.venue.sessions.values_mut() {
                if session.poll_timeout().is_some_and(|at| at <= now) {
                    session.handle_timeout(now);
                }
            }
            if self.venue.ticking && self.venue.next_tick <= now {
                self.venue.core.tick(now);
                self.venue.next_tick = now.checked_add_nanos(self.venue.sub_step).unwrap_or(now);
            }
            self.pump();
        }
    }
}
