//! The instruments: [`Counter`], [`Gauge`], [`DecimalGauge`] and
//! [`Histogram`].
//!
//! Each is a handle on shared atomics (an `Arc`), so cloning is cheap and
//! every clone updates the same series. Updates are relaxed atomic
//! operations and never lock, allocate or format; the text is made on the
//! metrics thread when a scrape renders the registry.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use model::{Money, NetQuantity, Price, Quantity, Timestamp};

/// A monotonic count: messages, orders, fills, runs. Starts at zero and
/// never goes down (it wraps at `u64::MAX`, which no process reaches).
///
/// Counter names end in `_total`.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// A counter at zero that no registry exports (registries make their
    /// own; this is for tests and for code that wants a detached handle).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The current count.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A whole-number value that goes up and down: a state code, a sequence
/// number, a count of open orders.
///
/// Stored as an `i64` rather than `f64` bits: every gauge EMP exports is
/// an integer or an exact decimal ([`DecimalGauge`]), an `i64` supports a
/// lock-free [`add`](Self::add) (an `f64` would need a compare-and-swap
/// loop), and the text it renders is exact.
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    /// A gauge at zero that no registry exports.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }

    /// Sets the value from a `u64` (a sequence number), saturating at
    /// `i64::MAX`.
    #[inline]
    pub fn set_u64(&self, value: u64) {
        self.set(i64::try_from(value).unwrap_or(i64::MAX));
    }

    /// Adds `delta` (which may be negative).
    #[inline]
    pub fn add(&self, delta: i64) {
        self.0.fetch_add(delta, Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.add(-1);
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The largest scale a [`DecimalGauge`] accepts (`i64` holds 18 digits).
pub const MAX_DECIMAL_SCALE: u8 = 18;

/// An exact decimal value: an `i64` count of 10⁻`scale` units, the scale
/// fixed when the gauge is made. Positions, PnL and timestamps are set from
/// their raw fixed-point integers, so the hot path never converts to `f64`;
/// the decimal text is written at render time.
///
/// A value set at a finer scale than the gauge's is truncated toward zero
/// to the gauge's scale, and one beyond the `i64` range saturates. At scale
/// 9 (the model's [`Quantity`] and [`Price`] scale) the range is
/// ±9.22 × 10⁹.
#[derive(Clone, Debug)]
pub struct DecimalGauge {
    units: Arc<AtomicI64>,
    scale: u8,
}

impl DecimalGauge {
    /// A gauge at zero with `scale` fractional digits (at most
    /// [`MAX_DECIMAL_SCALE`]; a larger scale is clamped to it) that no
    /// registry exports.
    pub fn new(scale: u8) -> Self {
        Self {
            units: Arc::default(),
            scale: scale.min(MAX_DECIMAL_SCALE),
        }
    }

    /// The gauge's fractional digits.
    pub fn scale(&self) -> u8 {
        self.scale
    }

    /// Sets the value to `units × 10⁻scale()`.
    #[inline]
    pub fn set_units(&self, units: i64) {
        self.units.store(units, Ordering::Relaxed);
    }

    /// Sets the value to `raw × 10⁻scale`: any fixed-point raw value with
    /// its own scale (a `Money` raw value is at scale 18). Converted to the
    /// gauge's scale with integer arithmetic only.
    #[inline]
    pub fn set_scaled(&self, raw: i128, scale: u8) {
        self.set_units(rescale(raw, scale, self.scale));
    }

    /// Sets the value to a quantity.
    #[inline]
    pub fn set_quantity(&self, quantity: Quantity) {
        self.set_scaled(i128::from(quantity.raw()), model::fixed::FIXED_SCALE);
    }

    /// Sets the value to a signed (net) quantity: a position.
    #[inline]
    pub fn set_net_quantity(&self, quantity: NetQuantity) {
        self.set_scaled(i128::from(quantity.raw()), model::fixed::FIXED_SCALE);
    }

    /// Sets the value to a price.
    #[inline]
    pub fn set_price(&self, price: Price) {
        self.set_scaled(i128::from(price.raw()), model::fixed::FIXED_SCALE);
    }

    /// Sets the value to a money amount (PnL).
    #[inline]
    pub fn set_money(&self, money: Money) {
        self.set_scaled(money.raw(), model::fixed::MONEY_SCALE);
    }

    /// Sets the value to a UTC timestamp in seconds since the Unix epoch.
    #[inline]
    pub fn set_timestamp(&self, at: Timestamp) {
        self.set_scaled(i128::from(at.unix_nanos()), 9);
    }

    /// The current value as a count of 10⁻`scale()` units.
    pub fn units(&self) -> i64 {
        self.units.load(Ordering::Relaxed)
    }
}

/// `raw × 10⁻from` as a count of 10⁻`to` units: truncated toward zero,
/// saturated to the `i64` range.
fn rescale(raw: i128, from: u8, to: u8) -> i64 {
    let scaled = if from > to {
        // 10^(from - to) fits an i128 for any from - to ≤ 38.
        match 10i128.checked_pow(u32::from(from - to)) {
            Some(divisor) => raw / divisor,
            None => 0,
        }
    } else {
        match 10i128.checked_pow(u32::from(to - from)) {
            Some(factor) => raw.saturating_mul(factor),
            None if raw == 0 => 0,
            None if raw < 0 => i128::MIN,
            None => i128::MAX,
        }
    };
    i64::try_from(scaled).unwrap_or(if scaled < 0 { i64::MIN } else { i64::MAX })
}

/// The upper bounds of every [`Histogram`]'s buckets, in nanoseconds:
/// 1, 2.5 and 5 per decade from 1 µs to 10 s (22 bounds, plus `+Inf`).
///
/// One fixed set serves every latency EMP measures (an order ack over a
/// loopback venue takes tens of microseconds, a journal commit with
/// fdatasync milliseconds, an ack from a remote venue tens of
/// milliseconds), so every histogram can be compared and aggregated.
pub const LATENCY_BUCKETS_NANOS: [u64; 22] = [
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

const BUCKETS: usize = LATENCY_BUCKETS_NANOS.len() + 1;

#[derive(Debug, Default)]
struct HistogramCells {
    /// Observations per bucket (not cumulative); the last is `+Inf` only.
    buckets: [AtomicU64; BUCKETS],
    /// Sum of all observations in nanoseconds (wraps after 584 years of
    /// observed time).
    sum_nanos: AtomicU64,
}

/// A latency distribution with the fixed [`LATENCY_BUCKETS_NANOS`] buckets,
/// exported in seconds and fed in nanoseconds.
///
/// An observation is a short search over 22 bounds and two relaxed atomic
/// adds (its bucket and the sum); the count is the sum of the buckets, so
/// the exported `+Inf` bucket always equals `_count`.
#[derive(Clone, Debug, Default)]
pub struct Histogram(Arc<HistogramCells>);

impl Histogram {
    /// An empty histogram that no registry exports.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one observation of `nanos` nanoseconds.
    #[inline]
    pub fn observe_nanos(&self, nanos: u64) {
        let bucket = LATENCY_BUCKETS_NANOS.partition_point(|&bound| bound < nanos);
        if let Some(cell) = self.0.buckets.get(bucket) {
            cell.fetch_add(1, Ordering::Relaxed);
        }
        self.0.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Records one observation of `elapsed` (saturating at `u64::MAX`
    /// nanoseconds).
    #[inline]
    pub fn observe(&self, elapsed: Duration) {
        self.observe_nanos(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }

    /// The counts so far: cumulative per bound, the sum and the count.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = [0u64; BUCKETS];
        let mut running = 0u64;
        for (cell, slot) in self.0.buckets.iter().zip(cumulative.iter_mut()) {
            running = running.wrapping_add(cell.load(Ordering::Relaxed));
            *slot = running;
        }
        HistogramSnapshot {
            cumulative,
            sum_nanos: self.0.sum_nanos.load(Ordering::Relaxed),
        }
    }
}

/// A histogram's counts at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistogramSnapshot {
    cumulative: [u64; BUCKETS],
    sum_nanos: u64,
}

impl HistogramSnapshot {
    /// Observations at or below each bound of [`LATENCY_BUCKETS_NANOS`],
    /// then the total (the `+Inf` bucket).
    pub fn cumulative(&self) -> &[u64] {
        &self.cumulative
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.cumulative[BUCKETS - 1]
    }

    /// Sum of the observations in nanoseconds.
    pub fn sum_nanos(&self) -> u64 {
        self.sum_nanos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges_share_their_value_across_clones() {
        let counter = Counter::new();
        let clone = counter.clone();
        counter.inc();
        clone.add(41);
        assert_eq!(counter.get(), 42);

        let gauge = Gauge::new();
        gauge.clone().set(5);
        gauge.dec();
        gauge.add(-10);
        assert_eq!(gauge.get(), -6);
        gauge.set_u64(u64::MAX);
        assert_eq!(gauge.get(), i64::MAX);
    }

    #[test]
    fn decimal_gauges_rescale_exactly_truncating_and_saturating() {
        let gauge = DecimalGauge::new(9);
        gauge.set_money("-1234.5678901234".parse().unwrap());
        assert_eq!(gauge.units(), -1_234_567_890_123);
        gauge.set_net_quantity(NetQuantity::from_raw(-2_500_000_000));
        assert_eq!(gauge.units(), -2_500_000_000);
        gauge.set_scaled(7, 0);
        assert_eq!(gauge.units(), 7_000_000_000);
        gauge.set_scaled(i128::MAX, 0);
        assert_eq!(gauge.units(), i64::MAX);
        gauge.set_scaled(i128::MIN, 60);
        assert_eq!(gauge.units(), 0);
        assert_eq!(DecimalGauge::new(30).scale(), MAX_DECIMAL_SCALE);
    }

    #[test]
    fn histogram_buckets_are_upper_inclusive_and_cumulative() {
        let histogram = Histogram::new();
        for nanos in [0, 1_000, 1_001, 2_500, 10_000_000_000, 10_000_000_001] {
            histogram.observe_nanos(nanos);
        }
        histogram.observe(Duration::from_micros(30));
        let snapshot = histogram.snapshot();
        let cumulative = snapshot.cumulative();
        assert_eq!(cumulative.len(), LATENCY_BUCKETS_NANOS.len() + 1);
        // ≤ 1 µs: 0 and 1000; ≤ 2.5 µs: + 1001 and 2500.
        assert_eq!(&cumulative[..3], &[2, 4, 4]);
        // 30 µs lands in the 50 µs bucket.
        assert_eq!(cumulative[4], 4);
        assert_eq!(cumulative[5], 5);
        // 10 s is inside the last bound; 10 s + 1 ns only in +Inf.
        assert_eq!(cumulative[21], 6);
        assert_eq!(cumulative[22], 7);
        assert_eq!(snapshot.count(), 7);
        assert_eq!(
            snapshot.sum_nanos(),
            1_000 + 1_001 + 2_500 + 10_000_000_000 + 10_000_000_001 + 30_000
        );
    }
}
