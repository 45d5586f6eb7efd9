//! The listener and the per-connection tasks: handshake, control requests, sends. I/O only:
//! what a request or a batch does is decided in `state` and `router`.
//!
//! Each connection has a reader (this module, with [`FrameReader`]) and a writer
//! ([`Outbox::write_loop`]). All tasks share one thread, so the engine state is a plain
//! `RefCell` borrowed only between awaits.

use super::client_socket::ClientSocket;
use super::frames::FrameReader;
use super::network::Network;
use super::outbox::{DirtyList, Outbox, flush_dirty};
use super::socket_peer::{Role, SocketPeer};
use super::state::{Attachment, Control, Engine};
use super::timer::Timer;
use super::writer::Writer;
use crate::core::clock::monotonic_ns;
use crate::core::error::ErrorKind;
use crate::core::model::PairInfo;
use crate::core::paths::Paths;
use crate::core::protocol::{
    Event, FrameKind, Hello, PROTOCOL_VERSION, Reply, Request, RequestFrame, ResponseFrame,
    Welcome, WireError,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Notify;

/// Limits a deployment may want to change; the defaults are documented in `docs/PROTOCOL.md`.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes of data that may wait for one receiver before its messages are dropped.
    pub receiver_queue_bytes: usize,
    /// Connections served at once; more are refused in the handshake.
    pub max_clients: usize,
    /// Pairs the engine holds at most.
    pub max_pairs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            receiver_queue_bytes: 4 << 20,
            max_clients: 1024,
            max_pairs: 10_000,
        }
    }
}

pub struct Server {
    pub engine: Rc<RefCell<Engine>>,
    pub paths: Paths,
    pub limits: Limits,
    pub shutdown: Rc<Notify>,
    /// Outboxes with frames to write at the end of the current round.
    pub dirty: DirtyList,
    /// Every connection that finished its handshake.
    pub connections: RefCell<HashMap<u64, Rc<Outbox>>>,
    /// Where changes that the configuration file must hold wait for the disk.
    writer: Rc<Writer>,
    /// The Network MIDI 2.0 hosts and client sessions.
    pub network: Rc<Network>,
}

/// What the reader does after a frame.
enum Step {
    Next,
    Close,
    /// A change the configuration file must hold first: this connection's later frames wait
    /// for its answer (so they keep their order); every other connection goes on.
    Durable {
        id: u64,
        control: Control,
    },
}

impl Server {
    pub fn new(engine: Engine, paths: Paths, limits: Limits) -> Rc<Server> {
        let writer = Writer::new(engine.persistence.clone());
        let engine = Rc::new(RefCell::new(engine));
        let dirty = DirtyList::default();
        Rc::new(Server {
            writer,
            network: Network::new(engine.clone(), dirty.clone(), paths.config_file.clone()),
            engine,
            paths,
            limits,
            shutdown: Rc::new(Notify::new()),
            dirty,
            connections: RefCell::new(HashMap::new()),
        })
    }

    /// Tells every connection the engine is stopping and closes them.
    pub fn close_everything(&self) {
        self.network.stop_all();
        self.engine.borrow_mut().stop();
        for outbox in self.connections.borrow().values() {
            outbox.push_event(&Event::EngineStopping);
            outbox.close();
        }
        flush_dirty(&self.dirty);
    }

    /// Whether some connection still has a goodbye to write, or a network session a bye.
    pub fn writes_pending(&self) -> bool {
        self.connections
            .borrow()
            .values()
            .any(|o| !o.is_empty() && !o.is_dead())
            || self.network.busy()
    }

    /// Accepts connections until asked to stop.
    pub async fn accept_loop(self: Rc<Self>, listener: UnixListener) {
        let me = crate::core::paths::current_uid();
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = self.shutdown.notified() => break,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Only our own user may connect, whatever the file permissions say.
            match stream.peer_cred() {
                Ok(cred) if cred.uid() == me => {}
                Ok(cred) => {
                    tracing::warn!(
                        "refused a connection from uid {} (engine serves uid {me})",
                        cred.uid()
                    );
                    continue;
                }
                Err(e) => {
                    tracing::warn!("refused a connection whose credentials are unknown: {e}");
                    continue;
                }
            }
            let id = self.engine.borrow_mut().next_peer_id();
            let server = self.clone();
            tokio::task::spawn_local(async move { server.serve(id, stream).await });
        }
    }

    async fn serve(self: Rc<Self>, conn_id: u64, stream: UnixStream) {
        let stream = match ClientSocket::new(stream) {
            Ok(s) => Rc::new(s),
            Err(e) => {
                tracing::warn!("could not take over a connection: {e}");
                return;
            }
        };
        let outbox = Outbox::new(
            conn_id,
            stream.clone(),
            self.limits.receiver_queue_bytes,
            self.dirty.clone(),
        );
        let writer = {
            let outbox = outbox.clone();
            tokio::task::spawn_local(async move { outbox.write_loop().await })
        };
        let mut conn = Connection {
            id: conn_id,
            outbox: outbox.clone(),
            attachment: None,
            watching: false,
            greeted: false,
            scratch: Vec::new(),
        };
        let mut reader = FrameReader::new();
        let hello_deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        // Data waiting for this client is bounded by its queue; answers to its own requests
        // have a budget of their own, so a client that does not read its inbound traffic can
        // still send.
        let answers_limit = self.limits.receiver_queue_bytes * 2;
        'read: loop {
            let deadline = (!conn.greeted).then_some(hello_deadline);
            if reader.fill(&stream, deadline).await.is_none() {
                break; // end of stream, error, or no hello in time
            }
            while reader.has_header() {
                if outbox.backlog() > answers_limit {
                    // This client does not read its answers: stop reading its requests until
                    // it does, so its backlog, not the engine, is what is bounded. Only this
                    // connection waits; everyone else is served meanwhile.
                    flush_dirty(&self.dirty);
                    outbox
                        .wait_for_room(self.limits.receiver_queue_bytes * 3 / 2)
                        .await;
                    if outbox.is_dead() {
                        break 'read;
                    }
                }
                let frame = match reader.next_frame() {
                    None => break,
                    Some(Ok(frame)) => frame,
                    Some(Err(e)) => {
                        outbox.push_event(&Event::Refused {
                            message: format!("{e}; closing the connection"),
                        });
                        break 'read;
                    }
                };
                match self.handle_frame(&mut conn, frame.kind_byte, frame.payload) {
                    Step::Next => {}
                    Step::Close => break 'read,
                    Step::Durable { id, control } => {
                        // What came before goes out first; then this waits for the disk.
                        flush_dirty(&self.dirty);
                        let result = self.writer.run(&self.engine, control.clone()).await;
                        if let Ok(info) = &result {
                            log_change(&control, info);
                        }
                        conn.outbox.push_json(
                            FrameKind::Response,
                            &ResponseFrame {
                                id,
                                result: result.map(Reply::Pair),
                            },
                        );
                        flush_dirty(&self.dirty);
                    }
                }
            }
            // Everything this read brought in goes out now: one write per receiver.
            flush_dirty(&self.dirty);
            reader.compact();
        }
        {
            let mut engine = self.engine.borrow_mut();
            if let Some(a) = conn.attachment.take() {
                engine.detach(a, conn_id, monotonic_ns());
            }
            if conn.watching {
                engine.unwatch(conn_id);
            }
        }
        self.connections.borrow_mut().remove(&conn_id);
        flush_dirty(&self.dirty);
        outbox.close();
        let _ = writer.await;
    }

    /// Handles one frame.
    fn handle_frame(&self, conn: &mut Connection, kind_byte: u8, payload: &mut [u8]) -> Step {
        let kind = FrameKind::from_byte(kind_byte);
        if !conn.greeted {
            return if kind == Some(FrameKind::Hello) && self.greet(conn, payload) {
                Step::Next
            } else {
                Step::Close
            };
        }
        match kind {
            Some(FrameKind::Send) => {
                let Some(attachment) = conn.attachment else {
                    conn.outbox.push_event(&Event::Refused {
                        message:
                            "no endpoint is open on this connection; send an `open` request first"
                                .into(),
                    });
                    return Step::Next;
                };
                let now = monotonic_ns();
                let result = self.engine.borrow_mut().route_send(
                    attachment,
                    conn.id,
                    payload,
                    now,
                    &mut conn.scratch,
                );
                if let Err(message) = result {
                    conn.outbox.push_event(&Event::Refused { message });
                }
                Step::Next
            }
            Some(FrameKind::Request) => match serde_json::from_slice::<RequestFrame>(payload) {
                Ok(frame) if matches!(frame.request, Request::Watch) => {
                    conn.outbox.push_json(
                        FrameKind::Response,
                        &ResponseFrame {
                            id: frame.id,
                            result: Ok(Reply::Done),
                        },
                    );
                    if !conn.watching {
                        conn.watching = true;
                        let peer = SocketPeer::new(&conn.outbox, Role::Watcher);
                        self.engine.borrow_mut().watch(peer, monotonic_ns());
                    }
                    Step::Next
                }
                Ok(frame) if Network::handles(&frame.request) => {
                    self.network.handle(frame, &conn.outbox);
                    Step::Next
                }
                Ok(RequestFrame { id, request }) => {
                    let control = match request {
                        Request::CreatePair { pair } => Control::Create(pair),
                        Request::RemovePair { association_id } => Control::Remove(association_id),
                        Request::UpdatePair {
                            association_id,
                            update,
                        } => Control::Update(association_id, update),
                        Request::SetMuted {
                            association_id,
                            muted,
                        } => Control::SetMuted(association_id, muted),
                        request => {
                            let result = self.handle_request(conn, request);
                            conn.outbox
                                .push_json(FrameKind::Response, &ResponseFrame { id, result });
                            return Step::Next;
                        }
                    };
                    if self.writer.must_wait(&self.engine.borrow(), &control) {
                        return Step::Durable { id, control };
                    }
                    let result = self.control_now(control).map(Reply::Pair);
                    conn.outbox
                        .push_json(FrameKind::Response, &ResponseFrame { id, result });
                    Step::Next
                }
                Err(e) => {
                    // An unknown or malformed request: answer if we can find its id, then go on.
                    let id = serde_json::from_slice::<serde_json::Value>(payload)
                        .ok()
                        .and_then(|v| v.get("id").and_then(|i| i.as_u64()));
                    let error = WireError {
                        kind: ErrorKind::Invalid,
                        message: format!("request not understood: {e}"),
                    };
                    match id {
                        Some(id) => conn.outbox.push_json(
                            FrameKind::Response,
                            &ResponseFrame {
                                id,
                                result: Err(error),
                            },
                        ),
                        None => conn.outbox.push_event(&Event::Refused {
                            message: error.message,
                        }),
                    }
                    Step::Next
                }
            },
            _ => {
                conn.outbox.push_event(&Event::Refused {
                    message: format!("frame kind {kind_byte} is not one a client may send; closing the connection"),
                });
                Step::Close
            }
        }
    }

    /// Applies a control operation that need not wait for the disk (see [`Writer`]).
    fn control_now(&self, control: Control) -> Result<PairInfo, WireError> {
        let mut engine = self.engine.borrow_mut();
        let pending = engine.prepare(control.clone())?;
        // Only a transient pair's removal writes here: clearing an entry the file should not
        // hold, which no answer waits for.
        let clean_up = pending.write.clone();
        let result = engine.commit(pending, monotonic_ns());
        if let Ok(info) = &result {
            log_change(&control, info);
            if let Some(write) = clean_up {
                self.writer.write_later(write);
            }
        }
        result
    }

    fn greet(&self, conn: &mut Connection, payload: &[u8]) -> bool {
        let refused = match serde_json::from_slice::<Hello>(payload) {
            Err(e) => Some(format!("the hello frame is not understood: {e}")),
            Ok(h) if h.protocol != PROTOCOL_VERSION => Some(format!(
                "this engine speaks protocol {PROTOCOL_VERSION}, the client {}; restart the engine with `midi service restart`",
                h.protocol
            )),
            Ok(_) if self.connections.borrow().len() >= self.limits.max_clients => Some(format!(
                "the engine already serves {} clients, its limit",
                self.limits.max_clients
            )),
            Ok(_) => None,
        };
        conn.outbox.push_json(
            FrameKind::Welcome,
            &Welcome {
                protocol: PROTOCOL_VERSION,
                version: env!("CARGO_PKG_VERSION").to_string(),
                pid: std::process::id(),
                refused: refused.clone(),
            },
        );
        if refused.is_some() {
            return false;
        }
        conn.greeted = true;
        self.connections
            .borrow_mut()
            .insert(conn.id, conn.outbox.clone());
        true
    }

    /// Every pair, each endpoint with its network sessions (read before the state is
    /// borrowed: the sessions look up their endpoints' names in it).
    fn list_pairs(&self, now: u64) -> Vec<crate::core::model::PairInfo> {
        let sessions = self.network.sessions();
        let mut pairs = self.engine.borrow().list(now);
        sessions.mark(&mut pairs);
        pairs
    }

    fn handle_request(&self, conn: &mut Connection, request: Request) -> Result<Reply, WireError> {
        let now = monotonic_ns();
        let mut engine = self.engine.borrow_mut();
        match request {
            Request::Ping => Ok(Reply::Pong),
            Request::Status => {
                // The asking connection is not counted: status reports the other clients.
                let others = self.connections.borrow().len().saturating_sub(1) as u64;
                Ok(Reply::Status(engine.status(&self.paths, others, now)))
            }
            Request::ListPairs => {
                drop(engine); // the sessions borrow the state themselves
                Ok(Reply::Pairs {
                    pairs: self.list_pairs(now),
                })
            }
            Request::Counters => Ok(Reply::Counters {
                pairs: engine.counters(now),
            }),
            Request::CreatePair { .. }
            | Request::RemovePair { .. }
            | Request::UpdatePair { .. }
            | Request::SetMuted { .. } => unreachable!("answered in `handle_frame`"),
            Request::Open { endpoint } => {
                if let Some(a) = conn.attachment.take() {
                    engine.detach(a, conn.id, now);
                }
                let outbox = &conn.outbox;
                let (attachment, info) = engine.open(
                    &endpoint,
                    |side| SocketPeer::new(outbox, Role::Endpoint(side)) as _,
                    now,
                )?;
                conn.attachment = Some(attachment);
                Ok(Reply::Opened(info))
            }
            Request::Tap { association_id } => {
                if let Some(a) = conn.attachment.take() {
                    engine.detach(a, conn.id, now);
                }
                let peer = SocketPeer::new(&conn.outbox, Role::Tap);
                conn.attachment = Some(engine.tap(association_id, peer)?);
                Ok(Reply::Done)
            }
            // Answered in `handle_frame`: the events must follow the answer.
            Request::Watch => Ok(Reply::Done),
            // Answered in `handle_frame` by the network sessions.
            Request::NetworkHost { .. }
            | Request::NetworkConnect { .. }
            | Request::NetworkList
            | Request::NetworkStop { .. }
            | Request::NetworkDiscover { .. } => Ok(Reply::Done),
            Request::Close => {
                if let Some(a) = conn.attachment.take() {
                    engine.detach(a, conn.id, now);
                }
                Ok(Reply::Done)
            }
            Request::Shutdown => {
                tracing::info!("stop requested by a client");
                self.shutdown.notify_one();
                Ok(Reply::Done)
            }
        }
    }

    /// Delivers held messages when they fall due, woken by a high-resolution timer (a timerfd
    /// with nanosecond deadlines, not tokio's millisecond wheel). With nothing held the timer is
    /// disarmed and the task sleeps until a message is held: no wake-ups at all.
    pub async fn schedule_loop(self: Rc<Self>) {
        let bell = self.engine.borrow().schedule_changed.clone();
        let timer = match Timer::new() {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!("no high-resolution timer ({e}); held messages use tokio's timer");
                None
            }
        };
        loop {
            let next = self.engine.borrow().schedule.next_due();
            match (next, &timer) {
                (None, _) => {
                    if let Some(t) = &timer {
                        let _ = t.clear();
                    }
                    bell.notified().await;
                    continue;
                }
                (Some(due), Some(t)) if due > monotonic_ns() => {
                    let _ = t.set_deadline(due); // no system call when unchanged
                    tokio::select! {
                        _ = t.wait() => {}
                        _ = bell.notified() => continue, // something earlier may be held now
                    }
                }
                (Some(due), None) if due > monotonic_ns() => {
                    let wait = Duration::from_nanos(due - monotonic_ns().min(due));
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = bell.notified() => continue,
                    }
                }
                (Some(_), _) => {}
            }
            self.engine.borrow_mut().deliver_due(monotonic_ns());
            flush_dirty(&self.dirty);
        }
    }
}

fn log_change(control: &Control, info: &PairInfo) {
    match control {
        Control::Create(_) => tracing::info!(
            "created {} pair {} ({} / {})",
            if info.persistent {
                "persistent"
            } else {
                "transient"
            },
            info.association_id,
            info.endpoint_a.name,
            info.endpoint_b.name
        ),
        Control::Remove(id) => tracing::info!("removed pair {id}"),
        Control::Update(..) | Control::SetMuted(..) => {}
    }
}

/// What the reader task knows about its connection.
struct Connection {
    id: u64,
    outbox: Rc<Outbox>,
    attachment: Option<Attachment>,
    watching: bool,
    greeted: bool,
    /// Reused for stamping, so routing allocates nothing per batch.
    scratch: Vec<u8>,
}
