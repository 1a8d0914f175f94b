#![allow(clippy::unwrap_used, reason = "test code")]
//! The transition table, checked exhaustively: every (status, event) pair
//! either has the expected next status or is an `InvalidTransition`.

use oms::{InvalidTransition, OrderStatus as S, StatusEvent as E, transition};

const STATUSES: [S; 11] = [
    S::PendingNew,
    S::New,
    S::PartiallyFilled,
    S::Filled,
    S::PendingCancel,
    S::Canceled,
    S::PendingReplace,
    S::Replaced,
    S::Rejected,
    S::Expired,
    S::DoneForDay,
];

const EVENTS: [E; 12] = [
    E::Accepted,
    E::PartialFill,
    E::FullFill,
    E::CancelRequested,
    E::CancelRejected,
    E::Canceled,
    E::ReplaceRequested,
    E::ReplaceRejected,
    E::Replaced,
    E::Rejected,
    E::Expired,
    E::DoneForDay,
];

/// The expected table, written independently of the implementation. `P`
/// stands for "the status before the request".
#[rustfmt::skip]
const EXPECTED: &[(S, E, Option<S>)] = &[
    (S::PendingNew, E::Accepted, Some(S::New)),
    (S::PendingNew, E::PartialFill, Some(S::PartiallyFilled)),
    (S::PendingNew, E::FullFill, Some(S::Filled)),
    (S::PendingNew, E::CancelRequested, Some(S::PendingCancel)),
    (S::PendingNew, E::Canceled, Some(S::Canceled)),
    (S::PendingNew, E::Rejected, Some(S::Rejected)),
    (S::PendingNew, E::Expired, Some(S::Expired)),
    (S::PendingNew, E::DoneForDay, Some(S::DoneForDay)),
    (S::New, E::Accepted, Some(S::New)),
    (S::New, E::PartialFill, Some(S::PartiallyFilled)),
    (S::New, E::FullFill, Some(S::Filled)),
    (S::New, E::CancelRequested, Some(S::PendingCancel)),
    (S::New, E::ReplaceRequested, Some(S::PendingReplace)),
    (S::New, E::Canceled, Some(S::Canceled)),
    (S::New, E::Rejected, Some(S::Rejected)),
    (S::New, E::Expired, Some(S::Expired)),
    (S::New, E::DoneForDay, Some(S::DoneForDay)),
    (S::PartiallyFilled, E::Accepted, Some(S::PartiallyFilled)),
    (S::PartiallyFilled, E::PartialFill, Some(S::PartiallyFilled)),
    (S::PartiallyFilled, E::FullFill, Some(S::Filled)),
    (S::PartiallyFilled, E::CancelRequested, Some(S::PendingCancel)),
    (S::PartiallyFilled, E::ReplaceRequested, Some(S::PendingReplace)),
    (S::PartiallyFilled, E::Canceled, Some(S::Canceled)),
    (S::PartiallyFilled, E::Expired, Some(S::Expired)),
    (S::PartiallyFilled, E::DoneForDay, Some(S::DoneForDay)),
    (S::PendingCancel, E::Accepted, Some(S::PendingCancel)),
    (S::PendingCancel, E::PartialFill, Some(S::PendingCancel)),
    (S::PendingCancel, E::FullFill, Some(S::Filled)),
    (S::PendingCancel, E::CancelRejected, None), // restores P
    (S::PendingCancel, E::Canceled, Some(S::Canceled)),
    (S::PendingCancel, E::Rejected, Some(S::Rejected)),
    (S::PendingCancel, E::Expired, Some(S::Expired)),
    (S::PendingCancel, E::DoneForDay, Some(S::DoneForDay)),
    (S::PendingReplace, E::Accepted, Some(S::PendingReplace)),
    (S::PendingReplace, E::PartialFill, Some(S::PendingReplace)),
    (S::PendingReplace, E::FullFill, Some(S::Filled)),
    (S::PendingReplace, E::CancelRequested, Some(S::PendingCancel)),
    (S::PendingReplace, E::ReplaceRejected, None), // restores P
    (S::PendingReplace, E::Replaced, None),        // back to P (New or PartiallyFilled)
    (S::PendingReplace, E::Canceled, Some(S::Canceled)),
    (S::PendingReplace, E::Expired, Some(S::Expired)),
    (S::PendingReplace, E::DoneForDay, Some(S::DoneForDay)),
    (S::DoneForDay, E::Accepted, Some(S::New)),
    (S::DoneForDay, E::PartialFill, Some(S::PartiallyFilled)),
    (S::DoneForDay, E::FullFill, Some(S::Filled)),
    (S::DoneForDay, E::CancelRequested, Some(S::PendingCancel)),
    (S::DoneForDay, E::Canceled, Some(S::Canceled)),
    (S::DoneForDay, E::Expired, Some(S::Expired)),
    (S::DoneForDay, E::DoneForDay, Some(S::DoneForDay)),
    (S::Canceled, E::PartialFill, Some(S::Canceled)),
    (S::Canceled, E::FullFill, Some(S::Filled)),
    (S::Expired, E::PartialFill, Some(S::Expired)),
    (S::Expired, E::FullFill, Some(S::Filled)),
    // A cancel or replace that reached the venue after the order was done.
    (S::Filled, E::CancelRejected, Some(S::Filled)),
    (S::Filled, E::ReplaceRejected, Some(S::Filled)),
    (S::Canceled, E::CancelRejected, Some(S::Canceled)),
    (S::Canceled, E::ReplaceRejected, Some(S::Canceled)),
    (S::Expired, E::CancelRejected, Some(S::Expired)),
    (S::Expired, E::ReplaceRejected, Some(S::Expired)),
    (S::Rejected, E::CancelRejected, Some(S::Rejected)),
    (S::Rejected, E::ReplaceRejected, Some(S::Rejected)),
];

#[test]
fn every_pair_matches_the_table_and_the_rest_are_errors() {
    let mut allowed = 0;
    for from in STATUSES {
        for event in EVENTS {
            let expected = EXPECTED.iter().find(|(s, e, _)| *s == from && *e == event);
            for previous in [S::New, S::PartiallyFilled] {
                let got = transition(from, previous, event);
                match expected {
                    Some((_, _, Some(next))) => assert_eq!(got, Ok(*next), "{from:?} + {event:?}"),
                    Some((_, _, None)) => {
                        assert_eq!(got, Ok(previous), "{from:?} + {event:?} restores");
                    }
                    None => assert_eq!(
                        got,
                        Err(InvalidTransition { from, event }),
                        "{from:?} + {event:?}"
                    ),
                }
            }
            allowed += usize::from(expected.is_some());
        }
    }
    assert_eq!(
        allowed,
        EXPECTED.len(),
        "the expected table has no duplicate rows"
    );
}

#[test]
fn terminal_states_refuse_requests() {
    for from in [S::Filled, S::Canceled, S::Rejected, S::Expired, S::Replaced] {
        assert!(from.is_terminal());
        for event in [
            E::CancelRequested,
            E::ReplaceRequested,
            E::Accepted,
            E::Canceled,
        ] {
            let error = transition(from, S::New, event).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("order in status {from} cannot take event {event:?}")
            );
        }
    }
}
