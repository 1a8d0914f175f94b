//! Kill either side with SIGKILL at arbitrary points of an order flow,
//! restart it, and show from the wire and the stores that no sent message
//! was lost and no sequence number was reused.
//!
//! `emp acceptor --app fill` and `emp initiator` run as real processes with
//! redb stores. A recording proxy between them keeps every byte each side
//! put on the wire. Kill times and victims come from a seeded generator;
//! the seed is printed, and `EMP_CRASH_SEED=<seed>` replays a run.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use gateway::fix::codec::{Frame, Framer};
use gateway::fix::store::{MessageStore, RedbStore};
use model::Timestamp;

const KILLS: usize = 8;

#[test]
fn sigkill_at_arbitrary_points_loses_no_message_and_reuses_no_sequence_number() {
    let seed = std::env::var("EMP_CRASH_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("crash test seed {seed} (EMP_CRASH_SEED={seed} replays it)");
    let mut random = XorShift(seed | 1);

    let dir = std::env::temp_dir().join(format!("emp-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let venue_port = free_port();
    let proxy = Proxy::start(venue_port);
    write_settings(&dir, venue_port, proxy.port);

    let mut venue = Side::new(&dir, "venue", &["acceptor", "--app", "fill"]);
    venue.start();
    venue.wait_for_output("listening on port");
    let mut trader = Side::new(
        &dir,
        "trader",
        &[
            "initiator",
            "--orders",
            "1000000",
            "--window",
            "4",
            "--stay",
        ],
    );
    trader.start();

    let mut kills = [0usize; 2];
    for round in 0..KILLS {
        // Let orders flow, then kill one side somewhere in the middle.
        let before = proxy.bytes_seen();
        let deadline = Instant::now() + Duration::from_secs(20);
        while proxy.bytes_seen() < before + 4096 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        thread::sleep(Duration::from_millis(random.below(300)));
        // The first two rounds kill each side once; then either, at random.
        let venue_dies = match round {
            0 => true,
            1 => false,
            _ => random.below(2) == 0,
        };
        let victim = if venue_dies { &mut venue } else { &mut trader };
        kills[usize::from(victim.name == "trader")] += 1;
        victim.kill();
        thread::sleep(Duration::from_millis(random.below(100)));
        victim.start();
        if victim.name == "venue" {
            victim.wait_for_output("listening on port");
        }
    }
    // End the flow: one last crash of the trader, then a run that sends a
    // few orders and logs out once they are answered. Orders are answered
    // in sequence order, so every earlier order is answered by then.
    trader.kill();
    let mut last = Side::new(
        &dir,
        "trader",
        &["initiator", "--orders", "20", "--window", "4"],
    );
    last.start();
    let status = last.wait(Duration::from_secs(60));
    assert!(
        status,
        "the last trader run did not get its orders answered:\n{}",
        last.output()
    );
    venue.terminate(Duration::from_secs(10));
    proxy.stop();

    let to_venue = proxy.recorded(Direction::ToVenue);
    let to_trader = proxy.recorded(Direction::ToTrader);
    let trader_store =
        RedbStore::open(&dir.join("store/FIX.4.4-TRADER-VENUE.redb"), epoch()).unwrap();
    let venue_store =
        RedbStore::open(&dir.join("store/FIX.4.4-VENUE-TRADER.redb"), epoch()).unwrap();

    let context = format!(
        "seed {seed}; kills venue {} trader {}\n--- venue:\n{}\n--- trader:\n{}",
        kills[0],
        kills[1],
        venue.output(),
        last.output()
    );
    check_direction(
        "trader → venue",
        &to_venue,
        trader_store.next_sender_seq(),
        &context,
    );
    check_direction(
        "venue → trader",
        &to_trader,
        venue_store.next_sender_seq(),
        &context,
    );
    assert_eq!(
        trader_store.next_sender_seq(),
        venue_store.next_target_seq(),
        "the venue did not receive everything the trader sent; {context}"
    );
    assert_eq!(
        venue_store.next_sender_seq(),
        trader_store.next_target_seq(),
        "the trader did not receive everything the venue sent; {context}"
    );

    let resent = |messages: &[Message]| messages.iter().filter(|m| m.poss_dup()).count();
    eprintln!(
        "{} messages to the venue ({} resent), {} to the trader ({} resent), kills: venue {} trader {}",
        to_venue.len(),
        resent(&to_venue),
        to_trader.len(),
        resent(&to_trader),
        kills[0],
        kills[1]
    );

    // Every order on the wire was answered on the wire.
    let orders: HashSet<String> = to_venue
        .iter()
        .filter(|m| m.msg_type() == "D")
        .map(|m| m.get(11).unwrap().to_owned())
        .collect();
    let answered: HashSet<String> = to_trader
        .iter()
        .filter(|m| m.msg_type() == "8")
        .map(|m| m.get(11).unwrap().to_owned())
        .collect();
    let unanswered: Vec<&String> = orders.difference(&answered).collect();
    assert!(
        unanswered.is_empty(),
        "{} orders never answered, e.g. {:?}; {context}",
        unanswered.len(),
        &unanswered[..unanswered.len().min(5)]
    );
    assert!(
        orders.len() > 100,
        "only {} orders flowed: the crashes did not hit a live flow; {context}",
        orders.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Checks one direction of the recorded wire: every sequence number
/// carried at most one original message; resends repeat the original;
/// gap fills skip no application message; and every number below the
/// sender's next was delivered or gap-filled.
fn check_direction(name: &str, messages: &[Message], next_sender: u64, context: &str) {
    let mut originals: BTreeMap<u64, &Message> = BTreeMap::new();
    for message in messages.iter().filter(|m| !m.poss_dup()) {
        let seq = message.seq();
        if let Some(first) = originals.get(&seq) {
            panic!(
                "{name}: MsgSeqNum {seq} reused:\n  {}\n  {}\n{context}",
                first.text(),
                message.text()
            );
        }
        originals.insert(seq, message);
    }
    let mut covered: HashSet<u64> = originals.keys().copied().collect();
    let application: HashMap<u64, &Message> = messages
        .iter()
        .filter(|m| m.is_application())
        .map(|m| (m.seq(), m))
        .collect();
    for resend in messages.iter().filter(|m| m.poss_dup()) {
        let seq = resend.seq();
        covered.insert(seq);
        if resend.msg_type() == "4" {
            let new_seq: u64 = resend.get(36).unwrap().parse().unwrap();
            for skipped in seq..new_seq {
                assert!(
                    !application.contains_key(&skipped),
                    "{name}: gap fill {seq}..{new_seq} skips application message {}\n{context}",
                    application[&skipped].text()
                );
                covered.insert(skipped);
            }
        } else if let Some(original) = originals.get(&seq) {
            assert_eq!(
                original.content(),
                resend.content(),
                "{name}: resend of {seq} differs from the original\n{context}"
            );
        }
    }
    if let Some(missing) = (1..next_sender).find(|seq| !covered.contains(seq)) {
        panic!(
            "{name}: MsgSeqNum {missing} (below next {next_sender}) never reached the wire, \
             neither sent, resent nor gap-filled\n{context}"
        );
    }
}

fn epoch() -> Timestamp {
    Timestamp::from_unix_nanos(0)
}

fn write_settings(dir: &Path, venue_port: u16, proxy_port: u16) {
    let common = format!(
        "BeginString = \"FIX.4.4\"\nNonStopSession = true\nHeartBtInt = 5\n\
         FileStorePath = \"{store}\"\nFileLogPath = \"{log}\"\n",
        store = dir.join("store").display(),
        log = dir.join("log").display(),
    );
    std::fs::write(
        dir.join("venue.toml"),
        format!(
            "[DEFAULT]\nConnectionType = \"acceptor\"\nSocketAcceptPort = {venue_port}\n{common}\n\
             [[SESSION]]\nSenderCompID = \"VENUE\"\nTargetCompID = \"TRADER\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("trader.toml"),
        format!(
            "[DEFAULT]\nConnectionType = \"initiator\"\nSocketConnectHost = \"127.0.0.1\"\n\
             SocketConnectPort = {proxy_port}\nReconnectInterval = 1\n{common}\n\
             [[SESSION]]\nSenderCompID = \"TRADER\"\nTargetCompID = \"VENUE\"\n"
        ),
    )
    .unwrap();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `emp` process, restartable, its output kept in a file.
struct Side {
    name: &'static str,
    dir: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    runs: usize,
}

impl Side {
    fn new(dir: &Path, name: &'static str, args: &[&str]) -> Self {
        Self {
            name,
            dir: dir.to_owned(),
            args: args.iter().map(|&arg| arg.to_owned()).collect(),
            child: None,
            runs: 0,
        }
    }

    fn output_file(&self) -> PathBuf {
        self.dir.join(format!("{}.out", self.name))
    }

    fn start(&mut self) {
        self.runs += 1;
        let mut output = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.output_file())
            .unwrap();
        writeln!(output, "--- run {}", self.runs).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_emp"))
            .args(&self.args)
            .arg("--config")
            .arg(self.dir.join(format!("{}.toml", self.name)))
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    fn output(&self) -> String {
        let text = std::fs::read_to_string(self.output_file()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Waits (bounded) until the current run printed `text`.
    fn wait_for_output(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let output = std::fs::read_to_string(self.output_file()).unwrap_or_default();
            let current = output.rsplit("--- run").next().unwrap_or_default();
            if current.contains(text) {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("{} never printed {text:?}:\n{}", self.name, self.output());
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM, then waits (bounded) for an orderly exit.
    fn terminate(&mut self, limit: Duration) {
        if let Some(child) = &self.child {
            Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status()
                .unwrap();
        }
        assert!(self.wait(limit), "{} did not stop on SIGTERM", self.name);
    }

    /// Waits (bounded) for the process to exit; true when it exited 0.
    fn wait(&mut self, limit: Duration) -> bool {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.success();
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    ToVenue,
    ToTrader,
}

/// Bytes of one proxied connection, per direction.
#[derive(Default)]
struct Recording {
    to_venue: Vec<u8>,
    to_trader: Vec<u8>,
}

/// A TCP proxy from the trader to the venue that records every byte.
/// When either side closes, it closes the other, as a crash would look.
struct Proxy {
    port: u16,
    connections: Arc<Mutex<Vec<Arc<Mutex<Recording>>>>>,
    bytes: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(venue_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections: Arc<Mutex<Vec<Arc<Mutex<Recording>>>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let bytes = Arc::new(AtomicUsize::new(0));
        let (accepted, stopping) = (Arc::clone(&connections), Arc::clone(&stop));
        let counted = Arc::clone(&bytes);
        thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                let Ok((trader, _)) = listener.accept() else {
                    thread::sleep(Duration::from_millis(2));
                    continue;
                };
                trader.set_nonblocking(false).unwrap();
                let Ok(venue) = TcpStream::connect(("127.0.0.1", venue_port)) else {
                    continue;
                };
                let recording = Arc::new(Mutex::new(Recording::default()));
                accepted.lock().unwrap().push(Arc::clone(&recording));
                relay(&trader, &venue, &recording, &counted, Direction::ToVenue);
                relay(&venue, &trader, &recording, &counted, Direction::ToTrader);
            }
        });
        Self {
            port,
            connections,
            bytes,
            stop,
        }
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Bytes relayed so far, both directions.
    fn bytes_seen(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Every complete message sent in `direction`, connection by
    /// connection; a message cut by a kill is not complete and not kept.
    fn recorded(&self, direction: Direction) -> Vec<Message> {
        let mut messages = Vec::new();
        for recording in self.connections.lock().unwrap().iter() {
            let recording = recording.lock().unwrap();
            let bytes = match direction {
                Direction::ToVenue => &recording.to_venue,
                Direction::ToTrader => &recording.to_trader,
            };
            let mut framer = Framer::default();
            let mut rest = &bytes[..];
            loop {
                match framer.poll(rest) {
                    Frame::Message { len } => {
                        messages.push(Message::parse(&rest[..len]));
                        rest = &rest[len..];
                    }
                    Frame::Skip { len, .. } => rest = &rest[len..],
                    Frame::Incomplete => break,
                }
            }
        }
        messages
    }
}

fn relay(
    from: &TcpStream,
    to: &TcpStream,
    recording: &Arc<Mutex<Recording>>,
    bytes: &Arc<AtomicUsize>,
    dir: Direction,
) {
    let (mut from, mut to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
    let (recording, bytes) = (Arc::clone(recording), Arc::clone(bytes));
    thread::spawn(move || {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let len = match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(len) => len,
            };
            {
                let mut recording = recording.lock().unwrap();
                match dir {
                    Direction::ToVenue => recording.to_venue.extend_from_slice(&buffer[..len]),
                    Direction::ToTrader => recording.to_trader.extend_from_slice(&buffer[..len]),
                }
            }
            bytes.fetch_add(len, Ordering::Relaxed);
            if to.write_all(&buffer[..len]).is_err() {
                break;
            }
        }
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// A recorded message as (tag, value) pairs.
struct Message {
    fields: Vec<(u32, String)>,
}

impl Message {
    fn parse(bytes: &[u8]) -> Self {
        let fields = bytes
            .split(|&byte| byte == 1)
            .filter(|field| !field.is_empty())
            .map(|field| {
                let text = String::from_utf8_lossy(field);
                let (tag, value) = text.split_once('=').unwrap();
                (tag.parse().unwrap(), value.to_owned())
            })
            .collect();
        Self { fields }
    }

    fn get(&self, tag: u32) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| *field == tag)
            .map(|(_, value)| value.as_str())
    }

    fn seq(&self) -> u64 {
        self.get(34).unwrap().parse().unwrap()
    }

    fn msg_type(&self) -> &str {
        self.get(35).unwrap()
    }

    fn poss_dup(&self) -> bool {
        self.get(43) == Some("Y")
    }

    fn is_application(&self) -> bool {
        !matches!(self.msg_type(), "0" | "1" | "2" | "3" | "4" | "5" | "A")
    }

    /// The fields a resend must repeat: all but length, checksum and the
    /// header fields a resend changes (PossDup, SendingTime,
    /// OrigSendingTime).
    fn content(&self) -> Vec<(u32, String)> {
        self.fields
            .iter()
            .filter(|(tag, _)| ![9, 10, 43, 52, 97, 122].contains(tag))
            .cloned()
            .collect()
    }

    fn text(&self) -> String {
        self.fields
            .iter()
            .map(|(tag, value)| format!("{tag}={value}"))
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// xorshift64: kill times need spread and a replayable seed, nothing more.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, limit: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % limit
    }
}
