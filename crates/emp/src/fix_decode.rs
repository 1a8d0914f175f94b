//! `emp fix decode`: read FIX messages from a log or stream and print every
//! field by name, with enum names and repeating groups, and every problem
//! with its SessionRejectReason (373) and tag.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use gateway::fix::codec::{DecodeError, Decoder, DecoderConfig, Disposition, Message, SOH};
use gateway::fix::dict::{
    Dictionary, ShippedDictionary, ValidationOptions, ValidationReport, Validator,
};

/// Where the dictionary comes from.
#[derive(Clone, Debug)]
pub(crate) enum DictionaryChoice {
    /// By each message's BeginString, among the shipped dictionaries.
    ByBeginString,
    /// A shipped dictionary named by version (`FIX.4.4`, `FIXT.1.1`, …).
    Version(String),
    /// A QuickFIX-format XML file (FIX 5.x files are combined with the
    /// shipped FIXT 1.1 transport dictionary).
    File(PathBuf),
}

/// The outcome of a run, for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Messages found.
    pub(crate) messages: usize,
    /// Messages with no problem.
    pub(crate) valid: usize,
}

/// One candidate message found in the input.
struct Candidate<'a> {
    /// 1-based line of the input where it starts.
    line: usize,
    /// Text before `8=FIX` on its line (a log timestamp, say), trimmed.
    prefix: &'a [u8],
    /// The message bytes, `|` not yet turned into SOH.
    text: &'a [u8],
}

/// Splits input into candidate messages: at line ends, and where a new
/// message starts right after SOH (raw streams and logs that hold several
/// messages per line). Splitting at message starts rather than trusting
/// BodyLength keeps a wrong BodyLength from hiding the next message.
fn candidates(input: &[u8]) -> Vec<Candidate<'_>> {
    let mut found = Vec::new();
    for (index, line) in input.split(|&byte| byte == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(start) = find(line, b"8=FIX", 0) else {
            continue;
        };
        let prefix = trim(&line[..start]);
        let mut from = start;
        loop {
            let next = [b"\x018=FIX".as_slice(), b"|8=FIX"]
                .iter()
                .filter_map(|marker| find(line, marker, from + 1))
                .min();
            let end = next.map_or(line.len(), |at| at + 1);
            found.push(Candidate {
                line: index + 1,
                prefix: if from == start { prefix } else { &[] },
                text: trim_end(&line[from..end]),
            });
            match next {
                Some(at) => from = at + 1,
                None => break,
            }
        }
    }
    found
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

fn trim(text: &[u8]) -> &[u8] {
    trim_end(text.trim_ascii_start())
}

fn trim_end(text: &[u8]) -> &[u8] {
    let mut end = text.len();
    while end > 0 && (text[end - 1] == b' ' || text[end - 1] == b'\t') {
        end -= 1;
    }
    &text[..end]
}

/// `|` as SOH when the message has no SOH of its own.
fn to_wire(text: &[u8]) -> Vec<u8> {
    if text.contains(&SOH) {
        text.to_vec()
    } else {
        text.iter()
            .map(|&byte| if byte == b'|' { SOH } else { byte })
            .collect()
    }
}

/// What reads messages under one dictionary (or none): built once, reused
/// for every message that needs it.
struct Reader {
    /// `None` when no dictionary applies (an unshipped BeginString).
    validator: Option<Validator>,
    /// Checks the frame, as a session would.
    strict: Decoder,
    /// Skips the BodyLength and CheckSum checks, to show a garbled
    /// message's fields anyway.
    lenient: Decoder,
}

impl Reader {
    fn new(dict: Option<Arc<Dictionary>>) -> Self {
        let data_fields = dict
            .as_ref()
            .map(|dict| dict.data_fields().clone())
            .unwrap_or_default();
        let lenient = Decoder::new(DecoderConfig {
            data_fields: data_fields.clone(),
            validate_length_and_checksum: false,
            ..DecoderConfig::default()
        });
        Self {
            strict: Decoder::new(DecoderConfig {
                data_fields,
                ..DecoderConfig::default()
            }),
            lenient,
            validator: dict.map(|dict| Validator::new(dict, ValidationOptions::default())),
        }
    }
}

/// Readers for the dictionaries in use, loaded once each.
struct Dictionaries {
    /// The dictionary named by `--version` or `--dict`, if any.
    fixed: Option<Reader>,
    /// Shipped dictionaries chosen by BeginString, as messages need them;
    /// `None` for BeginStrings without one.
    by_begin_string: Vec<(Option<ShippedDictionary>, Reader)>,
}

impl Dictionaries {
    fn new(choice: DictionaryChoice, warnings: &mut dyn Write) -> Result<Self> {
        let fixed = match &choice {
            DictionaryChoice::ByBeginString => None,
            DictionaryChoice::Version(version) => {
                let Some(shipped) = ShippedDictionary::from_version(version) else {
                    bail!(
                        "--version {version} is not a shipped dictionary; use one of {}, or --dict FILE",
                        ShippedDictionary::VERSION_NAMES.join(", ")
                    );
                };
                Some(shipped.load()?)
            }
            DictionaryChoice::File(path) => Some(Arc::new(load_file(path)?)),
        };
        if let Some(dict) = &fixed {
            for warning in dict.warnings() {
                writeln!(warnings, "warning: {warning}")?;
            }
        }
        Ok(Self {
            fixed: fixed.map(|dict| Reader::new(Some(dict))),
            by_begin_string: Vec::new(),
        })
    }

    /// The reader for a message with this BeginString.
    fn for_begin_string(&mut self, begin_string: &[u8]) -> Result<&mut Reader> {
        if let Some(reader) = &mut self.fixed {
            return Ok(reader);
        }
        let shipped = std::str::from_utf8(begin_string)
            .ok()
            .and_then(ShippedDictionary::from_version);
        let index = match self
            .by_begin_string
            .iter()
            .position(|(which, _)| *which == shipped)
        {
            Some(index) => index,
            None => {
                let dict = shipped.map(ShippedDictionary::load).transpose()?;
                self.by_begin_string.push((shipped, Reader::new(dict)));
                self.by_begin_string.len() - 1
            }
        };
        Ok(&mut self.by_begin_string[index].1)
    }
}

/// Loads a dictionary file; a FIX 5.x application dictionary is combined
/// with the shipped FIXT 1.1 transport.
fn load_file(path: &PathBuf) -> Result<Dictionary> {
    let dict = Dictionary::from_file(path)?;
    if dict.begin_string().is_some() {
        return Ok(dict);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Dictionary::from_fixt_xml(
        ShippedDictionary::FIXT11_TRANSPORT_XML,
        "specs/FIXT11.xml",
        &text,
        &path.display().to_string(),
    )?)
}

/// Decodes every message in `input` and prints it to `out`.
pub(crate) fn run(
    input: &[u8],
    choice: DictionaryChoice,
    out: &mut dyn Write,
    warnings: &mut dyn Write,
) -> Result<Summary> {
    let mut dictionaries = Dictionaries::new(choice, warnings)?;
    let mut summary = Summary {
        messages: 0,
        valid: 0,
    };
    for candidate in candidates(input) {
        summary.messages += 1;
        let wire = to_wire(candidate.text);
        let valid = print_message(summary.messages, &candidate, &wire, &mut dictionaries, out)?;
        summary.valid += usize::from(valid);
    }
    match summary.messages {
        0 => writeln!(out, "no FIX messages found (a message starts with 8=FIX)")?,
        n => writeln!(
            out,
            "{n} message{}: {} valid, {} invalid",
            plural(n),
            summary.valid,
            n - summary.valid
        )?,
    }
    Ok(summary)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Prints one message; returns whether it is valid.
fn print_message(
    number: usize,
    candidate: &Candidate<'_>,
    wire: &[u8],
    dictionaries: &mut Dictionaries,
    out: &mut dyn Write,
) -> Result<bool> {
    let begin_string = wire
        .strip_prefix(b"8=")
        .and_then(|rest| rest.split(|&byte| byte == SOH).next())
        .unwrap_or(b"");
    let Reader {
        validator,
        strict,
        lenient,
    } = dictionaries.for_begin_string(begin_string)?;
    let dict = validator
        .as_ref()
        .map(|validator| validator.dictionary().clone());

    write!(out, "#{number} line {}", candidate.line)?;
    if !candidate.prefix.is_empty() {
        write!(out, " [{}]", String::from_utf8_lossy(candidate.prefix))?;
    }
    // A garbled message is still shown, split without the frame checks.
    let (garbled, message) = match strict.decode(wire) {
        Ok(message) => (None, Some(message)),
        Err(error) => (Some(error), lenient.decode(wire).ok()),
    };
    if let Some(message) = &message {
        let msg_type = String::from_utf8_lossy(message.msg_type());
        match dict
            .as_ref()
            .and_then(|dict| dict.message(message.msg_type()))
        {
            Some(def) => write!(out, "  {} ({msg_type})", def.name())?,
            None => write!(out, "  MsgType {msg_type}")?,
        }
    }
    writeln!(out, "  {} bytes", wire.len())?;

    let Some(message) = message else {
        // Not even fields: show the raw text.
        writeln!(out, "  {}", String::from_utf8_lossy(&pipes(wire)))?;
        if let Some(error) = garbled {
            print_problem(&error, dict.as_deref(), out)?;
        }
        return Ok(false);
    };
    let report = validator
        .as_mut()
        .map(|validator| validator.report(&message));
    print_fields(&message, dict.as_deref(), report.as_ref(), out)?;

    let mut valid = true;
    if let Some(error) = &garbled {
        print_problem(error, dict.as_deref(), out)?;
        valid = false;
    }
    match &report {
        Some(report) => {
            for error in &report.errors {
                print_problem(error, dict.as_deref(), out)?;
                valid = false;
            }
        }
        None => {
            writeln!(
                out,
                "  not validated: no shipped dictionary for BeginString {}; pass --dict FILE",
                String::from_utf8_lossy(begin_string)
            )?;
            valid = false;
        }
    }
    if valid {
        writeln!(out, "  valid")?;
    }
    Ok(valid)
}

fn pipes(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&byte| if byte == SOH { b'|' } else { byte })
        .collect()
}

fn print_fields(
    message: &Message<'_>,
    dict: Option<&Dictionary>,
    report: Option<&ValidationReport>,
    out: &mut dyn Write,
) -> Result<()> {
    for (index, field) in message.iter().enumerate() {
        let placement = report.and_then(|report| report.placements.get(index));
        let depth = placement.map_or(0, |place| place.depth);
        let bullet = if placement.is_some_and(|place| place.starts_entry) {
            "- "
        } else {
            "  "
        };
        let indent = "  ".repeat(depth);
        let tag_text =
            String::from_utf8_lossy(&message.as_bytes()[message.fields()[index].tag_range()]);
        let definition = dict.and_then(|dict| dict.field(field.tag()).filter(|_| field.tag() > 0));
        let name = definition.map_or("?", |definition| definition.name());
        let value = String::from_utf8_lossy(&pipes(field.value())).into_owned();
        write!(out, "  {indent}{bullet}{tag_text}({name})={value}")?;
        if let Some(meaning) =
            definition.and_then(|definition| definition.value_name(field.value()))
        {
            write!(out, " [{meaning}]")?;
        } else if let (Some(definition), Some(dict)) = (definition, dict)
            && definition.tag() == 35
            && let Some(def) = dict.message(field.value())
        {
            write!(out, " [{}]", def.name())?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn print_problem(
    error: &DecodeError,
    dict: Option<&Dictionary>,
    out: &mut dyn Write,
) -> Result<()> {
    let tag_name = |tag: i64| {
        u32::try_from(tag)
            .ok()
            .and_then(|tag| dict.and_then(|dict| dict.field(tag)))
            .map_or(String::new(), |field| format!(" ({})", field.name()))
    };
    match error.disposition() {
        Disposition::Reject(reason) => {
            write!(out, "  error: 373={} {}", reason.code(), reason.text())?;
            if let Some(tag) = error.ref_tag_id() {
                write!(out, ": 371={tag}{}", tag_name(tag))?;
            }
            let detail = error.detail();
            if detail != reason.text() {
                write!(out, "; {detail}")?;
            }
            writeln!(out, " at byte {}", error.offset)?;
        }
        Disposition::Logout => writeln!(
            out,
            "  error: {} (a session logs out); byte {}",
            error.detail(),
            error.offset
        )?,
        Disposition::Ignore => writeln!(
            out,
            "  garbled: {} at byte {} (a session ignores this message)",
            error.detail(),
            error.offset
        )?,
    }
    Ok(())
}

/// Reads `path`, or standard input for `-` or no path.
pub(crate) fn read_input(path: Option<&PathBuf>) -> Result<Vec<u8>> {
    match path {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
        }
        _ => {
            let mut input = Vec::new();
            io::Read::read_to_end(&mut io::stdin().lock(), &mut input)
                .context("cannot read standard input")?;
            Ok(input)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_split_lines_streams_and_prefixes() {
        let input = b"20231107-10:00:00.000 : 8=FIX.4.4|9=5|35=0|10=163|\r\nnoise\n8=FIX.4.4\x019=5\x0135=0\x0110=163\x018=FIX.4.4\x019=5\x0135=0\x0110=163\x01";
        let found = candidates(input);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].line, 1);
        assert_eq!(found[0].prefix, b"20231107-10:00:00.000 :");
        assert_eq!(found[0].text, b"8=FIX.4.4|9=5|35=0|10=163|");
        assert_eq!((found[1].line, found[2].line), (3, 3));
        assert_eq!(found[2].text, b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01");
    }
}
