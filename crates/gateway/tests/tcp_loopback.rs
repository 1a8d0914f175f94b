//! Our initiator and our acceptor over real loopback TCP, each with a redb
//! store: orders answered, logout, and a second connection that continues
//! the sequence numbers from the stores instead of resetting them.
#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::Venue;
use gateway::fix::session::{Role, Session, SessionConfig, SessionEvent, SessionId};
use gateway::fix::store::{MemStore, RedbStore};
use gateway::transport::acceptor::Acceptor;
use gateway::transport::connection::SessionHost;
use gateway::transport::initiator::{self, InitiatorOptions};
use gateway::transport::{Application, BoxStore, wall_clock};
use model::Timestamp;
use tokio::sync::{mpsc, watch};

const ORDERS: usize = 200;

/// Sends the orders at Logon, logs out when every one is answered.
struct Trader {
    answered: usize,
    done: mpsc::UnboundedSender<usize>,
}

impl Application for Trader {
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent) {
        match event {
            SessionEvent::LoggedOn => {
                for n in 0..ORDERS {
                    session
                        .send_app(now, b"D", &[], |body| {
                            body.str(11, format!("order-{n}").as_bytes()).char(54, b'1');
                        })
                        .unwrap();
                }
            }
            SessionEvent::App(_) => {
                self.answered += 1;
                if self.answered == ORDERS {
                    session.logout(now, None);
                }
            }
            SessionEvent::LoggedOut => {
                let _ = self.done.send(self.answered);
                self.answered = 0;
            }
            _ => {}
        }
    }
}

fn store(dir: &Path, name: &str) -> BoxStore {
    Box::new(RedbStore::open(&dir.join(name), wall_clock()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_flow_and_a_reconnect_continues_the_sequence_numbers() {
    let dir = std::env::temp_dir().join(format!("emp-tcp-loopback-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let mut acceptor = Acceptor::new(Duration::from_secs(5));
    let venue_config =
        SessionConfig::new(SessionId::new("FIX.4.4", "VENUE", "TRADER"), Role::Acceptor);
    acceptor.add(SessionHost::new(
        Session::new(venue_config, store(&dir, "venue.redb")),
        Box::new(Venue),
    ));
    let acceptor = Arc::new(acceptor);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let serving = tokio::spawn(Arc::clone(&acceptor).serve(listener));

    let options = InitiatorOptions {
        host: "127.0.0.1".into(),
        port,
        reconnect_interval: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        tls: None,
    };
    let mut expected_next = 1;
    for round in 0..2 {
        let (done_tx, mut done) = mpsc::unbounded_channel();
        let mut trader_config = SessionConfig::new(
            SessionId::new("FIX.4.4", "TRADER", "VENUE"),
            Role::Initiator,
        );
        trader_config.heartbeat_interval_secs = 30;
        let trader = SessionHost::new(
            Session::new(trader_config, store(&dir, "trader.redb")),
            Box::new(Trader {
                answered: 0,
                done: done_tx,
            }),
        );
        assert_eq!(
            trader.session.next_sender_seq(),
            expected_next,
            "round {round} starts where the last ended"
        );
        let (stop, stopped) = watch::channel(false);
        let running = tokio::spawn(initiator::run(trader, options.clone(), stopped));
        let answered = tokio::time::timeout(Duration::from_secs(20), done.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(answered, ORDERS);
        stop.send(true).unwrap();
        let trader = tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .unwrap()
            .unwrap();
        // Logon + orders + Logout, numbered on from the stored sequence.
        expected_next += 1 + ORDERS as u64 + 1;
        assert_eq!(trader.session.next_sender_seq(), expected_next);
        assert_eq!(trader.session.next_target_seq(), expected_next);
        drop(trader); // closes trader.redb for the next round
        // The acceptor has put its session back once the connection ended.
        let mut venue = Vec::new();
        for _ in 0..100 {
            venue = acceptor.idle_sessions();
            if !venue.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(venue.len(), 1);
        assert_eq!(
            (venue[0].next_sender_seq, venue[0].next_target_seq),
            (expected_next, expected_next)
        );
    }
    serving.abort();
    std::fs::remove_dir_all(dir).unwrap();
}

/// Reports its name when its session logs on.
struct Named {
    name: &'static str,
    logged_on: mpsc::UnboundedSender<(&'static str, String)>,
}

impl Application for Named {
    fn on_event(&mut self, session: &mut Session<BoxStore>, _now: Timestamp, event: SessionEvent) {
        if event == SessionEvent::LoggedOn {
            let id = session.config().id.to_string();
            let _ = self.logged_on.send((self.name, id));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_sharing_comp_ids_are_routed_by_target_sub_id() {
    let (tx, mut logged_on) = mpsc::unbounded_channel();
    let mut acceptor = Acceptor::new(Duration::from_secs(5));
    for sub in ["QUOTE", "TRADE"] {
        let id = SessionId::new("FIX.4.4", "CSERVER", "demo.b.1").with_sub_ids(Some(sub), None);
        let mut config = SessionConfig::new(id, Role::Acceptor);
        config.reset_on_logon = true;
        let name = if sub == "QUOTE" {
            "venue quote"
        } else {
            "venue trade"
        };
        acceptor.add(SessionHost::new(
            Session::new(config, Box::new(MemStore::new(wall_clock()))),
            Box::new(Named {
                name,
                logged_on: tx.clone(),
            }),
        ));
    }
    let acceptor = Arc::new(acceptor);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let serving = tokio::spawn(Arc::clone(&acceptor).serve(listener));

    let options = InitiatorOptions {
        host: "127.0.0.1".into(),
        port,
        reconnect_interval: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        tls: None,
    };
    let mut stops = Vec::new();
    let mut running = Vec::new();
    for sub in ["TRADE", "QUOTE"] {
        let id = SessionId::new("FIX.4.4", "demo.b.1", "CSERVER").with_sub_ids(None, Some(sub));
        let mut config = SessionConfig::new(id, Role::Initiator);
        config.reset_on_logon = true;
        let name = if sub == "QUOTE" {
            "client quote"
        } else {
            "client trade"
        };
        let host = SessionHost::new(
            Session::new(config, Box::new(MemStore::new(wall_clock()))),
            Box::new(Named {
                name,
                logged_on: tx.clone(),
            }),
        );
        let (stop, stopped) = watch::channel(false);
        stops.push(stop);
        running.push(tokio::spawn(initiator::run(host, options.clone(), stopped)));
    }
    let mut seen = Vec::new();
    for _ in 0..4 {
        let event = tokio::time::timeout(Duration::from_secs(10), logged_on.recv())
            .await
            .unwrap()
            .unwrap();
        seen.push(event);
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            ("client quote", "FIX.4.4:demo.b.1->CSERVER/QUOTE".to_owned()),
            ("client trade", "FIX.4.4:demo.b.1->CSERVER/TRADE".to_owned()),
            ("venue quote", "FIX.4.4:CSERVER/QUOTE->demo.b.1".to_owned()),
            ("venue trade", "FIX.4.4:CSERVER/TRADE->demo.b.1".to_owned()),
        ]
    );
    for stop in &stops {
        stop.send(true).unwrap();
    }
    for task in running {
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
    }
    serving.abort();
}
