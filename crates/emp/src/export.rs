//! `emp export --parquet`: a journal's market data as Parquet files for
//! analysis tools (pandas, polars, DuckDB, Spark).
//!
//! Two files, one row per change or print:
//!
//! `book.parquet`
//! | column | type | meaning |
//! |---|---|---|
//! | `event` | int64 | index of the market event the row belongs to (rows of one snapshot or delta share it) |
//! | `receive_time` | timestamp(ns, UTC) | when EMP received it |
//! | `exchange_time` | timestamp(ns, UTC), nullable | the venue's stamp |
//! | `instrument` | string | EMP's instrument id |
//! | `sequence` | int64, nullable | the venue's sequence number |
//! | `kind` | string | `snapshot`, `delta`, `quote` or `reset` |
//! | `action` | string | `level` (snapshot/quote level or set-level), `add`, `change`, `delete`, `reset` |
//! | `side` | string, nullable | `bid` or `ask` (a delete by entry id has none) |
//! | `price` | decimal(18, 9), nullable | exact |
//! | `size` | decimal(18, 9), nullable | exact; 0 removes a level |
//! | `entry_id` | string, nullable | MDEntryID, for entry-based books |
//!
//! `trades.parquet`: `event`, `receive_time`, `exchange_time`,
//! `instrument`, `sequence`, `price`, `size`, `aggressor` (`buy`, `sell`
//! or null), `trade_id` (nullable).
//!
//! Prices and sizes are Parquet DECIMAL(18, 9) on INT64: the exact
//! fixed-point values, never floats.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use journal::{JournalReader, KnownVersions, ReplayItem, ReplayOptions, Start};
use model::{BookChange, BookSide, MarketEvent, Side};
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use crate::record::{SCHEMA_VERSION, topics};

/// Rows per row group: large enough for efficient scans, small enough to
/// bound memory.
const ROW_GROUP: usize = 100_000;

const BOOK_SCHEMA: &str = "message book {
    required int64 event;
    required int64 receive_time (TIMESTAMP(NANOS,true));
    optional int64 exchange_time (TIMESTAMP(NANOS,true));
    required binary instrument (STRING);
    optional int64 sequence;
    required binary kind (STRING);
    required binary action (STRING);
    optional binary side (STRING);
    optional int64 price (DECIMAL(18,9));
    optional int64 size (DECIMAL(18,9));
    optional binary entry_id (STRING);
}";

const TRADE_SCHEMA: &str = "message trades {
    required int64 event;
    required int64 receive_time (TIMESTAMP(NANOS,true));
    optional int64 exchange_time (TIMESTAMP(NANOS,true));
    required binary instrument (STRING);
    optional int64 sequence;
    required int64 price (DECIMAL(18,9));
    required int64 size (DECIMAL(18,9));
    optional binary aggressor (STRING);
    optional binary trade_id (STRING);
}";

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The journal cannot be read.
    #[error("reading the journal: {0}")]
    Journal(#[from] journal::JournalError),
    /// A Parquet file cannot be written.
    #[error("writing {path}: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Market events read.
    pub events: u64,
    /// Rows in `book.parquet`.
    pub book_rows: u64,
    /// Rows in `trades.parquet`.
    pub trade_rows: u64,
}

/// A column of int64 values with nulls, as Parquet takes them: the
/// present values, and one definition level per row (1 present, 0 null).
#[derive(Default)]
struct Int64Column {
    values: Vec<i64>,
    levels: Vec<i16>,
}

impl Int64Column {
    fn push(&mut self, value: Option<i64>) {
        self.levels.push(i16::from(value.is_some()));
        self.values.extend(value);
    }
}

#[derive(Default)]
struct TextColumn {
    values: Vec<ByteArray>,
    levels: Vec<i16>,
}

impl TextColumn {
    fn push(&mut self, value: Option<&str>) {
        self.levels.push(i16::from(value.is_some()));
        self.values.extend(value.map(ByteArray::from));
    }
}

/// The columns shared by both files.
#[derive(Default)]
struct Common {
    event: Int64Column,
    receive_time: Int64Column,
    exchange_time: Int64Column,
    instrument: TextColumn,
    sequence: Int64Column,
}

impl Common {
    fn push(&mut self, index: u64, event: &MarketEvent) {
        let header = event.header();
        self.event.push(Some(nanos_i64(index)));
        self.receive_time
            .push(Some(nanos_i64(header.receive_time.unix_nanos())));
        self.exchange_time
            .push(header.exchange_time.map(|t| nanos_i64(t.unix_nanos())));
        self.instrument.push(Some(header.instrument.as_str()));
        self.sequence.push(header.sequence.map(nanos_i64));
    }

    fn len(&self) -> usize {
        self.event.levels.len()
    }
}

fn nanos_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[derive(Default)]
struct BookRows {
    common: Common,
    kind: TextColumn,
    action: TextColumn,
    side: TextColumn,
    price: Int64Column,
    size: Int64Column,
    entry_id: TextColumn,
}

#[derive(Default)]
struct TradeRows {
    common: Common,
    price: Int64Column,
    size: Int64Column,
    aggressor: TextColumn,
    trade_id: TextColumn,
}

fn side_name(side: BookSide) -> &'static str {
    match side {
        BookSide::Bid => "bid",
        BookSide::Ask => "ask",
    }
}

impl BookRows {
    #[expect(clippy::too_many_arguments, reason = "one row's columns, private")]
    fn row(
        &mut self,
        index: u64,
        event: &MarketEvent,
        kind: &str,
        action: &str,
        side: Option<BookSide>,
        price: Option<i64>,
        size: Option<i64>,
        entry_id: Option<&str>,
    ) {
        self.common.push(index, event);
        self.kind.push(Some(kind));
        self.action.push(Some(action));
        self.side.push(side.map(side_name));
        self.price.push(price);
        self.size.push(size);
        self.entry_id.push(entry_id);
    }

    fn event(&mut self, index: u64, event: &MarketEvent) {
        match event {
            MarketEvent::Snapshot(snapshot) => {
                for (side, entries) in [
                    (BookSide::Bid, &snapshot.bids),
                    (BookSide::Ask, &snapshot.asks),
                ] {
                    for entry in entries {
                        self.row(
                            index,
                            event,
                            "snapshot",
                            "level",
                            Some(side),
                            Some(entry.price.raw()),
                            Some(entry.size.raw()),
                            entry.entry_id.as_ref().map(model::EntryId::as_str),
                        );
                    }
                }
            }
            MarketEvent::Delta(delta) => {
                for change in &delta.changes {
                    let (action, side, price, size, entry) = match change {
                        BookChange::SetLevel { side, price, size } => (
                            "level",
                            Some(*side),
                            Some(price.raw()),
                            Some(size.raw()),
                            None,
                        ),
                        BookChange::AddEntry {
                            side,
                            entry_id,
                            price,
                            size,
                        } => (
                            "add",
                            Some(*side),
                            Some(price.raw()),
                            Some(size.raw()),
                            Some(*entry_id),
                        ),
                        BookChange::ChangeEntry {
                            side,
                            entry_id,
                            price,
                            size,
                        } => (
                            "change",
                            Some(*side),
                            Some(price.raw()),
                            Some(size.raw()),
                            Some(*entry_id),
                        ),
                        BookChange::DeleteEntry { entry_id } => {
                            ("delete", None, None, None, Some(*entry_id))
                        }
                    };
                    self.row(
                        index,
                        event,
                        "delta",
                        action,
                        side,
                        price,
                        size,
                        entry.as_ref().map(model::EntryId::as_str),
                    );
                }
            }
            MarketEvent::Quote(quote) => {
                for (side, level) in [(BookSide::Bid, quote.bid), (BookSide::Ask, quote.ask)] {
                    if let Some(level) = level {
                        self.row(
                            index,
                            event,
                            "quote",
                            "level",
                            Some(side),
                            Some(level.price.raw()),
                            level.size.map(model::Quantity::raw),
                            None,
                        );
                    }
                }
            }
            MarketEvent::Reset { .. } => {
                self.row(index, event, "reset", "reset", None, None, None, None);
            }
            MarketEvent::Trade(_) => {}
        }
    }
}

impl TradeRows {
    fn event(&mut self, index: u64, event: &MarketEvent) {
        let MarketEvent::Trade(trade) = event else {
            return;
        };
        self.common.push(index, event);
        self.price.push(Some(trade.price.raw()));
        self.size.push(Some(trade.size.raw()));
        self.aggressor.push(trade.aggressor.map(|side| match side {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }));
        self.trade_id
            .push(trade.trade_id.as_ref().map(model::TradeId::as_str));
    }
}

/// One Parquet file being written, row group by row group.
struct ParquetFile {
    path: PathBuf,
    writer: SerializedFileWriter<File>,
}

/// A column to write, in schema order.
enum Column<'a> {
    Int(&'a Int64Column),
    Text(&'a TextColumn),
}

impl ParquetFile {
    fn create(path: PathBuf, schema: &str) -> Result<Self, ExportError> {
        let fail = |reason: String| ExportError::Write {
            path: path.clone(),
            reason,
        };
        let schema = Arc::new(parse_message_type(schema).map_err(|e| fail(e.to_string()))?);
        let file = File::create(&path).map_err(|e| fail(e.to_string()))?;
        let properties = Arc::new(WriterProperties::builder().build());
        let writer =
            SerializedFileWriter::new(file, schema, properties).map_err(|e| fail(e.to_string()))?;
        Ok(Self { path, writer })
    }

    fn row_group(&mut self, columns: &[Column<'_>]) -> Result<(), ExportError> {
        let path = &self.path;
        let fail = |error: &dyn std::fmt::Display| ExportError::Write {
            path: path.clone(),
            reason: error.to_string(),
        };
        let mut group = self.writer.next_row_group().map_err(|e| fail(&e))?;
        for column in columns {
            let Some(mut writer) = group.next_column().map_err(|e| fail(&e))? else {
                return Err(fail(&"the schema has fewer columns than the rows"));
            };
            let written = match column {
                Column::Int(values) => writer.typed::<Int64Type>().write_batch(
                    &values.values,
                    Some(&values.levels),
                    None,
                ),
                Column::Text(values) => writer.typed::<ByteArrayType>().write_batch(
                    &values.values,
                    Some(&values.levels),
                    None,
                ),
            };
            written.map_err(|e| fail(&e))?;
            writer.close().map_err(|e| fail(&e))?;
        }
        group.close().map_err(|e| fail(&e))?;
        Ok(())
    }

    fn close(self) -> Result<(), ExportError> {
        let path = self.path.clone();
        self.writer.close().map_err(|e| ExportError::Write {
            path,
            reason: e.to_string(),
        })?;
        Ok(())
    }
}

fn common_columns(common: &Common) -> [Column<'_>; 5] {
    [
        Column::Int(&common.event),
        Column::Int(&common.receive_time),
        Column::Int(&common.exchange_time),
        Column::Text(&common.instrument),
        Column::Int(&common.sequence),
    ]
}

fn flush_book(file: &mut ParquetFile, rows: &mut BookRows) -> Result<u64, ExportError> {
    let count = rows.common.len();
    if count == 0 {
        return Ok(0);
    }
    let mut columns: Vec<Column<'_>> = common_columns(&rows.common).into();
    columns.extend([
        Column::Text(&rows.kind),
        Column::Text(&rows.action),
        Column::Text(&rows.side),
        Column::Int(&rows.price),
        Column::Int(&rows.size),
        Column::Text(&rows.entry_id),
    ]);
    file.row_group(&columns)?;
    *rows = BookRows::default();
    Ok(count as u64)
}

fn flush_trades(file: &mut ParquetFile, rows: &mut TradeRows) -> Result<u64, ExportError> {
    let count = rows.common.len();
    if count == 0 {
        return Ok(0);
    }
    let mut columns: Vec<Column<'_>> = common_columns(&rows.common).into();
    columns.extend([
        Column::Int(&rows.price),
        Column::Int(&rows.size),
        Column::Text(&rows.aggressor),
        Column::Text(&rows.trade_id),
    ]);
    file.row_group(&columns)?;
    *rows = TradeRows::default();
    Ok(count as u64)
}

/// Exports the `md.*` records of the journal in `journal` into `out`
/// (created if missing). `progress(events)` is called every 100 000
/// events.
pub fn export_parquet(
    journal: &Path,
    out: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<ExportSummary, ExportError> {
    std::fs::create_dir_all(out).map_err(|error| ExportError::Write {
        path: out.to_path_buf(),
        reason: error.to_string(),
    })?;
    let mut book_file = ParquetFile::create(out.join("book.parquet"), BOOK_SCHEMA)?;
    let mut trade_file = ParquetFile::create(out.join("trades.parquet"), TRADE_SCHEMA)?;
    let mut book = BookRows::default();
    let mut trades = TradeRows::default();
    let mut summary = ExportSummary::default();
    let mut failure: Option<ExportError> = None;
    let options = ReplayOptions {
        start: Start::Beginning,
        topics: vec!["md.*".into()],
        known: KnownVersions::up_to(SCHEMA_VERSION),
    };
    JournalReader::new(journal).replay(&options, |item| {
        let ReplayItem::Record(record) = item else {
            return true;
        };
        if record.envelope.topic.as_str() == topics::RESYNC {
            return true;
        }
        let event: MarketEvent = match record.value() {
            Ok(event) => event,
            Err(error) => {
                failure = Some(error.into());
                return false;
            }
        };
        book.event(summary.events, &event);
        trades.event(summary.events, &event);
        summary.events += 1;
        if summary.events % 100_000 == 0 {
            progress(summary.events);
        }
        let flushed = (|| -> Result<(), ExportError> {
            if book.common.len() >= ROW_GROUP {
                summary.book_rows += flush_book(&mut book_file, &mut book)?;
            }
            if trades.common.len() >= ROW_GROUP {
                summary.trade_rows += flush_trades(&mut trade_file, &mut trades)?;
            }
            Ok(())
        })();
        match flushed {
            Ok(()) => true,
            Err(error) => {
                failure = Some(error);
                false
            }
        }
    })?;
    if let Some(error) = failure {
        return Err(error);
    }
    summary.book_rows += flush_book(&mut book_file, &mut book)?;
    summary.trade_rows += flush_trades(&mut trade_file, &mut trades)?;
    book_file.close()?;
    trade_file.close()?;
    progress(summary.events);
    Ok(summary)
}
