//! Prometheus metrics through the [`metrics`](::metrics) facade, recorded
//! and rendered by `metrics-exporter-prometheus`.
//!
//! - [`Registry`]: a *local* `PrometheusRecorder` (never the global one,
//!   so a process or a test can hold several independent registries) with
//!   EMP's rules on top: checked names (counters end `_total`), label
//!   names fixed per family, at most [`MAX_SERIES_PER_FAMILY`] series per
//!   family, histograms with the [`LATENCY_BUCKETS_SECONDS`] buckets (5 µs
//!   to 100 ms), and [`Registry::render`] in Prometheus text format 0.0.4,
//!   sorted, with the process metrics;
//! - the handles are the facade's own [`Counter`], [`Gauge`] and
//!   [`Histogram`], registered once at setup;
//! - [`RuntimeMetrics`]: every `emp_*` metric the runtime updates, with
//!   named handles (see [`runtime`] for the table);
//! - the process metrics, `process_cpu_seconds_total` and
//!   `process_resident_memory_bytes`, read from `/proc` at scrape time;
//! - [`MetricsServer`]: `GET /metrics` on its own OS thread, which also
//!   runs the recorder's upkeep.
//!
//! The trading thread (decode → session → risk/OMS → encode) only ever
//! updates handles it was given at setup: an atomic add or store, or a
//! histogram sample appended to a lock-free list. No lookup by name, no
//! label formatting, no lock. Registration locks and happens at setup;
//! rendering and HTTP run on the metrics thread. Label values must be few
//! and known (sessions, instruments, kinds, codes, MsgTypes), never ids:
//! values outside a fixed set fold into `other`.
//!
//! ```
//! use std::io::{Read as _, Write as _};
//! use std::time::Duration;
//!
//! use emp::metrics::{MetricsServer, OrderEvent, Registry, RuntimeMetrics, net_quantity_f64};
//!
//! let registry = Registry::new();
//! let metrics = RuntimeMetrics::new(&registry)?;
//!
//! // At setup: the handles the hot thread keeps.
//! let trade = metrics.fix_session("TRADE")?;
//! let orders = metrics.orders.clone();
//! let position = metrics.portfolio.position("EURUSD")?;
//!
//! // On the hot thread: pre-registered handles only.
//! trade.set_seqnums(2, 2);
//! orders.record(OrderEvent::Submitted);
//! orders.ack_latency.record(Duration::from_micros(35));
//! position.set(net_quantity_f64("-10000".parse()?));
//!
//! // The text a scrape gets, made on the metrics thread.
//! let text = registry.render();
//! assert!(text.contains("emp_fix_next_sender_seqnum{session=\"TRADE\"} 2\n"));
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

mod process;
mod registry;
pub mod runtime;
mod server;

pub use ::metrics::{Counter, Gauge, Histogram};
pub use registry::{
    Family, LATENCY_BUCKETS_SECONDS, MAX_SERIES_PER_FAMILY, MetricsError, Registry,
};
pub use runtime::{
    Direction, FixSessionMetrics, FixSessionState, JournalMetrics, MarketDataMetrics, MdEventKind,
    OTHER_DENY_REASON, OrderEvent, OrderMetrics, PortfolioMetrics, ReadinessMetrics, RiskMetrics,
    RuntimeMetrics, decimal_to_f64, money_f64, net_quantity_f64, register_process_info,
};
pub use server::{CONTENT_TYPE, MetricsServer};
