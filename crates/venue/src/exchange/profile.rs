//! Venue profiles: which flavour of venue to imitate, its symbols, and
//! how their synthetic markets move — parsed from TOML text (reading the
//! file is the caller's business). `specs/venue-ctrader.toml` and
//! `specs/venue-generic.toml` are the shipped profiles.
//!
//! ```toml
//! [venue]
//! name = "generic-demo"
//! flavour = "generic"            # ctrader | generic
//! seed = 7
//! sub_step_ms = 100
//! self_trade = "cancel_incoming" # cancel_incoming | allow
//!
//! [[symbol]]
//! id = "BTCUSD.SIM"              # EMP's instrument id
//! symbol = "BTCUSD"              # Symbol (55); cTrader: a numeric id
//! name = "BTCUSD"                # SymbolName (1007)
//! digits = 2                     # SymbolDigits (1008)
//! tick = "0.01"
//! step = "0.001"                 # volume step (lot)
//! min_volume = "0.001"
//! max_volume = "100"             # optional
//! initial_price = "68000.00"
//!
//! [symbol.background]
//! depth_levels = 20
//! maker_rate = 20.0              # new maker orders per second
//! cancel_rate = 0.05             # per order per second
//! taker_rate = 1.0               # market orders per second
//! order_size = "0.05"
//! size_growth = "0.01"           # extra maker size per tick from the top
//! taker_max_size = "0.2"
//!
//! [[symbol.regime]]
//! name = "calm"
//! volatility_ticks = 2.0         # mid's σ in ticks per √second
//! mean_duration_s = 600
//!
//! [fix]                          # optional: the FIX acceptor (venue::fix)
//! begin_string = "FIX.4.4"       # ctrader: FIX.4.4; generic: FIX.4.2 or FIX.4.4
//! comp_id = "CSERVER"            # our SenderCompID (49)
//! quote_port = 5201              # ctrader only: the QUOTE session's port (0 = any free)
//! trade_port = 5202              # the TRADE session's port (0 = any free)
//! heartbeat_s = 30               # HeartBtInt clients should use
//! unsupported = "business_reject" # business_reject (35=j 380=3) | session_reject (35=3 373=11)
//!
//! [[account]]                    # one per trader login; needs [fix]
//! login = 12345                  # Username (553), numeric
//! password = "demo-password"     # Password (554)
//! environment = "demo"           # SenderCompID = <environment>.<broker>.<login>
//! broker = "emp"
//! ```
//!
//! Prices and sizes are exact: strings, or TOML numbers read digit by
//! digit. Errors name the source, the line and what to change.

use config::{ConfigError, DeTable, DeValue, Fields, Source};
use model::{Instrument, InstrumentId, InstrumentTable, Quantity, VenueSymbol};

use super::engine::{Exchange, ExchangeConfig, SelfTradePolicy};
use super::synthetic::{BackgroundTraders, Regime, SymbolModel, SyntheticConfig, SyntheticMarket};

/// A profile could not be used: where and why (`file:line: problem`).
pub type ProfileError = ConfigError;

/// Which venue the acceptor imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// The cTrader FIX API: numeric symbol ids, SymbolDigits 0 to 5.
    CTrader,
    /// A plain FIX 4.4 venue: symbols by name.
    Generic,
}

/// One symbol of a profile.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolProfile {
    /// The instrument: tick, step, minimum and maximum volume, digits.
    pub instrument: Instrument,
    /// SymbolName (1007).
    pub name: String,
    /// Its synthetic market.
    pub model: SymbolModel,
}

/// How the FIX acceptor answers an application message type it does not
/// support (cTrader's 35=q OrderMassCancelRequest, among others).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnsupportedReply {
    /// A BusinessMessageReject (35=j) with BusinessRejectReason (380) 3,
    /// "Unsupported Message Type", and RefMsgType (372).
    #[default]
    BusinessReject,
    /// A session Reject (35=3) with SessionRejectReason (373) 11,
    /// "Invalid MsgType", and RefMsgType (372).
    SessionReject,
}

/// One trading account that may log on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountProfile {
    /// The numeric trader login: Username (553) of the Logon.
    pub login: u64,
    /// Password (554) of the Logon.
    pub password: String,
    /// The environment part of the SenderCompID (`demo`, `live`).
    pub environment: String,
    /// The broker part of the SenderCompID.
    pub broker: String,
    /// Netting (one position per symbol, the default) or hedged
    /// (positions by PosMaintRptID 721).
    pub positions: super::engine::PositionMode,
}

impl AccountProfile {
    /// The SenderCompID (49) the account's sessions log on with:
    /// `<environment>.<broker>.<login>` (cTrader's pattern).
    pub fn comp_id(&self) -> String {
        format!("{}.{}.{}", self.environment, self.broker, self.login)
    }
}

/// The `[fix]` table: how the FIX acceptor presents itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixProfile {
    /// BeginString (8): `FIX.4.4` (cTrader), or `FIX.4.2`/`FIX.4.4` for a
    /// generic venue.
    pub begin_string: String,
    /// The venue's CompID: SenderCompID (49) of what it sends (`CSERVER`).
    pub comp_id: String,
    /// The price (QUOTE) port; 0 picks any free port. cTrader only: a
    /// generic venue has one session per account, on the trade port.
    pub quote_port: u16,
    /// The trade (TRADE) port; 0 picks any free port.
    pub trade_port: u16,
    /// Heartbeat interval the venue expects, in seconds (the Logon's 108
    /// decides; this is the default a client's settings should use).
    pub heartbeat_secs: u32,
    /// The answer to unsupported message types.
    pub unsupported: UnsupportedReply,
    /// The accounts that may log on.
    pub accounts: Vec<AccountProfile>,
}

impl FixProfile {
    /// The account with this login.
    pub fn account(&self, login: u64) -> Option<&AccountProfile> {
        self.accounts.iter().find(|account| account.login == login)
    }
}

/// A parsed venue profile.
#[derive(Clone, Debug, PartialEq)]
pub struct VenueProfile {
    /// The venue's name.
    pub name: String,
    /// Which venue it imitates.
    pub flavour: Flavour,
    /// The exchange's settings.
    pub exchange: ExchangeConfig,
    /// Seed and sub-step of the synthetic markets.
    pub seed: u64,
    /// Sub-step in nanoseconds.
    pub sub_step_nanos: u64,
    /// The symbols, in file order.
    pub symbols: Vec<SymbolProfile>,
    /// The FIX acceptor's settings and accounts (`[fix]` and
    /// `[[account]]`); `None` when the profile has neither.
    pub fix: Option<FixProfile>,
}

impl VenueProfile {
    /// Parses `text`; `source_name` only appears in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, ProfileError> {
        let source = Source::new(text, source_name);
        let root = DeTable::parse(text).map_err(|error| {
            source.error(
                error.span().map_or(0, |span| span.start),
                format!("not valid TOML: {}", error.message().trim_end()),
            )
        })?;
        let mut venue = None;
        let mut fix = None;
        let mut accounts = Vec::new();
        let mut symbols = Vec::new();
        for (key, value) in root.get_ref() {
            match (key.get_ref().as_ref(), value.get_ref()) {
                ("venue", DeValue::Table(table)) => {
                    venue = Some(Fields::new(
                        &source,
                        table,
                        key.span().start,
                        "[venue]",
                        VENUE_KEYS,
                    )?);
                }
                ("fix", DeValue::Table(table)) => {
                    fix = Some(Fields::new(
                        &source,
                        table,
                        key.span().start,
                        "[fix]",
                        FIX_KEYS,
                    )?);
                }
                ("account", DeValue::Array(items)) => {
                    for item in items {
                        let DeValue::Table(table) = item.get_ref() else {
                            return Err(source.error(
                                item.span().start,
                                "write each account as an [[account]] table",
                            ));
                        };
                        accounts.push(account_profile(&source, table, item.span().start)?);
                    }
                }
                ("symbol", DeValue::Array(items)) => {
                    for item in items {
                        let DeValue::Table(table) = item.get_ref() else {
                            return Err(source.error(
                                item.span().start,
                                "write each symbol as a [[symbol]] table",
                            ));
                        };
                        symbols.push((item.span().start, table));
                    }
                }
                ("venue" | "symbol" | "fix" | "account", _) => {
                    return Err(source.error(
                        key.span().start,
                        "write the venue as a [venue] table, the FIX settings as a [fix] table, and each symbol and account as a [[symbol]] or [[account]] table",
                    ));
                }
                (other, _) => {
                    return Err(source.error(
                        key.span().start,
                        format!("unknown key {other}; a venue profile has a [venue] table, [[symbol]] tables, and optionally a [fix] table and [[account]] tables"),
                    ));
                }
            }
        }
        let venue = venue.ok_or_else(|| {
            source.error(0, "no [venue] table: add one with name, flavour and seed")
        })?;
        let flavour = match venue.required("flavour", Fields::text)?.as_str() {
            "ctrader" => Flavour::CTrader,
            "generic" => Flavour::Generic,
            other => {
                return Err(source.error(
                    venue.offset_of("flavour"),
                    format!("flavour: unknown flavour {other:?}; use ctrader or generic"),
                ));
            }
        };
        let self_trade = match venue.optional("self_trade", Fields::text)?.as_deref() {
            None | Some("cancel_incoming") => SelfTradePolicy::CancelIncoming,
            Some("allow") => SelfTradePolicy::Allow,
            Some(other) => {
                return Err(source.error(
                    venue.offset_of("self_trade"),
                    format!("self_trade: unknown policy {other:?}; use cancel_incoming or allow"),
                ));
            }
        };
        let sub_step_ms = venue.optional("sub_step_ms", Fields::whole)?.unwrap_or(100);
        if sub_step_ms == 0 {
            return Err(source.error(
                venue.offset_of("sub_step_ms"),
                "sub_step_ms: must be at least 1",
            ));
        }
        let mut profile = Self {
            name: venue.required("name", Fields::text)?,
            flavour,
            exchange: ExchangeConfig { self_trade },
            seed: venue.required("seed", Fields::whole)?,
            sub_step_nanos: sub_step_ms.saturating_mul(1_000_000),
            symbols: Vec::new(),
            fix: None,
        };
        profile.fix = match fix {
            Some(fix) => Some(fix_profile(&source, &fix, flavour, accounts)?),
            None if accounts.is_empty() => None,
            None => {
                return Err(source.error(
                    0,
                    "[[account]] tables need a [fix] table with begin_string, comp_id and ports",
                ));
            }
        };
        if symbols.is_empty() {
            return Err(source.error(text.len(), "no [[symbol]] table: add one per symbol"));
        }
        let mut table = InstrumentTable::new();
        for (offset, symbol) in symbols {
            let parsed = symbol_profile(&source, flavour, symbol, offset)?;
            table
                .insert(parsed.instrument.clone())
                .map_err(|error| source.error(offset, format!("[[symbol]]: {error}")))?;
            let config = SyntheticConfig {
                seed: profile.seed,
                sub_step_nanos: profile.sub_step_nanos,
                symbols: vec![parsed.model.clone()],
            };
            SyntheticMarket::new(&config, &table)
                .map_err(|error| source.error(offset, format!("[[symbol]]: {error}")))?;
            profile.symbols.push(parsed);
        }
        Ok(profile)
    }

    /// The instruments of every symbol.
    pub fn instruments(&self) -> InstrumentTable {
        let mut table = InstrumentTable::new();
        for symbol in &self.symbols {
            // Parsing inserted the same instruments into a table already.
            let _ = table.insert(symbol.instrument.clone());
        }
        table
    }

    /// The synthetic markets' configuration.
    pub fn synthetic(&self) -> SyntheticConfig {
        SyntheticConfig {
            seed: self.seed,
            sub_step_nanos: self.sub_step_nanos,
            symbols: self
                .symbols
                .iter()
                .map(|symbol| symbol.model.clone())
                .collect(),
        }
    }

    /// An exchange with this profile's symbols and its synthetic market.
    pub fn build(&self) -> Result<(Exchange, SyntheticMarket), super::synthetic::SyntheticError> {
        let instruments = self.instruments();
        let market = SyntheticMarket::new(&self.synthetic(), &instruments)?;
        Ok((Exchange::new(instruments, self.exchange), market))
    }
}

const VENUE_KEYS: &[&str] = &["name", "flavour", "seed", "sub_step_ms", "self_trade"];
const FIX_KEYS: &[&str] = &[
    "begin_string",
    "comp_id",
    "quote_port",
    "trade_port",
    "heartbeat_s",
    "unsupported",
];
const ACCOUNT_KEYS: &[&str] = &["login", "password", "environment", "broker", "positions"];

fn port(fields: &Fields<'_, '_>, key: &str) -> Result<Option<u16>, ProfileError> {
    fields.optional(key, |f, v| {
        let port = f.whole(v)?;
        u16::try_from(port).map_err(|_| f.bad(v, format!("{port} is not a TCP port (0 to 65535)")))
    })
}

fn fix_profile(
    source: &Source<'_>,
    fields: &Fields<'_, '_>,
    flavour: Flavour,
    accounts: Vec<AccountProfile>,
) -> Result<FixProfile, ProfileError> {
    let begin_string = fields.required("begin_string", Fields::text)?;
    let allowed: &[&str] = match flavour {
        Flavour::CTrader => &["FIX.4.4"],
        Flavour::Generic => &["FIX.4.2", "FIX.4.4"],
    };
    if !allowed.contains(&begin_string.as_str()) {
        return Err(source.error(
            fields.offset_of("begin_string"),
            format!(
                "begin_string: {begin_string:?} is not served by this flavour; use {}",
                allowed.join(" or ")
            ),
        ));
    }
    let comp_id = fields.required("comp_id", Fields::text)?;
    if comp_id.is_empty() {
        return Err(source.error(fields.offset_of("comp_id"), "comp_id: must not be empty"));
    }
    let quote_port = port(fields, "quote_port")?;
    if flavour == Flavour::CTrader && quote_port.is_none() {
        return Err(source.error(
            fields.offset(),
            "[fix]: missing required key quote_port (cTrader serves prices on their own port; 0 = any free port)",
        ));
    }
    let trade_port = port(fields, "trade_port")?.ok_or_else(|| {
        source.error(
            fields.offset(),
            "[fix]: missing required key trade_port (0 = any free port)",
        )
    })?;
    let heartbeat_secs = fields.optional("heartbeat_s", Fields::count)?.unwrap_or(30);
    let unsupported = match fields.optional("unsupported", Fields::text)?.as_deref() {
        None | Some("business_reject") => UnsupportedReply::BusinessReject,
        Some("session_reject") => UnsupportedReply::SessionReject,
        Some(other) => {
            return Err(source.error(
                fields.offset_of("unsupported"),
                format!(
                    "unsupported: unknown reply {other:?}; use business_reject or session_reject"
                ),
            ));
        }
    };
    if accounts.is_empty() {
        return Err(source.error(
            fields.offset(),
            "[fix]: no [[account]] table; add one with login, password, environment and broker",
        ));
    }
    for (n, account) in accounts.iter().enumerate() {
        if accounts[..n]
            .iter()
            .any(|other| other.login == account.login)
        {
            return Err(source.error(
                fields.offset(),
                format!("[[account]]: login {} appears twice", account.login),
            ));
        }
    }
    Ok(FixProfile {
        begin_string,
        comp_id,
        quote_port: quote_port.unwrap_or(0),
        trade_port,
        heartbeat_secs,
        unsupported,
        accounts,
    })
}

fn account_profile(
    source: &Source<'_>,
    table: &DeTable<'_>,
    offset: usize,
) -> Result<AccountProfile, ProfileError> {
    let fields = Fields::new(source, table, offset, "[[account]]", ACCOUNT_KEYS)?;
    let part = |key: &str| -> Result<String, ProfileError> {
        let text = fields.required(key, Fields::text)?;
        if text.is_empty() || text.contains('.') || text.bytes().any(|b| b <= b' ') {
            return Err(source.error(
                fields.offset_of(key),
                format!("{key}: {text:?} must be non-empty without dots or spaces (it is part of the SenderCompID)"),
            ));
        }
        Ok(text)
    };
    let positions = match fields.optional("positions", Fields::text)?.as_deref() {
        None | Some("netting") => super::engine::PositionMode::Netting,
        Some("hedged") => super::engine::PositionMode::Hedged,
        Some(other) => {
            return Err(source.error(
                fields.offset_of("positions"),
                format!("positions: {other:?}; use netting (one position per symbol) or hedged (positions by id, 721)"),
            ));
        }
    };
    Ok(AccountProfile {
        login: fields.required("login", Fields::whole)?,
        password: fields.required("password", Fields::text)?,
        environment: part("environment")?,
        broker: part("broker")?,
        positions,
    })
}
const SYMBOL_KEYS: &[&str] = &[
    "id",
    "symbol",
    "name",
    "digits",
    "tick",
    "step",
    "min_volume",
    "max_volume",
    "min_notional",
    "initial_price",
    "background",
    "regime",
];
const BACKGROUND_KEYS: &[&str] = &[
    "depth_levels",
    "maker_rate",
    "cancel_rate",
    "taker_rate",
    "order_size",
    "size_growth",
    "taker_max_size",
];
const REGIME_KEYS: &[&str] = &["name", "volatility_ticks", "mean_duration_s"];

fn symbol_profile(
    source: &Source<'_>,
    flavour: Flavour,
    table: &DeTable<'_>,
    offset: usize,
) -> Result<SymbolProfile, ProfileError> {
    let fields = Fields::new(source, table, offset, "[[symbol]]", SYMBOL_KEYS)?;
    let id = fields.required("id", |f, v| {
        InstrumentId::new(&f.text(v)?)
            .map_err(|error| f.bad(v, format!("not an instrument id: {error}")))
    })?;
    let venue_symbol = fields.required("symbol", |f, v| {
        let text = f.text(v)?;
        if flavour == Flavour::CTrader && (text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit())) {
            return Err(f.bad(v, format!("{text:?} is not a cTrader symbol id; cTrader symbols are numeric, e.g. \"1\" for EURUSD")));
        }
        VenueSymbol::new(&text).map_err(|error| f.bad(v, format!("not a symbol: {error}")))
    })?;
    let digits = fields.required("digits", Fields::whole)?;
    let max_digits = if flavour == Flavour::CTrader { 5 } else { 9 };
    if digits > max_digits {
        return Err(source.error(
            fields.offset_of("digits"),
            format!("digits: {digits} is more than {max_digits}, the most this flavour allows"),
        ));
    }
    let instrument = Instrument {
        id,
        venue_symbol,
        tick_size: fields.required("tick", Fields::price)?,
        lot_size: fields.required("step", Fields::quantity)?,
        min_quantity: fields.required("min_volume", Fields::quantity)?,
        max_quantity: fields.optional("max_volume", Fields::quantity)?,
        min_notional: fields.optional("min_notional", |f, v| {
            let text = f.decimal_text(v)?;
            text.parse()
                .map_err(|error| f.bad(v, format!("{text} is not an exact amount: {error}")))
        })?,
        // At most 9, checked above.
        price_digits: u8::try_from(digits).unwrap_or(9),
        allows_non_positive_prices: false,
    };
    instrument.validate().map_err(|error| {
        source.error(
            offset,
            format!("[[symbol]]: {error}; fix tick, step, min_volume or digits"),
        )
    })?;
    let initial_price = fields.required("initial_price", Fields::price)?;
    if !initial_price.is_positive() || !initial_price.is_multiple_of(instrument.tick_size) {
        return Err(source.error(
            fields.offset_of("initial_price"),
            format!(
                "initial_price: {initial_price} must be above zero and a multiple of the tick {}",
                instrument.tick_size
            ),
        ));
    }
    let background = fields.required("background", |f, v| {
        let DeValue::Table(table) = v.get_ref() else {
            return Err(f.bad(v, "write it as a [symbol.background] table"));
        };
        background(source, table, v.span().start, &instrument)
    })?;
    let regimes = fields.required("regime", |f, v| {
        let DeValue::Array(items) = v.get_ref() else {
            return Err(f.bad(v, "write each regime as a [[symbol.regime]] table"));
        };
        if items.is_empty() {
            return Err(f.bad(v, "add at least one [[symbol.regime]]"));
        }
        items
            .iter()
            .map(|item| {
                let DeValue::Table(table) = item.get_ref() else {
                    return Err(f.bad(item, "write each regime as a [[symbol.regime]] table"));
                };
                let regime = Fields::new(
                    source,
                    table,
                    item.span().start,
                    "[[symbol.regime]]",
                    REGIME_KEYS,
                )?;
                Ok(Regime {
                    name: regime.required("name", Fields::text)?,
                    volatility_ticks: regime.required("volatility_ticks", Fields::non_negative)?,
                    mean_duration_secs: regime.required("mean_duration_s", Fields::positive)?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(SymbolProfile {
        name: fields
            .optional("name", Fields::text)?
            .unwrap_or_else(|| id.to_string()),
        model: SymbolModel {
            instrument: id,
            initial_price,
            regimes,
            background,
        },
        instrument,
    })
}

fn background(
    source: &Source<'_>,
    table: &DeTable<'_>,
    offset: usize,
    instrument: &Instrument,
) -> Result<BackgroundTraders, ProfileError> {
    let fields = Fields::new(
        source,
        table,
        offset,
        "[symbol.background]",
        BACKGROUND_KEYS,
    )?;
    let depth_levels = fields.required("depth_levels", Fields::whole)?;
    if !(1..=1000).contains(&depth_levels) {
        return Err(source.error(
            fields.offset_of("depth_levels"),
            "depth_levels: must be between 1 and 1000",
        ));
    }
    let sized = |key: &str| -> Result<Quantity, ProfileError> {
        let size = fields.required(key, Fields::quantity)?;
        if size < instrument.min_quantity || !size.is_multiple_of(instrument.lot_size) {
            return Err(source.error(
                fields.offset_of(key),
                format!(
                    "{key}: {size} must be at least min_volume {} and a multiple of step {}",
                    instrument.min_quantity, instrument.lot_size
                ),
            ));
        }
        Ok(size)
    };
    let order_size = sized("order_size")?;
    let taker_max_size = sized("taker_max_size")?;
    let size_growth = fields
        .optional("size_growth", Fields::quantity)?
        .unwrap_or(Quantity::ZERO);
    if !size_growth.is_multiple_of(instrument.lot_size) {
        return Err(source.error(
            fields.offset_of("size_growth"),
            format!(
                "size_growth: {size_growth} must be a multiple of step {}",
                instrument.lot_size
            ),
        ));
    }
    Ok(BackgroundTraders {
        depth_levels: u32::try_from(depth_levels).unwrap_or(1000),
        maker_rate: fields.required("maker_rate", Fields::non_negative)?,
        cancel_rate: fields.required("cancel_rate", Fields::non_negative)?,
        taker_rate: fields.required("taker_rate", Fields::non_negative)?,
        order_size,
        size_growth,
        taker_max_size,
    })
}
