//! EMP journal: the durable, append-only event log that is the source of
//! truth. Components recover by replaying it; live, paper, replay and
//! backtest read the same records.
//!
//! - A journal is a directory of segments (`<first offset>.seg`),
//!   preallocated, rotated by size and by UTC day, LZ4-compressed once
//!   closed, and deleted by a retention rule ([`JournalConfig`]).
//! - Each record has an [`Envelope`] (offset, [`Topic`] in the `md.*`,
//!   `feature.*`, `strategy.*`, `risk.*`, `order.*`, `pnl.*`, `system.*`
//!   namespaces, schema version, event and receive times, correlation id),
//!   a payload, and a CRC ([`record`] has the byte layout).
//! - One [`JournalWriter`] appends in batches; [`JournalWriter::commit`]
//!   writes a batch and makes it durable as [`Durability`] says (a sync per
//!   commit, per interval, or none). Opening verifies every record and cuts
//!   a torn tail; damage anywhere else is an error, never repaired
//!   silently.
//! - [`JournalReader::replay`] reads records back in offset order from an
//!   offset or a time, for chosen topics, skipping (and reporting) records
//!   of a schema version newer than the reader knows.
//!
//! ```
//! use journal::{Draft, JournalConfig, JournalReader, JournalWriter, ReplayItem, ReplayOptions, Topic};
//! use model::Timestamp;
//!
//! let dir = tempfile::tempdir()?;
//! let (mut writer, _) = JournalWriter::open(JournalConfig::new(dir.path()))?;
//! let now = Timestamp::from_unix_nanos(1_790_000_000_000_000_000);
//! let draft = Draft {
//!     topic: Topic::new("order.submitted")?,
//!     schema_version: 1,
//!     event_time: now,
//!     receive_time: now,
//!     correlation_id: 7,
//! };
//! assert_eq!(writer.append(&draft, b"payload")?, 0);
//! assert_eq!(writer.commit(now)?, 1); // offsets below 1 are durable
//!
//! let mut payloads = Vec::new();
//! JournalReader::new(dir.path()).replay(&ReplayOptions::all(1), |item| {
//!     if let ReplayItem::Record(record) = item {
//!         payloads.push(record.payload.to_vec());
//!     }
//!     true
//! })?;
//! assert_eq!(payloads, [b"payload".to_vec()]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod config;
pub mod error;
pub mod reader;
pub mod record;
pub mod segment;
pub mod topic;
pub mod writer;

pub use config::{Durability, JournalConfig, Retention};
pub use error::JournalError;
pub use reader::{JournalReader, KnownVersions, ReplayItem, ReplayOptions, ReplayStats, Start};
pub use record::{DecodeError, Draft, Envelope, InvalidRecord, RecordRef};
pub use topic::{Topic, TopicError};
pub use writer::{JournalWriter, MaintainReport, OpenReport};
