//! The venue over loopback TCP: two gateway initiators, QUOTE and TRADE,
//! log on to `VenueServer` on its two ports, subscribe to spot and send a
//! market order; then the venue shuts down, logging both out.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::time::Duration;

use gateway::fix::session::{Role, Session, SessionConfig, SessionEvent, SessionId};
use gateway::fix::store::MemStore;
use gateway::transport::connection::SessionHost;
use gateway::transport::initiator::{self, InitiatorOptions};
use gateway::transport::{Application, BoxStore, wall_clock};
use model::Timestamp;
use tokio::sync::{mpsc, watch};
use venue::exchange::profile::VenueProfile;
use venue::server::{ServerOptions, VenueServer};

/// Sends its request at Logon and reports every event.
struct Client {
    role: &'static str,
    request: (&'static [u8], &'static str),
    events: mpsc::UnboundedSender<(&'static str, String)>,
}

impl Application for Client {
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent) {
        match event {
            SessionEvent::LoggedOn => {
                let raw: Vec<u8> = self
                    .request
                    .1
                    .split('|')
                    .flat_map(|field| field.bytes().chain([1]))
                    .collect();
                session
                    .send_app(now, self.request.0, &[], |body| {
                        body.raw(&raw);
                    })
                    .unwrap();
                let _ = self.events.send((self.role, "logged on".to_owned()));
            }
            SessionEvent::App(message) => {
                let msg_type = String::from_utf8_lossy(message.msg_type()).into_owned();
                let _ = self.events.send((self.role, msg_type));
            }
            SessionEvent::LoggedOut => {
                let _ = self.events.send((self.role, "logged out".to_owned()));
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_and_trade_sessions_over_loopback_tcp() {
    let mut profile = VenueProfile::parse(
        include_str!("../../../specs/venue-ctrader.toml"),
        "venue-ctrader.toml",
    )
    .unwrap();
    let fix = profile.fix.as_mut().unwrap();
    fix.quote_port = 0;
    fix.trade_port = 0;
    let venue = VenueServer::start(
        &profile,
        "127.0.0.1".parse().unwrap(),
        ServerOptions::default(),
    )
    .await
    .unwrap();
    let quote_port = venue.quote_port().unwrap();
    let trade_port = venue.trade_port();
    assert_ne!(quote_port, trade_port);
    // Let the synthetic market build its book.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (tx, mut events) = mpsc::unbounded_channel();
    let mut running = Vec::new();
    let mut stops = Vec::new();
    for (role, port, request) in [
        (
            "QUOTE",
            quote_port,
            (
                b"V".as_slice(),
                "262=spot|263=1|264=1|265=1|146=1|55=1|267=2|269=0|269=1",
            ),
        ),
        (
            "TRADE",
            trade_port,
            (
                b"D".as_slice(),
                "11=c1|55=1|54=1|60=20231114-22:13:20|40=1|38=10000",
            ),
        ),
    ] {
        let id =
            SessionId::new("FIX.4.4", "demo.emp.12345", "CSERVER").with_sub_ids(None, Some(role));
        let mut config = SessionConfig::new(id, Role::Initiator);
        config.reset_on_logon = true;
        config.username = Some("12345".to_owned());
        config.password = Some("demo-password".to_owned());
        let host = SessionHost::new(
            Session::new(config, Box::new(MemStore::new(wall_clock()))),
            Box::new(Client {
                role,
                request,
                events: tx.clone(),
            }),
        );
        let options = InitiatorOptions {
            host: "127.0.0.1".into(),
            port,
            reconnect_interval: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            tls: None,
        };
        let (stop, stopped) = watch::channel(false);
        stops.push(stop);
        running.push(tokio::spawn(initiator::run(host, options, stopped)));
    }
    let mut quote_w = false;
    let mut trade_reports = 0;
    while !(quote_w && trade_reports >= 2) {
        let (role, what) = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap()
            .unwrap();
        match (role, what.as_str()) {
            ("QUOTE", "W") => quote_w = true,
            ("TRADE", "8") => trade_reports += 1,
            ("QUOTE" | "TRADE", "logged on") => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    venue.shutdown().await;
    let mut logged_out = 0;
    while logged_out < 2 {
        let (_, what) = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap()
            .unwrap();
        if what == "logged out" {
            logged_out += 1;
        }
    }
    for stop in &stops {
        stop.send(true).unwrap();
    }
    for task in running {
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
    }
}

/// An unknown login has no session to reach: the venue answers its Logon
/// as it answers a wrong password, with a Logout naming RET_INVALID_DATA,
/// then closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_login_gets_logout_ret_invalid_data() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut profile = VenueProfile::parse(
        include_str!("../../../specs/venue-ctrader.toml"),
        "venue-ctrader.toml",
    )
    .unwrap();
    let fix = profile.fix.as_mut().unwrap();
    fix.quote_port = 0;
    fix.trade_port = 0;
    let venue = VenueServer::start(
        &profile,
        std::net::IpAddr::from([127, 0, 0, 1]),
        ServerOptions::default(),
    )
    .await
    .unwrap();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", venue.trade_port()))
        .await
        .unwrap();
    let header = gateway::fix::codec::Header {
        sender_comp_id: b"demo.emp.99999",
        target_comp_id: b"CSERVER",
        msg_seq_num: 1,
        sending_time: wall_clock(),
        poss_dup: false,
        orig_sending_time: None,
        extra: &[(50, b"TRADE"), (57, b"TRADE")],
    };
    let encoder = gateway::fix::codec::Encoder::new(b"FIX.4.4");
    let mut logon = Vec::new();
    let mut body = encoder.begin(&mut logon, b"A", &header);
    body.uint(98, 0)
        .uint(108, 30)
        .char(141, b'Y')
        .str(553, b"99999")
        .str(554, b"whatever");
    body.finish().unwrap();
    stream.write_all(&logon).await.unwrap();
    let mut reply = Vec::new();
    // The venue closes after its Logout: read to the end, bounded.
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&reply).replace('\x01', "|");
    assert!(text.contains("|35=5|"), "{text}");
    assert!(
        text.contains("|58=InternalError: RET_INVALID_DATA|"),
        "{text}"
    );
    assert!(
        text.contains("|49=CSERVER|") && text.contains("|56=demo.emp.99999|"),
        "{text}"
    );
    assert!(text.contains("|50=TRADE|"), "{text}");
    venue.shutdown().await;
}
