//! One listening port for many sessions, routed by BeginString and CompIDs,
//! and by SubID for sessions that have one: a session whose id has a
//! SenderSubID takes only connections whose first message carries it as
//! TargetSubID (57), so cTrader-style QUOTE and TRADE sessions with the same
//! CompIDs can share a port.
//! With TLS, every connection on the port completes a TLS handshake before
//! its first message is read (as QuickFIX, SocketUseSSL is per port).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use super::connection::SessionHost;
use crate::fix::codec::{Decoder, Frame, Framer};
use crate::fix::session::SessionId;

/// (BeginString, our CompID, their CompID, our SubID if the session has one).
type RouteKey = (String, String, String, Option<String>);

/// Sessions reachable through one listening port. A session serves one
/// connection at a time; a second connection for a session already
/// connected is closed without a reply (duplicate logon).
#[derive(Debug, Default)]
pub struct Acceptor {
    routes: HashMap<RouteKey, Arc<Mutex<Option<SessionHost>>>>,
    first_message_timeout: Duration,
    tls: Option<Arc<ServerConfig>>,
}

impl Acceptor {
    /// An acceptor with no sessions; connections whose first message does
    /// not arrive within `first_message_timeout` are closed.
    pub fn new(first_message_timeout: Duration) -> Self {
        Self {
            routes: HashMap::new(),
            first_message_timeout,
            tls: None,
        }
    }

    /// The same acceptor over TLS: each connection must complete the
    /// handshake `config` describes (see [`tls::server_config`]) and send
    /// its first message, both within the first-message timeout; a
    /// connection that does not (plain TCP, a refused client certificate)
    /// is closed.
    ///
    /// [`tls::server_config`]: super::tls::server_config
    #[must_use]
    pub fn with_tls(mut self, config: Arc<ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Adds a session. A session with a SenderSubID is reached by first
    /// messages with that TargetSubID (57); one without, by first messages
    /// that match no session with a SubID.
    pub fn add(&mut self, host: SessionHost) {
        let id = host.session.config().id.clone();
        self.routes.insert(
            (
                id.begin_string,
                id.sender_comp_id,
                id.target_comp_id,
                id.sender_sub_id,
            ),
            Arc::new(Mutex::new(Some(host))),
        );
    }

    /// Sequence numbers of every session not connected right now
    /// (a connected session's state belongs to its connection task).
    pub fn idle_sessions(&self) -> Vec<IdleSession> {
        self.routes
            .values()
            .filter_map(|slot| {
                let guard = slot.lock().ok()?;
                let host = guard.as_ref()?;
                Some(IdleSession {
                    id: host.session.config().id.clone(),
                    next_sender_seq: host.session.next_sender_seq(),
                    next_target_seq: host.session.next_target_seq(),
                })
            })
            .collect()
    }

    /// Accepts connections on `listener` until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            let acceptor = Arc::clone(&self);
            tokio::spawn(async move { acceptor.handle(stream).await });
        }
    }

    async fn handle(&self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let deadline = Instant::now() + self.first_message_timeout;
        match &self.tls {
            None => self.handle_stream(stream, deadline).await,
            Some(config) => {
                let accept = TlsAcceptor::from(Arc::clone(config)).accept(stream);
                // A failed handshake has no session to log to yet; closing
                // is all there is to do, as for an unroutable Logon.
                if let Ok(Ok(stream)) = tokio::time::timeout_at(deadline, accept).await {
                    self.handle_stream(stream, deadline).await;
                }
            }
        }
    }

    /// Routes the connection by its first message, read by `deadline`, and
    /// runs the session it addresses.
    async fn handle_stream<IO>(&self, mut stream: IO, deadline: Instant)
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let Some(first) = read_first_message(&mut stream, deadline).await else {
            return;
        };
        let Some(slot) = self.route(&first.bytes[..first.frame_len]) else {
            return;
        };
        let taken = slot.lock().ok().and_then(|mut guard| guard.take());
        let Some(mut host) = taken else {
            // Already connected: refuse the duplicate without a reply.
            return;
        };
        host.run(&mut stream, &first.bytes).await;
        if let Ok(mut guard) = slot.lock() {
            *guard = Some(host);
        }
    }

    /// The session a first message addresses: its SenderCompID is our
    /// TargetCompID and the reverse, and its TargetSubID our SenderSubID
    /// when a session has one (else the session without a SubID).
    fn route(&self, message: &[u8]) -> Option<Arc<Mutex<Option<SessionHost>>>> {
        let mut decoder = Decoder::default();
        let decoded = decoder.decode(message).ok()?;
        let text = |tag| {
            decoded
                .get(tag)
                .and_then(|field| std::str::from_utf8(field.value()).ok())
                .map(str::to_owned)
        };
        let begin = std::str::from_utf8(decoded.begin_string()).ok()?.to_owned();
        let mut key = (begin, text(56)?, text(49)?, text(57));
        if key.3.is_some()
            && let Some(slot) = self.routes.get(&key)
        {
            return Some(Arc::clone(slot));
        }
        key.3 = None;
        self.routes.get(&key).cloned()
    }
}

/// A session waiting for a connection, and where its sequences stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdleSession {
    /// The session.
    pub id: SessionId,
    /// MsgSeqNum of the next message it sends.
    pub next_sender_seq: u64,
    /// MsgSeqNum it expects next.
    pub next_target_seq: u64,
}

struct FirstMessage {
    bytes: Vec<u8>,
    frame_len: usize,
}

/// Reads until one complete message is buffered (skipping garbage before
/// it), by `deadline`.
async fn read_first_message<IO>(stream: &mut IO, deadline: Instant) -> Option<FirstMessage>
where
    IO: AsyncRead + Unpin,
{
    let mut framer = Framer::default();
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match framer.poll(&bytes) {
            Frame::Message { len } => {
                return Some(FirstMessage {
                    bytes,
                    frame_len: len,
                });
            }
            Frame::Skip { len, .. } => {
                bytes.drain(..len);
                continue;
            }
            Frame::Incomplete => {}
        }
        let read = tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await;
        match read {
            Ok(Ok(len)) if len > 0 => bytes.extend_from_slice(&chunk[..len]),
            _ => return None,
        }
    }
}
