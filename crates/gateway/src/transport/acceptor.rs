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
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
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
    /// Text of the Logout that answers a Logon no session takes.
    unknown_logon_reply: Option<String>,
}

impl Acceptor {
    /// An acceptor with no sessions; connections whose first message does
    /// not arrive within `first_message_timeout` are closed.
    pub fn new(first_message_timeout: Duration) -> Self {
        Self {
            routes: HashMap::new(),
            first_message_timeout,
            tls: None,
            unknown_logon_reply: None,
        }
    }

    /// Answers a Logon that addresses no session of this acceptor (an
    /// unknown SenderCompID, say) with a Logout (35=5) carrying `text` in
    /// Text (58), then closes; without this the connection is closed with
    /// no reply, as QuickFIX does. cTrader answers an unknown login with
    /// `InternalError: RET_INVALID_DATA`.
    #[must_use]
    pub fn with_unknown_logon_reply(mut self, text: impl Into<String>) -> Self {
        self.unknown_logon_reply = Some(text.into());
        self
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
            if let Some(text) = &self.unknown_logon_reply
                && let Some(logout) = logout_for(&first.bytes[..first.frame_len], text)
            {
                let _ = stream.write_all(&logout).await;
                let _ = stream.shutdown().await;
            }
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

/// A Logout answering `logon` (when it is one): the CompIDs and SubIDs
/// reversed, MsgSeqNum 1, `text` in Text (58).
fn logout_for(logon: &[u8], text: &str) -> Option<Vec<u8>> {
    let mut decoder = Decoder::default();
    let decoded = decoder.decode(logon).ok()?;
    if decoded.msg_type() != b"A" {
        return None;
    }
    let value = |tag| decoded.get(tag).map(|field| field.value());
    let sub_ids: Vec<(crate::fix::codec::Tag, &[u8])> = [(50, 57), (57, 50)]
        .into_iter()
        .filter_map(|(ours, theirs)| value(theirs).map(|sub| (ours, sub)))
        .collect();
    let header = crate::fix::codec::Header {
        sender_comp_id: value(56)?,
        target_comp_id: value(49)?,
        msg_seq_num: 1,
        sending_time: super::wall_clock(),
        poss_dup: false,
        orig_sending_time: None,
        extra: &sub_ids,
    };
    let encoder = crate::fix::codec::Encoder::new(decoded.begin_string());
    let mut wire = Vec::new();
    let mut body = encoder.begin(&mut wire, b"5", &header);
    body.str(58, text.as_bytes());
    body.finish().ok()?;
    Some(wire)
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
