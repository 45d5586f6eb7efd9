//! An in-memory [`Peer`], so the state, the router and the scheduler are tested without a
//! socket; and those tests.

use super::peer::{Batch, Notice, Peer, PeerId, Target};
use crate::core::ids::Direction;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// What a [`MemoryPeer`] heard, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A batch: where it went, and its messages as (timestamp, first word).
    Batch {
        dir: Direction,
        target: Target,
        messages: Vec<(u64, u32)>,
    },
    /// A notice, by name.
    Notice(String),
}

/// Records every batch and notice; refuses batches once `room` messages are taken.
pub struct MemoryPeer {
    id: PeerId,
    room: Cell<u64>,
    pub heard: RefCell<Vec<Heard>>,
}

impl MemoryPeer {
    pub fn new(id: PeerId) -> Rc<MemoryPeer> {
        MemoryPeer::with_room(id, u64::MAX)
    }

    pub fn with_room(id: PeerId, room: u64) -> Rc<MemoryPeer> {
        Rc::new(MemoryPeer {
            id,
            room: Cell::new(room),
            heard: RefCell::new(Vec::new()),
        })
    }

    /// The first words of every message delivered to it, in order.
    pub fn words(&self) -> Vec<u32> {
        self.heard
            .borrow()
            .iter()
            .flat_map(|h| match h {
                Heard::Batch { messages, .. } => messages.iter().map(|m| m.1).collect(),
                Heard::Notice(_) => Vec::new(),
            })
            .collect()
    }

    pub fn notices(&self) -> Vec<String> {
        self.heard
            .borrow()
            .iter()
            .filter_map(|h| match h {
                Heard::Notice(n) => Some(n.clone()),
                Heard::Batch { .. } => None,
            })
            .collect()
    }
}

impl Peer for MemoryPeer {
    fn id(&self) -> PeerId {
        self.id
    }

    fn deliver(&self, batch: Batch<'_>) -> bool {
        if self.room.get() < batch.messages {
            return false;
        }
        self.room.set(self.room.get() - batch.messages);
        let messages = crate::core::protocol::iter_payload(batch.body)
            .map(|m| (m.timestamp, m.words()[0]))
            .collect();
        self.heard.borrow_mut().push(Heard::Batch {
            dir: batch.dir,
            target: batch.target,
            messages,
        });
        true
    }

    fn notify(&self, notice: Notice<'_>) {
        let name = match notice {
            Notice::Existing(p) => format!("existing {}", p.endpoint_a.name),
            Notice::Synced => "synced".into(),
            Notice::Created(p) => format!("created {}", p.endpoint_a.name),
            Notice::Updated { pair, change } => format!(
                "updated {} renamed={} persistence={} muted={}",
                pair.endpoint_a.name, change.renamed, change.persistence, change.muted
            ),
            Notice::Removed(p) => format!("removed {}", p.endpoint_a.name),
            Notice::Attached { pair, side } => {
                format!("attached {} {side:?}", pair.endpoint_a.name)
            }
            Notice::Detached { pair, side } => {
                format!("detached {} {side:?}", pair.endpoint_a.name)
            }
            Notice::Stopping => "stopping".into(),
        };
        self.heard.borrow_mut().push(Heard::Notice(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::Side;
    use crate::core::model::{NameSpec, PairSpec, PairUpdate};
    use crate::core::protocol::put_message;
    use crate::engine::persist::Persistence;
    use crate::engine::state::{Attachment, Engine};

    const NOW: u64 = 1_000_000_000;

    fn engine() -> Engine {
        Engine::new(
            Persistence {
                path: std::env::temp_dir().join("midi-memory-peer-tests-never-written.json"),
            },
            100,
        )
    }

    fn create(engine: &mut Engine, root: &str) -> (u64, crate::core::ids::AssociationId) {
        let def = PairSpec {
            names: Some(NameSpec::Root(root.into())),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        let info = engine.create(def, NOW).unwrap();
        let key = *engine.pairs.keys().last().unwrap();
        (key, info.association_id)
    }

    fn attach(engine: &mut Engine, key: u64, side: Side, peer: &Rc<MemoryPeer>) -> Attachment {
        engine.attach(key, side, peer.clone(), NOW);
        Attachment::Endpoint {
            pair_key: key,
            side,
        }
    }

    /// A payload of one-word messages (type 2: MIDI 1.0 channel voice), each with its stamp.
    fn payload(messages: &[(u64, u32)]) -> Vec<u8> {
        let mut buf = Vec::new();
        for (ts, word) in messages {
            put_message(&mut buf, *ts, &[0x2090_0000 | word]);
        }
        buf
    }

    fn send(engine: &mut Engine, from: Attachment, sender: PeerId, msgs: &[(u64, u32)], now: u64) {
        let mut p = payload(msgs);
        engine
            .route_send(from, sender, &mut p, now, &mut Vec::new())
            .unwrap();
    }

    #[test]
    fn fans_out_to_every_peer_of_the_other_side_and_never_echoes() {
        let mut e = engine();
        let (key, _) = create(&mut e, "Fan");
        let sender = MemoryPeer::new(1);
        let same_side = MemoryPeer::new(2);
        let (b1, b2) = (MemoryPeer::new(3), MemoryPeer::new(4));
        let from = attach(&mut e, key, Side::A, &sender);
        attach(&mut e, key, Side::A, &same_side);
        attach(&mut e, key, Side::B, &b1);
        attach(&mut e, key, Side::B, &b2);
        send(&mut e, from, 1, &[(0, 1), (0, 2)], NOW);
        assert_eq!(b1.words(), vec![0x2090_0001, 0x2090_0002]);
        assert_eq!(b2.words(), b1.words());
        assert!(sender.words().is_empty(), "no echo to the sender");
        assert!(same_side.words().is_empty(), "nothing to the sending side");
        let stats = &e.pairs[&key].counters[Direction::AToB.index()].stats;
        assert_eq!(stats.messages, 2);
    }

    #[test]
    fn mute_drops_and_counts() {
        let mut e = engine();
        let (key, id) = create(&mut e, "Mute");
        let (a, b) = (MemoryPeer::new(1), MemoryPeer::new(2));
        let from = attach(&mut e, key, Side::A, &a);
        attach(&mut e, key, Side::B, &b);
        e.set_muted(id, true, NOW).unwrap();
        send(&mut e, from, 1, &[(0, 1), (0, 2), (0, 3)], NOW);
        assert!(b.words().is_empty());
        let stats = &e.pairs[&key].counters[Direction::AToB.index()].stats;
        assert_eq!((stats.dropped_muted, stats.messages), (3, 0));
        assert!(
            b.notices().iter().any(|n| n.contains("muted=true")),
            "{:?}",
            b.notices()
        );
    }

    #[test]
    fn a_full_peer_loses_only_its_own_messages() {
        let mut e = engine();
        let (key, _) = create(&mut e, "Full");
        let a = MemoryPeer::new(1);
        let full = MemoryPeer::with_room(2, 1);
        let roomy = MemoryPeer::new(3);
        let from = attach(&mut e, key, Side::A, &a);
        attach(&mut e, key, Side::B, &full);
        attach(&mut e, key, Side::B, &roomy);
        send(&mut e, from, 1, &[(0, 1)], NOW);
        send(&mut e, from, 1, &[(0, 2), (0, 3)], NOW);
        assert_eq!(full.words(), vec![0x2090_0001]);
        assert_eq!(roomy.words().len(), 3);
        let stats = &e.pairs[&key].counters[Direction::AToB.index()].stats;
        assert_eq!(stats.dropped_overflow, 2);
    }

    #[test]
    fn removal_and_stop_notify_every_peer() {
        let mut e = engine();
        let (key, id) = create(&mut e, "Gone");
        let (key2, _) = create(&mut e, "Stays");
        let (a, b, tap, watcher) = (
            MemoryPeer::new(1),
            MemoryPeer::new(2),
            MemoryPeer::new(3),
            MemoryPeer::new(4),
        );
        let other = MemoryPeer::new(5);
        attach(&mut e, key, Side::A, &a);
        attach(&mut e, key, Side::B, &b);
        e.tap(id, tap.clone()).unwrap();
        e.watch(watcher.clone(), NOW);
        attach(&mut e, key2, Side::A, &other);
        e.remove(id, NOW).unwrap();
        for p in [&a, &b, &tap, &watcher] {
            assert!(p.notices().contains(&"removed Gone (A)".to_string()));
        }
        assert!(!other.notices().iter().any(|n| n.starts_with("removed")));
        e.stop();
        assert_eq!(other.notices().last().unwrap(), "stopping");
        assert_eq!(watcher.notices().last().unwrap(), "stopping");
    }

    #[test]
    fn a_watcher_hears_existing_pairs_first_then_changes() {
        let mut e = engine();
        let (key, id) = create(&mut e, "Old");
        let w = MemoryPeer::new(9);
        e.watch(w.clone(), NOW);
        let (_, id2) = create(&mut e, "New");
        let update = PairUpdate {
            name_a: Some("Renamed (A)".into()),
            ..Default::default()
        };
        e.update(id, &update, NOW).unwrap();
        let c = MemoryPeer::new(10);
        let at = attach(&mut e, key, Side::B, &c);
        e.detach(at, 10, NOW);
        e.remove(id2, NOW).unwrap();
        assert_eq!(
            w.notices(),
            vec![
                "existing Old (A)",
                "synced",
                "created New (A)",
                "updated Renamed (A) renamed=true persistence=false muted=false",
                "attached Renamed (A) B",
                "detached Renamed (A) B",
                "removed New (A)",
            ]
        );
    }

    #[test]
    fn held_messages_leave_in_timestamp_order_and_never_early() {
        let mut e = engine();
        let (key, _) = create(&mut e, "Later");
        let (a, b) = (MemoryPeer::new(1), MemoryPeer::new(2));
        let from = attach(&mut e, key, Side::A, &a);
        attach(&mut e, key, Side::B, &b);
        send(&mut e, from, 1, &[(NOW + 300, 3), (NOW + 100, 1)], NOW);
        send(&mut e, from, 1, &[(NOW + 200, 2), (NOW + 200, 0x22)], NOW);
        assert!(b.words().is_empty(), "nothing before its time");
        e.deliver_due(NOW + 199);
        assert_eq!(b.words(), vec![0x2090_0001]);
        e.deliver_due(NOW + 300);
        assert_eq!(
            b.words(),
            vec![0x2090_0001, 0x2090_0002, 0x2090_0022, 0x2090_0003]
        );
    }

    #[test]
    fn a_message_for_now_waits_for_held_ones_already_due() {
        let mut e = engine();
        let (key, _) = create(&mut e, "Order");
        let (a, b) = (MemoryPeer::new(1), MemoryPeer::new(2));
        let from = attach(&mut e, key, Side::A, &a);
        attach(&mut e, key, Side::B, &b);
        send(&mut e, from, 1, &[(NOW + 100, 1)], NOW);
        // The timer has not fired yet, but the held message is due when this one arrives.
        send(&mut e, from, 1, &[(0, 2)], NOW + 150);
        assert_eq!(b.words(), vec![0x2090_0001, 0x2090_0002]);
    }

    #[test]
    fn a_removed_pair_drops_its_held_messages() {
        let mut e = engine();
        let (key, id) = create(&mut e, "Drop");
        let a = MemoryPeer::new(1);
        let from = attach(&mut e, key, Side::A, &a);
        send(&mut e, from, 1, &[(NOW + 100, 1), (NOW + 200, 2)], NOW);
        assert_eq!(e.schedule.held_by(1), 2);
        e.remove(id, NOW).unwrap();
        assert_eq!((e.schedule.len(), e.schedule.held_by(1)), (0, 0));
    }
}
