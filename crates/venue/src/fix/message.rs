//! Outgoing messages as the core builds them, and the text forms of the
//! values they carry.

use gateway::fix::codec::{BodyWriter, Tag};
use gateway::fix::session::{SendError, Session};
use gateway::fix::store::MessageStore;
use model::{ExecType, OrdStatus, Price, Side, TimeInForce, Timestamp};

/// One application message for a session: its MsgType and its body
/// fields in order (repeating groups are their fields in order). The
/// session fills in the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    /// MsgType (35).
    pub msg_type: &'static str,
    /// The body, tag and value, in wire order.
    pub fields: Vec<(Tag, String)>,
}

impl Outbound {
    pub(crate) const fn new(msg_type: &'static str) -> Self {
        Self {
            msg_type,
            fields: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, tag: Tag, value: impl ToString) -> &mut Self {
        self.fields.push((tag, value.to_string()));
        self
    }

    pub(crate) fn add_opt(&mut self, tag: Tag, value: Option<impl ToString>) -> &mut Self {
        if let Some(value) = value {
            self.add(tag, value);
        }
        self
    }

    /// The first value of `tag`, if any.
    pub fn get(&self, tag: Tag) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| *field == tag)
            .map(|(_, value)| value.as_str())
    }

    /// Writes the body.
    pub fn write_body(&self, body: &mut BodyWriter<'_>) {
        for (tag, value) in &self.fields {
            body.str(*tag, value.as_bytes());
        }
    }

    /// Sends it on `session` ([`Session::send_app`]).
    pub fn send<S: MessageStore>(
        &self,
        session: &mut Session<S>,
        now: Timestamp,
    ) -> Result<u64, SendError> {
        session.send_app(now, self.msg_type.as_bytes(), &[], |body| {
            self.write_body(body);
        })
    }
}

/// A price with at most `digits` decimals (rounded half away from zero),
/// without trailing zeros, as cTrader prints them (`1.0663`).
pub(crate) fn price_text(price: Price, digits: u8) -> String {
    let drop = 9u32.saturating_sub(u32::from(digits));
    let unit = 10i64.pow(drop);
    let raw = price.raw();
    let half = unit / 2;
    let rounded = if raw >= 0 {
        (raw.saturating_add(half)) / unit * unit
    } else {
        (raw.saturating_sub(half)) / unit * unit
    };
    Price::from_raw(rounded).to_string()
}

/// UTCTimestamp with milliseconds: `YYYYMMDD-HH:MM:SS.sss`.
pub(crate) fn timestamp_text(at: Timestamp) -> String {
    let t = at.to_utc();
    format!(
        "{:04}{:02}{:02}-{:02}:{:02}:{:02}.{:03}",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.nanosecond / 1_000_000
    )
}

pub(crate) const fn side_code(side: Side) -> char {
    match side {
        Side::Buy => '1',
        Side::Sell => '2',
    }
}

pub(crate) const fn exec_type_code(exec_type: ExecType) -> char {
    match exec_type {
        ExecType::New => '0',
        ExecType::DoneForDay => '3',
        ExecType::Canceled => '4',
        ExecType::Replaced => '5',
        ExecType::PendingCancel => '6',
        ExecType::Stopped => '7',
        ExecType::Rejected => '8',
        ExecType::Suspended => '9',
        ExecType::PendingNew => 'A',
        ExecType::Calculated => 'B',
        ExecType::Expired => 'C',
        ExecType::Restated => 'D',
        ExecType::PendingReplace => 'E',
        ExecType::Trade => 'F',
        ExecType::TradeCorrect => 'G',
        ExecType::TradeCancel => 'H',
        ExecType::OrderStatus => 'I',
    }
}

pub(crate) const fn ord_status_code(status: OrdStatus) -> char {
    match status {
        OrdStatus::New => '0',
        OrdStatus::PartiallyFilled => '1',
        OrdStatus::Filled => '2',
        OrdStatus::DoneForDay => '3',
        OrdStatus::Canceled => '4',
        OrdStatus::Replaced => '5',
        OrdStatus::PendingCancel => '6',
        OrdStatus::Stopped => '7',
        OrdStatus::Rejected => '8',
        OrdStatus::Suspended => '9',
        OrdStatus::PendingNew => 'A',
        OrdStatus::Calculated => 'B',
        OrdStatus::Expired => 'C',
        OrdStatus::AcceptedForBidding => 'D',
        OrdStatus::PendingReplace => 'E',
    }
}

pub(crate) const fn tif_code(tif: TimeInForce) -> char {
    match tif {
        TimeInForce::Day => '0',
        TimeInForce::GoodTillCancel => '1',
        TimeInForce::ImmediateOrCancel => '3',
        TimeInForce::FillOrKill => '4',
        TimeInForce::GoodTillDate(_) => '6',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_rounded_to_the_digits_and_trimmed() {
        let price: Price = "1.066304".parse().unwrap_or_default();
        assert_eq!(price_text(price, 5), "1.0663");
        let price: Price = "1.066306".parse().unwrap_or_default();
        assert_eq!(price_text(price, 5), "1.06631");
        let price: Price = "151.25".parse().unwrap_or_default();
        assert_eq!(price_text(price, 3), "151.25");
    }
}
