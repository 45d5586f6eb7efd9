//! Property tests of the wire format (`core::protocol`): the frame header reader refuses an
//! empty or oversized frame and nothing else; the data payload scanner never panics, accepts
//! exactly the payloads made of whole messages, counts them right, and names the message a
//! cut payload breaks in; the payload iterator gives back exactly what was sent; control
//! JSON from a client is never trusted to be well formed.
//!
//! `PROPTEST_CASES=N` runs more cases (docs/RELIABILITY.md records a long run).

use midi_loopback::core::protocol::{
    self, Event, FrameError, FrameKind, HEADER_BYTES, Hello, MAX_FRAME_BYTES, RequestFrame,
    TIMESTAMP_BYTES, TimedMessage, iter_payload, message_bytes_at, parse_header, put_header,
    put_message, scan_payload,
};
use midi_loopback::core::ump::{check_single_message, message_words};
mod common;

use common::proptest_config as config;
use proptest::prelude::*;

/// One whole message with a timestamp (0 now and then: "now").
fn timed_message() -> impl Strategy<Value = (u64, Vec<u32>)> {
    (
        prop_oneof![Just(0u64), any::<u64>()],
        any::<u32>(),
        any::<[u32; 3]>(),
    )
        .prop_map(|(ts, first, rest)| {
            let mut words = vec![first];
            words.extend_from_slice(&rest[..message_words(first) - 1]);
            (ts, words)
        })
}

fn encode(msgs: &[(u64, Vec<u32>)]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (ts, words) in msgs {
        put_message(&mut payload, *ts, words);
    }
    payload
}

/// The payload format walked by hand: `Some(message count)` when `bytes` is whole messages.
fn reference_scan(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    let mut n = 0;
    while at < bytes.len() {
        if bytes.len() - at < TIMESTAMP_BYTES + 4 {
            return None;
        }
        let first = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap());
        let len = TIMESTAMP_BYTES + 4 * message_words(first);
        if bytes.len() - at < len {
            return None;
        }
        at += len;
        n += 1;
    }
    Some(n)
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn a_header_is_refused_only_when_empty_or_over_the_limit(bytes in any::<[u8; 5]>()) {
        let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        match parse_header(&bytes) {
            Ok(h) => {
                prop_assert!((1..=MAX_FRAME_BYTES).contains(&len));
                prop_assert_eq!(h.payload_len, len - 1);
                prop_assert_eq!(h.kind_byte, bytes[4]);
            }
            Err(FrameError::Empty) => prop_assert_eq!(len, 0),
            Err(FrameError::TooLarge(n)) => {
                prop_assert_eq!(n, len);
                prop_assert!(len > MAX_FRAME_BYTES);
            }
        }
    }

    #[test]
    fn a_header_written_is_read_back(payload_len in 0usize..MAX_FRAME_BYTES, kind in prop::sample::select(vec![
        FrameKind::Hello, FrameKind::Welcome, FrameKind::Request, FrameKind::Response,
        FrameKind::Event, FrameKind::Send, FrameKind::Deliver, FrameKind::TapDeliver,
    ])) {
        let mut buf = Vec::new();
        put_header(&mut buf, kind, payload_len);
        prop_assert_eq!(buf.len(), HEADER_BYTES);
        let h = parse_header(buf[..].try_into().unwrap()).expect("within the limit");
        prop_assert_eq!(h.payload_len, payload_len);
        prop_assert_eq!(FrameKind::from_byte(h.kind_byte), Some(kind));
    }

    #[test]
    fn the_scanner_never_panics_and_accepts_exactly_whole_messages(
        bytes in proptest::collection::vec(any::<u8>(), 0..600)
    ) {
        let scanned = scan_payload(&bytes);
        prop_assert_eq!(scanned.as_ref().ok().map(|s| s.messages as usize), reference_scan(&bytes));
        let walked: Vec<TimedMessage> = iter_payload(&bytes).collect();
        match scanned {
            Ok(s) => {
                prop_assert_eq!(walked.len() as u64, s.messages);
                let words: usize = walked.iter().map(|m| m.words().len()).sum();
                prop_assert_eq!(words as u64, s.words);
            }
            Err(e) => {
                // The iterator stops at the broken message, which the error names.
                prop_assert_eq!(walked.len(), e.index);
                prop_assert_eq!(e.len, bytes.len());
                prop_assert!(e.offset < bytes.len());
            }
        }
    }

    #[test]
    fn a_payload_of_whole_messages_is_counted_and_walked_exactly(
        msgs in proptest::collection::vec(timed_message(), 0..48)
    ) {
        let payload = encode(&msgs);
        let s = scan_payload(&payload).expect("whole messages");
        prop_assert_eq!(s.messages as usize, msgs.len());
        prop_assert_eq!(s.words as usize, msgs.iter().map(|(_, w)| w.len()).sum::<usize>());
        prop_assert_eq!(s.unstamped as usize, msgs.iter().filter(|(ts, _)| *ts == 0).count());
        prop_assert_eq!(s.max_timestamp, msgs.iter().map(|(ts, _)| *ts).max().unwrap_or(0));
        let walked: Vec<TimedMessage> = iter_payload(&payload).collect();
        prop_assert_eq!(walked.len(), msgs.len());
        for (m, (ts, words)) in walked.iter().zip(&msgs) {
            prop_assert_eq!(m.timestamp, *ts);
            prop_assert_eq!(m.words(), words.as_slice());
            prop_assert_eq!(Some(*m), TimedMessage::new(*ts, words));
        }
        // Stepping message by message lands exactly on the end.
        let mut rest = &payload[..];
        let mut steps = 0;
        while !rest.is_empty() {
            rest = &rest[message_bytes_at(rest)..];
            steps += 1;
        }
        prop_assert_eq!(steps, msgs.len());
    }

    #[test]
    fn a_payload_cut_or_padded_mid_message_is_refused_naming_the_message(
        msgs in proptest::collection::vec(timed_message(), 1..24),
        cut in any::<prop::sample::Index>(),
        junk in proptest::collection::vec(any::<u8>(), 1..12),
    ) {
        let whole = encode(&msgs);
        let last_start = encode(&msgs[..msgs.len() - 1]).len();
        // Cut anywhere inside the last message (1 byte of it up to all but 1).
        let end = last_start + 1 + cut.index(whole.len() - last_start - 1);
        let err = scan_payload(&whole[..end]).expect_err("a cut payload was accepted");
        prop_assert_eq!(err.index, msgs.len() - 1);
        prop_assert_eq!(err.offset, last_start);
        // A tail too short to be any message.
        let mut padded = whole.clone();
        padded.extend(&junk);
        let err = scan_payload(&padded).expect_err("a trailing fragment was accepted");
        prop_assert_eq!(err.index, msgs.len());
        prop_assert_eq!(err.offset, whole.len());
    }

    #[test]
    fn a_timed_message_is_made_only_of_exactly_one_message(
        ts in any::<u64>(),
        words in proptest::collection::vec(any::<u32>(), 0..6),
    ) {
        let made = TimedMessage::new(ts, &words);
        prop_assert_eq!(made.is_some(), check_single_message(&words).is_ok());
        if let Some(m) = made {
            prop_assert_eq!(m.words(), words.as_slice());
            prop_assert_eq!(m.timestamp, ts);
        }
    }

    #[test]
    fn control_json_from_a_client_is_never_trusted(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            "\\{\"id\":[0-9-]{1,5},\"op\":\"[a-z_]{0,14}\"(,\"[a-z_]{1,15}\":(null|[0-9]{1,3}|\"[a-zA-Z0-9 ()-]{0,40}\"|\\{\\}))*\\}"
                .prop_map(String::into_bytes),
        ]
    ) {
        // Any of these may fail; none may panic, and what parses re-encodes to itself.
        if let Ok(frame) = serde_json::from_slice::<RequestFrame>(&bytes) {
            let again = serde_json::to_vec(&frame).unwrap();
            let back: RequestFrame = serde_json::from_slice(&again).expect("round trip");
            prop_assert_eq!(serde_json::to_vec(&back).unwrap(), again);
        }
        let _ = serde_json::from_slice::<Hello>(&bytes);
        let _ = serde_json::from_slice::<Event>(&bytes);
    }
}

#[test]
fn the_largest_data_frame_holds_87381_one_word_messages() {
    // Documented in protocol.rs: 1 MiB holds about 87,000 one-word messages.
    let per = TIMESTAMP_BYTES + 4;
    let most = (MAX_FRAME_BYTES - 1) / per;
    assert_eq!(most, 87_381);
    let mut payload = Vec::new();
    for i in 0..most as u32 {
        protocol::put_message(&mut payload, 0, &[0x2000_0000 | i]);
    }
    assert!(payload.len() < MAX_FRAME_BYTES);
    assert_eq!(scan_payload(&payload).unwrap().messages as usize, most);
}
