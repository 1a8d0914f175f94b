//! EMP journal.
//!
//! The durable append-only event log that is the source of truth; components
//! recover by replay, and live, paper, replay and backtest share one code path
//! (issue 6). Nothing is implemented yet.
