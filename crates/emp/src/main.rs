//! The `emp` binary: EMP's command line.
//!
//! Commands arrive with the features they drive. Today:
//!
//! - `emp demo [--duration 60s] [--strategy NAME|FILE] [--run-dir DIR]
//!   [--metrics-addr ADDR|off]`: the simulated cTrader venue in-process
//!   and EMP trading against it over FIX; a status line every second, a
//!   run folder at the end.
//! - `emp venue --config PROFILE`: the simulated venue alone, for outside
//!   FIX clients.
//! - `emp run --config FILE`: a paper or live run against the venue a
//!   config names.
//! - `emp acceptor --config FILE [--port N] [--app echo|fill]`: run the
//!   acceptor sessions of a settings file behind one port, with the echo
//!   application the QuickFIX acceptance scripts expect or a venue that
//!   fills every order.
//! - `emp initiator --config FILE [--orders N] [--window W] [--stay]`: run
//!   the initiator sessions of a settings file, connecting and
//!   reconnecting, each sending orders and counting their executions.
//! - `emp bench fix [--store file-os,file-fsync,redb]`: order round trips
//!   and throughput between our initiator and our acceptor over loopback.
//! - `emp session status|reset|set-seq --config FILE --session ID`: inspect
//!   or repair a stopped session's message store.
//! - `emp backtest --data PATH [--venue PROFILE] [--strategy NAME|FILE]
//!   [--seed N] [--seeds K] [--out DIR]`: recorded market data (a journal,
//!   a run folder, or a FIX message log) through the strategies, risk gate
//!   and OMS with simulated execution; a report with bootstrap bands over
//!   seeds and an equity-curve SVG.
//! - `emp bench trade|orders`: tick to order over loopback TCP; the order
//!   path's capacity on one thread.
//! - `emp replay --journal PATH`: a recorded run's inputs through a fresh
//!   pipeline, every decision compared with the recorded one.
//! - `emp export --journal PATH --parquet DIR`: a journal's market data as
//!   Parquet (book.parquet, trades.parquet).
//! - `emp fix decode [--version V | --dict FILE] [FILE|-]`: read FIX messages
//!   from a log or stream (SOH or `|` separated) and print every field by
//!   name, with enum names and repeating groups, and every validation
//!   problem with its SessionRejectReason (373) and tag. Exit status 0 when
//!   every message is valid, 1 when any is not, 2 for usage errors.
//!
//! ```text
//! $ emp fix decode --version FIX.4.4 orders.log
//! #1 line 1  Heartbeat (0)  61 bytes
//!   8(BeginString)=FIX.4.4
//!   …
//! ```

mod acceptor;
mod backtest_cmd;
mod bench;
mod bench_orders;
mod bench_trade;
mod ctl_cmd;
mod echo_app;
mod fill_app;
mod fix_decode;
mod hosts;
mod initiator;
mod live_cmd;
mod order_flow;
mod session_cmd;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use fix_decode::DictionaryChoice;

/// EMP: a FIX-first broker gateway and order-management system.
#[derive(Debug, Parser)]
#[command(name = "emp", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The whole system on one machine: the simulated cTrader venue
    /// in-process, EMP's QUOTE and TRADE sessions, the micro_mm
    /// strategies through risk and the OMS. Prints a status line every
    /// second; stops after --duration or Ctrl-C with a clean logout and
    /// leaves a run folder (journal, FIX logs, summary) for `emp backtest`.
    Demo(DemoArgs),
    /// Run the simulated venue of a profile (specs/venue-*.toml) on its
    /// own, for outside FIX clients (QuickFIX, say), until Ctrl-C.
    Venue(VenueArgs),
    /// A paper or live run against the venue a run config names (see
    /// `emp::run_config` for the file), until its duration or Ctrl-C.
    Run(RunArgs),
    /// FIX tools.
    #[command(subcommand)]
    Fix(FixCommand),
    /// Run the acceptor sessions of a settings file behind one port.
    ///
    /// SIGINT or SIGTERM logs connected sessions out before exiting.
    Acceptor(AcceptorArgs),
    /// Run the initiator sessions of a settings file, each sending
    /// NewOrderSingles and counting the ExecutionReports answering them.
    ///
    /// Exits after every order is answered (unless --stay), or on SIGINT
    /// or SIGTERM, logging the sessions out. Exit status 0 when every
    /// order was answered, 1 when not, 2 for errors.
    Initiator(InitiatorArgs),
    /// Inspect or repair a stopped session's message store.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Replay recorded market data through the strategies, risk gate and
    /// OMS with simulated execution, over several seeds, and write
    /// report.json, report.md and equity.svg.
    Backtest(BacktestArgs),
    /// Feed a recorded run's inputs (market data, venue reports, timers)
    /// back through a fresh pipeline and compare every decision with the
    /// recorded one. Exit status 0 when all match, 1 at the first
    /// difference (printed), 2 for errors.
    Replay(ReplayArgs),
    /// Write a journal's market data (books, quotes, trades) as Parquet
    /// files for analysis tools: book.parquet and trades.parquet.
    Export(ExportArgs),
    /// Record Polymarket and Coinbase websocket market data into a journal
    /// (DIR/journal) for replay and backtest, for --duration or until
    /// Ctrl-C.
    Capture(CaptureArgs),
    /// The control plane of a running `emp demo` or `emp run`: status,
    /// kill switch, trading state, strategies, FIX session logon, logout
    /// and sequence reset (token: EMP_CONTROL_TOKEN).
    Ctl(ctl_cmd::CtlArgs),
}

#[derive(Debug, Args)]
struct CaptureArgs {
    /// Polymarket asset (token) ids.
    #[arg(long, num_args = 1.., value_name = "ASSET")]
    polymarket: Vec<String>,
    /// Coinbase product ids, such as BTC-USD.
    #[arg(long, num_args = 1.., value_name = "PRODUCT")]
    coinbase: Vec<String>,
    /// Capture the feeds of the [feeds] section of this run config
    /// instead (its instrument names, URLs, asset cap and staleness).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["polymarket", "coinbase"])]
    config: Option<PathBuf>,
    /// The output folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// How long to record: 30s, 2m, 1h.
    #[arg(long, default_value = "60s", value_parser = live_cmd::parse_duration)]
    duration: std::time::Duration,
    /// Where the process's Prometheus metrics (build, uptime, CPU,
    /// memory) are served, or `off`.
    #[arg(long, default_value = "127.0.0.1:9466", value_parser = live_cmd::parse_metrics)]
    metrics_addr: live_cmd::MetricsAddr,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// How long to run: 30s, 2m, 1h.
    #[arg(long, default_value = "60s", value_parser = live_cmd::parse_duration)]
    duration: std::time::Duration,
    /// A strategy of the built-in params (name, or kind such as
    /// micro_mm), or a params file.
    #[arg(long, value_name = "NAME|FILE")]
    strategy: Option<String>,
    /// The run folder (default: var/demo/<run id>).
    #[arg(long, value_name = "DIR")]
    run_dir: Option<PathBuf>,
    /// Where Prometheus metrics are served, or `off`.
    #[arg(long, default_value = "127.0.0.1:9464", value_parser = live_cmd::parse_metrics)]
    metrics_addr: live_cmd::MetricsAddr,
    /// Journal durability: fsync (each decision survives power loss) or
    /// os (survives a process kill).
    #[arg(long, default_value = "fsync", value_parser = live_cmd::parse_durability)]
    durability: journal::Durability,
    /// Print only the summary at the end.
    #[arg(long)]
    quiet: bool,
    /// Where the control plane listens, or `off` (default: 127.0.0.1:9465
    /// when EMP_CONTROL_TOKEN is set, else off).
    #[arg(long, value_name = "ADDR|off")]
    control_addr: Option<String>,
    /// How emp.log (and the log lines on standard error) are written:
    /// json (one object per line, with correlation ids) or text.
    #[arg(long, default_value = "json", value_parser = live_cmd::parse_log_format)]
    log_format: emp::logging::LogFormat,
}

#[derive(Debug, Args)]
struct VenueArgs {
    /// The venue profile (specs/venue-ctrader.toml, specs/venue-generic.toml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Write each session's FIX log into this folder.
    #[arg(long, value_name = "DIR")]
    log_dir: Option<PathBuf>,
    /// Where the process's Prometheus metrics (build, uptime, CPU,
    /// memory) are served, or `off`.
    #[arg(long, default_value = "127.0.0.1:9465", value_parser = live_cmd::parse_metrics)]
    metrics_addr: live_cmd::MetricsAddr,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The run config.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Only read and check the config (and the files it names), then exit.
    #[arg(long)]
    check: bool,
    /// How emp.log (and the log lines on standard error) are written:
    /// json (one object per line, with correlation ids) or text.
    #[arg(long, default_value = "json", value_parser = live_cmd::parse_log_format)]
    log_format: emp::logging::LogFormat,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The journal directory (or a run folder holding `journal/`).
    #[arg(long, value_name = "PATH")]
    journal: PathBuf,
    /// The directory to write the Parquet files into.
    #[arg(long, value_name = "DIR")]
    parquet: PathBuf,
}

#[derive(Debug, Args)]
struct ReplayArgs {
    /// The run's journal directory (or a run folder holding `journal/`).
    #[arg(long, value_name = "PATH")]
    journal: PathBuf,
}

#[derive(Debug, Args)]
struct BacktestArgs {
    /// A journal directory, a run folder holding `journal/`, or a FIX
    /// message log captured from a venue (with --venue).
    #[arg(long, value_name = "PATH")]
    data: PathBuf,
    /// For a FIX capture: the venue profile (specs/venue-*.toml) that says
    /// its symbols, dialect and CompID. Default: the built-in cTrader
    /// profile.
    #[arg(long, value_name = "PROFILE")]
    venue: Option<PathBuf>,
    /// A params file, or the name of one strategy in the recording's
    /// params (the others are switched off). Default: the recorded params.
    #[arg(long, value_name = "NAME|FILE")]
    strategy: Option<String>,
    /// The first simulation seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many seeds (seed, seed+1, …) to run for the confidence bands.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    seeds: u64,
    /// Where to write the report.
    #[arg(long, value_name = "DIR", default_value = "backtest-report")]
    out: PathBuf,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// NewOrderSingle → ExecutionReport between our initiator (this
    /// process) and our acceptor (a second process) over loopback: round
    /// trip percentiles with one order in flight, then pipelined
    /// throughput, for each store. Prints a Markdown table.
    Fix(BenchFixArgs),
    /// The demo's whole path over loopback TCP (venue market data →
    /// sensory → micro_mm → risk/OMS → journal → NewOrderSingle), per
    /// journal durability: tick-to-order percentiles and orders per
    /// second. Prints a Markdown table.
    Trade(BenchTradeArgs),
    /// The order path's capacity on one thread without sockets: risk gate,
    /// OMS, journal, FIX both ways and the venue's matching, in rounds of
    /// resting orders submitted then canceled. Prints a Markdown table.
    Orders(BenchOrdersArgs),
}

#[derive(Debug, Args)]
struct BenchOrdersArgs {
    /// Orders submitted (and canceled).
    #[arg(long, default_value_t = 20_000)]
    orders: u64,
    /// Orders per round.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    batch: u64,
    /// Journal durabilities to measure.
    #[arg(long, value_delimiter = ',', default_value = "fsync,os", value_parser = live_cmd::parse_durability)]
    durability: Vec<journal::Durability>,
}

#[derive(Debug, Args)]
struct BenchTradeArgs {
    /// How long each run lasts.
    #[arg(long, default_value = "30s", value_parser = live_cmd::parse_duration)]
    duration: std::time::Duration,
    /// Journal durabilities to measure.
    #[arg(long, value_delimiter = ',', default_value = "fsync,os", value_parser = live_cmd::parse_durability)]
    durability: Vec<journal::Durability>,
    /// Where the runs' folders go.
    #[arg(long, default_value = "var/bench-trade")]
    out: PathBuf,
    /// Serve Prometheus metrics during the runs, as a production run does
    /// (port 0 picks a free one): compare with and without to see what
    /// metrics cost on the path.
    #[arg(long)]
    metrics_addr: Option<std::net::SocketAddr>,
}

#[derive(Debug, Args)]
struct BenchFixArgs {
    /// Stores to measure (both sides use the same kind).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "file-os,file-fsync,redb"
    )]
    store: Vec<bench::BenchStore>,
    /// Orders in the round-trip run.
    #[arg(long, default_value_t = 20_000)]
    orders: u64,
    /// Round-trip orders left out of the percentiles (warm-up).
    #[arg(long, default_value_t = 2_000)]
    warmup: u64,
    /// Orders in the throughput run.
    #[arg(long, default_value_t = 200_000)]
    throughput_orders: u64,
    /// Orders in flight in the throughput run.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    window: u64,
    /// Skip dictionary validation of received messages (on by default, as
    /// in sessions).
    #[arg(long)]
    no_validate: bool,
}

#[derive(Debug, Subcommand)]
enum SessionCommand {
    /// Show the next sequence numbers and the stored message count.
    Status(SessionTarget),
    /// Reset both sequence numbers to 1 and drop stored messages.
    Reset(SessionTarget),
    /// Set the next sender and/or target sequence number.
    SetSeq {
        #[command(flatten)]
        target_session: SessionTarget,
        /// Next MsgSeqNum we send.
        #[arg(long)]
        sender: Option<u64>,
        /// Next MsgSeqNum we expect.
        #[arg(long)]
        target: Option<u64>,
    },
}

#[derive(Debug, Args)]
struct SessionTarget {
    /// Session settings (sessions/*.toml).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "store",
        requires = "session"
    )]
    config: Option<PathBuf>,
    /// The session: `BeginString:SenderCompID->TargetCompID`, or its
    /// TargetCompID when that is unique.
    #[arg(long, value_name = "SESSION", requires = "config")]
    session: Option<String>,
    /// Or the store file itself: a run folder's `fix/<session>.store`
    /// (`emp demo`, `emp run`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["config", "session"])]
    store: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct AcceptorArgs {
    /// Session settings (sessions/*.toml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Listen on this port instead of the sessions' SocketAcceptPort.
    #[arg(long)]
    port: Option<u16>,
    /// The application behind every session: `echo` returns
    /// NewOrderSingle and SecurityDefinition as sent and rejects other
    /// application messages (what the conformance scripts expect); `fill`
    /// answers each NewOrderSingle with an ExecutionReport filling it.
    #[arg(long, value_enum, default_value = "echo")]
    app: acceptor::VenueApp,
}

#[derive(Debug, Args)]
struct InitiatorArgs {
    /// Session settings (sessions/*.toml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Run only this session (`BeginString:SenderCompID->TargetCompID` or
    /// a unique TargetCompID); repeat for several. Default: all.
    #[arg(long, value_name = "SESSION")]
    session: Vec<String>,
    /// NewOrderSingles each session sends.
    #[arg(long, default_value_t = 0)]
    orders: u64,
    /// Orders each session keeps in flight at most.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    window: u64,
    /// Keep the sessions up after every order is answered, until SIGINT or
    /// SIGTERM.
    #[arg(long)]
    stay: bool,
}

#[derive(Debug, Subcommand)]
enum FixCommand {
    /// Print FIX messages field by field and name every problem.
    ///
    /// Reads one message per line or a raw stream, with SOH or `|` between
    /// fields; text before `8=FIX` on a line (a log timestamp) is shown as
    /// context. Exit status: 0 all messages valid, 1 some invalid (or none
    /// found), 2 usage error.
    Decode(DecodeArgs),
}

#[derive(Debug, Args)]
struct DecodeArgs {
    /// Validate with this shipped dictionary (FIX.4.2, FIX.4.4, FIXT.1.1,
    /// FIX.5.0SP2) instead of choosing by each message's BeginString.
    #[arg(long, value_name = "VERSION", conflicts_with = "dict")]
    version: Option<String>,
    /// Validate with this QuickFIX-format dictionary file (a FIX 5.x file
    /// is paired with the shipped FIXT 1.1 transport dictionary).
    #[arg(long, value_name = "FILE")]
    dict: Option<PathBuf>,
    /// The log or capture to read; `-` or nothing for standard input.
    input: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => exit("emp demo", live_cmd::demo(&args)),
        Command::Venue(args) => exit(
            "emp venue",
            live_cmd::venue(&args.config, args.bind, args.log_dir, args.metrics_addr),
        ),
        Command::Run(args) => exit(
            "emp run",
            live_cmd::run(&args.config, args.check, args.log_format),
        ),
        Command::Ctl(args) => match ctl_cmd::run(&args) {
            Ok(code) => ExitCode::from(code),
            Err(error) => {
                eprintln!("emp ctl: {error:#}");
                ExitCode::from(2)
            }
        },
        Command::Fix(FixCommand::Decode(args)) => decode(&args),
        Command::Session(command) => {
            let (target, action) = match command {
                SessionCommand::Status(target) => (target, session_cmd::Action::Status),
                SessionCommand::Reset(target) => (target, session_cmd::Action::Reset),
                SessionCommand::SetSeq {
                    target_session,
                    sender,
                    target,
                } => (
                    target_session,
                    session_cmd::Action::SetSeq { sender, target },
                ),
            };
            let outcome = match (&target.store, &target.config, &target.session) {
                (Some(store), _, _) => session_cmd::run_store(store, &action),
                (None, Some(config), Some(session)) => session_cmd::run(config, session, &action),
                _ => Err(anyhow::anyhow!(
                    "give --config FILE --session NAME, or --store FILE"
                )),
            };
            match outcome {
                Ok(report) => {
                    let _ = io::stdout().write_all(report.as_bytes());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("emp session: {error:#}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Acceptor(args) => match acceptor::run(&args.config, args.port, args.app) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("emp acceptor: {error:#}");
                ExitCode::from(2)
            }
        },
        Command::Bench(BenchCommand::Orders(args)) => {
            match bench_orders::run(args.orders, args.batch, &args.durability) {
                Ok(table) => {
                    let _ = io::stdout().write_all(table.as_bytes());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    let _ = writeln!(io::stderr(), "emp bench orders: {error:#}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Bench(BenchCommand::Trade(args)) => {
            match bench_trade::run(args.duration, &args.durability, args.out, args.metrics_addr) {
                Ok(table) => {
                    let _ = io::stdout().write_all(table.as_bytes());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    let _ = writeln!(io::stderr(), "emp bench trade: {error:#}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Bench(BenchCommand::Fix(args)) => {
            let plan = bench::BenchPlan {
                stores: args.store,
                orders: args.orders,
                warmup: args.warmup,
                throughput_orders: args.throughput_orders,
                window: usize::try_from(args.window).unwrap_or(usize::MAX),
                validate: !args.no_validate,
            };
            match bench::run(&plan) {
                Ok(table) => {
                    let _ = io::stdout().write_all(table.as_bytes());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("emp bench: {error:#}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Backtest(args) => {
            let plan = backtest_cmd::BacktestPlan {
                data: args.data,
                venue: args.venue,
                strategy: args.strategy,
                seed: args.seed,
                seeds: args.seeds,
                out: args.out,
            };
            match backtest_cmd::run(&plan) {
                Ok(markdown) => {
                    let _ = io::stdout().write_all(markdown.as_bytes());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("emp backtest: {error:#}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Replay(args) => replay(&args.journal),
        Command::Export(args) => export(&args),
        Command::Capture(args) => exit(
            "emp capture",
            match &args.config {
                Some(config) => {
                    emp::capture::CapturePlan::from_config(config, args.out, args.duration)
                }
                None => emp::capture::CapturePlan::new(
                    args.polymarket,
                    args.coinbase,
                    args.out,
                    args.duration,
                ),
            }
            .and_then(|plan| {
                let metrics = live_cmd::serve_process_metrics("emp capture", args.metrics_addr)?;
                let summary = emp::capture::run(&plan);
                if let Some(server) = metrics {
                    server.shutdown();
                }
                summary
            })
            .map(|summary| {
                let _ = writeln!(io::stdout(), "{summary}");
            }),
        ),
        Command::Initiator(args) => {
            let plan = initiator::InitiatorPlan {
                flow: order_flow::FlowPlan {
                    orders: args.orders,
                    window: usize::try_from(args.window).unwrap_or(usize::MAX),
                },
                stay: args.stay,
            };
            match initiator::run(&args.config, &args.session, plan) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => {
                    eprintln!("emp initiator: not every order was answered");
                    ExitCode::from(1)
                }
                Err(error) => {
                    eprintln!("emp initiator: {error:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// Exit status 0, or 2 with the error (and its causes) on standard error.
fn exit(command: &str, outcome: anyhow::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(io::stderr(), "{command}: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The journal in `path`: the folder itself, or its `journal/`.
fn journal_in(path: &std::path::Path) -> PathBuf {
    if path.join("journal").is_dir() {
        path.join("journal")
    } else {
        path.to_path_buf()
    }
}

fn export(args: &ExportArgs) -> ExitCode {
    let dir = journal_in(&args.journal);
    let outcome = emp::export::export_parquet(&dir, &args.parquet, &mut |events| {
        eprint!("\rexported {events} market events");
    });
    eprintln!();
    match outcome {
        Ok(summary) => {
            let _ = writeln!(
                io::stdout(),
                "{} market events: {} book rows in {}, {} trade rows in {}",
                summary.events,
                summary.book_rows,
                args.parquet.join("book.parquet").display(),
                summary.trade_rows,
                args.parquet.join("trades.parquet").display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("emp export: {error}");
            ExitCode::from(2)
        }
    }
}

fn replay(path: &std::path::Path) -> ExitCode {
    let dir = journal_in(path);
    let total = match emp::replay::count_records(&dir) {
        Ok(total) => total,
        Err(error) => {
            let _ = writeln!(io::stderr(), "emp replay: {error}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let outcome = emp::replay::replay_with_progress(&dir, &mut |read, matched| {
        progress_bar(read, total, matched, started.elapsed());
    });
    let _ = writeln!(io::stderr());
    match outcome {
        Ok(outcome) => {
            let mut out = io::stdout().lock();
            let _ = writeln!(
                out,
                "replayed {} inputs; {} decisions identical",
                outcome.inputs, outcome.matched
            );
            if outcome.skipped_newer > 0 {
                let _ = writeln!(
                    out,
                    "skipped {} records of a newer schema version",
                    outcome.skipped_newer
                );
            }
            match outcome.divergence {
                None => ExitCode::SUCCESS,
                Some(divergence) => {
                    let show = |decision: &Option<emp::replay::Decision>| {
                        decision.as_ref().map_or_else(
                            || "nothing".to_owned(),
                            |d| format!("{} {}", d.topic, d.text),
                        )
                    };
                    let _ = writeln!(
                        out,
                        "diverged at record {}:\n  recorded: {}\n  replayed: {}",
                        divergence.offset,
                        show(&divergence.recorded),
                        show(&divergence.replayed)
                    );
                    ExitCode::from(1)
                }
            }
        }
        Err(error) => {
            eprintln!("emp replay: {error}");
            ExitCode::from(2)
        }
    }
}

/// `[#####.....]  42%  records 1048576/2500000  decisions matched 880000  1.1 M records/s`
fn progress_bar(read: u64, total: u64, matched: u64, elapsed: std::time::Duration) {
    const WIDTH: u64 = 30;
    let filled = (read.saturating_mul(WIDTH) / total.max(1)).min(WIDTH);
    let rate = read as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6;
    let mut stderr = io::stderr().lock();
    let _ = write!(
        stderr,
        "\r[{}{}] {:>3}%  records {read}/{total}  decisions matched {matched}  {rate:.2} M records/s",
        "#".repeat(usize::try_from(filled).unwrap_or(0)),
        ".".repeat(usize::try_from(WIDTH - filled).unwrap_or(0)),
        read.saturating_mul(100) / total.max(1),
    );
    let _ = stderr.flush();
}

fn decode(args: &DecodeArgs) -> ExitCode {
    let choice = match (&args.version, &args.dict) {
        (Some(version), _) => DictionaryChoice::Version(version.clone()),
        (None, Some(path)) => DictionaryChoice::File(path.clone()),
        (None, None) => DictionaryChoice::ByBeginString,
    };
    let input = match fix_decode::read_input(args.input.as_ref()) {
        Ok(input) => input,
        Err(error) => return usage_error(&error),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let outcome = fix_decode::run(&input, choice, &mut out, &mut io::stderr());
    let flushed = out.flush();
    match outcome {
        Ok(summary) if summary.messages > 0 && summary.valid == summary.messages => {
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::from(1),
        // A closed pipe (`| head`) is not an error worth reporting.
        Err(error) if is_broken_pipe(&error) || flushed.is_err() => ExitCode::from(1),
        Err(error) => usage_error(&error),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|error| error.kind() == io::ErrorKind::BrokenPipe)
}

fn usage_error(error: &anyhow::Error) -> ExitCode {
    let _ = writeln!(io::stderr(), "emp: {error:#}");
    ExitCode::from(2)
}
