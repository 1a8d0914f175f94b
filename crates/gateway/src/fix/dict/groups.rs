//! Reading repeating groups from a decoded message.
//!
//! The wire carries no group boundaries: an entry starts at the group's
//! delimiter (or at a field already seen in the current entry) and the
//! group ends at the first field that is not one of its members. This is the
//! rule the validator applies, so a message that validates reads the same
//! way here.

use super::dictionary::GroupDef;
use crate::fix::codec::{FieldRef, Message, Tag};

impl<'m> Message<'m> {
    /// The entries of a top-level repeating group, or `None` when its
    /// NumInGroup field is absent.
    ///
    /// ```
    /// use gateway::fix::codec::Decoder;
    /// use gateway::fix::dict::ShippedDictionary;
    ///
    /// let dict = ShippedDictionary::Fix44.load()?;
    /// let wire = b"8=FIX.4.4\x019=139\x0135=W\x0134=2\x0149=CSERVER\x0150=QUOTE\x0152=20170117-10:26:54.630\x0156=live.theBroker.12345\x0157=any_string\x0155=1\x01268=2\x01269=0\x01270=1.06625\x01269=1\x01270=1.0663\x0110=089\x01";
    /// let mut decoder = Decoder::default();
    /// let message = decoder.decode(wire)?;
    /// let entries = dict.message(b"W").unwrap().body().group(268).unwrap();
    /// let prices: Vec<&[u8]> = message
    ///     .group(entries)
    ///     .unwrap()
    ///     .map(|entry| entry.get(270).unwrap().value())
    ///     .collect();
    /// assert_eq!(prices, [&b"1.06625"[..], b"1.0663"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn group<'d>(&self, def: &'d GroupDef) -> Option<GroupEntries<'m, 'd>> {
        let fields = self.fields();
        let count = fields
            .iter()
            .position(|field| field.tag() == def.count_tag())?;
        Some(GroupEntries::new(*self, def, count + 1, fields.len()))
    }
}

/// Iterator over the entries of one repeating group.
#[derive(Clone, Debug)]
pub struct GroupEntries<'m, 'd> {
    message: Message<'m>,
    def: &'d GroupDef,
    next: usize,
    limit: usize,
    seen: Vec<Tag>,
}

impl<'m, 'd> GroupEntries<'m, 'd> {
    fn new(message: Message<'m>, def: &'d GroupDef, next: usize, limit: usize) -> Self {
        Self {
            message,
            def,
            next,
            limit,
            seen: Vec::new(),
        }
    }

    /// Index of the first field after the group (once fully iterated).
    fn skip_to_end(mut self) -> usize {
        while self.next().is_some() {}
        self.next
    }
}

impl<'m, 'd> Iterator for GroupEntries<'m, 'd> {
    type Item = GroupEntry<'m, 'd>;

    fn next(&mut self) -> Option<Self::Item> {
        let fields = self.message.fields();
        let entry = self.def.entry();
        let start = self.next;
        if start >= self.limit || !entry.contains(fields[start].tag()) {
            return None;
        }
        self.seen.clear();
        let mut index = start;
        while index < self.limit {
            let tag = fields[index].tag();
            let belongs = entry.contains(tag);
            let new_entry =
                index > start && (tag == self.def.delimiter() || self.seen.contains(&tag));
            if !belongs || new_entry {
                break;
            }
            self.seen.push(tag);
            index += 1;
            if let Some(nested) = entry.group(tag) {
                index = GroupEntries::new(self.message, nested, index, self.limit).skip_to_end();
            }
        }
        self.next = index;
        Some(GroupEntry {
            message: self.message,
            def: self.def,
            start,
            end: index,
        })
    }
}

/// One entry of a repeating group: a run of fields, nested groups included.
#[derive(Clone, Copy, Debug)]
pub struct GroupEntry<'m, 'd> {
    message: Message<'m>,
    def: &'d GroupDef,
    start: usize,
    end: usize,
}

impl<'m, 'd> GroupEntry<'m, 'd> {
    /// Every field of the entry in wire order, nested groups' fields included.
    pub fn fields(&self) -> impl Iterator<Item = FieldRef<'m>> + '_ {
        (self.start..self.end).filter_map(|index| self.message.field_at(index))
    }

    /// A field of this entry (not of a nested group inside it).
    pub fn get(&self, tag: Tag) -> Option<FieldRef<'m>> {
        let fields = self.message.fields();
        let mut index = self.start;
        while index < self.end {
            let field_tag = fields[index].tag();
            if field_tag == tag {
                return self.message.field_at(index);
            }
            index += 1;
            if let Some(nested) = self.def.entry().group(field_tag) {
                index = GroupEntries::new(self.message, nested, index, self.end).skip_to_end();
            }
        }
        None
    }

    /// The entries of a group nested in this entry.
    pub fn group(&self, count_tag: Tag) -> Option<GroupEntries<'m, 'd>> {
        let nested = self.def.entry().group(count_tag)?;
        let fields = self.message.fields();
        let count = (self.start..self.end).find(|&index| fields[index].tag() == count_tag)?;
        Some(GroupEntries::new(self.message, nested, count + 1, self.end))
    }
}
