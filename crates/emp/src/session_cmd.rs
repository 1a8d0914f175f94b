//! `emp session status|reset|set-seq`: inspect and repair a stopped
//! session's message store, named by a settings file and session, or
//! given as a file (`--store`: the `fix/*.store` of an `emp demo` or `emp
//! run` folder).

use std::path::Path;

use anyhow::{Context, bail};
use gateway::fix::settings;
use gateway::fix::store::{Durability, FileStore, MessageStore};
use gateway::transport::{BoxStore, open_store, wall_clock};

/// What to do with the store.
pub(crate) enum Action {
    Status,
    Reset,
    SetSeq {
        sender: Option<u64>,
        target: Option<u64>,
    },
}

/// Runs `action` on the store of `session` (its `BeginString:Sender->Target`
/// name, or just its TargetCompID when that is unique) in `config`.
pub(crate) fn run(config: &Path, session: &str, action: &Action) -> anyhow::Result<String> {
    let sessions = settings::load(config)?;
    let chosen = crate::hosts::choose(&sessions, session, config)?;
    let path = chosen.store_file().with_context(|| {
        format!(
            "{}:{}: session {} has no FileStorePath, so its sequence numbers live only in the running process",
            config.display(),
            chosen.line,
            chosen.config.id
        )
    })?;
    if !path.exists() {
        bail!(
            "{}: no message store yet for {} (it is created when the session first runs)",
            path.display(),
            chosen.config.id
        );
    }
    let store = open_store(chosen, wall_clock()).map_err(|error| {
        anyhow::anyhow!(
            "{error}\n(if the session is running, stop it first: the store is locked while in use)"
        )
    })?;
    apply(store, &chosen.config.id.to_string(), &path, action)
}

/// Runs `action` on the file store at `path` (a run folder's
/// `fix/<session>.store`). `set-seq` creates a missing store (to replace
/// one moved aside); the others need it to exist.
pub(crate) fn run_store(path: &Path, action: &Action) -> anyhow::Result<String> {
    if !path.is_file() && !matches!(action, Action::SetSeq { .. }) {
        bail!(
            "{}: no such message store (a run folder keeps them in fix/*.store)",
            path.display()
        );
    }
    let store = FileStore::open(path, Durability::Os, wall_clock()).map_err(|error| {
        anyhow::anyhow!(
            "{}: {error}\n(if the run is going, stop it first: the store is locked while in use)",
            path.display()
        )
    })?;
    let name = path
        .file_stem()
        .map_or_else(String::new, |stem| stem.to_string_lossy().into_owned());
    apply(Box::new(store), &name, path, action)
}

fn apply(
    mut store: BoxStore,
    session: &str,
    path: &Path,
    action: &Action,
) -> anyhow::Result<String> {
    match action {
        Action::Status => {}
        Action::Reset => {
            store.reset(wall_clock())?;
            store.commit()?;
        }
        Action::SetSeq { sender, target } => {
            if sender.is_none() && target.is_none() {
                bail!("give --sender N, --target N or both");
            }
            if let Some(next) = sender {
                store.set_next_sender_seq(*next)?;
            }
            if let Some(next) = target {
                store.set_next_target_seq(*next)?;
            }
            store.commit()?;
        }
    }
    let mut stored = 0u64;
    store.outbound_range(1, u64::MAX, &mut |_, _| stored += 1)?;
    let created = store.creation_time().to_utc();
    Ok(format!(
        "session           {}\nstore             {}\nnext sender seq   {}\nnext target seq   {}\nstored messages   {stored}\nsequence created  {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC\n",
        session,
        path.display(),
        store.next_sender_seq(),
        store.next_target_seq(),
        created.year,
        created.month,
        created.day,
        created.hour,
        created.minute,
        created.second,
    ))
}
