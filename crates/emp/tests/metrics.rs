#![allow(clippy::unwrap_used, reason = "test code")]
//! The metrics endpoint over loopback TCP, and the rendered text checked by
//! Prometheus's own `promtool`.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use emp::metrics::{
    CONTENT_TYPE, Direction, FixSessionState, MdEventKind, MetricsServer, OrderEvent, Registry,
    RuntimeMetrics, money_f64, net_quantity_f64,
};
use gateway::fix::session::MsgTypeCounts;
use model::Timestamp;
use oms::risk::{DenyCode, TradingState};
use strategy::ReadinessState;

/// The client's bound on any wait; the server answers long before.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

struct Response {
    status: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Sends `request` as is and reads the answer to the end.
fn exchange(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    stream.write_all(request).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().to_owned();
    let headers = lines
        .map(|line| {
            let (key, value) = line.split_once(": ").unwrap();
            (key.to_owned(), value.to_owned())
        })
        .collect();
    let response = Response {
        status,
        headers,
        body: body.to_owned(),
    };
    assert_eq!(
        response.header("Content-Length"),
        Some(response.body.len().to_string().as_str())
    );
    response
}

fn get(addr: SocketAddr, path: &str) -> Response {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n").as_bytes(),
    )
}

/// The value of the sample line that starts with `series ` in `text`.
fn sample<'a>(text: &'a str, series: &str) -> &'a str {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

/// Updates one of everything, as the runtime would.
fn exercise(metrics: &RuntimeMetrics) {
    let trade = metrics.fix_session("TRADE").unwrap();
    let quote = metrics.fix_session("QUOTE").unwrap();
    trade.set_state(FixSessionState::LoggedOn);
    quote.set_state(FixSessionState::AwaitingLogon);
    trade.set_seqnums(1_001, 998);
    let mut sent = MsgTypeCounts::default();
    for _ in 0..998 {
        sent.count(b"D");
    }
    sent.count(b"A");
    sent.count(b"AE");
    trade.count_messages(Direction::Out, &sent, &MsgTypeCounts::default());
    let mut received = MsgTypeCounts::default();
    for _ in 0..997 {
        received.count(b"8");
    }
    trade.count_messages(Direction::In, &received, &MsgTypeCounts::default());
    trade.reconnects.increment(1);
    trade.resend_requests_sent.increment(1);
    trade.gap_fills_received.increment(1);
    trade.session_rejects_received.increment(2);
    trade.test_requests_sent.increment(3);
    trade.heartbeat_timeouts.increment(1);
    trade.messages_resent.increment(4);

    let orders = &metrics.orders;
    for _ in 0..5 {
        orders.record(OrderEvent::Submitted);
    }
    orders.record(OrderEvent::Accepted);
    orders.record(OrderEvent::PartiallyFilled);
    orders.denied(DenyCode::QuantityExceedsMaxPerOrder);
    orders.denied_code("MAX_ORDER_QTY");
    orders.denied_code("MAX_ORDER_QTY");
    orders.open.set(3);
    orders.inflight.set(2);
    orders.fills.increment(4);
    orders.ack_latency.record(Duration::from_micros(40));
    orders.ack_latency.record(Duration::from_millis(3));
    orders.fill_latency.record(Duration::from_micros(250));
    orders.tick_to_order.record(Duration::from_micros(7));

    metrics.risk.set_trading_state(TradingState::Reducing);
    metrics.risk.set_kill_switch(true);
    metrics.risk.set_throttle_tokens(Some(17), None);
    metrics.risk.reconciliation_runs.increment(1);
    metrics.risk.reconciliation_discrepancies.increment(2);
    metrics.readiness.set(ReadinessState::Running);

    let at = Timestamp::from_unix_nanos(1_790_000_000_123_456_000);
    metrics.market_data.record(MdEventKind::Quote, at);
    metrics.market_data.record(MdEventKind::Trade, at);
    metrics.market_data.resyncs.increment(1);
    metrics.market_data.sequence_gaps.increment(1);

    let portfolio = &metrics.portfolio;
    portfolio
        .position("EURUSD")
        .unwrap()
        .set(net_quantity_f64("-10000.5".parse().unwrap()));
    portfolio
        .position("we\"ird\\name\n")
        .unwrap()
        .set(net_quantity_f64("0.000000001".parse().unwrap()));
    portfolio
        .pnl_realized
        .set(money_f64("-1234.567890123".parse().unwrap()));
    portfolio
        .pnl_unrealized
        .set(money_f64("250".parse().unwrap()));

    metrics.journal.records.increment(12);
    metrics
        .journal
        .commit_latency
        .record(Duration::from_millis(2));
}

#[test]
fn a_scrape_over_loopback_sees_what_another_thread_updated() {
    let registry = Registry::new();
    let metrics = RuntimeMetrics::new(&registry).unwrap();
    let server = MetricsServer::start("127.0.0.1:0".parse().unwrap(), registry.clone()).unwrap();
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);

    let hot = metrics.clone();
    std::thread::spawn(move || exercise(&hot)).join().unwrap();

    let response = get(addr, "/metrics");
    assert_eq!(response.status, "HTTP/1.1 200 OK");
    assert_eq!(response.header("Content-Type"), Some(CONTENT_TYPE));
    assert_eq!(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    let text = &response.body;
    let expect = [
        (
            format!(
                "emp_build_info{{version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            ),
            "1",
        ),
        ("emp_fix_session_state{session=\"TRADE\"}".into(), "2"),
        ("emp_fix_session_state{session=\"QUOTE\"}".into(), "1"),
        (
            "emp_fix_next_sender_seqnum{session=\"TRADE\"}".into(),
            "1001",
        ),
        (
            "emp_fix_next_target_seqnum{session=\"TRADE\"}".into(),
            "998",
        ),
        ("emp_fix_next_target_seqnum{session=\"QUOTE\"}".into(), "0"),
        (
            "emp_fix_messages_total{session=\"TRADE\",direction=\"out\",msg_type=\"D\"}".into(),
            "998",
        ),
        (
            "emp_fix_messages_total{session=\"TRADE\",direction=\"out\",msg_type=\"A\"}".into(),
            "1",
        ),
        (
            "emp_fix_messages_total{session=\"TRADE\",direction=\"out\",msg_type=\"other\"}".into(),
            "1",
        ),
        (
            "emp_fix_messages_total{session=\"TRADE\",direction=\"in\",msg_type=\"8\"}".into(),
            "997",
        ),
        (
            "emp_fix_messages_total{session=\"QUOTE\",direction=\"in\",msg_type=\"W\"}".into(),
            "0",
        ),
        (
            "emp_fix_messages_resent_total{session=\"TRADE\"}".into(),
            "4",
        ),
        ("emp_fix_reconnects_total{session=\"TRADE\"}".into(), "1"),
        (
            "emp_fix_resend_requests_total{session=\"TRADE\",direction=\"out\"}".into(),
            "1",
        ),
        (
            "emp_fix_gap_fills_total{session=\"TRADE\",direction=\"in\"}".into(),
            "1",
        ),
        (
            "emp_fix_gap_fills_total{session=\"TRADE\",direction=\"out\"}".into(),
            "0",
        ),
        (
            "emp_fix_session_rejects_total{session=\"TRADE\",direction=\"in\"}".into(),
            "2",
        ),
        ("emp_fix_test_requests_total{session=\"TRADE\"}".into(), "3"),
        (
            "emp_fix_heartbeat_timeouts_total{session=\"TRADE\"}".into(),
            "1",
        ),
        ("emp_orders_total{event=\"submitted\"}".into(), "5"),
        ("emp_orders_total{event=\"accepted\"}".into(), "1"),
        ("emp_orders_total{event=\"partially_filled\"}".into(), "1"),
        ("emp_orders_total{event=\"denied\"}".into(), "3"),
        ("emp_orders_total{event=\"expired\"}".into(), "0"),
        (
            "emp_order_denied_total{reason=\"QUANTITY_EXCEEDS_MAX_PER_ORDER\"}".into(),
            "1",
        ),
        // A code this build does not know folds into "other".
        ("emp_order_denied_total{reason=\"other\"}".into(), "2"),
        (
            "emp_order_denied_total{reason=\"TRADING_HALTED\"}".into(),
            "0",
        ),
        ("emp_orders_open".into(), "3"),
        ("emp_orders_inflight".into(), "2"),
        ("emp_fills_total".into(), "4"),
        (
            "emp_order_ack_latency_seconds_bucket{le=\"0.000025\"}".into(),
            "0",
        ),
        (
            "emp_order_ack_latency_seconds_bucket{le=\"0.00005\"}".into(),
            "1",
        ),
        (
            "emp_order_ack_latency_seconds_bucket{le=\"0.005\"}".into(),
            "2",
        ),
        (
            "emp_order_ack_latency_seconds_bucket{le=\"+Inf\"}".into(),
            "2",
        ),
        ("emp_order_ack_latency_seconds_sum".into(), "0.00304"),
        ("emp_order_ack_latency_seconds_count".into(), "2"),
        (
            "emp_order_fill_latency_seconds_bucket{le=\"0.0001\"}".into(),
            "0",
        ),
        (
            "emp_order_fill_latency_seconds_bucket{le=\"0.00025\"}".into(),
            "1",
        ),
        (
            "emp_tick_to_order_seconds_bucket{le=\"0.000005\"}".into(),
            "0",
        ),
        (
            "emp_tick_to_order_seconds_bucket{le=\"0.00001\"}".into(),
            "1",
        ),
        ("emp_trading_state".into(), "1"),
        ("emp_kill_switch".into(), "1"),
        ("emp_risk_rate_limit_tokens{kind=\"submit\"}".into(), "17"),
        ("emp_risk_rate_limit_tokens{kind=\"modify\"}".into(), "-1"),
        ("emp_reconciliation_runs_total".into(), "1"),
        ("emp_reconciliation_discrepancies_total".into(), "2"),
        ("emp_readiness_state".into(), "2"),
        ("emp_md_events_total{kind=\"quote\"}".into(), "1"),
        ("emp_md_events_total{kind=\"snapshot\"}".into(), "0"),
        ("emp_md_resyncs_total".into(), "1"),
        ("emp_md_sequence_gaps_total".into(), "1"),
        (
            "emp_md_last_event_timestamp_seconds".into(),
            "1790000000.123456",
        ),
        (
            "emp_position_quantity{instrument=\"EURUSD\"}".into(),
            "-10000.5",
        ),
        (
            "emp_position_quantity{instrument=\"we\\\"ird\\\\name\\n\"}".into(),
            "0.000000001",
        ),
        ("emp_pnl_realized".into(), "-1234.567890123"),
        ("emp_pnl_unrealized".into(), "250"),
        ("emp_journal_records_total".into(), "12"),
        ("emp_journal_commit_seconds_count".into(), "1"),
        (
            "emp_journal_commit_seconds_bucket{le=\"0.0025\"}".into(),
            "1",
        ),
    ];
    for (series, value) in &expect {
        assert_eq!(sample(text, series), *value, "{series}");
    }
    let start: f64 = sample(text, "emp_process_start_time_seconds")
        .parse()
        .unwrap();
    assert!(start > 1.6e9, "{start}");
    let uptime: f64 = sample(text, "emp_uptime_seconds").parse().unwrap();
    assert!(uptime >= 0.0);
    // The event was "received" in 2026; the staleness is the time since.
    let staleness: f64 = sample(text, "emp_md_staleness_seconds").parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        (staleness - (now - 1_790_000_000.123_456)).abs() < 60.0,
        "{staleness}"
    );
    let cpu: f64 = sample(text, "process_cpu_seconds_total").parse().unwrap();
    assert!(cpu >= 0.0, "{cpu}");
    let rss: f64 = sample(text, "process_resident_memory_bytes")
        .parse()
        .unwrap();
    assert!(rss > 1e6, "{rss}");

    // Every family's HELP and TYPE exactly once, families in name order.
    let types: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .map(|line| line.split(' ').next().unwrap())
        .collect();
    let mut sorted = types.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(types, sorted);
    assert_eq!(
        text.lines()
            .filter(|line| line.starts_with("# HELP "))
            .count(),
        types.len()
    );
    assert_eq!(types.len(), 40);

    // Later updates show in the next scrape.
    metrics.orders.record(OrderEvent::Submitted);
    metrics.orders.ack_latency.record(Duration::from_secs(1));
    let again = get(addr, "/metrics").body;
    assert_eq!(sample(&again, "emp_orders_total{event=\"submitted\"}"), "6");
    assert_eq!(
        sample(&again, "emp_order_ack_latency_seconds_bucket{le=\"0.1\"}"),
        "2"
    );
    assert_eq!(
        sample(&again, "emp_order_ack_latency_seconds_bucket{le=\"+Inf\"}"),
        "3"
    );

    // Tells this registry's scrapes from any other's.
    let marker = format!(
        "emp_test_marker_info{{registry=\"{}-{addr}\"}}",
        std::process::id()
    );
    registry
        .info(
            "emp_test_marker_info",
            "Which test registry this is.",
            &[("registry", &format!("{}-{addr}", std::process::id()))],
        )
        .unwrap();
    assert!(get(addr, "/metrics").body.contains(&marker));
    server.shutdown();
    // Tests run in parallel, so another one may already listen on the
    // freed port: whatever answers there must not be this registry.
    if TcpStream::connect(addr).is_ok() {
        let after = get(addr, "/metrics");
        assert!(
            !after.body.contains(&marker),
            "still serving this registry after shutdown"
        );
    }
}

#[test]
fn the_endpoint_answers_index_unknown_paths_methods_and_garbage() {
    let registry = Registry::new();
    registry.counter("emp_x_total", "X.").unwrap().increment(1);
    let server = MetricsServer::start("127.0.0.1:0".parse().unwrap(), registry).unwrap();
    let addr = server.local_addr();

    let index = get(addr, "/");
    assert_eq!(index.status, "HTTP/1.1 200 OK");
    assert!(
        index
            .header("Content-Type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(index.body.contains("<a href=\"/metrics\">"));

    assert_eq!(get(addr, "/metric").status, "HTTP/1.1 404 Not Found");
    assert_eq!(get(addr, "/metrics/x").status, "HTTP/1.1 404 Not Found");
    assert_eq!(get(addr, "/metrics?x=1").status, "HTTP/1.1 200 OK");

    let post = exchange(
        addr,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(post.status, "HTTP/1.1 405 Method Not Allowed");
    assert_eq!(post.header("Allow"), Some("GET"));

    let garbage: [&[u8]; 5] = [
        b"\x00\x01\x02\xff\xfe\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /metrics HTTP/1.1 extra\r\n\r\n",
        b"HELLO",
        b"GET /metrics SPDY/3\r\n\r\n",
    ];
    for request in garbage {
        let response = exchange(addr, request);
        assert_eq!(response.status, "HTTP/1.1 400 Bad Request", "{request:?}");
    }
    let mut huge = b"GET /metrics HTTP/1.1\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 20_000));
    huge.extend_from_slice(b"\r\n\r\n");
    assert_eq!(
        exchange(addr, &huge).status,
        "HTTP/1.1 431 Request Header Fields Too Large"
    );

    // A client that connects and leaves without a word is skipped.
    drop(TcpStream::connect(addr).unwrap());

    // Concurrent scrapes are all answered (one after another).
    let scrapers: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(move || get(addr, "/metrics")))
        .collect();
    for scraper in scrapers {
        let response = scraper.join().unwrap();
        assert_eq!(response.status, "HTTP/1.1 200 OK");
        assert_eq!(sample(&response.body, "emp_x_total"), "1");
    }
    drop(server);
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening after drop"
    );
}

#[test]
fn a_taken_address_is_an_error_naming_it_and_the_way_out() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let error = MetricsServer::start(addr, Registry::new()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    let message = error.to_string();
    assert!(message.contains(&addr.to_string()), "{message}");
    assert!(message.contains("--metrics-addr"), "{message}");
    assert!(message.contains("off"), "{message}");
}

#[test]
fn promtool_accepts_the_rendered_metrics() {
    let registry = Registry::new();
    let metrics = RuntimeMetrics::new(&registry).unwrap();
    exercise(&metrics);
    let text = registry.render();

    let promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match promtool {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("EMP_REQUIRE_PROMTOOL").is_none(),
                "EMP_REQUIRE_PROMTOOL is set but promtool is not on PATH \
                 (Debian: apt-get install prometheus)"
            );
            println!(
                "promtool not on PATH: format check skipped (Debian: apt-get install prometheus)"
            );
            return;
        }
        Err(error) => panic!("cannot run promtool: {error}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Exit status 0 and no lint findings either.
    assert!(output.status.success(), "promtool:\n{report}\n---\n{text}");
    assert_eq!(report.trim(), "", "promtool:\n{report}\n---\n{text}");
}

/// The value of every sample line starting with `prefix` (a family name
/// and the start of its labels), summed.
fn sum_of(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(prefix))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

#[test]
fn a_simulated_minute_of_demo_trading_feeds_the_new_families_where_events_happen() {
    use emp::demo::{ChosenParams, demo_profile};
    use emp::inprocess::InProcess;
    use emp::publish::MetricsPublisher;
    use gateway::fix::link::Channel;
    use journal::Durability;

    // 2026-11-20T10:00:00Z.
    const START: u64 = 1_795_168_800_000_000_000;
    let dir = tempfile::tempdir().unwrap();
    let params = ChosenParams::touch();
    let mut world = InProcess::new(
        &demo_profile().unwrap(),
        params,
        dir.path(),
        Durability::OsOnly,
        Timestamp::from_unix_nanos(START),
    )
    .unwrap();
    let registry = Registry::new();
    let metrics = RuntimeMetrics::new(&registry).unwrap();
    world.engine_mut().set_metrics(metrics.clone());
    // Building the engine committed the run's header before metrics.
    let commits_before = world.engine().stats().commits;
    let mut publisher = MetricsPublisher::new(metrics, world.engine()).unwrap();
    world.connect();
    world.run_until(Timestamp::from_unix_nanos(START + 60_000_000_000));
    publisher.publish(world.engine(), world.now());
    let text = registry.render();

    let engine = world.engine();
    let stats = *engine.stats();
    assert!(stats.orders_sent >= 1 && stats.fills >= 1, "{stats:?}");
    let trade = engine.link().session(Channel::Trade).stats();
    let out = "emp_fix_messages_total{session=\"TRADE\",direction=\"out\",";
    // By MsgType, the counts add up to the session's own.
    assert_eq!(sum_of(&text, out), trade.messages_sent as f64);
    assert_eq!(
        sum_of(
            &text,
            "emp_fix_messages_total{session=\"TRADE\",direction=\"in\","
        ),
        trade.messages_received as f64
    );
    assert_eq!(sample(&text, &format!("{out}msg_type=\"A\"}}")), "1");
    assert_eq!(
        sample(&text, &format!("{out}msg_type=\"D\"}}")),
        stats.orders_sent.to_string()
    );
    let reports: f64 = sample(
        &text,
        "emp_fix_messages_total{session=\"TRADE\",direction=\"in\",msg_type=\"8\"}",
    )
    .parse()
    .unwrap();
    assert!(reports >= stats.reports as f64, "{reports} {stats:?}");
    // Every order request answered once: acks timed, none left in flight.
    let requests = stats.orders_sent + stats.cancels_sent + stats.replaces_sent;
    let acks: u64 = sample(&text, "emp_order_ack_latency_seconds_count")
        .parse()
        .unwrap();
    assert!(acks >= 1 && acks <= requests, "{acks} of {requests}");
    let fills: u64 = sample(&text, "emp_order_fill_latency_seconds_count")
        .parse()
        .unwrap();
    assert!(fills <= stats.fills, "{fills} {stats:?}");
    let inflight: u64 = sample(&text, "emp_orders_inflight").parse().unwrap();
    assert_eq!(inflight + acks, requests, "{stats:?}");
    // The journal committed, and each commit was timed.
    assert_eq!(
        sample(&text, "emp_journal_commit_seconds_count"),
        (stats.commits - commits_before).to_string()
    );
    assert!(sum_of(&text, "emp_md_events_total{") >= 1.0);
    assert_eq!(
        sample(&text, "emp_fix_session_state{session=\"TRADE\"}"),
        "2"
    );
}

/// `emp capture` trades nothing but is a long-running emp process: it
/// serves its own metrics (build, uptime, CPU, memory) while it records.
#[test]
fn emp_capture_serves_its_process_metrics_while_it_records() {
    let dir = tempfile::tempdir().unwrap();
    // A feed whose server refuses connections (loopback, a closed port):
    // capture keeps retrying until its duration is over.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", closed.local_addr().unwrap());
    drop(closed);
    let config = dir.path().join("feeds.toml");
    std::fs::write(
        &config,
        format!(
            "[[feeds.coinbase]]\nurl = \"{url}\"\nproducts = [{{ product = \"BTC-USD\", instrument = \"BTC-USD\" }}]\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_emp"))
        .args(["capture", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(["--duration", "20s", "--metrics-addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    for _ in 0..20 {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.split("metrics on http://").nth(1) {
            addr = Some(rest.trim().trim_end_matches("/metrics").parse().unwrap());
            break;
        }
    }
    let addr: SocketAddr = addr.expect("emp capture says where its metrics are");
    let scrape = get(addr, "/metrics");
    let _ = child.kill();
    let _ = child.wait();
    assert!(scrape.status.contains("200"), "{}", scrape.status);
    assert!(
        scrape.body.contains(&format!(
            "emp_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        scrape.body
    );
    assert!(
        scrape.body.contains("process_resident_memory_bytes "),
        "{}",
        scrape.body
    );
    // No trading families in a process that does not trade.
    assert!(!scrape.body.contains("emp_orders_total"), "{}", scrape.body);
}
