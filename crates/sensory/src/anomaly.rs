//! ANOMALY: robust z-scores over bounded rolling windows.
//!
//! `z = (x − median) / (1.4826 · MAD)` where the median and the median
//! absolute deviation (MAD) are those of the window *before* `x` joins it,
//! so an outlier does not dilute its own score. 1.4826 makes 1.4826·MAD
//! estimate the standard deviation of normal data.
//!
//! Samples are integers (price units of 10⁻⁹, or change counts), so the
//! median and MAD are exact: both are kept doubled (the sum of the two
//! middle values) until the final division. The scale 1.4826·MAD is
//! floored at a configured minimum (one tick for prices, one change for
//! churn): a spread that sits at one tick has a MAD of zero, and without a
//! floor the first two-tick spread would score infinity while a floor of
//! one tick scores it (2 − 1)/1.4826 · … in ticks, which a threshold can
//! judge.
//!
//! A window keeps its samples twice, in arrival order (a ring, to know
//! which sample leaves) and sorted (for the median); both are allocated at
//! construction, and pushing moves at most the window length of integers.

use crate::math::i128_to_f64;

/// The normal-consistency constant of the MAD.
const MAD_TO_SIGMA: f64 = 1.4826;

/// A fixed-length window of integer samples with an exact median.
#[derive(Clone, Debug)]
pub(crate) struct RollingWindow {
    ring: Vec<i64>,
    next: usize,
    sorted: Vec<i64>,
    capacity: usize,
    /// Twice the median and twice the MAD of `sorted`, kept until a push
    /// changes its contents (a steady spread leaves the same sample in
    /// as it lets out, and the statistics need no recomputing).
    cached: Option<(i128, f64)>,
}

impl RollingWindow {
    /// A window of `capacity` (≥ 1) samples.
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            ring: Vec::with_capacity(capacity),
            next: 0,
            sorted: Vec::with_capacity(capacity),
            capacity,
            cached: None,
        }
    }

    /// Samples held.
    pub(crate) fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Adds `sample`, dropping the oldest when full.
    pub(crate) fn push(&mut self, sample: i64) {
        if self.ring.len() < self.capacity {
            self.ring.push(sample);
        } else {
            let oldest = std::mem::replace(&mut self.ring[self.next], sample);
            self.next = (self.next + 1) % self.capacity;
            if oldest == sample {
                return;
            }
            if let Ok(at) = self.sorted.binary_search(&oldest) {
                self.sorted.remove(at);
            }
        }
        let at = self.sorted.partition_point(|held| *held < sample);
        self.sorted.insert(at, sample);
        self.cached = None;
    }

    /// The robust z-score of `sample` against the window, with the scale
    /// floored at `min_scale`; `None` with fewer than `min_samples`.
    pub(crate) fn robust_z(
        &mut self,
        sample: i64,
        min_samples: usize,
        min_scale: f64,
    ) -> Option<f64> {
        let n = self.sorted.len();
        if n == 0 || n < min_samples {
            return None;
        }
        let (median_twice, mad_twice) = match self.cached {
            Some(cached) => cached,
            None => {
                let lower = (n - 1) / 2;
                let median_twice = i128::from(self.sorted[lower]) + i128::from(self.sorted[n / 2]);
                let stats = (median_twice, self.mad_twice(median_twice, lower));
                self.cached = Some(stats);
                stats
            }
        };
        // x − median = (2x − 2·median) / 2 and MAD = mad_twice / 2: the
        // halves cancel.
        let deviation_twice = 2 * i128::from(sample) - median_twice;
        let scale_twice = (MAD_TO_SIGMA * mad_twice).max(2.0 * min_scale);
        Some(i128_to_f64(deviation_twice) / scale_twice)
    }

    /// Twice the MAD: the median of |2·x − 2·median| over the window.
    ///
    /// Walking down from the middle of the sorted window gives the
    /// deviations below the median in increasing order, walking up gives
    /// those above in increasing order; the MAD is a rank in the merge of
    /// two sorted sequences, which a binary search finds in O(log n)
    /// without building the merge.
    fn mad_twice(&self, median_twice: i128, lower: usize) -> f64 {
        let values = &self.sorted;
        let n = values.len();
        let below = |i: usize| median_twice - 2 * i128::from(values[lower - i]);
        let above = |j: usize| 2 * i128::from(values[lower + 1 + j]) - median_twice;
        let (below_len, above_len) = (lower + 1, n - lower - 1);
        let first = kth_of_merge(below_len, below, above_len, above, (n - 1) / 2);
        let second = kth_of_merge(below_len, below, above_len, above, n / 2);
        i128_to_f64(first + second) / 2.0
    }
}

/// The `k`-th smallest (from 0) of the merge of two ascending sequences
/// `a` and `b` given by index, `k < a_len + b_len`.
///
/// Binary search for how many of the `k + 1` smallest come from `a`: the
/// smallest count `i` with `b[k − i] ≤ a[i]` (beyond which taking more
/// from `a` cannot help).
fn kth_of_merge(
    a_len: usize,
    a: impl Fn(usize) -> i128,
    b_len: usize,
    b: impl Fn(usize) -> i128,
    k: usize,
) -> i128 {
    let mut low = (k + 1).saturating_sub(b_len);
    let mut high = (k + 1).min(a_len);
    while low < high {
        let from_a = low + (high - low) / 2;
        let from_b = k + 1 - from_a;
        if b(from_b - 1) > a(from_a) {
            low = from_a + 1;
        } else {
            high = from_a;
        }
    }
    let from_b = k + 1 - low;
    let last_a = (low > 0).then(|| a(low - 1));
    let last_b = (from_b > 0).then(|| b(from_b - 1));
    last_a.max(last_b).unwrap_or(0)
}

/// Book churn: changes counted per fixed interval, each completed interval
/// scored against the window of earlier ones.
#[derive(Clone, Debug)]
pub(crate) struct Churn {
    interval_nanos: u64,
    bucket: Option<u64>,
    count: i64,
    window: RollingWindow,
    z: Option<f64>,
}

impl Churn {
    pub(crate) fn new(interval_nanos: u64, window: usize) -> Self {
        Self {
            interval_nanos: interval_nanos.max(1),
            bucket: None,
            count: 0,
            window: RollingWindow::new(window),
            z: None,
        }
    }

    /// Counts `changes` at `now_nanos`. Completing a bucket scores it (and
    /// any empty buckets after it, at most a window's worth) and makes its
    /// score the current one.
    pub(crate) fn observe(&mut self, now_nanos: u64, changes: u32, min_samples: usize) {
        let bucket = now_nanos / self.interval_nanos;
        let Some(current) = self.bucket else {
            self.bucket = Some(bucket);
            self.count = i64::from(changes);
            return;
        };
        if bucket <= current {
            // Same bucket, or a receive time that stepped back: count it
            // in the open bucket.
            self.count += i64::from(changes);
            return;
        }
        let empty = usize::try_from(bucket - current - 1).unwrap_or(usize::MAX);
        let completed = std::iter::once(self.count)
            .chain(std::iter::repeat_n(0, empty.min(self.window.capacity)));
        for sample in completed {
            self.z = self.window.robust_z(sample, min_samples, 1.0);
            self.window.push(sample);
        }
        self.bucket = Some(bucket);
        self.count = i64::from(changes);
    }

    /// The score of the last completed bucket.
    pub(crate) const fn z(&self) -> Option<f64> {
        self.z
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn window(samples: &[i64], capacity: usize) -> RollingWindow {
        let mut window = RollingWindow::new(capacity);
        for sample in samples {
            window.push(*sample);
        }
        window
    }

    #[test]
    fn robust_z_of_known_data() {
        // Window 1, 2, 3, 4, 100: median 3; |x − 3| = 2, 1, 0, 1, 97 →
        // MAD 1; z(10) = (10 − 3) / 1.4826 = 4.72143531633616…
        let mut w = window(&[4, 1, 100, 3, 2], 8);
        assert_eq!(w.robust_z(10, 5, 0.0), Some(7.0 / 1.4826));
        // Even count 1, 2, 3, 10: median 2.5; deviations 1.5, 0.5, 0.5, 7.5
        // → MAD (0.5 + 1.5) / 2 = 1; z(4) = 1.5 / 1.4826
        let mut w = window(&[10, 1, 3, 2], 8);
        assert_eq!(w.robust_z(4, 4, 0.0), Some(1.5 / 1.4826));
        assert_eq!(w.robust_z(4, 5, 0.0), None, "too few samples");
    }

    #[test]
    fn flat_window_uses_the_floor() {
        // Spread constant at 1 tick (10 units): MAD 0, floor 10 units.
        let mut w = window(&[10; 6], 8);
        // (30 − 10) / max(0, 10) = 2
        assert_eq!(w.robust_z(30, 1, 10.0), Some(2.0));
        assert_eq!(w.robust_z(10, 1, 10.0), Some(0.0));
    }

    #[test]
    fn oldest_sample_leaves_a_full_window() {
        // Capacity 3: after 1, 2, 3, 50, 60 the window is 3, 50, 60.
        let mut w = window(&[1, 2, 3, 50, 60], 3);
        assert_eq!(w.len(), 3);
        // median 50; deviations 47, 0, 10 → MAD 10; z(70) = 20 / 14.826
        let z = w.robust_z(70, 3, 0.0).unwrap();
        assert!((z - 20.0 / 14.826).abs() < 1e-12, "{z}");
    }

    #[test]
    fn churn_scores_completed_buckets() {
        let mut churn = Churn::new(10, 16);
        // Buckets [0,10): 3 changes, [10,20): 3, [20,30): 3, then nothing in
        // [30,40) and 9 changes in [40,50).
        for (t, n) in [(1, 2), (5, 1), (11, 3), (25, 3), (41, 9)] {
            churn.observe(t, n, 3);
        }
        // Completed: 3, 3, 3 (scored with < 3 samples: None) and the
        // empty 0 bucket: window 3, 3, 3 → median 3, MAD 0 → floor 1 → z = −3.
        assert_eq!(churn.z(), Some(-3.0));
        churn.observe(50, 0, 3);
        // The 9 joins: window 3, 3, 3, 0 → median 3, MAD (0 + 0) / 2 = 0 →
        // z = (9 − 3) / 1 = 6.
        assert_eq!(churn.z(), Some(6.0));
    }

    proptest! {
        #[test]
        fn kth_of_merge_matches_a_sort(mut a in proptest::collection::vec(-50i128..50, 0..12), mut b in proptest::collection::vec(-50i128..50, 0..12), pick in 0usize..24) {
            prop_assume!(!a.is_empty() || !b.is_empty());
            a.sort_unstable();
            b.sort_unstable();
            let mut merged: Vec<i128> = a.iter().chain(&b).copied().collect();
            merged.sort_unstable();
            let k = pick % merged.len();
            prop_assert_eq!(kth_of_merge(a.len(), |i| a[i], b.len(), |j| b[j], k), merged[k]);
        }

        #[test]
        fn median_and_mad_match_a_naive_sort(samples in proptest::collection::vec(-1000i64..1000, 1..40), capacity in 1usize..20, x in -2000i64..2000) {
            let mut w = window(&samples, capacity);
            let held: Vec<i64> = samples[samples.len().saturating_sub(capacity)..].to_vec();
            let mut sorted = held.clone();
            sorted.sort_unstable();
            let n = sorted.len();
            let median = (sorted[(n - 1) / 2] + sorted[n / 2]) as f64 / 2.0;
            let mut deviations: Vec<f64> = sorted.iter().map(|v| (*v as f64 - median).abs()).collect();
            deviations.sort_by(f64::total_cmp);
            let mad = (deviations[(n - 1) / 2] + deviations[n / 2]) / 2.0;
            let scale = (1.4826 * mad).max(1.0);
            let expected = (x as f64 - median) / scale;
            let got = w.robust_z(x, 1, 1.0).unwrap();
            prop_assert!((got - expected).abs() <= 1e-9 * expected.abs().max(1.0), "{} vs {}", got, expected);
        }
    }
}
