//! The data path: a batch sent on one side is checked, counted, stamped and handed to every
//! peer of the other side (and every tap), or held until its timestamp is due. Routing policy
//! lives here: mute, the scheduling limits, and the batching of messages that fall due.
//!
//! Pure pass-through: words are never parsed beyond framing, and leave exactly as they came.

use super::peer::{Batch, PeerId, Target};
use super::scheduler::Scheduled;
use super::state::{Attachment, Engine, side_index};
use crate::core::clock::MAX_SCHEDULE_AHEAD_NS;
use crate::core::ids::{Direction, Side};
use crate::core::protocol;

/// Why a batch was refused; the sender hears it as a `refused` event.
pub type Refusal = String;

impl Engine {
    /// Routes one batch of messages that peer `sender`, attached at `from`, sends out on its
    /// endpoint. The payload is in the wire's layout (`docs/PROTOCOL.md`); timestamps of 0
    /// mean "now" and are stamped in place.
    ///
    /// `scratch` is a buffer the caller keeps between calls, so stamping costs no allocation.
    pub fn route_send(
        &mut self,
        from: Attachment,
        sender: PeerId,
        payload: &mut [u8],
        now_ns: u64,
        scratch: &mut Vec<u8>,
    ) -> Result<(), Refusal> {
        let Attachment::Endpoint { pair_key, side } = from else {
            return Err("this connection taps a pair; open an endpoint to send".into());
        };
        // Messages leave in timestamp order: whatever fell due must go before anything newer.
        if self.schedule.next_due().is_some_and(|due| due <= now_ns) {
            self.deliver_due(now_ns);
        }
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
            if let Some(refusal) = self.schedule.refusal(sender, future) {
                let counters = &mut self.pairs.get_mut(&pair_key).expect("found above").counters;
                counters[dir.index()].stats.refused += 1;
                return Err(refusal);
            }
        }
        let pair = self.pairs.get_mut(&pair_key).expect("found above");
        let muted = pair.is_muted();
        let counters = &mut pair.counters[dir.index()];
        if muted {
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
                    self.schedule
                        .push(Scheduled::new(ts, pair_key, dir, sender, msg));
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

    /// Hands stamped messages to every peer of the receiving side and to every tap.
    pub fn deliver(&mut self, pair_key: u64, dir: Direction, body: &[u8], messages: u64) {
        let Some(pair) = self.pairs.get_mut(&pair_key) else {
            return;
        };
        let receiving = match dir {
            Direction::AToB => Side::B,
            Direction::BToA => Side::A,
        };
        let batch = Batch {
            dir,
            target: Target::Side(receiving),
            body,
            messages,
        };
        let mut dropped = 0;
        for peer in &pair.attached[side_index(receiving)] {
            if !peer.deliver(batch) {
                dropped += messages;
            }
        }
        pair.counters[dir.index()].stats.dropped_overflow += dropped;
        let copy = Batch {
            target: Target::Tap,
            ..batch
        };
        for tap in &pair.taps {
            // A tap that falls behind loses copies; the pair's own counters are not touched.
            tap.deliver(copy);
        }
    }

    /// Delivers every held message due at `now_ns`, in timestamp order. Consecutive messages
    /// for the same pair and direction go out as one batch.
    pub fn deliver_due(&mut self, now_ns: u64) {
        let due = self.schedule.take_due(now_ns);
        let mut body = Vec::new();
        let mut i = 0;
        while i < due.len() {
            let (key, dir) = (due[i].pair_key, due[i].dir);
            body.clear();
            let mut n = 0;
            // …up to a size any client accepts (a tap's direction byte included).
            let cap = protocol::MAX_FRAME_BYTES - 2;
            while i < due.len()
                && due[i].pair_key == key
                && due[i].dir == dir
                && body.len() + due[i].bytes().len() <= cap
            {
                body.extend_from_slice(due[i].bytes());
                n += 1;
                i += 1;
            }
            match self.pairs.get_mut(&key) {
                Some(p) if p.is_muted() => p.counters[dir.index()].stats.dropped_muted += n,
                Some(_) => self.deliver(key, dir, &body, n),
                None => {} // the pair was removed while its messages waited
            }
        }
    }
}
