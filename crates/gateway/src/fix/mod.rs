//! FIX: codec, dictionaries, the session layer and its message store.

pub mod codec;
pub mod dict;
pub mod session;
pub mod settings;
pub mod store;
pub mod tags;
