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
    wanted
        .iter()
        .map(|name| choose(&sessions, name, config).cloned())
        .collect()
}

/// The one session `wanted` names in `sessions`: its
/// `BeginString:Sender->Target` name, or its TargetCompID when unique.
pub(crate) fn choose<'s>(
    sessions: &'s [SessionSettings],
    wanted: &str,
    config: &Path,
) -> anyhow::Result<&'s SessionSettings> {
    let matching: Vec<&SessionSettings> = sessions
        .iter()
        .filter(|settings| {
            settings.config.id.to_string() == wanted || settings.config.id.target_comp_id == wanted
        })
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        found => {
            let names: Vec<String> = sessions
                .iter()
                .map(|settings| settings.config.id.to_string())
                .collect();
            let why = if found.is_empty() {
                "no session matches"
            } else {
                "several sessions match"
            };
            anyhow::bail!(
                "{}: {why} {wanted:?}; name one of: {}",
                config.display(),
                names.join(", ")
            )
        }
    }
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
