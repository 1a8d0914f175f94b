//! EMP sensory layer.
//!
//! Turns normalized book and trade events into features in five families
//! (WHAT, WHEN, HOW, WHY, ANOMALY) (issue 5). It depends only on `model`,
//! never on `gateway`. Nothing is implemented yet.
