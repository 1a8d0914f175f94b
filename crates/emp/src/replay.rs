//! Replay: a recorded run's inputs fed back through a fresh pipeline, in
//! journal order and at their recorded times, with every decision compared
//! with the one recorded. Identical decisions show the run is reproducible
//! from its journal (live parity); the first difference is reported with
//! both versions, which is where to look when asking why it (did not)
//! trade.
//!
//! Inputs: `md.*` (but `md.resync`), `order.venue`, `system.timer`,
//! `system.session`, `system.feed`, `system.stop`, `system.control`.
//! Decisions: `strategy.*`, `order.oms`, `risk.*`, `md.resync`. A decision
//! is compared by its encoded bytes, so any difference counts.

use std::collections::VecDeque;
use std::path::Path;

use journal::{JournalReader, KnownVersions, ReplayItem, ReplayOptions, Start};
use model::clock::EventTimeClock;
use model::{InstrumentTable, MarketEvent, Timestamp, VenueEvent};
use oms::{OmsConfig, OmsEvent};
use strategy::ParamsFile;

use crate::pipeline::{Pipeline, PipelineConfig, PipelineOutput};
use crate::record::{RunHeader, SCHEMA_VERSION, topics};

/// Why a replay cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The journal cannot be read.
    #[error("reading the journal: {0}")]
    Journal(#[from] journal::JournalError),
    /// No `system.run` record before the first input.
    #[error(
        "the journal has no system.run record before its inputs, so its instruments and params are unknown"
    )]
    NoHeader,
    /// The recorded params or instruments do not load.
    #[error("the recorded setup does not load: {0}")]
    Setup(String),
    /// The pipeline cannot be built.
    #[error("{0}")]
    Pipeline(#[from] crate::pipeline::PipelineError),
}

/// One decision, as recorded or as replayed.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Its topic.
    pub topic: String,
    /// Its encoded payload.
    pub bytes: Vec<u8>,
    /// A readable form.
    pub text: String,
}

/// Where the replay first disagreed with the recording.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// Offset of the recorded decision (or of the input after which the
    /// replay produced an extra one).
    pub offset: u64,
    /// What the journal holds there, if anything.
    pub recorded: Option<Decision>,
    /// What the replay produced, if anything.
    pub replayed: Option<Decision>,
}

/// What a replay found.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayOutcome {
    /// Inputs fed back.
    pub inputs: u64,
    /// Decisions that matched.
    pub matched: u64,
    /// Records skipped for a newer schema version.
    pub skipped_newer: u64,
    /// The first difference, if any.
    pub divergence: Option<Divergence>,
}

fn decision<T: serde::Serialize + std::fmt::Debug>(topic: &str, value: &T) -> Decision {
    Decision {
        topic: topic.to_owned(),
        bytes: postcard::to_stdvec(value).unwrap_or_default(),
        text: format!("{value:?}"),
    }
}

fn output_decision(output: &PipelineOutput) -> Decision {
    match output {
        PipelineOutput::Readiness(event) => decision(topics::READINESS, event),
        PipelineOutput::Suppressed(suppression) => decision(topics::SUPPRESSED, suppression),
        PipelineOutput::Action { .. } => decision(topics::ACTION, output),
        PipelineOutput::Resync(request) => decision(topics::RESYNC, request),
    }
}

fn oms_decision(event: &OmsEvent) -> Decision {
    let topic = match event {
        OmsEvent::IntentDenied { .. } => topics::DENIED,
        OmsEvent::TradingStateChanged { .. }
        | OmsEvent::KillSwitchEngaged { .. }
        | OmsEvent::KillSwitchReleased { .. } => topics::RISK_STATE,
        _ => topics::OMS,
    };
    decision(topic, event)
}

/// The recorded decision's readable form, decoded by its topic.
fn recorded_text(topic: &str, record: &journal::RecordRef<'_>) -> String {
    let text = match topic {
        topics::READINESS => record
            .value::<strategy::ReadinessEvent>()
            .map(|v| format!("{v:?}")),
        topics::SUPPRESSED => record
            .value::<strategy::Suppression>()
            .map(|v| format!("{v:?}")),
        topics::ACTION => record.value::<PipelineOutput>().map(|v| format!("{v:?}")),
        topics::RESYNC => record
            .value::<sensory::ResyncRequest>()
            .map(|v| format!("{v:?}")),
        _ => record.value::<OmsEvent>().map(|v| format!("{v:?}")),
    };
    text.unwrap_or_else(|error| format!("<undecodable: {error}>"))
}

/// Replays the journal in `dir`.
pub fn replay(dir: &Path) -> Result<ReplayOutcome, ReplayError> {
    replay_with_progress(dir, &mut |_, _| {})
}

/// Records between two progress reports.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Counts the records in the journal in `dir` (a pass that checks every
/// CRC but decodes nothing): the total a progress bar needs.
pub fn count_records(dir: &Path) -> Result<u64, ReplayError> {
    let options = ReplayOptions {
        start: Start::Beginning,
        topics: vec!["*".into()],
        known: KnownVersions::up_to(u16::MAX),
    };
    Ok(JournalReader::new(dir).replay(&options, |_| true)?.records)
}

/// [`replay`], calling `progress(records read, decisions matched)` every
/// 65 536 records and once at the end.
pub fn replay_with_progress(
    dir: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ReplayOutcome, ReplayError> {
    let options = ReplayOptions {
        start: Start::Beginning,
        topics: vec!["*".into()],
        known: KnownVersions::up_to(SCHEMA_VERSION),
    };
    let mut state = State::default();
    let mut failure: Option<ReplayError> = None;
    let mut read = 0u64;
    let stats = JournalReader::new(dir).replay(&options, |item| {
        let ReplayItem::Record(record) = item else {
            return true;
        };
        read += 1;
        if read.is_multiple_of(PROGRESS_EVERY) {
            progress(read, state.matched);
        }
        match state.record(&record) {
            Ok(keep_going) => keep_going,
            Err(error) => {
                failure = Some(error);
                false
            }
        }
    })?;
    progress(read, state.matched);
    if let Some(error) = failure {
        return Err(error);
    }
    // Decisions the replay made after the last recorded one.
    if state.divergence.is_none()
        && let Some(extra) = state.pending.pop_front()
    {
        state.divergence = Some(Divergence {
            offset: state.last_offset,
            recorded: None,
            replayed: Some(extra),
        });
    }
    Ok(ReplayOutcome {
        inputs: state.inputs,
        matched: state.matched,
        skipped_newer: stats.skipped_newer,
        divergence: state.divergence,
    })
}

#[derive(Default)]
struct State {
    pipeline: Option<Pipeline>,
    clock: EventTimeClock,
    /// Decisions the replay made that the journal has not shown yet.
    pending: VecDeque<Decision>,
    inputs: u64,
    matched: u64,
    last_offset: u64,
    divergence: Option<Divergence>,
}

impl State {
    /// Handles one record; `false` stops at the first divergence.
    fn record(&mut self, record: &journal::RecordRef<'_>) -> Result<bool, ReplayError> {
        let topic = record.envelope.topic.as_str().to_owned();
        self.last_offset = record.envelope.offset;
        if topic == topics::RUN {
            if self.pipeline.is_none() {
                let header: RunHeader = record.value()?;
                self.pipeline = Some(build(&header)?);
            }
            return Ok(true);
        }
        if topic == topics::LINK {
            // Text for people, neither input nor decision.
            return Ok(true);
        }
        let is_input = (topic.starts_with("md.") && topic != topics::RESYNC)
            || topic == topics::VENUE
            || topic == topics::TIMER
            || topic == topics::SESSION
            || topic == topics::STOP
            || topic == topics::FEED
            || topic == topics::CONTROL;
        if is_input {
            let now = self.clock.observe(record.envelope.receive_time);
            let pipeline = self.pipeline.as_mut().ok_or(ReplayError::NoHeader)?;
            self.inputs += 1;
            if topic == topics::VENUE {
                let event: VenueEvent = record.value()?;
                // An inconsistent report is an OMS alert, recorded as such.
                let _ = pipeline.on_venue_event(now, event);
            } else if topic == topics::TIMER {
                let at: Timestamp = record.value()?;
                pipeline.on_timer(at);
            } else if topic == topics::SESSION {
                let up: bool = record.value()?;
                pipeline.on_session(now, up);
            } else if topic == topics::STOP {
                pipeline.stop_trading(now);
            } else if topic == topics::FEED {
                let input: crate::record::FeedStatusInput = record.value()?;
                pipeline.on_feed_status(now, &input.instruments, input.status);
            } else if topic == topics::CONTROL {
                let action: crate::control::ControlAction = record.value()?;
                // A refusal is deterministic: the run refused it too.
                let _ = action.apply(pipeline, now);
            } else {
                let event: MarketEvent = record.value()?;
                // Refused events were not recorded; none should fail here.
                let _ = pipeline.on_market(now, &event);
            }
            self.collect();
            return Ok(true);
        }
        // A decision: it must be the next one the replay made.
        let recorded = Decision {
            topic: topic.clone(),
            bytes: record.payload.to_vec(),
            text: recorded_text(&topic, record),
        };
        match self.pending.pop_front() {
            Some(replayed)
                if replayed.topic == recorded.topic && replayed.bytes == recorded.bytes =>
            {
                self.matched += 1;
                Ok(true)
            }
            replayed => {
                self.divergence = Some(Divergence {
                    offset: record.envelope.offset,
                    recorded: Some(recorded),
                    replayed,
                });
                Ok(false)
            }
        }
    }

    /// Queues the replay's decisions in the order the recorder writes
    /// them: outputs, then OMS events.
    fn collect(&mut self) {
        let Some(pipeline) = self.pipeline.as_mut() else {
            return;
        };
        while let Some(output) = pipeline.poll_output() {
            self.pending.push_back(output_decision(&output));
        }
        while let Some(event) = pipeline.poll_oms_event() {
            self.pending.push_back(oms_decision(&event));
        }
        // Commands go nowhere: the recorded venue reports stand in for the
        // venue.
        while pipeline.poll_command().is_some() {}
    }
}

/// A pipeline set up as the recorded run was.
fn build(header: &RunHeader) -> Result<Pipeline, ReplayError> {
    let mut instruments = InstrumentTable::new();
    for instrument in &header.instruments {
        instruments
            .insert(instrument.clone())
            .map_err(|error| ReplayError::Setup(error.to_string()))?;
    }
    let params = ParamsFile::parse(&header.params_text, "recorded params")
        .map_err(|error| ReplayError::Setup(error.to_string()))?;
    header
        .limits
        .validate()
        .map_err(|error| ReplayError::Setup(error.to_string()))?;
    let config = PipelineConfig {
        run_id: header.run_id,
        instruments: instruments.clone(),
        features: header.features.clone(),
        calendar: sensory::Calendar::default(),
        params,
        oms: OmsConfig::new(header.limits.clone(), instruments),
    };
    let mut pipeline = Pipeline::new(config, header.started)?;
    pipeline.switch_off(&header.switched_off);
    Ok(pipeline)
}
