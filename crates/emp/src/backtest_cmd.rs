//! `emp backtest`: recorded market data through the pipeline with
//! simulated execution, over several seeds, into a report.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use emp::backtest::{BacktestSetup, Recording, SeedResult, backtest_run_id, run_seed};
use emp::record::{Recorder, RunHeader, RunMode};
use emp::report::{BacktestReport, equity_svg};
use journal::{Durability, JournalConfig};
use model::{InstrumentTable, StrategyId};
use oms::risk::RiskLimits;
use sensory::FeatureParams;
use strategy::ParamsFile;
use venue::SimulatedSinkConfig;

/// What to run.
#[derive(Debug)]
pub(crate) struct BacktestPlan {
    /// A journal directory, a run folder holding `journal/`, or a FIX
    /// message log.
    pub data: PathBuf,
    /// The venue profile of a FIX capture.
    pub venue: Option<PathBuf>,
    /// A params file, or the name of one strategy in the recording's
    /// params; `None` runs the recording's params as they were.
    pub strategy: Option<String>,
    /// First seed.
    pub seed: u64,
    /// Number of seeds.
    pub seeds: u64,
    /// Where the report goes.
    pub out: PathBuf,
}

/// The journal inside `data`: the folder itself, or its `journal/`.
fn journal_dir(data: &Path) -> Result<PathBuf> {
    if !data.is_dir() {
        bail!(
            "{} is not a directory; pass a journal directory or an `emp demo` run folder",
            data.display()
        );
    }
    let nested = data.join("journal");
    Ok(if nested.is_dir() {
        nested
    } else {
        data.to_path_buf()
    })
}

/// What to run: the params, their text, and the strategies switched off
/// for this run.
struct Chosen {
    params: ParamsFile,
    text: String,
    switched_off: Vec<StrategyId>,
}

/// A params file, one named strategy of the recorded params (the others
/// switched off), or the recorded params as they were.
fn params(strategy: Option<&str>, recording: &Recording) -> Result<Chosen> {
    let recorded = recording
        .header
        .as_ref()
        .map(|header| header.params_text.as_str());
    let parse = |text: &str, name: &str| -> Result<Chosen> {
        Ok(Chosen {
            params: ParamsFile::parse(text, name)?,
            text: text.to_owned(),
            switched_off: Vec::new(),
        })
    };
    match strategy {
        Some(path) if Path::new(path).is_file() => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            parse(&text, path)
        }
        Some(name) => {
            let text = recorded.with_context(|| {
                format!("{name} is not a file, and the recording has no params to pick a strategy from; pass a params file")
            })?;
            let mut chosen = parse(text, "recorded params")?;
            let names: Vec<StrategyId> = chosen.params.strategies.iter().map(|s| s.name).collect();
            if !names.iter().any(|known| known.as_str() == name) {
                let list: Vec<&str> = names.iter().map(StrategyId::as_str).collect();
                bail!(
                    "no strategy {name} in the recorded params (it has {}); pass one of those or a params file",
                    list.join(", ")
                );
            }
            chosen.switched_off = names
                .into_iter()
                .filter(|known| known.as_str() != name)
                .collect();
            Ok(chosen)
        }
        None => parse(
            recorded.context(
                "the recording has no params (no system.run record); pass --strategy FILE",
            )?,
            "recorded params",
        ),
    }
}

fn progress(seed_index: u64, seeds: u64, done: usize, total: usize) {
    const WIDTH: usize = 30;
    let fraction = (seed_index as f64 + done as f64 / total.max(1) as f64) / seeds.max(1) as f64;
    let filled = ((fraction * WIDTH as f64).round() as usize).min(WIDTH);
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "\r[{}{}] {:>3.0}%  seed {}/{}  events {}/{}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        fraction * 100.0,
        seed_index + 1,
        seeds,
        done,
        total
    );
    let _ = stderr.flush();
}

/// A FIX capture as a recording: its market data, decoded with the venue
/// profile's symbols and dialect, and a header that names the profile's
/// instruments and the built-in demo params (so `--strategy` may name one
/// of them, or give a file).
fn capture_recording(plan: &BacktestPlan) -> Result<Recording> {
    let profile = match &plan.venue {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            venue::exchange::profile::VenueProfile::parse(&text, &path.display().to_string())?
        }
        None => emp::demo::demo_profile()?,
    };
    let fix = profile.fix.as_ref().with_context(|| {
        format!(
            "the venue profile {} has no [fix] table, so its CompID is unknown",
            profile.name
        )
    })?;
    let dialect = match profile.flavour {
        venue::exchange::profile::Flavour::CTrader => gateway::fix::orders::OrderDialect::ctrader(),
        venue::exchange::profile::Flavour::Generic => gateway::fix::orders::OrderDialect::fix44(),
    };
    let instruments = profile.instruments();
    let capture =
        emp::fix_capture::read_fix_capture_file(&plan.data, &fix.comp_id, &dialect, &instruments)?;
    if capture.events.is_empty() {
        bail!(
            "{} holds no market data from {} (35=W/X with SenderCompID {}): {} other messages, {} other lines",
            plan.data.display(),
            profile.name,
            fix.comp_id,
            capture.other_messages,
            capture.skipped_lines
        );
    }
    let started = capture
        .events
        .first()
        .map_or(model::Timestamp::UNIX_EPOCH, |event| {
            event.header().receive_time
        });
    let params = ParamsFile::parse(emp::demo::DEMO_PARAMS, "specs/strategies-demo.toml")?;
    Ok(Recording {
        header: Some(RunHeader {
            run_id: backtest_run_id(0),
            mode: RunMode::Paper,
            started,
            instruments: instruments.iter().cloned().collect(),
            params_text: emp::demo::DEMO_PARAMS.to_owned(),
            params_version: params.version.to_string(),
            seed: None,
            switched_off: Vec::new(),
            features: FeatureParams::default(),
            limits: RiskLimits::default(),
            emp_version: env!("CARGO_PKG_VERSION").to_owned(),
        }),
        events: capture.events,
        skipped_newer: 0,
    })
}

/// Runs the plan and writes `report.json`, `report.md` and `equity.svg`
/// into `out`; returns the Markdown.
pub(crate) fn run(plan: &BacktestPlan) -> Result<String> {
    let (recording, dir) = if plan.data.is_file() {
        (capture_recording(plan)?, plan.data.clone())
    } else {
        let dir = journal_dir(&plan.data)?;
        (Recording::read(&dir)?, dir)
    };
    let header = recording.header.as_ref().context(
        "the recording has no system.run record, so its instruments are unknown; record with `emp demo`",
    )?;
    let mut instruments = InstrumentTable::new();
    for instrument in &header.instruments {
        instruments.insert(instrument.clone())?;
    }
    let Chosen {
        params,
        text: params_text,
        switched_off,
    } = params(plan.strategy.as_deref(), &recording)?;
    let setup = BacktestSetup {
        instruments,
        params: params.clone(),
        features: FeatureParams::default(),
        limits: RiskLimits::default(),
        sink: SimulatedSinkConfig::default(),
        equity_interval_nanos: 1_000_000_000,
        tail_nanos: 5_000_000_000,
        switched_off: switched_off.clone(),
    };
    if recording.skipped_newer > 0 {
        eprintln!(
            "emp backtest: skipped {} records of a newer schema version than this build reads",
            recording.skipped_newer
        );
    }
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("creating {}", plan.out.display()))?;
    // The first seed's run is journaled in full, for `emp replay` and for
    // asking why it did (not) trade.
    let journal = plan.out.join("journal");
    if journal.exists() {
        std::fs::remove_dir_all(&journal)
            .with_context(|| format!("clearing {}", journal.display()))?;
    }
    // OS-only durability: a backtest can be rerun, so it does not wait
    // for the disk; 8 MiB segments, as a run's journal is small.
    let mut recorder = Recorder::open(JournalConfig {
        durability: Durability::OsOnly,
        segment_bytes: 8 * 1024 * 1024,
        ..JournalConfig::new(&journal)
    })?;
    let start = recording
        .events
        .first()
        .map_or(model::Timestamp::UNIX_EPOCH, |event| {
            event.header().receive_time
        });
    recorder.run_started(&RunHeader {
        run_id: backtest_run_id(plan.seed),
        mode: RunMode::Backtest,
        started: start,
        instruments: header.instruments.clone(),
        params_text: params_text.clone(),
        params_version: params.version.to_string(),
        seed: Some(plan.seed),
        switched_off,
        features: setup.features.clone(),
        limits: setup.limits.clone(),
        emp_version: env!("CARGO_PKG_VERSION").to_owned(),
    })?;
    let mut results: Vec<SeedResult> = Vec::new();
    for index in 0..plan.seeds {
        let seed = plan.seed.wrapping_add(index);
        let journaled = (index == 0).then_some(&mut recorder);
        let result = run_seed(&recording, &setup, seed, journaled, &mut |done, total| {
            progress(index, plan.seeds, done, total);
        })?;
        results.push(result);
    }
    eprintln!();
    let report = BacktestReport::new(
        dir.display().to_string(),
        recording.events.len(),
        params.version.to_string(),
        params
            .strategies
            .iter()
            .filter(|s| s.enabled && !setup.switched_off.contains(&s.name))
            .map(|s| s.name.to_string())
            .collect(),
        &results,
        setup.equity_interval_nanos,
    );
    let markdown = report.to_markdown();
    for (name, contents) in [
        ("report.json", report.to_json()),
        ("report.md", markdown.clone()),
        ("equity.svg", equity_svg(&results)),
    ] {
        let path = plan.out.join(name);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(markdown)
}
