//! End-to-end tests for EMP.
//!
//! Scenarios that wire several crates together (strategy intent → OMS →
//! gateway) live in this crate's `tests/` folder as the crates fill in.
