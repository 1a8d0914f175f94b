//! The backtest report: per-seed results, their summary with bootstrap
//! confidence bands, as JSON (for tools), Markdown (for people) and an SVG
//! equity curve.
//!
//! Amounts are exact decimal strings in JSON. Statistics are `f64`,
//! computed in a fixed order with a fixed bootstrap seed, so the same
//! results always give the same bytes.

use std::fmt::Write as _;

use model::{Money, Timestamp};
use venue::SimRng;

use crate::backtest::SeedResult;

/// Bootstrap resamples per confidence band.
const RESAMPLES: usize = 2_000;
/// The bootstrap's own seed: fixed, so reports are reproducible.
const BOOTSTRAP_SEED: u64 = 0x00E3_9B00_75ED;
const NANOS_PER_YEAR: f64 = 365.0 * 86_400.0 * 1e9;

/// A statistic over seeds: the mean and a 90% bootstrap band of the mean.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Band {
    /// Mean over seeds.
    pub mean: f64,
    /// 5th percentile of the bootstrapped mean.
    pub low: f64,
    /// 95th percentile of the bootstrapped mean.
    pub high: f64,
}

/// One seed's line in the report.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunLine {
    /// The seed.
    pub seed: u64,
    /// Final equity, exact.
    pub total_pnl: String,
    /// Largest drawdown, exact.
    pub max_drawdown: String,
    /// Σ fees, exact.
    pub fees: String,
    /// Annualized Sharpe ratio of equity changes per sample interval.
    pub sharpe: Option<f64>,
    /// Winning closing fills / closing fills.
    pub hit_rate: Option<f64>,
    /// Fills.
    pub fills: u64,
    /// Intents sent to the OMS.
    pub intents: u64,
    /// Intents the risk gate refused.
    pub denials: u64,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BacktestReport {
    /// The data the backtest read.
    pub data: String,
    /// Market events replayed.
    pub events: usize,
    /// The params file's version hash.
    pub params_version: String,
    /// Strategy instances that ran.
    pub strategies: Vec<String>,
    /// Total PnL over seeds.
    pub total_pnl: Band,
    /// Max drawdown over seeds.
    pub max_drawdown: Band,
    /// Sharpe over seeds (seeds without one left out).
    pub sharpe: Option<Band>,
    /// Hit rate over seeds (seeds without closing fills left out).
    pub hit_rate: Option<Band>,
    /// Fills over seeds.
    pub fills: Band,
    /// Fees over seeds.
    pub fees: Band,
    /// One line per seed.
    pub runs: Vec<RunLine>,
}

fn money(value: Money) -> f64 {
    // For statistics only; the exact amount is in the run lines.
    value.to_string().parse().unwrap_or(0.0)
}

/// Annualized Sharpe ratio of the equity changes between samples, or
/// `None` with fewer than two changes or no variation.
fn sharpe(result: &SeedResult, interval_nanos: u64) -> Option<f64> {
    let changes: Vec<f64> = result
        .equity
        .windows(2)
        .map(|pair| money(pair[1].equity) - money(pair[0].equity))
        .collect();
    if changes.len() < 2 {
        return None;
    }
    let n = changes.len() as f64;
    let mean = changes.iter().sum::<f64>() / n;
    let variance = changes.iter().map(|c| (c - mean) * (c - mean)).sum::<f64>() / (n - 1.0);
    let deviation = variance.sqrt();
    (deviation > 0.0)
        .then(|| mean / deviation * (NANOS_PER_YEAR / interval_nanos.max(1) as f64).sqrt())
}

fn hit_rate(result: &SeedResult) -> Option<f64> {
    (result.closing_fills > 0).then(|| result.winning_closes as f64 / result.closing_fills as f64)
}

/// The mean and the 5th/95th percentiles of the bootstrapped mean.
fn band(values: &[f64], rng: &mut SimRng) -> Option<Band> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            (0..n)
                .map(|_| values[usize::try_from(rng.below(n as u64)).unwrap_or(0)])
                .sum::<f64>()
                / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |fraction: f64| means[((RESAMPLES - 1) as f64 * fraction).round() as usize];
    Some(Band {
        mean,
        low: at(0.05),
        high: at(0.95),
    })
}

impl BacktestReport {
    /// Summarizes the seeds' results.
    pub fn new(
        data: String,
        events: usize,
        params_version: String,
        strategies: Vec<String>,
        results: &[SeedResult],
        interval_nanos: u64,
    ) -> Self {
        let mut rng = SimRng::seed_from_u64(BOOTSTRAP_SEED);
        let collect = |f: &dyn Fn(&SeedResult) -> Option<f64>| -> Vec<f64> {
            results.iter().filter_map(f).collect()
        };
        let empty = Band {
            mean: 0.0,
            low: 0.0,
            high: 0.0,
        };
        let total_pnl = band(&collect(&|r| Some(money(r.total_pnl))), &mut rng).unwrap_or(empty);
        let max_drawdown =
            band(&collect(&|r| Some(money(r.max_drawdown))), &mut rng).unwrap_or(empty);
        let sharpe_band = band(&collect(&|r| sharpe(r, interval_nanos)), &mut rng);
        let hit = band(&collect(&hit_rate), &mut rng);
        let fills = band(&collect(&|r| Some(r.fills as f64)), &mut rng).unwrap_or(empty);
        let fees = band(&collect(&|r| Some(money(r.fees))), &mut rng).unwrap_or(empty);
        Self {
            data,
            events,
            params_version,
            strategies,
            total_pnl,
            max_drawdown,
            sharpe: sharpe_band,
            hit_rate: hit,
            fills,
            fees,
            runs: results
                .iter()
                .map(|result| RunLine {
                    seed: result.seed,
                    total_pnl: result.total_pnl.to_string(),
                    max_drawdown: result.max_drawdown.to_string(),
                    fees: result.fees.to_string(),
                    sharpe: sharpe(result, interval_nanos),
                    hit_rate: hit_rate(result),
                    fills: result.fills,
                    intents: result.intents,
                    denials: result.denials,
                })
                .collect(),
        }
    }

    /// Pretty JSON, fields in declaration order.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"))
    }

    /// A Markdown summary with one line per seed.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let band = |b: &Band| format!("{:.4} [{:.4}, {:.4}]", b.mean, b.low, b.high);
        let optional = |b: &Option<Band>| b.as_ref().map_or_else(|| "n/a".to_owned(), band);
        let _ = writeln!(out, "# Backtest report\n");
        let _ = writeln!(
            out,
            "- data: `{}` ({} market events)",
            self.data, self.events
        );
        let _ = writeln!(out, "- params version: `{}`", self.params_version);
        let _ = writeln!(out, "- strategies: {}", self.strategies.join(", "));
        let _ = writeln!(out, "- seeds: {}\n", self.runs.len());
        let _ = writeln!(
            out,
            "Mean over seeds, with a 90% bootstrap band of the mean:\n"
        );
        let _ = writeln!(out, "| metric | mean [5%, 95%] |\n|---|---|");
        let _ = writeln!(out, "| total PnL | {} |", band(&self.total_pnl));
        let _ = writeln!(out, "| max drawdown | {} |", band(&self.max_drawdown));
        let _ = writeln!(out, "| Sharpe (annualized) | {} |", optional(&self.sharpe));
        let _ = writeln!(out, "| hit rate | {} |", optional(&self.hit_rate));
        let _ = writeln!(out, "| fills | {} |", band(&self.fills));
        let _ = writeln!(out, "| fees | {} |\n", band(&self.fees));
        let _ = writeln!(
            out,
            "| seed | total PnL | max drawdown | fees | Sharpe | hit rate | fills | intents | denials |\n|---|---|---|---|---|---|---|---|---|"
        );
        for run in &self.runs {
            let number = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.4}"));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                run.seed,
                run.total_pnl,
                run.max_drawdown,
                run.fees,
                number(run.sharpe),
                number(run.hit_rate),
                run.fills,
                run.intents,
                run.denials
            );
        }
        out
    }
}

/// An SVG of every seed's equity curve with the 5–95% band across seeds.
pub fn equity_svg(results: &[SeedResult]) -> String {
    const WIDTH: f64 = 900.0;
    const HEIGHT: f64 = 420.0;
    const MARGIN: f64 = 60.0;
    let points: Vec<(Timestamp, f64)> = results
        .iter()
        .flat_map(|r| r.equity.iter().map(|p| (p.at, money(p.equity))))
        .collect();
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let (Some(t0), Some(t1)) = (
        points.iter().map(|(t, _)| *t).min(),
        points.iter().map(|(t, _)| *t).max(),
    ) else {
        out.push_str("<text x=\"20\" y=\"30\">no equity samples</text>\n</svg>\n");
        return out;
    };
    let (mut low, mut high) = points.iter().fold((0.0f64, 0.0f64), |(lo, hi), (_, v)| {
        (lo.min(*v), hi.max(*v))
    });
    if high - low < 1e-12 {
        high += 1.0;
        low -= 1.0;
    }
    let span = t1.saturating_nanos_since(t0).max(1) as f64;
    let x =
        |t: Timestamp| MARGIN + (WIDTH - 2.0 * MARGIN) * t.saturating_nanos_since(t0) as f64 / span;
    let y = |v: f64| HEIGHT - MARGIN - (HEIGHT - 2.0 * MARGIN) * (v - low) / (high - low);
    // The band: at 200 grid times, each seed's latest equity; 5th–95th.
    let grid: Vec<Timestamp> = (0..=200u64)
        .map(|i| {
            t0.checked_add_nanos((span as u64).saturating_mul(i) / 200)
                .unwrap_or(t1)
        })
        .collect();
    let mut lower = Vec::new();
    let mut upper = Vec::new();
    for t in &grid {
        let mut values: Vec<f64> = results
            .iter()
            .filter_map(|r| r.equity.iter().take_while(|p| p.at <= *t).last())
            .map(|p| money(p.equity))
            .collect();
        if values.is_empty() {
            continue;
        }
        values.sort_by(f64::total_cmp);
        let pick = |f: f64| values[((values.len() - 1) as f64 * f).round() as usize];
        lower.push((x(*t), y(pick(0.05))));
        upper.push((x(*t), y(pick(0.95))));
    }
    if results.len() > 1 && !lower.is_empty() {
        let mut polygon = String::new();
        for (px, py) in lower.iter().chain(upper.iter().rev()) {
            let _ = write!(polygon, "{px:.1},{py:.1} ");
        }
        let _ = writeln!(
            out,
            "<polygon points=\"{}\" fill=\"#4e79a7\" fill-opacity=\"0.18\" stroke=\"none\"/>",
            polygon.trim_end()
        );
    }
    for result in results {
        let mut line = String::new();
        for point in &result.equity {
            let _ = write!(line, "{:.1},{:.1} ", x(point.at), y(money(point.equity)));
        }
        let _ = writeln!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"1\" stroke-opacity=\"0.7\"/>",
            line.trim_end()
        );
    }
    let zero = y(0.0);
    let _ = writeln!(
        out,
        "<line x1=\"{MARGIN}\" y1=\"{zero:.1}\" x2=\"{:.1}\" y2=\"{zero:.1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
        WIDTH - MARGIN
    );
    let _ = writeln!(
        out,
        "<line x1=\"{MARGIN}\" y1=\"{MARGIN}\" x2=\"{MARGIN}\" y2=\"{:.1}\" stroke=\"black\"/>\n<line x1=\"{MARGIN}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"black\"/>",
        HEIGHT - MARGIN,
        HEIGHT - MARGIN,
        WIDTH - MARGIN,
        HEIGHT - MARGIN
    );
    let _ = writeln!(
        out,
        "<text x=\"{MARGIN}\" y=\"{:.1}\">{high:.2}</text>\n<text x=\"{MARGIN}\" y=\"{:.1}\">{low:.2}</text>",
        MARGIN - 8.0,
        HEIGHT - MARGIN + 16.0
    );
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">simulated time: {:.1} s; {} seeds, band 5–95%</text>",
        WIDTH - MARGIN,
        HEIGHT - MARGIN + 16.0,
        span / 1e9,
        results.len()
    );
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">Equity (realized − fees + unrealized)</text>",
        WIDTH / 2.0
    );
    out.push_str("</svg>\n");
    out
}
