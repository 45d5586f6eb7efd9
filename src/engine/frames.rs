//! Reading frames off a client's socket: big reads into one buffer, whole frames handed out
//! in place (so a `send` payload is stamped where it lies), the buffer compacted between reads.

use super::client_socket::ClientSocket;
use crate::core::protocol::{self, FrameError, HEADER_BYTES};

/// One whole frame in the reader's buffer.
pub struct Frame<'a> {
    pub kind_byte: u8,
    pub payload: &'a mut [u8],
}

pub struct FrameReader {
    buf: Vec<u8>,
    /// Bytes before `start` have been handed out already.
    start: usize,
}

impl FrameReader {
    pub fn new() -> FrameReader {
        FrameReader {
            buf: Vec::with_capacity(64 * 1024),
            start: 0,
        }
    }

    /// Reads what the socket has. `None` at the end of the stream, on an error, or when the
    /// deadline passes first.
    pub async fn fill(
        &mut self,
        socket: &ClientSocket,
        deadline: Option<tokio::time::Instant>,
    ) -> Option<usize> {
        // Big reads mean few system calls per message under load; the pages are only touched
        // (made resident) as far as a read actually fills them.
        if self.buf.capacity() - self.buf.len() < 64 * 1024 {
            self.buf.reserve(256 * 1024);
        }
        let read = socket.read_some(&mut self.buf);
        let n = match deadline {
            Some(d) => tokio::time::timeout_at(d, read).await.ok()?,
            None => read.await,
        };
        match n {
            Ok(n) if n > 0 => Some(n),
            _ => None,
        }
    }

    /// Whether a frame header (at least) is waiting.
    pub fn has_header(&self) -> bool {
        self.buf.len() - self.start >= HEADER_BYTES
    }

    /// The next whole frame, `None` when it has not all arrived yet, or why its header is
    /// refused (the connection then closes).
    pub fn next_frame(&mut self) -> Option<Result<Frame<'_>, FrameError>> {
        if !self.has_header() {
            return None;
        }
        let header_bytes: &[u8; HEADER_BYTES] = self.buf[self.start..self.start + HEADER_BYTES]
            .try_into()
            .expect("length checked");
        let header = match protocol::parse_header(header_bytes) {
            Ok(h) => h,
            Err(e) => return Some(Err(e)),
        };
        let begin = self.start + HEADER_BYTES;
        let end = begin + header.payload_len;
        if self.buf.len() < end {
            self.buf.reserve(end - self.buf.len());
            return None;
        }
        self.start = end;
        Some(Ok(Frame {
            kind_byte: header.kind_byte,
            payload: &mut self.buf[begin..end],
        }))
    }

    /// Forgets what was handed out, keeping a partial frame at the front.
    pub fn compact(&mut self) {
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}
