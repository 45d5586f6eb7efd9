//! Messages stamped for the future wait here until they are due, then go out in timestamp
//! order (and, for equal timestamps, in the order they arrived).
//!
//! Each sender has its own quota of held messages, so one client that schedules a great deal
//! cannot make everyone else's scheduled sends fail; a global bound caps the memory.

use super::peer::PeerId;
use crate::core::ids::Direction;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// One held message: its bytes (timestamp and up to four words) and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub due_ns: u64,
    pub pair_key: u64,
    pub dir: Direction,
    /// Who sent it: its quota is charged until the message leaves or its pair goes.
    pub sender: PeerId,
    bytes: [u8; 24],
    len: u8,
}

impl Scheduled {
    pub fn new(
        due_ns: u64,
        pair_key: u64,
        dir: Direction,
        sender: PeerId,
        msg: &[u8],
    ) -> Scheduled {
        let mut bytes = [0u8; 24];
        bytes[..msg.len()].copy_from_slice(msg);
        Scheduled {
            due_ns,
            pair_key,
            dir,
            sender,
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
    /// Messages held per sender.
    held_by: HashMap<PeerId, usize>,
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

/// The most messages one sender may have held at once; a batch that would hold more is
/// refused whole.
pub const MAX_SCHEDULED_PER_SENDER: usize = 100_000;
/// The most messages held at once for all senders together (about 50 MB).
pub const MAX_SCHEDULED: usize = 1_000_000;

impl Schedule {
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Messages held for one sender.
    pub fn held_by(&self, sender: PeerId) -> usize {
        self.held_by.get(&sender).copied().unwrap_or(0)
    }

    /// Why `more` held messages from `sender` would not fit, if they would not.
    pub fn refusal(&self, sender: PeerId, more: usize) -> Option<String> {
        if self.held_by(sender) + more > MAX_SCHEDULED_PER_SENDER {
            return Some(format!(
                "{more} scheduled messages would exceed this client's limit of {MAX_SCHEDULED_PER_SENDER} held at once; nothing was delivered"
            ));
        }
        if self.len() + more > MAX_SCHEDULED {
            return Some(format!(
                "{more} scheduled messages would exceed the engine's limit of {MAX_SCHEDULED} held at once; nothing was delivered"
            ));
        }
        None
    }

    fn release(&mut self, sender: PeerId) {
        if let Some(n) = self.held_by.get_mut(&sender) {
            *n -= 1;
            if *n == 0 {
                self.held_by.remove(&sender);
            }
        }
    }

    /// Drops every message held for a pair that is gone.
    pub fn remove_pair(&mut self, pair_key: u64) {
        let before = self.heap.len();
        let mut released = Vec::new();
        self.heap.retain(|Reverse(h)| {
            let keep = h.item.pair_key != pair_key;
            if !keep {
                released.push(h.item.sender);
            }
            keep
        });
        debug_assert_eq!(before - self.heap.len(), released.len());
        for sender in released {
            self.release(sender);
        }
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    pub fn push(&mut self, item: Scheduled) {
        let seq = self.next_seq;
        self.next_seq += 1;
        *self.held_by.entry(item.sender).or_default() += 1;
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
            self.release(held.item.sender);
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
            s.push(Scheduled::new(due, 1, Direction::AToB, 7, &[tag]));
        }
        assert_eq!(s.next_due(), Some(10));
        let got: Vec<u8> = s.take_due(30).iter().map(|x| x.bytes()[0]).collect();
        assert_eq!(got, vec![2, 4, 1, 3]);
        assert!(s.is_empty());
        assert_eq!(s.held_by(7), 0);
    }

    #[test]
    fn each_sender_has_its_own_quota() {
        let mut s = Schedule::default();
        for i in 0..MAX_SCHEDULED_PER_SENDER as u64 {
            s.push(Scheduled::new(100 + i, 1, Direction::AToB, 1, &[0]));
        }
        assert!(s.refusal(1, 1).unwrap().contains("this client's limit"));
        assert_eq!(s.refusal(2, 1000), None, "another sender is not starved");
    }

    #[test]
    fn a_removed_pair_gives_back_its_share() {
        let mut s = Schedule::default();
        s.push(Scheduled::new(10, 1, Direction::AToB, 5, &[1]));
        s.push(Scheduled::new(20, 2, Direction::AToB, 5, &[2]));
        s.push(Scheduled::new(30, 1, Direction::BToA, 6, &[3]));
        s.remove_pair(1);
        assert_eq!(s.len(), 1);
        assert_eq!((s.held_by(5), s.held_by(6)), (1, 0));
        let got: Vec<u8> = s.take_due(u64::MAX).iter().map(|x| x.bytes()[0]).collect();
        assert_eq!(got, vec![2]);
    }
}
