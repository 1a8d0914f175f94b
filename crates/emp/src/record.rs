//! What a run writes to its journal, under which topic, so replay and
//! backtest can read it back: the run's header, every input (market data,
//! venue reports) and every decision (readiness, actions, OMS events).
//!
//! | topic | payload | written when |
//! |---|---|---|
//! | `system.run` | [`RunHeader`] | a run starts |
//! | `md.snapshot` `md.delta` `md.quote` `md.trade` `md.reset` | [`MarketEvent`] | market data arrives |
//! | `md.resync` | `sensory::ResyncRequest` | a book fails a check |
//! | `order.venue` | [`VenueEvent`] | a venue report arrives |
//! | `order.oms` | [`OmsEvent`] (all but the two below) | the OMS records a change |
//! | `risk.denied` | [`OmsEvent::IntentDenied`] | the risk gate refuses |
//! | `risk.state` | [`OmsEvent`] trading state and kill switch | an operator or rule acts |
//! | `strategy.readiness` | `strategy::ReadinessEvent` | the gate moves |
//! | `strategy.suppressed` | `strategy::Suppression` | an action is held back |
//! | `strategy.action` | [`PipelineOutput::Action`] | an action goes to the OMS |
//! | `system.timer` | [`Timestamp`] | the driver runs the pipeline's timers |
//! | `system.session` | `bool` (up) | the venue's order session went up or down |
//! | `system.feed` | [`FeedStatusInput`] | a market-data feed's status changed |
//! | `system.stop` | [`Timestamp`] | the run began to stop (strategies off, orders canceled) |
//! | `system.link` | text | a FIX session event worth keeping (logon, logout, a problem) |
//!
//! Inputs (`md.*` but `md.resync`, `order.venue`, `system.timer`,
//! `system.session`, `system.feed`, `system.stop`, `system.control`) are what
//! a replay feeds back; everything else is a decision it must reproduce.
//! Every payload is schema version [`SCHEMA_VERSION`]. The OMS rebuilds
//! from `order.oms`, `risk.denied` and `risk.state` in offset order.

use journal::{Draft, JournalConfig, JournalError, JournalWriter, Topic};
use model::{Instrument, MarketEvent, RunId, Timestamp, VenueEvent};
use oms::OmsEvent;

use crate::pipeline::PipelineOutput;

/// The schema version of every payload this module writes.
pub const SCHEMA_VERSION: u16 = 1;

/// Topics, as written.
pub mod topics {
    /// The run header.
    pub const RUN: &str = "system.run";
    /// Full books.
    pub const SNAPSHOT: &str = "md.snapshot";
    /// Book changes.
    pub const DELTA: &str = "md.delta";
    /// Top of book.
    pub const QUOTE: &str = "md.quote";
    /// Trade prints.
    pub const TRADE: &str = "md.trade";
    /// A source dropped its book.
    pub const RESET: &str = "md.reset";
    /// A book failed an integrity check.
    pub const RESYNC: &str = "md.resync";
    /// Venue reports, as received.
    pub const VENUE: &str = "order.venue";
    /// OMS events.
    pub const OMS: &str = "order.oms";
    /// Risk gate denials.
    pub const DENIED: &str = "risk.denied";
    /// Trading state and kill switch changes.
    pub const RISK_STATE: &str = "risk.state";
    /// Readiness gate transitions.
    pub const READINESS: &str = "strategy.readiness";
    /// Actions held back.
    pub const SUPPRESSED: &str = "strategy.suppressed";
    /// Actions sent to the OMS, with their outcome.
    pub const ACTION: &str = "strategy.action";
    /// The driver ran the pipeline's timers.
    pub const TIMER: &str = "system.timer";
    /// The venue's order session went up or down.
    pub const SESSION: &str = "system.session";
    /// The run began to stop.
    pub const STOP: &str = "system.stop";
    /// A market-data feed's status changed.
    pub const FEED: &str = "system.feed";
    /// An operator action from the control plane
    /// ([`ControlAction`](crate::control::ControlAction)).
    pub const CONTROL: &str = "system.control";
    /// FIX session events and problems, as text for people.
    pub const LINK: &str = "system.link";
}

/// A market-data feed's status for the instruments it carries: the
/// payload of `system.feed`, an input replays apply
/// ([`Pipeline::on_feed_status`](crate::pipeline::Pipeline::on_feed_status)).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedStatusInput {
    /// The feed, for people (`polymarket#0`, `coinbase#0`).
    pub feed: String,
    /// The instruments it carries.
    pub instruments: Vec<model::InstrumentId>,
    /// What it reported.
    pub status: model::FeedStatus,
}

/// How a run trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RunMode {
    /// Real venue, real money.
    Live,
    /// Real or demo market data, simulated or demo execution.
    Paper,
    /// Recorded market data, simulated execution.
    Backtest,
    /// Recorded inputs, re-decided to check parity.
    Replay,
}

/// The first record of a run: what it needs to be replayed elsewhere.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunHeader {
    /// The run.
    pub run_id: RunId,
    /// Its mode.
    pub mode: RunMode,
    /// When it started.
    pub started: Timestamp,
    /// The instruments it traded.
    pub instruments: Vec<Instrument>,
    /// The strategy params file, verbatim.
    pub params_text: String,
    /// Its version hash.
    pub params_version: String,
    /// The simulation seed, when execution is simulated.
    pub seed: Option<u64>,
    /// Strategies of the params switched off for this run.
    pub switched_off: Vec<model::StrategyId>,
    /// Feature settings.
    pub features: sensory::FeatureParams,
    /// Risk limits.
    pub limits: oms::risk::RiskLimits,
    /// The EMP version that wrote it.
    pub emp_version: String,
}

/// Writes a run's records to its journal.
#[derive(Debug)]
pub struct Recorder {
    writer: JournalWriter,
    correlation: u64,
}

fn topic(text: &'static str) -> Topic {
    // Every constant in `topics` is a valid topic; the test below checks.
    Topic::new(text).unwrap_or_else(|_| unreachable!("topic constant {text} is valid"))
}

impl Recorder {
    /// Opens (or continues) the journal.
    pub fn open(config: JournalConfig) -> Result<Self, JournalError> {
        let (writer, _) = JournalWriter::open(config)?;
        Ok(Self {
            writer,
            correlation: 0,
        })
    }

    /// The journal writer (offsets, durability).
    pub const fn writer(&self) -> &JournalWriter {
        &self.writer
    }

    fn append<T: serde::Serialize>(
        &mut self,
        name: &'static str,
        event_time: Timestamp,
        receive_time: Timestamp,
        value: &T,
    ) -> Result<u64, JournalError> {
        let draft = Draft {
            topic: topic(name),
            schema_version: SCHEMA_VERSION,
            event_time,
            receive_time,
            correlation_id: self.correlation,
        };
        self.writer.append_value(&draft, value)
    }

    /// Writes the run header.
    pub fn run_started(&mut self, header: &RunHeader) -> Result<u64, JournalError> {
        self.append(topics::RUN, header.started, header.started, header)
    }

    /// Writes a market event (event time: the exchange's stamp when it has
    /// one).
    pub fn market(&mut self, event: &MarketEvent) -> Result<u64, JournalError> {
        let header = event.header();
        let name = match event {
            MarketEvent::Snapshot(_) => topics::SNAPSHOT,
            MarketEvent::Delta(_) => topics::DELTA,
            MarketEvent::Quote(_) => topics::QUOTE,
            MarketEvent::Trade(_) => topics::TRADE,
            MarketEvent::Reset { .. } => topics::RESET,
        };
        self.append(
            name,
            header.exchange_time.unwrap_or(header.receive_time),
            header.receive_time,
            event,
        )
    }

    /// Writes a venue report received at `now`.
    pub fn venue(&mut self, now: Timestamp, event: &VenueEvent) -> Result<u64, JournalError> {
        self.append(topics::VENUE, now, now, event)
    }

    /// Writes an OMS event under its topic.
    pub fn oms(&mut self, now: Timestamp, event: &OmsEvent) -> Result<u64, JournalError> {
        let name = match event {
            OmsEvent::IntentDenied { .. } => topics::DENIED,
            OmsEvent::TradingStateChanged { .. }
            | OmsEvent::KillSwitchEngaged { .. }
            | OmsEvent::KillSwitchReleased { .. } => topics::RISK_STATE,
            _ => topics::OMS,
        };
        self.append(name, now, now, event)
    }

    /// Writes that the driver ran the pipeline's timers at `now`.
    pub fn timer(&mut self, now: Timestamp) -> Result<u64, JournalError> {
        self.append(topics::TIMER, now, now, &now)
    }

    /// Writes that the venue's order session went up or down at `now`.
    pub fn session(&mut self, now: Timestamp, up: bool) -> Result<u64, JournalError> {
        self.append(topics::SESSION, now, now, &up)
    }

    /// Writes a feed's status change received at `now`.
    pub fn feed(&mut self, now: Timestamp, input: &FeedStatusInput) -> Result<u64, JournalError> {
        self.append(topics::FEED, now, now, input)
    }

    /// Writes that the run began to stop at `now`.
    pub fn stop(&mut self, now: Timestamp) -> Result<u64, JournalError> {
        self.append(topics::STOP, now, now, &now)
    }

    /// Writes an operator action (an input: replays apply it).
    pub fn control(
        &mut self,
        now: Timestamp,
        action: &crate::control::ControlAction,
    ) -> Result<u64, JournalError> {
        self.append(topics::CONTROL, now, now, action)
    }

    /// Writes a session event or problem, as text.
    pub fn link(&mut self, now: Timestamp, text: &str) -> Result<u64, JournalError> {
        self.append(topics::LINK, now, now, &text)
    }

    /// Writes a pipeline output under its topic.
    pub fn output(&mut self, now: Timestamp, output: &PipelineOutput) -> Result<u64, JournalError> {
        match output {
            PipelineOutput::Readiness(event) => self.append(topics::READINESS, now, now, event),
            PipelineOutput::Suppressed(suppression) => {
                self.append(topics::SUPPRESSED, now, now, suppression)
            }
            PipelineOutput::Action { .. } => {
                self.correlation += 1;
                self.append(topics::ACTION, now, now, output)
            }
            PipelineOutput::Resync(request) => self.append(topics::RESYNC, now, now, request),
        }
    }

    /// Makes everything written so far durable (as the journal's config
    /// says) and returns the durable offset: send venue commands only
    /// after the OMS events before them are durable.
    pub fn commit(&mut self, now: Timestamp) -> Result<u64, JournalError> {
        self.writer.commit(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_constant_is_valid() {
        for name in [
            topics::RUN,
            topics::SNAPSHOT,
            topics::DELTA,
            topics::QUOTE,
            topics::TRADE,
            topics::RESET,
            topics::RESYNC,
            topics::VENUE,
            topics::OMS,
            topics::DENIED,
            topics::RISK_STATE,
            topics::READINESS,
            topics::SUPPRESSED,
            topics::ACTION,
            topics::TIMER,
            topics::SESSION,
            topics::STOP,
            topics::FEED,
            topics::CONTROL,
            topics::LINK,
        ] {
            assert!(Topic::new(name).is_ok(), "{name}");
        }
    }
}
