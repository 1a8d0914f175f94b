//! The FIX session layer as a sans-IO state machine: Logon, heartbeats and
//! TestRequest, gap detection and ResendRequest, SequenceReset, Reject and
//! Logout, over a [`MessageStore`](crate::fix::store::MessageStore), within
//! an optional [`SessionSchedule`].
//!
//! [`Session`] takes bytes, the time and application commands, and gives
//! bytes to send, the next timer deadline and [`SessionEvent`]s. Transport
//! drivers (TCP, TLS, in-memory test pairs) wrap it.

mod config;
mod core;
mod event;
mod inbound;
mod schedule;

pub use config::{Role, SessionConfig, SessionId};
pub use core::{SendError, Session};
pub use event::{
    AppMessage, Authenticator, COUNTED_MSG_TYPES, CloseReason, MsgTypeCounts, SessionEvent,
    SessionStats,
};
pub use schedule::{
    ScheduleError, SessionDays, SessionSchedule, SessionTimeZone, TimeOfDay, Weekday,
};
