//! EMP strategy engine.
//!
//! Pure decisions from features to order intents behind a readiness gate
//! (STARTING → WARMING → RUNNING ⇄ DEGRADED) (issue 5). It depends only on
//! `model`, never on `gateway`. Nothing is implemented yet.
