//! The loop that runs one session over one connection.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::log::SessionLog;
use super::{Application, BoxStore, wall_clock};
use crate::fix::session::{Session, SessionEvent};

/// A session with its application and log: what a connection task owns
/// while the connection lasts.
pub struct SessionHost {
    /// The session core.
    pub session: Session<BoxStore>,
    /// Its application.
    pub app: Box<dyn Application>,
    /// Its message and event log, when FileLogPath is set.
    pub log: Option<SessionLog>,
    /// Notify to have [`Application::on_wake`] called on the session's
    /// thread.
    pub wake: Arc<Notify>,
    /// When set, the session logs out once the value turns true and the
    /// connection ends after the Logout is answered (or LogoutTimeout).
    pub stop: Option<watch::Receiver<bool>>,
}

impl SessionHost {
    /// A host for `session` and `app`, without logs.
    pub fn new(session: Session<BoxStore>, app: Box<dyn Application>) -> Self {
        Self {
            session,
            app,
            log: None,
            wake: Arc::new(Notify::new()),
            stop: None,
        }
    }
}

impl std::fmt::Debug for SessionHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionHost")
            .field("session", &self.session.config().id)
            .finish_non_exhaustive()
    }
}

/// Bytes read from the socket at a time. Input is processed completely
/// before the next read, so this also bounds buffered input.
const READ_CHUNK: usize = 64 * 1024;

impl SessionHost {
    /// Delivers pending events: notices to the event log, everything else
    /// to the application. Returns true when the session asked to close.
    fn dispatch_events(&mut self) -> bool {
        let mut close = false;
        loop {
            let now = wall_clock();
            let Some(event) = self.session.poll_event(now) else {
                return close;
            };
            match event {
                SessionEvent::Notice(text) => {
                    if let Some(log) = &self.log {
                        log.event(now, text);
                    }
                }
                SessionEvent::Close(reason) => {
                    if let Some(log) = &self.log {
                        log.event(now, format!("Closing connection: {reason}"));
                    }
                    close = true;
                }
                other => self.app.on_event(&mut self.session, now, other),
            }
        }
    }

    /// Runs the session over `io` until the connection ends. `first_bytes`
    /// were read before the session was chosen (the acceptor reads the
    /// first Logon to route it).
    pub async fn run<IO>(&mut self, io: &mut IO, first_bytes: &[u8])
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let now = wall_clock();
        self.session.connected(now);
        if !first_bytes.is_empty() {
            if let Some(log) = &self.log {
                log.incoming(now, first_bytes);
            }
            self.session.handle_input(now, first_bytes);
        }
        let mut stopping = false;
        let mut read_buf = vec![0u8; READ_CHUNK];
        let mut write_buf = Vec::with_capacity(READ_CHUNK);
        loop {
            let close = self.dispatch_events();
            if self.session.poll_transmit(&mut write_buf) {
                if let Some(log) = &self.log {
                    log.outgoing(wall_clock(), &write_buf);
                }
                let written = io.write_all(&write_buf).await;
                write_buf.clear();
                if written.is_err() {
                    self.session.disconnected(wall_clock());
                    break;
                }
            }
            if close || !self.session.is_connected() {
                break;
            }
            let sleep = match self.session.poll_timeout() {
                Some(deadline) => {
                    Duration::from_nanos(deadline.saturating_nanos_since(wall_clock()))
                }
                None => Duration::from_secs(3600),
            };
            tokio::select! {
                read = io.read(&mut read_buf) => match read {
                    Ok(0) | Err(_) => {
                        self.session.disconnected(wall_clock());
                        break;
                    }
                    Ok(len) => {
                        let now = wall_clock();
                        if let Some(log) = &self.log {
                            log.incoming(now, &read_buf[..len]);
                        }
                        self.session.handle_input(now, &read_buf[..len]);
                    }
                },
                () = tokio::time::sleep(sleep) => {
                    self.session.handle_timeout(wall_clock());
                }
                () = self.wake.notified() => {
                    self.app.on_wake(&mut self.session, wall_clock());
                }
                () = stop_requested(self.stop.as_mut()), if !stopping => {
                    stopping = true;
                    self.session.logout(wall_clock(), None);
                }
            }
        }
        self.dispatch_events();
        if let Err(error) = self.session.flush_store()
            && let Some(log) = &self.log
        {
            log.event(
                wall_clock(),
                format!("Message store commit failed at disconnect: {error}"),
            );
        }
        let _ = io.shutdown().await;
    }
}

/// Resolves once `stop` holds true; never when there is no stop signal or
/// its sender is gone without asking.
async fn stop_requested(stop: Option<&mut watch::Receiver<bool>>) {
    match stop {
        Some(stop) => {
            if stop.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}
