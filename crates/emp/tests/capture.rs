#![allow(clippy::unwrap_used, reason = "test code")]
//! `emp capture` against local websocket servers standing in for
//! Polymarket and Coinbase: the journal it writes reads back with
//! `Recording::read`, header and market data included.

use std::time::Duration;

use emp::backtest::Recording;
use emp::capture::{CapturePlan, capture, coinbase_instrument, polymarket_instrument};
use emp::record::FeedStatusInput;
use futures_util::{SinkExt, StreamExt};
use model::{BookResetReason, FeedStatus, MarketEvent};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);
const ASSET: &str = "71321045679252212594626385532706912750332728571942532289631379312455583992563";

type Server = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn accept(listener: &TcpListener) -> Server {
    let (tcp, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    tokio_tungstenite::accept_async(tcp).await.unwrap()
}

async fn recv_text(server: &mut Server) -> String {
    loop {
        let frame = tokio::time::timeout(WAIT, server.next())
            .await
            .unwrap()
            .unwrap()
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

/// Polymarket: a book, a change, a trade and garbage; then a disconnect,
/// and the reconnection proves everything before it was received.
async fn polymarket(listener: TcpListener) {
    let mut server = accept(&listener).await;
    let initial = recv_text(&mut server).await;
    assert!(initial.contains(ASSET), "{initial}");
    send(&mut server, &format!(r#"{{"event_type":"book","asset_id":"{ASSET}","market":"0x1","bids":[{{"price":".48","size":"30"}}],"asks":[{{"price":".52","size":"25"}}],"timestamp":"1757908892000"}}"#)).await;
    send(&mut server, &format!(r#"{{"market":"0x1","price_changes":[{{"asset_id":"{ASSET}","price":"0.5","size":"200","side":"BUY","hash":"56","best_bid":"0.5","best_ask":"0.52"}}],"timestamp":"1757908892351","event_type":"price_change"}}"#)).await;
    send(&mut server, &format!(r#"{{"asset_id":"{ASSET}","event_type":"last_trade_price","fee_rate_bps":"0","market":"0x1","price":"0.456","side":"BUY","size":"219.217767","timestamp":"1757908892400"}}"#)).await;
    send(&mut server, "not json at all").await; // a text notice
    send(&mut server, "{\"event_type\": garbage").await;
    drop(server);
    let mut again = accept(&listener).await;
    recv_text(&mut again).await;
}

/// Coinbase: subscriptions, a heartbeat, a book, an update, a trade; then
/// a disconnect and the reconnection.
async fn coinbase(listener: TcpListener) {
    let mut server = accept(&listener).await;
    let mut channels = Vec::new();
    for _ in 0..4 {
        channels.push(recv_text(&mut server).await);
    }
    assert!(channels[0].contains("heartbeats"), "{channels:?}");
    send(&mut server, r#"{"channel":"heartbeats","client_id":"","timestamp":"2026-04-07T14:30:10.000000Z","sequence_num":0,"events":[{"current_time":"2026-04-07 14:30:10.000000000+00:00","heartbeat_counter":42}]}"#).await;
    send(&mut server, r#"{"channel": "l2_data", "client_id": "", "timestamp": "2026-04-07T14:30:00.123456Z", "sequence_num": 1, "events": [{"type": "snapshot", "product_id": "BTC-USD", "updates": [{"side": "bid", "event_time": "2026-04-07T14:30:00.123456Z", "price_level": "68900.00", "new_quantity": "1.50000000"}, {"side": "offer", "event_time": "2026-04-07T14:30:00.123456Z", "price_level": "68901.00", "new_quantity": "0.50000000"}]}]}"#).await;
    send(&mut server, r#"{"channel": "l2_data", "client_id": "", "timestamp": "2026-04-07T14:30:01.456789Z", "sequence_num": 2, "events": [{"type": "update", "product_id": "BTC-USD", "updates": [{"side": "bid", "event_time": "2026-04-07T14:30:01.456789Z", "price_level": "68900.00", "new_quantity": "2.00000000"}]}]}"#).await;
    send(&mut server, r#"{"channel":"market_trades","client_id":"","timestamp":"2026-04-07T14:30:02.789012Z","sequence_num":3,"events":[{"type":"update","trades":[{"trade_id":"995098700","product_id":"BTC-USD","price":"68900.50","size":"0.00150000","side":"BUY","time":"2026-04-07T14:30:02.789012Z"}]}]}"#).await;
    drop(server);
    let mut again = accept(&listener).await;
    recv_text(&mut again).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_writes_a_journal_that_backtests_read() {
    let pm = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cb = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut plan = CapturePlan::new(
        vec![ASSET.into()],
        vec!["BTC-USD".into()],
        dir.path().to_path_buf(),
        Duration::from_secs(60),
    )
    .unwrap();
    plan.feeds[0].config.url = format!("ws://{}", pm.local_addr().unwrap());
    plan.feeds[1].config.url = format!("ws://{}", cb.local_addr().unwrap());
    let servers = async {
        tokio::join!(polymarket(pm), coinbase(cb));
    };
    let summary = tokio::time::timeout(WAIT * 2, capture(&plan, servers))
        .await
        .expect("capture stops once both scripts are done")
        .unwrap();
    assert_eq!(summary.errors, 1, "the garbage frame: {summary}");
    assert_eq!(summary.trades, 2, "{summary}");

    let recording = Recording::read(&dir.path().join("journal")).unwrap();
    let header = recording.header.expect("a run header");
    let ids: Vec<_> = header.instruments.iter().map(|i| i.id).collect();
    let pm_id = polymarket_instrument(ASSET).unwrap();
    let cb_id = coinbase_instrument("BTC-USD").unwrap();
    assert_eq!(ids, [pm_id, cb_id]);
    let of = |id| {
        recording
            .events
            .iter()
            .filter(move |e| *e.instrument() == id)
            .map(|e| match e {
                MarketEvent::Snapshot(_) => "snapshot",
                MarketEvent::Delta(_) => "delta",
                MarketEvent::Quote(_) => "quote",
                MarketEvent::Trade(_) => "trade",
                MarketEvent::Reset { .. } => "reset",
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of(pm_id)[..5],
        ["snapshot", "delta", "quote", "trade", "reset"]
    );
    assert_eq!(of(cb_id)[..4], ["snapshot", "delta", "trade", "reset"]);
    assert!(recording.events.iter().any(|e| matches!(
        e,
        MarketEvent::Reset {
            reason: BookResetReason::Disconnected,
            ..
        }
    )));
    let book = recording
        .events
        .iter()
        .find_map(|e| match e {
            MarketEvent::Snapshot(s) if s.header.instrument == pm_id => Some(s),
            _ => None,
        })
        .unwrap();
    assert_eq!(book.bids[0].price, "0.48".parse().unwrap());

    // Feed statuses are journaled as `emp run` journals them, naming the
    // instruments of the connection that reported them.
    let options = journal::ReplayOptions {
        start: journal::Start::Beginning,
        topics: vec![emp::record::topics::FEED.into()],
        known: journal::KnownVersions::up_to(emp::record::SCHEMA_VERSION),
    };
    let mut statuses = Vec::new();
    journal::JournalReader::new(dir.path().join("journal"))
        .replay(&options, |item| {
            if let journal::ReplayItem::Record(record) = item {
                statuses.push(record.value::<FeedStatusInput>().unwrap());
            }
            true
        })
        .unwrap();
    for (instrument, feed) in [(pm_id, "polymarket"), (cb_id, "coinbase")] {
        assert!(
            statuses.iter().any(|input| input.feed == feed
                && input.instruments == [instrument]
                && input.status == FeedStatus::Live),
            "{feed} went live for {instrument}: {statuses:?}"
        );
    }
}
