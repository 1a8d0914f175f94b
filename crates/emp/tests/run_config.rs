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
