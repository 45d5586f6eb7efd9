//! Property tests of UMP framing (`core::ump`): a message's length follows from its type
//! nibble alone; any stream of whole messages splits back into exactly those messages; a
//! stream that ends mid-message is refused whole, naming the broken message; and the
//! decoder behind the monitor never panics and reads missing words as 0, extra ones not at
//! all, as documented.
//!
//! `PROPTEST_CASES=N` runs more cases (docs/RELIABILITY.md records a long run).

use midi_loopback::core::ump::decode::{decode, is_hidden_real_time};
use midi_loopback::core::ump::{
    FramingError, check_single_message, message_type, message_words, split_messages,
};
mod common;

use common::proptest_config as config;
use proptest::prelude::*;

/// Types 0,1,2,6,7: 1 word; 3,4,8,9,A: 2; B,C: 3; 5,D,E,F: 4.
fn spec_words(mt: u8) -> usize {
    match mt {
        0x0 | 0x1 | 0x2 | 0x6 | 0x7 => 1,
        0x3 | 0x4 | 0x8 | 0x9 | 0xA => 2,
        0xB | 0xC => 3,
        _ => 4,
    }
}

/// One whole message with random words.
fn message() -> impl Strategy<Value = Vec<u32>> {
    any::<u32>().prop_flat_map(|first| {
        let n = message_words(first);
        proptest::collection::vec(any::<u32>(), n - 1).prop_map(move |rest| {
            let mut m = vec![first];
            m.extend(rest);
            m
        })
    })
}

/// One whole message of 2 to 4 words.
fn multi_word_message() -> impl Strategy<Value = Vec<u32>> {
    (
        prop::sample::select(vec![
            0x3u32, 0x4, 0x5, 0x8, 0x9, 0xA, 0xB, 0xC, 0xD, 0xE, 0xF,
        ]),
        any::<u32>(),
        any::<[u32; 3]>(),
    )
        .prop_map(|(mt, low, rest)| {
            let first = (mt << 28) | (low & 0x0FFF_FFFF);
            let mut m = vec![first];
            m.extend_from_slice(&rest[..message_words(first) - 1]);
            m
        })
}

/// One whole message of a type the UMP specification defines.
fn defined_message() -> impl Strategy<Value = Vec<u32>> {
    (
        prop::sample::select(vec![0x0u32, 0x1, 0x2, 0x3, 0x4, 0x5, 0xD, 0xF]),
        any::<u32>(),
        any::<[u32; 3]>(),
    )
        .prop_map(|(mt, low, rest)| {
            let first = (mt << 28) | (low & 0x0FFF_FFFF);
            let mut m = vec![first];
            m.extend_from_slice(&rest[..message_words(first) - 1]);
            m
        })
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn a_message_length_follows_from_its_type_nibble_alone(word in any::<u32>()) {
        let mt = (word >> 28) as u8;
        prop_assert_eq!(message_type(word), mt);
        prop_assert_eq!(message_words(word), spec_words(mt));
        // The other 28 bits never matter.
        prop_assert_eq!(message_words(word), message_words(word & 0xF000_0000));
    }

    #[test]
    fn whole_messages_split_back_into_exactly_themselves(
        msgs in proptest::collection::vec(message(), 0..64)
    ) {
        let stream: Vec<u32> = msgs.concat();
        let split = split_messages(&stream).expect("whole messages");
        prop_assert_eq!(split.len(), msgs.len());
        for (got, want) in split.iter().zip(&msgs) {
            prop_assert_eq!(*got, want.as_slice());
            prop_assert!(check_single_message(got).is_ok());
        }
    }

    #[test]
    fn a_stream_cut_inside_its_last_message_is_refused_naming_it(
        before in proptest::collection::vec(message(), 0..31),
        last in multi_word_message(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut msgs = before;
        msgs.push(last.clone());
        let last = &last;
        let keep = 1 + cut.index(last.len() - 1); // 1 ..= len-1 words of it
        let mut stream: Vec<u32> = msgs[..msgs.len() - 1].concat();
        stream.extend_from_slice(&last[..keep]);
        match split_messages(&stream) {
            Err(FramingError::Truncated { index, needed, available, first, mt }) => {
                prop_assert_eq!(index, msgs.len() - 1);
                prop_assert_eq!(needed, last.len());
                prop_assert_eq!(available, keep);
                prop_assert_eq!(first, last[0]);
                prop_assert_eq!(mt, message_type(last[0]));
            }
            other => prop_assert!(false, "expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn any_word_stream_is_either_split_whole_or_refused(
        words in proptest::collection::vec(any::<u32>(), 0..64)
    ) {
        match split_messages(&words) {
            Ok(split) => {
                prop_assert_eq!(split.concat(), words.clone());
                for m in &split {
                    prop_assert_eq!(m.len(), message_words(m[0]));
                }
            }
            Err(FramingError::Truncated { index, needed, available, .. }) => {
                prop_assert!(available < needed);
                // Everything before the broken message was whole.
                let whole = split_messages(&words[..words.len() - available]).expect("whole prefix");
                prop_assert_eq!(whole.len(), index);
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    #[test]
    fn one_message_is_exactly_as_many_words_as_its_type_says(
        words in proptest::collection::vec(any::<u32>(), 0..6)
    ) {
        let ok = !words.is_empty() && words.len() == message_words(words[0]);
        prop_assert_eq!(check_single_message(&words).is_ok(), ok);
    }

    #[test]
    fn the_decoder_never_panics_on_any_message(
        msg in message(),
        extra in proptest::collection::vec(any::<u32>(), 0..3),
        keep in 0usize..5,
    ) {
        let mut longer = msg.clone();
        longer.extend(&extra);
        for words in [&msg[..], &longer[..], &msg[..keep.min(msg.len())]] {
            prop_assert!(!decode(words).message_type.is_empty());
            let _ = is_hidden_real_time(words);
        }
    }

    /// Reserved types show the raw words they were given, so this holds for the defined ones.
    #[test]
    fn the_decoder_pads_missing_words_with_zero_and_ignores_extra_ones(
        msg in defined_message(),
        extra in proptest::collection::vec(any::<u32>(), 0..3),
        keep in 0usize..4,
    ) {
        let d = decode(&msg);
        prop_assert!(!d.message_type.is_empty());
        // Extra words are ignored.
        let mut longer = msg.clone();
        longer.extend(&extra);
        prop_assert_eq!(&decode(&longer), &d);
        // Missing words read as 0.
        let keep = keep.min(msg.len());
        let short = &msg[..keep];
        let mut padded = short.to_vec();
        padded.resize(msg.len(), 0);
        prop_assert_eq!(decode(short), decode(&padded));
    }
}
