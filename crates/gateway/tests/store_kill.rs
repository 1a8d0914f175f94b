//! The file store in OS-only mode keeps every commit when its process is
//! killed: a child process commits in a loop and is sent SIGKILL, and the
//! log it leaves must reopen to a committed state.
//!
//! A file of its own, so it runs in its own process: a child spawned while
//! other tests reopen their stores would briefly share their file locks.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gateway::fix::store::{Durability, FileStore, MessageStore};
use model::Timestamp;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_nanos(1_763_700_000_000_000_000 + secs * 1_000_000_000)
}

/// The log's length, 0 before the child created it.
fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |meta| meta.len())
}

/// Set in the child process of the kill test: the log it commits to.
const KILL_CHILD: &str = "EMP_STORE_TEST_KILL_CHILD";

#[test]
fn file_store_os_mode_survives_a_killed_process() {
    if let Some(path) = std::env::var_os(KILL_CHILD) {
        // The child: commit batches until killed (or, if the parent died,
        // for a few seconds), keeping next target = next sender.
        let mut store = FileStore::open(Path::new(&path), Durability::Os, at(0)).unwrap();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            let seq = store.next_sender_seq();
            for offset in 0..1 + seq % 5 {
                let seq = seq + offset;
                store
                    .store_outbound(seq, format!("message {seq}").as_bytes())
                    .unwrap();
            }
            store.set_next_target_seq(store.next_sender_seq()).unwrap();
            store.commit().unwrap();
        }
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("killed.log");
    let mut last = 1;
    for round in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "file_store_os_mode_survives_a_killed_process",
                "--test-threads=1",
            ])
            .env(KILL_CHILD, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill only once the child has written a few kilobytes of batches
        // past what the last round left (its first open writes one small
        // reset record), however slow its start on a loaded machine
        // (bounded), then a little later so the kill lands mid-write.
        let grown = file_len(&path) + 4096;
        let deadline = Instant::now() + Duration::from_secs(30);
        while file_len(&path) < grown && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(20 + 17 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut store = FileStore::open(&path, Durability::Os, at(0)).unwrap();
        let next = store.next_sender_seq();
        assert!(next > last, "round {round}: the child committed nothing");
        last = next;
        assert_eq!(store.next_target_seq(), next, "round {round}");
        let mut stored = 0;
        store
            .outbound_range(1, u64::MAX, &mut |seq, bytes| {
                assert_eq!(bytes, format!("message {seq}").as_bytes());
                stored += 1;
            })
            .unwrap();
        assert_eq!(stored, next - 1, "round {round}: a message is missing");
    }
}
