//! Dictionary validation of decoded messages, as QuickFIX validates them.
//!
//! One pass over the fields checks, for every field: repeated tag, empty
//! value, data format, enumerated value, tag defined, tag defined for this
//! message type; for the message: BeginString, MsgType, header/body/trailer
//! order, required fields, and repeating groups (entry boundaries by
//! delimiter, NumInGroup counts, required fields per entry).
//!
//! A message with several problems is rejected for the one QuickFIX would
//! name, so counterparties tested against QuickFIX see the same Reject:
//! structure first (header, body and trailer out of order), then an unknown
//! MsgType, then missing required fields (header, trailer, body, groups),
//! then per-field problems in the header, the trailer and the body, each in
//! ascending tag order. Beyond QuickFIX C++, fields inside repeating groups
//! are checked too (after the body), and a group entry that does not start
//! with its delimiter is RepeatingGroupFieldsOutOfOrder (373=15), ranked
//! with the structure errors as QuickFIX/J reports it while parsing.
//!
//! Switches carry QuickFIX's setting names: see [`ValidationOptions`].

use std::sync::Arc;

use super::dictionary::{Dictionary, FastPlan, FieldSet, GroupDef, MessageDef, Slot};
use super::field_type::Format;
use crate::fix::codec::value;
use crate::fix::codec::value::parse_int;
use crate::fix::codec::{DecodeError, DecodeErrorKind, Field, Message, Tag};
use crate::fix::tags;

/// Validation switches, named after QuickFIX's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidationOptions {
    /// `ValidateFieldsOutOfOrder`: header fields before body fields before
    /// trailer fields (default on).
    pub fields_out_of_order: bool,
    /// `ValidateFieldsHaveValues`: reject `tag=` with an empty value
    /// (default on).
    pub fields_have_values: bool,
    /// `ValidateUserDefinedFields`: check tags 5000 and above against the
    /// dictionary (default on).
    pub user_defined_fields: bool,
    /// `AllowUnknownMessageFields`: accept tags below 5000 that the
    /// dictionary does not define, or not for this message (default off).
    pub allow_unknown_message_fields: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            fields_out_of_order: true,
            fields_have_values: true,
            user_defined_fields: true,
            allow_unknown_message_fields: false,
        }
    }
}

/// Where a field sits in a message's structure, for display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPlacement {
    /// Repeating-group nesting depth: 0 outside groups.
    pub depth: usize,
    /// True when the field starts a repeating-group entry.
    pub starts_entry: bool,
}

/// Every problem in a message and where each field sits, for tools such as
/// `emp fix decode`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationReport {
    /// Problems, the one a session would reject for first.
    pub errors: Vec<DecodeError>,
    /// One entry per field, in wire order.
    pub placements: Vec<FieldPlacement>,
}

/// Validates decoded messages against a dictionary. Keeps scratch space
/// between messages, so validating allocates nothing.
///
/// ```
/// use gateway::fix::codec::{Decoder, DecoderConfig, SessionRejectReason};
/// use gateway::fix::dict::{ShippedDictionary, ValidationOptions, Validator};
///
/// let dict = ShippedDictionary::Fix44.load()?;
/// let mut decoder = Decoder::new(DecoderConfig { data_fields: dict.data_fields().clone(), ..Default::default() });
/// let mut validator = Validator::new(dict, ValidationOptions::default());
///
/// // A Heartbeat carrying Symbol (55), which Heartbeat does not define.
/// let wire = b"8=FIX.4.4\x019=57\x0135=0\x0134=2\x0149=TW\x0152=20230713-04:30:17.816\x0156=ISLD\x0155=MSFT\x0110=146\x01";
/// let message = decoder.decode(wire)?;
/// let error = validator.validate(&message).unwrap_err();
/// assert_eq!(error.reject_reason(), Some(SessionRejectReason::TagNotDefinedForMessageType));
/// assert_eq!(error.ref_tag_id(), Some(55));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Validator {
    dict: Arc<Dictionary>,
    begin_string: Option<Box<[u8]>>,
    options: ValidationOptions,
    /// Per field id, the scope (message section or group entry) in which it
    /// was last seen; a new scope is a new number, so nothing is cleared.
    stamps: Vec<u32>,
    epoch: u32,
    /// Tags outside the dictionary already seen, with their scope.
    unknown_seen: Vec<(Tag, u32)>,
    /// The fast path's scope per tag below [`FastPlan::TAG_LIMIT`].
    tag_stamps: Box<[u32; FastPlan::TAG_LIMIT]>,
    tag_epoch: u32,
    /// The last UTCTimestamp date found valid, for the fast path.
    last_date: u64,
}

/// Receives what a validation pass finds.
trait Sink {
    fn error(&mut self, priority: u64, error: DecodeError);
    fn placement(&mut self, index: usize, depth: usize, starts_entry: bool);
}

/// Keeps the error with the lowest priority: the one QuickFIX reports.
#[derive(Default)]
struct FirstError(Option<(u64, DecodeError)>);

impl Sink for FirstError {
    #[inline]
    fn error(&mut self, priority: u64, error: DecodeError) {
        if self.0.as_ref().is_none_or(|(best, _)| priority < *best) {
            self.0 = Some((priority, error));
        }
    }

    #[inline]
    fn placement(&mut self, _index: usize, _depth: usize, _starts_entry: bool) {}
}

struct Everything {
    errors: Vec<(u64, usize, DecodeError)>,
    placements: Vec<FieldPlacement>,
}

impl Sink for Everything {
    fn error(&mut self, priority: u64, error: DecodeError) {
        let sequence = self.errors.len();
        self.errors.push((priority, sequence, error));
    }

    fn placement(&mut self, index: usize, depth: usize, starts_entry: bool) {
        self.placements[index] = FieldPlacement {
            depth,
            starts_entry,
        };
    }
}

/// Error priorities: phase in the high bits, order within it below.
mod phase {
    pub(super) const STRUCTURE: u64 = 1;
    pub(super) const MSG_TYPE: u64 = 2;
    pub(super) const HEADER_REQUIRED: u64 = 3;
    pub(super) const TRAILER_REQUIRED: u64 = 4;
    pub(super) const BODY_REQUIRED: u64 = 5;
    pub(super) const GROUP_REQUIRED: u64 = 6;
    pub(super) const HEADER: u64 = 7;
    pub(super) const TRAILER: u64 = 8;
    pub(super) const BODY: u64 = 9;
    pub(super) const GROUP: u64 = 10;

    pub(super) const fn key(phase: u64, order: u64) -> u64 {
        (phase << 40) | order
    }
}

/// Which level of the message a field is checked at.
#[derive(Clone, Copy)]
enum Level<'d> {
    Header,
    Trailer,
    Body(Option<&'d MessageDef>),
    Group,
}

/// Header fields are ordered 8, 9, 35, then by tag, as QuickFIX orders them.
fn header_rank(tag: Tag) -> u64 {
    match tag {
        tags::BEGIN_STRING => 0,
        tags::BODY_LENGTH => 1,
        tags::MSG_TYPE => 2,
        _ => u64::from(tag) + 3,
    }
}

impl Validator {
    /// A validator for messages under `dict`.
    pub fn new(dict: Arc<Dictionary>, options: ValidationOptions) -> Self {
        let begin_string = dict
            .begin_string()
            .map(|text| text.into_bytes().into_boxed_slice());
        let stamps = vec![0; dict.field_count()];
        Self {
            dict,
            begin_string,
            options,
            stamps,
            epoch: 0,
            unknown_seen: Vec::new(),
            tag_stamps: Box::new([0; FastPlan::TAG_LIMIT]),
            tag_epoch: 0,
            last_date: u64::from_le_bytes(*b"19700101"),
        }
    }

    /// The dictionary messages are checked against.
    pub fn dictionary(&self) -> &Arc<Dictionary> {
        &self.dict
    }

    /// The switches in force.
    pub fn options(&self) -> ValidationOptions {
        self.options
    }

    /// Checks `message`; on failure returns the problem a FIX session
    /// rejects it for.
    #[inline]
    pub fn validate(&mut self, message: &Message<'_>) -> Result<(), DecodeError> {
        if self.is_plainly_valid(message) {
            return Ok(());
        }
        let mut first = FirstError::default();
        self.pass(message, &mut first);
        match first.0 {
            None => Ok(()),
            Some((_, error)) => Err(error),
        }
    }

    /// Every problem in `message`, most important first, and where each
    /// field sits in the group structure.
    pub fn report(&mut self, message: &Message<'_>) -> ValidationReport {
        let unplaced = FieldPlacement {
            depth: 0,
            starts_entry: false,
        };
        let mut all = Everything {
            errors: Vec::new(),
            placements: vec![unplaced; message.field_count()],
        };
        self.pass(message, &mut all);
        all.errors
            .sort_by_key(|(priority, sequence, _)| (*priority, *sequence));
        ValidationReport {
            errors: all.errors.into_iter().map(|(_, _, error)| error).collect(),
            placements: all.placements,
        }
    }

    /// The fast path: true when `message` is certainly valid.
    ///
    /// It handles the common case (known fields of tags below 2048, in
    /// order, no repeating groups) with one table load per field from the
    /// message type's [`FastPlan`]; anything else returns false, and the
    /// full pass then decides, naming the error QuickFIX would.
    fn is_plainly_valid(&mut self, message: &Message<'_>) -> bool {
        let dict = &*self.dict;
        if let Some(expected) = &self.begin_string
            && message.begin_string() != &expected[..]
        {
            return false;
        }
        let Some(plan) = dict
            .message(message.msg_type())
            .and_then(MessageDef::fast_plan)
        else {
            return false;
        };
        if self.tag_epoch == u32::MAX {
            self.tag_stamps.fill(0);
            self.tag_epoch = 0;
        }
        self.tag_epoch += 1;
        let scope = self.tag_epoch;
        let stamps = &mut *self.tag_stamps;
        let bytes = message.as_bytes();
        // Header, body, trailer: never decreasing. A tag outside the
        // message has section 0 and fails the test too.
        let mut section = FastPlan::HEADER;
        for &field in message.fields() {
            let tag = field.tag() as usize;
            if tag >= FastPlan::TAG_LIMIT {
                return false;
            }
            // In range: the mask only lets the compiler drop bounds checks.
            let tag = tag & (FastPlan::TAG_LIMIT - 1);
            let action = plan.actions[tag];
            let field_section = action & FastPlan::SECTION;
            if field_section < section {
                return false;
            }
            section = field_section;
            if std::mem::replace(&mut stamps[tag], scope) == scope {
                return false;
            }
            let Some(value) = bytes.get(field.value_range()) else {
                return false;
            };
            // Text and Char (most fields) are a length test without a
            // branch; other formats take one predictable branch to their
            // checker. (A `match` here compiles to an indirect jump the CPU
            // mispredicts from field to field.)
            let length = value.len();
            let well_formed = if action & FastPlan::COMPLEX == 0 {
                length != 0 && (action & FastPlan::CHAR == 0 || length == 1)
            } else {
                let format = FastPlan::format(action);
                if format == Format::UtcTimestamp {
                    value::is_utc_timestamp(value, &mut self.last_date)
                } else {
                    format.accepts(value)
                }
            };
            if !well_formed {
                return false;
            }
            if action & FastPlan::HAS_VALUES != 0 {
                // One-character enumerations: one bit test.
                let bits = plan.char_values[tag];
                let allowed = match value {
                    [byte] if bits != 0 => byte.is_ascii() && bits & (1 << byte) != 0,
                    _ => dict.value_allowed(dict.slot(field.tag()).info, value),
                };
                if !allowed {
                    return false;
                }
            }
        }
        plan.required
            .iter()
            .all(|&tag| stamps[usize::from(tag) & (FastPlan::TAG_LIMIT - 1)] == scope)
    }

    fn pass(&mut self, message: &Message<'_>, sink: &mut impl Sink) {
        if let Some(expected) = &self.begin_string
            && message.begin_string() != &expected[..]
        {
            let error = DecodeError::new(
                DecodeErrorKind::IncorrectBeginString,
                Some(tags::BEGIN_STRING),
                0,
            );
            sink.error(0, error);
            return;
        }
        self.unknown_seen.clear();
        let mut pass = Pass {
            dict: &self.dict,
            options: self.options,
            stamps: &mut self.stamps,
            epoch: &mut self.epoch,
            unknown_seen: &mut self.unknown_seen,
            message,
            fields: message.fields(),
        };
        pass.walk(sink);
    }
}

/// One validation pass over one message.
struct Pass<'v, 'm> {
    dict: &'v Dictionary,
    options: ValidationOptions,
    /// Per field id, the scope (message section or group entry) in which it
    /// was last seen; a new scope is a new number, so nothing is cleared.
    stamps: &'v mut [u32],
    epoch: &'v mut u32,
    unknown_seen: &'v mut Vec<(Tag, u32)>,
    message: &'m Message<'m>,
    fields: &'m [Field],
}

#[derive(PartialEq)]
enum Section {
    Header,
    Body,
    Trailer,
}

impl Pass<'_, '_> {
    fn next_epoch(&mut self) -> u32 {
        if *self.epoch == u32::MAX {
            self.stamps.fill(0);
            *self.epoch = 0;
        }
        *self.epoch += 1;
        *self.epoch
    }

    fn walk(&mut self, sink: &mut impl Sink) {
        let dict = self.dict;
        let fields = self.fields;
        let msg_def = dict.message(self.message.msg_type());
        if msg_def.is_none() {
            sink.error(
                phase::key(phase::MSG_TYPE, 0),
                DecodeError::new(
                    DecodeErrorKind::InvalidMsgType,
                    Some(tags::MSG_TYPE),
                    fields[2].offset(),
                ),
            );
        }
        let header_scope = self.next_epoch();
        let body_scope = self.next_epoch();
        let trailer_scope = self.next_epoch();

        let mut section = Section::Header;
        let mut index = 0;
        while index < fields.len() {
            let field = fields[index];
            let tag = field.tag();
            let slot = dict.slot(tag);
            sink.placement(index, 0, false);
            if slot.info.in_header() {
                if section != Section::Header {
                    self.out_of_order(index, field, sink);
                }
                let priority = phase::key(phase::HEADER, header_rank(tag));
                self.check_field(field, slot, header_scope, Level::Header, priority, sink);
                if slot.info.is_group_count()
                    && let Some(group) = dict.header().group(tag)
                {
                    index = self.group(index, group, 1, phase::HEADER, sink);
                    continue;
                }
            } else if slot.info.in_trailer() {
                section = Section::Trailer;
                let priority = phase::key(phase::TRAILER, u64::from(tag));
                self.check_field(field, slot, trailer_scope, Level::Trailer, priority, sink);
            } else {
                if section == Section::Trailer {
                    self.out_of_order(index, field, sink);
                }
                section = Section::Body;
                let priority = phase::key(phase::BODY, u64::from(tag));
                self.check_field(
                    field,
                    slot,
                    body_scope,
                    Level::Body(msg_def),
                    priority,
                    sink,
                );
                if slot.info.is_group_count()
                    && let Some(group) = msg_def.and_then(|def| def.body().group(tag))
                {
                    index = self.group(index, group, 1, phase::BODY, sink);
                    continue;
                }
            }
            index += 1;
        }

        let end = self.message.as_bytes().len();
        self.check_required(
            dict.header(),
            header_scope,
            phase::HEADER_REQUIRED,
            None,
            end,
            sink,
        );
        self.check_required(
            dict.trailer(),
            trailer_scope,
            phase::TRAILER_REQUIRED,
            None,
            end,
            sink,
        );
        if let Some(def) = msg_def {
            self.check_required(
                def.body(),
                body_scope,
                phase::BODY_REQUIRED,
                None,
                end,
                sink,
            );
        }
    }

    fn out_of_order(&self, index: usize, field: Field, sink: &mut impl Sink) {
        if self.options.fields_out_of_order {
            sink.error(
                phase::key(phase::STRUCTURE, index as u64),
                DecodeError::new(
                    DecodeErrorKind::TagSpecifiedOutOfRequiredOrder,
                    Some(field.tag()),
                    field.offset(),
                ),
            );
        }
    }

    /// Walks the entries of the group whose NumInGroup field is at `count`;
    /// returns the index of the first field after the group.
    fn group(
        &mut self,
        count: usize,
        group: &GroupDef,
        depth: usize,
        parent_phase: u64,
        sink: &mut impl Sink,
    ) -> usize {
        let dict = self.dict;
        let fields = self.fields;
        let entry = group.entry();
        let mut index = count + 1;
        let mut entries = 0usize;
        let mut scope: Option<(u32, usize)> = None;
        while index < fields.len() {
            let field = fields[index];
            let tag = field.tag();
            let slot = dict.slot(tag);
            if slot.info.is_unknown() || !entry.members.contains(slot.id) {
                break;
            }
            let (id, info) = (slot.id, slot.info);
            let repeats = scope.is_none_or(|(current, _)| self.stamps[id as usize] == current);
            let starts_entry = tag == group.delimiter() || repeats;
            if starts_entry {
                self.end_entry(entry, scope, sink);
                if tag != group.delimiter() {
                    // A structural error, as QuickFIX/J reports it while parsing.
                    sink.error(
                        phase::key(phase::STRUCTURE, index as u64),
                        DecodeError::new(
                            DecodeErrorKind::RepeatingGroupFieldsOutOfOrder,
                            Some(tag),
                            field.offset(),
                        ),
                    );
                }
                entries += 1;
                scope = Some((self.next_epoch(), index));
            }
            sink.placement(index, depth, starts_entry);
            let current = scope.map_or(0, |(current, _)| current);
            let priority = phase::key(phase::GROUP, index as u64);
            self.check_field(field, slot, current, Level::Group, priority, sink);
            index += 1;
            if info.is_group_count()
                && let Some(nested) = entry.group(tag)
            {
                index = self.group(index - 1, nested, depth + 1, phase::GROUP, sink);
            }
        }
        self.end_entry(entry, scope, sink);
        self.check_count(fields[count], entries, parent_phase, count, sink);
        index
    }

    /// At the end of a group entry (scope and first field index), its
    /// required fields must have been seen.
    fn end_entry(&self, entry: &FieldSet, scope: Option<(u32, usize)>, sink: &mut impl Sink) {
        if let Some((current, start)) = scope {
            let offset = self.fields[start].offset();
            self.check_required(
                entry,
                current,
                phase::GROUP_REQUIRED,
                Some(start),
                offset,
                sink,
            );
        }
    }

    /// NumInGroup must equal the entries found.
    fn check_count(
        &self,
        count_field: Field,
        entries: usize,
        parent_phase: u64,
        count_index: usize,
        sink: &mut impl Sink,
    ) {
        let Some(declared) = parse_int(self.message.value(count_field)) else {
            // Already reported as a data-format problem.
            return;
        };
        if usize::try_from(declared).ok() != Some(entries) {
            let order = if parent_phase == phase::GROUP {
                count_index as u64
            } else if parent_phase == phase::HEADER {
                header_rank(count_field.tag())
            } else {
                u64::from(count_field.tag())
            };
            sink.error(
                phase::key(parent_phase, order),
                DecodeError::new(
                    DecodeErrorKind::IncorrectNumInGroupCount {
                        declared,
                        actual: entries,
                    },
                    Some(count_field.tag()),
                    count_field.offset(),
                ),
            );
        }
    }

    fn check_required(
        &self,
        set: &FieldSet,
        scope: u32,
        required_phase: u64,
        entry_start: Option<usize>,
        offset: usize,
        sink: &mut impl Sink,
    ) {
        for &(tag, id) in &set.required {
            if self.stamps[id as usize] != scope {
                let order = entry_start.map_or(u64::from(tag), |start| start as u64);
                sink.error(
                    phase::key(required_phase, order),
                    DecodeError::new(DecodeErrorKind::RequiredTagMissing, Some(tag), offset),
                );
            }
        }
    }

    /// The per-field checks, in QuickFIX's order; stops at the first problem.
    #[inline(always)]
    fn check_field(
        &mut self,
        field: Field,
        slot: Slot,
        scope: u32,
        level: Level<'_>,
        priority: u64,
        sink: &mut impl Sink,
    ) {
        let tag = field.tag();
        let info = slot.info;
        let error = |kind| DecodeError::new(kind, Some(tag), field.offset());
        let repeated = if info.is_unknown() {
            self.unknown_repeated(tag, scope)
        } else {
            std::mem::replace(&mut self.stamps[slot.id as usize], scope) == scope
        };
        if repeated {
            return sink.error(priority, error(DecodeErrorKind::TagAppearsMoreThanOnce));
        }
        let value = self.message.value(field);
        if value.is_empty() && self.options.fields_have_values {
            return sink.error(priority, error(DecodeErrorKind::TagSpecifiedWithoutValue));
        }
        if !info.format.accepts(value) {
            return sink.error(priority, error(DecodeErrorKind::IncorrectDataFormat));
        }
        // MsgType is checked against the messages, not the enumeration.
        if tag != tags::MSG_TYPE && !self.dict.value_allowed(info, value) {
            return sink.error(priority, error(DecodeErrorKind::ValueIsIncorrect));
        }
        let not_in_body = match level {
            Level::Body(Some(def)) => !info.is_unknown() && !def.body().members.contains(slot.id),
            _ => false,
        };
        if (info.is_unknown() || not_in_body) && self.checks_tag(tag) {
            if info.is_unknown() {
                return self.invalid_tag(field, priority, sink);
            }
            sink.error(
                priority,
                error(DecodeErrorKind::TagNotDefinedForMessageType),
            );
        }
    }

    /// Whether tag-number and tag-in-message checks apply to `tag`
    /// (AllowUnknownMessageFields, ValidateUserDefinedFields).
    fn checks_tag(&self, tag: Tag) -> bool {
        if tag < tags::USER_DEFINED_MIN {
            !self.options.allow_unknown_message_fields
        } else {
            self.options.user_defined_fields
        }
    }

    #[cold]
    fn unknown_repeated(&mut self, tag: Tag, scope: u32) -> bool {
        let seen = self.unknown_seen.contains(&(tag, scope));
        if !seen {
            self.unknown_seen.push((tag, scope));
        }
        seen
    }

    /// Reports a tag outside the dictionary as written: zero and negative
    /// tags are stored as 0.
    #[cold]
    fn invalid_tag(&self, field: Field, priority: u64, sink: &mut impl Sink) {
        let tag = field.tag();
        let number = std::str::from_utf8(&self.message.as_bytes()[field.tag_range()])
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or(i64::from(tag));
        let kind = DecodeErrorKind::InvalidTagNumber { number };
        sink.error(
            priority,
            DecodeError::new(kind, (tag > 0).then_some(tag), field.offset()),
        );
    }
}
