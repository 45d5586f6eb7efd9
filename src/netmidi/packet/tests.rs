use super::*;

fn id(name: &str, piid: &str) -> Identity {
    Identity::new(name, piid).unwrap()
}

fn one(bytes: &[u8]) -> Result<Command, CommandError> {
    let mut all = parse(bytes).expect("framing is fine");
    assert_eq!(all.len(), 1, "one command in {bytes:02X?}");
    all.remove(0)
}

fn every_command() -> Vec<Command> {
    vec![
        Command::Invitation {
            capabilities: capability::AUTH | capability::USER_AUTH,
            identity: id("Loopback A", "PI-1"),
        },
        Command::InvitationWithAuth { digest: [7; 32] },
        Command::InvitationWithUserAuth {
            digest: [9; 32],
            user: "ünïcode user".into(),
        },
        Command::Accepted {
            identity: id("host", ""),
        },
        Command::Pending {
            identity: id("", "x"),
        },
        Command::AuthRequired {
            nonce: *b"0123456789abcdef",
            state: auth_state::WRONG_DIGEST,
            identity: id("h", "p"),
        },
        Command::UserAuthRequired {
            nonce: [0xAB; 16],
            state: auth_state::FIRST,
            identity: id("h2", "p2"),
        },
        Command::Ping { id: [1, 2, 3, 4] },
        Command::PingReply { id: [4, 3, 2, 1] },
        Command::RetransmitRequest {
            seq: 0xFFFE,
            count: 3,
        },
        Command::RetransmitError {
            seq: 17,
            reason: retransmit_reason::NO_DATA,
        },
        Command::SessionReset,
        Command::SessionResetReply,
        Command::Nak {
            code: code::NAK,
            reason: nak_reason::NOT_SUPPORTED,
            offending_header: 0x4200_0000,
            text: "what is 0x42?".into(),
        },
        Command::Bye {
            reason: bye_reason::TIMEOUT,
            text: "gone".into(),
        },
        Command::ByeReply,
        Command::UmpData {
            seq: 1,
            words: vec![0x2090_3C64, 0x4090_3C00, 0x8000_0000],
        },
        Command::UmpData {
            seq: 2,
            words: vec![],
        },
    ]
}

#[test]
fn every_command_survives_a_round_trip_in_one_datagram() {
    let commands = every_command();
    let bytes = encode(&commands);
    assert_eq!(&bytes[..4], b"MIDI");
    assert_eq!(
        bytes.len(),
        4 + commands.iter().map(Command::encoded_len).sum::<usize>()
    );
    let back: Vec<Command> = parse(&bytes)
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(back, commands);
}

#[test]
fn header_layout_matches_the_wire() {
    let bytes = encode(&[Command::UmpData {
        seq: 0x1234,
        words: vec![0x2090_3C64],
    }]);
    assert_eq!(
        bytes,
        [
            b'M', b'I', b'D', b'I', 0xFF, 1, 0x12, 0x34, 0x20, 0x90, 0x3C, 0x64
        ]
    );
    let bytes = encode(&[Command::RetransmitRequest {
        seq: 0x0102,
        count: 5,
    }]);
    assert_eq!(&bytes[4..], [0x80, 1, 0x01, 0x02, 0, 5, 0, 0]);
    let bytes = encode(&[Command::RetransmitError {
        seq: 0x0102,
        reason: 1,
    }]);
    assert_eq!(&bytes[4..], [0x81, 1, 0x01, 0, 0x01, 0x02, 0, 0]);
    let bytes = encode(&[Command::Invitation {
        capabilities: 1,
        identity: id("abcde", "xy"),
    }]);
    // Name: 2 words, id: 1 word; byte 2 = name words, byte 3 = capabilities.
    assert_eq!(&bytes[4..8], [0x01, 3, 2, 1]);
    assert_eq!(&bytes[8..20], b"abcde\0\0\0xy\0\0");
}

#[test]
fn amidi2net_names_with_a_terminator_and_its_nak_code_are_read() {
    // amidi2net counts a NUL terminator, so a 4-byte name takes 2 words.
    let mut bytes = b"MIDI".to_vec();
    bytes.extend_from_slice(&[0x10, 3, 2, 0]);
    bytes.extend_from_slice(b"host\0\0\0\0id\0\0");
    assert_eq!(
        one(&bytes).unwrap(),
        Command::Accepted {
            identity: id("host", "id")
        }
    );
    let nak = [b'M', b'I', b'D', b'I', 0x7F, 1, 0x01, 0, 0x8F, 0, 0, 0];
    assert!(matches!(
        one(&nak).unwrap(),
        Command::Nak {
            code: 0x7F,
            reason: 1,
            offending_header: 0x8F00_0000,
            ..
        }
    ));
}

#[test]
fn broken_framing_is_refused_whole() {
    assert_eq!(parse(b"MID"), Err(DatagramError::TooShort { len: 3 }));
    assert!(matches!(
        parse(b"MIDX"),
        Err(DatagramError::BadSignature { .. })
    ));
    assert_eq!(
        parse(b"MIDI\x20\x01\0"),
        Err(DatagramError::NotWordAligned { len: 7 })
    );
    // A ping that says one payload word but the datagram ends.
    let err = parse(b"MIDI\x21\x00\0\0\x20\x01\0\0").unwrap_err();
    assert_eq!(
        err,
        DatagramError::Truncated {
            offset: 8,
            code: 0x20,
            needed: 4,
            available: 0
        }
    );
    assert!(err.to_string().contains("declares 4 payload bytes"));
    assert_eq!(parse(b"MIDI"), Ok(vec![]));
}

#[test]
fn wrong_lengths_are_command_errors_that_keep_the_header() {
    let cases: &[(&[u8], &str)] = &[
        (&[0x20, 0, 0, 0], "1 word"),
        (&[0x82, 1, 0, 0, 0, 0, 0, 0], "no payload"),
        (&[0x02, 1, 0, 0, 0, 0, 0, 0], "8 words"),
        (
            &[
                0x03, 8, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                1, 1, 1, 1, 1, 1, 1, 1, 1,
            ],
            "9 words",
        ),
        (&[0x8F, 0, 1, 0], "offending header"),
        (&[0x12, 1, 0, 0, 0, 0, 0, 0], "nonce"),
    ];
    for (cmd, expected) in cases {
        let mut bytes = b"MIDI".to_vec();
        bytes.extend_from_slice(cmd);
        let err = one(&bytes).unwrap_err();
        assert_eq!(err.code(), cmd[0]);
        assert_eq!(err.header.to_be_bytes(), cmd[..4]);
        assert!(err.to_string().contains(expected), "{err} for {cmd:02X?}");
    }
}

#[test]
fn names_are_checked() {
    let with = |head: [u8; 4], payload: &[u8]| {
        let mut b = b"MIDI".to_vec();
        b.extend_from_slice(&head);
        b.extend_from_slice(payload);
        one(&b)
    };
    // Name length beyond the payload.
    let e = with([0x01, 1, 2, 0], b"abcd").unwrap_err();
    assert!(matches!(
        e.problem,
        Malformed::NameOverrun { name_words: 2, .. }
    ));
    // Garbage after the padding.
    let e = with([0x01, 1, 1, 0], b"a\0b\0").unwrap_err();
    assert!(matches!(e.problem, Malformed::BadPadding { .. }));
    // Not UTF-8.
    let e = with([0x01, 1, 1, 0], b"\xff\xfe\0\0").unwrap_err();
    assert!(matches!(e.problem, Malformed::NotUtf8 { .. }));
    // Product id not ASCII.
    let e = with([0x01, 1, 0, 0], "é\0\0".as_bytes()).unwrap_err();
    assert!(matches!(e.problem, Malformed::NotAscii));
    // 100 bytes of name: more than 98.
    let e = with([0x01, 25, 25, 0], &[b'n'; 100]).unwrap_err();
    assert!(matches!(
        e.problem,
        Malformed::TextTooLong {
            bytes: 100,
            max: 98,
            ..
        }
    ));
    // 44 bytes of product id: more than 42.
    let e = with([0x01, 11, 0, 0], &[b'p'; 44]).unwrap_err();
    assert!(matches!(
        e.problem,
        Malformed::TextTooLong {
            bytes: 44,
            max: 42,
            ..
        }
    ));
    // A user name of only padding.
    let mut p = vec![0u8; 36];
    p[..32].fill(1);
    let e = with([0x03, 9, 0, 0], &p).unwrap_err();
    assert!(matches!(e.problem, Malformed::EmptyUserName));
}

#[test]
fn ump_data_must_hold_whole_messages() {
    // A type-4 (two-word) message with only one word.
    let bytes = b"MIDI\xFF\x01\x00\x05\x40\x90\x3C\x00";
    let err = one(bytes).unwrap_err();
    assert!(matches!(
        err.problem,
        Malformed::Ump(FramingError::Truncated { .. })
    ));
    // The next command of the same datagram is still read.
    let mut bytes = bytes.to_vec();
    bytes.extend_from_slice(&[0x20, 1, 0, 0, 9, 9, 9, 9]);
    let all = parse(&bytes).unwrap();
    assert!(all[0].is_err());
    assert_eq!(all[1], Ok(Command::Ping { id: [9; 4] }));
}

#[test]
fn unknown_codes_are_reported_not_refused() {
    let bytes = b"MIDI\x42\x01\xAB\xCD\x01\x02\x03\x04\x20\x01\0\0\0\0\0\0";
    let all = parse(bytes).unwrap();
    assert_eq!(
        all[0],
        Ok(Command::Unknown {
            header: 0x4201_ABCD
        })
    );
    assert_eq!(all[1], Ok(Command::Ping { id: [0; 4] }));
}

#[test]
fn identity_limits_say_what_is_wrong() {
    let e = Identity::new(&"n".repeat(99), "").unwrap_err();
    assert!(e.to_string().contains("99 bytes"), "{e}");
    assert!(Identity::new(&"n".repeat(98), &"p".repeat(42)).is_ok());
    assert!(Identity::new("", "é").is_err());
    assert!(Identity::new("a\0b", "").is_err());
    assert!(Identity::new("", &"p".repeat(43)).is_err());
}

#[test]
fn long_texts_are_cut_on_character_boundaries() {
    let text = "é".repeat(600); // 1,200 bytes, more than a bye can carry
    let bytes = encode(&[Command::Bye { reason: 1, text }]);
    assert_eq!(bytes.len(), 4 + 4 + 1020);
    match one(&bytes).unwrap() {
        Command::Bye { text, .. } => assert_eq!(text, "é".repeat(510)),
        other => panic!("{other:?}"),
    }
}
