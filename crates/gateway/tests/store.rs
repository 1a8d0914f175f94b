//! Message store behaviour, the same for every store, and crash
//! consistency of the redb store: the database is cut at every sync point
//! of a workload, reopened, and must hold a state the workload committed,
//! with every message stored under a number below the next sender number.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use gateway::fix::store::{MemStore, MessageStore, RedbStore};
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

#[test]
fn redb_store_conforms_and_keeps_its_state_across_reopening() {
    let dir = tempdir();
    let path = dir.join("session.redb");
    conformance(&mut RedbStore::open(&path, at(0)).unwrap());
    {
        let mut store = RedbStore::open(&path, at(1)).unwrap();
        assert_eq!(store.creation_time(), at(9), "kept from the last reset");
        store.store_outbound(1, b"a").unwrap();
        store.store_outbound(2, b"b").unwrap();
        store.set_next_target_seq(7).unwrap();
        store.commit().unwrap();
        store.store_outbound(3, b"not committed").unwrap();
    }
    let mut store = RedbStore::open(&path, at(2)).unwrap();
    assert_eq!((store.next_sender_seq(), store.next_target_seq()), (3, 7));
    assert_eq!(messages(&mut store, 1, 10).len(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn redb_store_names_the_file_it_cannot_open() {
    let dir = tempdir();
    let not_a_db = dir.join("garbage.redb");
    std::fs::write(&not_a_db, b"this is not a redb file at all, not even close").unwrap();
    let error = RedbStore::open(&not_a_db, at(0)).unwrap_err().to_string();
    assert!(error.contains("garbage.redb"), "{error}");
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "emp-store-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
