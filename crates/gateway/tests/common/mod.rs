//! Applications shared by the loopback tests.
#![allow(clippy::unwrap_used, reason = "test code")]

use gateway::fix::session::{Session, SessionEvent};
use gateway::transport::{Application, BoxStore};
use model::Timestamp;

/// Answers every NewOrderSingle with an ExecutionReport.
pub(crate) struct Venue;

impl Application for Venue {
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent) {
        if let SessionEvent::App(order) = event {
            let cl_ord_id = order
                .bytes
                .split(|&byte| byte == 1)
                .find_map(|field| field.strip_prefix(b"11="))
                .unwrap()
                .to_vec();
            session
                .send_app(now, b"8", &[], |body| {
                    body.str(11, &cl_ord_id)
                        .str(17, &cl_ord_id)
                        .char(150, b'0')
                        .char(39, b'0');
                })
                .unwrap();
        }
    }
}
