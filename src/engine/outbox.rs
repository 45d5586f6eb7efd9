//! A connection's outgoing queue. Control frames always fit; data frames are bounded, so a
//! receiver that stops reading loses its own messages (counted) and slows nobody else.

use crate::core::protocol::{self, Event, FrameKind};
use std::cell::{Cell, RefCell};
use tokio::sync::Notify;

/// What is waiting to be written to one connection.
pub struct Outbox {
    pub conn_id: u64,
    buf: RefCell<Vec<u8>>,
    wake: Notify,
    /// Bytes of data frames allowed to wait; beyond this, data is dropped for this receiver.
    capacity: usize,
    /// Messages dropped for this receiver since it last heard about it.
    pending_overflow: Cell<u64>,
    closing: Cell<bool>,
    dead: Cell<bool>,
}

impl Outbox {
    pub fn new(conn_id: u64, capacity: usize) -> Outbox {
        Outbox {
            conn_id,
            buf: RefCell::new(Vec::with_capacity(16 * 1024)),
            wake: Notify::new(),
            capacity,
            pending_overflow: Cell::new(0),
            closing: Cell::new(false),
            dead: Cell::new(false),
        }
    }

    /// Queues a JSON control frame; these are never dropped.
    pub fn push_json<T: serde::Serialize>(&self, kind: FrameKind, value: &T) {
        protocol::put_json(&mut self.buf.borrow_mut(), kind, value);
        self.wake.notify_one();
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
        let mut buf = self.buf.borrow_mut();
        let frame_len = protocol::HEADER_BYTES + prefix.len() + body.len();
        if buf.len() + frame_len > self.capacity {
            drop(buf);
            self.pending_overflow
                .set(self.pending_overflow.get() + messages);
            self.wake.notify_one();
            return false;
        }
        protocol::put_header(&mut buf, kind, prefix.len() + body.len());
        buf.extend_from_slice(prefix);
        buf.extend_from_slice(body);
        drop(buf);
        self.wake.notify_one();
        true
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
        self.buf.borrow().is_empty()
    }

    /// Writes queued frames until the outbox is closed and empty, or the peer goes away.
    pub async fn write_loop<W: tokio::io::AsyncWrite + Unpin>(&self, mut out: W) {
        use tokio::io::AsyncWriteExt;
        let mut spare: Vec<u8> = Vec::with_capacity(16 * 1024);
        loop {
            let dropped = self.pending_overflow.replace(0);
            if dropped > 0 {
                self.push_event(&Event::Overflow { dropped });
            }
            if self.buf.borrow().is_empty() {
                if self.closing.get() {
                    break;
                }
                self.wake.notified().await;
                continue;
            }
            // Swap rather than copy: while this batch is written, new frames gather in the
            // other buffer and go out together in the next write.
            std::mem::swap(&mut *self.buf.borrow_mut(), &mut spare);
            if out.write_all(&spare).await.is_err() {
                self.dead.set(true);
                self.buf.borrow_mut().clear();
                break;
            }
            spare.clear();
            if spare.capacity() > 4 * self.capacity.max(1 << 16) {
                spare = Vec::with_capacity(16 * 1024); // give memory back after a burst
            }
        }
        let _ = out.shutdown().await;
        self.dead.set(true);
    }
}
