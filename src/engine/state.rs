//! The engine's state: the pairs, who is attached to which endpoint, the counters, and every
//! control operation. All of it runs on one thread, so it needs no locks.

use super::outbox::Outbox;
use super::persist::Persistence;
use super::router::DirectionCounters;
use super::scheduler::Schedule;
use crate::core::error::ErrorKind;
use crate::core::ids::{AssociationId, Direction, Side};
use crate::core::model::{EndpointInfo, PairDefinition, PairInfo, PairUpdate, find_endpoint};
use crate::core::protocol::{EngineStatus, Event, PairCounts, TrafficTotals, WireError};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::Instant;
use tokio::sync::Notify;

/// What a connection is attached to. `pair_key`s are never reused, so an attachment to a
/// removed pair simply finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    Endpoint { pair_key: u64, side: Side },
    Tap { pair_key: u64 },
}

/// A pair while the engine runs it.
pub struct RunningPair {
    pub def: PairDefinition,
    pub counters: [DirectionCounters; 2],
    /// Connections attached to side A (index 0) and side B (index 1).
    pub attached: [Vec<Rc<Outbox>>; 2],
    pub taps: Vec<Rc<Outbox>>,
}

pub(super) fn side_index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

impl RunningPair {
    fn new(def: PairDefinition) -> RunningPair {
        RunningPair {
            def,
            counters: Default::default(),
            attached: [Vec::new(), Vec::new()],
            taps: Vec::new(),
        }
    }

    fn endpoint_info(&self, side: Side) -> EndpointInfo {
        let ep = self.def.endpoint(side);
        EndpointInfo {
            id: self.def.endpoint_id(side),
            name: ep.name.clone(),
            description: ep.description.clone(),
            side,
            association_id: self.def.association_id,
            clients: self.attached[side_index(side)].len() as u32,
        }
    }

    pub fn info(&self, now_ns: u64) -> PairInfo {
        PairInfo {
            association_id: self.def.association_id,
            unique_identifier: self.def.unique_identifier.clone(),
            persistent: self.def.persistent,
            muted: self.def.muted,
            endpoint_a: self.endpoint_info(Side::A),
            endpoint_b: self.endpoint_info(Side::B),
            a_to_b: self.counters[Direction::AToB.index()].snapshot(now_ns),
            b_to_a: self.counters[Direction::BToA.index()].snapshot(now_ns),
        }
    }

    /// Tells every attached client and tap that the pair is gone, and forgets them.
    fn close_all(&mut self, event: &Event) {
        for outbox in self.attached.iter_mut().flat_map(|v| v.drain(..)) {
            outbox.push_event(event);
        }
        for outbox in self.taps.drain(..) {
            outbox.push_event(event);
        }
    }
}

fn err(kind: ErrorKind, message: impl Into<String>) -> WireError {
    WireError {
        kind,
        message: message.into(),
    }
}

/// The whole engine state.
pub struct Engine {
    pub started: Instant,
    pub persistence: Persistence,
    /// Pairs by key, in creation order.
    pub pairs: BTreeMap<u64, RunningPair>,
    next_pair_key: u64,
    /// Every connection that finished its handshake.
    pub connections: HashMap<u64, Rc<Outbox>>,
    /// Messages held for the future, and the bell that wakes the task delivering them.
    pub schedule: Schedule,
    pub schedule_changed: Rc<Notify>,
}

impl Engine {
    pub fn new(persistence: Persistence) -> Engine {
        Engine {
            started: Instant::now(),
            persistence,
            pairs: BTreeMap::new(),
            next_pair_key: 1,
            connections: HashMap::new(),
            schedule: Schedule::default(),
            schedule_changed: Rc::new(Notify::new()),
        }
    }

    /// Adds a pair without touching the file (used for the pairs loaded from it).
    pub fn insert_loaded(&mut self, def: PairDefinition) {
        let key = self.next_pair_key;
        self.next_pair_key += 1;
        self.pairs.insert(key, RunningPair::new(def));
    }

    fn key_of(&self, id: AssociationId) -> Result<u64, WireError> {
        self.pairs
            .iter()
            .find(|(_, p)| p.def.association_id == id)
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                err(
                    ErrorKind::NotFound,
                    format!(
                        "no pair has association id {id}; `midi loopback list` shows the pairs"
                    ),
                )
            })
    }

    pub fn list(&self, now_ns: u64) -> Vec<PairInfo> {
        self.pairs.values().map(|p| p.info(now_ns)).collect()
    }

    pub fn create(&mut self, def: PairDefinition, now_ns: u64) -> Result<PairInfo, WireError> {
        def.validate()
            .map_err(|e| err(ErrorKind::Invalid, e.to_string()))?;
        def.check_new(self.pairs.values().map(|p| &p.def))
            .map_err(|e| err(ErrorKind::Conflict, e.to_string()))?;
        if def.persistent {
            // Durable before acknowledged: the pair exists only once the file holds it.
            self.persistence.store(&def)?;
        }
        let key = self.next_pair_key;
        self.next_pair_key += 1;
        let pair = RunningPair::new(def);
        let info = pair.info(now_ns);
        self.pairs.insert(key, pair);
        Ok(info)
    }

    pub fn remove(&mut self, id: AssociationId, now_ns: u64) -> Result<PairInfo, WireError> {
        let key = self.key_of(id)?;
        // The stored entry goes too, whatever the pair's flag says: `remove` means gone.
        self.persistence
            .forget(id, self.pairs[&key].def.persistent)?;
        let mut pair = self.pairs.remove(&key).expect("key just found");
        let info = pair.info(now_ns);
        for side in [Side::A, Side::B] {
            let event = Event::EndpointRemoved {
                endpoint: pair.def.endpoint(side).name.clone(),
            };
            for outbox in pair.attached[side_index(side)].drain(..) {
                outbox.push_event(&event);
            }
        }
        pair.close_all(&Event::EndpointRemoved {
            endpoint: pair.def.association_id.to_string(),
        });
        Ok(info)
    }

    pub fn update(
        &mut self,
        id: AssociationId,
        update: &PairUpdate,
        now_ns: u64,
    ) -> Result<PairInfo, WireError> {
        let key = self.key_of(id)?;
        let current = &self.pairs[&key].def;
        let next = update
            .apply(current)
            .map_err(|e| err(ErrorKind::Invalid, e.to_string()))?;
        next.check_conflicts(self.pairs.values().map(|p| &p.def))
            .map_err(|e| err(ErrorKind::Conflict, e.to_string()))?;
        self.replace(key, next, now_ns)
    }

    pub fn set_muted(
        &mut self,
        id: AssociationId,
        muted: bool,
        now_ns: u64,
    ) -> Result<PairInfo, WireError> {
        let key = self.key_of(id)?;
        let mut next = self.pairs[&key].def.clone();
        next.muted = muted;
        self.replace(key, next, now_ns)
    }

    /// Stores the change durably (or drops the stored entry), then applies it in place.
    fn replace(
        &mut self,
        key: u64,
        next: PairDefinition,
        now_ns: u64,
    ) -> Result<PairInfo, WireError> {
        let was_persistent = self.pairs[&key].def.persistent;
        if next.persistent {
            self.persistence.store(&next)?;
        } else if was_persistent {
            self.persistence.forget(next.association_id, true)?;
        }
        let pair = self.pairs.get_mut(&key).expect("key just found");
        pair.def = next;
        Ok(pair.info(now_ns))
    }

    /// Attaches a connection to an endpoint named by id or name.
    pub fn open(
        &mut self,
        wanted: &str,
        outbox: &Rc<Outbox>,
        now_ns: u64,
    ) -> Result<(Attachment, EndpointInfo), WireError> {
        let infos = self.list(now_ns);
        let found = find_endpoint(&infos, wanted).ok_or_else(|| {
            err(
                ErrorKind::NotFound,
                format!(
                    "no endpoint has the id or name {wanted:?}; `midi endpoint list` shows them"
                ),
            )
        })?;
        let (side, id) = (found.side, found.association_id);
        let key = self.key_of(id)?;
        let pair = self.pairs.get_mut(&key).expect("key just found");
        pair.attached[side_index(side)].push(outbox.clone());
        Ok((
            Attachment::Endpoint {
                pair_key: key,
                side,
            },
            pair.endpoint_info(side),
        ))
    }

    pub fn tap(&mut self, id: AssociationId, outbox: &Rc<Outbox>) -> Result<Attachment, WireError> {
        let key = self.key_of(id)?;
        self.pairs
            .get_mut(&key)
            .expect("key just found")
            .taps
            .push(outbox.clone());
        Ok(Attachment::Tap { pair_key: key })
    }

    /// Forgets a connection's attachment (on close, or before it attaches elsewhere).
    pub fn detach(&mut self, attachment: Attachment, conn_id: u64) {
        let (key, list) = match attachment {
            Attachment::Endpoint { pair_key, side } => (pair_key, Some(side)),
            Attachment::Tap { pair_key } => (pair_key, None),
        };
        if let Some(pair) = self.pairs.get_mut(&key) {
            let v = match list {
                Some(side) => &mut pair.attached[side_index(side)],
                None => &mut pair.taps,
            };
            v.retain(|o| o.conn_id != conn_id);
        }
    }

    pub fn status(
        &self,
        paths: &crate::core::paths::Paths,
        asking_conn: u64,
        now_ns: u64,
    ) -> EngineStatus {
        let mut counts = PairCounts::default();
        let mut traffic = TrafficTotals::default();
        for pair in self.pairs.values() {
            counts.total += 1;
            if pair.def.persistent {
                counts.persistent += 1;
            } else {
                counts.transient += 1;
            }
            for c in &pair.counters {
                traffic.accumulate(&c.snapshot(now_ns));
            }
        }
        EngineStatus {
            running: true,
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            protocol: crate::core::protocol::PROTOCOL_VERSION,
            uptime_s: self.started.elapsed().as_secs(),
            socket: paths.socket.clone(),
            config: paths.config_file.clone(),
            log: paths.log.clone(),
            pairs: counts,
            clients: self
                .connections
                .keys()
                .filter(|id| **id != asking_conn)
                .count() as u64,
            traffic,
        }
    }

    /// Tells every client the engine is stopping and closes their connections.
    pub fn close_everything(&mut self) {
        for outbox in self.connections.values() {
            outbox.push_event(&Event::EngineStopping);
            outbox.close();
        }
    }
}
