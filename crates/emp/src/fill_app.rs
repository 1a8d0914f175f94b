//! A venue that fills every order at once: each NewOrderSingle is answered
//! with one ExecutionReport filling its whole quantity at its price. The
//! counterparty for interop runs, crash tests and round-trip benchmarks.

use gateway::fix::codec::Decoder;
use gateway::fix::session::{AppMessage, Session, SessionEvent};
use gateway::fix::settings::SessionSettings;
use gateway::transport::{Application, BoxStore};
use model::Timestamp;

/// BusinessRejectReason (380) 3: Unsupported Message Type.
const UNSUPPORTED_MESSAGE_TYPE: u32 = 3;
/// BusinessRejectReason (380) 5: Conditionally required field missing.
const REQUIRED_FIELD_MISSING: u32 = 5;

/// Fills NewOrderSingle (35=D) in full and rejects every other application
/// message with a BusinessMessageReject. ExecID and OrderID derive from
/// ClOrdID, so an order delivered twice (a resend after a crash) gets the
/// same report twice and the duplicate is recognisable.
pub(crate) struct FillApp {
    decoder: Decoder,
    /// FIX 4.2 reports carry ExecTransType (20) and ExecType 2 for a fill;
    /// 4.4 and later use ExecType F (Trade).
    fix42: bool,
}

impl FillApp {
    /// A venue for the session of `settings`.
    pub(crate) fn new(settings: &SessionSettings) -> Self {
        Self {
            decoder: Decoder::new(settings.config.decoder_config()),
            fix42: settings.config.id.begin_string == "FIX.4.2",
        }
    }

    fn fill(&mut self, session: &mut Session<BoxStore>, now: Timestamp, order: &AppMessage) {
        let Ok(decoded) = self.decoder.decode(&order.bytes) else {
            return;
        };
        let field = |tag| decoded.get(tag).map(|field| field.value());
        let (Some(cl_ord_id), Some(side)) = (field(11), field(54)) else {
            let missing = if field(11).is_none() { 11 } else { 54 };
            let _ = session.reject_business(now, order, REQUIRED_FIELD_MISSING, Some(missing));
            return;
        };
        let symbol = field(55).unwrap_or(b"?");
        let quantity = field(38).unwrap_or(b"0");
        let price = field(44).unwrap_or(b"0");
        let fix42 = self.fix42;
        let mut exec_id = Vec::with_capacity(cl_ord_id.len() + 1);
        exec_id.push(b'E');
        exec_id.extend_from_slice(cl_ord_id);
        let order_id = &exec_id[1..];
        let _ = session.send_app(now, b"8", &[], |body| {
            body.str(37, order_id).str(11, cl_ord_id).str(17, &exec_id);
            if fix42 {
                body.char(20, b'0').char(150, b'2');
            } else {
                body.char(150, b'F');
            }
            body.char(39, b'2')
                .str(55, symbol)
                .str(54, side)
                .str(38, quantity)
                .str(32, quantity)
                .str(31, price)
                .str(151, b"0")
                .str(14, quantity)
                .str(6, price)
                .timestamp(60, now);
        });
    }
}

impl Application for FillApp {
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent) {
        if let SessionEvent::App(message) = event {
            if message.msg_type() == b"D" {
                self.fill(session, now, &message);
            } else {
                let _ = session.reject_business(now, &message, UNSUPPORTED_MESSAGE_TYPE, None);
            }
        }
    }
}
