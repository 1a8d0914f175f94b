//! [`VenueCore`]: the exchange behind FIX sessions, sans-IO.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use gateway::fix::codec::{Decoder, FieldRef, Message, Tag};
use gateway::fix::session::{AppMessage, Authenticator, Role, SessionConfig, SessionId};
use model::{
    BookChange, BookSide, CancelRejectResponseTo, ClOrdId, ExecType, ExecutionReport, InstrumentId,
    MarketEvent, OrdStatus, OrderId, OrderKind, Price, Quantity, RequestId, Side, TimeInForce,
    Timestamp, VenueSymbol,
};

use super::message::{
    Outbound, exec_type_code, ord_status_code, price_text, side_code, tif_code, timestamp_text,
};
use crate::exchange::profile::{FixProfile, Flavour, UnsupportedReply, VenueProfile};
use crate::exchange::synthetic::{RecordedBook, SyntheticError, SyntheticMarket};
use crate::exchange::{
    CancelRequest, Exchange, ExchangeEvent, OrderRequest, OwnerId, Reason, ReplaceRequest,
};

/// Which of an account's sessions a message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SessionRole {
    /// cTrader's price session (TargetSubID `QUOTE`): market data and the
    /// security list.
    Quote,
    /// cTrader's trade session (TargetSubID `TRADE`): orders, status,
    /// positions and the security list.
    Trade,
    /// A generic venue's one session per account: everything.
    Combined,
}

impl SessionRole {
    /// The venue's SenderSubID (50) for this role, if it has one.
    pub const fn sub_id(self) -> Option<&'static str> {
        match self {
            Self::Quote => Some("QUOTE"),
            Self::Trade => Some("TRADE"),
            Self::Combined => None,
        }
    }

    const fn trades(self) -> bool {
        matches!(self, Self::Trade | Self::Combined)
    }

    const fn quotes(self) -> bool {
        matches!(self, Self::Quote | Self::Combined)
    }
}

/// One acceptor session of the venue: an account's login and the role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    /// The account's numeric login.
    pub login: u64,
    /// QUOTE, TRADE, or the generic venue's combined session.
    pub role: SessionRole,
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:?}", self.login, self.role)
    }
}

/// Why a [`VenueCore`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VenueError {
    /// The profile has no `[fix]` table (and so no accounts).
    #[error("the venue profile has no [fix] table with accounts")]
    NoFixSection,
    /// An account's login does not fit the exchange's owner ids.
    #[error("too many accounts for the exchange's owner ids")]
    TooManyAccounts,
    /// The synthetic market could not be built.
    #[error("synthetic market: {0}")]
    Synthetic(#[from] SyntheticError),
}

/// Where the background liquidity comes from.
#[derive(Debug)]
enum MarketSource {
    Synthetic(SyntheticMarket),
    Recorded(RecordedBook),
}

#[derive(Clone, Debug)]
struct SymbolInfo {
    instrument: InstrumentId,
    symbol: VenueSymbol,
    name: String,
    digits: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Depth {
    /// 264=0: the whole entry book, then entry adds and deletes.
    Full,
    /// 264=1: best bid and ask.
    Spot,
}

#[derive(Clone, Debug)]
struct Subscription {
    request_id: String,
    instrument: InstrumentId,
    depth: Depth,
    /// The last spot sent: bid and ask with their sizes.
    last_spot: Option<SpotState>,
}

type SpotState = (Option<(Price, Quantity)>, Option<(Price, Quantity)>);

#[derive(Clone, Debug, Default)]
struct SessionState {
    subscriptions: Vec<Subscription>,
}

/// What the core remembers of each client order beyond the exchange's
/// report: its type, time in force and position id.
#[derive(Clone, Copy, Debug)]
struct OrderInfo {
    kind: OrderKind,
    time_in_force: TimeInForce,
    position_id: u64,
}

/// A refusal of an incoming message, answered by the session that got it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Refusal {
    /// A session Reject (35=3): SessionRejectReason (373), RefTagID (371).
    Session {
        reason: u32,
        tag: Option<Tag>,
        text: String,
    },
    /// A BusinessMessageReject (35=j).
    Business {
        reason: u32,
        ref_id: Option<String>,
        text: String,
    },
}

impl Refusal {
    fn missing(tag: Tag) -> Self {
        Self::Session {
            reason: 1,
            tag: Some(tag),
            text: "Required tag missing".to_owned(),
        }
    }

    fn bad_value(tag: Tag) -> Self {
        Self::Session {
            reason: 5,
            tag: Some(tag),
            text: "Value is incorrect (out of range) for this tag".to_owned(),
        }
    }

    fn bad_format(tag: Tag) -> Self {
        Self::Session {
            reason: 6,
            tag: Some(tag),
            text: "Incorrect data format for value".to_owned(),
        }
    }
}

/// Reads the fields of one incoming message.
struct Fields<'m> {
    message: Message<'m>,
}

impl<'m> Fields<'m> {
    fn field(&self, tag: Tag) -> Option<FieldRef<'m>> {
        self.message.get(tag)
    }

    fn text(&self, tag: Tag) -> Result<Option<&'m str>, Refusal> {
        self.field(tag)
            .map(|field| field.as_str().map_err(|_| Refusal::bad_format(tag)))
            .transpose()
    }

    fn required(&self, tag: Tag) -> Result<&'m str, Refusal> {
        self.text(tag)?
            .filter(|text| !text.is_empty())
            .ok_or(Refusal::missing(tag))
    }

    fn all(&self, tag: Tag) -> Vec<&'m str> {
        self.message
            .iter()
            .filter(|field| field.tag() == tag)
            .filter_map(|field| field.as_str().ok())
            .collect()
    }

    fn parsed<T>(&self, tag: Tag, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, Refusal> {
        match self.text(tag)? {
            None => Ok(None),
            Some(text) => parse(text).map(Some).ok_or(Refusal::bad_format(tag)),
        }
    }

    fn timestamp(&self, tag: Tag) -> Result<Option<Timestamp>, Refusal> {
        self.field(tag)
            .map(|field| field.as_timestamp().map_err(|_| Refusal::bad_format(tag)))
            .transpose()
    }
}

/// Refuses a logon whose Username (553) is not the account's login or
/// whose Password (554) is wrong, with cTrader's text.
#[derive(Debug)]
struct AccountAuthenticator {
    login: String,
    password: String,
}

/// The text of cTrader's Logout refusing a Logon.
pub const INVALID_LOGON_TEXT: &str = "InternalError: RET_INVALID_DATA";

impl Authenticator for AccountAuthenticator {
    fn authenticate(&self, username: Option<&[u8]>, password: Option<&[u8]>) -> Result<(), String> {
        if username == Some(self.login.as_bytes()) && password == Some(self.password.as_bytes()) {
            Ok(())
        } else {
            Err(INVALID_LOGON_TEXT.to_owned())
        }
    }
}

/// The simulated venue behind its FIX sessions; see the
/// [module docs](super).
#[derive(Debug)]
pub struct VenueCore {
    flavour: Flavour,
    fix: FixProfile,
    exchange: Exchange,
    source: MarketSource,
    symbols: Vec<SymbolInfo>,
    /// Logged-on sessions.
    sessions: BTreeMap<SessionKey, SessionState>,
    outbound: BTreeMap<SessionKey, VecDeque<Outbound>>,
    orders: BTreeMap<(OwnerId, OrderId), OrderInfo>,
    /// Every ClOrdID an order has had, to its OrderID.
    cl_ord_ids: BTreeMap<(OwnerId, ClOrdId), OrderId>,
    position_ids: BTreeMap<(OwnerId, InstrumentId), u64>,
    next_position_id: u64,
    decoder: Decoder,
}

impl VenueCore {
    /// A venue for `profile`, its background moved by the profile's
    /// synthetic market.
    pub fn new(profile: &VenueProfile) -> Result<Self, VenueError> {
        let (exchange, market) = profile.build()?;
        Self::with_source(profile, exchange, MarketSource::Synthetic(market))
    }

    /// A venue for `profile` whose background is a recorded book, fed by
    /// [`VenueCore::apply_recorded`]; [`VenueCore::tick`] only expires
    /// GTD orders.
    pub fn with_recorded_book(profile: &VenueProfile) -> Result<Self, VenueError> {
        let (exchange, _) = profile.build()?;
        Self::with_source(
            profile,
            exchange,
            MarketSource::Recorded(RecordedBook::new()),
        )
    }

    fn with_source(
        profile: &VenueProfile,
        mut exchange: Exchange,
        source: MarketSource,
    ) -> Result<Self, VenueError> {
        let fix = profile.fix.clone().ok_or(VenueError::NoFixSection)?;
        if u32::try_from(fix.accounts.len()).is_err() {
            return Err(VenueError::TooManyAccounts);
        }
        for (index, account) in fix.accounts.iter().enumerate() {
            // Owners are account indexes from 1 (see `owner`).
            if let Ok(owner) = u32::try_from(index + 1) {
                exchange.set_position_mode(OwnerId(owner), account.positions);
            }
        }
        let symbols = profile
            .symbols
            .iter()
            .map(|symbol| SymbolInfo {
                instrument: symbol.instrument.id,
                symbol: symbol.instrument.venue_symbol,
                name: symbol.name.clone(),
                digits: symbol.instrument.price_digits,
            })
            .collect();
        Ok(Self {
            flavour: profile.flavour,
            fix,
            exchange,
            source,
            symbols,
            sessions: BTreeMap::new(),
            outbound: BTreeMap::new(),
            orders: BTreeMap::new(),
            cl_ord_ids: BTreeMap::new(),
            position_ids: BTreeMap::new(),
            next_position_id: 1,
            decoder: Decoder::default(),
        })
    }

    /// The FIX settings and accounts.
    pub const fn fix(&self) -> &FixProfile {
        &self.fix
    }

    /// The flavour imitated.
    pub const fn flavour(&self) -> Flavour {
        self.flavour
    }

    /// The exchange (books, positions).
    pub const fn exchange(&self) -> &Exchange {
        &self.exchange
    }

    /// The owner id of `login`'s orders in the exchange.
    pub fn owner(&self, login: u64) -> Option<OwnerId> {
        let index = self.fix.accounts.iter().position(|a| a.login == login)?;
        u32::try_from(index + 1).ok().map(OwnerId)
    }

    fn login_of(&self, owner: OwnerId) -> Option<u64> {
        let index = usize::try_from(owner.0).ok()?.checked_sub(1)?;
        self.fix.accounts.get(index).map(|account| account.login)
    }

    /// Every acceptor session the venue serves: per account a QUOTE and a
    /// TRADE session (cTrader) or one combined session (generic), each
    /// with its id from the venue's side.
    pub fn sessions(&self) -> Vec<(SessionKey, SessionId)> {
        let roles: &[SessionRole] = match self.flavour {
            Flavour::CTrader => &[SessionRole::Quote, SessionRole::Trade],
            Flavour::Generic => &[SessionRole::Combined],
        };
        let mut out = Vec::new();
        for account in &self.fix.accounts {
            for role in roles {
                let key = SessionKey {
                    login: account.login,
                    role: *role,
                };
                out.push((key, self.session_id(key)));
            }
        }
        out
    }

    /// The id of `key`'s session from the venue's side: our CompID and
    /// SubID, the account's CompID.
    pub fn session_id(&self, key: SessionKey) -> SessionId {
        let target = self
            .fix
            .account(key.login)
            .map(crate::exchange::profile::AccountProfile::comp_id)
            .unwrap_or_default();
        SessionId::new(&self.fix.begin_string, &self.fix.comp_id, &target)
            .with_sub_ids(key.role.sub_id(), None)
    }

    /// The session configuration of `key`: an acceptor that resets
    /// sequence numbers at every Logon and disconnect (cTrader's rule),
    /// with no data dictionary (the core answers malformed requests
    /// itself, and must see message types the dictionary lacks, such as
    /// 35=q) and QuickFIX's other defaults.
    pub fn session_config(&self, key: SessionKey) -> SessionConfig {
        let mut config = SessionConfig::new(self.session_id(key), Role::Acceptor);
        config.reset_on_logon = true;
        config.reset_on_disconnect = true;
        config.heartbeat_interval_secs = self.fix.heartbeat_secs;
        config
    }

    /// The Logon check of `key`'s session: Username (553) must be the
    /// account's login and Password (554) its password; else the session
    /// answers a Logout with `58=InternalError: RET_INVALID_DATA` and
    /// disconnects. `None` for an unknown account.
    pub fn authenticator(&self, key: SessionKey) -> Option<Box<dyn Authenticator>> {
        let account = self.fix.account(key.login)?;
        Some(Box::new(AccountAuthenticator {
            login: account.login.to_string(),
            password: account.password.clone(),
        }))
    }

    /// `key`'s session logged on.
    pub fn logged_on(&mut self, key: SessionKey, _now: Timestamp) {
        self.sessions.insert(key, SessionState::default());
        self.outbound.remove(&key);
    }

    /// `key`'s session logged out or lost its connection: its
    /// subscriptions end and nothing more is queued for it.
    pub fn logged_out(&mut self, key: SessionKey, _now: Timestamp) {
        self.sessions.remove(&key);
        self.outbound.remove(&key);
    }

    /// True while `key`'s session is logged on.
    pub fn is_logged_on(&self, key: SessionKey) -> bool {
        self.sessions.contains_key(&key)
    }

    /// The next message for any session.
    pub fn poll_outbound(&mut self) -> Option<(SessionKey, Outbound)> {
        let key = *self.outbound.iter().find(|(_, queue)| !queue.is_empty())?.0;
        self.poll_outbound_for(key).map(|message| (key, message))
    }

    /// The next message for `key`'s session.
    pub fn poll_outbound_for(&mut self, key: SessionKey) -> Option<Outbound> {
        let queue = self.outbound.get_mut(&key)?;
        let message = queue.pop_front();
        if queue.is_empty() {
            self.outbound.remove(&key);
        }
        message
    }

    /// Sessions with messages waiting.
    pub fn pending(&self) -> Vec<SessionKey> {
        self.outbound.keys().copied().collect()
    }

    fn queue(&mut self, key: SessionKey, message: Outbound) {
        if self.sessions.contains_key(&key) {
            self.outbound.entry(key).or_default().push_back(message);
        }
    }

    /// The session that gets `owner`'s order reports: its TRADE (or
    /// combined) session.
    fn trade_session(&self, owner: OwnerId) -> Option<SessionKey> {
        let login = self.login_of(owner)?;
        let role = match self.flavour {
            Flavour::CTrader => SessionRole::Trade,
            Flavour::Generic => SessionRole::Combined,
        };
        Some(SessionKey { login, role })
    }

    /// Time passes: the synthetic market moves to `now` and GTD orders
    /// expire; reports and market data are queued.
    pub fn tick(&mut self, now: Timestamp) {
        let mut events = match &mut self.source {
            MarketSource::Synthetic(market) => market.step(&mut self.exchange, now),
            MarketSource::Recorded(_) => Vec::new(),
        };
        events.extend(self.exchange.advance(now));
        self.dispatch(now, events);
    }

    /// A recorded market event becomes background liquidity (a venue
    /// built with [`VenueCore::with_recorded_book`]; ignored otherwise).
    pub fn apply_recorded(&mut self, now: Timestamp, event: &MarketEvent) {
        let events = match &mut self.source {
            MarketSource::Recorded(book) => book.apply(&mut self.exchange, now, event),
            MarketSource::Synthetic(_) => Vec::new(),
        };
        self.dispatch(now, events);
    }

    /// An application message on `key`'s session. Replies and the
    /// reports and market data it causes are queued.
    pub fn on_message(&mut self, key: SessionKey, now: Timestamp, message: &AppMessage) {
        if !self.sessions.contains_key(&key) {
            return;
        }
        let msg_type = String::from_utf8_lossy(message.msg_type()).into_owned();
        let mut decoder = std::mem::take(&mut self.decoder);
        let result = match decoder.decode(&message.bytes) {
            Ok(message) => self.handle(key, now, &msg_type, &Fields { message }),
            Err(_) => Err(Refusal::bad_format(0)),
        };
        self.decoder = decoder;
        if let Err(refusal) = result {
            let reply = self.refusal(message.seq, &msg_type, refusal);
            self.queue(key, reply);
        }
    }

    fn handle(
        &mut self,
        key: SessionKey,
        now: Timestamp,
        msg_type: &str,
        fields: &Fields<'_>,
    ) -> Result<(), Refusal> {
        let supported = matches!(msg_type, "V" | "D" | "F" | "G" | "H" | "AF" | "AN" | "x")
            && !(msg_type == "AN" && self.fix.begin_string == "FIX.4.2")
            && !(msg_type == "AF" && self.fix.begin_string == "FIX.4.2");
        if !supported {
            return Err(match self.fix.unsupported {
                UnsupportedReply::BusinessReject => Refusal::Business {
                    reason: 3,
                    ref_id: None,
                    text: format!("Unsupported Message Type: {msg_type}"),
                },
                UnsupportedReply::SessionReject => Refusal::Session {
                    reason: 11,
                    tag: None,
                    text: "Invalid MsgType".to_owned(),
                },
            });
        }
        if msg_type == "x" {
            let reply = self.security_list(fields)?;
            self.queue(key, reply);
            return Ok(());
        }
        if msg_type == "V" {
            if !key.role.quotes() {
                return Err(wrong_session(fields, 262, "market data", "QUOTE"));
            }
            let request = self.market_data_request(fields)?;
            return self.subscribe(key, now, request);
        }
        if !key.role.trades() {
            return Err(wrong_session(fields, 11, "trading", "TRADE"));
        }
        let owner = self.owner(key.login).ok_or(Refusal::Business {
            reason: 6,
            ref_id: None,
            text: "unknown account".to_owned(),
        })?;
        match msg_type {
            "D" => {
                let request = self.new_order(fields, now)?;
                let events = self.exchange.submit(now, owner, &request);
                self.remember_orders(owner, &request, &events);
                self.dispatch(now, events);
            }
            "F" => {
                let request = CancelRequest {
                    cl_ord_id: cl_ord_id(fields, 11)?,
                    orig_cl_ord_id: cl_ord_id(fields, 41)?,
                    order_id: order_id(fields)?,
                };
                let events = self.exchange.cancel(now, owner, &request);
                self.dispatch(now, events);
            }
            "G" => {
                let request = self.replace_request(owner, fields, now)?;
                let events = self.exchange.replace(now, owner, &request);
                if let Some(ExchangeEvent::Execution { report, .. }) = events.iter().find(|e| {
                    matches!(e, ExchangeEvent::Execution { report, .. } if report.exec_type == ExecType::Replaced)
                }) && let Some(id) = report.order_id
                    && let Some(info) = self.orders.get_mut(&(owner, id))
                {
                    info.kind = request.kind;
                    info.time_in_force = request.time_in_force;
                }
                self.dispatch(now, events);
            }
            "H" => {
                let cl_ord_id = cl_ord_id(fields, 11)?;
                let order_id = order_id(fields)?;
                let events = self.exchange.status(now, owner, cl_ord_id, order_id);
                self.dispatch(now, events);
            }
            "AF" => {
                let request_id = request_id(fields, 584)?;
                let kind = fields.required(585)?;
                if kind != "7" {
                    return Err(Refusal::bad_value(585));
                }
                // IssueDate: only orders accepted at or after it.
                let since = fields.timestamp(225)?;
                let events = self
                    .exchange
                    .mass_status_since(now, owner, request_id, since);
                self.dispatch(now, events);
            }
            "AN" => {
                let request_id = request_id(fields, 710)?;
                let only = fields.parsed(721, |text| text.parse::<u64>().ok())?;
                let events = self.exchange.positions(now, owner, request_id);
                self.positions(now, key, owner, request_id, only, events);
            }
            _ => {}
        }
        Ok(())
    }

    fn symbol_by_text(&self, text: &str) -> Option<&SymbolInfo> {
        self.symbols
            .iter()
            .find(|symbol| symbol.symbol.as_str() == text)
    }

    fn symbol_by_instrument(&self, instrument: &InstrumentId) -> Option<&SymbolInfo> {
        self.symbols
            .iter()
            .find(|symbol| symbol.instrument == *instrument)
    }

    fn digits_of_symbol(&self, symbol: &VenueSymbol) -> u8 {
        self.symbols
            .iter()
            .find(|info| info.symbol == *symbol)
            .map_or(9, |info| info.digits)
    }

    fn is_ctrader(&self) -> bool {
        self.flavour == Flavour::CTrader
    }

    // ---- Security list ------------------------------------------------------

    fn security_list(&self, fields: &Fields<'_>) -> Result<Outbound, Refusal> {
        let request_id = fields.required(320)?;
        fields.required(559)?;
        let wanted = fields.text(55)?;
        let listed: Vec<&SymbolInfo> = self
            .symbols
            .iter()
            .filter(|symbol| wanted.is_none_or(|text| symbol.symbol.as_str() == text))
            .collect();
        let mut reply = Outbound::new("y");
        reply
            .add(320, request_id)
            // cTrader's spelling.
            .add(322, format!("responce:{request_id}"))
            .add(560, if listed.is_empty() { 2 } else { 0 });
        if !listed.is_empty() {
            reply.add(146, listed.len());
            for symbol in listed {
                reply.add(55, symbol.symbol);
                if self.is_ctrader() {
                    reply.add(1007, &symbol.name).add(1008, symbol.digits);
                }
            }
        }
        Ok(reply)
    }

    // ---- Market data --------------------------------------------------------

    fn market_data_request(&self, fields: &Fields<'_>) -> Result<MdRequest, Refusal> {
        let request_id = fields.required(262)?.to_owned();
        let reject = |reason: Option<char>, text: String| MdRequest::Reject {
            request_id: request_id.clone(),
            reason,
            text,
        };
        let subscribe = match fields.required(263)? {
            "1" => true,
            "2" => false,
            other => {
                return Ok(reject(
                    Some('4'),
                    format!(
                        "INVALID_REQUEST: SubscriptionRequestType should be either 1 or 2, but got {other}"
                    ),
                ));
            }
        };
        if !subscribe {
            return Ok(MdRequest::Unsubscribe { request_id });
        }
        let mut instruments = Vec::new();
        for text in fields.all(55) {
            if self.is_ctrader() && (text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit())) {
                return Ok(reject(
                    Some('0'),
                    format!("INVALID_REQUEST: Expected numeric symbolId, but got {text}"),
                ));
            }
            match self.symbol_by_text(text) {
                Some(symbol) => instruments.push(symbol.instrument),
                None => {
                    return Ok(reject(
                        Some('0'),
                        if self.is_ctrader() {
                            format!("INVALID_REQUEST: Unknown symbolId {text}")
                        } else {
                            format!("INVALID_REQUEST: Unknown symbol {text}")
                        },
                    ));
                }
            }
        }
        if instruments.is_empty() {
            return Err(Refusal::missing(55));
        }
        let depth = match fields.text(264)? {
            Some("0") => Depth::Full,
            Some("1") => Depth::Spot,
            _ => {
                return Ok(reject(
                    Some('5'),
                    "INVALID_REQUEST: MarketDepth should be either 0 or 1".to_owned(),
                ));
            }
        };
        Ok(MdRequest::Subscribe {
            request_id,
            instruments,
            depth,
        })
    }

    fn subscribe(
        &mut self,
        key: SessionKey,
        now: Timestamp,
        request: MdRequest,
    ) -> Result<(), Refusal> {
        match request {
            MdRequest::Reject {
                request_id,
                reason,
                text,
            } => {
                let mut reply = Outbound::new("Y");
                reply
                    .add(58, text)
                    .add(262, request_id)
                    .add_opt(281, reason);
                self.queue(key, reply);
            }
            MdRequest::Unsubscribe { request_id } => {
                let removed = self.sessions.get_mut(&key).is_some_and(|state| {
                    let before = state.subscriptions.len();
                    state
                        .subscriptions
                        .retain(|sub| sub.request_id != request_id);
                    state.subscriptions.len() != before
                });
                if !removed {
                    let mut reply = Outbound::new("Y");
                    reply
                        .add(
                            58,
                            format!("INVALID_REQUEST: no subscription with MDReqID {request_id}"),
                        )
                        .add(262, request_id);
                    self.queue(key, reply);
                }
            }
            MdRequest::Subscribe {
                request_id,
                instruments,
                depth,
            } => {
                let duplicate = self.sessions.get(&key).is_some_and(|state| {
                    state
                        .subscriptions
                        .iter()
                        .any(|sub| sub.request_id == request_id)
                });
                if duplicate {
                    let mut reply = Outbound::new("Y");
                    reply
                        .add(
                            58,
                            format!("INVALID_REQUEST: MDReqID {request_id} is already subscribed"),
                        )
                        .add(262, request_id)
                        .add(281, '1');
                    self.queue(key, reply);
                    return Ok(());
                }
                for instrument in instruments {
                    let mut subscription = Subscription {
                        request_id: request_id.clone(),
                        instrument,
                        depth,
                        last_spot: None,
                    };
                    let first = match depth {
                        Depth::Full => self.depth_snapshot(now, &subscription),
                        Depth::Spot => {
                            let spot = self.spot_state(&instrument);
                            subscription.last_spot = Some(spot);
                            self.spot_message(&subscription, spot)
                        }
                    };
                    if let Some(state) = self.sessions.get_mut(&key) {
                        state.subscriptions.push(subscription);
                    }
                    if let Some(first) = first {
                        self.queue(key, first);
                    }
                }
            }
        }
        Ok(())
    }

    fn md_header(&self, reply: &mut Outbound, subscription: &Subscription) {
        if !self.is_ctrader() {
            reply.add(262, &subscription.request_id);
        }
    }

    /// The first 35=W of a depth subscription: every entry of the book.
    fn depth_snapshot(&self, now: Timestamp, subscription: &Subscription) -> Option<Outbound> {
        let symbol = self.symbol_by_instrument(&subscription.instrument)?;
        let snapshot = self.exchange.snapshot(now, &subscription.instrument)?;
        let mut reply = Outbound::new("W");
        self.md_header(&mut reply, subscription);
        reply.add(55, symbol.symbol);
        let count = snapshot.bids.len() + snapshot.asks.len();
        reply.add(268, count);
        for (code, entries) in [('1', &snapshot.asks), ('0', &snapshot.bids)] {
            for entry in entries {
                reply
                    .add(269, code)
                    .add(270, price_text(entry.price, symbol.digits))
                    .add(271, entry.size);
                if let Some(id) = entry.entry_id {
                    reply.add(278, id);
                }
            }
        }
        Some(reply)
    }

    fn spot_state(&self, instrument: &InstrumentId) -> SpotState {
        let Some(book) = self.exchange.book(instrument) else {
            return (None, None);
        };
        let level = |side: Side| {
            let best = book.best(side)?.price;
            let mut size = Quantity::ZERO;
            for resting in book.side(side).filter(|resting| resting.price == best) {
                size = size.checked_add(resting.size).unwrap_or(size);
            }
            Some((best, size))
        };
        (level(Side::Buy), level(Side::Sell))
    }

    /// A spot 35=W: best bid and ask, with sizes only on a generic venue.
    fn spot_message(&self, subscription: &Subscription, spot: SpotState) -> Option<Outbound> {
        let symbol = self.symbol_by_instrument(&subscription.instrument)?;
        let sides: Vec<(char, (Price, Quantity))> = [('0', spot.0), ('1', spot.1)]
            .into_iter()
            .filter_map(|(code, level)| level.map(|level| (code, level)))
            .collect();
        if sides.is_empty() {
            return None;
        }
        let mut reply = Outbound::new("W");
        self.md_header(&mut reply, subscription);
        reply.add(55, symbol.symbol).add(268, sides.len());
        for (code, (price, size)) in sides {
            reply
                .add(269, code)
                .add(270, price_text(price, symbol.digits));
            if !self.is_ctrader() {
                reply.add(271, size);
            }
        }
        Some(reply)
    }

    /// Depth 35=X for a delta: 279=0 adds and 279=2 deletes, in order.
    fn depth_update(
        &self,
        subscription: &Subscription,
        changes: &[BookChange],
    ) -> Option<Outbound> {
        let symbol = self.symbol_by_instrument(&subscription.instrument)?;
        let side_code = |side: BookSide| match side {
            BookSide::Bid => '0',
            BookSide::Ask => '1',
        };
        let add = |side: BookSide, id: model::EntryId, price: Price, size: Quantity| {
            vec![
                (279, "0".to_owned()),
                (269, side_code(side).to_string()),
                (278, id.to_string()),
                (55, symbol.symbol.to_string()),
                (270, price_text(price, symbol.digits)),
                (271, size.to_string()),
            ]
        };
        let mut entries: Vec<Vec<(Tag, String)>> = Vec::new();
        for change in changes {
            match *change {
                BookChange::AddEntry {
                    side,
                    entry_id,
                    price,
                    size,
                } => entries.push(add(side, entry_id, price, size)),
                // The exchange's book only adds and deletes entries; a
                // change would go out as a delete and an add.
                BookChange::ChangeEntry {
                    side,
                    entry_id,
                    price,
                    size,
                } => {
                    entries.push(vec![
                        (279, "2".to_owned()),
                        (278, entry_id.to_string()),
                        (55, symbol.symbol.to_string()),
                    ]);
                    entries.push(add(side, entry_id, price, size));
                }
                BookChange::DeleteEntry { entry_id } => entries.push(vec![
                    (279, "2".to_owned()),
                    (278, entry_id.to_string()),
                    (55, symbol.symbol.to_string()),
                ]),
                BookChange::SetLevel { .. } => {}
            }
        }
        if entries.is_empty() {
            return None;
        }
        let mut reply = Outbound::new("X");
        self.md_header(&mut reply, subscription);
        reply.add(268, entries.len());
        for entry in entries {
            reply.fields.extend(entry);
        }
        Some(reply)
    }

    // ---- Orders ---------------------------------------------------------------

    fn symbol_field(&self, fields: &Fields<'_>) -> Result<VenueSymbol, Refusal> {
        let text = fields.required(55)?;
        VenueSymbol::new(text).map_err(|_| Refusal::bad_value(55))
    }

    fn new_order(&self, fields: &Fields<'_>, now: Timestamp) -> Result<OrderRequest, Refusal> {
        let cl_ord_id = cl_ord_id(fields, 11)?;
        let symbol = self.symbol_field(fields)?;
        let side = match fields.required(54)? {
            "1" => Side::Buy,
            "2" => Side::Sell,
            _ => return Err(Refusal::bad_value(54)),
        };
        let quantity = fields
            .parsed(38, |text| text.parse::<Quantity>().ok())?
            .ok_or(Refusal::missing(38))?;
        let price = |tag| {
            fields
                .parsed(tag, |text| text.parse::<Price>().ok())?
                .ok_or(Refusal::missing(tag))
        };
        let kind = match fields.required(40)? {
            "1" => OrderKind::Market,
            "2" => OrderKind::Limit { price: price(44)? },
            "3" => OrderKind::Stop { stop: price(99)? },
            "4" if !self.is_ctrader() => OrderKind::StopLimit {
                stop: price(99)?,
                price: price(44)?,
            },
            _ => return Err(Refusal::bad_value(40)),
        };
        let expire = fields.timestamp(126)?;
        let time_in_force = if self.is_ctrader() {
            // cTrader ignores 59 and infers it.
            match (kind, expire) {
                (OrderKind::Market, _) => TimeInForce::ImmediateOrCancel,
                (_, Some(at)) => TimeInForce::GoodTillDate(at),
                (_, None) => TimeInForce::GoodTillCancel,
            }
        } else {
            time_in_force(fields, expire, TimeInForce::Day)?
        };
        let _ = now;
        // PosMaintRptID: the position a hedged account's order adds to.
        let position = fields.parsed(721, |text| text.parse::<u64>().ok())?;
        Ok(OrderRequest {
            cl_ord_id,
            symbol,
            side,
            kind,
            quantity,
            time_in_force,
            position,
        })
    }

    fn replace_request(
        &self,
        owner: OwnerId,
        fields: &Fields<'_>,
        _now: Timestamp,
    ) -> Result<ReplaceRequest, Refusal> {
        let cl_ord_id = cl_ord_id(fields, 11)?;
        let orig_cl_ord_id = cl_ord_id_tag(fields, 41)?;
        let order_id = order_id(fields)?;
        let quantity = fields
            .parsed(38, |text| text.parse::<Quantity>().ok())?
            .ok_or(Refusal::missing(38))?;
        let price = fields.parsed(44, |text| text.parse::<Price>().ok())?;
        let stop = fields.parsed(99, |text| text.parse::<Price>().ok())?;
        let expire = fields.timestamp(126)?;
        // The order's current terms, from what the core remembers of it.
        let current = self
            .exchange_order(owner, orig_cl_ord_id, order_id)
            .ok_or_else(|| self.order_not_found(cl_ord_id, orig_cl_ord_id))?;
        let kind = match current.kind {
            OrderKind::Market => OrderKind::Market,
            OrderKind::Limit { price: old } => OrderKind::Limit {
                price: price.unwrap_or(old),
            },
            OrderKind::Stop { stop: old } => OrderKind::Stop {
                stop: stop.unwrap_or(old),
            },
            OrderKind::StopLimit {
                stop: old_stop,
                price: old_price,
            } => OrderKind::StopLimit {
                stop: stop.unwrap_or(old_stop),
                price: price.unwrap_or(old_price),
            },
        };
        let time_in_force = if self.is_ctrader() {
            expire.map_or(TimeInForce::GoodTillCancel, TimeInForce::GoodTillDate)
        } else {
            time_in_force(fields, expire, current.time_in_force)?
        };
        Ok(ReplaceRequest {
            cl_ord_id,
            orig_cl_ord_id,
            order_id,
            kind,
            quantity,
            time_in_force,
        })
    }

    /// What the core remembers of the order a cancel or replace names.
    fn exchange_order(
        &self,
        owner: OwnerId,
        orig_cl_ord_id: ClOrdId,
        order_id: Option<OrderId>,
    ) -> Option<OrderInfo> {
        if let Some(id) = order_id {
            return self.orders.get(&(owner, id)).copied();
        }
        let id = self.order_id_by_cl_ord_id(owner, orig_cl_ord_id)?;
        self.orders.get(&(owner, id)).copied()
    }

    fn order_id_by_cl_ord_id(&self, owner: OwnerId, cl_ord_id: ClOrdId) -> Option<OrderId> {
        self.cl_ord_ids.get(&(owner, cl_ord_id)).copied()
    }

    fn order_not_found(&self, cl_ord_id: ClOrdId, orig_cl_ord_id: ClOrdId) -> Refusal {
        Refusal::Business {
            reason: 0,
            ref_id: Some(cl_ord_id.to_string()),
            text: format!("ORDER_NOT_FOUND:Order with clientOrderId={orig_cl_ord_id} not found."),
        }
    }

    fn remember_orders(
        &mut self,
        owner: OwnerId,
        request: &OrderRequest,
        events: &[ExchangeEvent],
    ) {
        for event in events {
            if let ExchangeEvent::Execution {
                owner: o, report, ..
            } = event
                && *o == owner
                && report.exec_type == ExecType::New
                && let Some(id) = report.order_id
            {
                let instrument = self
                    .symbols
                    .iter()
                    .find(|symbol| symbol.symbol == report.symbol)
                    .map(|symbol| symbol.instrument);
                // A hedged account's order has its own position; a netting
                // account has one per symbol.
                let position_id = match (self.exchange.order_position(owner, &id), instrument) {
                    (Some(position), _) => position,
                    (None, Some(instrument)) => self.position_id(owner, instrument),
                    (None, None) => 0,
                };
                self.orders.insert(
                    (owner, id),
                    OrderInfo {
                        kind: request.kind,
                        time_in_force: request.time_in_force,
                        position_id,
                    },
                );
            }
        }
    }

    fn position_id(&mut self, owner: OwnerId, instrument: InstrumentId) -> u64 {
        if let Some(id) = self.position_ids.get(&(owner, instrument)) {
            return *id;
        }
        let id = self.next_position_id;
        self.next_position_id += 1;
        self.position_ids.insert((owner, instrument), id);
        id
    }

    // ---- Exchange events to messages -----------------------------------------

    /// Sends the exchange's events where they belong: reports to their
    /// owner's trade session, book changes to depth subscribers, and a
    /// new spot to spot subscribers whose top of book moved.
    fn dispatch(&mut self, now: Timestamp, events: Vec<ExchangeEvent>) {
        let mut touched: Vec<InstrumentId> = Vec::new();
        for event in events {
            match event {
                ExchangeEvent::Execution {
                    owner,
                    report,
                    reason,
                } => self.execution(owner, &report, reason.as_ref()),
                ExchangeEvent::CancelReject {
                    owner,
                    reject,
                    reason,
                } => {
                    let Some(key) = self.trade_session(owner) else {
                        continue;
                    };
                    let message = if self.is_ctrader() && matches!(reason, Reason::UnknownOrder(_))
                    {
                        let orig = reject.orig_cl_ord_id.unwrap_or(reject.cl_ord_id);
                        let refusal = self.order_not_found(reject.cl_ord_id, orig);
                        self.refusal_message(None, None, refusal)
                    } else {
                        let mut reply = Outbound::new("9");
                        reply
                            .add(11, reject.cl_ord_id)
                            .add(
                                37,
                                reject
                                    .order_id
                                    .map_or_else(|| "NONE".to_owned(), |id| id.to_string()),
                            )
                            .add(
                                39,
                                ord_status_code(reject.ord_status.unwrap_or(OrdStatus::Rejected)),
                            )
                            .add_opt(41, reject.orig_cl_ord_id)
                            .add(58, reason.to_string());
                        if !self.is_ctrader() {
                            reply.add_opt(102, reject.reason);
                        }
                        reply.add(
                            434,
                            match reject.response_to {
                                CancelRejectResponseTo::Cancel => 1,
                                CancelRejectResponseTo::Replace => 2,
                            },
                        );
                        reply
                    };
                    self.queue(key, message);
                }
                ExchangeEvent::Position { .. } => {}
                ExchangeEvent::Market(MarketEvent::Delta(delta)) => {
                    let instrument = delta.header.instrument;
                    if !touched.contains(&instrument) {
                        touched.push(instrument);
                    }
                    let mut out = Vec::new();
                    for (key, state) in &self.sessions {
                        for subscription in &state.subscriptions {
                            if subscription.depth == Depth::Full
                                && subscription.instrument == instrument
                                && let Some(message) =
                                    self.depth_update(subscription, &delta.changes)
                            {
                                out.push((*key, message));
                            }
                        }
                    }
                    for (key, message) in out {
                        self.queue(key, message);
                    }
                }
                ExchangeEvent::Market(_) => {}
            }
        }
        let _ = now;
        // Spot: a W to every spot subscriber whose top of book changed.
        let mut out = Vec::new();
        let spots: Vec<(InstrumentId, SpotState)> = touched
            .iter()
            .map(|instrument| (*instrument, self.spot_state(instrument)))
            .collect();
        let ctrader = self.is_ctrader();
        let mut updates: Vec<(SessionKey, usize, SpotState)> = Vec::new();
        for (key, state) in &self.sessions {
            for (index, subscription) in state.subscriptions.iter().enumerate() {
                if subscription.depth != Depth::Spot {
                    continue;
                }
                let Some((_, spot)) = spots.iter().find(|(id, _)| *id == subscription.instrument)
                else {
                    continue;
                };
                // cTrader's spot carries no sizes: only prices count.
                let comparable = |state: &SpotState| -> SpotState {
                    if ctrader {
                        (
                            state.0.map(|(p, _)| (p, Quantity::ZERO)),
                            state.1.map(|(p, _)| (p, Quantity::ZERO)),
                        )
                    } else {
                        *state
                    }
                };
                if subscription.last_spot.as_ref().map(comparable) != Some(comparable(spot)) {
                    updates.push((*key, index, *spot));
                }
            }
        }
        for (key, index, spot) in updates {
            let Some(subscription) = self
                .sessions
                .get_mut(&key)
                .and_then(|state| state.subscriptions.get_mut(index))
            else {
                continue;
            };
            subscription.last_spot = Some(spot);
            let subscription = subscription.clone();
            if let Some(message) = self.spot_message(&subscription, spot) {
                out.push((key, message));
            }
        }
        for (key, message) in out {
            self.queue(key, message);
        }
    }

    fn execution(&mut self, owner: OwnerId, report: &ExecutionReport, reason: Option<&Reason>) {
        if let (Some(cl_ord_id), Some(order_id)) = (report.cl_ord_id, report.order_id) {
            self.cl_ord_ids.insert((owner, cl_ord_id), order_id);
        }
        let Some(key) = self.trade_session(owner) else {
            return;
        };
        let ctrader = self.is_ctrader();
        // cTrader answers what it cannot find with a BusinessMessageReject.
        if ctrader && report.exec_type == ExecType::OrderStatus {
            if let Some(Reason::UnknownOrder(id)) = reason {
                let refusal = self.order_not_found(*id, *id);
                let message = self.refusal_message(None, None, refusal);
                self.queue(key, message);
                return;
            }
            if report.total_reports == Some(0) {
                let refusal = Refusal::Business {
                    reason: 0,
                    ref_id: report.mass_status_request_id.map(|id| id.to_string()),
                    text: "ORDER_NOT_FOUND:No orders found.".to_owned(),
                };
                let message = self.refusal_message(None, None, refusal);
                self.queue(key, message);
                return;
            }
        }
        let info = report
            .order_id
            .and_then(|id| self.orders.get(&(owner, id)).copied());
        let digits = self.digits_of_symbol(&report.symbol);
        let fill = report.exec_type == ExecType::Trade;
        let mut reply = Outbound::new("8");
        if !report.cum_qty.is_zero() {
            reply.add_opt(6, report.avg_px.map(|px| price_text(px, digits)));
        } else if !ctrader {
            reply.add(6, 0);
        }
        reply.add_opt(11, report.cl_ord_id).add(14, report.cum_qty);
        if !ctrader {
            reply.add(17, report.exec_id);
            if self.fix.begin_string == "FIX.4.2" {
                reply.add(20, 0);
            }
            if fill {
                reply.add_opt(31, report.last_px.map(|px| price_text(px, digits)));
            }
        }
        if fill {
            reply.add(32, report.last_qty);
        }
        reply
            .add(
                37,
                report
                    .order_id
                    .map_or_else(|| "NONE".to_owned(), |id| id.to_string()),
            )
            .add_opt(38, report.order_qty)
            .add(39, ord_status_code(report.ord_status));
        if let Some(info) = info {
            reply.add(
                40,
                match info.kind {
                    OrderKind::Market => '1',
                    OrderKind::Limit { .. } => '2',
                    OrderKind::Stop { .. } => '3',
                    OrderKind::StopLimit { .. } => '4',
                },
            );
        }
        reply.add_opt(41, report.orig_cl_ord_id);
        reply.add_opt(44, report.price.map(|px| price_text(px, digits)));
        reply
            .add(54, side_code(report.side))
            .add(55, report.symbol)
            .add_opt(
                58,
                report
                    .text
                    .as_ref()
                    .filter(|_| report.exec_type == ExecType::Rejected || !ctrader),
            );
        if let Some(info) = info {
            reply.add(59, tif_code(info.time_in_force));
        }
        reply.add_opt(60, report.transact_time.map(timestamp_text));
        if let Some(info) = info {
            reply.add_opt(99, info.kind.stop_price().map(|px| price_text(px, digits)));
        }
        if report.exec_type == ExecType::Rejected {
            reply.add(
                103,
                if ctrader {
                    0
                } else {
                    report.reject_reason.unwrap_or(99)
                },
            );
        }
        if let Some(info) = info
            && let TimeInForce::GoodTillDate(at) = info.time_in_force
        {
            reply.add(126, timestamp_text(at));
        }
        reply
            .add(150, exec_type_code(report.exec_type))
            .add(151, report.leaves_qty)
            .add_opt(584, report.mass_status_request_id);
        if ctrader && let Some(info) = info {
            reply.add(721, info.position_id);
        }
        reply.add_opt(911, report.total_reports);
        if !ctrader && report.mass_status_request_id.is_some() && report.last_report {
            reply.add(912, 'Y');
        }
        self.queue(key, reply);
    }

    fn positions(
        &mut self,
        now: Timestamp,
        key: SessionKey,
        owner: OwnerId,
        request_id: RequestId,
        only: Option<u64>,
        events: Vec<ExchangeEvent>,
    ) {
        let mut reports: Vec<(Option<u64>, model::PositionReport)> = Vec::new();
        for event in events {
            if let ExchangeEvent::Position {
                report,
                position_id,
                ..
            } = event
            {
                let position_id = position_id.or_else(|| {
                    report
                        .symbol
                        .and_then(|symbol| self.symbols.iter().find(|info| info.symbol == symbol))
                        .map(|info| info.instrument)
                        .map(|instrument| self.position_id(owner, instrument))
                });
                reports.push((position_id, report));
            }
        }
        if let Some(only) = only {
            reports.retain(|(id, _)| *id == Some(only));
        }
        reports.retain(|(_, report)| report.symbol.is_some());
        let total = reports.len();
        // FIX 4.4 makes these required in a PositionReport; cTrader's
        // dictionary does not have them and its samples leave them out.
        let generic = (!self.is_ctrader()).then(|| GenericPositionFields {
            business_date: date_text(now),
            account: self.login_of(owner).unwrap_or_default(),
        });
        if reports.is_empty() {
            let mut reply = Outbound::new("AP");
            reply.add(710, request_id).add(727, 0).add(728, 2);
            if let Some(generic) = &generic {
                generic.add_to(&mut reply, "none", "0");
            }
            self.queue(key, reply);
            return;
        }
        for (position_id, report) in reports {
            let digits = report
                .symbol
                .as_ref()
                .map_or(9, |symbol| self.digits_of_symbol(symbol));
            let mut reply = Outbound::new("AP");
            reply
                .add_opt(55, report.symbol)
                .add_opt(710, report.request_id)
                .add_opt(721, position_id)
                .add(727, total)
                .add(728, 0)
                .add_opt(
                    730,
                    report.settlement_price.map(|px| price_text(px, digits)),
                )
                .add(702, 1);
            if generic.is_some() {
                // FIX 4.4's NoPositions entries start with PosType; cTrader's
                // carry none. FIN: the end-of-day (here: current) position.
                reply.add(703, "FIN");
            }
            reply.add(704, report.long).add(705, report.short);
            if let Some(generic) = &generic {
                let settlement = report
                    .settlement_price
                    .map_or_else(|| "0".to_owned(), |px| price_text(px, digits));
                let id = position_id.map_or_else(|| "none".to_owned(), |id| id.to_string());
                generic.add_to(&mut reply, &id, &settlement);
            }
            self.queue(key, reply);
        }
    }

    // ---- Refusals -------------------------------------------------------------

    fn refusal(&self, seq: u64, msg_type: &str, refusal: Refusal) -> Outbound {
        self.refusal_message(Some(seq), Some(msg_type), refusal)
    }

    fn refusal_message(
        &self,
        seq: Option<u64>,
        msg_type: Option<&str>,
        refusal: Refusal,
    ) -> Outbound {
        match refusal {
            Refusal::Session { reason, tag, text } => {
                let mut reply = Outbound::new("3");
                reply
                    .add(45, seq.unwrap_or(0))
                    .add(58, text)
                    .add_opt(371, tag.filter(|tag| *tag != 0))
                    .add_opt(372, msg_type)
                    .add(373, reason);
                reply
            }
            Refusal::Business {
                reason,
                ref_id,
                text,
            } => {
                let mut reply = Outbound::new("j");
                reply
                    .add_opt(45, seq)
                    .add(58, text)
                    .add_opt(372, msg_type)
                    .add_opt(379, ref_id)
                    .add(380, reason);
                reply
            }
        }
    }
}

#[derive(Clone, Debug)]
enum MdRequest {
    Subscribe {
        request_id: String,
        instruments: Vec<InstrumentId>,
        depth: Depth,
    },
    Unsubscribe {
        request_id: String,
    },
    Reject {
        request_id: String,
        reason: Option<char>,
        text: String,
    },
}

fn wrong_session(fields: &Fields<'_>, id_tag: Tag, what: &str, role: &str) -> Refusal {
    Refusal::Business {
        reason: 4,
        ref_id: fields.text(id_tag).ok().flatten().map(str::to_owned),
        text: format!("INVALID_REQUEST: {what} messages are served on the {role} session"),
    }
}

fn cl_ord_id(fields: &Fields<'_>, tag: Tag) -> Result<ClOrdId, Refusal> {
    cl_ord_id_tag(fields, tag)
}

fn cl_ord_id_tag(fields: &Fields<'_>, tag: Tag) -> Result<ClOrdId, Refusal> {
    ClOrdId::new(fields.required(tag)?).map_err(|_| Refusal::bad_value(tag))
}

fn order_id(fields: &Fields<'_>) -> Result<Option<OrderId>, Refusal> {
    fields.parsed(37, |text| OrderId::new(text).ok())
}

fn request_id(fields: &Fields<'_>, tag: Tag) -> Result<RequestId, Refusal> {
    RequestId::new(fields.required(tag)?).map_err(|_| Refusal::bad_value(tag))
}

fn time_in_force(
    fields: &Fields<'_>,
    expire: Option<Timestamp>,
    default: TimeInForce,
) -> Result<TimeInForce, Refusal> {
    Ok(match fields.text(59)? {
        None => expire.map_or(default, TimeInForce::GoodTillDate),
        Some("0") => TimeInForce::Day,
        Some("1") => TimeInForce::GoodTillCancel,
        Some("3") => TimeInForce::ImmediateOrCancel,
        Some("4") => TimeInForce::FillOrKill,
        Some("6") => TimeInForce::GoodTillDate(expire.ok_or(Refusal::missing(126))?),
        Some(_) => return Err(Refusal::bad_value(59)),
    })
}

/// What a generic FIX 4.4 PositionReport carries besides cTrader's fields:
/// the fields FIX 4.4 requires.
struct GenericPositionFields {
    /// ClearingBusinessDate (715): the UTC date of the request.
    business_date: String,
    /// Account (1): the account's login.
    account: u64,
}

impl GenericPositionFields {
    /// PosMaintRptID (721) when missing, 715, the account as Account (1),
    /// AccountType (581) 1 and Parties (448/447/452 client id), and the
    /// settlement prices (730, 731 final, 734).
    fn add_to(&self, reply: &mut Outbound, position_id: &str, settlement: &str) {
        if reply.get(721).is_none() {
            reply.add(721, position_id);
        }
        if reply.get(730).is_none() {
            reply.add(730, settlement);
        }
        reply
            .add(715, &self.business_date)
            .add(453, 1)
            .add(448, self.account)
            .add(447, 'D')
            .add(452, 3)
            .add(1, self.account)
            .add(581, 1)
            .add(731, 1)
            .add(734, settlement);
    }
}

/// `YYYYMMDD` of `at` (UTC).
fn date_text(at: Timestamp) -> String {
    let text = at.to_string();
    text.get(..10).unwrap_or("19700101").replace('-', "")
}
