//! Inbound order messages as venue events.

use model::{
    BusinessReject, CancelReject, CancelRejectResponseTo, ClOrdId, Decimal, ExecId, ExecType,
    ExecutionReport, IdError, Money, OrdStatus, OrderId, PositionReport, Price, Quantity,
    RequestId, Side, Timestamp, VenueEvent, VenueSymbol,
};

use super::dialect::{FixVersion, OrderDialect};
use super::error::{FieldProblem, OrderMapError, shown};
use crate::fix::codec::{DecodeErrorKind, Decoder, DecoderConfig, FieldRef, Message, Tag};
use crate::fix::session::AppMessage;
use crate::fix::tags;

/// Maps a decoded application message to the event it reports:
/// ExecutionReport (8), OrderCancelReject (9), BusinessMessageReject (j)
/// and, in FIX 4.4, PositionReport (AP). Every other message is `None`.
///
/// The message is expected to have passed the session's validation; the
/// fields the mapping reads are checked again all the same, and a problem
/// is an [`OrderMapError`], never a panic.
pub fn decode_message(
    message: &Message<'_>,
    dialect: &OrderDialect,
) -> Result<Option<VenueEvent>, OrderMapError> {
    let reader = |msg_type| Reader {
        message: *message,
        msg_type,
        dialect,
    };
    let event = match message.msg_type() {
        b"8" => VenueEvent::Execution(execution_report(&reader("8"))?),
        b"9" => VenueEvent::CancelReject(cancel_reject(&reader("9"))?),
        b"j" => VenueEvent::BusinessReject(business_reject(&reader("j"))?),
        b"AP" if dialect.version() == FixVersion::Fix44 => position_report(&reader("AP"))?,
        _ => return Ok(None),
    };
    Ok(Some(event))
}

/// Decodes the application messages a session delivers
/// ([`SessionEvent::App`](crate::fix::session::SessionEvent::App)) into
/// venue events. Keeps its decoder's field index between messages.
#[derive(Debug)]
pub struct OrderDecoder {
    decoder: Decoder,
    dialect: OrderDialect,
}

impl OrderDecoder {
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

    /// The event `message` reports, if it reports one (see
    /// [`decode_message`]).
    pub fn decode(&mut self, message: &AppMessage) -> Result<Option<VenueEvent>, OrderMapError> {
        let decoded = self
            .decoder
            .decode(&message.bytes)
            .map_err(OrderMapError::Decode)?;
        decode_message(&decoded, &self.dialect)
    }
}

/// Field access for one message, with errors that name it.
struct Reader<'m, 'd> {
    message: Message<'m>,
    msg_type: &'static str,
    dialect: &'d OrderDialect,
}

impl<'m> Reader<'m, '_> {
    fn fail(&self, tag: Tag, problem: FieldProblem) -> OrderMapError {
        OrderMapError::field(self.msg_type, tag, problem)
    }

    /// Missing: required by the dictionary, or only by the mapping.
    fn missing(&self, tag: Tag) -> OrderMapError {
        let problem = if self.dialect.requires(self.msg_type, tag) {
            FieldProblem::Missing
        } else {
            FieldProblem::ConditionallyMissing
        };
        self.fail(tag, problem)
    }

    /// Parses one field's value; an empty value is an error.
    fn parse<T>(
        &self,
        field: FieldRef<'m>,
        parse: impl FnOnce(FieldRef<'m>) -> Result<T, FieldProblem>,
    ) -> Result<T, OrderMapError> {
        if field.value().is_empty() {
            return Err(self.fail(field.tag(), FieldProblem::Empty));
        }
        parse(field).map_err(|problem| self.fail(field.tag(), problem))
    }

    fn optional<T>(
        &self,
        tag: Tag,
        parse: impl FnOnce(FieldRef<'m>) -> Result<T, FieldProblem>,
    ) -> Result<Option<T>, OrderMapError> {
        self.message
            .get(tag)
            .map(|field| self.parse(field, parse))
            .transpose()
    }

    fn required<T>(
        &self,
        tag: Tag,
        parse: impl FnOnce(FieldRef<'m>) -> Result<T, FieldProblem>,
    ) -> Result<T, OrderMapError> {
        self.optional(tag, parse)?.ok_or_else(|| self.missing(tag))
    }

    /// Free text: never an error (invalid UTF-8 is replaced).
    fn text(&self, tag: Tag) -> Option<String> {
        self.message
            .get(tag)
            .map(|field| String::from_utf8_lossy(field.value()).into_owned())
    }
}

fn execution_report(r: &Reader<'_, '_>) -> Result<ExecutionReport, OrderMapError> {
    let version = r.dialect.version();
    let exec_id = match r.optional(17, id(ExecId::from_ascii))? {
        Some(exec_id) => exec_id,
        None if r.dialect.is_ctrader() => derived_exec_id(&r.message)
            .map_err(|error| r.fail(17, FieldProblem::InvalidId(error)))?,
        None => return Err(r.missing(17)),
    };
    let mut exec_type = r.required(150, |field| exec_type(version, field))?;
    if version == FixVersion::Fix42
        && let Some(transaction) = r.required(20, exec_trans_type)?
    {
        exec_type = transaction;
    }
    let commission = match r.optional(13, |field| comm_type(version, field))? {
        None | Some(CommType::Absolute) => r.optional(12, money)?,
        Some(CommType::Relative) => None,
    };
    Ok(ExecutionReport {
        exec_id,
        exec_type,
        ord_status: r.required(39, |field| ord_status(version, field))?,
        cl_ord_id: r.optional(11, id(ClOrdId::from_ascii))?,
        orig_cl_ord_id: r.optional(41, id(ClOrdId::from_ascii))?,
        order_id: r.optional(37, order_id)?.flatten(),
        symbol: r.required(55, id(VenueSymbol::from_ascii))?,
        side: r.required(54, side)?,
        order_qty: r.optional(38, quantity)?,
        price: r.optional(44, price)?,
        last_qty: r.optional(32, quantity)?.unwrap_or(Quantity::ZERO),
        last_px: r.optional(31, price)?,
        cum_qty: r.required(14, quantity)?,
        leaves_qty: r.required(151, quantity)?,
        avg_px: r.optional(6, price)?,
        commission,
        exec_ref_id: r.optional(19, id(ExecId::from_ascii))?,
        reject_reason: r.optional(103, uint32)?,
        text: r.text(58),
        transact_time: r.optional(60, timestamp)?,
        mass_status_request_id: r.optional(584, id(RequestId::from_ascii))?,
        total_reports: r.optional(911, uint32)?,
        last_report: r.optional(912, boolean)?.unwrap_or(false),
    })
}

fn cancel_reject(r: &Reader<'_, '_>) -> Result<CancelReject, OrderMapError> {
    let version = r.dialect.version();
    Ok(CancelReject {
        cl_ord_id: r.required(11, id(ClOrdId::from_ascii))?,
        orig_cl_ord_id: r.optional(41, id(ClOrdId::from_ascii))?,
        order_id: r.optional(37, order_id)?.flatten(),
        ord_status: r.optional(39, |field| ord_status(version, field))?,
        response_to: r.required(434, response_to)?,
        reason: r.optional(102, uint32)?,
        text: r.text(58),
    })
}

fn business_reject(r: &Reader<'_, '_>) -> Result<BusinessReject, OrderMapError> {
    Ok(BusinessReject {
        ref_msg_type: r.text(372),
        ref_id: r.text(379),
        reason: r.required(380, uint32)?,
        text: r.text(58),
    })
}

/// A PositionReport, or a BusinessReject when PosReqResult (728) says the
/// request failed (1 invalid or unsupported, 3 not authorized, 4 position
/// requests not supported, 99 other): a report of no positions would read
/// as "flat".
fn position_report(r: &Reader<'_, '_>) -> Result<VenueEvent, OrderMapError> {
    let result = r.required(728, pos_req_result)?;
    let request_id = r.optional(710, id(RequestId::from_ascii))?;
    if let Some(name) = result.failure {
        // BusinessRejectReason: 6 not authorized, 3 unsupported, 0 other.
        let reason = match result.code {
            3 => 6,
            4 => 3,
            _ => 0,
        };
        let text = match r.text(58) {
            Some(text) => format!("PosReqResult {} ({name}): {text}", result.code),
            None => format!("PosReqResult {} ({name})", result.code),
        };
        return Ok(VenueEvent::BusinessReject(BusinessReject {
            ref_msg_type: Some("AN".to_owned()),
            ref_id: request_id.map(|id| id.as_str().to_owned()),
            reason,
            text: Some(text),
        }));
    }
    let (long, short) = position_quantities(r)?;
    Ok(VenueEvent::Position(PositionReport {
        request_id,
        symbol: r.optional(55, id(VenueSymbol::from_ascii))?,
        long,
        short,
        settlement_price: r.optional(730, price)?,
        total_reports: r.optional(727, uint32)?,
    }))
}

/// NoPositions (702) tags read here: PosType, LongQty, ShortQty,
/// PosQtyStatus.
const POSITION_ENTRY: [Tag; 4] = [703, 704, 705, 706];

/// LongQty and ShortQty summed over the NoPositions entries. An entry
/// starts at PosType (703) or at a tag already seen in the current entry
/// (cTrader's entries have no PosType).
fn position_quantities(r: &Reader<'_, '_>) -> Result<(Quantity, Quantity), OrderMapError> {
    let fields = r.message.fields();
    let Some(count_index) = fields.iter().position(|field| field.tag() == 702) else {
        if r.message.get(704).is_some() || r.message.get(705).is_some() {
            return Err(r.fail(702, FieldProblem::ConditionallyMissing));
        }
        return Ok((Quantity::ZERO, Quantity::ZERO));
    };
    let declared = r.required(702, uint64)?;
    let (mut long, mut short) = (Quantity::ZERO, Quantity::ZERO);
    let mut entries = 0u64;
    let mut seen = [false; POSITION_ENTRY.len()];
    for field in (count_index + 1..fields.len()).map_while(|index| r.message.field_at(index)) {
        let tag = field.tag();
        let Some(slot) = POSITION_ENTRY.iter().position(|&member| member == tag) else {
            break;
        };
        if entries == 0 || tag == POSITION_ENTRY[0] || seen[slot] {
            entries += 1;
            seen = [false; POSITION_ENTRY.len()];
        }
        seen[slot] = true;
        let total = match tag {
            704 => &mut long,
            705 => &mut short,
            _ => continue,
        };
        let value = r.parse(field, quantity)?;
        *total = total.checked_add(value).ok_or_else(|| {
            r.fail(
                tag,
                FieldProblem::IncorrectValue {
                    value: shown(field.value()),
                    reason: "the sum over the position's entries overflows".to_owned(),
                },
            )
        })?;
    }
    if entries != declared {
        return Err(r.fail(
            702,
            FieldProblem::NumInGroup {
                declared,
                actual: entries,
            },
        ));
    }
    Ok((long, short))
}

/// cTrader's reports carry no ExecID: `derived-` and a 128-bit FNV-1a hash
/// of every body field (tag, value length, value), so a resent report gets
/// the same id and any other report a different one.
fn derived_exec_id(message: &Message<'_>) -> Result<ExecId, IdError> {
    let mut hash = Fnv128::new();
    for field in message.iter() {
        let tag = field.tag();
        if tags::STANDARD_HEADER.contains(&tag) || tags::STANDARD_TRAILER.contains(&tag) {
            continue;
        }
        hash.write(&tag.to_le_bytes());
        hash.write(&(field.value().len() as u64).to_le_bytes());
        hash.write(field.value());
    }
    ExecId::new(&format!("derived-{:032x}", hash.0))
}

/// FNV-1a, 128 bits: the same on every machine and every run.
struct Fnv128(u128);

impl Fnv128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

    const fn new() -> Self {
        Self(Self::OFFSET)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u128::from(byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }
}

// ---- Field parsers ----------------------------------------------------------

pub(crate) fn incorrect_format(field: FieldRef<'_>, expected: &'static str) -> FieldProblem {
    FieldProblem::IncorrectFormat {
        value: shown(field.value()),
        expected,
    }
}

pub(crate) fn incorrect_value(field: FieldRef<'_>, reason: impl Into<String>) -> FieldProblem {
    FieldProblem::IncorrectValue {
        value: shown(field.value()),
        reason: reason.into(),
    }
}

pub(crate) fn id<T>(
    parse: fn(&[u8]) -> Result<T, IdError>,
) -> impl FnOnce(FieldRef<'_>) -> Result<T, FieldProblem> {
    move |field| parse(field.value()).map_err(FieldProblem::InvalidId)
}

/// OrderID (37): `NONE` (the venue has none yet) is `None`.
fn order_id(field: FieldRef<'_>) -> Result<Option<OrderId>, FieldProblem> {
    if field.value() == b"NONE" {
        return Ok(None);
    }
    OrderId::from_ascii(field.value())
        .map(Some)
        .map_err(FieldProblem::InvalidId)
}

fn decimal(field: FieldRef<'_>) -> Result<Decimal, FieldProblem> {
    field.as_decimal().map_err(|error| match error.kind {
        DecodeErrorKind::ValueIsIncorrect => {
            incorrect_value(field, "more than 18 significant or fractional digits")
        }
        _ => incorrect_format(field, "a decimal number"),
    })
}

pub(crate) fn quantity(field: FieldRef<'_>) -> Result<Quantity, FieldProblem> {
    Quantity::from_decimal(decimal(field)?)
        .map_err(|error| incorrect_value(field, error.to_string()))
}

pub(crate) fn price(field: FieldRef<'_>) -> Result<Price, FieldProblem> {
    Price::from_decimal(decimal(field)?).map_err(|error| incorrect_value(field, error.to_string()))
}

fn money(field: FieldRef<'_>) -> Result<Money, FieldProblem> {
    decimal(field).map(Money::from_decimal)
}

pub(crate) fn uint64(field: FieldRef<'_>) -> Result<u64, FieldProblem> {
    let value = field
        .as_int()
        .map_err(|_| incorrect_format(field, "an integer"))?;
    u64::try_from(value).map_err(|_| incorrect_value(field, "negative"))
}

fn uint32(field: FieldRef<'_>) -> Result<u32, FieldProblem> {
    u32::try_from(uint64(field)?).map_err(|_| incorrect_value(field, "above 4294967295"))
}

pub(crate) fn timestamp(field: FieldRef<'_>) -> Result<Timestamp, FieldProblem> {
    field.as_timestamp().map_err(|error| match error.kind {
        DecodeErrorKind::ValueIsIncorrect => {
            incorrect_value(field, "outside the years 1970 to 2554")
        }
        _ => incorrect_format(field, "a UTCTimestamp (YYYYMMDD-HH:MM:SS[.fff])"),
    })
}

fn boolean(field: FieldRef<'_>) -> Result<bool, FieldProblem> {
    field
        .as_bool()
        .map_err(|_| incorrect_format(field, "a boolean (Y or N)"))
}

pub(crate) fn char_value(field: FieldRef<'_>) -> Result<u8, FieldProblem> {
    field
        .as_char()
        .map_err(|_| incorrect_format(field, "a single character"))
}

/// Side (54): buy (1) and buy minus (3) buy; sell (2), sell plus (4), sell
/// short (5) and sell short exempt (6) sell. Crosses, lending and the rest
/// have no [`Side`].
fn side(field: FieldRef<'_>) -> Result<Side, FieldProblem> {
    match char_value(field)? {
        b'1' | b'3' => Ok(Side::Buy),
        b'2' | b'4' | b'5' | b'6' => Ok(Side::Sell),
        _ => Err(incorrect_value(
            field,
            "not a buy (1, 3) or sell (2, 4, 5, 6) Side",
        )),
    }
}

fn exec_type(version: FixVersion, field: FieldRef<'_>) -> Result<ExecType, FieldProblem> {
    let value = char_value(field)?;
    let mapped = match (value, version) {
        (b'0', _) => ExecType::New,
        (b'1' | b'2', FixVersion::Fix42) => ExecType::Trade,
        (b'3', _) => ExecType::DoneForDay,
        (b'4', _) => ExecType::Canceled,
        (b'5', _) => ExecType::Replaced,
        (b'6', _) => ExecType::PendingCancel,
        (b'7', _) => ExecType::Stopped,
        (b'8', _) => ExecType::Rejected,
        (b'9', _) => ExecType::Suspended,
        (b'A', _) => ExecType::PendingNew,
        (b'B', _) => ExecType::Calculated,
        (b'C', _) => ExecType::Expired,
        (b'D', _) => ExecType::Restated,
        (b'E', _) => ExecType::PendingReplace,
        (b'F', FixVersion::Fix44) => ExecType::Trade,
        (b'G', FixVersion::Fix44) => ExecType::TradeCorrect,
        (b'H', FixVersion::Fix44) => ExecType::TradeCancel,
        (b'I', FixVersion::Fix44) => ExecType::OrderStatus,
        _ => {
            return Err(incorrect_value(
                field,
                match version {
                    FixVersion::Fix42 => "not a FIX 4.2 ExecType (0-9, A-E)",
                    FixVersion::Fix44 => "not a FIX 4.4 ExecType (0, 3-9, A-I)",
                },
            ));
        }
    };
    Ok(mapped)
}

/// FIX 4.2 ExecTransType (20): `None` for 0 (new), the ExecType that
/// replaces ExecType (150) otherwise.
fn exec_trans_type(field: FieldRef<'_>) -> Result<Option<ExecType>, FieldProblem> {
    match char_value(field)? {
        b'0' => Ok(None),
        b'1' => Ok(Some(ExecType::TradeCancel)),
        b'2' => Ok(Some(ExecType::TradeCorrect)),
        b'3' => Ok(Some(ExecType::OrderStatus)),
        _ => Err(incorrect_value(
            field,
            "not an ExecTransType (0 new, 1 cancel, 2 correct, 3 status)",
        )),
    }
}

fn ord_status(version: FixVersion, field: FieldRef<'_>) -> Result<OrdStatus, FieldProblem> {
    let value = char_value(field)?;
    let mapped = match (value, version) {
        (b'0', _) => OrdStatus::New,
        (b'1', _) => OrdStatus::PartiallyFilled,
        (b'2', _) => OrdStatus::Filled,
        (b'3', _) => OrdStatus::DoneForDay,
        (b'4', _) => OrdStatus::Canceled,
        (b'5', FixVersion::Fix42) => OrdStatus::Replaced,
        (b'6', _) => OrdStatus::PendingCancel,
        (b'7', _) => OrdStatus::Stopped,
        (b'8', _) => OrdStatus::Rejected,
        (b'9', _) => OrdStatus::Suspended,
        (b'A', _) => OrdStatus::PendingNew,
        (b'B', _) => OrdStatus::Calculated,
        (b'C', _) => OrdStatus::Expired,
        (b'D', _) => OrdStatus::AcceptedForBidding,
        (b'E', _) => OrdStatus::PendingReplace,
        _ => {
            return Err(incorrect_value(
                field,
                match version {
                    FixVersion::Fix42 => "not a FIX 4.2 OrdStatus (0-9, A-E)",
                    FixVersion::Fix44 => "not a FIX 4.4 OrdStatus (0-4, 6-9, A-E)",
                },
            ));
        }
    };
    Ok(mapped)
}

/// How Commission (12) is expressed, by CommType (13).
enum CommType {
    /// 3: an amount.
    Absolute,
    /// Per unit, percent, or points: needs the venue's basis to be an amount.
    Relative,
}

fn comm_type(version: FixVersion, field: FieldRef<'_>) -> Result<CommType, FieldProblem> {
    match (char_value(field)?, version) {
        (b'3', _) => Ok(CommType::Absolute),
        (b'1' | b'2', _) | (b'4' | b'5' | b'6', FixVersion::Fix44) => Ok(CommType::Relative),
        _ => Err(incorrect_value(
            field,
            match version {
                FixVersion::Fix42 => "not a FIX 4.2 CommType (1-3)",
                FixVersion::Fix44 => "not a FIX 4.4 CommType (1-6)",
            },
        )),
    }
}

fn response_to(field: FieldRef<'_>) -> Result<CancelRejectResponseTo, FieldProblem> {
    match char_value(field)? {
        b'1' => Ok(CancelRejectResponseTo::Cancel),
        b'2' => Ok(CancelRejectResponseTo::Replace),
        _ => Err(incorrect_value(
            field,
            "not a CxlRejResponseTo (1 cancel, 2 replace)",
        )),
    }
}

/// PosReqResult (728) and, for a failed request, its name.
struct PosReqResult {
    code: u32,
    failure: Option<&'static str>,
}

fn pos_req_result(field: FieldRef<'_>) -> Result<PosReqResult, FieldProblem> {
    let code = uint32(field)?;
    let failure = match code {
        0 | 2 => None,
        1 => Some("invalid or unsupported request"),
        3 => Some("not authorized to request positions"),
        4 => Some("request for position not supported"),
        99 => Some("other"),
        _ => {
            return Err(incorrect_value(field, "not a PosReqResult (0-4, 99)"));
        }
    };
    Ok(PosReqResult { code, failure })
}
