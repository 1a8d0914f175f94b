//! Segment files: naming, preallocation, scanning for the valid records and
//! the sparse offset/time index built while scanning or appending.
//!
//! A segment is `<base offset, 20 digits>.seg`, preallocated to the
//! configured size and zero-filled beyond its data. A closed segment may be
//! compressed to `<base>.seg.lz4` (an LZ4 frame of exactly its data).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use model::Timestamp;

use crate::record::{self, DecodeError};

/// File name suffix of a segment.
pub const SEGMENT_SUFFIX: &str = ".seg";
/// File name suffix of a compressed closed segment.
pub const COMPRESSED_SUFFIX: &str = ".seg.lz4";

/// One entry of a segment's sparse index: the record at `offset` starts at
/// byte `position`; `max_event_time` is the largest event time of the
/// segment's records up to and including it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// The record's offset.
    pub offset: u64,
    /// Its byte position in the segment's data.
    pub position: u64,
    /// The largest event time of the segment's records up to and
    /// including this one.
    pub max_event_time: Timestamp,
}

/// What is known about one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentInfo {
    /// Its file.
    pub path: PathBuf,
    /// Offset of its first record.
    pub base_offset: u64,
    /// One past the offset of its last record (= base when empty).
    pub next_offset: u64,
    /// Bytes of valid data.
    pub data_len: u64,
    /// Whether the file is LZ4-compressed.
    pub compressed: bool,
    /// Sparse index, first entry at the first record.
    pub index: Vec<IndexEntry>,
    /// Event time of the first record.
    pub first_event_time: Option<Timestamp>,
    /// Largest event time in the segment.
    pub max_event_time: Option<Timestamp>,
}

/// The file name of the segment starting at `base_offset`.
pub fn segment_name(base_offset: u64, compressed: bool) -> String {
    let suffix = if compressed {
        COMPRESSED_SUFFIX
    } else {
        SEGMENT_SUFFIX
    };
    format!("{base_offset:020}{suffix}")
}

/// The base offset and compression of a segment file name, or `None` for
/// any other file.
pub fn parse_segment_name(name: &str) -> Option<(u64, bool)> {
    let (stem, compressed) = match name.strip_suffix(COMPRESSED_SUFFIX) {
        Some(stem) => (stem, true),
        None => (name.strip_suffix(SEGMENT_SUFFIX)?, false),
    };
    if stem.len() != 20 || !stem.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok().map(|base| (base, compressed))
}

/// Every segment file in `dir`, by base offset. Two files with one base
/// offset (a compressed and an uncompressed copy, left by a crash during
/// compression) keep the uncompressed one, which is complete.
pub fn list_segments(dir: &Path) -> io::Result<Vec<(u64, bool, PathBuf)>> {
    let mut found: Vec<(u64, bool, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some((base, compressed)) = name.to_str().and_then(parse_segment_name) else {
            continue;
        };
        found.push((base, compressed, entry.path()));
    }
    // Uncompressed (false) sorts first for equal bases.
    found.sort_by_key(|(base, compressed, _)| (*base, *compressed));
    found.dedup_by_key(|(base, _, _)| *base);
    Ok(found)
}

/// Reads a segment's bytes: its data (compressed segments are
/// decompressed), followed by whatever zero fill the file has.
pub fn read_segment(path: &Path, compressed: bool) -> io::Result<Vec<u8>> {
    if compressed {
        let mut decoder = lz4_flex::frame::FrameDecoder::new(File::open(path)?);
        let mut data = Vec::new();
        decoder.read_to_end(&mut data)?;
        Ok(data)
    } else {
        fs::read(path)
    }
}

/// The result of scanning a segment's bytes.
#[derive(Debug)]
pub struct Scan {
    /// The segment, up to the last valid record.
    pub info: SegmentInfo,
    /// Why the scan stopped: `End` for clean zero fill or the end of the
    /// bytes, anything else for damage at `info.data_len`.
    pub stop: Option<DecodeError>,
}

/// Walks the records of one segment from its start, checking each CRC and
/// offset, and builds the sparse index (one entry every
/// `index_interval` bytes).
pub fn scan(
    path: &Path,
    compressed: bool,
    base_offset: u64,
    bytes: &[u8],
    index_interval: u64,
) -> Scan {
    let mut builder = IndexBuilder::new(index_interval);
    let mut position = 0usize;
    let mut next_offset = base_offset;
    let mut first_event_time = None;
    let stop = loop {
        match record::decode(&bytes[position..], next_offset) {
            Ok((record, len)) => {
                let event_time = record.envelope.event_time;
                first_event_time.get_or_insert(event_time);
                builder.add(next_offset, position as u64, event_time);
                position += len;
                next_offset += 1;
            }
            Err(DecodeError::End) => break None,
            Err(error) => break Some(error),
        }
    };
    Scan {
        info: SegmentInfo {
            path: path.to_path_buf(),
            base_offset,
            next_offset,
            data_len: position as u64,
            compressed,
            max_event_time: builder.max_event_time,
            index: builder.entries,
            first_event_time,
        },
        stop,
    }
}

/// Builds a sparse index as records are appended or scanned.
#[derive(Clone, Debug)]
pub struct IndexBuilder {
    interval: u64,
    next_position: u64,
    /// Entries so far.
    pub entries: Vec<IndexEntry>,
    /// Largest event time so far.
    pub max_event_time: Option<Timestamp>,
}

impl IndexBuilder {
    /// An empty index with one entry every `interval` bytes (at least 1).
    pub fn new(interval: u64) -> Self {
        Self {
            interval: interval.max(1),
            next_position: 0,
            entries: Vec::new(),
            max_event_time: None,
        }
    }

    /// Continues an index read back from a segment.
    pub fn resume(
        interval: u64,
        entries: Vec<IndexEntry>,
        max_event_time: Option<Timestamp>,
    ) -> Self {
        let interval = interval.max(1);
        Self {
            interval,
            next_position: entries.last().map_or(0, |last| last.position + interval),
            entries,
            max_event_time,
        }
    }

    /// Notes the record at `offset`, which starts at byte `position`.
    pub fn add(&mut self, offset: u64, position: u64, event_time: Timestamp) {
        let max = self
            .max_event_time
            .map_or(event_time, |max| max.max(event_time));
        self.max_event_time = Some(max);
        if position >= self.next_position {
            self.entries.push(IndexEntry {
                offset,
                position,
                max_event_time: max,
            });
            self.next_position = position + self.interval;
        }
    }
}

/// The index entry to start reading from to reach `offset`: the last entry
/// at or before it.
pub fn seek_offset(index: &[IndexEntry], offset: u64) -> Option<&IndexEntry> {
    let after = index.partition_point(|entry| entry.offset <= offset);
    after.checked_sub(1).map(|at| &index[at])
}

/// The index entry to start reading from to reach the first record with
/// an event time at or after `time`: the last entry whose running maximum
/// is still below `time` (records before it are all earlier).
pub fn seek_time(index: &[IndexEntry], time: Timestamp) -> Option<&IndexEntry> {
    let below = index.partition_point(|entry| entry.max_event_time < time);
    index.get(below.saturating_sub(1))
}

/// Creates a segment file of `size` bytes, zero-filled, with its blocks
/// allocated up front so later writes do not change the file's size (and
/// fdatasync need not update metadata).
pub fn create_preallocated(path: &Path, size: u64) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)?;
    match rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, size) {
        Ok(()) => {}
        // Filesystems without fallocate (tmpfs on old kernels, some network
        // filesystems) get a sparse file of the same size.
        Err(rustix::io::Errno::OPNOTSUPP | rustix::io::Errno::NOSYS) => file.set_len(size)?,
        Err(errno) => return Err(errno.into()),
    }
    Ok(file)
}

/// Syncs a directory so a created, renamed or deleted file in it survives
/// a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    fn entry(offset: u64, position: u64, max: u64) -> IndexEntry {
        IndexEntry {
            offset,
            position,
            max_event_time: Timestamp::from_unix_nanos(max),
        }
    }

    #[test]
    fn names_sort_and_parse_back() {
        assert_eq!(segment_name(42, false), "00000000000000000042.seg");
        assert_eq!(
            parse_segment_name("00000000000000000042.seg"),
            Some((42, false))
        );
        assert_eq!(
            parse_segment_name("00000000000000000042.seg.lz4"),
            Some((42, true))
        );
        for other in [
            "42.seg",
            "00000000000000000042.idx",
            "x0000000000000000042.seg",
        ] {
            assert_eq!(parse_segment_name(other), None, "{other}");
        }
    }

    #[test]
    fn seeks_find_the_last_entry_at_or_before_the_target() {
        let index = [
            entry(10, 0, 100),
            entry(20, 4096, 250),
            entry(30, 8192, 300),
        ];
        assert_eq!(seek_offset(&index, 9), None);
        assert_eq!(seek_offset(&index, 10).unwrap().offset, 10);
        assert_eq!(seek_offset(&index, 29).unwrap().offset, 20);
        assert_eq!(seek_offset(&index, 1_000).unwrap().offset, 30);
        // Running max below 250 up to entry 10 only.
        assert_eq!(
            seek_time(&index, Timestamp::from_unix_nanos(50))
                .unwrap()
                .offset,
            10
        );
        assert_eq!(
            seek_time(&index, Timestamp::from_unix_nanos(250))
                .unwrap()
                .offset,
            10
        );
        assert_eq!(
            seek_time(&index, Timestamp::from_unix_nanos(260))
                .unwrap()
                .offset,
            20
        );
        assert_eq!(
            seek_time(&index, Timestamp::from_unix_nanos(999))
                .unwrap()
                .offset,
            30
        );
    }

    #[test]
    fn the_index_has_one_entry_per_interval_and_a_running_maximum() {
        let mut builder = IndexBuilder::new(100);
        builder.add(0, 0, Timestamp::from_unix_nanos(5));
        builder.add(1, 60, Timestamp::from_unix_nanos(9));
        builder.add(2, 120, Timestamp::from_unix_nanos(7));
        builder.add(3, 180, Timestamp::from_unix_nanos(8));
        builder.add(4, 240, Timestamp::from_unix_nanos(1));
        assert_eq!(
            builder.entries,
            vec![entry(0, 0, 5), entry(2, 120, 9), entry(4, 240, 9)]
        );
    }
}
