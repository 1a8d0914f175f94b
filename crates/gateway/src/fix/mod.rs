//! FIX: the tag=value codec, data dictionaries and validation.

pub mod codec;
pub mod dict;
pub mod tags;
