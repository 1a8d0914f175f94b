//! How a journal stores and syncs its records.

use std::path::PathBuf;

/// When appended records become durable (fdatasync'ed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Every [`commit`](crate::JournalWriter::commit) writes and syncs the
    /// batch: a record is durable when its commit returns. One fdatasync
    /// (~85–120 µs) per batch, so throughput comes from batching.
    EveryCommit,
    /// Commits write at once but sync at most every this many
    /// milliseconds; a power loss may lose that much.
    IntervalMillis(u64),
    /// Commits write to the OS and never sync: records survive the process
    /// being killed, not the machine losing power.
    OsOnly,
}

/// What to delete among closed segments. A segment goes when any rule
/// says so; the active segment never goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    /// Delete closed segments whose newest event is older than this many
    /// days.
    pub max_age_days: Option<u32>,
    /// Delete the oldest closed segments while the journal is larger.
    pub max_total_bytes: Option<u64>,
}

/// Journal settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalConfig {
    /// The directory holding the segments (created if missing).
    pub dir: PathBuf,
    /// Size each segment is preallocated to; a record that does not fit
    /// starts the next segment.
    pub segment_bytes: u64,
    /// Start a new segment when a record's event time falls on a later
    /// UTC day than the segment's first record.
    pub rotate_daily: bool,
    /// When records become durable.
    pub durability: Durability,
    /// One sparse-index entry per this many bytes of records.
    pub index_interval_bytes: u64,
    /// LZ4-compress segments once they are closed (by
    /// [`maintain`](crate::JournalWriter::maintain)).
    pub compress_closed: bool,
    /// Deletion of old closed segments (by `maintain`).
    pub retention: Retention,
}

impl JournalConfig {
    /// Defaults: 64 MiB segments, daily rotation, a sync per commit, an
    /// index entry per 4 KiB, compression on, no retention limit.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            segment_bytes: 64 * 1024 * 1024,
            rotate_daily: true,
            durability: Durability::EveryCommit,
            index_interval_bytes: 4096,
            compress_closed: true,
            retention: Retention::default(),
        }
    }
}
