//! A trading EMP process killed with SIGKILL mid-run and started again
//! on the same run folder: reconciliation gives it exactly the venue's
//! open orders and positions, and no order is sent twice.
//!
//! The venue runs in this test process over loopback TCP and outlives
//! the trader. The trader is this same test binary run again as a child
//! (`trader_child`, which does nothing unless its environment says so),
//! so it is a real process that a real SIGKILL stops between any two
//! instructions.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use emp::demo::{ChosenParams, demo_limits, demo_profile, trader_setup};
use emp::trader::{TraderOptions, journal_dir, recorded_oms_events, run_trader};
use gateway::transport::wall_clock;
use journal::Durability;
use model::{ClOrdId, Quantity, VenueEvent};
use oms::{AlertCode, Oms, OmsConfig, OmsEvent};
use venue::server::{ServerOptions, VenueServer};

const RUN_DIR: &str = "EMP_E2E_CHILD_RUN_DIR";
const QUOTE: &str = "EMP_E2E_CHILD_QUOTE";
const TRADE: &str = "EMP_E2E_CHILD_TRADE";
const STRATEGIES: &str = "EMP_E2E_CHILD_STRATEGIES";

/// The trader, when run as a child by the test below; otherwise nothing.
#[test]
fn trader_child() {
    let Ok(run_dir) = std::env::var(RUN_DIR) else {
        return;
    };
    let address = |name: &str| -> SocketAddr { std::env::var(name).unwrap().parse().unwrap() };
    let trading = std::env::var(STRATEGIES).as_deref() == Ok("on");
    let switched_off = if trading {
        Vec::new()
    } else {
        vec!["mm-eurusd".parse().unwrap(), "mm-usdjpy".parse().unwrap()]
    };
    let params = ChosenParams {
        switched_off,
        ..ChosenParams::touch()
    };
    let setup = trader_setup(
        &demo_profile().unwrap(),
        address(QUOTE),
        address(TRADE),
        params,
        PathBuf::from(run_dir),
        Durability::EveryCommit,
        wall_clock(),
    )
    .unwrap();
    let options = TraderOptions {
        duration: Some(Duration::from_secs(120)),
        status_interval: Duration::from_secs(1),
        reconnect_interval: Duration::from_millis(200),
        echo: false,
        metrics_addr: None,
        ctrl_c: false,
        control: None,
        initial_trading_state: None,
        log_format: emp::logging::LogFormat::Json,
    };
    let (_keep, stop) = tokio::sync::watch::channel(false);
    run_trader(&setup, &options, stop).unwrap();
}

fn spawn_trader(run_dir: &Path, quote: SocketAddr, trade: SocketAddr, strategies: &str) -> Child {
    let log = std::fs::File::create(run_dir.with_extension(format!("{strategies}.out"))).unwrap();
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "trader_child", "--nocapture", "--test-threads=1"])
        .env(RUN_DIR, run_dir)
        .env(QUOTE, quote.to_string())
        .env(TRADE, trade.to_string())
        .env(STRATEGIES, strategies)
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap()
}

/// Waits up to `limit` for `ready`, checking every 100 ms.
fn wait_for(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn kill(mut child: Child) {
    // std's kill is SIGKILL on Unix: no handler, no flush, no logout.
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_sigkilled_trader_restarts_with_the_venues_orders_and_positions() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let profile = demo_profile().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let venue = runtime
        .block_on(VenueServer::start(
            &profile,
            localhost,
            ServerOptions::default(),
        ))
        .unwrap();
    let quote = SocketAddr::new(localhost, venue.quote_port().unwrap());
    let trade = SocketAddr::new(localhost, venue.trade_port());
    let owner = venue.with_core(|core| core.owner(12345)).unwrap();
    let instruments: Vec<_> = profile.instruments().iter().map(|i| i.id).collect();
    let positions = |venue: &venue::server::VenueHandle| {
        venue.with_core(|core| {
            instruments
                .iter()
                .map(|id| (*id, core.exchange().position(owner, id)))
                .collect::<BTreeMap<_, _>>()
        })
    };

    // Run 1 trades until it holds a position and has orders resting.
    let first = spawn_trader(&run_dir, quote, trade, "on");
    let trading = || {
        let holding = positions(&venue).values().any(|net| !net.is_zero());
        let resting = venue.with_core(|core| core.exchange().working_orders(owner)) > 0;
        holding && resting
    };
    wait_for(
        Duration::from_secs(90),
        "a position and resting orders",
        trading,
    );
    // A few seconds of quoting, replacing and filling, then the kill, in
    // the middle of whatever is on the wire.
    std::thread::sleep(Duration::from_secs(4));
    wait_for(
        Duration::from_secs(30),
        "a position and resting orders",
        trading,
    );
    kill(first);
    // From here on the venue changes only by what EMP does.
    venue.set_market_paused(true);
    std::thread::sleep(Duration::from_millis(300));
    let venue_orders: BTreeSet<(ClOrdId, Quantity)> = venue
        .with_core(|core| core.exchange().working_order_ids(owner))
        .into_iter()
        .collect();
    let venue_positions = positions(&venue);
    assert!(!venue_orders.is_empty());

    // Run 2, strategies off, reconciles on the same folder; then it too is
    // killed, so the journal holds exactly what it knew.
    // emp.log continues across runs: run 1 reconciled at its start too,
    // so wait for one more reconciliation than the log already holds.
    let reconciliations = || {
        std::fs::read_to_string(run_dir.join("emp.log"))
            .map_or(0, |log| log.matches("reconciled with the venue").count())
    };
    let before = reconciliations();
    assert!(before >= 1, "run 1 reconciled at its start");
    let second = spawn_trader(&run_dir, quote, trade, "off");
    wait_for(Duration::from_secs(60), "run 2's reconciliation", || {
        reconciliations() > before
    });
    std::thread::sleep(Duration::from_millis(500));
    kill(second);

    let events = recorded_oms_events(&journal_dir(&run_dir)).unwrap();
    let config = OmsConfig::new(demo_limits(), profile.instruments());
    let oms = Oms::recover(config, events.iter(), wall_clock()).unwrap();
    let state = oms.state();
    let emp_orders: BTreeSet<(ClOrdId, Quantity)> = state
        .orders()
        .filter(|order| order.status.is_working())
        .map(|order| (order.cl_ord_id, order.leaves()))
        .collect();
    assert_eq!(emp_orders, venue_orders, "open orders after the restart");
    for (instrument, net) in &venue_positions {
        assert_eq!(
            state.positions().instrument_net(instrument),
            *net,
            "{instrument} position after the restart"
        );
    }
    // Nothing was adopted or adjusted: EMP knew every order and fill.
    for event in &events {
        assert!(
            !matches!(
                event,
                OmsEvent::ExternalOrderAdopted { .. } | OmsEvent::PositionAdjusted { .. }
            ),
            "{event:?}"
        );
        // Fills missed while dead (RECON_FILL_INFERRED) and an order
        // journaled but never sent (RECON_ORDER_NOT_FOUND) are what a kill
        // leaves behind; anything else means the accounts disagreed.
        if let OmsEvent::Alert { code, detail, .. } = event {
            assert!(
                !matches!(
                    code,
                    AlertCode::ExternalOrderAdopted
                        | AlertCode::InconsistentReport
                        | AlertCode::Overfill
                        | AlertCode::ReconConflict
                        | AlertCode::ReconPositionMismatch
                        | AlertCode::ReconTimeout
                        | AlertCode::UnknownOrderReport
                        | AlertCode::Unresolved
                ),
                "{code:?} {detail}"
            );
        }
    }
    // No order went out twice: every NewOrderSingle had its own ClOrdID
    // and the venue refused none as a duplicate (OrdRejReason 6).
    let submitted: Vec<ClOrdId> = events
        .iter()
        .filter_map(|event| match event {
            OmsEvent::OrderSubmitted { cl_ord_id, .. } => Some(*cl_ord_id),
            _ => None,
        })
        .collect();
    let unique: BTreeSet<_> = submitted.iter().collect();
    assert_eq!(unique.len(), submitted.len(), "a ClOrdID was reused");
    let duplicates = venue_reports(&journal_dir(&run_dir))
        .into_iter()
        .filter(|event| {
            matches!(event, VenueEvent::Execution(report) if report.reject_reason == Some(6))
        })
        .count();
    assert_eq!(duplicates, 0, "the venue refused a duplicate order");
    runtime.block_on(venue.shutdown());
}

/// Every venue report in the journal.
fn venue_reports(dir: &Path) -> Vec<VenueEvent> {
    let options = journal::ReplayOptions {
        start: journal::Start::Beginning,
        topics: vec![emp::record::topics::VENUE.into()],
        known: journal::KnownVersions::up_to(emp::record::SCHEMA_VERSION),
    };
    let mut reports = Vec::new();
    journal::JournalReader::new(dir)
        .replay(&options, |item| {
            if let journal::ReplayItem::Record(record) = item {
                reports.push(record.value::<VenueEvent>().unwrap());
            }
            true
        })
        .unwrap();
    reports
}
