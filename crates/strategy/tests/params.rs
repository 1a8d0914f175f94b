//! The params file: the shipped example parses; bad files fail naming the
//! line, the key and what to change.

#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use std::time::Duration;

use common::*;
use strategy::{ParamsFile, ParamsVersion, StrategyKind};

const EXAMPLE: &str = include_str!("../../../specs/strategies.toml");

#[test]
fn the_example_file_parses() {
    let params = ParamsFile::parse(EXAMPLE, "specs/strategies.toml").unwrap();
    assert_eq!(params.version, ParamsVersion::of(EXAMPLE.as_bytes()));
    assert_eq!(params.gate.spot, id(SPOT));
    assert_eq!(params.gate.targets, vec![id(YES), id(NO)]);
    assert_eq!(params.gate.spot_ttl, Duration::from_secs(1));
    assert_eq!(params.gate.warmup, Duration::from_secs(5));
    let names: Vec<_> = params
        .strategies
        .iter()
        .map(|s| (s.name.to_string(), s.kind.name(), s.enabled))
        .collect();
    assert_eq!(
        names,
        vec![
            ("dspd-btc-100k".to_owned(), "delta_spd", true),
            ("mm-btc-100k".to_owned(), "micro_mm", false),
            ("binary-btc-100k".to_owned(), "binary_market", true),
        ]
    );
    let StrategyKind::DeltaSpd(dspd) = &params.strategies[0].kind else {
        panic!();
    };
    assert_eq!(
        (dspd.threshold, dspd.hysteresis, dspd.beta),
        (0.01, 0.002, 0.5)
    );
    assert_eq!(
        (dspd.spot_half_life_ms, dspd.order_size, dspd.max_position),
        (30_000, qty("100"), qty("1000"))
    );
    let StrategyKind::MicroMm(mm) = &params.strategies[1].kind else {
        panic!();
    };
    assert_eq!(mm.skew_per_unit, px("0.0001"));
    let StrategyKind::BinaryMarket(binary) = &params.strategies[2].kind else {
        panic!();
    };
    assert_eq!(binary.pairs[0].no, id(NO));
    assert_eq!((binary.fees, binary.oracle_edge), (px("0.02"), 0.02));
    assert_eq!(params.strategies[2].rate_limit.max_actions, 10);
}

#[test]
fn numbers_are_read_exactly_from_their_text() {
    // A TOML float's own digits, not the nearest binary float.
    let text = EXAMPLE.replace("profit_target = \"0.05\"", "profit_target = 0.000000001");
    let params = ParamsFile::parse(&text, "x.toml").unwrap();
    let StrategyKind::BinaryMarket(binary) = &params.strategies[2].kind else {
        panic!();
    };
    assert_eq!(binary.profit_target.raw(), 1);
    assert_ne!(params.version, ParamsVersion::of(EXAMPLE.as_bytes()));
}

/// The example with `from` replaced by `to` must fail at `line` with a
/// message containing `says`.
fn fails(from: &str, to: &str, line: usize, says: &str) {
    assert!(EXAMPLE.contains(from), "{from}");
    let text = EXAMPLE.replacen(from, to, 1);
    let error = ParamsFile::parse(&text, "strategies.toml").unwrap_err();
    assert_eq!(
        (error.line, error.source_name.as_str()),
        (line, "strategies.toml"),
        "{error}"
    );
    assert!(error.to_string().contains(says), "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("strategies.toml:{line}: ")),
        "{error}"
    );
}

fn line_of(needle: &str) -> usize {
    EXAMPLE
        .lines()
        .position(|line| line.contains(needle))
        .unwrap()
        + 1
}

#[test]
fn bad_files_name_the_line_and_the_fix() {
    fails(
        "threshold = 0.01",
        "treshold = 0.01",
        line_of("threshold = 0.01"),
        "unknown key treshold in a delta_spd strategy; allowed keys:",
    );
    fails(
        "threshold = 0.01",
        "threshold = -0.01",
        line_of("threshold = 0.01"),
        "threshold: -0.01 must be above zero",
    );
    fails(
        "hysteresis = 0.002",
        "hysteresis = 0.02",
        line_of("hysteresis"),
        "hysteresis: 0.02 must be at least 0 and below threshold 0.01",
    );
    fails(
        "order_size = \"100\"",
        "order_size = \"1e2\"",
        line_of("order_size = \"100\""),
        "order_size: 1e2 is not an exact quantity",
    );
    fails(
        "order_size = \"100\"",
        "order_size = \"0.0000000001\"",
        line_of("order_size = \"100\""),
        "is not an exact quantity",
    );
    fails(
        "order_size = \"100\"",
        "order_size = true",
        line_of("order_size = \"100\""),
        "order_size: expected a decimal number, found a boolean",
    );
    fails(
        "kind = \"micro_mm\"",
        "kind = \"market_maker\"",
        line_of("kind = \"micro_mm\""),
        "unknown strategy kind \"market_maker\"; use delta_spd, micro_mm or binary_market",
    );
    fails(
        "min_half_spread_ticks = 1",
        "min_half_spread_ticks = 0",
        line_of("min_half_spread_ticks"),
        "must be at least 1",
    );
    fails(
        "spot_ttl_ms = 1000",
        "spot_ttl_ms = \"1s\"",
        line_of("spot_ttl_ms"),
        "spot_ttl_ms: expected a whole number",
    );
    fails(
        "rate_limit_actions = 4",
        "rate_limit_actions = 0",
        line_of("rate_limit_actions = 4"),
        "use enabled = false",
    );
    fails(
        "instruments = [\"BTC-100K-YES\"]",
        "instruments = []",
        line_of("instruments = [\"BTC-100K-YES\"]"),
        "name at least one instrument",
    );
    fails(
        "yes = \"BTC-100K-YES\", no = \"BTC-100K-NO\"",
        "yes = \"BTC-100K-YES\", no = \"BTC-100K-YES\"",
        line_of("pairs ="),
        "yes and no are both BTC-100K-YES",
    );
    fails(
        "yes = \"BTC-100K-YES\", no = \"BTC-100K-NO\"",
        "yes = \"BTC-100K-YES\"",
        line_of("pairs ="),
        "a pair: missing required key no",
    );
    fails(
        "name = \"mm-btc-100k\"",
        "name = \"dspd-btc-100k\"",
        line_of("name = \"mm-btc-100k\"") - 1,
        "strategy name dspd-btc-100k is used twice",
    );
    fails(
        "spot = \"BTC-USD\"",
        "spott = \"BTC-USD\"",
        line_of("spot = \"BTC-USD\""),
        "unknown key spott in [gate]",
    );
    fails(
        "max_position = \"1000\"\n",
        "",
        line_of("[[strategy]]"),
        "a delta_spd strategy: missing required key max_position",
    );
    fails(
        "warmup_ms = 5000",
        "warmup_ms = 5000\nwarmup_ms = 6000",
        line_of("warmup_ms") + 1,
        "not valid TOML",
    );
    fails("[gate]", "[gates]", line_of("[gate]"), "unknown key gates");
}

#[test]
fn a_file_without_gate_or_strategies_says_what_to_add() {
    let error = ParamsFile::parse(DELTA_SPD, "a.toml").unwrap_err();
    assert_eq!(error.line, 1, "{error}");
    assert!(error.problem.starts_with("no [gate] table"), "{error}");
    let error = ParamsFile::parse(GATE, "b.toml").unwrap_err();
    assert!(
        error.problem.starts_with("no [[strategy]] table"),
        "{error}"
    );
    let error = ParamsFile::parse(
        "[gate]\nspot = \"BTC-USD\"\nbook_ttl_ms = 1\nmax_skew_ms = 1\n",
        "c.toml",
    )
    .unwrap_err();
    assert_eq!(error.line, 1, "{error}");
    assert!(
        error
            .problem
            .contains("[gate]: missing required key spot_ttl_ms"),
        "{error}"
    );
}

#[test]
fn delta_spd_settings_configure_the_sensory_pairs_and_must_agree() {
    let params = ParamsFile::parse(EXAMPLE, "specs/strategies.toml").unwrap();
    let pairs = params.cross_venue_pairs();
    assert_eq!(pairs.len(), 1);
    assert_eq!((pairs[0].spot, pairs[0].prediction), (id(SPOT), id(YES)));
    assert_eq!(pairs[0].beta, 0.5);
    assert_eq!(pairs[0].spot_half_life_nanos, 30_000_000_000);
    assert_eq!(pairs[0].prediction_half_life_nanos, 30_000_000_000);

    let second = |beta: &str| {
        format!(
            "{EXAMPLE}\n[[strategy]]\nname = \"dspd-2\"\nkind = \"delta_spd\"\nrate_limit_actions = 1\n\
             rate_limit_window_ms = 1000\ninstruments = [\"BTC-100K-YES\"]\nthreshold = 0.02\n\
             beta = {beta}\nspot_half_life_ms = 30000\npm_half_life_ms = 30000\n\
             order_size = \"1\"\nmax_position = \"1\"\n"
        )
    };
    // Same settings: one pair, shared.
    let agreeing = ParamsFile::parse(&second("0.5"), "p.toml").unwrap();
    assert_eq!(agreeing.cross_venue_pairs(), pairs);
    // Different β on the same instrument: refused, naming both.
    let error = ParamsFile::parse(&second("0.7"), "p.toml")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("dspd-2")
            && error.contains("dspd-btc-100k")
            && error.contains("same values"),
        "{error}"
    );
}
