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
        let text = format!("{}-{}", self.prefix, base36(self.next));
        self.next += 1;
        // The text is at most 13 + 1 + 13 base-36 digits: always valid.
        ClOrdId::new(&text).unwrap_or_else(|_| unreachable_id())
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

fn base36(mut value: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::with_capacity(13);
    loop {
        out.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
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
