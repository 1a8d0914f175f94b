//! Message store behaviour, the same for every store, and crash
//! consistency: the redb database is cut at every sync point of a
//! workload, the file store's log at every byte, and each cut reopened must
//! hold a state the workload committed.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gateway::fix::settings;
use gateway::fix::store::{
    Durability, FileStore, MemStore, MessageStore, RedbStore, StoreError, StoreKind,
};
use gateway::transport::open_store;
use model::Timestamp;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_nanos(1_763_700_000_000_000_000 + secs * 1_000_000_000)
}

fn messages(store: &mut dyn MessageStore, begin: u64, end: u64) -> Vec<(u64, Vec<u8>)> {
    let mut found = Vec::new();
    store
        .outbound_range(begin, end, &mut |seq, bytes| {
            found.push((seq, bytes.to_vec()));
        })
        .unwrap();
    found
}

/// What every store must do.
fn conformance(store: &mut dyn MessageStore) {
    assert_eq!((store.next_sender_seq(), store.next_target_seq()), (1, 1));
    for invalid in [0, u64::MAX] {
        assert!(
            matches!(
                store.store_outbound(invalid, b"x"),
                Err(StoreError::InvalidSequence { .. })
            ),
            "MsgSeqNum {invalid} was stored"
        );
    }
    assert!(!store.has_staged());
    store.store_outbound(1, b"one").unwrap();
    store.store_outbound(2, b"two").unwrap();
    store.set_next_target_seq(5).unwrap();
    assert!(store.has_staged());
    store.commit().unwrap();
    assert!(!store.has_staged());
    assert_eq!((store.next_sender_seq(), store.next_target_seq()), (3, 5));
    store.set_next_sender_seq(10).unwrap(); // a gap: 3..9 never stored
    store.store_outbound(10, b"ten").unwrap();
    assert_eq!(
        messages(store, 2, 100),
        [(2, b"two".to_vec()), (10, b"ten".to_vec())]
    );
    assert!(messages(store, 5, 4).is_empty());
    assert!(
        store.set_next_target_seq(0).is_err(),
        "sequence numbers start at 1"
    );
    store.reset(at(9)).unwrap();
    store.commit().unwrap();
    assert_eq!((store.next_sender_seq(), store.next_target_seq()), (1, 1));
    assert_eq!(store.creation_time(), at(9));
    assert!(messages(store, 1, 100).is_empty());
}

#[test]
fn memory_store_conforms() {
    conformance(&mut MemStore::new(at(0)));
}

/// What every store on disk must do: pass [`conformance`], and after a
/// reopen hold exactly what was committed, without what was only staged.
fn conformance_and_reopening(open: &dyn Fn(Timestamp) -> Box<dyn MessageStore>) {
    conformance(&mut *open(at(0)));
    {
        let mut store = open(at(1));
        assert_eq!(store.creation_time(), at(9), "kept from the last reset");
        store.store_outbound(1, b"a").unwrap();
        store.store_outbound(2, b"b").unwrap();
        store.set_next_target_seq(7).unwrap();
        store.commit().unwrap();
        store.store_outbound(3, b"not committed").unwrap();
        store.set_next_target_seq(8).unwrap();
    }
    let mut store = open(at(2));
    assert_eq!((store.next_sender_seq(), store.next_target_seq()), (3, 7));
    assert_eq!(store.creation_time(), at(9));
    assert_eq!(
        messages(&mut *store, 1, 10),
        [(1, b"a".to_vec()), (2, b"b".to_vec())]
    );
}

#[test]
fn redb_store_conforms_and_keeps_its_state_across_reopening() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("session.redb");
    conformance_and_reopening(&|now| Box::new(RedbStore::open(&path, now).unwrap()));
}

#[test]
fn file_store_conforms_and_keeps_its_state_across_reopening() {
    for durability in [Durability::Os, Durability::Fsync] {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let path = dir.join("new/folder/session.log");
        conformance_and_reopening(&|now| {
            Box::new(FileStore::open(&path, durability, now).unwrap())
        });
    }
}

#[test]
fn redb_store_names_the_file_it_cannot_open() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let not_a_db = dir.join("garbage.redb");
    std::fs::write(&not_a_db, b"this is not a redb file at all, not even close").unwrap();
    let error = RedbStore::open(&not_a_db, at(0)).unwrap_err().to_string();
    assert!(error.contains("garbage.redb"), "{error}");
}

/// A redb backend in memory that keeps, at every sync, a copy of the
/// bytes made durable, and of the bytes written just before the sync (the
/// writes a crash may or may not have kept).
#[derive(Debug, Default)]
struct RecordingBackend {
    live: Mutex<Vec<u8>>,
    cuts: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl redb::StorageBackend for RecordingBackend {
    fn len(&self) -> Result<u64, io::Error> {
        Ok(self.live.lock().unwrap().len() as u64)
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        let live = self.live.lock().unwrap();
        let start = offset as usize;
        out.copy_from_slice(&live[start..start + out.len()]);
        Ok(())
    }
    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.live.lock().unwrap().resize(len as usize, 0);
        Ok(())
    }
    fn sync_data(&self) -> Result<(), io::Error> {
        let live = self.live.lock().unwrap().clone();
        self.cuts.lock().unwrap().push(live);
        Ok(())
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        let mut live = self.live.lock().unwrap();
        let start = offset as usize;
        if live.len() < start + data.len() {
            live.resize(start + data.len(), 0);
        }
        live[start..start + data.len()].copy_from_slice(data);
        Ok(())
    }
}

/// A backend holding fixed bytes, to reopen a cut.
#[derive(Debug)]
struct FrozenBackend(Mutex<Vec<u8>>);

impl redb::StorageBackend for FrozenBackend {
    fn len(&self) -> Result<u64, io::Error> {
        Ok(self.0.lock().unwrap().len() as u64)
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        let bytes = self.0.lock().unwrap();
        out.copy_from_slice(&bytes[offset as usize..offset as usize + out.len()]);
        Ok(())
    }
    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.0.lock().unwrap().resize(len as usize, 0);
        Ok(())
    }
    fn sync_data(&self) -> Result<(), io::Error> {
        Ok(())
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        let mut bytes = self.0.lock().unwrap();
        let end = offset as usize + data.len();
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[offset as usize..end].copy_from_slice(data);
        Ok(())
    }
}

#[test]
fn redb_store_recovers_a_committed_state_at_every_sync_point() {
    let backend = RecordingBackend::default();
    let cuts = Arc::clone(&backend.cuts);
    let label = Path::new("recording.redb");
    let mut store = RedbStore::open_with_backend(backend, label, at(0)).unwrap();
    // The workload: batches of outbound messages and received numbers,
    // one commit per batch, and a reset in the middle.
    let mut committed = vec![(1u64, 1u64)];
    let mut syncs_at_commit = vec![cuts.lock().unwrap().len()];
    let mut seq = 1;
    for batch in 0..12u64 {
        if batch == 7 {
            store.reset(at(batch)).unwrap();
            seq = 1;
        }
        for _ in 0..=batch % 4 {
            store
                .store_outbound(seq, format!("message {seq}").as_bytes())
                .unwrap();
            seq += 1;
        }
        store.set_next_target_seq(batch + 2).unwrap();
        store.commit().unwrap();
        committed.push((store.next_sender_seq(), store.next_target_seq()));
        syncs_at_commit.push(cuts.lock().unwrap().len());
    }
    drop(store);
    let cuts = cuts.lock().unwrap().clone();
    assert!(cuts.len() >= 12, "every commit syncs");
    // Cuts before the database was first created hold no database at all;
    // the first cut tested is the one where creation completed.
    let created = syncs_at_commit[0] - 1;
    for (cut, bytes) in cuts.iter().enumerate().skip(created) {
        let mut reopened =
            RedbStore::open_with_backend(FrozenBackend(Mutex::new(bytes.clone())), label, at(99))
                .unwrap_or_else(|error| panic!("cut after sync {cut}: {error}"));
        let state = (reopened.next_sender_seq(), reopened.next_target_seq());
        // At least the last commit whose syncs all happened before the cut.
        let durable = syncs_at_commit
            .iter()
            .rposition(|&syncs| syncs <= cut + 1)
            .unwrap();
        let allowed = &committed[durable..];
        assert!(
            allowed.contains(&state),
            "cut {cut}: {state:?} is not a committed state after #{durable}: {allowed:?}"
        );
        // Every number below the next sender number is either stored or was
        // never stored; none above it is.
        let stored = messages(&mut reopened, 1, u64::MAX);
        assert!(
            stored
                .iter()
                .all(|(seq, bytes)| *seq < state.0 && bytes == format!("message {seq}").as_bytes())
        );
        assert_eq!(
            stored.len() as u64,
            state.0 - 1,
            "cut {cut}: a message is missing"
        );
    }
}

/// Everything a store holds, to compare states exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    next_sender: u64,
    next_target: u64,
    created: Timestamp,
    /// Text, so a failure prints readably.
    messages: Vec<(u64, String)>,
}

fn state(store: &mut dyn MessageStore) -> State {
    State {
        next_sender: store.next_sender_seq(),
        next_target: store.next_target_seq(),
        created: store.creation_time(),
        messages: messages(store, 1, u64::MAX)
            .into_iter()
            .map(|(seq, bytes)| (seq, String::from_utf8(bytes).unwrap()))
            .collect(),
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Runs batches on a file store, one commit each, and returns, for every
/// commit since the file was last rewritten, the file's length and the
/// store's state after it. A reset is staged in batch `reset_at` when set.
fn record_workload(path: &Path, reset_at: Option<u64>) -> Vec<(u64, State)> {
    let mut store = FileStore::open(path, Durability::Os, at(0)).unwrap();
    let mut commits = vec![(file_len(path), state(&mut store))];
    let mut seq = 1;
    for batch in 0..10u64 {
        if reset_at == Some(batch) {
            store.reset(at(batch)).unwrap();
            seq = 1;
        }
        if batch == 4 {
            seq += 3; // a gap, as when messages are not persisted
            store.set_next_sender_seq(seq).unwrap();
        }
        for _ in 0..batch % 4 {
            let message = format!("message {seq} of batch {batch}").repeat(1 + (seq as usize % 3));
            store.store_outbound(seq, message.as_bytes()).unwrap();
            seq += 1;
        }
        store.set_next_target_seq(batch + 2).unwrap();
        store.commit().unwrap();
        let after = (file_len(path), state(&mut store));
        if reset_at == Some(batch) {
            commits.clear();
        }
        commits.push(after);
    }
    // Staged only: never reaches the file.
    store.store_outbound(seq, b"staged only").unwrap();
    commits
}

/// Cuts `bytes` at every length, reopens each cut and checks it holds the
/// state after the last commit it contains in full (`now`: the creation
/// time of a store whose first commit is cut), and that it takes appends.
fn check_every_cut(dir: &Path, bytes: &[u8], commits: &[(u64, State)], now: Timestamp) {
    let path = dir.join("cut.log");
    for cut in 0..=bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let mut reopened = FileStore::open(&path, Durability::Os, now)
            .unwrap_or_else(|error| panic!("cut at {cut} bytes: {error}"));
        let (end, expected) = match commits.iter().rposition(|(len, _)| *len <= cut as u64) {
            Some(k) => commits[k].clone(),
            None => (
                0,
                State {
                    next_sender: 1,
                    next_target: 1,
                    created: now,
                    messages: Vec::new(),
                },
            ),
        };
        assert_eq!(state(&mut reopened), expected, "cut at {cut} bytes");
        assert_eq!(
            reopened.truncated_at_open(),
            cut as u64 - end,
            "cut at {cut}"
        );
        let seq = expected.next_sender;
        reopened.store_outbound(seq, b"after the cut").unwrap();
        reopened.commit().unwrap();
        drop(reopened);
        let mut again = FileStore::open(&path, Durability::Os, now).unwrap();
        let mut appended = expected;
        appended.next_sender = seq + 1;
        appended.messages.push((seq, "after the cut".to_owned()));
        assert_eq!(state(&mut again), appended, "append after a cut at {cut}");
        assert_eq!(again.truncated_at_open(), 0);
    }
}

#[test]
fn file_store_recovers_the_last_whole_commit_at_every_length() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("workload.log");
    let commits = record_workload(&path, None);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, commits.last().unwrap().0, "staged only");
    check_every_cut(dir, &bytes, &commits, at(0));
}

#[test]
fn file_store_recovers_the_last_whole_commit_at_every_length_after_a_reset() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("workload.log");
    let commits = record_workload(&path, Some(6));
    let bytes = std::fs::read(&path).unwrap();
    check_every_cut(dir, &bytes, &commits, at(6));
}

#[test]
fn file_store_stops_at_a_damaged_byte() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("workload.log");
    let commits = record_workload(&path, None);
    let bytes = std::fs::read(&path).unwrap();
    let damaged = dir.join("damaged.log");
    // Every byte after the 12-byte header, the middle one included.
    for at_byte in 12..bytes.len() {
        let mut copy = bytes.clone();
        copy[at_byte] ^= 0x5A;
        std::fs::write(&damaged, &copy).unwrap();
        let mut reopened = FileStore::open(&damaged, Durability::Os, at(0))
            .unwrap_or_else(|error| panic!("damage at {at_byte}: {error}"));
        let k = commits
            .iter()
            .rposition(|(len, _)| *len <= at_byte as u64)
            .unwrap_or(0);
        assert_eq!(
            state(&mut reopened),
            commits[k].1,
            "damage at byte {at_byte} of {}",
            bytes.len()
        );
        drop(reopened);
        if k > 0 {
            assert_eq!(
                file_len(&damaged),
                commits[k].0,
                "cut after the last good commit"
            );
        }
    }
}

#[test]
fn file_store_reset_rewrites_the_file_compactly() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("session.log");
    let mut store = FileStore::open(&path, Durability::Fsync, at(0)).unwrap();
    let empty = file_len(&path);
    for seq in 1..=50 {
        store.store_outbound(seq, &[b'x'; 200]).unwrap();
    }
    store.commit().unwrap();
    assert!(file_len(&path) > 50 * 200);
    store.reset(at(5)).unwrap();
    store.store_outbound(1, b"first after the reset").unwrap();
    assert_eq!(
        messages(&mut store, 1, 100),
        [(1, b"first after the reset".to_vec())],
        "a staged reset hides the old messages at once"
    );
    store.commit().unwrap();
    assert!(file_len(&path) < empty + 100, "{} bytes", file_len(&path));
    assert!(!dir.join("session.log.tmp").exists());
    store.store_outbound(2, b"second").unwrap();
    store.commit().unwrap();
    drop(store);
    let mut store = FileStore::open(&path, Durability::Fsync, at(9)).unwrap();
    assert_eq!(store.creation_time(), at(5));
    assert_eq!(store.next_sender_seq(), 3);
    assert_eq!(messages(&mut store, 1, 100).len(), 2);
}

#[test]
fn file_store_names_a_file_it_cannot_use() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let garbage = dir.join("garbage.log");
    std::fs::write(&garbage, b"this is not a file store at all").unwrap();
    let error = FileStore::open(&garbage, Durability::Os, at(0))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("garbage.log") && error.contains("bad header") && error.contains("move"),
        "{error}"
    );
    assert_eq!(
        std::fs::read(&garbage).unwrap(),
        b"this is not a file store at all",
        "left as it was"
    );
    let later = dir.join("later.log");
    std::fs::write(&later, b"EMPSTORE\x09\x00\x00\x00").unwrap();
    let error = FileStore::open(&later, Durability::Os, at(0))
        .unwrap_err()
        .to_string();
    assert!(error.contains("version 9"), "{error}");
}

#[test]
fn file_store_is_locked_while_open() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("session.log");
    let store = FileStore::open(&path, Durability::Os, at(0)).unwrap();
    let error = FileStore::open(&path, Durability::Os, at(0))
        .unwrap_err()
        .to_string();
    assert!(error.contains("in use by another process"), "{error}");
    drop(store);
    FileStore::open(&path, Durability::Os, at(0)).unwrap();
}

#[test]
fn file_store_refuses_work_after_an_io_error() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("session.log");
    let mut store = FileStore::open(&path, Durability::Os, at(0)).unwrap();
    store.store_outbound(1, b"one").unwrap();
    store.commit().unwrap();
    // The reset's new file cannot be created where a folder stands.
    std::fs::create_dir(dir.join("session.log.tmp")).unwrap();
    store.reset(at(1)).unwrap();
    let error = store.commit().unwrap_err();
    assert!(matches!(error, StoreError::Io { .. }), "{error}");
    assert!(matches!(
        store.store_outbound(2, b"two"),
        Err(StoreError::PreviousIo { .. })
    ));
    assert!(matches!(store.commit(), Err(StoreError::PreviousIo { .. })));
    drop(store);
    let mut store = FileStore::open(&path, Durability::Os, at(2)).unwrap();
    assert_eq!(messages(&mut store, 1, 10), [(1, b"one".to_vec())]);
}

#[test]
fn open_store_opens_the_store_the_settings_name() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let settings_text = |store: &str| {
        format!(
            "[[SESSION]]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 1\nBeginString = \"FIX.4.4\"\nSenderCompID = \"A\"\nTargetCompID = \"B\"\nUseDataDictionary = \"N\"\nFileStorePath = {:?}\nNonStopSession = true\n{store}",
            dir.display().to_string()
        )
    };
    let cases: [(&str, PathBuf); 2] = [
        ("", dir.join("FIX.4.4-A-B.redb")),
        (
            "StoreType = \"file\"\nStoreDurability = \"os\"\n",
            dir.join("FIX.4.4-A-B.log"),
        ),
    ];
    for (extra, file) in cases {
        let sessions = settings::parse(&settings_text(extra), Path::new("test.toml")).unwrap();
        let mut store = open_store(&sessions[0], at(0)).unwrap();
        store.store_outbound(1, b"one").unwrap();
        store.commit().unwrap();
        assert!(file.exists(), "{}", file.display());
    }
    assert_eq!(
        settings::parse(
            &settings_text("StoreType = \"file\"\n"),
            Path::new("t.toml")
        )
        .unwrap()[0]
            .store_kind,
        StoreKind::File(Durability::Fsync)
    );
}
