//! Where a FIX session keeps its sequence numbers and the messages it sent,
//! so it can answer ResendRequests and continue after a restart.
//!
//! [`MessageStore`] is small and synchronous. Changes are *staged* by
//! [`MessageStore::store_outbound`] and the setters, visible at once to the
//! session, and made durable together by [`MessageStore::commit`]. The
//! session commits before it hands any bytes to the transport, so a message
//! is never on the wire before it and its sequence number are in the store
//! (persist before send). Committing once per batch of messages is the group
//! commit that keeps fsync from capping throughput.
//!
//! - [`MemStore`]: in memory, for tests and sessions that reset every day.
//! - [`RedbStore`]: a redb database file, fsynced at every commit.
//! - [`FileStore`]: an append-only log file, written to the OS at every
//!   commit and fsynced or not as its [`Durability`] says.

mod file_store;
mod memory;
mod redb_store;

pub use file_store::FileStore;
pub use memory::MemStore;
pub use redb_store::RedbStore;

use model::Timestamp;

/// What a [`FileStore`] commit survives once it returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Each commit is one write to the OS page cache: it survives a process
    /// kill (SIGKILL) but not a power loss or a kernel crash, which can
    /// lose the last commits (never part of one). Like QuickFIX's file
    /// store.
    Os,
    /// Each commit is written, then fdatasync'ed before it returns: it
    /// survives a power loss.
    #[default]
    Fsync,
}

/// Which store keeps a session's state on disk (settings `StoreType` and
/// `StoreDurability`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoreKind {
    /// [`RedbStore`], fsynced at every commit.
    #[default]
    Redb,
    /// [`FileStore`] with this durability.
    File(Durability),
}

/// A session's persistent state: next sequence numbers, the creation time
/// of the current sequence, and the outbound messages by sequence number.
pub trait MessageStore {
    /// MsgSeqNum of the next message this side sends.
    fn next_sender_seq(&self) -> u64;
    /// MsgSeqNum expected on the next message received.
    fn next_target_seq(&self) -> u64;
    /// When the current sequence began (the last reset).
    fn creation_time(&self) -> Timestamp;
    /// Stages an outbound message under `seq` and sets the next sender
    /// number to `seq + 1`, as one change.
    fn store_outbound(&mut self, seq: u64, message: &[u8]) -> Result<(), StoreError>;
    /// Stages a new next sender number.
    fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), StoreError>;
    /// Stages a new next target number.
    fn set_next_target_seq(&mut self, seq: u64) -> Result<(), StoreError>;
    /// Calls `visit` with each stored outbound message with a sequence
    /// number in `begin..=end`, in order. Numbers with no message (sent
    /// while not persisting) are skipped.
    fn outbound_range(
        &mut self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), StoreError>;
    /// Stages a reset: both numbers back to 1, messages dropped, creation
    /// time `now`.
    fn reset(&mut self, now: Timestamp) -> Result<(), StoreError>;
    /// True when staged changes wait for [`MessageStore::commit`].
    fn has_staged(&self) -> bool;
    /// Makes every staged change durable (to the degree the store's
    /// durability mode promises) as one atomic step.
    fn commit(&mut self) -> Result<(), StoreError>;
}

/// A store operation failed. After an I/O failure a store refuses further
/// work ([`StoreError::PreviousIo`]): its state on disk is unknown, so the
/// session stops rather than send messages it may not have recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store file could not be opened, read or written.
    #[error("message store {path}: {detail}")]
    Io {
        /// The store file.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// An earlier I/O error left the store in an unknown state; restart the
    /// session to reopen it.
    #[error(
        "message store {path} failed earlier and refuses further writes; restart the session to reopen it"
    )]
    PreviousIo {
        /// The store file.
        path: String,
    },
    /// A sequence number is not valid (zero, or behind a stored message).
    #[error("sequence number {seq} is not valid here: {why}")]
    InvalidSequence {
        /// The number given.
        seq: u64,
        /// Why it was refused.
        why: &'static str,
    },
}
