//! A rough micro-benchmark of UMP framing and decoding, with no harness so it runs on stable:
//! `cargo bench --bench ump`.
//!
//! Framing is on the engine's hot path (every forwarded message), decoding only on the
//! monitor's and the dashboard's; the numbers tell whether either could ever matter.

use std::hint::black_box;
use std::time::Instant;

use midi_loopback::core::ump::decode::decode;
use midi_loopback::core::ump::split_messages;

/// A mix of the families a monitor sees, one to four words each.
const SAMPLES: &[&[u32]] = &[
    &[0x2090_3C64],
    &[0x4090_3C00, 0xC000_0000],
    &[0x10F8_0000],
    &[0x0020_ABCD],
    &[0x4424_0123, 0x4567_89AB],
    &[0x3016_0102, 0x0304_0506],
    &[0x541E_BB00, 0x0102_0304, 0x0506_0708, 0x090A_0B0C],
    &[0xD010_0000, 0x02FA_F080, 0, 0],
    &[0xF003_4120, 0x7368_6F72, 0x7420_6E61, 0x6D65_0000],
];

const STREAM_WORDS: usize = 1_000_000;

fn main() {
    let mut stream = Vec::with_capacity(STREAM_WORDS + 4);
    for sample in SAMPLES.iter().cycle() {
        if stream.len() >= STREAM_WORDS {
            break;
        }
        stream.extend_from_slice(sample);
    }

    let start = Instant::now();
    let messages = split_messages(black_box(&stream)).expect("the stream is whole messages");
    report("framing (split_messages)", start, messages.len());

    let start = Instant::now();
    for message in &messages {
        black_box(decode(black_box(message)));
    }
    report("decode", start, messages.len());
}

fn report(what: &str, start: Instant, messages: usize) {
    let elapsed = start.elapsed();
    let per_message = elapsed.as_nanos() as f64 / messages as f64;
    println!("{what:<26} {messages} messages in {elapsed:.2?}: {per_message:.1} ns/message");
}
