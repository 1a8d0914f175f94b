//! A small blocking client of the control plane, for `emp ctl` and tests:
//! one HTTP/1.1 request per connection over loopback, bounded waits.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::{ControlReply, Snapshot};

/// How long the client waits to connect, send or read.
const WAIT: Duration = Duration::from_secs(15);

/// An HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

/// Sends one request to `addr` and reads the whole answer.
///
/// # Errors
/// The connection fails, times out, or the answer is not HTTP.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> anyhow::Result<Answer> {
    let mut stream = TcpStream::connect_timeout(&addr, WAIT)
        .map_err(|error| anyhow::anyhow!("cannot reach the control plane at {addr}: {error}"))?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = token {
        let _ = write!(head, "Authorization: Bearer {token}\r\n");
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || method == "POST" {
        let _ = write!(
            head,
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    // The head, then Content-Length bytes (or up to the end when the
    // server gives no length): a server may keep the connection open.
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = raw.windows(4).position(|window| window == b"\r\n\r\n") {
            break at;
        }
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            anyhow::bail!("{addr}: the connection closed before an HTTP answer");
        }
        raw.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut body = raw.split_off(head_end + 4);
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    match length {
        Some(length) => {
            while body.len() < length {
                let read = stream.read(&mut chunk)?;
                if read == 0 {
                    anyhow::bail!("{addr}: the answer ended early");
                }
                body.extend_from_slice(&chunk[..read]);
            }
            body.truncate(length);
        }
        None => {
            stream.read_to_end(&mut body)?;
        }
    }
    let body = String::from_utf8_lossy(&body);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("{addr}: no status in {head:?}"))?;
    Ok(Answer {
        status,
        body: body.into_owned(),
    })
}

/// A JSON API call with the token: the driver's reply, or the error the
/// server named.
///
/// # Errors
/// Transport errors, or a non-2xx answer (its `error` text, or the
/// action's refusal).
pub fn call(
    addr: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> anyhow::Result<ControlReply> {
    let text = body.map(serde_json::Value::to_string);
    let answer = request(addr, method, path, Some(token), text.as_deref())?;
    if let Ok(reply) = serde_json::from_str::<ControlReply>(&answer.body) {
        if let Some(Err(refusal)) = &reply.outcome {
            anyhow::bail!("refused: {refusal}");
        }
        if (200..300).contains(&answer.status) {
            return Ok(reply);
        }
    }
    let error = serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|value| value.get("error")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| answer.body.trim().to_owned());
    anyhow::bail!("HTTP {}: {error}", answer.status)
}

/// The snapshot as lines for people.
pub fn describe(snapshot: &Snapshot) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "trading      {}{}",
        snapshot.trading_state,
        if snapshot.kill_switch {
            " (kill switch ENGAGED)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        text,
        "readiness    {}{}",
        snapshot.readiness,
        if snapshot.ready { " (ready)" } else { "" }
    );
    for session in &snapshot.sessions {
        let _ = writeln!(
            text,
            "session      {:<6} {:<15} next out {:>6} next in {:>6}  {}",
            session.name,
            session.state,
            session.next_sender_seq,
            session.next_target_seq,
            session.id
        );
    }
    for strategy in &snapshot.strategies {
        let _ = writeln!(
            text,
            "strategy     {:<20} {}",
            strategy.name,
            match &strategy.reason {
                None => "enabled".to_owned(),
                Some(reason) => format!("disabled: {reason}"),
            }
        );
    }
    let _ = writeln!(
        text,
        "orders       {} working; {} sent, {} cancels, {} fills this run",
        snapshot.orders.len(),
        snapshot.orders_sent,
        snapshot.cancels_sent,
        snapshot.fills
    );
    for order in &snapshot.orders {
        let _ = writeln!(
            text,
            "  {} {} {} {} {} filled {} {} [{}]",
            order.cl_ord_id,
            order.strategy,
            order.instrument,
            order.side,
            order.quantity,
            order.filled,
            order.kind,
            order.status
        );
    }
    for position in &snapshot.positions {
        let _ = writeln!(
            text,
            "position     {:<20} {}",
            position.instrument, position.net
        );
    }
    let _ = writeln!(
        text,
        "PnL          {} realized, {} unrealized",
        snapshot.pnl_realized, snapshot.pnl_unrealized
    );
    text
}
