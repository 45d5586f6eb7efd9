//! One framed connection to the engine, blocking: write frames, read frames with an optional
//! deadline without ever losing a partly read frame.

use crate::core::protocol::{self, FrameKind, HEADER_BYTES};
use serde::Serialize;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Instant;

/// A frame read off the wire: its kind byte and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    pub kind: u8,
    pub payload: Vec<u8>,
}

pub struct Wire {
    stream: UnixStream,
    /// Received bytes live in `buf[start..end]`; the vector's length is its usable size.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    out: Vec<u8>,
    /// In non-blocking mode: bytes the socket has not taken yet, sent before anything newer.
    unsent: Vec<u8>,
    nonblocking: bool,
}

/// The most bytes a non-blocking connection queues before `send` says "would block".
pub const MAX_UNSENT_BYTES: usize = 4 << 20;

impl Wire {
    pub fn new(stream: UnixStream) -> Wire {
        Wire {
            stream,
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            out: Vec::with_capacity(4096),
            unsent: Vec::new(),
            nonblocking: false,
        }
    }

    pub fn stream(&self) -> &UnixStream {
        &self.stream
    }

    /// In non-blocking mode reads return at once when nothing waits, and writes queue what
    /// the socket does not take (see [`Wire::flush_unsent`]).
    pub fn set_nonblocking(&mut self, on: bool) -> io::Result<()> {
        if !on {
            // Blocking from here: whatever was queued goes first, in order.
            self.stream.set_nonblocking(false)?;
            let unsent = std::mem::take(&mut self.unsent);
            self.stream.write_all(&unsent)?;
        } else {
            self.stream.set_nonblocking(true)?;
        }
        self.nonblocking = on;
        Ok(())
    }

    pub fn is_nonblocking(&self) -> bool {
        self.nonblocking
    }

    /// Bytes queued in non-blocking mode that the socket has not taken yet.
    pub fn unsent(&self) -> usize {
        self.unsent.len()
    }

    /// Writes what was queued, as far as the socket takes it now. True when nothing is left.
    pub fn flush_unsent(&mut self) -> io::Result<bool> {
        while !self.unsent.is_empty() {
            match self.stream.write(&self.unsent) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.unsent.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Writes bytes in order: straight out when blocking, through the queue otherwise.
    fn write_bytes(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        if !self.nonblocking {
            for p in parts {
                self.stream.write_all(p)?;
            }
            return Ok(());
        }
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if self.unsent.len() + len > MAX_UNSENT_BYTES && !self.flush_unsent()? {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the engine is not taking messages as fast as they are sent; wait until the connection is writable",
            ));
        }
        for p in parts {
            self.unsent.extend_from_slice(p);
        }
        self.flush_unsent().map(|_| ())
    }

    pub fn write_json<T: Serialize>(&mut self, kind: FrameKind, value: &T) -> io::Result<()> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        protocol::put_json(&mut out, kind, value);
        let result = self.write_bytes(&[&out]);
        self.out = out;
        result
    }

    /// Writes one frame whose payload is already encoded.
    pub fn write_frame(&mut self, kind: FrameKind, payload: &[u8]) -> io::Result<()> {
        let mut header = Vec::with_capacity(HEADER_BYTES);
        protocol::put_header(&mut header, kind, payload.len());
        // One syscall for small frames; two for big ones rather than copying them.
        if payload.len() < 4096 {
            header.extend_from_slice(payload);
            self.write_bytes(&[&header])
        } else {
            self.write_bytes(&[&header, payload])
        }
    }

    /// The next whole frame, or `None` once `deadline` passes. EOF is `UnexpectedEof`.
    pub fn read_frame(&mut self, deadline: Option<Instant>) -> io::Result<Option<RawFrame>> {
        loop {
            if let Some(frame) = self.take_buffered()? {
                return Ok(Some(frame));
            }
            if let Some(d) = deadline {
                let passed = if self.nonblocking {
                    Instant::now() >= d
                } else {
                    !wait_readable(&self.stream, d)?
                };
                if passed {
                    return Ok(None);
                }
            }
            self.make_room(16 * 1024);
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the engine closed the connection",
                    ));
                }
                Ok(n) => self.end += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Makes at least `want` bytes free after `end`, moving the unread bytes to the front.
    fn make_room(&mut self, want: usize) {
        if self.buf.len() - self.end >= want {
            return;
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.buf.len() - self.end < want {
            let new_len = (self.end + want).max(self.buf.len() * 2);
            self.buf.resize(new_len, 0);
        }
    }

    fn take_buffered(&mut self) -> io::Result<Option<RawFrame>> {
        let avail = &self.buf[self.start..self.end];
        if avail.len() < HEADER_BYTES {
            return Ok(None);
        }
        let header =
            protocol::read_header(avail[..HEADER_BYTES].try_into().expect("length checked"))
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        if header.payload_len >= protocol::MAX_ENGINE_FRAME_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a frame of {} bytes is larger than the limit of {}",
                    header.payload_len + 1,
                    protocol::MAX_ENGINE_FRAME_BYTES
                ),
            ));
        }
        let end = HEADER_BYTES + header.payload_len;
        let have = avail.len();
        if have < end {
            // A big frame: make sure the buffer can hold all of it.
            self.make_room(end - have);
            return Ok(None);
        }
        let frame = RawFrame {
            kind: header.kind_byte,
            payload: avail[HEADER_BYTES..end].to_vec(),
        };
        self.start += end;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        Ok(Some(frame))
    }

    pub fn shutdown(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// Waits until `stream` has something to read (or has failed) or `deadline` passes; false
/// when it passed. `ppoll` takes nanoseconds and sleeps on a high-resolution timer, where a
/// socket's receive timeout counts in scheduler ticks (up to 4 ms late): a player that waits
/// for its next beat this way sends on time.
fn wait_readable(stream: &UnixStream, deadline: Instant) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        let mut fd = libc::pollfd {
            fd: stream.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let timeout = libc::timespec {
            tv_sec: left.as_secs() as libc::time_t,
            tv_nsec: libc::c_long::from(left.subsec_nanos() as i32),
        };
        // SAFETY: one valid pollfd and a valid timespec, both live across the call.
        let n = unsafe { libc::ppoll(&mut fd, 1, &timeout, std::ptr::null()) };
        match n {
            0 => return Ok(false),
            n if n > 0 => return Ok(true),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}
