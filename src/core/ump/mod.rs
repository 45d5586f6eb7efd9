//! Universal MIDI Packets: framing (how many words a message has), decoding to human text, and
//! translation to and from MIDI 1.0.
//!
//! The engine forwards words untouched; all it needs is [`message_words`]. The decoder in
//! [`decode`] serves the monitor and the dashboard only; [`midi1`] serves the bridges to
//! MIDI 1.0 ports.

pub mod decode;
pub mod midi1;

use thiserror::Error;

/// Words per message, by message type (the top nibble of the first word). Every type has a
/// size, reserved ones included, so the engine can forward messages it does not understand.
const WORDS_BY_TYPE: [u8; 16] = [1, 1, 1, 2, 2, 4, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4];

/// The message type: the top nibble of the first word.
pub const fn message_type(first_word: u32) -> u8 {
    (first_word >> 28) as u8
}

/// How many 32-bit words the message starting with `first_word` has (1 to 4).
pub const fn message_words(first_word: u32) -> usize {
    WORDS_BY_TYPE[message_type(first_word) as usize] as usize
}

/// A word stream that does not divide into whole messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FramingError {
    #[error("no words given; a message has 1 to 4 32-bit words")]
    Empty,
    #[error(
        "message {index} (type {mt:X}, first word 0x{first:08X}) needs {needed} words but only {available} remain"
    )]
    Truncated {
        index: usize,
        mt: u8,
        first: u32,
        needed: usize,
        available: usize,
    },
    #[error(
        "a message of type {mt:X} (first word 0x{first:08X}) has exactly {needed} word(s), but {given} were given"
    )]
    WrongLength {
        mt: u8,
        first: u32,
        needed: usize,
        given: usize,
    },
}

/// Splits a word stream into messages; refuses the whole stream if it ends mid-message.
pub fn split_messages(words: &[u32]) -> Result<Vec<&[u32]>, FramingError> {
    let mut out = Vec::new();
    let mut rest = words;
    while let Some(&first) = rest.first() {
        let needed = message_words(first);
        if rest.len() < needed {
            return Err(FramingError::Truncated {
                index: out.len(),
                mt: message_type(first),
                first,
                needed,
                available: rest.len(),
            });
        }
        let (msg, tail) = rest.split_at(needed);
        out.push(msg);
        rest = tail;
    }
    Ok(out)
}

/// Checks that `words` form exactly one message (what `send-message` takes).
pub fn check_single_message(words: &[u32]) -> Result<(), FramingError> {
    let Some(&first) = words.first() else {
        return Err(FramingError::Empty);
    };
    let needed = message_words(first);
    if words.len() != needed {
        return Err(FramingError::WrongLength {
            mt: message_type(first),
            first,
            needed,
            given: words.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_type_nibble() {
        let want = [1, 1, 1, 2, 2, 4, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4];
        for (mt, n) in want.iter().enumerate() {
            assert_eq!(message_words((mt as u32) << 28), *n, "type {mt:X}");
        }
    }

    #[test]
    fn split_refuses_a_truncated_stream() {
        let words = [0x2090_3C64, 0x4090_3C00, 0x8000_0000, 0x4090_3C00];
        assert!(matches!(
            split_messages(&words),
            Err(FramingError::Truncated { index: 2, .. })
        ));
        assert_eq!(split_messages(&words[..3]).unwrap().len(), 2);
    }
}
