//! The simulated venue's FIX acceptor (venue::fix::VenueCore) driven
//! sans-IO through real gateway sessions on both sides, with simulated
//! time: cTrader's behaviours of venues.md C.1–C.6, its literal C.5
//! requests, and every message the venue sends validated against
//! `specs/ctrader-FIX44.xml`.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeMap;

use gateway::fix::codec::{Decoder, DecoderConfig};
use gateway::fix::dict::{ShippedDictionary, ValidationOptions, Validator};
use gateway::fix::market_data::{MarketDataMessage, decode_message};
use gateway::fix::orders::OrderDialect;
use gateway::fix::session::{Role, Session, SessionConfig, SessionEvent, SessionId};
use gateway::fix::store::MemStore;
use gateway::fixtures::pipes;
use model::{InstrumentTable, MarketEvent, Timestamp};
use sensory::book::OrderBook;
use venue::exchange::profile::{UnsupportedReply, VenueProfile};
use venue::fix::{SessionKey, SessionRole, VenueCore};

const START: u64 = 1_700_000_000_000_000_000;
const LOGIN: u64 = 12345;
const PASSWORD: &str = "demo-password";

fn ctrader_profile() -> VenueProfile {
    VenueProfile::parse(
        include_str!("../../../specs/venue-ctrader.toml"),
        "venue-ctrader.toml",
    )
    .unwrap()
}

fn key(role: SessionRole) -> SessionKey {
    SessionKey { login: LOGIN, role }
}

/// One client session and what it has received.
struct Client {
    session: Session<MemStore>,
    received: Vec<Vec<u8>>,
    logged_on: bool,
    closed: bool,
}

/// The venue with its sessions and one client per session.
struct World {
    now: Timestamp,
    core: VenueCore,
    venue: BTreeMap<SessionKey, Session<MemStore>>,
    clients: BTreeMap<SessionKey, Client>,
    validator: Validator,
    checked: usize,
    /// Session Rejects (35=3) the venue sent, per session, as body text
    /// (the client's session consumes them).
    rejects: BTreeMap<SessionKey, Vec<String>>,
}

impl World {
    fn new(profile: &VenueProfile, password: &str) -> Self {
        let now = Timestamp::from_unix_nanos(START);
        let mut core = VenueCore::new(profile).unwrap();
        core.tick(now);
        let mut venue = BTreeMap::new();
        let mut clients = BTreeMap::new();
        for (key, _) in core.sessions() {
            let mut session = Session::new(core.session_config(key), MemStore::new(now));
            session.set_authenticator(core.authenticator(key).unwrap());
            session.connected(now);
            venue.insert(key, session);
            let id = SessionId::new("FIX.4.4", "demo.emp.12345", "CSERVER")
                .with_sub_ids(None, key.role.sub_id());
            let mut config = SessionConfig::new(id, Role::Initiator);
            config.reset_on_logon = true;
            config.username = Some(LOGIN.to_string());
            config.password = Some(password.to_owned());
            let mut client = Session::new(config, MemStore::new(now));
            client.connected(now);
            clients.insert(
                key,
                Client {
                    session: client,
                    received: Vec::new(),
                    logged_on: false,
                    closed: false,
                },
            );
        }
        let dict = ShippedDictionary::CTraderFix44.load().unwrap();
        let mut world = Self {
            now,
            core,
            venue,
            clients,
            validator: Validator::new(dict, ValidationOptions::default()),
            checked: 0,
            rejects: BTreeMap::new(),
        };
        world.pump();
        world
    }

    fn logged_on() -> Self {
        let world = Self::new(&ctrader_profile(), PASSWORD);
        for client in world.clients.values() {
            assert!(client.logged_on);
        }
        world
    }

    /// Moves bytes both ways until nothing moves.
    fn pump(&mut self) {
        let now = self.now;
        loop {
            let mut moved = false;
            for (key, client) in &mut self.clients {
                let venue = self.venue.get_mut(key).unwrap();
                while let Some(event) = client.session.poll_event(now) {
                    match event {
                        SessionEvent::App(message) => client.received.push(message.bytes),
                        SessionEvent::LoggedOn => client.logged_on = true,
                        SessionEvent::LoggedOut => client.logged_on = false,
                        SessionEvent::Close(_) => client.closed = true,
                        _ => {}
                    }
                }
                let mut bytes = Vec::new();
                if client.session.poll_transmit(&mut bytes) {
                    moved = true;
                    venue.handle_input(now, &bytes);
                }
                while let Some(event) = venue.poll_event(now) {
                    match event {
                        SessionEvent::LoggedOn => self.core.logged_on(*key, now),
                        SessionEvent::LoggedOut => self.core.logged_out(*key, now),
                        SessionEvent::App(message) => self.core.on_message(*key, now, &message),
                        _ => {}
                    }
                }
            }
            while let Some((key, message)) = self.core.poll_outbound() {
                let session = self.venue.get_mut(&key).unwrap();
                message.send(session, now).unwrap();
            }
            for (key, venue) in &mut self.venue {
                let mut bytes = Vec::new();
                if venue.poll_transmit(&mut bytes) {
                    moved = true;
                    self.checked += validate_all(&mut self.validator, &bytes);
                    for message in pipes(&bytes).split("8=FIX.4.4|").skip(1) {
                        let text = body(message.as_bytes());
                        if text.starts_with("35=3|") {
                            self.rejects.entry(*key).or_default().push(text);
                        }
                    }
                    self.clients
                        .get_mut(key)
                        .unwrap()
                        .session
                        .handle_input(now, &bytes);
                }
            }
            if !moved {
                break;
            }
        }
    }

    /// Sends `body` (fields `tag=value|…`) as `msg_type` from `role`'s client.
    fn send(&mut self, role: SessionRole, msg_type: &str, body: &str) {
        let raw: Vec<u8> = body
            .split('|')
            .filter(|field| !field.is_empty())
            .flat_map(|field| field.bytes().chain([1]))
            .collect();
        let client = self.clients.get_mut(&key(role)).unwrap();
        client
            .session
            .send_app(self.now, msg_type.as_bytes(), &[], |writer| {
                writer.raw(&raw);
            })
            .unwrap();
        self.pump();
    }

    /// Everything `role`'s client received since the last call, as
    /// `tag=value|` text without the header and trailer.
    fn take(&mut self, role: SessionRole) -> Vec<String> {
        let client = self.clients.get_mut(&key(role)).unwrap();
        std::mem::take(&mut client.received)
            .iter()
            .map(|bytes| body(bytes))
            .collect()
    }

    fn take_raw(&mut self, role: SessionRole) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.clients.get_mut(&key(role)).unwrap().received)
    }

    fn advance_ms(&mut self, millis: u64) {
        self.now = self.now.checked_add_nanos(millis * 1_000_000).unwrap();
        self.core.tick(self.now);
        self.pump();
    }
}

/// Validates every message in `bytes` against the validator's dictionary.
fn validate_all(validator: &mut Validator, bytes: &[u8]) -> usize {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut rest = bytes;
    let mut count = 0;
    while !rest.is_empty() {
        let end = rest.windows(4).position(|w| w == b"\x0110=").unwrap() + 8;
        let message = &rest[..end];
        let decoded = decoder.decode(message).unwrap();
        if let Err(error) = validator.validate(&decoded) {
            panic!("the dictionary rejects {}: {error}", pipes(message));
        }
        count += 1;
        rest = &rest[end..];
    }
    count
}

/// The body of a message: no 8, 9, 34, 35, 49, 50, 52, 56, 57 or 10.
fn body(message: &[u8]) -> String {
    let skip = ["8", "9", "34", "49", "50", "52", "56", "57", "10"];
    pipes(message)
        .split('|')
        .filter(|field| !field.is_empty())
        .filter(|field| !skip.contains(&field.split('=').next().unwrap()))
        .map(|field| format!("{field}|"))
        .collect()
}

/// The value of `tag` in `body` text.
fn field<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    body.split('|')
        .find_map(|field| field.strip_prefix(&format!("{tag}=")))
}

/// `body` without the fields whose values vary (60 TransactTime, 37
/// OrderID, 721 position id, 6 AvgPx).
fn stable(body: &str) -> String {
    body.split('|')
        .filter(|field| !field.is_empty())
        .filter(|field| !["60", "37", "721", "6"].contains(&field.split('=').next().unwrap()))
        .map(|field| format!("{field}|"))
        .collect()
}

#[test]
fn a_wrong_password_gets_logout_ret_invalid_data_and_a_disconnect() {
    let world = World::new(&ctrader_profile(), "wrong");
    for (key, client) in &world.clients {
        assert!(!client.logged_on, "{key}");
        assert!(client.closed, "{key}: the venue closes the connection");
        assert!(!world.core.is_logged_on(*key));
    }
    // The Logout the venue sent (validated by the harness) carried the text.
    let venue = world.venue.get(&key(SessionRole::Trade)).unwrap();
    assert_eq!(venue.stats().messages_sent, 1);
}

#[test]
fn logon_resets_sequence_numbers_and_both_sessions_log_on() {
    let world = World::logged_on();
    for client in world.clients.values() {
        assert_eq!(client.session.next_sender_seq(), 2);
        assert_eq!(client.session.next_target_seq(), 2);
    }
    assert!(world.checked >= 2);
}

#[test]
fn security_list_answers_the_literal_c5_request() {
    let mut world = World::logged_on();
    world.send(SessionRole::Trade, "x", "55=4|320=ILCea0JkdQEm|559=0");
    assert_eq!(
        world.take(SessionRole::Trade),
        ["35=y|320=ILCea0JkdQEm|322=responce:ILCea0JkdQEm|560=0|146=1|55=4|1007=USDJPY|1008=3|"]
    );
    world.send(SessionRole::Quote, "x", "320=all|559=4");
    assert_eq!(
        world.take(SessionRole::Quote),
        [
            "35=y|320=all|322=responce:all|560=0|146=2|55=1|1007=EURUSD|1008=5|55=4|1007=USDJPY|1008=3|"
        ]
    );
}

#[test]
fn market_data_rejects_match_c5() {
    let mut world = World::logged_on();
    world.send(
        SessionRole::Quote,
        "V",
        "262=CS8260:sXlXex|263=1|264=0|265=1|146=1|55=CS8260|267=2|269=0|269=1",
    );
    world.send(
        SessionRole::Quote,
        "V",
        "262=EwOhiWvMdCpc|263=1|264=3|265=1|146=1|55=1|267=2|269=0|269=1",
    );
    world.send(
        SessionRole::Quote,
        "V",
        "262=unknown|263=1|264=1|265=1|146=1|55=999|267=2|269=0|269=1",
    );
    let replies = world.take(SessionRole::Quote);
    assert_eq!(
        replies[..2],
        [
            "35=Y|58=INVALID_REQUEST: Expected numeric symbolId, but got CS8260|262=CS8260:sXlXex|281=0|",
            "35=Y|58=INVALID_REQUEST: MarketDepth should be either 0 or 1|262=EwOhiWvMdCpc|281=5|",
        ]
    );
    assert_eq!(field(&replies[2], "35"), Some("Y"));
    assert_eq!(field(&replies[2], "262"), Some("unknown"));
    // Market data on the TRADE session is refused.
    world.send(
        SessionRole::Trade,
        "V",
        "262=t|263=1|264=1|265=1|146=1|55=1|267=2|269=0|269=1",
    );
    let refused = world.take(SessionRole::Trade);
    assert_eq!(field(&refused[0], "35"), Some("j"));
    assert_eq!(field(&refused[0], "380"), Some("4"));
}

#[test]
fn spot_stream_has_no_sizes_and_follows_the_top_of_book_until_unsubscribed() {
    let mut world = World::logged_on();
    world.advance_ms(5_000);
    world.send(
        SessionRole::Quote,
        "V",
        "262=876316403|263=1|264=1|265=1|146=1|55=1|267=2|269=0|269=1",
    );
    let first = world.take(SessionRole::Quote);
    assert_eq!(first.len(), 1);
    let spot = &first[0];
    assert!(spot.starts_with("35=W|55=1|268=2|269=0|270="), "{spot}");
    assert!(!spot.contains("|271="), "{spot}");
    let eurusd = "EURUSD.CTRADER".parse().unwrap();
    let book = world.core.exchange().book(&eurusd).unwrap();
    assert_eq!(
        field(spot, "270"),
        Some(book.best_bid().unwrap().to_string().as_str())
    );
    let mut updates = 0;
    for _ in 0..100 {
        world.advance_ms(100);
        for message in world.take(SessionRole::Quote) {
            assert!(message.starts_with("35=W|55=1|268="), "{message}");
            assert!(!message.contains("|271="));
            updates += 1;
        }
    }
    assert!(updates > 0, "the top of book moved in 10 s");
    world.send(
        SessionRole::Quote,
        "V",
        "262=876316403|263=2|264=1|265=1|146=1|55=1|267=2|269=0|269=1",
    );
    for _ in 0..50 {
        world.advance_ms(100);
    }
    assert!(world.take(SessionRole::Quote).is_empty());
}

#[test]
fn depth_stream_keeps_a_client_book_equal_to_the_venues_book() {
    let mut world = World::logged_on();
    world.advance_ms(2_000);
    world.send(
        SessionRole::Quote,
        "V",
        "262=876316411|263=1|264=0|265=1|146=1|55=1|267=2|269=0|269=1",
    );
    let mut instruments = InstrumentTable::new();
    for symbol in &ctrader_profile().symbols {
        instruments.insert(symbol.instrument.clone()).unwrap();
    }
    let eurusd = "EURUSD.CTRADER".parse().unwrap();
    let mut book = OrderBook::new(64, 1024);
    let mut decoder = Decoder::new(DecoderConfig::default());
    let dialect = OrderDialect::ctrader();
    let mut deltas = 0;
    for step in 0..300 {
        for raw in world.take_raw(SessionRole::Quote) {
            let text = body(&raw);
            if field(&text, "35") == Some("X") {
                deltas += 1;
                assert!(!text.contains("|279=1|"), "never a change: {text}");
                for entry in text.split("279=").skip(1) {
                    if entry.starts_with("2|") {
                        assert_eq!(entry.split('|').filter(|f| !f.is_empty()).count(), 3);
                    }
                }
            }
            let message = decoder.decode(&raw).unwrap();
            let Some(MarketDataMessage::Events(events)) =
                decode_message(&message, &dialect, &instruments, world.now).unwrap()
            else {
                panic!("not market data: {text}");
            };
            for event in events {
                match event {
                    MarketEvent::Snapshot(snapshot) => {
                        book.apply_snapshot(&snapshot);
                    }
                    MarketEvent::Delta(delta) => {
                        book.apply_delta(&delta);
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        let venue = world.core.exchange().snapshot(world.now, &eurusd).unwrap();
        let levels = |entries: &[model::BookEntry]| {
            let mut levels: Vec<(model::Price, model::Quantity)> = Vec::new();
            for entry in entries {
                match levels.last_mut() {
                    Some(last) if last.0 == entry.price => {
                        last.1 = last.1.checked_add(entry.size).unwrap();
                    }
                    _ => levels.push((entry.price, entry.size)),
                }
            }
            levels
        };
        let client = |side: &[sensory::features::Level]| {
            side.iter()
                .map(|level| (level.price, level.size))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            client(book.bids()),
            levels(&venue.bids),
            "bids at step {step}"
        );
        assert_eq!(
            client(book.asks()),
            levels(&venue.asks),
            "asks at step {step}"
        );
        world.advance_ms(100);
    }
    assert!(deltas > 50, "{deltas} incremental refreshes");
}

#[test]
fn market_order_is_acknowledged_then_filled_as_c5() {
    let mut world = World::logged_on();
    world.advance_ms(2_000);
    world.send(
        SessionRole::Trade,
        "D",
        "11=876316397|55=1|54=1|60=20231114-22:13:20|40=1|38=10000",
    );
    let replies = world.take(SessionRole::Trade);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert_eq!(
        stable(&replies[0]),
        "35=8|11=876316397|14=0|38=10000|39=0|40=1|54=1|55=1|59=3|150=0|151=10000|"
    );
    assert!(field(&replies[0], "721").is_some());
    assert!(
        field(&replies[0], "17").is_none(),
        "cTrader sends no ExecID"
    );
    assert_eq!(
        stable(&replies[1]),
        "35=8|11=876316397|14=10000|32=10000|38=10000|39=2|40=1|54=1|55=1|59=3|150=F|151=0|"
    );
    assert!(field(&replies[1], "6").is_some());
    assert!(
        field(&replies[1], "31").is_none(),
        "cTrader sends no LastPx"
    );
}

#[test]
fn a_market_order_beyond_the_book_fills_partly_and_the_rest_is_canceled() {
    let mut world = World::logged_on();
    world.advance_ms(2_000);
    world.send(
        SessionRole::Trade,
        "D",
        "11=big|55=1|54=2|60=20231114-22:13:20|40=1|38=100000000",
    );
    let replies = world.take(SessionRole::Trade);
    let statuses: Vec<&str> = replies.iter().map(|r| field(r, "39").unwrap()).collect();
    assert_eq!(statuses.first(), Some(&"0"));
    assert!(statuses.contains(&"1"), "partial fills: {statuses:?}");
    assert_eq!(
        statuses.last(),
        Some(&"4"),
        "the rest canceled: {statuses:?}"
    );
    let last = replies.last().unwrap();
    assert_eq!(field(last, "150"), Some("4"));
    assert_eq!(field(last, "151"), Some("0"));
}

#[test]
fn limit_and_stop_orders_rest_gtc_and_bad_volumes_are_rejected() {
    let mut world = World::logged_on();
    world.advance_ms(2_000);
    world.send(
        SessionRole::Trade,
        "D",
        "11=876316400|55=1|54=2|60=20231114-22:13:20|40=2|44=1.3|38=50000|59=3",
    );
    assert_eq!(
        stable(&world.take(SessionRole::Trade)[0]),
        "35=8|11=876316400|14=0|38=50000|39=0|40=2|44=1.3|54=2|55=1|59=1|150=0|151=50000|"
    );
    world.send(
        SessionRole::Trade,
        "D",
        "11=876316418|55=1|54=1|60=20231114-22:13:20|40=3|38=50000|99=1.3",
    );
    assert_eq!(
        stable(&world.take(SessionRole::Trade)[0]),
        "35=8|11=876316418|14=0|38=50000|39=0|40=3|54=1|55=1|59=1|99=1.3|150=0|151=50000|"
    );
    world.send(
        SessionRole::Trade,
        "D",
        "11=gtd|55=1|54=2|60=20231114-22:13:20|40=2|44=1.3|38=1000|126=20231115-00:00:00",
    );
    let gtd = world.take(SessionRole::Trade);
    assert_eq!(field(&gtd[0], "59"), Some("6"));
    assert_eq!(field(&gtd[0], "126"), Some("20231115-00:00:00.000"));
    for (id, qty, price) in [
        ("small", "500", "1.3"),
        ("step", "1500", "1.3"),
        ("tick", "1000", "1.300001"),
    ] {
        world.send(
            SessionRole::Trade,
            "D",
            &format!("11={id}|55=1|54=2|60=20231114-22:13:20|40=2|44={price}|38={qty}"),
        );
        let reject = &world.take(SessionRole::Trade)[0];
        assert_eq!(field(reject, "150"), Some("8"), "{reject}");
        assert_eq!(field(reject, "39"), Some("8"));
        assert_eq!(field(reject, "103"), Some("0"));
        assert!(field(reject, "58").is_some());
    }
    // Orders on the QUOTE session are refused.
    world.send(
        SessionRole::Quote,
        "D",
        "11=q|55=1|54=2|60=20231114-22:13:20|40=2|44=1.3|38=1000",
    );
    let refused = &world.take(SessionRole::Quote)[0];
    assert_eq!(
        (field(refused, "35"), field(refused, "380")),
        (Some("j"), Some("4"))
    );
}

#[test]
fn cancel_replace_status_and_their_rejects() {
    let mut world = World::logged_on();
    world.advance_ms(2_000);
    world.send(
        SessionRole::Trade,
        "D",
        "11=n9Tm8x1AavO5|55=1|54=1|60=20231114-22:13:20|40=2|44=0.5|38=100000",
    );
    world.take(SessionRole::Trade);
    // Replace (C.5 request): ER 150=5.
    world.send(
        SessionRole::Trade,
        "G",
        "11=Is03AvsknNYK|38=5000|41=n9Tm8x1AavO5|44=0.6",
    );
    assert_eq!(
        stable(&world.take(SessionRole::Trade)[0]),
        "35=8|11=Is03AvsknNYK|14=0|38=5000|39=0|40=2|41=n9Tm8x1AavO5|44=0.6|54=1|55=1|59=1|150=5|151=5000|"
    );
    // Status of it.
    world.send(SessionRole::Trade, "H", "11=Is03AvsknNYK");
    let status = &world.take(SessionRole::Trade)[0];
    assert_eq!(
        (field(status, "150"), field(status, "39")),
        (Some("I"), Some("0"))
    );
    // Mass status: one report, with 584 and 911.
    world.send(
        SessionRole::Trade,
        "AF",
        "584=mZzEY|585=7|225=20231114-22:13:20",
    );
    let mass = world.take(SessionRole::Trade);
    assert_eq!(mass.len(), 1);
    assert_eq!(
        (
            field(&mass[0], "150"),
            field(&mass[0], "584"),
            field(&mass[0], "911")
        ),
        (Some("I"), Some("mZzEY"), Some("1"))
    );
    // IssueDate after the order was accepted: nothing to report.
    world.send(
        SessionRole::Trade,
        "AF",
        "584=later|585=7|225=20231115-00:00:00",
    );
    let later = &world.take(SessionRole::Trade)[0];
    assert_eq!(
        (field(later, "35"), field(later, "379")),
        (Some("j"), Some("later"))
    );
    // Cancel (C.5 request shape): ER 150=4 39=4 with 41.
    world.send(SessionRole::Trade, "F", "11=jR8dBPcZEQa9|41=Is03AvsknNYK");
    assert_eq!(
        stable(&world.take(SessionRole::Trade)[0]),
        "35=8|11=jR8dBPcZEQa9|14=0|38=5000|39=4|40=2|41=Is03AvsknNYK|44=0.6|54=1|55=1|59=1|150=4|151=0|"
    );
    // Cancel again: the order is done → 35=9 434=1.
    world.send(SessionRole::Trade, "F", "11=again|41=jR8dBPcZEQa9");
    let reject = &world.take(SessionRole::Trade)[0];
    assert_eq!(
        (field(reject, "35"), field(reject, "434")),
        (Some("9"), Some("1"))
    );
    // Unknown orders → 35=j ORDER_NOT_FOUND (C.5).
    world.send(SessionRole::Trade, "F", "11=jR8dBPcZEQa9x|41=n9Tm8x1AavO6");
    assert_eq!(
        world.take(SessionRole::Trade),
        [
            "35=j|58=ORDER_NOT_FOUND:Order with clientOrderId=n9Tm8x1AavO6 not found.|379=jR8dBPcZEQa9x|380=0|"
        ]
    );
    world.send(SessionRole::Trade, "G", "11=g2|38=5000|41=nothing|44=1.1");
    let replace = &world.take(SessionRole::Trade)[0];
    assert_eq!(field(replace, "35"), Some("j"));
    assert!(
        field(replace, "58")
            .unwrap()
            .starts_with("ORDER_NOT_FOUND:")
    );
    world.send(SessionRole::Trade, "H", "11=nothing");
    let status = &world.take(SessionRole::Trade)[0];
    assert_eq!(
        (field(status, "35"), field(status, "380")),
        (Some("j"), Some("0"))
    );
    // No working orders left: mass status → 35=j.
    world.send(SessionRole::Trade, "AF", "584=none|585=7");
    let none = &world.take(SessionRole::Trade)[0];
    assert_eq!(
        (field(none, "35"), field(none, "379")),
        (Some("j"), Some("none"))
    );
    // A missing required field is a session reject naming it.
    world.send(SessionRole::Trade, "F", "11=x");
    assert!(world.take(SessionRole::Trade).is_empty());
    let missing = &world.rejects[&key(SessionRole::Trade)][0];
    assert_eq!(
        (
            field(missing, "35"),
            field(missing, "371"),
            field(missing, "373")
        ),
        (Some("3"), Some("41"), Some("1"))
    );
}

#[test]
fn positions_are_reported_per_position_or_as_none() {
    let mut world = World::logged_on();
    world.advance_ms(2_000);
    world.send(SessionRole::Trade, "AN", "710=flat");
    assert_eq!(
        world.take(SessionRole::Trade),
        ["35=AP|710=flat|727=0|728=2|"]
    );
    world.send(
        SessionRole::Trade,
        "D",
        "11=sell|55=1|54=2|60=20231114-22:13:20|40=1|38=30000",
    );
    world.take(SessionRole::Trade);
    world.send(SessionRole::Trade, "AN", "710=876316401");
    let report = &world.take(SessionRole::Trade)[0];
    assert!(
        stable(report).starts_with("35=AP|55=1|710=876316401|727=1|728=0|730="),
        "{report}"
    );
    assert!(report.ends_with("702=1|704=0|705=30000|"), "{report}");
}

#[test]
fn unsupported_messages_get_a_business_reject_or_a_session_reject() {
    let mut world = World::logged_on();
    world.send(SessionRole::Trade, "q", "11=mass|530=7");
    let reply = &world.take(SessionRole::Trade)[0];
    assert_eq!(
        (field(reply, "35"), field(reply, "372"), field(reply, "380")),
        (Some("j"), Some("q"), Some("3"))
    );
    let mut profile = ctrader_profile();
    profile.fix.as_mut().unwrap().unsupported = UnsupportedReply::SessionReject;
    let mut world = World::new(&profile, PASSWORD);
    world.send(SessionRole::Trade, "q", "11=mass|530=7");
    assert!(world.take(SessionRole::Trade).is_empty());
    let reply = &world.rejects[&key(SessionRole::Trade)][0];
    assert_eq!(
        (field(reply, "35"), field(reply, "372"), field(reply, "373")),
        (Some("3"), Some("q"), Some("11"))
    );
    assert!(world.clients.values().all(|client| client.logged_on));
}

#[test]
fn generic_venue_sends_exec_ids_and_sized_quotes_on_one_session() {
    let profile = VenueProfile::parse(
        include_str!("../../../specs/venue-generic.toml"),
        "venue-generic.toml",
    )
    .unwrap();
    let mut core = VenueCore::new(&profile).unwrap();
    let sessions = core.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].1.to_string(), "FIX.4.4:VENUE->demo.emp.12345");
    let key = sessions[0].0;
    let t0 = Timestamp::from_unix_nanos(START);
    core.tick(t0);
    let t1 = t0.checked_add_nanos(2_000_000_000).unwrap();
    core.tick(t1);
    core.logged_on(key, t1);
    let message = |seq: u64, text: &str| gateway::fix::session::AppMessage {
        seq,
        poss_dup: false,
        bytes: gateway::fixtures::wire(&format!("8=FIX.4.4|35={text}")),
    };
    core.on_message(
        key,
        t1,
        &message(2, "V|34=2|49=demo.emp.12345|56=VENUE|52=20231114-22:13:20|262=s|263=1|264=1|146=1|55=BTCUSD|267=2|269=0|269=1"),
    );
    let (_, spot) = core.poll_outbound().unwrap();
    assert_eq!((spot.msg_type, spot.get(262)), ("W", Some("s")));
    assert!(spot.get(271).is_some(), "sizes on a generic venue");
    // Positions: a FIX 4.4 PositionReport, valid against the standard
    // dictionary (a strict FIX 4.4 client checks its required fields).
    let mut validator = Validator::new(
        ShippedDictionary::Fix44.load().unwrap(),
        ValidationOptions::default(),
    );
    let mut check = |out: &venue::fix::Outbound| {
        let header = gateway::fix::codec::Header {
            sender_comp_id: b"VENUE",
            target_comp_id: b"demo.emp.12345",
            msg_seq_num: 9,
            sending_time: t1,
            poss_dup: false,
            orig_sending_time: None,
            extra: &[],
        };
        let encoder = gateway::fix::codec::Encoder::new(b"FIX.4.4");
        let mut wire = Vec::new();
        let mut body = encoder.begin(&mut wire, out.msg_type.as_bytes(), &header);
        out.write_body(&mut body);
        body.finish().unwrap();
        assert_eq!(validate_all(&mut validator, &wire), 1);
        String::from_utf8_lossy(&wire).replace('\x01', "|")
    };
    core.on_message(
        key,
        t1,
        &message(3, "AN|34=3|49=demo.emp.12345|56=VENUE|52=20231114-22:13:20|710=p0|724=0|1=12345|581=1|715=20231114|60=20231114-22:13:20|453=0"),
    );
    let (_, flat) = core.poll_outbound().unwrap();
    let text = check(&flat);
    assert!(text.contains("|727=0|728=2|"), "{text}");
    core.on_message(
        key,
        t1,
        &message(30, "D|34=30|49=demo.emp.12345|56=VENUE|52=20231114-22:13:20|11=c1|55=BTCUSD|54=1|60=20231114-22:13:20|40=1|38=0.001|59=3"),
    );
    let mut reports = Vec::new();
    while let Some((_, out)) = core.poll_outbound() {
        if out.msg_type == "8" {
            reports.push(out);
        }
    }
    assert!(reports.len() >= 2);
    assert!(reports.iter().all(|report| report.get(17).is_some()));
    assert!(reports.iter().any(|report| report.get(31).is_some()));

    core.on_message(
        key,
        t1,
        &message(4, "AN|34=4|49=demo.emp.12345|56=VENUE|52=20231114-22:13:20|710=p1|724=0|1=12345|581=1|715=20231114|60=20231114-22:13:20|453=0"),
    );
    let (_, position) = core.poll_outbound().unwrap();
    let text = check(&position);
    assert!(
        text.contains("|728=0|") && text.contains("|704=0.001|"),
        "{text}"
    );
    assert!(
        text.contains("|715=20231114|") && text.contains("|1=12345|"),
        "{text}"
    );
}

#[test]
fn a_hedged_account_reports_a_position_per_721_and_reduces_the_one_named() {
    let mut profile = ctrader_profile();
    profile.fix.as_mut().unwrap().accounts[0].positions = venue::exchange::PositionMode::Hedged;
    let mut world = World::new(&profile, PASSWORD);
    world.advance_ms(2_000);
    let buy = |world: &mut World, id: &str, extra: &str| {
        world.send(
            SessionRole::Trade,
            "D",
            &format!("11={id}|55=1|54=1|60=20231114-22:13:20|40=1|38=10000{extra}"),
        );
        world.take(SessionRole::Trade)
    };
    // Two buys: two positions, each order's ERs naming its own 721.
    let first = buy(&mut world, "h1", "");
    let second = buy(&mut world, "h2", "");
    let position_of = |reports: &[String]| field(&reports[0], "721").unwrap().to_owned();
    let (p1, p2) = (position_of(&first), position_of(&second));
    assert_ne!(p1, p2);
    assert!(
        first
            .iter()
            .all(|report| field(report, "721") == Some(p1.as_str()))
    );
    world.send(SessionRole::Trade, "AN", "710=pos-1");
    let reports = world.take(SessionRole::Trade);
    assert_eq!(reports.len(), 2, "{reports:?}");
    let ids: Vec<_> = reports
        .iter()
        .map(|r| field(r, "721").unwrap().to_owned())
        .collect();
    assert_eq!(ids, [p1.clone(), p2.clone()]);
    assert!(
        reports
            .iter()
            .all(|r| field(r, "727") == Some("2") && field(r, "704") == Some("10000"))
    );
    // A sell naming the first position closes it; the second stays.
    world.send(
        SessionRole::Trade,
        "D",
        &format!("11=h3|55=1|54=2|60=20231114-22:13:20|40=1|38=10000|721={p1}"),
    );
    let closing = world.take(SessionRole::Trade);
    assert_eq!(field(&closing[0], "721"), Some(p1.as_str()), "{closing:?}");
    world.send(SessionRole::Trade, "AN", &format!("710=pos-2|721={p2}"));
    let reports = world.take(SessionRole::Trade);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(field(&reports[0], "721"), Some(p2.as_str()));
    // The closed position cannot be named again.
    world.send(
        SessionRole::Trade,
        "D",
        &format!("11=h4|55=1|54=2|60=20231114-22:13:20|40=1|38=10000|721={p1}"),
    );
    let rejected = world.take(SessionRole::Trade);
    assert_eq!(field(&rejected[0], "150"), Some("8"), "{rejected:?}");
    assert!(
        field(&rejected[0], "58")
            .unwrap()
            .contains("POSITION_NOT_FOUND")
    );
}
