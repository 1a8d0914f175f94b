//! `emp bench trade`: the demo's whole path over loopback TCP — the
//! simulated venue's market data on QUOTE, sensory, micro_mm, the risk
//! gate and the OMS, the journal commit, the NewOrderSingle on TRADE — with
//! market-making params that trade on most ticks. Measures tick to order
//! (the read that brought the market data to the write of the order
//! actions it caused: new, cancel, replace) and the order flow per
//! second, per journal durability.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use emp::demo::DemoOptions;
use emp::status::{RunSummary, latency};
use journal::Durability;
use tokio::sync::watch;

/// One measured run.
struct Measured {
    durability: &'static str,
    summary: RunSummary,
}

/// Runs the bench for `duration` per durability and returns a Markdown
/// table.
pub(crate) fn run(
    duration: Duration,
    durabilities: &[Durability],
    out: PathBuf,
    metrics_addr: Option<std::net::SocketAddr>,
) -> anyhow::Result<String> {
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let params = out.join("bench-params.toml");
    std::fs::write(&params, emp::demo::TOUCH_PARAMS)
        .with_context(|| format!("writing {}", params.display()))?;
    let mut measured = Vec::new();
    for durability in durabilities {
        let name = match durability {
            Durability::EveryCommit => "fsync",
            Durability::OsOnly => "os",
            Durability::IntervalMillis(_) => "interval",
        };
        eprintln!("emp bench trade: {name} durability, {duration:?}…");
        let options = DemoOptions {
            duration,
            strategy: Some(params.display().to_string()),
            run_dir: Some(out.join(name)),
            metrics_addr,
            echo: false,
            durability: *durability,
            ctrl_c: true,
            execution: emp::trader::Execution::Venue,
            control: None,
            log_format: emp::logging::LogFormat::Json,
        };
        let (_keep, stop) = watch::channel(false);
        let summary = emp::demo::run(&options, stop)?;
        if let Some(failure) = &summary.failure {
            anyhow::bail!("the {name} run stopped early: {failure}");
        }
        measured.push(Measured {
            durability: name,
            summary,
        });
    }
    let mut table = String::new();
    let _ = writeln!(
        table,
        "| journal | run | market events/s | orders/s (new+cxl+rpl) | fills | tick→order n | p50 | p90 | p99 | max |"
    );
    let _ = writeln!(table, "|---|---|---|---|---|---|---|---|---|---|");
    for Measured {
        durability,
        summary,
    } in &measured
    {
        let per_second = |count: u64| count as f64 / summary.seconds.max(1e-9);
        let show = |nanos: Option<u64>| nanos.map_or_else(|| "–".to_owned(), latency);
        let _ = writeln!(
            table,
            "| {durability} | {:.0} s | {:.0} | {:.1} | {} | {} | {} | {} | {} | {} |",
            summary.seconds,
            per_second(summary.market_events),
            per_second(summary.orders_sent + summary.cancels_sent + summary.replaces_sent),
            summary.fills,
            summary.tick_to_order_samples,
            show(summary.tick_to_order_p50_nanos),
            show(summary.tick_to_order_p90_nanos),
            show(summary.tick_to_order_p99_nanos),
            show(summary.tick_to_order_max_nanos),
        );
    }
    Ok(table)
}
