//! EMP's config files: TOML text read with its spans into exact typed
//! values, with errors that name the file, the line and what to change.
//!
//! The strategy params, the venue profiles and the event calendar are read
//! with it. Parsing happens from a string; reading the file is the
//! caller's business. Prices and quantities are exact: a string, or a TOML
//! number whose own digits are read (never through a float).
//!
//! ```
//! use config::{Fields, Source};
//!
//! let text = "[venue]\nname = \"demo\"\ntick = 0.01\nlevels = 20\n";
//! let source = Source::new(text, "venue.toml");
//! let root = source.parse()?;
//! let (key, value) = root.get_ref().iter().next().unwrap();
//! let config::DeValue::Table(table) = value.get_ref() else { unreachable!() };
//! let fields = Fields::new(&source, table, key.span().start, "[venue]", &["name", "tick", "levels"])?;
//! assert_eq!(fields.required("tick", Fields::price)?, "0.01".parse()?);
//! assert_eq!(fields.required("levels", Fields::whole)?, 20);
//! let missing = fields.required("seed", Fields::whole).unwrap_err();
//! assert_eq!(missing.to_string(), "venue.toml:1: [venue]: missing required key seed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use model::{InstrumentId, Price, Quantity};
pub use toml::Spanned;
pub use toml::de::{DeTable, DeValue};

/// A value with its span in the text.
pub type Value<'i> = Spanned<DeValue<'i>>;

/// A config text could not be used: where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {problem}")]
pub struct ConfigError {
    /// The text's name (a file name), for the message.
    pub source_name: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub problem: String,
}

/// A config text and its name.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    text: &'a str,
    name: &'a str,
}

impl<'a> Source<'a> {
    /// `text`, called `name` in messages.
    pub const fn new(text: &'a str, name: &'a str) -> Self {
        Self { text, name }
    }

    /// The text.
    pub const fn text(&self) -> &'a str {
        self.text
    }

    /// 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    /// An error at byte `offset`.
    pub fn error(&self, offset: usize, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            source_name: self.name.to_owned(),
            line: self.line_of(offset),
            problem: problem.into(),
        }
    }

    /// Parses the text as TOML, keeping spans.
    pub fn parse(&self) -> Result<Spanned<DeTable<'a>>, ConfigError> {
        DeTable::parse(self.text).map_err(|error| {
            self.error(
                error.span().map_or(0, |span| span.start),
                format!("not valid TOML: {}", error.message().trim_end()),
            )
        })
    }
}

/// One table's keys, read by name with typed conversions. A conversion's
/// error is prefixed with its key.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'s, 't> {
    source: &'s Source<'s>,
    table: &'t DeTable<'t>,
    offset: usize,
    label: &'static str,
}

impl<'s, 't> Fields<'s, 't> {
    /// Checks every key of `table` against `allowed`; `label` names the
    /// table in messages and `offset` is where it starts.
    pub fn new(
        source: &'s Source<'s>,
        table: &'t DeTable<'t>,
        offset: usize,
        label: &'static str,
        allowed: &[&str],
    ) -> Result<Self, ConfigError> {
        let fields = Self::unchecked(source, table, offset, label);
        fields.check_keys(allowed)?;
        Ok(fields)
    }

    /// As [`Fields::new`], leaving the key check for later
    /// ([`Fields::check_keys`]), when the allowed keys depend on a value
    /// inside the table.
    pub const fn unchecked(
        source: &'s Source<'s>,
        table: &'t DeTable<'t>,
        offset: usize,
        label: &'static str,
    ) -> Self {
        Self {
            source,
            table,
            offset,
            label,
        }
    }

    /// Refuses the first key not in `allowed`, listing the allowed ones.
    pub fn check_keys(&self, allowed: &[&str]) -> Result<(), ConfigError> {
        for key in self.table.keys() {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                return Err(self.source.error(
                    key.span().start,
                    format!(
                        "unknown key {name} in {}; allowed keys: {}",
                        self.label,
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The text these fields come from.
    pub const fn source(&self) -> &'s Source<'s> {
        self.source
    }

    /// The table's name in messages.
    pub const fn label(&self) -> &'static str {
        self.label
    }

    /// Where the table starts.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// Where `key` is, or the table's start when it is absent.
    pub fn offset_of(&self, key: &str) -> usize {
        self.table
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key)
            .map_or(self.offset, |(name, _)| name.span().start)
    }

    /// `key` converted, or an error saying it is missing.
    pub fn required<T>(
        &self,
        key: &str,
        convert: impl Fn(&Self, &Value<'_>) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        self.optional(key, convert)?.ok_or_else(|| {
            self.source.error(
                self.offset,
                format!("{}: missing required key {key}", self.label),
            )
        })
    }

    /// `key` converted, when present.
    pub fn optional<T>(
        &self,
        key: &str,
        convert: impl Fn(&Self, &Value<'_>) -> Result<T, ConfigError>,
    ) -> Result<Option<T>, ConfigError> {
        self.table
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key)
            .map(|(name, value)| {
                convert(self, value).map_err(|mut error| {
                    error.problem = format!("{}: {}", name.get_ref(), error.problem);
                    error
                })
            })
            .transpose()
    }

    /// An error at `value`.
    pub fn bad(&self, value: &Value<'_>, problem: impl Into<String>) -> ConfigError {
        self.source.error(value.span().start, problem)
    }

    /// A string.
    pub fn text(&self, value: &Value<'_>) -> Result<String, ConfigError> {
        match value.get_ref() {
            DeValue::String(text) => Ok(text.to_string()),
            other => Err(self.bad(
                value,
                format!("expected a string, found a {}", other.type_str()),
            )),
        }
    }

    /// The value's decimal text: a string, or a number's own digits.
    pub fn decimal_text(&self, value: &Value<'_>) -> Result<String, ConfigError> {
        match value.get_ref() {
            DeValue::String(text) => Ok(text.to_string()),
            DeValue::Integer(integer) if integer.radix() == 10 => {
                Ok(integer.as_str().replace('_', ""))
            }
            DeValue::Float(float) => Ok(float.as_str().replace('_', "")),
            other => Err(self.bad(
                value,
                format!("expected a decimal number, found a {}", other.type_str()),
            )),
        }
    }

    /// A finite number (for statistics and thresholds, never prices).
    pub fn number(&self, value: &Value<'_>) -> Result<f64, ConfigError> {
        self.decimal_text(value)?
            .parse::<f64>()
            .ok()
            .filter(|number| number.is_finite())
            .ok_or_else(|| self.bad(value, "expected a finite number"))
    }

    /// A finite number, zero or more.
    pub fn non_negative(&self, value: &Value<'_>) -> Result<f64, ConfigError> {
        let number = self.number(value)?;
        if number >= 0.0 {
            Ok(number)
        } else {
            Err(self.bad(value, format!("{number} must be zero or more")))
        }
    }

    /// A finite number above zero.
    pub fn positive(&self, value: &Value<'_>) -> Result<f64, ConfigError> {
        let number = self.number(value)?;
        if number > 0.0 {
            Ok(number)
        } else {
            Err(self.bad(value, format!("{number} must be above zero")))
        }
    }

    /// A whole number written in decimal.
    pub fn whole(&self, value: &Value<'_>) -> Result<u64, ConfigError> {
        match value.get_ref() {
            DeValue::Integer(integer) if integer.radix() == 10 => integer
                .as_str()
                .replace('_', "")
                .parse::<u64>()
                .map_err(|_| self.bad(value, "expected a whole number, 0 or more")),
            _ => Err(self.bad(value, "expected a whole number written in decimal")),
        }
    }

    /// A whole number that fits 32 bits.
    pub fn count(&self, value: &Value<'_>) -> Result<u32, ConfigError> {
        u32::try_from(self.whole(value)?).map_err(|_| self.bad(value, "too large"))
    }

    /// A whole number of milliseconds.
    pub fn millis(&self, value: &Value<'_>) -> Result<Duration, ConfigError> {
        self.whole(value).map(Duration::from_millis)
    }

    /// `true` or `false`.
    pub fn flag(&self, value: &Value<'_>) -> Result<bool, ConfigError> {
        match value.get_ref() {
            DeValue::Boolean(flag) => Ok(*flag),
            other => Err(self.bad(
                value,
                format!("expected true or false, found a {}", other.type_str()),
            )),
        }
    }

    /// An exact price.
    pub fn price(&self, value: &Value<'_>) -> Result<Price, ConfigError> {
        let text = self.decimal_text(value)?;
        text.parse::<Price>()
            .map_err(|error| self.bad(value, format!("{text} is not an exact price: {error}")))
    }

    /// An exact quantity.
    pub fn quantity(&self, value: &Value<'_>) -> Result<Quantity, ConfigError> {
        let text = self.decimal_text(value)?;
        text.parse::<Quantity>()
            .map_err(|error| self.bad(value, format!("{text} is not an exact quantity: {error}")))
    }

    /// An exact quantity above zero.
    pub fn positive_quantity(&self, value: &Value<'_>) -> Result<Quantity, ConfigError> {
        let quantity = self.quantity(value)?;
        if quantity.is_zero() {
            Err(self.bad(value, "must be above zero"))
        } else {
            Ok(quantity)
        }
    }

    /// An instrument id.
    pub fn instrument(&self, value: &Value<'_>) -> Result<InstrumentId, ConfigError> {
        InstrumentId::new(&self.text(value)?)
            .map_err(|error| self.bad(value, format!("not an instrument id: {error}")))
    }

    /// A non-empty array of instrument ids.
    pub fn instruments(&self, value: &Value<'_>) -> Result<Vec<InstrumentId>, ConfigError> {
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.bad(
                value,
                "expected an array of instrument ids, e.g. [\"BTC-100K-YES\"]",
            ));
        };
        if items.is_empty() {
            return Err(self.bad(value, "name at least one instrument"));
        }
        items.iter().map(|item| self.instrument(item)).collect()
    }
}
