//! FIX data dictionaries: loading QuickFIX-format XML, the dictionaries
//! shipped in `specs/`, validation, and repeating-group access.
//!
//! ```
//! use gateway::fix::dict::ShippedDictionary;
//!
//! let dict = ShippedDictionary::Fix44.load()?;
//! let order = dict.message(b"D").unwrap();
//! assert_eq!(order.name(), "NewOrderSingle");
//! assert!(order.body().required_tags().any(|tag| tag == 11)); // ClOrdID
//! assert_eq!(dict.field(54).unwrap().value_name(b"1"), Some("BUY"));
//! # Ok::<(), gateway::fix::dict::DictionaryError>(())
//! ```

mod dictionary;
mod field_type;
mod groups;
mod shipped;
mod validate;
mod xml;

pub use dictionary::{
    Dictionary, DictionaryVersion, EnumValue, FieldDef, FieldSet, GroupDef, MessageDef, MsgCategory,
};
pub use field_type::FieldType;
pub use groups::{GroupEntries, GroupEntry};
pub use shipped::ShippedDictionary;
pub use validate::{FieldPlacement, ValidationOptions, ValidationReport, Validator};
pub use xml::DictionaryError;
