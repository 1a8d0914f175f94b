#![allow(clippy::unwrap_used, reason = "test code")]
//! The websocket feed driver against a local tokio-tungstenite server on
//! 127.0.0.1 replaying scripted sessions: subscriptions in order,
//! disconnects and reconnects, sequence gaps and resubscription, garbage
//! frames, schema drift, keep-alive and the staleness alarm. Every wait is
//! bounded; nothing asserts on durations.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gateway::ws::FeedNotice;
use gateway::ws::client::{FeedConfig, FeedMessage, FeedVenue, spawn_feed};
use gateway::ws::session::{BackoffConfig, LivenessConfig};
use model::{BookResetReason, FeedStatus, InstrumentId, MarketEvent};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

type Server = WebSocketStream<TcpStream>;

async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    (listener, url)
}

async fn accept(listener: &TcpListener) -> Server {
    let (tcp, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .expect("a connection")
        .unwrap();
    tokio_tungstenite::accept_async(tcp).await.unwrap()
}

/// The next text from the client, skipping its keep-alive `PING`s.
async fn recv_text(server: &mut Server) -> String {
    loop {
        let frame = tokio::time::timeout(WAIT, server.next())
            .await
            .expect("a frame from the client")
            .expect("open")
            .unwrap();
        if let Message::Text(text) = frame
            && text.as_str() != "PING"
        {
            return text.as_str().to_owned();
        }
    }
}

async fn send(server: &mut Server, text: &str) {
    server.send(Message::text(text.to_owned())).await.unwrap();
}

/// Messages until one satisfies `want`; returns them all (the match last).
async fn until(
    rx: &mut mpsc::Receiver<FeedMessage>,
    mut want: impl FnMut(&FeedMessage) -> bool,
) -> Vec<FeedMessage> {
    let mut seen = Vec::new();
    loop {
        let message = tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("a feed message")
            .expect("feed running");
        let done = want(&message);
        seen.push(message);
        if done {
            return seen;
        }
    }
}

fn has_status(message: &FeedMessage, status: FeedStatus) -> bool {
    message.output.notices.contains(&FeedNotice::Status(status))
}

fn snapshot_of(message: &FeedMessage, id: &str) -> bool {
    message
        .output
        .events
        .iter()
        .any(|e| matches!(e, MarketEvent::Snapshot(s) if s.header.instrument.as_str() == id))
}

fn fast_backoff() -> BackoffConfig {
    BackoffConfig {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(100),
        multiplier: 2,
        jitter_percent: 50,
    }
}

fn pm_book(asset: &str) -> String {
    format!(
        r#"{{"event_type":"book","asset_id":"{asset}","market":"0x1","bids":[{{"price":".48","size":"30"}}],"asks":[{{"price":".52","size":"25"}}],"timestamp":"1757908892000"}}"#
    )
}

fn id(text: &str) -> InstrumentId {
    InstrumentId::new(text).unwrap()
}

fn pm_config(url: String, assets: &[&str]) -> FeedConfig {
    let mut config = FeedConfig::new(
        FeedVenue::Polymarket,
        assets
            .iter()
            .map(|a| ((*a).to_owned(), id(&format!("{a}.PM"))))
            .collect(),
    );
    config.url = url;
    config.backoff = fast_backoff();
    config.liveness = LivenessConfig {
        ping_interval: Some(Duration::from_secs(30)),
        stale_after: Duration::from_secs(60),
        dead_after: Duration::from_secs(120),
    };
    config.connect_timeout = Duration::from_secs(5);
    config
}

#[tokio::test]
async fn polymarket_session_survives_garbage_drift_and_disconnects() {
    let (listener, url) = listen().await;
    let (mut handle, mut rx) = spawn_feed(pm_config(url, &["A", "B"]));

    // Connection 1: the initial subscribe carries both assets in order.
    let mut server = accept(&listener).await;
    let initial = recv_text(&mut server).await;
    assert!(initial.contains(r#""type":"market""#), "{initial}");
    assert!(initial.contains(r#""assets_ids":["A","B"]"#), "{initial}");
    send(
        &mut server,
        &format!("[{}, {}]", pm_book("A"), pm_book("B")),
    )
    .await;
    let seen = until(&mut rx, |m| has_status(m, FeedStatus::Live)).await;
    assert!(
        seen.iter()
            .any(|m| snapshot_of(m, "A.PM") && snapshot_of(m, "B.PM"))
    );

    // Garbage and drift: reported, the feed goes on.
    send(&mut server, "{{{not json").await;
    let seen = until(&mut rx, |m| m.error.is_some()).await;
    assert!(seen.last().unwrap().output.events.is_empty());
    send(
        &mut server,
        r#"{"event_type":"price_change","brand_new":1,"market":"0x1","price_changes":[{"asset_id":"A","price":".49","size":"5","side":"BUY","best_bid":".49","best_ask":".52","extra":true}]}"#,
    )
    .await;
    let seen = until(&mut rx, |m| {
        m.output
            .events
            .iter()
            .any(|e| matches!(e, MarketEvent::Delta(_)))
    })
    .await;
    assert!(seen.last().unwrap().error.is_none());
    send(&mut server, r#"{"event_type":"from_the_future","x":[1]}"#).await;
    send(&mut server, "NO NEW ASSETS").await;
    until(&mut rx, |m| {
        m.output
            .notices
            .contains(&FeedNotice::ServerText("NO NEW ASSETS".into()))
    })
    .await;

    // The server drops the connection: books reset, disconnected.
    drop(server);
    let seen = until(&mut rx, |m| has_status(m, FeedStatus::Disconnected)).await;
    let resets = seen
        .last()
        .unwrap()
        .output
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                MarketEvent::Reset {
                    reason: BookResetReason::Disconnected,
                    ..
                }
            )
        })
        .count();
    assert_eq!(resets, 2);

    // Connection 2: the same subscription again, a fresh book, live again.
    let mut server = accept(&listener).await;
    let again = recv_text(&mut server).await;
    assert_eq!(again, initial);
    send(&mut server, &pm_book("A")).await;
    send(&mut server, &pm_book("B")).await;
    until(&mut rx, |m| has_status(m, FeedStatus::Live)).await;

    // Later subscription changes go out as operations.
    handle.subscribe("C", id("C.PM"));
    let sub = recv_text(&mut server).await;
    assert!(
        sub.contains(r#""operation":"subscribe""#) && sub.contains(r#"["C"]"#),
        "{sub}"
    );
    handle.unsubscribe("A");
    let unsub = recv_text(&mut server).await;
    assert!(
        unsub.contains(r#""operation":"unsubscribe""#) && unsub.contains(r#"["A"]"#),
        "{unsub}"
    );
    send(&mut server, &pm_book("C")).await;
    until(&mut rx, |m| snapshot_of(m, "C.PM")).await;

    // A tick-size change asks for a fresh book: unsubscribe + subscribe.
    send(
        &mut server,
        r#"{"event_type":"tick_size_change","asset_id":"C","old_tick_size":"0.01","new_tick_size":"0.001","timestamp":"1757908892000"}"#,
    )
    .await;
    let resub = [recv_text(&mut server).await, recv_text(&mut server).await];
    assert!(resub[0].contains("unsubscribe") && resub[0].contains(r#"["C"]"#));
    assert!(resub[1].contains(r#""operation":"subscribe""#) && resub[1].contains(r#"["C"]"#));
    handle.shutdown().await;
}

#[tokio::test]
async fn polymarket_keepalive_ping_pong() {
    let (listener, url) = listen().await;
    let mut config = pm_config(url, &["A"]);
    config.liveness.ping_interval = Some(Duration::from_millis(20));
    let (handle, mut rx) = spawn_feed(config);
    let mut server = accept(&listener).await;
    recv_text(&mut server).await;
    // The client pings on its own.
    loop {
        let frame = tokio::time::timeout(WAIT, server.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if frame == Message::text("PING") {
            break;
        }
    }
    send(&mut server, "PONG").await;
    until(&mut rx, |m| m.output.notices.contains(&FeedNotice::Pong)).await;
    handle.shutdown().await;
}

#[tokio::test]
async fn polymarket_assets_are_sharded_over_connections() {
    let (listener, url) = listen().await;
    let mut config = pm_config(url, &["A", "B", "C"]);
    config.max_assets_per_connection = 2;
    let (mut handle, _rx) = spawn_feed(config);
    assert_eq!(handle.connections(), 2);
    let mut initials = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..2 {
        let mut server = accept(&listener).await;
        initials.push(recv_text(&mut server).await);
        servers.push(server);
    }
    initials.sort();
    assert!(initials[0].contains(r#"["A","B"]"#), "{initials:?}");
    assert!(initials[1].contains(r#"["C"]"#), "{initials:?}");
    // A fourth asset fits the second connection; a fifth opens a third.
    handle.subscribe("D", id("D.PM"));
    handle.subscribe("E", id("E.PM"));
    assert_eq!(handle.connections(), 3);
    let mut third = accept(&listener).await;
    assert!(recv_text(&mut third).await.contains(r#"["E"]"#));
    handle.shutdown().await;
}

const CB_SNAPSHOT: &str = r#"{"channel":"l2_data","client_id":"","timestamp":"2026-04-07T14:30:00.123456Z","sequence_num":SEQ,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2026-04-07T14:30:00.123456Z","price_level":"68900.00","new_quantity":"1.5"},{"side":"offer","event_time":"2026-04-07T14:30:00.123456Z","price_level":"68901.00","new_quantity":"0.5"}]}]}"#;
const CB_UPDATE: &str = r#"{"channel":"l2_data","client_id":"","timestamp":"2026-04-07T14:30:01.456789Z","sequence_num":SEQ,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68900.00","new_quantity":"2"}]}]}"#;
const CB_HEARTBEAT: &str = r#"{"channel":"heartbeats","client_id":"","timestamp":"2026-04-07T14:30:10.000000Z","sequence_num":SEQ,"events":[{"current_time":"2026-04-07 14:30:10.000000000+00:00","heartbeat_counter":42}]}"#;

fn seq(template: &str, n: u64) -> String {
    template.replace("SEQ", &n.to_string())
}

#[tokio::test]
async fn coinbase_gap_resubscribes_and_silence_reconnects() {
    let (listener, url) = listen().await;
    let mut config = FeedConfig::new(
        FeedVenue::Coinbase,
        vec![("BTC-USD".into(), id("BTC-USD.CB"))],
    );
    config.url = url;
    config.coinbase_channels = vec!["level2".into()];
    config.backoff = fast_backoff();
    config.liveness = LivenessConfig {
        ping_interval: None,
        stale_after: Duration::from_millis(2_000),
        dead_after: Duration::from_millis(4_000),
    };
    let (handle, mut rx) = spawn_feed(config);

    let mut server = accept(&listener).await;
    let subscribes = [recv_text(&mut server).await, recv_text(&mut server).await];
    assert!(
        subscribes[0].contains(r#""channel":"heartbeats""#),
        "{subscribes:?}"
    );
    assert!(
        subscribes[1].contains(r#""channel":"level2""#),
        "{subscribes:?}"
    );
    send(&mut server, &seq(CB_HEARTBEAT, 0)).await;
    send(&mut server, &seq(CB_SNAPSHOT, 1)).await;
    send(&mut server, "garbage").await;
    send(&mut server, &seq(CB_UPDATE, 2)).await;
    until(&mut rx, |m| has_status(m, FeedStatus::Live)).await;
    until(&mut rx, |m| {
        m.output
            .events
            .iter()
            .any(|e| matches!(e, MarketEvent::Delta(_)))
    })
    .await;

    // Sequence gap: 3 is skipped.
    send(&mut server, &seq(CB_UPDATE, 9)).await;
    let seen = until(&mut rx, |m| {
        has_status(
            m,
            FeedStatus::Gap {
                expected: 3,
                received: 9,
            },
        )
    })
    .await;
    let gap = seen.last().unwrap();
    assert!(has_status(gap, FeedStatus::Resynchronising));
    assert!(gap.output.events.iter().all(|e| matches!(
        e,
        MarketEvent::Reset {
            reason: BookResetReason::Resubscribing,
            ..
        }
    )));
    // The client resubscribes level2 for a fresh snapshot.
    let resub = [recv_text(&mut server).await, recv_text(&mut server).await];
    assert!(resub[0].contains(r#""type":"unsubscribe""#) && resub[0].contains("level2"));
    assert!(resub[1].contains(r#""type":"subscribe""#) && resub[1].contains("level2"));
    // Drift: a renamed/extra field and an unknown channel do no harm.
    send(
        &mut server,
        r#"{"channel":"l2_data_v2","sequence_num":10,"events":[{"whatever":1}]}"#,
    )
    .await;
    send(&mut server, &seq(CB_HEARTBEAT, 11)).await;
    send(
        &mut server,
        &seq(CB_SNAPSHOT, 12).replace(r#""client_id":"","#, r#""region":"us","#),
    )
    .await;
    let seen = until(&mut rx, |m| has_status(m, FeedStatus::Live)).await;
    assert!(snapshot_of(seen.last().unwrap(), "BTC-USD.CB"));

    // Heartbeats stop: stale alarm, then the client gives up and reconnects.
    until(&mut rx, |m| {
        m.output
            .notices
            .iter()
            .any(|n| matches!(n, FeedNotice::Status(FeedStatus::Stale { .. })))
    })
    .await;
    until(&mut rx, |m| has_status(m, FeedStatus::Disconnected)).await;
    let mut server = accept(&listener).await;
    assert!(recv_text(&mut server).await.contains("heartbeats"));
    assert!(recv_text(&mut server).await.contains("level2"));
    // Sequence numbers restart on the new connection: no duplicate drop.
    send(&mut server, &seq(CB_SNAPSHOT, 0)).await;
    let seen = until(&mut rx, |m| snapshot_of(m, "BTC-USD.CB")).await;
    assert!(has_status(seen.last().unwrap(), FeedStatus::Live));
    handle.shutdown().await;
}

#[tokio::test]
async fn refused_connections_back_off_and_retry() {
    // Nothing listens: bind, learn the port, close.
    let (listener, url) = listen().await;
    drop(listener);
    let mut config = pm_config(url, &["A"]);
    config.connect_timeout = Duration::from_secs(2);
    let (handle, mut rx) = spawn_feed(config);
    let lost = |m: &FeedMessage| {
        m.output
            .notices
            .iter()
            .any(|n| matches!(n, FeedNotice::ConnectionLost(_)))
    };
    let seen = until(&mut rx, lost).await;
    assert!(has_status(seen.last().unwrap(), FeedStatus::Disconnected));
    // And again (the driver keeps trying).
    until(&mut rx, lost).await;
    handle.shutdown().await;
}
