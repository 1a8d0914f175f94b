//! The scrape endpoint: a small HTTP/1.x server on its own OS thread.
//!
//! The thread runs a current-thread tokio runtime of its own, so nothing
//! it does (accepting, reading, rendering, writing) touches the trading
//! thread or its runtime. Connections are served one at a time: each
//! request head is read with a deadline and a size limit, answered, and
//! the connection closed. Garbage gets a 400, never a panic.

use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::registry::Registry;

/// The `Content-Type` of `/metrics`: Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How often the server thread moves recorded histogram samples into
/// their buckets ([`Registry::run_upkeep`]), scraped or not, so they never
/// pile up between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The largest request head (request line and headers) accepted.
const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// How long a client has to send its request head, and to take the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long, and how much, to read after answering before closing.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
const MAX_DRAIN_BYTES: usize = 64 * 1024;

const INDEX_HTML: &str = "<!DOCTYPE html>\n<html><head><title>EMP metrics</title></head>\n\
<body><h1>EMP</h1><p><a href=\"/metrics\">/metrics</a> (Prometheus text format)</p></body></html>\n";

/// The metrics endpoint: `GET /metrics` renders the registry in Prometheus
/// text format, `GET /` is a page linking it. Between requests the thread
/// runs the registry's upkeep every 5 s.
///
/// It stops on [`shutdown`](Self::shutdown) or when dropped.
#[derive(Debug)]
pub struct MetricsServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `addr` and serves `registry` from a new thread named
    /// `emp-metrics`. Port 0 picks a free port; see
    /// [`local_addr`](Self::local_addr).
    ///
    /// # Errors
    /// The address cannot be bound (the message names it and how to choose
    /// another), or the thread or its runtime cannot be made.
    pub fn start(addr: SocketAddr, registry: Registry) -> Result<Self, io::Error> {
        let listener = StdListener::bind(addr).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!(
                    "cannot serve metrics on {addr}: {error}; choose another address with \
                     --metrics-addr HOST:PORT, or turn the endpoint off with --metrics-addr off"
                ),
            )
        })?;
        let local_addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let listener = {
            let _context = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("emp-metrics".to_owned())
            .spawn(move || runtime.block_on(serve(listener, registry, stopped)))?;
        Ok(Self {
            local_addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops serving (an answer being written is cut off), closes the
    /// socket and waits for the thread to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The thread may have ended already; then there is no one to tell.
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The thread does not panic; if it did, there is nothing to add.
            let _ = thread.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

async fn serve(listener: TcpListener, registry: Registry, mut stopped: oneshot::Receiver<()>) {
    let mut upkeep = tokio::time::interval(UPKEEP_INTERVAL);
    upkeep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = upkeep.tick() => registry.run_upkeep(),
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    tokio::select! {
                        _ = &mut stopped => return,
                        () = answer(stream, &registry) => {}
                    }
                }
                // Out of file descriptors and the like: let it pass rather
                // than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
}

/// What the request asked for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Metrics,
    Index,
    NotFound,
    MethodNotAllowed,
    BadRequest,
    TooLarge,
}

async fn answer(mut stream: TcpStream, registry: &Registry) {
    let route = match tokio::time::timeout(IO_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(Some(head))) => route(&head),
        Ok(Ok(None)) => Route::TooLarge,
        // The client went away or said nothing in time: nothing to answer.
        Ok(Err(_)) | Err(_) => return,
    };
    let (status, content_type, body) = match route {
        Route::Metrics => ("200 OK", CONTENT_TYPE, registry.render()),
        Route::Index => ("200 OK", "text/html; charset=utf-8", INDEX_HTML.to_owned()),
        Route::NotFound => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found; metrics are at /metrics\n".to_owned(),
        ),
        Route::MethodNotAllowed => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET is supported\n".to_owned(),
        ),
        Route::BadRequest => (
            "400 Bad Request",
            "text/plain; charset=utf-8",
            "malformed HTTP request\n".to_owned(),
        ),
        Route::TooLarge => (
            "431 Request Header Fields Too Large",
            "text/plain; charset=utf-8",
            "request head too large\n".to_owned(),
        ),
    };
    let allow = if route == Route::MethodNotAllowed {
        "Allow: GET\r\n"
    } else {
        ""
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{allow}\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let written = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    // A client that stops reading loses its answer; the next one is served.
    let answered = matches!(tokio::time::timeout(IO_TIMEOUT, written).await, Ok(Ok(())));
    let may_have_more = matches!(
        route,
        Route::MethodNotAllowed | Route::BadRequest | Route::TooLarge
    );
    if answered && may_have_more {
        // Read what the client still sends (a body or a head we did not
        // read) until it closes, so closing does not reset the connection
        // before the client has read the answer. Bounded in time and bytes.
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain(&mut stream)).await;
    }
}

/// Reads and discards until end of stream or [`MAX_DRAIN_BYTES`].
async fn drain(stream: &mut TcpStream) {
    let mut chunk = [0u8; 1024];
    let mut drained = 0;
    while drained < MAX_DRAIN_BYTES {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => drained += read,
        }
    }
}

/// Reads up to the blank line ending the request head. `Ok(None)` when the
/// head exceeds [`MAX_REQUEST_BYTES`]; an error when the client closes
/// before finishing it.
async fn read_head(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return if head.is_empty() {
                Err(io::ErrorKind::UnexpectedEof.into())
            } else {
                // A request without its blank line: answer what there is.
                Ok(Some(head))
            };
        }
        head.extend_from_slice(chunk.get(..read).unwrap_or_default());
        if let Some(end) = find_end(&head) {
            head.truncate(end);
            return Ok(Some(head));
        }
        if head.len() > MAX_REQUEST_BYTES {
            return Ok(None);
        }
    }
}

/// The length of the head up to its blank line (`\r\n\r\n` or `\n\n`).
fn find_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes.windows(4).position(|window| window == b"\r\n\r\n");
    let lf = bytes.windows(2).position(|window| window == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Routes a request head by its request line.
fn route(head: &[u8]) -> Route {
    if head.len() > MAX_REQUEST_BYTES {
        return Route::TooLarge;
    }
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let Ok(line) = std::str::from_utf8(head.get(..line_end).unwrap_or_default()) else {
        return Route::BadRequest;
    };
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    let token = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphabetic());
    if !token(method) || !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Route::BadRequest;
    }
    if method != "GET" {
        return Route::MethodNotAllowed;
    }
    let path = target.split(['?', '#']).next().unwrap_or(target);
    match path {
        "/metrics" => Route::Metrics,
        "/" => Route::Index,
        _ => Route::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_routed_by_method_and_path() {
        let cases: [(&[u8], Route); 11] = [
            (b"GET /metrics HTTP/1.1\r\nHost: x", Route::Metrics),
            (b"GET /metrics?name[]=x HTTP/1.0", Route::Metrics),
            (b"GET / HTTP/1.1", Route::Index),
            (b"GET /other HTTP/1.1", Route::NotFound),
            (b"POST /metrics HTTP/1.1", Route::MethodNotAllowed),
            (b"DELETE / HTTP/1.1", Route::MethodNotAllowed),
            (b"GET /metrics", Route::BadRequest),
            (b"GET /metrics HTTP/2 extra", Route::BadRequest),
            (b"GET metrics HTTP/1.1", Route::BadRequest),
            (b"\xff\xfe GET", Route::BadRequest),
            (b"", Route::BadRequest),
        ];
        for (head, expected) in cases {
            assert_eq!(route(head), expected, "{:?}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn the_head_ends_at_the_first_blank_line() {
        assert_eq!(find_end(b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody"), Some(20));
        assert_eq!(find_end(b"GET / HTTP/1.1\n\n"), Some(14));
        assert_eq!(find_end(b"GET / HTTP/1.1\r\n"), None);
    }
}
