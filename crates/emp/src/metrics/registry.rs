//! The registry: metric families by name, each with its label names and
//! its series by label values.
//!
//! Registering a family or a new label set takes a lock; that happens at
//! setup (or on the first use of a rare label value), never per update.
//! Updates go through the instrument handles the registry hands out, which
//! hold no reference to the registry at all.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::instrument::{Counter, DecimalGauge, Gauge, Histogram, MAX_DECIMAL_SCALE};

/// The most series one family may hold. Label values are meant to be few
/// and known in advance (sessions, instruments, event kinds, deny codes);
/// a family that grows past this is a bug, such as an order id used as a
/// label, and further label sets are refused rather than exported.
pub const MAX_SERIES_PER_FAMILY: usize = 1_000;

/// Why a metric could not be registered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The metric name is not `[a-zA-Z_:][a-zA-Z0-9_:]*`, or breaks one of
    /// EMP's naming rules (counters end `_total`; no other name ends
    /// `_total`, `_bucket`, `_count` or `_sum`).
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
    #[error(
        "metric {0} is already registered with a different type, help text, scale or label names"
    )]
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
pub(super) enum Kind {
    Counter,
    Gauge,
    Decimal(u8),
    Histogram,
    Computed(u8),
}

impl Kind {
    pub(super) fn type_name(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge | Self::Decimal(_) | Self::Computed(_) => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// A value computed when the registry renders (uptime).
pub(super) type ComputeFn = Arc<dyn Fn() -> i64 + Send + Sync>;

/// One series' instrument.
#[derive(Clone)]
pub(super) enum Series {
    Counter(Counter),
    Gauge(Gauge),
    Decimal(DecimalGauge),
    Histogram(Histogram),
    Computed(ComputeFn, u8),
}

/// A family's definition and its series.
pub(super) struct FamilyCore {
    pub(super) name: String,
    pub(super) help: String,
    pub(super) kind: Kind,
    pub(super) label_names: Vec<String>,
    pub(super) series: Mutex<BTreeMap<Vec<String>, Series>>,
    compute: Option<ComputeFn>,
}

impl FamilyCore {
    pub(super) fn series(&self) -> MutexGuard<'_, BTreeMap<Vec<String>, Series>> {
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The series for `values`, made on first use.
    fn get_or_insert(&self, values: &[&str]) -> Result<Series, MetricsError> {
        if values.len() != self.label_names.len() {
            return Err(MetricsError::LabelCount {
                metric: self.name.clone(),
                expected: self.label_names.len(),
                given: values.len(),
            });
        }
        let key: Vec<String> = values.iter().map(|&value| value.to_owned()).collect();
        let mut series = self.series();
        if let Some(existing) = series.get(&key) {
            return Ok(existing.clone());
        }
        if series.len() >= MAX_SERIES_PER_FAMILY {
            return Err(MetricsError::TooManySeries(self.name.clone()));
        }
        let made = match self.kind {
            Kind::Counter => Series::Counter(Counter::new()),
            Kind::Gauge => Series::Gauge(Gauge::new()),
            Kind::Decimal(scale) => Series::Decimal(DecimalGauge::new(scale)),
            Kind::Histogram => Series::Histogram(Histogram::new()),
            Kind::Computed(scale) => match &self.compute {
                Some(compute) => Series::Computed(Arc::clone(compute), scale),
                None => Series::Gauge(Gauge::new()),
            },
        };
        series.insert(key, made.clone());
        Ok(made)
    }
}

impl fmt::Debug for FamilyCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("label_names", &self.label_names)
            .finish_non_exhaustive()
    }
}

/// A labelled metric family: one series per set of label values, each
/// series an `M` ([`Counter`], [`Gauge`], [`DecimalGauge`] or
/// [`Histogram`]).
///
/// [`with`](Family::with) finds or makes a series and takes a lock: call it
/// at setup and keep the handle it returns for the hot path.
pub struct Family<M> {
    core: Arc<FamilyCore>,
    instrument: PhantomData<fn() -> M>,
}

impl<M> Clone for Family<M> {
    fn clone(&self) -> Self {
        Self {
            core: Arc::clone(&self.core),
            instrument: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Family<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

impl<M> Family<M> {
    fn new(core: Arc<FamilyCore>) -> Self {
        Self {
            core,
            instrument: PhantomData,
        }
    }

    /// The family's name.
    pub fn name(&self) -> &str {
        &self.core.name
    }

    /// The family's label names, in order.
    pub fn label_names(&self) -> &[String] {
        &self.core.label_names
    }
}

macro_rules! family_with {
    ($instrument:ident) => {
        impl Family<$instrument> {
            /// The series for `values` (one per label name, in order),
            /// made at zero on first use. Takes the family's lock.
            ///
            /// # Errors
            /// [`MetricsError::LabelCount`] or
            /// [`MetricsError::TooManySeries`].
            pub fn with(&self, values: &[&str]) -> Result<$instrument, MetricsError> {
                match self.core.get_or_insert(values)? {
                    Series::$instrument(instrument) => Ok(instrument),
                    _ => Err(MetricsError::Conflict(self.core.name.clone())),
                }
            }
        }
    };
}

family_with!(Counter);
family_with!(Gauge);
family_with!(Histogram);

impl Family<DecimalGauge> {
    /// The series for `values` (one per label name, in order), made at zero
    /// on first use. Takes the family's lock.
    ///
    /// # Errors
    /// [`MetricsError::LabelCount`] or [`MetricsError::TooManySeries`].
    pub fn with(&self, values: &[&str]) -> Result<DecimalGauge, MetricsError> {
        match self.core.get_or_insert(values)? {
            Series::Decimal(gauge) => Ok(gauge),
            _ => Err(MetricsError::Conflict(self.core.name.clone())),
        }
    }
}

/// The set of metric families a process exports, rendered in Prometheus
/// text format by [`render`](Self::render).
///
/// Cloning is cheap and every clone is the same registry. Registering a
/// name that exists with the same definition returns the existing family;
/// with a different one, an error.
#[derive(Clone, Default)]
pub struct Registry {
    families: Arc<Mutex<BTreeMap<String, Arc<FamilyCore>>>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("families", &self.families().len())
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn families(&self) -> MutexGuard<'_, BTreeMap<String, Arc<FamilyCore>>> {
        self.families.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        label_names: &[&str],
        compute: Option<ComputeFn>,
    ) -> Result<Arc<FamilyCore>, MetricsError> {
        check_name(name, kind)?;
        check_label_names(name, kind, label_names)?;
        let mut families = self.families();
        if let Some(existing) = families.get(name) {
            let same = existing.kind == kind
                && existing.help == help
                && existing.label_names.iter().eq(label_names.iter());
            return if same {
                Ok(Arc::clone(existing))
            } else {
                Err(MetricsError::Conflict(name.to_owned()))
            };
        }
        let core = Arc::new(FamilyCore {
            name: name.to_owned(),
            help: help.to_owned(),
            kind,
            label_names: label_names.iter().map(|&label| label.to_owned()).collect(),
            series: Mutex::default(),
            compute,
        });
        families.insert(name.to_owned(), Arc::clone(&core));
        Ok(core)
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
        self.register(name, help, Kind::Counter, label_names, None)
            .map(Family::new)
    }

    /// Registers (or finds) an integer gauge without labels.
    ///
    /// # Errors
    /// An invalid name or a conflicting definition.
    pub fn gauge(&self, name: &str, help: &str) -> Result<Gauge, MetricsError> {
        self.gauge_family(name, help, &[])?.with(&[])
    }

    /// Registers (or finds) an integer gauge family with `label_names`.
    ///
    /// # Errors
    /// An invalid name or label name, or a conflicting definition.
    pub fn gauge_family(
        &self,
        name: &str,
        help: &str,
        label_names: &[&str],
    ) -> Result<Family<Gauge>, MetricsError> {
        self.register(name, help, Kind::Gauge, label_names, None)
            .map(Family::new)
    }

    /// Registers (or finds) an exact decimal gauge with `scale` fractional
    /// digits (at most 18) and no labels.
    ///
    /// # Errors
    /// An invalid name or a conflicting definition.
    pub fn decimal_gauge(
        &self,
        name: &str,
        help: &str,
        scale: u8,
    ) -> Result<DecimalGauge, MetricsError> {
        self.decimal_gauge_family(name, help, scale, &[])?.with(&[])
    }

    /// Registers (or finds) an exact decimal gauge family.
    ///
    /// # Errors
    /// An invalid name or label name, or a conflicting definition.
    pub fn decimal_gauge_family(
        &self,
        name: &str,
        help: &str,
        scale: u8,
        label_names: &[&str],
    ) -> Result<Family<DecimalGauge>, MetricsError> {
        let kind = Kind::Decimal(scale.min(MAX_DECIMAL_SCALE));
        self.register(name, help, kind, label_names, None)
            .map(Family::new)
    }

    /// Registers (or finds) a latency histogram without labels.
    ///
    /// # Errors
    /// An invalid name (it should end `_seconds`) or a conflicting
    /// definition.
    pub fn histogram(&self, name: &str, help: &str) -> Result<Histogram, MetricsError> {
        self.histogram_family(name, help, &[])?.with(&[])
    }

    /// Registers (or finds) a latency histogram family.
    ///
    /// # Errors
    /// An invalid name or label name (`le` is reserved), or a conflicting
    /// definition.
    pub fn histogram_family(
        &self,
        name: &str,
        help: &str,
        label_names: &[&str],
    ) -> Result<Family<Histogram>, MetricsError> {
        self.register(name, help, Kind::Histogram, label_names, None)
            .map(Family::new)
    }

    /// Registers a gauge without labels whose value `compute` returns, as a
    /// count of 10⁻`scale` units, each time the registry renders (on the
    /// metrics thread). For values such as uptime that nobody needs to
    /// update. Registering the name again keeps the first function.
    ///
    /// # Errors
    /// An invalid name or a conflicting definition.
    pub fn computed_gauge(
        &self,
        name: &str,
        help: &str,
        scale: u8,
        compute: impl Fn() -> i64 + Send + Sync + 'static,
    ) -> Result<(), MetricsError> {
        let kind = Kind::Computed(scale.min(MAX_DECIMAL_SCALE));
        let core = self.register(name, help, kind, &[], Some(Arc::new(compute)))?;
        core.get_or_insert(&[]).map(drop)
    }

    /// Registers an `_info` pseudo-metric: a gauge at 1 whose labels carry
    /// facts such as the version (`emp_build_info{version="0.1.0"} 1`).
    ///
    /// # Errors
    /// An invalid name (it must end `_info`) or label name, or a
    /// conflicting definition.
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
        self.gauge_family(name, help, &names)?.with(&values)?.set(1);
        Ok(())
    }

    /// The registry in Prometheus text exposition format 0.0.4: families
    /// sorted by name, series by label values.
    pub fn render(&self) -> String {
        let mut out = String::new();
        super::text::render(self, &mut out);
        out
    }
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
    use super::*;

    #[test]
    fn registering_again_with_the_same_definition_returns_the_same_series() {
        let registry = Registry::new();
        let first = registry.counter("emp_x_total", "X.").unwrap();
        let second = registry.counter("emp_x_total", "X.").unwrap();
        first.inc();
        assert_eq!(second.get(), 1);
        let family = registry.gauge_family("emp_y", "Y.", &["session"]).unwrap();
        family.with(&["A"]).unwrap().set(3);
        assert_eq!(family.with(&["A"]).unwrap().get(), 3);
        assert_eq!(family.label_names(), ["session"]);
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
        registry.gauge("emp_g", "G.").unwrap();
        assert_eq!(
            registry.histogram_family("emp_g", "G.", &[]).unwrap_err(),
            MetricsError::Conflict("emp_g".into())
        );
        assert!(registry.gauge("emp_g", "Other help.").is_err());
        assert!(registry.decimal_gauge("emp_g", "G.", 2).is_err());
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
            family.with(&[&id.to_string()]).unwrap();
        }
        assert_eq!(
            family.with(&["one more"]).unwrap_err(),
            MetricsError::TooManySeries("emp_c_total".into())
        );
        // Existing series are still found.
        family.with(&["7"]).unwrap().inc();
    }
}
