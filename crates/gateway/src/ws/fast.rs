//! A fast path for the common case: a hand-written scanner that fills the
//! same borrowed message types as the `serde_json` path, for frames whose
//! strings have no escapes. Anything it does not expect (an escape, a
//! float where text belongs, deep nesting, invalid JSON) makes it give up
//! (`None`), and the caller decodes the frame with `serde_json`, which
//! then reports the precise error. So the fast path changes speed only,
//! never which frames are accepted as well-formed messages.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;

use super::{LooseU64, Str};

/// Deepest nesting skipped over (deeper frames go the slow way).
const MAX_DEPTH: u32 = 32;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// A cursor over a frame known to be UTF-8.
pub(crate) struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    /// A cursor at the start of `text`.
    #[inline(always)]
    pub(crate) const fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    /// Whether only whitespace is left.
    #[inline(always)]
    pub(crate) fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.at == self.text.len()
    }

    #[inline(always)]
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// Skips whitespace, eight bytes at a time: the length of a run of
    /// spaces and newlines comes from a mask, not a branch per byte
    /// (pretty-printed frames are mostly indentation); tabs and carriage
    /// returns, and the last few bytes, go one at a time.
    #[inline(always)]
    fn skip_ws(&mut self) {
        /// High bit of each zero byte of `x`, exactly.
        const fn zero_bytes(x: u64) -> u64 {
            !((((x & !HI) + !HI) | x) | !HI)
        }
        let bytes = self.bytes();
        // Compact frames: no whitespace at all. A predictable branch keeps
        // the mask work below off the path from one token to the next.
        if bytes.get(self.at).is_some_and(|&b| b > b' ') {
            return;
        }
        // One space between tokens (`"key": value, "next"`, as Coinbase
        // writes): as cheap.
        if bytes.get(self.at) == Some(&b' ') && bytes.get(self.at + 1).is_some_and(|&b| b > b' ') {
            self.at += 1;
            return;
        }
        loop {
            if let Some(word) = bytes.get(self.at..).and_then(<[u8]>::first_chunk::<8>) {
                let word = u64::from_le_bytes(*word);
                let blank = zero_bytes(word ^ (LO * u64::from(b' ')))
                    | zero_bytes(word ^ (LO * u64::from(b'\n')));
                let other = !blank & HI;
                if other == 0 {
                    self.at += 8;
                    continue;
                }
                self.at += (other.trailing_zeros() / 8) as usize;
            }
            match bytes.get(self.at) {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.at += 1,
                _ => return,
            }
        }
    }

    /// Where the cursor is (to [`Self::rewind`] to).
    #[inline(always)]
    pub(crate) const fn position(&self) -> usize {
        self.at
    }

    /// Moves the cursor back to `at`, from [`Self::position`].
    #[inline(always)]
    pub(crate) const fn rewind(&mut self, at: usize) {
        self.at = at;
    }

    /// Consumes `token` (after any whitespace) when the frame has it next:
    /// punctuation, or a key with its quotes and colon (`"price":`),
    /// compared in place. For layouts a venue always sends: the key is
    /// known without finding its end and matching it.
    #[inline(always)]
    pub(crate) fn token(&mut self, token: &[u8]) -> Option<()> {
        self.skip_ws();
        let hit = self
            .bytes()
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(token));
        hit.then(|| self.at += token.len())
    }

    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes().get(self.at).copied()
    }

    #[inline(always)]
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// The end of the string body starting at `from`: the index of the
    /// first `"` or `\\`, sixteen bytes at a time (most keys and values
    /// end within the first sixteen, so the loop rarely goes round).
    #[inline(always)]
    fn string_end(&self, mut from: usize) -> Option<usize> {
        let bytes = self.bytes();
        let hits = |word: &[u8; 8]| {
            let word = u64::from_le_bytes(*word);
            let quote = word ^ (LO * u64::from(b'"'));
            let slash = word ^ (LO * u64::from(b'\\'));
            ((quote.wrapping_sub(LO) & !quote) | (slash.wrapping_sub(LO) & !slash)) & HI
        };
        while let Some(block) = bytes.get(from..).and_then(<[u8]>::first_chunk::<16>) {
            let (low, high) = block.split_at(8);
            let (Some(low), Some(high)) = (low.first_chunk::<8>(), high.first_chunk::<8>()) else {
                break;
            };
            // The first hit of each word is exact (borrows only run
            // upwards), and the high word counts only when the low has none.
            let both = u128::from(hits(low)) | (u128::from(hits(high)) << 64);
            if both != 0 {
                return Some(from + (both.trailing_zeros() / 8) as usize);
            }
            from += 16;
        }
        bytes
            .get(from..)?
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
            .map(|p| from + p)
    }

    /// Where the body of the string at the cursor starts and ends, the
    /// cursor moved past it; `None` for an escape (the slow path decodes
    /// it) or no string.
    #[inline(always)]
    fn string_span(&mut self) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.at;
        let end = self.string_end(start)?;
        if *self.bytes().get(end)? != b'"' {
            return None;
        }
        self.at = end + 1;
        Some((start, end))
    }

    /// A string without escapes.
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Option<&'a str> {
        let (start, end) = self.string_span()?;
        // Both ends sit next to an ASCII quote: char boundaries.
        self.text.get(start..end)
    }

    /// The string at the cursor when `known` recognises it from its body
    /// (the bytes after the opening quote: `Some((what, length))` when the
    /// body is a plain string of that length, its closing quote right
    /// after), the cursor moved past it; else the cursor stays put and
    /// `None` (read it with [`Self::string`]). Spares finding the end of
    /// a long string whose possible values are known.
    #[inline(always)]
    pub(crate) fn known_string<T>(
        &mut self,
        known: impl FnOnce(&'a [u8]) -> Option<(T, usize)>,
    ) -> Option<T> {
        let before = self.at;
        if self.eat(b'"').is_none() {
            self.at = before;
            return None;
        }
        let Some((what, length)) = self.bytes().get(self.at..).and_then(known) else {
            self.at = before;
            return None;
        };
        self.at += length + 1;
        Some(what)
    }

    /// A string without escapes, as bytes: for a value that is parsed as
    /// ASCII (a decimal, a time) or skipped, which needs no `&str` and so
    /// no char-boundary checks.
    #[inline(always)]
    pub(crate) fn raw_string(&mut self) -> Option<&'a [u8]> {
        let (start, end) = self.string_span()?;
        self.bytes().get(start..end)
    }

    /// A number's text (checked loosely: the consumer parses it).
    #[inline(always)]
    pub(crate) fn number(&mut self) -> Option<&'a str> {
        self.skip_ws();
        let start = self.at;
        let bytes = self.bytes();
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = bytes.get(self.at) {
            self.at += 1;
        }
        (self.at > start).then(|| self.text.get(start..self.at))?
    }

    fn literal(&mut self, word: &str) -> bool {
        self.skip_ws();
        let hit = self
            .bytes()
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()));
        if hit {
            self.at += word.len();
        }
        hit
    }

    fn skip_value(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|scan, _| scan.skip_value(depth + 1)),
            b'[' => self.array(|scan| scan.skip_value(depth + 1)),
            b't' => self.literal("true").then_some(()),
            b'f' => self.literal("false").then_some(()),
            b'n' => self.literal("null").then_some(()),
            _ => self.number().map(drop),
        }
    }

    /// Calls `field` with each key, the cursor on its value.
    #[inline(always)]
    pub(crate) fn object(
        &mut self,
        mut field: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            field(self, key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Calls `item` with the cursor on each element.
    #[inline(always)]
    pub(crate) fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `null` (consumed) or not.
    pub(crate) fn null(&mut self) -> bool {
        self.literal("null")
    }

    /// Skips a value this type does not know.
    pub(crate) fn skip(&mut self) -> Option<()> {
        self.skip_value(0)
    }
}

/// A type the fast path can fill.
pub(crate) trait Fast<'a>: Sized {
    fn fast(scan: &mut Scan<'a>) -> Option<Self>;
}

impl<'a> Fast<'a> for Str<'a> {
    fn fast(scan: &mut Scan<'a>) -> Option<Self> {
        if scan.peek()? == b'"' {
            return scan.string().map(Str::Borrowed);
        }
        // An integer where text belongs (drift): as the slow path does.
        let number = scan.number()?;
        let digits = number.strip_prefix('-').unwrap_or(number);
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some(Str::Borrowed(number))
    }
}

impl<'a, T: Fast<'a>> Fast<'a> for Vec<T> {
    fn fast(scan: &mut Scan<'a>) -> Option<Self> {
        let mut items = Self::new();
        scan.array(|scan| {
            items.push(T::fast(scan)?);
            Some(())
        })?;
        Some(items)
    }
}

impl<'a, T: Fast<'a>> Fast<'a> for Option<T> {
    fn fast(scan: &mut Scan<'a>) -> Option<Self> {
        if scan.null() {
            Some(None)
        } else {
            T::fast(scan).map(Some)
        }
    }
}

impl<'a> Fast<'a> for IgnoredAny {
    fn fast(scan: &mut Scan<'a>) -> Option<Self> {
        scan.skip().map(|()| Self)
    }
}

impl<'a> Fast<'a> for LooseU64 {
    fn fast(scan: &mut Scan<'a>) -> Option<Self> {
        let text = if scan.peek()? == b'"' {
            scan.string()?
        } else {
            scan.number()?
        };
        match text.parse::<u64>() {
            Ok(value) => Some(Self(Some(value))),
            // Negative, fractional, text: the slow path has the rules.
            Err(_) => None,
        }
    }
}

impl<'a> Fast<'a> for BTreeMap<String, Vec<String>> {
    fn fast(_: &mut Scan<'a>) -> Option<Self> {
        None // rare (subscription confirmations): the slow path
    }
}

/// `frame` as a `T`, or `None` when the fast path does not apply.
pub(crate) fn parse<'a, T: Fast<'a>>(frame: &'a [u8]) -> Option<T> {
    let text = std::str::from_utf8(frame).ok()?;
    let mut scan = Scan { text, at: 0 };
    let value = T::fast(&mut scan)?;
    scan.skip_ws();
    (scan.at == text.len()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_end_finds_the_first_quote_or_backslash() {
        for (text, end) in [
            (r#"abc""#, 3),
            (r#"0123456789abcdef"x"#, 16),
            (r#"01234567\"#, 8),
            (r#"0123456"#, usize::MAX),
            (r#"01234567890123456789012"xyz""#, 23),
        ] {
            let scan = Scan { text, at: 0 };
            assert_eq!(scan.string_end(0).unwrap_or(usize::MAX), end, "{text}");
        }
    }

    #[test]
    fn gives_up_on_what_it_does_not_handle() {
        assert!(parse::<Str<'_>>(br#""plain""#).is_some());
        assert!(parse::<Str<'_>>(br#""esc\"aped""#).is_none());
        assert!(parse::<Str<'_>>(b"0.5").is_none());
        assert!(parse::<Str<'_>>(b"17").is_some());
        assert!(parse::<Vec<Str<'_>>>(br#"["a" "b"]"#).is_none());
        assert!(parse::<Vec<Str<'_>>>(br#"["a","b"] x"#).is_none());
        assert!(parse::<IgnoredAny>(&[b'['; 100]).is_none());
        assert_eq!(
            parse::<Vec<Str<'_>>>(br#" [ "a" , "b" ] "#).map(|v| v.len()),
            Some(2)
        );
        assert!(parse::<LooseU64>(b"-1").is_none());
        assert_eq!(parse::<LooseU64>(br#""42""#).and_then(|v| v.0), Some(42));
    }
}
