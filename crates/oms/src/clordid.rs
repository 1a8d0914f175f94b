//! ClOrdIDs that never repeat, across restarts.
//!
//! A ClOrdID is `<start>-<n>`: `<start>` is the OMS start time in
//! milliseconds and `<n>` a counter, both base 36. The counter is rebuilt
//! from the event stream on recovery; the start prefix changes with every
//! start, so even a run whose events were lost cannot reuse an id (unless
//! two starts share a millisecond, which a restart cannot).

use model::{ClOrdId, Timestamp};

/// Issues ClOrdIDs for one run of the OMS.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ClOrdIdGenerator {
    prefix: String,
    next: u64,
}

impl ClOrdIdGenerator {
    /// A generator for a run that started at `start`.
    pub fn starting_at(start: Timestamp) -> Self {
        Self {
            prefix: base36(start.unix_nanos() / 1_000_000),
            next: 1,
        }
    }

    /// The next ClOrdID.
    pub fn next_id(&mut self) -> ClOrdId {
        // Built on the stack: this runs once per order on the hot path.
        let mut text = [0u8; 27];
        let prefix = self.prefix.as_bytes();
        text[..prefix.len()].copy_from_slice(prefix);
        text[prefix.len()] = b'-';
        let mut digits = [0u8; 13];
        let counter = base36_into(self.next, &mut digits);
        let end = prefix.len() + 1 + counter.len();
        text[prefix.len() + 1..end].copy_from_slice(counter);
        self.next += 1;
        // At most 13 + 1 + 13 base-36 digits: always a valid id.
        ClOrdId::from_ascii(&text[..end]).unwrap_or_else(|_| unreachable_id())
    }

    /// Notes an id issued earlier in this run (during recovery), so the
    /// counter continues after it.
    pub fn observe(&mut self, id: &ClOrdId) {
        let Some((prefix, counter)) = id.as_str().rsplit_once('-') else {
            return;
        };
        if prefix != self.prefix {
            return;
        }
        if let Ok(n) = u64::from_str_radix(counter, 36) {
            self.next = self.next.max(n.saturating_add(1));
        }
    }
}

#[cold]
fn unreachable_id() -> ClOrdId {
    // Only reachable if base36 output stopped being printable ASCII.
    ClOrdId::new("INVALID").unwrap_or_else(|_| unreachable!("literal is a valid id"))
}

fn base36(value: u64) -> String {
    let mut digits = [0u8; 13];
    String::from_utf8_lossy(base36_into(value, &mut digits)).into_owned()
}

/// `value` in base 36 (lowercase), right-aligned in `buf`; returns the
/// digits. 36^13 > 2^64, so 13 digits always suffice.
fn base36_into(mut value: u64, buf: &mut [u8; 13]) -> &[u8] {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = DIGITS[(value % 36) as usize];
        value /= 36;
        if value == 0 {
            break;
        }
    }
    &buf[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_within_and_across_runs() {
        let mut first =
            ClOrdIdGenerator::starting_at(Timestamp::from_unix_nanos(1_700_000_000_000_000_000));
        let a = first.next_id();
        let b = first.next_id();
        assert_ne!(a, b);
        let mut restarted =
            ClOrdIdGenerator::starting_at(Timestamp::from_unix_nanos(1_700_000_000_001_000_000));
        assert_ne!(restarted.next_id(), a);
    }

    #[test]
    fn recovery_continues_the_counter() {
        let start = Timestamp::from_unix_nanos(1_700_000_000_000_000_000);
        let mut live = ClOrdIdGenerator::starting_at(start);
        let issued: Vec<_> = (0..40).map(|_| live.next_id()).collect();
        let mut recovered = ClOrdIdGenerator::starting_at(start);
        for id in &issued {
            recovered.observe(id);
        }
        assert_eq!(recovered, live);
        assert!(!issued.contains(&recovered.next_id()));
    }
}
