//! `emp bench orders`: the capacity of the order path, end to end, on one
//! thread with no socket: EMP's risk gate and OMS, the journal commit,
//! FIX encode and the TRADE session, the simulated venue's session,
//! decode, matching and ExecutionReports, and back through EMP's session,
//! decode and OMS. Each round submits a batch of limit orders that rest
//! (below the bid), waits for every acknowledgement, cancels them all and
//! waits for every cancel: orders per second is new + cancel requests
//! answered per second of wall time.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use emp::demo::{ChosenParams, demo_profile};
use emp::inprocess::InProcess;
use journal::Durability;
use model::{IntentSpec, OrderIntent, OrderKind, Price, Side, StrategyId, TimeInForce, Timestamp};

/// 2026-11-20T10:00:00Z: simulated time starts here.
const START: u64 = 1_795_168_800_000_000_000;

struct Measured {
    durability: &'static str,
    requests: u64,
    elapsed: Duration,
}

fn measure(durability: Durability, orders: u64, batch: u64) -> anyhow::Result<Duration> {
    let dir = tempfile_dir()?;
    let mut params = ChosenParams::choose(None)?;
    // No strategy trades: the bench sends the orders itself.
    let parsed = strategy::ParamsFile::parse(&params.text, &params.source)?;
    params.switched_off = parsed.strategies.iter().map(|s| s.name).collect();
    let profile = demo_profile()?;
    let start = Timestamp::from_unix_nanos(START);
    let mut world = InProcess::new(&profile, params, &dir, durability, start)?;
    world.connect();
    // Books and marks first, then a still market: only the bench trades.
    world.run_until(start.checked_add_nanos(3_000_000_000).context("time")?);
    world.set_market_ticking(false);
    let instrument = profile
        .instruments()
        .iter()
        .next()
        .map(|instrument| (instrument.id, instrument.tick_size, instrument.min_quantity))
        .context("the profile has no symbol")?;
    let (id, tick, size) = instrument;
    let mark = world
        .engine()
        .pipeline()
        .oms()
        .mark(&id)
        .context("no market price after 3 s")?;
    // 50 ticks under the mark: rests, never fills.
    let price = Price::from_raw(mark.raw() - 50 * tick.raw());
    let strategy: StrategyId = "bench".parse()?;
    let run_id = "bench".parse()?;
    let rounds = orders.div_ceil(batch);
    let mut epoch = 0;
    let began = Instant::now();
    for _ in 0..rounds {
        // A second of simulated time per round keeps the risk gate's
        // rate limits (per simulated second) out of the measurement.
        let later = world
            .now()
            .checked_add_nanos(1_000_000_000)
            .context("time")?;
        world.run_until(later);
        let now = world.now();
        for _ in 0..batch {
            epoch += 1;
            let intent = OrderIntent::new(IntentSpec {
                run_id,
                strategy,
                instrument: id,
                side: Side::Buy,
                kind: OrderKind::Limit { price },
                size,
                time_in_force: TimeInForce::GoodTillCancel,
                epoch,
                created: now,
                reason: "bench".to_owned(),
            });
            if let Err(denial) = world
                .engine_mut()
                .pipeline_mut()
                .oms_mut()
                .submit(now, intent)
            {
                bail!("the risk gate denied a bench order: {denial}");
            }
        }
        world.engine_mut().flush(now);
        world.pump();
        let cancels = world
            .engine_mut()
            .pipeline_mut()
            .oms_mut()
            .cancel_all(now, None, None);
        if u64::try_from(cancels).ok() != Some(batch) {
            bail!("{cancels} of {batch} orders could be canceled: some were not acknowledged");
        }
        world.engine_mut().flush(now);
        world.pump();
        if world.engine().open_orders() != 0 {
            bail!("orders still open after their cancels were answered");
        }
    }
    let elapsed = began.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(elapsed)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("emp-bench-orders-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Runs `orders` orders (in batches of `batch`) per durability; a
/// Markdown table.
pub(crate) fn run(orders: u64, batch: u64, durabilities: &[Durability]) -> anyhow::Result<String> {
    let mut measured = Vec::new();
    for durability in durabilities {
        let name = match durability {
            Durability::EveryCommit => "fsync",
            Durability::OsOnly => "os",
            Durability::IntervalMillis(_) => "interval",
        };
        eprintln!("emp bench orders: {orders} orders in batches of {batch}, {name} durability…");
        let elapsed = measure(*durability, orders, batch)?;
        measured.push(Measured {
            durability: name,
            requests: orders.div_ceil(batch) * batch * 2,
            elapsed,
        });
    }
    let mut table = String::new();
    let _ = writeln!(
        table,
        "| journal | requests (new + cancel) | wall time | requests/s | µs per request |"
    );
    let _ = writeln!(table, "|---|---|---|---|---|");
    for Measured {
        durability,
        requests,
        elapsed,
    } in &measured
    {
        let seconds = elapsed.as_secs_f64();
        let _ = writeln!(
            table,
            "| {durability} | {requests} | {seconds:.2} s | {:.0} | {:.1} |",
            *requests as f64 / seconds,
            seconds * 1e6 / *requests as f64
        );
    }
    Ok(table)
}
