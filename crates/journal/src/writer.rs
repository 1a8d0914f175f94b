//! The single writer: appends records in batches, syncs them as the
//! durability setting says, rotates segments, and on open recovers the
//! valid records, cutting a torn tail.

use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use model::Timestamp;

use crate::config::{Durability, JournalConfig};
use crate::error::{JournalError, io_error};
use crate::record::{self, Draft};
use crate::segment::{self, IndexBuilder, SegmentInfo};

const NANOS_PER_DAY: u64 = 86_400_000_000_000;

/// What opening found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Segments found.
    pub segments: usize,
    /// Valid records found.
    pub records: u64,
    /// Bytes of a torn tail that were cut from the last segment, and why
    /// the first bad record was bad.
    pub torn_tail: Option<(u64, String)>,
}

/// The segment being appended to.
#[derive(Debug)]
struct Active {
    path: PathBuf,
    file: File,
    base_offset: u64,
    /// Bytes of records written to the file (committed or not synced).
    written_len: u64,
    /// Size the file is preallocated to.
    capacity: u64,
    index: IndexBuilder,
    first_event_time: Option<Timestamp>,
}

/// Appends records to a journal directory. One writer per directory.
///
/// `append` encodes into an in-memory batch and assigns the offset;
/// `commit` writes the batch and syncs it as [`Durability`] says. Nothing
/// in a batch is visible to readers, or survives a crash, before its
/// commit.
#[derive(Debug)]
pub struct JournalWriter {
    config: JournalConfig,
    closed: Vec<SegmentInfo>,
    active: Active,
    batch: Vec<u8>,
    /// Reused buffer for encoding payloads.
    scratch: Vec<u8>,
    /// Offset the next append gets.
    next_offset: u64,
    /// Offsets below this are written to the file.
    written_next: u64,
    /// Offsets below this are durable under the configured policy.
    durable_next: u64,
    last_sync: Option<Timestamp>,
}

impl JournalWriter {
    /// Opens (or creates) the journal in `config.dir`: verifies every
    /// record's CRC and offset, cuts a torn tail off the last segment and
    /// continues after the last valid record.
    pub fn open(config: JournalConfig) -> Result<(Self, OpenReport), JournalError> {
        let dir = config.dir.clone();
        fs::create_dir_all(&dir).map_err(io_error("create directory", &dir))?;
        let files = segment::list_segments(&dir).map_err(io_error("list", &dir))?;
        let mut report = OpenReport {
            segments: files.len(),
            ..OpenReport::default()
        };
        let mut closed = Vec::new();
        let mut expected = files.first().map_or(0, |(base, _, _)| *base);
        let last = files.len().saturating_sub(1);
        let mut tail: Option<(SegmentInfo, Vec<u8>)> = None;
        for (position, (base, compressed, path)) in files.into_iter().enumerate() {
            if base != expected {
                return Err(JournalError::Gap {
                    path,
                    expected,
                    found: base,
                });
            }
            let bytes =
                segment::read_segment(&path, compressed).map_err(io_error("read", &path))?;
            let scan = segment::scan(&path, compressed, base, &bytes, config.index_interval_bytes);
            let is_last = position == last;
            let torn_tail_allowed = is_last && !compressed;
            if let Some(reason) = &scan.stop
                && !torn_tail_allowed
            {
                return Err(JournalError::Corrupt {
                    path,
                    position: scan.info.data_len,
                    reason: reason.clone(),
                });
            }
            report.records += scan.info.next_offset - scan.info.base_offset;
            expected = scan.info.next_offset;
            if torn_tail_allowed {
                if let Some(reason) = &scan.stop {
                    let cut = cut_torn_tail(&path, &bytes, scan.info.data_len)?;
                    report.torn_tail = Some((cut, reason.to_string()));
                }
                tail = Some((scan.info, bytes));
            } else {
                closed.push(scan.info);
            }
        }
        let active = match tail {
            Some((info, bytes)) => Self::resume(&config, info, bytes.len() as u64)?,
            None => Self::create_segment(&config, expected)?,
        };
        Ok((
            Self {
                config,
                closed,
                active,
                batch: Vec::with_capacity(1 << 20),
                scratch: Vec::with_capacity(4096),
                next_offset: expected,
                written_next: expected,
                durable_next: expected,
                last_sync: None,
            },
            report,
        ))
    }

    fn resume(
        config: &JournalConfig,
        info: SegmentInfo,
        file_len: u64,
    ) -> Result<Active, JournalError> {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&info.path)
            .map_err(io_error("open", &info.path))?;
        let capacity = file_len.max(config.segment_bytes);
        if capacity > file_len {
            // A segment that was sealed (cut to its data) before a crash
            // gets its preallocation back.
            rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, capacity)
                .map_err(std::io::Error::from)
                .or_else(|_| file.set_len(capacity))
                .map_err(io_error("preallocate", &info.path))?;
        }
        let index =
            IndexBuilder::resume(config.index_interval_bytes, info.index, info.max_event_time);
        Ok(Active {
            path: info.path,
            file,
            base_offset: info.base_offset,
            written_len: info.data_len,
            capacity,
            index,
            first_event_time: info.first_event_time,
        })
    }

    fn create_segment(config: &JournalConfig, base_offset: u64) -> Result<Active, JournalError> {
        let path = config.dir.join(segment::segment_name(base_offset, false));
        let file = segment::create_preallocated(&path, config.segment_bytes)
            .map_err(io_error("create", &path))?;
        segment::sync_dir(&config.dir).map_err(io_error("sync directory", &config.dir))?;
        Ok(Active {
            path,
            file,
            base_offset,
            written_len: 0,
            capacity: config.segment_bytes,
            index: IndexBuilder::new(config.index_interval_bytes),
            first_event_time: None,
        })
    }

    /// The configuration.
    pub const fn config(&self) -> &JournalConfig {
        &self.config
    }

    /// The offset the next append gets.
    pub const fn next_offset(&self) -> u64 {
        self.next_offset
    }

    /// Offsets below this are durable (under the configured policy).
    pub const fn durable_offset(&self) -> u64 {
        self.durable_next
    }

    /// Closed segments, oldest first.
    pub fn closed_segments(&self) -> &[SegmentInfo] {
        &self.closed
    }

    /// Validates and encodes a record into the current batch and returns
    /// its offset. It is written by the next [`commit`](Self::commit).
    pub fn append(&mut self, draft: &Draft, payload: &[u8]) -> Result<u64, JournalError> {
        record::validate(draft, payload)?;
        let len = record::encoded_len(&draft.topic, payload.len()) as u64;
        if len > self.config.segment_bytes {
            return Err(JournalError::RecordTooLarge {
                len,
                segment_bytes: self.config.segment_bytes,
            });
        }
        let day = draft.event_time.unix_nanos() / NANOS_PER_DAY;
        let position = self.active.written_len + self.batch.len() as u64;
        let new_day = self.config.rotate_daily
            && self
                .active
                .first_event_time
                .is_some_and(|first| day > first.unix_nanos() / NANOS_PER_DAY);
        if position + len > self.active.capacity || new_day {
            self.rotate()?;
        }
        let position = self.active.written_len + self.batch.len() as u64;
        let offset = self.next_offset;
        record::encode(&draft.at(offset), payload, &mut self.batch);
        self.active.index.add(offset, position, draft.event_time);
        self.active.first_event_time.get_or_insert(draft.event_time);
        self.next_offset += 1;
        Ok(offset)
    }

    /// Appends `value` encoded with postcard (the encoding every EMP
    /// payload uses; see `model`'s crate docs for its evolution rules).
    pub fn append_value<T: serde::Serialize>(
        &mut self,
        draft: &Draft,
        value: &T,
    ) -> Result<u64, JournalError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let result = match postcard::to_io(value, &mut scratch) {
            Ok(_) => self.append(draft, &scratch),
            Err(error) => Err(JournalError::Encode {
                topic: draft.topic,
                reason: error.to_string(),
            }),
        };
        self.scratch = scratch;
        result
    }

    /// Writes the batch and syncs as the durability setting says; returns
    /// the durable offset (every record below it is durable).
    pub fn commit(&mut self, now: Timestamp) -> Result<u64, JournalError> {
        self.write_batch()?;
        let sync = match self.config.durability {
            Durability::EveryCommit => self.durable_next < self.written_next,
            Durability::IntervalMillis(millis) => {
                self.durable_next < self.written_next
                    && self.last_sync.is_none_or(|last| {
                        now.saturating_nanos_since(last) >= millis.saturating_mul(1_000_000)
                    })
            }
            Durability::OsOnly => false,
        };
        if sync {
            self.active
                .file
                .sync_data()
                .map_err(io_error("sync", &self.active.path))?;
            self.last_sync = Some(now);
            self.durable_next = self.written_next;
        } else if self.config.durability == Durability::OsOnly {
            self.durable_next = self.written_next;
        }
        Ok(self.durable_next)
    }

    fn write_batch(&mut self) -> Result<(), JournalError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.active
            .file
            .write_all_at(&self.batch, self.active.written_len)
            .map_err(io_error("write", &self.active.path))?;
        self.active.written_len += self.batch.len() as u64;
        self.batch.clear();
        self.written_next = self.next_offset;
        Ok(())
    }

    /// Closes the active segment (written, synced and cut to its data) and
    /// starts the next one.
    fn rotate(&mut self) -> Result<(), JournalError> {
        self.write_batch()?;
        let path = self.active.path.clone();
        self.active
            .file
            .set_len(self.active.written_len)
            .map_err(io_error("truncate", &path))?;
        self.active
            .file
            .sync_all()
            .map_err(io_error("sync", &path))?;
        self.durable_next = self.written_next;
        let next = Self::create_segment(&self.config, self.next_offset)?;
        let old = std::mem::replace(&mut self.active, next);
        self.closed.push(SegmentInfo {
            path: old.path,
            base_offset: old.base_offset,
            next_offset: self.next_offset,
            data_len: old.written_len,
            compressed: false,
            index: old.index.entries,
            first_event_time: old.first_event_time,
            max_event_time: old.index.max_event_time,
        });
        Ok(())
    }

    /// Off-the-hot-path upkeep: compresses closed segments (when
    /// configured) and applies retention. `now` decides segment age.
    pub fn maintain(&mut self, now: Timestamp) -> Result<MaintainReport, JournalError> {
        let mut report = MaintainReport::default();
        if self.config.compress_closed {
            for info in &mut self.closed {
                if !info.compressed {
                    compress(&self.config.dir, info)?;
                    report.compressed += 1;
                }
            }
        }
        let retention = self.config.retention;
        let mut total: u64 = self.closed.iter().map(file_len).sum::<u64>() + self.active.capacity;
        while let Some(oldest) = self.closed.first() {
            let too_old = retention.max_age_days.is_some_and(|days| {
                oldest.max_event_time.is_none_or(|newest| {
                    now.saturating_nanos_since(newest) > u64::from(days) * NANOS_PER_DAY
                })
            });
            let too_big = retention.max_total_bytes.is_some_and(|max| total > max);
            if !(too_old || too_big) {
                break;
            }
            let oldest = self.closed.remove(0);
            total = total.saturating_sub(file_len(&oldest));
            fs::remove_file(&oldest.path).map_err(io_error("delete", &oldest.path))?;
            report.deleted += 1;
        }
        if report.deleted > 0 {
            segment::sync_dir(&self.config.dir)
                .map_err(io_error("sync directory", &self.config.dir))?;
        }
        Ok(report)
    }
}

/// What [`JournalWriter::maintain`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaintainReport {
    /// Segments compressed.
    pub compressed: usize,
    /// Segments deleted by retention.
    pub deleted: usize,
}

fn file_len(info: &SegmentInfo) -> u64 {
    fs::metadata(&info.path).map_or(info.data_len, |meta| meta.len())
}

/// Writes `<base>.seg.lz4` next to the segment, syncs it, then removes the
/// original: a crash in between leaves both, and opening keeps the
/// uncompressed one.
fn compress(dir: &Path, info: &mut SegmentInfo) -> Result<(), JournalError> {
    let target = dir.join(segment::segment_name(info.base_offset, true));
    let partial = target.with_extension("lz4.partial");
    let data = fs::read(&info.path).map_err(io_error("read", &info.path))?;
    let data = &data[..usize::try_from(info.data_len)
        .unwrap_or(data.len())
        .min(data.len())];
    let file = File::create(&partial).map_err(io_error("create", &partial))?;
    let mut encoder = lz4_flex::frame::FrameEncoder::new(file);
    std::io::Write::write_all(&mut encoder, data).map_err(io_error("write", &partial))?;
    let file = encoder
        .finish()
        .map_err(|error| io_error("write", &partial)(error.into()))?;
    file.sync_all().map_err(io_error("sync", &partial))?;
    fs::rename(&partial, &target).map_err(io_error("rename", &partial))?;
    segment::sync_dir(dir).map_err(io_error("sync directory", dir))?;
    fs::remove_file(&info.path).map_err(io_error("delete", &info.path))?;
    segment::sync_dir(dir).map_err(io_error("sync directory", dir))?;
    info.path = target;
    info.compressed = true;
    Ok(())
}

/// Zeroes the bytes of a torn tail (from `valid_len` to the last non-zero
/// byte) so the next scan stops cleanly; returns how many were cut.
fn cut_torn_tail(path: &Path, bytes: &[u8], valid_len: u64) -> Result<u64, JournalError> {
    let start = usize::try_from(valid_len)
        .unwrap_or(bytes.len())
        .min(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&byte| byte != 0)
        .map_or(start, |last| last + 1)
        .max(start);
    if end > start {
        let file = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io_error("open", path))?;
        file.write_all_at(&vec![0; end - start], valid_len)
            .map_err(io_error("write", path))?;
        file.sync_data().map_err(io_error("sync", path))?;
    }
    Ok((end - start) as u64)
}
