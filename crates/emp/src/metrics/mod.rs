//! Prometheus metrics without an external metrics crate.
//!
//! - [`Registry`]: metric families by name, each a set of series by label
//!   values, rendered in Prometheus text format 0.0.4
//!   ([`Registry::render`]);
//! - instruments, cheap-to-clone handles on lock-free atomics:
//!   [`Counter`] (`u64`, monotonic), [`Gauge`] (`i64`), [`DecimalGauge`]
//!   (an exact decimal set from a fixed-point raw value and its scale, such
//!   as a `Money` or `Quantity`, turned into text only when rendered) and
//!   [`Histogram`] (fixed latency buckets from 1 µs to 10 s, exported in
//!   seconds, fed in nanoseconds);
//! - [`RuntimeMetrics`]: every `emp_*` metric the runtime updates, with
//!   named handles (see [`runtime`] for the table);
//! - [`MetricsServer`]: `GET /metrics` on its own OS thread.
//!
//! The trading thread (decode → session → risk/OMS → encode) only ever
//! updates handles: a relaxed atomic add or store, never a lock, an
//! allocation or formatting. Registration locks and happens at setup (or
//! on the first use of a rare label value); rendering and HTTP run on the
//! metrics thread. Label values must be few and known (sessions,
//! instruments, kinds, codes), never ids; a family refuses more than
//! [`MAX_SERIES_PER_FAMILY`] series.
//!
//! ```
//! use emp::metrics::{MetricsServer, OrderEvent, Registry, RuntimeMetrics};
//! use std::io::{Read as _, Write as _};
//!
//! let registry = Registry::new();
//! let metrics = RuntimeMetrics::new(&registry)?;
//!
//! // At setup: the handles the hot thread keeps.
//! let trade = metrics.fix_session("TRADE")?;
//! let orders = metrics.orders.clone();
//! let position = metrics.portfolio.position("EURUSD")?;
//!
//! // On the hot thread: relaxed atomics only.
//! trade.messages_sent.inc();
//! trade.set_seqnums(2, 2);
//! orders.record(OrderEvent::Submitted);
//! orders.ack_latency.observe_nanos(35_000);
//! position.set_net_quantity("-10000".parse()?);
//!
//! // The text a scrape gets, made on the metrics thread.
//! let text = registry.render();
//! assert!(text.contains("emp_fix_messages_total{session=\"TRADE\",direction=\"out\"} 1\n"));
//! assert!(text.contains("emp_orders_total{event=\"submitted\"} 1\n"));
//! assert!(text.contains("emp_position_quantity{instrument=\"EURUSD\"} -10000\n"));
//! assert!(text.contains("emp_order_ack_latency_seconds_bucket{le=\"0.00005\"} 1\n"));
//!
//! // Served over HTTP from its own thread.
//! let server = MetricsServer::start("127.0.0.1:0".parse()?, registry.clone())?;
//! let mut stream = std::net::TcpStream::connect(server.local_addr())?;
//! stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: emp\r\n\r\n")?;
//! let mut response = String::new();
//! stream.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! server.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod instrument;
mod registry;
pub mod runtime;
mod server;
mod text;

pub use instrument::{
    Counter, DecimalGauge, Gauge, Histogram, HistogramSnapshot, LATENCY_BUCKETS_NANOS,
    MAX_DECIMAL_SCALE,
};
pub use registry::{Family, MAX_SERIES_PER_FAMILY, MetricsError, Registry};
pub use runtime::{
    FixSessionMetrics, FixSessionState, JournalMetrics, MarketDataMetrics, MdEventKind, OrderEvent,
    OrderMetrics, PortfolioMetrics, ReadinessMetrics, RiskMetrics, RuntimeMetrics,
};
pub use server::MetricsServer;
pub use text::CONTENT_TYPE;
