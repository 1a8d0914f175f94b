//! Backtest: recorded market data through the same pipeline as live
//! trading, with the simulated execution sink and a simulated clock.
//!
//! The order of work is fixed, so the same recording, params and seed give
//! the same result on every run:
//! 1. before each market event, every timer and sink wake-up due earlier
//!    runs, in time order (venue reports first, then the pipeline's
//!    timers);
//! 2. the clock moves to the event's receive time (never back: an event
//!    stamped earlier than the clock is taken at the clock's time);
//! 3. the pipeline applies the event; the sink sees the new book (or the
//!    trade print) and reports what it filled;
//! 4. OMS events are tallied (fills, fees, PnL) and the OMS's commands go
//!    to the sink.
//!
//! Equity (realized − fees + unrealized at the OMS's marks) is sampled on
//! a fixed interval of simulated time.

use std::path::Path;

use journal::{JournalReader, KnownVersions, ReplayItem, ReplayOptions, Start};
use model::clock::{Clock, SimulatedClock};
use model::{ExecutionSink, InstrumentTable, MarketEvent, Money, RunId, Timestamp, VenueCommand};
use oms::risk::RiskLimits;
use oms::{OmsConfig, OmsEvent, OrderUpdate};
use sensory::FeatureParams;
use strategy::ParamsFile;
use venue::{SimulatedSink, SimulatedSinkConfig};

use crate::pipeline::{Pipeline, PipelineConfig, PipelineOutput};
use crate::record::{Recorder, RunHeader, SCHEMA_VERSION};

/// Why a backtest cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BacktestError {
    /// The recording cannot be read.
    #[error("reading the recording: {0}")]
    Journal(#[from] journal::JournalError),
    /// The recording has no market data.
    #[error(
        "the recording at {0} has no market data (md.* records); record a run with `emp demo` or pass another journal"
    )]
    NoMarketData(String),
    /// The pipeline cannot be built.
    #[error("{0}")]
    Pipeline(#[from] crate::pipeline::PipelineError),
    /// The simulated sink refused its settings.
    #[error("simulated execution: {0}")]
    Sink(#[from] venue::ConfigError),
    /// A session writing a journal was asked to go back.
    #[error(
        "cannot seek back from event {from} to {to} while writing a journal; run without recording to move back"
    )]
    SeekWhileRecording {
        /// The session's position.
        from: usize,
        /// The event asked for.
        to: usize,
    },
    /// An amount overflowed while tallying.
    #[error("PnL arithmetic overflowed at {0}")]
    Overflow(Timestamp),
}

/// Market data read back from a journal.
#[derive(Clone, Debug)]
pub struct Recording {
    /// The recorded run's header, when the journal has one.
    pub header: Option<RunHeader>,
    /// Market events, in journal order.
    pub events: Vec<MarketEvent>,
    /// Records skipped for a schema version newer than this build reads.
    pub skipped_newer: u64,
}

impl Recording {
    /// Reads the header and every `md.*` event of the journal in `dir`.
    pub fn read(dir: &Path) -> Result<Self, BacktestError> {
        let options = ReplayOptions {
            start: Start::Beginning,
            topics: vec!["md.*".into(), crate::record::topics::RUN.into()],
            known: KnownVersions::up_to(SCHEMA_VERSION),
        };
        let mut header = None;
        let mut events = Vec::new();
        let mut failure = None;
        let stats = JournalReader::new(dir).replay(&options, |item| {
            let ReplayItem::Record(record) = item else {
                return true;
            };
            let topic = record.envelope.topic;
            let decoded = if topic.as_str() == crate::record::topics::RUN {
                record.value::<RunHeader>().map(|run| {
                    header.get_or_insert(run);
                })
            } else if topic.as_str() == crate::record::topics::RESYNC {
                Ok(())
            } else {
                record
                    .value::<MarketEvent>()
                    .map(|event| events.push(event))
            };
            match decoded {
                Ok(()) => true,
                Err(error) => {
                    failure = Some(error);
                    false
                }
            }
        })?;
        if let Some(error) = failure {
            return Err(error.into());
        }
        if events.is_empty() {
            return Err(BacktestError::NoMarketData(dir.display().to_string()));
        }
        Ok(Self {
            header,
            events,
            skipped_newer: stats.skipped_newer,
        })
    }
}

/// Everything but the seed.
#[derive(Clone, Debug)]
pub struct BacktestSetup {
    /// Tradable instruments.
    pub instruments: InstrumentTable,
    /// Strategies and their gate.
    pub params: ParamsFile,
    /// Feature settings.
    pub features: FeatureParams,
    /// Risk limits.
    pub limits: RiskLimits,
    /// Simulated execution (its seed is replaced per run).
    pub sink: SimulatedSinkConfig,
    /// Equity is sampled this often, in simulated nanoseconds.
    pub equity_interval_nanos: u64,
    /// After the last event, timers run this much longer so orders in
    /// flight resolve.
    pub tail_nanos: u64,
    /// Strategies of the params switched off for the run.
    pub switched_off: Vec<model::StrategyId>,
}

/// The run id of a backtest with this seed.
pub fn backtest_run_id(seed: u64) -> RunId {
    RunId::new(&format!("backtest-{seed}")).unwrap_or_else(|_| unreachable!("a short ASCII id"))
}

/// One equity sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EquityPoint {
    /// Simulated time.
    pub at: Timestamp,
    /// Realized − fees + unrealized at the marks.
    pub equity: Money,
}

/// The outcome of one seeded run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Equity over time, first sample at the first event.
    pub equity: Vec<EquityPoint>,
    /// Intents the strategies sent to the OMS.
    pub intents: u64,
    /// Intents the risk gate refused.
    pub denials: u64,
    /// Fills booked.
    pub fills: u64,
    /// Fills that reduced a position (closing fills).
    pub closing_fills: u64,
    /// Closing fills whose realized PnL was above zero.
    pub winning_closes: u64,
    /// Σ fees.
    pub fees: Money,
    /// Σ realized PnL, before fees.
    pub realized: Money,
    /// Final equity.
    pub total_pnl: Money,
    /// Largest fall of equity from a previous peak.
    pub max_drawdown: Money,
    /// Venue reports the OMS could not apply (a simulation bug if any).
    pub inconsistent_reports: u64,
}

/// Runs one seed to the end. With a `recorder`, every input (market
/// events, venue reports, timer runs) and every decision goes to its
/// journal, so `emp replay` can reproduce the run. `progress(done, total)`
/// is called every 10 000 events.
pub fn run_seed(
    recording: &Recording,
    setup: &BacktestSetup,
    seed: u64,
    recorder: Option<&mut Recorder>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SeedResult, BacktestError> {
    let mut session = BacktestSession::new(recording, setup, seed, recorder)?;
    let total = recording.events.len();
    while session.step()? {
        if session.position() % 10_000 == 0 {
            progress(session.position(), total);
        }
    }
    progress(total, total);
    session.finish()
}

/// A backtest that can be paused, resumed and moved: step one event,
/// run up to a time, seek to an event, and look at the pipeline (books,
/// features, gate, orders, positions) in between. Its result is the same
/// however it was driven.
pub struct BacktestSession<'a> {
    recording: &'a Recording,
    setup: &'a BacktestSetup,
    seed: u64,
    run: Run<'a>,
    next: usize,
}

impl<'a> BacktestSession<'a> {
    /// A session at the start of the recording.
    pub fn new(
        recording: &'a Recording,
        setup: &'a BacktestSetup,
        seed: u64,
        recorder: Option<&'a mut Recorder>,
    ) -> Result<Self, BacktestError> {
        Ok(Self {
            recording,
            setup,
            seed,
            run: Run::new(recording, setup, seed, recorder)?,
            next: 0,
        })
    }

    /// Index of the next event to replay (= events replayed so far).
    pub const fn position(&self) -> usize {
        self.next
    }

    /// The simulated time.
    pub fn now(&mut self) -> Timestamp {
        self.run.clock.now()
    }

    /// The pipeline, to inspect while paused.
    pub const fn pipeline(&self) -> &Pipeline {
        &self.run.pipeline
    }

    /// The simulated venue, to inspect while paused.
    pub const fn sink(&self) -> &SimulatedSink {
        &self.run.sink
    }

    /// Replays the next event (and every timer due before it); `false`
    /// when the recording is exhausted.
    pub fn step(&mut self) -> Result<bool, BacktestError> {
        let Some(event) = self.recording.events.get(self.next) else {
            return Ok(false);
        };
        let run = &mut self.run;
        let at = event.header().receive_time.max(run.clock.now());
        run.advance_to(at)?;
        // Events for instruments the setup does not trade are skipped.
        if run.pipeline.on_market(at, event).is_ok() {
            if let Some(recorder) = run.recorder.as_deref_mut() {
                recorder.market(event)?;
            }
            run.show_market(at, event);
        }
        run.settle(at)?;
        self.next += 1;
        Ok(true)
    }

    /// Replays every event received before `time`, then pauses.
    pub fn run_until(&mut self, time: Timestamp) -> Result<(), BacktestError> {
        while self
            .recording
            .events
            .get(self.next)
            .is_some_and(|event| event.header().receive_time < time)
        {
            self.step()?;
        }
        Ok(())
    }

    /// Moves to event `index`: forward by replaying, backward by starting
    /// over and replaying up to it (the state is rebuilt, never patched).
    /// A session writing a journal cannot go back: its records would be
    /// written twice.
    pub fn seek(&mut self, index: usize) -> Result<(), BacktestError> {
        if index < self.next {
            if self.run.recorder.is_some() {
                return Err(BacktestError::SeekWhileRecording {
                    from: self.next,
                    to: index,
                });
            }
            self.run = Run::new(self.recording, self.setup, self.seed, None)?;
            self.next = 0;
        }
        while self.next < index && self.step()? {}
        Ok(())
    }

    /// Replays the rest, lets orders in flight resolve for the setup's
    /// tail time, and returns the result.
    pub fn finish(mut self) -> Result<SeedResult, BacktestError> {
        while self.step()? {}
        let run = &mut self.run;
        let end = run
            .clock
            .now()
            .checked_add_nanos(self.setup.tail_nanos)
            .unwrap_or(run.clock.now());
        run.advance_to(end)?;
        run.sample(end, true)?;
        Ok(self.run.result)
    }
}

/// One run's moving parts.
struct Run<'a> {
    recorder: Option<&'a mut Recorder>,
    pipeline: Pipeline,
    sink: SimulatedSink,
    clock: SimulatedClock,
    result: SeedResult,
    next_sample: Timestamp,
    interval: u64,
    peak: Money,
}

impl<'a> Run<'a> {
    /// A fresh pipeline and venue at the recording's first event.
    fn new(
        recording: &Recording,
        setup: &BacktestSetup,
        seed: u64,
        recorder: Option<&'a mut Recorder>,
    ) -> Result<Self, BacktestError> {
        let start = recording
            .events
            .first()
            .map_or(Timestamp::UNIX_EPOCH, |event| event.header().receive_time);
        let config = PipelineConfig {
            run_id: backtest_run_id(seed),
            instruments: setup.instruments.clone(),
            features: setup.features.clone(),
            calendar: sensory::Calendar::default(),
            params: setup.params.clone(),
            oms: OmsConfig::new(setup.limits.clone(), setup.instruments.clone()),
        };
        let sink_config = SimulatedSinkConfig {
            seed,
            ..setup.sink.clone()
        };
        let mut pipeline = Pipeline::new(config, start)?;
        pipeline.switch_off(&setup.switched_off);
        Ok(Self {
            recorder,
            pipeline,
            sink: SimulatedSink::new(sink_config, setup.instruments.clone())?,
            clock: SimulatedClock::starting_at(start),
            result: SeedResult {
                seed,
                equity: Vec::new(),
                intents: 0,
                denials: 0,
                fills: 0,
                closing_fills: 0,
                winning_closes: 0,
                fees: Money::ZERO,
                realized: Money::ZERO,
                total_pnl: Money::ZERO,
                max_drawdown: Money::ZERO,
                inconsistent_reports: 0,
            },
            next_sample: start,
            interval: setup.equity_interval_nanos.max(1),
            peak: Money::ZERO,
        })
    }

    /// Runs every wake-up and timer due before `until`, in time order.
    /// Each round handles a strictly later time than the one before, so a
    /// deadline that does not move cannot make it spin.
    fn advance_to(&mut self, until: Timestamp) -> Result<(), BacktestError> {
        let mut handled: Option<Timestamp> = None;
        loop {
            let now = self.clock.now();
            let due = [self.sink.next_wakeup(), self.pipeline.next_deadline(now)]
                .into_iter()
                .flatten()
                // Overdue wake-ups run now.
                .map(|at| at.max(now))
                .filter(|at| *at < until && handled.is_none_or(|last| *at > last))
                .min();
            let Some(at) = due else { break };
            self.clock
                .advance_to(at)
                .unwrap_or_else(|_| unreachable!("at ≥ now"));
            if let Some(recorder) = self.recorder.as_deref_mut() {
                recorder.timer(at)?;
            }
            self.pipeline.on_timer(at);
            self.settle(at)?;
            handled = Some(at);
        }
        self.clock
            .advance_to(until)
            .unwrap_or_else(|_| unreachable!("until is after every step"));
        Ok(())
    }

    /// Shows the sink the market after an event.
    fn show_market(&mut self, at: Timestamp, event: &MarketEvent) {
        // The sink knows the same instruments as the pipeline, so neither
        // call can refuse the instrument.
        match event {
            MarketEvent::Trade(trade) => {
                let _ = self.sink.on_trade(at, trade);
            }
            other => {
                let instrument = other.instrument();
                if let Some(book) = self.pipeline.sensory().book(instrument) {
                    let _ = self.sink.on_book(at, instrument, book);
                }
            }
        }
    }

    /// Moves reports, outputs, OMS events and commands until quiet.
    fn settle(&mut self, at: Timestamp) -> Result<(), BacktestError> {
        loop {
            let mut moved = false;
            while let Some(report) = self.sink.poll_event(at) {
                moved = true;
                if let Some(recorder) = self.recorder.as_deref_mut() {
                    recorder.venue(at, &report)?;
                }
                if self.pipeline.on_venue_event(at, report).is_err() {
                    self.result.inconsistent_reports += 1;
                }
            }
            while let Some(output) = self.pipeline.poll_output() {
                if let PipelineOutput::Action { outcome, .. } = &output {
                    self.result.intents += 1;
                    if outcome.is_err() {
                        self.result.denials += 1;
                    }
                }
                if let Some(recorder) = self.recorder.as_deref_mut() {
                    recorder.output(at, &output)?;
                }
            }
            while let Some(event) = self.pipeline.poll_oms_event() {
                self.tally(&event);
                if let Some(recorder) = self.recorder.as_deref_mut() {
                    recorder.oms(at, &event)?;
                }
            }
            if let Some(recorder) = self.recorder.as_deref_mut() {
                recorder.commit(at)?;
            }
            let commands: Vec<VenueCommand> =
                std::iter::from_fn(|| self.pipeline.poll_command()).collect();
            for command in commands {
                moved = true;
                self.sink.send(at, command);
            }
            if !moved {
                break;
            }
        }
        self.sample(at, false)
    }

    /// Counts a fill and whether it closed at a profit.
    fn tally(&mut self, event: &OmsEvent) {
        if let OmsEvent::OrderUpdated {
            update: OrderUpdate::Filled { .. },
            ..
        } = event
        {
            let positions = self.pipeline.oms().state().positions();
            let realized = positions.realized_total();
            self.result.fills += 1;
            if realized != self.result.realized {
                self.result.closing_fills += 1;
                if realized > self.result.realized {
                    self.result.winning_closes += 1;
                }
            }
            self.result.realized = realized;
            self.result.fees = positions.fees_total();
        }
    }

    /// Samples equity when the interval has passed (or `force`).
    fn sample(&mut self, at: Timestamp, force: bool) -> Result<(), BacktestError> {
        if !force && at < self.next_sample {
            return Ok(());
        }
        let oms = self.pipeline.oms();
        let positions = oms.state().positions();
        let unrealized = positions
            .unrealized_total(|instrument| oms.mark(instrument))
            .unwrap_or(Money::ZERO);
        let equity = positions
            .realized_total()
            .checked_sub(positions.fees_total())
            .and_then(|net| net.checked_add(unrealized))
            .ok_or(BacktestError::Overflow(at))?;
        self.peak = self.peak.max(equity);
        let drawdown = self
            .peak
            .checked_sub(equity)
            .ok_or(BacktestError::Overflow(at))?;
        self.result.max_drawdown = self.result.max_drawdown.max(drawdown);
        self.result.total_pnl = equity;
        self.result.equity.push(EquityPoint { at, equity });
        while self.next_sample <= at {
            self.next_sample = self
                .next_sample
                .checked_add_nanos(self.interval)
                .ok_or(BacktestError::Overflow(at))?;
        }
        Ok(())
    }
}
