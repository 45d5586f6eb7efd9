//! The data payload scanner and the frame header reader on arbitrary bytes: no panic, the
//! scanner and the iterator agree, and an accepted payload is exactly whole messages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use midi_loopback::core::protocol::{
    FrameError, HEADER_BYTES, MAX_FRAME_BYTES, iter_payload, message_bytes_at, parse_header,
    scan_payload,
};

fuzz_target!(|data: &[u8]| {
    if let Some(head) = data.first_chunk::<HEADER_BYTES>() {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        match parse_header(head) {
            Ok(h) => assert!(len >= 1 && len <= MAX_FRAME_BYTES && h.payload_len == len - 1),
            Err(FrameError::Empty) => assert_eq!(len, 0),
            Err(FrameError::TooLarge(n)) => assert!(n == len && len > MAX_FRAME_BYTES),
        }
    }
    let walked: Vec<_> = iter_payload(data).collect();
    match scan_payload(data) {
        Ok(s) => {
            assert_eq!(s.messages as usize, walked.len());
            let words: usize = walked.iter().map(|m| m.words().len()).sum();
            assert_eq!(s.words as usize, words);
            let mut rest = data;
            while !rest.is_empty() {
                rest = &rest[message_bytes_at(rest)..];
            }
        }
        Err(e) => {
            assert_eq!(e.index, walked.len());
            assert!(e.offset < data.len());
        }
    }
});
