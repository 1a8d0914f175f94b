//! The registry: EMP's metric families on a local
//! [`PrometheusRecorder`], with the naming and cardinality rules the
//! exporter does not enforce.
//!
//! Registering a family or a new label set takes a lock; that happens at
//! setup, never per update. Updates go through the `metrics` handles
//! ([`Counter`], [`Gauge`], [`Histogram`]) the registry hands out, which
//! are atomics in the recorder's storage.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ::metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Level, Metadata, Recorder as _};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// The upper bounds of every histogram's buckets, in seconds: 1, 2.5 and
/// 5 per decade from 5 µs to 100 ms (14 bounds, plus `+Inf`).
///
/// One set serves every latency EMP measures (tick to order and an order
/// ack over loopback take microseconds to tens of microseconds, a journal
/// commit with fdatasync milliseconds, an ack from a remote venue tens of
/// milliseconds), so histograms can be compared and aggregated. Slower
/// observations land in `+Inf` only.
pub const LATENCY_BUCKETS_SECONDS: [f64; 14] = [
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
    0.01, 0.025, 0.05, 0.1,
];

/// The most series one family may hold. Label values are meant to be few
/// and known in advance (sessions, instruments, event kinds, deny codes,
/// MsgTypes); a family that grows past this is a bug, such as an order id
/// used as a label, and further label sets are refused rather than
/// exported.
pub const MAX_SERIES_PER_FAMILY: usize = 1_000;

/// Where the handles say they come from (the exporter ignores it).
static METADATA: Metadata<'static> =
    Metadata::new("emp::metrics", Level::INFO, Some("emp::metrics"));

/// Why a metric could not be registered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The metric name is not `[a-zA-Z_:][a-zA-Z0-9_:]*`, or breaks one of
    /// EMP's naming rules (counters end `_total`; no other name ends
    /// `_total`, `_bucket`, `_count` or `_sum`; info metrics end `_info`).
    #[error("invalid metric name {name:?}: {why}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Which rule it breaks.
        why: &'static str,
    },
    /// A label name is not `[a-zA-Z_][a-zA-Z0-9_]*`, starts with `__`, is
    /// `le` on a histogram, or is repeated.
    #[error("metric {metric}: invalid label name {label:?}")]
    InvalidLabelName {
        /// The family.
        metric: String,
        /// The label name as given.
        label: String,
    },
    /// The name is already registered with another type, help text or
    /// label names.
    #[error("metric {0} is already registered with a different type, help text or label names")]
    Conflict(String),
    /// The number of label values differs from the family's label names.
    #[error("metric {metric} has {expected} label(s), {given} value(s) given")]
    LabelCount {
        /// The family.
        metric: String,
        /// Label names of the family.
        expected: usize,
        /// Values given.
        given: usize,
    },
    /// The family already holds [`MAX_SERIES_PER_FAMILY`] series.
    #[error(
        "metric {0} already has {MAX_SERIES_PER_FAMILY} series; a label with many values (an id?) does not belong on a metric"
    )]
    TooManySeries(String),
}

/// What a family exports, as written after `# TYPE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// A family's definition and the label sets it has handed out.
#[derive(Debug)]
struct Definition {
    kind: Kind,
    help: String,
    label_names: Vec<String>,
    series: BTreeSet<Vec<String>>,
}

/// A gauge set from a function each time the registry renders.
type ComputeFn = Box<dyn Fn() -> f64 + Send + Sync>;

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    families: Mutex<BTreeMap<String, Definition>>,
    computed: Mutex<Vec<(Gauge, ComputeFn)>>,
}

impl Inner {
    fn families(&self) -> MutexGuard<'_, BTreeMap<String, Definition>> {
        self.families.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The set of metric families a process exports, rendered in Prometheus
/// text format by [`render`](Self::render).
///
/// Each registry has its own [`PrometheusRecorder`] (never installed as
/// the global recorder), so a process, or a test, can hold several
/// independent ones. Cloning is cheap and every clone is the same
/// registry. Registering a name that exists with the same definition
/// returns the existing family; with a different one, an error.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("families", &self.inner.families().len())
            .finish_non_exhaustive()
    }
}

/// A labelled metric family: one series per set of label values, each
/// series an `M` ([`Counter`], [`Gauge`] or [`Histogram`]).
///
/// [`with`](Family::with) finds or makes a series and takes a lock: call it
/// at setup and keep the handle it returns for the hot path.
pub struct Family<M> {
    registry: Registry,
    name: String,
    instrument: PhantomData<fn() -> M>,
}

impl<M> Clone for Family<M> {
    fn clone(&self) -> Self {
        Self {
            registry: self.registry.clone(),
            name: self.name.clone(),
            instrument: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Family<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<M> Family<M> {
    /// The family's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The recorder's key of the series for `values`, after checking the
    /// label count and the cardinality limit.
    fn key(&self, values: &[&str]) -> Result<Key, MetricsError> {
        let mut families = self.registry.inner.families();
        let definition = families
            .get_mut(&self.name)
            .ok_or_else(|| MetricsError::Conflict(self.name.clone()))?;
        if values.len() != definition.label_names.len() {
            return Err(MetricsError::LabelCount {
                metric: self.name.clone(),
                expected: definition.label_names.len(),
                given: values.len(),
            });
        }
        let owned: Vec<String> = values.iter().map(|&value| value.to_owned()).collect();
        if !definition.series.contains(&owned) {
            if definition.series.len() >= MAX_SERIES_PER_FAMILY {
                return Err(MetricsError::TooManySeries(self.name.clone()));
            }
            definition.series.insert(owned.clone());
        }
        let labels: Vec<Label> = definition
            .label_names
            .iter()
            .zip(owned)
            .map(|(name, value)| Label::new(name.clone(), value))
            .collect();
        Ok(Key::from_parts(self.name.clone(), labels))
    }
}

macro_rules! family_with {
    ($instrument:ident, $register:ident) => {
        impl Family<$instrument> {
            /// The series for `values` (one per label name, in order),
            /// made at zero on first use. Takes the registry's lock.
            ///
            /// # Errors
            /// [`MetricsError::LabelCount`] or
            /// [`MetricsError::TooManySeries`].
            pub fn with(&self, values: &[&str]) -> Result<$instrument, MetricsError> {
                let key = self.key(values)?;
                Ok(self.registry.inner.recorder.$register(&key, &METADATA))
            }
        }
    };
}

family_with!(Counter, register_counter);
family_with!(Gauge, register_gauge);
family_with!(Histogram, register_histogram);

impl Registry {
    /// An empty registry on a new recorder whose histograms have the
    /// [`LATENCY_BUCKETS_SECONDS`] buckets.
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS_SECONDS)
            .expect("LATENCY_BUCKETS_SECONDS is not empty")
            .build_recorder();
        let handle = recorder.handle();
        Self {
            inner: Arc::new(Inner {
                recorder,
                handle,
                families: Mutex::default(),
                computed: Mutex::default(),
            }),
        }
    }

    fn register<M>(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        label_names: &[&str],
    ) -> Result<Family<M>, MetricsError> {
        check_name(name, kind)?;
        check_label_names(name, kind, label_names)?;
        let mut families = self.inner.families();
        if let Some(existing) = families.get(name) {
            let same = existing.kind == kind
                && existing.help == help
                && existing.label_names.iter().eq(label_names.iter());
            if !same {
                return Err(MetricsError::Conflict(name.to_owned()));
            }
        } else {
            families.insert(
                name.to_owned(),
                Definition {
                    kind,
                    help: help.to_owned(),
                    label_names: label_names.iter().map(|&label| label.to_owned()).collect(),
                    series: BTreeSet::new(),
                },
            );
            let key_name = KeyName::from(name.to_owned());
            let help = help.to_owned().into();
            let recorder = &self.inner.recorder;
            match kind {
                Kind::Counter => recorder.describe_counter(key_name, None, help),
                Kind::Gauge => recorder.describe_gauge(key_name, None, help),
                Kind::Histogram => recorder.describe_histogram(key_name, None, help),
            }
        }
        Ok(Family {
            registry: self.clone(),
            name: name.to_owned(),
            instrument: PhantomData,
        })
    }

    /// Registers (or finds) a counter without labels.
    ///
    /// # Errors
    /// An invalid name (counters end `_total`) or a conflicting definition.
    pub fn counter(&self, name: &str, help: &str) -> Result<Counter, MetricsError> {
        self.counter_family(name, help, &[])?.with(&[])
    }

    /// Registers (or finds) a counter family with `label_names`.
    ///
    /// # Errors
    /// An invalid name or label name, or a conflicting definition.
    pub fn counter_family(
        &self,
        name: &str,
        help: &str,
        label_names: &[&str],
    ) -> Result<Family<Counter>, MetricsError> {
        self.register(name, help, Kind::Counter, label_names)
    }

    /// Registers (or finds) a gauge without labels.
    ///
    /// # Errors
    /// An invalid name or a conflicting definition.
    pub fn gauge(&self, name: &str, help: &str) -> Result<Gauge, MetricsError> {
        self.gauge_family(name, help, &[])?.with(&[])
    }

    /// Registers (or finds) a gauge family with `label_names`.
    ///
    /// # Errors
    /// An invalid name or label name, or a conflicting definition.
    pub fn gauge_family(
        &self,
        name: &str,
        help: &str,
        label_names: &[&str],
    ) -> Result<Family<Gauge>, MetricsError> {
        self.register(name, help, Kind::Gauge, label_names)
    }

    /// Registers (or finds) a latency histogram, in seconds, without
    /// labels. Record a `Duration`, or seconds as `f64`.
    ///
    /// # Errors
    /// An invalid name or a conflicting definition.
    pub fn histogram(&self, name: &str, help: &str) -> Result<Histogram, MetricsError> {
        self.histogram_family(name, help, &[])?.with(&[])
    }

    /// Registers (or finds) a latency histogram family with `label_names`
    /// (`le` is the buckets' own label and cannot be one of them).
    ///
    /// # Errors
    /// An invalid name or label name, or a conflicting definition.
    pub fn histogram_family(
        &self,
        name: &str,
        help: &str,
        label_names: &[&str],
    ) -> Result<Family<Histogram>, MetricsError> {
        self.register(name, help, Kind::Histogram, label_names)
    }

    /// Registers a gauge whose value `compute` gives each time the registry
    /// renders (uptime, staleness): the function runs on the rendering
    /// thread, never on the hot path.
    ///
    /// # Errors
    /// An invalid name or a conflicting definition.
    pub fn computed_gauge(
        &self,
        name: &str,
        help: &str,
        compute: impl Fn() -> f64 + Send + Sync + 'static,
    ) -> Result<(), MetricsError> {
        let gauge = self.gauge(name, help)?;
        gauge.set(compute());
        self.inner
            .computed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((gauge, Box::new(compute)));
        Ok(())
    }

    /// Sets an info metric: a gauge at 1 whose labels carry the
    /// information (`emp_build_info{version="…"} 1`).
    ///
    /// # Errors
    /// The name does not end in `_info`, or an invalid or conflicting
    /// definition.
    pub fn info(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<(), MetricsError> {
        if !name.ends_with("_info") {
            return Err(MetricsError::InvalidName {
                name: name.to_owned(),
                why: "an info metric's name ends in _info",
            });
        }
        let names: Vec<&str> = labels.iter().map(|&(name, _)| name).collect();
        let values: Vec<&str> = labels.iter().map(|&(_, value)| value).collect();
        self.gauge_family(name, help, &names)?
            .with(&values)?
            .set(1.0);
        Ok(())
    }

    /// Moves the histogram samples recorded since the last call into their
    /// buckets. The recorder keeps samples in a lock-free list until then,
    /// so whatever serves the registry calls this every few seconds
    /// ([`MetricsServer`](super::MetricsServer) does), scraped or not.
    pub fn run_upkeep(&self) {
        self.inner.handle.run_upkeep();
    }

    /// The registry in Prometheus text exposition format 0.0.4: the
    /// computed gauges brought up to date, then the exporter's rendering
    /// with the process metrics (`process_cpu_seconds_total`,
    /// `process_resident_memory_bytes`) added, every
    /// family sorted by name and its series by label values, without
    /// blank lines.
    pub fn render(&self) -> String {
        for (gauge, compute) in self
            .inner
            .computed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            gauge.set(compute());
        }
        let mut text = self.inner.handle.render();
        super::process::render(&mut text);
        canonical(&text)
    }
}

/// `text` (Prometheus text format, every family with its `# HELP`) with
/// the families sorted by name and each family's series sorted by their
/// first line (a histogram's series is its buckets, `_sum` and `_count`,
/// kept together and in order). Blank lines are dropped.
fn canonical(text: &str) -> String {
    struct Block<'a> {
        name: &'a str,
        head: Vec<&'a str>,
        histogram: bool,
        series: Vec<Vec<&'a str>>,
        open: bool,
    }
    let mut blocks: Vec<Block<'_>> = Vec::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            blocks.push(Block {
                name,
                head: vec![line],
                histogram: false,
                series: Vec::new(),
                open: false,
            });
            continue;
        }
        let Some(block) = blocks.last_mut() else {
            continue;
        };
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            block.histogram = rest.ends_with(" histogram");
            block.head.push(line);
        } else if line.starts_with('#') {
            block.head.push(line);
        } else {
            match block.series.last_mut() {
                Some(series) if block.open => series.push(line),
                _ => block.series.push(vec![line]),
            }
            // A histogram's series ends with its `_count` line.
            block.open = block.histogram
                && !line
                    .strip_prefix(block.name)
                    .is_some_and(|rest| rest.starts_with("_count"));
        }
    }
    blocks.sort_by(|a, b| a.name.cmp(b.name));
    let mut out = String::with_capacity(text.len());
    for mut block in blocks {
        block.series.sort();
        for line in block
            .head
            .into_iter()
            .chain(block.series.into_iter().flatten())
        {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn is_name_start(c: char, colon: bool) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (colon && c == ':')
}

fn is_name_char(c: char, colon: bool) -> bool {
    is_name_start(c, colon) || c.is_ascii_digit()
}

fn check_name(name: &str, kind: Kind) -> Result<(), MetricsError> {
    let invalid = |why| {
        Err(MetricsError::InvalidName {
            name: name.to_owned(),
            why,
        })
    };
    let mut chars = name.chars();
    if !chars.next().is_some_and(|c| is_name_start(c, true))
        || !chars.all(|c| is_name_char(c, true))
    {
        return invalid("a metric name is [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
    let is_total = name.ends_with("_total");
    match kind {
        Kind::Counter if !is_total => return invalid("a counter's name ends in _total"),
        Kind::Counter => {}
        _ if is_total => return invalid("only counters' names end in _total"),
        _ => {}
    }
    if ["_bucket", "_count", "_sum"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
    {
        return invalid("_bucket, _count and _sum are the suffixes of a histogram's series");
    }
    Ok(())
}

fn check_label_names(metric: &str, kind: Kind, label_names: &[&str]) -> Result<(), MetricsError> {
    for (index, &label) in label_names.iter().enumerate() {
        let mut chars = label.chars();
        let valid = chars.next().is_some_and(|c| is_name_start(c, false))
            && chars.all(|c| is_name_char(c, false))
            && !label.starts_with("__")
            && !(kind == Kind::Histogram && label == "le")
            && !label_names[..index].contains(&label);
        if !valid {
            return Err(MetricsError::InvalidLabelName {
                metric: metric.to_owned(),
                label: label.to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The render without the process families (which vary).
    fn render_emp(registry: &Registry) -> String {
        let text = registry.render();
        let mut out = String::new();
        for line in text.lines().filter(|line| !line.contains("process_")) {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    #[test]
    fn registering_again_with_the_same_definition_returns_the_same_series() {
        let registry = Registry::new();
        let first = registry.counter("emp_x_total", "X.").unwrap();
        let second = registry.counter("emp_x_total", "X.").unwrap();
        first.increment(1);
        second.increment(1);
        let family = registry.gauge_family("emp_y", "Y.", &["session"]).unwrap();
        family.with(&["A"]).unwrap().set(3.0);
        assert_eq!(family.name(), "emp_y");
        assert_eq!(
            render_emp(&registry),
            "# HELP emp_x_total X.\n# TYPE emp_x_total counter\nemp_x_total 2\n\
             # HELP emp_y Y.\n# TYPE emp_y gauge\nemp_y{session=\"A\"} 3\n"
        );
    }

    #[test]
    fn bad_names_labels_and_conflicts_are_refused() {
        let registry = Registry::new();
        fn name_error<T>(result: Result<T, MetricsError>) -> bool {
            matches!(result, Err(MetricsError::InvalidName { .. }))
        }
        assert!(name_error(registry.counter("emp_x", "no _total")));
        assert!(name_error(registry.gauge("emp_x_total", "gauge _total")));
        assert!(name_error(registry.gauge("1emp", "digit first")));
        assert!(name_error(registry.gauge("emp-x", "dash")));
        assert!(name_error(registry.gauge("emp_x_count", "suffix")));
        assert!(name_error(registry.info("emp_build", "no _info", &[])));
        for labels in [&["le"][..], &["__x"], &["a", "a"], &["a-b"], &[""]] {
            assert!(matches!(
                registry.histogram_family("emp_h_seconds", "H.", labels),
                Err(MetricsError::InvalidLabelName { .. })
            ));
        }
        let _gauge = registry.gauge("emp_g", "G.").unwrap();
        assert_eq!(
            registry.histogram_family("emp_g", "G.", &[]).unwrap_err(),
            MetricsError::Conflict("emp_g".into())
        );
        assert!(registry.gauge("emp_g", "Other help.").is_err());
        assert!(registry.gauge_family("emp_g", "G.", &["a"]).is_err());
        let family = registry
            .counter_family("emp_c_total", "C.", &["a"])
            .unwrap();
        assert_eq!(
            family.with(&["1", "2"]).unwrap_err(),
            MetricsError::LabelCount {
                metric: "emp_c_total".into(),
                expected: 1,
                given: 2
            }
        );
    }

    #[test]
    fn a_family_refuses_series_beyond_the_cardinality_limit() {
        let registry = Registry::new();
        let family = registry
            .counter_family("emp_c_total", "C.", &["id"])
            .unwrap();
        for id in 0..MAX_SERIES_PER_FAMILY {
            let _counter = family.with(&[&id.to_string()]).unwrap();
        }
        assert_eq!(
            family.with(&["one more"]).unwrap_err(),
            MetricsError::TooManySeries("emp_c_total".into())
        );
        // Existing series are still found, and the refused one is not
        // exported.
        family.with(&["7"]).unwrap().increment(1);
        let text = registry.render();
        assert!(text.contains("emp_c_total{id=\"7\"} 1\n"));
        assert!(!text.contains("one more"));
    }

    #[test]
    fn registries_are_independent() {
        let a = Registry::new();
        let b = Registry::new();
        a.counter("emp_x_total", "X.").unwrap().increment(5);
        b.counter("emp_x_total", "X.").unwrap().increment(1);
        assert!(a.render().contains("emp_x_total 5\n"));
        assert!(b.render().contains("emp_x_total 1\n"));
    }

    #[test]
    fn label_values_and_help_are_escaped_and_families_sorted() {
        let registry = Registry::new();
        registry
            .gauge_family("emp_g", "Help with\nnewline.", &["v"])
            .unwrap()
            .with(&["a\\b\"c\nd"])
            .unwrap()
            .set(-1.5);
        let messages = registry
            .counter_family("emp_m_total", "M.", &["session", "direction"])
            .unwrap();
        messages.with(&["TRADE", "out"]).unwrap().increment(3);
        messages.with(&["QUOTE", "in"]).unwrap().increment(2);
        messages.with(&["TRADE", "in"]).unwrap().increment(1);
        registry.gauge("emp_a", "A.").unwrap().set(-7.0);
        registry
            .info("emp_build_info", "Build.", &[("version", "1.2.3")])
            .unwrap();
        let text = render_emp(&registry);
        assert_eq!(
            text,
            "# HELP emp_a A.\n# TYPE emp_a gauge\nemp_a -7\n\
             # HELP emp_build_info Build.\n# TYPE emp_build_info gauge\n\
             emp_build_info{version=\"1.2.3\"} 1\n\
             # HELP emp_g Help with\\nnewline.\n# TYPE emp_g gauge\n\
             emp_g{v=\"a\\\\b\\\"c\\nd\"} -1.5\n\
             # HELP emp_m_total M.\n# TYPE emp_m_total counter\n\
             emp_m_total{session=\"QUOTE\",direction=\"in\"} 2\n\
             emp_m_total{session=\"TRADE\",direction=\"in\"} 1\n\
             emp_m_total{session=\"TRADE\",direction=\"out\"} 3\n"
        );
        // Rendering twice gives the same bytes.
        assert_eq!(render_emp(&registry), text);
    }

    #[test]
    fn histograms_have_the_latency_buckets_upper_inclusive_in_seconds() {
        let registry = Registry::new();
        let family = registry
            .histogram_family("emp_h_seconds", "H.", &["kind"])
            .unwrap();
        let histogram = family.with(&["x"]).unwrap();
        histogram.record(Duration::from_nanos(800)); // ≤ 5 µs
        histogram.record(Duration::from_micros(5)); // ≤ 5 µs: bounds are inclusive
        histogram.record(Duration::from_micros(6)); // ≤ 10 µs
        histogram.record(Duration::from_millis(3)); // ≤ 5 ms
        histogram.record(Duration::from_millis(100)); // ≤ 100 ms
        histogram.record(Duration::from_secs(2)); // +Inf only
        let _empty = family.with(&["y"]).unwrap();
        let text = render_emp(&registry);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "# HELP emp_h_seconds H.");
        assert_eq!(lines[1], "# TYPE emp_h_seconds histogram");
        let expected = [
            ("0.000005", 2),
            ("0.00001", 3),
            ("0.000025", 3),
            ("0.00005", 3),
            ("0.0001", 3),
            ("0.00025", 3),
            ("0.0005", 3),
            ("0.001", 3),
            ("0.0025", 3),
            ("0.005", 4),
            ("0.01", 4),
            ("0.025", 4),
            ("0.05", 4),
            ("0.1", 5),
            ("+Inf", 6),
        ];
        for (line, (le, count)) in lines[2..].iter().zip(expected) {
            assert_eq!(
                *line,
                format!("emp_h_seconds_bucket{{kind=\"x\",le=\"{le}\"}} {count}")
            );
        }
        let sum: f64 = lines[17]
            .strip_prefix("emp_h_seconds_sum{kind=\"x\"} ")
            .unwrap()
            .parse()
            .unwrap();
        assert!((sum - 2.103_011_8).abs() < 1e-9, "{sum}");
        assert_eq!(lines[18], "emp_h_seconds_count{kind=\"x\"} 6");
        // The empty series follows, whole: 15 buckets, sum, count.
        assert_eq!(
            lines[19],
            "emp_h_seconds_bucket{kind=\"y\",le=\"0.000005\"} 0"
        );
        assert_eq!(lines[35], "emp_h_seconds_count{kind=\"y\"} 0");
        assert_eq!(lines.len(), 36);
    }

    #[test]
    fn upkeep_keeps_samples_and_computed_gauges_are_evaluated_at_render() {
        let registry = Registry::new();
        let histogram = registry.histogram("emp_h_seconds", "H.").unwrap();
        histogram.record(0.000_02);
        registry.run_upkeep();
        histogram.record(0.000_02);
        assert!(
            registry
                .render()
                .contains("emp_h_seconds_bucket{le=\"0.000025\"} 2\n")
        );
        let source = Arc::new(Mutex::new(1.25));
        let read = Arc::clone(&source);
        registry
            .computed_gauge("emp_c", "C.", move || *read.lock().unwrap())
            .unwrap();
        assert!(registry.render().contains("emp_c 1.25\n"));
        *source.lock().unwrap() = 2.0;
        assert!(registry.render().contains("emp_c 2\n"));
    }
}
