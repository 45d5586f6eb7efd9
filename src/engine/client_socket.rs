//! A client's connection as the engine holds it: registered with the reactor for reading
//! only. Writes go straight to the socket; only when it is full does the writer ask to hear
//! when there is room, through a short-lived registration of its own.
//!
//! Why not tokio's `UnixStream`: it registers every socket for writability too, edge
//! triggered, and a Unix socket raises that edge each time the peer reads what was written.
//! At musical rates — one message per write — that woke the engine once more per delivered
//! message for nothing (the socket was writable all along), which cost about as much CPU as
//! the delivery itself.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

pub struct ClientSocket {
    fd: AsyncFd<UnixStream>,
}

impl ClientSocket {
    /// Takes over an accepted connection (already non-blocking).
    pub fn new(stream: tokio::net::UnixStream) -> io::Result<ClientSocket> {
        let stream = stream.into_std()?;
        stream.set_nonblocking(true)?;
        Ok(ClientSocket {
            // SAFETY: the stream owns its descriptor for as long as the AsyncFd holds it.
            fd: unsafe { AsyncFd::register_with_interest(stream, Interest::READABLE) }?,
        })
    }

    /// Reads what the socket has into `buf` (after its current end), waiting for data first.
    /// `Ok(0)` is the end of the stream.
    pub async fn read_some(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        loop {
            let mut ready = self.fd.readable().await?;
            if buf.spare_capacity_mut().is_empty() {
                buf.reserve(64 * 1024); // a full buffer would read as the end of the stream
            }
            let room = buf.spare_capacity_mut();
            let want = room.len();
            // SAFETY: `recv` writes at most `want` bytes into the spare capacity, and only the
            // bytes it reports written are then counted as part of the vector.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    room.as_mut_ptr().cast(),
                    want,
                    libc::MSG_DONTWAIT,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::WouldBlock => {
                        ready.clear_ready();
                        continue;
                    }
                    io::ErrorKind::Interrupted => continue,
                    _ => return Err(e),
                }
            }
            let n = n as usize;
            // SAFETY: the kernel initialised these `n` bytes.
            unsafe { buf.set_len(buf.len() + n) };
            if n > 0 && n < want {
                // A short read drained the socket. Forget the readiness now, so the next round
                // goes straight to epoll instead of spending a read on EAGAIN; data that
                // arrives meanwhile raises a fresh edge, so nothing is missed.
                ready.clear_ready();
            }
            return Ok(n);
        }
    }

    /// Writes what the socket takes now; `WouldBlock` when it takes nothing.
    pub fn try_write(&self, bytes: &[u8]) -> io::Result<usize> {
        loop {
            // SAFETY: `send` reads at most `bytes.len()` bytes from `bytes`. MSG_NOSIGNAL: a
            // peer that has gone is an error here, not a signal.
            let n = unsafe {
                libc::send(
                    self.fd.as_raw_fd(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Waits until the socket has room again (or has failed). Registers a duplicate of the
    /// descriptor for writability for just this wait (four system calls: dup, register,
    /// deregister, close — only ever for a socket that was full), so a socket with room
    /// never wakes the engine.
    pub async fn writable(&self) -> io::Result<()> {
        let watch = self
            .fd
            .get_ref()
            .as_fd()
            .try_clone_to_owned()
            // SAFETY: the duplicate owns its descriptor for as long as the AsyncFd holds it.
            .and_then(|dup| {
                unsafe { AsyncFd::register_with_interest(dup, Interest::WRITABLE) }
                    .map_err(io::Error::from)
            });
        match watch {
            // Edge triggered: registering reports the present state, so a socket that
            // drained before this wait began is seen at once.
            Ok(watch) => {
                let _ready = watch.writable().await?;
            }
            // Out of descriptors, say: the connection is fine, only the watch failed. Try
            // the write again a moment later instead of giving the receiver up.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
        }
        Ok(())
    }

    pub fn peer_gone(&self) {
        // SAFETY: shutdown on a socket we own; it does not close the descriptor.
        unsafe { libc::shutdown(self.fd.as_raw_fd(), libc::SHUT_RDWR) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn reads_writes_and_waits_for_room_when_the_socket_is_full() {
        runtime().block_on(async {
            let (engine_side, client_side) = tokio::net::UnixStream::pair().unwrap();
            let socket = ClientSocket::new(engine_side).unwrap();
            let client = client_side.into_std().unwrap();
            client.set_nonblocking(false).unwrap();
            std::io::Write::write_all(&mut &client, b"hello").unwrap();
            let mut buf = Vec::with_capacity(64);
            assert_eq!(socket.read_some(&mut buf).await.unwrap(), 5);
            assert_eq!(buf, b"hello");

            // Fill the socket until it takes nothing more.
            let chunk = vec![7u8; 64 * 1024];
            let mut written = 0usize;
            loop {
                match socket.try_write(&chunk) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
            // The client drains it on another thread; the wait ends once there is room.
            let reader = std::thread::spawn(move || {
                let mut got = 0usize;
                let mut sink = vec![0u8; 64 * 1024];
                while got < written {
                    got += std::io::Read::read(&mut &client, &mut sink).unwrap();
                }
                client
            });
            socket.writable().await.unwrap();
            assert!(socket.try_write(b"more").unwrap() > 0);
            let client = reader.join().unwrap();
            drop(socket);
            let mut rest = Vec::new();
            std::io::Read::read_to_end(&mut &client, &mut rest).unwrap();
            assert_eq!(rest, b"more", "the socket closes when dropped");
        });
    }

    #[test]
    fn a_closed_peer_reads_as_the_end_of_the_stream() {
        runtime().block_on(async {
            let (engine_side, client_side) = tokio::net::UnixStream::pair().unwrap();
            let socket = ClientSocket::new(engine_side).unwrap();
            drop(client_side);
            let mut buf = Vec::with_capacity(16);
            assert_eq!(socket.read_some(&mut buf).await.unwrap(), 0);
            assert!(socket.try_write(b"x").is_err());
        });
    }
}
