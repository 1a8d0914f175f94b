//! Websocket feeds in a trading run.
//!
//! - Simulated time, in-process venue: a feed's gap stops quoting (the
//!   gate DEGRADED naming the instrument, the market maker's quotes
//!   withdrawn, nothing new sent) and Live with a fresh snapshot resumes
//!   it; the journal replays decision for decision.
//! - Real sockets: `emp run` with a run config whose `[feeds]` point at a
//!   local websocket server speaking Coinbase; the feed's books, its gap
//!   and its recovery land in the run's journal as market data and
//!   `system.feed` inputs.
//! - `emp capture --config` reads the same `[feeds]` section.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use emp::demo::{ChosenParams, demo_profile};
use emp::inprocess::InProcess;
use emp::record::{FeedStatusInput, topics};
use emp::trader::journal_dir;
use futures_util::{SinkExt, StreamExt};
use gateway::ws::client::FeedMessage;
use gateway::ws::{FeedNotice, WsOutput};
use journal::{JournalReader, KnownVersions, ReplayItem, ReplayOptions, Start};
use model::{
    BookEntry, BookSnapshot, FeedStatus, InstrumentId, MarketEvent, MarketHeader, Timestamp,
};
use strategy::{ReadinessReason, ReadinessState};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use venue::server::{ServerOptions, VenueServer};

/// 2026-11-20T10:00:00Z.
const START: u64 = 1_795_168_800_000_000_000;
const SECOND: u64 = 1_000_000_000;

fn at(seconds: u64) -> Timestamp {
    Timestamp::from_unix_nanos(START + seconds * SECOND)
}

fn eurusd() -> InstrumentId {
    InstrumentId::new("EURUSD.CTRADER").unwrap()
}

fn feed_message(now: Timestamp, events: Vec<MarketEvent>, notices: Vec<FeedNotice>) -> FeedMessage {
    FeedMessage {
        connection: 0,
        received: now,
        output: WsOutput { events, notices },
        error: None,
    }
}

/// Every record of `topic` in the journal of `run_dir`, decoded.
fn records<T: serde::de::DeserializeOwned>(run_dir: &Path, topic: &str) -> Vec<T> {
    let options = ReplayOptions {
        start: Start::Beginning,
        topics: vec![topic.into()],
        known: KnownVersions::up_to(emp::record::SCHEMA_VERSION),
    };
    let mut out = Vec::new();
    JournalReader::new(journal_dir(run_dir))
        .replay(&options, |item| {
            if let ReplayItem::Record(record) = item {
                out.push(record.value::<T>().unwrap());
            }
            true
        })
        .unwrap();
    out
}

fn working_eurusd(world: &InProcess) -> usize {
    world
        .engine()
        .pipeline()
        .oms()
        .state()
        .working_orders()
        .filter(|order| order.instrument == eurusd())
        .count()
}

#[test]
fn a_feed_gap_stops_quoting_and_live_with_a_fresh_snapshot_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let params = ChosenParams::touch();
    let mut world = InProcess::new(
        &demo_profile().unwrap(),
        params,
        dir.path(),
        journal::Durability::OsOnly,
        at(0),
    )
    .unwrap();
    world.connect();
    world.run_until(at(30));
    assert_eq!(world.engine().readiness(), ReadinessState::Running);
    assert!(working_eurusd(&world) > 0, "quoting EURUSD before the gap");

    // The feed carrying EURUSD skips sequence numbers.
    let now = world.now();
    let gap = FeedStatus::Gap {
        expected: 41,
        received: 45,
    };
    let message = feed_message(
        now,
        Vec::new(),
        vec![
            FeedNotice::Status(gap),
            FeedNotice::Status(FeedStatus::Resynchronising),
        ],
    );
    world
        .engine_mut()
        .on_feed_message(now, "coinbase", &[eurusd()], message);
    world.pump();
    assert_eq!(world.engine().readiness(), ReadinessState::Degraded);
    assert_eq!(
        world.engine().pipeline().host().gate().problem(),
        Some(ReadinessReason::FeedNotLive {
            instrument: eurusd(),
            status: FeedStatus::Resynchronising,
        })
    );
    let sent = world.engine().stats().orders_sent;
    world.run_until(at(40));
    assert_eq!(working_eurusd(&world), 0, "quotes withdrawn during the gap");
    assert_eq!(
        world.engine().stats().orders_sent,
        sent,
        "nothing new while resynchronising"
    );

    // Live again: before the fresh snapshot, still held.
    let now = world.now();
    let live = feed_message(now, Vec::new(), vec![FeedNotice::Status(FeedStatus::Live)]);
    world
        .engine_mut()
        .on_feed_message(now, "coinbase", &[eurusd()], live);
    world.pump();
    assert_eq!(
        world.engine().pipeline().host().gate().problem(),
        Some(ReadinessReason::AwaitingSnapshot {
            instrument: eurusd()
        })
    );
    // The fresh snapshot (the feed's rebuilt book: the venue's levels).
    let book = world.engine().pipeline().sensory().book(&eurusd()).unwrap();
    let entries = |levels: &[sensory::Level]| -> Vec<BookEntry> {
        levels
            .iter()
            .map(|level| BookEntry {
                price: level.price,
                size: level.size,
                entry_id: None,
            })
            .collect()
    };
    let snapshot = MarketEvent::Snapshot(BookSnapshot {
        header: MarketHeader {
            instrument: eurusd(),
            sequence: Some(46),
            exchange_time: Some(now),
            receive_time: now,
        },
        bids: entries(book.bids()),
        asks: entries(book.asks()),
    });
    let message = feed_message(now, vec![snapshot], Vec::new());
    world
        .engine_mut()
        .on_feed_message(now, "coinbase", &[eurusd()], message);
    world.pump();
    assert_eq!(world.engine().readiness(), ReadinessState::Running);
    world.run_until(at(60));
    assert!(
        world.engine().stats().orders_sent > sent,
        "quoting resumed after Live and the snapshot"
    );
    let end = world.now();
    world.engine_mut().close(end).unwrap();

    // The feed's statuses are journaled inputs, and the run replays.
    let statuses: Vec<FeedStatusInput> = records(dir.path(), topics::FEED);
    assert_eq!(
        statuses
            .iter()
            .map(|input| (input.instruments.clone(), input.status))
            .collect::<Vec<_>>(),
        [
            (vec![eurusd()], gap),
            (vec![eurusd()], FeedStatus::Resynchronising),
            (vec![eurusd()], FeedStatus::Live),
        ]
    );
    let outcome = emp::replay::replay(&journal_dir(dir.path())).unwrap();
    assert!(outcome.divergence.is_none(), "{:?}", outcome.divergence);
    assert!(outcome.matched > 0);
}

type Server = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

const WAIT: Duration = Duration::from_secs(20);

async fn recv_text(server: &mut Server) -> String {
    loop {
        let frame = tokio::time::timeout(WAIT, server.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(text) = frame {
            return text.as_str().to_owned();
        }
    }
}

async fn send(server: &mut Server, text: &str) {
    server.send(Message::text(text.to_owned())).await.unwrap();
}

fn l2(sequence: u64, kind: &str, bid: &str, ask: &str) -> String {
    format!(
        r#"{{"channel":"l2_data","client_id":"","timestamp":"2026-11-20T10:00:00.5Z","sequence_num":{sequence},"events":[{{"type":"{kind}","product_id":"EUR-USD","updates":[{{"side":"bid","event_time":"2026-11-20T10:00:00.5Z","price_level":"{bid}","new_quantity":"1000000"}},{{"side":"offer","event_time":"2026-11-20T10:00:00.5Z","price_level":"{ask}","new_quantity":"1000000"}}]}}]}}"#
    )
}

/// A Coinbase stand-in: subscriptions, a book, an update, a sequence gap,
/// the resubscription it causes, and a fresh book; then it stays open.
async fn coinbase(listener: TcpListener) {
    let (tcp, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    let mut server = tokio_tungstenite::accept_async(tcp).await.unwrap();
    let first = recv_text(&mut server).await;
    assert!(first.contains("heartbeats"), "{first}");
    let level2 = recv_text(&mut server).await;
    assert!(
        level2.contains("level2") && level2.contains("EUR-USD"),
        "{level2}"
    );
    send(&mut server, &l2(1, "snapshot", "1.08001", "1.08003")).await;
    send(&mut server, &l2(2, "update", "1.08001", "1.08004")).await;
    send(&mut server, &l2(5, "update", "1.08002", "1.08004")).await;
    // The gap makes the client resubscribe level2 for a new snapshot.
    loop {
        let text = recv_text(&mut server).await;
        if text.contains("level2") {
            break;
        }
    }
    send(&mut server, &l2(6, "snapshot", "1.08005", "1.08007")).await;
    // Keep the connection open until the run ends.
    while tokio::time::timeout(WAIT, server.next())
        .await
        .is_ok_and(|frame| frame.is_some_and(|f| f.is_ok()))
    {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emp_run_takes_its_feeds_from_the_run_config() {
    let mut profile = demo_profile().unwrap();
    profile.fix.as_mut().unwrap().quote_port = 0;
    let venue = VenueServer::start(
        &profile,
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        ServerOptions { message_log: None },
    )
    .await
    .unwrap();
    let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_addr = ws.local_addr().unwrap();
    let server = tokio::spawn(coinbase(ws));

    let dir = tempfile::tempdir().unwrap();
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs");
    let config = format!(
        r#"
[run]
mode = "paper"
run_dir = "run"
params = "{params}"
metrics = "off"
control = "off"
durability = "os"

[venue]
profile = "{profile}"
host = "127.0.0.1"
quote_port = {quote}
trade_port = {trade}
sender_comp_id = "demo.emp.12345"
target_comp_id = "CSERVER"
username = "12345"
password = "demo-password"
subscribe = ["USDJPY.CTRADER"]

[[feeds.coinbase]]
url = "ws://{ws_addr}"
channels = ["level2"]
stale_ms = 10000
dead_ms = 20000
products = [{{ product = "EUR-USD", instrument = "EURUSD.CTRADER" }}]
"#,
        params = specs.join("strategies-touch.toml").display(),
        profile = specs.join("venue-ctrader.toml").display(),
        quote = venue.quote_port().unwrap(),
        trade = venue.trade_port(),
    );
    let path = dir.path().join("run.toml");
    std::fs::write(&path, &config).unwrap();
    let mut file = emp::run_config::parse(&config, &path, at(0)).unwrap();
    assert_eq!(file.setup.feeds.len(), 1);
    file.options.duration = Some(Duration::from_secs(3));
    file.options.echo = false;
    file.options.ctrl_c = false;
    let run_dir = file.setup.run_dir.clone();
    let summary = tokio::task::spawn_blocking(move || {
        let (_stop_tx, stop) = tokio::sync::watch::channel(false);
        emp::trader::run_trader(&file.setup, &file.options, stop)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(summary.failure.is_none(), "{:?}", summary.failure);
    venue.shutdown().await;
    server.abort();

    // The feed's books are the run's EURUSD market data.
    let snapshots: Vec<MarketEvent> = records(&run_dir, topics::SNAPSHOT);
    let eurusd_books: Vec<String> = snapshots
        .iter()
        .filter_map(|event| match event {
            MarketEvent::Snapshot(book) if book.header.instrument == eurusd() => {
                Some(book.bids[0].price.to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(eurusd_books, ["1.08001", "1.08005"]);
    let deltas: Vec<MarketEvent> = records(&run_dir, topics::DELTA);
    assert!(
        deltas
            .iter()
            .any(|event| *event.instrument() == eurusd() && event.header().sequence == Some(2)),
        "the update before the gap: {deltas:?}"
    );
    // Its gap and recovery reached the pipeline as journaled inputs.
    let statuses: Vec<FeedStatus> = records::<FeedStatusInput>(&run_dir, topics::FEED)
        .into_iter()
        .inspect(|input| assert_eq!(input.instruments, [eurusd()]))
        .map(|input| input.status)
        .collect();
    assert_eq!(
        statuses,
        [
            FeedStatus::Live,
            FeedStatus::Gap {
                expected: 3,
                received: 5
            },
            FeedStatus::Resynchronising,
            FeedStatus::Live,
        ]
    );
    let outcome = emp::replay::replay(&journal_dir(&run_dir)).unwrap();
    assert!(outcome.divergence.is_none(), "{:?}", outcome.divergence);
}

#[test]
fn capture_reads_the_feeds_of_a_run_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sessions/feeds-example.toml");
    let plan =
        emp::capture::CapturePlan::from_config(&path, dir.path().to_path_buf(), Duration::ZERO)
            .unwrap();
    let names: Vec<(&str, usize)> = plan
        .feeds
        .iter()
        .map(|spec| (spec.name.as_str(), spec.config.instruments.len()))
        .collect();
    assert_eq!(names, [("polymarket", 2), ("coinbase", 1)]);
    let ids: Vec<String> = emp::capture::instruments(&plan)
        .unwrap()
        .iter()
        .map(|instrument| instrument.id.to_string())
        .collect();
    assert_eq!(ids, ["BTC-100K-YES", "BTC-100K-NO", "BTC-USD"]);

    let empty = dir.path().join("none.toml");
    std::fs::write(&empty, "[run]\nmode = \"paper\"\n").unwrap();
    let error =
        emp::capture::CapturePlan::from_config(&empty, dir.path().to_path_buf(), Duration::ZERO)
            .unwrap_err();
    assert!(
        format!("{error:#}").contains("no [feeds] section"),
        "{error:#}"
    );
}
