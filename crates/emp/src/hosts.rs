//! Builds session hosts (session core, store, logs, stop signal) from
//! settings, and waits for the process's stop signals; shared by
//! `emp acceptor` and `emp initiator`.

use std::path::Path;

use anyhow::Context;
use gateway::fix::session::Session;
use gateway::fix::settings::SessionSettings;
use gateway::transport::connection::SessionHost;
use gateway::transport::log::SessionLog;
use gateway::transport::{Application, open_store, wall_clock};
use tokio::sync::watch;

/// A host for the session of `settings` running `app`, with its store and
/// logs open and `stop` as its logout signal.
pub(crate) fn build(
    settings: &SessionSettings,
    app: Box<dyn Application>,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<SessionHost> {
    let store = open_store(settings, wall_clock())
        .with_context(|| format!("opening the message store of {}", settings.config.id))?;
    let mut host = SessionHost::new(Session::new(settings.config.clone(), store), app);
    host.log = match &settings.log_path {
        Some(dir) => Some(SessionLog::open(dir, &settings.config.id).with_context(|| {
            format!(
                "opening the logs of {} in {}",
                settings.config.id,
                dir.display()
            )
        })?),
        None => None,
    };
    host.stop = Some(stop.clone());
    Ok(host)
}

/// Only sessions named by `wanted` (as `BeginString:Sender->Target` or a
/// unique TargetCompID), or all when `wanted` is empty.
pub(crate) fn select(
    sessions: Vec<SessionSettings>,
    wanted: &[String],
    config: &Path,
) -> anyhow::Result<Vec<SessionSettings>> {
    if wanted.is_empty() {
        return Ok(sessions);
    }
    let mut chosen = Vec::new();
    for name in wanted {
        let matches: Vec<&SessionSettings> = sessions
            .iter()
            .filter(|s| s.config.id.to_string() == *name || s.config.id.target_comp_id == *name)
            .collect();
        match matches.as_slice() {
            [one] => chosen.push((*one).clone()),
            [] => anyhow::bail!(
                "{}: no session {name}; sessions are: {}",
                config.display(),
                sessions
                    .iter()
                    .map(|s| s.config.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => anyhow::bail!(
                "{}: {name} names several sessions; use BeginString:SenderCompID->TargetCompID",
                config.display()
            ),
        }
    }
    Ok(chosen)
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, the signals an operator or a
/// service manager sends to ask for an orderly stop.
pub(crate) async fn stop_signal() -> &'static str {
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let term = async {
        match terminate.as_mut() {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        () = term => "terminated",
    }
}
