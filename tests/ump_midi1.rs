//! The MIDI 1.0 translation (`core::ump::midi1`) rule by rule, against vectors from public
//! MIDI 2.0 implementations (each group names the project it comes from) and the UMP
//! specification's translation rules.
//!
//! Where an implementation differs from ours on purpose, the test says so: we hold six SysEx
//! bytes back before sending a packet, so a SysEx whose length is a multiple of six ends with
//! a full End packet instead of an empty one; and we report every dropped byte or message
//! (as a `NotTranslated` reason) where the others drop it silently.

use midi_loopback::core::ump::midi1::{
    LEGACY_GROUP, MAX_SYSEX_BYTES, Malformed, Midi1ToUmp, NoForm, NotTranslated, SysExForm,
    UmpToMidi1, message_to_ump,
};

type Out<T> = Vec<Result<Vec<T>, NotTranslated>>;

/// UMP messages through one `UmpToMidi1`, everything it reports in order.
fn down(messages: &[&[u32]]) -> Out<u8> {
    let mut translator = UmpToMidi1::new();
    let mut out = Vec::new();
    for message in messages {
        translator.translate(message, |r| out.push(r.map(<[u8]>::to_vec)));
    }
    out
}

/// Bytes through one `Midi1ToUmp`, everything it reports in order.
fn up(bytes: &[u8]) -> Out<u32> {
    let mut parser = Midi1ToUmp::new();
    let mut out = Vec::new();
    parser.push_bytes(bytes, |r| out.push(r.map(<[u32]>::to_vec)));
    out
}

fn ok<T: Clone>(items: &[&[T]]) -> Out<T> {
    items.iter().map(|item| Ok(item.to_vec())).collect()
}

fn bad(why: Malformed) -> NotTranslated {
    NotTranslated::Malformed(why)
}

/// A SysEx of `len` data bytes, each different (as far as 7 bits go).
fn sysex(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xF0];
    bytes.extend((0..len).map(|i| (i * 7 % 128) as u8));
    bytes.push(0xF7);
    bytes
}

// --- UMP to MIDI 1.0: types 1 and 2 carry the bytes ------------------------------------------

#[test]
fn midi1_channel_voice_words_become_their_bytes() {
    // AM_MIDI2.0Lib tests: 0x20816050, 0x20817070 are 81 60 50 and 81 70 70.
    assert_eq!(
        down(&[&[0x2081_6050], &[0x2081_7070]]),
        ok(&[&[0x81, 0x60, 0x50], &[0x81, 0x70, 0x70]])
    );
    // ni-midi2 midi1_byte_stream_tests (to_midi1_byte_stream_midi1_channel_voice).
    assert_eq!(
        down(&[
            &[0x208A_6E64],
            &[0x2098_5825],
            &[0x20AA_1249],
            &[0x20C5_0600],
            &[0x20DC_0A00],
            &[0x20E6_0040],
        ]),
        ok(&[
            &[0x8A, 110, 100],
            &[0x98, 88, 37],
            &[0xAA, 18, 73],
            &[0xC5, 6],
            &[0xDC, 0x0A],
            &[0xE6, 0x00, 0x40],
        ])
    );
    // A Note On of velocity 0 stays one: MIDI 1.0 receivers read it as a note off.
    assert_eq!(down(&[&[0x2090_3C00]]), ok(&[&[0x90, 0x3C, 0x00]]));
    // The unused byte of a two-byte message is ignored.
    assert_eq!(down(&[&[0x20C5_0655]]), ok(&[&[0xC5, 6]]));
}

#[test]
fn system_words_become_their_bytes_and_undefined_statuses_are_counted() {
    // ni-midi2 midi1_byte_stream_tests (to_midi1_byte_stream_system).
    assert_eq!(
        down(&[
            &[0x10F1_3500],
            &[0x10F2_376A],
            &[0x10F3_3600],
            &[0x10F6_0000],
            &[0x10F8_0000],
            &[0x10FA_0000],
            &[0x10FB_0000],
            &[0x10FC_0000],
            &[0x10FE_0000],
            &[0x10FF_0000],
        ]),
        ok(&[
            &[0xF1, 0x35],
            &[0xF2, 0x37, 0x6A],
            &[0xF3, 0x36],
            &[0xF6],
            &[0xF8],
            &[0xFA],
            &[0xFB],
            &[0xFC],
            &[0xFE],
            &[0xFF],
        ])
    );
    // ...and F0, F4, F5, F7, F9, FD give nothing there; here each is counted.
    for status in [0xF0u8, 0xF4, 0xF5, 0xF7, 0xF9, 0xFD, 0x90, 0x00] {
        let word = 0x1000_0000 | (u32::from(status) << 16);
        assert_eq!(
            down(&[&[word]]),
            vec![Err(bad(Malformed::ReservedStatus { mt: 1, status }))],
            "status {status:02X}"
        );
    }
}

#[test]
fn a_midi1_channel_voice_word_needs_a_channel_voice_status() {
    // ni-midi2 midi1_byte_stream_tests: statuses 0x00 to 0x70 and 0xF0 to 0xFE give nothing.
    for status in [0x00u8, 0x10, 0x40, 0x70, 0xF0, 0xF8, 0xFE] {
        let word = 0x2000_0102 | (u32::from(status) << 16);
        assert_eq!(
            down(&[&[word]]),
            vec![Err(bad(Malformed::ReservedStatus { mt: 2, status }))],
            "status {status:02X}"
        );
    }
}

#[test]
fn a_data_byte_with_its_top_bit_set_is_malformed() {
    assert_eq!(
        down(&[&[0x2090_3C80]]),
        vec![Err(bad(Malformed::HighDataBit { byte: 0x80 }))]
    );
    assert_eq!(
        down(&[&[0x10F2_FF00]]),
        vec![Err(bad(Malformed::HighDataBit { byte: 0xFF }))]
    );
}

// --- UMP to MIDI 1.0: type 4 scales down -----------------------------------------------------

#[test]
fn midi2_note_velocity_scales_16_to_7_bits_and_a_note_on_never_becomes_velocity_0() {
    // AM_MIDI2.0Lib tests ("Test MT4"): 0x40904000 0xC1040000 is 90 40 60 (0xC104 >> 9).
    assert_eq!(
        down(&[&[0x4090_4000, 0xC104_0000]]),
        ok(&[&[0x90, 0x40, 0x60]])
    );
    // Linux seq_ump_convert.c: a note-on velocity that scales to 0 is corrected to 1.
    for velocity in [0x0000u32, 0x0001, 0x01FF] {
        assert_eq!(
            down(&[&[0x4095_3C00, velocity << 16]]),
            ok(&[&[0x95, 0x3C, 1]]),
            "velocity {velocity:04X}"
        );
    }
    assert_eq!(
        down(&[&[0x4090_3C00, 0x0200_0000]]),
        ok(&[&[0x90, 0x3C, 1]])
    );
    assert_eq!(
        down(&[&[0x4090_3C00, 0xFFFF_0000]]),
        ok(&[&[0x90, 0x3C, 0x7F]])
    );
    // A Note Off keeps velocity 0; the attribute (type 3, pitch 7.9) is dropped.
    assert_eq!(
        down(&[&[0x4081_3C03, 0x0000_1234]]),
        ok(&[&[0x81, 0x3C, 0]])
    );
    assert_eq!(
        down(&[&[0x4080_3C00, 0x8000_FFFF]]),
        ok(&[&[0x80, 0x3C, 0x40]])
    );
}

#[test]
fn midi2_pressure_and_controllers_scale_32_to_7_bits() {
    // ni-midi2 value translation tests: 0 -> 0, 0x80000000 -> 0x40, 0xFFFFFFFF -> 0x7F.
    for (value, want) in [
        (0u32, 0u8),
        (0x01FF_FFFF, 0),
        (0x0200_0000, 1),
        (0x8000_0000, 0x40),
        (0xFFFF_FFFF, 0x7F),
    ] {
        assert_eq!(
            down(&[
                &[0x40A2_3C00, value],
                &[0x40B2_0700, value],
                &[0x40D2_0000, value]
            ]),
            ok(&[&[0xA2, 0x3C, want], &[0xB2, 0x07, want], &[0xD2, want]]),
            "value {value:08X}"
        );
    }
    // A controller number with its top bit set is malformed.
    assert_eq!(
        down(&[&[0x40B0_8700, 0]]),
        vec![Err(bad(Malformed::HighDataBit { byte: 0x87 }))]
    );
}

#[test]
fn midi2_pitch_bend_scales_32_to_14_bits_lsb_first() {
    // Centre, minimum and maximum (ni-midi2 value translation tests: 0x80000000 -> 0x2000).
    assert_eq!(
        down(&[
            &[0x40E3_0000, 0x8000_0000],
            &[0x40E3_0000, 0x0000_0000],
            &[0x40E3_0000, 0xFFFF_FFFF],
            &[0x40E3_0000, 0x0004_0000],
        ]),
        ok(&[
            &[0xE3, 0x00, 0x40],
            &[0xE3, 0x00, 0x00],
            &[0xE3, 0x7F, 0x7F],
            &[0xE3, 0x01, 0x00],
        ])
    );
}

#[test]
fn midi2_program_change_with_a_bank_sends_bank_select_first() {
    // AM_MIDI2.0Lib tests ("MT 2 PC With Bank"): B0 00 01, B0 20 0A, C0 40 and
    // 0x40C00001 0x4000010A stand for each other.
    assert_eq!(
        down(&[&[0x40C0_0001, 0x4000_010A]]),
        ok(&[&[0xB0, 0x00, 0x01], &[0xB0, 0x20, 0x0A], &[0xC0, 0x40]])
    );
    // ...("MT 2 PC No Bank"): C6 41 is 0x40C60000 0x41000000; without the bank-valid flag
    // the bank bytes are ignored, even ill-formed ones.
    assert_eq!(down(&[&[0x40C6_0000, 0x4100_0000]]), ok(&[&[0xC6, 0x41]]));
    assert_eq!(down(&[&[0x40C6_0000, 0x4100_FFFF]]), ok(&[&[0xC6, 0x41]]));
    // With the flag, an ill-formed bank drops the whole message: nothing half-sent.
    assert_eq!(
        down(&[&[0x40C6_0001, 0x4100_8000]]),
        vec![Err(bad(Malformed::HighDataBit { byte: 0x80 }))]
    );
}

#[test]
fn midi2_registered_and_assignable_controllers_become_four_control_changes() {
    // AM_MIDI2.0Lib tests ("MT 2 RPN 0x2006 with 38"): CC 101 0x20, CC 100 0x06, CC 6 0x08,
    // CC 38 0x01 stand for 0x40262006 0x10040000 (0x10040000 >> 18 = 0x401).
    assert_eq!(
        down(&[&[0x4026_2006, 0x1004_0000]]),
        ok(&[
            &[0xB6, 101, 0x20],
            &[0xB6, 100, 0x06],
            &[0xB6, 6, 0x08],
            &[0xB6, 38, 0x01],
        ])
    );
    // ...("RPN 0x6 no 38"): 0x40260006 0x10000000, Data Entry LSB 0.
    assert_eq!(
        down(&[&[0x4026_0006, 0x1000_0000]]),
        ok(&[
            &[0xB6, 101, 0x00],
            &[0xB6, 100, 0x06],
            &[0xB6, 6, 0x08],
            &[0xB6, 38, 0x00],
        ])
    );
    // Assignable controllers (NRPN) use CC 99 and 98.
    assert_eq!(
        down(&[&[0x4031_7F7F, 0xFFFF_FFFF]]),
        ok(&[
            &[0xB1, 99, 0x7F],
            &[0xB1, 98, 0x7F],
            &[0xB1, 6, 0x7F],
            &[0xB1, 38, 0x7F],
        ])
    );
}

#[test]
fn midi2_messages_without_a_midi1_form_are_counted() {
    let none = |form| vec![Err(NotTranslated::NoMidi1Form(form))];
    // Per-note controllers, per-note pitch bend, per-note management.
    assert_eq!(down(&[&[0x4000_3C01, 0x8000_0000]]), none(NoForm::PerNote));
    assert_eq!(down(&[&[0x4010_3C01, 0x8000_0000]]), none(NoForm::PerNote));
    assert_eq!(down(&[&[0x4060_3C00, 0x8000_0000]]), none(NoForm::PerNote));
    assert_eq!(down(&[&[0x40F0_3C03, 0]]), none(NoForm::PerNote));
    // Relative registered and assignable controllers.
    assert_eq!(down(&[&[0x4040_0000, 1]]), none(NoForm::RelativeController));
    assert_eq!(down(&[&[0x4050_0000, 1]]), none(NoForm::RelativeController));
    // Status 7 is reserved.
    assert_eq!(
        down(&[&[0x4070_0000, 0]]),
        vec![Err(bad(Malformed::ReservedStatus { mt: 4, status: 7 }))]
    );
}

// --- UMP to MIDI 1.0: groups and types without a MIDI 1.0 form -------------------------------

#[test]
fn only_group_1_reaches_a_midi1_port() {
    assert_eq!(LEGACY_GROUP, 0);
    let other = |group| vec![Err(NotTranslated::OtherGroup { group })];
    assert_eq!(down(&[&[0x2190_3C64]]), other(1));
    assert_eq!(down(&[&[0x1FF8_0000]]), other(15));
    assert_eq!(down(&[&[0x3201_4200, 0]]), other(2));
    // bl-midi2-rs README: a MIDI 2.0 Note On on group 9 (index 8).
    assert_eq!(down(&[&[0x489A_5E00, 0x6A14_0000]]), other(8));
    // Types without a MIDI 1.0 form on another group count as another group.
    assert_eq!(down(&[&[0xD310_0000, 0, 0, 0]]), other(3));
    // The reason names the group as people count them.
    assert!(
        NotTranslated::OtherGroup { group: 1 }
            .to_string()
            .contains("group 2")
    );
}

#[test]
fn utility_sysex8_flex_data_stream_and_reserved_types_are_counted() {
    let none = |form| vec![Err(NotTranslated::NoMidi1Form(form))];
    // ni-midi2 utility_message_tests: NOOP; bl-midi2-rs: a JR timestamp.
    assert_eq!(down(&[&[0x0000_0000]]), none(NoForm::Utility));
    assert_eq!(down(&[&[0x0020_1234]]), none(NoForm::Utility));
    assert_eq!(
        down(&[&[0x5003_0101, 0x0200_0000, 0, 0]]),
        none(NoForm::Data128)
    );
    assert_eq!(
        down(&[&[0xD010_0000, 0x02FA_F080, 0, 0]]),
        none(NoForm::FlexData)
    );
    assert_eq!(
        down(&[&[0xF000_0101, 0x0000_001F, 0, 0]]),
        none(NoForm::UmpStream)
    );
    assert_eq!(down(&[&[0x6000_0000]]), none(NoForm::ReservedType));
    assert_eq!(down(&[&[0xE000_0000, 0, 0, 0]]), none(NoForm::ReservedType));
}

#[test]
fn a_message_of_the_wrong_length_is_malformed() {
    assert_eq!(down(&[&[]]), vec![Err(bad(Malformed::Empty))]);
    assert_eq!(
        down(&[&[0x4090_3C00]]),
        vec![Err(bad(Malformed::WrongLength {
            mt: 4,
            needed: 2,
            given: 1
        }))]
    );
    assert_eq!(
        down(&[&[0x2090_3C64, 0]]),
        vec![Err(bad(Malformed::WrongLength {
            mt: 2,
            needed: 1,
            given: 2
        }))]
    );
}

// --- UMP to MIDI 1.0: SysEx7 assembly --------------------------------------------------------

#[test]
fn sysex7_packets_assemble_into_one_whole_message() {
    // ni-midi2 midi1_byte_stream_tests (parser_sysex_packets), the other way round.
    assert_eq!(
        down(&[&[0x3004_7D25, 0x5044_0000]]),
        ok(&[&[0xF0, 0x7D, 0x25, 0x50, 0x44, 0xF7]])
    );
    assert_eq!(
        down(&[&[0x3016_0021, 0x0944_0344], &[0x3035_7707, 0x7072_7900]]),
        ok(&[&[
            0xF0, 0x00, 0x21, 0x09, 0x44, 0x03, 0x44, 0x77, 0x07, 0x70, 0x72, 0x79, 0xF7
        ]])
    );
    assert_eq!(
        down(&[
            &[0x3016_0002, 0x0B11_1214],
            &[0x3026_6403, 0x7208_7422],
            &[0x3033_377D, 0x3A00_0000],
        ]),
        ok(&[&[
            0xF0, 0x00, 0x02, 0x0B, 0x11, 0x12, 0x14, 0x64, 0x03, 0x72, 0x08, 0x74, 0x22, 0x37,
            0x7D, 0x3A, 0xF7
        ]])
    );
    // ...and an empty End packet (which ni-midi2 sends when the data fills its packets).
    assert_eq!(
        down(&[
            &[0x3016_0002, 0x0B11_1214],
            &[0x3026_6403, 0x7208_7422],
            &[0x3030_0000, 0x0000_0000],
        ]),
        ok(&[&[
            0xF0, 0x00, 0x02, 0x0B, 0x11, 0x12, 0x14, 0x64, 0x03, 0x72, 0x08, 0x74, 0x22, 0xF7
        ]])
    );
}

#[test]
fn an_identity_reply_in_five_packets_assembles_whole() {
    // AM_MIDI2.0Lib tests ("Test 4 Sysex"): 30 data bytes in Start, 3 x Continue, End.
    let packets: [&[u32]; 5] = [
        &[0x3016_7E7F, 0x0D70_024B],
        &[0x3026_607A, 0x737F_7F7F],
        &[0x3026_7F7D, 0x0000_0000],
        &[0x3026_0100, 0x0000_0300],
        &[0x3036_0000, 0x1000_0000],
    ];
    let want = [
        0xF0, 0x7E, 0x7F, 0x0D, 0x70, 0x02, 0x4B, 0x60, 0x7A, 0x73, 0x7F, 0x7F, 0x7F, 0x7F, 0x7D,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
        0x00, 0xF7,
    ];
    assert_eq!(down(&packets), ok(&[&want]));
    // The same bytes give the same packets the other way.
    assert_eq!(up(&want), ok(&packets));
}

#[test]
fn other_messages_between_sysex7_packets_pass_first_and_the_sysex_follows_whole() {
    // JUCE juce_UMP_test.cpp: SysEx7 interspersed with utility and real-time messages.
    let out = down(&[
        &[0x10F8_0000],
        &[0x3016_0102, 0x0304_0506],
        &[0x0020_1234],
        &[0x10FE_0000],
        &[0x2090_3C64],
        &[0x3031_0700, 0],
    ]);
    assert_eq!(
        out,
        vec![
            Ok(vec![0xF8]),
            Err(NotTranslated::NoMidi1Form(NoForm::Utility)),
            Ok(vec![0xFE]),
            Ok(vec![0x90, 0x3C, 0x64]),
            Ok(vec![0xF0, 1, 2, 3, 4, 5, 6, 7, 0xF7]),
        ]
    );
}

#[test]
fn a_new_sysex_drops_an_unfinished_one() {
    let out = down(&[
        &[0x3016_0102, 0x0304_0506],
        &[0x3002_0A0B, 0],
        &[0x3016_0102, 0x0304_0506],
        &[0x3011_0900, 0],
        &[0x3031_0800, 0],
    ]);
    assert_eq!(
        out,
        vec![
            Err(NotTranslated::SysExAborted),
            Ok(vec![0xF0, 0x0A, 0x0B, 0xF7]),
            Err(NotTranslated::SysExAborted),
            Ok(vec![0xF0, 0x09, 0x08, 0xF7]),
        ]
    );
}

#[test]
fn continue_or_end_without_a_start_is_malformed() {
    for (status, form) in [(2u32, SysExForm::Continue), (3, SysExForm::End)] {
        assert_eq!(
            down(&[&[0x3001_0100 | (status << 20), 0]]),
            vec![Err(bad(Malformed::SysExWithoutStart { form }))]
        );
    }
    // An End after a complete SysEx is one too many.
    assert_eq!(
        down(&[&[0x3001_0100, 0], &[0x3031_0200, 0]]),
        vec![
            Ok(vec![0xF0, 0x01, 0xF7]),
            Err(bad(Malformed::SysExWithoutStart {
                form: SysExForm::End
            })),
        ]
    );
}

#[test]
fn a_bad_sysex7_packet_spoils_its_sysex_and_nothing_after_it() {
    // A byte count over 6, a data byte with its top bit set, a reserved status.
    let out = down(&[
        &[0x3016_0102, 0x0304_0506],
        &[0x3027_0102, 0x0304_0506],
        &[0x3026_0102, 0x0304_0506],
        &[0x3031_0700, 0],
        &[0x3002_0A8B, 0],
        &[0x3040_0000, 0],
        &[0x3001_0C00, 0],
    ]);
    assert_eq!(
        out,
        vec![
            Err(bad(Malformed::SysExByteCount { count: 7 })),
            Err(bad(Malformed::HighDataBit { byte: 0x8B })),
            Err(bad(Malformed::ReservedStatus { mt: 3, status: 4 })),
            Ok(vec![0xF0, 0x0C, 0xF7]),
        ]
    );
}

#[test]
fn a_bad_start_packet_ends_the_sysex_under_way_too() {
    let out = down(&[
        &[0x3016_0102, 0x0304_0506],
        &[0x3017_0102, 0x0304_0506],
        &[0x3031_0700, 0],
        &[0x3001_0C00, 0],
    ]);
    assert_eq!(
        out,
        vec![
            Err(NotTranslated::SysExAborted),
            Err(bad(Malformed::SysExByteCount { count: 7 })),
            Ok(vec![0xF0, 0x0C, 0xF7]),
        ]
    );
}

/// `len` data bytes as SysEx7 packets.
fn sysex_packets(len: usize) -> Vec<Vec<u32>> {
    let bytes = message_to_ump(&sysex(len)).unwrap();
    bytes.chunks(2).map(<[u32]>::to_vec).collect()
}

#[test]
fn a_sysex_of_the_largest_size_assembles_and_one_byte_more_is_dropped() {
    let mut translator = UmpToMidi1::new();
    let mut out: Out<u8> = Vec::new();
    for packet in sysex_packets(MAX_SYSEX_BYTES) {
        translator.translate(&packet, |r| out.push(r.map(<[u8]>::to_vec)));
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].as_ref().unwrap(), &sysex(MAX_SYSEX_BYTES));

    // Seven more bytes: the limit is crossed by a Continue packet, an End follows.
    out.clear();
    for packet in sysex_packets(MAX_SYSEX_BYTES + 7) {
        translator.translate(&packet, |r| out.push(r.map(<[u8]>::to_vec)));
    }
    // Counted once; the rest of its packets go quietly, and the next SysEx is whole.
    translator.translate(&[0x3001_0500, 0], |r| out.push(r.map(<[u8]>::to_vec)));
    assert_eq!(
        out,
        vec![
            Err(NotTranslated::SysExTooLong {
                cap: MAX_SYSEX_BYTES
            }),
            Ok(vec![0xF0, 0x05, 0xF7]),
        ]
    );
}

// --- MIDI 1.0 to UMP: the byte stream --------------------------------------------------------

#[test]
fn channel_voice_bytes_become_type_2_words_with_running_status() {
    // AM_MIDI2.0Lib tests ("Test 1 Note On w/running status", "Test 3 PC 2 bytes").
    assert_eq!(
        up(&[0x81, 0x60, 0x50, 0x70, 0x70]),
        ok(&[&[0x2081_6050], &[0x2081_7070]])
    );
    assert_eq!(up(&[0xC6, 0x40]), ok(&[&[0x20C6_4000]]));
    // ni-midi2 midi1_byte_stream_tests (parser_channel_voice_messages). The lone 77 after
    // AA 44 03 is dropped there without a word; here B0 cuts it off, which is counted.
    assert_eq!(
        up(&[
            0x83, 0x45, 0x6E, 0x9E, 0x30, 0x7F, 0xAA, 0x44, 0x03, 0x77, 0xB0, 0x07, 0x70, 0xC5,
            0x11, 0xDB, 0x14, 0xE5, 0x03, 0x72
        ]),
        vec![
            Ok(vec![0x2083_456E]),
            Ok(vec![0x209E_307F]),
            Ok(vec![0x20AA_4403]),
            Err(bad(Malformed::Truncated {
                status: 0xAA,
                have: 1,
                needed: 2
            })),
            Ok(vec![0x20B0_0770]),
            Ok(vec![0x20C5_1100]),
            Ok(vec![0x20DB_1400]),
            Ok(vec![0x20E5_0372]),
        ]
    );
    // ...(parser_running_status): the lone 7A after B8 07 70 72 79 is dropped there without a
    // word; here it waits for a second data byte, and C6 cuts it off, which is counted.
    assert_eq!(
        up(&[
            0xA5, 0x44, 0x03, 0x44, 0x77, 0xB8, 0x07, 0x70, 0x72, 0x79, 0x7A, 0xC6, 0x11, 0x12,
            0xD2, 0x14, 0x64, 0xE5, 0x03, 0x72, 0x08, 0x74
        ]),
        vec![
            Ok(vec![0x20A5_4403]),
            Ok(vec![0x20A5_4477]),
            Ok(vec![0x20B8_0770]),
            Ok(vec![0x20B8_7279]),
            Err(bad(Malformed::Truncated {
                status: 0xB8,
                have: 1,
                needed: 2
            })),
            Ok(vec![0x20C6_1100]),
            Ok(vec![0x20C6_1200]),
            Ok(vec![0x20D2_1400]),
            Ok(vec![0x20D2_6400]),
            Ok(vec![0x20E5_0372]),
            Ok(vec![0x20E5_0874]),
        ]
    );
}

#[test]
fn system_bytes_become_type_1_words_and_undefined_ones_are_counted() {
    // ni-midi2 midi1_byte_stream_tests (parser_system_messages): the same packets, and each
    // undefined status and each data byte without a status is counted.
    let undefined = |status| Err(bad(Malformed::UndefinedStatus { status }));
    let stray = |byte| Err(bad(Malformed::DataWithoutStatus { byte }));
    assert_eq!(
        up(&[
            0xF8, 0xF9, 0xF1, 0x09, 0xFA, 0xF2, 0x11, 0x44, 0xFB, 0xF3, 0x75, 0xFC, 0xF4, 0x02,
            0xFD, 0xF5, 0x27, 0xFE, 0xF6, 0xFF, 0x33, 0xFA, 0xFE
        ]),
        vec![
            Ok(vec![0x10F8_0000]),
            undefined(0xF9),
            Ok(vec![0x10F1_0900]),
            Ok(vec![0x10FA_0000]),
            Ok(vec![0x10F2_1144]),
            Ok(vec![0x10FB_0000]),
            Ok(vec![0x10F3_7500]),
            Ok(vec![0x10FC_0000]),
            undefined(0xF4),
            stray(0x02),
            undefined(0xFD),
            undefined(0xF5),
            stray(0x27),
            Ok(vec![0x10FE_0000]),
            Ok(vec![0x10F6_0000]),
            Ok(vec![0x10FF_0000]),
            stray(0x33),
            Ok(vec![0x10FA_0000]),
            Ok(vec![0x10FE_0000]),
        ]
    );
    // AM_MIDI2.0Lib tests ("Test 9 Bad System Message", then the note test again).
    let mut parser = Midi1ToUmp::new();
    let mut out: Out<u32> = Vec::new();
    parser.push_bytes(&[0xF4, 0x7F, 0x7F, 0x00, 0x00], |r| {
        out.push(r.map(<[u32]>::to_vec))
    });
    assert!(out.iter().all(Result::is_err), "{out:08X?}");
    out.clear();
    parser.push_bytes(&[0x81, 0x60, 0x50, 0x70, 0x70], |r| {
        out.push(r.map(<[u32]>::to_vec))
    });
    assert_eq!(out, ok(&[&[0x2081_6050], &[0x2081_7070]]));
}

#[test]
fn system_common_cancels_running_status_and_real_time_does_not() {
    // ni-midi2 midi1_byte_stream_tests (parser_system_common_cancels_running_status).
    assert_eq!(
        up(&[
            0xC6, 0x11, 0x12, 0xD2, 0x14, 0x64, 0xF6, 0x00, 0xE5, 0x03, 0x72
        ]),
        vec![
            Ok(vec![0x20C6_1100]),
            Ok(vec![0x20C6_1200]),
            Ok(vec![0x20D2_1400]),
            Ok(vec![0x20D2_6400]),
            Ok(vec![0x10F6_0000]),
            Err(bad(Malformed::DataWithoutStatus { byte: 0x00 })),
            Ok(vec![0x20E5_0372]),
        ]
    );
    // ...(parser_system_realtime_intersperes_running_status): real time between the bytes of
    // a message, and between messages under running status.
    assert_eq!(
        up(&[
            0xA5, 0x44, 0x03, 0x44, 0xFA, 0x77, 0xB8, 0x07, 0x70, 0xFB, 0x72, 0x79, 0x7A, 0xC6,
            0x11, 0x12, 0xD2, 0xFE, 0x14, 0x64, 0xE5, 0x03, 0xFF, 0x72, 0x08, 0x74
        ]),
        vec![
            Ok(vec![0x20A5_4403]),
            Ok(vec![0x10FA_0000]),
            Ok(vec![0x20A5_4477]),
            Ok(vec![0x20B8_0770]),
            Ok(vec![0x10FB_0000]),
            Ok(vec![0x20B8_7279]),
            Err(bad(Malformed::Truncated {
                status: 0xB8,
                have: 1,
                needed: 2
            })),
            Ok(vec![0x20C6_1100]),
            Ok(vec![0x20C6_1200]),
            Ok(vec![0x10FE_0000]),
            Ok(vec![0x20D2_1400]),
            Ok(vec![0x20D2_6400]),
            Ok(vec![0x10FF_0000]),
            Ok(vec![0x20E5_0372]),
            Ok(vec![0x20E5_0874]),
        ]
    );
}

#[test]
fn sysex_bytes_become_packets_as_they_arrive_with_real_time_passing_first() {
    // AM_MIDI2.0Lib tests ("Test 11 sysex 2 w/Timing Clock"), which hold six bytes back as
    // we do: a Timing Clock inside a SysEx goes out before the packet it arrived in.
    let bytes = [
        0xF0, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1D, 0x1F, 0xF7,
        0xF0, 0x2A, 0x2B, 0x2C, 0x2D, 0x2F, 0x3A, 0x3B, 0xF8, 0x3C, 0x3D, 0x3E, 0x3F, 0xF7, 0xF0,
        0x4A, 0x4B, 0x4C, 0x4D, 0x4F, 0xF7, 0xF0, 0x5A, 0x5B, 0xF8, 0x5C, 0x5D, 0xF7, 0xF0, 0x6A,
        0x6B, 0x6C, 0xF7, 0xF0, 0x7A, 0x7B, 0xF7, 0xF8, 0xF0, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
        0xF8, 0x1A, 0x1B, 0x1C, 0x1D, 0xF8, 0x1E, 0x1D, 0x1F, 0xF7,
    ];
    assert_eq!(
        up(&bytes),
        ok(&[
            &[0x3016_0A0B, 0x0C0D_0E0F],
            &[0x3026_1A1B, 0x1C1D_1E1D],
            &[0x3031_1F00, 0x0000_0000],
            &[0x3016_2A2B, 0x2C2D_2F3A],
            &[0x10F8_0000],
            &[0x3035_3B3C, 0x3D3E_3F00],
            &[0x3005_4A4B, 0x4C4D_4F00],
            &[0x10F8_0000],
            &[0x3004_5A5B, 0x5C5D_0000],
            &[0x3003_6A6B, 0x6C00_0000],
            &[0x3002_7A7B, 0x0000_0000],
            &[0x10F8_0000],
            &[0x10F8_0000],
            &[0x3016_0A0B, 0x0C0D_0E0F],
            &[0x10F8_0000],
            &[0x3026_1A1B, 0x1C1D_1E1D],
            &[0x3031_1F00, 0x0000_0000],
        ])
    );
}

#[test]
fn a_status_byte_inside_a_sysex_drops_it_and_starts_its_own_message() {
    // ni-midi2 midi1_byte_stream_tests (parser_sysex_intersperse_other_packets). The same
    // packets, except that the last six bytes travel in the End packet, not a Continue and an
    // empty End; and the cut-off SysExes and the stray F7s are counted.
    let bytes = [
        0xF0, 0x7D, 0x25, 0x50, 0xF2, 0x44, 0x11, 0xF7, 0xF0, 0x00, 0x21, 0x09, 0x44, 0x03, 0x44,
        0x77, 0x9C, 0x07, 0x70, 0x72, 0x79, 0xF7, 0xF0, 0x00, 0x02, 0x0B, 0x11, 0x12, 0x14, 0x64,
        0x03, 0x72, 0x08, 0x74, 0x22, 0xF7,
    ];
    let stray_end = Err(bad(Malformed::StrayEndOfExclusive));
    assert_eq!(
        up(&bytes),
        vec![
            Err(NotTranslated::SysExAborted),
            Ok(vec![0x10F2_4411]),
            stray_end.clone(),
            Ok(vec![0x3016_0021, 0x0944_0344]),
            Err(NotTranslated::SysExAborted),
            Ok(vec![0x209C_0770]),
            Ok(vec![0x209C_7279]),
            stray_end,
            Ok(vec![0x3016_0002, 0x0B11_1214]),
            Ok(vec![0x3036_6403, 0x7208_7422]),
        ]
    );
}

#[test]
fn a_sysex_may_arrive_in_pieces() {
    let mut parser = Midi1ToUmp::new();
    let mut out: Out<u32> = Vec::new();
    parser.push_bytes(&[0xF0, 1, 2, 3], |r| out.push(r.map(<[u32]>::to_vec)));
    assert!(out.is_empty());
    parser.push_bytes(&[4, 5, 6, 7], |r| out.push(r.map(<[u32]>::to_vec)));
    parser.push_bytes(&[0xF7], |r| out.push(r.map(<[u32]>::to_vec)));
    assert_eq!(out, ok(&[&[0x3016_0102, 0x0304_0506], &[0x3031_0700, 0]]));
}

#[test]
fn truncated_and_stray_bytes_are_counted_and_the_stream_recovers() {
    assert_eq!(
        up(&[0x90, 0x3C, 0x80, 0x3C, 0x40]),
        vec![
            Err(bad(Malformed::Truncated {
                status: 0x90,
                have: 1,
                needed: 2
            })),
            Ok(vec![0x2080_3C40]),
        ]
    );
    assert_eq!(
        up(&[0x3C, 0xF7, 0xF2, 0x01, 0xF8, 0xF6]),
        vec![
            Err(bad(Malformed::DataWithoutStatus { byte: 0x3C })),
            Err(bad(Malformed::StrayEndOfExclusive)),
            Ok(vec![0x10F8_0000]),
            Err(bad(Malformed::Truncated {
                status: 0xF2,
                have: 1,
                needed: 2
            })),
            Ok(vec![0x10F6_0000]),
        ]
    );
}

#[test]
fn finishing_the_stream_reports_what_was_unfinished_and_forgets_running_status() {
    let mut parser = Midi1ToUmp::new();
    let mut out: Out<u32> = Vec::new();
    parser.push_bytes(&[0x90, 0x3C, 0x40, 0x3E], |r| {
        out.push(r.map(<[u32]>::to_vec))
    });
    parser.finish(|r| out.push(r.map(<[u32]>::to_vec)));
    parser.push_bytes(&[0x40], |r| out.push(r.map(<[u32]>::to_vec)));
    parser.push_bytes(&[0xF0, 1, 2, 3, 4, 5, 6, 7], |r| {
        out.push(r.map(<[u32]>::to_vec))
    });
    parser.finish(|r| out.push(r.map(<[u32]>::to_vec)));
    parser.finish(|r| out.push(r.map(<[u32]>::to_vec)));
    assert_eq!(
        out,
        vec![
            Ok(vec![0x2090_3C40]),
            Err(bad(Malformed::Truncated {
                status: 0x90,
                have: 1,
                needed: 2
            })),
            Err(bad(Malformed::DataWithoutStatus { byte: 0x40 })),
            Ok(vec![0x3016_0102, 0x0304_0506]),
            Err(NotTranslated::SysExAborted),
        ]
    );
}

// --- MIDI 1.0 to UMP: one message at a time --------------------------------------------------

#[test]
fn one_message_becomes_its_words() {
    // ni-midi2 midi1_byte_stream_tests (from_channel_voice_messages, from_system_messages).
    for (bytes, word) in [
        (&[0x83, 0x76, 0x68][..], 0x2083_7668u32),
        (&[0x9E, 0x34, 0x12], 0x209E_3412),
        (&[0xA4, 0x21, 0x43], 0x20A4_2143),
        (&[0xB9, 0x3D, 0x2B], 0x20B9_3D2B),
        (&[0xE2, 0x31, 0x42], 0x20E2_3142),
        (&[0xF2, 0x21, 0x43], 0x10F2_2143),
        (&[0xCC, 0x6A], 0x20CC_6A00),
        (&[0xF3, 0x3D], 0x10F3_3D00),
        (&[0xF6], 0x10F6_0000),
        (&[0xF8], 0x10F8_0000),
        (&[0xFF], 0x10FF_0000),
    ] {
        assert_eq!(message_to_ump(bytes), Ok(vec![word]), "{bytes:02X?}");
    }
}

#[test]
fn one_message_that_is_not_one_whole_message_is_refused() {
    let refused = |bytes: &[u8], why| assert_eq!(message_to_ump(bytes), Err(why), "{bytes:02X?}");
    refused(&[], bad(Malformed::Empty));
    refused(
        &[0x3C, 0x40],
        bad(Malformed::DataWithoutStatus { byte: 0x3C }),
    );
    refused(
        &[0x90, 0x3C],
        bad(Malformed::Truncated {
            status: 0x90,
            have: 1,
            needed: 2,
        }),
    );
    refused(&[0x90, 0x3C, 0x40, 0x41], bad(Malformed::NotOneMessage));
    refused(
        &[0x90, 0x3C, 0x80],
        bad(Malformed::HighDataBit { byte: 0x80 }),
    );
    refused(&[0xF0, 0x01, 0x02], NotTranslated::SysExAborted);
    refused(&[0xF0, 0x01, 0xF8, 0xF7], bad(Malformed::NotOneMessage));
    refused(&[0xF0, 0x01, 0xF7, 0xF7], bad(Malformed::NotOneMessage));
    refused(&[0xF7], bad(Malformed::StrayEndOfExclusive));
    refused(&[0xF4], bad(Malformed::UndefinedStatus { status: 0xF4 }));
    refused(&[0xFD], bad(Malformed::UndefinedStatus { status: 0xFD }));
}

// --- SysEx of 0, 1, 6, 7, 12, 13 and 1000 bytes, both ways -----------------------------------

#[test]
fn sysex_packets_have_the_layout_juce_expects() {
    // JUCE juce_UMP_test.cpp ("Bytestream SysEx converts to universal packets").
    let s = |len| sysex(len)[1..=len].to_vec();
    let word = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!(message_to_ump(&sysex(0)), Ok(vec![0x3000_0000, 0]));
    let one = s(1);
    assert_eq!(
        message_to_ump(&sysex(1)),
        Ok(vec![word(&[0x30, 0x01, one[0], 0]), 0])
    );
    let six = s(6);
    assert_eq!(
        message_to_ump(&sysex(6)),
        Ok(vec![word(&[0x30, 0x06, six[0], six[1]]), word(&six[2..6])])
    );
    let twelve = s(12);
    assert_eq!(
        message_to_ump(&sysex(12)),
        Ok(vec![
            word(&[0x30, 0x16, twelve[0], twelve[1]]),
            word(&twelve[2..6]),
            word(&[0x30, 0x36, twelve[6], twelve[7]]),
            word(&twelve[8..12]),
        ])
    );
    let thirteen = s(13);
    assert_eq!(
        message_to_ump(&sysex(13)),
        Ok(vec![
            word(&[0x30, 0x16, thirteen[0], thirteen[1]]),
            word(&thirteen[2..6]),
            word(&[0x30, 0x26, thirteen[6], thirteen[7]]),
            word(&thirteen[8..12]),
            word(&[0x30, 0x31, thirteen[12], 0]),
            0,
        ])
    );
}

#[test]
fn sysex_of_any_length_round_trips_both_ways() {
    // JUCE juce_UMP_test.cpp ("Long SysEx bytestream midi messages can be round-tripped").
    for len in [0, 1, 2, 5, 6, 7, 12, 13, 20, 100, 1000] {
        let message = sysex(len);
        let words = message_to_ump(&message).unwrap();
        assert_eq!(words.len(), 2 * len.div_ceil(6).max(1), "{len} bytes");
        // The stream parser cuts the same packets.
        let streamed: Vec<u32> = up(&message)
            .into_iter()
            .flat_map(|r| r.expect("no drops"))
            .collect();
        assert_eq!(streamed, words, "{len} bytes");
        let packets: Vec<&[u32]> = words.chunks(2).collect();
        assert_eq!(down(&packets), ok(&[&message]), "{len} bytes");
    }
}

// --- The reasons -----------------------------------------------------------------------------

#[test]
fn each_reason_says_what_was_wrong_and_has_a_key_to_count_it_under() {
    let reasons = [
        (
            NotTranslated::OtherGroup { group: 4 },
            "other_group",
            "group 5",
        ),
        (
            NotTranslated::NoMidi1Form(NoForm::UmpStream),
            "no_midi1_form",
            "UMP stream",
        ),
        (
            bad(Malformed::HighDataBit { byte: 0x9C }),
            "malformed",
            "0x9C",
        ),
        (
            NotTranslated::SysExAborted,
            "sysex_aborted",
            "End of Exclusive",
        ),
        (
            NotTranslated::SysExTooLong {
                cap: MAX_SYSEX_BYTES,
            },
            "sysex_too_long",
            "1048576",
        ),
    ];
    for (why, key, shown) in reasons {
        assert_eq!(why.key(), key);
        assert!(why.to_string().contains(shown), "{why}");
    }
}
