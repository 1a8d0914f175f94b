//! FIX: codec, dictionaries, the session layer and its message store, the
//! order messages that carry the OMS's commands and the venue's reports, and
//! the market data messages that subscribe to and carry the venue's prices.

pub mod codec;
pub mod dict;
pub mod link;
pub mod market_data;
pub mod orders;
pub mod session;
pub mod settings;
pub mod store;
pub mod tags;
