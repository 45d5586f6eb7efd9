//! Messages stamped for the future wait here until they are due, then go out in timestamp
//! order (and, for equal timestamps, in the order they arrived).

use crate::core::ids::Direction;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One held message: its bytes (timestamp and up to four words) and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub due_ns: u64,
    pub pair_key: u64,
    pub dir: Direction,
    bytes: [u8; 24],
    len: u8,
}

impl Scheduled {
    pub fn new(due_ns: u64, pair_key: u64, dir: Direction, msg: &[u8]) -> Scheduled {
        let mut bytes = [0u8; 24];
        bytes[..msg.len()].copy_from_slice(msg);
        Scheduled {
            due_ns,
            pair_key,
            dir,
            bytes,
            len: msg.len() as u8,
        }
    }

    /// The message as it travels: timestamp, then words.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// The held messages, earliest first.
#[derive(Default)]
pub struct Schedule {
    heap: BinaryHeap<Reverse<Held>>,
    next_seq: u64,
}

/// A held message with its arrival number, which breaks ties between equal timestamps.
#[derive(Debug, PartialEq, Eq)]
struct Held {
    seq: u64,
    item: Scheduled,
}

impl Ord for Held {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.item.due_ns, self.seq).cmp(&(other.item.due_ns, other.seq))
    }
}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The most messages held at once; a batch that would hold more is refused whole.
pub const MAX_SCHEDULED: usize = 100_000;

impl Schedule {
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    pub fn push(&mut self, item: Scheduled) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Held { seq, item }));
    }

    /// When the earliest held message is due.
    pub fn next_due(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(h)| h.item.due_ns)
    }

    /// Takes every message due at `now_ns`, in order.
    pub fn take_due(&mut self, now_ns: u64) -> Vec<Scheduled> {
        let mut out = Vec::new();
        while self.next_due().is_some_and(|due| due <= now_ns) {
            let Reverse(held) = self.heap.pop().expect("peeked");
            out.push(held.item);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_in_timestamp_then_arrival_order() {
        let mut s = Schedule::default();
        for (due, tag) in [(30u64, 1u8), (10, 2), (30, 3), (20, 4)] {
            s.push(Scheduled::new(due, 1, Direction::AToB, &[tag]));
        }
        assert_eq!(s.next_due(), Some(10));
        let got: Vec<u8> = s.take_due(30).iter().map(|x| x.bytes()[0]).collect();
        assert_eq!(got, vec![2, 4, 1, 3]);
        assert!(s.is_empty());
    }
}
