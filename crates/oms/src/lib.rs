//! EMP order-management system.
//!
//! Every order goes strategy intent → risk gate → OMS → venue. This crate will
//! hold the sans-IO order state machine, the central risk gate, positions and
//! PnL, and reconciliation after restarts (issue 4). It depends only on
//! `model`, never on `gateway`. Nothing is implemented yet.
