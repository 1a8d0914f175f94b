//! The append-only file store: one log file per session.
//!
//! Layout: a 12-byte header (`EMPSTORE` and a little-endian u32 version),
//! then records, each `[u32 len][u32 crc][u8 kind][payload]` little-endian,
//! where `len` counts the payload bytes and `crc` is the CRC-32 (IEEE) of
//! the kind byte and the payload. Kinds: an outbound message (u64 MsgSeqNum
//! and the message bytes), the next sender number (u64), the next target
//! number (u64), a reset (u64 creation time in Unix nanoseconds), and a
//! commit marker (no payload).
//!
//! A commit is one buffer of records ending in a commit marker, handed to
//! the OS in one positioned write, so a process killed at any moment leaves
//! the file ending either at a commit marker or in a torn batch. On open the
//! records are replayed; only batches closed by a commit marker count, and
//! the file is cut at the first incomplete or damaged record, so appends
//! continue after the last good commit.
//!
//! A committed reset rewrites the file (header, reset, numbers) through
//! `<path>.tmp` and a rename, so the log does not grow across daily resets.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use model::Timestamp;

use super::memory::{check_seq, seq_after};
use super::{Durability, MessageStore, StoreError};

const MAGIC: &[u8; 8] = b"EMPSTORE";
const VERSION: u32 = 1;
const HEADER_LEN: u64 = 12;
/// `[u32 len][u32 crc][u8 kind]`.
const RECORD_HEAD: usize = 9;

const KIND_MESSAGE: u8 = 1;
const KIND_NEXT_SENDER: u8 = 2;
const KIND_NEXT_TARGET: u8 = 3;
const KIND_RESET: u8 = 4;
const KIND_COMMIT: u8 = 5;

/// A [`MessageStore`] in an append-only log file, durable as its
/// [`Durability`] says. Outbound messages stay in the file; memory holds
/// only where each one is.
pub struct FileStore {
    path: PathBuf,
    file: File,
    durability: Durability,
    next_sender: u64,
    next_target: u64,
    creation_time: Timestamp,
    /// The numbers the log holds once `pending` is written, before this
    /// commit's number records: a number record is written only on change.
    logged_sender: u64,
    logged_target: u64,
    /// MsgSeqNum → (file offset of the message bytes, length), for
    /// committed and staged messages alike.
    index: BTreeMap<u64, (u64, u32)>,
    /// Staged records, serialised as they will be written.
    pending: Vec<u8>,
    /// File offset where `pending[0]` will land: the end of the file, or 0
    /// when a reset is staged (the file is then rewritten).
    pending_base: u64,
    /// Bytes of the file that hold committed records.
    file_len: u64,
    staged: bool,
    staged_reset: bool,
    failed: bool,
    /// Bytes cut from the end of the file when it was opened.
    truncated_at_open: u64,
    /// Reused for positioned reads of messages.
    read_buf: Vec<u8>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .field("durability", &self.durability)
            .field("next_sender", &self.next_sender)
            .field("next_target", &self.next_target)
            .field("messages", &self.index.len())
            .finish_non_exhaustive()
    }
}

impl FileStore {
    /// Opens the store at `path`, creating it and its folders (with both
    /// numbers at 1 and creation time `now`) when it does not exist or holds
    /// no complete commit. The file is locked while the store is open.
    pub fn open(path: &Path, durability: Durability, now: Timestamp) -> Result<Self, StoreError> {
        let io = |what: &str, error: &dyn std::fmt::Display| StoreError::Io {
            path: path.display().to_string(),
            detail: format!("{what}: {error}"),
        };
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|e| io("cannot create its folder", &e))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io("cannot open", &e))?;
        lock(&file).map_err(|e| io("cannot lock", &e))?;
        let len = file
            .metadata()
            .map_err(|e| io("cannot read its size", &e))?
            .len();
        let mut store = Self {
            path: path.to_owned(),
            file,
            durability,
            next_sender: 1,
            next_target: 1,
            creation_time: now,
            logged_sender: 1,
            logged_target: 1,
            index: BTreeMap::new(),
            pending: Vec::new(),
            pending_base: 0,
            file_len: 0,
            staged: false,
            staged_reset: false,
            failed: false,
            truncated_at_open: 0,
            read_buf: Vec::new(),
        };
        match replay(&store.file, len).map_err(|e| io("cannot read", &e))? {
            Replay::BadHeader => {
                return Err(io(
                    "not an EMP file store",
                    &"bad header; move the file aside (the session then starts a new sequence at 1) or set StoreType to the store that wrote it",
                ));
            }
            Replay::Version(version) => {
                return Err(io(
                    "unsupported file store",
                    &format_args!(
                        "version {version}, this build reads version {VERSION}; open it with the EMP build that wrote it or move it aside"
                    ),
                ));
            }
            Replay::Empty => {
                // Nothing committed (a new file, or one torn while being
                // created): start a sequence, written like any reset.
                store.truncated_at_open = len;
                store.reset(now)?;
                store.commit()?;
            }
            Replay::Recovered(state) => {
                store.next_sender = state.next_sender;
                store.next_target = state.next_target;
                store.logged_sender = state.next_sender;
                store.logged_target = state.next_target;
                store.creation_time = Timestamp::from_unix_nanos(state.creation_nanos);
                store.index = state.index;
                store.file_len = state.valid_end;
                store.pending_base = state.valid_end;
                store.truncated_at_open = len - state.valid_end;
                if state.valid_end < len {
                    store
                        .file
                        .set_len(state.valid_end)
                        .map_err(|e| io("cannot cut off its incomplete last commit", &e))?;
                    if durability == Durability::Fsync {
                        store
                            .file
                            .sync_all()
                            .map_err(|e| io("cannot sync after cutting its last commit", &e))?;
                    }
                }
            }
        }
        Ok(store)
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes cut from the end of the file when it was opened: an incomplete
    /// last commit (the process died while writing it) or damage. Zero for a
    /// cleanly closed file; worth a warning otherwise.
    pub fn truncated_at_open(&self) -> u64 {
        self.truncated_at_open
    }

    fn io_error(&mut self, what: &str, error: &dyn std::fmt::Display) -> StoreError {
        self.failed = true;
        StoreError::Io {
            path: self.path.display().to_string(),
            detail: format!("{what}: {error}"),
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

    /// Appends a record to `pending`; returns the offset of its payload
    /// within `pending`.
    fn push_record(&mut self, kind: u8, parts: &[&[u8]]) -> Result<usize, StoreError> {
        let payload_len: usize = parts.iter().map(|part| part.len()).sum();
        let Ok(len) = u32::try_from(payload_len) else {
            return Err(StoreError::Io {
                path: self.path.display().to_string(),
                detail: format!(
                    "a record of {payload_len} bytes is larger than the file store's 4 GiB limit; lower MaxMessageSize"
                ),
            });
        };
        let start = self.pending.len();
        self.pending.extend_from_slice(&len.to_le_bytes());
        self.pending.extend_from_slice(&[0; 4]);
        self.pending.push(kind);
        for part in parts {
            self.pending.extend_from_slice(part);
        }
        let crc = crc32(&self.pending[start + 8..]);
        self.pending[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
        Ok(start + RECORD_HEAD)
    }

    /// Writes `pending` as a new file and puts it in place of the old one.
    fn rewrite(&self) -> io::Result<File> {
        let mut tmp_name = OsString::from(self.path.as_os_str());
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&tmp)?;
        // Locked before it is emptied, so two processes cannot race on it;
        // the lock moves with the file when it is renamed into place.
        lock(&file)?;
        file.set_len(0)?;
        file.write_all_at(&self.pending, 0)?;
        // In both modes: the rename must never expose a file whose bytes
        // are not on disk, or a power loss could leave an empty store.
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        let dir = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
        Ok(file)
    }

    fn write_pending(&mut self) -> Result<(), StoreError> {
        if self.staged_reset {
            match self.rewrite() {
                Ok(file) => self.file = file,
                Err(error) => return Err(self.io_error("cannot rewrite after a reset", &error)),
            }
        } else {
            if let Err(error) = self.file.write_all_at(&self.pending, self.file_len) {
                return Err(self.io_error("cannot write", &error));
            }
            if self.durability == Durability::Fsync
                && let Err(error) = self.file.sync_data()
            {
                return Err(self.io_error("cannot sync", &error));
            }
        }
        Ok(())
    }
}

impl MessageStore for FileStore {
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
        let payload = self.push_record(KIND_MESSAGE, &[&seq.to_le_bytes(), message])?;
        // push_record bounded the payload, so the message length fits too.
        let len = u32::try_from(message.len()).unwrap_or(u32::MAX);
        let offset = self.pending_base + payload as u64 + 8;
        self.index.insert(seq, (offset, len));
        self.next_sender = next;
        self.staged = true;
        Ok(())
    }

    fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), StoreError> {
        self.check_usable()?;
        check_seq(seq)?;
        self.next_sender = seq;
        self.staged = true;
        Ok(())
    }

    fn set_next_target_seq(&mut self, seq: u64) -> Result<(), StoreError> {
        self.check_usable()?;
        check_seq(seq)?;
        self.next_target = seq;
        self.staged = true;
        Ok(())
    }

    fn outbound_range(
        &mut self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), StoreError> {
        self.check_usable()?;
        if begin > end {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.read_buf);
        let mut failure = None;
        for (&seq, &(offset, len)) in self.index.range(begin..=end) {
            let len = len as usize;
            if offset >= self.pending_base {
                // Staged: still in the commit buffer.
                let start = (offset - self.pending_base) as usize;
                visit(seq, &self.pending[start..start + len]);
            } else {
                buf.resize(len, 0);
                if let Err(error) = self.file.read_exact_at(&mut buf, offset) {
                    failure = Some(error);
                    break;
                }
                visit(seq, &buf);
            }
        }
        self.read_buf = buf;
        match failure {
            Some(error) => Err(self.io_error("cannot read a stored message", &error)),
            None => Ok(()),
        }
    }

    fn reset(&mut self, now: Timestamp) -> Result<(), StoreError> {
        self.check_usable()?;
        // The staged batch now starts a new file: header, then the reset.
        self.pending.clear();
        self.pending.extend_from_slice(MAGIC);
        self.pending.extend_from_slice(&VERSION.to_le_bytes());
        self.pending_base = 0;
        self.push_record(KIND_RESET, &[&now.unix_nanos().to_le_bytes()])?;
        self.index.clear();
        self.next_sender = 1;
        self.next_target = 1;
        self.logged_sender = 1;
        self.logged_target = 1;
        self.creation_time = now;
        self.staged_reset = true;
        self.staged = true;
        Ok(())
    }

    fn has_staged(&self) -> bool {
        self.staged
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.check_usable()?;
        if !self.staged {
            return Ok(());
        }
        if self.next_sender != self.logged_sender {
            self.push_record(KIND_NEXT_SENDER, &[&self.next_sender.to_le_bytes()])?;
        }
        if self.next_target != self.logged_target {
            self.push_record(KIND_NEXT_TARGET, &[&self.next_target.to_le_bytes()])?;
        }
        self.push_record(KIND_COMMIT, &[])?;
        self.write_pending()?;
        self.file_len = self.pending_base + self.pending.len() as u64;
        self.pending_base = self.file_len;
        self.pending.clear();
        self.logged_sender = self.next_sender;
        self.logged_target = self.next_target;
        self.staged = false;
        self.staged_reset = false;
        Ok(())
    }
}

/// Takes the file's advisory lock, so two processes never append to one log.
fn lock(file: &File) -> io::Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(io::Error::other(
            "the file is in use by another process (locked); stop the session that has it open first",
        )),
        Err(TryLockError::Error(error)) => Err(error),
    }
}

/// What the file holds.
enum Replay {
    /// Not a file store.
    BadHeader,
    /// A file store of another version.
    Version(u32),
    /// No complete commit.
    Empty,
    /// The state after the last complete commit.
    Recovered(Recovered),
}

struct Recovered {
    next_sender: u64,
    next_target: u64,
    creation_nanos: u64,
    index: BTreeMap<u64, (u64, u32)>,
    /// End of the last commit marker.
    valid_end: u64,
}

/// One change read from the log, applied when its commit marker is read.
enum Change {
    Message { seq: u64, offset: u64, len: u32 },
    NextSender(u64),
    NextTarget(u64),
    Reset(u64),
}

/// Reads the `len` bytes of `file`, applying every batch closed by a commit
/// marker and stopping at the first record that is incomplete, damaged or
/// not one this version writes.
fn replay(file: &File, len: u64) -> io::Result<Replay> {
    let mut reader = BufReader::with_capacity(1 << 16, file);
    reader.seek(SeekFrom::Start(0))?;
    let mut header = [0u8; HEADER_LEN as usize];
    let header_len = len.min(HEADER_LEN) as usize;
    reader.read_exact(&mut header[..header_len])?;
    if header[..header_len.min(MAGIC.len())] != MAGIC[..header_len.min(MAGIC.len())] {
        return Ok(Replay::BadHeader);
    }
    if len < HEADER_LEN {
        // A header torn while the file was being created.
        return Ok(Replay::Empty);
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&header[8..12]);
    let version = u32::from_le_bytes(version);
    if version != VERSION {
        return Ok(Replay::Version(version));
    }

    let mut state = Recovered {
        next_sender: 1,
        next_target: 1,
        creation_nanos: 0,
        index: BTreeMap::new(),
        valid_end: HEADER_LEN,
    };
    let mut created = false;
    let mut batch: Vec<Change> = Vec::new();
    let mut payload: Vec<u8> = Vec::new();
    let mut offset = HEADER_LEN;
    loop {
        let remaining = len - offset;
        if remaining < RECORD_HEAD as u64 {
            break;
        }
        let mut head = [0u8; RECORD_HEAD];
        reader.read_exact(&mut head)?;
        let payload_len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let kind = head[8];
        if u64::from(payload_len) > remaining - RECORD_HEAD as u64 {
            break;
        }
        payload.resize(payload_len as usize, 0);
        reader.read_exact(&mut payload)?;
        if crc32_parts(&[&[kind], &payload]) != crc {
            break;
        }
        let payload_offset = offset + RECORD_HEAD as u64;
        offset = payload_offset + u64::from(payload_len);
        let number = match payload.get(..8) {
            Some(bytes) => {
                let mut number = [0u8; 8];
                number.copy_from_slice(bytes);
                u64::from_le_bytes(number)
            }
            None => 0,
        };
        let fixed = payload.len() == 8;
        let change = match kind {
            KIND_MESSAGE if payload.len() >= 8 && number != 0 => Change::Message {
                seq: number,
                offset: payload_offset + 8,
                len: payload_len - 8,
            },
            KIND_NEXT_SENDER if fixed && number != 0 => Change::NextSender(number),
            KIND_NEXT_TARGET if fixed && number != 0 => Change::NextTarget(number),
            KIND_RESET if fixed => Change::Reset(number),
            KIND_COMMIT if payload.is_empty() => {
                for change in batch.drain(..) {
                    match change {
                        Change::Message { seq, offset, len } => {
                            state.index.insert(seq, (offset, len));
                        }
                        Change::NextSender(seq) => state.next_sender = seq,
                        Change::NextTarget(seq) => state.next_target = seq,
                        Change::Reset(nanos) => {
                            state.index.clear();
                            state.next_sender = 1;
                            state.next_target = 1;
                            state.creation_nanos = nanos;
                            created = true;
                        }
                    }
                }
                state.valid_end = offset;
                continue;
            }
            // A record this version never writes: damage.
            _ => break,
        };
        batch.push(change);
    }
    if !created {
        return Ok(Replay::Empty);
    }
    Ok(Replay::Recovered(state))
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), eight bytes per
/// step with eight tables ("slicing by 8"), several times faster than one
/// byte per step; every byte of a commit passes through it.
static CRC_TABLES: [[u32; 256]; 8] = crc_tables();

const fn crc_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][i] = crc;
        i += 1;
    }
    let mut t = 1;
    while t < 8 {
        let mut i = 0;
        while i < 256 {
            let previous = tables[t - 1][i];
            tables[t][i] = (previous >> 8) ^ tables[0][(previous & 0xff) as usize];
            i += 1;
        }
        t += 1;
    }
    tables
}

fn crc32(bytes: &[u8]) -> u32 {
    crc32_parts(&[bytes])
}

fn crc32_parts(parts: &[&[u8]]) -> u32 {
    let t = &CRC_TABLES;
    let mut crc = !0u32;
    for part in parts {
        let mut chunks = part.chunks_exact(8);
        for chunk in &mut chunks {
            let low = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) ^ crc;
            let high = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
            crc = t[7][(low & 0xff) as usize]
                ^ t[6][((low >> 8) & 0xff) as usize]
                ^ t[5][((low >> 16) & 0xff) as usize]
                ^ t[4][(low >> 24) as usize]
                ^ t[3][(high & 0xff) as usize]
                ^ t[2][((high >> 8) & 0xff) as usize]
                ^ t[1][((high >> 16) & 0xff) as usize]
                ^ t[0][(high >> 24) as usize];
        }
        for &byte in chunks.remainder() {
            crc = (crc >> 8) ^ t[0][((crc ^ u32::from(byte)) & 0xff) as usize];
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::{crc32, crc32_parts};

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        let long: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        assert_eq!(
            crc32(&long),
            crc32_parts(&[&long[..3], &long[3..17], &long[17..]]),
            "split input gives the same checksum"
        );
    }
}
