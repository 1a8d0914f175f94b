//! Journal errors: each names the file and says what to do.

use std::io;
use std::path::PathBuf;

use crate::record::{DecodeError, InvalidRecord};

/// What went wrong in the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A file operation failed.
    #[error("journal: cannot {action} {path}: {source}")]
    Io {
        /// What was being done (`open`, `write`, `sync`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Damage before the last segment's tail: not a torn write, so it is
    /// not repaired silently.
    #[error(
        "journal: {path} is damaged at byte {position}: {reason}. Records after it cannot be trusted; \
         copy the journal aside, then move this segment and every later one out of the directory to \
         reopen from the records before it"
    )]
    Corrupt {
        /// The segment.
        path: PathBuf,
        /// Byte position of the damage in the segment's data.
        position: u64,
        /// What is wrong.
        reason: DecodeError,
    },
    /// A segment does not start where the previous one ended.
    #[error(
        "journal: {path} starts at offset {found} but the previous segment ends at {expected}; \
         a segment is missing or foreign. Restore the missing segment or move the later ones aside"
    )]
    Gap {
        /// The segment.
        path: PathBuf,
        /// Where the previous segment ended.
        expected: u64,
        /// Where this one starts.
        found: u64,
    },
    /// The record is refused.
    #[error("journal: {0}")]
    Invalid(#[from] InvalidRecord),
    /// A payload value could not be encoded.
    #[error("journal: cannot encode a {topic} payload: {reason}")]
    Encode {
        /// The record's topic.
        topic: crate::topic::Topic,
        /// The encoder's message.
        reason: String,
    },
    /// A payload does not decode as the type its topic and version say.
    #[error(
        "journal: record {offset} ({topic} v{version}) does not decode: {reason}; \
         the reader's type does not match this schema version"
    )]
    Decode {
        /// The record's offset.
        offset: u64,
        /// Its topic.
        topic: crate::topic::Topic,
        /// Its schema version.
        version: u16,
        /// The decoder's message.
        reason: String,
    },
    /// The record cannot fit in any segment.
    #[error(
        "journal: a record of {len} bytes does not fit in a {segment_bytes}-byte segment; raise segment_bytes"
    )]
    RecordTooLarge {
        /// The record's encoded size.
        len: u64,
        /// The configured segment size.
        segment_bytes: u64,
    },
}

/// Wraps an I/O error with the action and path.
pub(crate) fn io_error(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(io::Error) -> JournalError {
    let path = path.into();
    move |source| JournalError::Io {
        action,
        path,
        source,
    }
}
