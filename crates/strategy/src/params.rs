//! The params file: TOML text in, typed parameters out, with a version hash
//! that is stamped on every intent.
//!
//! ```toml
//! [gate]
//! spot = "BTC-USD"
//! targets = ["BTC-100K-YES"]
//! cross_venue = ["BTC-100K-YES"]
//! spot_ttl_ms = 1000
//! book_ttl_ms = 5000
//! max_skew_ms = 2000
//! warmup_ms = 0
//!
//! [[strategy]]
//! name = "dspd-btc"
//! kind = "delta_spd"            # delta_spd | micro_mm | binary_market
//! enabled = true
//! rate_limit_actions = 4        # at most 4 actions ...
//! rate_limit_window_ms = 1000   # ... per second
//! instruments = ["BTC-100K-YES"]
//! threshold = 0.01
//! order_size = "100"
//! max_position = "500"
//! ```
//!
//! Prices and sizes are exact: write them as strings, or as TOML numbers,
//! whose text is read digit by digit (never through a float). The file is
//! parsed from a string; reading it is the caller's business. Errors name
//! the line, the key and what to change.

use std::fmt;
use std::time::Duration;

use config::{ConfigError, DeTable, DeValue, Fields, Source, Value};
use model::{InstrumentId, Price, Quantity, StrategyId};

use crate::readiness::GateParams;
use crate::strategies::binary_market::{BinaryMarketParams, TokenPair};
use crate::strategies::delta_spd::DeltaSpdParams;
use crate::strategies::micro_mm::MicroMmParams;

/// FNV-1a (64 bits) of the params file's bytes: which parameters an intent
/// was decided with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamsVersion(u64);

impl ParamsVersion {
    /// The version of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let hash = bytes.iter().fold(OFFSET, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(PRIME)
        });
        Self(hash)
    }

    /// The hash value.
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ParamsVersion {
    /// Sixteen lower-case hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A params file could not be used. The message names the source, the line
/// and what to change.
pub type ParamsError = ConfigError;

/// How many actions a strategy may emit per window of simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Actions allowed per window.
    pub max_actions: u32,
    /// The sliding window.
    pub window: Duration,
}

/// The kind of a strategy instance and its own parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum StrategyKind {
    /// `kind = "delta_spd"`.
    DeltaSpd(DeltaSpdParams),
    /// `kind = "micro_mm"`.
    MicroMm(MicroMmParams),
    /// `kind = "binary_market"`.
    BinaryMarket(BinaryMarketParams),
}

impl StrategyKind {
    /// The `kind` value.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::DeltaSpd(_) => "delta_spd",
            Self::MicroMm(_) => "micro_mm",
            Self::BinaryMarket(_) => "binary_market",
        }
    }

    /// Every instrument the instance trades.
    pub fn instruments(&self) -> Vec<InstrumentId> {
        match self {
            Self::DeltaSpd(p) => p.instruments.clone(),
            Self::MicroMm(p) => p.instruments.clone(),
            Self::BinaryMarket(p) => p
                .pairs
                .iter()
                .flat_map(|pair| [pair.yes, pair.no])
                .collect(),
        }
    }
}

/// One `[[strategy]]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategyParams {
    /// The instance's name: the strategy id on its intents.
    pub name: StrategyId,
    /// False starts the instance with its kill switch on.
    pub enabled: bool,
    /// Its rate limit.
    pub rate_limit: RateLimit,
    /// Its kind and parameters.
    pub kind: StrategyKind,
}

/// A parsed params file.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamsFile {
    /// Hash of the text.
    pub version: ParamsVersion,
    /// The `[gate]` table.
    pub gate: GateParams,
    /// The `[[strategy]]` tables, in file order.
    pub strategies: Vec<StrategyParams>,
}

const GATE_KEYS: &[&str] = &[
    "spot",
    "targets",
    "cross_venue",
    "spot_ttl_ms",
    "book_ttl_ms",
    "max_skew_ms",
    "warmup_ms",
];
const COMMON_KEYS: &[&str] = &[
    "name",
    "kind",
    "enabled",
    "rate_limit_actions",
    "rate_limit_window_ms",
];
const DELTA_SPD_KEYS: &[&str] = &[
    "instruments",
    "threshold",
    "hysteresis",
    "beta",
    "spot_half_life_ms",
    "pm_half_life_ms",
    "order_size",
    "max_position",
    "allow_short",
];
const MICRO_MM_KEYS: &[&str] = &[
    "instruments",
    "min_half_spread_ticks",
    "vol_multiplier",
    "skew_per_unit",
    "quote_size",
    "max_position",
    "replace_tolerance_ticks",
];
const BINARY_MARKET_KEYS: &[&str] = &[
    "pairs",
    "profit_target",
    "stop_loss",
    "fees",
    "order_size",
    "bootstrap_size",
    "max_position",
    "hedge_tolerance",
    "average_down_step",
    "oracle_edge",
];

impl ParamsFile {
    /// Parses `text`; `source_name` (a file name) only appears in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, ParamsError> {
        let file = Source::new(text, source_name);
        let root = DeTable::parse(text).map_err(|error| {
            file.error(
                error.span().map_or(0, |span| span.start),
                format!("not valid TOML: {}", error.message().trim_end()),
            )
        })?;
        let mut gate = None;
        let mut strategies = Vec::new();
        for (key, value) in root.get_ref() {
            match (key.get_ref().as_ref(), value.get_ref()) {
                ("gate", DeValue::Table(table)) => {
                    gate = Some(gate_params(&Fields::new(
                        &file,
                        table,
                        key.span().start,
                        "[gate]",
                        GATE_KEYS,
                    )?)?);
                }
                ("strategy", DeValue::Array(items)) => {
                    for item in items {
                        let DeValue::Table(table) = item.get_ref() else {
                            return Err(file.error(
                                item.span().start,
                                "write each strategy as a [[strategy]] table",
                            ));
                        };
                        strategies.push(strategy(&file, table, item.span().start)?);
                    }
                }
                ("gate" | "strategy", _) => {
                    return Err(file.error(
                        key.span().start,
                        "write the gate as a [gate] table and each strategy as a [[strategy]] table",
                    ));
                }
                (other, _) => {
                    return Err(file.error(
                        key.span().start,
                        format!("unknown key {other}; a params file has a [gate] table and [[strategy]] tables"),
                    ));
                }
            }
        }
        let gate = gate.ok_or_else(|| {
            file.error(
                0,
                "no [gate] table: add one naming the spot and target instruments",
            )
        })?;
        if strategies.is_empty() {
            return Err(file.error(
                text.len(),
                "no [[strategy]] table: add one per strategy instance",
            ));
        }
        for (index, (offset, params)) in strategies.iter().enumerate() {
            if strategies[..index]
                .iter()
                .any(|(_, earlier)| earlier.name == params.name)
            {
                return Err(file.error(
                    *offset,
                    format!(
                        "strategy name {} is used twice; names must be unique",
                        params.name
                    ),
                ));
            }
        }
        // The sensory layer computes one ΔSPD per prediction instrument, so
        // two delta_spd strategies on one instrument must agree on it.
        for (index, (offset, params)) in strategies.iter().enumerate() {
            let StrategyKind::DeltaSpd(mine) = &params.kind else {
                continue;
            };
            for (_, earlier) in &strategies[..index] {
                let StrategyKind::DeltaSpd(theirs) = &earlier.kind else {
                    continue;
                };
                let same_settings = mine.beta.to_bits() == theirs.beta.to_bits()
                    && mine.spot_half_life_ms == theirs.spot_half_life_ms
                    && mine.pm_half_life_ms == theirs.pm_half_life_ms;
                if let Some(shared) = mine
                    .instruments
                    .iter()
                    .find(|id| theirs.instruments.contains(id))
                    && !same_settings
                {
                    return Err(file.error(
                        *offset,
                        format!(
                            "strategy {} and strategy {} both trade {shared} on ΔSPD but with different beta or half-lives; \
                             the dislocation is computed once per instrument, so give them the same values",
                            params.name, earlier.name
                        ),
                    ));
                }
            }
        }
        Ok(Self {
            version: ParamsVersion::of(text.as_bytes()),
            gate,
            strategies: strategies.into_iter().map(|(_, params)| params).collect(),
        })
    }

    /// The cross-venue pairs the sensory layer must compute ΔSPD for: the
    /// gate's spot against each instrument of each `delta_spd` strategy,
    /// with that strategy's β and anchor half-lives (parsing made sure
    /// strategies sharing an instrument agree).
    pub fn cross_venue_pairs(&self) -> Vec<sensory::CrossVenuePair> {
        let mut pairs: Vec<sensory::CrossVenuePair> = Vec::new();
        for params in &self.strategies {
            let StrategyKind::DeltaSpd(delta) = &params.kind else {
                continue;
            };
            for instrument in &delta.instruments {
                if pairs.iter().any(|pair| pair.prediction == *instrument) {
                    continue;
                }
                pairs.push(sensory::CrossVenuePair {
                    spot: self.gate.spot,
                    prediction: *instrument,
                    beta: delta.beta,
                    spot_half_life_nanos: delta.spot_half_life_ms.saturating_mul(1_000_000),
                    prediction_half_life_nanos: delta.pm_half_life_ms.saturating_mul(1_000_000),
                });
            }
        }
        pairs
    }
}

fn gate_params(fields: &Fields<'_, '_>) -> Result<GateParams, ParamsError> {
    Ok(GateParams {
        spot: fields.required("spot", Fields::instrument)?,
        targets: fields
            .optional("targets", Fields::instruments)?
            .unwrap_or_default(),
        cross_venue: fields
            .optional("cross_venue", Fields::instruments)?
            .unwrap_or_default(),
        spot_ttl: fields.required("spot_ttl_ms", Fields::millis)?,
        book_ttl: fields.required("book_ttl_ms", Fields::millis)?,
        max_skew: fields.required("max_skew_ms", Fields::millis)?,
        warmup: fields
            .optional("warmup_ms", Fields::millis)?
            .unwrap_or_default(),
    })
}

fn strategy(
    file: &Source<'_>,
    table: &DeTable<'_>,
    offset: usize,
) -> Result<(usize, StrategyParams), ParamsError> {
    let common = Fields::unchecked(file, table, offset, "[[strategy]]");
    let kind_name = common.required("kind", Fields::text)?;
    let (keys, label): (&[&str], _) = match kind_name.as_str() {
        "delta_spd" => (DELTA_SPD_KEYS, "a delta_spd strategy"),
        "micro_mm" => (MICRO_MM_KEYS, "a micro_mm strategy"),
        "binary_market" => (BINARY_MARKET_KEYS, "a binary_market strategy"),
        other => {
            return Err(file.error(
                common.offset_of("kind"),
                format!("kind: unknown strategy kind {other:?}; use delta_spd, micro_mm or binary_market"),
            ));
        }
    };
    let all: Vec<&str> = COMMON_KEYS.iter().chain(keys).copied().collect();
    let fields = Fields::new(file, table, offset, label, &all)?;
    let name = fields.required("name", |f, v| {
        StrategyId::new(&f.text(v)?)
            .map_err(|error| f.bad(v, format!("not a strategy name: {error}")))
    })?;
    let rate_limit = RateLimit {
        max_actions: fields.required("rate_limit_actions", Fields::count)?,
        window: fields.required("rate_limit_window_ms", Fields::millis)?,
    };
    if rate_limit.max_actions == 0 || rate_limit.window.is_zero() {
        return Err(file.error(
            fields.offset_of("rate_limit_actions"),
            "rate_limit_actions and rate_limit_window_ms must be above zero (use enabled = false to stop a strategy)",
        ));
    }
    let kind = match kind_name.as_str() {
        "delta_spd" => StrategyKind::DeltaSpd(delta_spd(&fields)?),
        "micro_mm" => StrategyKind::MicroMm(micro_mm(&fields)?),
        _ => StrategyKind::BinaryMarket(binary_market(&fields)?),
    };
    Ok((
        offset,
        StrategyParams {
            name,
            enabled: fields.optional("enabled", Fields::flag)?.unwrap_or(true),
            rate_limit,
            kind,
        },
    ))
}

fn delta_spd(fields: &Fields<'_, '_>) -> Result<DeltaSpdParams, ParamsError> {
    let threshold = fields.required("threshold", Fields::positive)?;
    let hysteresis = fields
        .optional("hysteresis", Fields::number)?
        .unwrap_or(0.0);
    if !(0.0..threshold).contains(&hysteresis) {
        return Err(fields.source().error(
            fields.offset_of("hysteresis"),
            format!("hysteresis: {hysteresis} must be at least 0 and below threshold {threshold}"),
        ));
    }
    Ok(DeltaSpdParams {
        instruments: fields.required("instruments", Fields::instruments)?,
        threshold,
        hysteresis,
        beta: fields.optional("beta", Fields::number)?.unwrap_or(1.0),
        spot_half_life_ms: fields
            .optional("spot_half_life_ms", Fields::whole)?
            .unwrap_or(30_000),
        pm_half_life_ms: fields
            .optional("pm_half_life_ms", Fields::whole)?
            .unwrap_or(30_000),
        order_size: fields.required("order_size", Fields::positive_quantity)?,
        max_position: fields.required("max_position", Fields::positive_quantity)?,
        allow_short: fields
            .optional("allow_short", Fields::flag)?
            .unwrap_or(false),
    })
}

fn micro_mm(fields: &Fields<'_, '_>) -> Result<MicroMmParams, ParamsError> {
    let min_half_spread_ticks = fields.required("min_half_spread_ticks", Fields::count)?;
    if min_half_spread_ticks == 0 {
        return Err(fields.source().error(
            fields.offset_of("min_half_spread_ticks"),
            "min_half_spread_ticks: must be at least 1, or bid and ask could meet",
        ));
    }
    Ok(MicroMmParams {
        instruments: fields.required("instruments", Fields::instruments)?,
        min_half_spread_ticks,
        vol_multiplier: fields
            .optional("vol_multiplier", Fields::number)?
            .unwrap_or(0.0),
        skew_per_unit: fields
            .optional("skew_per_unit", Fields::price)?
            .unwrap_or(Price::ZERO),
        quote_size: fields.required("quote_size", Fields::positive_quantity)?,
        max_position: fields.required("max_position", Fields::positive_quantity)?,
        replace_tolerance_ticks: fields
            .optional("replace_tolerance_ticks", Fields::count)?
            .unwrap_or(0),
    })
}

fn binary_market(fields: &Fields<'_, '_>) -> Result<BinaryMarketParams, ParamsError> {
    Ok(BinaryMarketParams {
        pairs: fields.required("pairs", pairs)?,
        profit_target: fields.required("profit_target", Fields::price)?,
        stop_loss: fields.required("stop_loss", Fields::price)?,
        fees: fields
            .optional("fees", Fields::price)?
            .unwrap_or(Price::ZERO),
        order_size: fields.required("order_size", Fields::positive_quantity)?,
        bootstrap_size: fields
            .optional("bootstrap_size", Fields::quantity)?
            .unwrap_or(Quantity::ZERO),
        max_position: fields.required("max_position", Fields::positive_quantity)?,
        hedge_tolerance: fields
            .optional("hedge_tolerance", Fields::quantity)?
            .unwrap_or(Quantity::ZERO),
        average_down_step: fields.required("average_down_step", Fields::price)?,
        oracle_edge: fields
            .optional("oracle_edge", Fields::number)?
            .unwrap_or(0.0),
    })
}

/// `pairs = [{ yes = "…", no = "…" }, …]`: the YES/NO tokens of each
/// market.
fn pairs(fields: &Fields<'_, '_>, value: &Value<'_>) -> Result<Vec<TokenPair>, ParamsError> {
    let hint = "expected an array of { yes = \"…\", no = \"…\" } tables";
    let DeValue::Array(items) = value.get_ref() else {
        return Err(fields.bad(value, hint));
    };
    if items.is_empty() {
        return Err(fields.bad(value, "name at least one { yes, no } pair"));
    }
    items
        .iter()
        .map(|item| {
            let DeValue::Table(table) = item.get_ref() else {
                return Err(fields.bad(item, hint));
            };
            let pair = Fields::new(
                fields.source(),
                table,
                item.span().start,
                "a pair",
                &["yes", "no"],
            )?;
            let yes = pair.required("yes", Fields::instrument)?;
            let no = pair.required("no", Fields::instrument)?;
            if yes == no {
                return Err(fields.bad(
                    item,
                    format!("yes and no are both {yes}; name the two tokens of the market"),
                ));
            }
            Ok(TokenPair { yes, no })
        })
        .collect()
}
