//! The UMP decoder against test vectors taken from public MIDI 2.0 test suites.
//!
//! Only the hex words and the field values those suites expect are ported; each group of
//! vectors names the repository and file it comes from. Where a suite builds a packet from
//! named fields and only prints some of its words, the missing header word was assembled from
//! those fields (said so next to the vector). Groups and channels here are 1-based, as the
//! decoder shows them; the suites use 0-based numbers, so expect a "+1".

use midi_loopback::core::ump::decode::{Decoded, decode, is_hidden_real_time, note_name};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Decodes `words` and checks the label, group, channel and every field listed in `fields`
/// (other fields may exist). Returns the decoded message for checks on its text.
#[track_caller]
fn check(
    words: &[u32],
    message_type: &str,
    group: Option<u8>,
    channel: Option<u8>,
    fields: Value,
) -> Decoded {
    let d = decode(words);
    assert_eq!(d.message_type, message_type, "label of {words:08X?}");
    assert_eq!(d.group, group, "group of {words:08X?}");
    assert_eq!(d.channel, channel, "channel of {words:08X?}");
    for (key, want) in fields.as_object().expect("fields are an object") {
        assert_eq!(
            d.fields.get(key),
            Some(want),
            "field {key} of {words:08X?}: {d:?}"
        );
    }
    d
}

// --- Type 0: utility -------------------------------------------------------------------------

#[test]
fn utility_noop_and_jitter_reduction() {
    // midi2-dev/ni-midi2 tests/utility_message_tests.cpp
    let d = check(&[0x0000_0000], "NOOP", None, None, json!({"status": 0}));
    assert_eq!(d.text, "");
    check(
        &[0x0010_F499],
        "JR Clock",
        None,
        None,
        json!({"time": 0xF499, "time_us": 0xF499 * 32}),
    );
    check(
        &[0x0020_ABCD],
        "JR Timestamp",
        None,
        None,
        json!({"time": 0xABCD}),
    );
    check(
        &[0x0020_17CC],
        "JR Timestamp",
        None,
        None,
        json!({"time": 0x17CC}),
    );
    // midi2-dev/bl-midi2-rs midi2/src/utility.rs
    let d = check(
        &[0x0020_1234],
        "JR Timestamp",
        None,
        None,
        json!({"time": 0x1234}),
    );
    assert_eq!(d.text, "time 4660 (x 32 us = 149.120 ms)");
}

#[test]
fn utility_delta_clockstamps() {
    // midi2-dev/bl-midi2-rs midi2/src/utility.rs (a 20-bit delta, a 16-bit TPQN)
    check(
        &[0x004A_BCDE],
        "Delta Clockstamp",
        None,
        None,
        json!({"status": 4, "ticks": 0xABCDE}),
    );
    check(
        &[0x0030_0000],
        "Delta Clockstamp TPQN",
        None,
        None,
        json!({"status": 3, "ticks_per_quarter_note": 0}),
    );
}

// --- Type 1: system common and real time -----------------------------------------------------

#[test]
fn system_common_with_data() {
    // midi2-dev/ni-midi2 tests/system_message_tests.cpp
    check(
        &[0x19F1_4600],
        "MTC Quarter Frame",
        Some(10),
        None,
        json!({"status": 0xF1, "piece": 4, "value": 6}),
    );
    check(
        &[0x1CF3_4200],
        "Song Select",
        Some(13),
        None,
        json!({"song": 66}),
    );
    check(
        &[0x13F2_3424],
        "Song Position",
        Some(4),
        None,
        json!({"position": 0x1234}),
    );
    check(
        &[0x1DF2_7A75],
        "Song Position",
        Some(14),
        None,
        json!({"position": 0x3AFA}),
    );
    check(
        &[0x19F2_7469],
        "Song Position",
        Some(10),
        None,
        json!({"position": 0x34F4}),
    );
    // midi2-dev/bl-midi2-rs midi2/src/system_common.rs
    let d = check(
        &[0x15F1_5F00],
        "MTC Quarter Frame",
        Some(6),
        None,
        json!({"piece": 5, "value": 15}),
    );
    assert_eq!(d.text, "piece 5 (minutes high nibble) value 15");
}

#[test]
fn system_real_time_and_the_hidden_ones() {
    // midi2-dev/ni-midi2 tests/system_message_tests.cpp (Timing Clock on groups 5 and 13)
    for (word, group) in [(0x14F8_0000, 5), (0x1CF8_0000, 13)] {
        check(
            &[word],
            "Timing Clock",
            Some(group),
            None,
            json!({"status": 0xF8}),
        );
        assert!(is_hidden_real_time(&[word]));
    }
    // Status bytes from midi2-dev/bl-midi2-rs midi2/src/system_common.rs, on group 1.
    for (status, label, hidden) in [
        (0xF6, "Tune Request", false),
        (0xFA, "Start", false),
        (0xFB, "Continue", false),
        (0xFC, "Stop", false),
        (0xFE, "Active Sensing", true),
        (0xFF, "Reset", false),
    ] {
        let word = 0x1000_0000 | (status << 16);
        let d = check(&[word], label, Some(1), None, json!({"status": status}));
        assert_eq!(d.text, "");
        assert_eq!(is_hidden_real_time(&[word]), hidden, "{label}");
    }
    // Only type 1 real time is hidden: the same byte in other types is data.
    assert!(!is_hidden_real_time(&[0x20F8_0000]));
    assert!(!is_hidden_real_time(&[0x3000_F800, 0]));
    assert!(!is_hidden_real_time(&[]));
}

// --- Type 2: MIDI 1.0 channel voice ----------------------------------------------------------

#[test]
fn midi1_notes() {
    // midi2-dev/ni-midi2 tests/midi1_channel_voice_message_tests.cpp
    let d = check(
        &[0x2496_2C65],
        "MIDI 1.0 Note On",
        Some(5),
        Some(7),
        json!({"group": 5, "channel": 7, "note": 44, "note_name": "G#2", "velocity": 101}),
    );
    assert_eq!(d.text, "note G#2 (44) velocity 101");
    check(
        &[0x2489_5023],
        "MIDI 1.0 Note Off",
        Some(5),
        Some(10),
        json!({"note": 0x50, "note_name": "G#5", "velocity": 0x23}),
    );
    check(
        &[0x2894_1201],
        "MIDI 1.0 Note On",
        Some(9),
        Some(5),
        json!({"note": 0x12, "velocity": 1}),
    );
    // juce-framework/JUCE modules/juce_audio_basics/midi/ump/juce_UMP_test.cpp
    let d = check(
        &[0x2090_4040],
        "MIDI 1.0 Note On",
        Some(1),
        Some(1),
        json!({"note": 64, "note_name": "E4", "velocity": 64}),
    );
    assert_eq!(d.text, "note E4 (64) velocity 64");
    // JUCE turns this one into a MIDI 2.0 Note Off: velocity 0 means "off" in MIDI 1.0.
    let d = check(
        &[0x2393_5100],
        "MIDI 1.0 Note On",
        Some(4),
        Some(4),
        json!({"note": 0x51, "note_name": "A5", "velocity": 0}),
    );
    assert!(d.text.ends_with("velocity 0 (= note off)"), "{}", d.text);
}

#[test]
fn midi1_pressure_program_and_controllers() {
    // midi2-dev/ni-midi2 tests/midi1_channel_voice_message_tests.cpp
    check(
        &[0x20A1_6372],
        "MIDI 1.0 Poly Pressure",
        Some(1),
        Some(2),
        json!({"note": 99, "note_name": "D#7", "pressure": 114}),
    );
    check(
        &[0x29B4_3876],
        "MIDI 1.0 Control Change",
        Some(10),
        Some(5),
        json!({"controller": 0x38, "value": 0x76}),
    );
    check(
        &[0x2EC3_6300],
        "MIDI 1.0 Program Change",
        Some(15),
        Some(4),
        json!({"program": 99}),
    );
    check(
        &[0x2ED3_7900],
        "MIDI 1.0 Channel Pressure",
        Some(15),
        Some(4),
        json!({"pressure": 0x79}),
    );
    // juce-framework/JUCE modules/juce_audio_basics/midi/ump/juce_UMP_test.cpp
    let d = check(
        &[0x29B1_017F],
        "MIDI 1.0 Control Change",
        Some(10),
        Some(2),
        json!({"controller": 1, "controller_name": "Modulation", "value": 127}),
    );
    assert_eq!(d.text, "controller 1 (Modulation) value 127");
    // The RPN sequence JUCE expects for RPN 0x0123: CC 101, 100, 6 and 38.
    for (word, name) in [
        (0x24B4_6501, "RPN MSB"),
        (0x24B4_6423, "RPN LSB"),
        (0x24B4_0622, "Data Entry MSB"),
        (0x24B4_2659, "Data Entry LSB"),
    ] {
        check(
            &[word],
            "MIDI 1.0 Control Change",
            Some(5),
            Some(5),
            json!({"controller_name": name}),
        );
    }
}

#[test]
fn midi1_pitch_bend_shows_the_offset_from_8192() {
    // midi2-dev/ni-midi2 tests/midi1_channel_voice_message_tests.cpp
    let d = check(
        &[0x2CE9_0040],
        "MIDI 1.0 Pitch Bend",
        Some(13),
        Some(10),
        json!({"value": 0x2000, "offset": 0}),
    );
    assert_eq!(d.text, "pitch bend 8192 (+0)");
    check(
        &[0x23E7_1248],
        "MIDI 1.0 Pitch Bend",
        Some(4),
        Some(8),
        json!({"value": 0x2412, "offset": 0x2412 - 0x2000}),
    );
    check(
        &[0x2CE6_7F7F],
        "MIDI 1.0 Pitch Bend",
        Some(13),
        Some(7),
        json!({"value": 0x3FFF, "offset": 8191}),
    );
    // juce-framework/JUCE juce_UMP_test.cpp (MIDI 2 -> 1 pitch bend result)
    check(
        &[0x2EEE_0D09],
        "MIDI 1.0 Pitch Bend",
        Some(15),
        Some(15),
        json!({"value": 0x048D}),
    );
}

// --- Type 3: SysEx7 ----------------------------------------------------------------------------

#[test]
fn sysex7_from_pipewire() {
    // PipeWire/pipewire test/test-spa-control.c (F0 F7 and F0 01..05 F7)
    let d = check(
        &[0x3000_0000, 0x0000_0000],
        "SysEx7 Complete",
        Some(1),
        None,
        json!({"form": "complete", "byte_count": 0, "bytes": ""}),
    );
    assert_eq!(d.text, "0 bytes");
    let d = check(
        &[0x3005_0102, 0x0304_0500],
        "SysEx7 Complete",
        Some(1),
        None,
        json!({"byte_count": 5, "bytes": "01 02 03 04 05"}),
    );
    assert_eq!(d.text, "5 bytes: 01 02 03 04 05");
    // F0 01 .. 13 F7 in three packets.
    check(
        &[0x3016_0102, 0x0304_0506],
        "SysEx7 Start",
        Some(1),
        None,
        json!({"form": "start", "byte_count": 6, "bytes": "01 02 03 04 05 06"}),
    );
    check(
        &[0x3026_0708, 0x0910_1112],
        "SysEx7 Continue",
        Some(1),
        None,
        json!({"form": "continue", "bytes": "07 08 09 10 11 12"}),
    );
    let d = check(
        &[0x3031_1300, 0x0000_0000],
        "SysEx7 End",
        Some(1),
        None,
        json!({"form": "end", "byte_count": 1, "bytes": "13"}),
    );
    assert_eq!(d.text, "1 byte: 13");
}

#[test]
fn sysex7_from_ni_midi2() {
    // midi2-dev/ni-midi2 tests/data_message_tests.cpp (sysex7_packet_view)
    check(
        &[0x3712_0605, 0x0403_0201],
        "SysEx7 Start",
        Some(8),
        None,
        json!({"byte_count": 2, "bytes": "06 05"}),
    );
    check(
        &[0x3E26_1234, 0x5678_90AB],
        "SysEx7 Continue",
        Some(15),
        None,
        json!({"byte_count": 6, "bytes": "12 34 56 78 90 AB"}),
    );
}

// --- Type 4: MIDI 2.0 channel voice ----------------------------------------------------------

#[test]
fn midi2_notes_with_attributes() {
    // midi2-dev/ni-midi2 tests/midi2_channel_voice_message_tests.cpp
    check(
        &[0x4D8E_1401, 0xD123_9876],
        "MIDI 2.0 Note Off",
        Some(14),
        Some(15),
        json!({"note": 0x14, "note_name": "G#0", "velocity": 0xD123,
               "attribute_type": 1, "attribute_data": 0x9876}),
    );
    let d = check(
        &[0x4793_7703, 0xF001_6135],
        "MIDI 2.0 Note On",
        Some(8),
        Some(4),
        json!({"note": 0x77, "note_name": "B8", "velocity": 0xF001,
               "attribute_type": 3, "attribute_data": 0x6135}),
    );
    // Attribute type 3 is pitch in 7.9 fixed point: 0x6135 / 512 semitones.
    assert!(d.text.ends_with("(pitch 48.604)"), "{}", d.text);
    // midi2-dev/bl-midi2-rs midi2/src/channel_voice2/note_on.rs (Pitch7_9 attribute)
    let d = check(
        &[0x4898_5E03, 0x6A14_E98A],
        "MIDI 2.0 Note On",
        Some(9),
        Some(9),
        json!({"note": 0x5E, "note_name": "A#6", "velocity": 0x6A14, "attribute_data": 0xE98A}),
    );
    assert!(d.text.ends_with("(pitch 116.770)"), "{}", d.text);
    // juce-framework/JUCE juce_UMP_test.cpp (MIDI 2 -> 1 note on / off)
    let d = check(
        &[0x4194_6410, 0x1234_5678],
        "MIDI 2.0 Note On",
        Some(2),
        Some(5),
        json!({"note": 0x64, "note_name": "E7", "velocity": 0x1234,
               "attribute_type": 0x10, "attribute_data": 0x5678}),
    );
    assert_eq!(
        d.text,
        "note E7 (100) velocity 4660 (7.1%) attribute 16 data 22136"
    );
    check(
        &[0x448B_0520, 0xFEDC_BA98],
        "MIDI 2.0 Note Off",
        Some(5),
        Some(12),
        json!({"note": 5, "velocity": 0xFEDC}),
    );
}

#[test]
fn midi2_pressure() {
    // midi2-dev/ni-midi2 tests/midi2_channel_voice_message_tests.cpp
    check(
        &[0x40A1_6300, 0x000F_B27D],
        "MIDI 2.0 Poly Pressure",
        Some(1),
        Some(2),
        json!({"note": 99, "pressure": 1_028_733}),
    );
    check(
        &[0x46A9_4000, 0x05F5_E100],
        "MIDI 2.0 Poly Pressure",
        Some(7),
        Some(10),
        json!({"note": 64, "pressure": 100_000_000}),
    );
    check(
        &[0x49DB_0000, 0x01C0_6034],
        "MIDI 2.0 Channel Pressure",
        Some(10),
        Some(12),
        json!({"pressure": 29_384_756}),
    );
    check(
        &[0x4ED3_0000, 0x7927_3847],
        "MIDI 2.0 Channel Pressure",
        Some(15),
        Some(4),
        json!({"pressure": 0x7927_3847}),
    );
    // juce-framework/JUCE juce_UMP_test.cpp
    check(
        &[0x49AF_0520, 0x80DC_BA98],
        "MIDI 2.0 Poly Pressure",
        Some(10),
        Some(16),
        json!({"note": 5, "pressure": 0x80DC_BA98_u32}),
    );
    check(
        &[0x40D2_0520, 0x80DC_BA98],
        "MIDI 2.0 Channel Pressure",
        Some(1),
        Some(3),
        json!({"pressure": 0x80DC_BA98_u32}),
    );
}

#[test]
fn midi2_per_note_controllers_and_management() {
    // midi2-dev/ni-midi2 tests/midi2_channel_voice_message_tests.cpp
    check(
        &[0x4F0E_2C4D, 0x3344_5566],
        "MIDI 2.0 Registered Per-Note Controller",
        Some(16),
        Some(15),
        json!({"note": 44, "controller": 77, "value": 0x3344_5566}),
    );
    check(
        &[0x4105_3344, 0x0000_0055],
        "MIDI 2.0 Registered Per-Note Controller",
        Some(2),
        Some(6),
        json!({"note": 0x33, "controller": 0x44, "value": 0x55}),
    );
    check(
        &[0x4E1D_1234, 0x4455_6677],
        "MIDI 2.0 Assignable Per-Note Controller",
        Some(15),
        Some(14),
        json!({"note": 0x12, "controller": 0x34, "value": 0x4455_6677}),
    );
    for (word, group, channel, note, detach, reset) in [
        (0x46F5_0402, 7, 6, 4, true, false),
        (0x42F7_4201, 3, 8, 0x42, false, true),
        (0x4FFD_6003, 16, 14, 96, true, true),
    ] {
        check(
            &[word],
            "MIDI 2.0 Per-Note Management",
            Some(group),
            Some(channel),
            json!({"note": note, "detach": detach, "reset": reset}),
        );
    }
}

#[test]
fn midi2_registered_and_assignable_controllers() {
    // midi2-dev/ni-midi2 tests/midi2_channel_voice_message_tests.cpp
    check(
        &[0x4327_0945, 0x8010_1010],
        "MIDI 2.0 RPN",
        Some(4),
        Some(8),
        json!({"bank": 9, "index": 0x45, "value": 0x8010_1010_u32}),
    );
    check(
        &[0x4337_0945, 0x8010_1010],
        "MIDI 2.0 NRPN",
        Some(4),
        Some(8),
        json!({"bank": 9, "index": 0x45, "value": 0x8010_1010_u32}),
    );
    // juce-framework/JUCE juce_UMP_test.cpp (MIDI 2 -> 1 nrpn rpn conversion)
    check(
        &[0x4424_0123, 0x4567_89AB],
        "MIDI 2.0 RPN",
        Some(5),
        Some(5),
        json!({"bank": 1, "index": 0x23, "value": 0x4567_89AB}),
    );
    let d = check(
        &[0x4834_7F7F, 0xFFFF_FFFF],
        "MIDI 2.0 NRPN",
        Some(9),
        Some(5),
        json!({"bank": 0x7F, "index": 0x7F, "value": 0xFFFF_FFFF_u32}),
    );
    assert!(d.text.ends_with("(100.0%)"), "{}", d.text);
}

#[test]
fn midi2_relative_controllers_are_signed() {
    // midi2-dev/ni-midi2 tests/midi2_channel_voice_message_tests.cpp
    check(
        &[0x4347_0945, 0xFFFF_FDF6],
        "MIDI 2.0 Relative RPN",
        Some(4),
        Some(8),
        json!({"bank": 9, "index": 0x45, "value": -522}),
    );
    check(
        &[0x4E53_4501, 0x0000_0400],
        "MIDI 2.0 Relative NRPN",
        Some(15),
        Some(4),
        json!({"bank": 0x45, "index": 1, "value": 1024}),
    );
    let d = check(
        &[0x4B5C_0973, 0xFFFF_FF9D],
        "MIDI 2.0 Relative NRPN",
        Some(12),
        Some(13),
        json!({"bank": 9, "index": 0x73, "value": -99}),
    );
    assert_eq!(d.text, "bank 9 index 115 increment -99");
}

#[test]
fn midi2_control_change() {
    // midi2-dev/ni-midi2 tests/midi2_channel_voice_message_tests.cpp
    check(
        &[0x49B4_3800, 0x9876_5432],
        "MIDI 2.0 Control Change",
        Some(10),
        Some(5),
        json!({"controller": 0x38, "value": 0x9876_5432_u32}),
    );
    // juce-framework/JUCE juce_UMP_test.cpp
    let d = check(
        &[0x49B0_0520, 0x80DC_BA98],
        "MIDI 2.0 Control Change",
        Some(10),
        Some(1),
        json!({"controller": 5, "controller_name": "Portamento Time"}),
    );
    assert!(
        d.text.starts_with("controller 5 (Portamento Time) value"),
        "{}",
        d.text
    );
}

#[test]
fn midi2_program_change_and_bank() {
    // midi2-dev/ni-midi2 tests/midi2_channel_voice_message_tests.cpp (bank 0x1234 = 36:52)
    check(
        &[0x41C8_0001, 0x0500_2434],
        "MIDI 2.0 Program Change",
        Some(2),
        Some(9),
        json!({"program": 5, "bank_valid": true, "bank_msb": 0x24, "bank_lsb": 0x34}),
    );
    check(
        &[0x4EC3_0000, 0x6300_0000],
        "MIDI 2.0 Program Change",
        Some(15),
        Some(4),
        json!({"program": 99, "bank_valid": false}),
    );
    // juce-framework/JUCE juce_UMP_test.cpp: the bank bytes count only with the valid flag.
    let d = check(
        &[0x4BC2_0001, 0x7000_4020],
        "MIDI 2.0 Program Change",
        Some(12),
        Some(3),
        json!({"program": 0x70, "bank_msb": 0x40, "bank_lsb": 0x20}),
    );
    assert_eq!(d.text, "program 112 bank 64:32");
    let d = check(
        &[0x4CC1_0000, 0x7000_4020],
        "MIDI 2.0 Program Change",
        Some(13),
        Some(2),
        json!({"program": 0x70, "bank_valid": false}),
    );
    assert!(!d.fields.contains_key("bank_msb"));
    assert_eq!(d.text, "program 112");
}

#[test]
fn midi2_pitch_bends() {
    // midi2-dev/ni-midi2 tests/midi2_channel_voice_message_tests.cpp
    check(
        &[0x4CE9_0000, 0x8000_0000],
        "MIDI 2.0 Pitch Bend",
        Some(13),
        Some(10),
        json!({"value": 0x8000_0000_u32, "offset": 0}),
    );
    check(
        &[0x43E7_0000, 0x4412_6535],
        "MIDI 2.0 Pitch Bend",
        Some(4),
        Some(8),
        json!({"offset": 0x4412_6535_i64 - 0x8000_0000}),
    );
    check(
        &[0x4C69_4D00, 0x8000_0000],
        "MIDI 2.0 Per-Note Pitch Bend",
        Some(13),
        Some(10),
        json!({"note": 77, "offset": 0}),
    );
    // midi2-dev/bl-midi2-rs midi2/src/channel_voice2/per_note_pitch_bend.rs
    check(
        &[0x4962_7600, 0x2AD7_4672],
        "MIDI 2.0 Per-Note Pitch Bend",
        Some(10),
        Some(3),
        json!({"note": 0x76, "note_name": "A#8", "value": 0x2AD7_4672}),
    );
    // juce-framework/JUCE juce_UMP_test.cpp
    let d = check(
        &[0x4EEE_0000, 0x1234_0000],
        "MIDI 2.0 Pitch Bend",
        Some(15),
        Some(15),
        json!({"value": 0x1234_0000, "offset": 0x1234_0000_i64 - 0x8000_0000}),
    );
    assert_eq!(d.text, "pitch bend 305397760 (-1842085888)");
}

// --- Type 5: SysEx8 and Mixed Data Set -------------------------------------------------------

#[test]
fn sysex8_packets() {
    // midi2-dev/bl-midi2-rs midi2/src/sysex8.rs: payload 00..31 on stream 0xBB, group 5.
    let payload: Vec<String> = (0x00..=0x0C).map(|b| format!("{b:02X}")).collect();
    check(
        &[0x541E_BB00, 0x0102_0304, 0x0506_0708, 0x090A_0B0C],
        "SysEx8 Start",
        Some(5),
        None,
        json!({"form": "start", "stream_id": 0xBB, "byte_count": 13, "bytes": payload.join(" ")}),
    );
    check(
        &[0x542E_BB0D, 0x0E0F_1011, 0x1213_1415, 0x1617_1819],
        "SysEx8 Continue",
        Some(5),
        None,
        json!({"stream_id": 0xBB, "byte_count": 13}),
    );
    let d = check(
        &[0x543C_BB27, 0x2829_2A2B, 0x2C2D_2E2F, 0x3031_0000],
        "SysEx8 End",
        Some(5),
        None,
        json!({"byte_count": 11, "bytes": "27 28 29 2A 2B 2C 2D 2E 2F 30 31"}),
    );
    assert_eq!(
        d.text,
        "stream 187, 11 bytes: 27 28 29 2A 2B 2C 2D 2E 2F 30 31"
    );
    // The same file: a complete packet of payload 0..10 (stream id 0).
    check(
        &[0x500B_0000, 0x0102_0304, 0x0506_0708, 0x0900_0000],
        "SysEx8 Complete",
        Some(1),
        None,
        json!({"stream_id": 0, "byte_count": 10, "bytes": "00 01 02 03 04 05 06 07 08 09"}),
    );
}

#[test]
fn mixed_data_sets() {
    // midi2-dev/ni-midi2 tests/mixed_data_set_tests.cpp (as_mixed_data_set_packets)
    check(
        &[0x538F_0028, 0x0001_0001, 0x0004_FFFF, 0x0102_0304],
        "Mixed Data Set Header",
        Some(4),
        None,
        json!({"status": 8, "mds_id": 15, "valid_bytes": 40, "chunks": 1, "chunk": 1,
               "manufacturer_id": 4, "device_id": 0xFFFF,
               "sub_id_1": 0x0102, "sub_id_2": 0x0304}),
    );
    check(
        &[0x539F_0102, 0x0304_0506, 0x0708_090A, 0x0B0C_0D0E],
        "Mixed Data Set Payload",
        Some(4),
        None,
        json!({"status": 9, "mds_id": 15,
               "bytes": "01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E"}),
    );
    check(
        &[0x5084_0010, 0x0001_0001, 0x007E_1234, 0x0005_0006],
        "Mixed Data Set Header",
        Some(1),
        None,
        json!({"mds_id": 4, "valid_bytes": 16, "manufacturer_id": 0x7E, "device_id": 0x1234}),
    );
}

// --- Type D: flex data -----------------------------------------------------------------------

#[test]
fn flex_set_tempo() {
    // midi2-dev/bl-midi2-rs midi2/src/flex_data/set_tempo.rs
    check(
        &[0xD710_0000, 0xF751_FE05, 0, 0],
        "Set Tempo",
        Some(8),
        None,
        json!({"status": 0, "bank": 0, "form": "complete", "ten_ns_per_quarter_note": 0xF751_FE05_u32}),
    );
    // midi2-dev/ni-midi2 tests/flex_data_message_tests.cpp: 500 ms per beat "120bpm" on
    // group 2; the suite prints data word 1, the header is assembled from its fields.
    let d = check(
        &[0xD210_0000, 0x02FA_F080, 0, 0],
        "Set Tempo",
        Some(3),
        None,
        json!({"ten_ns_per_quarter_note": 50_000_000, "bpm": 120.0}),
    );
    assert_eq!(d.text, "120.00 BPM (50000000 x 10 ns per quarter note)");
}

#[test]
fn flex_time_signature_and_metronome() {
    // midi2-dev/bl-midi2-rs midi2/src/flex_data/set_time_signature.rs
    check(
        &[0xDA10_0001, 0xCD90_7E00, 0, 0],
        "Set Time Signature",
        Some(11),
        None,
        json!({"numerator": 0xCD, "denominator_power": 0x90, "denominator": null,
               "thirty_seconds_per_quarter": 0x7E}),
    );
    // midi2-dev/ni-midi2 tests/flex_data_message_tests.cpp (header assembled: group 7)
    check(
        &[0xD710_0001, 0x0304_0800, 0, 0],
        "Set Time Signature",
        Some(8),
        None,
        json!({"numerator": 3, "denominator_power": 4, "denominator": 16,
               "thirty_seconds_per_quarter": 8}),
    );
    // midi2-dev/bl-midi2-rs midi2/src/flex_data/set_metronome.rs
    check(
        &[0xD110_0002, 0x9B4A_FE56, 0xB81B_0000, 0],
        "Set Metronome",
        Some(2),
        None,
        json!({"clocks_per_primary_click": 0x9B, "bar_accent_1": 0x4A, "bar_accent_2": 0xFE,
               "bar_accent_3": 0x56, "subdivision_clicks_1": 0xB8, "subdivision_clicks_2": 0x1B}),
    );
    // midi2-dev/ni-midi2 tests/flex_data_message_tests.cpp (header assembled: group 1)
    check(
        &[0xD110_0002, 0x1804_0000, 0, 0],
        "Set Metronome",
        Some(2),
        None,
        json!({"clocks_per_primary_click": 24, "bar_accent_1": 4}),
    );
}

#[test]
fn flex_key_signature() {
    // midi2-dev/bl-midi2-rs midi2/src/flex_data/set_key_signature.rs (group-wide)
    let d = check(
        &[0xD410_0005, 0x5400_0000, 0, 0],
        "Set Key Signature",
        Some(5),
        None,
        json!({"sharps_flats": 5, "tonic": "D"}),
    );
    assert_eq!(d.text, "5 sharps, tonic D");
    check(
        &[0xD410_0005, 0xB400_0000, 0, 0],
        "Set Key Signature",
        Some(5),
        None,
        json!({"sharps_flats": -5, "tonic": "D"}),
    );
    check(
        &[0xD410_0005, 0x8000_0000, 0, 0],
        "Set Key Signature",
        Some(5),
        None,
        json!({"sharps_flats": -8, "tonic": "unknown"}),
    );
    // The same file, addressed to channel 0xD.
    check(
        &[0xD40D_0005, 0x8000_0000, 0, 0],
        "Set Key Signature",
        Some(5),
        Some(14),
        json!({"channel": 14}),
    );
    // midi2-dev/ni-midi2 tests/flex_data_message_tests.cpp (header assembled: group 5,
    // channel 5, -5 flats, tonic C)
    check(
        &[0xD505_0005, 0xB300_0000, 0, 0],
        "Set Key Signature",
        Some(6),
        Some(6),
        json!({"sharps_flats": -5, "tonic": "C"}),
    );
}

#[test]
fn flex_chord_name() {
    // midi2-dev/bl-midi2-rs midi2/src/flex_data/set_chord_name.rs: G flat major 7th with
    // raise 5, add 9, lower 11, over an A sharp minor 9th bass with subtract 0.
    let d = check(
        &[0xD70B_0006, 0xF703_3519, 0x4B00_0000, 0x110A_0020],
        "Set Chord Name",
        Some(8),
        Some(12),
        json!({"tonic": "G", "chord_type": 3}),
    );
    assert_eq!(
        d.text,
        "Gb major 7th (raise 5, add 9, lower 11) / bass A# minor 9th (subtract 0)"
    );
}

#[test]
fn flex_text_messages_decode_utf8() {
    // midi2-dev/ni-midi2 tests/flex_data_message_tests.cpp: "testtext", bank 1 status 7,
    // group 1 channel 12 (header assembled from those fields).
    let d = check(
        &[0xD10C_0107, 0x7465_7374, 0x7465_7874, 0],
        "Arranger Name",
        Some(2),
        Some(13),
        json!({"bank": 1, "status": 7, "form": "complete", "text": "testtext"}),
    );
    assert_eq!(d.text, "\"testtext\"");
    // The same file: a four-packet text on group 5, bank 2 status 4, sent to the group.
    let packets: [([u32; 4], &str, &str); 4] = [
        (
            [0xD550_0204, 0x5468_6973, 0x2069_7320, 0x6120_6D75],
            "start",
            "This is a mu",
        ),
        (
            [0xD590_0204, 0x6C74_692D, 0x7061_636B, 0x6574_2063],
            "continue",
            "lti-packet c",
        ),
        (
            [0xD590_0204, 0x6F70_7972, 0x6967_6874, 0x206E_6F74],
            "continue",
            "opyright not",
        ),
        ([0xD5D0_0204, 0x6963_6500, 0, 0], "end", "ice"),
    ];
    let mut whole = String::new();
    for (words, form, text) in packets {
        let d = check(
            &words,
            "Ruby Language",
            Some(6),
            None,
            json!({"bank": 2, "status": 4, "form": form, "text": text}),
        );
        assert_eq!(d.text, format!("{text:?} ({form})"));
        whole.push_str(d.fields["text"].as_str().unwrap());
    }
    assert_eq!(whole, "This is a multi-packet copyright notice");
}

// --- Type F: UMP stream ----------------------------------------------------------------------

#[test]
fn stream_endpoint_discovery_and_info() {
    // midi2-dev/ni-midi2 tests/stream_message_tests.cpp
    let d = check(
        &[0xF000_0101, 0x0000_000F, 0, 0],
        "Endpoint Discovery",
        None,
        None,
        json!({"status": 0, "ump_version_major": 1, "ump_version_minor": 1, "filter": 0x0F}),
    );
    assert_eq!(
        d.text,
        "UMP 1.1, requests endpoint info, device identity, endpoint name, product instance id"
    );
    check(
        &[0xF000_0203, 0x0000_0004, 0, 0],
        "Endpoint Discovery",
        None,
        None,
        json!({"ump_version_major": 2, "ump_version_minor": 3, "requests": ["endpoint name"]}),
    );
    // midi2-dev/bl-midi2-rs midi2/src/ump_stream/endpoint_discovery.rs (all five requests)
    check(
        &[0xF000_0101, 0x0000_001F, 0, 0],
        "Endpoint Discovery",
        None,
        None,
        json!({"filter": 0x1F, "requests": ["endpoint info", "device identity",
               "endpoint name", "product instance id", "stream configuration"]}),
    );
    // midi2-dev/ni-midi2 tests/stream_message_tests.cpp
    check(
        &[0xF001_0101, 0x0300_0300, 0, 0],
        "Endpoint Info",
        None,
        None,
        json!({"status": 1, "function_blocks": 3, "static_function_blocks": false,
               "midi1": true, "midi2": true, "rx_jr": false, "tx_jr": false}),
    );
    check(
        &[0xF001_0203, 0x8100_0102, 0, 0],
        "Endpoint Info",
        None,
        None,
        json!({"ump_version_major": 2, "ump_version_minor": 3, "function_blocks": 1,
               "static_function_blocks": true, "midi1": true, "midi2": false,
               "rx_jr": true, "tx_jr": false}),
    );
    // midi2-dev/bl-midi2-rs midi2/src/ump_stream/endpoint_info.rs
    let d = check(
        &[0xF001_0101, 0xA000_0303, 0, 0],
        "Endpoint Info",
        None,
        None,
        json!({"function_blocks": 0x20, "static_function_blocks": true, "midi1": true,
               "midi2": true, "rx_jr": true, "tx_jr": true}),
    );
    assert_eq!(
        d.text,
        "UMP 1.1, 32 static function blocks, protocols MIDI 1.0, MIDI 2.0, \
         JR timestamps rx yes tx yes"
    );
}

#[test]
fn stream_device_identity() {
    // midi2-dev/bl-midi2-rs midi2/src/ump_stream/device_identity.rs (family and model are
    // 14-bit, least significant byte first)
    check(
        &[0xF002_0000, 0x000F_3328, 0x4A1E_1870, 0x4354_3201],
        "Device Identity",
        None,
        None,
        json!({"status": 2, "manufacturer": "0F 33 28", "family": 0xF4A, "model": 0x3818,
               "software_revision": "43 54 32 01"}),
    );
    // midi2-dev/ni-midi2 tests/stream_message_tests.cpp (Native Instruments, 00 21 09)
    check(
        &[0xF002_0000, 0x0000_2109, 0x1730_0031, 0x0001_0005],
        "Device Identity",
        None,
        None,
        json!({"manufacturer": "00 21 09", "software_revision": "00 01 00 05"}),
    );
}

#[test]
fn stream_names_and_product_instance_id() {
    // midi2-dev/ni-midi2 tests/stream_message_tests.cpp ("A short name", complete)
    let d = check(
        &[0xF003_4120, 0x7368_6F72, 0x7420_6E61, 0x6D65_0000],
        "Endpoint Name",
        None,
        None,
        json!({"status": 3, "form": "complete", "name": "A short name"}),
    );
    assert_eq!(d.text, "\"A short name\"");
    // The first of three packets of "A very long device name in three packets".
    check(
        &[0xF403_4120, 0x7665_7279, 0x206C_6F6E, 0x6720_6465],
        "Endpoint Name",
        None,
        None,
        json!({"form": "start", "name": "A very long de"}),
    );
    check(
        &[0xFC03_6872, 0x6565_2070, 0x6163_6B65, 0x7473_0000],
        "Endpoint Name",
        None,
        None,
        json!({"form": "end", "name": "hree packets"}),
    );
    check(
        &[0xF004_3134, 0x4144_3443, 0x3548_4535, 0x4541_3946],
        "Product Instance Id",
        None,
        None,
        json!({"status": 4, "product_instance_id": "14AD4C5HE5EA9F"}),
    );
    // Function block names start one byte later, after the block number.
    let d = check(
        &[0xF012_054D, 0x6169_6E00, 0, 0],
        "Function Block Name",
        None,
        None,
        json!({"status": 0x12, "function_block": 5, "name": "Main"}),
    );
    assert_eq!(d.text, "function block 5 \"Main\"");
    check(
        &[0xF412_0A53, 0x7461_7274, 0x206F_6620, 0x4E61_6D65],
        "Function Block Name",
        None,
        None,
        json!({"function_block": 10, "form": "start", "name": "Start of Name"}),
    );
}

#[test]
fn stream_configuration() {
    // midi2-dev/ni-midi2 tests/stream_message_tests.cpp
    check(
        &[0xF005_0200, 0, 0, 0],
        "Stream Configuration Request",
        None,
        None,
        json!({"protocol": 2, "protocol_name": "MIDI 2.0", "rx_jr": false, "tx_jr": false}),
    );
    check(
        &[0xF005_0102, 0, 0, 0],
        "Stream Configuration Request",
        None,
        None,
        json!({"protocol": 1, "protocol_name": "MIDI 1.0", "rx_jr": true, "tx_jr": false}),
    );
    check(
        &[0xF006_0201, 0, 0, 0],
        "Stream Configuration Notification",
        None,
        None,
        json!({"status": 6, "protocol": 2, "rx_jr": false, "tx_jr": true}),
    );
    // midi2-dev/bl-midi2-rs midi2/src/ump_stream/stream_configuration_request.rs
    let d = check(
        &[0xF005_0203, 0, 0, 0],
        "Stream Configuration Request",
        None,
        None,
        json!({"protocol": 2, "rx_jr": true, "tx_jr": true}),
    );
    assert_eq!(d.text, "protocol MIDI 2.0, JR timestamps rx yes tx yes");
}

#[test]
fn stream_function_block_discovery() {
    // midi2-dev/ni-midi2 tests/stream_message_tests.cpp
    let d = check(
        &[0xF010_FF03, 0, 0, 0],
        "Function Block Discovery",
        None,
        None,
        json!({"status": 0x10, "function_block": 0xFF, "requests": ["info", "name"]}),
    );
    assert_eq!(d.text, "all function blocks, requests info, name");
    check(
        &[0xF010_0502, 0, 0, 0],
        "Function Block Discovery",
        None,
        None,
        json!({"function_block": 5, "requests": ["name"]}),
    );
    // midi2-dev/bl-midi2-rs midi2/src/ump_stream/function_block_discovery.rs (one word)
    check(
        &[0xF010_0903],
        "Function Block Discovery",
        None,
        None,
        json!({"function_block": 9, "filter": 3}),
    );
}

#[test]
fn stream_function_block_info() {
    // midi2-dev/ni-midi2 tests/stream_message_tests.cpp (first groups there are 0-based)
    let d = check(
        &[0xF011_8133, 0x0405_0000, 0, 0],
        "Function Block Info",
        None,
        None,
        json!({"function_block": 1, "active": true, "first_group": 5, "groups_spanned": 5,
               "direction": "bidirectional", "midi1": "no", "ui_hint": "sender and receiver",
               "midi_ci_version": 0, "max_sysex8_streams": 0}),
    );
    assert!(
        d.text
            .starts_with("block 1 active, groups 5-9, bidirectional"),
        "{}",
        d.text
    );
    check(
        &[0xF011_8419, 0x0301_0204, 0, 0],
        "Function Block Info",
        None,
        None,
        json!({"function_block": 4, "active": true, "first_group": 4, "groups_spanned": 1,
               "direction": "input", "midi1": "yes, restricted to 31.25 kb/s",
               "ui_hint": "receiver", "midi_ci_version": 2, "max_sysex8_streams": 4}),
    );
    check(
        &[0xF011_0726, 0x0803_0102, 0, 0],
        "Function Block Info",
        None,
        None,
        json!({"function_block": 7, "active": false, "first_group": 9, "groups_spanned": 3,
               "direction": "output", "midi1": "yes", "ui_hint": "sender",
               "midi_ci_version": 1, "max_sysex8_streams": 2}),
    );
    // midi2-dev/bl-midi2-rs midi2/src/ump_stream/function_block_info.rs
    check(
        &[0xF011_9136, 0x0D08_0120, 0, 0],
        "Function Block Info",
        None,
        None,
        json!({"function_block": 0x11, "active": true, "first_group": 14,
               "groups_spanned": 8, "direction": "output", "midi1": "yes",
               "ui_hint": "sender and receiver", "midi_ci_version": 1,
               "max_sysex8_streams": 0x20}),
    );
}

#[test]
fn stream_clips() {
    // midi2-dev/bl-midi2-rs midi2/src/ump_stream/start_of_clip.rs and end_of_clip.rs
    let d = check(
        &[0xF020_0000, 0, 0, 0],
        "Start of Clip",
        None,
        None,
        json!({"status": 0x20}),
    );
    assert_eq!(d.text, "");
    check(
        &[0xF021_0000],
        "End of Clip",
        None,
        None,
        json!({"status": 0x21}),
    );
}

// --- Reserved types, odd lengths, and the properties -----------------------------------------

#[test]
fn reserved_types_are_labelled_not_decoded() {
    for mt in [0x6_u32, 0x7, 0x8, 0x9, 0xA, 0xB, 0xC, 0xE] {
        let word = (mt << 28) | 0x0123_4567;
        let d = decode(&[word]);
        assert_eq!(d.message_type, format!("Reserved (type {mt:X})"));
        assert_eq!((d.group, d.channel), (None, None));
        assert_eq!(d.fields["words"], json!([format!("{word:08X}")]));
    }
}

#[test]
fn wrong_lengths_read_missing_words_as_zero() {
    assert_eq!(decode(&[]).message_type, "NOOP");
    // A MIDI 2.0 Note On without its second word: velocity 0.
    let d = decode(&[0x4090_3C00]);
    assert_eq!(d.fields["velocity"], json!(0));
    // Extra words beyond the fourth are ignored.
    let d = decode(&[0x2090_3C64, 1, 2, 3, 4, 5]);
    assert_eq!(d.text, "note C4 (60) velocity 100");
}

#[test]
fn note_names_follow_c4_is_60() {
    assert_eq!(note_name(60), "C4");
    assert_eq!(note_name(9), "A-1");
    assert_eq!(note_name(127), "G9");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn decode_never_panics_and_numbers_from_one(words in prop::collection::vec(any::<u32>(), 1..=4)) {
        let d = decode(&words);
        prop_assert!(!d.message_type.is_empty());
        prop_assert!(!d.text.contains('\n'), "text is one line: {:?}", d.text);
        if let Some(group) = d.group {
            prop_assert!((1..=16).contains(&group), "group {}", group);
        }
        if let Some(channel) = d.channel {
            prop_assert!((1..=16).contains(&channel), "channel {}", channel);
        }
        // The fields agree with the struct.
        prop_assert_eq!(d.fields.get("group").and_then(Value::as_u64), d.group.map(u64::from));
        prop_assert_eq!(d.fields.get("channel").and_then(Value::as_u64), d.channel.map(u64::from));
    }
}
