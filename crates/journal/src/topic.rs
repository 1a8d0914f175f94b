//! Topics: what a record is about, `namespace.name`, from a fixed set of
//! namespaces so a reader can select by family (`order.*`, `md.*`).

use std::fmt;

/// The namespaces a topic may start with.
pub const NAMESPACES: [&str; 7] = [
    "md", "feature", "strategy", "risk", "order", "pnl", "system",
];

/// Longest topic, in bytes.
pub const MAX_TOPIC_LEN: usize = 64;

/// Why a topic is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// No `.` between namespace and name, or an empty name.
    #[error("topic {topic:?} is not `namespace.name` (for example `order.submitted`)")]
    Shape {
        /// The topic given.
        topic: String,
    },
    /// The namespace is not one of [`NAMESPACES`].
    #[error(
        "topic {topic:?} has namespace {namespace:?}; use one of md, feature, strategy, risk, order, pnl, system"
    )]
    UnknownNamespace {
        /// The topic given.
        topic: String,
        /// Its namespace.
        namespace: String,
    },
    /// Longer than [`MAX_TOPIC_LEN`].
    #[error("topic {topic:?} is {len} bytes; at most {MAX_TOPIC_LEN} are allowed")]
    TooLong {
        /// The topic given.
        topic: String,
        /// Its length.
        len: usize,
    },
    /// A byte other than lowercase ASCII letters, digits, `_`, `-` and `.`.
    #[error(
        "topic {topic:?} has byte {byte:#04x}; use lowercase letters, digits, '_', '-' and '.'"
    )]
    InvalidByte {
        /// The topic given (lossy).
        topic: String,
        /// The offending byte.
        byte: u8,
    },
}

/// A validated topic such as `order.submitted` or `md.book`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Topic {
    bytes: [u8; MAX_TOPIC_LEN],
    len: u8,
}

impl Topic {
    /// Checks `text` and stores it.
    pub fn new(text: &str) -> Result<Self, TopicError> {
        Self::from_bytes(text.as_bytes())
    }

    /// As [`Topic::new`], from bytes read back from a segment.
    pub fn from_bytes(text: &[u8]) -> Result<Self, TopicError> {
        let lossy = || String::from_utf8_lossy(text).into_owned();
        if text.len() > MAX_TOPIC_LEN {
            return Err(TopicError::TooLong {
                topic: lossy(),
                len: text.len(),
            });
        }
        if let Some(&byte) = text.iter().find(|&&byte| {
            !(byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"_-.".contains(&byte))
        }) {
            return Err(TopicError::InvalidByte {
                topic: lossy(),
                byte,
            });
        }
        let Some(dot) = text.iter().position(|&byte| byte == b'.') else {
            return Err(TopicError::Shape { topic: lossy() });
        };
        let (namespace, name) = (&text[..dot], &text[dot + 1..]);
        if name.is_empty() || namespace.is_empty() {
            return Err(TopicError::Shape { topic: lossy() });
        }
        if !NAMESPACES.iter().any(|known| known.as_bytes() == namespace) {
            return Err(TopicError::UnknownNamespace {
                topic: lossy(),
                namespace: String::from_utf8_lossy(namespace).into_owned(),
            });
        }
        let mut bytes = [0u8; MAX_TOPIC_LEN];
        bytes[..text.len()].copy_from_slice(text);
        Ok(Self {
            bytes,
            // At most MAX_TOPIC_LEN (64), checked above.
            len: text.len() as u8,
        })
    }

    /// The topic's text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The topic's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The part before the first `.`.
    pub fn namespace(&self) -> &str {
        self.as_str().split('.').next().unwrap_or("")
    }

    /// True when the topic matches `pattern`: an exact topic, or
    /// `namespace.*` for a whole namespace, or `*` for everything.
    pub fn matches(&self, pattern: &str) -> bool {
        match pattern.strip_suffix(".*") {
            _ if pattern == "*" => true,
            Some(prefix) => {
                let text = self.as_str();
                text.len() > prefix.len()
                    && text.starts_with(prefix)
                    && text.as_bytes()[prefix.len()] == b'.'
            }
            None => self.as_str() == pattern,
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Topic({:?})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn accepts_known_namespaces_and_refuses_the_rest() {
        for good in ["order.submitted", "md.book", "system.started", "pnl.mark-1"] {
            assert_eq!(Topic::new(good).unwrap().as_str(), good);
        }
        assert!(matches!(
            Topic::new("orders.submitted"),
            Err(TopicError::UnknownNamespace { .. })
        ));
        assert!(matches!(Topic::new("order"), Err(TopicError::Shape { .. })));
        assert!(matches!(
            Topic::new("order."),
            Err(TopicError::Shape { .. })
        ));
        assert!(matches!(
            Topic::new("Order.x"),
            Err(TopicError::InvalidByte { byte: b'O', .. })
        ));
        let long = format!("md.{}", "a".repeat(62));
        assert!(matches!(
            Topic::new(&long),
            Err(TopicError::TooLong { len: 65, .. })
        ));
        let message = Topic::new("fills.x").unwrap_err().to_string();
        assert!(message.contains("use one of md, feature"), "{message}");
    }

    #[test]
    fn patterns_select_a_topic_a_namespace_or_everything() {
        let topic = Topic::new("order.submitted").unwrap();
        assert!(topic.matches("order.submitted"));
        assert!(topic.matches("order.*"));
        assert!(topic.matches("*"));
        assert!(!topic.matches("order.filled"));
        assert!(!topic.matches("md.*"));
        assert!(!Topic::new("orderx.y").is_ok_and(|t| t.matches("order.*")));
        assert_eq!(topic.namespace(), "order");
    }
}
