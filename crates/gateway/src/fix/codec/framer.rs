//! The streaming framer: finds message boundaries in received bytes.
//!
//! Bytes arrive in arbitrary pieces: half a message, several messages, or
//! garbage between them. The caller appends what it reads to a buffer and
//! calls [`Framer::poll`] with the unconsumed part until it returns
//! [`Frame::Incomplete`]; each other result says how many bytes to consume.
//!
//! A frame starts at `8=FIX` and BodyLength says where its `10=` trailer
//! begins. When the trailer is not exactly there, the frame ends at the first
//! `<SOH>10=…<SOH>` after that point, as QuickFIX frames it, so that a wrong
//! BodyLength costs the same messages on both engines (the decoder then
//! reports the mismatch and the session ignores the garbled message).
//! Garbage before a frame is skipped up to the next `8=FIX`; a frame larger
//! than the maximum message size is refused without buffering it whole.

use super::SOH;
use super::decode::DEFAULT_MAX_MESSAGE_SIZE;

const START: &[u8] = b"8=FIX";
const TRAILER: &[u8] = b"\x0110=";
/// Longest BeginString value accepted while framing (`FIXT.1.1` is 8).
const MAX_BEGIN_STRING: usize = 16;
/// Most BodyLength digits accepted while framing.
const MAX_LENGTH_DIGITS: usize = 9;

/// What the framer found at the start of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete frame occupies the first `len` bytes; decode, then consume.
    Message {
        /// Frame length in bytes.
        len: usize,
    },
    /// The first `len` bytes hold no message; consume them.
    Skip {
        /// Bytes to drop.
        len: usize,
        /// Why.
        reason: SkipReason,
    },
    /// More bytes are needed; consume nothing.
    Incomplete,
}

/// Why [`Frame::Skip`] drops bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Bytes before the next `8=FIX`.
    Garbage,
    /// `8=FIX` not followed by a BeginString and a BodyLength field.
    MalformedHeader,
    /// The frame would exceed the maximum message size.
    Oversize {
        /// Bytes declared by BodyLength or already buffered without a trailer.
        size: usize,
    },
}

/// The frame being received: its header is parsed, its trailer not found yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    /// Where the trailer search resumes.
    search_from: usize,
}

/// Finds FIX message boundaries in a byte stream. Keeps only the position of
/// a partly received frame, so re-polling after more bytes arrive does not
/// rescan what was already searched.
///
/// ```
/// use gateway::fix::codec::{Frame, Framer};
///
/// let stream = b"noise8=FIX.4.4\x019=5\x0135=0\x0110=163\x018=FIX.4.4\x019=5\x01";
/// let mut framer = Framer::default();
/// let mut pos = 0;
/// let mut frames = Vec::new();
/// loop {
///     match framer.poll(&stream[pos..]) {
///         Frame::Message { len } => { frames.push(&stream[pos..pos + len]); pos += len; }
///         Frame::Skip { len, .. } => pos += len,
///         Frame::Incomplete => break,
///     }
/// }
/// assert_eq!(frames, [&b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01"[..]]);
/// assert_eq!(&stream[pos..], b"8=FIX.4.4\x019=5\x01"); // waits for the rest
/// ```
#[derive(Clone, Debug)]
pub struct Framer {
    max_message_size: usize,
    pending: Option<Pending>,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_MESSAGE_SIZE)
    }
}

impl Framer {
    /// A framer refusing frames larger than `max_message_size` bytes.
    pub fn new(max_message_size: usize) -> Self {
        Self {
            max_message_size,
            pending: None,
        }
    }

    /// The configured maximum frame size.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Forgets a partly received frame (after a disconnect).
    pub fn reset(&mut self) {
        self.pending = None;
    }

    /// Examines `buf`, the received bytes not consumed yet. After a
    /// [`Frame::Incomplete`], call again with the same start and more bytes.
    pub fn poll(&mut self, buf: &[u8]) -> Frame {
        let pending = match self.pending {
            Some(pending) => pending,
            None => match self.start_frame(buf) {
                Ok(pending) => pending,
                Err(frame) => return frame,
            },
        };
        self.find_trailer(buf, pending)
    }

    /// Parses `8=FIX…<SOH>9=n<SOH>` at the start of `buf`.
    fn start_frame(&mut self, buf: &[u8]) -> Result<Pending, Frame> {
        match find(buf, START, 0) {
            Some(0) => {}
            Some(start) => return Err(skip(start, SkipReason::Garbage)),
            None => {
                // Keep a tail that may be the beginning of `8=FIX`.
                let keep = (1..START.len())
                    .rev()
                    .find(|&n| buf.len() >= n && buf.ends_with(&START[..n]))
                    .unwrap_or(0);
                let len = buf.len() - keep;
                return Err(if len > 0 {
                    skip(len, SkipReason::Garbage)
                } else {
                    Frame::Incomplete
                });
            }
        }
        let Some(begin_end) = bounded_find_soh(buf, START.len(), MAX_BEGIN_STRING) else {
            return Err(self.malformed_unless_short(buf, START.len() + MAX_BEGIN_STRING));
        };
        let length_start = begin_end + 1;
        let digits_start = length_start + 2;
        match buf.get(length_start..digits_start) {
            None => return Err(Frame::Incomplete),
            Some(b"9=") => {}
            Some(_) => return Err(self.malformed()),
        }
        let Some(length_end) = bounded_find_soh(buf, digits_start, MAX_LENGTH_DIGITS + 1) else {
            return Err(self.malformed_unless_short(buf, digits_start + MAX_LENGTH_DIGITS + 1));
        };
        let digits = &buf[digits_start..length_end];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(self.malformed());
        }
        let body_length = digits
            .iter()
            .fold(0usize, |n, &digit| n * 10 + usize::from(digit - b'0'));
        let body_start = length_end + 1;
        // The smallest complete frame: header, body, `10=nnn<SOH>`.
        let declared = body_start + body_length + 7;
        if declared > self.max_message_size {
            return Err(self.refuse_oversize(declared));
        }
        let pending = Pending {
            // The SOH that ends the body precedes `10=`.
            search_from: (body_start + body_length).saturating_sub(1).max(length_end),
        };
        self.pending = Some(pending);
        Ok(pending)
    }

    /// Looks for `<SOH>10=…<SOH>` from where the last search stopped.
    fn find_trailer(&mut self, buf: &[u8], pending: Pending) -> Frame {
        if let Some(at) = find(buf, TRAILER, pending.search_from) {
            if let Some(end) = find_soh_from(buf, at + TRAILER.len()) {
                self.pending = None;
                let len = end + 1;
                if len > self.max_message_size {
                    return self.refuse_oversize(len);
                }
                return Frame::Message { len };
            }
            // Resume at this trailer once its checksum arrives.
            self.pending = Some(Pending { search_from: at });
        } else {
            // Bytes before the last three cannot start the trailer anymore.
            let search_from = buf
                .len()
                .saturating_sub(TRAILER.len() - 1)
                .max(pending.search_from);
            self.pending = Some(Pending { search_from });
        }
        if buf.len() > self.max_message_size {
            return self.refuse_oversize(buf.len());
        }
        Frame::Incomplete
    }

    /// Drops the `8` of a bad frame start; the next poll resynchronises on
    /// the following `8=FIX`.
    fn malformed(&mut self) -> Frame {
        self.pending = None;
        skip(1, SkipReason::MalformedHeader)
    }

    fn malformed_unless_short(&mut self, buf: &[u8], needed: usize) -> Frame {
        if buf.len() < needed {
            Frame::Incomplete
        } else {
            self.malformed()
        }
    }

    fn refuse_oversize(&mut self, size: usize) -> Frame {
        self.pending = None;
        skip(1, SkipReason::Oversize { size })
    }
}

fn skip(len: usize, reason: SkipReason) -> Frame {
    Frame::Skip { len, reason }
}

/// First index of `needle` in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = needle[0];
    let mut at = from;
    while at + needle.len() <= haystack.len() {
        let offset = haystack[at..=haystack.len() - needle.len()]
            .iter()
            .position(|&byte| byte == first)?;
        at += offset;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        at += 1;
    }
    None
}

fn find_soh_from(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .iter()
        .position(|&byte| byte == SOH)
        .map(|index| from + index)
}

/// First SOH in `buf[from..from + limit]`.
fn bounded_find_soh(buf: &[u8], from: usize, limit: usize) -> Option<usize> {
    let end = buf.len().min(from + limit);
    buf.get(from..end)?
        .iter()
        .position(|&byte| byte == SOH)
        .map(|index| from + index)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEARTBEAT: &[u8] = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01";

    /// Feeds `stream` to a framer in pieces of `chunk` bytes, as reads would
    /// deliver it, and returns the frames and skip reasons in order.
    fn run(stream: &[u8], chunk: usize, max: usize) -> (Vec<Vec<u8>>, Vec<SkipReason>, usize) {
        let mut framer = Framer::new(max);
        let mut buffer = Vec::new();
        let mut frames = Vec::new();
        let mut skips = Vec::new();
        for piece in stream.chunks(chunk.max(1)) {
            buffer.extend_from_slice(piece);
            loop {
                match framer.poll(&buffer) {
                    Frame::Message { len } => {
                        frames.push(buffer.drain(..len).collect());
                    }
                    Frame::Skip { len, reason } => {
                        assert!(len > 0 && len <= buffer.len());
                        skips.push(reason);
                        buffer.drain(..len);
                    }
                    Frame::Incomplete => break,
                }
            }
        }
        (frames, skips, buffer.len())
    }

    #[test]
    fn frames_whole_and_split_messages_at_every_chunk_size() {
        let stream = [HEARTBEAT, HEARTBEAT, HEARTBEAT].concat();
        for chunk in 1..=stream.len() {
            let (frames, skips, left) = run(&stream, chunk, 1024);
            assert_eq!(frames, vec![HEARTBEAT.to_vec(); 3], "chunk {chunk}");
            assert!(skips.is_empty());
            assert_eq!(left, 0);
        }
    }

    #[test]
    fn skips_garbage_between_messages() {
        let stream = [&b"garbage 8=FI"[..], HEARTBEAT, b"\r\n8=FOO", HEARTBEAT].concat();
        for chunk in [1, 3, 7, stream.len()] {
            let (frames, skips, left) = run(&stream, chunk, 1024);
            assert_eq!(frames, vec![HEARTBEAT.to_vec(); 2], "chunk {chunk}");
            assert!(skips.iter().all(|reason| *reason == SkipReason::Garbage));
            assert_eq!(left, 0);
        }
    }

    #[test]
    fn a_short_body_length_still_ends_at_the_next_trailer() {
        // BodyLength 2 points inside the body: the frame runs to `10=`.
        let wrong = b"8=FIX.4.4\x019=2\x0135=0\x0110=163\x01";
        let (frames, _, _) = run(&[&wrong[..], HEARTBEAT].concat(), 4, 1024);
        assert_eq!(frames, vec![wrong.to_vec(), HEARTBEAT.to_vec()]);
    }

    #[test]
    fn a_long_body_length_swallows_the_next_message_as_quickfix_does() {
        let wrong = b"8=FIX.4.4\x019=25\x0135=0\x0110=163\x01";
        let (frames, _, _) = run(&[&wrong[..], HEARTBEAT].concat(), 5, 1024);
        assert_eq!(frames, vec![[&wrong[..], HEARTBEAT].concat()]);
    }

    #[test]
    fn refuses_oversize_frames_and_resynchronises() {
        let big = b"8=FIX.4.4\x019=5000\x0135=0\x01";
        let (frames, skips, _) = run(&[&big[..], HEARTBEAT].concat(), 8, 100);
        assert_eq!(frames, vec![HEARTBEAT.to_vec()]);
        assert_eq!(skips[0], SkipReason::Oversize { size: 5024 });
    }

    #[test]
    fn a_missing_trailer_cannot_grow_the_buffer_past_the_maximum() {
        // Declared small, but the trailer never comes.
        let mut stream = b"8=FIX.4.4\x019=5\x0135=0\x01".to_vec();
        stream.extend(std::iter::repeat_n(b'x', 500));
        let (frames, skips, left) = run(&stream, 16, 100);
        assert!(frames.is_empty());
        assert!(matches!(skips[0], SkipReason::Oversize { .. }));
        assert!(left <= 100, "buffer kept {left} bytes");
    }

    #[test]
    fn malformed_headers_are_dropped() {
        let stream = [&b"8=FIX.4.4\x0135=0\x01"[..], HEARTBEAT].concat();
        let (frames, skips, _) = run(&stream, stream.len(), 1024);
        assert_eq!(frames, vec![HEARTBEAT.to_vec()]);
        assert_eq!(skips[0], SkipReason::MalformedHeader);
        let stream = [&b"8=FIX.4.4\x019=x5\x01"[..], HEARTBEAT].concat();
        let (frames, _, _) = run(&stream, 1, 1024);
        assert_eq!(frames, vec![HEARTBEAT.to_vec()]);
    }
}
