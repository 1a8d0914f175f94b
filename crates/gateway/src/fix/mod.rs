//! FIX: codec, dictionaries, the session layer and its message store, and
//! the order messages that carry the OMS's commands and the venue's reports.

pub mod codec;
pub mod dict;
pub mod orders;
pub mod session;
pub mod settings;
pub mod store;
pub mod tags;
