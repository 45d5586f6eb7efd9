//! The listener and the per-connection tasks: handshake, control requests, sends.
//!
//! Each connection has a reader (this module) and a writer ([`Outbox::write_loop`]). All tasks
//! share one thread, so the engine state is a plain `RefCell` borrowed only between awaits.

use super::outbox::{DirtyList, Outbox, flush_dirty};
use super::state::{Attachment, Engine};
use crate::core::clock::monotonic_ns;
use crate::core::error::ErrorKind;
use crate::core::paths::Paths;
use crate::core::protocol::{
    self, Event, FrameKind, HEADER_BYTES, Hello, PROTOCOL_VERSION, Reply, Request, RequestFrame,
    ResponseFrame, Welcome, WireError,
};
use std::cell::RefCell;
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
    next_conn: std::cell::Cell<u64>,
}

impl Server {
    pub fn new(engine: Engine, paths: Paths, limits: Limits) -> Rc<Server> {
        Rc::new(Server {
            engine: Rc::new(RefCell::new(engine)),
            paths,
            limits,
            shutdown: Rc::new(Notify::new()),
            dirty: DirtyList::default(),
            next_conn: std::cell::Cell::new(1),
        })
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
            // SPEC §12: only our own user may connect, whatever the file permissions say.
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
            let id = self.next_conn.get();
            self.next_conn.set(id + 1);
            let server = self.clone();
            tokio::task::spawn_local(async move { server.serve(id, stream).await });
        }
    }

    async fn serve(self: Rc<Self>, conn_id: u64, stream: UnixStream) {
        let stream = Rc::new(stream);
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
            greeted: false,
            scratch: Vec::new(),
        };
        let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
        let mut start = 0usize;
        let hello_deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        'read: loop {
            // Big reads mean few system calls per message under load; the pages are only
            // touched (made resident) as far as a read actually fills them.
            if buf.capacity() - buf.len() < 64 * 1024 {
                buf.reserve(256 * 1024);
            }
            match read_some(&stream, &mut buf, (!conn.greeted).then_some(hello_deadline)).await {
                Some(n) if n > 0 => {}
                _ => break, // end of stream, error, or no hello in time
            }
            while buf.len() - start >= HEADER_BYTES {
                if outbox.backlog() > self.limits.receiver_queue_bytes {
                    // This client does not read its answers: stop reading its requests until
                    // it does, so its backlog, not the engine, is what is bounded. Only this
                    // connection waits; everyone else is served meanwhile.
                    flush_dirty(&self.dirty);
                    outbox
                        .wait_for_room(self.limits.receiver_queue_bytes / 2)
                        .await;
                    if outbox.is_dead() {
                        break 'read;
                    }
                }
                let header_bytes: &[u8; HEADER_BYTES] = buf[start..start + HEADER_BYTES]
                    .try_into()
                    .expect("length checked");
                let header = match protocol::parse_header(header_bytes) {
                    Ok(h) => h,
                    Err(e) => {
                        outbox.push_event(&Event::Refused {
                            message: format!("{e}; closing the connection"),
                        });
                        break 'read;
                    }
                };
                let end = start + HEADER_BYTES + header.payload_len;
                if buf.len() < end {
                    buf.reserve(end - buf.len());
                    break;
                }
                let payload = &mut buf[start + HEADER_BYTES..end];
                if !self.handle_frame(&mut conn, header.kind_byte, payload) {
                    break 'read;
                }
                start = end;
            }
            // Everything this read brought in goes out now: one write per receiver.
            flush_dirty(&self.dirty);
            if start == buf.len() {
                buf.clear();
                start = 0;
            } else if start > 0 && start >= buf.len() / 2 {
                buf.drain(..start);
                start = 0;
            }
        }
        {
            let mut engine = self.engine.borrow_mut();
            if let Some(a) = conn.attachment.take() {
                engine.detach(a, conn_id);
            }
            engine.connections.remove(&conn_id);
        }
        flush_dirty(&self.dirty);
        outbox.close();
        let _ = writer.await;
    }

    /// Handles one frame; false closes the connection.
    fn handle_frame(&self, conn: &mut Connection, kind_byte: u8, payload: &mut [u8]) -> bool {
        let kind = FrameKind::from_byte(kind_byte);
        if !conn.greeted {
            return kind == Some(FrameKind::Hello) && self.greet(conn, payload);
        }
        match kind {
            Some(FrameKind::Send) => {
                let Some(attachment) = conn.attachment else {
                    conn.outbox.push_event(&Event::Refused {
                        message:
                            "no endpoint is open on this connection; send an `open` request first"
                                .into(),
                    });
                    return true;
                };
                let now = monotonic_ns();
                let result = self.engine.borrow_mut().route_send(
                    attachment,
                    payload,
                    now,
                    &mut conn.scratch,
                );
                if let Err(message) = result {
                    conn.outbox.push_event(&Event::Refused { message });
                }
                true
            }
            Some(FrameKind::Request) => match serde_json::from_slice::<RequestFrame>(payload) {
                Ok(frame) => {
                    let result = self.handle_request(conn, frame.request);
                    conn.outbox.push_json(
                        FrameKind::Response,
                        &ResponseFrame {
                            id: frame.id,
                            result,
                        },
                    );
                    true
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
                    true
                }
            },
            _ => {
                conn.outbox.push_event(&Event::Refused {
                    message: format!("frame kind {kind_byte} is not one a client may send; closing the connection"),
                });
                false
            }
        }
    }

    fn greet(&self, conn: &mut Connection, payload: &[u8]) -> bool {
        let refused = match serde_json::from_slice::<Hello>(payload) {
            Err(e) => Some(format!("the hello frame is not understood: {e}")),
            Ok(h) if h.protocol != PROTOCOL_VERSION => Some(format!(
                "this engine speaks protocol {PROTOCOL_VERSION}, the client {}; restart the engine with `midi service restart`",
                h.protocol
            )),
            Ok(_) if self.engine.borrow().connections.len() >= self.limits.max_clients => {
                Some(format!(
                    "the engine already serves {} clients, its limit",
                    self.limits.max_clients
                ))
            }
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
        self.engine
            .borrow_mut()
            .connections
            .insert(conn.id, conn.outbox.clone());
        true
    }

    fn handle_request(&self, conn: &mut Connection, request: Request) -> Result<Reply, WireError> {
        let now = monotonic_ns();
        let mut engine = self.engine.borrow_mut();
        match request {
            Request::Ping => Ok(Reply::Pong),
            Request::Status => Ok(Reply::Status(engine.status(&self.paths, conn.id, now))),
            Request::ListPairs => Ok(Reply::Pairs {
                pairs: engine.list(now),
            }),
            Request::CreatePair { pair } => {
                if engine.pairs.len() >= self.limits.max_pairs {
                    return Err(WireError {
                        kind: ErrorKind::Failed,
                        message: format!(
                            "the engine already holds {} pairs, its limit; remove some first",
                            self.limits.max_pairs
                        ),
                    });
                }
                let persistent = pair.persistent;
                let info = engine.create(pair, now)?;
                tracing::info!(
                    "created {} pair {} ({} / {})",
                    if persistent {
                        "persistent"
                    } else {
                        "transient"
                    },
                    info.association_id,
                    info.endpoint_a.name,
                    info.endpoint_b.name
                );
                Ok(Reply::Pair(info))
            }
            Request::RemovePair { association_id } => {
                let info = engine.remove(association_id, now)?;
                tracing::info!("removed pair {association_id}");
                Ok(Reply::Pair(info))
            }
            Request::UpdatePair {
                association_id,
                update,
            } => Ok(Reply::Pair(engine.update(association_id, &update, now)?)),
            Request::SetMuted {
                association_id,
                muted,
            } => Ok(Reply::Pair(engine.set_muted(association_id, muted, now)?)),
            Request::Open { endpoint } => {
                if let Some(a) = conn.attachment.take() {
                    engine.detach(a, conn.id);
                }
                let (attachment, info) = engine.open(&endpoint, &conn.outbox, now)?;
                conn.attachment = Some(attachment);
                Ok(Reply::Opened(info))
            }
            Request::Tap { association_id } => {
                if let Some(a) = conn.attachment.take() {
                    engine.detach(a, conn.id);
                }
                conn.attachment = Some(engine.tap(association_id, &conn.outbox)?);
                Ok(Reply::Done)
            }
            Request::Close => {
                if let Some(a) = conn.attachment.take() {
                    engine.detach(a, conn.id);
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

    /// Delivers held messages when they fall due. With nothing held it sleeps until woken.
    pub async fn schedule_loop(self: Rc<Self>) {
        let bell = self.engine.borrow().schedule_changed.clone();
        loop {
            let next = self.engine.borrow().schedule.next_due();
            match next {
                None => bell.notified().await,
                Some(due) => {
                    let now = monotonic_ns();
                    if due > now {
                        let wait = Duration::from_nanos(due - now);
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = bell.notified() => continue,
                        }
                    }
                    self.deliver_due();
                    flush_dirty(&self.dirty);
                }
            }
        }
    }

    fn deliver_due(&self) {
        let now = monotonic_ns();
        let mut engine = self.engine.borrow_mut();
        let due = engine.schedule.take_due(now);
        // Consecutive messages for the same pair and direction go out as one batch.
        let mut body = Vec::new();
        let mut i = 0;
        while i < due.len() {
            let (key, dir) = (due[i].pair_key, due[i].dir);
            body.clear();
            let mut n = 0;
            // …up to a size any client accepts (the tap's direction byte included).
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
            let muted = engine.pairs.get(&key).map(|p| p.def.muted);
            match muted {
                Some(true) => {
                    let p = engine.pairs.get_mut(&key).expect("checked");
                    p.counters[dir.index()].stats.dropped_muted += n;
                }
                Some(false) => engine.deliver(key, dir, &body, n),
                None => {} // the pair was removed while its messages waited
            }
        }
    }
}

/// What the reader task knows about its connection.
struct Connection {
    id: u64,
    outbox: Rc<Outbox>,
    attachment: Option<Attachment>,
    greeted: bool,
    /// Reused for stamping, so routing allocates nothing per batch.
    scratch: Vec<u8>,
}

/// Reads what is available into `buf` (after its current end); `None` on error or when the
/// deadline passes first.
async fn read_some(
    stream: &UnixStream,
    buf: &mut Vec<u8>,
    deadline: Option<tokio::time::Instant>,
) -> Option<usize> {
    loop {
        let ready = match deadline {
            Some(d) => tokio::time::timeout_at(d, stream.readable()).await.ok()?,
            None => stream.readable().await,
        };
        ready.ok()?;
        let room = buf.capacity() - buf.len();
        match stream.try_read_buf(buf) {
            Ok(n) => {
                if n > 0 && n < room {
                    // A short read drained the socket. Forget the readiness now, so the next
                    // round goes straight to epoll instead of spending a read on EAGAIN; data
                    // that arrives meanwhile raises a fresh edge, so nothing is missed.
                    let _ = stream.try_io(tokio::io::Interest::READABLE, || {
                        Err::<(), _>(std::io::ErrorKind::WouldBlock.into())
                    });
                }
                return Some(n);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return None,
        }
    }
}
