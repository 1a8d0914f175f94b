//! Venue profiles: the shipped files parse; bad files name the line and
//! the fix.

#![allow(clippy::unwrap_used, reason = "test code")]

use venue::exchange::SelfTradePolicy;
use venue::exchange::profile::{Flavour, VenueProfile};

const GENERIC: &str = include_str!("../../../specs/venue-generic.toml");
const CTRADER: &str = include_str!("../../../specs/venue-ctrader.toml");

#[test]
fn the_shipped_profiles_parse() {
    let hedged = CTRADER.replace("positions = \"netting\"", "positions = \"hedged\"");
    let profile = VenueProfile::parse(&hedged, "hedged.toml").unwrap();
    assert_eq!(
        profile.fix.unwrap().accounts[0].positions,
        venue::exchange::PositionMode::Hedged
    );
    let ctrader = VenueProfile::parse(CTRADER, "venue-ctrader.toml").unwrap();
    assert_eq!(ctrader.flavour, Flavour::CTrader);
    assert_eq!(ctrader.sub_step_nanos, 100_000_000);
    assert_eq!(ctrader.exchange.self_trade, SelfTradePolicy::CancelIncoming);
    let eurusd = &ctrader.symbols[0];
    assert_eq!(eurusd.instrument.venue_symbol.as_str(), "1");
    assert_eq!(eurusd.name, "EURUSD");
    assert_eq!(eurusd.instrument.price_digits, 5);
    assert_eq!(eurusd.instrument.min_quantity, "1000".parse().unwrap());
    assert_eq!(eurusd.model.regimes.len(), 3);
    assert_eq!(ctrader.instruments().iter().count(), 2);
    ctrader.build().unwrap();

    let generic = VenueProfile::parse(GENERIC, "venue-generic.toml").unwrap();
    assert_eq!(generic.flavour, Flavour::Generic);
    assert_eq!(
        generic.symbols[0].instrument.venue_symbol.as_str(),
        "BTCUSD"
    );
    assert_eq!(generic.symbols[0].model.background.depth_levels, 20);
    generic.build().unwrap();
}

/// The error for `text` with `from` replaced by `to`.
fn error_for(text: &str, from: &str, to: &str) -> (usize, String) {
    assert!(text.contains(from), "{from}");
    let bad = text.replacen(from, to, 1);
    let error = VenueProfile::parse(&bad, "bad.toml").unwrap_err();
    assert_eq!(error.source_name, "bad.toml");
    assert!(
        error
            .to_string()
            .starts_with(&format!("bad.toml:{}: ", error.line))
    );
    (error.line, error.problem)
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn bad_profiles_name_the_line_and_the_fix() {
    let (line, problem) = error_for(
        CTRADER,
        "positions = \"netting\"",
        "positions = \"hedging\"",
    );
    assert_eq!(line, line_of(CTRADER, "positions = \"netting\""));
    assert!(
        problem.contains("use netting") && problem.contains("hedged"),
        "{problem}"
    );

    let (line, problem) = error_for(CTRADER, "symbol = \"4\"", "symbol = \"USDJPY\"");
    assert_eq!(line, line_of(CTRADER, "symbol = \"4\""));
    assert!(problem.contains("numeric"), "{problem}");

    let (line, problem) = error_for(
        GENERIC,
        "taker_rate = 2.0",
        "taker_rate = 2.0\nmakr_rate = 1",
    );
    assert_eq!(line, line_of(GENERIC, "taker_rate = 2.0") + 1);
    assert!(
        problem.contains("unknown key makr_rate") && problem.contains("maker_rate"),
        "{problem}"
    );

    let (line, problem) = error_for(
        GENERIC,
        "initial_price = \"68000.00\"",
        "initial_price = \"68000.005\"",
    );
    assert_eq!(line, line_of(GENERIC, "initial_price"));
    assert!(problem.contains("multiple of the tick"), "{problem}");

    let (line, problem) = error_for(GENERIC, "volatility_ticks = 20.0", "volatility_ticks = -1");
    assert_eq!(line, line_of(GENERIC, "volatility_ticks = 20.0"));
    assert!(
        problem.contains("volatility_ticks: -1 must be zero or more"),
        "{problem}"
    );

    let (line, problem) = error_for(GENERIC, "order_size = \"0.05\"", "order_size = \"0.0005\"");
    assert_eq!(line, line_of(GENERIC, "order_size"));
    assert!(problem.contains("min_volume"), "{problem}");

    let (_, problem) = error_for(GENERIC, "flavour = \"generic\"", "flavour = \"lmax\"");
    assert!(problem.contains("ctrader or generic"), "{problem}");

    let (line, problem) = error_for(CTRADER, "digits = 3", "digits = 6");
    assert_eq!(line, line_of(CTRADER, "digits = 3"));
    assert!(problem.contains("digits"), "{problem}");

    let (line, problem) = error_for(GENERIC, "step = \"0.001\"", "step = \"0.002\"");
    assert_eq!(line, line_of(GENERIC, "[[symbol]]"));
    assert!(problem.contains("minimum quantity"), "{problem}");

    let (line, problem) = error_for(GENERIC, "seed = 7", "seed = \"seven\"");
    assert_eq!(line, line_of(GENERIC, "seed = 7"));
    assert!(problem.contains("whole number"), "{problem}");

    let (line, problem) = error_for(GENERIC, "[venue]", "[venue");
    assert_eq!(line, line_of(GENERIC, "[venue]"));
    assert!(problem.starts_with("not valid TOML"), "{problem}");

    // A symbol without regimes, and a file without symbols.
    let no_regime = GENERIC.split("[[symbol.regime]]").next().unwrap();
    let error = VenueProfile::parse(no_regime, "x").unwrap_err();
    assert!(
        error.problem.contains("missing required key regime"),
        "{error}"
    );
    let no_symbol = GENERIC.split("[[symbol]]").next().unwrap();
    let error = VenueProfile::parse(no_symbol, "x").unwrap_err();
    assert!(error.problem.contains("no [[symbol]]"), "{error}");
    // Two symbols with one id.
    let twice = format!(
        "{GENERIC}\n[[symbol]]{}",
        GENERIC.split("[[symbol]]").nth(1).unwrap()
    );
    let error = VenueProfile::parse(&twice, "x").unwrap_err();
    assert!(error.problem.contains("defined twice"), "{error}");
}
