//! The in-memory data dictionary: fields, enumerations, header, trailer,
//! messages and repeating groups, laid out for fast validation.
//!
//! Components are flattened into the messages and groups that use them, as
//! QuickFIX does. Each `<group>` element becomes one shared [`GroupDef`],
//! whichever messages include it.

use std::collections::HashMap;
use std::sync::Arc;

use super::field_type::{FieldType, Format};
use crate::fix::codec::{DataFields, Tag};
use crate::fix::tags;

/// Dense index of a field within its dictionary.
pub(crate) type FieldId = u32;

/// Tags below this are looked up in a flat table; above it, in a map.
const DENSE_TAG_LIMIT: Tag = 65_536;

/// One enumerated value of a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumValue {
    /// The value as sent on the wire.
    pub value: String,
    /// Its name, e.g. `BUY` for Side 1.
    pub description: String,
}

/// A field definition.
#[derive(Clone, Debug)]
pub struct FieldDef {
    pub(crate) tag: Tag,
    pub(crate) name: String,
    pub(crate) field_type: FieldType,
    pub(crate) values: Vec<EnumValue>,
}

impl FieldDef {
    /// Tag number.
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// Field name, e.g. `ClOrdID`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Data type.
    pub fn field_type(&self) -> FieldType {
        self.field_type
    }

    /// Enumerated values, in dictionary order; empty when any value goes.
    pub fn values(&self) -> &[EnumValue] {
        &self.values
    }

    /// The name of an enumerated value, e.g. `BUY` for Side `1`.
    pub fn value_name(&self, value: &[u8]) -> Option<&str> {
        self.values
            .iter()
            .find(|candidate| candidate.value.as_bytes() == value)
            .map(|candidate| candidate.description.as_str())
    }
}

/// Fast membership test for a field's enumerated values.
#[derive(Clone, Debug, Default)]
pub(crate) struct ValueSet {
    /// One bit per single-byte ASCII value.
    single: u128,
    /// Values of 2 to 8 bytes (and single non-ASCII bytes), packed
    /// little-endian into a `u64`, sorted. Values never contain NUL, so
    /// padding with zeros is unambiguous.
    packed: Vec<u64>,
    /// Longer values, sorted.
    long: Vec<Box<[u8]>>,
}

impl ValueSet {
    pub(crate) fn pack(value: &[u8]) -> u64 {
        let mut bytes = [0u8; 8];
        bytes[..value.len()].copy_from_slice(value);
        u64::from_le_bytes(bytes)
    }

    pub(crate) fn insert(&mut self, value: &[u8]) {
        match value {
            [byte] if byte.is_ascii() => self.single |= 1 << byte,
            _ if value.len() <= 8 => {
                let key = Self::pack(value);
                if let Err(at) = self.packed.binary_search(&key) {
                    self.packed.insert(at, key);
                }
            }
            _ => {
                if let Err(at) = self
                    .long
                    .binary_search_by(|probe| probe.as_ref().cmp(value))
                {
                    self.long.insert(at, value.into());
                }
            }
        }
    }

    #[inline(always)]
    pub(crate) fn contains(&self, value: &[u8]) -> bool {
        match value {
            [byte] if byte.is_ascii() => self.single & (1 << byte) != 0,
            _ if value.len() <= 8 => self.packed.binary_search(&Self::pack(value)).is_ok(),
            _ => self
                .long
                .binary_search_by(|probe| probe.as_ref().cmp(value))
                .is_ok(),
        }
    }
}

/// A set of field ids, one bit each.
#[derive(Clone, Debug)]
pub(crate) struct FieldBits(Box<[u64]>);

impl FieldBits {
    pub(crate) fn new(field_count: usize) -> Self {
        Self(vec![0; field_count.div_ceil(64)].into_boxed_slice())
    }

    pub(crate) fn insert(&mut self, id: FieldId) {
        self.0[id as usize / 64] |= 1 << (id % 64);
    }

    #[inline]
    pub(crate) fn contains(&self, id: FieldId) -> bool {
        self.0
            .get(id as usize / 64)
            .is_some_and(|word| word & (1 << (id % 64)) != 0)
    }
}

/// The fields allowed at one level of a message: its body, the header, the
/// trailer, or one repeating-group entry.
#[derive(Clone, Debug)]
pub struct FieldSet {
    pub(crate) members: FieldBits,
    /// Required fields as (tag, id), sorted by tag.
    pub(crate) required: Vec<(Tag, FieldId)>,
    /// Repeating groups by NumInGroup tag, sorted by tag.
    pub(crate) groups: Vec<(Tag, Arc<GroupDef>)>,
    /// Member tags in dictionary order, components expanded.
    pub(crate) order: Vec<Tag>,
    /// Member tags ascending, for lookups without the dictionary.
    pub(crate) sorted: Vec<Tag>,
}

impl FieldSet {
    /// Member tags in dictionary order (components expanded; group members
    /// belong to the group, not to this set).
    pub fn tags(&self) -> &[Tag] {
        &self.order
    }

    /// True when `tag` is a member of this level (a group's NumInGroup
    /// field included, its entries' fields not).
    pub fn contains(&self, tag: Tag) -> bool {
        self.sorted.binary_search(&tag).is_ok()
    }

    /// Required tags, ascending.
    pub fn required_tags(&self) -> impl Iterator<Item = Tag> + '_ {
        self.required.iter().map(|&(tag, _)| tag)
    }

    /// The repeating group whose NumInGroup field is `count_tag`.
    #[inline]
    pub fn group(&self, count_tag: Tag) -> Option<&GroupDef> {
        // Few groups per level: a linear scan beats a map here.
        self.groups
            .iter()
            .find(|(tag, _)| *tag == count_tag)
            .map(|(_, group)| group.as_ref())
    }

    /// Every repeating group at this level.
    pub fn groups(&self) -> impl Iterator<Item = &GroupDef> + '_ {
        self.groups.iter().map(|(_, group)| group.as_ref())
    }
}

/// A repeating group: its NumInGroup field, its delimiter (the field that
/// starts every entry) and the fields of an entry.
#[derive(Clone, Debug)]
pub struct GroupDef {
    pub(crate) name: String,
    pub(crate) count_tag: Tag,
    pub(crate) delimiter: Tag,
    pub(crate) entry: FieldSet,
}

impl GroupDef {
    /// The NumInGroup field's name, e.g. `NoMDEntries`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The NumInGroup tag, e.g. 268.
    pub fn count_tag(&self) -> Tag {
        self.count_tag
    }

    /// The first field of every entry.
    pub fn delimiter(&self) -> Tag {
        self.delimiter
    }

    /// The fields of one entry.
    pub fn entry(&self) -> &FieldSet {
        &self.entry
    }
}

/// A message type's fast-path table: one action byte per tag below
/// [`FastPlan::TAG_LIMIT`], and the required tags.
///
/// An action says in which section the tag may appear (header, body or
/// trailer; 0 when not at all or not handled by the fast path), which
/// format check applies and whether its enumeration must be checked.
#[derive(Clone, Debug)]
pub(crate) struct FastPlan {
    /// Fixed size, so indexing by a masked tag needs no bounds check.
    pub(crate) actions: Box<[u8; Self::TAG_LIMIT]>,
    /// For fields whose enumerated values are all single ASCII characters,
    /// one bit per allowed character; 0 otherwise. Shared by all plans.
    pub(crate) char_values: Arc<[u128; Self::TAG_LIMIT]>,
    pub(crate) required: Box<[u16]>,
}

impl FastPlan {
    /// Tags handled by the fast path (all of FIX 4.2 and 4.4, and the
    /// common FIX 5.0 ones).
    pub(crate) const TAG_LIMIT: usize = 2048;
    pub(crate) const SECTION: u8 = 0b11;
    pub(crate) const HEADER: u8 = 1;
    pub(crate) const BODY: u8 = 2;
    pub(crate) const TRAILER: u8 = 3;
    /// Text or Char: CHAR set for Char, nothing else for Text.
    pub(crate) const CHAR: u8 = 1 << 2;
    /// Any other format, whose index into `FORMATS` is in bits 3..=5.
    pub(crate) const COMPLEX: u8 = 1 << 6;
    const FORMAT_SHIFT: u8 = 3;
    pub(crate) const HAS_VALUES: u8 = 1 << 7;

    const FORMATS: [Format; 8] = [
        Format::Text,
        Format::Int,
        Format::Float,
        Format::Char,
        Format::Bool,
        Format::UtcTimestamp,
        Format::UtcTimeOnly,
        Format::UtcDateOnly,
    ];

    pub(crate) fn format(action: u8) -> Format {
        Self::FORMATS[usize::from((action >> Self::FORMAT_SHIFT) & 0b111)]
    }

    /// The action for `tag` in `section`, or 0 (not handled: the message
    /// takes the full pass) for group counts, multiple-value fields and
    /// tags the dictionary does not define.
    pub(crate) fn action(section: u8, info: FieldInfo, tag: Tag) -> u8 {
        if info.is_group_count() || info.multiple_values() || info.is_unknown() {
            return 0;
        }
        let shape = match info.format {
            Format::Text => 0,
            Format::Char => Self::CHAR,
            format => {
                let index = Self::FORMATS.iter().position(|&f| f == format).unwrap_or(0) as u8;
                Self::COMPLEX | index << Self::FORMAT_SHIFT
            }
        };
        // BeginString and MsgType are checked before the fields are walked.
        let checked_apart = tag == tags::BEGIN_STRING || tag == tags::MSG_TYPE;
        let values = if info.has_values() && !checked_apart {
            Self::HAS_VALUES
        } else {
            0
        };
        section | shape | values
    }

    /// The plan for a message with `body`, or `None` when one of its
    /// required tags is beyond [`FastPlan::TAG_LIMIT`].
    /// The one-character enumerations of every tag below the limit.
    pub(crate) fn char_values(fields: &[FieldDef]) -> Arc<[u128; Self::TAG_LIMIT]> {
        let mut bits = Box::new([0u128; Self::TAG_LIMIT]);
        for field in fields {
            let single = field
                .values
                .iter()
                .all(|v| v.value.len() == 1 && v.value.is_ascii());
            if let Some(slot) = bits.get_mut(field.tag as usize)
                && single
            {
                *slot = field
                    .values
                    .iter()
                    .fold(0, |set, v| set | 1 << v.value.as_bytes()[0]);
            }
        }
        bits.into()
    }

    pub(crate) fn build(
        header: &FieldSet,
        trailer: &FieldSet,
        body: &FieldSet,
        slots: &Slots,
        char_values: &Arc<[u128; Self::TAG_LIMIT]>,
    ) -> Option<Self> {
        let mut actions = Box::new([0u8; Self::TAG_LIMIT]);
        let mut required = Vec::new();
        for (section, set) in [
            (Self::HEADER, header),
            (Self::TRAILER, trailer),
            (Self::BODY, body),
        ] {
            for &tag in set.tags() {
                if let Some(action) = actions.get_mut(tag as usize) {
                    *action = Self::action(section, slots.get(tag).info, tag);
                }
            }
            for tag in set.required_tags() {
                required.push(
                    u16::try_from(tag)
                        .ok()
                        .filter(|&tag| usize::from(tag) < Self::TAG_LIMIT)?,
                );
            }
        }
        Some(Self {
            actions,
            char_values: Arc::clone(char_values),
            required: required.into_boxed_slice(),
        })
    }
}

/// Admin (session) or application message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgCategory {
    /// Session-level: Logon, Heartbeat, Reject, …
    Admin,
    /// Application-level: orders, executions, market data, …
    App,
}

/// A message definition.
#[derive(Clone, Debug)]
pub struct MessageDef {
    pub(crate) msg_type: String,
    pub(crate) name: String,
    pub(crate) category: MsgCategory,
    pub(crate) body: FieldSet,
    pub(crate) fast: Option<FastPlan>,
}

impl MessageDef {
    /// MsgType (35) value.
    pub fn msg_type(&self) -> &str {
        &self.msg_type
    }

    /// Message name, e.g. `NewOrderSingle`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Admin or application.
    pub fn category(&self) -> MsgCategory {
        self.category
    }

    /// The body fields.
    pub fn body(&self) -> &FieldSet {
        &self.body
    }

    /// The fast-path table, unless a required tag is beyond its reach.
    pub(crate) fn fast_plan(&self) -> Option<&FastPlan> {
        self.fast.as_ref()
    }
}

/// Per-field facts the validator reads for every field, in four bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldInfo {
    pub(crate) format: Format,
    flags: u8,
    /// Index into [`Dictionary::value_sets`], or [`FieldInfo::NO_VALUES`].
    pub(crate) values: u16,
}

impl FieldInfo {
    pub(crate) const NO_VALUES: u16 = u16::MAX;
    const HEADER: u8 = 1;
    const TRAILER: u8 = 2;
    const GROUP_COUNT: u8 = 4;
    const MULTIPLE: u8 = 8;
    const UNKNOWN: u8 = 16;

    /// The facts of a tag the dictionary does not define.
    pub(crate) fn unknown(tag: Tag) -> Self {
        let mut info = Self::new(Format::Text, Self::NO_VALUES);
        info.set(
            tags::STANDARD_HEADER.contains(&tag),
            tags::STANDARD_TRAILER.contains(&tag),
            false,
            false,
        );
        info.flags |= Self::UNKNOWN;
        info
    }

    /// A tag the dictionary does not define.
    #[inline]
    pub(crate) fn is_unknown(self) -> bool {
        self.flags & Self::UNKNOWN != 0
    }

    pub(crate) fn new(format: Format, values: u16) -> Self {
        Self {
            format,
            flags: 0,
            values,
        }
    }

    pub(crate) fn set(&mut self, header: bool, trailer: bool, group_count: bool, multiple: bool) {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        self.flags = flag(header, Self::HEADER)
            | flag(trailer, Self::TRAILER)
            | flag(group_count, Self::GROUP_COUNT)
            | flag(multiple, Self::MULTIPLE);
    }

    /// A header field (in the dictionary's header or a standard header tag).
    #[inline]
    pub(crate) fn in_header(self) -> bool {
        self.flags & Self::HEADER != 0
    }

    /// A trailer field.
    #[inline]
    pub(crate) fn in_trailer(self) -> bool {
        self.flags & Self::TRAILER != 0
    }

    /// NumInGroup of some repeating group somewhere in the dictionary.
    #[inline]
    pub(crate) fn is_group_count(self) -> bool {
        self.flags & Self::GROUP_COUNT != 0
    }

    /// Has enumerated values to check.
    #[inline]
    pub(crate) fn has_values(self) -> bool {
        self.values != Self::NO_VALUES
    }

    /// A space-separated list of enumerated values.
    #[inline]
    pub(crate) fn multiple_values(self) -> bool {
        self.flags & Self::MULTIPLE != 0
    }
}

/// What the validator needs about one tag, in one load: its field id and
/// facts. Unknown tags carry a flagged [`FieldInfo`] and no meaningful id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub(crate) id: FieldId,
    pub(crate) info: FieldInfo,
}

/// Tag → [`Slot`] for every tag up to the highest defined one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slots {
    dense: Vec<Slot>,
    sparse: HashMap<Tag, Slot>,
}

impl Slots {
    pub(crate) fn new(fields: &[FieldDef], info: &[FieldInfo]) -> Self {
        let highest = fields
            .iter()
            .map(|field| field.tag)
            .filter(|&tag| tag < DENSE_TAG_LIMIT)
            .chain(tags::STANDARD_HEADER.iter().copied())
            .max()
            .unwrap_or(0);
        let mut dense: Vec<Slot> = (0..=highest)
            .map(|tag| Slot {
                id: FieldId::MAX,
                info: FieldInfo::unknown(tag),
            })
            .collect();
        let mut sparse = HashMap::new();
        for (id, (field, &info)) in fields.iter().zip(info).enumerate() {
            let slot = Slot {
                id: id as FieldId,
                info,
            };
            match dense.get_mut(field.tag as usize) {
                Some(entry) => *entry = slot,
                None => {
                    sparse.insert(field.tag, slot);
                }
            }
        }
        Self { dense, sparse }
    }

    #[inline]
    pub(crate) fn get(&self, tag: Tag) -> Slot {
        match self.dense.get(tag as usize) {
            Some(&slot) => slot,
            None => self.get_sparse(tag),
        }
    }

    #[cold]
    fn get_sparse(&self, tag: Tag) -> Slot {
        self.sparse.get(&tag).copied().unwrap_or(Slot {
            id: FieldId::MAX,
            info: FieldInfo::unknown(tag),
        })
    }
}

/// MsgType → message index. Message types are short: up to 8 bytes they
/// are packed into a `u64` and binary-searched, which is much cheaper than
/// hashing on every message.
#[derive(Clone, Debug)]
pub(crate) struct MessageIndex {
    /// One-byte types (most session and order messages), by byte.
    single: [u16; 128],
    packed: Vec<(u64, usize)>,
    long: HashMap<Box<[u8]>, usize>,
}

impl Default for MessageIndex {
    fn default() -> Self {
        Self {
            single: [u16::MAX; 128],
            packed: Vec::new(),
            long: HashMap::new(),
        }
    }
}

impl MessageIndex {
    /// Adds `msg_type`; false if it was already present.
    pub(crate) fn insert(&mut self, msg_type: &[u8], index: usize) -> bool {
        if let [byte] = msg_type
            && let Some(slot) = self.single.get_mut(usize::from(*byte))
            && let Ok(index) = u16::try_from(index)
        {
            if *slot != u16::MAX {
                return false;
            }
            *slot = index;
            return true;
        }
        if msg_type.len() <= 8 {
            let key = ValueSet::pack(msg_type);
            match self.packed.binary_search_by_key(&key, |entry| entry.0) {
                Ok(_) => false,
                Err(at) => {
                    self.packed.insert(at, (key, index));
                    true
                }
            }
        } else {
            self.long.insert(msg_type.into(), index).is_none()
        }
    }

    #[inline]
    pub(crate) fn get(&self, msg_type: &[u8]) -> Option<usize> {
        if let [byte] = msg_type
            && let Some(&slot) = self.single.get(usize::from(*byte))
        {
            return (slot != u16::MAX).then_some(usize::from(slot));
        }
        if msg_type.len() <= 8 {
            let key = ValueSet::pack(msg_type);
            self.packed
                .binary_search_by_key(&key, |entry| entry.0)
                .ok()
                .map(|at| self.packed[at].1)
        } else {
            self.long.get(msg_type).copied()
        }
    }
}

/// Which FIX version a dictionary describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DictionaryVersion {
    /// `FIX` or `FIXT`.
    pub kind: String,
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Service pack, 0 when none.
    pub service_pack: u32,
}

impl DictionaryVersion {
    /// The BeginString this version travels under: `FIX.4.4`, `FIXT.1.1`;
    /// `None` for FIX 5.x application versions, which travel under FIXT.
    pub fn begin_string(&self) -> Option<String> {
        (self.kind == "FIXT" || self.major < 5)
            .then(|| format!("{}.{}.{}", self.kind, self.major, self.minor))
    }

    /// A name such as `FIX.4.4` or `FIX.5.0SP2`.
    pub fn name(&self) -> String {
        if self.service_pack > 0 {
            format!(
                "{}.{}.{}SP{}",
                self.kind, self.major, self.minor, self.service_pack
            )
        } else {
            format!("{}.{}.{}", self.kind, self.major, self.minor)
        }
    }

    /// ApplVerID (1128) of an application version, per the FIX enumeration.
    pub fn appl_ver_id(&self) -> Option<&'static str> {
        if self.kind != "FIX" {
            return None;
        }
        Some(match (self.major, self.minor, self.service_pack) {
            (2, 7, 0) => "0",
            (3, 0, 0) => "1",
            (4, 0, 0) => "2",
            (4, 1, 0) => "3",
            (4, 2, 0) => "4",
            (4, 3, 0) => "5",
            (4, 4, 0) => "6",
            (5, 0, 0) => "7",
            (5, 0, 1) => "8",
            (5, 0, 2) => "9",
            _ => return None,
        })
    }
}

/// A FIX data dictionary: what every field, message and group looks like.
///
/// Load one from QuickFIX-format XML ([`Dictionary::from_xml`],
/// [`Dictionary::from_file`]), take a shipped one
/// ([`super::ShippedDictionary`]), or combine FIXT 1.1 with a FIX 5.x
/// application dictionary ([`Dictionary::from_fixt_xml`]).
#[derive(Clone, Debug)]
pub struct Dictionary {
    pub(crate) version: DictionaryVersion,
    pub(crate) app_version: Option<DictionaryVersion>,
    pub(crate) fields: Vec<FieldDef>,
    pub(crate) value_sets: Vec<ValueSet>,
    pub(crate) slots: Slots,
    pub(crate) names: HashMap<String, FieldId>,
    pub(crate) header: FieldSet,
    pub(crate) trailer: FieldSet,
    pub(crate) messages: Vec<MessageDef>,
    pub(crate) message_index: MessageIndex,
    pub(crate) data_fields: DataFields,
    pub(crate) warnings: Vec<String>,
}

impl Dictionary {
    /// The version this dictionary describes (the transport's, for FIXT).
    pub fn version(&self) -> &DictionaryVersion {
        &self.version
    }

    /// For a FIXT dictionary combined with an application dictionary, the
    /// application version (e.g. FIX.5.0SP2).
    pub fn app_version(&self) -> Option<&DictionaryVersion> {
        self.app_version.as_ref()
    }

    /// The BeginString messages under this dictionary carry, if fixed.
    pub fn begin_string(&self) -> Option<String> {
        self.version.begin_string()
    }

    /// The field with `tag`.
    #[inline]
    pub fn field(&self, tag: Tag) -> Option<&FieldDef> {
        let slot = self.slots.get(tag);
        (!slot.info.is_unknown()).then(|| &self.fields[slot.id as usize])
    }

    /// The field named `name`.
    pub fn field_by_name(&self, name: &str) -> Option<&FieldDef> {
        self.names.get(name).map(|&id| &self.fields[id as usize])
    }

    /// Every field, in tag order of definition.
    pub fn fields(&self) -> impl Iterator<Item = &FieldDef> + '_ {
        self.fields.iter()
    }

    /// The message with this MsgType.
    #[inline]
    pub fn message(&self, msg_type: &[u8]) -> Option<&MessageDef> {
        self.message_index
            .get(msg_type)
            .map(|index| &self.messages[index])
    }

    /// Every message, in dictionary order.
    pub fn messages(&self) -> impl Iterator<Item = &MessageDef> + '_ {
        self.messages.iter()
    }

    /// The standard header.
    pub fn header(&self) -> &FieldSet {
        &self.header
    }

    /// The standard trailer.
    pub fn trailer(&self) -> &FieldSet {
        &self.trailer
    }

    /// The length-prefixed data fields, for a [`crate::fix::codec::Decoder`].
    pub fn data_fields(&self) -> &DataFields {
        &self.data_fields
    }

    /// Things accepted with a fallback while loading (an unknown type read
    /// as STRING, a data field without a length field, …).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// True when `tag` is a header field: in the dictionary's header, or
    /// one of the header tags every FIX version shares.
    pub fn is_header_tag(&self, tag: Tag) -> bool {
        self.slots.get(tag).info.in_header()
    }

    /// True when `tag` is a trailer field.
    pub fn is_trailer_tag(&self, tag: Tag) -> bool {
        self.slots.get(tag).info.in_trailer()
    }

    #[inline]
    pub(crate) fn slot(&self, tag: Tag) -> Slot {
        self.slots.get(tag)
    }

    /// True when `value` is one of the enumerated values the field allows
    /// (each item, for multiple-value fields); true when it has none.
    #[inline]
    pub(crate) fn value_allowed(&self, info: FieldInfo, value: &[u8]) -> bool {
        if !info.has_values() {
            return true;
        }
        let Some(values) = self.value_sets.get(usize::from(info.values)) else {
            return true;
        };
        if info.multiple_values() {
            value
                .split(|&byte| byte == b' ')
                .all(|item| values.contains(item))
        } else {
            values.contains(value)
        }
    }

    pub(crate) fn field_count(&self) -> usize {
        self.fields.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_sets_hold_every_width() {
        let mut set = ValueSet::default();
        for value in ["1", "A", "CS", "PRE-OPEN", "ONE_MAIN_LONGER", "\u{e9}"] {
            set.insert(value.as_bytes());
        }
        for value in ["1", "A", "CS", "PRE-OPEN", "ONE_MAIN_LONGER", "\u{e9}"] {
            assert!(set.contains(value.as_bytes()), "{value}");
        }
        for value in ["2", "a", "C", "CSX", "PRE-OPE", "ONE_MAIN_LONGE", ""] {
            assert!(!set.contains(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn field_bits() {
        let mut bits = FieldBits::new(130);
        bits.insert(0);
        bits.insert(129);
        assert!(bits.contains(0) && bits.contains(129));
        assert!(!bits.contains(1) && !bits.contains(128) && !bits.contains(5000));
    }

    #[test]
    fn version_names() {
        let v = |kind: &str, major, minor, service_pack| DictionaryVersion {
            kind: kind.into(),
            major,
            minor,
            service_pack,
        };
        assert_eq!(v("FIX", 4, 4, 0).begin_string().as_deref(), Some("FIX.4.4"));
        assert_eq!(
            v("FIXT", 1, 1, 0).begin_string().as_deref(),
            Some("FIXT.1.1")
        );
        assert_eq!(v("FIX", 5, 0, 2).begin_string(), None);
        assert_eq!(v("FIX", 5, 0, 2).name(), "FIX.5.0SP2");
        assert_eq!(v("FIX", 5, 0, 2).appl_ver_id(), Some("9"));
    }
}
