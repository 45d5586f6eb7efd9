//! Connections that carry music: an open endpoint (send and receive) and a tap (watch a pair).

use super::{ClientError, Connection, Result, parse_event, unexpected};
use crate::core::ids::{AssociationId, Direction};
use crate::core::model::EndpointInfo;
use crate::core::protocol::{self, Event, FrameKind, Reply, Request, TimedMessage};
use crate::core::ump;
use std::time::{Duration, Instant};

/// What `receive` hands back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Messages that arrived, in order, each with its timestamp.
    Messages(Vec<TimedMessage>),
    /// The engine dropped this many messages meant for us because we read too slowly.
    Overflow { dropped: u64 },
}

/// Turns a non-data frame into what the caller should see.
fn event_outcome(payload: &[u8]) -> Result<Option<Received>> {
    match parse_event(payload)? {
        Event::Overflow { dropped } => Ok(Some(Received::Overflow { dropped })),
        Event::EndpointRemoved { endpoint } => Err(ClientError::EndpointRemoved { endpoint }),
        Event::EngineStopping => Err(ClientError::EngineStopped),
        Event::Refused { message } => Err(ClientError::Engine {
            kind: crate::core::ErrorKind::Invalid,
            message,
        }),
        // Change events go only to connections that watch; anything else is not for us.
        _ => Ok(None),
    }
}

fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|t| Instant::now() + t)
}

/// A connection attached to one endpoint.
pub struct EndpointConnection {
    conn: Connection,
    info: EndpointInfo,
    out: Vec<u8>,
}

impl EndpointConnection {
    pub(super) fn new(conn: Connection, info: EndpointInfo) -> EndpointConnection {
        EndpointConnection {
            conn,
            info,
            out: Vec::with_capacity(4096),
        }
    }

    /// The endpoint as it was when opened.
    pub fn info(&self) -> &EndpointInfo {
        &self.info
    }

    /// Sends one message, to be delivered now. The words must form exactly one UMP.
    pub fn send(&mut self, words: &[u32]) -> Result<()> {
        self.send_at(0, words)
    }

    /// Sends one message with a timestamp (0 = now; a future one is held until due).
    pub fn send_at(&mut self, timestamp: u64, words: &[u32]) -> Result<()> {
        ump::check_single_message(words).map_err(|e| ClientError::Engine {
            kind: crate::core::ErrorKind::Invalid,
            message: e.to_string(),
        })?;
        self.out.clear();
        protocol::put_message(&mut self.out, timestamp, words);
        self.conn.wire.write_frame(FrameKind::Send, &self.out)?;
        Ok(())
    }

    /// Sends many messages in one frame (one system call): the fast path.
    pub fn send_batch(&mut self, messages: &[TimedMessage]) -> Result<()> {
        self.out.clear();
        for m in messages {
            protocol::put_message(&mut self.out, m.timestamp, m.words());
        }
        self.conn.wire.write_frame(FrameKind::Send, &self.out)?;
        Ok(())
    }

    /// Sends an already encoded payload as it is, unchecked (tools and tests use this to see
    /// how the engine treats a bad batch).
    pub fn send_payload(&mut self, payload: &[u8]) -> Result<()> {
        self.conn.wire.write_frame(FrameKind::Send, payload)?;
        Ok(())
    }

    /// Waits until the engine has handled everything sent so far; fails with the engine's
    /// reason if it refused any of it.
    pub fn flush(&mut self) -> Result<()> {
        match self.conn.request(Request::Ping)? {
            Reply::Pong => {}
            other => return Err(unexpected(other)),
        }
        // A refusal arrives before the answer to the ping; look for one among what waited.
        let mut keep = std::collections::VecDeque::new();
        let mut refusal = None;
        while let Some(f) = self.conn.pending.pop_front() {
            if f.kind == FrameKind::Event as u8
                && let Ok(Event::Refused { message }) = parse_event(&f.payload)
            {
                refusal.get_or_insert(message);
                continue;
            }
            keep.push_back(f);
        }
        self.conn.pending = keep;
        match refusal {
            Some(message) => Err(ClientError::Engine {
                kind: crate::core::ErrorKind::Invalid,
                message,
            }),
            None => Ok(()),
        }
    }

    /// Waits up to `timeout` (forever with `None`) for what arrives next. `Ok(None)`: nothing
    /// came in time. Errors say the endpoint was removed or the engine stopped.
    pub fn receive(&mut self, timeout: Option<Duration>) -> Result<Option<Received>> {
        let Some(frame) = self.conn.next_unsolicited(deadline(timeout))? else {
            return Ok(None);
        };
        if frame.kind == FrameKind::Deliver as u8 {
            let msgs: Vec<TimedMessage> = protocol::iter_payload(&frame.payload).collect();
            return Ok(Some(Received::Messages(msgs)));
        }
        if frame.kind == FrameKind::Event as u8 {
            return event_outcome(&frame.payload);
        }
        Err(ClientError::Protocol(format!(
            "unexpected frame kind {} on an endpoint connection",
            frame.kind
        )))
    }

    /// Detaches from the endpoint and closes the connection.
    pub fn close(self) {
        self.conn.wire.shutdown();
    }

    /// Switches the connection to non-blocking use, for an event loop that serves many
    /// endpoints with `poll` on [`AsRawFd::as_raw_fd`](std::os::fd::AsRawFd): `send` queues
    /// what the socket does not take at once (poll for writable and call
    /// [`flush_unsent`](Self::flush_unsent)), and [`try_receive`](Self::try_receive) returns
    /// at once. Requests (`flush`) still wait for their answer.
    pub fn set_nonblocking(&mut self, on: bool) -> Result<()> {
        Ok(self.conn.wire.set_nonblocking(on)?)
    }

    /// What has arrived, without waiting: `Ok(None)` when nothing is there yet. In blocking
    /// mode this is `receive(Some(Duration::ZERO))`.
    pub fn try_receive(&mut self) -> Result<Option<Received>> {
        if self.conn.wire.is_nonblocking() {
            self.receive(None)
        } else {
            self.receive(Some(Duration::ZERO))
        }
    }

    /// Bytes queued in non-blocking mode that the engine has not taken yet.
    pub fn unsent(&self) -> usize {
        self.conn.wire.unsent()
    }

    /// Writes queued bytes as far as the socket takes them now; true when none are left.
    pub fn flush_unsent(&mut self) -> Result<bool> {
        Ok(self.conn.wire.flush_unsent()?)
    }
}

impl std::os::fd::AsRawFd for EndpointConnection {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.conn.wire.stream().as_raw_fd()
    }
}

impl std::os::fd::AsFd for EndpointConnection {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.conn.wire.stream().as_fd()
    }
}

/// A connection that hears of every change to the pairs (see [`Client::watch`]).
///
/// [`Client::watch`]: super::Client::watch
pub struct WatchConnection {
    conn: Connection,
}

impl WatchConnection {
    pub(super) fn new(conn: Connection) -> WatchConnection {
        WatchConnection { conn }
    }

    /// Waits up to `timeout` (forever with `None`) for the next change. `Ok(None)`: nothing
    /// came in time. [`Event::EngineStopping`] is the last event before the connection ends.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        loop {
            let Some(frame) = self.conn.next_unsolicited(deadline(timeout))? else {
                return Ok(None);
            };
            if frame.kind == FrameKind::Event as u8 {
                return Ok(Some(parse_event(&frame.payload)?));
            }
        }
    }
}

/// A connection that watches a pair's traffic in both directions.
pub struct TapConnection {
    conn: Connection,
    association_id: AssociationId,
}

impl TapConnection {
    pub(super) fn new(conn: Connection, association_id: AssociationId) -> TapConnection {
        TapConnection {
            conn,
            association_id,
        }
    }

    pub fn association_id(&self) -> AssociationId {
        self.association_id
    }

    /// Waits up to `timeout` for copies of traffic: `(direction, messages)`.
    pub fn receive(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<(Direction, Vec<TimedMessage>)>> {
        loop {
            let Some(frame) = self.conn.next_unsolicited(deadline(timeout))? else {
                return Ok(None);
            };
            if frame.kind == FrameKind::TapDeliver as u8 {
                let Some((&dir, body)) = frame.payload.split_first() else {
                    continue;
                };
                let dir = Direction::from_index(dir)
                    .ok_or_else(|| ClientError::Protocol(format!("bad tap direction {dir}")))?;
                return Ok(Some((dir, protocol::iter_payload(body).collect())));
            }
            if frame.kind == FrameKind::Event as u8 {
                // A tap's own overflow only means it missed copies; keep watching.
                if let Some(Received::Overflow { .. }) = event_outcome(&frame.payload)? {
                    continue;
                }
            }
        }
    }
}
