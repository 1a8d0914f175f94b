#![allow(clippy::unwrap_used, reason = "test code")]
//! The control plane's page in headless Chromium (Debian's `chromium`),
//! driven over the DevTools protocol: type the token, see trading ACTIVE
//! with orders working, click the kill switch, see HALTED and no order
//! left; log the TRADE session out and on again with its buttons. Skipped with a note when Chromium is absent, unless
//! `EMP_REQUIRE_CHROMIUM=1`.

mod support;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Run, TOKEN, WAIT};

/// A minimal WebSocket client (RFC 6455): text frames, masked as a client
/// must, over one loopback connection.
struct WebSocket {
    stream: TcpStream,
}

impl WebSocket {
    fn connect(url: &str) -> Self {
        let rest = url.strip_prefix("ws://").unwrap();
        let (host, path) = rest.split_once('/').unwrap();
        let mut stream = TcpStream::connect(host).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        write!(
            stream,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: ZW1wLWNvbnRyb2wtdGVzdA==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        Self { stream }
    }

    fn send(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | u8::try_from(len).unwrap()),
            len @ 126..=65_535 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
            }
            len => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&u64::try_from(len).unwrap().to_be_bytes());
            }
        }
        let mask = [0x37u8, 0xfa, 0x21, 0x3d];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).unwrap();
    }

    /// The next text message (continuation frames joined; pings answered).
    fn receive(&mut self) -> String {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.stream.read_exact(&mut head).unwrap();
            let fin = head[0] & 0x80 != 0;
            let opcode = head[0] & 0x0f;
            let mut len = u64::from(head[1] & 0x7f);
            if len == 126 {
                let mut ext = [0u8; 2];
                self.stream.read_exact(&mut ext).unwrap();
                len = u64::from(u16::from_be_bytes(ext));
            } else if len == 127 {
                let mut ext = [0u8; 8];
                self.stream.read_exact(&mut ext).unwrap();
                len = u64::from_be_bytes(ext);
            }
            let mut payload = vec![0u8; usize::try_from(len).unwrap()];
            self.stream.read_exact(&mut payload).unwrap();
            match opcode {
                0x9 => {
                    // Ping: answer with a pong carrying the same payload.
                    let mut pong = vec![0x8a, 0x80 | u8::try_from(payload.len()).unwrap()];
                    pong.extend_from_slice(&[0, 0, 0, 0]);
                    pong.extend_from_slice(&payload);
                    self.stream.write_all(&pong).unwrap();
                    continue;
                }
                0x8 => panic!("Chromium closed the DevTools connection"),
                _ => message.extend_from_slice(&payload),
            }
            if fin {
                return String::from_utf8(message).unwrap();
            }
        }
    }
}

/// A DevTools session with one page.
struct DevTools {
    socket: WebSocket,
    next_id: u64,
}

impl DevTools {
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.socket
            .send(&json!({ "id": id, "method": method, "params": params }).to_string());
        loop {
            let message: Value = serde_json::from_str(&self.socket.receive()).unwrap();
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        result["result"]["value"].clone()
    }

    fn text(&mut self, id: &str) -> String {
        self.eval(&format!(
            "(document.getElementById('{id}') || {{}}).textContent || ''"
        ))
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// A left click at the centre of the element, as a mouse makes it.
    fn click(&mut self, id: &str) {
        let centre = self.eval(&format!(
            "(r => [r.x + r.width / 2, r.y + r.height / 2])\
             (document.getElementById('{id}').getBoundingClientRect())"
        ));
        let (x, y) = (centre[0].as_f64().unwrap(), centre[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            );
        }
    }

    /// Polls until `done` holds for the page, bounded by [`WAIT`].
    fn wait_for(&mut self, what: &str, done: impl Fn(&mut Self) -> bool) {
        let started = Instant::now();
        while !done(self) {
            assert!(
                started.elapsed() < WAIT,
                "the page never showed {what}: trading {:?}, orders {:?}, message {:?}",
                self.text("trading"),
                self.text("open-count"),
                self.text("message")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Headless Chromium with DevTools on a loopback port it picks.
struct Browser {
    child: Child,
    port: u16,
    profile: tempfile::TempDir,
}

impl Browser {
    /// `None` when Chromium is not installed (and not required).
    fn start() -> Option<Self> {
        let profile = tempfile::tempdir().unwrap();
        let spawned = Command::new("chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    std::env::var_os("EMP_REQUIRE_CHROMIUM").is_none(),
                    "EMP_REQUIRE_CHROMIUM is set but chromium is not on PATH \
                     (Debian: apt-get install chromium)"
                );
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "chromium not on PATH: the page test is skipped (Debian: apt-get install chromium)"
                )
                .unwrap();
                return None;
            }
            Err(error) => panic!("starting chromium: {error}"),
        };
        let mut browser = Self {
            child,
            port: 0,
            profile,
        };
        browser.port = browser.devtools_port();
        Some(browser)
    }

    /// The port Chromium writes into its profile's DevToolsActivePort.
    fn devtools_port(&mut self) -> u16 {
        let file = self.profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        loop {
            if let Some(port) = read_port(&file) {
                return port;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("chromium exited before serving DevTools: {status}");
            }
            assert!(started.elapsed() < WAIT, "no DevTools port after {WAIT:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A DevTools session with the browser's first page.
    fn page(&self) -> DevTools {
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        let answer = emp::control::client::request(addr, "GET", "/json/list", None, None).unwrap();
        let targets: Value = serde_json::from_str(&answer.body).unwrap();
        let url = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|target| target["type"] == "page")
            .and_then(|target| target["webSocketDebuggerUrl"].as_str())
            .unwrap()
            .to_owned();
        DevTools {
            socket: WebSocket::connect(&url),
            next_id: 0,
        }
    }
}

fn read_port(file: &Path) -> Option<u16> {
    std::fs::read_to_string(file)
        .ok()?
        .lines()
        .next()?
        .parse()
        .ok()
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn clicking_the_kill_switch_on_the_page_halts_trading_and_cancels_orders() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let run = Run::start();
    run.wait_for("ready with working orders", |reply| {
        reply.snapshot.ready && !reply.snapshot.orders.is_empty()
    });

    let mut page = browser.page();
    page.call(
        "Page.navigate",
        json!({ "url": format!("http://{}/", run.addr) }),
    );
    page.wait_for("the page loaded", |page| {
        page.eval("document.readyState === 'complete' && !!document.getElementById('kill')")
            == Value::Bool(true)
    });
    // Without the token the page shows nothing of the run.
    assert_eq!(page.text("trading"), "?");

    // Type the token and press Use.
    page.eval("document.getElementById('token').focus()");
    page.call("Input.insertText", json!({ "text": TOKEN }));
    page.click("login-use");
    page.wait_for("trading ACTIVE with orders working", |page| {
        page.text("trading") == "ACTIVE" && page.text("open-count") != "(0 working)"
    });

    page.click("kill");
    page.wait_for("trading HALTED and no order working", |page| {
        page.text("trading") == "HALTED"
            && page.text("killswitch") == "ENGAGED"
            && page.text("open-count") == "(0 working)"
    });
    assert!(
        page.text("message").starts_with("kill switch engaged"),
        "{}",
        page.text("message")
    );

    // The run agrees.
    let snapshot = run.status().snapshot;
    assert_eq!(snapshot.trading_state, "HALTED");
    assert!(snapshot.kill_switch);
    assert!(snapshot.orders.is_empty());

    // The TRADE session's buttons: Log out, then Log on.
    page.wait_for("TRADE LOGGED_ON with Log out enabled", |page| {
        page.text("session-state-TRADE") == "LOGGED_ON"
            && page.eval("!document.getElementById('session-logout-TRADE').disabled")
                == Value::Bool(true)
    });
    page.click("session-logout-TRADE");
    page.wait_for("TRADE LOGGED_OUT", |page| {
        page.text("session-state-TRADE") == "LOGGED_OUT" && page.text("execution") == "SESSION_DOWN"
    });
    assert_eq!(
        run.status().snapshot.sessions[1].state,
        "LOGGED_OUT",
        "the run agrees"
    );
    page.click("session-logon-TRADE");
    page.wait_for("TRADE LOGGED_ON again", |page| {
        page.text("session-state-TRADE") == "LOGGED_ON"
    });
    let (summary, dir, _keep) = run.stop();
    assert!(summary.failure.is_none());
    let log = std::fs::read_to_string(dir.join("emp.log")).unwrap();
    for line in [
        "control: engage the kill switch (kill switch on the control page)",
        "control: session logout TRADE (on the control page)",
        "control: session logon TRADE (on the control page)",
    ] {
        assert!(log.contains(line), "no {line:?} in\n{log}");
    }
}
