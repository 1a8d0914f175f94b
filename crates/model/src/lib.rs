//! EMP's shared contracts: the value types every other crate agrees on.
//!
//! No I/O, no clock, no threads. Today it holds the exact [`Decimal`] that
//! prices and quantities are parsed into, and the UTC nanosecond
//! [`Timestamp`] that is the only notion of time in EMP's sans-IO cores.
//! Identifiers, instruments, orders and execution events join them with the
//! OMS (issue 4).
//!
//! ```
//! use model::{Decimal, Timestamp};
//!
//! let qty: Decimal = "002000.00".parse()?;
//! assert_eq!(qty, Decimal::from_i64(2000));
//! let later = Timestamp::UNIX_EPOCH.checked_add_nanos(1_500).unwrap();
//! assert_eq!(later.saturating_nanos_since(Timestamp::UNIX_EPOCH), 1_500);
//! # Ok::<(), model::DecimalError>(())
//! ```

pub mod ascii;
pub mod decimal;
pub mod time;

pub use decimal::{Decimal, DecimalError, MAX_SCALE};
pub use time::{Timestamp, TimestampError, UtcDateTime};
