//! The order state machine: one transition table.
//!
//! Every change to an order's status goes through [`transition`]. A pair
//! that is not in the table is an [`InvalidTransition`] naming the status
//! and the event, and the order is left unchanged.

use std::fmt;

/// Where an order stands, as EMP tracks it.
///
/// `Replaced` is the status of a superseded ClOrdID in a replace chain
/// (see [`crate::Order::status_of`]); the order itself goes back to `New`
/// or `PartiallyFilled` under its new ClOrdID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderStatus {
    /// Sent (or about to be sent); the venue has not acknowledged it.
    PendingNew,
    /// Working at the venue, nothing filled.
    New,
    /// Working, partly filled.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// A cancel request is in flight.
    PendingCancel,
    /// Canceled (by request or by the venue).
    Canceled,
    /// A replace request is in flight.
    PendingReplace,
    /// A superseded ClOrdID of a replaced order.
    Replaced,
    /// Rejected by the venue.
    Rejected,
    /// Expired (GTD, DAY, IOC remainder at some venues).
    Expired,
    /// Done for the day; may be restated as working on the next day.
    DoneForDay,
}

impl OrderStatus {
    /// True when the order can no longer trade (it can still receive a
    /// late fill, which is applied and reported).
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Canceled | Self::Rejected | Self::Expired | Self::Replaced
        )
    }

    /// True while the order may trade: acknowledged or not, with or
    /// without a request in flight. DoneForDay counts as working, since
    /// the venue may resume it.
    pub const fn is_working(self) -> bool {
        matches!(
            self,
            Self::PendingNew
                | Self::New
                | Self::PartiallyFilled
                | Self::PendingCancel
                | Self::PendingReplace
                | Self::DoneForDay
        )
    }

    /// SCREAMING_SNAKE name, for logs and the operator.
    pub const fn name(self) -> &'static str {
        match self {
            Self::PendingNew => "PENDING_NEW",
            Self::New => "NEW",
            Self::PartiallyFilled => "PARTIALLY_FILLED",
            Self::Filled => "FILLED",
            Self::PendingCancel => "PENDING_CANCEL",
            Self::Canceled => "CANCELED",
            Self::PendingReplace => "PENDING_REPLACE",
            Self::Replaced => "REPLACED",
            Self::Rejected => "REJECTED",
            Self::Expired => "EXPIRED",
            Self::DoneForDay => "DONE_FOR_DAY",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What happened to an order, as far as its status is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusEvent {
    /// The venue acknowledged the order (ExecType New, or a status report
    /// saying it works).
    Accepted,
    /// A fill that leaves quantity open.
    PartialFill,
    /// A fill that completes the order.
    FullFill,
    /// EMP sent a cancel request.
    CancelRequested,
    /// The venue refused the cancel.
    CancelRejected,
    /// The order is canceled (requested or unsolicited).
    Canceled,
    /// EMP sent a replace request.
    ReplaceRequested,
    /// The venue refused the replace.
    ReplaceRejected,
    /// The replace took effect.
    Replaced,
    /// The venue rejected the order.
    Rejected,
    /// The order expired.
    Expired,
    /// The order is done for the day.
    DoneForDay,
}

/// A status/event pair the table does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("order in status {from} cannot take event {event:?}")]
pub struct InvalidTransition {
    /// The status the order was in.
    pub from: OrderStatus,
    /// The event that does not apply there.
    pub event: StatusEvent,
}

/// The next status after `event`, given the current status and, for the
/// two states that restore one, the status before the request
/// (`previous`).
///
/// Fills while a cancel or replace is in flight keep the pending status
/// (the request is still open) unless they complete the order; the
/// venue's "too late" reject of that request then leaves the order done. A fill on a
/// canceled or expired order (it crossed the cancel on the wire) is
/// applied to the position and the status stays.
#[rustfmt::skip]
pub fn transition(
    from: OrderStatus,
    previous: OrderStatus,
    event: StatusEvent,
) -> Result<OrderStatus, InvalidTransition> {
    use OrderStatus as S;
    use StatusEvent as E;
    let next = match (from, event) {
        (S::PendingNew,      E::Accepted)         => S::New,
        (S::PendingNew,      E::PartialFill)      => S::PartiallyFilled,
        (S::PendingNew,      E::FullFill)         => S::Filled,
        (S::PendingNew,      E::CancelRequested)  => S::PendingCancel,
        (S::PendingNew,      E::Canceled)         => S::Canceled,
        (S::PendingNew,      E::Rejected)         => S::Rejected,
        (S::PendingNew,      E::Expired)          => S::Expired,
        (S::PendingNew,      E::DoneForDay)       => S::DoneForDay,

        (S::New,             E::Accepted)         => S::New,
        (S::New,             E::PartialFill)      => S::PartiallyFilled,
        (S::New,             E::FullFill)         => S::Filled,
        (S::New,             E::CancelRequested)  => S::PendingCancel,
        (S::New,             E::ReplaceRequested) => S::PendingReplace,
        (S::New,             E::Canceled)         => S::Canceled,
        (S::New,             E::Rejected)         => S::Rejected,
        (S::New,             E::Expired)          => S::Expired,
        (S::New,             E::DoneForDay)       => S::DoneForDay,

        (S::PartiallyFilled, E::Accepted)         => S::PartiallyFilled,
        (S::PartiallyFilled, E::PartialFill)      => S::PartiallyFilled,
        (S::PartiallyFilled, E::FullFill)         => S::Filled,
        (S::PartiallyFilled, E::CancelRequested)  => S::PendingCancel,
        (S::PartiallyFilled, E::ReplaceRequested) => S::PendingReplace,
        (S::PartiallyFilled, E::Canceled)         => S::Canceled,
        (S::PartiallyFilled, E::Expired)          => S::Expired,
        (S::PartiallyFilled, E::DoneForDay)       => S::DoneForDay,

        (S::PendingCancel,   E::Accepted)         => S::PendingCancel,
        (S::PendingCancel,   E::PartialFill)      => S::PendingCancel,
        (S::PendingCancel,   E::FullFill)         => S::Filled,
        (S::PendingCancel,   E::CancelRejected)   => previous,
        (S::PendingCancel,   E::Canceled)         => S::Canceled,
        (S::PendingCancel,   E::Rejected)         => S::Rejected,
        (S::PendingCancel,   E::Expired)          => S::Expired,
        (S::PendingCancel,   E::DoneForDay)       => S::DoneForDay,

        (S::PendingReplace,  E::Accepted)         => S::PendingReplace,
        (S::PendingReplace,  E::PartialFill)      => S::PendingReplace,
        (S::PendingReplace,  E::FullFill)         => S::Filled,
        (S::PendingReplace,  E::CancelRequested)  => S::PendingCancel,
        (S::PendingReplace,  E::ReplaceRejected)  => previous,
        (S::PendingReplace,  E::Replaced)         => previous,
        (S::PendingReplace,  E::Canceled)         => S::Canceled,
        (S::PendingReplace,  E::Expired)          => S::Expired,
        (S::PendingReplace,  E::DoneForDay)       => S::DoneForDay,

        (S::DoneForDay,      E::Accepted)         => S::New,
        (S::DoneForDay,      E::PartialFill)      => S::PartiallyFilled,
        (S::DoneForDay,      E::FullFill)         => S::Filled,
        (S::DoneForDay,      E::CancelRequested)  => S::PendingCancel,
        (S::DoneForDay,      E::Canceled)         => S::Canceled,
        (S::DoneForDay,      E::Expired)          => S::Expired,
        (S::DoneForDay,      E::DoneForDay)       => S::DoneForDay,

        (S::Canceled,        E::PartialFill)      => S::Canceled,
        (S::Canceled,        E::FullFill)         => S::Filled,
        (S::Expired,         E::PartialFill)      => S::Expired,
        (S::Expired,         E::FullFill)         => S::Filled,

        // The order finished (a fill, a cancel, an expiry) while a cancel
        // or replace was on the wire; the venue refuses the request as too
        // late. The request is answered; the order stays done.
        (S::Filled | S::Canceled | S::Expired | S::Rejected,
                             E::CancelRejected | E::ReplaceRejected) => from,

        _ => return Err(InvalidTransition { from, event }),
    };
    Ok(next)
}
