//! `emp demo`, `emp venue` and `emp run`: the commands that trade.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use emp::control::{ControlOptions, DEFAULT_CONTROL_ADDR};
use emp::demo::DemoOptions;
use emp::logging::LogFormat;
use gateway::transport::wall_clock;
use journal::Durability;
use tokio::sync::watch;
use venue::exchange::profile::VenueProfile;
use venue::server::{ServerOptions, VenueServer};

/// A duration as people write it: `30s`, `2m`, `1h`, `500ms`, or plain
/// seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, ""), |at| text.split_at(at));
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; write 30s, 2m, 1h or 500ms"))?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(value)),
        "ms" => Ok(Duration::from_millis(value)),
        "m" | "min" => Ok(Duration::from_secs(value * 60)),
        "h" => Ok(Duration::from_secs(value * 3600)),
        other => Err(format!(
            "{other:?} is not a unit in {text:?}; use ms, s, m or h"
        )),
    }
}

/// Where metrics are served: an address, or nowhere (`off`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MetricsAddr(pub(crate) Option<SocketAddr>);

/// A metrics address, or `off`.
pub(crate) fn parse_metrics(text: &str) -> Result<MetricsAddr, String> {
    if text == "off" {
        return Ok(MetricsAddr(None));
    }
    text.parse()
        .map(|addr| MetricsAddr(Some(addr)))
        .map_err(|error| {
            format!(
                "{text:?} is not an address ({error}); write host:port, e.g. 127.0.0.1:9464, or off"
            )
        })
}

/// A log format: `json` or `text`.
pub(crate) fn parse_log_format(text: &str) -> Result<LogFormat, String> {
    LogFormat::parse(text)
}

/// A journal durability.
pub(crate) fn parse_durability(text: &str) -> Result<Durability, String> {
    match text {
        "fsync" => Ok(Durability::EveryCommit),
        "os" => Ok(Durability::OsOnly),
        other => Err(format!(
            "{other:?}: use fsync (survives power loss) or os (survives a process kill)"
        )),
    }
}

/// `emp demo`.
pub(crate) fn demo(args: &crate::DemoArgs) -> anyhow::Result<()> {
    let quiet = args.quiet;
    let control = match args.control_addr.as_deref() {
        Some("off") => None,
        Some(text) => {
            let addr: SocketAddr = text.parse().map_err(|error| {
                anyhow::anyhow!(
                    "--control-addr {text:?} is not an address ({error}); write host:port, e.g. 127.0.0.1:9465, or off"
                )
            })?;
            Some(ControlOptions::from_env(addr)?)
        }
        // Loopback by default, when a token is there to protect it.
        None => ControlOptions::from_env(DEFAULT_CONTROL_ADDR).ok(),
    };
    let options = DemoOptions {
        duration: args.duration,
        strategy: args.strategy.clone(),
        run_dir: args.run_dir.clone(),
        metrics_addr: args.metrics_addr.0,
        echo: !quiet,
        durability: args.durability,
        ctrl_c: true,
        execution: emp::trader::Execution::from_env()?.unwrap_or(emp::trader::Execution::Venue),
        control,
        log_format: args.log_format,
    };
    let (_stop_tx, stop) = watch::channel(false);
    let summary = emp::demo::run(&options, stop)?;
    if let Some(failure) = &summary.failure {
        bail!("the run stopped early: {failure}");
    }
    if quiet {
        let _ = std::io::stdout().write_all(summary.markdown().as_bytes());
    }
    let _ = writeln!(
        std::io::stdout(),
        "\nrun folder: {} (try: emp backtest --data {})",
        summary.run_dir.display(),
        summary.run_dir.display()
    );
    Ok(())
}

/// `emp run --config FILE` (`--check`: read and check it only;
/// `--log-format`: how `emp.log` is written).
pub(crate) fn run(config: &Path, check: bool, log_format: LogFormat) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let mut file = emp::run_config::parse(&text, config, wall_clock())?;
    file.options.log_format = log_format;
    if check {
        let setup = &file.setup;
        let _ = writeln!(
            std::io::stdout(),
            "{}: valid; {:?} run in {}, {} instruments, {} subscriptions, control plane {}, initial trading state {}",
            config.display(),
            setup.mode,
            setup.run_dir.display(),
            setup.instruments.iter().count(),
            setup.subscriptions.len(),
            file.options
                .control
                .as_ref()
                .map_or_else(|| "off".to_owned(), |control| control.addr.to_string()),
            file.options
                .initial_trading_state
                .map_or("ACTIVE", oms::risk::TradingState::name),
        );
        return Ok(());
    }
    let (_stop_tx, stop) = watch::channel(false);
    let summary = emp::trader::run_trader(&file.setup, &file.options, stop)?;
    if let Some(failure) = &summary.failure {
        bail!("the run stopped early: {failure}");
    }
    Ok(())
}

/// `emp venue --config PROFILE`: the simulated venue alone, until Ctrl-C.
pub(crate) fn venue(
    config: &Path,
    bind: IpAddr,
    log_dir: Option<PathBuf>,
    metrics_addr: MetricsAddr,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let profile = VenueProfile::parse(&text, &config.display().to_string())?;
    let metrics = serve_process_metrics("emp venue", metrics_addr)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let handle = VenueServer::start(
            &profile,
            bind,
            ServerOptions {
                message_log: log_dir,
            },
        )
        .await?;
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "venue {} ({:?}) listening on {bind}: {}trade port {}",
            profile.name,
            profile.flavour,
            handle
                .quote_port()
                .map_or_else(String::new, |port| format!("quote port {port}, ")),
            handle.trade_port()
        );
        if let Some(fix) = &profile.fix {
            for account in &fix.accounts {
                let _ = writeln!(
                    out,
                    "account {}: SenderCompID {}, TargetCompID {}, Username {}",
                    account.login,
                    account.comp_id(),
                    fix.comp_id,
                    account.login
                );
            }
        }
        let _ = writeln!(out, "Ctrl-C stops it (clients are logged out).");
        let _ = tokio::signal::ctrl_c().await;
        handle.shutdown().await;
        if let Some(server) = metrics {
            server.shutdown();
        }
        anyhow::Ok(())
    })
}

/// Serves the process's own metrics (build, uptime, CPU, memory) on
/// `addr`, for the emp processes that do not trade; says where on
/// standard error.
pub(crate) fn serve_process_metrics(
    process: &str,
    addr: MetricsAddr,
) -> anyhow::Result<Option<emp::metrics::MetricsServer>> {
    let Some(addr) = addr.0 else {
        return Ok(None);
    };
    let registry = emp::metrics::Registry::new();
    emp::metrics::register_process_info(&registry).context("registering the metrics")?;
    let server = emp::metrics::MetricsServer::start(addr, registry).with_context(|| {
        format!("serving metrics on {addr}: is another process using it? pass --metrics-addr with a free port, or off")
    })?;
    let _ = writeln!(
        std::io::stderr(),
        "{process}: Prometheus metrics on http://{}/metrics",
        server.local_addr()
    );
    Ok(Some(server))
}

#[cfg(test)]
mod tests {
    use super::*;
    use emp::demo::DEFAULT_METRICS_ADDR;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").unwrap_err().contains("30s"));
        assert!(parse_duration("3d").unwrap_err().contains("ms, s, m or h"));
    }

    #[test]
    fn metrics_address_or_off() {
        assert_eq!(parse_metrics("off"), Ok(MetricsAddr(None)));
        assert_eq!(
            parse_metrics("127.0.0.1:9464"),
            Ok(MetricsAddr(Some(DEFAULT_METRICS_ADDR)))
        );
        assert!(
            parse_metrics("localhost")
                .unwrap_err()
                .contains("host:port")
        );
    }
}
