#![allow(clippy::unwrap_used, reason = "test code")]
//! Reconciliation scenarios: one test per row of the resolution table in
//! `oms::reconcile`, plus unknown outcomes outside reconciliation.

mod common;

use common::*;
use model::{
    BusinessReject, ClOrdId, ExecType, OrdStatus, PositionReport, RequestId, Side, VenueCommand,
    VenueEvent, VenueSymbol,
};
use oms::risk::{DenyCode, TradingState};
use oms::{AlertCode, Oms, OmsEvent, OrderStatus, VenueEventOutcome};

/// Connects and returns the mass status and position request ids.
fn connect(oms: &mut Oms, now: model::Timestamp) -> (RequestId, RequestId) {
    oms.on_connected(now);
    let (_, commands) = drain(oms);
    let mut mass = None;
    let mut positions = None;
    for command in commands {
        match command {
            VenueCommand::MassStatus { request_id } => mass = Some(request_id),
            VenueCommand::Positions { request_id } => positions = Some(request_id),
            other => panic!("unexpected {other:?}"),
        }
    }
    (mass.unwrap(), positions.unwrap())
}

fn status_report(
    venue: &mut VenueOrder,
    status: OrdStatus,
    request: RequestId,
    total: u32,
) -> VenueEvent {
    let mut report = venue.report(ExecType::OrderStatus, status);
    report.mass_status_request_id = Some(request);
    report.total_reports = Some(total);
    VenueEvent::Execution(report)
}

fn no_orders(request: RequestId) -> VenueEvent {
    VenueEvent::BusinessReject(BusinessReject {
        ref_msg_type: Some("AF".into()),
        ref_id: Some(request.to_string()),
        reason: 0,
        text: Some("No orders found".into()),
    })
}

fn position(request: RequestId, long: &str, short: &str, price: &str) -> VenueEvent {
    VenueEvent::Position(PositionReport {
        request_id: Some(request),
        symbol: Some(VenueSymbol::new("1").unwrap()),
        long: qty(long),
        short: qty(short),
        settlement_price: Some(px(price)),
        total_reports: Some(1),
    })
}

fn no_positions(request: RequestId) -> VenueEvent {
    VenueEvent::Position(PositionReport {
        request_id: Some(request),
        symbol: None,
        long: qty("0"),
        short: qty("0"),
        settlement_price: None,
        total_reports: Some(0),
    })
}

fn alerts(events: &[OmsEvent]) -> Vec<(AlertCode, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            OmsEvent::Alert { code, detail, .. } => Some((*code, detail.clone())),
            _ => None,
        })
        .collect()
}

/// An order sent before a crash, whose acknowledgement and first fill were
/// lost: the venue's status report brings both back (VENUE_TRUTH,
/// MISSED_FILLS), new orders wait until reconciliation ends.
#[test]
fn status_report_restores_lost_ack_and_fills() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "100", "1.1", 1);
    let cl = oms.submit(at(1), buy.clone()).unwrap();
    let events = drain(&mut oms).0;
    let mut oms = Oms::recover(config(), &events, at(100)).unwrap();
    oms.on_market_price(instrument(), px("1.1"));
    let (mass, positions) = connect(&mut oms, at(101));
    assert_eq!(
        oms.submit(at(101), intent(Side::Buy, "1", "1.1", 9))
            .unwrap_err()
            .code,
        DenyCode::Reconciling
    );

    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "100", "1.1");
    venue.fill("40", "1.1");
    let report = status_report(&mut venue, OrdStatus::PartiallyFilled, mass, 1);
    oms.on_venue_event(at(102), report.clone()).unwrap();
    let order = oms.state().order(&buy.intent_id()).unwrap();
    assert_eq!(
        (order.status, order.filled, order.order_id.unwrap().as_str()),
        (OrderStatus::PartiallyFilled, qty("40"), "V1")
    );
    // The same report again (a resend) books nothing twice.
    oms.on_venue_event(at(103), report).unwrap();
    assert_eq!(
        oms.state().order(&buy.intent_id()).unwrap().filled,
        qty("40")
    );

    oms.on_venue_event(at(104), position(positions, "40", "0", "1.1"))
        .unwrap();
    assert!(!oms.is_reconciling());
    let events = drain(&mut oms).0;
    let codes: Vec<_> = alerts(&events).into_iter().map(|(code, _)| code).collect();
    assert_eq!(
        codes,
        [AlertCode::ReconFillInferred, AlertCode::ReconComplete]
    );
    assert_eq!(oms.state().trading_state(), TradingState::Active);
    assert!(
        oms.submit(at(105), intent(Side::Buy, "1", "1.1", 9))
            .is_ok()
    );
}

/// REQUEST_LOST and REPLACE_APPLIED.
#[test]
fn pending_requests_resolve_from_the_cl_ord_id_the_venue_works() {
    let mut oms = oms();
    let a = intent(Side::Buy, "10", "1.1", 1);
    let b = intent(Side::Buy, "10", "1.1", 2);
    let cl_a = oms.submit(at(1), a.clone()).unwrap();
    let cl_b = oms.submit(at(1), b.clone()).unwrap();
    let mut venue_a = VenueOrder::new(cl_a, "VA", Side::Buy, "10", "1.1");
    let mut venue_b = VenueOrder::new(cl_b, "VB", Side::Buy, "10", "1.1");
    oms.on_venue_event(at(2), venue_a.ack()).unwrap();
    oms.on_venue_event(at(2), venue_b.ack()).unwrap();
    oms.cancel(at(3), a.intent_id()).unwrap();
    let new_b = oms
        .replace(
            at(3),
            b.intent_id(),
            qty("20"),
            model::OrderKind::Limit { price: px("1.1") },
        )
        .unwrap();
    drain(&mut oms);

    let (mass, positions) = connect(&mut oms, at(10));
    // A still works under its old ClOrdID: the cancel never arrived.
    oms.on_venue_event(at(11), status_report(&mut venue_a, OrdStatus::New, mass, 2))
        .unwrap();
    // B works under the replace's ClOrdID: the replace took effect.
    venue_b.cl_ord_id = new_b;
    venue_b.quantity = qty("20");
    oms.on_venue_event(at(11), status_report(&mut venue_b, OrdStatus::New, mass, 2))
        .unwrap();
    oms.on_venue_event(at(12), no_positions(positions)).unwrap();

    let order_a = oms.state().order(&a.intent_id()).unwrap();
    assert_eq!(
        (order_a.status, order_a.pending.is_none()),
        (OrderStatus::New, true)
    );
    let order_b = oms.state().order(&b.intent_id()).unwrap();
    assert_eq!(
        (order_b.status, order_b.cl_ord_id, order_b.quantity),
        (OrderStatus::New, new_b, qty("20"))
    );
    assert!(!oms.is_reconciling());
}

/// QUERY_FIRST, then NOT_FOUND_PENDING_NEW and NOT_FOUND_OPEN (fills
/// kept); IGNORED for a filled order the venue no longer lists.
#[test]
fn orders_absent_from_mass_status_are_queried_then_resolved() {
    let mut oms = oms();
    let never_arrived = intent(Side::Buy, "10", "1.1", 1);
    let partly = intent(Side::Buy, "10", "1.1", 2);
    let done = intent(Side::Buy, "5", "1.1", 3);
    oms.submit(at(1), never_arrived.clone()).unwrap();
    let cl_p = oms.submit(at(1), partly.clone()).unwrap();
    let cl_d = oms.submit(at(1), done.clone()).unwrap();
    let mut venue_p = VenueOrder::new(cl_p, "VP", Side::Buy, "10", "1.1");
    oms.on_venue_event(at(2), venue_p.ack()).unwrap();
    oms.on_venue_event(at(2), venue_p.fill("4", "1.1")).unwrap();
    let mut venue_d = VenueOrder::new(cl_d, "VD", Side::Buy, "5", "1.1");
    oms.on_venue_event(at(2), venue_d.fill("5", "1.1")).unwrap();
    drain(&mut oms);

    let (mass, positions) = connect(&mut oms, at(10));
    oms.on_venue_event(at(11), no_orders(mass)).unwrap();
    let (_, commands) = drain(&mut oms);
    let queried: Vec<_> = commands
        .iter()
        .map(|c| match c {
            VenueCommand::Status(s) => s.cl_ord_id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        queried.len(),
        2,
        "the filled order is not queried: {queried:?}"
    );
    assert!(oms.is_reconciling());

    for (index, cl) in queried.iter().enumerate() {
        let mut venue = VenueOrder::new(*cl, &format!("X{index}"), Side::Buy, "10", "1.1");
        let mut report = venue.report(ExecType::Rejected, OrdStatus::Rejected);
        report.order_id = None;
        report.reject_reason = Some(5);
        report.text = Some("Unknown order".into());
        oms.on_venue_event(at(12), VenueEvent::Execution(report))
            .unwrap();
    }
    oms.on_venue_event(at(13), position(positions, "9", "0", "1.1"))
        .unwrap();
    assert!(!oms.is_reconciling());

    let rejected = oms.state().order(&never_arrived.intent_id()).unwrap();
    assert_eq!(rejected.status, OrderStatus::Rejected);
    assert!(
        rejected
            .last_text
            .as_deref()
            .unwrap()
            .starts_with("ORDER_NOT_FOUND_AT_VENUE")
    );
    let canceled = oms.state().order(&partly.intent_id()).unwrap();
    assert_eq!(
        (canceled.status, canceled.filled),
        (OrderStatus::Canceled, qty("4"))
    );
    assert_eq!(
        oms.state().order(&done.intent_id()).unwrap().status,
        OrderStatus::Filled
    );
    let events = drain(&mut oms).0;
    let rules: Vec<String> = alerts(&events)
        .into_iter()
        .map(|(_, detail)| detail)
        .collect();
    assert!(
        rules
            .iter()
            .any(|d| d.contains("rule=NOT_FOUND_PENDING_NEW")),
        "{rules:?}"
    );
    assert!(
        rules.iter().any(|d| d.contains("rule=NOT_FOUND_OPEN")),
        "{rules:?}"
    );
    assert_eq!(oms.state().trading_state(), TradingState::Active);
}

/// RECON_TIMEOUT: no answer means HALTED, and the order stays in flight.
#[test]
fn reconciliation_timeout_halts_and_assumes_nothing() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "10", "1.1", 1);
    oms.submit(at(1), buy.clone()).unwrap();
    drain(&mut oms);
    connect(&mut oms, at(10));
    let deadline = at(10 + 30_000);
    assert!(oms.poll_timeout().unwrap() <= deadline);
    oms.handle_timeout(deadline);
    assert!(!oms.is_reconciling());
    assert_eq!(oms.state().trading_state(), TradingState::Halted);
    assert_eq!(
        oms.state().order(&buy.intent_id()).unwrap().status,
        OrderStatus::PendingNew
    );
    let events = drain(&mut oms).0;
    assert!(
        alerts(&events)
            .iter()
            .any(|(code, _)| *code == AlertCode::ReconTimeout)
    );
}

/// TERMINAL_BUT_WORKING and VENUE_CUM_BELOW halt instead of guessing.
#[test]
fn conflicts_the_oms_cannot_resolve_halt_trading() {
    for (venue_status, venue_cum, rule) in [
        (OrdStatus::New, "5", "TERMINAL_BUT_WORKING"),
        (OrdStatus::Canceled, "2", "VENUE_CUM_BELOW"),
    ] {
        let mut oms = oms();
        let buy = intent(Side::Buy, "10", "1.1", 1);
        let cl = oms.submit(at(1), buy.clone()).unwrap();
        let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "10", "1.1");
        oms.on_venue_event(at(2), venue.fill("5", "1.1")).unwrap();
        oms.on_venue_event(at(3), venue.canceled(None)).unwrap();
        drain(&mut oms);
        let (mass, _) = connect(&mut oms, at(10));
        venue.cum = qty(venue_cum);
        oms.on_venue_event(at(11), status_report(&mut venue, venue_status, mass, 1))
            .unwrap();
        assert_eq!(oms.state().trading_state(), TradingState::Halted, "{rule}");
        let order = oms.state().order(&buy.intent_id()).unwrap();
        assert_eq!(
            (order.status, order.filled),
            (OrderStatus::Canceled, qty("5")),
            "{rule}"
        );
        let events = drain(&mut oms).0;
        assert!(
            alerts(&events)
                .iter()
                .any(|(_, d)| d.contains(&format!("rule={rule}"))),
            "{rule}"
        );
    }
}

/// UNKNOWN_VENUE_ORDER: adopted under EXTERNAL, its fills counted.
#[test]
fn unknown_venue_orders_are_adopted_as_external() {
    let mut oms = oms();
    let (mass, positions) = connect(&mut oms, at(10));
    let foreign = ClOrdId::new("manual-7").unwrap();
    let mut venue = VenueOrder::new(foreign, "M7", Side::Sell, "50", "1.2");
    venue.fill("20", "1.2");
    oms.on_venue_event(
        at(11),
        status_report(&mut venue, OrdStatus::PartiallyFilled, mass, 1),
    )
    .unwrap();
    oms.on_venue_event(at(12), position(positions, "0", "20", "1.2"))
        .unwrap();
    let order = oms.state().order_by_cl_ord_id(&foreign).unwrap();
    assert_eq!(order.strategy.as_str(), "EXTERNAL");
    assert_eq!(
        (order.status, order.filled),
        (OrderStatus::PartiallyFilled, qty("20"))
    );
    assert_eq!(
        oms.state()
            .positions()
            .instrument_net(&instrument())
            .to_string(),
        "-20"
    );
    assert_eq!(
        oms.state().trading_state(),
        TradingState::Active,
        "positions agree"
    );
}

/// POSITION_MISMATCH: the EXTERNAL ledger takes the difference; the
/// strategy's own position is not touched (no synthetic flattening fill).
#[test]
fn position_mismatch_adjusts_the_external_ledger_and_halts() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "100", "1.1", 1);
    let cl = oms.submit(at(1), buy).unwrap();
    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "100", "1.1");
    oms.on_venue_event(at(2), venue.fill("100", "1.1")).unwrap();
    drain(&mut oms);
    let (mass, positions) = connect(&mut oms, at(10));
    oms.on_venue_event(at(11), no_orders(mass)).unwrap();
    oms.on_venue_event(at(12), position(positions, "60", "0", "1.1"))
        .unwrap();
    let book = oms.state().positions();
    assert_eq!(book.instrument_net(&instrument()).to_string(), "60");
    assert_eq!(
        book.strategy_net(&instrument(), &strategy("alpha"))
            .to_string(),
        "100"
    );
    assert_eq!(
        book.strategy_net(&instrument(), &strategy("EXTERNAL"))
            .to_string(),
        "-40"
    );
    assert_eq!(oms.state().trading_state(), TradingState::Halted);
    let events = drain(&mut oms).0;
    assert!(
        alerts(&events)
            .iter()
            .any(|(code, d)| *code == AlertCode::ReconPositionMismatch
                && d.contains("venue_net=60, emp_net=100"))
    );
}

/// A hedged account reports one position per id (721), long and short
/// in the same symbol: their sum is what the account holds.
#[test]
fn hedged_positions_in_one_symbol_are_summed_before_comparing() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "100", "1.1", 1);
    let cl = oms.submit(at(1), buy).unwrap();
    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "100", "1.1");
    oms.on_venue_event(at(2), venue.fill("100", "1.1")).unwrap();
    drain(&mut oms);
    let (mass, positions) = connect(&mut oms, at(10));
    oms.on_venue_event(at(11), no_orders(mass)).unwrap();
    let report = |long: &str, short: &str| {
        let VenueEvent::Position(mut report) = position(positions, long, short, "1.1") else {
            unreachable!()
        };
        report.total_reports = Some(2);
        VenueEvent::Position(report)
    };
    oms.on_venue_event(at(12), report("130", "0")).unwrap();
    oms.on_venue_event(at(13), report("0", "30")).unwrap();
    assert_eq!(oms.state().trading_state(), TradingState::Active);
    assert!(!oms.is_reconciling());
    let events = drain(&mut oms).0;
    assert!(
        alerts(&events)
            .iter()
            .all(|(code, _)| *code == AlertCode::ReconComplete),
        "{events:?}"
    );
}

/// FIX 4.2 venues have no mass status: each working order is queried.
#[test]
fn without_mass_status_each_working_order_is_queried() {
    let mut config = config();
    config.reconcile.mass_status = false;
    config.reconcile.positions = false;
    let mut oms = Oms::new(config, at(0));
    oms.on_market_price(instrument(), px("1.1"));
    let buy = intent(Side::Buy, "10", "1.1", 1);
    let cl = oms.submit(at(1), buy.clone()).unwrap();
    drain(&mut oms);
    oms.on_connected(at(2));
    let (_, commands) = drain(&mut oms);
    assert!(matches!(commands.as_slice(), [VenueCommand::Status(s)] if s.cl_ord_id == cl));
    let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "10", "1.1");
    let mut report = venue.report(ExecType::New, OrdStatus::New);
    report.cl_ord_id = Some(cl);
    oms.on_venue_event(at(3), VenueEvent::Execution(report))
        .unwrap();
    assert!(!oms.is_reconciling());
    assert_eq!(
        oms.state().order(&buy.intent_id()).unwrap().status,
        OrderStatus::New
    );
}

/// An unacknowledged order is queried after the in-flight timeout and
/// stays in flight, with an UNRESOLVED alert, when nothing answers.
#[test]
fn unknown_outcome_stays_in_flight_and_is_never_silently_failed() {
    let mut oms = oms();
    let buy = intent(Side::Buy, "10", "1.1", 1);
    let cl = oms.submit(at(0), buy.clone()).unwrap();
    drain(&mut oms);
    let mut queries = 0;
    let mut now = at(0);
    for _ in 0..20 {
        let Some(next) = oms.poll_timeout() else {
            break;
        };
        now = next.max(now);
        oms.handle_timeout(now);
        let (_, commands) = drain(&mut oms);
        queries += commands
            .iter()
            .filter(|c| matches!(c, VenueCommand::Status(s) if s.cl_ord_id == cl))
            .count();
        if now >= at(120_000) {
            break;
        }
    }
    assert_eq!(queries, 5, "max_status_queries");
    assert_eq!(
        oms.state().order(&buy.intent_id()).unwrap().status,
        OrderStatus::PendingNew
    );
    assert_eq!(
        oms.state().working(&instrument(), &strategy("alpha")).buys,
        qty("10"),
        "still counted as pending"
    );
}

/// VENUE_TRUTH for the reference table's rows "accepted, venue
/// canceled/expired/rejected → mirror" and "partially filled, venue
/// canceled → canceled, fills kept".
#[test]
fn working_orders_mirror_a_terminal_venue_status() {
    for (filled, venue_status, expected) in [
        ("0", OrdStatus::Canceled, OrderStatus::Canceled),
        ("0", OrdStatus::Expired, OrderStatus::Expired),
        ("0", OrdStatus::Rejected, OrderStatus::Rejected),
        ("3", OrdStatus::Canceled, OrderStatus::Canceled),
    ] {
        let mut oms = oms();
        let buy = intent(Side::Buy, "10", "1.1", 1);
        let cl = oms.submit(at(1), buy.clone()).unwrap();
        let mut venue = VenueOrder::new(cl, "V1", Side::Buy, "10", "1.1");
        oms.on_venue_event(at(2), venue.ack()).unwrap();
        if filled != "0" {
            oms.on_venue_event(at(3), venue.fill(filled, "1.1"))
                .unwrap();
        }
        drain(&mut oms);
        let (mass, positions) = connect(&mut oms, at(10));
        oms.on_venue_event(at(11), status_report(&mut venue, venue_status, mass, 1))
            .unwrap();
        oms.on_venue_event(at(12), position(positions, filled, "0", "1.1"))
            .unwrap();
        let order = oms.state().order(&buy.intent_id()).unwrap();
        assert_eq!(
            (order.status, order.filled),
            (expected, qty(filled)),
            "{venue_status:?}"
        );
        assert_eq!(
            oms.state().trading_state(),
            TradingState::Active,
            "{venue_status:?}"
        );
        assert!(!oms.is_reconciling());
    }
}

#[test]
fn an_empty_mass_status_reply_completes_reconciliation_without_an_alert() {
    let mut oms = oms();
    let (mass, positions) = connect(&mut oms, at(10));
    // FIX's "nothing working": one OrderStatus report, TotNumReports 0,
    // LastRptRequested, no order ids.
    let mut venue = VenueOrder::new(ClOrdId::new("none").unwrap(), "none", Side::Buy, "1", "1.1");
    let mut report = venue.report(ExecType::OrderStatus, OrdStatus::Rejected);
    report.order_id = None;
    report.cl_ord_id = None;
    report.mass_status_request_id = Some(mass);
    report.total_reports = Some(0);
    report.last_report = true;
    report.text = Some("no working orders".into());
    assert_eq!(
        oms.on_venue_event(at(11), VenueEvent::Execution(report))
            .unwrap(),
        VenueEventOutcome::Ignored
    );
    oms.on_venue_event(at(12), no_positions(positions)).unwrap();
    let (events, _) = drain(&mut oms);
    let codes: Vec<_> = alerts(&events).into_iter().map(|(code, _)| code).collect();
    assert_eq!(codes, [AlertCode::ReconComplete]);
    assert_eq!(oms.state().trading_state(), TradingState::Active);
}
