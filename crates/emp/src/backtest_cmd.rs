//! `emp backtest`: recorded market data through the pipeline with
//! simulated execution, over several seeds, into a report.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use emp::backtest::{BacktestSetup, Recording, SeedResult, run_seed};
use emp::report::{BacktestReport, equity_svg};
use model::InstrumentTable;
use oms::risk::RiskLimits;
use sensory::FeatureParams;
use strategy::ParamsFile;
use venue::SimulatedSinkConfig;

/// What to run.
#[derive(Debug)]
pub(crate) struct BacktestPlan {
    /// A journal directory, or a run folder holding `journal/`.
    pub data: PathBuf,
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

/// The params to run: a file, one named strategy of the recorded params,
/// or the recorded params.
fn params(strategy: Option<&str>, recording: &Recording) -> Result<ParamsFile> {
    let recorded = recording
        .header
        .as_ref()
        .map(|header| header.params_text.as_str());
    match strategy {
        Some(path) if Path::new(path).is_file() => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            Ok(ParamsFile::parse(&text, path)?)
        }
        Some(name) => {
            let text = recorded.with_context(|| {
                format!("{name} is not a file, and the recording has no params to pick a strategy from; pass a params file")
            })?;
            let mut params = ParamsFile::parse(text, "recorded params")?;
            if !params.strategies.iter().any(|s| s.name.as_str() == name) {
                let names: Vec<&str> = params.strategies.iter().map(|s| s.name.as_str()).collect();
                bail!(
                    "no strategy {name} in the recorded params (it has {}); pass one of those or a params file",
                    names.join(", ")
                );
            }
            for other in &mut params.strategies {
                other.enabled = other.name.as_str() == name;
            }
            Ok(params)
        }
        None => {
            let text = recorded.context(
                "the recording has no params (no system.run record); pass --strategy FILE",
            )?;
            Ok(ParamsFile::parse(text, "recorded params")?)
        }
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

/// Runs the plan and writes `report.json`, `report.md` and `equity.svg`
/// into `out`; returns the Markdown.
pub(crate) fn run(plan: &BacktestPlan) -> Result<String> {
    let dir = journal_dir(&plan.data)?;
    let recording = Recording::read(&dir)?;
    let header = recording.header.as_ref().context(
        "the recording has no system.run record, so its instruments are unknown; record with `emp demo`",
    )?;
    let mut instruments = InstrumentTable::new();
    for instrument in &header.instruments {
        instruments.insert(instrument.clone())?;
    }
    let params = params(plan.strategy.as_deref(), &recording)?;
    let setup = BacktestSetup {
        instruments,
        params: params.clone(),
        features: FeatureParams::default(),
        limits: RiskLimits::default(),
        sink: SimulatedSinkConfig::default(),
        equity_interval_nanos: 1_000_000_000,
        tail_nanos: 5_000_000_000,
    };
    if recording.skipped_newer > 0 {
        eprintln!(
            "emp backtest: skipped {} records of a newer schema version than this build reads",
            recording.skipped_newer
        );
    }
    let mut results: Vec<SeedResult> = Vec::new();
    for index in 0..plan.seeds {
        let seed = plan.seed.wrapping_add(index);
        let result = run_seed(&recording, &setup, seed, &mut |done, total| {
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
            .filter(|s| s.enabled)
            .map(|s| s.name.to_string())
            .collect(),
        &results,
        setup.equity_interval_nanos,
    );
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("creating {}", plan.out.display()))?;
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
