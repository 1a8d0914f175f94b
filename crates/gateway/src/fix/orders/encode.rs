//! Venue commands as FIX messages.

use model::ascii::DIGIT_PAIRS;
use model::{
    CancelOrder, NewOrder, OrderKind, ReplaceOrder, Side, StatusRequest, TimeInForce, Timestamp,
    VenueCommand,
};

use super::dialect::{FixVersion, OrderDialect};
use crate::fix::codec::{BodyWriter, Tag, TimestampPrecision};
use crate::fix::session::{SendError, Session};
use crate::fix::store::MessageStore;

/// Why a command cannot be written in a dialect. Nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsupportedCommand {
    /// The message does not exist in the dialect's FIX version.
    #[error("{message} (35={msg_type}) does not exist in {dialect}; {instead}")]
    NotInVersion {
        /// The message's name.
        message: &'static str,
        /// Its MsgType.
        msg_type: &'static str,
        /// The dialect.
        dialect: String,
        /// What to do instead.
        instead: &'static str,
    },
    /// FIX 4.4's RequestForPositions requires Account (1), and the dialect
    /// has none.
    #[error(
        "RequestForPositions (35=AN) requires Account (1) in {dialect}; set one with OrderDialect::with_account"
    )]
    AccountRequired {
        /// The dialect.
        dialect: String,
    },
    /// The venue would change the order's meaning (a type it does not
    /// support, a time in force it would replace).
    #[error("{dialect} cannot send a {kind} {time_in_force} order: {reason}")]
    OrderTerms {
        /// The dialect.
        dialect: String,
        /// The order type (MARKET, LIMIT, …).
        kind: &'static str,
        /// The time in force (DAY, GTC, …).
        time_in_force: &'static str,
        /// What the venue would do instead.
        reason: &'static str,
    },
}

/// Why [`send_command`] did not send a command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The dialect cannot express the command.
    #[error(transparent)]
    Unsupported(#[from] UnsupportedCommand),
    /// The session refused the message.
    #[error(transparent)]
    Send(#[from] SendError),
}

/// A command checked against a dialect, ready to be written: its MsgType
/// and a body writer, for [`Session::send_app`].
#[derive(Clone, Copy, Debug)]
pub struct EncodedCommand<'c> {
    msg_type: &'static str,
    command: &'c VenueCommand,
    dialect: &'c OrderDialect,
    now: Timestamp,
}

/// Checks that `dialect` can express `command` and returns it ready to be
/// written. `now` is the TransactTime (60) and ClearingBusinessDate (715)
/// of a RequestForPositions; the other commands carry their own
/// TransactTime.
///
/// ```
/// use gateway::fix::orders::{OrderDialect, UnsupportedCommand, encode_command};
/// use model::{RequestId, Timestamp, VenueCommand};
///
/// let command = VenueCommand::MassStatus { request_id: RequestId::new("mass-1")? };
/// let now = Timestamp::UNIX_EPOCH;
/// assert_eq!(encode_command(&command, &OrderDialect::fix44(), now)?.msg_type(), b"AF");
/// let refused = encode_command(&command, &OrderDialect::fix42(), now).unwrap_err();
/// assert!(matches!(refused, UnsupportedCommand::NotInVersion { msg_type: "AF", .. }));
/// assert!(refused.to_string().contains("35=H"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_command<'c>(
    command: &'c VenueCommand,
    dialect: &'c OrderDialect,
    now: Timestamp,
) -> Result<EncodedCommand<'c>, UnsupportedCommand> {
    let msg_type = match command {
        VenueCommand::New(order) => {
            check_terms(dialect, order.kind, order.time_in_force)?;
            "D"
        }
        VenueCommand::Cancel(_) => "F",
        VenueCommand::Replace(order) => {
            check_terms(dialect, order.kind, order.time_in_force)?;
            "G"
        }
        VenueCommand::Status(_) => "H",
        VenueCommand::MassStatus { .. } => {
            if dialect.version() == FixVersion::Fix42 {
                return Err(UnsupportedCommand::NotInVersion {
                    message: "OrderMassStatusRequest",
                    msg_type: "AF",
                    dialect: dialect.to_string(),
                    instead: "query each order with OrderStatusRequest (35=H) instead",
                });
            }
            "AF"
        }
        VenueCommand::Positions { .. } => {
            if dialect.version() == FixVersion::Fix42 {
                return Err(UnsupportedCommand::NotInVersion {
                    message: "RequestForPositions",
                    msg_type: "AN",
                    dialect: dialect.to_string(),
                    instead: "rebuild positions from execution reports (or the venue's own position query)",
                });
            }
            if !dialect.is_ctrader() && dialect.wire_account().is_none() {
                return Err(UnsupportedCommand::AccountRequired {
                    dialect: dialect.to_string(),
                });
            }
            "AN"
        }
    };
    Ok(EncodedCommand {
        msg_type,
        command,
        dialect,
        now,
    })
}

/// Encodes `command` in `dialect` and sends it on `session` (see
/// [`Session::send_app`]); returns its MsgSeqNum. `extra_header` adds header
/// fields such as cTrader's TargetSubID (57) `TRADE`.
pub fn send_command<S: MessageStore>(
    session: &mut Session<S>,
    now: Timestamp,
    command: &VenueCommand,
    dialect: &OrderDialect,
    extra_header: &[(Tag, &[u8])],
) -> Result<u64, CommandError> {
    let encoded = encode_command(command, dialect, now)?;
    Ok(
        session.send_app(now, encoded.msg_type(), extra_header, |body| {
            encoded.write_body(body);
        })?,
    )
}

impl EncodedCommand<'_> {
    /// MsgType (35): D, F, G, H, AF or AN.
    pub fn msg_type(&self) -> &'static [u8] {
        self.msg_type.as_bytes()
    }

    /// Writes the message body.
    pub fn write_body(&self, body: &mut BodyWriter<'_>) {
        let dialect = self.dialect;
        match self.command {
            VenueCommand::New(order) => write_new(body, order, dialect),
            VenueCommand::Cancel(cancel) => write_cancel(body, cancel, dialect),
            VenueCommand::Replace(replace) => write_replace(body, replace, dialect),
            VenueCommand::Status(status) => write_status(body, status, dialect),
            VenueCommand::MassStatus { request_id } => {
                body.str(584, request_id.as_bytes());
                // MassStatusReqType 7: status for all orders.
                body.uint(585, 7);
                write_account(body, dialect);
            }
            VenueCommand::Positions { request_id } => {
                body.str(710, request_id.as_bytes());
                if dialect.is_ctrader() {
                    return;
                }
                // PosReqType 0: positions.
                body.uint(724, 0);
                write_account(body, dialect);
                // AccountType 1: carried on the customer side of the books.
                body.uint(581, 1)
                    .str(715, &utc_date(self.now))
                    .timestamp(60, self.now);
            }
        }
    }
}

/// Refuses order terms cTrader would silently change: it infers the time
/// in force (market orders IOC; limit and stop orders GTC, or GTD with
/// ExpireTime) and has no stop-limit orders.
fn check_terms(
    dialect: &OrderDialect,
    kind: OrderKind,
    time_in_force: TimeInForce,
) -> Result<(), UnsupportedCommand> {
    if !dialect.is_ctrader() {
        return Ok(());
    }
    let reason = match (kind, time_in_force) {
        (OrderKind::StopLimit { .. }, _) => Some("cTrader has no stop-limit orders"),
        (
            OrderKind::Market,
            TimeInForce::ImmediateOrCancel | TimeInForce::Day | TimeInForce::GoodTillCancel,
        ) => None,
        (OrderKind::Market, _) => Some("cTrader executes every market order immediate-or-cancel"),
        (_, TimeInForce::GoodTillCancel | TimeInForce::GoodTillDate(_)) => None,
        (_, _) => Some(
            "cTrader keeps limit and stop orders good-till-cancel (or good-till-date with ExpireTime)",
        ),
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(UnsupportedCommand::OrderTerms {
            dialect: dialect.to_string(),
            kind: kind.name(),
            time_in_force: time_in_force.name(),
            reason,
        }),
    }
}

fn write_new(body: &mut BodyWriter<'_>, order: &NewOrder, dialect: &OrderDialect) {
    body.str(11, order.cl_ord_id.as_bytes());
    write_account(body, dialect);
    write_handl_inst(body, dialect);
    body.str(55, order.symbol.as_bytes())
        .char(54, side(order.side))
        .timestamp(60, order.transact_time)
        .decimal(38, order.quantity.to_decimal());
    write_kind(body, order.kind, true);
    write_time_in_force(body, order.time_in_force, dialect);
}

fn write_cancel(body: &mut BodyWriter<'_>, cancel: &CancelOrder, dialect: &OrderDialect) {
    body.str(11, cancel.cl_ord_id.as_bytes())
        .str(41, cancel.orig_cl_ord_id.as_bytes());
    if let Some(order_id) = &cancel.order_id {
        body.str(37, order_id.as_bytes());
    }
    if dialect.is_ctrader() {
        return;
    }
    write_account(body, dialect);
    body.str(55, cancel.symbol.as_bytes())
        .char(54, side(cancel.side))
        .timestamp(60, cancel.transact_time)
        .decimal(38, cancel.quantity.to_decimal());
}

fn write_replace(body: &mut BodyWriter<'_>, replace: &ReplaceOrder, dialect: &OrderDialect) {
    body.str(11, replace.cl_ord_id.as_bytes())
        .str(41, replace.orig_cl_ord_id.as_bytes());
    if let Some(order_id) = &replace.order_id {
        body.str(37, order_id.as_bytes());
    }
    if dialect.is_ctrader() {
        // cTrader's G: quantity, prices and expiry; the type stays.
        body.decimal(38, replace.quantity.to_decimal());
        write_kind(body, replace.kind, false);
        write_time_in_force(body, replace.time_in_force, dialect);
        return;
    }
    write_account(body, dialect);
    write_handl_inst(body, dialect);
    body.str(55, replace.symbol.as_bytes())
        .char(54, side(replace.side))
        .timestamp(60, replace.transact_time)
        .decimal(38, replace.quantity.to_decimal());
    write_kind(body, replace.kind, true);
    write_time_in_force(body, replace.time_in_force, dialect);
}

fn write_status(body: &mut BodyWriter<'_>, status: &StatusRequest, dialect: &OrderDialect) {
    body.str(11, status.cl_ord_id.as_bytes());
    if dialect.is_ctrader() {
        body.char(54, side(status.side));
        return;
    }
    if let Some(order_id) = &status.order_id {
        body.str(37, order_id.as_bytes());
    }
    write_account(body, dialect);
    body.str(55, status.symbol.as_bytes())
        .char(54, side(status.side));
}

fn write_account(body: &mut BodyWriter<'_>, dialect: &OrderDialect) {
    if let Some(account) = dialect.wire_account() {
        body.str(1, account);
    }
}

/// HandlInst (21) = 1, automated execution, no intervention: required in
/// FIX 4.2's D and G, optional (and not written) in 4.4.
fn write_handl_inst(body: &mut BodyWriter<'_>, dialect: &OrderDialect) {
    if dialect.version() == FixVersion::Fix42 {
        body.char(21, b'1');
    }
}

/// OrdType (40), when `with_type`, and the prices the type needs.
fn write_kind(body: &mut BodyWriter<'_>, kind: OrderKind, with_type: bool) {
    if with_type {
        body.char(
            40,
            match kind {
                OrderKind::Market => b'1',
                OrderKind::Limit { .. } => b'2',
                OrderKind::Stop { .. } => b'3',
                OrderKind::StopLimit { .. } => b'4',
            },
        );
    }
    if let Some(price) = kind.limit_price() {
        body.decimal(44, price.to_decimal());
    }
    if let Some(stop) = kind.stop_price() {
        body.decimal(99, stop.to_decimal());
    }
}

/// TimeInForce (59) and ExpireTime (126). cTrader ignores 59 and reads
/// 126 to the second, so it gets only 126, truncated to the second (the
/// order expires no later than asked).
fn write_time_in_force(
    body: &mut BodyWriter<'_>,
    time_in_force: TimeInForce,
    dialect: &OrderDialect,
) {
    if dialect.is_ctrader() {
        if let TimeInForce::GoodTillDate(expiry) = time_in_force {
            body.timestamp_with(126, expiry, TimestampPrecision::Seconds);
        }
        return;
    }
    body.char(
        59,
        match time_in_force {
            TimeInForce::Day => b'0',
            TimeInForce::GoodTillCancel => b'1',
            TimeInForce::ImmediateOrCancel => b'3',
            TimeInForce::FillOrKill => b'4',
            TimeInForce::GoodTillDate(_) => b'6',
        },
    );
    if let TimeInForce::GoodTillDate(expiry) = time_in_force {
        body.timestamp(126, expiry);
    }
}

const fn side(side: Side) -> u8 {
    match side {
        Side::Buy => b'1',
        Side::Sell => b'2',
    }
}

/// `YYYYMMDD` of `at` in UTC (LocalMktDate for ClearingBusinessDate).
fn utc_date(at: Timestamp) -> [u8; 8] {
    let date = at.to_utc();
    let [y1, y2] = DIGIT_PAIRS[usize::from(date.year / 100 % 100)];
    let [y3, y4] = DIGIT_PAIRS[usize::from(date.year % 100)];
    let [m1, m2] = DIGIT_PAIRS[usize::from(date.month % 100)];
    let [d1, d2] = DIGIT_PAIRS[usize::from(date.day % 100)];
    [y1, y2, y3, y4, m1, m2, d1, d2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_date_is_the_calendar_day() {
        // 2017-01-17T23:59:59.999Z and the next millisecond.
        let before = Timestamp::from_unix_nanos(1_484_697_599_999_000_000);
        assert_eq!(&utc_date(before), b"20170117");
        let after = before.checked_add_nanos(1_000_000).unwrap();
        assert_eq!(&utc_date(after), b"20170118");
    }
}
