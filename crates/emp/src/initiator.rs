//! `emp initiator`: runs the initiator sessions of a settings file, each
//! connecting (and reconnecting) to its counterparty, with an order flow
//! that sends NewOrderSingles and counts the ExecutionReports answering
//! them.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use gateway::fix::session::SessionId;
use gateway::fix::settings::{self, Connection, TlsSettings};
use gateway::transport::initiator::{self, InitiatorOptions};
use gateway::transport::tls;
use tokio::sync::{Notify, watch};

use crate::hosts;
use crate::order_flow::{FlowPlan, FlowProgress, OrderFlow};

/// What `emp initiator` does once connected.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InitiatorPlan {
    /// Orders per session and window.
    pub(crate) flow: FlowPlan,
    /// Keep the sessions up after every order is answered, until SIGINT
    /// or SIGTERM; otherwise log out and exit then.
    pub(crate) stay: bool,
}

/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs the initiator sessions of `config` (or those named in `wanted`).
/// Returns whether every order was answered.
pub(crate) fn run(config: &Path, wanted: &[String], plan: InitiatorPlan) -> anyhow::Result<bool> {
    let sessions = hosts::select(settings::load(config)?, wanted, config)?;
    if sessions.is_empty() {
        bail!("{}: no sessions", config.display());
    }
    let (stop_tx, stop) = watch::channel(false);
    let mut starts = Vec::new();
    let mut logout_wait = Duration::ZERO;
    let completed = Arc::new(Notify::new());
    for settings in &sessions {
        let Connection::Initiator {
            host,
            port,
            reconnect_interval_secs,
        } = &settings.connection
        else {
            bail!(
                "{}:{}: session {} is an acceptor; `emp initiator` runs initiator sessions only",
                config.display(),
                settings.line,
                settings.config.id
            );
        };
        let progress = Arc::new(FlowProgress::default());
        let app = OrderFlow::new(plan.flow, Arc::clone(&progress), Arc::clone(&completed));
        let session_host = hosts::build(settings, Box::new(app), &stop)?;
        let tls = match &settings.tls {
            Some(TlsSettings::Client(client)) => {
                Some(tls::initiator(client).with_context(|| {
                    format!(
                        "{}:{}: setting up TLS for {}",
                        config.display(),
                        settings.line,
                        settings.config.id
                    )
                })?)
            }
            _ => None,
        };
        let options = InitiatorOptions {
            host: host.clone(),
            port: *port,
            reconnect_interval: Duration::from_secs((*reconnect_interval_secs).into()),
            max_backoff: MAX_BACKOFF,
            tls,
        };
        logout_wait = logout_wait.max(Duration::from_secs(
            settings.config.logout_timeout_secs.into(),
        ));
        starts.push((settings.config.id.clone(), session_host, options, progress));
    }
    // One thread: decode → session → application → encode never hops
    // between threads (a hop costs more than the rest of the path).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut running = Vec::new();
        let mut watched = Vec::new();
        for (id, session_host, options, progress) in starts {
            eprintln!(
                "emp initiator: {id} connecting to {}:{}",
                options.host, options.port
            );
            running.push(tokio::spawn(initiator::run(
                session_host,
                options,
                stop.clone(),
            )));
            watched.push((id, progress));
        }
        let finish_when_answered = plan.flow.orders > 0 && !plan.stay;
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        let mut reported = Vec::new();
        loop {
            let all_answered = watched
                .iter()
                .all(|(_, progress)| progress.complete.load(Ordering::Acquire));
            if finish_when_answered && all_answered {
                report(&watched, &mut reported);
                eprintln!("emp initiator: every order answered, logging out");
                break;
            }
            tokio::select! {
                _ = ticker.tick() => report(&watched, &mut reported),
                () = completed.notified() => {}
                signal = hosts::stop_signal() => {
                    report(&watched, &mut reported);
                    eprintln!("emp initiator: {signal}, logging out");
                    break;
                }
            }
        }
        let _ = stop_tx.send(true);
        let deadline = logout_wait + Duration::from_secs(1);
        for task in running {
            if tokio::time::timeout(deadline, task).await.is_err() {
                eprintln!("emp initiator: a session did not finish its logout in time");
            }
        }
        let all_answered = watched
            .iter()
            .all(|(_, progress)| progress.answered.load(Ordering::Relaxed) >= plan.flow.orders);
        Ok(all_answered)
    })
}

/// Prints each session's progress when it changed since the last report.
fn report(watched: &[(SessionId, Arc<FlowProgress>)], reported: &mut Vec<(u64, u64, u64)>) {
    reported.resize(watched.len(), (u64::MAX, 0, 0));
    for ((id, progress), last) in watched.iter().zip(reported.iter_mut()) {
        let now = (
            progress.sent.load(Ordering::Relaxed),
            progress.answered.load(Ordering::Relaxed),
            progress.logons.load(Ordering::Relaxed),
        );
        if now != *last {
            *last = now;
            eprintln!(
                "emp initiator: {id} logons {} sent {} answered {} (other reports {})",
                now.2,
                now.0,
                now.1,
                progress.unmatched.load(Ordering::Relaxed)
            );
        }
    }
}
