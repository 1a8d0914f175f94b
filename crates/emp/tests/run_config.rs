//! `emp run` config files: the shipped one reads, and every mistake is
//! named by file, line and what to write instead.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::{Path, PathBuf};

use emp::record::RunMode;
use emp::run_config::parse;
use gateway::fix::link::Channel;
use model::Timestamp;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sessions/run-ctrader-demo.toml")
}

fn now() -> Timestamp {
    Timestamp::from_unix_nanos(1_795_168_800_000_000_000)
}

#[test]
fn the_shipped_config_reads_into_a_ctrader_paper_run() {
    let path = shipped();
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace(
        "password_env = \"EMP_VENUE_PASSWORD\"",
        "password = \"demo-password\"",
    );
    let file = parse(&text, &path, now()).unwrap();
    let setup = &file.setup;
    assert_eq!(setup.mode, RunMode::Paper);
    assert!(setup.run_dir.ends_with("var/runs/ctrader-demo"));
    assert_eq!(
        setup
            .addresses
            .iter()
            .map(|(c, a)| (*c, a.port()))
            .collect::<Vec<_>>(),
        vec![(Channel::Quote, 5201), (Channel::Trade, 5202)]
    );
    let quote = setup.quote_session.as_ref().unwrap();
    assert_eq!(
        quote.id.to_string(),
        "FIX.4.4:demo.emp.12345/QUOTE->CSERVER/QUOTE"
    );
    assert_eq!(
        setup.trade_session.id.to_string(),
        "FIX.4.4:demo.emp.12345/TRADE->CSERVER/TRADE"
    );
    assert!(setup.trade_session.reset_on_logon);
    assert_eq!(setup.trade_session.username.as_deref(), Some("12345"));
    assert_eq!(setup.subscriptions.len(), 2);
    assert_eq!(setup.limits.submit_rate.unwrap().max, 50);
    assert!(setup.switched_off.is_empty());
    assert_eq!(file.options.duration, None);
}

/// An edit of the shipped config's text.
type Edit = Box<dyn Fn(String) -> String>;

fn error_of(edit: impl Fn(String) -> String) -> String {
    let path = shipped();
    // The shipped file reads the password from the environment; tests
    // give it inline (except the one about that variable).
    let text = edit(std::fs::read_to_string(&path).unwrap()).replace(
        "password_env = \"EMP_VENUE_PASSWORD\"",
        "password = \"demo-password\"",
    );
    format!("{:#}", parse(&text, &path, now()).unwrap_err())
}

/// `file:line` of the first line of the shipped config holding `needle`.
fn at(needle: &str) -> String {
    let text = std::fs::read_to_string(shipped()).unwrap();
    let line = text.lines().position(|line| line.contains(needle)).unwrap() + 1;
    format!("run-ctrader-demo.toml:{line}:")
}

#[test]
fn mistakes_name_the_file_the_line_and_the_fix() {
    let heartbeat = format!(
        "{} unknown key heartbeat_secs in [venue]",
        at("heartbeat_s")
    );
    let mode = format!(
        "{} mode: \"real\" is not a mode; use paper or live",
        at("mode =")
    );
    let risk = format!(
        "{} max_position: -5 is not an exact quantity",
        at("max_position")
    );
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "a misspelled key",
            Box::new(|t| t.replace("heartbeat_s", "heartbeat_secs")),
            heartbeat.as_str(),
        ),
        (
            "an unknown mode",
            Box::new(|t| t.replace("mode = \"paper\"", "mode = \"real\"")),
            mode.as_str(),
        ),
        (
            "a strategy the params do not have",
            Box::new(|t| t.replace("duration_s = 0", "strategy = \"nope\"")),
            "strategy: no strategy named nope",
        ),
        (
            "a password variable that is not set",
            Box::new(|t| t.replace("EMP_VENUE_PASSWORD\"", "EMP_TEST_UNSET_PASSWORD_VARIABLE\"")),
            "the environment variable EMP_TEST_UNSET_PASSWORD_VARIABLE is not set",
        ),
        (
            "a symbol the venue does not list",
            Box::new(|t| t.replace("depth = \"book\"", "subscribe = [\"GBPUSD.CTRADER\"]")),
            "subscribe: GBPUSD.CTRADER is not a symbol of",
        ),
        (
            "a metrics address that is not one",
            Box::new(|t| t.replace("127.0.0.1:9464", "localhost")),
            "metrics: \"localhost\" is not an address",
        ),
        (
            "a missing params file",
            Box::new(|t| t.replace("strategies-demo.toml", "missing.toml")),
            "params: cannot read",
        ),
        (
            "no quote port for a cTrader venue",
            Box::new(|t| t.replace("quote_port = 5201\n", "")),
            "a cTrader venue needs quote_port",
        ),
        (
            "a bad risk limit",
            Box::new(|t| t.replace("max_position = \"200000\"", "max_position = \"-5\"")),
            risk.as_str(),
        ),
    ];
    for (what, edit, expected) in cases {
        let message = error_of(edit);
        assert!(message.contains(expected), "{what}: {message}");
    }
}

#[test]
fn a_go_live_config_starts_halted_and_names_the_control_plane() {
    let path = shipped();
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "password_env = \"EMP_VENUE_PASSWORD\"",
        "password = \"demo-password\"",
    );
    let halted = text.replace("[risk]\n", "[risk]\ninitial_state = \"halted\"\n");
    let file = parse(&halted, &path, now()).unwrap();
    assert_eq!(
        file.options.initial_trading_state,
        Some(oms::risk::TradingState::Halted)
    );
    assert_eq!(
        parse(&text, &path, now())
            .unwrap()
            .options
            .initial_trading_state,
        None
    );

    let off = text.replace("[run]\n", "[run]\ncontrol = \"off\"\n");
    assert!(parse(&off, &path, now()).unwrap().options.control.is_none());

    let wrong = text.replace("[risk]\n", "[risk]\ninitial_state = \"paused\"\n");
    let error = format!("{:#}", parse(&wrong, &path, now()).unwrap_err());
    assert!(error.contains("halted, reducing or active"), "{error}");
    assert!(error.contains("run-ctrader-demo.toml:"), "{error}");

    let bad_addr = text.replace("[run]\n", "[run]\ncontrol = \"everywhere\"\n");
    let error = format!("{:#}", parse(&bad_addr, &path, now()).unwrap_err());
    assert!(error.contains("127.0.0.1:9465"), "{error}");

    if std::env::var_os(emp::control::TOKEN_ENV).is_none() {
        // An explicit control address needs the token.
        let no_token = text.replace("[run]\n", "[run]\ncontrol = \"127.0.0.1:9465\"\n");
        let error = format!("{:#}", parse(&no_token, &path, now()).unwrap_err());
        assert!(error.contains("EMP_CONTROL_TOKEN"), "{error}");
        assert!(
            parse(&text, &path, now())
                .unwrap()
                .options
                .control
                .is_none()
        );
    }
}

/// The shipped config with a `[feeds]` section appended.
const FEEDS: &str = r#"
[[feeds.coinbase]]
url = "ws://127.0.0.1:9001"
stale_ms = 3000
dead_ms = 9000
products = [{ product = "EUR-USD", instrument = "EURUSD.CTRADER" }]

[[feeds.polymarket]]
max_assets_per_connection = 1
assets = [
  { asset = "123", instrument = "USDJPY.CTRADER" },
]
"#;

fn with_feeds(feeds: &str) -> (String, PathBuf) {
    let path = shipped();
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "password_env = \"EMP_VENUE_PASSWORD\"",
        "password = \"demo-password\"",
    );
    (format!("{text}{feeds}"), path)
}

#[test]
fn feeds_read_into_websocket_clients_for_the_run() {
    let (text, path) = with_feeds(FEEDS);
    let file = parse(&text, &path, now()).unwrap();
    let feeds = &file.setup.feeds;
    assert_eq!(feeds.len(), 2, "in file order");
    let polymarket = &feeds[1];
    assert_eq!(polymarket.name, "polymarket");
    assert_eq!(
        polymarket.config.url, "wss://ws-subscriptions-clob.polymarket.com/ws/market",
        "the default URL"
    );
    assert_eq!(polymarket.config.max_assets_per_connection, 1);
    let coinbase = &feeds[0];
    assert_eq!(coinbase.name, "coinbase");
    assert_eq!(coinbase.config.url, "ws://127.0.0.1:9001");
    assert_eq!(
        coinbase.config.liveness.stale_after,
        std::time::Duration::from_secs(3)
    );
    assert_eq!(
        coinbase.config.instruments,
        [(
            "EUR-USD".to_owned(),
            model::InstrumentId::new("EURUSD.CTRADER").unwrap()
        )]
    );
    assert_eq!(coinbase.connections().len(), 1);
    // Without the section, no feed.
    assert!(
        parse(&with_feeds("").0, &path, now())
            .unwrap()
            .setup
            .feeds
            .is_empty()
    );
}

#[test]
fn feed_mistakes_name_the_file_the_line_and_the_fix() {
    let line_of =
        |text: &str, needle: &str| text.lines().position(|line| line.contains(needle)).unwrap() + 1;
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "an instrument the venue does not list",
            FEEDS.replace("\"EURUSD.CTRADER\"", "\"GBPUSD.CTRADER\""),
            "EUR-USD",
            "GBPUSD.CTRADER is not an instrument of this run; map EUR-USD to one of EURUSD.CTRADER, USDJPY.CTRADER",
        ),
        (
            "not a websocket URL",
            FEEDS.replace("ws://127.0.0.1:9001", "http://127.0.0.1:9001"),
            "http://",
            "url: \"http://127.0.0.1:9001\" is not a websocket URL; write wss://host/path",
        ),
        (
            "an instrument fed twice",
            FEEDS.replace("USDJPY.CTRADER", "EURUSD.CTRADER"),
            "asset = \"123\"",
            "assets: EURUSD.CTRADER is already fed by another entry",
        ),
        (
            "stale after dead",
            FEEDS.replace("stale_ms = 3000", "stale_ms = 30000"),
            "dead_ms",
            "stale_ms (30000 ms) must be above zero and below dead_ms (9000 ms)",
        ),
        (
            "an asset cap beyond the venue's",
            FEEDS.replace(
                "max_assets_per_connection = 1",
                "max_assets_per_connection = 900",
            ),
            "max_assets_per_connection",
            "max_assets_per_connection: 900; use 1 to 500",
        ),
        (
            "a misspelled key",
            FEEDS.replace("products =", "product ="),
            "product =",
            "unknown key product in [[feeds.coinbase]]",
        ),
        (
            "an unknown venue",
            FEEDS.replace("[[feeds.polymarket]]", "[[feeds.kalshi]]"),
            "feeds.kalshi",
            "unknown key kalshi in [feeds]",
        ),
        (
            "a Coinbase channel that is not market data",
            FEEDS.replace("stale_ms = 3000", "channels = [\"user\"]\nstale_ms = 3000"),
            "channels",
            "channels: \"user\" is not a market-data channel",
        ),
    ];
    for (what, feeds, needle, expected) in cases {
        let (text, path) = with_feeds(&feeds);
        let message = format!("{:#}", parse(&text, &path, now()).unwrap_err());
        let line = line_of(&text, needle);
        assert!(
            message.contains(&format!("run-ctrader-demo.toml:{line}:")),
            "{what}: {message} (expected line {line})"
        );
        assert!(message.contains(expected), "{what}: {message}");
    }
}
