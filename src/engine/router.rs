//! The data path: a batch sent on one side is checked, counted, stamped and copied to every
//! client of the other side (and every tap), or held until its timestamp is due.
//!
//! Pure pass-through: words are never parsed beyond framing, and leave exactly as they came.

use super::scheduler::{MAX_SCHEDULED, Scheduled};
use super::state::{Attachment, Engine, side_index};
use crate::core::clock::MAX_SCHEDULE_AHEAD_NS;
use crate::core::ids::{Direction, Side};
use crate::core::model::DirectionStats;
use crate::core::protocol::{self, FrameKind};

/// The counters of one direction of a pair, and what the current rate is made from.
#[derive(Debug, Default, Clone)]
pub struct DirectionCounters {
    pub stats: DirectionStats,
    /// The second (of the monotonic clock) `this_second` counts.
    second: u64,
    this_second: u64,
    last_second: u64,
}

impl DirectionCounters {
    /// Counts messages accepted at `now_ns`. The rate needs no timer: buckets roll over when
    /// traffic arrives, and a reader works out how stale they are, so an idle engine sleeps.
    pub fn count(&mut self, messages: u64, words: u64, now_ns: u64) {
        self.stats.messages += messages;
        self.stats.words += words;
        let sec = now_ns / 1_000_000_000;
        if sec != self.second {
            self.last_second = if sec == self.second + 1 {
                self.this_second
            } else {
                0
            };
            self.second = sec;
            self.this_second = 0;
        }
        self.this_second += messages;
    }

    /// The counters, with the rate of the last whole second.
    pub fn snapshot(&self, now_ns: u64) -> DirectionStats {
        let sec = now_ns / 1_000_000_000;
        let rate = if sec == self.second {
            self.last_second
        } else if sec == self.second + 1 {
            self.this_second
        } else {
            0
        };
        DirectionStats {
            rate_msgs_per_s: rate,
            ..self.stats
        }
    }
}

/// Why a batch was refused; the sender hears it as a `refused` event.
pub type Refusal = String;

impl Engine {
    /// Routes one `Send` payload from a connection attached to `from`.
    ///
    /// `scratch` is a buffer the caller keeps between calls, so stamping costs no allocation.
    pub fn route_send(
        &mut self,
        from: Attachment,
        payload: &mut [u8],
        now_ns: u64,
        scratch: &mut Vec<u8>,
    ) -> Result<(), Refusal> {
        let Attachment::Endpoint { pair_key, side } = from else {
            return Err("this connection taps a pair; open an endpoint to send".into());
        };
        let Some(pair) = self.pairs.get_mut(&pair_key) else {
            return Err("the endpoint was removed; nothing was delivered".into());
        };
        let dir = side.outgoing();
        let counters = &mut pair.counters[dir.index()];
        // Checked and stamped in one pass, in the read buffer itself: the batch then goes out
        // without another copy.
        let summary = match protocol::scan_and_stamp(payload, now_ns) {
            Ok(s) => s,
            Err(e) => {
                counters.stats.refused += 1;
                return Err(e.to_string());
            }
        };
        if summary.max_timestamp > now_ns.saturating_add(MAX_SCHEDULE_AHEAD_NS) {
            counters.stats.refused += 1;
            return Err(format!(
                "a timestamp lies {:.1} s in the future; the limit is 300 s; nothing was delivered",
                (summary.max_timestamp - now_ns) as f64 / 1e9
            ));
        }
        if summary.messages == 0 {
            return Ok(());
        }
        if summary.max_timestamp > now_ns {
            let future = protocol::iter_payload(payload)
                .filter(|m| m.timestamp > now_ns)
                .count();
            if self.schedule.len() + future > MAX_SCHEDULED {
                let counters = &mut self.pairs.get_mut(&pair_key).expect("found above").counters;
                counters[dir.index()].stats.refused += 1;
                return Err(format!(
                    "{future} scheduled messages would exceed the limit of {MAX_SCHEDULED} held at once; nothing was delivered"
                ));
            }
        }
        let pair = self.pairs.get_mut(&pair_key).expect("found above");
        let counters = &mut pair.counters[dir.index()];
        if pair.def.muted {
            counters.stats.dropped_muted += summary.messages;
            return Ok(());
        }
        counters.count(summary.messages, summary.words, now_ns);

        let payload: &[u8] = payload;
        let (body, delivered) = if summary.max_timestamp <= now_ns {
            (payload, summary.messages)
        } else {
            // Some messages are for later: they wait in the schedule, the rest go now.
            scratch.clear();
            let mut delivered = 0;
            let mut rest = payload;
            while !rest.is_empty() {
                let len = protocol::message_bytes_at(rest);
                let (msg, tail) = rest.split_at(len);
                let ts = u64::from_le_bytes(msg[..8].try_into().expect("checked payload"));
                if ts > now_ns {
                    self.schedule.push(Scheduled::new(ts, pair_key, dir, msg));
                    self.schedule_changed.notify_one();
                } else {
                    scratch.extend_from_slice(msg);
                    delivered += 1;
                }
                rest = tail;
            }
            (&scratch[..], delivered)
        };
        if delivered > 0 {
            self.deliver(pair_key, dir, body, delivered);
        }
        Ok(())
    }

    /// Copies stamped messages to every client of the receiving side and to every tap.
    pub fn deliver(&mut self, pair_key: u64, dir: Direction, body: &[u8], messages: u64) {
        let Some(pair) = self.pairs.get_mut(&pair_key) else {
            return;
        };
        let receiving = match dir {
            Direction::AToB => Side::B,
            Direction::BToA => Side::A,
        };
        let mut dropped = 0;
        for outbox in &pair.attached[side_index(receiving)] {
            if !outbox.try_push_data(FrameKind::Deliver, &[], body, messages) {
                dropped += messages;
            }
        }
        pair.counters[dir.index()].stats.dropped_overflow += dropped;
        let prefix = [protocol::direction_byte(dir)];
        for tap in &pair.taps {
            // A tap that falls behind loses copies; the pair's own counters are not touched.
            tap.try_push_data(FrameKind::TapDeliver, &prefix, body, messages);
        }
    }
}
