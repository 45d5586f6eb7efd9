//! The engine's state: the pairs, which peers are attached to which side, the counters, the
//! watchers, and every control operation. All of it runs on one thread, so it needs no locks.
//!
//! Nothing here knows how a peer talks to its user: attaching, detaching and telling go
//! through the [`Peer`] trait.

use super::counters::DirectionCounters;
use super::peer::{Change, Notice, Peer, PeerId};
use super::persist::{Durable, Persistence};
use super::scheduler::Schedule;
use crate::core::error::ErrorKind;
use crate::core::ids::{AssociationId, Direction, Side};
use crate::core::model::{
    AlsaPresence, EndpointInfo, PairDefinition, PairInfo, PairUpdate, find_endpoint,
};
use crate::core::protocol::{
    AlsaStatus, EngineStatus, PairCounters, PairCounts, TrafficTotals, WireError,
};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Instant;
use tokio::sync::Notify;

/// What a peer is attached to. `pair_key`s are never reused, so an attachment to a removed
/// pair simply finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    Endpoint { pair_key: u64, side: Side },
    Tap { pair_key: u64 },
}

/// A pair while the engine runs it.
pub struct RunningPair {
    pub def: PairDefinition,
    pub counters: [DirectionCounters; 2],
    /// Peers attached to side A (index 0) and side B (index 1).
    pub attached: [Vec<Rc<dyn Peer>>; 2],
    pub taps: Vec<Rc<dyn Peer>>,
    /// Where the ALSA bridge presents side A (index 0) and side B (index 1).
    pub alsa: [Option<AlsaPresence>; 2],
    /// Muted by the engine: its traffic came back into it. `unmute` clears it.
    pub feedback_loop: bool,
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
            alsa: [None, None],
            feedback_loop: false,
        }
    }

    /// Whether messages crossing the pair are dropped: muted by the user or for a loop.
    pub fn is_muted(&self) -> bool {
        self.def.muted || self.feedback_loop
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
            alsa: self.alsa[side_index(side)].clone().map(Box::new),
            // The network sessions are the server's to fill in (`Sessions::mark`).
            network_presence: None,
        }
    }

    pub fn info(&self, now_ns: u64) -> PairInfo {
        PairInfo {
            association_id: self.def.association_id,
            unique_identifier: self.def.unique_identifier.clone(),
            persistent: self.def.persistent,
            muted: self.def.muted || self.feedback_loop,
            feedback_loop: self.feedback_loop,
            endpoint_a: self.endpoint_info(Side::A),
            endpoint_b: self.endpoint_info(Side::B),
            a_to_b: self.counters[Direction::AToB.index()].snapshot(now_ns),
            b_to_a: self.counters[Direction::BToA.index()].snapshot(now_ns),
        }
    }

    /// Every peer attached to either side or tapping the pair.
    fn peers(&self) -> impl Iterator<Item = &Rc<dyn Peer>> {
        self.attached.iter().flatten().chain(self.taps.iter())
    }
}

fn err(kind: ErrorKind, message: impl Into<String>) -> WireError {
    WireError {
        kind,
        message: message.into(),
    }
}

/// A control operation on the pairs.
#[derive(Debug, Clone)]
pub enum Control {
    Create(PairDefinition),
    Remove(AssociationId),
    Update(AssociationId, PairUpdate),
    SetMuted(AssociationId, bool),
}

impl Control {
    /// The pair it is about.
    pub fn pair(&self) -> AssociationId {
        match self {
            Control::Create(def) => def.association_id,
            Control::Remove(id) | Control::Update(id, _) | Control::SetMuted(id, _) => *id,
        }
    }
}

/// A checked control operation: what the file must hold first, and what to apply then.
#[derive(Debug)]
pub struct Pending {
    pub write: Option<Durable>,
    apply: Apply,
}

#[derive(Debug)]
enum Apply {
    Create(PairDefinition),
    Remove(AssociationId),
    Replace(PairDefinition),
}

/// The whole engine state.
pub struct Engine {
    pub started: Instant,
    pub persistence: Persistence,
    /// Pairs by key, in creation order.
    pub pairs: BTreeMap<u64, RunningPair>,
    next_pair_key: u64,
    next_peer_id: PeerId,
    /// The most pairs the engine holds at once.
    pub max_pairs: usize,
    /// Peers that hear of every change to every pair.
    watchers: Vec<Rc<dyn Peer>>,
    /// What a user should know about this engine's state (entries skipped at start, …),
    /// shown by `service status` and `loopback list`.
    warnings: Vec<String>,
    /// Messages held for the future, and the bell that wakes the task delivering them.
    pub schedule: Schedule,
    pub schedule_changed: Rc<Notify>,
    /// What the ALSA bridge reports (`None` in an engine built or started without one).
    pub alsa: Option<Rc<std::cell::RefCell<AlsaStatus>>>,
    /// Definitions whose durable write is under way: their id, names and identifier are taken
    /// as if they existed, so nothing else can claim them before they do.
    reserved: Vec<PairDefinition>,
}

impl Engine {
    pub fn new(persistence: Persistence, max_pairs: usize) -> Engine {
        Engine {
            started: Instant::now(),
            persistence,
            pairs: BTreeMap::new(),
            next_pair_key: 1,
            next_peer_id: 1,
            max_pairs,
            watchers: Vec::new(),
            warnings: Vec::new(),
            schedule: Schedule::default(),
            schedule_changed: Rc::new(Notify::new()),
            alsa: None,
            reserved: Vec::new(),
        }
    }

    /// Records a warning for the faces (and the log).
    pub fn warn(&mut self, warning: String) {
        tracing::warn!("{warning}");
        self.warnings.push(warning);
    }

    /// A number no other peer of this engine has, for a new connection or a bridge's port.
    pub fn next_peer_id(&mut self) -> PeerId {
        let id = self.next_peer_id;
        self.next_peer_id += 1;
        id
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

    pub fn counters(&self, now_ns: u64) -> Vec<PairCounters> {
        self.pairs
            .values()
            .map(|p| PairCounters {
                association_id: p.def.association_id,
                a_to_b: p.counters[Direction::AToB.index()].snapshot(now_ns),
                b_to_a: p.counters[Direction::BToA.index()].snapshot(now_ns),
            })
            .collect()
    }

    /// Tells the peers of one pair, then every watcher.
    fn tell(&self, key: u64, notice: Notice<'_>) {
        if let Some(pair) = self.pairs.get(&key) {
            for peer in pair.peers() {
                peer.notify(notice);
            }
        }
        self.tell_watchers(notice);
    }

    fn tell_watchers(&self, notice: Notice<'_>) {
        for w in &self.watchers {
            w.notify(notice);
        }
    }

    /// Every definition a new or changed one must not clash with: the pairs, and those whose
    /// write is under way.
    fn taken(&self) -> impl Iterator<Item = &PairDefinition> + Clone {
        self.pairs
            .values()
            .map(|p| &p.def)
            .chain(self.reserved.iter())
    }

    fn find(&self, id: AssociationId) -> Option<&PairDefinition> {
        self.pairs
            .values()
            .map(|p| &p.def)
            .find(|d| d.association_id == id)
    }

    /// Whether `control` changes what the configuration file holds (and so must wait for a
    /// durable write). Removing a transient pair does not: the clean-up of an entry the file
    /// should not hold need not be waited for. An unknown pair writes nothing either: its
    /// answer is "not found".
    pub fn writes_file(&self, control: &Control) -> bool {
        match control {
            Control::Create(def) => def.persistent,
            Control::Remove(id) | Control::SetMuted(id, _) => {
                self.find(*id).is_some_and(|d| d.persistent)
            }
            Control::Update(id, update) => self
                .find(*id)
                .is_some_and(|d| d.persistent || update.persistent == Some(true)),
        }
    }

    /// Checks a control operation against the pairs as they are now and says what the file
    /// must hold before it is applied. While that write is under way the new definition is
    /// reserved; [`Engine::commit`] applies it, [`Engine::abandon`] gives it up.
    pub fn prepare(&mut self, control: Control) -> Result<Pending, WireError> {
        let pending = match control {
            Control::Create(def) => {
                if self.pairs.len() + self.reserved.len() >= self.max_pairs {
                    return Err(err(
                        ErrorKind::Failed,
                        format!(
                            "the engine already holds {} pairs, its limit; remove some first",
                            self.max_pairs
                        ),
                    ));
                }
                def.validate()
                    .map_err(|e| err(ErrorKind::Invalid, e.to_string()))?;
                def.check_new(self.taken())
                    .map_err(|e| err(ErrorKind::Conflict, e.to_string()))?;
                // Durable before acknowledged: the pair exists only once the file holds it.
                Pending {
                    write: def.persistent.then(|| Durable::Store(def.clone())),
                    apply: Apply::Create(def),
                }
            }
            Control::Remove(id) => {
                let key = self.key_of(id)?;
                // The stored entry goes too, whatever the pair's flag says: `remove` means gone.
                Pending {
                    write: Some(Durable::Forget {
                        id,
                        stored: self.pairs[&key].def.persistent,
                    }),
                    apply: Apply::Remove(id),
                }
            }
            Control::Update(id, update) => {
                let key = self.key_of(id)?;
                let next = update
                    .apply(&self.pairs[&key].def)
                    .map_err(|e| err(ErrorKind::Invalid, e.to_string()))?;
                next.check_conflicts(self.taken())
                    .map_err(|e| err(ErrorKind::Conflict, e.to_string()))?;
                self.replacing(key, next)
            }
            Control::SetMuted(id, muted) => {
                let key = self.key_of(id)?;
                if !muted {
                    // A runtime flag, never stored: cleared at once.
                    self.clear_feedback_loop(key);
                }
                let mut next = self.pairs[&key].def.clone();
                next.muted = muted;
                self.replacing(key, next)
            }
        };
        if pending.write.is_some()
            && let Apply::Create(def) | Apply::Replace(def) = &pending.apply
        {
            self.reserved.push(def.clone());
        }
        Ok(pending)
    }

    /// Replacing a pair's definition stores the new one, or drops the stored entry when the
    /// pair stops being persistent.
    fn replacing(&self, key: u64, next: PairDefinition) -> Pending {
        let write = if next.persistent {
            Some(Durable::Store(next.clone()))
        } else if self.pairs[&key].def.persistent {
            Some(Durable::Forget {
                id: next.association_id,
                stored: true,
            })
        } else {
            None
        };
        Pending {
            write,
            apply: Apply::Replace(next),
        }
    }

    /// Gives up a prepared operation whose write failed.
    pub fn abandon(&mut self, pending: &Pending) {
        if let Apply::Create(def) | Apply::Replace(def) = &pending.apply {
            let id = def.association_id;
            self.reserved.retain(|d| d.association_id != id);
        }
    }

    /// Applies a prepared operation (once the file holds it) and tells whom it concerns.
    pub fn commit(&mut self, pending: Pending, now_ns: u64) -> Result<PairInfo, WireError> {
        self.abandon(&pending);
        match pending.apply {
            Apply::Create(def) => {
                let key = self.next_pair_key;
                self.next_pair_key += 1;
                let pair = RunningPair::new(def);
                let info = pair.info(now_ns);
                self.pairs.insert(key, pair);
                self.tell_watchers(Notice::Created(&info));
                Ok(info)
            }
            Apply::Remove(id) => {
                let key = self.key_of(id)?;
                let info = self.pairs[&key].info(now_ns);
                self.tell(key, Notice::Removed(&info));
                self.pairs.remove(&key);
                // Its held messages go with it: they can never be delivered, and they must
                // not keep their sender's share of the schedule.
                self.schedule.remove_pair(key);
                Ok(info)
            }
            Apply::Replace(next) => {
                let key = self.key_of(next.association_id)?;
                Ok(self.replace(key, next, now_ns))
            }
        }
    }

    /// Applies a changed definition in place.
    fn replace(&mut self, key: u64, next: PairDefinition, now_ns: u64) -> PairInfo {
        let pair = self.pairs.get_mut(&key).expect("key just found");
        let before = std::mem::replace(&mut pair.def, next);
        let info = pair.info(now_ns);
        let change = Change {
            renamed: before.endpoint_a != pair.def.endpoint_a
                || before.endpoint_b != pair.def.endpoint_b,
            persistence: before.persistent != pair.def.persistent,
            muted: before.muted != pair.def.muted,
        };
        if change != Change::default() {
            self.tell(
                key,
                Notice::Updated {
                    pair: &info,
                    change,
                },
            );
        }
        info
    }

    /// The key of the pair with this association id, if the engine holds it.
    pub fn pair_key(&self, id: AssociationId) -> Option<u64> {
        self.key_of(id).ok()
    }

    /// Records where the ALSA bridge presents one endpoint (`None`: nowhere any more).
    pub fn set_alsa_presence(&mut self, pair_key: u64, side: Side, presence: Option<AlsaPresence>) {
        if let Some(pair) = self.pairs.get_mut(&pair_key) {
            pair.alsa[side_index(side)] = presence;
        }
    }

    /// Mutes a pair whose traffic came back into it, says why in the log and the warnings,
    /// and tells its peers and the watchers. False when it was muted for a loop already.
    pub fn mute_for_feedback_loop(&mut self, pair_key: u64, why: &str, now_ns: u64) -> bool {
        let Some(pair) = self.pairs.get_mut(&pair_key) else {
            return false;
        };
        if pair.feedback_loop {
            return false;
        }
        pair.feedback_loop = true;
        let was_muted = pair.def.muted;
        let info = pair.info(now_ns);
        self.warn(format!(
            "pair {} ({} / {}) muted: feedback loop: {why}; `midi loopback unmute` clears it once the loop is undone",
            info.association_id, info.endpoint_a.name, info.endpoint_b.name
        ));
        if !was_muted {
            self.tell_muted(pair_key, &info);
        }
        true
    }

    /// Clears a feedback-loop mute (what `unmute` does first); tells the peers and watchers
    /// when that unmutes the pair.
    fn clear_feedback_loop(&mut self, key: u64) {
        let Some(pair) = self.pairs.get_mut(&key) else {
            return;
        };
        if !std::mem::replace(&mut pair.feedback_loop, false) {
            return;
        }
        tracing::info!(
            "pair {} unmuted: its feedback-loop mute is cleared",
            pair.def.association_id
        );
        if !pair.def.muted {
            let info = pair.info(crate::core::clock::monotonic_ns());
            self.tell_muted(key, &info);
        }
    }

    fn tell_muted(&self, key: u64, info: &PairInfo) {
        let change = Change {
            muted: true,
            ..Change::default()
        };
        self.tell(key, Notice::Updated { pair: info, change });
    }

    /// Attaches a peer, made for the side found, to an endpoint named by id or name.
    pub fn open(
        &mut self,
        wanted: &str,
        make_peer: impl FnOnce(Side) -> Rc<dyn Peer>,
        now_ns: u64,
    ) -> Result<(Attachment, EndpointInfo), WireError> {
        let infos = self.list(now_ns);
        let found = find_endpoint(&infos, wanted).ok_or_else(|| {
            err(
                ErrorKind::NotFound,
                format!(
                    "no endpoint has the id or name {wanted:?}; `midi endpoint list` shows the endpoints"
                ),
            )
        })?;
        let (side, id) = (found.side, found.association_id);
        let key = self.key_of(id)?;
        let info = self.attach(key, side, make_peer(side), now_ns);
        Ok((
            Attachment::Endpoint {
                pair_key: key,
                side,
            },
            info,
        ))
    }

    /// Attaches a peer to one side of a pair known by key (what a bridge does for each
    /// endpoint it presents). Returns the endpoint as it now is.
    pub fn attach(
        &mut self,
        pair_key: u64,
        side: Side,
        peer: Rc<dyn Peer>,
        now_ns: u64,
    ) -> EndpointInfo {
        let pair = self
            .pairs
            .get_mut(&pair_key)
            .expect("caller found the pair");
        pair.attached[side_index(side)].push(peer);
        let info = pair.info(now_ns);
        self.tell_watchers(Notice::Attached { pair: &info, side });
        info.endpoint(side).clone()
    }

    pub fn tap(&mut self, id: AssociationId, peer: Rc<dyn Peer>) -> Result<Attachment, WireError> {
        let key = self.key_of(id)?;
        self.pairs
            .get_mut(&key)
            .expect("key just found")
            .taps
            .push(peer);
        Ok(Attachment::Tap { pair_key: key })
    }

    /// Forgets a peer's attachment (on close, or before it attaches elsewhere).
    pub fn detach(&mut self, attachment: Attachment, peer: PeerId, now_ns: u64) {
        let (key, side) = match attachment {
            Attachment::Endpoint { pair_key, side } => (pair_key, Some(side)),
            Attachment::Tap { pair_key } => (pair_key, None),
        };
        let Some(pair) = self.pairs.get_mut(&key) else {
            return;
        };
        let list = match side {
            Some(side) => &mut pair.attached[side_index(side)],
            None => &mut pair.taps,
        };
        let before = list.len();
        list.retain(|p| p.id() != peer);
        if let Some(side) = side
            && list.len() != before
        {
            let info = pair.info(now_ns);
            self.tell_watchers(Notice::Detached { pair: &info, side });
        }
    }

    /// Makes a peer hear of every change: first every pair as it is now, then `Synced`, then
    /// each change as it happens.
    pub fn watch(&mut self, peer: Rc<dyn Peer>, now_ns: u64) {
        for pair in self.pairs.values() {
            peer.notify(Notice::Existing(&pair.info(now_ns)));
        }
        peer.notify(Notice::Synced);
        self.watchers.push(peer);
    }

    pub fn unwatch(&mut self, peer: PeerId) {
        self.watchers.retain(|w| w.id() != peer);
    }

    pub fn status(
        &self,
        paths: &crate::core::paths::Paths,
        clients: u64,
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
            clients,
            traffic,
            warnings: self.warnings.clone(),
            alsa: self.alsa.as_ref().map(|a| Box::new(a.borrow().clone())),
        }
    }

    /// Tells every peer and watcher that the engine is stopping, and forgets them.
    pub fn stop(&mut self) {
        for pair in self.pairs.values_mut() {
            for peer in pair.peers() {
                peer.notify(Notice::Stopping);
            }
            pair.attached = [Vec::new(), Vec::new()];
            pair.taps.clear();
        }
        for w in self.watchers.drain(..) {
            w.notify(Notice::Stopping);
        }
    }
}

/// The control operations done in one step, writing on the calling thread: for the tests that
/// drive the engine's state directly. The server checks, writes and applies in separate steps
/// (`prepare`, a write on the writer's thread, `commit`) so that routing never waits for the disk.
#[cfg(test)]
impl Engine {
    pub fn create(&mut self, def: PairDefinition, now_ns: u64) -> Result<PairInfo, WireError> {
        self.apply_now(Control::Create(def), now_ns)
    }

    pub fn remove(&mut self, id: AssociationId, now_ns: u64) -> Result<PairInfo, WireError> {
        self.apply_now(Control::Remove(id), now_ns)
    }

    pub fn update(
        &mut self,
        id: AssociationId,
        update: &PairUpdate,
        now_ns: u64,
    ) -> Result<PairInfo, WireError> {
        self.apply_now(Control::Update(id, update.clone()), now_ns)
    }

    pub fn set_muted(
        &mut self,
        id: AssociationId,
        muted: bool,
        now_ns: u64,
    ) -> Result<PairInfo, WireError> {
        self.apply_now(Control::SetMuted(id, muted), now_ns)
    }

    /// Checks, writes (on this thread) and applies a control operation.
    fn apply_now(&mut self, control: Control, now_ns: u64) -> Result<PairInfo, WireError> {
        let pending = self.prepare(control)?;
        if let Some(write) = &pending.write
            && let Err(e) = self.persistence.write(write)
        {
            self.abandon(&pending);
            return Err(e);
        }
        self.commit(pending, now_ns)
    }
}
