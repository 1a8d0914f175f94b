//! The in-memory store.

use std::collections::BTreeMap;

use model::Timestamp;

use super::{MessageStore, StoreError};

/// A [`MessageStore`] in memory: everything is lost when the process ends.
/// Commit is a no-op, so it measures the session without storage cost.
#[derive(Clone, Debug)]
pub struct MemStore {
    next_sender: u64,
    next_target: u64,
    creation_time: Timestamp,
    messages: BTreeMap<u64, Box<[u8]>>,
    staged: bool,
}

impl MemStore {
    /// An empty store whose sequence began at `now`.
    pub fn new(now: Timestamp) -> Self {
        Self {
            next_sender: 1,
            next_target: 1,
            creation_time: now,
            messages: BTreeMap::new(),
            staged: false,
        }
    }

    /// Number of stored outbound messages.
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }
}

impl MessageStore for MemStore {
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
        let next = seq_after(seq)?;
        self.messages.insert(seq, message.into());
        self.next_sender = next;
        self.staged = true;
        Ok(())
    }

    fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), StoreError> {
        check_seq(seq)?;
        self.next_sender = seq;
        self.staged = true;
        Ok(())
    }

    fn set_next_target_seq(&mut self, seq: u64) -> Result<(), StoreError> {
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
        if begin > end {
            return Ok(());
        }
        for (&seq, message) in self.messages.range(begin..=end) {
            visit(seq, message);
        }
        Ok(())
    }

    fn reset(&mut self, now: Timestamp) -> Result<(), StoreError> {
        self.next_sender = 1;
        self.next_target = 1;
        self.creation_time = now;
        self.messages.clear();
        self.staged = true;
        Ok(())
    }

    fn has_staged(&self) -> bool {
        self.staged
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.staged = false;
        Ok(())
    }
}

/// The next sender number after storing `seq`: `seq` must be a valid
/// number with a successor.
pub(super) fn seq_after(seq: u64) -> Result<u64, StoreError> {
    check_seq(seq)?;
    seq.checked_add(1).ok_or(StoreError::InvalidSequence {
        seq,
        why: "no sequence number can follow it",
    })
}

/// Sequence numbers start at 1.
pub(super) fn check_seq(seq: u64) -> Result<(), StoreError> {
    if seq == 0 {
        return Err(StoreError::InvalidSequence {
            seq,
            why: "FIX sequence numbers start at 1",
        });
    }
    Ok(())
}
