//! Inbound market data messages as market events.

use model::{
    BookChange, BookDelta, BookEntry, BookSide, BookSnapshot, EntryId, InstrumentId,
    InstrumentTable, MarketEvent, MarketHeader, Price, Quantity, Quote, QuoteSide, RequestId,
    Timestamp, Trade, UtcDateTime, VenueSymbol,
};

use super::error::MarketDataError;
use crate::fix::codec::{Decoder, DecoderConfig, FieldRef, Message, Tag};
use crate::fix::orders::{
    FieldProblem, FixVersion, OrderDialect, char_value, id, incorrect_format, incorrect_value,
    price, quantity, shown, timestamp, uint64,
};
use crate::fix::session::AppMessage;
use crate::fix::tags;

/// MDReqRejReason (281): why the venue refused a MarketDataRequest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MdReqRejReason {
    /// 0: unknown symbol (cTrader: a symbol that is not a numeric id).
    UnknownSymbol,
    /// 1: duplicate MDReqID.
    DuplicateMdReqId,
    /// 2: insufficient bandwidth.
    InsufficientBandwidth,
    /// 3: insufficient permissions.
    InsufficientPermissions,
    /// 4: unsupported SubscriptionRequestType (263).
    UnsupportedSubscriptionRequestType,
    /// 5: unsupported MarketDepth (264).
    UnsupportedMarketDepth,
    /// 6: unsupported MDUpdateType (265).
    UnsupportedMdUpdateType,
    /// 7: unsupported AggregatedBook (266).
    UnsupportedAggregatedBook,
    /// 8: unsupported MDEntryType (269).
    UnsupportedMdEntryType,
    /// 9 (FIX 4.4): unsupported TradingSessionID (336).
    UnsupportedTradingSessionId,
    /// A (FIX 4.4): unsupported Scope (546).
    UnsupportedScope,
    /// B (FIX 4.4): unsupported OpenCloseSettlFlag (286).
    UnsupportedOpenCloseSettlFlag,
    /// C (FIX 4.4): unsupported MDImplicitDelete (547).
    UnsupportedMdImplicitDelete,
}

impl MdReqRejReason {
    /// The value of MDReqRejReason (281).
    pub const fn code(self) -> char {
        match self {
            Self::UnknownSymbol => '0',
            Self::DuplicateMdReqId => '1',
            Self::InsufficientBandwidth => '2',
            Self::InsufficientPermissions => '3',
            Self::UnsupportedSubscriptionRequestType => '4',
            Self::UnsupportedMarketDepth => '5',
            Self::UnsupportedMdUpdateType => '6',
            Self::UnsupportedAggregatedBook => '7',
            Self::UnsupportedMdEntryType => '8',
            Self::UnsupportedTradingSessionId => '9',
            Self::UnsupportedScope => 'A',
            Self::UnsupportedOpenCloseSettlFlag => 'B',
            Self::UnsupportedMdImplicitDelete => 'C',
        }
    }

    /// What the value means, as the FIX specification words it.
    pub const fn meaning(self) -> &'static str {
        match self {
            Self::UnknownSymbol => "unknown symbol",
            Self::DuplicateMdReqId => "duplicate MDReqID",
            Self::InsufficientBandwidth => "insufficient bandwidth",
            Self::InsufficientPermissions => "insufficient permissions",
            Self::UnsupportedSubscriptionRequestType => "unsupported SubscriptionRequestType",
            Self::UnsupportedMarketDepth => "unsupported MarketDepth",
            Self::UnsupportedMdUpdateType => "unsupported MDUpdateType",
            Self::UnsupportedAggregatedBook => "unsupported AggregatedBook",
            Self::UnsupportedMdEntryType => "unsupported MDEntryType",
            Self::UnsupportedTradingSessionId => "unsupported TradingSessionID",
            Self::UnsupportedScope => "unsupported Scope",
            Self::UnsupportedOpenCloseSettlFlag => "unsupported OpenCloseSettlFlag",
            Self::UnsupportedMdImplicitDelete => "unsupported MDImplicitDelete",
        }
    }
}

/// A MarketDataRequestReject (35=Y): the venue refused a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketDataReject {
    /// MDReqID (262) of the refused request.
    pub request_id: RequestId,
    /// MDReqRejReason (281), when the venue gives one.
    pub reason: Option<MdReqRejReason>,
    /// Text (58), invalid UTF-8 replaced.
    pub text: Option<String>,
}

/// What one inbound market data message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarketDataMessage {
    /// A MarketDataSnapshotFullRefresh (W) or MarketDataIncrementalRefresh
    /// (X): its events, in the order to apply them (see the
    /// [module docs](super)). May be empty (an X with no entries, or only
    /// entry types EMP has no event for).
    Events(Vec<MarketEvent>),
    /// A MarketDataRequestReject (Y).
    Reject(MarketDataReject),
}

/// Maps a decoded application message to what it says about market data:
/// MarketDataSnapshotFullRefresh (W) and MarketDataIncrementalRefresh (X)
/// to [`MarketEvent`]s, MarketDataRequestReject (Y) to a
/// [`MarketDataReject`]. Every other message is `None`.
///
/// Symbols are looked up in `instruments` ([`InstrumentTable::by_symbol`]);
/// `now` is the events' receive time. A problem with any field is a
/// [`MarketDataError`] and no events, never a panic.
pub fn decode_message(
    message: &Message<'_>,
    dialect: &OrderDialect,
    instruments: &InstrumentTable,
    now: Timestamp,
) -> Result<Option<MarketDataMessage>, MarketDataError> {
    let reader = |msg_type| Reader {
        message: *message,
        msg_type,
        dialect,
    };
    let decoded = match message.msg_type() {
        b"W" => MarketDataMessage::Events(full_refresh(&reader("W"), instruments, now)?),
        b"X" => MarketDataMessage::Events(incremental_refresh(&reader("X"), instruments, now)?),
        b"Y" => MarketDataMessage::Reject(request_reject(&reader("Y"))?),
        _ => return Ok(None),
    };
    Ok(Some(decoded))
}

/// Decodes the application messages a session delivers
/// ([`SessionEvent::App`](crate::fix::session::SessionEvent::App)) into
/// market data. Keeps its decoder's field index between messages.
#[derive(Debug)]
pub struct MarketDataDecoder {
    decoder: Decoder,
    dialect: OrderDialect,
}

impl MarketDataDecoder {
    /// A decoder for `dialect`; pass the session's
    /// [`decoder_config`](crate::fix::session::SessionConfig::decoder_config)
    /// so both read the same fields.
    pub fn new(dialect: OrderDialect, config: DecoderConfig) -> Self {
        Self {
            decoder: Decoder::new(config),
            dialect,
        }
    }

    /// The dialect.
    pub fn dialect(&self) -> &OrderDialect {
        &self.dialect
    }

    /// What `message` says about market data, if anything (see
    /// [`decode_message`]).
    pub fn decode(
        &mut self,
        message: &AppMessage,
        instruments: &InstrumentTable,
        now: Timestamp,
    ) -> Result<Option<MarketDataMessage>, MarketDataError> {
        let decoded = self
            .decoder
            .decode(&message.bytes)
            .map_err(MarketDataError::Decode)?;
        decode_message(&decoded, &self.dialect, instruments, now)
    }
}

/// Field access for one message, with errors that name it.
struct Reader<'m, 'd> {
    message: Message<'m>,
    msg_type: &'static str,
    dialect: &'d OrderDialect,
}

impl<'m> Reader<'m, '_> {
    fn fail(&self, tag: Tag, problem: FieldProblem) -> MarketDataError {
        MarketDataError::field(self.msg_type, tag, problem)
    }

    /// Missing: required by the dictionary (in the body, or in a
    /// NoMDEntries entry when `in_entry`), or only by the mapping.
    fn missing(&self, tag: Tag, in_entry: bool) -> MarketDataError {
        let problem = if self.requires(tag, in_entry) {
            FieldProblem::Missing
        } else {
            FieldProblem::ConditionallyMissing
        };
        self.fail(tag, problem)
    }

    /// True when the dialect's dictionary requires `tag`. Only asked on
    /// error paths.
    fn requires(&self, tag: Tag, in_entry: bool) -> bool {
        let Ok(dict) = self.dialect.dictionary().load() else {
            return false;
        };
        let Some(message) = dict.message(self.msg_type.as_bytes()) else {
            return false;
        };
        let fields = if in_entry {
            match message.body().group(268) {
                Some(group) => group.entry(),
                None => return false,
            }
        } else {
            message.body()
        };
        fields.required_tags().any(|required| required == tag)
    }

    /// Parses one field's value; an empty value is an error.
    fn parse<T>(
        &self,
        field: FieldRef<'m>,
        parse: impl FnOnce(FieldRef<'m>) -> Result<T, FieldProblem>,
    ) -> Result<T, MarketDataError> {
        if field.value().is_empty() {
            return Err(self.fail(field.tag(), FieldProblem::Empty));
        }
        parse(field).map_err(|problem| self.fail(field.tag(), problem))
    }

    fn optional<T>(
        &self,
        field: Option<FieldRef<'m>>,
        parse: impl FnOnce(FieldRef<'m>) -> Result<T, FieldProblem>,
    ) -> Result<Option<T>, MarketDataError> {
        field.map(|field| self.parse(field, parse)).transpose()
    }

    /// A field of an entry (`in_entry`) or of the body that the mapping
    /// needs.
    fn required<T>(
        &self,
        field: Option<FieldRef<'m>>,
        tag: Tag,
        in_entry: bool,
        parse: impl FnOnce(FieldRef<'m>) -> Result<T, FieldProblem>,
    ) -> Result<T, MarketDataError> {
        self.optional(field, parse)?
            .ok_or_else(|| self.missing(tag, in_entry))
    }

    /// Free text: never an error (invalid UTF-8 is replaced).
    fn text(&self, tag: Tag) -> Option<String> {
        self.message
            .get(tag)
            .map(|field| String::from_utf8_lossy(field.value()).into_owned())
    }

    /// SendingTime (52), required in every header.
    fn sending_time(&self) -> Result<Timestamp, MarketDataError> {
        let field = self
            .message
            .get(tags::SENDING_TIME)
            .ok_or_else(|| self.fail(tags::SENDING_TIME, FieldProblem::Missing))?;
        self.parse(field, timestamp)
    }

    /// The instrument the venue calls `symbol`.
    fn instrument(
        &self,
        instruments: &InstrumentTable,
        symbol: VenueSymbol,
    ) -> Result<InstrumentId, MarketDataError> {
        instruments
            .by_symbol(&symbol)
            .map(|instrument| instrument.id)
            .ok_or(MarketDataError::UnknownSymbol {
                msg_type: self.msg_type,
                symbol,
            })
    }
}

// ---- NoMDEntries (268) --------------------------------------------------------

/// The entry fields the mapping reads: MDUpdateAction, MDEntryType,
/// MDEntryID, Symbol, MDEntryPx, MDEntrySize, MDEntryDate, MDEntryTime.
const ENTRY_TAGS: [Tag; 8] = [279, 269, 278, 55, 270, 271, 272, 273];

/// ApplQueueDepth and ApplQueueResolution: FIX 4.4 body fields that may
/// follow the NoMDEntries group.
const AFTER_GROUP: [Tag; 2] = [813, 814];

/// One NoMDEntries entry: the fields of [`ENTRY_TAGS`] it has.
#[derive(Clone, Copy, Debug, Default)]
struct Entry<'m> {
    fields: [Option<FieldRef<'m>>; ENTRY_TAGS.len()],
}

impl<'m> Entry<'m> {
    fn get(&self, tag: Tag) -> Option<FieldRef<'m>> {
        let slot = ENTRY_TAGS.iter().position(|&member| member == tag)?;
        self.fields[slot]
    }
}

/// The NoMDEntries group: the index of its NumInGroup field and its
/// entries.
struct Group<'m> {
    count_index: usize,
    entries: Vec<Entry<'m>>,
}

/// Reads the NoMDEntries group. It runs from NoMDEntries (268) to the
/// trailer (or ApplQueueDepth / ApplQueueResolution); an entry starts at
/// `delimiter` (MDEntryType in W, MDUpdateAction in X) or at a field of
/// [`ENTRY_TAGS`] the current entry already has. Fields the mapping does
/// not read stay in their entry and are ignored. The entries must number
/// what 268 declares, and each must start with the delimiter.
fn md_entries<'m>(r: &Reader<'m, '_>, delimiter: Tag) -> Result<Group<'m>, MarketDataError> {
    let fields = r.message.fields();
    let Some(count_index) = fields.iter().position(|field| field.tag() == 268) else {
        return Err(r.missing(268, false));
    };
    let declared = r.required(r.message.field_at(count_index), 268, false, uint64)?;
    let mut entries: Vec<Entry<'m>> = Vec::new();
    for field in (count_index + 1..fields.len()).map_while(|index| r.message.field_at(index)) {
        let tag = field.tag();
        if tags::STANDARD_TRAILER.contains(&tag) || AFTER_GROUP.contains(&tag) {
            break;
        }
        let slot = ENTRY_TAGS.iter().position(|&member| member == tag);
        let starts = match entries.last() {
            None => true,
            Some(current) => {
                tag == delimiter || slot.is_some_and(|slot| current.fields[slot].is_some())
            }
        };
        if starts {
            entries.push(Entry::default());
        }
        if let (Some(slot), Some(current)) = (slot, entries.last_mut()) {
            current.fields[slot] = Some(field);
        }
    }
    let actual = entries.len() as u64;
    if actual != declared {
        return Err(r.fail(268, FieldProblem::NumInGroup { declared, actual }));
    }
    if entries.iter().any(|entry| entry.get(delimiter).is_none()) {
        return Err(r.missing(delimiter, true));
    }
    Ok(Group {
        count_index,
        entries,
    })
}

/// Nanoseconds in a day.
const DAY_NANOS: u64 = 86_400_000_000_000;

/// What an MDEntryType (269) is to EMP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryKind {
    /// 0 bid, 1 offer.
    Book(BookSide),
    /// 2 trade.
    Trade,
    /// Index value, opening price, … : no EMP event.
    Other,
}

/// MDUpdateAction (279).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UpdateAction {
    New,
    Change,
    Delete,
}

/// The exchange time of an entry: MDEntryTime (273) on MDEntryDate (272),
/// or on the date of SendingTime when 272 is absent (a day earlier if that
/// would put the entry more than 12 hours after SendingTime: an entry
/// stamped just before midnight, sent just after). `None` without 273.
fn entry_time(
    r: &Reader<'_, '_>,
    entry: &Entry<'_>,
    sending_time: Timestamp,
) -> Result<Option<Timestamp>, MarketDataError> {
    let date = r.optional(entry.get(272), date_only)?;
    let Some(time) = entry.get(273) else {
        return Ok(None);
    };
    let (hour, minute, second, nanosecond) = r.parse(time, time_only)?;
    let sent = sending_time.to_utc();
    let (year, month, day) = date.unwrap_or((sent.year, sent.month, sent.day));
    let at = Timestamp::from_utc(UtcDateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanosecond,
    })
    .map_err(|error| {
        let (tag, field) = match entry.get(272) {
            Some(field) => (272, field),
            None => (273, time),
        };
        r.fail(
            tag,
            FieldProblem::IncorrectValue {
                value: shown(field.value()),
                reason: error.to_string(),
            },
        )
    })?;
    if date.is_none() && at.saturating_nanos_since(sending_time) > DAY_NANOS / 2 {
        return Ok(Some(Timestamp::from_unix_nanos(
            at.unix_nanos().saturating_sub(DAY_NANOS),
        )));
    }
    Ok(Some(at))
}

fn header(instrument: InstrumentId, exchange_time: Timestamp, now: Timestamp) -> MarketHeader {
    MarketHeader {
        instrument,
        sequence: None,
        exchange_time: Some(exchange_time),
        receive_time: now,
    }
}

fn latest(current: Option<Timestamp>, time: Option<Timestamp>) -> Option<Timestamp> {
    match (current, time) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// A trade entry (269=2): MDEntryPx and MDEntrySize required.
fn trade(
    r: &Reader<'_, '_>,
    entry: &Entry<'_>,
    instrument: InstrumentId,
    sending_time: Timestamp,
    now: Timestamp,
) -> Result<MarketEvent, MarketDataError> {
    let time = entry_time(r, entry, sending_time)?.unwrap_or(sending_time);
    Ok(MarketEvent::Trade(Trade {
        header: header(instrument, time, now),
        price: r.required(entry.get(270), 270, true, price)?,
        size: r.required(entry.get(271), 271, true, quantity)?,
        aggressor: None,
        trade_id: None,
    }))
}

// ---- 35=W ---------------------------------------------------------------------

/// One bid or offer of a full refresh.
struct Level {
    side: BookSide,
    price: Price,
    size: Option<Quantity>,
    entry_id: Option<EntryId>,
}

fn full_refresh(
    r: &Reader<'_, '_>,
    instruments: &InstrumentTable,
    now: Timestamp,
) -> Result<Vec<MarketEvent>, MarketDataError> {
    let version = r.dialect.version();
    let group = md_entries(r, 269)?;
    let sending_time = r.sending_time()?;
    // Symbol is a body field, before the group.
    let symbol = r.message.fields()[..group.count_index]
        .iter()
        .find(|field| field.tag() == 55)
        .map(|&field| r.message.field_ref(field));
    let symbol = r.required(symbol, 55, false, id(VenueSymbol::from_ascii))?;
    let instrument = r.instrument(instruments, symbol)?;

    let mut events = Vec::new();
    let mut levels = Vec::new();
    let mut book_time = None;
    for entry in &group.entries {
        let kind = r.required(entry.get(269), 269, true, |field| {
            entry_type(version, field)
        })?;
        match kind {
            EntryKind::Book(side) => {
                levels.push(Level {
                    side,
                    price: r.required(entry.get(270), 270, true, price)?,
                    size: r.optional(entry.get(271), quantity)?,
                    entry_id: r.optional(entry.get(278), id(EntryId::from_ascii))?,
                });
                book_time = latest(book_time, entry_time(r, entry, sending_time)?);
            }
            EntryKind::Trade => events.push(trade(r, entry, instrument, sending_time, now)?),
            EntryKind::Other => {}
        }
    }
    if levels.is_empty() && !group.entries.is_empty() {
        // Trades (or other entry types) only: nothing about the book.
        return Ok(events);
    }
    let header = header(instrument, book_time.unwrap_or(sending_time), now);
    events.insert(0, book_event(r, header, levels)?);
    Ok(events)
}

/// A Snapshot when every bid and offer has a size, a Quote (sizes `None`)
/// when none has one and there is at most one per side.
fn book_event(
    r: &Reader<'_, '_>,
    header: MarketHeader,
    levels: Vec<Level>,
) -> Result<MarketEvent, MarketDataError> {
    let sized = levels.iter().filter(|level| level.size.is_some()).count();
    let count = |side| levels.iter().filter(|level| level.side == side).count();
    let quote = sized == 0 && count(BookSide::Bid) <= 1 && count(BookSide::Ask) <= 1;
    if quote && !levels.is_empty() {
        let side = |side| {
            levels
                .iter()
                .find(|level| level.side == side)
                .map(|level| QuoteSide {
                    price: level.price,
                    size: None,
                })
        };
        return Ok(MarketEvent::Quote(Quote {
            header,
            bid: side(BookSide::Bid),
            ask: side(BookSide::Ask),
        }));
    }
    if sized != levels.len() {
        // A book of several entries per side needs every size; a quote
        // has none.
        return Err(r.missing(271, true));
    }
    let (mut bids, mut asks) = (Vec::new(), Vec::new());
    for level in levels {
        let book = match level.side {
            BookSide::Bid => &mut bids,
            BookSide::Ask => &mut asks,
        };
        book.push(BookEntry {
            price: level.price,
            size: level.size.unwrap_or(Quantity::ZERO),
            entry_id: level.entry_id,
        });
    }
    Ok(MarketEvent::Snapshot(BookSnapshot { header, bids, asks }))
}

// ---- 35=X ---------------------------------------------------------------------

/// The Delta of one instrument being built: its index in the events and
/// the latest entry time among its changes.
struct OpenDelta {
    instrument: InstrumentId,
    event: usize,
    time: Option<Timestamp>,
}

fn incremental_refresh(
    r: &Reader<'_, '_>,
    instruments: &InstrumentTable,
    now: Timestamp,
) -> Result<Vec<MarketEvent>, MarketDataError> {
    let version = r.dialect.version();
    let group = md_entries(r, 279)?;
    let sending_time = r.sending_time()?;
    let mut events = Vec::new();
    let mut deltas: Vec<OpenDelta> = Vec::new();
    for entry in &group.entries {
        let action = r.required(entry.get(279), 279, true, update_action)?;
        let symbol = r.required(entry.get(55), 55, true, id(VenueSymbol::from_ascii))?;
        let instrument = r.instrument(instruments, symbol)?;
        let entry_id = r.optional(entry.get(278), id(EntryId::from_ascii))?;
        let kind = r.optional(entry.get(269), |field| entry_type(version, field))?;
        let side = match kind {
            Some(EntryKind::Trade) => {
                // Trade corrections and busts (279=1, 2) have no event.
                if action == UpdateAction::New {
                    events.push(trade(r, entry, instrument, sending_time, now)?);
                }
                continue;
            }
            Some(EntryKind::Other) => continue,
            Some(EntryKind::Book(side)) => Some(side),
            None => None,
        };
        let change = match (action, entry_id) {
            (UpdateAction::Delete, Some(entry_id)) => BookChange::DeleteEntry { entry_id },
            (action, entry_id) => {
                let side = side.ok_or_else(|| r.missing(269, true))?;
                let price = r.required(entry.get(270), 270, true, price)?;
                let size = match action {
                    UpdateAction::Delete => Quantity::ZERO,
                    UpdateAction::New | UpdateAction::Change => {
                        r.required(entry.get(271), 271, true, quantity)?
                    }
                };
                match (action, entry_id) {
                    (UpdateAction::New, Some(entry_id)) => BookChange::AddEntry {
                        side,
                        entry_id,
                        price,
                        size,
                    },
                    (UpdateAction::Change, Some(entry_id)) => BookChange::ChangeEntry {
                        side,
                        entry_id,
                        price,
                        size,
                    },
                    _ => BookChange::SetLevel { side, price, size },
                }
            }
        };
        let time = entry_time(r, entry, sending_time)?;
        if !deltas.iter().any(|open| open.instrument == instrument) {
            deltas.push(OpenDelta {
                instrument,
                event: events.len(),
                time: None,
            });
            events.push(MarketEvent::Delta(BookDelta {
                header: header(instrument, sending_time, now),
                changes: Vec::new(),
            }));
        }
        if let Some(open) = deltas.iter_mut().find(|open| open.instrument == instrument) {
            open.time = latest(open.time, time);
            if let Some(MarketEvent::Delta(delta)) = events.get_mut(open.event) {
                delta.changes.push(change);
            }
        }
    }
    for open in deltas {
        if let (Some(time), Some(MarketEvent::Delta(delta))) =
            (open.time, events.get_mut(open.event))
        {
            delta.header.exchange_time = Some(time);
        }
    }
    Ok(events)
}

// ---- 35=Y ---------------------------------------------------------------------

fn request_reject(r: &Reader<'_, '_>) -> Result<MarketDataReject, MarketDataError> {
    let version = r.dialect.version();
    Ok(MarketDataReject {
        request_id: r.required(r.message.get(262), 262, false, id(RequestId::from_ascii))?,
        reason: r.optional(r.message.get(281), |field| rej_reason(version, field))?,
        text: r.text(58),
    })
}

// ---- Field parsers ------------------------------------------------------------

fn entry_type(version: FixVersion, field: FieldRef<'_>) -> Result<EntryKind, FieldProblem> {
    match (char_value(field)?, version) {
        (b'0', _) => Ok(EntryKind::Book(BookSide::Bid)),
        (b'1', _) => Ok(EntryKind::Book(BookSide::Ask)),
        (b'2', _) => Ok(EntryKind::Trade),
        (b'3'..=b'9', _) | (b'A'..=b'C', FixVersion::Fix44) => Ok(EntryKind::Other),
        _ => Err(incorrect_value(
            field,
            match version {
                FixVersion::Fix42 => "not a FIX 4.2 MDEntryType (0-9)",
                FixVersion::Fix44 => "not a FIX 4.4 MDEntryType (0-9, A-C)",
            },
        )),
    }
}

fn update_action(field: FieldRef<'_>) -> Result<UpdateAction, FieldProblem> {
    match char_value(field)? {
        b'0' => Ok(UpdateAction::New),
        b'1' => Ok(UpdateAction::Change),
        b'2' => Ok(UpdateAction::Delete),
        _ => Err(incorrect_value(
            field,
            "not an MDUpdateAction (0 new, 1 change, 2 delete)",
        )),
    }
}

fn rej_reason(version: FixVersion, field: FieldRef<'_>) -> Result<MdReqRejReason, FieldProblem> {
    use MdReqRejReason as R;
    let reason = match (char_value(field)?, version) {
        (b'0', _) => R::UnknownSymbol,
        (b'1', _) => R::DuplicateMdReqId,
        (b'2', _) => R::InsufficientBandwidth,
        (b'3', _) => R::InsufficientPermissions,
        (b'4', _) => R::UnsupportedSubscriptionRequestType,
        (b'5', _) => R::UnsupportedMarketDepth,
        (b'6', _) => R::UnsupportedMdUpdateType,
        (b'7', _) => R::UnsupportedAggregatedBook,
        (b'8', _) => R::UnsupportedMdEntryType,
        (b'9', FixVersion::Fix44) => R::UnsupportedTradingSessionId,
        (b'A', FixVersion::Fix44) => R::UnsupportedScope,
        (b'B', FixVersion::Fix44) => R::UnsupportedOpenCloseSettlFlag,
        (b'C', FixVersion::Fix44) => R::UnsupportedMdImplicitDelete,
        _ => {
            return Err(incorrect_value(
                field,
                match version {
                    FixVersion::Fix42 => "not a FIX 4.2 MDReqRejReason (0-8)",
                    FixVersion::Fix44 => "not a FIX 4.4 MDReqRejReason (0-9, A-C)",
                },
            ));
        }
    };
    Ok(reason)
}

/// MDEntryDate (272): UTCDate (4.2) / UTCDateOnly (4.4), `YYYYMMDD`.
fn date_only(field: FieldRef<'_>) -> Result<(u16, u8, u8), FieldProblem> {
    field
        .as_date_only()
        .map_err(|_| incorrect_format(field, "a UTCDateOnly (YYYYMMDD)"))
}

/// MDEntryTime (273): UTCTimeOnly, `HH:MM:SS[.fff]`.
fn time_only(field: FieldRef<'_>) -> Result<(u8, u8, u8, u32), FieldProblem> {
    field
        .as_time_only()
        .map_err(|_| incorrect_format(field, "a UTCTimeOnly (HH:MM:SS[.fff])"))
}
