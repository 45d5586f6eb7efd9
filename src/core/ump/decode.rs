//! Decoding a message to human text (the monitor and the dashboard). Placeholder labels only;
//! the full decoder replaces this file.

use serde_json::{Map, Value};

/// A decoded message.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// A short label such as "MIDI 1.0 Note On".
    pub message_type: String,
    /// The group, 1 to 16, for messages that have one.
    pub group: Option<u8>,
    /// The channel, 1 to 16, for channel messages.
    pub channel: Option<u8>,
    /// The decoded data as one line of text.
    pub text: String,
    /// The decoded data as JSON fields.
    pub fields: Map<String, Value>,
}

/// Decodes one message (its words, 1 to 4).
pub fn decode(words: &[u32]) -> Decoded {
    let mt = words.first().map(|w| super::message_type(*w)).unwrap_or(0);
    Decoded {
        message_type: format!("type {mt:X}"),
        group: None,
        channel: None,
        text: String::new(),
        fields: Map::new(),
    }
}
