//! A connection's outgoing queue. Control frames always fit; data frames are bounded, so a
//! receiver that stops reading loses its own messages (counted) and slows nobody else.
//!
//! Frames are written straight away at the end of each read round ([`flush_dirty`]): one
//! `write` per receiver for everything a sender's read brought in, like a bare relay. Only
//! what the socket does not take at once is left to the connection's writer task.

use super::client_socket::ClientSocket;
use crate::core::protocol::{self, Event, FrameKind};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use tokio::sync::Notify;

/// Outboxes that got frames since the last flush.
pub type DirtyList = Rc<RefCell<Vec<Rc<Outbox>>>>;

/// What is waiting to be written to one connection.
pub struct Outbox {
    pub conn_id: u64,
    me: Weak<Outbox>,
    socket: Rc<ClientSocket>,
    /// Unwritten bytes are `buf[start..]`.
    buf: RefCell<Vec<u8>>,
    start: Cell<usize>,
    wake: Notify,
    /// Rung whenever bytes leave (or the peer goes away), for a reader waiting for room.
    drained: Notify,
    /// Bytes of data frames allowed to wait; beyond this, data is dropped for this receiver.
    capacity: usize,
    /// Messages dropped for this receiver since it last heard about it.
    pending_overflow: Cell<u64>,
    dirty: Cell<bool>,
    dirty_list: DirtyList,
    closing: Cell<bool>,
    dead: Cell<bool>,
}

impl Outbox {
    pub fn new(
        conn_id: u64,
        socket: Rc<ClientSocket>,
        capacity: usize,
        dirty_list: DirtyList,
    ) -> Rc<Outbox> {
        Rc::new_cyclic(|me| Outbox {
            conn_id,
            me: me.clone(),
            socket,
            buf: RefCell::new(Vec::with_capacity(16 * 1024)),
            start: Cell::new(0),
            wake: Notify::new(),
            drained: Notify::new(),
            capacity,
            pending_overflow: Cell::new(0),
            dirty: Cell::new(false),
            dirty_list,
            closing: Cell::new(false),
            dead: Cell::new(false),
        })
    }

    fn mark_dirty(&self) {
        if !self.dirty.replace(true)
            && let Some(me) = self.me.upgrade()
        {
            self.dirty_list.borrow_mut().push(me);
        }
    }

    /// Bytes waiting to be written (control and data).
    pub fn backlog(&self) -> usize {
        self.buf.borrow().len() - self.start.get()
    }

    /// Waits until at most `limit` bytes wait, or the peer is gone.
    pub async fn wait_for_room(&self, limit: usize) {
        while self.backlog() > limit && !self.dead.get() {
            self.drained.notified().await;
        }
    }

    fn mark_dead(&self) {
        self.dead.set(true);
        self.drained.notify_one();
    }

    /// Queues a JSON control frame; these are never dropped.
    pub fn push_json<T: serde::Serialize>(&self, kind: FrameKind, value: &T) {
        protocol::put_json(&mut self.buf.borrow_mut(), kind, value);
        self.mark_dirty();
    }

    pub fn push_event(&self, event: &Event) {
        self.push_json(FrameKind::Event, event);
    }

    /// Queues a data frame whose payload is `prefix` then `body`, unless the queue is full;
    /// then the frame's `messages` are counted as dropped for this receiver and `false` returned.
    pub fn try_push_data(
        &self,
        kind: FrameKind,
        prefix: &[u8],
        body: &[u8],
        messages: u64,
    ) -> bool {
        if self.dead.get() {
            return false;
        }
        let frame_len = protocol::HEADER_BYTES + prefix.len() + body.len();
        if self.backlog() + frame_len > self.capacity {
            self.pending_overflow
                .set(self.pending_overflow.get() + messages);
            self.mark_dirty();
            return false;
        }
        let mut buf = self.buf.borrow_mut();
        protocol::put_header(&mut buf, kind, prefix.len() + body.len());
        buf.extend_from_slice(prefix);
        buf.extend_from_slice(body);
        drop(buf);
        self.mark_dirty();
        true
    }

    /// Queues one `overflow` event for everything dropped since the last one — only once the
    /// receiver has read its queue down to half, so one that never reads holds one pending
    /// count, not a growing pile of events.
    fn tell_overflow(&self) {
        let dropped = self.pending_overflow.get();
        if dropped == 0 || self.backlog() > self.capacity / 2 {
            return;
        }
        self.pending_overflow.set(0);
        // Told after the frames that did fit, so the receiver sees where the gap is.
        protocol::put_json(
            &mut self.buf.borrow_mut(),
            FrameKind::Event,
            &Event::Overflow { dropped },
        );
    }

    /// Writes what the socket takes without waiting. True when nothing is left.
    fn write_now(&self) -> bool {
        self.tell_overflow();
        loop {
            let mut buf = self.buf.borrow_mut();
            let start = self.start.get();
            if start == buf.len() {
                buf.clear();
                self.start.set(0);
                if buf.capacity() > 4 * self.capacity.max(1 << 16) {
                    *buf = Vec::with_capacity(16 * 1024); // give memory back after a burst
                }
                return true;
            }
            match self.socket.try_write(&buf[start..]) {
                Ok(n) => {
                    self.start.set(start + n);
                    self.drained.notify_one();
                    // Keep the unwritten tail near the front so the buffer stays small.
                    if self.start.get() > 1 << 20 && self.start.get() * 2 > buf.len() {
                        buf.drain(..self.start.get());
                        self.start.set(0);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
                Err(_) => {
                    self.mark_dead();
                    buf.clear();
                    self.start.set(0);
                    return true;
                }
            }
        }
    }

    /// Asks the writer to flush what is queued, then close the connection.
    pub fn close(&self) {
        self.closing.set(true);
        self.wake.notify_one();
    }

    pub fn is_dead(&self) -> bool {
        self.dead.get()
    }

    pub fn is_empty(&self) -> bool {
        self.backlog() == 0
    }

    /// Writes whatever the socket would not take at once, waiting for it to drain; ends when
    /// the outbox is closed and empty, or the peer goes away.
    pub async fn write_loop(&self) {
        loop {
            if self.dead.get() {
                break;
            }
            if self.backlog() == 0 {
                // Whatever count is pending fits now that the queue is empty.
                self.tell_overflow();
            }
            if self.backlog() == 0 {
                if self.closing.get() {
                    break;
                }
                self.wake.notified().await;
                continue;
            }
            if self.write_now() {
                continue;
            }
            if self.socket.writable().await.is_err() {
                self.mark_dead();
            }
        }
        if self.closing.get() {
            // Other parts of the engine may still hold this outbox for a moment; the peer
            // should see the end of the stream now, not when the last reference goes.
            self.socket.peer_gone();
        }
        self.mark_dead();
    }
}

/// Writes out every outbox that got frames; hands what does not fit to its writer task.
pub fn flush_dirty(list: &DirtyList) {
    let mut dirty: Vec<Rc<Outbox>> = std::mem::take(&mut *list.borrow_mut());
    for outbox in dirty.drain(..) {
        outbox.dirty.set(false);
        if !outbox.write_now() {
            outbox.wake.notify_one();
        }
    }
    // Hand the empty vector back, so the next round allocates nothing.
    let mut slot = list.borrow_mut();
    if slot.is_empty() {
        *slot = dirty;
    }
}
