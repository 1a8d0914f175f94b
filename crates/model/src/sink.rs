//! The execution sink: where the OMS's venue commands go and where venue
//! events come back from, the one interface behind which live trading (a
//! FIX session) and paper trading or backtests (a simulated venue) differ.
//!
//! The shape is sans-IO, like the cores: commands and `now` in, events out
//! when they are due, and the time of the next wake-up so the driver
//! (a real event loop or a backtest replayer) knows when to call again.

use crate::execution::VenueEvent;
use crate::order::VenueCommand;
use crate::time::Timestamp;

/// Executes the OMS's commands and reports back.
pub trait ExecutionSink {
    /// Takes a command the OMS issued at `now`.
    fn send(&mut self, now: Timestamp, command: VenueCommand);

    /// The next event due at or before `now`, in the order the venue
    /// produced them.
    fn poll_event(&mut self, now: Timestamp) -> Option<VenueEvent>;

    /// When the sink next has an event due, if it has any pending.
    fn next_wakeup(&self) -> Option<Timestamp>;
}
