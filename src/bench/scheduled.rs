//! Scheduled delivery: messages stamped 1–10 ms ahead at a steady musical rate, and how late
//! each one reaches side B after its timestamp.
//!
//! Lateness is read on B the moment its read returns, against the timestamp the message
//! carries (held messages keep theirs), on the one clock both ends share (`core::clock`). It
//! therefore includes the last hop over the socket, for the engine and the baseline alike.

use super::{Link, STALL};
use crate::core::clock::monotonic_ns;
use crate::core::protocol::TimedMessage;
use std::time::{Duration, Instant};

/// Messages per second, the density of a busy live part (a MIDI 1.0 cable's limit).
pub const RATE_PER_S: u32 = 1_000;
/// The nearest and farthest a message is stamped ahead of when it is sent.
pub const AHEAD_MIN_NS: u64 = 1_000_000;
pub const AHEAD_MAX_NS: u64 = 10_000_000;

/// How far ahead message `i` is stamped: spread over the whole 1–10 ms range in a scrambled
/// order, so later messages are often due before earlier ones.
pub fn ahead_ns(i: u32) -> u64 {
    let span_us = (AHEAD_MAX_NS - AHEAD_MIN_NS) / 1_000 + 1;
    AHEAD_MIN_NS + (u64::from(i) * 7_919 % span_us) * 1_000
}

/// What one run of scheduled messages measured.
#[derive(Debug, Clone, Default)]
pub struct Lateness {
    /// Nanoseconds after its timestamp that each message arrived (0 for an early one).
    pub samples_ns: Vec<u64>,
    /// Messages that arrived before their timestamp (a scheduler must never do that).
    pub early: u64,
    /// Messages that never arrived.
    pub lost: u64,
}

/// Sends `n` messages from `a` at [`RATE_PER_S`], each stamped [`ahead_ns`] ahead, one per
/// write; `b` receives them. `tick` is told how many have been sent.
pub fn lateness(
    a: &mut dyn Link,
    mut b: Box<dyn Link>,
    n: u32,
    tick: &dyn Fn(u64),
) -> anyhow::Result<Lateness> {
    let receiver = std::thread::spawn(move || -> anyhow::Result<Lateness> {
        let mut out = Lateness::default();
        let mut buf = Vec::new();
        while (out.samples_ns.len() as u64) < u64::from(n) {
            buf.clear();
            let got = b.receive(STALL, &mut buf)?;
            let arrived = monotonic_ns();
            if got == 0 {
                break; // stalled: the rest is lost
            }
            for m in &buf {
                if arrived < m.timestamp {
                    out.early += 1;
                }
                out.samples_ns.push(arrived.saturating_sub(m.timestamp));
            }
        }
        out.lost = u64::from(n).saturating_sub(out.samples_ns.len() as u64);
        Ok(out)
    });
    let period = Duration::from_secs(1) / RATE_PER_S;
    let start = Instant::now();
    for i in 0..n {
        // The send times only need to be steady; each stamp is taken from the real clock.
        let due = start + period * i;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let stamp = monotonic_ns() + ahead_ns(i);
        let message = TimedMessage::new(stamp, &[0x2090_3C64]).expect("valid UMP");
        a.send(&[message])?;
        if i % 100 == 0 {
            tick(u64::from(i));
        }
    }
    receiver
        .join()
        .map_err(|_| anyhow::anyhow!("scheduled receiver panicked"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_cover_the_whole_range_out_of_order() {
        let aheads: Vec<u64> = (0..1_000).map(ahead_ns).collect();
        assert!(
            aheads
                .iter()
                .all(|&a| (AHEAD_MIN_NS..=AHEAD_MAX_NS).contains(&a))
        );
        let (lo, hi) = (aheads.iter().min(), aheads.iter().max());
        assert!(*lo.unwrap() < AHEAD_MIN_NS + 500_000, "nothing near 1 ms");
        assert!(*hi.unwrap() > AHEAD_MAX_NS - 500_000, "nothing near 10 ms");
        assert!(
            aheads.windows(2).any(|w| w[1] < w[0]),
            "later messages should sometimes be due first"
        );
    }
}
