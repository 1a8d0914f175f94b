//! Captured FIX market data as a recording: a FIX message log (a run
//! folder's `fix/*.messages.current.log`, a QuickFIX `FileLogPath` log, or
//! any file with one message per line) read back into the normalized
//! market events the pipeline takes, so `emp backtest --data` runs on a
//! capture as on a journal.
//!
//! Each line is a message, optionally after a log prefix: `<UTC timestamp>
//! : ` (the receive time, as EMP and QuickFIX write it). Without a prefix
//! the receive time is the message's SendingTime (52). Only what the venue
//! sent is used — messages whose SenderCompID (49) is `venue_comp_id` —
//! and of those only market data: 35=W and 35=X, decoded as EMP decodes
//! them live (the venue's dialect and symbol table). A line that is not a
//! FIX message is skipped and counted; a market data message EMP cannot
//! read is an error naming its line.

use std::path::Path;

use anyhow::{Context, bail};
use gateway::fix::codec::{Decoder, parse_timestamp};
use gateway::fix::market_data::{MarketDataMessage, decode_message};
use gateway::fix::orders::OrderDialect;
use model::{InstrumentTable, MarketEvent};

/// What a capture held.
#[derive(Debug, Default)]
pub struct Capture {
    /// Market events, in the log's order.
    pub events: Vec<MarketEvent>,
    /// Lines that were not FIX messages (log notices, blank lines).
    pub skipped_lines: u64,
    /// FIX messages that were not the venue's market data.
    pub other_messages: u64,
}

/// Reads the FIX message log `text` (named `source` in errors).
pub fn read_fix_capture(
    text: &[u8],
    source: &str,
    venue_comp_id: &str,
    dialect: &OrderDialect,
    instruments: &InstrumentTable,
) -> anyhow::Result<Capture> {
    let mut capture = Capture::default();
    let mut decoder = Decoder::default();
    for (index, line) in text.split(|&byte| byte == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(start) = line.windows(5).position(|window| window == b"8=FIX") else {
            capture.skipped_lines += 1;
            continue;
        };
        let (prefix, message) = line.split_at(start);
        let prefix_time = prefix
            .strip_suffix(b" : ")
            .or_else(|| prefix.strip_suffix(b": "))
            .and_then(|stamp| parse_timestamp(stamp.trim_ascii()));
        let Ok(decoded) = decoder.decode(message) else {
            capture.skipped_lines += 1;
            continue;
        };
        let sender = decoded.get(49).map(|field| field.value());
        if sender != Some(venue_comp_id.as_bytes()) || !matches!(decoded.msg_type(), b"W" | b"X") {
            capture.other_messages += 1;
            continue;
        }
        let received = match prefix_time {
            Some(at) => at,
            None => decoded
                .get(52)
                .and_then(|field| field.as_timestamp().ok())
                .with_context(|| {
                    format!(
                        "{source}:{}: no receive time: neither a log prefix nor SendingTime (52)",
                        index + 1
                    )
                })?,
        };
        match decode_message(&decoded, dialect, instruments, received) {
            Ok(Some(MarketDataMessage::Events(events))) => capture.events.extend(events),
            Ok(_) => capture.other_messages += 1,
            Err(error) => bail!("{source}:{}: {error}", index + 1),
        }
    }
    Ok(capture)
}

/// [`read_fix_capture`] of the file at `path`.
pub fn read_fix_capture_file(
    path: &Path,
    venue_comp_id: &str,
    dialect: &OrderDialect,
    instruments: &InstrumentTable,
) -> anyhow::Result<Capture> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    read_fix_capture(
        &text,
        &path.display().to_string(),
        venue_comp_id,
        dialect,
        instruments,
    )
}
