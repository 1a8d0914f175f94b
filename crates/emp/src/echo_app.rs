//! The echo application the QuickFIX acceptance scripts expect of an
//! acceptor: NewOrderSingle and SecurityDefinition come back as sent.

use std::collections::HashSet;

use gateway::fix::codec::{Decoder, SOH, Tag};
use gateway::fix::session::{Session, SessionEvent};
use gateway::fix::settings::SessionSettings;
use gateway::transport::{Application, BoxStore};
use model::Timestamp;

/// Echoes NewOrderSingle (35=D) and SecurityDefinition (35=d) back with
/// our header and the same body (fields in tag order); a PossResend order
/// whose ClOrdID was seen since Logon is ignored; every other application
/// message gets a BusinessMessageReject "Unsupported Message Type".
pub(crate) struct EchoApp {
    decoder: Decoder,
    header_tags: Vec<Tag>,
    seen_orders: HashSet<Vec<u8>>,
}

impl EchoApp {
    /// An echo application for the session of `settings` (its dictionary
    /// says which fields are header fields and which carry raw data).
    pub(crate) fn new(settings: &SessionSettings) -> Self {
        let dictionary = settings.config.dictionary.as_ref();
        Self {
            decoder: Decoder::new(settings.config.decoder_config()),
            header_tags: dictionary
                .map(|dict| dict.header().tags().to_vec())
                .unwrap_or_default(),
            seen_orders: HashSet::new(),
        }
    }
}

impl Application for EchoApp {
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent) {
        match event {
            SessionEvent::LoggedOn => self.seen_orders.clear(),
            SessionEvent::App(message) => {
                let msg_type = message.msg_type().to_vec();
                match msg_type.as_slice() {
                    b"D" | b"d" => {
                        let Ok(decoded) = self.decoder.decode(&message.bytes) else {
                            return;
                        };
                        if msg_type == b"D" {
                            let order_id = decoded
                                .get(11)
                                .map(|field| field.value().to_vec())
                                .unwrap_or_default();
                            let poss_resend =
                                decoded.get(97).is_some_and(|field| field.value() == b"Y");
                            if poss_resend && self.seen_orders.contains(&order_id) {
                                return;
                            }
                            self.seen_orders.insert(order_id);
                        }
                        // The copy keeps the sender's extra header fields
                        // (PossResend, routing); the session refills the rest.
                        let is_header = |tag: Tag| {
                            self.header_tags.contains(&tag)
                                || gateway::fix::tags::STANDARD_HEADER.contains(&tag)
                        };
                        let refilled = [8, 9, 35, 34, 43, 49, 52, 56, 122];
                        let header: Vec<(Tag, Vec<u8>)> = decoded
                            .iter()
                            .filter(|field| {
                                is_header(field.tag()) && !refilled.contains(&field.tag())
                            })
                            .map(|field| (field.tag(), field.value().to_vec()))
                            .collect();
                        let mut fields: Vec<(Tag, &[u8])> = decoded
                            .iter()
                            .filter(|field| {
                                !is_header(field.tag())
                                    && !gateway::fix::tags::STANDARD_TRAILER.contains(&field.tag())
                            })
                            .map(|field| (field.tag(), field.value()))
                            .collect();
                        // QuickFIX keeps a message's fields in tag order; a
                        // repeated tag means a repeating group, kept as sent.
                        let mut tags: Vec<Tag> = fields.iter().map(|(tag, _)| *tag).collect();
                        tags.sort_unstable();
                        tags.dedup();
                        if tags.len() == fields.len() {
                            fields.sort_by_key(|(tag, _)| *tag);
                        }
                        let mut body = Vec::with_capacity(message.bytes.len());
                        for (tag, value) in fields {
                            body.extend_from_slice(format!("{tag}=").as_bytes());
                            body.extend_from_slice(value);
                            body.push(SOH);
                        }
                        let header: Vec<(Tag, &[u8])> = header
                            .iter()
                            .map(|(tag, value)| (*tag, value.as_slice()))
                            .collect();
                        let _ = session.send_app(now, &msg_type, &header, |writer| {
                            writer.raw(&body);
                        });
                    }
                    _ => {
                        let _ = session.reject_business(now, &message, 3, None);
                    }
                }
            }
            _ => {}
        }
    }
}
