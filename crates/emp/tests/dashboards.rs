#![allow(clippy::unwrap_used, reason = "test code")]
//! `dashboards/`: Prometheus's `promtool` checks the alert rules, their unit
//! tests and the example scrape config; the Grafana dashboards are
//! importable as they are; and every metric a dashboard expression or an
//! alert rule names is a series of a real EMP scrape.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use emp::demo::{ChosenParams, demo_profile, trader_setup};
use emp::metrics::{MetricsServer, Registry, RuntimeMetrics};
use emp::publish::MetricsPublisher;
use emp::trader::build_engine;
use journal::Durability;
use serde_json::Value;

/// Series Prometheus itself adds for every scrape target; the only names
/// outside EMP's `/metrics` that a dashboard or rule may use.
const PROMETHEUS_SERIES: [&str; 2] = ["up", "scrape_duration_seconds"];

fn dashboards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dashboards")
}

/// The dashboards, by file name.
fn dashboards() -> Vec<(String, Value)> {
    let mut boards: Vec<(String, Value)> = std::fs::read_dir(dashboards_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let board = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{name} is not JSON: {error}"));
            (name, board)
        })
        .collect();
    boards.sort_by(|a, b| a.0.cmp(&b.0));
    boards
}

/// Runs `promtool` with `args` in `dashboards/`: `None` when it is not
/// installed (and `EMP_REQUIRE_PROMTOOL` is not set), else its success and
/// output.
fn promtool(args: &[&str]) -> Option<(bool, String)> {
    match Command::new("promtool")
        .args(args)
        .current_dir(dashboards_dir())
        .output()
    {
        Ok(output) => Some((
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("EMP_REQUIRE_PROMTOOL").is_none(),
                "EMP_REQUIRE_PROMTOOL is set but promtool is not on PATH \
                 (Debian: apt-get install prometheus)"
            );
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "promtool not on PATH: `promtool {}` skipped (Debian: apt-get install prometheus)",
                args.join(" ")
            )
            .unwrap();
            None
        }
        Err(error) => panic!("running promtool: {error}"),
    }
}

#[test]
fn promtool_accepts_the_rules_their_unit_tests_and_the_scrape_config() {
    for args in [
        ["check", "rules", "alerts.yml"].as_slice(),
        &["test", "rules", "alerts-test.yml"],
        &["check", "config", "prometheus.yml"],
    ] {
        let Some((ok, output)) = promtool(args) else {
            return;
        };
        assert!(ok, "promtool {}:\n{output}", args.join(" "));
        assert!(output.contains("SUCCESS"), "{output}");
    }
}

#[test]
fn promtool_rejects_a_broken_rule() {
    // The check above would pass vacuously if promtool accepted anything.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yml");
    std::fs::write(
        &broken,
        "groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(emp_fills_total[1m] > 0\n",
    )
    .unwrap();
    let Some((ok, output)) = promtool(&["check", "rules", broken.to_str().unwrap()]) else {
        return;
    };
    assert!(!ok, "{output}");
}

/// The metric names a PromQL expression reads: identifiers
/// (`[a-zA-Z_:][a-zA-Z0-9_:]*`) outside strings, label matchers and range
/// brackets, that are not followed by `(` (functions and aggregations),
/// not keywords or aggregations, and not the label lists of `by`, `without`, `on`,
/// `ignoring`, `group_left` and `group_right`.
fn metric_names(expr: &str) -> BTreeSet<String> {
    const KEYWORDS: [&str; 9] = [
        "and", "or", "unless", "bool", "offset", "inf", "nan", "atan2", "@",
    ];
    // Aggregations may put `by (…)` between their name and `(`.
    const AGGREGATIONS: [&str; 14] = [
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    ];
    const LABEL_LISTS: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    let bytes = expr.as_bytes();
    let mut names = BTreeSet::new();
    let mut at = 0;
    // Skips from an opening byte to its closing one, over quoted strings.
    let skip_group = |mut i: usize, open: u8, close: u8| -> usize {
        let mut depth = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' | b'\'' | b'`' => i = skip_string(bytes, i),
                c if c == open => {
                    depth += 1;
                    i += 1;
                }
                c if c == close => {
                    depth -= 1;
                    i += 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => i += 1,
            }
        }
        i
    };
    while at < bytes.len() {
        let c = bytes[at];
        match c {
            b'"' | b'\'' | b'`' => at = skip_string(bytes, at),
            b'{' => at = skip_group(at, b'{', b'}'),
            b'[' => at = skip_group(at, b'[', b']'),
            b'#' => {
                // A comment runs to the end of the line.
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            }
            b'0'..=b'9' | b'.' => {
                // A number or a duration (5m, 1e3, 0x1f): never a name.
                while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'.') {
                    at += 1;
                }
            }
            b'$' => {
                // A Grafana variable ($__interval, ${instance}).
                at += 1;
                if bytes.get(at) == Some(&b'{') {
                    at = skip_group(at, b'{', b'}');
                }
                while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
                    at += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b':' => {
                let start = at;
                while at < bytes.len()
                    && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_' || bytes[at] == b':')
                {
                    at += 1;
                }
                let word = &expr[start..at];
                let mut next = at;
                while next < bytes.len() && bytes[next].is_ascii_whitespace() {
                    next += 1;
                }
                let lower = word.to_ascii_lowercase();
                if LABEL_LISTS.contains(&lower.as_str()) {
                    if bytes.get(next) == Some(&b'(') {
                        at = skip_group(next, b'(', b')');
                    }
                } else if bytes.get(next) == Some(&b'(')
                    || KEYWORDS.contains(&lower.as_str())
                    || AGGREGATIONS.contains(&lower.as_str())
                {
                    // A function or aggregation, or an operator.
                } else {
                    names.insert(word.to_owned());
                }
            }
            _ => at += 1,
        }
    }
    names
}

/// The index past the string literal opening at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    i
}

#[test]
fn the_tokenizer_finds_metric_names_and_nothing_else() {
    let cases: [(&str, &[&str]); 9] = [
        ("up", &["up"]),
        (
            r#"histogram_quantile(0.99, sum by (instance, le) (rate(emp_order_ack_latency_seconds_bucket{instance=~"$instance"}[$__rate_interval])))"#,
            &["emp_order_ack_latency_seconds_bucket"],
        ),
        (
            r#"(time() - emp_md_last_event_timestamp_seconds > 10) and emp_md_last_event_timestamp_seconds > 0"#,
            &["emp_md_last_event_timestamp_seconds"],
        ),
        (
            r#"sum without(direction) (increase(emp_fix_resend_requests_total{session="TRADE",direction!~"a{b}\"c"}[1m] offset 5m)) > 1e3"#,
            &["emp_fix_resend_requests_total"],
        ),
        (
            "a:recorded:rate5m / on (instance) group_left (version) emp_build_info",
            &["a:recorded:rate5m", "emp_build_info"],
        ),
        (
            "count(emp_fix_session_state == 2) or vector(0)",
            &["emp_fix_session_state"],
        ),
        (
            "sum(emp_pnl_realized) + sum(emp_pnl_unrealized) # total",
            &["emp_pnl_realized", "emp_pnl_unrealized"],
        ),
        (
            "emp_x_total unless ignoring(a, b) emp_y",
            &["emp_x_total", "emp_y"],
        ),
        (
            "sort_desc ( rate ( emp_fills_total [5m] ) ) * 60",
            &["emp_fills_total"],
        ),
    ];
    for (expr, expected) in cases {
        let names = metric_names(expr);
        let expected: BTreeSet<String> = expected.iter().map(|&name| name.to_owned()).collect();
        assert_eq!(names, expected, "{expr}");
    }
}

/// Every PromQL expression of a dashboard: panel and row targets, and the
/// metric of a `label_values(metric, label)` variable query.
fn dashboard_exprs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, field) in map {
                match (key.as_str(), field) {
                    ("expr", Value::String(expr)) => out.push(expr.clone()),
                    ("definition" | "query", Value::String(query)) => {
                        if let Some(args) = query.strip_prefix("label_values(") {
                            let metric = args.split(',').next().unwrap();
                            out.push(metric.trim().to_owned());
                        }
                    }
                    _ => dashboard_exprs(field, out),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                dashboard_exprs(item, out);
            }
        }
        _ => {}
    }
}

/// The alert and recording rules' expressions. Every `expr:` in
/// `alerts.yml` is on one line (asserted), so no YAML parser is needed.
fn rule_exprs() -> Vec<String> {
    let text = std::fs::read_to_string(dashboards_dir().join("alerts.yml")).unwrap();
    let exprs: Vec<String> = text
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("expr:"))
        .map(|expr| expr.trim().to_owned())
        .collect();
    let rules = text
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            line.starts_with("- alert:") || line.starts_with("- record:")
        })
        .count();
    assert_eq!(exprs.len(), rules, "one single-line expr per rule");
    for expr in &exprs {
        assert!(
            !expr.is_empty() && !expr.starts_with('|') && !expr.starts_with('>'),
            "a multi-line expr: {expr}"
        );
    }
    exprs
}

/// A real scrape of `/metrics` over loopback: the runtime's metrics
/// registered as `emp demo` registers them (its QUOTE and TRADE sessions,
/// one position per instrument of the demo venue), published once from
/// the engine the demo builds.
fn real_scrape() -> String {
    let dir = tempfile::tempdir().unwrap();
    let now = gateway::transport::wall_clock();
    let profile = demo_profile().unwrap();
    let unused: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let setup = trader_setup(
        &profile,
        unused,
        unused,
        ChosenParams::choose(None).unwrap(),
        dir.path().join("run"),
        Durability::OsOnly,
        now,
    )
    .unwrap();
    let mut engine = build_engine(&setup, now).unwrap();
    let registry = Registry::new();
    let metrics = RuntimeMetrics::new(&registry).unwrap();
    engine.set_metrics(metrics.clone());
    let mut publisher = MetricsPublisher::new(metrics, &engine).unwrap();
    publisher.publish(&engine, now);
    let server = MetricsServer::start("127.0.0.1:0".parse().unwrap(), registry).unwrap();

    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    server.shutdown();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    body.to_owned()
}

/// The series names of an exposition (histograms give their `_bucket`,
/// `_sum` and `_count` series).
fn exposed_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            line[..end].to_owned()
        })
        .collect()
}

#[test]
fn every_metric_a_dashboard_or_rule_reads_is_in_a_real_scrape() {
    let scrape = real_scrape();
    let exposed = exposed_names(&scrape);
    // The scrape is the runtime's: sessions, positions and histograms.
    for name in [
        "emp_build_info",
        "emp_fix_session_state",
        "emp_position_quantity",
        "emp_order_ack_latency_seconds_bucket",
        "emp_order_ack_latency_seconds_count",
    ] {
        assert!(exposed.contains(name), "{name} not in\n{scrape}");
    }
    assert!(scrape.contains("emp_fix_session_state{session=\"TRADE\"}"));
    assert!(scrape.contains("emp_fix_session_state{session=\"QUOTE\"}"));
    assert!(scrape.contains("emp_position_quantity{instrument=\""));

    let mut sources: Vec<(String, String)> = Vec::new();
    for (file, board) in dashboards() {
        let mut exprs = Vec::new();
        dashboard_exprs(&board, &mut exprs);
        assert!(!exprs.is_empty(), "{file} has no queries");
        sources.extend(exprs.into_iter().map(|expr| (file.clone(), expr)));
    }
    sources.extend(
        rule_exprs()
            .into_iter()
            .map(|expr| ("alerts.yml".to_owned(), expr)),
    );

    let mut used = BTreeSet::new();
    let mut missing = Vec::new();
    for (file, expr) in &sources {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "{file}: no metric in {expr}");
        for name in names {
            if !exposed.contains(&name) && !PROMETHEUS_SERIES.contains(&name.as_str()) {
                missing.push(format!("{file}: {name} in {expr}"));
            }
            used.insert(name);
        }
    }
    assert!(
        missing.is_empty(),
        "metrics EMP does not serve:\n{}",
        missing.join("\n")
    );

    // The dashboards and rules between them cover every family EMP serves.
    let families: BTreeSet<&str> = scrape
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .map(|line| line.split(' ').next().unwrap())
        .collect();
    let unused: Vec<&&str> = families
        .iter()
        .filter(|family| {
            !used.iter().any(|name| {
                name == **family
                    || ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|suffix| *name == format!("{family}{suffix}"))
            })
        })
        .collect();
    assert!(unused.is_empty(), "families on no dashboard: {unused:?}");
}

#[test]
fn the_scrape_passes_promtool_check_metrics() {
    let scrape = real_scrape();
    let Some((ok, output)) = promtool(&["--version"]) else {
        return;
    };
    assert!(ok, "{output}");
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_dashboards_import_as_they_are_with_a_datasource_variable() {
    let boards = dashboards();
    let names: Vec<&str> = boards.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "market-data.json",
            "orders.json",
            "portfolio.json",
            "process.json",
            "risk.json",
            "sessions.json"
        ]
    );
    let mut uids = BTreeSet::new();
    for (file, board) in &boards {
        let uid = board["uid"].as_str().unwrap();
        assert!(uids.insert(uid.to_owned()), "{file}: uid {uid} repeated");
        assert!(!board["title"].as_str().unwrap().is_empty());
        assert!(board.get("id").is_none_or(Value::is_null), "{file}: an id");
        let variables = board["templating"]["list"].as_array().unwrap();
        let datasource = variables
            .iter()
            .find(|variable| variable["name"] == "datasource")
            .unwrap_or_else(|| panic!("{file}: no datasource variable"));
        assert_eq!(datasource["type"], "datasource");
        assert_eq!(datasource["query"], "prometheus");

        let panels = board["panels"].as_array().unwrap();
        assert!(panels.len() >= 4, "{file}");
        let mut ids = BTreeSet::new();
        for panel in panels {
            assert!(
                ids.insert(panel["id"].as_u64().unwrap()),
                "{file}: panel id"
            );
            let grid = &panel["gridPos"];
            let x = grid["x"].as_u64().unwrap();
            let w = grid["w"].as_u64().unwrap();
            assert!(x + w <= 24, "{file}: {} overflows the grid", panel["title"]);
            if panel["type"] == "row" {
                continue;
            }
            // Every query goes to the chosen datasource, never a fixed one.
            assert_eq!(panel["datasource"]["uid"], "${datasource}", "{file}");
            let targets = panel["targets"].as_array().unwrap();
            assert!(
                !targets.is_empty(),
                "{file}: {} has no query",
                panel["title"]
            );
            for target in targets {
                assert_eq!(target["datasource"]["uid"], "${datasource}", "{file}");
                assert_eq!(target["datasource"]["type"], "prometheus", "{file}");
            }
        }
    }
}
