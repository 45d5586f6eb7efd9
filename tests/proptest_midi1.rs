//! Property tests of the MIDI 1.0 translation (`core::ump::midi1`): any sequence of valid
//! MIDI 1.0 messages survives MIDI 1.0 -> UMP -> MIDI 1.0 unchanged, also with running status
//! and real-time bytes inside other messages; one message at a time gives the same words as
//! the stream parser; and arbitrary bytes or words never panic and never produce anything but
//! well-formed output.
//!
//! `PROPTEST_CASES=N` runs more cases.

use midi_loopback::core::ump::check_single_message;
use midi_loopback::core::ump::midi1::{
    MAX_SYSEX_BYTES, Midi1ToUmp, NotTranslated, UmpToMidi1, message_to_ump,
};
mod common;

use common::proptest_config as config;
use proptest::prelude::*;

const REAL_TIME: [u8; 6] = [0xF8, 0xFA, 0xFB, 0xFC, 0xFE, 0xFF];

fn data() -> impl Strategy<Value = u8> {
    0u8..0x80
}

fn channel_voice() -> impl Strategy<Value = Vec<u8>> {
    (0x8u8..=0xE, 0u8..16, data(), data()).prop_map(|(kind, channel, d1, d2)| {
        let status = (kind << 4) | channel;
        match kind {
            0xC | 0xD => vec![status, d1],
            _ => vec![status, d1, d2],
        }
    })
}

fn system_common() -> impl Strategy<Value = Vec<u8>> {
    (0usize..4, data(), data()).prop_map(|(which, d1, d2)| match which {
        0 => vec![0xF1, d1],
        1 => vec![0xF2, d1, d2],
        2 => vec![0xF3, d1],
        _ => vec![0xF6],
    })
}

fn real_time() -> impl Strategy<Value = u8> {
    prop::sample::select(REAL_TIME.to_vec())
}

fn sysex() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(data(), 0..200).prop_map(|body| {
        let mut bytes = vec![0xF0];
        bytes.extend(body);
        bytes.push(0xF7);
        bytes
    })
}

/// One valid, complete MIDI 1.0 message.
fn message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => channel_voice(),
        2 => system_common(),
        2 => real_time().prop_map(|byte| vec![byte]),
        1 => sysex(),
    ]
}

/// What one trip from MIDI 1.0 bytes to UMP and back gave.
struct Trip {
    ump: Vec<Vec<u32>>,
    back: Vec<Vec<u8>>,
    /// Reasons the parser of the bytes gave.
    byte_side: Vec<NotTranslated>,
    /// Reasons the translation of its UMP back gave.
    ump_side: Vec<NotTranslated>,
}

impl Trip {
    fn reasons(&self) -> Vec<NotTranslated> {
        [self.byte_side.clone(), self.ump_side.clone()].concat()
    }
}

/// Parses `bytes` and translates every UMP message back.
fn round_trip(bytes: &[u8]) -> Trip {
    let mut trip = Trip {
        ump: Vec::new(),
        back: Vec::new(),
        byte_side: Vec::new(),
        ump_side: Vec::new(),
    };
    Midi1ToUmp::new().push_bytes(bytes, |r| match r {
        Ok(words) => trip.ump.push(words.to_vec()),
        Err(why) => trip.byte_side.push(why),
    });
    let mut translator = UmpToMidi1::new();
    for words in &trip.ump {
        translator.translate(words, |r| match r {
            Ok(message) => trip.back.push(message.to_vec()),
            Err(why) => trip.ump_side.push(why),
        });
    }
    trip
}

/// A well-framed UMP message, mostly of the types a MIDI 1.0 port takes, mostly on group 1.
fn ump_message() -> impl Strategy<Value = Vec<u32>> {
    (
        prop::sample::select(vec![
            0x0u32, 0x1, 0x2, 0x3, 0x3, 0x3, 0x4, 0x4, 0x5, 0xD, 0xF,
        ]),
        any::<u32>(),
        any::<bool>(),
        any::<[u32; 3]>(),
    )
        .prop_map(|(mt, low, group_1, rest)| {
            let mut first = (mt << 28) | (low & 0x0FFF_FFFF);
            if group_1 {
                first &= 0xF0FF_FFFF;
            }
            let mut words = vec![first];
            let len = midi_loopback::core::ump::message_words(first);
            words.extend_from_slice(&rest[..len - 1]);
            words
        })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn midi1_messages_survive_a_round_trip_through_ump(
        messages in prop::collection::vec(message(), 0..40)
    ) {
        let trip = round_trip(&messages.concat());
        prop_assert_eq!(trip.reasons(), vec![]);
        prop_assert_eq!(&trip.back, &messages);
        for words in &trip.ump {
            prop_assert!(check_single_message(words).is_ok());
            prop_assert_eq!((words[0] >> 24) & 0xF, 0, "group 1");
        }
    }

    #[test]
    fn running_status_and_real_time_bytes_inside_messages_change_nothing(
        messages in prop::collection::vec(message(), 0..40),
        compress in prop::collection::vec(any::<bool>(), 40),
        inserts in prop::collection::vec(
            prop::collection::vec((any::<prop::sample::Index>(), real_time()), 0..3),
            40,
        ),
    ) {
        let mut stream = Vec::new();
        let mut want = Vec::new();
        let mut running = None;
        for (i, message) in messages.iter().enumerate() {
            let status = message[0];
            let mut bytes = message.clone();
            if status < 0xF0 {
                if compress[i] && running == Some(status) {
                    bytes.remove(0);
                }
                running = Some(status);
            } else if status < 0xF8 {
                running = None;
            }
            // Real-time bytes after the first byte and before the last arrive first.
            let mut inside: Vec<(usize, u8)> = if bytes.len() >= 2 {
                inserts[i].iter().map(|(at, rt)| (1 + at.index(bytes.len() - 1), *rt)).collect()
            } else {
                Vec::new()
            };
            inside.sort_by_key(|(at, _)| *at);
            for (offset, (at, rt)) in inside.iter().enumerate() {
                bytes.insert(at + offset, *rt);
                want.push(vec![*rt]);
            }
            stream.extend(bytes);
            want.push(message.clone());
        }
        let trip = round_trip(&stream);
        prop_assert_eq!(trip.reasons(), vec![]);
        prop_assert_eq!(trip.back, want);
    }

    #[test]
    fn one_message_at_a_time_gives_the_words_of_the_stream_parser(message in message()) {
        let trip = round_trip(&message);
        prop_assert_eq!(trip.reasons(), vec![]);
        prop_assert_eq!(message_to_ump(&message), Ok(trip.ump.concat()));
        prop_assert_eq!(trip.back, vec![message]);
    }

    #[test]
    fn arbitrary_bytes_give_only_well_formed_ump_that_translates_back(
        bytes in prop::collection::vec(any::<u8>(), 0..400)
    ) {
        let trip = round_trip(&bytes);
        for words in &trip.ump {
            prop_assert!(check_single_message(words).is_ok(), "{:08X?}", words);
            prop_assert!(matches!(words[0] >> 24, 0x10 | 0x20 | 0x30), "{:08X?}", words);
        }
        for message in &trip.back {
            prop_assert!(message_to_ump(message).is_ok(), "{:02X?}", message);
        }
        // The UMP side can only notice a cut-off SysEx that the byte side already counted.
        let aborted = |side: &[NotTranslated]| {
            side.iter().filter(|why| **why == NotTranslated::SysExAborted).count()
        };
        prop_assert!(
            trip.ump_side.iter().all(|why| *why == NotTranslated::SysExAborted),
            "{:?}", trip.ump_side
        );
        prop_assert!(aborted(&trip.ump_side) <= aborted(&trip.byte_side));
    }

    #[test]
    fn arbitrary_words_give_only_whole_midi1_messages(
        messages in prop::collection::vec(ump_message(), 0..64),
        loose in prop::collection::vec(prop::collection::vec(any::<u32>(), 0..5), 0..8),
    ) {
        let mut translator = UmpToMidi1::new();
        let mut out = Vec::new();
        for words in messages.iter().chain(&loose) {
            translator.translate(words, |r| if let Ok(message) = r { out.push(message.to_vec()) });
        }
        for message in &out {
            prop_assert!(message_to_ump(message).is_ok(), "{:02X?}", message);
            prop_assert!(message.len() <= MAX_SYSEX_BYTES + 2);
        }
    }
}
