//! `emp acceptor`: runs the acceptor sessions of a settings file behind one
//! port, with the echo application the FIX conformance scripts expect or a
//! venue that fills every order.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use gateway::fix::session::Role;
use gateway::fix::settings::{self, Connection, SessionSettings, TlsSettings};
use gateway::transport::acceptor::Acceptor;
use gateway::transport::{Application, tls};
use tokio::sync::watch;

use crate::echo_app::EchoApp;
use crate::fill_app::FillApp;
use crate::hosts;

/// The application behind every session of `emp acceptor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum VenueApp {
    /// Echo NewOrderSingle and SecurityDefinition back (qfat's acceptor).
    Echo,
    /// Fill every NewOrderSingle with one ExecutionReport.
    Fill,
}

/// Loads `config`, listens on `port` (or each session's SocketAcceptPort,
/// which must then agree) and serves until SIGINT or SIGTERM, then logs
/// every connected session out. Serves over TLS when the sessions set
/// SocketUseSSL (all of them alike: they share one port).
pub(crate) fn run(config: &Path, port: Option<u16>, app: VenueApp) -> anyhow::Result<()> {
    let sessions = settings::load(config)?;
    let port = match port {
        Some(port) => port,
        None => common_port(&sessions, config)?,
    };
    let (stop_tx, stop) = watch::channel(false);
    let mut acceptor = Acceptor::new(Duration::from_secs(10));
    let mut logout_wait = Duration::ZERO;
    for settings in &sessions {
        if settings.config.role != Role::Acceptor {
            bail!(
                "{}:{}: session {} is an initiator; `emp acceptor` runs acceptor sessions only",
                config.display(),
                settings.line,
                settings.config.id
            );
        }
        let application: Box<dyn Application> = match app {
            VenueApp::Echo => Box::new(EchoApp::new(settings)),
            VenueApp::Fill => Box::new(FillApp::new(settings)),
        };
        acceptor.add(hosts::build(settings, application, &stop)?);
        logout_wait = logout_wait.max(Duration::from_secs(
            settings.config.logout_timeout_secs.into(),
        ));
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
    // One thread: decode → session → application → encode never hops
    // between threads (a hop costs more than the rest of the path).
    let runtime = tokio::runtime::Builder::new_current_thread()
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
        let acceptor = Arc::new(acceptor);
        let serve = tokio::spawn(Arc::clone(&acceptor).serve(listener));
        tokio::select! {
            served = serve => { served??; }
            signal = hosts::stop_signal() => {
                eprintln!("emp acceptor: {signal}, logging sessions out");
                let _ = stop_tx.send(true);
                // Connected sessions hand their state back when their
                // connection ends; wait for that, bounded by LogoutTimeout.
                let deadline = tokio::time::Instant::now() + logout_wait + Duration::from_secs(1);
                while acceptor.idle_sessions().len() < sessions.len()
                    && tokio::time::Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        Ok(())
    })
}

/// The SocketAcceptPort every session shares.
fn common_port(sessions: &[SessionSettings], config: &Path) -> anyhow::Result<u16> {
    let mut chosen = None;
    for settings in sessions {
        if let Connection::Acceptor { port, .. } = settings.connection {
            match chosen {
                Some(first) if first != port => bail!(
                    "{}: sessions listen on different ports ({first} and {port}); give --port to use one",
                    config.display()
                ),
                _ => chosen = Some(port),
            }
        }
    }
    chosen.context("no port: give --port")
}
