//! Per-session message and event logs, laid out as QuickFIX's file log:
//! `<FileLogPath>/<BeginString>-<SenderCompID>-<TargetCompID>.messages.current.log`
//! (SubIDs, when set, after their CompIDs: [`SessionId::file_stem`])
//! (every message in and out) and `….event.current.log` (session events),
//! one line each: `YYYYMMDD-HH:MM:SS.uuuuuu : <text>`.
//!
//! Writing happens on a background thread, so the session's thread only
//! copies bytes into a channel.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;

use model::Timestamp;

use crate::fix::codec::{Frame, Framer};
use crate::fix::session::SessionId;

enum Record {
    Incoming(Timestamp, Vec<u8>),
    Outgoing(Timestamp, Vec<u8>),
    Event(Timestamp, String),
    Flush(mpsc::Sender<()>),
}

/// The logging handle a connection task holds. Cloning shares the writer.
#[derive(Clone, Debug)]
pub struct SessionLog {
    sender: mpsc::Sender<Record>,
}

impl SessionLog {
    /// Opens (appending) the two log files of session `id` under `dir` and
    /// starts the writer thread.
    pub fn open(dir: &Path, id: &SessionId) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let stem = id.file_stem();
        let open = |suffix: &str| -> std::io::Result<BufWriter<File>> {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(format!("{stem}.{suffix}")))?;
            Ok(BufWriter::new(file))
        };
        let messages = open("messages.current.log")?;
        let events = open("event.current.log")?;
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("log {stem}"))
            .spawn(move || write_loop(&receiver, messages, events))?;
        Ok(Self { sender })
    }

    /// Bytes received (any number of messages, possibly partial).
    pub fn incoming(&self, at: Timestamp, bytes: &[u8]) {
        let _ = self.sender.send(Record::Incoming(at, bytes.to_vec()));
    }

    /// Bytes sent.
    pub fn outgoing(&self, at: Timestamp, bytes: &[u8]) {
        let _ = self.sender.send(Record::Outgoing(at, bytes.to_vec()));
    }

    /// A session event.
    pub fn event(&self, at: Timestamp, text: String) {
        let _ = self.sender.send(Record::Event(at, text));
    }

    /// Waits until everything logged so far is written to the files.
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        if self.sender.send(Record::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }
}

fn write_loop(
    receiver: &mpsc::Receiver<Record>,
    mut messages: BufWriter<File>,
    mut events: BufWriter<File>,
) {
    let mut incoming = Reassembler::default();
    let mut outgoing = Reassembler::default();
    let mut next = receiver.recv().ok();
    while let Some(record) = next.take() {
        let result = match record {
            Record::Incoming(at, bytes) => incoming.write(&mut messages, at, &bytes),
            Record::Outgoing(at, bytes) => outgoing.write(&mut messages, at, &bytes),
            Record::Event(at, text) => writeln!(events, "{} : {text}", stamp(at)),
            Record::Flush(done) => {
                let result = messages.flush().and_then(|()| events.flush());
                let _ = done.send(());
                result
            }
        };
        // A failed write (the disk is full or gone) is skipped: logging
        // must not stop trading.
        let _ = result;
        // Flush once the queue is drained, not per record; a record that
        // is already waiting is written next, never dropped.
        match receiver.try_recv() {
            Ok(record) => next = Some(record),
            Err(mpsc::TryRecvError::Empty) => {
                let _ = messages.flush();
                let _ = events.flush();
                next = receiver.recv().ok();
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
        }
    }
    let _ = messages.flush();
    let _ = events.flush();
}

/// Splits a byte stream into messages for one line each.
#[derive(Default)]
struct Reassembler {
    framer: Framer,
    pending: Vec<u8>,
}

impl Reassembler {
    fn write(&mut self, out: &mut impl Write, at: Timestamp, bytes: &[u8]) -> std::io::Result<()> {
        self.pending.extend_from_slice(bytes);
        let mut start = 0;
        while let Frame::Message { len } | Frame::Skip { len, .. } =
            self.framer.poll(&self.pending[start..])
        {
            let message = &self.pending[start..start + len];
            let text = String::from_utf8_lossy(message);
            writeln!(out, "{} : {text}", stamp(at))?;
            start += len;
        }
        self.pending.drain(..start);
        Ok(())
    }
}

fn stamp(at: Timestamp) -> String {
    let t = at.to_utc();
    format!(
        "{:04}{:02}{:02}-{:02}:{:02}:{:02}.{:06}",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.nanosecond / 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::wire;

    #[test]
    fn every_record_is_written_when_they_arrive_faster_than_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let id = SessionId::new("FIX.4.4", "EMP", "VENUE");
        let log = SessionLog::open(dir.path(), &id).unwrap();
        let at = Timestamp::from_unix_nanos(1_790_000_000_000_000_000);
        for seq in 1..=2_000 {
            log.outgoing(
                at,
                &wire(&format!("8=FIX.4.4|35=0|34={seq}|49=EMP|56=VENUE|")),
            );
            log.event(at, format!("event {seq}"));
        }
        log.flush();
        let stem = id.file_stem();
        let messages =
            std::fs::read_to_string(dir.path().join(format!("{stem}.messages.current.log")))
                .unwrap();
        let events =
            std::fs::read_to_string(dir.path().join(format!("{stem}.event.current.log"))).unwrap();
        assert_eq!(messages.lines().count(), 2_000);
        assert_eq!(events.lines().count(), 2_000);
        assert!(messages.contains("\x0134=2000\x01"));
    }
}
