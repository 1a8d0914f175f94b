//! The venue link against scripted venue sessions, in memory with
//! simulated time: logon, subscriptions with fresh MDReqIDs after every
//! reconnect, orders out, reports and market data in, and the answers to
//! what EMP cannot read.

#![allow(clippy::unwrap_used, reason = "test code")]

use gateway::fix::codec::Decoder;
use gateway::fix::link::{Channel, LinkConfig, LinkEvent, Subscription, VenueLink};
use gateway::fix::market_data::MarketDepth;
use gateway::fix::orders::OrderDialect;
use gateway::fix::session::{AppMessage, Role, Session, SessionConfig, SessionEvent, SessionId};
use gateway::fix::store::MemStore;
use model::{
    ClOrdId, ExecType, Instrument, InstrumentId, InstrumentTable, MarketEvent, NewOrder, OrderKind,
    Side, TimeInForce, Timestamp, VenueCommand, VenueEvent,
};

const START: u64 = 1_790_000_000_000_000_000;

fn at(millis: u64) -> Timestamp {
    Timestamp::from_unix_nanos(START + millis * 1_000_000)
}

fn instrument(id: &str, symbol: &str) -> Instrument {
    Instrument {
        id: id.parse().unwrap(),
        venue_symbol: symbol.parse().unwrap(),
        tick_size: "0.00001".parse().unwrap(),
        lot_size: "1000".parse().unwrap(),
        min_quantity: "1000".parse().unwrap(),
        max_quantity: None,
        min_notional: None,
        price_digits: 5,
        allows_non_positive_prices: false,
    }
}

fn eurusd() -> InstrumentId {
    "EURUSD.SIM".parse().unwrap()
}

fn gbpusd() -> InstrumentId {
    "GBPUSD.SIM".parse().unwrap()
}

/// The link (two sessions) and the venue's two acceptor sessions.
struct Pair {
    link: VenueLink<MemStore>,
    quote_venue: Session<MemStore>,
    trade_venue: Session<MemStore>,
    /// Application messages each venue session received.
    quote_received: Vec<AppMessage>,
    trade_received: Vec<AppMessage>,
}

fn session(sender: &str, target: &str, role: Role) -> Session<MemStore> {
    let mut config = SessionConfig::new(SessionId::new("FIX.4.4", sender, target), role);
    config.reset_on_logon = true;
    config.check_latency = false;
    Session::new(config, MemStore::new(at(0)))
}

impl Pair {
    fn new() -> Self {
        let mut instruments = InstrumentTable::new();
        instruments
            .insert(instrument("EURUSD.SIM", "EUR/USD"))
            .unwrap();
        instruments
            .insert(instrument("GBPUSD.SIM", "GBP/USD"))
            .unwrap();
        let config = LinkConfig {
            dialect: OrderDialect::fix44(),
            instruments,
            subscriptions: vec![
                Subscription {
                    instrument: eurusd(),
                    depth: MarketDepth::FullBook,
                    trades: false,
                },
                Subscription {
                    instrument: gbpusd(),
                    depth: MarketDepth::Spot,
                    trades: false,
                },
            ],
            id_prefix: "md".to_owned(),
        };
        let link = VenueLink::new(
            config,
            Some(session("EMP-Q", "VENUE", Role::Initiator)),
            session("EMP-T", "VENUE", Role::Initiator),
        );
        Self {
            link,
            quote_venue: session("VENUE", "EMP-Q", Role::Acceptor),
            trade_venue: session("VENUE", "EMP-T", Role::Acceptor),
            quote_received: Vec::new(),
            trade_received: Vec::new(),
        }
    }

    fn venue(&mut self, channel: Channel) -> (&mut Session<MemStore>, &mut Vec<AppMessage>) {
        match channel {
            Channel::Quote => (&mut self.quote_venue, &mut self.quote_received),
            Channel::Trade => (&mut self.trade_venue, &mut self.trade_received),
        }
    }

    fn connect(&mut self, channel: Channel, now: Timestamp) {
        self.venue(channel).0.connected(now);
        self.link.connected(channel, now);
    }

    fn disconnect(&mut self, channel: Channel, now: Timestamp) {
        self.venue(channel).0.disconnected(now);
        self.link.disconnected(channel, now);
    }

    /// Moves bytes both ways until nothing moves; returns the link's events.
    fn pump(&mut self, now: Timestamp) -> Vec<LinkEvent> {
        let mut events = Vec::new();
        for _ in 0..100 {
            let mut moved = false;
            for channel in [Channel::Quote, Channel::Trade] {
                let mut wire = Vec::new();
                if self.link.poll_transmit(channel, &mut wire) {
                    self.venue(channel).0.handle_input(now, &wire);
                    moved = true;
                }
                let (venue, received) = self.venue(channel);
                while let Some(event) = venue.poll_event(now) {
                    if let SessionEvent::App(message) = event {
                        received.push(message);
                    }
                }
                let mut wire = Vec::new();
                if self.venue(channel).0.poll_transmit(&mut wire) {
                    self.link.handle_input(channel, now, &wire);
                    moved = true;
                }
            }
            while let Some(event) = self.link.poll_event(now) {
                events.push(event);
                moved = true;
            }
            if !moved {
                return events;
            }
        }
        panic!("the sessions never went quiet");
    }
}

fn field(message: &[u8], tag: u32) -> Option<String> {
    let mut decoder = Decoder::default();
    let decoded = decoder.decode(message).unwrap();
    decoded
        .get(tag)
        .map(|field| String::from_utf8_lossy(field.value()).into_owned())
}

fn msg_types(messages: &[AppMessage]) -> Vec<String> {
    messages
        .iter()
        .map(|message| String::from_utf8_lossy(message.msg_type()).into_owned())
        .collect()
}

fn without_notices(events: Vec<LinkEvent>) -> Vec<LinkEvent> {
    events
        .into_iter()
        .filter(|event| !matches!(event, LinkEvent::Notice(..)))
        .collect()
}

fn logged_on() -> Pair {
    let mut pair = Pair::new();
    pair.connect(Channel::Quote, at(0));
    pair.connect(Channel::Trade, at(0));
    pair.pump(at(1));
    pair
}

#[test]
fn quote_logon_subscribes_every_instrument_and_a_reconnect_uses_new_ids() {
    let mut pair = Pair::new();
    pair.connect(Channel::Quote, at(0));
    pair.connect(Channel::Trade, at(0));
    let events = pair.pump(at(1));
    assert!(
        events.contains(&LinkEvent::Up(Channel::Quote)),
        "{events:?}"
    );
    assert!(
        events.contains(&LinkEvent::Up(Channel::Trade)),
        "{events:?}"
    );
    let subscribed: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            LinkEvent::Subscribed {
                instrument,
                request_id,
            } => Some((*instrument, request_id.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        subscribed,
        vec![(eurusd(), "md-1".to_owned()), (gbpusd(), "md-2".to_owned())]
    );
    // On the QUOTE session only, one V per instrument.
    assert_eq!(msg_types(&pair.quote_received), ["V", "V"]);
    assert!(pair.trade_received.is_empty());
    let first = &pair.quote_received[0].bytes;
    assert_eq!(field(first, 262).as_deref(), Some("md-1"));
    assert_eq!(field(first, 263).as_deref(), Some("1"));
    assert_eq!(field(first, 264).as_deref(), Some("0"));
    assert_eq!(field(first, 55).as_deref(), Some("EUR/USD"));
    assert_eq!(
        field(&pair.quote_received[1].bytes, 264).as_deref(),
        Some("1")
    );
    assert_eq!(
        pair.link.subscription_of(&eurusd()).unwrap().to_string(),
        "md-1"
    );

    pair.disconnect(Channel::Quote, at(2));
    let events = pair.pump(at(2));
    assert!(pair.link.subscription_of(&eurusd()).is_none(), "{events:?}");
    pair.quote_received.clear();
    pair.connect(Channel::Quote, at(3));
    pair.pump(at(3));
    let ids: Vec<_> = pair
        .quote_received
        .iter()
        .map(|message| field(&message.bytes, 262).unwrap())
        .collect();
    assert_eq!(ids, ["md-3", "md-4"]);
}

#[test]
fn refreshes_become_book_events_for_the_named_instrument() {
    let mut pair = logged_on();
    pair.quote_venue
        .send_app(at(5), b"W", &[], |body| {
            body.str(262, b"md-1")
                .str(55, b"EUR/USD")
                .uint(268, 2)
                .char(269, b'0')
                .decimal(270, "1.08500".parse().unwrap())
                .decimal(271, "1000000".parse().unwrap())
                .char(269, b'1')
                .decimal(270, "1.08502".parse().unwrap())
                .decimal(271, "2000000".parse().unwrap());
        })
        .unwrap();
    let events = pair.pump(at(6));
    let [LinkEvent::Market(MarketEvent::Snapshot(snapshot))] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(snapshot.header.instrument, eurusd());
    assert_eq!(snapshot.header.receive_time, at(6));
    assert_eq!(snapshot.bids[0].price.to_string(), "1.085");
    assert_eq!(snapshot.asks[0].size.to_string(), "2000000");
}

#[test]
fn a_refused_subscription_names_its_instrument_and_is_no_longer_live() {
    let mut pair = logged_on();
    pair.quote_venue
        .send_app(at(5), b"Y", &[], |body| {
            body.str(262, b"md-2")
                .char(281, b'0')
                .str(58, b"unknown symbol");
        })
        .unwrap();
    let events = pair.pump(at(6));
    let [LinkEvent::MarketDataRejected { instrument, reject }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(*instrument, Some(gbpusd()));
    assert_eq!(reject.text.as_deref(), Some("unknown symbol"));
    assert!(pair.link.subscription_of(&gbpusd()).is_none());
    assert!(pair.link.subscription_of(&eurusd()).is_some());
}

#[test]
fn orders_go_out_on_trade_and_reports_come_back_as_venue_events() {
    let mut pair = logged_on();
    pair.quote_received.clear();
    let order = VenueCommand::New(NewOrder {
        cl_ord_id: ClOrdId::new("c-1").unwrap(),
        instrument: eurusd(),
        symbol: "EUR/USD".parse().unwrap(),
        side: Side::Buy,
        kind: OrderKind::Limit {
            price: "1.08490".parse().unwrap(),
        },
        quantity: "10000".parse().unwrap(),
        time_in_force: TimeInForce::GoodTillCancel,
        transact_time: at(5),
    });
    pair.link.send(at(5), &order).unwrap();
    pair.pump(at(5));
    assert_eq!(msg_types(&pair.trade_received), ["D"]);
    assert!(pair.quote_received.is_empty());
    assert_eq!(
        field(&pair.trade_received[0].bytes, 11).as_deref(),
        Some("c-1")
    );

    pair.trade_venue
        .send_app(at(6), b"8", &[], |body| {
            body.str(37, b"o-1")
                .str(11, b"c-1")
                .str(17, b"e-1")
                .char(150, b'0')
                .char(39, b'0')
                .str(55, b"EUR/USD")
                .char(54, b'1')
                .decimal(38, "10000".parse().unwrap())
                .decimal(44, "1.0849".parse().unwrap())
                .decimal(151, "10000".parse().unwrap())
                .decimal(14, "0".parse().unwrap())
                .decimal(6, "0".parse().unwrap())
                .timestamp(60, at(6));
        })
        .unwrap();
    let events = pair.pump(at(6));
    let [LinkEvent::Venue(VenueEvent::Execution(report))] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(report.exec_type, ExecType::New);
    assert_eq!(report.cl_ord_id.unwrap().as_str(), "c-1");
}

#[test]
fn an_unreadable_refresh_is_answered_with_a_session_reject_and_reported() {
    let mut pair = logged_on();
    pair.quote_venue
        .send_app(at(5), b"W", &[], |body| {
            body.str(55, b"EUR/USD")
                .uint(268, 1)
                .char(269, b'0')
                .str(270, b"one point oh eight")
                .decimal(271, "1".parse().unwrap());
        })
        .unwrap();
    let events = without_notices(pair.pump(at(6)));
    let [LinkEvent::Problem(Channel::Quote, text)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert!(text.contains("270"), "{text}");
    assert!(text.contains("35=3 373=6"), "{text}");
    // The venue got the Reject: a session message, so no App event, but
    // its sequence moved on by one more than the venue sent.
    assert_eq!(pair.quote_venue.stats().messages_received, 1 + 2 + 1);
}

#[test]
fn a_message_type_emp_does_not_handle_is_answered_with_a_business_reject() {
    let mut pair = logged_on();
    pair.trade_venue
        .send_app(at(5), b"B", &[], |body| {
            body.str(148, b"venue news").char(61, b'0');
        })
        .unwrap();
    let events = without_notices(pair.pump(at(6)));
    let [LinkEvent::Problem(Channel::Trade, text)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert!(text.contains("message type B"), "{text}");
    assert!(text.contains("380=3"), "{text}");
    let [reject] = pair.trade_received.as_slice() else {
        panic!("{:?}", msg_types(&pair.trade_received));
    };
    assert_eq!(reject.msg_type(), b"j");
    assert_eq!(field(&reject.bytes, 372).as_deref(), Some("B"));
    assert_eq!(field(&reject.bytes, 380).as_deref(), Some("3"));
}

#[test]
fn resubscribing_unsubscribes_the_old_id_and_subscribes_under_a_new_one() {
    let mut pair = logged_on();
    pair.quote_received.clear();
    pair.link.resubscribe(at(5), eurusd()).unwrap();
    let events = pair.pump(at(5));
    assert!(
        events.contains(&LinkEvent::Subscribed {
            instrument: eurusd(),
            request_id: "md-3".parse().unwrap(),
        }),
        "{events:?}"
    );
    let requests: Vec<_> = pair
        .quote_received
        .iter()
        .map(|message| {
            (
                field(&message.bytes, 262).unwrap(),
                field(&message.bytes, 263).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        requests,
        [
            ("md-1".to_owned(), "2".to_owned()),
            ("md-3".to_owned(), "1".to_owned())
        ]
    );
    assert!(
        pair.link
            .resubscribe(at(6), "USDJPY.SIM".parse().unwrap())
            .is_err()
    );
}

#[test]
fn one_session_carries_market_data_and_orders() {
    let mut instruments = InstrumentTable::new();
    instruments
        .insert(instrument("EURUSD.SIM", "EUR/USD"))
        .unwrap();
    let config = LinkConfig {
        dialect: OrderDialect::fix44(),
        instruments,
        subscriptions: vec![Subscription {
            instrument: eurusd(),
            depth: MarketDepth::FullBook,
            trades: true,
        }],
        id_prefix: "md".to_owned(),
    };
    let mut link = VenueLink::new(config, None, session("EMP", "VENUE", Role::Initiator));
    let mut venue = session("VENUE", "EMP", Role::Acceptor);
    assert_eq!(link.channels(), &[Channel::Trade]);
    venue.connected(at(0));
    link.connected(Channel::Trade, at(0));
    let mut received = Vec::new();
    let mut events = Vec::new();
    for _ in 0..10 {
        let mut wire = Vec::new();
        if link.poll_transmit(Channel::Trade, &mut wire) {
            venue.handle_input(at(1), &wire);
        }
        while let Some(event) = venue.poll_event(at(1)) {
            if let SessionEvent::App(message) = event {
                received.push(message);
            }
        }
        let mut wire = Vec::new();
        if venue.poll_transmit(&mut wire) {
            link.handle_input(Channel::Trade, at(1), &wire);
        }
        while let Some(event) = link.poll_event(at(1)) {
            events.push(event);
        }
    }
    assert!(
        events.contains(&LinkEvent::Up(Channel::Trade)),
        "{events:?}"
    );
    assert_eq!(msg_types(&received), ["V"]);
    assert_eq!(field(&received[0].bytes, 269).as_deref(), Some("0"));
    assert!(link.is_logged_on(Channel::Quote));
}
