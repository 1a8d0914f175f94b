#![allow(clippy::unwrap_used, reason = "test code")]
//! Order lifecycle scenarios through the engine: acknowledgements, fills,
//! cancels, replaces and their rejects, unsolicited events, duplicates,
//! overfills, idempotency and recovery.

mod common;

use common::*;
use model::{
    CancelReject, CancelRejectResponseTo, ExecType, OrdStatus, Side, VenueCommand, VenueEvent,
};
use oms::risk::{DenyCode, TradingState};
use oms::{AlertCode, Oms, OmsEvent, OrderStatus, VenueEventOutcome};

fn order_status(oms: &Oms, intent: &model::OrderIntent) -> OrderStatus {
    oms.state().order(&intent.intent_id()).unwrap().status
}

#[test]
fn new_order_is_acknowledged_partly_then_fully_filled() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "100", "1.1", 1);
    let cl = oms.submit(at(1), buy.clone()).unwrap();
    let (events, commands) = drain(&mut oms);
    assert_eq!(new_order_id(&commands), cl);
    assert!(matches!(
        events.last(),
        Some(OmsEvent::OrderSubmitted { .. })
    ));
    assert_eq!(order_status(&oms, &buy), OrderStatus::PendingNew);
    assert_eq!(
        oms.state().working(&instrument(), &strategy("alpha")).buys,
        qty("100")
    );

    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "100", "1.1");
    oms.on_venue_event(at(2), venue.ack()).unwrap();
    assert_eq!(order_status(&oms, &buy), OrderStatus::New);
    oms.on_venue_event(at(3), venue.fill("40", "1.1")).unwrap();
    assert_eq!(order_status(&oms, &buy), OrderStatus::PartiallyFilled);
    assert_eq!(
        oms.state().working(&instrument(), &strategy("alpha")).buys,
        qty("60")
    );
    oms.on_venue_event(at(4), venue.fill("60", "1.09999"))
        .unwrap();
    let order = oms.state().order(&buy.intent_id()).unwrap();
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.filled, qty("100"));
    assert_eq!(order.leaves(), qty("0"));
    assert_eq!(
        oms.state().working(&instrument(), &strategy("alpha")).buys,
        qty("0")
    );
    assert_eq!(
        oms.state()
            .positions()
            .instrument_net(&instrument())
            .to_string(),
        "100"
    );
}

#[test]
fn cancel_confirmed_and_cancel_reject_restores_prior_status() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "100", "1.1", 1);
    let cl = oms.submit(at(1), buy.clone()).unwrap();
    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "100", "1.1");
    oms.on_venue_event(at(2), venue.ack()).unwrap();
    oms.on_venue_event(at(3), venue.fill("10", "1.1")).unwrap();
    drain(&mut oms);

    let cancel_id = oms.cancel(at(4), buy.intent_id()).unwrap();
    let (_, commands) = drain(&mut oms);
    let [VenueCommand::Cancel(cancel)] = commands.as_slice() else {
        panic!("{commands:?}")
    };
    assert_eq!((cancel.cl_ord_id, cancel.orig_cl_ord_id), (cancel_id, cl));
    assert_eq!(order_status(&oms, &buy), OrderStatus::PendingCancel);
    // A second cancel while one is in flight is refused.
    assert_eq!(
        oms.cancel(at(4), buy.intent_id()).unwrap_err().code,
        DenyCode::OrderNotModifiable
    );

    let reject = CancelReject {
        cl_ord_id: cancel_id,
        orig_cl_ord_id: Some(cl),
        order_id: None,
        ord_status: Some(OrdStatus::PartiallyFilled),
        response_to: CancelRejectResponseTo::Cancel,
        reason: Some(0),
        text: Some("too late".into()),
    };
    oms.on_venue_event(at(5), VenueEvent::CancelReject(reject))
        .unwrap();
    assert_eq!(order_status(&oms, &buy), OrderStatus::PartiallyFilled);

    let again = oms.cancel(at(6), buy.intent_id()).unwrap();
    oms.on_venue_event(at(7), venue.canceled(Some(again)))
        .unwrap();
    let order = oms.state().order(&buy.intent_id()).unwrap();
    assert_eq!(order.status, OrderStatus::Canceled);
    assert_eq!(order.filled, qty("10"), "fills survive the cancel");
    assert_eq!(
        oms.state().working(&instrument(), &strategy("alpha")).buys,
        qty("0")
    );
}

#[test]
fn replace_chains_cl_ord_ids_and_replace_reject_restores() {
    let mut oms = oms();
    let sell = intent(Side::Sell, "100", "1.2", 1);
    let first = oms.submit(at(1), sell.clone()).unwrap();
    let mut venue = VenueOrder::new(first, "V9", Side::Sell, "100", "1.2");
    oms.on_venue_event(at(2), venue.ack()).unwrap();

    let second = oms
        .replace(
            at(3),
            sell.intent_id(),
            qty("150"),
            model::OrderKind::Limit { price: px("1.19") },
        )
        .unwrap();
    assert_eq!(order_status(&oms, &sell), OrderStatus::PendingReplace);
    let (_, commands) = drain(&mut oms);
    let VenueCommand::Replace(replace) = commands.last().unwrap() else {
        panic!()
    };
    assert_eq!(replace.orig_cl_ord_id, first);
    oms.on_venue_event(at(4), venue.replaced(second, "150", "1.19"))
        .unwrap();
    let order = oms.state().order(&sell.intent_id()).unwrap();
    assert_eq!(
        (order.status, order.cl_ord_id, order.quantity),
        (OrderStatus::New, second, qty("150"))
    );
    assert_eq!(order.status_of(&first), Some(OrderStatus::Replaced));
    assert_eq!(order.replaced_cl_ord_ids, vec![first]);

    let third = oms
        .replace(
            at(5),
            sell.intent_id(),
            qty("120"),
            model::OrderKind::Limit { price: px("1.19") },
        )
        .unwrap();
    let reject = CancelReject {
        cl_ord_id: third,
        orig_cl_ord_id: Some(second),
        order_id: None,
        ord_status: Some(OrdStatus::New),
        response_to: CancelRejectResponseTo::Replace,
        reason: None,
        text: None,
    };
    oms.on_venue_event(at(6), VenueEvent::CancelReject(reject))
        .unwrap();
    let order = oms.state().order(&sell.intent_id()).unwrap();
    assert_eq!(
        (order.status, order.cl_ord_id, order.quantity),
        (OrderStatus::New, second, qty("150"))
    );
    // Reports on the old ClOrdID still find the order.
    assert_eq!(
        oms.state().order_by_cl_ord_id(&first).unwrap().intent_id,
        sell.intent_id()
    );
}

#[test]
fn a_replace_that_arrives_after_the_fill_is_refused_as_too_late_and_the_order_stays_filled() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "100", "1.2", 1);
    let first = oms.submit(at(1), buy.clone()).unwrap();
    let mut venue = VenueOrder::new(first, "V7", Side::Buy, "100", "1.2");
    oms.on_venue_event(at(2), venue.ack()).unwrap();
    let second = oms
        .replace(
            at(3),
            buy.intent_id(),
            qty("100"),
            model::OrderKind::Limit { price: px("1.21") },
        )
        .unwrap();
    // The order fills under its old ClOrdID while the replace is on the
    // wire; the venue then refuses the replace: too late.
    oms.on_venue_event(at(4), venue.fill("100", "1.2")).unwrap();
    assert_eq!(order_status(&oms, &buy), OrderStatus::Filled);
    let too_late = CancelReject {
        cl_ord_id: second,
        orig_cl_ord_id: Some(first),
        order_id: None,
        ord_status: Some(OrdStatus::Filled),
        response_to: CancelRejectResponseTo::Replace,
        reason: Some(0),
        text: Some("too late: the order is Filled".into()),
    };
    drain(&mut oms);
    assert_eq!(
        oms.on_venue_event(at(5), VenueEvent::CancelReject(too_late)),
        Ok(VenueEventOutcome::Applied)
    );
    let order = oms.state().order(&buy.intent_id()).unwrap();
    assert_eq!(order.status, OrderStatus::Filled);
    assert!(order.pending.is_none(), "the request is answered");
    let (events, _) = drain(&mut oms);
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, OmsEvent::Alert { .. })),
        "{events:?}"
    );
    // Nothing is left in flight: no status query after the in-flight
    // timeout.
    oms.handle_timeout(at(60_000));
    let (_, commands) = drain(&mut oms);
    assert!(commands.is_empty(), "{commands:?}");
}

#[test]
fn unsolicited_cancel_and_fill_after_cancel_request() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "100", "1.1", 1);
    let cl = oms.submit(at(1), buy.clone()).unwrap();
    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "100", "1.1");
    oms.on_venue_event(at(2), venue.ack()).unwrap();
    let cancel_id = oms.cancel(at(3), buy.intent_id()).unwrap();
    // The fill crossed the cancel on the wire.
    oms.on_venue_event(at(4), venue.fill("30", "1.1")).unwrap();
    assert_eq!(order_status(&oms, &buy), OrderStatus::PendingCancel);
    oms.on_venue_event(at(5), venue.canceled(Some(cancel_id)))
        .unwrap();
    let order = oms.state().order(&buy.intent_id()).unwrap();
    assert_eq!(
        (order.status, order.filled),
        (OrderStatus::Canceled, qty("30"))
    );

    let other = intent(Side::Buy, "5", "1.1", 2);
    let cl2 = oms.submit(at(6), other.clone()).unwrap();
    let mut venue2 = VenueOrder::new(cl2, "V2", Side::Buy, "5", "1.1");
    oms.on_venue_event(at(7), venue2.ack()).unwrap();
    oms.on_venue_event(at(8), venue2.canceled(None)).unwrap();
    assert_eq!(order_status(&oms, &other), OrderStatus::Canceled);
    // A late fill on the canceled order still counts in the position.
    oms.on_venue_event(at(9), venue2.fill("5", "1.1")).unwrap();
    assert_eq!(
        oms.state()
            .positions()
            .instrument_net(&instrument())
            .to_string(),
        "35"
    );
}

#[test]
fn duplicate_exec_ids_are_ignored_and_overfills_reported() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "10", "1.1", 1);
    let cl = oms.submit(at(1), buy.clone()).unwrap();
    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "10", "1.1");
    oms.on_venue_event(at(2), venue.ack()).unwrap();
    let fill = venue.fill("6", "1.1");
    assert_eq!(
        oms.on_venue_event(at(3), fill.clone()).unwrap(),
        VenueEventOutcome::Applied
    );
    assert_eq!(
        oms.on_venue_event(at(4), fill).unwrap(),
        VenueEventOutcome::Duplicate
    );
    assert_eq!(
        oms.state().order(&buy.intent_id()).unwrap().filled,
        qty("6")
    );
    drain(&mut oms);

    oms.on_venue_event(at(5), venue.fill("6", "1.1")).unwrap();
    let order = oms.state().order(&buy.intent_id()).unwrap();
    assert_eq!(
        (order.status, order.filled, order.overfill),
        (OrderStatus::Filled, qty("10"), qty("2"))
    );
    assert_eq!(
        oms.state()
            .positions()
            .instrument_net(&instrument())
            .to_string(),
        "12"
    );
    let (events, _) = drain(&mut oms);
    assert!(events.iter().any(|e| matches!(e, OmsEvent::Alert { code: AlertCode::Overfill, detail, .. } if detail.contains("overfill=2"))));
}

#[test]
fn illegal_transition_is_a_typed_error_and_changes_nothing() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "10", "1.1", 1);
    let cl = oms.submit(at(1), buy.clone()).unwrap();
    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "10", "1.1");
    oms.on_venue_event(
        at(2),
        VenueEvent::Execution(venue.report(ExecType::Rejected, OrdStatus::Rejected)),
    )
    .unwrap();
    assert_eq!(order_status(&oms, &buy), OrderStatus::Rejected);
    let before = oms.state().clone();
    drain(&mut oms);
    let error = oms
        .on_venue_event(at(3), venue.fill("1", "1.1"))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("REJECTED cannot take event FullFill")
            || error
                .to_string()
                .contains("REJECTED cannot take event PartialFill"),
        "{error}"
    );
    assert_eq!(oms.state(), &before);
    let (events, _) = drain(&mut oms);
    assert!(matches!(
        events.as_slice(),
        [OmsEvent::Alert {
            code: AlertCode::InconsistentReport,
            ..
        }]
    ));
}

#[test]
fn one_intent_never_creates_two_orders() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "10", "1.1", 1);
    oms.submit(at(1), buy.clone()).unwrap();
    let denial = oms.submit(at(2), buy.clone()).unwrap_err();
    assert_eq!(denial.code, DenyCode::DuplicateIntent);
    let (_, commands) = drain(&mut oms);
    assert_eq!(commands.len(), 1);

    // The same decision after a restart is still a duplicate.
    let events: Vec<OmsEvent> = {
        let mut fresh = self::oms();
        fresh.submit(at(1), buy.clone()).unwrap();
        drain(&mut fresh).0
    };
    let mut recovered = Oms::recover(config(), &events, at(10)).unwrap();
    assert_eq!(
        recovered.submit(at(11), buy).unwrap_err().code,
        DenyCode::DuplicateIntent
    );
}

#[test]
fn cl_ord_ids_stay_unique_across_restarts() {
    let mut oms = oms();
    let mut all = Vec::new();
    for epoch in 0..5 {
        all.push(
            oms.submit(at(1), intent(Side::Buy, "1", "1.1", epoch))
                .unwrap(),
        );
    }
    let events = drain(&mut oms).0;
    let mut recovered = Oms::recover(config(), &events, at(2)).unwrap();
    recovered.on_market_price(instrument(), px("1.1"));
    for epoch in 5..10 {
        all.push(
            recovered
                .submit(at(3), intent(Side::Buy, "1", "1.1", epoch))
                .unwrap(),
        );
    }
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "{all:?}");
}

#[test]
fn kill_switch_halts_and_cancels_everything_and_cancels_pass_when_halted() {
    let mut oms = oms();
    let a = intent(Side::Buy, "10", "1.1", 1);
    let b = intent(Side::Sell, "10", "1.2", 2);
    oms.submit(at(1), a.clone()).unwrap();
    oms.submit(at(1), b.clone()).unwrap();
    drain(&mut oms);
    assert_eq!(oms.engage_kill_switch(at(2), "operator"), 2);
    let (events, commands) = drain(&mut oms);
    assert!(matches!(
        events.first(),
        Some(OmsEvent::KillSwitchEngaged { .. })
    ));
    assert_eq!(
        commands
            .iter()
            .filter(|c| matches!(c, VenueCommand::Cancel(_)))
            .count(),
        2
    );
    assert_eq!(oms.state().trading_state(), TradingState::Halted);
    let denial = oms
        .submit(at(3), intent(Side::Buy, "1", "1.1", 3))
        .unwrap_err();
    assert_eq!(denial.code, DenyCode::KillSwitchEngaged);
    assert!(
        drain(&mut oms).1.is_empty(),
        "a denied intent never reaches the venue"
    );

    oms.release_kill_switch(at(4));
    let c = intent(Side::Buy, "1", "1.1", 4);
    let mut halted = self::oms();
    halted.set_trading_state(at(1), TradingState::Halted, "test");
    assert!(halted.submit(at(2), c.clone()).is_err());
    let mut open = self::oms();
    open.submit(at(1), c.clone()).unwrap();
    open.set_trading_state(at(2), TradingState::Halted, "test");
    assert!(
        open.cancel(at(3), c.intent_id()).is_ok(),
        "cancels pass when HALTED"
    );
}

#[test]
fn replay_of_the_event_stream_rebuilds_the_state() {
    let mut oms = oms();
    let mut events = Vec::new();
    let buy = intent(Side::Buy, "100", "1.1", 1);
    let cl = oms.submit(at(1), buy.clone()).unwrap();
    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "100", "1.1");
    oms.on_venue_event(at(2), venue.ack()).unwrap();
    oms.on_venue_event(at(3), venue.fill("30", "1.1")).unwrap();
    let replace = oms
        .replace(
            at(4),
            buy.intent_id(),
            qty("80"),
            model::OrderKind::Limit { price: px("1.1") },
        )
        .unwrap();
    oms.on_venue_event(at(5), venue.replaced(replace, "80", "1.1"))
        .unwrap();
    oms.set_trading_state(at(6), TradingState::Reducing, "test");
    events.extend(drain(&mut oms).0);

    // Applying the stream to an empty state gives exactly the live state.
    let mut replayed = oms::OmsState::default();
    for event in &events {
        replayed.apply(event).unwrap();
    }
    assert_eq!(&replayed, oms.state());

    // Recovery does the same, then starts a new run (new ClOrdID prefix).
    let recovered = Oms::recover(config(), &events, at(7)).unwrap();
    assert!(recovered.state().orders().eq(oms.state().orders()));
    assert_eq!(recovered.state().positions(), oms.state().positions());
    assert_eq!(recovered.state().trading_state(), TradingState::Reducing);
}

#[test]
fn the_highest_intent_epoch_survives_recovery() {
    let mut oms = oms();
    assert_eq!(oms.state().max_epoch(), None);
    oms.submit(at(1), intent(Side::Buy, "100", "1.2", 5))
        .unwrap();
    oms.submit(at(2), intent(Side::Sell, "100", "1.3", 2))
        .unwrap();
    assert_eq!(oms.state().max_epoch(), Some(5));
    let (events, _) = drain(&mut oms);
    let recovered = Oms::recover(config(), events.iter(), at(3)).unwrap();
    assert_eq!(recovered.state().max_epoch(), Some(5));
}

#[test]
fn the_revision_moves_with_every_state_change_and_only_then() {
    let mut oms = oms();
    let start = oms.revision();
    // Market prices are not state.
    oms.on_market_price(instrument(), px("1.2"));
    assert_eq!(oms.revision(), start);

    let buy = intent(Side::Buy, "100", "1.1", 1);
    let cl = oms.submit(at(1), buy).unwrap();
    let submitted = oms.revision();
    assert!(submitted > start);

    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "100", "1.1");
    oms.on_venue_event(at(2), venue.ack()).unwrap();
    let acked = oms.revision();
    assert!(acked > submitted);
    // A duplicate report changes nothing.
    let fill = venue.fill("40", "1.1");
    oms.on_venue_event(at(3), fill.clone()).unwrap();
    let filled = oms.revision();
    assert!(filled > acked);
    assert_eq!(
        oms.on_venue_event(at(4), fill).unwrap(),
        VenueEventOutcome::Duplicate
    );
    assert_eq!(oms.revision(), filled);
}

#[test]
fn throttle_tokens_count_down_with_submissions_and_come_back_after_the_window() {
    assert_eq!(oms().throttle_tokens(at(0)), (None, None), "no throttles");
    let mut config = config();
    config.limits.submit_rate = Some(oms::risk::RateLimit::per_second(3));
    config.limits.modify_rate = Some(oms::risk::RateLimit::per_second(5));
    let mut oms = Oms::new(config, at(0));
    oms.on_market_price(instrument(), px("1.1"));
    assert_eq!(oms.throttle_tokens(at(1)), (Some(3), Some(5)));
    for epoch in 1..=2 {
        oms.submit(at(1), intent(Side::Buy, "1", "1.1", epoch))
            .unwrap();
    }
    assert_eq!(oms.throttle_tokens(at(1)), (Some(1), Some(5)));
    // A second later both slots are free again.
    assert_eq!(oms.throttle_tokens(at(1_001)), (Some(3), Some(5)));
}
