//! The control JSON a client may send (hello, requests) and the events it reads: parsing
//! arbitrary bytes never panics, and what parses re-encodes to a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use midi_loopback::core::protocol::{Event, Hello, RequestFrame, ResponseFrame, Welcome};

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = serde_json::from_slice::<RequestFrame>(data) {
        let once = serde_json::to_vec(&frame).unwrap();
        let back: RequestFrame = serde_json::from_slice(&once).unwrap();
        assert_eq!(serde_json::to_vec(&back).unwrap(), once);
    }
    let _ = serde_json::from_slice::<Hello>(data);
    let _ = serde_json::from_slice::<Welcome>(data);
    let _ = serde_json::from_slice::<ResponseFrame>(data);
    let _ = serde_json::from_slice::<Event>(data);
});
