//! EMP simulated venue.
//!
//! A simulated FIX venue with a matching engine, market data and the quirks
//! of real demo venues, so that `emp demo` runs on one machine (issue 7).
//! Nothing is implemented yet.
