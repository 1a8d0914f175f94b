//! Prometheus text exposition format 0.0.4.
//!
//! Per family: `# HELP` and `# TYPE` once, then its series sorted by label
//! values. Label values escape `\`, `"` and newline; help text escapes `\`
//! and newline. Decimal values are written exactly (no exponent, no
//! trailing fractional zeros). A histogram writes one cumulative
//! `_bucket` per bound with `le` in seconds, then `le="+Inf"`, `_sum` in
//! seconds and `_count`. Families without series are left out.

use std::fmt::Write as _;

use super::instrument::LATENCY_BUCKETS_NANOS;
use super::registry::{Kind, Registry, Series};

/// The `Content-Type` of the rendered text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub(super) fn render(registry: &Registry, out: &mut String) {
    // Take the family list, then each family's series, under their locks;
    // format with no lock held.
    let families: Vec<_> = registry.families().values().cloned().collect();
    let bounds: Vec<String> = LATENCY_BUCKETS_NANOS
        .iter()
        .map(|&nanos| decimal(i128::from(nanos), 9))
        .collect();
    for family in families {
        let series: Vec<(Vec<String>, Series)> = family
            .series()
            .iter()
            .map(|(values, series)| (values.clone(), series.clone()))
            .collect();
        if series.is_empty() {
            continue;
        }
        let name = family.name.as_str();
        out.push_str("# HELP ");
        out.push_str(name);
        out.push(' ');
        escape_into(out, &family.help, false);
        out.push_str("\n# TYPE ");
        out.push_str(name);
        out.push(' ');
        out.push_str(family.kind.type_name());
        out.push('\n');
        for (values, instrument) in &series {
            let labels: Vec<(&str, &str)> = family
                .label_names
                .iter()
                .map(String::as_str)
                .zip(values.iter().map(String::as_str))
                .collect();
            let value = match instrument {
                Series::Counter(counter) => counter.get().to_string(),
                Series::Gauge(gauge) => gauge.get().to_string(),
                Series::Decimal(gauge) => decimal(i128::from(gauge.units()), gauge.scale()),
                Series::Computed(compute, scale) => decimal(i128::from(compute()), *scale),
                Series::Histogram(histogram) => {
                    let snapshot = histogram.snapshot();
                    let cumulative = snapshot.cumulative();
                    let bucket = format!("{name}_bucket");
                    let les = bounds.iter().map(String::as_str).chain(["+Inf"]);
                    for (le, count) in les.zip(cumulative) {
                        let mut with_le = labels.clone();
                        with_le.push(("le", le));
                        sample(out, &bucket, &with_le, &count.to_string());
                    }
                    let sum = decimal(i128::from(snapshot.sum_nanos()), 9);
                    sample(out, &format!("{name}_sum"), &labels, &sum);
                    let count = snapshot.count().to_string();
                    sample(out, &format!("{name}_count"), &labels, &count);
                    continue;
                }
            };
            debug_assert!(family.kind != Kind::Histogram);
            sample(out, name, &labels, &value);
        }
    }
}

/// One sample line: `name{label="value",…} value`.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: &str) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (index, (label, label_value)) in labels.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            escape_into(out, label_value, true);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// Appends `text` escaped: `\` and newline always, `"` in label values.
fn escape_into(out: &mut String, text: &str, quote: bool) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
}

/// `units × 10⁻scale` exactly, without trailing fractional zeros.
fn decimal(units: i128, scale: u8) -> String {
    let mut out = String::new();
    if units < 0 {
        out.push('-');
    }
    let magnitude = units.unsigned_abs();
    let Some(unit) = 10u128.checked_pow(u32::from(scale)) else {
        return "0".to_owned();
    };
    let (whole, mut fraction) = (magnitude / unit, magnitude % unit);
    let _ = write!(out, "{whole}");
    if fraction != 0 {
        let mut digits = usize::from(scale);
        while fraction % 10 == 0 {
            fraction /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{fraction:0digits$}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_without_trailing_zeros() {
        assert_eq!(decimal(0, 9), "0");
        assert_eq!(decimal(1_000, 9), "0.000001");
        assert_eq!(decimal(2_500, 9), "0.0000025");
        assert_eq!(decimal(10_000_000_000, 9), "10");
        assert_eq!(decimal(-1_234_567_890_123, 9), "-1234.567890123");
        assert_eq!(decimal(-5, 1), "-0.5");
        assert_eq!(decimal(42, 0), "42");
        assert_eq!(decimal(i128::from(i64::MIN), 0), "-9223372036854775808");
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let registry = Registry::new();
        registry
            .gauge_family("emp_g", "Help with \\ and\nnewline \"quoted\".", &["v"])
            .unwrap()
            .with(&["a\\b\"c\nd"])
            .unwrap()
            .set(1);
        assert_eq!(
            registry.render(),
            "# HELP emp_g Help with \\\\ and\\nnewline \"quoted\".\n\
             # TYPE emp_g gauge\n\
             emp_g{v=\"a\\\\b\\\"c\\nd\"} 1\n"
        );
    }

    #[test]
    fn families_are_sorted_by_name_and_series_by_label_values() {
        let registry = Registry::new();
        let messages = registry
            .counter_family("emp_m_total", "M.", &["session", "direction"])
            .unwrap();
        messages.with(&["TRADE", "out"]).unwrap().add(3);
        messages.with(&["QUOTE", "in"]).unwrap().add(2);
        messages.with(&["TRADE", "in"]).unwrap().inc();
        registry.gauge("emp_a", "A.").unwrap().set(-7);
        registry
            .decimal_gauge("emp_p", "P.", 9)
            .unwrap()
            .set_units(-1_500_000_000);
        registry
            .counter_family("emp_unused_total", "Never used.", &["x"])
            .unwrap();
        registry
            .info("emp_build_info", "Build.", &[("version", "1.2.3")])
            .unwrap();
        assert_eq!(
            registry.render(),
            "# HELP emp_a A.\n# TYPE emp_a gauge\nemp_a -7\n\
             # HELP emp_build_info Build.\n# TYPE emp_build_info gauge\n\
             emp_build_info{version=\"1.2.3\"} 1\n\
             # HELP emp_m_total M.\n# TYPE emp_m_total counter\n\
             emp_m_total{session=\"QUOTE\",direction=\"in\"} 2\n\
             emp_m_total{session=\"TRADE\",direction=\"in\"} 1\n\
             emp_m_total{session=\"TRADE\",direction=\"out\"} 3\n\
             # HELP emp_p P.\n# TYPE emp_p gauge\nemp_p -1.5\n"
        );
        // Rendering twice gives the same bytes.
        assert_eq!(registry.render(), registry.render());
    }

    #[test]
    fn histograms_write_cumulative_buckets_sum_in_seconds_and_count() {
        let registry = Registry::new();
        let family = registry
            .histogram_family("emp_h_seconds", "H.", &["kind"])
            .unwrap();
        let histogram = family.with(&["x"]).unwrap();
        histogram.observe_nanos(800); // ≤ 1 µs
        histogram.observe_nanos(3_000); // ≤ 5 µs
        histogram.observe_nanos(3_000_000); // ≤ 5 ms
        histogram.observe_nanos(20_000_000_000); // +Inf only
        let text = registry.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "# HELP emp_h_seconds H.");
        assert_eq!(lines[1], "# TYPE emp_h_seconds histogram");
        let expected_buckets = [
            ("0.000001", 1),
            ("0.0000025", 1),
            ("0.000005", 2),
            ("0.00001", 2),
            ("0.000025", 2),
            ("0.00005", 2),
            ("0.0001", 2),
            ("0.00025", 2),
            ("0.0005", 2),
            ("0.001", 2),
            ("0.0025", 2),
            ("0.005", 3),
            ("0.01", 3),
            ("0.025", 3),
            ("0.05", 3),
            ("0.1", 3),
            ("0.25", 3),
            ("0.5", 3),
            ("1", 3),
            ("2.5", 3),
            ("5", 3),
            ("10", 3),
            ("+Inf", 4),
        ];
        for (line, (le, count)) in lines[2..].iter().zip(expected_buckets) {
            assert_eq!(
                *line,
                format!("emp_h_seconds_bucket{{kind=\"x\",le=\"{le}\"}} {count}")
            );
        }
        assert_eq!(lines[25], "emp_h_seconds_sum{kind=\"x\"} 20.0030038");
        assert_eq!(lines[26], "emp_h_seconds_count{kind=\"x\"} 4");
        assert_eq!(lines.len(), 27);
    }

    #[test]
    fn computed_gauges_are_evaluated_at_render() {
        let registry = Registry::new();
        let source = crate::metrics::Gauge::new();
        let read = source.clone();
        registry
            .computed_gauge("emp_c", "C.", 3, move || read.get())
            .unwrap();
        source.set(1_250);
        assert!(registry.render().ends_with("emp_c 1.25\n"));
        source.set(2_000);
        assert!(registry.render().ends_with("emp_c 2\n"));
    }
}
