//! Replay: reading committed records back in offset order, from an offset
//! or a time, optionally for some topics only, skipping records of a newer
//! schema version than the reader knows.

use std::path::{Path, PathBuf};

use model::Timestamp;

use crate::error::{JournalError, io_error};
use crate::record::{self, DecodeError, Envelope, RecordRef};
use crate::segment;
use crate::topic::Topic;

/// Where a replay starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// The first record.
    Beginning,
    /// The record with this offset (or the first after it that exists).
    Offset(u64),
    /// The first record, in offset order, whose event time is at or after
    /// this time; every record after it is replayed.
    Time(Timestamp),
}

/// The newest schema version the reader understands, per topic pattern
/// (`order.*`, `md.book`), first match wins, else `default`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownVersions {
    /// For topics no pattern matches.
    pub default: u16,
    /// `(pattern, newest version)` pairs.
    pub per_topic: Vec<(String, u16)>,
}

impl KnownVersions {
    /// Every topic up to `version`.
    pub const fn up_to(version: u16) -> Self {
        Self {
            default: version,
            per_topic: Vec::new(),
        }
    }

    /// The newest version known for `topic`.
    pub fn newest(&self, topic: &Topic) -> u16 {
        self.per_topic
            .iter()
            .find(|(pattern, _)| topic.matches(pattern))
            .map_or(self.default, |(_, version)| *version)
    }
}

/// What replay hands the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayItem<'a> {
    /// A record to apply.
    Record(RecordRef<'a>),
    /// A record of a newer schema version than the reader knows: not
    /// applied. The caller logs it; replay goes on.
    SkippedNewerVersion(Envelope),
}

/// Replay options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Where to start.
    pub start: Start,
    /// Topic patterns to include (`*` for all).
    pub topics: Vec<String>,
    /// Versions the reader understands.
    pub known: KnownVersions,
}

impl ReplayOptions {
    /// Everything from the beginning, versions up to `version`.
    pub fn all(version: u16) -> Self {
        Self {
            start: Start::Beginning,
            topics: vec!["*".to_owned()],
            known: KnownVersions::up_to(version),
        }
    }
}

/// Counts from one replay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Records handed over as [`ReplayItem::Record`].
    pub records: u64,
    /// Records skipped for their schema version.
    pub skipped_newer: u64,
    /// One past the last offset read.
    pub next_offset: u64,
}

/// A read-only view of a journal directory. It sees what writers have
/// committed when it reads each segment.
#[derive(Debug)]
pub struct JournalReader {
    dir: PathBuf,
    index_interval: u64,
}

impl JournalReader {
    /// A reader of the journal in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            index_interval: 4096,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Replays records in offset order, calling `visit` for each one
    /// selected; `visit` returning `false` stops the replay early (pause:
    /// call again with `Start::Offset(stats.next_offset)` to resume).
    pub fn replay(
        &self,
        options: &ReplayOptions,
        mut visit: impl FnMut(ReplayItem<'_>) -> bool,
    ) -> Result<ReplayStats, JournalError> {
        let files = segment::list_segments(&self.dir).map_err(io_error("list", &self.dir))?;
        let mut stats = ReplayStats::default();
        let mut started = matches!(options.start, Start::Beginning | Start::Offset(_));
        let mut expected = files.first().map_or(0, |(base, _, _)| *base);
        for (position, (base, compressed, path)) in files.iter().enumerate() {
            if *base != expected {
                return Err(JournalError::Gap {
                    path: path.clone(),
                    expected,
                    found: *base,
                });
            }
            let next_base = files.get(position + 1).map(|(next, _, _)| *next);
            // Segments wholly before the start offset are not read.
            if let (Start::Offset(from), Some(next)) = (options.start, next_base)
                && next <= from
            {
                expected = next;
                continue;
            }
            let bytes = segment::read_segment(path, *compressed).map_err(io_error("read", path))?;
            let (mut at, mut offset) = (0usize, *base);
            match options.start {
                Start::Offset(from) if from > *base => {
                    let scan = segment::scan(path, *compressed, *base, &bytes, self.index_interval);
                    if let Some(entry) = segment::seek_offset(&scan.info.index, from) {
                        at = usize::try_from(entry.position).unwrap_or(usize::MAX);
                        offset = entry.offset;
                    }
                }
                Start::Time(time) if !started => {
                    let scan = segment::scan(path, *compressed, *base, &bytes, self.index_interval);
                    if scan.info.max_event_time.is_none_or(|max| max < time) {
                        expected = scan.info.next_offset;
                        continue;
                    }
                    if let Some(entry) = segment::seek_time(&scan.info.index, time) {
                        at = usize::try_from(entry.position).unwrap_or(usize::MAX);
                        offset = entry.offset;
                    }
                }
                _ => {}
            }
            loop {
                let (record, len) = match record::decode(bytes.get(at..).unwrap_or(&[]), offset) {
                    Ok(decoded) => decoded,
                    Err(DecodeError::End) => break,
                    // The last segment's uncommitted or torn tail ends the
                    // replay; damage elsewhere is an error.
                    Err(_) if next_base.is_none() => break,
                    Err(reason) => {
                        return Err(JournalError::Corrupt {
                            path: path.clone(),
                            position: at as u64,
                            reason,
                        });
                    }
                };
                at += len;
                offset += 1;
                let envelope = record.envelope;
                started = started
                    || matches!(options.start, Start::Time(time) if envelope.event_time >= time);
                let wanted = started
                    && !matches!(options.start, Start::Offset(from) if envelope.offset < from)
                    && options
                        .topics
                        .iter()
                        .any(|pattern| envelope.topic.matches(pattern));
                if !wanted {
                    continue;
                }
                stats.next_offset = offset;
                let item = if envelope.schema_version > options.known.newest(&envelope.topic) {
                    stats.skipped_newer += 1;
                    ReplayItem::SkippedNewerVersion(envelope)
                } else {
                    stats.records += 1;
                    ReplayItem::Record(record)
                };
                if !visit(item) {
                    return Ok(stats);
                }
            }
            expected = offset;
        }
        stats.next_offset = stats.next_offset.max(expected);
        Ok(stats)
    }
}
