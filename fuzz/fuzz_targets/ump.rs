//! UMP framing and decoding on arbitrary word streams: a split either covers the stream
//! exactly with messages of the right lengths or names where it breaks; decoding any
//! message (or any fragment) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use midi_loopback::core::ump::decode::{decode, is_hidden_real_time};
use midi_loopback::core::ump::{FramingError, check_single_message, message_words, split_messages};

fuzz_target!(|data: &[u8]| {
    let words: Vec<u32> = data
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    match split_messages(&words) {
        Ok(msgs) => {
            assert_eq!(msgs.concat(), words);
            for m in msgs {
                assert_eq!(m.len(), message_words(m[0]));
                assert!(check_single_message(m).is_ok());
                let _ = decode(m);
            }
        }
        Err(FramingError::Truncated { needed, available, .. }) => {
            assert!(available < needed);
            assert!(split_messages(&words[..words.len() - available]).is_ok());
        }
        Err(e) => panic!("unexpected {e}"),
    }
    for n in 0..words.len().min(6) {
        let _ = decode(&words[..n]);
        let _ = is_hidden_real_time(&words[..n]);
    }
});
