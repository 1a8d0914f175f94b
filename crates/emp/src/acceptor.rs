//! `emp acceptor`: runs the acceptor sessions of a settings file with the
//! echo application the FIX conformance scripts expect.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use gateway::fix::codec::{Decoder, DecoderConfig, SOH, Tag};
use gateway::fix::session::{Role, Session, SessionEvent};
use gateway::fix::settings::{self, Connection, TlsSettings};
use gateway::transport::acceptor::Acceptor;
use gateway::transport::connection::SessionHost;
use gateway::transport::log::SessionLog;
use gateway::transport::{Application, BoxStore, open_store, tls, wall_clock};
use model::Timestamp;

/// Loads `config`, listens on `port` (or each session's SocketAcceptPort,
/// which must then agree) and serves until interrupted, over TLS when the
/// sessions set SocketUseSSL (all of them alike: they share one port).
pub(crate) fn run(config: &Path, port: Option<u16>) -> anyhow::Result<()> {
    let sessions = settings::load(config)?;
    let now = wall_clock();
    let mut listen_port = port;
    let mut acceptor = Acceptor::new(Duration::from_secs(10));
    for settings in &sessions {
        if settings.config.role != Role::Acceptor {
            bail!(
                "{}:{}: session {} is an initiator; `emp acceptor` runs acceptor sessions only",
                config.display(),
                settings.line,
                settings.config.id
            );
        }
        if let Connection::Acceptor { port: own, .. } = settings.connection
            && port.is_none()
        {
            match listen_port {
                Some(chosen) if chosen != own => bail!(
                    "{}: sessions listen on different ports ({chosen} and {own}); give --port to use one",
                    config.display()
                ),
                _ => listen_port = Some(own),
            }
        }
        let store = open_store(settings, now)
            .with_context(|| format!("opening the message store of {}", settings.config.id))?;
        let log = match &settings.log_path {
            Some(dir) => Some(SessionLog::open(dir, &settings.config.id).with_context(|| {
                format!(
                    "opening the logs of {} in {}",
                    settings.config.id,
                    dir.display()
                )
            })?),
            None => None,
        };
        let data_fields = settings
            .config
            .dictionary
            .as_ref()
            .map(|dict| dict.data_fields().clone())
            .unwrap_or_default();
        let header_tags: Vec<Tag> = settings
            .config
            .dictionary
            .as_ref()
            .map(|dict| dict.header().tags().to_vec())
            .unwrap_or_default();
        let mut host = SessionHost::new(
            Session::new(settings.config.clone(), store),
            Box::new(EchoApp {
                decoder: Decoder::new(DecoderConfig {
                    data_fields,
                    ..DecoderConfig::default()
                }),
                header_tags,
                seen_orders: HashSet::new(),
            }),
        );
        host.log = log;
        acceptor.add(host);
    }
    if let Some(first) = sessions.first() {
        if let Some(other) = sessions.iter().find(|other| other.tls != first.tls) {
            bail!(
                "{}:{}: session {} has other TLS settings than session {} (line {}); sessions on one port share SocketUseSSL and its certificates",
                config.display(),
                other.line,
                other.config.id,
                first.config.id,
                first.line
            );
        }
        if let Some(TlsSettings::Server(server)) = &first.tls {
            let tls = tls::server_config(server).with_context(|| {
                format!("{}: setting up TLS for the acceptor", config.display())
            })?;
            acceptor = acceptor.with_tls(tls);
        }
    }
    let port = listen_port.context("no port: give --port")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("0.0.0.0", port))
            .await
            .with_context(|| format!("cannot listen on port {port}"))?;
        eprintln!(
            "emp acceptor: {} session(s) from {} listening on port {port}{}",
            sessions.len(),
            config.display(),
            if sessions.iter().any(|s| s.tls.is_some()) {
                " (TLS)"
            } else {
                ""
            }
        );
        let serve = tokio::spawn(Arc::new(acceptor).serve(listener));
        tokio::select! {
            served = serve => { served??; }
            _ = tokio::signal::ctrl_c() => { eprintln!("emp acceptor: interrupted, stopping"); }
        }
        Ok(())
    })
}

/// Echoes NewOrderSingle (35=D) and SecurityDefinition (35=d) back with
/// our header and the same body (fields in tag order); a PossResend order
/// whose ClOrdID was seen since Logon is ignored; every other application
/// message gets a BusinessMessageReject "Unsupported Message Type".
struct EchoApp {
    decoder: Decoder,
    header_tags: Vec<Tag>,
    seen_orders: HashSet<Vec<u8>>,
}

impl Application for EchoApp {
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent) {
        match event {
            SessionEvent::LoggedOn => self.seen_orders.clear(),
            SessionEvent::App(message) => {
                let msg_type = message.msg_type().to_vec();
                match msg_type.as_slice() {
                    b"D" | b"d" => {
                        let Ok(decoded) = self.decoder.decode(&message.bytes) else {
                            return;
                        };
                        if msg_type == b"D" {
                            let order_id = decoded
                                .get(11)
                                .map(|field| field.value().to_vec())
                                .unwrap_or_default();
                            let poss_resend =
                                decoded.get(97).is_some_and(|field| field.value() == b"Y");
                            if poss_resend && self.seen_orders.contains(&order_id) {
                                return;
                            }
                            self.seen_orders.insert(order_id);
                        }
                        // The copy keeps the sender's extra header fields
                        // (PossResend, routing); the session refills the rest.
                        let is_header = |tag: Tag| {
                            self.header_tags.contains(&tag)
                                || gateway::fix::tags::STANDARD_HEADER.contains(&tag)
                        };
                        let refilled = [8, 9, 35, 34, 43, 49, 52, 56, 122];
                        let header: Vec<(Tag, Vec<u8>)> = decoded
                            .iter()
                            .filter(|field| {
                                is_header(field.tag()) && !refilled.contains(&field.tag())
                            })
                            .map(|field| (field.tag(), field.value().to_vec()))
                            .collect();
                        let mut fields: Vec<(Tag, &[u8])> = decoded
                            .iter()
                            .filter(|field| {
                                !is_header(field.tag())
                                    && !gateway::fix::tags::STANDARD_TRAILER.contains(&field.tag())
                            })
                            .map(|field| (field.tag(), field.value()))
                            .collect();
                        // QuickFIX keeps a message's fields in tag order; a
                        // repeated tag means a repeating group, kept as sent.
                        let mut tags: Vec<Tag> = fields.iter().map(|(tag, _)| *tag).collect();
                        tags.sort_unstable();
                        tags.dedup();
                        if tags.len() == fields.len() {
                            fields.sort_by_key(|(tag, _)| *tag);
                        }
                        let mut body = Vec::with_capacity(message.bytes.len());
                        for (tag, value) in fields {
                            body.extend_from_slice(format!("{tag}=").as_bytes());
                            body.extend_from_slice(value);
                            body.push(SOH);
                        }
                        let header: Vec<(Tag, &[u8])> = header
                            .iter()
                            .map(|(tag, value)| (*tag, value.as_slice()))
                            .collect();
                        let _ = session.send_app(now, &msg_type, &header, |writer| {
                            writer.raw(&body);
                        });
                    }
                    _ => {
                        let _ = session.reject_business(now, &message, 3, None);
                    }
                }
            }
            _ => {}
        }
    }
}
