//! The ALSA sequencer bridge: every endpoint an ALSA sequencer presence, attached to its side
//! through the seam like any other client, so mute, counters, taps, `monitor` and the
//! dashboard treat ALSA traffic as they treat ours.
//!
//! How endpoints map onto the kernel's limits (64 user clients in all, shared with every
//! application; 254 ports a client; names of 63 bytes):
//! - On a kernel with the UMP sequencer, the first [`UMP_CLIENT_CAP`] endpoints are MIDI 2.0
//!   clients of their own, presented as alsa-lib presents a MIDI 2.0 device: UMP endpoint info
//!   (the endpoint's name, the pair's unique identifier as product instance id, MIDI 1.0 and
//!   2.0 capability), one function block, port 0 "MIDI 2.0" and port 1 "Group 1 (Loopback)".
//!   UMP words cross unchanged; the kernel converts for MIDI 1.0 applications.
//! - Past that cap, and on a kernel without UMP, an endpoint is a duplex MIDI 1.0 port of one
//!   shared client, [`SHARED_CLIENT_NAME`], named after the endpoint; `core::ump::midi1`
//!   translates both ways (group 1 only). The shared client's 254 ports are the last cap;
//!   past it `service status` lists the endpoints left out and why.
//! - Names longer than ALSA allows are shortened with an ellipsis; `loopback list --json`
//!   shows the full name beside the ALSA address and name.
//!
//! Each client's pools are enlarged and its descriptor is read as soon as it is readable: the
//! kernel empties a client's whole input queue when it overflows (counted as
//! `input_overflow`). Events an application wires from one of our ports back into a port of
//! ours that leads to the first one again (a feedback loop, as `aconnect` can make) mute the
//! pair at the first such event.

use super::outbox::{DirtyList, flush_dirty};
use super::peer::{Batch, Notice, Peer, PeerId};
use super::state::{Attachment, Engine};
use crate::alsa::seq::shorten_name;
use crate::alsa::sys::ump;
use crate::alsa::{
    Address, Event, EventKind, Negotiation, PortSpec, Seq, SeqError, UmpBlock, UmpEndpoint,
    UmpPacket, midi1,
};
use crate::core::clock::monotonic_ns;
use crate::core::ids::{AssociationId, Side};
use crate::core::model::{AlsaPresence, PairInfo};
use crate::core::protocol::{self, AlsaState, AlsaStatus};
use crate::core::ump::midi1::{Midi1ToUmp, UmpToMidi1};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use tokio::io::unix::AsyncFd;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Endpoints that get a MIDI 2.0 client of their own on a UMP kernel; the rest are ports of
/// the shared client. 16 of the kernel's 64 user clients, leaving 48 to other applications.
pub const UMP_CLIENT_CAP: usize = 16;
/// The client whose ports are the endpoints past the cap (and every endpoint on a kernel
/// without UMP).
pub const SHARED_CLIENT_NAME: &str = "MIDI Loopbacks";
/// Ports of the shared client: the kernel's limit per client.
pub const SHARED_PORT_CAP: usize = 254;
/// Lower the caps, for tests that reach them with a few pairs (never above the defaults).
pub const CLIENT_CAP_ENV: &str = "MIDI_ALSA_CLIENT_CAP";
pub const PORT_CAP_ENV: &str = "MIDI_ALSA_PORT_CAP";
/// Another sequencer device than `/dev/snd/seq` (tests name one that does not exist).
pub const DEVICE_ENV: &str = "MIDI_ALSA_DEVICE";

/// A cap from the environment, at most `default`.
fn cap_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(default, |n| n.min(default))
}
/// Input and output pool of each client, in cells (the kernel's maximum).
const POOL_CELLS: u32 = 2000;
/// SysEx longer than this leaves in pieces, as alsa-lib and RtMidi expect and reassemble.
const SYSEX_PIECE_BYTES: usize = 256;
/// The name of the one function block of a MIDI 2.0 endpoint.
const BLOCK_NAME: &str = "Loopback";

/// Whether the engine may present its endpoints to ALSA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlsaRequest {
    /// When `/dev/snd/seq` opens.
    Auto,
    /// Switched off; the text says by what.
    Off(String),
}

/// The environment variable that switches the bridge off (tests set it so an engine never
/// puts ports into a developer's desktop session).
pub const NO_ALSA_ENV: &str = "MIDI_NO_ALSA";

/// Starts the bridge for `engine`, or records why it does not run. Returns at once; the
/// bridge's work runs in tasks on the engine's thread.
pub fn start(engine: &Rc<RefCell<Engine>>, dirty: &DirtyList, request: AlsaRequest) {
    let device = std::env::var_os(DEVICE_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(crate::alsa::seq::DEFAULT_DEVICE));
    let status = |state, detail: String| Rc::new(RefCell::new(AlsaStatus::new(state, detail)));
    let tier = match request {
        AlsaRequest::Off(why) => {
            tracing::info!("ALSA sequencer bridge off ({why})");
            engine.borrow_mut().alsa = Some(status(AlsaState::Off, why));
            return;
        }
        AlsaRequest::Auto => match probe(&device) {
            Ok(tier) => tier,
            Err(why) => {
                tracing::info!("ALSA sequencer unavailable: {why}");
                engine.borrow_mut().alsa = Some(status(AlsaState::Unavailable, why));
                return;
            }
        },
    };
    let state = match tier {
        Tier::Ump => AlsaState::Ump,
        Tier::Midi1 => AlsaState::Midi1,
    };
    let shared_status = status(state, String::new());
    tracing::info!(
        "ALSA sequencer: {}",
        shared_status.borrow().summary.as_str()
    );
    let bridge = Rc::new_cyclic(|me| Bridge {
        me: me.clone(),
        engine: engine.clone(),
        dirty: dirty.clone(),
        tier,
        status: shared_status.clone(),
        commands: Rc::default(),
        wake: Rc::new(Notify::new()),
        inner: RefCell::new(Inner::default()),
        device,
        client_cap: cap_from_env(CLIENT_CAP_ENV, UMP_CLIENT_CAP),
        port_cap: cap_from_env(PORT_CAP_ENV, SHARED_PORT_CAP),
    });
    let watcher = {
        let mut engine = engine.borrow_mut();
        engine.alsa = Some(shared_status);
        Rc::new(Watcher {
            id: engine.next_peer_id(),
            commands: bridge.commands.clone(),
            wake: bridge.wake.clone(),
        })
    };
    engine.borrow_mut().watch(watcher, monotonic_ns());
    tokio::task::spawn_local(bridge.run());
}

/// Opens the sequencer once to learn what the kernel offers.
fn probe(device: &Path) -> Result<Tier, String> {
    let mut seq = Seq::open_device(device).map_err(|e| e.to_string())?;
    match seq.negotiate_midi2() {
        Ok(Negotiation::Midi2) => Ok(Tier::Ump),
        Ok(_) => Ok(Tier::Midi1),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Ump,
    Midi1,
}

/// An endpoint, as the bridge keys it.
type EndpointKey = (AssociationId, Side);

/// What the watcher queues for the bridge (it must not call into the engine itself).
enum Command {
    Present(Box<PairInfo>),
    Renamed(Box<PairInfo>),
    Removed(AssociationId),
    Stop,
}

/// Hears of every pair and queues the work for the bridge.
struct Watcher {
    id: PeerId,
    commands: Rc<RefCell<VecDeque<Command>>>,
    wake: Rc<Notify>,
}

impl Peer for Watcher {
    fn id(&self) -> PeerId {
        self.id
    }

    fn deliver(&self, _batch: Batch<'_>) -> bool {
        true // a watcher is never sent messages
    }

    fn notify(&self, notice: Notice<'_>) {
        let command = match notice {
            Notice::Existing(pair) | Notice::Created(pair) => {
                Command::Present(Box::new(pair.clone()))
            }
            Notice::Updated { pair, change } if change.renamed => {
                Command::Renamed(Box::new(pair.clone()))
            }
            Notice::Removed(pair) => Command::Removed(pair.association_id),
            Notice::Stopping => Command::Stop,
            _ => return,
        };
        self.commands.borrow_mut().push_back(command);
        self.wake.notify_one();
    }
}

/// One sequencer client the bridge holds.
struct Client {
    seq: RefCell<Seq>,
    id: u8,
    /// A MIDI 2.0 client of one endpoint (its ports are that endpoint); otherwise the shared
    /// MIDI 1.0 client.
    own: bool,
    /// The descriptor of `seq`, kept apart so waiting on it never borrows the client.
    fd: RawFd,
    reader: RefCell<Option<JoinHandle<()>>>,
}

impl Client {
    /// Stops reading; once the reader's task is gone and the last reference drops, the
    /// descriptor closes and the kernel removes the client with its ports.
    fn stop_reading(&self) {
        if let Some(reader) = self.reader.borrow_mut().take() {
            reader.abort();
        }
    }
}

/// The bridge's peer for one endpoint: messages arriving at the endpoint go out of its port
/// to the ALSA applications that read it.
struct PortPeer {
    id: PeerId,
    client: Rc<Client>,
    port: u8,
    /// MIDI 1.0 ports: the translation of what arrives (stateful for SysEx). MIDI 2.0
    /// clients: the assembly of group 1's SysEx7 packets into whole SysEx, which leave as
    /// SysEx events from the group port, so a MIDI 1.0 reader gets a few pieces instead of
    /// one event per packet (and its 200-cell input queue does not overflow on a long one).
    to_midi1: RefCell<UmpToMidi1>,
    /// Whether this is a MIDI 1.0 port (everything translated) or a MIDI 2.0 client.
    midi1_port: bool,
    status: Rc<RefCell<AlsaStatus>>,
    /// The events of one delivery, each with the port it leaves from.
    events: RefCell<Vec<(u8, EventKind)>>,
    /// Said once in the log; the count goes on.
    write_failed: Cell<bool>,
}

/// The port of a MIDI 2.0 client that carries group 1 (port 0 is the whole endpoint).
const GROUP_1_PORT: u8 = 1;

impl PortPeer {
    fn queue_midi1(&self, port: u8, bytes: &[u8], events: &mut Vec<(u8, EventKind)>) {
        match midi1::event_from_bytes(bytes) {
            Some(EventKind::SysEx(sysex)) if sysex.len() > SYSEX_PIECE_BYTES => events.extend(
                sysex
                    .chunks(SYSEX_PIECE_BYTES)
                    .map(|piece| (port, EventKind::SysEx(piece.to_vec()))),
            ),
            Some(event) => events.push((port, event)),
            None => count(&self.status, Counter::NotTranslated, "malformed"),
        }
    }

    fn translate(&self, port: u8, words: &[u32], events: &mut Vec<(u8, EventKind)>) {
        self.to_midi1
            .borrow_mut()
            .translate(words, |out| match out {
                Ok(bytes) => self.queue_midi1(port, bytes, events),
                Err(why) => count(&self.status, Counter::NotTranslated, why.key()),
            });
    }
}

/// A SysEx7 packet (type 3) of group 1.
fn is_group_1_sysex7(first: u32) -> bool {
    first >> 24 == 0x30
}

impl Peer for PortPeer {
    fn id(&self) -> PeerId {
        self.id
    }

    fn deliver(&self, batch: Batch<'_>) -> bool {
        let mut events = self.events.borrow_mut();
        events.clear();
        for message in protocol::iter_payload(batch.body) {
            let words = message.words();
            if self.midi1_port {
                self.translate(self.port, words, &mut events);
            } else if is_group_1_sysex7(words[0]) {
                self.translate(GROUP_1_PORT, words, &mut events);
            } else if let Some(packet) = UmpPacket::new(words) {
                events.push((self.port, EventKind::Ump(packet)));
            }
        }
        if events.is_empty() {
            return true;
        }
        // In order, one write per run of events from the same port.
        let seq = self.client.seq.borrow();
        let mut sent = Ok(());
        let mut run: Vec<EventKind> = Vec::new();
        for (i, (port, event)) in events.iter().enumerate() {
            run.push(event.clone());
            if events.get(i + 1).is_none_or(|(next, _)| next != port) {
                sent = sent.and_then(|()| seq.send(*port, &run));
                run.clear();
            }
        }
        drop(seq);
        match sent {
            Ok(()) => true,
            Err(err) => {
                if !self.write_failed.replace(true) {
                    tracing::warn!(
                        "ALSA port {}:{} dropped messages: {err}",
                        self.client.id,
                        self.port
                    );
                }
                false // counted as dropped_overflow by the router
            }
        }
    }

    fn notify(&self, _notice: Notice<'_>) {}
}

/// One endpoint's presence.
struct Presence {
    client: Rc<Client>,
    port: u8,
    pair_key: u64,
    peer: Rc<PortPeer>,
    /// MIDI 1.0 ports: the translation of what ALSA applications write (SysEx in pieces).
    from_midi1: Midi1ToUmp,
    shown: AlsaPresence,
}

#[derive(Default)]
struct Inner {
    shared: Option<Rc<Client>>,
    shared_ports: usize,
    own_clients: usize,
    endpoints: HashMap<EndpointKey, Presence>,
    /// (client, port) → endpoint; own clients are found by client alone (port 255).
    addresses: HashMap<(u8, u8), EndpointKey>,
    /// Endpoints without a presence, with why (for `service status`).
    missing: HashMap<EndpointKey, String>,
    /// Wiring between our own ports seen in events: what one endpoint's port emits arrives at
    /// these endpoints.
    wiring: HashMap<EndpointKey, HashSet<EndpointKey>>,
}

const ANY_PORT: u8 = 255;

impl Inner {
    fn endpoint_at(&self, address: Address) -> Option<EndpointKey> {
        self.addresses
            .get(&(address.client, ANY_PORT))
            .or_else(|| self.addresses.get(&(address.client, address.port)))
            .copied()
    }

    /// Records that `from`'s port feeds `to`'s; true when that closes a loop: what arrives at
    /// `to` leaves from its partner, and following the wiring from there leads back to `to`.
    fn wire(&mut self, from: EndpointKey, to: EndpointKey) -> bool {
        self.wiring.entry(from).or_default().insert(to);
        let partner = |(id, side): EndpointKey| (id, side.other());
        let mut seen = HashSet::new();
        let mut next = vec![partner(to)];
        while let Some(emitter) = next.pop() {
            if !seen.insert(emitter) {
                continue;
            }
            for &reached in self.wiring.get(&emitter).into_iter().flatten() {
                if reached == to {
                    return true;
                }
                next.push(partner(reached));
            }
        }
        false
    }

    fn unwire(&mut self, from: EndpointKey, to: EndpointKey) {
        if let Some(set) = self.wiring.get_mut(&from) {
            set.remove(&to);
        }
    }

    fn forget(&mut self, key: EndpointKey) {
        self.wiring.remove(&key);
        for set in self.wiring.values_mut() {
            set.remove(&key);
        }
        self.missing.remove(&key);
        self.addresses.retain(|_, k| *k != key);
    }
}

struct Bridge {
    /// The bridge itself, for the reader tasks it starts.
    me: std::rc::Weak<Bridge>,
    engine: Rc<RefCell<Engine>>,
    dirty: DirtyList,
    tier: Tier,
    status: Rc<RefCell<AlsaStatus>>,
    commands: Rc<RefCell<VecDeque<Command>>>,
    wake: Rc<Notify>,
    inner: RefCell<Inner>,
    /// The sequencer device (`/dev/snd/seq`).
    device: PathBuf,
    /// Endpoints with clients of their own, and ports of the shared client, at most.
    client_cap: usize,
    port_cap: usize,
}

#[derive(Clone, Copy)]
enum Counter {
    NotTranslated,
    DroppedInput,
}

fn count(status: &Rc<RefCell<AlsaStatus>>, counter: Counter, reason: &str) {
    let mut status = status.borrow_mut();
    let map = match counter {
        Counter::NotTranslated => &mut status.not_translated,
        Counter::DroppedInput => &mut status.dropped_input,
    };
    *map.entry(reason.to_string()).or_default() += 1;
}

/// A client's descriptor to wait on. Holding the client keeps the descriptor open for as long
/// as the reactor watches it.
struct Watched(Rc<Client>);

impl AsRawFd for Watched {
    fn as_raw_fd(&self) -> RawFd {
        self.0.fd
    }
}

impl Bridge {
    async fn run(self: Rc<Self>) {
        loop {
            let next = self.commands.borrow_mut().pop_front();
            match next {
                None => self.wake.notified().await,
                Some(Command::Stop) => {
                    self.close_all();
                    return;
                }
                Some(Command::Present(pair)) => {
                    for side in [Side::A, Side::B] {
                        self.present(&pair, side);
                    }
                    self.publish();
                }
                Some(Command::Renamed(pair)) => {
                    for side in [Side::A, Side::B] {
                        self.rename(&pair, side);
                    }
                    self.publish();
                }
                Some(Command::Removed(id)) => {
                    for side in [Side::A, Side::B] {
                        self.remove((id, side));
                    }
                    self.retry_missing();
                    self.publish();
                }
            }
        }
    }

    /// Brings `engine.alsa` up to date with what the bridge holds.
    fn publish(&self) {
        let inner = self.inner.borrow();
        let engine = self.engine.borrow();
        let name_of = |(id, side): &EndpointKey| {
            engine
                .pair_key(*id)
                .and_then(|k| engine.pairs.get(&k))
                .map(|p| p.def.endpoint(*side).name.clone())
                .unwrap_or_else(|| format!("{id} ({side:?})"))
        };
        let mut status = self.status.borrow_mut();
        status.clients = inner.own_clients as u32 + u32::from(inner.shared.is_some());
        status.missing = inner
            .missing
            .iter()
            .map(|(key, why)| format!("{}: {why}", name_of(key)))
            .collect();
        status.missing.sort();
    }

    fn present(&self, pair: &PairInfo, side: Side) {
        let key = (pair.association_id, side);
        if self.inner.borrow().endpoints.contains_key(&key) {
            return;
        }
        let Some(pair_key) = self.engine.borrow().pair_key(pair.association_id) else {
            return; // removed before we got to it
        };
        let endpoint = pair.endpoint(side);
        let made = {
            let own = self.tier == Tier::Ump && self.inner.borrow().own_clients < self.client_cap;
            if own {
                // No client of its own (the kernel's 64 may be taken): a port of the shared
                // client still reaches every application.
                self.own_client(pair, side).or_else(|own_failed| {
                    self.shared_port(&endpoint.name)
                        .map_err(|shared_failed| format!("{own_failed}; {shared_failed}"))
                })
            } else {
                self.shared_port(&endpoint.name)
            }
        };
        let (client, port, kind) = match made {
            Ok(made) => made,
            Err(why) => {
                tracing::warn!("endpoint {} has no ALSA presence: {why}", endpoint.name);
                self.inner.borrow_mut().missing.insert(key, why);
                return;
            }
        };
        let name = shorten_name(&endpoint.name).into_owned();
        let shown = AlsaPresence {
            address: Address {
                client: client.id,
                port,
            }
            .to_string(),
            name,
            kind: kind.to_string(),
        };
        let peer = Rc::new(PortPeer {
            id: self.engine.borrow_mut().next_peer_id(),
            client: client.clone(),
            port,
            to_midi1: RefCell::new(UmpToMidi1::new()),
            midi1_port: !client.own,
            status: self.status.clone(),
            events: RefCell::new(Vec::new()),
            write_failed: Cell::new(false),
        });
        {
            let mut engine = self.engine.borrow_mut();
            let now = monotonic_ns();
            engine.attach(pair_key, side, peer.clone(), now);
            engine.set_alsa_presence(pair_key, side, Some(shown.clone()));
        }
        tracing::info!(
            "endpoint {} is ALSA {} ({kind})",
            endpoint.name,
            shown.address
        );
        let mut inner = self.inner.borrow_mut();
        let address = (client.id, if client.own { ANY_PORT } else { port });
        inner.addresses.insert(address, key);
        inner.missing.remove(&key);
        inner.endpoints.insert(
            key,
            Presence {
                client,
                port,
                pair_key,
                peer,
                from_midi1: Midi1ToUmp::new(),
                shown,
            },
        );
    }

    /// A MIDI 2.0 client of the endpoint's own, reading from now on.
    fn own_client(
        &self,
        pair: &PairInfo,
        side: Side,
    ) -> Result<(Rc<Client>, u8, &'static str), String> {
        let endpoint = pair.endpoint(side);
        let name = shorten_name(&endpoint.name).into_owned();
        let fail = |e: SeqError| format!("could not create its MIDI 2.0 client: {e}");
        let mut seq = Seq::open_device(&self.device).map_err(fail)?;
        seq.set_pools(POOL_CELLS, POOL_CELLS).map_err(fail)?;
        let info = UmpEndpoint {
            name,
            product_id: pair.unique_identifier.as_str().to_string(),
            protocol_caps: ump::PROTO_MIDI1 | ump::PROTO_MIDI2,
            protocol: ump::PROTO_MIDI2,
            num_blocks: 1,
            flags: ump::EP_INFO_STATIC_BLOCKS,
            version: 0,
            // 0x7D: the MIDI Association's ID for non-commercial use.
            manufacturer_id: 0x7D,
            family_id: 0,
            model_id: 0,
            sw_revision: [0, 1, 0, 0],
        };
        seq.create_ump_endpoint(&info, 1).map_err(fail)?;
        let block = UmpBlock {
            name: BLOCK_NAME.into(),
            direction: ump::DIR_BIDIRECTION,
            active: true,
            first_group: 0,
            num_groups: 1,
            midi_ci_version: 0,
            ui_hint: ump::BLOCK_UI_HINT_BOTH,
            flags: 0,
        };
        seq.create_ump_block(0, &block).map_err(fail)?;
        let client = self.adopt(seq, true)?;
        self.inner.borrow_mut().own_clients += 1;
        // Port 0 is the whole endpoint; the kernel also delivers what leaves it to the group
        // port of each packet's group.
        Ok((client, 0, "ump"))
    }

    /// A MIDI 1.0 port of the shared client (opened on first use).
    fn shared_port(&self, name: &str) -> Result<(Rc<Client>, u8, &'static str), String> {
        if self.inner.borrow().shared_ports >= self.port_cap {
            return Err(format!(
                "the shared ALSA client {SHARED_CLIENT_NAME} already has {} ports, its limit",
                self.port_cap
            ));
        }
        let existing = self.inner.borrow().shared.clone();
        let client = match existing {
            Some(client) => client,
            None => {
                let fail = |e: SeqError| format!("could not open the shared ALSA client: {e}");
                let seq = Seq::open_device(&self.device).map_err(fail)?;
                seq.set_client_name(SHARED_CLIENT_NAME).map_err(fail)?;
                seq.set_pools(POOL_CELLS, POOL_CELLS).map_err(fail)?;
                let client = self.adopt(seq, false)?;
                self.inner.borrow_mut().shared = Some(client.clone());
                client
            }
        };
        let port = client
            .seq
            .borrow()
            .create_port(&PortSpec::duplex(&shorten_name(name)))
            .map_err(|e| format!("could not create its ALSA port: {e}"))?;
        self.inner.borrow_mut().shared_ports += 1;
        Ok((client, port, "midi1"))
    }

    /// Takes an open client into the bridge and starts reading it.
    fn adopt(&self, seq: Seq, own: bool) -> Result<Rc<Client>, String> {
        let client = Rc::new(Client {
            id: seq.client_id(),
            fd: seq.as_raw_fd(),
            seq: RefCell::new(seq),
            own,
            reader: RefCell::new(None),
        });
        // SAFETY: `Watched` holds the client, which owns the descriptor, so it stays open and
        // the same for as long as the `AsyncFd` lives.
        let watched = unsafe {
            AsyncFd::register_with_interest(Watched(client.clone()), tokio::io::Interest::READABLE)
        }
        .map_err(|e| format!("could not watch the ALSA client: {e}"))?;
        let bridge = self.self_rc();
        let reader = tokio::task::spawn_local(async move {
            bridge.read_loop(watched).await;
        });
        *client.reader.borrow_mut() = Some(reader);
        Ok(client)
    }

    fn self_rc(&self) -> Rc<Bridge> {
        self.me.upgrade().expect("the bridge's own task holds it")
    }

    /// Gives the endpoints left out a presence where a removal made room.
    fn retry_missing(&self) {
        let mut waiting: Vec<(Option<u64>, EndpointKey)> = {
            let engine = self.engine.borrow();
            let inner = self.inner.borrow();
            inner
                .missing
                .keys()
                .map(|&(id, side)| (engine.pair_key(id), (id, side)))
                .collect()
        };
        // Oldest pair first, A before B: the order they would have had without the cap.
        waiting.sort_by_key(|&(key, (_, side))| (key, side == Side::B));
        for (_, (id, side)) in waiting {
            let info = {
                let engine = self.engine.borrow();
                engine
                    .pair_key(id)
                    .and_then(|k| engine.pairs.get(&k))
                    .map(|p| p.info(monotonic_ns()))
            };
            match info {
                Some(info) => self.present(&info, side),
                None => {
                    self.inner.borrow_mut().missing.remove(&(id, side));
                }
            }
        }
    }

    fn rename(&self, pair: &PairInfo, side: Side) {
        let key = (pair.association_id, side);
        let name = shorten_name(&pair.endpoint(side).name).into_owned();
        let mut inner = self.inner.borrow_mut();
        let Some(presence) = inner.endpoints.get_mut(&key) else {
            drop(inner);
            self.present(pair, side); // it may fit now, or be missing for another reason
            return;
        };
        if presence.shown.name == name {
            return;
        }
        let seq = presence.client.seq.borrow();
        let renamed = if presence.client.own {
            seq.set_client_name(&name).and_then(|()| {
                let mut info = seq.ump_endpoint(presence.client.id)?;
                info.name = name.clone();
                seq.set_ump_endpoint(&info)
            })
        } else {
            seq.rename_port(presence.port, &name)
        };
        drop(seq);
        match renamed {
            Ok(()) => {
                presence.shown.name = name;
                let (pair_key, shown) = (presence.pair_key, presence.shown.clone());
                self.engine
                    .borrow_mut()
                    .set_alsa_presence(pair_key, side, Some(shown));
            }
            Err(e) => tracing::warn!("could not rename ALSA {}: {e}", presence.shown.address),
        }
    }

    fn remove(&self, key: EndpointKey) {
        let mut inner = self.inner.borrow_mut();
        let presence = inner.endpoints.remove(&key);
        inner.forget(key);
        let Some(presence) = presence else {
            return;
        };
        if presence.client.own {
            inner.own_clients -= 1;
            presence.client.stop_reading();
        } else {
            inner.shared_ports -= 1;
            if let Err(e) = presence.client.seq.borrow().delete_port(presence.port) {
                tracing::warn!("could not delete ALSA port {}: {e}", presence.shown.address);
            }
        }
    }

    fn close_all(&self) {
        let mut inner = self.inner.borrow_mut();
        for presence in inner.endpoints.values() {
            presence.client.stop_reading();
        }
        if let Some(shared) = inner.shared.take() {
            shared.stop_reading();
        }
        inner.endpoints.clear();
        inner.addresses.clear();
    }

    /// Reads one client whenever the kernel has events for it, until the client closes.
    async fn read_loop(self: Rc<Self>, fd: AsyncFd<Watched>) {
        let client = fd.get_ref().0.clone();
        loop {
            let Ok(mut ready) = fd.readable().await else {
                return;
            };
            loop {
                let read = client.seq.borrow_mut().read_events();
                match read {
                    Ok(events) if events.is_empty() => {
                        ready.clear_ready();
                        break;
                    }
                    Ok(events) => self.inbound(events),
                    Err(SeqError::InputOverflow) => {
                        count(&self.status, Counter::DroppedInput, "input_overflow");
                        tracing::warn!(
                            "ALSA client {} overflowed: the kernel dropped what waited for it",
                            client.id
                        );
                    }
                    Err(e) => {
                        tracing::warn!("reading ALSA client {} failed: {e}", client.id);
                        return;
                    }
                }
            }
            flush_dirty(&self.dirty);
        }
    }

    /// Routes what ALSA applications wrote to our ports, one batch per run of events for the
    /// same endpoint.
    fn inbound(&self, events: Vec<Result<Event, crate::alsa::DecodeError>>) {
        let now = monotonic_ns();
        let mut payload = Vec::new();
        let mut scratch = Vec::new();
        let mut bytes = Vec::new();
        let mut current: Option<EndpointKey> = None;
        for event in events {
            let event = match event {
                Ok(event) => event,
                Err(_) => {
                    count(&self.status, Counter::DroppedInput, "malformed");
                    continue;
                }
            };
            if event.kind.is_system() {
                if let EventKind::PortUnsubscribed { sender, dest } = event.kind {
                    let mut inner = self.inner.borrow_mut();
                    if let (Some(from), Some(to)) =
                        (inner.endpoint_at(sender), inner.endpoint_at(dest))
                    {
                        inner.unwire(from, to);
                    }
                }
                continue;
            }
            let Some(key) = self.inner.borrow().endpoint_at(event.dest) else {
                count(&self.status, Counter::DroppedInput, "no_endpoint");
                continue;
            };
            if current != Some(key) {
                if let Some(previous) = current {
                    self.route(previous, &mut payload, now, &mut scratch);
                }
                current = Some(key);
            }
            self.check_loop(event.source, key, now);
            let mut inner = self.inner.borrow_mut();
            let Some(presence) = inner.endpoints.get_mut(&key) else {
                continue;
            };
            match &event.kind {
                EventKind::Ump(packet) => protocol::put_message(&mut payload, 0, packet.words()),
                kind => {
                    bytes.clear();
                    if midi1::event_to_bytes(kind, &mut bytes) {
                        presence.from_midi1.push_bytes(&bytes, |out| match out {
                            Ok(words) => protocol::put_message(&mut payload, 0, words),
                            Err(why) => count(&self.status, Counter::DroppedInput, why.key()),
                        });
                    } else {
                        count(&self.status, Counter::DroppedInput, "unknown_event_type");
                    }
                }
            }
        }
        if let Some(last) = current {
            self.route(last, &mut payload, now, &mut scratch);
        }
    }

    /// Mutes the pair when an event from one of our own ports closes a loop.
    fn check_loop(&self, source: Address, to: EndpointKey, now: u64) {
        let mut inner = self.inner.borrow_mut();
        let Some(from) = inner.endpoint_at(source) else {
            return;
        };
        if !inner.wire(from, to) {
            return;
        }
        let Some(pair_key) = inner.endpoints.get(&to).map(|p| p.pair_key) else {
            return;
        };
        let why = format!(
            "ALSA {source} is wired back into {}",
            inner.endpoints[&to].shown.address
        );
        drop(inner);
        self.engine
            .borrow_mut()
            .mute_for_feedback_loop(pair_key, &why, now);
    }

    fn route(&self, key: EndpointKey, payload: &mut Vec<u8>, now: u64, scratch: &mut Vec<u8>) {
        if payload.is_empty() {
            return;
        }
        let found = self
            .inner
            .borrow()
            .endpoints
            .get(&key)
            .map(|p| (p.pair_key, p.peer.id));
        if let Some((pair_key, peer)) = found {
            let from = Attachment::Endpoint {
                pair_key,
                side: key.1,
            };
            let routed = self
                .engine
                .borrow_mut()
                .route_send(from, peer, payload, now, scratch);
            if routed.is_err() {
                count(&self.status, Counter::DroppedInput, "refused");
            }
        }
        payload.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u128, side: Side) -> EndpointKey {
        (AssociationId(uuid::Uuid::from_u128(n)), side)
    }

    #[test]
    fn wiring_a_pairs_output_back_into_its_input_is_a_loop() {
        let mut inner = Inner::default();
        assert!(inner.wire(key(1, Side::B), key(1, Side::A)));
        let mut inner = Inner::default();
        assert!(inner.wire(key(1, Side::A), key(1, Side::B)));
    }

    #[test]
    fn a_chain_of_pairs_is_no_loop_until_it_closes() {
        let mut inner = Inner::default();
        // 1.B feeds 2.A, 2.B feeds 3.A: a chain.
        assert!(!inner.wire(key(1, Side::B), key(2, Side::A)));
        assert!(!inner.wire(key(2, Side::B), key(3, Side::A)));
        // 3.B back into 1.A closes the ring.
        assert!(inner.wire(key(3, Side::B), key(1, Side::A)));
    }

    #[test]
    fn undone_wiring_is_forgotten() {
        let mut inner = Inner::default();
        assert!(!inner.wire(key(1, Side::B), key(2, Side::A)));
        inner.unwire(key(1, Side::B), key(2, Side::A));
        assert!(!inner.wire(key(2, Side::B), key(1, Side::A)));
        inner.forget(key(2, Side::A));
        assert!(
            inner
                .wiring
                .values()
                .all(|to| !to.contains(&key(2, Side::A)))
        );
    }
}
