//! Connecting sessions: connect, run, reconnect with backoff and jitter.
