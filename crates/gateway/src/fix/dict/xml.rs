//! Loading QuickFIX-format XML dictionaries.
//!
//! The format: `<fix type major minor servicepack>` holding `<header>`,
//! `<trailer>`, `<messages>`, `<components>` and `<fields>`. Messages,
//! components and groups list `<field>`, `<group>` and `<component>`
//! elements with `required="Y|N"`. A field inside a component or group is
//! required when it and every enclosing component say so; inside a group
//! entry, required means required in every entry.
//!
//! Errors name the file, the line and column, what is wrong and what to do.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use roxmltree::{Document, Node, NodeId};

use super::dictionary::{
    Dictionary, DictionaryVersion, EnumValue, FastPlan, FieldBits, FieldDef, FieldId, FieldInfo,
    FieldSet, GroupDef, MessageDef, MessageIndex, MsgCategory, Slots, ValueSet,
};
use super::field_type::FieldType;
use crate::fix::codec::{DataFields, Tag};
use crate::fix::tags;

/// Why a dictionary could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DictionaryError {
    /// The file (or name) the dictionary came from.
    pub source_name: String,
    /// 1-based line, 0 when the problem is not at one place.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl fmt::Display for DictionaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.source_name, self.line, self.column, self.problem
            )
        } else {
            write!(f, "{}: {}", self.source_name, self.problem)
        }
    }
}

impl std::error::Error for DictionaryError {}

impl Dictionary {
    /// Loads a QuickFIX-format dictionary. `source_name` (usually the file
    /// name) appears in error messages.
    ///
    /// ```
    /// use gateway::fix::dict::Dictionary;
    ///
    /// let xml = r#"<fix type="FIX" major="4" minor="4">
    ///   <header><field name="BeginString" required="Y"/></header>
    ///   <trailer><field name="CheckSum" required="Y"/></trailer>
    ///   <messages><message name="Heartbeat" msgtype="0" msgcat="admin"/></messages>
    ///   <components/>
    ///   <fields>
    ///     <field number="8" name="BeginString" type="STRING"/>
    ///     <field number="10" name="CheckSum" type="STRING"/>
    ///     <field number="35" name="MsgType" type="STRING"/>
    ///   </fields>
    /// </fix>"#;
    /// let dict = Dictionary::from_xml(xml, "tiny.xml")?;
    /// assert_eq!(dict.begin_string().as_deref(), Some("FIX.4.4"));
    /// assert_eq!(dict.message(b"0").unwrap().name(), "Heartbeat");
    ///
    /// let broken = xml.replace(r#"name="CheckSum" required"#, r#"name="Checksum" required"#);
    /// let error = Dictionary::from_xml(&broken, "tiny.xml").unwrap_err();
    /// assert_eq!(error.line, 3);
    /// assert!(error.to_string().contains("did you mean \"CheckSum\""));
    /// # Ok::<(), gateway::fix::dict::DictionaryError>(())
    /// ```
    pub fn from_xml(text: &str, source_name: &str) -> Result<Self, DictionaryError> {
        Builder::load(&[(text, source_name)])
    }

    /// Loads a dictionary file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, DictionaryError> {
        let path = path.as_ref();
        let text = read(path)?;
        Self::from_xml(&text, &path.display().to_string())
    }

    /// Combines a FIXT transport dictionary (header, trailer, session
    /// messages) with a FIX 5.x application dictionary, as a FIXT session
    /// validates with both.
    pub fn from_fixt_xml(
        transport: &str,
        transport_name: &str,
        application: &str,
        application_name: &str,
    ) -> Result<Self, DictionaryError> {
        Builder::load(&[(transport, transport_name), (application, application_name)])
    }

    /// [`Dictionary::from_fixt_xml`] from files.
    pub fn from_fixt_files(
        transport: impl AsRef<Path>,
        application: impl AsRef<Path>,
    ) -> Result<Self, DictionaryError> {
        let (transport, application) = (transport.as_ref(), application.as_ref());
        Self::from_fixt_xml(
            &read(transport)?,
            &transport.display().to_string(),
            &read(application)?,
            &application.display().to_string(),
        )
    }
}

fn read(path: &Path) -> Result<String, DictionaryError> {
    std::fs::read_to_string(path).map_err(|error| DictionaryError {
        source_name: path.display().to_string(),
        line: 0,
        column: 0,
        problem: format!("cannot read the dictionary file: {error}"),
    })
}

/// One parsed XML document and its named components.
struct Source<'a, 'input> {
    name: &'a str,
    doc: &'a Document<'input>,
    version: DictionaryVersion,
    components: HashMap<&'a str, Node<'a, 'input>>,
}

impl Source<'_, '_> {
    fn error(&self, node: Node<'_, '_>, problem: impl Into<String>) -> DictionaryError {
        let pos = self.doc.text_pos_at(node.range().start);
        DictionaryError {
            source_name: self.name.to_owned(),
            line: pos.row,
            column: pos.col,
            problem: problem.into(),
        }
    }
}

/// Fields of one message level while it is being expanded.
struct SetBuilder {
    bits: FieldBits,
    required: Vec<(Tag, FieldId)>,
    groups: Vec<(Tag, Arc<GroupDef>)>,
    order: Vec<Tag>,
}

impl SetBuilder {
    fn new(field_count: usize) -> Self {
        Self {
            bits: FieldBits::new(field_count),
            required: Vec::new(),
            groups: Vec::new(),
            order: Vec::new(),
        }
    }

    fn add(&mut self, tag: Tag, id: FieldId, required: bool) {
        if !self.bits.contains(id) {
            self.bits.insert(id);
            self.order.push(tag);
        }
        if required && !self.required.iter().any(|&(t, _)| t == tag) {
            self.required.push((tag, id));
        }
    }

    fn finish(mut self) -> FieldSet {
        self.required.sort_unstable();
        self.groups.sort_unstable_by_key(|(tag, _)| *tag);
        self.groups.dedup_by_key(|(tag, _)| *tag);
        let mut sorted = self.order.clone();
        sorted.sort_unstable();
        FieldSet {
            members: self.bits,
            required: self.required,
            groups: self.groups,
            order: self.order,
            sorted,
        }
    }
}

/// Where an element list is being expanded, for error messages.
#[derive(Clone, Copy)]
struct Context<'c> {
    what: &'c str,
}

struct Builder<'a, 'input> {
    sources: Vec<Source<'a, 'input>>,
    fields: Vec<FieldDef>,
    /// Tag → field id while loading.
    tag_index: HashMap<Tag, FieldId>,
    names: HashMap<String, FieldId>,
    groups: HashMap<(usize, NodeId), Arc<GroupDef>>,
    /// NumInGroup tags of every group, wherever it appears.
    group_counts: HashSet<Tag>,
    warnings: Vec<String>,
}

impl Builder<'_, '_> {
    fn load(inputs: &[(&str, &str)]) -> Result<Dictionary, DictionaryError> {
        let mut docs = Vec::with_capacity(inputs.len());
        for &(text, name) in inputs {
            let doc = Document::parse(text).map_err(|error| {
                let pos = error.pos();
                DictionaryError {
                    source_name: name.to_owned(),
                    line: pos.row,
                    column: pos.col,
                    problem: format!("not well-formed XML: {error}"),
                }
            })?;
            docs.push((doc, name));
        }
        Builder::build(&docs)
    }
}

impl<'a, 'input> Builder<'a, 'input> {
    fn build(docs: &'a [(Document<'input>, &'a str)]) -> Result<Dictionary, DictionaryError> {
        let mut sources = Vec::with_capacity(docs.len());
        for (doc, name) in docs {
            sources.push(Self::source(doc, name)?);
        }
        let mut builder = Builder {
            sources,
            fields: Vec::new(),
            tag_index: HashMap::new(),
            names: HashMap::new(),
            groups: HashMap::new(),
            group_counts: HashSet::new(),
            warnings: Vec::new(),
        };
        for index in 0..builder.sources.len() {
            builder.read_fields(index)?;
        }
        let (header, trailer) = builder.header_and_trailer()?;
        let mut messages = Vec::new();
        let mut message_index = MessageIndex::default();
        for index in 0..builder.sources.len() {
            for message in builder.read_messages(index)? {
                if message_index.insert(message.msg_type.as_bytes(), messages.len()) {
                    messages.push(message);
                } else {
                    builder.warnings.push(format!(
                        "{}: message {} ({}) is also defined in an earlier dictionary, whose definition is used",
                        builder.sources[index].name, message.msg_type, message.name
                    ));
                }
            }
        }
        let char_is_single = {
            let version = &builder.sources[0].version;
            version.kind == "FIXT" || (version.major, version.minor) >= (4, 2)
        };
        let mut value_sets = Vec::new();
        let mut info = Vec::with_capacity(builder.fields.len());
        for (id, field) in builder.fields.iter().enumerate() {
            let id = id as FieldId;
            let mut values = FieldInfo::NO_VALUES;
            if !field.values.is_empty()
                && let Ok(index) = u16::try_from(value_sets.len())
                && index != FieldInfo::NO_VALUES
            {
                let mut set = ValueSet::default();
                for value in &field.values {
                    set.insert(value.value.as_bytes());
                }
                value_sets.push(set);
                values = index;
            }
            let mut field_info = FieldInfo::new(field.field_type.format(char_is_single), values);
            field_info.set(
                header.members.contains(id) || tags::STANDARD_HEADER.contains(&field.tag),
                trailer.members.contains(id) || tags::STANDARD_TRAILER.contains(&field.tag),
                builder.group_counts.contains(&field.tag),
                field.field_type.is_multiple_value(),
            );
            info.push(field_info);
        }
        let slots = Slots::new(&builder.fields, &info);
        let char_values = FastPlan::char_values(&builder.fields);
        for message in &mut messages {
            message.fast = FastPlan::build(&header, &trailer, &message.body, &slots, &char_values);
        }
        let data_fields = builder.data_fields();
        let version = builder.sources[0].version.clone();
        let app_version = builder.sources.get(1).map(|source| source.version.clone());
        Ok(Dictionary {
            version,
            app_version,
            slots,
            fields: builder.fields,
            value_sets,
            names: builder.names,
            header,
            trailer,
            messages,
            message_index,
            data_fields,
            warnings: builder.warnings,
        })
    }

    fn source(
        doc: &'a Document<'input>,
        name: &'a str,
    ) -> Result<Source<'a, 'input>, DictionaryError> {
        let root = doc.root_element();
        let partial = Source {
            name,
            doc,
            version: DictionaryVersion {
                kind: String::new(),
                major: 0,
                minor: 0,
                service_pack: 0,
            },
            components: HashMap::new(),
        };
        if root.tag_name().name() != "fix" {
            return Err(partial.error(
                root,
                format!(
                    "the root element is <{}>; a QuickFIX dictionary starts with <fix type=\"FIX\" major=\"4\" minor=\"4\">",
                    root.tag_name().name()
                ),
            ));
        }
        let kind = root.attribute("type").unwrap_or("FIX");
        if kind != "FIX" && kind != "FIXT" {
            return Err(partial.error(
                root,
                format!("<fix type=\"{kind}\">: type must be FIX or FIXT"),
            ));
        }
        let number = |attribute: &str, default: Option<u32>| -> Result<u32, DictionaryError> {
            match root.attribute(attribute) {
                Some(text) => text.trim().parse().map_err(|_| {
                    partial.error(
                        root,
                        format!("<fix {attribute}=\"{text}\">: {attribute} must be a number"),
                    )
                }),
                None => default.ok_or_else(|| {
                    partial.error(
                        root,
                        format!("<fix> has no {attribute} attribute; add {attribute}=\"…\""),
                    )
                }),
            }
        };
        let version = DictionaryVersion {
            kind: kind.to_owned(),
            major: number("major", None)?,
            minor: number("minor", None)?,
            service_pack: number("servicepack", Some(0))?,
        };
        let mut components = HashMap::new();
        if let Some(section) = child(root, "components") {
            for component in elements(section).filter(|n| n.has_tag_name("component")) {
                let Some(component_name) = component.attribute("name") else {
                    return Err(partial.error(component, "<component> has no name attribute"));
                };
                if components.insert(component_name, component).is_some() {
                    return Err(partial.error(
                        component,
                        format!(
                            "component \"{component_name}\" is defined twice; rename or remove one"
                        ),
                    ));
                }
            }
        }
        Ok(Source {
            version,
            components,
            ..partial
        })
    }

    fn read_fields(&mut self, index: usize) -> Result<(), DictionaryError> {
        let root = self.sources[index].doc.root_element();
        let Some(section) = child(root, "fields") else {
            return Err(self.sources[index].error(
                root,
                "no <fields> section; every dictionary defines its fields there",
            ));
        };
        let mut seen_here: HashMap<Tag, Node<'_, '_>> = HashMap::new();
        for node in elements(section) {
            let source = &self.sources[index];
            if !node.has_tag_name("field") {
                self.warnings.push(format!(
                    "{}: <{}> in <fields> ignored",
                    source.name,
                    node.tag_name().name()
                ));
                continue;
            }
            let name = node
                .attribute("name")
                .filter(|name| !name.is_empty())
                .ok_or_else(|| source.error(node, "<field> has no name attribute"))?;
            let number = node.attribute("number").unwrap_or("");
            let tag: Tag = number.trim().parse().ok().filter(|&tag| tag > 0).ok_or_else(|| {
                source.error(
                    node,
                    format!("field {name} has number=\"{number}\"; a tag number is a positive integer"),
                )
            })?;
            if let Some(first) = seen_here.insert(tag, node) {
                let line = source.doc.text_pos_at(first.range().start).row;
                return Err(source.error(
                    node,
                    format!(
                        "tag {tag} is defined twice (first at line {line}); remove one definition"
                    ),
                ));
            }
            let type_name = node.attribute("type").unwrap_or("");
            let field_type = match FieldType::from_xml_name(type_name) {
                Some(field_type) => field_type,
                None => {
                    let pos = source.doc.text_pos_at(node.range().start);
                    self.warnings.push(format!(
                        "{}:{}: field {name} ({tag}) has unknown type \"{type_name}\"; validated as STRING{}",
                        source.name,
                        pos.row,
                        suggestion(type_name, FieldType::xml_names())
                    ));
                    FieldType::String
                }
            };
            let mut values = Vec::new();
            for value in elements(node).filter(|n| n.has_tag_name("value")) {
                let Some(text) = value.attribute("enum") else {
                    return Err(source.error(
                        value,
                        format!("<value> of field {name} has no enum attribute"),
                    ));
                };
                values.push(EnumValue {
                    value: text.to_owned(),
                    description: value.attribute("description").unwrap_or("").to_owned(),
                });
            }
            self.add_field(index, node, tag, name, field_type, values)?;
        }
        Ok(())
    }

    fn add_field(
        &mut self,
        index: usize,
        node: Node<'_, '_>,
        tag: Tag,
        name: &str,
        field_type: FieldType,
        values: Vec<EnumValue>,
    ) -> Result<(), DictionaryError> {
        let source = &self.sources[index];
        if let Some(&id) = self.tag_index.get(&tag) {
            // The same tag in a second document (FIXT + FIX 5.x): merge.
            let existing = &mut self.fields[id as usize];
            let same_kind = existing.field_type == field_type
                || (existing.field_type.is_data() && field_type.is_data());
            if existing.name != name || !same_kind {
                self.warnings.push(format!(
                    "{}: tag {tag} is {name} ({field_type}) here but {} ({}) in an earlier dictionary; the earlier definition is used",
                    source.name, existing.name, existing.field_type
                ));
            }
            for value in values {
                if !existing.values.iter().any(|v| v.value == value.value) {
                    existing.values.push(value);
                }
            }
            return Ok(());
        }
        if let Some(&other) = self.names.get(name) {
            return Err(source.error(
                node,
                format!(
                    "field name {name} is used for tag {tag} and tag {}; names must be unique",
                    self.fields[other as usize].tag
                ),
            ));
        }
        let id = FieldId::try_from(self.fields.len())
            .map_err(|_| source.error(node, "more fields than a dictionary can hold"))?;
        self.tag_index.insert(tag, id);
        self.names.insert(name.to_owned(), id);
        self.fields.push(FieldDef {
            tag,
            name: name.to_owned(),
            field_type,
            values,
        });
        Ok(())
    }

    /// Header and trailer come from the first document that has entries in
    /// them: the transport dictionary for FIXT.
    fn header_and_trailer(&mut self) -> Result<(FieldSet, FieldSet), DictionaryError> {
        let mut sets = Vec::new();
        for section in ["header", "trailer"] {
            let mut set = SetBuilder::new(self.fields.len());
            for index in 0..self.sources.len() {
                let root = self.sources[index].doc.root_element();
                if let Some(node) = child(root, section)
                    && elements(node).next().is_some()
                {
                    let context = Context {
                        what: if section == "header" {
                            "the header"
                        } else {
                            "the trailer"
                        },
                    };
                    self.expand(index, node, &mut set, true, context, &mut Vec::new())?;
                    break;
                }
            }
            sets.push(set.finish());
        }
        let trailer = sets.pop().unwrap_or_else(|| SetBuilder::new(0).finish());
        let header = sets.pop().unwrap_or_else(|| SetBuilder::new(0).finish());
        Ok((header, trailer))
    }

    fn read_messages(&mut self, index: usize) -> Result<Vec<MessageDef>, DictionaryError> {
        let root = self.sources[index].doc.root_element();
        let Some(section) = child(root, "messages") else {
            return Err(self.sources[index].error(root, "no <messages> section"));
        };
        let mut messages = Vec::new();
        let mut seen = HashMap::new();
        for node in elements(section).filter(|n| n.has_tag_name("message")) {
            let source = &self.sources[index];
            let msg_type = node
                .attribute("msgtype")
                .filter(|t| !t.is_empty())
                .ok_or_else(|| source.error(node, "<message> has no msgtype attribute"))?;
            let name = node.attribute("name").unwrap_or(msg_type);
            if seen.insert(msg_type, name).is_some() {
                return Err(source.error(
                    node,
                    format!("msgtype \"{msg_type}\" ({name}) is defined twice; remove one"),
                ));
            }
            let category = match node.attribute("msgcat") {
                Some("admin") => MsgCategory::Admin,
                Some("app") | None => MsgCategory::App,
                Some(other) => {
                    return Err(source.error(
                        node,
                        format!("message {name} has msgcat=\"{other}\"; use \"admin\" or \"app\""),
                    ));
                }
            };
            let what = format!("message {name} ({msg_type})");
            let mut body = SetBuilder::new(self.fields.len());
            self.expand(
                index,
                node,
                &mut body,
                true,
                Context { what: &what },
                &mut Vec::new(),
            )?;
            messages.push(MessageDef {
                msg_type: msg_type.to_owned(),
                name: name.to_owned(),
                category,
                body: body.finish(),
                fast: None,
            });
        }
        Ok(messages)
    }

    /// Adds the `<field>`, `<group>` and `<component>` children of `parent`
    /// to `set`. Returns the first field's tag (a group's delimiter).
    fn expand(
        &mut self,
        index: usize,
        parent: Node<'a, 'input>,
        set: &mut SetBuilder,
        required: bool,
        context: Context<'_>,
        components: &mut Vec<&'a str>,
    ) -> Result<Option<Tag>, DictionaryError> {
        let mut first = None;
        for node in elements(parent) {
            let item_required = required && self.required_attribute(index, node)?;
            match node.tag_name().name() {
                "field" => {
                    let (tag, id) = self.field_ref(index, node, context)?;
                    set.add(tag, id, item_required);
                    first.get_or_insert(tag);
                }
                "group" => {
                    let (tag, id) = self.field_ref(index, node, context)?;
                    let group = self.group(index, node, tag, context, components)?;
                    set.add(tag, id, item_required);
                    set.groups.push((tag, group));
                    self.group_counts.insert(tag);
                    first.get_or_insert(tag);
                }
                "component" => {
                    let source = &self.sources[index];
                    let name = node.attribute("name").ok_or_else(|| {
                        source.error(node, "<component> reference has no name attribute")
                    })?;
                    let Some(&definition) = source.components.get(name) else {
                        return Err(source.error(
                            node,
                            format!(
                                "component {name} (in {}) is not defined in <components>{}",
                                context.what,
                                suggestion(name, source.components.keys().copied())
                            ),
                        ));
                    };
                    if components.contains(&name) {
                        return Err(source.error(
                            node,
                            format!(
                                "component {name} includes itself ({} → {name}); break the cycle",
                                components.join(" → ")
                            ),
                        ));
                    }
                    components.push(name);
                    let component_first =
                        self.expand(index, definition, set, item_required, context, components)?;
                    components.pop();
                    if first.is_none() {
                        first = component_first;
                    }
                }
                _ => {}
            }
        }
        Ok(first)
    }

    fn required_attribute(
        &self,
        index: usize,
        node: Node<'_, '_>,
    ) -> Result<bool, DictionaryError> {
        match node.attribute("required") {
            None | Some("N" | "n") => Ok(false),
            Some("Y" | "y") => Ok(true),
            Some(other) => Err(self.sources[index].error(
                node,
                format!("required=\"{other}\"; use required=\"Y\" or required=\"N\""),
            )),
        }
    }

    /// Resolves a `<field name>` or `<group name>` reference.
    fn field_ref(
        &self,
        index: usize,
        node: Node<'_, '_>,
        context: Context<'_>,
    ) -> Result<(Tag, FieldId), DictionaryError> {
        let source = &self.sources[index];
        let element = node.tag_name().name();
        let name = node.attribute("name").ok_or_else(|| {
            source.error(
                node,
                format!("<{element}> in {} has no name attribute", context.what),
            )
        })?;
        match self.names.get(name) {
            Some(&id) => Ok((self.fields[id as usize].tag, id)),
            None => Err(source.error(
                node,
                format!(
                    "<{element} name=\"{name}\"> in {} is not defined in <fields>; define it there or fix the name{}",
                    context.what,
                    suggestion(name, self.names.keys().map(String::as_str))
                ),
            )),
        }
    }

    fn group(
        &mut self,
        index: usize,
        node: Node<'a, 'input>,
        count_tag: Tag,
        context: Context<'_>,
        components: &mut Vec<&'a str>,
    ) -> Result<Arc<GroupDef>, DictionaryError> {
        let key = (index, node.id());
        if let Some(group) = self.groups.get(&key) {
            return Ok(group.clone());
        }
        let name = node.attribute("name").unwrap_or("").to_owned();
        let what = format!("group {name} in {}", context.what);
        let mut entry = SetBuilder::new(self.fields.len());
        let delimiter = self
            .expand(
                index,
                node,
                &mut entry,
                true,
                Context { what: &what },
                components,
            )?
            .ok_or_else(|| {
                self.sources[index].error(
                    node,
                    format!("{what} has no fields; a group needs at least its delimiter"),
                )
            })?;
        let group = Arc::new(GroupDef {
            name,
            count_tag,
            delimiter,
            entry: entry.finish(),
        });
        self.groups.insert(key, group.clone());
        Ok(group)
    }

    /// Pairs each DATA field with its length field: `<Name>Len` or
    /// `<Name>Length` when defined, else the tag before it; Signature (89)
    /// takes SignatureLength (93).
    fn data_fields(&mut self) -> DataFields {
        let mut pairs = Vec::new();
        for field in self
            .fields
            .iter()
            .filter(|field| field.field_type.is_data())
        {
            let is_length =
                |id: &FieldId| self.fields[*id as usize].field_type == FieldType::Length;
            let by_name = [
                format!("{}Len", field.name),
                format!("{}Length", field.name),
            ]
            .iter()
            .find_map(|candidate| {
                self.names
                    .get(candidate)
                    .filter(|id| is_length(id))
                    .copied()
            });
            let length = if field.tag == tags::SIGNATURE {
                Some(tags::SIGNATURE_LENGTH)
            } else if let Some(id) = by_name {
                Some(self.fields[id as usize].tag)
            } else {
                self.tag_index
                    .get(&(field.tag - 1))
                    .filter(|id| is_length(id))
                    .map(|_| field.tag - 1)
            };
            match length {
                Some(length) => pairs.push((field.tag, length)),
                None => self.warnings.push(format!(
                    "data field {} ({}) has no LENGTH field (tried {0}Len, {0}Length and tag {}); its value is read up to the next SOH",
                    field.name,
                    field.tag,
                    field.tag - 1
                )),
            }
        }
        DataFields::from_pairs(pairs)
    }
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|n| n.has_tag_name(name))
}

fn elements<'a, 'input>(node: Node<'a, 'input>) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(Node::is_element)
}

/// `; did you mean "X"?` for the closest candidate, if one is close.
pub(crate) fn suggestion<'c>(wanted: &str, candidates: impl Iterator<Item = &'c str>) -> String {
    let wanted_lower = wanted.to_ascii_lowercase();
    let best = candidates
        .map(|candidate| {
            (
                edit_distance(&wanted_lower, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .min();
    match best {
        Some((distance, candidate)) if distance <= wanted.len().div_ceil(3).max(1) => {
            format!("; did you mean \"{candidate}\"?")
        }
        _ => String::new(),
    }
}

/// Levenshtein distance over bytes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(body: &str, fields: &str, components: &str) -> String {
        format!(
            r#"<fix type="FIX" major="4" minor="4">
<header>
  <field name="BeginString" required="Y"/>
  <field name="MsgType" required="Y"/>
</header>
<trailer><field name="CheckSum" required="Y"/></trailer>
<messages>
  <message name="Test" msgtype="T" msgcat="app">
{body}
  </message>
</messages>
<components>
{components}
</components>
<fields>
  <field number="8" name="BeginString" type="STRING"/>
  <field number="10" name="CheckSum" type="STRING"/>
  <field number="35" name="MsgType" type="STRING"/>
  <field number="55" name="Symbol" type="STRING"/>
  <field number="54" name="Side" type="CHAR"><value enum="1" description="BUY"/><value enum="2" description="SELL"/></field>
  <field number="268" name="NoMDEntries" type="NUMINGROUP"/>
  <field number="269" name="MDEntryType" type="CHAR"/>
  <field number="270" name="MDEntryPx" type="PRICE"/>
{fields}
</fields>
</fix>"#
        )
    }

    #[test]
    fn components_flatten_and_required_needs_every_level() {
        let xml = tiny(
            r#"<field name="Side" required="Y"/>
               <component name="Instrument" required="N"/>
               <group name="NoMDEntries" required="Y">
                 <field name="MDEntryType" required="Y"/>
                 <field name="MDEntryPx" required="N"/>
               </group>"#,
            "",
            r#"<component name="Instrument"><field name="Symbol" required="Y"/></component>"#,
        );
        let dict = Dictionary::from_xml(&xml, "tiny.xml").unwrap();
        let body = dict.message(b"T").unwrap().body();
        assert_eq!(body.tags(), [54, 55, 268]);
        // Symbol is required only inside an optional component: not required.
        assert_eq!(body.required_tags().collect::<Vec<_>>(), [54, 268]);
        let group = body.group(268).unwrap();
        assert_eq!((group.delimiter(), group.name()), (269, "NoMDEntries"));
        assert_eq!(group.entry().required_tags().collect::<Vec<_>>(), [269]);
        assert_eq!(dict.field(54).unwrap().value_name(b"2"), Some("SELL"));
    }

    #[test]
    fn undefined_names_point_at_the_line_and_suggest_a_fix() {
        let xml = tiny(r#"<field name="Sidee" required="Y"/>"#, "", "");
        let error = Dictionary::from_xml(&xml, "venue.xml").unwrap_err();
        assert_eq!(error.source_name, "venue.xml");
        assert_eq!(error.line, 9);
        assert!(error.problem.contains("message Test (T)"), "{error}");
        assert!(error.problem.contains("did you mean \"Side\""), "{error}");
    }

    #[test]
    fn missing_components_and_cycles_are_errors() {
        let xml = tiny(r#"<component name="Nope" required="Y"/>"#, "", "");
        let error = Dictionary::from_xml(&xml, "x.xml").unwrap_err();
        assert!(error.problem.contains("component Nope"), "{error}");

        let xml = tiny(
            r#"<component name="A" required="Y"/>"#,
            "",
            r#"<component name="A"><component name="B"/></component><component name="B"><component name="A"/></component>"#,
        );
        let error = Dictionary::from_xml(&xml, "x.xml").unwrap_err();
        assert!(error.problem.contains("A → B → A"), "{error}");
    }

    #[test]
    fn duplicate_tags_and_bad_attributes_are_errors() {
        let xml = tiny(
            "",
            r#"<field number="55" name="Symbol2" type="STRING"/>"#,
            "",
        );
        let error = Dictionary::from_xml(&xml, "x.xml").unwrap_err();
        assert!(error.problem.contains("tag 55 is defined twice"), "{error}");

        let xml = tiny(r#"<field name="Side" required="yes"/>"#, "", "");
        let error = Dictionary::from_xml(&xml, "x.xml").unwrap_err();
        assert!(error.problem.contains("required=\"yes\""), "{error}");

        let error = Dictionary::from_xml("<fix major=", "x.xml").unwrap_err();
        assert_eq!(error.line, 1);
        assert!(error.problem.contains("not well-formed XML"), "{error}");
    }

    #[test]
    fn unknown_types_load_as_string_with_a_warning() {
        let xml = tiny(
            "",
            r#"<field number="5001" name="Custom" type="PRICEE"/>"#,
            "",
        );
        let dict = Dictionary::from_xml(&xml, "x.xml").unwrap();
        assert_eq!(dict.field(5001).unwrap().field_type(), FieldType::String);
        assert!(
            dict.warnings()[0].contains("did you mean \"PRICE\""),
            "{:?}",
            dict.warnings()
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            suggestion("ClOrdId", ["ClOrdID", "OrderID"].into_iter()),
            "; did you mean \"ClOrdID\"?"
        );
        assert_eq!(suggestion("Completely", ["ClOrdID"].into_iter()), "");
    }
}
