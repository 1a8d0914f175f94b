//! A venue as EMP's runtime sees it over FIX: the OMS's commands out on
//! the TRADE session, execution reports back as venue events, market data
//! subscribed on the QUOTE session and its refreshes as normalized book
//! events.
//!
//! Sans-IO like the sessions it holds: the driver connects sockets, feeds
//! their bytes to [`VenueLink::handle_input`], writes what
//! [`VenueLink::poll_transmit`] gives, runs [`VenueLink::handle_timeout`]
//! at [`VenueLink::poll_timeout`] and drains [`VenueLink::poll_event`].
//!
//! - **Channels.** A cTrader-style venue has two sessions, QUOTE (market
//!   data) and TRADE (orders), each on its own connection; a venue with
//!   one session carries both on [`Channel::Trade`].
//! - **Subscriptions** are made after every QUOTE logon, one
//!   MarketDataRequest (35=V) per instrument with a MDReqID never used
//!   before by this link (`<prefix>-<n>`), so a reconnect never reuses an
//!   id the venue may still hold. [`VenueLink::resubscribe`] replaces one
//!   (unsubscribe, then subscribe under a new id) when a book fails a
//!   check.
//! - **TRADE logon** is reported as [`LinkEvent::Up`]; the runtime starts
//!   reconciliation (35=AF, 35=AN through the OMS) before any strategy is
//!   enabled.
//! - **Inbound problems** never panic: a message the mapping cannot read
//!   is answered as the error says (session Reject 35=3 with 373/371/58,
//!   or BusinessMessageReject 35=j) and reported as
//!   [`LinkEvent::Problem`]; a message type EMP does not handle is
//!   answered with 35=j 380=3 (unsupported message type).
//!
//! ```
//! use gateway::fix::link::{Channel, LinkConfig, LinkEvent, Subscription, VenueLink};
//! use gateway::fix::market_data::MarketDepth;
//! use gateway::fix::orders::OrderDialect;
//! use gateway::fix::session::{Role, Session, SessionConfig, SessionId};
//! use gateway::fix::store::MemStore;
//! use model::{Instrument, InstrumentTable, Timestamp};
//!
//! let mut instruments = InstrumentTable::new();
//! instruments.insert(Instrument {
//!     id: "EURUSD.SIM".parse()?,
//!     venue_symbol: "EUR/USD".parse()?,
//!     tick_size: "0.00001".parse()?,
//!     lot_size: "1000".parse()?,
//!     min_quantity: "1000".parse()?,
//!     max_quantity: None,
//!     min_notional: None,
//!     price_digits: 5,
//!     allows_non_positive_prices: false,
//! })?;
//! let now = Timestamp::from_unix_nanos(1_700_000_000_000_000_000);
//! let id = SessionId::new("FIX.4.4", "EMP", "VENUE");
//! let session = Session::new(SessionConfig::new(id, Role::Initiator), MemStore::new(now));
//! let config = LinkConfig {
//!     dialect: OrderDialect::fix44(),
//!     instruments,
//!     subscriptions: vec![Subscription {
//!         instrument: "EURUSD.SIM".parse()?,
//!         depth: MarketDepth::FullBook,
//!         trades: false,
//!     }],
//!     id_prefix: "md".to_owned(),
//! };
//! // One session carries both market data and orders.
//! let mut link = VenueLink::new(config, None, session);
//! assert_eq!(link.channels(), &[Channel::Trade]);
//! link.connected(Channel::Trade, now);
//! let mut wire = Vec::new();
//! assert!(link.poll_transmit(Channel::Trade, &mut wire)); // the Logon
//! // Not logged on until the venue answers.
//! while let Some(event) = link.poll_event(now) {
//!     assert!(!matches!(event, LinkEvent::Up(_)));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, VecDeque};

use model::{InstrumentId, InstrumentTable, MarketEvent, RequestId, Timestamp, VenueCommand};
use model::{VenueEvent, VenueSymbol};

use super::market_data::{
    MarketDataDecoder, MarketDataMessage, MarketDataReject, MarketDataRequest, MarketDepth,
    RequestError, SubscriptionAction, send_request,
};
use super::orders::{CommandError, OrderDecoder, OrderDialect, RejectReply, send_command};
use super::session::{AppMessage, CloseReason, Session, SessionEvent};
use super::store::{MessageStore, StoreError};

/// BusinessRejectReason (380) 3: unsupported message type.
const UNSUPPORTED_MESSAGE_TYPE: u32 = 3;

/// Which session of a venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Market data (cTrader's QUOTE session).
    Quote,
    /// Orders, and market data too when the venue has one session.
    Trade,
}

impl Channel {
    /// `QUOTE` or `TRADE`, as cTrader names them.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Quote => "QUOTE",
            Self::Trade => "TRADE",
        }
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One market data subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The instrument; its venue symbol goes in Symbol (55).
    pub instrument: InstrumentId,
    /// Spot or book depth.
    pub depth: MarketDepth,
    /// Trade prints too (venues that publish them).
    pub trades: bool,
}

/// What a link is built from.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// The venue's conventions (FIX version, cTrader).
    pub dialect: OrderDialect,
    /// Instruments, looked up by venue symbol in market data.
    pub instruments: InstrumentTable,
    /// Market data to subscribe after every QUOTE logon.
    pub subscriptions: Vec<Subscription>,
    /// MDReqIDs are `<id_prefix>-<n>`.
    pub id_prefix: String,
}

/// What the link tells the runtime.
#[allow(
    clippy::large_enum_variant,
    reason = "events move by value once, from the session to the runtime; boxing would allocate per report"
)]
#[derive(Clone, Debug, PartialEq)]
pub enum LinkEvent {
    /// The session logged on. On [`Channel::Trade`], reconcile before
    /// trading.
    Up(Channel),
    /// The session is no longer logged on; `reason` says why.
    Down(Channel, String),
    /// Close the channel's connection once its pending output is written.
    Close(Channel, CloseReason),
    /// A normalized market event.
    Market(MarketEvent),
    /// An execution report, cancel reject, business reject or position.
    Venue(VenueEvent),
    /// The venue refused a subscription.
    MarketDataRejected {
        /// The instrument the request was for, when the MDReqID is one of
        /// ours.
        instrument: Option<InstrumentId>,
        /// The reject.
        reject: MarketDataReject,
    },
    /// A subscription was sent.
    Subscribed {
        /// The instrument.
        instrument: InstrumentId,
        /// Its MDReqID.
        request_id: RequestId,
    },
    /// An inbound message that could not be used, and how it was answered.
    Problem(Channel, String),
    /// A line for the session's event log.
    Notice(Channel, String),
}

/// Why a command or request could not be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The venue's dialect cannot carry the command, or the session
    /// refused it.
    #[error("{channel} session: {source}")]
    Command {
        /// The session.
        channel: Channel,
        /// The cause.
        #[source]
        source: CommandError,
    },
    /// A market data request could not be sent.
    #[error("{channel} session: {source}")]
    Request {
        /// The session.
        channel: Channel,
        /// The cause.
        #[source]
        source: RequestError,
    },
    /// No subscription is configured for this instrument.
    #[error("no market data subscription is configured for {0}")]
    NotSubscribed(InstrumentId),
    /// A MDReqID made from the configured prefix is not a valid id.
    #[error("MDReqID {id:?} is not valid ({reason}); choose a shorter id_prefix")]
    RequestId {
        /// The id.
        id: String,
        /// Why.
        reason: String,
    },
    /// The instrument has no venue symbol in the link's table.
    #[error("instrument {0} is not in the venue's instrument table")]
    UnknownInstrument(InstrumentId),
}

/// One session of the link with its decoders.
#[derive(Debug)]
struct Link<S: MessageStore> {
    channel: Channel,
    session: Session<S>,
    orders: OrderDecoder,
    market: MarketDataDecoder,
    carries_market_data: bool,
}

/// A venue over one or two FIX sessions; see the [module docs](self).
#[derive(Debug)]
pub struct VenueLink<S: MessageStore> {
    config: LinkConfig,
    links: Vec<Link<S>>,
    channels: Vec<Channel>,
    /// Live subscriptions: MDReqID → instrument.
    active: BTreeMap<RequestId, InstrumentId>,
    next_request: u64,
    events: VecDeque<LinkEvent>,
}

impl<S: MessageStore> VenueLink<S> {
    /// A link over `trade` (orders) and `quote` (market data); without a
    /// quote session, `trade` carries both.
    pub fn new(config: LinkConfig, quote: Option<Session<S>>, trade: Session<S>) -> Self {
        let make = |channel, session: Session<S>, carries_market_data| {
            let decoder_config = session.config().decoder_config();
            Link {
                channel,
                orders: OrderDecoder::new(config.dialect.clone(), decoder_config.clone()),
                market: MarketDataDecoder::new(config.dialect.clone(), decoder_config),
                session,
                carries_market_data,
            }
        };
        let mut links = Vec::with_capacity(2);
        let single = quote.is_none();
        if let Some(quote) = quote {
            links.push(make(Channel::Quote, quote, true));
        }
        links.push(make(Channel::Trade, trade, single));
        let channels = links.iter().map(|link| link.channel).collect();
        Self {
            config,
            links,
            channels,
            active: BTreeMap::new(),
            next_request: 0,
            events: VecDeque::new(),
        }
    }

    /// The channels with a connection of their own, QUOTE first.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// The link's settings.
    pub const fn config(&self) -> &LinkConfig {
        &self.config
    }

    fn link(&self, channel: Channel) -> &Link<S> {
        // A single-session link serves QUOTE on its TRADE session.
        self.links
            .iter()
            .find(|link| link.channel == channel)
            .or_else(|| self.links.last())
            .unwrap_or_else(|| unreachable!("a link always has its TRADE session"))
    }

    fn link_mut(&mut self, channel: Channel) -> &mut Link<S> {
        let index = self
            .links
            .iter()
            .position(|link| link.channel == channel)
            .unwrap_or(self.links.len() - 1);
        &mut self.links[index]
    }

    /// The session behind `channel` (a single-session link answers both
    /// channels with its one session).
    pub fn session(&self, channel: Channel) -> &Session<S> {
        &self.link(channel).session
    }

    /// The session behind `channel`, for operator commands.
    pub fn session_mut(&mut self, channel: Channel) -> &mut Session<S> {
        &mut self.link_mut(channel).session
    }

    /// The channel's connection is up (an initiator sends its Logon).
    pub fn connected(&mut self, channel: Channel, now: Timestamp) {
        self.link_mut(channel).session.connected(now);
    }

    /// The channel's connection is gone.
    pub fn disconnected(&mut self, channel: Channel, now: Timestamp) {
        self.link_mut(channel).session.disconnected(now);
    }

    /// Bytes read from the channel's connection.
    pub fn handle_input(&mut self, channel: Channel, now: Timestamp, bytes: &[u8]) {
        self.link_mut(channel).session.handle_input(now, bytes);
    }

    /// Bytes to write on the channel's connection, appended to `out`.
    pub fn poll_transmit(&mut self, channel: Channel, out: &mut Vec<u8>) -> bool {
        self.link_mut(channel).session.poll_transmit(out)
    }

    /// The earliest session timer.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.links
            .iter()
            .filter_map(|link| link.session.poll_timeout())
            .min()
    }

    /// Runs every session's timers due at `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        for link in &mut self.links {
            if link
                .session
                .poll_timeout()
                .is_some_and(|deadline| deadline <= now)
            {
                link.session.handle_timeout(now);
            }
        }
    }

    /// True when the channel's session is logged on.
    pub fn is_logged_on(&self, channel: Channel) -> bool {
        self.link(channel).session.is_logged_on()
    }

    /// True when the channel's connection is up.
    pub fn is_connected(&self, channel: Channel) -> bool {
        self.link(channel).session.is_connected()
    }

    /// Logs every session out (the connections close when answered).
    pub fn logout(&mut self, now: Timestamp) {
        for link in &mut self.links {
            link.session.logout(now, None);
        }
    }

    /// Commits every session's staged store writes.
    pub fn flush_stores(&mut self) -> Result<(), StoreError> {
        self.links
            .iter_mut()
            .try_for_each(|link| link.session.flush_store())
    }

    /// Sends an OMS command on the TRADE session; returns its MsgSeqNum.
    pub fn send(&mut self, now: Timestamp, command: &VenueCommand) -> Result<u64, LinkError> {
        let dialect = self.config.dialect.clone();
        let link = self.link_mut(Channel::Trade);
        send_command(&mut link.session, now, command, &dialect, &[]).map_err(|source| {
            LinkError::Command {
                channel: Channel::Trade,
                source,
            }
        })
    }

    /// Replaces the subscription of `instrument`: unsubscribes its current
    /// MDReqID (if any) and subscribes under a new one, whose first
    /// refresh is a full book.
    pub fn resubscribe(
        &mut self,
        now: Timestamp,
        instrument: InstrumentId,
    ) -> Result<(), LinkError> {
        let subscription = self
            .config
            .subscriptions
            .iter()
            .find(|subscription| subscription.instrument == instrument)
            .cloned()
            .ok_or(LinkError::NotSubscribed(instrument))?;
        let current = self
            .active
            .iter()
            .find(|(_, subscribed)| **subscribed == instrument)
            .map(|(id, _)| *id);
        if let Some(request_id) = current {
            self.active.remove(&request_id);
            self.request(
                now,
                &subscription,
                request_id,
                SubscriptionAction::Unsubscribe,
            )?;
        }
        self.subscribe(now, &subscription)
    }

    fn subscribe(&mut self, now: Timestamp, subscription: &Subscription) -> Result<(), LinkError> {
        self.next_request += 1;
        let text = format!("{}-{}", self.config.id_prefix, self.next_request);
        let request_id = RequestId::new(&text).map_err(|error| LinkError::RequestId {
            id: text.clone(),
            reason: error.to_string(),
        })?;
        self.request(now, subscription, request_id, SubscriptionAction::Subscribe)?;
        self.active.insert(request_id, subscription.instrument);
        self.events.push_back(LinkEvent::Subscribed {
            instrument: subscription.instrument,
            request_id,
        });
        Ok(())
    }

    fn request(
        &mut self,
        now: Timestamp,
        subscription: &Subscription,
        request_id: RequestId,
        action: SubscriptionAction,
    ) -> Result<(), LinkError> {
        let symbol: VenueSymbol = self
            .config
            .instruments
            .get(&subscription.instrument)
            .map(|instrument| instrument.venue_symbol)
            .ok_or(LinkError::UnknownInstrument(subscription.instrument))?;
        let request = MarketDataRequest {
            request_id,
            action,
            depth: subscription.depth,
            trades: subscription.trades,
            symbols: vec![symbol],
        };
        let dialect = self.config.dialect.clone();
        let link = self.link_mut(Channel::Quote);
        send_request(&mut link.session, now, &request, &dialect, &[]).map_err(|source| {
            LinkError::Request {
                channel: Channel::Quote,
                source,
            }
        })?;
        Ok(())
    }

    /// Subscribes every configured instrument under new MDReqIDs.
    fn subscribe_all(&mut self, now: Timestamp) {
        self.active.clear();
        let subscriptions = self.config.subscriptions.clone();
        for subscription in &subscriptions {
            if let Err(error) = self.subscribe(now, subscription) {
                self.events.push_back(LinkEvent::Problem(
                    Channel::Quote,
                    format!(
                        "could not subscribe to {}: {error}",
                        subscription.instrument
                    ),
                ));
            }
        }
    }

    /// The next event, processing what the sessions received.
    pub fn poll_event(&mut self, now: Timestamp) -> Option<LinkEvent> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            let (index, event) = self
                .links
                .iter_mut()
                .enumerate()
                .find_map(|(index, link)| {
                    link.session.poll_event(now).map(|event| (index, event))
                })?;
            self.on_session_event(now, index, event);
        }
    }

    fn on_session_event(&mut self, now: Timestamp, index: usize, event: SessionEvent) {
        let (channel, carries_market_data) = {
            let link = &self.links[index];
            (link.channel, link.carries_market_data)
        };
        match event {
            SessionEvent::LoggedOn => {
                self.events.push_back(LinkEvent::Up(channel));
                if carries_market_data {
                    self.subscribe_all(now);
                }
            }
            SessionEvent::LoggedOut => {
                if carries_market_data {
                    self.active.clear();
                }
                self.events
                    .push_back(LinkEvent::Down(channel, "logged out".to_owned()));
            }
            SessionEvent::Close(reason) => {
                if carries_market_data {
                    self.active.clear();
                }
                self.events.push_back(LinkEvent::Close(channel, reason));
            }
            SessionEvent::Notice(text) => self.events.push_back(LinkEvent::Notice(channel, text)),
            SessionEvent::App(message) => self.on_app(now, index, &message),
        }
    }

    fn on_app(&mut self, now: Timestamp, index: usize, message: &AppMessage) {
        let link = &mut self.links[index];
        let channel = link.channel;
        let is_market_data = matches!(message.msg_type(), b"W" | b"X" | b"Y");
        if is_market_data && link.carries_market_data {
            match link.market.decode(message, &self.config.instruments, now) {
                Ok(Some(MarketDataMessage::Events(events))) => {
                    self.events
                        .extend(events.into_iter().map(LinkEvent::Market));
                }
                Ok(Some(MarketDataMessage::Reject(reject))) => {
                    let instrument = self.active.remove(&reject.request_id);
                    self.events
                        .push_back(LinkEvent::MarketDataRejected { instrument, reject });
                }
                Ok(None) => {}
                Err(error) => {
                    let text = error.to_string();
                    let answer = reply(&mut link.session, now, message, error.reply());
                    self.events
                        .push_back(LinkEvent::Problem(channel, format!("{text}; {answer}")));
                }
            }
            return;
        }
        match link.orders.decode(message) {
            Ok(Some(event)) => self.events.push_back(LinkEvent::Venue(event)),
            Ok(None) => {
                let msg_type = String::from_utf8_lossy(message.msg_type()).into_owned();
                let answer =
                    match link
                        .session
                        .reject_business(now, message, UNSUPPORTED_MESSAGE_TYPE, None)
                    {
                        Ok(_) => "answered with 35=j 380=3".to_owned(),
                        Err(error) => format!("35=j could not be sent: {error}"),
                    };
                self.events.push_back(LinkEvent::Problem(
                    channel,
                    format!(
                        "message type {msg_type} is not handled on the {channel} session; {answer}"
                    ),
                ));
            }
            Err(error) => {
                let text = error.to_string();
                let answer = reply(&mut link.session, now, message, error.reply());
                self.events
                    .push_back(LinkEvent::Problem(channel, format!("{text}; {answer}")));
            }
        }
    }

    /// The MDReqID of `instrument`'s live subscription.
    pub fn subscription_of(&self, instrument: &InstrumentId) -> Option<RequestId> {
        self.active
            .iter()
            .find(|(_, subscribed)| *subscribed == instrument)
            .map(|(id, _)| *id)
    }
}

/// Answers `message` as `reply` says; returns what was done, for the log.
fn reply<S: MessageStore>(
    session: &mut Session<S>,
    now: Timestamp,
    message: &AppMessage,
    reply: Option<RejectReply>,
) -> String {
    let sent = match reply {
        None => return "ignored (not a message)".to_owned(),
        Some(RejectReply::Session {
            reason,
            ref_tag_id,
            text,
        }) => session
            .reject_app(
                now,
                message,
                reason,
                Some(ref_tag_id).filter(|tag| *tag != 0),
                &text,
            )
            .map(|_| format!("answered with 35=3 373={}", reason.code())),
        Some(RejectReply::Business {
            reason, ref_tag_id, ..
        }) => session
            .reject_business(now, message, reason, Some(ref_tag_id))
            .map(|_| format!("answered with 35=j 380={reason}")),
    };
    sent.unwrap_or_else(|error| format!("the reject could not be sent: {error}"))
}
