//! The durable store: one redb database file per session.
//!
//! Layout: table `meta` (`next_sender`, `next_target`, `creation_time` as
//! u64) and table `outbound` (MsgSeqNum → message bytes). A commit writes
//! the staged messages and both sequence numbers in one write transaction,
//! so after a crash the file holds either all of a batch or none of it.

use std::path::{Path, PathBuf};

use model::Timestamp;
use redb::{Database, ReadableDatabase, TableDefinition};

use super::memory::{check_seq, seq_after};
use super::{MessageStore, StoreError};

const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
const OUTBOUND: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("outbound");

/// A [`MessageStore`] in a redb database file. Commits are always fsynced:
/// redb's non-durable commits do not survive a process crash, so this store
/// has no weaker mode.
pub struct RedbStore {
    path: PathBuf,
    db: Database,
    next_sender: u64,
    next_target: u64,
    creation_time: Timestamp,
    staged_messages: Vec<(u64, Box<[u8]>)>,
    staged_reset: bool,
    staged_meta: bool,
    failed: bool,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .field("next_sender", &self.next_sender)
            .field("next_target", &self.next_target)
            .finish_non_exhaustive()
    }
}

impl RedbStore {
    /// Opens the store at `path`, creating it (with both numbers at 1 and
    /// creation time `now`) when it does not exist.
    pub fn open(path: &Path, now: Timestamp) -> Result<Self, StoreError> {
        let io = |error: &dyn std::fmt::Display| StoreError::Io {
            path: path.display().to_string(),
            detail: error.to_string(),
        };
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|e| io(&e))?;
        }
        let db = Database::create(path).map_err(|e| io(&e))?;
        Self::from_database(db, path, now)
    }

    /// Opens a store kept by a custom redb storage backend (tests use one
    /// that simulates crashes); `label` names it in errors.
    pub fn open_with_backend(
        backend: impl redb::StorageBackend,
        label: &Path,
        now: Timestamp,
    ) -> Result<Self, StoreError> {
        let db = Database::builder()
            .create_with_backend(backend)
            .map_err(|error| StoreError::Io {
                path: label.display().to_string(),
                detail: error.to_string(),
            })?;
        Self::from_database(db, label, now)
    }

    fn from_database(db: Database, path: &Path, now: Timestamp) -> Result<Self, StoreError> {
        let io = |error: &dyn std::fmt::Display| StoreError::Io {
            path: path.display().to_string(),
            detail: error.to_string(),
        };
        let mut store = Self {
            path: path.to_owned(),
            db,
            next_sender: 1,
            next_target: 1,
            creation_time: now,
            staged_messages: Vec::new(),
            staged_reset: false,
            staged_meta: false,
            failed: false,
        };
        let read = store.db.begin_read().map_err(|e| io(&e))?;
        match read.open_table(META) {
            Ok(meta) => {
                let get = |key: &str| -> Result<Option<u64>, StoreError> {
                    Ok(meta
                        .get(key)
                        .map_err(|e| io(&e))?
                        .map(|value| value.value()))
                };
                store.next_sender = get("next_sender")?.unwrap_or(1);
                store.next_target = get("next_target")?.unwrap_or(1);
                if let Some(nanos) = get("creation_time")? {
                    store.creation_time = Timestamp::from_unix_nanos(nanos);
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {
                drop(read);
                store.staged_meta = true;
                store.commit()?;
            }
            Err(error) => return Err(io(&error)),
        }
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_error(&mut self, error: &dyn std::fmt::Display) -> StoreError {
        self.failed = true;
        StoreError::Io {
            path: self.path.display().to_string(),
            detail: error.to_string(),
        }
    }

    fn check_usable(&self) -> Result<(), StoreError> {
        if self.failed {
            return Err(StoreError::PreviousIo {
                path: self.path.display().to_string(),
            });
        }
        Ok(())
    }

    fn write_staged(&mut self) -> Result<(), redb::Error> {
        let txn = self.db.begin_write()?;
        {
            let mut outbound = txn.open_table(OUTBOUND)?;
            if self.staged_reset {
                outbound.retain(|_, _| false)?;
            }
            for (seq, message) in &self.staged_messages {
                outbound.insert(*seq, &**message)?;
            }
            let mut meta = txn.open_table(META)?;
            meta.insert("next_sender", self.next_sender)?;
            meta.insert("next_target", self.next_target)?;
            meta.insert("creation_time", self.creation_time.unix_nanos())?;
        }
        txn.commit()?;
        Ok(())
    }
}

impl MessageStore for RedbStore {
    fn next_sender_seq(&self) -> u64 {
        self.next_sender
    }

    fn next_target_seq(&self) -> u64 {
        self.next_target
    }

    fn creation_time(&self) -> Timestamp {
        self.creation_time
    }

    fn store_outbound(&mut self, seq: u64, message: &[u8]) -> Result<(), StoreError> {
        self.check_usable()?;
        let next = seq_after(seq)?;
        self.staged_messages.push((seq, message.into()));
        self.next_sender = next;
        self.staged_meta = true;
        Ok(())
    }

    fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), StoreError> {
        self.check_usable()?;
        check_seq(seq)?;
        self.next_sender = seq;
        self.staged_meta = true;
        Ok(())
    }

    fn set_next_target_seq(&mut self, seq: u64) -> Result<(), StoreError> {
        self.check_usable()?;
        check_seq(seq)?;
        self.next_target = seq;
        self.staged_meta = true;
        Ok(())
    }

    fn outbound_range(
        &mut self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), StoreError> {
        // Resends are rare: commit what is staged, then read one snapshot.
        self.commit()?;
        if begin > end {
            return Ok(());
        }
        let read = self.db.begin_read().map_err(|e| self.io_error(&e))?;
        let table = match read.open_table(OUTBOUND) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(error) => return Err(self.io_error(&error)),
        };
        let range = table.range(begin..=end).map_err(|e| self.io_error(&e))?;
        for entry in range {
            let (seq, message) = entry.map_err(|e| self.io_error(&e))?;
            visit(seq.value(), message.value());
        }
        Ok(())
    }

    fn reset(&mut self, now: Timestamp) -> Result<(), StoreError> {
        self.check_usable()?;
        self.staged_messages.clear();
        self.staged_reset = true;
        self.staged_meta = true;
        self.next_sender = 1;
        self.next_target = 1;
        self.creation_time = now;
        Ok(())
    }

    fn has_staged(&self) -> bool {
        self.staged_meta
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.check_usable()?;
        if !self.staged_meta {
            return Ok(());
        }
        if let Err(error) = self.write_staged() {
            return Err(self.io_error(&error));
        }
        self.staged_messages.clear();
        self.staged_reset = false;
        self.staged_meta = false;
        Ok(())
    }
}
