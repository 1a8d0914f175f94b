//! The run's log (`emp.log`, and standard error when echoing): JSON lines
//! by default, or text for people (`--log-format text`).
//!
//! The trading thread never formats or writes a log line. It builds a
//! [`LogRecord`] (a level, a target, a message, and the [`Correlation`]
//! ids as plain `Copy` values) and queues it; the `emp-log` thread turns
//! each record into a `tracing` event and `tracing-subscriber`'s JSON
//! formatter writes it there, flushing once the queue is drained.
//!
//! A JSON line has `timestamp` (when the engine saw it, RFC 3339 UTC),
//! `level`, `target`, `message`, and whichever correlation fields apply:
//!
//! | field | what | on |
//! |---|---|---|
//! | `intent_id` | the strategy intent (the OMS order's key) | `intent submitted`, `replace submitted`, `cancel submitted`, `fill` |
//! | `cl_ord_id` | ClOrdID (11) | those, `order sent`, `execution report` |
//! | `order_id` | the venue's OrderID (37) | `execution report` |
//! | `exec_id` | ExecID (17) | `execution report`, `fill` |
//! | `exec_type`, `ord_status` | ExecType (150), OrdStatus (39) | `execution report` |
//! | `msg_seq_num` | MsgSeqNum (34) of the message sent | `order sent` |
//! | `session` | `QUOTE` or `TRADE` | FIX lines |
//! | `msg_type` | MsgType (35) | FIX lines |
//! | `qty`, `price` | LastQty (32), LastPx (31) (AvgPx (6) when the venue sends no LastPx) | `fill` |
//!
//! Following a fill back: its `cl_ord_id` names the `intent submitted`
//! (or `replace submitted`) line with the `intent_id`, the `order sent`
//! line with the `msg_seq_num`, and the `execution report` lines with
//! the venue's `order_id`.
//!
//! ```text
//! {"timestamp":"2026-11-21T16:50:24.219953414Z","level":"INFO","message":"fill","intent_id":"88d2b7e3af102429191d8eebd7e54391","cl_ord_id":"mwqm70e9-5","exec_id":"E42","qty":"100000","price":"1.08312","target":"emp::order"}
//! ```
//!
//! Readers must not rely on the order of keys (it follows `serde_json`'s
//! map, which depends on its features in the build).
//!
//! Operator lines (control actions, session events, reconciliation) are
//! `target` `emp`, status lines `emp::status`.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use gateway::fix::link::Channel;
use model::{ClOrdId, ExecId, ExecType, IntentId, OrdStatus, OrderId, Price, Quantity, Timestamp};
use tracing::Level;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// How the run's log is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (the default): for log shippers.
    #[default]
    Json,
    /// `<timestamp> <message> key=value…`: for people.
    Text,
}

impl LogFormat {
    /// `json` or `text`.
    ///
    /// # Errors
    /// Anything else, with what to write instead.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "json" => Ok(Self::Json),
            "text" => Ok(Self::Text),
            other => Err(format!(
                "{other:?} is not a log format: use json (the default) or text"
            )),
        }
    }
}

/// How much a record matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    /// The run cannot go on as it was (a journal failure).
    Error,
    /// Something an operator should look at (a session down, a command
    /// not sent, a refused input).
    Warn,
    /// What the run did.
    Info,
}

/// The part of EMP a record comes from (the JSON `target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// Run-level lines: sessions, reconciliation, control actions.
    Run,
    /// Order lifecycle: intents, fills.
    Order,
    /// FIX messages: orders sent, execution reports.
    Fix,
    /// Status lines and the summary.
    Status,
}

/// Correlation ids: which of them a record carries depends on what it
/// says (see the [module docs](self)). Plain `Copy` values, formatted on
/// the log thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Correlation {
    /// The strategy intent.
    pub intent_id: Option<IntentId>,
    /// ClOrdID (11).
    pub cl_ord_id: Option<ClOrdId>,
    /// The venue's OrderID (37).
    pub order_id: Option<OrderId>,
    /// ExecID (17).
    pub exec_id: Option<ExecId>,
    /// ExecType (150).
    pub exec_type: Option<ExecType>,
    /// OrdStatus (39).
    pub ord_status: Option<OrdStatus>,
    /// MsgSeqNum (34).
    pub msg_seq_num: Option<u64>,
    /// The FIX session.
    pub session: Option<Channel>,
    /// MsgType (35).
    pub msg_type: Option<&'static str>,
    /// LastQty (32) of a fill.
    pub qty: Option<Quantity>,
    /// LastPx (31) of a fill (AvgPx (6) when the venue sends none).
    pub price: Option<Price>,
}

/// One log record, as the trading thread queues it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// Level.
    pub level: LogLevel,
    /// Target.
    pub target: LogTarget,
    /// The message: a fixed text for the per-order records, so the
    /// trading thread formats nothing for them.
    pub message: Cow<'static, str>,
    /// Correlation ids.
    pub fields: Correlation,
}

impl LogRecord {
    /// An INFO run-level line.
    pub fn info(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            level: LogLevel::Info,
            target: LogTarget::Run,
            message: message.into(),
            fields: Correlation::default(),
        }
    }

    /// A WARN run-level line.
    pub fn warn(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            level: LogLevel::Warn,
            ..Self::info(message)
        }
    }

    /// An ERROR run-level line.
    pub fn error(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            level: LogLevel::Error,
            ..Self::info(message)
        }
    }

    /// An INFO line of `target` with `fields`.
    pub const fn correlated(target: LogTarget, message: &'static str, fields: Correlation) -> Self {
        Self {
            level: LogLevel::Info,
            target,
            message: Cow::Borrowed(message),
            fields,
        }
    }
}

impl From<String> for LogRecord {
    fn from(text: String) -> Self {
        Self::info(text)
    }
}

impl fmt::Display for LogRecord {
    /// The text form: the message, then the correlation fields as
    /// `key=value`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let c = &self.fields;
        if let Some(v) = c.intent_id {
            write!(f, " intent_id={v}")?;
        }
        if let Some(v) = c.cl_ord_id {
            write!(f, " cl_ord_id={v}")?;
        }
        if let Some(v) = c.order_id {
            write!(f, " order_id={v}")?;
        }
        if let Some(v) = c.exec_id {
            write!(f, " exec_id={v}")?;
        }
        if let Some(v) = c.exec_type {
            write!(f, " exec_type={v:?}")?;
        }
        if let Some(v) = c.ord_status {
            write!(f, " ord_status={v:?}")?;
        }
        if let Some(v) = c.session {
            write!(f, " session={v}")?;
        }
        if let Some(v) = c.msg_type {
            write!(f, " msg_type={v}")?;
        }
        if let Some(v) = c.msg_seq_num {
            write!(f, " msg_seq_num={v}")?;
        }
        if let Some(v) = c.qty {
            write!(f, " qty={v}")?;
        }
        if let Some(v) = c.price {
            write!(f, " price={v}")?;
        }
        Ok(())
    }
}

/// A record and when it was seen; status lines are records of target
/// [`LogTarget::Status`].
type LogLine = (Timestamp, LogRecord);

/// Log lines, written by a background thread (`emp-log`) to the run's
/// log file and, optionally, to standard error; cloning shares the
/// thread.
#[derive(Debug, Clone)]
pub struct RunLog {
    sender: mpsc::Sender<LogLine>,
}

impl RunLog {
    /// A log writing to `path` (appending) in `format`; with `echo`,
    /// lines also go to standard error (in the same format) and status
    /// lines to standard output (as text).
    pub fn open(
        path: &Path,
        echo: bool,
        format: LogFormat,
    ) -> std::io::Result<(Self, std::thread::JoinHandle<()>)> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let (sender, receiver) = mpsc::channel::<LogLine>();
        let thread = std::thread::Builder::new()
            .name("emp-log".to_owned())
            .spawn(move || {
                let mut writer = LineWriter::new(file, echo, format);
                while let Ok(first) = receiver.recv() {
                    writer.write(first);
                    // Flush once the queue is drained, not per line.
                    while let Ok(next) = receiver.try_recv() {
                        writer.write(next);
                    }
                    writer.flush();
                }
                writer.flush();
            })?;
        Ok((Self { sender }, thread))
    }

    /// A record seen at `at`.
    pub fn record(&self, at: Timestamp, record: LogRecord) {
        let _ = self.sender.send((at, record));
    }

    /// An INFO run-level line stamped `at`.
    pub fn line(&self, at: Timestamp, text: String) {
        self.record(at, LogRecord::info(text));
    }

    /// A status line (standard output when echoing).
    pub fn status(&self, text: String) {
        let record = LogRecord {
            target: LogTarget::Status,
            ..LogRecord::info(text)
        };
        self.record(gateway::transport::wall_clock(), record);
    }
}

/// The log thread's state: the file, the echo, and for JSON a `tracing`
/// dispatcher whose formatter writes into `buffer`.
struct LineWriter {
    file: std::io::BufWriter<std::fs::File>,
    echo: bool,
    json: Option<JsonFormatter>,
}

struct JsonFormatter {
    dispatch: tracing::Dispatch,
    buffer: Arc<Mutex<Vec<u8>>>,
    /// The record's time, read by the formatter's timer.
    at: Arc<AtomicU64>,
}

impl LineWriter {
    fn new(file: std::fs::File, echo: bool, format: LogFormat) -> Self {
        let json = (format == LogFormat::Json).then(|| {
            let buffer = Arc::new(Mutex::new(Vec::with_capacity(4096)));
            let at = Arc::new(AtomicU64::new(0));
            let subscriber = tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .with_timer(RecordTime(Arc::clone(&at)))
                .with_target(true)
                .with_max_level(Level::INFO)
                .with_writer(BufferWriter(Arc::clone(&buffer)))
                .finish();
            JsonFormatter {
                dispatch: tracing::Dispatch::new(subscriber),
                buffer,
                at,
            }
        });
        Self {
            file: std::io::BufWriter::new(file),
            echo,
            json,
        }
    }

    fn write(&mut self, (at, record): LogLine) {
        let status = record.target == LogTarget::Status;
        if let Some(json) = &self.json {
            json.at.store(at.unix_nanos(), Ordering::Relaxed);
            tracing::dispatcher::with_default(&json.dispatch, || emit(&record));
            self.take_json(!status);
        } else if status {
            let _ = writeln!(self.file, "{}", record.message);
        } else {
            let _ = writeln!(self.file, "{at} {record}");
            if self.echo {
                let _ = writeln!(std::io::stderr(), "{record}");
            }
        }
        // Status lines are for the terminal: text on standard output.
        if status && self.echo {
            let _ = writeln!(std::io::stdout(), "{}", record.message);
        }
    }

    /// Moves what the JSON formatter wrote to the file (and, with `echo`,
    /// to standard error).
    fn take_json(&mut self, echo: bool) {
        let Some(json) = &self.json else {
            return;
        };
        let mut buffer = json.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.file.write_all(&buffer);
        if echo && self.echo {
            let _ = std::io::stderr().write_all(&buffer);
        }
        buffer.clear();
    }

    fn flush(&mut self) {
        let _ = self.file.flush();
    }
}

/// The formatter's clock: the time of the record being written.
struct RecordTime(Arc<AtomicU64>);

impl FormatTime for RecordTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        let at = Timestamp::from_unix_nanos(self.0.load(Ordering::Relaxed));
        write!(w, "{at}")
    }
}

/// The formatter's output: a buffer the log thread moves to the file.
struct BufferWriter(Arc<Mutex<Vec<u8>>>);

struct BufferGuard<'a>(std::sync::MutexGuard<'a, Vec<u8>>);

impl std::io::Write for BufferGuard<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferWriter {
    type Writer = BufferGuard<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        BufferGuard(self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A field's text, or nothing (`tracing` records no field for `None`).
fn text(value: Option<impl fmt::Display>) -> Option<String> {
    value.map(|value| value.to_string())
}

fn debug_text(value: Option<impl fmt::Debug>) -> Option<String> {
    value.map(|value| {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        text
    })
}

/// Emits `record` as a `tracing` event: one callsite per target and
/// level, the same fields on each.
fn emit(record: &LogRecord) {
    let c = &record.fields;
    let intent_id = text(c.intent_id);
    let cl_ord_id = text(c.cl_ord_id);
    let order_id = text(c.order_id);
    let exec_id = text(c.exec_id);
    let exec_type = debug_text(c.exec_type);
    let ord_status = debug_text(c.ord_status);
    let session = c.session.map(Channel::name);
    let qty = text(c.qty);
    let price = text(c.price);
    let message: &str = &record.message;
    macro_rules! event {
        ($target:literal, $level:expr) => {
            tracing::event!(
                target: $target,
                $level,
                intent_id = intent_id.as_deref(),
                cl_ord_id = cl_ord_id.as_deref(),
                order_id = order_id.as_deref(),
                exec_id = exec_id.as_deref(),
                exec_type = exec_type.as_deref(),
                ord_status = ord_status.as_deref(),
                session = session,
                msg_type = c.msg_type,
                msg_seq_num = c.msg_seq_num,
                qty = qty.as_deref(),
                price = price.as_deref(),
                "{message}"
            )
        };
    }
    macro_rules! levels {
        ($target:literal) => {
            match record.level {
                LogLevel::Error => event!($target, Level::ERROR),
                LogLevel::Warn => event!($target, Level::WARN),
                LogLevel::Info => event!($target, Level::INFO),
            }
        };
    }
    match record.target {
        LogTarget::Run => levels!("emp"),
        LogTarget::Order => levels!("emp::order"),
        LogTarget::Fix => levels!("emp::fix"),
        LogTarget::Status => levels!("emp::status"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill() -> LogRecord {
        LogRecord::correlated(
            LogTarget::Order,
            "fill",
            Correlation {
                intent_id: Some(IntentId::from_u128(0xabc)),
                cl_ord_id: Some(ClOrdId::new("R1-7").unwrap()),
                exec_id: Some(ExecId::new("E42").unwrap()),
                qty: Some("10000".parse().unwrap()),
                price: Some("1.08312".parse().unwrap()),
                ..Correlation::default()
            },
        )
    }

    #[test]
    fn json_lines_carry_the_record_time_level_target_message_and_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("emp.log");
        let (log, thread) = RunLog::open(&path, false, LogFormat::Json).unwrap();
        let at = Timestamp::from_unix_nanos(1_790_000_000_123_456_789);
        log.record(at, fill());
        log.record(at, LogRecord::warn("TRADE session down: \"gone\""));
        log.status("[  1.0s] QUOTE up".to_owned());
        drop(log);
        thread.join().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{text}");
        let fill = &lines[0];
        assert_eq!(fill["timestamp"], at.to_string());
        assert_eq!(fill["level"], "INFO");
        assert_eq!(fill["target"], "emp::order");
        assert_eq!(fill["message"], "fill");
        assert_eq!(fill["intent_id"], IntentId::from_u128(0xabc).to_string());
        assert_eq!(fill["cl_ord_id"], "R1-7");
        assert_eq!(fill["exec_id"], "E42");
        assert_eq!(fill["qty"], "10000");
        assert_eq!(fill["price"], "1.08312");
        assert!(fill.get("order_id").is_none(), "{fill}");
        assert_eq!(lines[1]["level"], "WARN");
        assert_eq!(lines[1]["message"], "TRADE session down: \"gone\"");
        assert_eq!(lines[2]["target"], "emp::status");
    }

    #[test]
    fn text_lines_are_the_time_the_message_and_the_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("emp.log");
        let (log, thread) = RunLog::open(&path, false, LogFormat::Text).unwrap();
        let at = Timestamp::from_unix_nanos(1_790_000_000_000_000_000);
        log.record(at, fill());
        drop(log);
        thread.join().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!(
                "{at} fill intent_id={} cl_ord_id=R1-7 exec_id=E42 qty=10000 price=1.08312\n",
                IntentId::from_u128(0xabc)
            )
        );
        assert_eq!(LogFormat::parse("json"), Ok(LogFormat::Json));
        assert!(LogFormat::parse("yaml").unwrap_err().contains("json"));
    }
}
